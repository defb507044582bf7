"""Deterministic identifiers built from length-prefixed parts.

Identifiers are hashes of their parts so that re-ingesting the same exhibit reproduces the same
identifiers (design.md, "Identity and provenance"). Each part is prefixed with its length so that
``("ab", "c")`` and ``("a", "bc")`` cannot collide, a flaw examples.md records in FollowTheMoney's
``make_entity_id``. No personal data appears in an identifier: only its hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

#: Hex digits kept from the SHA-256 digest: 128 bits, ample for the rows of a national data set.
ID_HEX_LENGTH = 32


def key_material(*parts: str) -> str:
    """Return the length-prefixed concatenation of ``parts`` (``len:part`` for each).

    The same construction is written in SQL for bulk ingest
    (:func:`threadline.ingest.sql.row_id_sql`); tests check both give the same identifiers.
    """
    return "".join(f"{len(part)}:{part}" for part in parts)


def make_id(*parts: str) -> str:
    """Return a deterministic 32-hex-digit identifier for the given parts.

    Args:
        parts: the parts that together identify the object, in a fixed order. ``None`` is not
            accepted: a missing part must be spelt out by the caller (for example ``""``) so it
            cannot vanish silently.

    Raises:
        TypeError: if a part is not a string.
    """
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"identifier parts must be strings, not {type(part).__name__}")
    digest = hashlib.sha256(key_material(*parts).encode("utf-8")).hexdigest()
    return digest[:ID_HEX_LENGTH]


def row_id(exhibit_id: str, locator: str) -> str:
    """Return the identifier of one source record: its exhibit and its locator in it.

    The normalised row in a canonical table and the raw copy in ``source_rows`` carry the same
    identifier, because they are the same record; a finding cites it to reach both.
    """
    return make_id("row", exhibit_id, locator)


def row_ids_for(exhibit_id: str) -> Callable[[str], str]:
    """:func:`row_id` for one exhibit, with the exhibit's part of the key material made once.

    A parser reading an extraction report names millions of rows of one exhibit; building the
    same prefix for each costs more than hashing. ``row_ids_for(e)(loc) == row_id(e, loc)``.
    """
    prefix = key_material("row", exhibit_id)

    def of(locator: str) -> str:
        material = f"{prefix}{len(locator)}:{locator}".encode()
        return hashlib.sha256(material).hexdigest()[:ID_HEX_LENGTH]

    return of
