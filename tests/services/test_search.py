"""Case search through the services, on SQLite and PostgreSQL (issue 3; requirements 15, 24, 35,
59, 61).

The evidence is ``tests/fixtures/json_rows/phone_a.json``, ingested through the real ingest path
by the test-only ``json_rows`` parser. Every expected hit below is read off that file by hand:
rows are named by their locator (``$.calls[3]`` is the fourth call) and hits within a table come
newest first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from json_rows_parser import with_json_rows

from threadline.errors import ConfigError, NotFound, PermissionDenied
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.ids import row_id
from threadline.services import cases, exhibits, ingest, search
from threadline.services.search import SearchResults
from threadline.services.workspace import Workspace
from threadline.store import audit_log

PHONE_A = Path(__file__).resolve().parents[1] / "fixtures" / "json_rows" / "phone_a.json"
CASE = "OP-CEDAR"

Groups = list[tuple[str, int, list[str]]]

#: +447700900123 is a party to calls 0 (A), 1 (B) and 3 (B), messages 0 and 2 (A), and is
#: contact 0's number, the device's MSISDN and the WhatsApp account's number: 8 rows.
NUMBER_HITS: Groups = [
    ("calls", 3, ["$.calls[3]", "$.calls[1]", "$.calls[0]"]),
    ("messages", 2, ["$.messages[2]", "$.messages[0]"]),
    ("contacts", 1, ["$.contacts[0]"]),
    ("devices", 1, ["$.devices[0]"]),
    ("accounts", 1, ["$.accounts[0]"]),
]

#: IMEI key 35693803564380: calls 0 (15 digits) and 2 (14 digits), message 0 and the device.
HANDSET_HITS: Groups = [
    ("calls", 2, ["$.calls[2]", "$.calls[0]"]),
    ("messages", 1, ["$.messages[0]"]),
    ("devices", 1, ["$.devices[0]"]),
]


def _case(ws: Workspace, reference: str = CASE) -> None:
    cases.create_case(ws, reference, f"Operation {reference}", offences=("MSA2015-s2",))


def _ingest(ws: Workspace, case: str, exhibit: str, source: Path) -> str:
    """Register and ingest a json_rows file; the exhibit's id."""
    info = exhibits.add_exhibit(
        ws, case, exhibit, source, producer="DC Jo Bloggs", description="Handset extraction"
    )
    ingest.ingest_exhibit(ws, case, exhibit, parser="json_rows")
    return info.id


def _rows_file(tmp_path: Path, name: str, tables: dict[str, list[dict[str, Any]]]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"format": "json_rows", **tables}), encoding="utf-8")
    return path


@pytest.fixture
def cedar(workspace: Workspace) -> tuple[Workspace, str]:
    """The workspace with OP-CEDAR holding PHONE/1 (phone_a.json); and PHONE/1's id."""
    ws = with_json_rows(workspace)
    _case(ws)
    return ws, _ingest(ws, CASE, "PHONE/1", PHONE_A)


def _groups(results: SearchResults) -> Groups:
    return [(g.table, g.total, [h.locator for h in g.hits]) for g in results.groups]


def _entities(results: SearchResults) -> list[tuple[EntityKind, str, str, int]]:
    return [(e.kind, e.key, e.display, e.rows) for e in results.entities]


@pytest.mark.parametrize(
    "text", ["07700 900123", "+44 7700 900123", "447700900123", "00447700900123"]
)
def test_number_in_any_written_form_finds_the_same_rows(
    cedar: tuple[Workspace, str], text: str
) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, text)
    assert results.interpretation == "telephone number +447700900123"
    assert _groups(results) == NUMBER_HITS
    assert results.total == 8
    assert _entities(results) == [(EntityKind.NUMBER, "+447700900123", "+447700900123", 8)]
    assert results.entities[0].entity_id == entity_id(EntityKind.NUMBER, "+447700900123")


def test_hit_names_its_row_exhibit_locator_time_and_summary(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    results = search.search_case(ws, CASE, "07700 900123")
    first = results.groups[0].hits[0]
    assert first.row_id == row_id(exhibit_id, "$.calls[3]")
    assert (first.table, first.exhibit, first.exhibit_id) == ("calls", "PHONE/1", exhibit_id)
    assert first.time == "2026-06-04T12:00:00Z"
    # the withheld caller did not normalise, so the summary shows what the source wrote
    assert first.summary == {
        "time": {
            "original": "2026-06-04T12:00:00+00:00",
            "status": "exact",
            "utc": "2026-06-04T12:00:00Z",
        },
        "direction": "incoming",
        "a_party": "Withheld",
        "b_party": "+447700900123",
        "duration_s": 40,
    }
    contact = results.groups[2].hits[0]
    assert contact.time is None
    assert contact.summary == {
        "name": "Ana Pop",
        "number": "+447700900123",
        "email": "ana.pop@example.org",
    }
    as_json = json.loads(json.dumps(results.to_dict()))
    assert as_json["groups"][0]["hits"][0]["row_id"] == first.row_id
    assert as_json["order"] == "newest first"


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("356938035643809", "IMEI of 15 digits"),
        ("35693803564380", "IMEI of 14 digits"),
        ("3569380356438012", "IMEISV of 16 digits"),
        ("35-693803-564380-9", "IMEI of 15 digits"),
    ],
)
def test_imei_with_or_without_check_digit_or_as_imeisv_finds_the_handset(
    cedar: tuple[Workspace, str], text: str, how: str
) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, text)
    assert results.interpretation.startswith(
        f"handset 35693803564380 ({how}, matched on the first 14)"
    )
    assert _groups(results) == HANDSET_HITS
    assert _entities(results) == [(EntityKind.HANDSET, "35693803564380", "35693803564380", 4)]


def test_imsi_finds_the_sim(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, "001010123456789")
    # fifteen digits are read both ways; only the SIM is in the evidence
    assert "SIM (IMSI) 001010123456789" in results.interpretation
    assert _groups(results) == [
        ("calls", 1, ["$.calls[0]"]),
        ("devices", 1, ["$.devices[0]"]),
    ]
    assert _entities(results) == [(EntityKind.SIM, "001010123456789", "001010123456789", 2)]


def test_name_finds_contacts_accounts_and_message_text(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, "ana POP")
    assert results.interpretation == (
        'name as recorded "ana pop"; text containing all of "ana", "pop"'
    )
    assert _groups(results) == [
        ("messages", 1, ["$.messages[1]"]),
        ("contacts", 1, ["$.contacts[0]"]),
        ("accounts", 1, ["$.accounts[0]"]),
    ]
    # "Ana Pop" and "ANA POP" are one name as recorded; one row each, so the tie goes to the
    # spelling that sorts first
    assert _entities(results) == [(EntityKind.PERSON, "ana pop", "ANA POP", 2)]
    part = search.search_case(ws, CASE, "Pop")
    assert _groups(part) == _groups(results)
    assert _entities(part) == [(EntityKind.PERSON, "ana pop", "ANA POP", 2)]


def test_accents_are_folded(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    for text in ("jose nunez", "NÚÑEZ"):
        assert _groups(search.search_case(ws, CASE, text)) == [("contacts", 1, ["$.contacts[1]"])]


@pytest.mark.parametrize("text", ["ab24 cde", "AB24CDE", "AB24-CDE"])
def test_vrm_finds_anpr_reads(cedar: tuple[Workspace, str], text: str) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, text)
    assert results.interpretation == "vehicle registration AB24 CDE, current format (2001 on)"
    assert _groups(results) == [("anpr_reads", 2, ["$.anpr_reads[2]", "$.anpr_reads[0]"])]
    assert _entities(results) == [(EntityKind.VEHICLE, "AB24CDE", "AB24CDE", 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warehouse", [("messages", 1, ["$.messages[0]"])]),
        (
            "canal street",
            [("messages", 1, ["$.messages[0]"]), ("anpr_reads", 1, ["$.anpr_reads[0]"])],
        ),
        ("six", [("messages", 2, ["$.messages[2]", "$.messages[0]"])]),
        # a caller that did not normalise stays findable by what the source wrote
        ("withheld", [("calls", 1, ["$.calls[3]"])]),
        ("galaxy", [("devices", 1, ["$.devices[0]"])]),
    ],
)
def test_words_find_message_text_and_other_text(
    cedar: tuple[Workspace, str], text: str, expected: Groups
) -> None:
    ws, _ = cedar
    assert _groups(search.search_case(ws, CASE, text)) == expected


def test_several_numbers_at_once(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, "07700 900789, 07700900456")
    # +447700900789: calls 1, 2; messages 1, 2. +447700900456: calls 0, 2; messages 0, 1; contact 1
    assert _groups(results) == [
        ("calls", 3, ["$.calls[2]", "$.calls[1]", "$.calls[0]"]),
        ("messages", 3, ["$.messages[2]", "$.messages[1]", "$.messages[0]"]),
        ("contacts", 1, ["$.contacts[1]"]),
    ]
    assert {e.key for e in results.entities} == {"+447700900789", "+447700900456"}


def test_oldest_first_and_paging(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    oldest = search.search_case(ws, CASE, "07700900123", newest_first=False)
    assert _groups(oldest)[0] == ("calls", 3, ["$.calls[0]", "$.calls[1]", "$.calls[3]"])
    first = search.search_case(ws, CASE, "07700900123", limit=2)
    calls = first.groups[0]
    assert ([h.locator for h in calls.hits], calls.total, calls.more) == (
        ["$.calls[3]", "$.calls[1]"],
        3,
        True,
    )
    rest = search.search_case(ws, CASE, "07700900123", limit=2, offset=2, table="calls")
    assert _groups(rest) == [("calls", 3, ["$.calls[0]"])]
    assert not rest.groups[0].more


def test_search_is_logged_with_text_reading_and_rows(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    results = search.search_case(ws, CASE, "AB24 CDE", justification="locate the van")
    with ws.session() as session:
        last = list(audit_log.entries(session))[-1]
        case_id = cases.find_case(session, CASE).id
    assert (last.operation, last.action, last.case_id, last.object_type) == (
        AuditOperation.CONSULTATION.value,
        "evidence.search",
        case_id,
        "search",
    )
    assert last.justification == "locate the van"
    assert last.detail["text"] == "AB24 CDE"
    assert last.detail["interpretation"] == (
        "vehicle registration AB24 CDE, current format (2001 on)"
    )
    assert last.detail["totals"] == {"anpr_reads": 2}
    assert last.detail["row_ids"] == [
        row_id(exhibit_id, "$.anpr_reads[2]"),
        row_id(exhibit_id, "$.anpr_reads[0]"),
    ]
    assert last.detail["row_ids"] == results.row_ids
    assert last.detail["entities"] == [entity_id(EntityKind.VEHICLE, "AB24CDE")]


def test_justification_required_by_policy_is_checked_first(
    cedar: tuple[Workspace, str],
) -> None:
    ws, _ = cedar
    ws.settings = ws.settings.model_copy(update={"justification_required": True})
    with pytest.raises(PermissionDenied, match="justification"):
        search.search_case(ws, CASE, "07700 900123")
    # refused before the index was built: nothing was read
    assert not (ws.settings.home / "index").exists()
    assert search.search_case(ws, CASE, "07700 900123", justification="op order 12").total == 8


def test_stale_index_is_rebuilt_after_another_ingest(
    cedar: tuple[Workspace, str], tmp_path: Path
) -> None:
    ws, _ = cedar
    first = search.build_search_index(ws, CASE)
    assert (first.built, first.rows, first.case) == (True, 14, CASE)
    # 4 calls + 3 messages + 2 contacts + 1 account + 1 device + 3 ANPR reads = 14 rows;
    # entities: numbers 123, 456, 789; handsets 356938..., 352099...; SIMs 0010101..., 0010109...;
    # person "ana pop", "josé núñez"; vehicles AB24CDE, CD51XYZ = 11
    assert first.entities == 11
    again = search.build_search_index(ws, CASE)
    assert (again.built, again.fingerprint) == (False, first.fingerprint)
    assert search.search_case(ws, CASE, "07700 900123").groups[0].total == 3
    second = _rows_file(
        tmp_path,
        "phone_b.json",
        {
            "calls": [
                {
                    "direction": "outgoing",
                    "a_party": "+447700900999",
                    "b_party": "+447700900123",
                    "start_utc": "2026-06-06T06:00:00+00:00",
                }
            ]
        },
    )
    _ingest(ws, CASE, "PHONE/2", second)
    results = search.search_case(ws, CASE, "07700 900123")
    calls = results.groups[0]
    assert (calls.total, calls.hits[0].exhibit, calls.hits[0].locator) == (
        4,
        "PHONE/2",
        "$.calls[0]",
    )
    rebuilt = search.build_search_index(ws, CASE)
    assert rebuilt.fingerprint != first.fingerprint
    assert (rebuilt.built, rebuilt.rows) == (False, 15)  # the search above rebuilt it
    case_folder = Path(rebuilt.path).parent
    assert sorted(p.name for p in case_folder.iterdir()) == [".lock", rebuilt.fingerprint]


def test_other_cases_rows_are_never_found(cedar: tuple[Workspace, str], tmp_path: Path) -> None:
    ws, _ = cedar
    _case(ws, "OP-OTHER")
    other = _rows_file(
        tmp_path,
        "other.json",
        {"contacts": [{"name": "Ana Pop", "number": "+447700900123"}]},
    )
    other_id = _ingest(ws, "OP-OTHER", "X/1", other)
    cedar_hits = search.search_case(ws, CASE, "07700 900123")
    assert {h.exhibit for g in cedar_hits.groups for h in g.hits} == {"PHONE/1"}
    assert _groups(cedar_hits) == NUMBER_HITS
    other_hits = search.search_case(ws, "OP-OTHER", "07700 900123")
    assert _groups(other_hits) == [("contacts", 1, ["$.contacts[0]"])]
    assert other_hits.row_ids == [row_id(other_id, "$.contacts[0]")]
    assert _entities(other_hits) == [(EntityKind.NUMBER, "+447700900123", "+447700900123", 1)]


@pytest.mark.parametrize(
    "text",
    [
        "a:b OR *",
        '"',
        '"unclosed phrase',
        "((",
        ")",
        "*",
        "ana AND NOT pop",
        "keys:number:+447700900123",
        "doc:row",
        "table:calls",
        "text:warehouse~2",
        "\\",
        "[1 TO 9]",
        "+-!^~:",
        "'; DROP TABLE cases; --",
        "null",
        "\x00",
    ],
)
def test_hostile_text_is_just_text(cedar: tuple[Workspace, str], text: str) -> None:
    ws, _ = cedar
    results = search.search_case(ws, CASE, text)
    # query syntax never reaches the index: field names are words like any other, and no row
    # holds all of these words
    assert results.total == 0
    assert results.entities == ()


def test_query_syntax_around_words_is_ignored(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    plain = _groups(search.search_case(ws, CASE, "ana"))
    assert plain == [
        ("messages", 1, ["$.messages[1]"]),
        ("contacts", 1, ["$.contacts[0]"]),
        ("accounts", 1, ["$.accounts[0]"]),
    ]
    for text in ("((ana", '"ana"', "ana*", "+ana", "-ana-", "(ana)"):
        assert _groups(search.search_case(ws, CASE, text)) == plain, text


def test_empty_long_or_malformed_requests_are_refused(cedar: tuple[Workspace, str]) -> None:
    ws, _ = cedar
    for text in ("", "   ", "\t\n"):
        with pytest.raises(ConfigError, match="empty"):
            search.search_case(ws, CASE, text)
    with pytest.raises(ConfigError, match="at most 500"):
        search.search_case(ws, CASE, "a" * 501)
    with pytest.raises(ConfigError, match="limit"):
        search.search_case(ws, CASE, "ana", limit=0)
    with pytest.raises(ConfigError, match="not a searchable table"):
        search.search_case(ws, CASE, "ana", table="source_rows")
    with pytest.raises(NotFound):
        search.search_case(ws, "OP-NONE", "ana")


def test_resolve_entity(cedar: tuple[Workspace, str], tmp_path: Path) -> None:
    ws, _ = cedar
    number = entity_id(EntityKind.NUMBER, "+447700900123")
    assert search.resolve_entity(ws, CASE, number) == (EntityKind.NUMBER, "+447700900123")
    person = entity_id(EntityKind.PERSON, "Ana Pop")
    assert search.resolve_entity(ws, CASE, person) == (EntityKind.PERSON, "ana pop")
    described = search.describe_entity(ws, CASE, person)
    assert (described.display, described.rows, described.kind_label) == (
        "ANA POP",
        2,
        "Name as recorded",
    )
    # a number the case does not hold, a malformed id, and an entity of another case only
    _case(ws, "OP-OTHER")
    _ingest(
        ws,
        "OP-OTHER",
        "X/1",
        _rows_file(tmp_path, "other.json", {"contacts": [{"number": "+447700900999"}]}),
    )
    elsewhere = entity_id(EntityKind.NUMBER, "+447700900999")
    assert search.resolve_entity(ws, "OP-OTHER", elsewhere) == (EntityKind.NUMBER, "+447700900999")
    for missing in (elsewhere, "not-an-id", number.upper(), ""):
        with pytest.raises(NotFound):
            search.resolve_entity(ws, CASE, missing)
