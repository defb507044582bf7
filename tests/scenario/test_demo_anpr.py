"""The demo's ANPR evidence: files the ANPR parsers read, and reads that agree with the story.

The camera list (AR/1) and the two read exports (AR/2 nas-style in UTC, AR/3 back-office-a in UK
local time) are parsed with the ``anpr_cameras`` and ``anpr`` parsers, and what they give is
checked against expectations written here by hand: the headers of docs/parsers/anpr.md, the
cameras each route passes (the one-way cameras missing the way back), the convoy's gap from the
story's trips, UK local time worked out with the system's zone database (not the generator's own
BST rule), and pairs of ordinary vehicles found by scanning the parsed reads, not the generator's
plan.
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.contract import Confidence, SourceProbe
from threadline.ingest.parsers.anpr.cameras import AnprCamerasParser
from threadline.ingest.parsers.anpr.parser import AnprParser
from threadline.model.vrm import normalise_vrm
from threadline.scenario import GroundTruth, generate_case

INGEST_TESTS = Path(__file__).resolve().parents[1] / "ingest"
if str(INGEST_TESTS) not in sys.path:
    sys.path.insert(0, str(INGEST_TESTS))
from collect_sink import CollectSink  # noqa: E402

#: Headers as docs/parsers/anpr.md gives them.
CAMERA_HEADER = "Camera ID,Site Name,Road,Carriageway Direction,Latitude,Longitude"
NAS_HEADER = (
    "Read ID,VRM,Read Date Time,Camera ID,Camera Name,Latitude,Longitude,Direction,Lane,Confidence"
)
BACK_OFFICE_HEADER = (
    "Plate,Date (UK local),Time (UK local),Camera,Location,Travel Direction,Lane No,"
    "Read Confidence (%)"
)

#: The cameras each journey passes, in order, and the direction of travel read at each (HMR-104
#: on Saltings Way reads eastbound only, so the way back from the factory misses it).
ROUTES = {
    ("A1", "W3"): [
        ("HMR-101", "SE"),
        ("HMR-102", "S"),
        ("HMR-103", "S"),
        ("HMR-104", "E"),
        ("TWG-1", "towards"),
    ],
    ("A1", "W1"): [("HMR-105", "W"), ("HMR-106", "W"), ("HMR-107", "W"), ("BFE-1", "towards")],
    ("W3", "A1"): [("TWG-1", "away"), ("HMR-103", "N"), ("HMR-102", "N"), ("HMR-101", "NW")],
    ("W1", "A1"): [("BFE-1", "away"), ("HMR-107", "E"), ("HMR-106", "E"), ("HMR-105", "E")],
    ("A3", "W3"): [("HMR-113", "S"), ("HMR-103", "S"), ("HMR-104", "E"), ("TWG-1", "towards")],
    ("W3", "A3"): [("TWG-1", "away"), ("HMR-103", "N"), ("HMR-113", "N")],
}
#: The places each route camera lies between (cameras are sited along the straight line).
ROUTE_ENDS = {"A1-W3": ("A1", "W3"), "A1-W1": ("A1", "W1"), "A3-W3": ("A3", "W3")}
SITE_CAMERAS = {"TWG-1": "W3", "BFE-1": "W1"}
#: OCR confusions (docs/parsers/anpr.md: 0/O, 1/I, 5/S, 8/B, 2/Z) and a bottom stroke lost (E/F).
CONFUSABLE = {frozenset(p) for p in ("0O", "1I", "5S", "8B", "2Z", "EF")}
#: Seconds apart at one camera that count as passing together (ordinary pairs; the convoy
#: trails by up to 75 seconds, so it is compared with CONVOY_WINDOW).
PAIR_WINDOW = 60
CONVOY_WINDOW = 90


def london() -> ZoneInfo:
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata is a dependency
        pytest.skip("no time-zone database")


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    out = tmp_path_factory.mktemp("cedar-anpr")
    return out, generate_case(out)


def _parse(parser: Any, path: Path, options: IngestOptions) -> tuple[ParseContext, CollectSink]:
    sink = CollectSink()
    ctx = ParseContext(
        exhibit=ExhibitFacts(exhibit_id="e-" + path.stem, reference=path.stem),
        parser_ref=parser.info.ref,
        options=options,
        sink=sink,
    )
    parser.parse(path, ctx)
    return ctx, sink


@pytest.fixture(scope="module")
def parsed(case: tuple[Path, GroundTruth]) -> dict[str, tuple[ParseContext, CollectSink]]:
    """AR/1, AR/2 and AR/3 parsed as the demo ingests them (AR/2's zone declared: UTC)."""
    out, truth = case
    return {
        "AR/1": _parse(AnprCamerasParser(), out / truth.exhibit("AR/1").filename, IngestOptions()),
        "AR/2": _parse(
            AnprParser(), out / truth.exhibit("AR/2").filename, IngestOptions(time_basis="utc")
        ),
        "AR/3": _parse(AnprParser(), out / truth.exhibit("AR/3").filename, IngestOptions()),
    }


def reads(parsed: dict[str, tuple[ParseContext, CollectSink]]) -> list[dict[str, Any]]:
    return parsed["AR/2"][1].rows("anpr_reads") + parsed["AR/3"][1].rows("anpr_reads")


def key(vrm: str) -> str:
    found = normalise_vrm(vrm)
    assert found is not None, vrm
    return found.value


def test_files_are_in_the_documented_layouts(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    cameras = (out / truth.exhibit("AR/1").filename).read_bytes()
    nas = (out / truth.exhibit("AR/2").filename).read_bytes()
    site = (out / truth.exhibit("AR/3").filename).read_bytes()
    assert cameras.split(b"\r\n", 1)[0].decode("utf-8") == CAMERA_HEADER
    assert nas.startswith(b"\xef\xbb\xbf")
    assert nas[3:].split(b"\r\n", 1)[0].decode("utf-8") == NAS_HEADER
    assert site.split(b"\r\n", 1)[0].decode("utf-8") == BACK_OFFICE_HEADER
    # each file is claimed by its parser with certainty, and the right profile is chosen
    for reference, parser in (("AR/1", AnprCamerasParser()), ("AR/2", AnprParser())):
        path = out / truth.exhibit(reference).filename
        data = path.read_bytes()
        probe = SourceProbe(path=path, head=data[:65536], size=len(data))
        assert parser.sniff(probe) is Confidence.CERTAIN, reference
    for reference, profile in (("AR/2", "nas-style"), ("AR/3", "back-office-a")):
        path = out / truth.exhibit(reference).filename
        ctx = ParseContext(
            exhibit=ExhibitFacts(exhibit_id="x", reference=reference),
            parser_ref="anpr@test",
            options=IngestOptions(),
            sink=CollectSink(),
        )
        assert AnprParser().choose_profile(path, ctx).name == profile
        assert truth.exhibit(reference).layout == profile
    assert truth.exhibit("AR/2").time_basis == "UTC"
    assert truth.exhibit("AR/3").time_basis == "UK local"


def test_parsed_row_counts_match_the_truth(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    assert parsed["AR/1"][1].counts() == {"anpr_cameras": 15, "source_rows": 15}
    assert truth.exhibit("AR/1").rows == 15 == len(truth.anpr.cameras)
    total = 0
    for reference in ("AR/2", "AR/3"):
        rows = truth.exhibit(reference).rows
        assert parsed[reference][1].counts() == {"anpr_reads": rows, "source_rows": rows}
        total += rows
    assert total == truth.anpr.reads
    # the only issues are the planted ones: a note on misread marks, and the repeated hour
    assert {(i.severity.value, i.code) for i in parsed["AR/1"][0].all_issues()} == set()
    assert {(i.severity.value, i.code) for i in parsed["AR/2"][0].all_issues()} == {
        ("info", "vrm.format_unknown")
    }
    assert {(i.severity.value, i.code) for i in parsed["AR/3"][0].all_issues()} == {
        ("info", "vrm.format_unknown"),
        ("warning", "time.ambiguous"),
    }
    # every camera read is in the camera list, and each camera's reads are as the truth says
    listed = {r["camera_id"] for r in parsed["AR/1"][1].rows("anpr_cameras")}
    per_camera: dict[str, int] = defaultdict(int)
    for row in reads(parsed):
        per_camera[row["camera_id"]] += 1
    assert set(per_camera) == listed
    assert dict(per_camera) == {c.camera_id: c.reads for c in truth.anpr.cameras}


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (b[0] - a[0]) * 111_200
    east = (b[1] - a[1]) * 111_200 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def _off_line(point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres from ``point`` to the segment a-b (flat earth: a few km in the Midlands)."""
    scale = math.cos(math.radians(a[0]))
    ax, ay, bx, by = a[1] * scale, a[0], b[1] * scale, b[0]
    px, py = point[1] * scale, point[0]
    t = max(
        0.0,
        min(
            1.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)
        ),
    )
    return math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay))) * 111_200


def test_cameras_stand_on_the_routes_between_the_story_places(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    places = {a.id: (a.latitude, a.longitude) for a in truth.addresses}
    listed = {r["camera_id"]: r for r in parsed["AR/1"][1].rows("anpr_cameras")}
    for camera in truth.anpr.cameras:
        row = listed[camera.camera_id]
        assert (row["latitude"], row["longitude"]) == (camera.latitude, camera.longitude)
        assert row["direction"] is not None, camera.camera_id  # every camera has a direction
        assert row["road"] == camera.road
    for (origin, destination), passings in ROUTES.items():
        ends = ROUTE_ENDS.get(f"{origin}-{destination}") or (destination, origin)
        for camera_id, _ in passings:
            where = (listed[camera_id]["latitude"], listed[camera_id]["longitude"])
            if camera_id in SITE_CAMERAS:  # a gate camera stands at its work site
                assert _metres(where, places[SITE_CAMERAS[camera_id]]) < 150
            else:
                assert _off_line(where, places[ends[0]], places[ends[1]]) < 500, camera_id
    on_routes = {c for passings in ROUTES.values() for c, _ in passings}
    elsewhere = [c for c in truth.anpr.cameras if c.camera_id not in on_routes]
    assert len(elsewhere) >= 5  # cameras on busy roads away from the case's routes
    assert sum(c.traffic == "busy" for c in elsewhere) >= 4
    # one-way cameras: Saltings Way reads eastbound only, Ring Road West northbound only
    assert listed["HMR-104"]["direction"] == "E"
    assert listed["HMR-112"]["direction"] == "N"


def _read_index(
    parsed: dict[str, tuple[ParseContext, CollectSink]],
) -> dict[tuple[str, datetime], list[dict[str, Any]]]:
    index: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for row in reads(parsed):
        if row["read_utc"] is not None:
            index[(row["camera_id"], row["read_utc"])].append(row)
    return index


def _as_read(truth: GroundTruth) -> dict[tuple[str, datetime, str], str]:
    """(camera, time, true mark) -> the mark as read, for the misread reads."""
    return {(m.camera_id, m.read_utc, m.vrm): m.vrm_read for m in truth.anpr.misreads}


def _check_read(
    index: dict[tuple[str, datetime], list[dict[str, Any]]],
    misread: dict[tuple[str, datetime, str], str],
    camera: str,
    when: datetime,
    vrm: str,
    direction: str,
) -> None:
    expected = key(misread.get((camera, when, vrm), vrm))
    found = [r for r in index[(camera, when)] if r["vrm"] == expected]
    assert len(found) == 1, (camera, when, vrm, index[(camera, when)])
    assert found[0]["direction"] == direction, (camera, when, vrm)


def test_every_convoy_trip_is_read_at_every_camera_with_its_gap(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    index, misread = _read_index(parsed), _as_read(truth)
    journeys = {j.date: j for j in truth.anpr.journeys if j.kind == "convoy"}
    assert len(journeys) == len(truth.convoy_trips) > 150
    for trip in truth.convoy_trips:
        journey = journeys[trip.date]
        route = ROUTES[(trip.from_address, trip.to_address)]
        assert journey.vrms == (trip.lead_vrm, trip.follow_vrm)
        assert journey.gap_seconds == trip.gap_seconds
        assert list(journey.cameras) == [c for c, _ in route]
        assert list(journey.times) == sorted(journey.times)
        assert trip.depart <= journey.times[0]
        assert journey.times[-1] <= trip.arrive
        for (camera, direction), when in zip(route, journey.times, strict=True):
            _check_read(index, misread, camera, when, trip.lead_vrm, direction)
            later = when + timedelta(seconds=trip.gap_seconds)
            _check_read(index, misread, camera, later, trip.follow_vrm, direction)


def test_transport_runs_are_read_on_their_routes(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    index, misread = _read_index(parsed), _as_read(truth)
    zone = london()
    journeys = {(j.vrms[0], j.times[0]): j for j in truth.anpr.journeys if j.kind == "transport"}
    assert len(journeys) == len(truth.transport_runs)
    lead, van = (v.vrm for v in truth.vehicles)
    evening = [r for r in truth.transport_runs if r.to_address == "A1"]
    assert {r.date for r in evening} == {t.date for t in truth.convoy_trips}
    night = [r for r in truth.transport_runs if "A3" in (r.from_address, r.to_address)]
    assert len(evening) + len(night) == len(truth.transport_runs)
    assert len(night) >= 30
    house = {a.id: set(a.occupants) for a in truth.addresses}
    for run in truth.transport_runs:
        local = run.depart.astimezone(zone)
        assert local.date() == run.date
        assert local.hour >= 21 or local.hour < 7  # unusual hours
        assert run.vrm == (lead if run in evening else van)
        home = run.to_address if run in evening else "A3"
        assert set(run.passengers) <= house[home]
        assert {truth.person(p).role for p in run.passengers} == {"victim"}
        route = ROUTES[(run.from_address, run.to_address)]
        journey = next(
            j
            for (_, t), j in journeys.items()
            if j.vrms == (run.vrm,) and run.depart <= t <= run.arrive
        )
        assert list(journey.cameras) == [c for c, _ in route]
        for (camera, direction), when in zip(route, journey.times, strict=True):
            _check_read(index, misread, camera, when, run.vrm, direction)


def _co_passes(
    rows: list[dict[str, Any]], exclude: set[str], window: int = PAIR_WINDOW
) -> dict[tuple[str, str], dict[Any, set[str]]]:
    """For pairs of marks read at one camera within ``window`` seconds of each other: the days
    (UK local) and the cameras where it happened."""
    by_camera: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in rows:
        if row["read_utc"] is not None and row["vrm"] not in exclude:
            by_camera[row["camera_id"]].append((row["read_utc"], row["vrm"]))
    zone = london()
    found: dict[tuple[str, str], dict[Any, set[str]]] = defaultdict(lambda: defaultdict(set))
    for camera, seen in by_camera.items():
        seen.sort()
        for i, (when, vrm) in enumerate(seen):
            for later, other in seen[i + 1 :]:
                if (later - when).total_seconds() > window:
                    break
                if other != vrm:
                    pair = (min(vrm, other), max(vrm, other))
                    found[pair][when.astimezone(zone).date()].add(camera)
    return found


def test_ordinary_pairs_pass_together_at_busy_cameras(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    case_marks = {key(v.vrm) for v in truth.vehicles}
    co = _co_passes(reads(parsed), case_marks)
    # ordinary vehicles found together at two or more cameras on one day, in the reads alone
    pairs = {p for p, days in co.items() if any(len(c) >= 2 for c in days.values())}
    assert len(pairs) >= 1
    planted = [j for j in truth.anpr.journeys if j.kind == "background-pair"]
    assert len(planted) >= 10
    busy = {c.camera_id for c in truth.anpr.cameras if c.traffic == "busy"}
    for journey in planted:
        assert not {key(v) for v in journey.vrms} & case_marks
        assert len(set(journey.cameras)) == 2
        assert set(journey.cameras) <= busy
        assert 0 < journey.gap_seconds <= PAIR_WINDOW
        pair = tuple(sorted(key(v) for v in journey.vrms))
        assert pair in pairs
        assert co[pair][journey.date] >= set(journey.cameras)
    # the convoy, for comparison: together at four or more cameras on most of its days
    lead, follow = sorted(case_marks)
    ours = [r for r in reads(parsed) if r["vrm"] in case_marks]
    convoy = _co_passes(ours, set(), CONVOY_WINDOW)[(lead, follow)]
    assert sum(len(c) >= 4 for c in convoy.values()) > 150
    assert max(sum(len(c) >= 2 for c in co[p].values()) for p in pairs) < 50


def test_background_traffic_is_heavier_on_busy_roads(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    case_marks = {key(v.vrm) for v in truth.vehicles}
    ordinary: dict[str, int] = defaultdict(int)
    marks: dict[str, set[str]] = defaultdict(set)
    for row in reads(parsed):
        if row["vrm"] not in case_marks:
            ordinary[row["camera_id"]] += 1
            marks[row["camera_id"]].add(row["vrm"])
    traffic = {c.camera_id: c.traffic for c in truth.anpr.cameras}
    by_class: dict[str, list[int]] = defaultdict(list)
    for camera, count in ordinary.items():
        by_class[traffic[camera]].append(count)
    assert min(by_class["busy"]) > max(by_class["moderate"]) > max(by_class["quiet"])
    assert min(by_class["moderate"]) > max(by_class["quiet"]) / 2
    assert all(len(m) >= 100 for m in marks.values())  # many vehicles at every camera
    assert truth.anpr.background_vehicles > 2000


def test_misreads_and_low_confidence_are_where_the_truth_says(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    _, truth = case
    rows = {
        (ref, int(r["locator"].removeprefix("row="))): r
        for ref in ("AR/2", "AR/3")
        for r in parsed[ref][1].rows("anpr_reads")
    }
    case_marks = {v.vrm for v in truth.vehicles}
    convoy_misreads = {m.vrm for m in truth.anpr.misreads if m.vrm in case_marks}
    assert convoy_misreads == case_marks  # each case plate misread at least once
    for item in truth.anpr.misreads:
        row = rows[(item.exhibit, item.row)]
        assert row["vrm_original"] == item.vrm_read
        assert row["camera_id"] == item.camera_id
        assert row["read_utc"] == item.read_utc
        assert row["confidence"] == item.confidence
        true, read = key(item.vrm), key(item.vrm_read)
        assert true != read
        if len(true) == len(read):
            differ = [(a, b) for a, b in zip(true, read, strict=True) if a != b]
            assert len(differ) == 1, item
            assert frozenset(differ[0]) in CONFUSABLE, item
        else:
            assert len(read) == len(true) - 1, item  # a character lost
            assert true.startswith(read), item
    ordinary = [m for m in truth.anpr.misreads if m.vrm not in case_marks]
    swapped = {
        frozenset((a, b))
        for m in ordinary
        for a, b in zip(key(m.vrm), key(m.vrm_read), strict=True)
        if a != b
    }
    assert swapped == {frozenset("0O"), frozenset("1I")}
    assert {m.exhibit for m in truth.anpr.low_confidence} == {"AR/2", "AR/3"}
    for item in truth.anpr.low_confidence:
        row = rows[(item.exhibit, item.row)]
        assert item.vrm == item.vrm_read in case_marks
        assert row["vrm"] == key(item.vrm)
        assert row["confidence"] == item.confidence < 50
    # every other read of the case's plates, read right, is confident
    singled = {(m.exhibit, m.row) for m in (*truth.anpr.misreads, *truth.anpr.low_confidence)}
    for place, row in rows.items():
        if place not in singled and row["vrm"] in {key(v) for v in case_marks}:
            assert row["confidence"] >= 75, place


def test_back_office_writes_uk_local_time_and_flags_the_repeated_hour(
    case: tuple[Path, GroundTruth], parsed: dict[str, tuple[ParseContext, CollectSink]]
) -> None:
    out, truth = case
    zone = london()
    item = truth.exhibit("AR/3")
    rows = {r["locator"]: r for r in parsed["AR/3"][1].rows("anpr_reads")}
    ambiguous = {loc for loc, r in rows.items() if r["read_status"] == "ambiguous"}
    assert ambiguous == {f"row={n}" for n in item.anomalies.ambiguous_time}
    assert len(ambiguous) >= 2
    for detail in item.anomaly_details:
        row = rows[f"row={detail.row}"]
        assert detail.written == row["read_original"]
        assert detail.written.startswith("25/10/2026 01:")
        assert detail.true_start in (row["read_earliest_utc"], row["read_latest_utc"])
    # one read of each occurrence of the repeated hour (BST, then GMT)
    offsets = {d.true_start.astimezone(zone).utcoffset() for d in item.anomaly_details}
    assert offsets == {timedelta(hours=1), timedelta(0)}
    # every other read: the written wall-clock time is the UTC instant in Europe/London
    with (out / item.filename).open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    for number, record in enumerate(written, start=2):
        row = rows[f"row={number}"]
        if row["read_utc"] is None:
            continue
        local = row["read_utc"].astimezone(zone)
        assert record["Date (UK local)"] == local.strftime("%d/%m/%Y")
        assert record["Time (UK local)"] == local.strftime("%H:%M:%S")
    # and the NAS export writes UTC: its times are those of the convoy's reads as recorded
    assert truth.exhibit("AR/2").anomalies.ambiguous_time == ()


def test_every_mark_is_fictional(parsed: dict[str, tuple[ParseContext, CollectSink]]) -> None:
    """Marks whose memory tag begins with T or U cannot be issued (no DVLA region has them)."""
    for row in reads(parsed):
        assert row["vrm"][0] in "TU", row["vrm"]
        if row["vrm_format"] == "current":
            assert row["vrm"][1] not in "IQZ"


def test_truth_records_the_case_vehicles_and_their_reads(case: tuple[Path, GroundTruth]) -> None:
    _, truth = case
    kinds = {j.kind for j in truth.anpr.journeys}
    assert kinds == {"convoy", "transport", "background-pair"}
    starts = [j.times[0] for j in truth.anpr.journeys]
    assert starts == sorted(starts)
    assert truth.anpr.producer == truth.exhibit("AR/2").producer
    assert {truth.exhibit(r).producer for r in ("AR/1", "AR/2", "AR/3")} == {truth.anpr.producer}
    assert all(t.tzinfo is UTC for j in truth.anpr.journeys for t in j.times)
    assert datetime(2026, 3, 1, tzinfo=UTC) <= min(starts)


def test_ground_truth_of_a_previous_schema_is_refused(case: tuple[Path, GroundTruth]) -> None:
    """Version 3 added the transport runs and the ANPR evidence, version 4 which phones moved
    with which vehicle; a reader of older truth would find none of them, so versions 2 and 3
    are refused rather than read in part."""
    out, truth = case
    assert truth.schema_version == 4
    text = (out / "ground_truth.json").read_text(encoding="utf-8")
    assert GroundTruth.from_json(text) == truth
    for version in (2, 3):
        old = text.replace('"schema_version": 4', f'"schema_version": {version}', 1)
        with pytest.raises(ValueError, match="schema version 4"):
            GroundTruth.from_json(old)
