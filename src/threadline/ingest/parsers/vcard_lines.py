"""vCard content lines: bounded physical lines of a byte stream, unfolded into properties.

A vCard file is read as bytes, one physical line at a time, because the bytes of a value may be in
any character set (a ``CHARSET=`` parameter, vCard 2.1) or quoted-printable, and so can only be
decoded once its property's parameters are known. Lines are read in chunks and each is bounded by
a limit (:data:`MAX_LINE_BYTES`): a 200 MB line of garbage costs one chunk of memory, not 200 MB.
A line over the limit is reported (:class:`Overlong`) with its length and its first bytes, and its
bytes are dropped.

Physical lines are joined into *content lines* (one property each) by the three ways vCards fold:

* vCard 3.0 and 4.0 (RFC 2425/6350): a line starting with a space or tab continues the previous
  one; the line break and that one white-space character are removed;
* vCard 2.1: the same, except that the white-space character is kept (2.1 §2.1.3);
* vCard 2.1 quoted-printable: a value line ending in ``=`` is a *soft line break*; the next line
  continues it whatever it starts with (``=`` and the break are removed by the QP decoder);
* vCard 2.1 base64 (``PHOTO;ENCODING=BASE64``): further lines without a ``:`` continue the data
  until a blank line, as some handsets write the data without indenting it.

UTF-8 with or without a byte-order mark is read as is; UTF-16 (with its byte-order mark, as some
Windows address books export) is recoded to UTF-8 first, so that the rest of the reader sees
ASCII-compatible bytes. Lines end with LF or CR LF; an old Mac file ending lines with CR alone is
one long line (and reported as such if over the limit).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Final

__all__ = [
    "MAX_LINE_BYTES",
    "ContentLine",
    "Overlong",
    "PhysicalLine",
    "physical_lines",
    "split_property",
    "split_unquoted",
]

#: Longest physical or unfolded line kept (16 MiB: a contact photo is tens of kilobytes).
MAX_LINE_BYTES: Final = 16 * 1024**2
#: First bytes of an overlong line kept to say what it was.
OVERLONG_HEAD: Final = 256
#: Physical lines one content line may be folded over: a photo folded at 75 bytes a line reaches
#: MAX_LINE_BYTES well within it; a flood of folds adding nothing does not grow without bound.
MAX_PHYSICAL_LINES: Final = MAX_LINE_BYTES // 32
_CHUNK: Final = 1 << 20
_CARD_BOUNDS: Final = frozenset({b"BEGIN:VCARD", b"END:VCARD"})
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One physical line, without its line end."""

    number: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Overlong:
    """A physical line longer than the limit: its length and first bytes only."""

    number: int
    length: int
    head: bytes


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes in chunks, UTF-8 BOM removed and UTF-16 recoded to UTF-8."""
    first = stream.read(_CHUNK)
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    elif first.startswith(_UTF16_BOMS):
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        chunk = first
        while chunk:
            yield decoder.decode(chunk).encode("utf-8")
            chunk = stream.read(_CHUNK)
        yield decoder.decode(b"", final=True).encode("utf-8")
        return
    chunk = first
    while chunk:
        yield chunk
        chunk = stream.read(_CHUNK)


def physical_lines(
    stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES
) -> Iterator[PhysicalLine | Overlong]:
    """The stream's physical lines, numbered from 1, each at most ``max_bytes`` long.

    Memory is bounded by ``max_bytes`` plus one read chunk, however long a line is.
    """
    pending = bytearray()
    overlong = 0  # length so far of a line past the limit (its bytes are not kept)
    head = b""
    number = 0
    for chunk in _chunks(stream):
        position = 0
        while position < len(chunk):
            newline = chunk.find(b"\n", position)
            end = len(chunk) if newline < 0 else newline
            piece = chunk[position:end]
            if overlong:
                overlong += len(piece)
            elif len(pending) + len(piece) > max_bytes:
                overlong = len(pending) + len(piece)
                head = bytes(pending[:OVERLONG_HEAD] + piece[:OVERLONG_HEAD])[:OVERLONG_HEAD]
                pending.clear()
            else:
                pending += piece
            if newline < 0:
                break
            number += 1
            yield _line(number, pending, overlong, head)
            pending.clear()
            overlong = 0
            position = newline + 1
    if pending or overlong:
        yield _line(number + 1, pending, overlong, head)


def _line(number: int, pending: bytearray, overlong: int, head: bytes) -> PhysicalLine | Overlong:
    if overlong:
        return Overlong(number, overlong, head)
    data = bytes(pending)
    return PhysicalLine(number, data[:-1] if data.endswith(b"\r") else data)


@dataclass(slots=True)
class ContentLine:
    """One property's unfolded line, with the physical lines it was made of.

    Attributes:
        number: line number of its first physical line.
        data: the unfolded bytes (for a quoted-printable value, soft breaks kept for the decoder).
        physical: the physical lines as read (for the raw record).
        quoted_printable: its parameters say ``QUOTED-PRINTABLE``.
        base64_21: a vCard 2.1 ``BASE64`` value (continues on lines without ``:``).
        dropped: why its value could not be kept (a line over the limit), or ``None``.
    """

    number: int
    data: bytearray
    physical: list[bytes] = field(default_factory=list)
    quoted_printable: bool = False
    base64_21: bool = False
    dropped: str | None = None

    def size(self) -> int:
        """Bytes held."""
        return len(self.data) + sum(len(p) for p in self.physical)

    def continues_with(self, line: bytes) -> bool:
        """Whether the physical ``line`` continues this content line rather than starting one
        (never a card's ``BEGIN`` or ``END``, whatever a stray soft break before it says)."""
        if line.strip().upper() in _CARD_BOUNDS:
            return False
        if self.quoted_printable and self.data.endswith(b"="):
            return True
        if line[:1] in (b" ", b"\t"):
            return True
        return self.base64_21 and bool(line.strip()) and b":" not in line

    def extend(self, line: bytes, version: str | None, max_bytes: int) -> None:
        """Append a continuation ``line`` (see the module docstring for the three rules)."""
        if self.dropped is not None:
            return
        if len(self.physical) >= MAX_PHYSICAL_LINES:
            # lines of a lone space add nothing to the value but are each kept as read
            self.drop(f"the line is folded over more than {MAX_PHYSICAL_LINES} physical lines")
            return
        self.physical.append(line)
        if self.quoted_printable and self.data.endswith(b"="):
            # the soft break is left for the QP decoder: "=\r\n" is how it is written
            addition = b"\r\n" + line
        elif line[:1] in (b" ", b"\t"):
            addition = line if version == "2.1" else line[1:]
        else:
            addition = line.strip()
        if len(self.data) + len(addition) > max_bytes:
            self.drop(f"the unfolded line is longer than the limit of {max_bytes} bytes")
            return
        self.data += addition

    def drop(self, reason: str) -> None:
        """Give up this line's value (it is too long), keeping the reason."""
        self.dropped = reason
        self.data.clear()
        self.physical = [p[:OVERLONG_HEAD] for p in self.physical[:1]]


def _unquoted_positions(data: bytes, wanted: int) -> Iterator[int]:
    """Positions of byte ``wanted`` outside double quotes (found by the regex engine, not a
    Python loop over a possibly 16 MiB line)."""
    quoted = False
    for match in re.finditer(b'["' + re.escape(bytes([wanted])) + b"]", data):
        if match.group() == b'"':
            quoted = not quoted
        elif not quoted:
            yield match.start()


def split_property(data: bytes) -> tuple[bytes, bytes] | None:
    """``(name and parameters, value)`` split at the first ``:`` outside quotes; ``None`` when
    there is no ``:`` (the line is not a property)."""
    for index in _unquoted_positions(data, 0x3A):
        return data[:index], data[index + 1 :]
    return None


def split_unquoted(data: bytes, separator: int) -> list[bytes]:
    """``data`` split at ``separator`` bytes outside double quotes."""
    parts = []
    start = 0
    for index in _unquoted_positions(data, separator):
        parts.append(data[start:index])
        start = index + 1
    parts.append(data[start:])
    return parts
