"""The victims' phones' returns (DC/7, DC/8) and the driver's phone on the people carrier's route.

The returns and the cell list are read back with independent code (csv, openpyxl, zoneinfo) and
checked against the ground truth's addresses, cameras, convoy trips, transport runs and
``vehicle_phones``, so the generator's own placement is not its own oracle. Distances are worked
out here on the sphere; "the masts nearest" a place are found among the cell list's positions.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from threadline.scenario import GroundTruth, generate_case

UK = ZoneInfo("Europe/London")
MNC = {"network-a": "30", "network-b": "15", "network-c": "10"}


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    out = tmp_path_factory.mktemp("cedar")
    return out, generate_case(out)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371.0 * math.hypot(x, math.radians(lat2 - lat1))


def _masts(out: Path) -> dict[str, tuple[float, float]]:
    """Mast position of every cell in the cell list, by CGI."""
    with (out / "cell_list.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["CGI"]: (float(row["Latitude"]), float(row["Longitude"]))
            for row in csv.DictReader(handle)
        }


def _nearest_two(
    masts: dict[str, tuple[float, float]], mnc: str, lat: float, lon: float
) -> set[tuple[float, float]]:
    """The two mast positions of one network in the cell list nearest a point."""
    positions = {p for cgi, p in masts.items() if cgi.split("-")[1] == mnc}
    return set(sorted(positions, key=lambda p: _km(lat, lon, *p))[:2])


def _address(truth: GroundTruth, address_id: str) -> tuple[float, float]:
    found = next(a for a in truth.addresses if a.id == address_id)
    return found.latitude, found.longitude


def test_the_shared_phone_is_always_on_house_2s_masts(case: tuple[Path, GroundTruth]) -> None:
    """The story keeps the shared phone at House 2 (it never travels), so every cell of every row
    of DC/7 (network-b, cells written ``LAC/CI``) is a sector of one of the two network-b masts
    nearest House 2. Its users share it: the truth gives it no single user but three victims who
    all live there."""
    out, truth = case
    exhibit = truth.exhibit("DC/7")
    shared = next(n for n in truth.numbers if n.msisdn == exhibit.target_msisdn)
    assert shared.user is None
    assert {truth.person(p).home_address for p in shared.shared_by} == {"A2"}
    assert {truth.person(p).role for p in shared.shared_by} == {"victim"}
    house = _nearest_two(_masts(out), MNC["network-b"], *_address(truth, "A2"))
    masts = _masts(out)
    with (out / exhibit.filename).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == exhibit.rows > 400  # about 2.8 data sessions a day over six months
    for row in rows:
        for column in ("First Cell", "Last Cell"):
            if row[column]:
                cgi = "234-15-" + row[column].replace("/", "-")
                assert masts[cgi] in house, (row, column)
    # used at night: data at 22:00-06:00 local on most days of the window
    nights = {row["Start Date Time"][:10] for row in rows if row["Record Type"] == "Data"}
    assert len(nights) > 150


def test_v03s_phone_is_on_house_1s_masts_overnight(case: tuple[Path, GroundTruth]) -> None:
    """DC/8 (network-c XLSX, UTC) is the phone of V03, who lives at House 1. Her phone is used
    late (from 22:30 local) and early (before 06:15), when the people carrier has brought her back
    (22:25 at the latest) or not yet left (06:35 at the earliest), so every row starting
    22:00-06:00 UK local has its cells on one of the two network-c masts nearest House 1."""
    out, truth = case
    exhibit = truth.exhibit("DC/8")
    assert exhibit.target_person == "V03"
    assert truth.person("V03").home_address == "A1"
    masts = _masts(out)
    house = _nearest_two(masts, MNC["network-c"], *_address(truth, "A1"))
    sheet = openpyxl.load_workbook(out / exhibit.filename, read_only=True)["Call Data"]
    header, *rows = sheet.iter_rows(min_row=4, values_only=True)
    column = {name: i for i, name in enumerate(header)}
    overnight = 0
    for values in rows:
        padded = (*values, *([None] * (len(header) - len(values))))
        day = padded[column["Date (UTC)"]]
        assert isinstance(day, datetime)
        clock = datetime.strptime(str(padded[column["Time (UTC)"]]), "%H:%M:%S")
        start = datetime.combine(day.date(), clock.time(), tzinfo=UTC)
        hour = start.astimezone(UK).hour
        if 6 <= hour < 22:
            continue
        overnight += 1
        for name in ("Cell Start", "Cell End"):
            if padded[column[name]]:
                assert masts[str(padded[column[name]])] in house, (start, name)
    assert overnight > 100  # about 1.6 sessions a night over four months


def _drives(truth: GroundTruth, vrm: str) -> list[tuple[str, datetime, datetime]]:
    """(kind, depart, arrive) of every drive of ``vrm``: convoy trips (the lead, or the follower
    ``gap_seconds`` behind) and transport runs."""
    drives = []
    for trip in truth.convoy_trips:
        if vrm in (trip.lead_vrm, trip.follow_vrm):
            lag = timedelta(seconds=trip.gap_seconds if vrm == trip.follow_vrm else 0)
            drives.append(("convoy", trip.depart + lag, trip.arrive + lag))
    drives += [("transport", r.depart, r.arrive) for r in truth.transport_runs if r.vrm == vrm]
    return sorted(drives, key=lambda d: d[1])


def test_the_drivers_phone_follows_the_carrier_on_every_drive(
    case: tuple[Path, GroundTruth],
) -> None:
    """truth.vehicle_phones names the driver's number and the vehicle he drives (truth.vehicles).
    Read from DC/5 itself (network-a, UTC): the rows the truth lists for each run are exactly the
    return's rows starting during that drive; every drive of the carrier inside DC/5's window
    (convoy mornings and evening returns) has three or more; and each such row's start cell is on
    a mast within 2 km of a camera that read the carrier within 10 minutes (by the journey times
    in truth.anpr), at 3 or more distinct cameras per drive."""
    out, truth = case
    (moved,) = (v for v in truth.vehicle_phones if v.role == "driver")
    assert moved.person == next(v.user for v in truth.vehicles if v.vrm == moved.vrm) == "P04"
    assert moved.msisdn == truth.exhibit("DC/5").target_msisdn
    exhibit = truth.exhibit(moved.exhibit)
    assert exhibit.window_start is not None
    assert exhibit.window_end is not None
    with (out / exhibit.filename).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    starts = [
        datetime.strptime(f"{r['Call Date']} {r['Call Time']}", "%d/%m/%Y %H:%M:%S").replace(
            tzinfo=UTC
        )
        for r in rows
    ]
    drives = [
        d for d in _drives(truth, moved.vrm) if exhibit.window_start <= d[1] <= exhibit.window_end
    ]
    assert [(r.kind, r.depart, r.arrive) for r in moved.runs] == drives
    assert {r.kind for r in moved.runs} == {"convoy", "transport"}

    masts = _masts(out)
    cameras = {c.camera_id: (c.latitude, c.longitude) for c in truth.anpr.cameras}
    journeys = [j for j in truth.anpr.journeys if j.vrms[0] == moved.vrm]
    for run in moved.runs:
        during = [k + 2 for k, at in enumerate(starts) if run.depart <= at <= run.arrive]
        assert list(run.rows) == during
        assert len(run.rows) >= 3
        assert list(run.starts) == [starts[r - 2] for r in run.rows]
        # the carrier's journey as read: its first read is during the drive (give or take 15 s)
        (journey,) = (
            j
            for j in journeys
            if j.kind == run.kind and run.depart - timedelta(seconds=15) <= j.times[0] <= run.arrive
        )
        assert tuple(run.cameras) == journey.cameras
        near: set[str] = set()
        for row in run.rows:
            at, mast = starts[row - 2], masts[rows[row - 2]["Start Cell ID"]]
            for camera, read in zip(journey.cameras, journey.times, strict=True):
                if abs(read - at) <= timedelta(minutes=10) and _km(*mast, *cameras[camera]) <= 2:
                    near.add(camera)
        assert len(near) >= 3, (run.date, run.kind, near)


def test_the_passengers_phone_is_listed_only_where_it_made_a_record(
    case: tuple[Path, GroundTruth],
) -> None:
    """A passenger's entry lists only runs on which the return has a record started during the
    drive: V03 is carried in the people carrier, but her phone is used at night, so DC/8 has few
    such records (P10's evening calls falling in an evening return), far fewer than the driver's
    three or four a drive."""
    _, truth = case
    passengers = [v for v in truth.vehicle_phones if v.role == "passenger"]
    assert {(v.person, v.vrm, v.exhibit) for v in passengers} <= {("V03", "UT73 FKE", "DC/8")}
    driver = next(v for v in truth.vehicle_phones if v.role == "driver")
    assert sum(len(r.rows) for v in passengers for r in v.runs) < len(driver.runs) / 10
    for v in passengers:
        assert all(r.rows for r in v.runs)
