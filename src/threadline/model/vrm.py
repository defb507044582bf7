"""UK vehicle registration marks (VRMs): normalisation and classification by format.

ANPR cameras, statements and intelligence write the same mark in several ways (``ab24 cde``,
``AB24-CDE``, ``AB24CDE``), so marks are matched in one form: upper case with no spaces
(requirement 61). The format says roughly when and where a mark was issued (domain.md §7.5,
DVLA INF104 [R44]):

* **current** (from September 2001): two-letter memory tag, two-digit age identifier, three
  random letters: ``AB24 CDE``. The memory tag never uses I, Q or Z; the random letters never I
  or Q;
* **prefix** (1983–2001): age letter, 1–3 digits, three letters: ``A123 BCD``;
* **suffix** (1963–1983): three letters, 1–3 digits, age letter: ``ABC 123D``. Age letters are
  never I, O, Q, U or Z;
* **Q plate**: a prefix-style mark whose first letter is Q, issued to vehicles of unknown age or
  identity (``Q123 ABC``);
* **dateless** (before 1963): 1–3 letters and 1–4 digits, either way round (``ABC 123``,
  ``1234 AB``), never with I, Q or Z, which were Irish or unused codes;
* **Northern Ireland**: the same shapes with I or Z among the letters (``ABZ 1234``);
* **diplomatic**: three digits, D or X, three digits (``123 D 456``);
* **unknown**: anything else made of letters and digits (foreign marks, misreads, private
  shapes). The mark is kept, normalised; only the format is unknown.

A mark's age identifier is the mark's, not the vehicle's: cherished transfers move marks between
vehicles. Fuzzy matching of ANPR misreads (0/O, 1/I, 5/S, 8/B, 2/Z) is opt-in and is not done
here: exact matching must never equate two different marks.

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["MAX_VRM_LENGTH", "Vrm", "VrmFormat", "normalise_vrm"]

#: Longest mark accepted, in characters after removing spaces: UK marks have at most 7 and
#: foreign ones rarely more than 9; longer text is not a registration mark.
MAX_VRM_LENGTH = 10

#: Spaces, hyphens and dots that people and ANPR exports put inside marks.
_SEPARATORS = re.compile(r"[\s\-.]+")
_ALPHANUMERIC = re.compile(r"^[A-Z0-9]+$")


class VrmFormat(StrEnum):
    """The format a registration mark is written in (requirement 61)."""

    CURRENT = "current"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    Q_PLATE = "q_plate"
    DATELESS = "dateless"
    NORTHERN_IRELAND = "northern_ireland"
    DIPLOMATIC = "diplomatic"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The words a user reads for this format."""
        return _LABELS[self]


_LABELS = {
    VrmFormat.CURRENT: "current format (2001 on)",
    VrmFormat.PREFIX: "prefix format (1983-2001)",
    VrmFormat.SUFFIX: "suffix format (1963-1983)",
    VrmFormat.Q_PLATE: "Q plate (age or identity unknown)",
    VrmFormat.DATELESS: "dateless format (before 1963)",
    VrmFormat.NORTHERN_IRELAND: "Northern Ireland format",
    VrmFormat.DIPLOMATIC: "diplomatic format",
    VrmFormat.UNKNOWN: "format not recognised",
}

# Letters by position; the classes spell out the exclusions described in the module docstring.
_TAG = "[A-HJ-PR-Y]"  # memory tag: not I, Q, Z
_RANDOM = "[A-HJ-PR-Z]"  # current-format random letters: not I, Q
_AGE_LETTER = "[A-HJ-NPR-TV-Y]"  # prefix and suffix age letters: not I, O, Q, U, Z
_MAINLAND = "[A-HJ-PR-Y]"  # dateless letters: not I, Q, Z
_IRISH = "[A-PR-Z]"  # Northern Ireland letters: anything but Q (I or Z checked separately)
_SERIAL = "[1-9][0-9]"  # digits of older marks: no leading zero

_FORMATS: tuple[tuple[VrmFormat, re.Pattern[str]], ...] = (
    (VrmFormat.DIPLOMATIC, re.compile(r"^(?P<a>[0-9]{3})(?P<b>[DX])(?P<c>[0-9]{3})$")),
    (VrmFormat.CURRENT, re.compile(rf"^(?P<a>{_TAG}{{2}}[0-9]{{2}})(?P<b>{_RANDOM}{{3}})$")),
    (VrmFormat.Q_PLATE, re.compile(rf"^(?P<a>Q{_SERIAL}{{0,2}})(?P<b>[A-Z]{{3}})$")),
    (
        VrmFormat.PREFIX,
        re.compile(rf"^(?P<a>{_AGE_LETTER}{_SERIAL}{{0,2}})(?P<b>[A-Z]{{3}})$"),
    ),
    (
        VrmFormat.SUFFIX,
        re.compile(rf"^(?P<a>[A-Z]{{3}})(?P<b>{_SERIAL}{{0,2}}{_AGE_LETTER})$"),
    ),
    (
        VrmFormat.DATELESS,
        re.compile(
            rf"^(?:(?P<a>{_MAINLAND}{{1,3}})(?P<b>{_SERIAL}{{0,3}})"
            rf"|(?P<c>{_SERIAL}{{0,3}})(?P<d>{_MAINLAND}{{1,3}}))$"
        ),
    ),
    (
        VrmFormat.NORTHERN_IRELAND,
        re.compile(
            rf"^(?:(?P<a>{_IRISH}{{1,3}})(?P<b>{_SERIAL}{{0,3}})"
            rf"|(?P<c>{_SERIAL}{{0,3}})(?P<d>{_IRISH}{{1,3}}))$"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Vrm:
    """A normalised vehicle registration mark.

    Attributes:
        original: the text exactly as supplied.
        value: upper case without spaces (``AB24CDE``): the form marks are matched in.
        format: the format the mark is written in.
        display: the mark as it is shown on a plate (``AB24 CDE``); ``value`` when the format is
            unknown.
    """

    original: str
    value: str
    format: VrmFormat
    display: str


def normalise_vrm(raw: str) -> Vrm | None:
    """Normalise a registration mark and classify its format.

    Spaces, hyphens and dots are removed and letters upper-cased. Dateless and Northern Ireland
    marks are told apart by their letters: I or Z means Northern Ireland (they were Irish codes).

    Args:
        raw: the mark as written or read by a camera.

    Returns:
        The :class:`Vrm`, with :attr:`VrmFormat.UNKNOWN` for letters and digits in no UK shape;
        ``None`` when the text cannot be a registration mark at all (empty, longer than
        :data:`MAX_VRM_LENGTH`, or holding characters other than ASCII letters and digits).
        Never raises for bad input.
    """
    value = _SEPARATORS.sub("", raw).upper()
    if not value or len(value) > MAX_VRM_LENGTH or not _ALPHANUMERIC.match(value):
        return None
    for vrm_format, pattern in _FORMATS:
        match = pattern.match(value)
        if match is None:
            continue
        if vrm_format is VrmFormat.NORTHERN_IRELAND:
            letters = match.group("a") or match.group("d")
            if "I" not in letters and "Z" not in letters:
                continue
        parts = [part for part in match.groups() if part]
        return Vrm(raw, value, vrm_format, " ".join(parts))
    return Vrm(raw, value, VrmFormat.UNKNOWN, value)
