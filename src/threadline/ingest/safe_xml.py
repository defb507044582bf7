"""Streaming XML reading that refuses hostile documents.

Extraction reports (Cellebrite ``report.xml``, XRY XML) can be several gigabytes, so they are read
with :func:`lxml.etree.iterparse`, element by element, and each element is cleared once read.
A report never needs a document type declaration, and one is how XML external entities and
entity expansion ("billion laughs") attacks arrive, so any ``<!DOCTYPE`` is refused before a
single element is used: entities are neither resolved nor fetched, no network is touched, and
the file is reported as hostile (:class:`~threadline.errors.HostileInput`).

A truncated or malformed file raises :class:`~threadline.errors.ParseError` naming the file, the
line and the column; ingest is atomic, so nothing of the file becomes visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final

from lxml import etree

from threadline.errors import HostileInput, ParseError

__all__ = ["PROLOG_BYTES", "iterparse_safe", "local_name", "refuse_doctype"]

_DOCTYPE_REFUSED: Final = (
    "the XML declares a document type (DOCTYPE); extraction reports never need one and it is "
    "how entity attacks arrive, so the file is refused"
)

#: How much of a document is read to find its prolog (what precedes the root element).
PROLOG_BYTES: Final = 64 * 1024
_ELEMENT_START: Final = re.compile(rb"<[A-Za-z_:]")
_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")


def refuse_doctype(head: bytes, *, name: str) -> None:
    """Refuse a document whose prolog (the bytes before its root element, in ``head``: its first
    :data:`PROLOG_BYTES`) declares a document type, before any byte reaches the XML parser.

    The check on the first parsed element (in :func:`iterparse_safe`) cannot see a DOCTYPE when
    libxml2 stops an entity expansion inside the DTD first, or when a ``tag`` filter means no
    element is ever handed back; this one sees it whatever follows.

    Raises:
        HostileInput: the prolog holds ``<!DOCTYPE``.
    """
    if head.startswith(_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    found = _ELEMENT_START.search(head)
    prolog = head if found is None else head[: found.start()]
    if b"<!DOCTYPE" in prolog:
        raise HostileInput(_DOCTYPE_REFUSED, path=name, locator="line=1")


def local_name(tag: object) -> str:
    """An element's tag without its namespace (``{ns}model`` -> ``model``)."""
    text = tag if isinstance(tag, str) else str(tag)
    return text.rsplit("}", 1)[-1]


def iterparse_safe(
    source: Path | IO[bytes],
    *,
    name: str,
    events: tuple[str, ...] = ("start", "end"),
    tag: str | Sequence[str] | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Yield ``(event, element)`` pairs of ``source``, refusing DTDs and reporting bad XML.

    Args:
        source: the file (its prolog is checked with :func:`refuse_doctype` first), or a
            binary stream (a member of a ZIP: check its head with :func:`refuse_doctype`).
        name: the file's name for messages (its path inside the exhibit).
        events: the iterparse events wanted.
        tag: only elements with these tags (``{*}model`` for any namespace) produce events; the
            rest are still parsed and checked, but cost no Python call (multi-gigabyte reports).

    Raises:
        HostileInput: the document declares a DTD (entities would come with it).
        ParseError: the XML is malformed or truncated; the locator gives line and column.
    """
    if isinstance(source, Path):
        with source.open("rb") as handle:
            refuse_doctype(handle.read(PROLOG_BYTES), name=name)
    stream = str(source) if isinstance(source, Path) else source
    parser = etree.iterparse(
        stream,
        events=events,
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # base64 attachments make long text nodes; DTDs are refused anyway
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    try:
        for event, element in parser:
            info = element.getroottree().docinfo
            if info.doctype or info.internalDTD is not None:
                raise HostileInput(_DOCTYPE_REFUSED, path=name, locator="line=1")
            checked = True
            yield event, element
            break
        # the rest straight from lxml: no Python step per event (millions in a large report)
        yield from parser
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        if not checked and "entit" in str(exc.msg).lower():
            # libxml2 stops an entity expansion attack inside the DTD, before the first element
            # reaches the DOCTYPE check above: the same refusal
            raise HostileInput(
                "the XML declares a document type (DOCTYPE) with entities that expand without "
                f"limit ({exc.msg}); the file is refused",
                path=name,
                locator=f"line={line}, column={column}",
            ) from exc
        raise ParseError(
            f"the XML is malformed or truncated: {exc.msg}",
            path=name,
            locator=f"line={line}, column={column}",
        ) from exc
