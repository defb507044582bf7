"""The text of an iMessage from its ``attributedBody`` (an Apple *typedstream* archive).

From iOS 16 ``sms.db`` often leaves ``message.text`` empty and keeps the text only inside
``attributedBody``: an ``NSAttributedString`` archived in NeXTSTEP's typedstream format
(``streamtyped`` header). The archive starts with the class chain of the string object
(``NSMutableAttributedString`` -> ``NSAttributedString`` -> ``NSObject``), then the class chain of
its plain string (``NSMutableString`` -> ``NSString``), then that string's value written as the
type code ``+`` followed by a length and the UTF-8 bytes.

Method: after the literal class name ``NSString``, find the ``+`` type code within a few bytes,
read the length (one byte below 0x80; ``0x81`` then a 16-bit little-endian length; ``0x82`` then a
32-bit little-endian length) and decode that many bytes as UTF-8.

Limits: only the plain text is recovered. The attributes (links, mentions, formatting, the
attachment placeholders' metadata) are not decoded. An archive that does not follow this layout
(a string written by back-reference before ``NSString`` is named, a truncated blob) gives ``None``
and the reader raises an issue; nothing is guessed.
"""

from __future__ import annotations

from typing import Final

__all__ = ["attributed_body_text"]

_HEADER: Final = b"streamtyped"
_CLASS: Final = b"NSString"
#: how far after the class name the ``+`` type code may sit (class version, end-of-chain markers)
_SEARCH: Final = 12


def _length(blob: bytes, at: int) -> tuple[int, int] | None:
    """The string length encoded at ``at`` and the offset of the bytes after it."""
    if at >= len(blob):
        return None
    first = blob[at]
    if first < 0x80:
        return first, at + 1
    width = {0x81: 2, 0x82: 4}.get(first)
    if width is None or at + 1 + width > len(blob):
        return None
    return int.from_bytes(blob[at + 1 : at + 1 + width], "little"), at + 1 + width


def attributed_body_text(blob: bytes | None) -> str | None:
    """The message text archived in an ``attributedBody`` blob, or ``None`` if none is found."""
    if not blob or _HEADER not in blob[:16]:
        return None
    named = blob.find(_CLASS)
    if named < 0:
        return None
    window_start = named + len(_CLASS)
    marker = blob.find(b"+", window_start, window_start + _SEARCH)
    if marker < 0:
        return None
    found = _length(blob, marker + 1)
    if found is None:
        return None
    size, start = found
    if start + size > len(blob):
        return None
    try:
        return blob[start : start + size].decode("utf-8")
    except UnicodeDecodeError:
        return None
