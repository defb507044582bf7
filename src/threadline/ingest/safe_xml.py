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

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from lxml import etree

from threadline.errors import HostileInput, ParseError

__all__ = ["iterparse_safe", "local_name"]


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
        source: the file, or a binary stream (a member of a ZIP).
        name: the file's name for messages (its path inside the exhibit).
        events: the iterparse events wanted.
        tag: only elements with these tags (``{*}model`` for any namespace) produce events; the
            rest are still parsed and checked, but cost no Python call (multi-gigabyte reports).

    Raises:
        HostileInput: the document declares a DTD (entities would come with it).
        ParseError: the XML is malformed or truncated; the locator gives line and column.
    """
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
                raise HostileInput(
                    "the XML declares a document type (DOCTYPE); extraction reports never "
                    "need one and it is how entity attacks arrive, so the file is refused",
                    path=name,
                    locator="line=1",
                )
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
