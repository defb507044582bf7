"""Reading search text into identifier keys and words (issue 3 search; requirements 24, 35, 59,
61)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.search_query import (
    MAX_WORDS,
    EntityTerm,
    SearchQuery,
    interpret_query,
    person_key,
)


def _terms(query: SearchQuery) -> list[tuple[EntityKind, str]]:
    return [(t.kind, t.key) for t in query.terms]


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "447700900123",
        "00447700900123",
        "0044 7700 900 123",
        "  07700-900-123 ",
        "7700900123",  # a spreadsheet ate the leading zero
    ],
)
def test_a_number_in_any_written_form_is_one_key(text: str) -> None:
    query = interpret_query(text)
    assert _terms(query) == [(EntityKind.NUMBER, "+447700900123")]
    # identifiers only: not also words, so every form finds exactly the same rows
    assert query.words == ()
    assert query.description == "telephone number +447700900123"


@pytest.mark.parametrize(
    ("text", "terms", "reading"),
    [
        # 15 digits with a correct Luhn digit. 35693803564380 -> 9 by hand: doubled positions
        # 2, 4, ..., 14 are 5->1, 9->9, 8->7, 3->6, 6->3, 3->6, 0->0 (sum 32), the others
        # 3+6+3+0+5+4+8 = 29; total 61, check (10 - 1) mod 10 = 9. An IMEI, and as 15 digits
        # possibly an IMSI too: both are kept
        (
            "356938035643809",
            [(EntityKind.HANDSET, "35693803564380"), (EntityKind.SIM, "356938035643809")],
            "handset 35693803564380 (IMEI of 15 digits, matched on the first 14); "
            "SIM (IMSI) 356938035643809",
        ),
        (
            "35693803564380",
            [(EntityKind.HANDSET, "35693803564380"), (EntityKind.SIM, "35693803564380")],
            "handset 35693803564380 (IMEI of 14 digits, matched on the first 14); "
            "SIM (IMSI) 35693803564380",
        ),
        # 16 digits: an IMEISV (software version 12); never an IMSI (at most 15 digits)
        (
            "3569380356438012",
            [(EntityKind.HANDSET, "35693803564380")],
            "handset 35693803564380 (IMEISV of 16 digits, matched on the first 14)",
        ),
        (
            "35-693803-564380-9",
            [(EntityKind.HANDSET, "35693803564380"), (EntityKind.SIM, "356938035643809")],
            "handset 35693803564380 (IMEI of 15 digits, matched on the first 14); "
            "SIM (IMSI) 356938035643809",
        ),
        # a test-network IMSI is 15 digits too
        (
            "001010123456789",
            [(EntityKind.HANDSET, "00101012345678"), (EntityKind.SIM, "001010123456789")],
            "handset 00101012345678 (IMEI of 15 digits, matched on the first 14); "
            "SIM (IMSI) 001010123456789",
        ),
        (
            "ab24 cde",
            [(EntityKind.VEHICLE, "AB24CDE")],
            "vehicle registration AB24 CDE, current format (2001 on)",
        ),
        (
            "ABC 123D",
            [(EntityKind.VEHICLE, "ABC123D")],
            "vehicle registration ABC 123D, suffix format (1963-1983)",
        ),
    ],
)
def test_identifiers(text: str, terms: list[tuple[EntityKind, str]], reading: str) -> None:
    query = interpret_query(text)
    assert _terms(query) == terms
    assert query.words == ()
    assert query.description == reading


def test_a_name_is_a_name_as_recorded_and_words() -> None:
    query = interpret_query("  Ana   POP ")
    assert _terms(query) == [(EntityKind.PERSON, "ana pop")]
    assert query.words == ("ana", "pop")
    assert query.description == 'name as recorded "ana pop"; text containing all of "ana", "pop"'
    assert query.terms[0].entity_id == entity_id(EntityKind.PERSON, "Ana Pop")


def test_several_identifiers() -> None:
    spaced = interpret_query("07700 900123, 07700 900456; AB24CDE")
    assert _terms(spaced) == [
        (EntityKind.NUMBER, "+447700900123"),
        (EntityKind.NUMBER, "+447700900456"),
        (EntityKind.VEHICLE, "AB24CDE"),
    ]
    assert spaced.words == ()
    plain = interpret_query("07700900123 07700900456 07700900123")
    assert _terms(plain) == [
        (EntityKind.NUMBER, "+447700900123"),
        (EntityKind.NUMBER, "+447700900456"),
    ]


def test_identifiers_mixed_with_words() -> None:
    query = interpret_query("Ana 07700900123")
    assert _terms(query) == [
        (EntityKind.NUMBER, "+447700900123"),
        (EntityKind.PERSON, "ana 07700900123"),
    ]
    assert query.words == ("ana", "07700900123")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a:b OR *", ("a", "b", "or")),
        ("keys:number:+447700900123", ("keys", "number", "447700900123")),
        ('"ana"', ("ana",)),
        ("José's", ("josé", "s")),
        ("Straße", ("strasse",)),
        ("warehouse WAREHOUSE", ("warehouse",)),
        ("123456", ("123456",)),  # six digits: a short code, not a number anyone is keyed on
    ],
)
def test_words_are_runs_of_letters_and_digits(text: str, words: tuple[str, ...]) -> None:
    assert interpret_query(text).words == words


@pytest.mark.parametrize("text", ["", "   ", '"', "*", "()", "+-!^~:"])
def test_nothing_searchable(text: str) -> None:
    query = interpret_query(text)
    assert (query.terms, query.words) == ((), ())
    assert query.description == "nothing searchable (no letters or digits)"


def test_invalid_numbers_are_not_read_as_numbers() -> None:
    # 01632 96 is too short to be a UK number: not a number key, but words
    query = interpret_query("01632 96")
    assert all(t.kind is not EntityKind.NUMBER for t in query.terms)
    assert query.words == ("01632", "96")


def test_too_many_words_are_dropped_and_said() -> None:
    text = " ".join(f"w{i}" for i in range(MAX_WORDS + 3))
    query = interpret_query(text)
    assert len(query.words) == MAX_WORDS
    assert query.dropped_words == 3
    assert query.description.endswith("3 further word(s) ignored")


def test_to_dict() -> None:
    data = interpret_query("07700 900123").to_dict()
    assert data == {
        "text": "07700 900123",
        "terms": [
            {
                "kind": "number",
                "key": "+447700900123",
                "entity_id": entity_id(EntityKind.NUMBER, "+447700900123"),
                "reading": "telephone number +447700900123",
            }
        ],
        "words": [],
        "description": "telephone number +447700900123",
    }


def test_person_key_matches_entity_ids() -> None:
    assert person_key("  ANA\tPop ") == "ana pop"
    term = EntityTerm(EntityKind.PERSON, person_key("ANA  POP"), "")
    assert term.entity_id == entity_id(EntityKind.PERSON, "ana pop")


@given(st.text(max_size=80))
def test_any_text_is_read_without_error(text: str) -> None:
    query = interpret_query(text)
    assert query.text == text
    assert len(query.words) <= MAX_WORDS
    assert isinstance(query.description, str)
