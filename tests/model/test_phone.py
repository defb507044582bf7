"""Tests for telephone number normalisation (domain brief §7.1; requirements 59 and 66).

Every UK number here is an Ofcom drama number except where a real range is needed to show a
classification (070 personal numbering, 076 pagers, Isle of Man and Channel Islands mobiles); those
use arbitrary digits in the range and belong to nobody known.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from threadline.model.phone import (
    DRAMA_RANGES,
    NOTE_LEADING_ZERO,
    PhoneKind,
    PhoneNumber,
    normalise_phone,
)

# (raw, expected e164, expected kind, expected region)
FORMS: list[tuple[str, str | None, PhoneKind, str | None]] = [
    # Spaces, dashes, brackets, dots.
    ("07700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("07700-900-123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("(07700) 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("07700.900.123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("(0)7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("tel:+447700900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    # International prefixes and the "(0)" error.
    ("+447700900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("+44 (0)7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("+44 (0) 7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("0044 7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("0044 (0)7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("447700900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    ("44 7700 900123", "+447700900123", PhoneKind.MOBILE, "GB"),
    # Drama geographic and non-geographic ranges.
    ("01632 960123", "+441632960123", PhoneKind.FIXED, "GB"),
    ("020 7946 0123", "+442079460123", PhoneKind.FIXED, "GB"),
    ("0113 496 0000", "+441134960000", PhoneKind.FIXED, "GB"),
    ("0161 496 0999", "+441614960999", PhoneKind.FIXED, "GB"),
    ("028 9649 6500", "+442896496500", PhoneKind.FIXED, "GB"),
    ("029 2018 0123", "+442920180123", PhoneKind.FIXED, "GB"),
    ("0191 498 0123", "+441914980123", PhoneKind.FIXED, "GB"),
    ("0808 157 0123", "+448081570123", PhoneKind.FREEPHONE, "GB"),
    ("0909 879 0123", "+449098790123", PhoneKind.PREMIUM, "GB"),
    ("03069 990123", "+443069990123", PhoneKind.UAN, "GB"),
    # Real ranges, for classification (requirement 59).
    ("070 1234 5678", "+447012345678", PhoneKind.PERSONAL, "GB"),
    ("07624 300123", "+447624300123", PhoneKind.ISLE_OF_MAN_MOBILE, "IM"),
    ("07641 123456", "+447641123456", PhoneKind.PAGER, "GB"),
    ("07797 123456", "+447797123456", PhoneKind.MOBILE, "JE"),
    ("07911 123456", "+447911123456", PhoneKind.MOBILE, "GG"),
    ("0800 1111", "+448001111", PhoneKind.FREEPHONE, "GB"),
    ("056 1234 5678", "+445612345678", PhoneKind.VOIP, "GB"),
    # International numbers keep their own region.
    ("+33 6 12 34 56 78", "+33612345678", PhoneKind.MOBILE, "FR"),
    ("+33 (0)6 12 34 56 78", "+33612345678", PhoneKind.MOBILE, "FR"),
    ("0033 6 12 34 56 78", "+33612345678", PhoneKind.MOBILE, "FR"),
    ("+353 85 123 4567", "+353851234567", PhoneKind.MOBILE, "IE"),
    ("+1 202 555 0123", "+12025550123", PhoneKind.OTHER, "US"),  # fixed-line-or-mobile
]


@pytest.mark.parametrize(("raw", "e164", "kind", "region"), FORMS)
def test_forms(raw: str, e164: str, kind: PhoneKind, region: str) -> None:
    number = normalise_phone(raw)
    assert number.original == raw
    assert number.e164 == e164
    assert number.kind is kind
    assert number.region == region
    assert number.valid


def test_drama_mobile_in_full() -> None:
    assert normalise_phone("07700 900123") == PhoneNumber(
        original="07700 900123",
        e164="+447700900123",
        kind=PhoneKind.MOBILE,
        region="GB",
        valid=True,
        fictional=True,
        note="Ofcom drama number (fictional)",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "07700 900000",
        "07700 900999",
        "01632 960000",
        "01632 960999",
        "0114 496 0500",
        "0115 496 0500",
        "0116 496 0500",
        "0117 496 0500",
        "0118 496 0500",
        "0121 496 0500",
        "0131 496 0500",
        "0141 496 0500",
        "0151 496 0500",
        "028 9649 6000",
        "028 9649 6999",
        "0808 157 0999",
        "0909 879 0000",
        "03069 990999",
    ],
)
def test_drama_ranges_are_valid_and_fictional(raw: str) -> None:
    number = normalise_phone(raw)
    assert number.valid
    assert number.fictional


@pytest.mark.parametrize(
    "raw",
    [
        "07700 901000",  # just past the drama mobile range
        "07700 899999",  # just before it
        "01632 961000",
        "028 9649 7000",
        "020 7946 1000",
    ],
)
def test_numbers_next_to_drama_ranges_are_not_fictional(raw: str) -> None:
    assert not normalise_phone(raw).fictional


def test_drama_table_has_all_ranges() -> None:
    assert len(DRAMA_RANGES) == 20
    assert all(len(prefix) == 7 for prefix in DRAMA_RANGES)


def test_070_is_personal_not_mobile() -> None:
    number = normalise_phone("07012 345678")
    assert number.kind is PhoneKind.PERSONAL
    assert number.kind.value != "mobile"


def test_07624_is_isle_of_man_mobile() -> None:
    number = normalise_phone("+44 7624 300123")
    assert number.kind is PhoneKind.ISLE_OF_MAN_MOBILE
    assert number.region == "IM"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("7700900123", "+447700900123"),  # 10 digits starting 7
        ("1632960123", "+441632960123"),  # 10 digits starting 1
        ("2079460123", "+442079460123"),  # 10 digits starting 2
        ("800123456", None),  # 9 digits starting 8: not restored
    ],
)
def test_leading_zero_lost_in_a_spreadsheet(raw: str, e164: str | None) -> None:
    number = normalise_phone(raw)
    if e164 is None:
        assert number.note is None or NOTE_LEADING_ZERO not in number.note
    else:
        assert number.e164 == e164
        assert number.valid
        assert number.note is not None
        assert NOTE_LEADING_ZERO in number.note


def test_nine_digit_geographic_leading_zero_restored() -> None:
    # 01xxx xxxxx areas with 9-digit NSNs exist; "169772345" -> 0169772345 (Brampton, 9 digits).
    number = normalise_phone("169772345")
    assert number.e164 == "+44169772345"
    assert number.note is not None
    assert NOTE_LEADING_ZERO in number.note


def test_leading_zero_not_restored_for_other_default_regions() -> None:
    number = normalise_phone("7700900123", default_region="FR")
    assert number.note is None or NOTE_LEADING_ZERO not in number.note


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "Withheld",
        "WITHHELD",
        "Number withheld",
        "Private",
        "PRIVATE NUMBER",
        "unknown",
        "Anonymous",
        "Restricted",
        "n/a",
        "-",
    ],
)
def test_withheld(raw: str) -> None:
    number = normalise_phone(raw)
    assert number.kind is PhoneKind.WITHHELD
    assert number.e164 is None
    assert not number.valid
    assert not number.fictional
    assert number.region is None


@pytest.mark.parametrize("raw", ["CoopMobile", "HSBC UK", "O2", "NatWest", "Amazon"])
def test_alphanumeric_sender_ids(raw: str) -> None:
    number = normalise_phone(raw)
    assert number.kind is PhoneKind.ALPHANUMERIC
    assert number.e164 is None
    assert not number.valid


def test_letters_beyond_a_sender_id_are_invalid() -> None:
    number = normalise_phone("07700 900123 ext 4")
    assert number.kind is PhoneKind.INVALID
    assert number.e164 is None


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("999", "emergency"),
        ("112", "emergency"),
        ("101", "police non-emergency"),
        ("111", "NHS non-emergency"),
        ("116123", "harmonised service"),
        ("116000", "harmonised service"),
        ("61234", "short code 61234"),
        ("1571", "voicemail"),
    ],
)
def test_short_codes(raw: str, label: str) -> None:
    number = normalise_phone(raw)
    assert number.kind is PhoneKind.SHORT_CODE
    assert number.e164 is None
    assert number.note is not None
    assert raw in number.note
    assert label in number.note


def test_service_codes() -> None:
    number = normalise_phone("*100#")
    assert number.kind is PhoneKind.SHORT_CODE
    assert number.e164 is None
    assert number.note == "network service code *100#"


@pytest.mark.parametrize(
    ("raw", "e164", "reason"),
    [
        ("07911 12345", "+44791112345", "wrong length (too short)"),
        ("+44 7911 123456 7", "+4479111234567", "wrong length (too long)"),
        ("07612 345678", "+447612345678", "number range not allocated"),
        ("04123 456789", "+444123456789", "no UK numbers start 04"),
    ],
)
def test_invalid_uk_numbers_keep_a_best_effort_e164(raw: str, e164: str, reason: str) -> None:
    number = normalise_phone(raw)
    assert not number.valid
    assert number.kind is PhoneKind.INVALID
    assert number.e164 == e164
    assert number.region == "GB"
    assert number.note == f"not a valid UK number: {reason}"


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        ("+999 123456", "not a valid number: unknown country code"),
        ("+44", "no digits after the UK prefix"),
        ("12", "too short to be a phone number"),
        ("0770#0900123", "not a phone number: unexpected characters"),
    ],
)
def test_unusable_values_have_no_e164(raw: str, note: str) -> None:
    number = normalise_phone(raw)
    assert number.kind is PhoneKind.INVALID
    assert number.e164 is None
    assert not number.valid
    assert number.note == note


def test_invalid_foreign_number() -> None:
    number = normalise_phone("+33 6 12")
    assert not number.valid
    assert number.kind is PhoneKind.INVALID
    assert number.region == "FR"
    assert number.e164 == "+33612"
    assert number.note is not None
    assert number.note.startswith("not a valid number for FR")


def test_redundant_zero_after_country_code_is_noted() -> None:
    number = normalise_phone("+4407700900123")
    assert number.e164 == "+447700900123"
    assert number.note is not None
    assert "0 after the country code removed" in number.note


def test_other_default_region() -> None:
    number = normalise_phone("06 12 34 56 78", default_region="FR")
    assert number.e164 == "+33612345678"
    assert number.region == "FR"
    assert number.kind is PhoneKind.MOBILE


def test_kind_vocabulary() -> None:
    assert {kind.value for kind in PhoneKind} == {
        "mobile",
        "fixed",
        "personal",
        "pager",
        "isle_of_man_mobile",
        "freephone",
        "premium",
        "shared_cost",
        "voip",
        "uan",
        "short_code",
        "alphanumeric",
        "withheld",
        "invalid",
        "other",
    }


# Property tests -----------------------------------------------------------------------------

_SEPARATOR = st.sampled_from(["", " ", "-", "."])


@st.composite
def drama_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(DRAMA_RANGES)))
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    separator = draw(_SEPARATOR)
    nsn = prefix + tail
    return draw(
        st.sampled_from([f"0{nsn[:4]}{separator}{nsn[4:]}", f"+44{separator}{nsn}", f"0044{nsn}"])
    )


@st.composite
def plausible_numbers(draw: st.DrawFn) -> str:
    start, length = draw(
        st.sampled_from(
            [
                ("071", 8),
                ("074", 8),
                ("075", 8),
                ("077", 8),
                ("078", 8),
                ("079", 8),
                ("020", 8),
                ("0121", 7),
                ("0113", 7),
                ("0800", 6),
                ("0300", 7),
                ("+336", 8),
                ("+3538", 8),
                ("+4917", 9),
            ]
        )
    )
    return start + draw(st.text(alphabet="0123456789", min_size=length, max_size=length))


@given(st.one_of(drama_numbers(), plausible_numbers()))
def test_normalise_phone_is_idempotent_on_its_e164(raw: str) -> None:
    first = normalise_phone(raw)
    assume(first.valid)
    assert first.e164 is not None
    second = normalise_phone(first.e164)
    assert second.e164 == first.e164
    assert second.kind is first.kind
    assert second.region == first.region
    assert second.valid
    assert second.fictional == first.fictional
    # The international "00" form and a foreign default region change nothing either.
    assert normalise_phone("00" + first.e164[1:]).e164 == first.e164
    assert normalise_phone(first.e164, default_region="FR").kind is first.kind


@given(drama_numbers())
def test_every_drama_number_is_valid_and_fictional(raw: str) -> None:
    number = normalise_phone(raw)
    assert number.valid
    assert number.fictional
    assert number.region == "GB"


@given(st.text(max_size=30))
def test_normalise_phone_never_raises(raw: str) -> None:
    number = normalise_phone(raw)
    assert number.original == raw
    if number.e164 is None:
        assert not number.valid
    else:
        assert number.e164.startswith("+")
        assert number.e164[1:].isdigit()
