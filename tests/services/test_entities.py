"""Entity profiles on the demo case, checked against the generated exhibit files themselves.

The expected values are worked out here from the CSV and XLSX files the generator wrote (read
with the ``csv`` module and openpyxl, numbers matched on their digits, UK local times converted
with :mod:`zoneinfo`) and from the ground truth, never by running the profile's SQL again.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from json_rows_parser import with_json_rows

from threadline.errors import ConfigError, NotFound
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.scenario import GroundTruth
from threadline.services import cases, demo, exhibits, ingest
from threadline.services.entities import entity_profile
from threadline.services.workspace import Workspace
from threadline.store import audit_log
from threadline.store.tables import AuditEntryRow

CASE = "OP-CEDAR"
LONDON = ZoneInfo("Europe/London")

#: The party, time and handset columns of each layout the demo writes (see scenario/layouts.py),
#: as a reader of the files would find them.
LAYOUTS = {
    "network-a": {
        "parties": ("Originating Number", "Terminating Number", "Forwarded Number"),
        "imei": "IMEI",
        "delimiter": ",",
    },
    "network-b": {
        "parties": ("A Party", "B Party", "C Party"),
        "imei": "A IMEI",
        "delimiter": ",",
    },
    "network-c": {
        "parties": ("Calling Party", "Called Party", "Diverted To"),
        "imei": "Handset IMEI",
    },
    "network-d": {"parties": ("Target MSISDN", "Other Party"), "imei": "IMEI", "delimiter": ";"},
}


@dataclass(frozen=True)
class SourceRow:
    """One data row of a demo exhibit, as the file holds it."""

    exhibit: str
    row: int  # 1-based spreadsheet row, header (and preamble) counted: the locator's number
    parties: tuple[str, ...]  # the party cells as written, '' when empty
    imei: str
    utc: datetime | None  # None when the UK local time is ambiguous or never happened


def _digits(text: str) -> str:
    """A UK number's national digits (7700900048), however it is written."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits.startswith("44") and len(digits) == 12:
        return digits[2:]
    if digits.startswith("0") and len(digits) == 11:
        return digits[1:]
    return digits


def _local_to_utc(naive: datetime) -> datetime | None:
    """UK local to UTC; None in the repeated hour or the spring gap, where it is not one time."""
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() != second.utcoffset():
        return None
    return first.astimezone(UTC)


def _time(layout: str, record: dict[str, object]) -> datetime | None:
    if layout == "network-a":
        text = f"{record['Call Date']} {record['Call Time']}"
        return datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=UTC)
    if layout == "network-b":
        return _local_to_utc(datetime.strptime(str(record["Start Date Time"]), "%d/%m/%Y %H:%M:%S"))
    if layout == "network-d":
        return datetime.strptime(str(record["Start (UTC)"]), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
    day = record["Date (UTC)"]
    assert isinstance(day, datetime)
    hours, minutes, seconds = (int(p) for p in str(record["Time (UTC)"]).split(":"))
    return day.replace(tzinfo=UTC) + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _records(
    path: Path, layout: str, first_data_row: int
) -> Iterator[tuple[int, dict[str, object]]]:
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
        header = [str(h) for h in rows[first_data_row - 2]]
        for number, values in enumerate(rows[first_data_row - 1 :], start=first_data_row):
            yield number, dict(zip(header, values, strict=False))
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=str(LAYOUTS[layout]["delimiter"]))
        for number, record in enumerate(reader, start=first_data_row):
            yield number, dict(record)


def demo_rows(source: Path, truth: GroundTruth) -> list[SourceRow]:
    """Every data row of the demo's call-data exhibits, read straight from the files."""
    out = []
    for item in truth.exhibits:
        if item.kind != "cdr":
            continue
        spec = LAYOUTS[item.layout]
        for number, record in _records(source / item.filename, item.layout, item.first_data_row):
            parties = tuple(str(record.get(c) or "") for c in spec["parties"])
            imei = str(record.get(str(spec["imei"])) or "")
            out.append(SourceRow(item.reference, number, parties, imei, _time(item.layout, record)))
    return out


@pytest.fixture
def built(workspace: Workspace) -> tuple[Workspace, GroundTruth, list[SourceRow]]:
    # the oracle reads the network returns only: leave the handset downloads out
    summary = demo.build_demo(workspace, phone_downloads=False)
    truth_path = Path(str(summary["ground_truth"]))
    truth = GroundTruth.from_json(truth_path.read_text("utf-8"))
    return workspace, truth, demo_rows(truth_path.parent, truth)


def _consultations(ws: Workspace, action: str) -> list[AuditEntryRow]:
    with ws.session() as session:
        return [e for e in audit_log.entries(session) if e.action == action]


def _check_number_profile_matches_the_files(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    lieutenant = truth.exhibit("DC/3").target_msisdn  # +447700900048, DC/3's target
    assert lieutenant == "+447700900048"
    wanted = _digits(lieutenant)
    mine = [r for r in rows if any(_digits(p) == wanted for p in r.parties)]
    timed = [r.utc for r in mine if r.utc is not None]

    profile = entity_profile(ws, CASE, EntityKind.NUMBER, "07700 900048", events_limit=0)

    assert profile.key == "+447700900048"
    assert profile.entity_id == entity_id(EntityKind.NUMBER, "+447700900048")
    assert profile.found
    assert profile.rows == len(mine)
    assert profile.first_seen == min(timed)
    assert profile.last_seen == max(timed)
    # DC/3 is in UK local time: its two spring-gap and four repeated-hour rows are the lieutenant's
    dc3 = truth.exhibit("DC/3").anomalies
    assert profile.inexact_rows == len(dc3.ambiguous_time) + len(dc3.nonexistent_time) == 6
    assert profile.inexact_rows == len(mine) - len(timed)

    per_exhibit = Counter(r.exhibit for r in mine)
    assert {e.reference: e.rows for e in profile.exhibits} == dict(per_exhibit)
    assert [e.reference for e in profile.exhibits] == ["DC/1", "DC/2", "DC/3", "DC/4", "DC/5"]
    for presence in profile.exhibits:
        times = [r.utc for r in mine if r.exhibit == presence.reference and r.utc is not None]
        assert (presence.first_seen, presence.last_seen) == (min(times), max(times))
    assert sum(t.rows for t in profile.tables) == len(mine)

    spellings = Counter(p for r in mine for p in r.parties if _digits(p) == wanted)
    assert {s.original: s.rows for s in profile.spellings} == dict(spellings)
    # the same number as four sources wrote it
    assert set(spellings) == {"07700 900048", "447700900048", "7700900048", "+447700900048"}

    # the other party of each row: A's is B and B's is A; a forwarded-to party's is B
    others: Counter[str] = Counter()
    for r in mine:
        parties = [_digits(p) for p in r.parties]
        for i, digits in enumerate(parties):
            if digits == wanted:
                other = parties[1 - i] if i < 2 else parties[1]
                if other:
                    others[other] += 1
    top = profile.counterparts[0]
    expected_top, expected_count = others.most_common(1)[0]
    assert (_digits(top.party), top.rows) == (expected_top, expected_count)
    assert top.normalised
    assert top.entity_id == entity_id(EntityKind.NUMBER, top.party)
    assert [c.rows for c in profile.counterparts] == sorted(
        (c.rows for c in profile.counterparts), reverse=True
    )

    # the handset and SIM are those of the lieutenant's own return, never the other parties'
    person = next(n.user for n in truth.numbers if n.msisdn == lieutenant)
    handset = next(h for h in truth.handsets if h.user == person)
    sim = next(s for s in truth.sims if s.msisdn == lieutenant)
    linked = {(x.kind, x.key): x.rows for x in profile.linked}
    assert linked == {
        (EntityKind.HANDSET, handset.imei[:14]): per_exhibit["DC/3"],
        (EntityKind.SIM, sim.imsi): per_exhibit["DC/3"],
    }
    assert profile.cells
    assert all(c.rows > 0 for c in profile.cells)
    assert sum(c.rows for c in profile.cells) <= per_exhibit["DC/3"]


def _check_any_written_form_gives_the_same_profile(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    forms = ["07700 900048", "+44 7700 900048", "447700900048", "+44 (0)7700 900048"]
    profiles = [
        entity_profile(ws, CASE, EntityKind.NUMBER, form, events_limit=20).to_dict()
        for form in forms
    ]
    assert all(p == profiles[0] for p in profiles[1:])
    assert profiles[0]["key"] == "+447700900048"


def _check_events_page_through_in_time_order_and_trace_to_their_rows(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    by_place = {(r.exhibit, f"row={r.row}"): r for r in rows}
    seen: list[str] = []
    previous = None
    offset = 0
    while True:
        page = entity_profile(
            ws, CASE, EntityKind.NUMBER, "+447700900104", events_limit=150, events_offset=offset
        )
        assert page.events_offset == offset
        if not page.events:
            break
        for event in page.events:
            # every line is the exhibit row it says it is, and that row holds the number
            source = by_place[(event.exhibit, event.locator)]
            assert "7700900104" in {_digits(p) for p in source.parties}
            assert event.time is not None
            if source.utc is not None:
                assert event.time.utc == source.utc
            key = (event.time.sort_utc, event.row_id)
            if previous is not None:
                assert key > previous
            previous = key
            seen.append(event.row_id)
        offset += len(page.events)
    assert len(seen) == len(set(seen)) == page.events_total == page.rows
    expected = sum(1 for r in rows if "7700900104" in {_digits(p) for p in r.parties})
    assert page.rows == expected


def _check_handset_given_as_fifteen_digits_matches_on_fourteen(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    successor = truth.successor  # the controller's handset, carrying both his numbers in turn
    assert len(successor.imei) == 15
    key = successor.imei[:14]
    mine = [r for r in rows if r.imei.replace(" ", "")[:14] == key]

    full = entity_profile(ws, CASE, EntityKind.HANDSET, successor.imei, events_limit=5)
    short = entity_profile(ws, CASE, EntityKind.HANDSET, key, events_limit=5)

    assert full.to_dict() == short.to_dict()
    assert full.key == key
    assert full.rows == len(mine)
    # DC/1's network pads the IMEI with 0 where DC/2's gives the check digit: one handset
    assert {s.original: s.rows for s in full.spellings} == dict(Counter(r.imei for r in mine))
    assert len(full.spellings) == 2
    numbers = {x.key: x.rows for x in full.linked if x.kind is EntityKind.NUMBER}
    assert numbers == {
        successor.old_msisdn: sum(1 for r in mine if r.exhibit == "DC/1"),
        successor.new_msisdn: sum(1 for r in mine if r.exhibit == "DC/2"),
    }
    old = next(x for x in full.linked if x.key == successor.old_msisdn)
    new = next(x for x in full.linked if x.key == successor.new_msisdn)
    assert old.last_seen == successor.last_old_event
    assert new.first_seen == successor.first_new_event


def _check_unknown_identifier_gives_an_empty_profile_and_bad_keys_are_refused(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    nothing = entity_profile(ws, CASE, EntityKind.NUMBER, "07700 900999")
    assert not nothing.found
    assert (nothing.rows, nothing.exhibits, nothing.events, nothing.first_seen) == (0, (), (), None)
    # tables the demo has no rows in (ANPR, contacts) give nothing, not an error
    assert entity_profile(ws, CASE, EntityKind.VEHICLE, "ab12 cde").key == "AB12CDE"
    assert entity_profile(ws, CASE, EntityKind.PERSON, "  Ana   Pop ").rows == 0

    with pytest.raises(ConfigError, match="cannot be normalised"):
        entity_profile(ws, CASE, EntityKind.NUMBER, "Withheld")
    with pytest.raises(ConfigError, match="IMEI"):
        entity_profile(ws, CASE, EntityKind.HANDSET, "12345")
    with pytest.raises(ConfigError, match="IMSI"):
        entity_profile(ws, CASE, EntityKind.SIM, "not-a-sim")
    with pytest.raises(ConfigError, match="events_limit"):
        entity_profile(ws, CASE, EntityKind.NUMBER, "07700 900048", events_limit=5000)
    with pytest.raises(NotFound):
        entity_profile(ws, "OP-NOSUCH", EntityKind.NUMBER, "07700 900048")


def _check_profile_is_logged_as_one_consultation(
    ws: Workspace, truth: GroundTruth, rows: list[SourceRow]
) -> None:
    before = len(_consultations(ws, "entity.profile"))
    profile = entity_profile(
        ws, CASE, EntityKind.NUMBER, "07700 900048", events_limit=7, justification="op tasking"
    )
    logged = _consultations(ws, "entity.profile")
    assert len(logged) == before + 1
    entry = logged[-1]
    assert entry.operation == "consultation"
    assert (entry.object_type, entry.object_id) == ("entity", profile.entity_id)
    assert entry.justification == "op tasking"
    assert entry.detail["kind"] == "number"
    assert entry.detail["row_ids"] == [e.row_id for e in profile.events]
    assert len(entry.detail["row_ids"]) == 7
    # the number itself is not in the log: only its hash
    assert "7700900048" not in str(entry.detail)
    assert "7700900048" not in str(entry.object_id)


def test_profiles_of_a_number(built: tuple[Workspace, GroundTruth, list[SourceRow]]) -> None:
    """Counts, times, exhibits, spellings, counterparts and links of the lieutenant's number;
    the same profile whatever form the number is given in; one consultation logged."""
    _check_number_profile_matches_the_files(*built)
    _check_any_written_form_gives_the_same_profile(*built)
    _check_profile_is_logged_as_one_consultation(*built)


def test_profiles_events_handsets_and_unknown_keys(
    built: tuple[Workspace, GroundTruth, list[SourceRow]],
) -> None:
    """Events page through in order and trace to their rows; an IMEI matches on 14 digits;
    an identifier the case does not hold gives an empty profile; bad keys are refused."""
    _check_events_page_through_in_time_order_and_trace_to_their_rows(*built)
    _check_handset_given_as_fifteen_digits_matches_on_fourteen(*built)
    _check_unknown_identifier_gives_an_empty_profile_and_bad_keys_are_refused(*built)


def test_empty_case_has_nothing_to_profile(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-EMPTY", "Nothing ingested yet")
    profile = entity_profile(workspace, "OP-EMPTY", EntityKind.NUMBER, "07700 900123")
    assert (profile.found, profile.rows, profile.events_total) == (False, 0, 0)
    assert profile.to_dict()["found"] is False


PHONE_A = Path(__file__).resolve().parents[1] / "fixtures" / "json_rows" / "phone_a.json"


@pytest.fixture
def handset_case(workspace: Workspace) -> Workspace:
    """OP-CEDAR holding PHONE/1: the json_rows handset extraction, with contacts, accounts,
    a device record and ANPR reads (tables no real parser fills yet)."""
    ws = with_json_rows(workspace)
    cases.create_case(ws, CASE, "Operation Cedar")
    exhibits.add_exhibit(ws, CASE, "PHONE/1", PHONE_A, producer="P", description="Handset")
    ingest.ingest_exhibit(ws, CASE, "PHONE/1", parser="json_rows")
    return ws


def test_profiles_across_contacts_accounts_devices_and_anpr(handset_case: Workspace) -> None:
    ws = handset_case
    # worked out by hand from tests/fixtures/json_rows/phone_a.json
    number = entity_profile(ws, CASE, EntityKind.NUMBER, "07700 900123")
    assert {t.table: t.rows for t in number.tables} == {
        "calls": 3,
        "messages": 2,
        "contacts": 1,
        "accounts": 1,
        "devices": 1,
    }
    assert number.rows == 8
    assert number.first_seen == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert number.last_seen == datetime(2026, 6, 5, 7, 15, tzinfo=UTC)
    assert number.inexact_rows == 0  # rows without an event time are not events
    assert {(c.party, c.normalised, c.rows) for c in number.counterparts} == {
        ("+447700900456", True, 2),
        ("+447700900789", True, 2),
        ("Withheld", False, 1),
    }
    withheld = next(c for c in number.counterparts if not c.normalised)
    assert (withheld.entity_id, withheld.by_table) == (None, {"calls": 1})
    # the extraction's rows name no target, so only the device, contact and account records
    # tie the number to a handset, a SIM and a name ("Ana Pop" and "ANA POP" are one name)
    assert {(x.kind, x.key, x.rows) for x in number.linked if x.kind is not EntityKind.PERSON} == {
        (EntityKind.HANDSET, "35693803564380", 1),
        (EntityKind.SIM, "001010123456789", 1),
    }
    person_links = [x for x in number.linked if x.kind is EntityKind.PERSON]
    assert len(person_links) == 1
    assert person_links[0].entity_id == entity_id(EntityKind.PERSON, "Ana Pop")
    assert person_links[0].rows == 2
    assert [e.time is None for e in number.events] == [False] * 5 + [True] * 3
    assert {e.table for e in number.events[5:]} == {"contacts", "accounts", "devices"}

    name = entity_profile(ws, CASE, EntityKind.PERSON, "  ana   POP ")
    assert name.entity_id == entity_id(EntityKind.PERSON, "Ana Pop")
    assert {s.original: s.rows for s in name.spellings} == {"Ana Pop": 1, "ANA POP": 1}
    assert {(r.table, r.role) for r in name.roles} == {
        ("contacts", "contact name"),
        ("accounts", "account display name"),
    }
    assert [(x.kind, x.key, x.rows) for x in name.linked] == [
        (EntityKind.NUMBER, "+447700900123", 2)
    ]
    assert (name.first_seen, name.last_seen) == (None, None)

    vehicle = entity_profile(ws, CASE, EntityKind.VEHICLE, "ab24-cde")
    assert (vehicle.key, vehicle.rows) == ("AB24CDE", 2)
    assert {s.original: s.rows for s in vehicle.spellings} == {"AB24 CDE": 1, "AB24CDE": 1}
    assert vehicle.first_seen == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert vehicle.last_seen == datetime(2026, 6, 3, 19, 0, tzinfo=UTC)

    sim = entity_profile(ws, CASE, EntityKind.SIM, "001 01 0123456789")
    assert (sim.rows, {t.table: t.rows for t in sim.tables}) == (2, {"calls": 1, "devices": 1})
    assert {(x.kind, x.key) for x in sim.linked} == {
        (EntityKind.NUMBER, "+447700900123"),
        (EntityKind.HANDSET, "35693803564380"),
    }


def test_the_read_copy_gives_the_same_profiles_as_the_files(handset_case: Workspace) -> None:
    """Profiles read from the read copy's sorted occurrences equal those read by scanning the
    Parquet files, for every kind; and the copy's table is what the profile then reads."""
    from threadline.services.entities import hits_table_name
    from threadline.services.query import evidence_files
    from threadline.services.search import build_search_index

    ws = handset_case
    asked = [
        (EntityKind.NUMBER, "07700 900123"),
        (EntityKind.HANDSET, "35693803564380"),
        (EntityKind.SIM, "001 01 0123456789"),
        (EntityKind.VEHICLE, "ab24-cde"),
        (EntityKind.PERSON, "  ana   POP "),
    ]
    from_files = [entity_profile(ws, CASE, kind, key).to_dict() for kind, key in asked]
    assert all(p["rows"] > 0 for p in from_files)
    build_search_index(ws, CASE)
    with ws.session() as session:
        files = evidence_files(session, cases.find_case(session, CASE))
    con = ws.evidence.connect(files)
    try:
        assert {hits_table_name(kind) for kind in EntityKind} <= con.derived
    finally:
        con.close()
    from_copy = [entity_profile(ws, CASE, kind, key).to_dict() for kind, key in asked]
    assert from_copy == from_files
