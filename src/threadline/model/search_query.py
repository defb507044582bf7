"""What a user's search text means: identifier keys to look up and words to find.

A search box receives ``07700 900123``, ``+44 7700 900123``, an IMEI with or without its check
digit, ``ab24 cde`` or ``Ana Pop``. Each is read here into the keys the evidence holds, through
the same normalisers ingest uses, so the text finds every row whatever form the exhibit wrote
(requirements 24, 59 and 61). The reading is shown to the user and recorded in the audit log with
the text (requirement 35: search strategies are recorded), so it is described in words.

How the text is read:

* The whole text is tried first as a telephone number (valid or Ofcom drama numbers only, so a
  handset or SIM identity is not also read as a foreign number), an IMEI (14, 15 or 16 digits;
  matched on the first 14, requirement 24), an IMSI (14 or 15 digits: a 15-digit value can be
  both an IMEI and an IMSI, and both are kept) and a VRM in a recognised UK format.
* If the whole text is none of these and has several parts, each part is tried the same way:
  parts are separated by commas or semicolons where there are any (``07700 900123, 07700
  900456`` is two numbers), otherwise by spaces (``07700900123 07700900456``).
* A file hash, 32 hex digits (MD5) or 64 (SHA-256), alone or in a list, is looked up exactly
  among the media files' hashes (upper or lower case; the hashes are compared in lower case).
  A hash is not also searched as words.
* Text that is not made of identifiers only is also searched for as words (runs of letters and
  digits) in the row text (names, message bodies, e-mail addresses, user names); a row must hold
  all the words. With letters in it, it is also a *name as recorded*, compared without regard to
  case or spacing. Text read wholly as identifiers is not also searched as words, so every
  written form of a number finds exactly the same rows (``+44 7700 900123`` would otherwise also
  look for the words ``44`` and ``7700``).

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.imei import ImeiKind, normalise_imei
from threadline.model.imsi import normalise_imsi
from threadline.model.phone import normalise_phone
from threadline.model.vrm import VrmFormat, normalise_vrm

__all__ = [
    "MAX_QUERY_LENGTH",
    "EntityTerm",
    "SearchQuery",
    "file_hash",
    "interpret_query",
    "person_key",
]

#: Longest search text accepted, in characters: a search is a few identifiers or words, and a
#: bound keeps a hostile request from costing much.
MAX_QUERY_LENGTH = 500

#: Most words searched for in row text; more are dropped and the reading says so.
MAX_WORDS = 16

_LIST_SEPARATORS = re.compile(r"[,;]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_DIGITS_ONLY = re.compile(r"^[\d\s\-./]+$")
_IMSI_LENGTHS = (14, 15)
_HASH = re.compile(r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$")


def person_key(name: str) -> str:
    """A name as recorded, in the form names are compared in: spacing collapsed, casefolded.

    The same rule :func:`threadline.model.entity_keys.entity_id` applies to person keys, so the
    key and the entity id always agree.
    """
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class EntityTerm:
    """One identifier the text was read as.

    Attributes:
        kind: the kind of entity.
        key: the normalised key, as the evidence holds it (E.164 number, first 14 IMEI digits,
            IMSI digits, VRM without spaces, casefolded name).
        reading: how the text was read, in words (``telephone number +447700900123``).
    """

    kind: EntityKind
    key: str
    reading: str

    @property
    def entity_id(self) -> str:
        """The id of the entity this key names."""
        return entity_id(self.kind, self.key)

    def to_dict(self) -> dict[str, str]:
        """Plain data for JSON output and the audit log."""
        return {
            "kind": self.kind.value,
            "key": self.key,
            "entity_id": self.entity_id,
            "reading": self.reading,
        }


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A user's search text and what it was read as.

    Attributes:
        text: the text as given.
        terms: the identifier keys to look up, without duplicates, in reading order.
        words: the words to find in row text (casefolded), at most :data:`MAX_WORDS`.
        dropped_words: how many words beyond :data:`MAX_WORDS` were not searched for.
        hashes: file hashes (MD5 or SHA-256, lower-case hex) to find among media files.
    """

    text: str
    terms: tuple[EntityTerm, ...]
    words: tuple[str, ...]
    dropped_words: int = 0
    hashes: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The reading in words, for the results page and the audit log."""
        parts = [term.reading for term in self.terms]
        parts += [
            f"file hash {value} ({'MD5' if len(value) == 32 else 'SHA-256'})"
            for value in self.hashes
        ]
        if self.words:
            listed = ", ".join(f'"{word}"' for word in self.words)
            parts.append(f"text containing all of {listed}")
        if self.dropped_words:
            parts.append(f"{self.dropped_words} further word(s) ignored")
        if not parts:
            return "nothing searchable (no letters or digits)"
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the audit log (``hashes`` only when there are any)."""
        data: dict[str, Any] = {
            "text": self.text,
            "terms": [term.to_dict() for term in self.terms],
            "words": list(self.words),
            "description": self.description,
        }
        if self.hashes:
            data["hashes"] = list(self.hashes)
        return data


def _number_term(part: str) -> EntityTerm | None:
    number = normalise_phone(part)
    if number.e164 is None or not number.valid:
        return None
    return EntityTerm(EntityKind.NUMBER, number.e164, f"telephone number {number.e164}")


def _device_terms(part: str) -> list[EntityTerm]:
    """Read a run of digits as an IMEI and, at 14 or 15 digits, as an IMSI too."""
    if not _DIGITS_ONLY.match(part):
        return []
    terms = []
    imei = normalise_imei(part)
    if imei.kind is not ImeiKind.INVALID and imei.key is not None:
        how = "IMEISV" if imei.kind is ImeiKind.IMEISV else "IMEI"
        terms.append(
            EntityTerm(
                EntityKind.HANDSET,
                imei.key,
                f"handset {imei.key} ({how} of {len(imei.value or '')} digits, matched on the "
                "first 14)",
            )
        )
    imsi = normalise_imsi(part)
    if imsi.valid and imsi.value is not None and len(imsi.value) in _IMSI_LENGTHS:
        terms.append(EntityTerm(EntityKind.SIM, imsi.value, f"SIM (IMSI) {imsi.value}"))
    return terms


def _vehicle_term(part: str) -> EntityTerm | None:
    vrm = normalise_vrm(part)
    if vrm is None or vrm.format is VrmFormat.UNKNOWN:
        return None
    return EntityTerm(
        EntityKind.VEHICLE, vrm.value, f"vehicle registration {vrm.display}, {vrm.format.label}"
    )


def file_hash(part: str) -> str | None:
    """``part`` as a file hash (MD5 or SHA-256 hex, lower case), or ``None``."""
    text = part.strip()
    return text.lower() if _HASH.match(text) else None


def _identifier_terms(part: str) -> list[EntityTerm]:
    """Every identifier ``part`` can be read as (possibly none)."""
    terms: list[EntityTerm] = []
    number = _number_term(part)
    if number is not None:
        terms.append(number)
    else:
        terms.extend(_device_terms(part))
    vehicle = _vehicle_term(part)
    if vehicle is not None:
        terms.append(vehicle)
    return terms


def interpret_query(text: str) -> SearchQuery:
    """Read search text into identifier keys and words (see the module docstring for how).

    Args:
        text: the search text as the user typed it; callers refuse empty text and text longer
            than :data:`MAX_QUERY_LENGTH` before calling.

    Returns:
        The :class:`SearchQuery`; its terms and words may both be empty (text of punctuation
        only), which finds nothing. Never raises for odd input: query syntax characters are
        ordinary characters here.
    """
    stripped = text.strip()
    whole_hash = file_hash(stripped)
    if whole_hash is not None:
        return SearchQuery(text=text, terms=(), words=(), hashes=(whole_hash,))
    terms = _identifier_terms(stripped) if stripped else []
    words: list[str] = []
    hashes: list[str] = []
    if not terms:
        separators = _LIST_SEPARATORS if _LIST_SEPARATORS.search(stripped) else _SPACES
        parts = [part.strip() for part in separators.split(stripped) if part.strip()]
        readings = [_identifier_terms(part) for part in parts] if len(parts) > 1 else []
        understood = []
        for part, reading in zip(parts, readings, strict=False):
            found = None if reading else file_hash(part)
            if found is not None:
                hashes.append(found)
            terms.extend(reading)
            understood.append(bool(reading) or found is not None)
        if not understood or not all(understood):
            # not identifiers only: a name as recorded, and words of text
            if _HAS_LETTER.search(stripped):
                key = person_key(stripped)
                terms.append(EntityTerm(EntityKind.PERSON, key, f'name as recorded "{key}"'))
            words = list(dict.fromkeys(_WORD.findall(stripped.casefold())))
    unique: dict[tuple[EntityKind, str], EntityTerm] = {}
    for term in terms:
        unique.setdefault((term.kind, term.key), term)
    return SearchQuery(
        text=text,
        terms=tuple(unique.values()),
        words=tuple(words[:MAX_WORDS]),
        dropped_words=max(0, len(words) - MAX_WORDS),
        hashes=tuple(dict.fromkeys(hashes)),
    )
