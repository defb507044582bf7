"""IMSI normalisation: splitting a subscriber identity into MCC, MNC and MSIN.

An IMSI is up to 15 digits: a 3-digit Mobile Country Code, a 2- or 3-digit Mobile Network Code and
the Mobile Subscription Identification Number (3GPP TS 23.003; domain brief §7.3). It identifies the
subscription (the SIM), not the handset.

Nothing in the digits says whether the MNC has 2 or 3 digits; that is decided per country by the
numbering authority. Threadline uses the small table :data:`THREE_DIGIT_MNC_MCCS` below and treats
every other MCC, including the UK's 234 and 235 and the test network 001, as using 2-digit MNCs.
When the source writes the IMSI with separators that show the split (``234-30-1234567890``), that
split is used instead of the table. Requirement 60 asks for the MCC/MNC split; requirement 66 asks
fixtures to use test-network IMSIs (MCC 001).

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_IMSI_LENGTH",
    "MIN_IMSI_LENGTH",
    "TEST_MCC",
    "THREE_DIGIT_MNC_MCCS",
    "UK_MCCS",
    "Imsi",
    "mnc_length_for",
    "normalise_imsi",
]

#: Mobile Country Codes whose networks use 3-digit Mobile Network Codes. A deliberately small table
#: of the well-known cases (ITU-T E.212 list; verify against the current edition):
#:
#: * 302 Canada; 310–316 United States; 334 Mexico;
#: * Caribbean: 338 Jamaica, 342 Barbados, 344 Antigua and Barbuda, 346 Cayman Islands, 348 British
#:   Virgin Islands, 354 Montserrat, 356 Saint Kitts and Nevis, 358 Saint Lucia, 360 Saint Vincent
#:   and the Grenadines, 365 Anguilla, 376 Turks and Caicos Islands;
#: * 405 India: *mixed*. Most 405 networks have 3-digit MNCs (405-025, 405-854 …) but some older
#:   ones have 2 (405-01 … 405-99 allocations exist). Treated as 3 here; an investigator who knows
#:   the network can override with ``mnc_length`` or by writing the IMSI with separators.
#: * 708 Honduras; 722 Argentina; 732 Colombia.
#:
#: Every other MCC (including the UK's 234 and 235 and the test network 001) is taken to use 2.
THREE_DIGIT_MNC_MCCS: frozenset[str] = frozenset(
    {
        "302",
        "310",
        "311",
        "312",
        "313",
        "314",
        "315",
        "316",
        "334",
        "338",
        "342",
        "344",
        "346",
        "348",
        "354",
        "356",
        "358",
        "360",
        "365",
        "376",
        "405",
        "708",
        "722",
        "732",
    }
)

#: The United Kingdom's Mobile Country Codes.
UK_MCCS: frozenset[str] = frozenset({"234", "235"})

#: The MCC of test networks; synthetic fixtures use it (requirement 66).
TEST_MCC = "001"

#: An IMSI has at most 15 digits (3GPP TS 23.003).
MAX_IMSI_LENGTH = 15

#: The shortest value accepted: MCC (3) + a 2-digit MNC + at least one MSIN digit.
MIN_IMSI_LENGTH = 6

#: Separators removed before splitting.
_SEPARATORS = re.compile(r"[\s\-./:]+")

#: A value written with its split shown: MCC, MNC, MSIN separated by one kind of separator.
_WRITTEN_SPLIT = re.compile(r"^(\d{3})([\s\-./:])(\d{2,3})\2(\d+)$", re.ASCII)


@dataclass(frozen=True, slots=True)
class Imsi:
    """A normalised IMSI.

    Attributes:
        original: the value exactly as supplied.
        value: the digits without separators; ``None`` when not digits or the wrong length.
        mcc: the 3-digit Mobile Country Code; ``None`` when invalid.
        mnc: the 2- or 3-digit Mobile Network Code; ``None`` when invalid.
        msin: the subscription number that follows; ``None`` when invalid.
        valid: whether the value is a well-formed IMSI (digits only, 6 to 15 of them).
        note: why it is invalid or unusual, for a person; ``None`` when nothing to say.
    """

    original: str
    value: str | None
    mcc: str | None
    mnc: str | None
    msin: str | None
    valid: bool
    note: str | None

    @property
    def plmn(self) -> str | None:
        """The network identity ``mcc-mnc`` (e.g. ``234-30``), or ``None`` when invalid."""
        if self.mcc is None or self.mnc is None:
            return None
        return f"{self.mcc}-{self.mnc}"

    @property
    def is_uk(self) -> bool:
        """Whether the subscription belongs to a UK network (MCC 234 or 235)."""
        return self.mcc in UK_MCCS

    @property
    def is_test_network(self) -> bool:
        """Whether the subscription belongs to the test network MCC 001."""
        return self.mcc == TEST_MCC


def mnc_length_for(mcc: str) -> int:
    """Return how many digits the Mobile Network Codes under ``mcc`` have, from the table.

    Args:
        mcc: a 3-digit Mobile Country Code.

    Returns:
        3 for the MCCs in :data:`THREE_DIGIT_MNC_MCCS`, otherwise 2.
    """
    return 3 if mcc in THREE_DIGIT_MNC_MCCS else 2


def _invalid(raw: str, note: str) -> Imsi:
    return Imsi(raw, None, None, None, None, False, note)


def normalise_imsi(raw: str, *, mnc_length: int | None = None) -> Imsi:
    """Normalise an IMSI and split it into MCC, MNC and MSIN.

    Spaces, dashes, dots, slashes and colons are removed. The MNC length comes from, in order:
    ``mnc_length`` when given; the split the source wrote (``310-150-123456789``); the table
    :data:`THREE_DIGIT_MNC_MCCS`.

    Args:
        raw: the value as supplied.
        mnc_length: 2 or 3 to force the MNC length when the network is known.

    Returns:
        The normalised :class:`Imsi`; never raises for bad input.

    Raises:
        ValueError: if ``mnc_length`` is given and is neither 2 nor 3 (a programming error).
    """
    if mnc_length is not None and mnc_length not in (2, 3):
        raise ValueError(f"mnc_length must be 2 or 3, got {mnc_length}")
    text = raw.strip()
    digits = _SEPARATORS.sub("", text)
    if not digits:
        return _invalid(raw, "not an IMSI: empty")
    if not (digits.isascii() and digits.isdigit()):
        return _invalid(raw, "not an IMSI: contains characters other than digits")
    length = len(digits)
    if length > MAX_IMSI_LENGTH:
        return _invalid(raw, f"not an IMSI: {length} digits (at most {MAX_IMSI_LENGTH})")
    if length < MIN_IMSI_LENGTH:
        return _invalid(raw, f"not an IMSI: {length} digits (too short)")
    mcc = digits[:3]
    if mnc_length is None:
        written = _WRITTEN_SPLIT.match(text)
        mnc_length = len(written.group(3)) if written else mnc_length_for(mcc)
    mnc = digits[3 : 3 + mnc_length]
    msin = digits[3 + mnc_length :]
    if not msin:
        return _invalid(raw, f"not an IMSI: {length} digits leave no subscription number")
    note = None
    if length < MAX_IMSI_LENGTH:
        note = f"{length} digits: shorter than the usual {MAX_IMSI_LENGTH}"
    return Imsi(raw, digits, mcc, mnc, msin, True, note)
