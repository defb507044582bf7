"""IMEI and IMEISV normalisation, with the Luhn check digit.

An IMEI is 15 digits: an 8-digit Type Allocation Code, a 6-digit serial and a Luhn check digit. An
IMEISV is 16 digits: the same 14 digits followed by a 2-digit software version and no check digit
(3GPP TS 23.003; domain brief §7.2).

Networks do not transmit the check digit, so call data records often show 14 digits, or 15 with a
trailing ``0`` added as padding. Devices are therefore matched on the first 14 digits (the
:attr:`Imei.key`), and a Luhn failure is recorded as a warning in :attr:`Imei.note`, never as a
rejection: it may be a typo or padding rather than a counterfeit handset (requirements 24 and 60).

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "NOTE_LUHN_FAILS",
    "NOTE_PADDING",
    "Imei",
    "ImeiKind",
    "is_luhn_valid",
    "luhn_check_digit",
    "normalise_imei",
]

#: Separators people and exporting tools put inside IMEIs: spaces, dashes, dots and slashes.
_SEPARATORS = re.compile(r"[\s\-./]+")

#: Digit sums of 2*d for d in 0..9, used for the doubled positions of the Luhn algorithm.
_DOUBLED_DIGIT_SUM = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)

_TAC_SERIAL_LENGTH = 14
_IMEI_LENGTH = 15
_IMEISV_LENGTH = 16

NOTE_PADDING = "check digit 0 fails Luhn: probably network padding"
NOTE_LUHN_FAILS = "Luhn check fails"


class ImeiKind(StrEnum):
    """What a normalised value turned out to be."""

    IMEI = "imei"
    """14 digits (check digit absent) or 15 digits (check digit present)."""

    IMEISV = "imeisv"
    """16 digits: TAC, serial and a 2-digit software version; no check digit."""

    INVALID = "invalid"
    """Not an IMEI: wrong length or non-digit characters."""


@dataclass(frozen=True, slots=True)
class Imei:
    """A normalised IMEI or IMEISV.

    Attributes:
        original: the value exactly as supplied.
        key: the first 14 digits (TAC + serial), used for matching; ``None`` when invalid.
        value: the digits as given after removing separators (14, 15 or 16 of them); ``None`` when
            invalid.
        kind: IMEI, IMEISV or invalid.
        luhn_ok: whether the check digit passes; ``None`` when there is no check digit to test
            (14 digits, IMEISV, invalid).
        note: why the value is suspect or unusable, for a person; ``None`` when nothing to say.
    """

    original: str
    key: str | None
    value: str | None
    kind: ImeiKind
    luhn_ok: bool | None
    note: str | None

    @property
    def software_version(self) -> str | None:
        """The 2-digit software version of an IMEISV, otherwise ``None``."""
        if self.kind is ImeiKind.IMEISV and self.value is not None:
            return self.value[_TAC_SERIAL_LENGTH:]
        return None

    @property
    def check_digit(self) -> str | None:
        """The check digit as supplied on a 15-digit IMEI, otherwise ``None``."""
        if self.value is not None and len(self.value) == _IMEI_LENGTH:
            return self.value[-1]
        return None


def luhn_check_digit(digits: str) -> int:
    """Compute the Luhn check digit for a string of decimal digits.

    Counting from the right-hand end of ``digits`` (the digit next to where the check digit will
    go), every other digit starting with the rightmost is doubled and its digits summed; the check
    digit is ``(10 - total mod 10) mod 10``. For the 14 digits of an IMEI this doubles positions 2,
    4, …, 14 counted from the left, as domain brief §7.2 describes.

    Args:
        digits: the digits to protect, e.g. the first 14 digits of an IMEI.

    Returns:
        The check digit, 0–9.

    Raises:
        ValueError: if ``digits`` is empty or contains anything other than ASCII digits 0–9.

    Example:
        >>> luhn_check_digit("49015420323751")
        8
    """
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"Luhn needs a non-empty string of digits 0-9, got {digits!r}")
    total = 0
    double = True
    for char in reversed(digits):
        digit = ord(char) - 48
        total += _DOUBLED_DIGIT_SUM[digit] if double else digit
        double = not double
    return (10 - total % 10) % 10


def is_luhn_valid(digits: str) -> bool:
    """Tell whether a string of digits ends in a correct Luhn check digit.

    Args:
        digits: the digits including the check digit as the last one (at least two digits).

    Returns:
        ``True`` when the last digit equals the Luhn check digit of the digits before it.

    Raises:
        ValueError: if ``digits`` has fewer than two characters or contains non-digits.
    """
    if len(digits) < 2:
        raise ValueError(f"Luhn validation needs at least two digits, got {digits!r}")
    body, check = digits[:-1], digits[-1]
    if not check.isascii() or not check.isdigit():
        raise ValueError(f"Luhn needs a string of digits 0-9, got {digits!r}")
    return luhn_check_digit(body) == int(check)


def normalise_imei(raw: str) -> Imei:
    """Normalise an IMEI or IMEISV as found in call data, a handset extraction or a statement.

    Spaces, dashes, dots and slashes are removed. Then:

    * 14 digits: an IMEI without its check digit; ``luhn_ok`` is ``None``.
    * 15 digits: an IMEI with its check digit, which is tested. A failing trailing ``0`` is noted as
      probable network padding; any other failure as a Luhn failure. Neither is a rejection: the
      key is still the first 14 digits.
    * 16 digits: an IMEISV; key is the first 14 digits, the last 2 are the software version, and
      there is no check digit.
    * Anything else (other lengths, letters): kind invalid, key ``None``.

    Args:
        raw: the value as supplied.

    Returns:
        The normalised :class:`Imei`; never raises for bad input.
    """
    digits = _SEPARATORS.sub("", raw)
    if not (digits.isascii() and digits.isdigit()):
        reason = "empty" if not digits else "contains characters other than digits"
        return Imei(raw, None, None, ImeiKind.INVALID, None, f"not an IMEI: {reason}")
    length = len(digits)
    key = digits[:_TAC_SERIAL_LENGTH]
    if length == _TAC_SERIAL_LENGTH:
        return Imei(raw, key, digits, ImeiKind.IMEI, None, None)
    if length == _IMEI_LENGTH:
        if luhn_check_digit(key) == ord(digits[-1]) - 48:
            return Imei(raw, key, digits, ImeiKind.IMEI, True, None)
        note = NOTE_PADDING if digits[-1] == "0" else NOTE_LUHN_FAILS
        return Imei(raw, key, digits, ImeiKind.IMEI, False, note)
    if length == _IMEISV_LENGTH:
        return Imei(raw, key, digits, ImeiKind.IMEISV, None, None)
    return Imei(
        raw,
        None,
        None,
        ImeiKind.INVALID,
        None,
        f"not an IMEI: {length} digits (expected 14, 15 or 16)",
    )
