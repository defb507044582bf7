"""Tests for IMSI normalisation and the MCC/MNC split (domain brief §7.3, req. 60, 66)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadline.model.imsi import (
    THREE_DIGIT_MNC_MCCS,
    Imsi,
    mnc_length_for,
    normalise_imsi,
)


def test_test_network_imsi() -> None:
    imsi = normalise_imsi("001010123456789")
    assert imsi == Imsi(
        original="001010123456789",
        value="001010123456789",
        mcc="001",
        mnc="01",
        msin="0123456789",
        valid=True,
        note=None,
    )
    assert imsi.is_test_network
    assert not imsi.is_uk
    assert imsi.plmn == "001-01"


@pytest.mark.parametrize(
    ("raw", "mnc"),
    [
        ("234101234567890", "10"),  # O2
        ("234151234567890", "15"),  # Vodafone
        ("234201234567890", "20"),  # Three
        ("234301234567890", "30"),  # EE
        ("235771234567890", "77"),
    ],
)
def test_uk_imsis_use_two_digit_mncs(raw: str, mnc: str) -> None:
    imsi = normalise_imsi(raw)
    assert imsi.valid
    assert imsi.mcc == raw[:3]
    assert imsi.mnc == mnc
    assert imsi.msin == raw[5:]
    assert imsi.is_uk
    assert not imsi.is_test_network


@pytest.mark.parametrize(
    ("raw", "mcc", "mnc", "msin"),
    [
        ("310150123456789", "310", "150", "123456789"),  # United States
        ("302720123456789", "302", "720", "123456789"),  # Canada
        ("722070123456789", "722", "070", "123456789"),  # Argentina
        ("405854123456789", "405", "854", "123456789"),  # India (mixed; table says 3)
        ("208011234567890", "208", "01", "1234567890"),  # France: 2 digits
    ],
)
def test_mnc_length_comes_from_the_table(raw: str, mcc: str, mnc: str, msin: str) -> None:
    imsi = normalise_imsi(raw)
    assert (imsi.mcc, imsi.mnc, imsi.msin) == (mcc, mnc, msin)
    assert imsi.valid


def test_table_contents() -> None:
    for mcc in ("302", "310", "311", "312", "313", "314", "315", "316", "334", "405", "732"):
        assert mnc_length_for(mcc) == 3
    for mcc in ("234", "235", "001", "208", "262"):
        assert mcc not in THREE_DIGIT_MNC_MCCS
        assert mnc_length_for(mcc) == 2


def test_written_split_overrides_the_table() -> None:
    imsi = normalise_imsi("405-25-1234567890")
    assert (imsi.mcc, imsi.mnc, imsi.msin) == ("405", "25", "1234567890")
    assert imsi.value == "405251234567890"


def test_explicit_mnc_length_overrides_everything() -> None:
    imsi = normalise_imsi("405-254-12345678", mnc_length=2)
    assert (imsi.mcc, imsi.mnc) == ("405", "25")
    with pytest.raises(ValueError, match="2 or 3"):
        normalise_imsi("001010123456789", mnc_length=4)


def test_separators_removed_and_short_imsi_noted() -> None:
    imsi = normalise_imsi(" 234 30 123456789 ")
    assert imsi.valid
    assert imsi.value == "23430123456789"
    assert imsi.note == "14 digits: shorter than the usual 15"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("2343012345678901", "at most 15"),
        ("23430", "too short"),
        ("23430X234567890", "other than digits"),
        ("001-01", "too short"),
    ],
)
def test_invalid_imsis(raw: str, reason: str) -> None:
    imsi = normalise_imsi(raw)
    assert not imsi.valid
    assert imsi.value is None
    assert imsi.mcc is None
    assert imsi.plmn is None
    assert not imsi.is_uk
    assert imsi.note is not None
    assert reason in imsi.note


def test_no_room_for_msin_is_invalid() -> None:
    imsi = normalise_imsi("310150")
    assert not imsi.valid
    assert imsi.note is not None
    assert "no subscription number" in imsi.note


@given(st.text(alphabet="0123456789", min_size=6, max_size=15))
def test_split_reassembles_the_digits(digits: str) -> None:
    imsi = normalise_imsi(digits)
    if imsi.valid:
        assert imsi.mcc is not None
        assert imsi.mnc is not None
        assert imsi.msin is not None
        assert imsi.mcc + imsi.mnc + imsi.msin == digits
        assert len(imsi.mnc) == mnc_length_for(digits[:3])
