"""Reading the top level of a Protocol Buffers message without its schema.

Tango keeps each message's content as a base64-encoded Protocol Buffers record. Its schema is not
published, so the record is read only at the wire level: a list of (field number, value) pairs,
where a value is an integer (varint and fixed-width fields) or bytes (length-delimited fields:
text, nested records, binary data). Which field means what is decided by the caller, from what the
fields are seen to hold.

The reader is bounded: it never reads past the record, a varint is at most ten bytes, and anything
malformed raises :class:`ValueError` (never another exception), so a damaged record costs only
its own decoding.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

__all__ = ["Fields", "read_fields"]

Fields = dict[int, list[int | bytes]]

_VARINT: Final = 0
_FIXED64: Final = 1
_BYTES: Final = 2
_FIXED32: Final = 5
_MAX_VARINT_BYTES: Final = 10


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for shift in range(_MAX_VARINT_BYTES):
        if at >= len(data):
            raise ValueError("a varint runs past the end of the record")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << (7 * shift)
        if not byte & 0x80:
            return value, at
    raise ValueError("a varint is longer than ten bytes")


def read_fields(data: bytes) -> Fields:
    """The top-level fields of a Protocol Buffers record, by field number, in order.

    Raises:
        ValueError: the bytes are not a well-formed record.
    """
    found: Fields = defaultdict(list)
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 0x07
        if number == 0:
            raise ValueError("field number 0")
        if wire == _VARINT:
            value, at = _varint(data, at)
            found[number].append(value)
        elif wire == _BYTES:
            length, at = _varint(data, at)
            if at + length > len(data):
                raise ValueError("a field runs past the end of the record")
            found[number].append(data[at : at + length])
            at += length
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if at + size > len(data):
                raise ValueError("a field runs past the end of the record")
            found[number].append(int.from_bytes(data[at : at + size], "little"))
            at += size
        else:
            raise ValueError(f"wire type {wire} is not read")
    return dict(found)
