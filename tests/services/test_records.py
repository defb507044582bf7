"""Opening one evidence record, on SQLite and PostgreSQL (issue 3; requirements 15, 20, 23).

The evidence is ``tests/fixtures/json_rows/phone_a.json`` ingested by the test-only ``json_rows``
parser; expected values are read off that file by hand.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from json_rows_parser import with_json_rows

from threadline.errors import NotFound, PermissionDenied
from threadline.model.audit import AuditOperation
from threadline.model.ids import row_id
from threadline.services import cases, exhibits, ingest, records, search
from threadline.services.workspace import Workspace
from threadline.store import audit_log

PHONE_A = Path(__file__).resolve().parents[1] / "fixtures" / "json_rows" / "phone_a.json"
CASE = "OP-CEDAR"


def _ingest(ws: Workspace, case: str, exhibit: str, source: Path) -> str:
    info = exhibits.add_exhibit(
        ws, case, exhibit, source, producer="DC Jo Bloggs", description="Handset extraction"
    )
    ingest.ingest_exhibit(ws, case, exhibit, parser="json_rows")
    return info.id


@pytest.fixture
def cedar(workspace: Workspace) -> tuple[Workspace, str]:
    """OP-CEDAR holding PHONE/1 (phone_a.json); and PHONE/1's id."""
    ws = with_json_rows(workspace)
    cases.create_case(ws, CASE, "Operation Cedar", offences=("MSA2015-s2",))
    return ws, _ingest(ws, CASE, "PHONE/1", PHONE_A)


@pytest.mark.parametrize("indexed", [False, True], ids=["no-index", "indexed"])
def test_open_record_shows_values_meaning_provenance_and_source(
    cedar: tuple[Workspace, str], indexed: bool
) -> None:
    ws, exhibit_id = cedar
    if indexed:  # the index only narrows which exhibit's files are read
        search.build_search_index(ws, CASE)
    wanted = row_id(exhibit_id, "$.calls[0]")
    view = records.open_record(ws, CASE, wanted)
    assert (view.case, view.row_id, view.table) == (CASE, wanted, "calls")
    assert view.table_doc == "Voice calls: network CDR voice records and handset call logs."
    assert (view.exhibit_id, view.exhibit, view.locator, view.parser) == (
        exhibit_id,
        "PHONE/1",
        "$.calls[0]",
        "json_rows@1.0.0",
    )
    assert view.exhibit_sha256 == hashlib.sha256(PHONE_A.read_bytes()).hexdigest()
    assert [f.name for f in view.fields[:4]] == ["row_id", "exhibit_id", "locator", "parser"]
    assert view.value("a_party") == "+447700900123"
    assert view.value("a_party_original") == "07700 900123"
    assert view.value("start_utc") == "2026-06-01T09:00:00Z"
    assert view.value("start_status") == "exact"
    assert view.value("duration_s") == 65
    assert view.value("c_party") is None
    a_party = next(f for f in view.fields if f.name == "a_party")
    assert (a_party.type, a_party.doc) == (
        "string",
        "Calling party (A), E.164 (+44...) where it normalises; else empty.",
    )
    assert next(f for f in view.fields if f.name == "start_utc").type == "timestamp"
    # the source record exactly as the exhibit holds it
    assert view.source == {
        "direction": "outgoing",
        "a_party": "+447700900123",
        "a_party_original": "07700 900123",
        "b_party": "+447700900456",
        "b_party_original": "07700900456",
        "start_utc": "2026-06-01T09:00:00+00:00",
        "duration_s": 65,
        "duration_original": "65",
        "imei": "356938035643809",
        "imei_key": "35693803564380",
        "imei_original": "356938035643809",
        "imsi": "001010123456789",
        "imsi_original": "001010123456789",
    }
    as_json = json.loads(json.dumps(view.to_dict()))
    assert as_json["exhibit"] == "PHONE/1"
    assert {"name": "duration_s", "type": "int64", "value": 65}.items() <= next(
        f for f in as_json["fields"] if f["name"] == "duration_s"
    ).items()


def test_opening_is_logged_as_a_consultation_of_the_record(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    wanted = row_id(exhibit_id, "$.anpr_reads[2]")
    view = records.open_record(ws, CASE, wanted, justification="van sightings")
    assert (view.table, view.value("vrm"), view.value("read_utc")) == (
        "anpr_reads",
        "AB24CDE",
        "2026-06-03T19:00:00Z",
    )
    with ws.session() as session:
        last = list(audit_log.entries(session))[-1]
        case_id = cases.find_case(session, CASE).id
    assert (
        last.operation,
        last.action,
        last.case_id,
        last.object_type,
        last.object_id,
        last.justification,
    ) == (
        AuditOperation.CONSULTATION.value,
        "evidence.open",
        case_id,
        "record",
        wanted,
        "van sightings",
    )
    assert last.detail == {
        "table": "anpr_reads",
        "exhibit": "PHONE/1",
        "locator": "$.anpr_reads[2]",
    }


def test_evidence_text_is_returned_as_it_was_written(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    view = records.open_record(ws, CASE, row_id(exhibit_id, "$.messages[2]"))
    # markup in evidence is data: returned verbatim for the page to escape
    assert view.value("body") == "<script>alert('x')</script> pick up at six"
    contact = records.open_record(ws, CASE, row_id(exhibit_id, "$.contacts[1]"))
    assert contact.value("name") == "José Núñez"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "xyz",
        "0" * 31,
        "0" * 33,
        "ABCDEF0123456789ABCDEF0123456789",
        "' OR 1=1 --                     ",
        "00000000000000000000000000000000",
    ],
)
def test_malformed_or_unknown_ids_are_not_found(cedar: tuple[Workspace, str], bad: str) -> None:
    ws, _ = cedar
    with pytest.raises(NotFound):
        records.open_record(ws, CASE, bad)


def test_a_row_that_does_not_exist_is_not_found(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    search.build_search_index(ws, CASE)
    with pytest.raises(NotFound, match="no record"):
        records.open_record(ws, CASE, row_id(exhibit_id, "$.calls[99]"))
    with pytest.raises(NotFound):
        records.open_record(ws, "OP-NONE", row_id(exhibit_id, "$.calls[0]"))


def test_a_row_of_another_case_is_not_found(cedar: tuple[Workspace, str], tmp_path: Path) -> None:
    ws, _ = cedar
    cases.create_case(ws, "OP-OTHER", "Operation Other")
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps({"format": "json_rows", "contacts": [{"name": "Ana Pop"}]}), encoding="utf-8"
    )
    other_id = _ingest(ws, "OP-OTHER", "X/1", other)
    theirs = row_id(other_id, "$.contacts[0]")
    for _ in range(2):  # without, then with, both cases' indexes built
        with pytest.raises(NotFound):
            records.open_record(ws, CASE, theirs)
        assert records.open_record(ws, "OP-OTHER", theirs).value("name") == "Ana Pop"
        search.build_search_index(ws, CASE)
        search.build_search_index(ws, "OP-OTHER")
    with ws.session() as session:
        opened = [e.object_id for e in audit_log.entries(session) if e.action == "evidence.open"]
    # the refused attempts consulted nothing and were not logged as openings
    assert opened == [theirs, theirs]


def test_justification_required_by_policy(cedar: tuple[Workspace, str]) -> None:
    ws, exhibit_id = cedar
    ws.settings = ws.settings.model_copy(update={"justification_required": True})
    wanted = row_id(exhibit_id, "$.calls[0]")
    with pytest.raises(PermissionDenied, match="justification"):
        records.open_record(ws, CASE, wanted)
    assert records.open_record(ws, CASE, wanted, justification="review").row_id == wanted
