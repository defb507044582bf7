"""The case timeline on the demo case: order, filters, keyset pages, UK local labels, logging.

Expected values come from the ground truth (rows per exhibit and table, the planted ambiguous and
spring-gap rows) and from the generated files read directly (see ``test_entities``), never from
the timeline's own SQL.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from json_rows_parser import with_json_rows
from test_entities import PHONE_A, SourceRow, _consultations, _digits, demo_rows

from threadline.errors import ConfigError, NotFound
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.scenario import GroundTruth
from threadline.services import cases, demo, exhibits, ingest
from threadline.services.entities import entity_profile
from threadline.services.timeline import TimelineEvent, TimelinePage, timeline
from threadline.services.workspace import Workspace

CASE = "OP-CEDAR"


@pytest.fixture
def built(workspace: Workspace) -> tuple[Workspace, GroundTruth, Path]:
    # the oracle reads the network returns only: leave the handset downloads out
    summary = demo.build_demo(workspace, phone_downloads=False)
    truth_path = Path(str(summary["ground_truth"]))
    return workspace, GroundTruth.from_json(truth_path.read_text("utf-8")), truth_path.parent


def _all_pages(ws: Workspace, **filters: object) -> tuple[list[TimelineEvent], list[TimelinePage]]:
    events: list[TimelineEvent] = []
    pages: list[TimelinePage] = []
    after = None
    while True:
        page = timeline(ws, CASE, after=after, **filters)  # type: ignore[arg-type]
        pages.append(page)
        events.extend(page.events)
        if page.next_cursor is None:
            return events, pages
        assert len(page.events) == page.limit
        after = page.next_cursor


def _sort_key(event: TimelineEvent) -> tuple[datetime, str, str]:
    assert event.time.sort_utc is not None
    return (event.time.sort_utc, event.row_id, event.table)


def _check_pages_join_up_in_order_with_no_repeat_or_gap(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    expected = sum(
        e.counts.calls + e.counts.messages + e.counts.data_sessions
        for e in truth.exhibits
        if e.kind == "cdr"
    )
    events, pages = _all_pages(ws, limit=1000)
    assert len(pages) == -(-expected // 1000)
    assert all(p.total == expected for p in pages)
    assert len(events) == expected
    assert len({(e.table, e.row_id) for e in events}) == expected
    keys = [_sort_key(e) for e in events]
    assert keys == sorted(keys)
    # a smaller page size over the start gives the same sequence
    small, _ = _all_pages(ws, limit=250, end=keys[1200][0])
    assert [e.row_id for e in small] == [
        e.row_id for e in events if _sort_key(e)[0] < keys[1200][0]
    ]


def _check_filters_by_table_and_exhibit(ws: Workspace, truth: GroundTruth, source: Path) -> None:
    messages = timeline(ws, CASE, tables=["messages"], limit=50)
    assert messages.total == sum(e.counts.messages for e in truth.exhibits if e.kind == "cdr")
    assert {e.table for e in messages.events} == {"messages"}

    dc2 = truth.exhibit("DC/2")
    events, pages = _all_pages(ws, exhibits=["dc/2"], tables=["calls", "data_sessions"], limit=900)
    assert pages[0].filters.exhibits == ("DC/2",)
    assert len(events) == pages[0].total == dc2.counts.calls + dc2.counts.data_sessions
    assert {(e.exhibit, e.table) for e in events} == {("DC/2", "calls"), ("DC/2", "data_sessions")}

    with pytest.raises(NotFound, match="DC/99"):
        timeline(ws, CASE, exhibits=["DC/99"])
    with pytest.raises(ConfigError, match="not an event table"):
        timeline(ws, CASE, tables=["cell_sites"])


def _check_entity_filter_finds_the_rows_the_files_hold(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    rows: list[SourceRow] = demo_rows(source, truth)
    expected = {
        (r.exhibit, f"row={r.row}") for r in rows if "7700900195" in {_digits(p) for p in r.parties}
    }
    events, pages = _all_pages(ws, entity=(EntityKind.NUMBER, "+44 7700 900195"), limit=400)
    assert pages[0].total == len(expected)
    assert {(e.exhibit, e.locator) for e in events} == expected
    assert len(events) == len(expected)
    assert pages[0].filters.entity_id == entity_id(EntityKind.NUMBER, "+447700900195")
    for event in events:
        assert "+447700900195" in {p.value for p in event.parties}

    # a handset given with its check digit finds the rows of its 14-digit key
    handset = truth.successor.imei
    on_handset = sum(1 for r in rows if r.imei[:14] == handset[:14])
    assert timeline(ws, CASE, entity=(EntityKind.HANDSET, handset), limit=1).total == on_handset


def _check_date_range_is_inclusive_start_exclusive_end_on_utc(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    everything, _ = _all_pages(ws, limit=1000)
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    end = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    # an aware time in another zone means the same instant: 10:00 BST is 09:00 UTC
    start_bst = start.astimezone(ZoneInfo("Europe/London"))
    assert start_bst.hour == 10
    inside = [e for e in everything if start <= _sort_key(e)[0] < end]
    events, pages = _all_pages(ws, start=start_bst, end=end, limit=100)
    assert [e.row_id for e in events] == [e.row_id for e in inside]
    assert pages[0].total == len(inside) > 0
    # the boundary itself: an event exactly at the start is in, one exactly at the end is out
    first = inside[0].time.sort_utc
    assert first is not None
    at_start = timeline(ws, CASE, start=first, end=first + timedelta(seconds=1))
    assert inside[0].row_id in {e.row_id for e in at_start.events}
    assert timeline(ws, CASE, start=first - timedelta(hours=1), end=first).total == sum(
        1 for e in everything if first - timedelta(hours=1) <= _sort_key(e)[0] < first
    )

    with pytest.raises(ConfigError, match="time zone"):
        timeline(ws, CASE, start=datetime(2026, 6, 1))
    with pytest.raises(ConfigError, match="before its end"):
        timeline(ws, CASE, start=end, end=start)


def _check_uk_local_time_is_labelled_gmt_or_bst(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    summer = timeline(ws, CASE, start=datetime(2026, 7, 1, tzinfo=UTC), limit=1).events[0]
    assert summer.time.status == "exact"
    assert summer.time.local is not None
    assert summer.time.utc is not None
    assert summer.time.local.label == "BST"
    assert summer.time.local.local.utcoffset() == timedelta(hours=1)
    assert summer.time.local.local.replace(tzinfo=None) == (
        summer.time.utc.replace(tzinfo=None) + timedelta(hours=1)
    )
    winter = timeline(ws, CASE, start=datetime(2026, 12, 1, tzinfo=UTC) - timedelta(days=20))
    first = winter.events[0]
    assert first.time.local is not None
    assert first.time.utc is not None
    assert first.time.local.label == "GMT"
    assert first.time.local.local.replace(tzinfo=None) == first.time.utc.replace(tzinfo=None)
    data = first.to_dict()["time"]
    assert data["local"]["label"] == "GMT"
    assert data["utc"].endswith("+00:00")


def _check_repeated_hour_rows_are_placed_by_earliest_reading_and_flagged(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    dc3 = truth.exhibit("DC/3")
    planted = {d.row: d for d in dc3.anomaly_details if d.kind == "ambiguous_time"}
    assert set(planted) == set(dc3.anomalies.ambiguous_time)
    night = timeline(
        ws,
        CASE,
        exhibits=["DC/3"],
        start=datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
        end=datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
    )
    flagged = [e for e in night.events if e.time.status == "ambiguous"]
    assert {e.locator for e in flagged} == {f"row={r}" for r in planted}
    for event in flagged:
        time = event.time
        assert time.utc is None
        assert time.local is None
        assert time.earliest_local is not None
        assert time.latest_local is not None
        assert (time.earliest_local.label, time.latest_local.label) == ("BST", "GMT")
        assert time.latest_utc - time.earliest_utc == timedelta(hours=1)  # type: ignore[operator]
        assert time.earliest_local.local.replace(tzinfo=None) == (
            time.latest_local.local.replace(tzinfo=None)
        )  # one wall-clock reading, two instants
        assert planted[int(event.locator.removeprefix("row="))].true_start in (
            time.earliest_utc,
            time.latest_utc,
        )
    # placed by the earliest reading among the exact events around them
    keys = [_sort_key(e) for e in night.events]
    assert keys == sorted(keys)
    earliest = sorted(flagged, key=lambda e: e.time.earliest_utc)  # type: ignore[arg-type, return-value]
    assert [e.row_id for e in flagged] == [e.row_id for e in earliest]

    gap = timeline(
        ws,
        CASE,
        exhibits=["DC/3"],
        start=datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        end=datetime(2026, 3, 29, 3, 0, tzinfo=UTC),
    )
    spring = [e for e in gap.events if e.time.status == "nonexistent"]
    assert {e.locator for e in spring} == {f"row={r}" for r in dc3.anomalies.nonexistent_time}
    for event in spring:
        assert event.time.earliest_local is not None
        assert event.time.latest_local is not None
        assert (event.time.earliest_local.label, event.time.latest_local.label) == ("GMT", "BST")


def _check_tampered_or_foreign_cursor_is_refused(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    page = timeline(ws, CASE, limit=10, tables=["calls"])
    cursor = page.next_cursor
    assert cursor is not None
    second = timeline(ws, CASE, limit=10, tables=["calls"], after=cursor)
    assert second.events[0].row_id not in {e.row_id for e in page.events}

    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    moved = raw.replace(raw.split(".")[1], str(int(raw.split(".")[1]) + 1_000_000), 1)
    forged = base64.urlsafe_b64encode(moved.encode("ascii")).decode("ascii").rstrip("=")
    for bad in (forged, cursor[:-3], cursor + "A", "not a cursor", "", "%%%"):
        with pytest.raises(ConfigError, match="damaged"):
            timeline(ws, CASE, limit=10, tables=["calls"], after=bad)
    with pytest.raises(ConfigError, match="other filters"):
        timeline(ws, CASE, limit=10, tables=["messages"], after=cursor)


def _check_timeline_is_logged_as_one_consultation(
    ws: Workspace, truth: GroundTruth, source: Path
) -> None:
    before = len(_consultations(ws, "evidence.timeline"))
    page = timeline(
        ws,
        CASE,
        entity=(EntityKind.NUMBER, "07700 900048"),
        tables=["calls"],
        limit=12,
        justification="review",
    )
    logged = _consultations(ws, "evidence.timeline")
    assert len(logged) == before + 1
    entry = logged[-1]
    assert (entry.operation, entry.object_type, entry.justification) == (
        "consultation",
        "timeline",
        "review",
    )
    assert entry.detail["total"] == page.total
    assert entry.detail["row_ids"] == [e.row_id for e in page.events]
    assert len(page.events) == 12
    assert entry.detail["filters"]["tables"] == ["calls"]
    assert entry.detail["filters"]["entity"] == {
        "kind": "number",
        "entity_id": entity_id(EntityKind.NUMBER, "+447700900048"),
    }
    assert "7700900048" not in str(entry.detail)


def test_pages_order_and_filters(built: tuple[Workspace, GroundTruth, Path]) -> None:
    """Keyset pages join up in order; table, exhibit and date-range filters."""
    _check_pages_join_up_in_order_with_no_repeat_or_gap(*built)
    _check_filters_by_table_and_exhibit(*built)
    _check_date_range_is_inclusive_start_exclusive_end_on_utc(*built)


def test_entity_filter_cursors_and_logging(built: tuple[Workspace, GroundTruth, Path]) -> None:
    """The entity filter against the files; damaged and foreign cursors; the consultation."""
    _check_entity_filter_finds_the_rows_the_files_hold(*built)
    _check_tampered_or_foreign_cursor_is_refused(*built)
    _check_timeline_is_logged_as_one_consultation(*built)


def test_times_in_uk_local_and_inexact_times(built: tuple[Workspace, GroundTruth, Path]) -> None:
    """GMT/BST labels, and repeated-hour and spring-gap rows placed by earliest and flagged."""
    _check_uk_local_time_is_labelled_gmt_or_bst(*built)
    _check_repeated_hour_rows_are_placed_by_earliest_reading_and_flagged(*built)


def test_empty_case_has_an_empty_timeline(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-EMPTY", "Nothing ingested yet")
    page = timeline(workspace, "OP-EMPTY", entity=(EntityKind.NUMBER, "07700 900123"))
    assert (page.events, page.total, page.next_cursor) == ((), 0, None)
    assert timeline(workspace, "OP-EMPTY").total == 0


TAIL_CSV = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
    "MOC,447700900123,447700900456,,02/06/2026,09:15:02,125,,,,\n"
    "MTC,447700900789,447700900123,,99/99/2026,10:02:47,61,,,,\n"
    "MOC,447700900123,447700900789,,01/06/2026,11:30:00,20,,,,\n"
    "MOC,447700900123,447700900456,,not a date,12:00:00,5,,,,\n"
    "MTC,447700900456,447700900123,,01/06/2026,08:00:00,30,,,,\n"
)


def test_events_without_a_time_come_last_and_page_through(
    workspace: Workspace, tmp_path: Path
) -> None:
    cases.create_case(workspace, "OP-TAIL", "Unreadable times")
    path = tmp_path / "tail.csv"
    path.write_text(TAIL_CSV, encoding="utf-8")
    exhibits.add_exhibit(workspace, "OP-TAIL", "JB/1", path, producer="P", description="D")
    ingest.ingest_exhibit(workspace, "OP-TAIL", "JB/1")

    seen: list[TimelineEvent] = []
    after = None
    pages = 0
    while True:
        page = timeline(workspace, "OP-TAIL", limit=2, after=after)
        pages += 1
        assert page.total == 5
        seen.extend(page.events)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert pages == 3
    # rows 6, 4 and 2 of the file (header is row 1) in time order, then rows 3 and 5, unread
    timed = ["row=6", "row=4", "row=2"]
    assert [e.locator for e in seen[:3]] == timed
    untimed = seen[3:]
    assert sorted(e.locator for e in untimed) == ["row=3", "row=5"]
    assert [e.row_id for e in untimed] == sorted(e.row_id for e in untimed)
    for event in untimed:
        assert event.time.sort_utc is None
        assert event.time.status not in ("exact", "ambiguous", "nonexistent")
        assert event.time.local is None
        assert event.time.earliest_local is None
    # a date range holds only events whose time is known
    ranged = timeline(
        workspace,
        "OP-TAIL",
        start=datetime(2026, 6, 1, tzinfo=UTC),
        end=datetime(2026, 6, 3, tzinfo=UTC),
    )
    assert [e.locator for e in ranged.events] == timed
    # the profile counts them apart from its first and last seen
    number = entity_profile(workspace, "OP-TAIL", EntityKind.NUMBER, "07700 900123")
    assert number.rows == 5
    assert number.inexact_rows == 2
    assert number.first_seen == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert number.last_seen == datetime(2026, 6, 2, 9, 15, 2, tzinfo=UTC)


def test_anpr_reads_and_handset_rows_in_the_timeline(workspace: Workspace) -> None:
    ws = with_json_rows(workspace)
    cases.create_case(ws, CASE, "Operation Cedar")
    exhibits.add_exhibit(ws, CASE, "PHONE/1", PHONE_A, producer="P", description="Handset")
    ingest.ingest_exhibit(ws, CASE, "PHONE/1", parser="json_rows")
    # worked out by hand from tests/fixtures/json_rows/phone_a.json: 4 calls, 3 messages and
    # 3 ANPR reads have times; contacts, accounts and the device record are not events
    everything = timeline(ws, CASE)
    assert everything.total == 10
    assert [e.time.utc for e in everything.events][:3] == [
        datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
    ]
    read = everything.events[0]
    assert (read.table, read.exhibit, read.locator) == ("anpr_reads", "PHONE/1", "$.anpr_reads[0]")
    assert [(p.column, p.role, p.value, p.original) for p in read.parties] == [
        ("vrm", "vehicle read", "AB24CDE", "AB24 CDE")
    ]
    van = timeline(ws, CASE, entity=(EntityKind.VEHICLE, "ab24 cde"))
    assert [e.locator for e in van.events] == ["$.anpr_reads[0]", "$.anpr_reads[2]"]
    withheld = timeline(ws, CASE, tables=["calls"], start=datetime(2026, 6, 4, tzinfo=UTC))
    assert [(p.column, p.value, p.original) for p in withheld.events[0].parties] == [
        ("a_party", None, "Withheld"),
        ("b_party", "+447700900123", "07700900123"),
    ]
    assert withheld.events[0].parties[0].entity_id is None
    # a name has no events of its own: contacts and accounts are not event tables
    assert timeline(ws, CASE, entity=(EntityKind.PERSON, "Ana Pop")).total == 0
