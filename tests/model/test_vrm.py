"""VRM normalisation and format classification (domain.md §7.5; requirement 61).

Vectors are fictional marks built by hand from the rules in DVLA INF104 as domain.md §7.5 states
them; each says why it lands where it does.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadline.model.vrm import MAX_VRM_LENGTH, VrmFormat, normalise_vrm

CLASSIFIED = [
    # current: memory tag AB, age identifier 24 (March-August 2024), random letters CDE
    ("AB24 CDE", "AB24CDE", VrmFormat.CURRENT, "AB24 CDE"),
    ("ab24cde", "AB24CDE", VrmFormat.CURRENT, "AB24 CDE"),
    ("  Ab-24.cDe ", "AB24CDE", VrmFormat.CURRENT, "AB24 CDE"),
    ("YX74 ZZA", "YX74ZZA", VrmFormat.CURRENT, "YX74 ZZA"),  # 74: September 2024-February 2025
    ("LN51 KFC", "LN51KFC", VrmFormat.CURRENT, "LN51 KFC"),  # 51: the first, September 2001
    # prefix: age letter A, serial 123, letters BCD
    ("A123 BCD", "A123BCD", VrmFormat.PREFIX, "A123 BCD"),
    ("P7 XYZ", "P7XYZ", VrmFormat.PREFIX, "P7 XYZ"),
    # suffix: letters ABC, serial 123, age letter D
    ("ABC 123D", "ABC123D", VrmFormat.SUFFIX, "ABC 123D"),
    ("XYZ 9K", "XYZ9K", VrmFormat.SUFFIX, "XYZ 9K"),
    # Q plate: age or identity unknown
    ("Q123 ABC", "Q123ABC", VrmFormat.Q_PLATE, "Q123 ABC"),
    # dateless: 1-3 letters and 1-4 digits, either way round, no I, Q or Z
    ("ABC 123", "ABC123", VrmFormat.DATELESS, "ABC 123"),
    ("1234 AB", "1234AB", VrmFormat.DATELESS, "1234 AB"),
    ("A 1", "A1", VrmFormat.DATELESS, "A 1"),
    ("JB 1", "JB1", VrmFormat.DATELESS, "JB 1"),
    # Northern Ireland: the same shapes with I or Z among the letters
    ("ABZ 1234", "ABZ1234", VrmFormat.NORTHERN_IRELAND, "ABZ 1234"),
    ("IA 1", "IA1", VrmFormat.NORTHERN_IRELAND, "IA 1"),
    ("1234 OI", "1234OI", VrmFormat.NORTHERN_IRELAND, "1234 OI"),
    # diplomatic: three digits, D or X, three digits
    ("123 D 456", "123D456", VrmFormat.DIPLOMATIC, "123 D 456"),
    ("101X202", "101X202", VrmFormat.DIPLOMATIC, "101 X 202"),
    # letters and digits in no UK shape: kept, format unknown
    ("AZ24 CDE", "AZ24CDE", VrmFormat.UNKNOWN, "AZ24CDE"),  # Z never in a memory tag
    ("AB24 CDI", "AB24CDI", VrmFormat.UNKNOWN, "AB24CDI"),  # I never a random letter
    ("O123 ABC", "O123ABC", VrmFormat.UNKNOWN, "O123ABC"),  # O is not an age letter
    ("ABC 123U", "ABC123U", VrmFormat.UNKNOWN, "ABC123U"),  # nor is U
    ("A0123 BC", "A0123BC", VrmFormat.UNKNOWN, "A0123BC"),  # serials have no leading zero
    ("ABC 12345", "ABC12345", VrmFormat.UNKNOWN, "ABC12345"),  # dateless has at most 4 digits
    ("ABQ 123", "ABQ123", VrmFormat.UNKNOWN, "ABQ123"),  # Q is not a dateless letter
    ("B 123 XYZ", "B123XYZ", VrmFormat.PREFIX, "B123 XYZ"),
    ("HELLO", "HELLO", VrmFormat.UNKNOWN, "HELLO"),
    ("1234", "1234", VrmFormat.UNKNOWN, "1234"),
    ("WOB12345A", "WOB12345A", VrmFormat.UNKNOWN, "WOB12345A"),
]


@pytest.mark.parametrize(("raw", "value", "vrm_format", "display"), CLASSIFIED)
def test_known_vectors(raw: str, value: str, vrm_format: VrmFormat, display: str) -> None:
    vrm = normalise_vrm(raw)
    assert vrm is not None
    assert (vrm.original, vrm.value, vrm.format, vrm.display) == (raw, value, vrm_format, display)


@pytest.mark.parametrize("raw", ["", "   ", "-", "AB24 CDÉ", "AB24_CDE", "AB24/CDE", "A" * 11])
def test_not_a_mark(raw: str) -> None:
    assert normalise_vrm(raw) is None


def test_longest_mark_accepted() -> None:
    assert normalise_vrm("A" * MAX_VRM_LENGTH) is not None


def test_labels_read_as_words() -> None:
    assert VrmFormat.CURRENT.label == "current format (2001 on)"
    assert VrmFormat.NORTHERN_IRELAND.label == "Northern Ireland format"
    assert len({f.label for f in VrmFormat}) == len(VrmFormat)


_MARK = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=12)


@given(_MARK)
def test_normalising_is_stable(raw: str) -> None:
    vrm = normalise_vrm(raw)
    if vrm is None:
        return
    assert vrm.value == vrm.value.upper()
    assert " " not in vrm.value
    again = normalise_vrm(vrm.display)
    assert again is not None
    assert (again.value, again.format, again.display) == (vrm.value, vrm.format, vrm.display)
    lower = normalise_vrm(raw.lower())
    assert lower is not None
    assert (lower.value, lower.format) == (vrm.value, vrm.format)
