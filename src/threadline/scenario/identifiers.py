"""Fictional identifiers only: Ofcom drama numbers, test-network IMSIs, invented IMEIs and plates.

Requirement 66 forbids real operational data in the repository, so every identifier the scenario
writes comes from a range that cannot reach a real person or device:

* **Telephone numbers** come only from Ofcom's ranges for TV and radio drama (domain brief §7.1):
  mobile 07700 900000–900999; the fictional area code 01632 960000–960999; London
  020 7946 0000–0999; the city ranges 0113, 0114, 0115, 0116, 0117, 0118, 0121, 0131, 0141, 0151,
  0161 496 0000–0999, 0191 498 0000–0999 and Cardiff 029 2018 0000–0999; freephone
  0808 157 0000–0999, premium rate 0909 879 0000–0999 and UK-wide 03069 990000–990999. That is
  19,000 numbers in all, which caps the distinct numbers any generated data set can hold. (The
  Northern Ireland drama range is left out: public sources disagree on it.)
* **Short codes and SMS sender IDs** (banks, parcel firms) are invented: short codes from
  :data:`SHORT_CODES`, alphanumeric senders from :data:`SENDER_IDS`.
* **IMEIs** use invented Type Allocation Codes beginning ``00`` (no handset in this data could be a
  real one) and carry a correct Luhn check digit computed by :mod:`threadline.model.imei`.
* **IMSIs** are on the ITU test network, MCC 001 MNC 01: ``00101`` followed by 10 digits.
* **Vehicle registration marks** have the current format (two-letter memory tag, age identifier,
  three letters) with a memory tag beginning ``T`` or ``U``: DVLA assigns those letters to no
  region, so no real vehicle carries them, yet they are well formed.
* **Postcodes** use the outward area ``ZY``, well formed (letters allowed in every position) but
  not a UK postcode area.

The number table (:class:`NumberBook`) holds each number once and renders it in the four provider
notations, so exhibit columns are built by array look-ups rather than by formatting each row.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa

from threadline.model.imei import luhn_check_digit

__all__ = [
    "DRAMA_RANGES",
    "SENDER_IDS",
    "SHORT_CODES",
    "DramaRange",
    "Notation",
    "NumberBook",
    "NumberKind",
    "make_imei",
    "make_imsi",
    "rng_stream",
]


@dataclass(frozen=True, slots=True)
class DramaRange:
    """One Ofcom drama range: 1,000 numbers whose national significant number is ``prefix`` + 3."""

    label: str
    prefix: str
    """The first seven digits of the national significant number (no leading 0)."""
    groups: tuple[int, ...]
    """Digit groups of the national form, leading 0 included (e.g. ``(5, 6)`` for 07700 900123)."""


DRAMA_RANGES: tuple[DramaRange, ...] = (
    DramaRange("mobile", "7700900", (5, 6)),
    DramaRange("no area (01632)", "1632960", (5, 6)),
    DramaRange("London", "2079460", (3, 4, 4)),
    DramaRange("Leeds", "1134960", (4, 3, 4)),
    DramaRange("Sheffield", "1144960", (4, 3, 4)),
    DramaRange("Nottingham", "1154960", (4, 3, 4)),
    DramaRange("Leicester", "1164960", (4, 3, 4)),
    DramaRange("Bristol", "1174960", (4, 3, 4)),
    DramaRange("Reading", "1184960", (4, 3, 4)),
    DramaRange("Birmingham", "1214960", (4, 3, 4)),
    DramaRange("Edinburgh", "1314960", (4, 3, 4)),
    DramaRange("Glasgow", "1414960", (4, 3, 4)),
    DramaRange("Liverpool", "1514960", (4, 3, 4)),
    DramaRange("Manchester", "1614960", (4, 3, 4)),
    DramaRange("Tyneside", "1914980", (4, 3, 4)),
    DramaRange("Cardiff", "2920180", (3, 4, 4)),
    DramaRange("freephone", "8081570", (4, 3, 4)),
    DramaRange("premium rate", "9098790", (4, 3, 4)),
    DramaRange("UK-wide 03", "3069990", (4, 3, 4)),
)

#: Invented short codes (a bank's alerts, a parcel firm, the network's own service line).
SHORT_CODES: tuple[str, ...] = ("60999", "58255", "84321")

#: Invented alphanumeric SMS sender IDs (at most 11 characters, as the SMS standard allows).
SENDER_IDS: tuple[str, ...] = ("NORTHVALEBK", "QUIKPARCEL", "HOLLOWCLINI", "TALLYBANK")


class NumberKind(StrEnum):
    """What an entry of the number book is."""

    UK = "uk"
    SHORT_CODE = "short-code"
    SENDER_ID = "sender-id"


class Notation(StrEnum):
    """The ways providers write a number (see :mod:`threadline.scenario.layouts`)."""

    INTERNATIONAL = "international"
    """``447700900123``: country code, no plus (network-a)."""
    NATIONAL_SPACED = "national-spaced"
    """``07700 900123``, ``020 7946 0123``: national, grouped with spaces (network-b)."""
    E164 = "e164"
    """``+447700900123`` (network-c)."""
    NO_LEADING_ZERO = "no-leading-zero"
    """``7700900123``: national with the leading 0 lost in a spreadsheet (network-d)."""


def _national_spaced(nsn: str, groups: tuple[int, ...]) -> str:
    national = "0" + nsn
    parts: list[str] = []
    position = 0
    for size in groups:
        parts.append(national[position : position + size])
        position += size
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class NumberBook:
    """Every number the scenario may use, indexed, with its rendering in each notation.

    Index ``i`` of every tuple describes the same number. UK numbers come first, range by range
    in :data:`DRAMA_RANGES` order (range ``r`` holds indices ``1000*r`` to ``1000*r + 999``), then
    the short codes, then the sender IDs.
    """

    kinds: tuple[NumberKind, ...]
    values: tuple[str, ...]
    """The national significant number for UK numbers; the code or sender ID otherwise."""
    groups: tuple[tuple[int, ...], ...]

    @classmethod
    def build(cls) -> NumberBook:
        """Return the book of every drama number, short code and sender ID."""
        kinds: list[NumberKind] = []
        values: list[str] = []
        groups: list[tuple[int, ...]] = []
        for drama in DRAMA_RANGES:
            for suffix in range(1000):
                kinds.append(NumberKind.UK)
                values.append(f"{drama.prefix}{suffix:03d}")
                groups.append(drama.groups)
        for code in SHORT_CODES:
            kinds.append(NumberKind.SHORT_CODE)
            values.append(code)
            groups.append(())
        for sender in SENDER_IDS:
            kinds.append(NumberKind.SENDER_ID)
            values.append(sender)
            groups.append(())
        return cls(tuple(kinds), tuple(values), tuple(groups))

    def __len__(self) -> int:
        return len(self.values)

    def index(self, range_label: str, suffix: int) -> int:
        """Return the index of number ``suffix`` (0–999) of the drama range ``range_label``."""
        for position, drama in enumerate(DRAMA_RANGES):
            if drama.label == range_label:
                if not 0 <= suffix <= 999:
                    raise ValueError(f"drama suffix must be 0-999, got {suffix}")
                return position * 1000 + suffix
        raise KeyError(range_label)

    def special(self, value: str) -> int:
        """Return the index of a short code or sender ID."""
        start = len(DRAMA_RANGES) * 1000
        return start + self.values[start:].index(value)

    def render(self, index: int, notation: Notation) -> str:
        """Return number ``index`` written in ``notation``."""
        kind, value = self.kinds[index], self.values[index]
        if kind is not NumberKind.UK:
            return value
        if notation is Notation.INTERNATIONAL:
            return "44" + value
        if notation is Notation.E164:
            return "+44" + value
        if notation is Notation.NO_LEADING_ZERO:
            return value
        return _national_spaced(value, self.groups[index])

    def e164(self, index: int) -> str:
        """Return the E.164 form of a UK number (the code or sender ID for the others)."""
        return self.render(index, Notation.E164)

    def column(self, notation: Notation) -> pa.StringArray:
        """Return every number rendered in ``notation``, as an Arrow array to take rows from."""
        return pa.array([self.render(i, notation) for i in range(len(self))], type=pa.string())


def make_imei(tac: str, serial: int) -> str:
    """Return a 15-digit IMEI: an 8-digit TAC, a 6-digit serial and a correct Luhn check digit."""
    if len(tac) != 8 or not tac.isdigit():
        raise ValueError(f"a TAC is 8 digits, got {tac!r}")
    body = f"{tac}{serial:06d}"
    return body + str(luhn_check_digit(body))


def make_imsi(msin: int) -> str:
    """Return an IMSI on the test network MCC 001 MNC 01: ``00101`` and a 10-digit MSIN."""
    if not 0 <= msin < 10**10:
        raise ValueError(f"an MSIN here is 10 digits, got {msin}")
    return f"00101{msin:010d}"


def rng_stream(seed: int, name: str) -> np.random.Generator:
    """Return an independent random stream for one part of the generator.

    Each part (the story's calls, the masts, the bulk lines …) draws from its own stream, keyed by
    the seed and the part's name, so changing one part does not reshuffle every other.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
