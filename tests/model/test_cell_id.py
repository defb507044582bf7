"""Tests for cell global identity parsing (domain brief §7.8)."""

from __future__ import annotations

import pytest

from threadline.model.cell_id import MAX_AREA, MAX_CELL, CellId, parse_cell_id


@pytest.mark.parametrize(
    "raw",
    [
        "234-30-1201-30451",
        "234/30/1201/30451",
        "234:30:1201:30451",
        "234 30 1201 30451",
        "  234 - 30 - 1201 - 30451  ",
        "234-30-01201-030451",
    ],
)
def test_four_part_forms(raw: str) -> None:
    cell = parse_cell_id(raw)
    assert cell is not None
    assert cell.original == raw
    assert (cell.mcc, cell.mnc, cell.area, cell.cell) == ("234", "30", 1201, 30451)
    assert cell.key == "234-30-1201-30451"


def test_mnc_zero_padded_to_two_and_three_digit_mnc_kept() -> None:
    short = parse_cell_id("234-3-1201-30451")
    assert short is not None
    assert short.key == "234-03-1201-30451"
    three = parse_cell_id("310-150-2001-123456789")
    assert three is not None
    assert three.key == "310-150-2001-123456789"
    padded_three = parse_cell_id("722-070-1-2")
    assert padded_three is not None
    assert padded_three.mnc == "070"


@pytest.mark.parametrize("raw", ["1201/30451", "1201-30451", "1201:30451", "1201 30451"])
def test_two_part_forms_use_the_declared_network(raw: str) -> None:
    cell = parse_cell_id(raw, mcc="234", mnc="30")
    assert cell == CellId(original=raw, mcc="234", mnc="30", area=1201, cell=30451)
    assert cell.key == "234-30-1201-30451"


def test_two_part_form_needs_the_network() -> None:
    with pytest.raises(ValueError, match="MCC and MNC must be declared"):
        parse_cell_id("1201/30451")
    with pytest.raises(ValueError, match="MCC and MNC must be declared"):
        parse_cell_id("1201/30451", mcc="234")


def test_two_part_form_validates_the_declared_network() -> None:
    with pytest.raises(ValueError, match="MCC must be 3 digits"):
        parse_cell_id("1201/30451", mcc="23", mnc="30")
    with pytest.raises(ValueError, match="MNC must be 1 to 3 digits"):
        parse_cell_id("1201/30451", mcc="234", mnc="3000")
    cell = parse_cell_id("1201/30451", mcc="001", mnc="1")
    assert cell is not None
    assert cell.key == "001-01-1201-30451"


@pytest.mark.parametrize("raw", ["", "   ", "\t"])
def test_blank_is_none(raw: str) -> None:
    assert parse_cell_id(raw) is None
    assert parse_cell_id(raw, mcc="234", mnc="30") is None


@pytest.mark.parametrize(
    "raw",
    [
        "234-30-1201",  # three parts
        "234-30 1201-30451",  # mixed separators
        "234-30-04B1-76F3",  # hexadecimal
        "2345-30-1201-30451",  # four-digit MCC
        "234-3000-1201-30451",  # four-digit MNC
        "cell 30451",
        "234-30-1201-30451-7",
    ],
)
def test_unrecognised_forms_raise_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ValueError, match="not understood: expected 'MCC-MNC-AREA-CELL'"):
        parse_cell_id(raw, mcc="234", mnc="30")


def test_ranges() -> None:
    # A 5G cell: 24-bit TAC and 36-bit NCI at their maxima.
    biggest = parse_cell_id(f"234-30-{MAX_AREA}-{MAX_CELL}")
    assert biggest is not None
    assert biggest.area == 16_777_215
    assert biggest.cell == 68_719_476_735
    with pytest.raises(ValueError, match="24-bit"):
        parse_cell_id(f"234-30-{MAX_AREA + 1}-1")
    with pytest.raises(ValueError, match="36-bit"):
        parse_cell_id(f"234-30-1-{MAX_CELL + 1}")


def test_non_ascii_digits_are_refused() -> None:
    with pytest.raises(ValueError, match="not understood"):
        parse_cell_id("٢٣٤-30-1201-30451")
