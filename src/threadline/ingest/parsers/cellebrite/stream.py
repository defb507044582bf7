"""The report's bytes as the XML reader gets them: checked for a DTD first, read errors named.

Two guards sit between the UFDR member (or file) and the XML reader:

* the document's prolog (what precedes the root element, read from the first 64 KiB) is checked
  for ``<!DOCTYPE`` by :func:`~threadline.ingest.safe_xml.refuse_doctype` before any byte reaches
  the XML parser (a stream, unlike a file, cannot be checked by
  :func:`~threadline.ingest.safe_xml.iterparse_safe` itself before parsing);
* a member that cannot be inflated as declared (damaged data, a CRC or size mismatch, an unknown
  compression method) raises :class:`~threadline.errors.ParseError` naming the UFDR and the
  member, wherever in the report it happens.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import IO, Final

from threadline.errors import ParseError
from threadline.ingest.safe_xml import PROLOG_BYTES, refuse_doctype

__all__ = ["HEAD_BYTES", "ReportStream"]

#: How much of the report is read to find its prolog.
HEAD_BYTES: Final = PROLOG_BYTES
_UNREADABLE: Final = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


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
        refuse_doctype(self._head, name=name)

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
