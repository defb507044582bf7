"""The report's bytes as the XML reader gets them: checked for a DTD first, read errors named.

Two guards sit between the UFDR member (or file) and the XML reader:

* the document's prolog (what precedes the root element, read from the first 64 KiB) is checked
  for ``<!DOCTYPE`` before any byte reaches the XML parser. A report never has one, and entity
  attacks come with it; libxml2 stops an exponential expansion ("billion laughs") with a syntax
  error of its own before :func:`~threadline.ingest.safe_xml.iterparse_safe` sees the document
  type, so without this check such a file would be reported as malformed rather than hostile;
* a member that cannot be inflated as declared (damaged data, a CRC or size mismatch, an unknown
  compression method) raises :class:`~threadline.errors.ParseError` naming the UFDR and the
  member, wherever in the report it happens.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO, Final

from threadline.errors import HostileInput, ParseError

__all__ = ["HEAD_BYTES", "ReportStream"]

#: How much of the report is read to find its prolog.
HEAD_BYTES: Final = 64 * 1024
_ELEMENT_START: Final = re.compile(rb"<[A-Za-z_:]")
_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_UNREADABLE: Final = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def _prolog(head: bytes) -> bytes:
    """The bytes before the root element's start tag (UTF-16 read as UTF-8 for the search)."""
    if head.startswith(_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    found = _ELEMENT_START.search(head)
    return head if found is None else head[: found.start()]


class ReportStream:
    """A binary stream over the report (see the module docstring).

    Args:
        raw: the member's (or file's) bytes.
        name: the report's name for messages (its path inside the exhibit).
        container: the UFDR's name when the report is a member of one.
    """

    def __init__(self, raw: IO[bytes], name: str, container: str | None = None) -> None:
        self._raw = raw
        self._name = name
        self._container = container
        self._head = self._read(HEAD_BYTES)
        if b"<!DOCTYPE" in _prolog(self._head):
            raise HostileInput(
                "the XML declares a document type (DOCTYPE); extraction reports never need one "
                "and it is how entity attacks arrive, so the file is refused",
                path=name,
                locator="line=1",
            )

    def _read(self, size: int) -> bytes:
        try:
            return self._raw.read(size)
        except _UNREADABLE as exc:
            if self._container is None:
                raise ParseError(
                    f"the report cannot be read: {exc}", path=self._name, locator="read"
                ) from exc
            raise ParseError(
                f"the report member is damaged or does not match its declared size and CRC ({exc})",
                path=self._container,
                locator=f"member={self._name!r}",
            ) from exc

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative)."""
        if self._head:
            if size < 0:
                data, self._head = self._head + self._read(-1), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._read(size)
