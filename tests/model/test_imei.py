"""Tests for IMEI/IMEISV normalisation and the Luhn check digit (domain brief §7.2, req. 24, 60)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadline.model.imei import (
    NOTE_LUHN_FAILS,
    NOTE_PADDING,
    Imei,
    ImeiKind,
    is_luhn_valid,
    luhn_check_digit,
    normalise_imei,
)

# Known vectors.
#
# 49015420323751 -> 8 is the vector given in domain.md §7.2.
#
# 35209900176148 -> 1, worked by hand. Double positions 2, 4, ..., 14 (counted from the left):
#   5->10->1, 0->0, 9->18->9, 0->0, 7->14->5, 1->2, 8->16->7; sum 24.
#   Untouched positions 1, 3, ..., 13: 3+2+9+0+1+6+4 = 25. Total 49; check (10 - 9) mod 10 = 1.
#
# 12345678901234 -> 7, worked by hand. Doubled: 2->4, 4->8, 6->12->3, 8->16->7, 0->0, 2->4, 4->8;
#   sum 34. Untouched: 1+3+5+7+9+1+3 = 29. Total 63; check (10 - 3) mod 10 = 7.
#
# 19000000000000 -> 0, worked by hand, chosen so that the check digit is 0: doubled 9->18->9,
#   untouched 1; total 10; check (10 - 0) mod 10 = 0. A 15-digit IMEI ending in a *correct* 0 must
#   not be mistaken for network padding.
LUHN_VECTORS = [
    ("49015420323751", 8),
    ("35209900176148", 1),
    ("12345678901234", 7),
    ("19000000000000", 0),
]


@pytest.mark.parametrize(("digits", "expected"), LUHN_VECTORS)
def test_luhn_check_digit_known_vectors(digits: str, expected: int) -> None:
    assert luhn_check_digit(digits) == expected
    assert is_luhn_valid(digits + str(expected))


@pytest.mark.parametrize("bad", ["", "1234a", "12 34", "١٢٣"])
def test_luhn_check_digit_rejects_non_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        luhn_check_digit(bad)


def test_is_luhn_valid_needs_two_digits() -> None:
    with pytest.raises(ValueError, match="at least two"):
        is_luhn_valid("7")
    assert not is_luhn_valid("490154203237519")


def test_fifteen_digits_with_correct_check_digit() -> None:
    imei = normalise_imei("490154203237518")
    assert imei == Imei(
        original="490154203237518",
        key="49015420323751",
        value="490154203237518",
        kind=ImeiKind.IMEI,
        luhn_ok=True,
        note=None,
    )
    assert imei.check_digit == "8"
    assert imei.software_version is None


def test_fourteen_digits_have_no_check_digit_to_test() -> None:
    imei = normalise_imei("49015420323751")
    assert imei.kind is ImeiKind.IMEI
    assert imei.key == "49015420323751"
    assert imei.luhn_ok is None
    assert imei.note is None
    assert imei.check_digit is None


def test_trailing_zero_padding_is_a_warning_not_a_rejection() -> None:
    imei = normalise_imei("490154203237510")
    assert imei.kind is ImeiKind.IMEI
    assert imei.key == "49015420323751"
    assert imei.luhn_ok is False
    assert imei.note == NOTE_PADDING
    assert "network padding" in imei.note


def test_correct_trailing_zero_is_not_called_padding() -> None:
    imei = normalise_imei("190000000000000")
    assert imei.luhn_ok is True
    assert imei.note is None


def test_other_luhn_failure_is_a_warning() -> None:
    imei = normalise_imei("490154203237519")
    assert imei.kind is ImeiKind.IMEI
    assert imei.key == "49015420323751"
    assert imei.luhn_ok is False
    assert imei.note == NOTE_LUHN_FAILS


@pytest.mark.parametrize(
    "raw",
    [
        "49 015420 323751 8",
        "49-015420-323751-8",
        "49.015420.323751.8",
        "49/015420/323751/8",
        "  490154203237518\t",
    ],
)
def test_separators_are_removed(raw: str) -> None:
    imei = normalise_imei(raw)
    assert imei.original == raw
    assert imei.value == "490154203237518"
    assert imei.luhn_ok is True


def test_imeisv_has_key_and_software_version_and_no_luhn() -> None:
    imei = normalise_imei("4901542032375123")
    assert imei.kind is ImeiKind.IMEISV
    assert imei.key == "49015420323751"
    assert imei.value == "4901542032375123"
    assert imei.software_version == "23"
    assert imei.luhn_ok is None
    assert imei.check_digit is None


@pytest.mark.parametrize(
    "raw", ["", "   ", "1234567890123", "49015420323751234", "4901542032375A8", "IMEI unknown"]
)
def test_invalid_values(raw: str) -> None:
    imei = normalise_imei(raw)
    assert imei.kind is ImeiKind.INVALID
    assert imei.key is None
    assert imei.value is None
    assert imei.luhn_ok is None
    assert imei.note is not None
    assert imei.note.startswith("not an IMEI")


def test_imei_is_frozen() -> None:
    imei = normalise_imei("490154203237518")
    with pytest.raises(dataclasses.FrozenInstanceError):
        imei.key = "x"  # type: ignore[misc]


def test_kind_values() -> None:
    assert [kind.value for kind in ImeiKind] == ["imei", "imeisv", "invalid"]


fourteen_digits = st.text(alphabet="0123456789", min_size=14, max_size=14)


@given(fourteen_digits)
def test_luhn_digit_always_validates_and_keys_agree(digits: str) -> None:
    full = digits + str(luhn_check_digit(digits))
    assert is_luhn_valid(full)

    bare = normalise_imei(digits)
    checked = normalise_imei(full)
    padded = normalise_imei(digits + "0")
    imeisv = normalise_imei(digits + "07")

    assert bare.key == checked.key == padded.key == imeisv.key == digits
    assert checked.luhn_ok is True
    assert checked.note is None
    if full.endswith("0"):
        assert padded.luhn_ok is True
    else:
        assert padded.luhn_ok is False
        assert padded.note == NOTE_PADDING


@given(fourteen_digits, st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_to_the_check_digit_fails(digits: str, shift: int) -> None:
    wrong = (luhn_check_digit(digits) + shift) % 10
    imei = normalise_imei(digits + str(wrong))
    assert imei.luhn_ok is False
    assert imei.key == digits
