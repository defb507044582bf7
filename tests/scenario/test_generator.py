"""Tests for the Operation Cedar generator: the files it writes agree with its ground truth.

The checks read the exhibit files back with independent code (csv, openpyxl, zoneinfo) and
compare them with ``ground_truth.json``, so the generator's own rendering is not its own oracle.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import openpyxl
import pytest

from threadline.errors import ConfigError
from threadline.model.imei import is_luhn_valid
from threadline.scenario import GroundTruth, generate_case, generate_cdr_file
from threadline.scenario.timebase import bst_bounds

HEADER_A = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID"
)
HEADER_B = (
    "Record Type,A Party,B Party,C Party,Start Date Time,End Date Time,A IMEI,A IMSI,First Cell,"
    "Last Cell"
)
HEADER_C = (
    "Event",
    "Calling Party",
    "Called Party",
    "Diverted To",
    "Date (UTC)",
    "Time (UTC)",
    "Duration",
    "Handset IMEI",
    "Subscriber IMSI",
    "Cell Start",
    "Cell End",
)
HEADER_D = (
    "Target MSISDN;Direction;Service;Other Party;Start (UTC);End (UTC);Duration (s);IMEI;IMSI;"
    "Serving Cell;APN;Bytes Up;Bytes Down;Charging ID"
)
CELL_LIST_HEADER = (
    "CGI,Site Name,Address,Postcode,Latitude,Longitude,Easting,Northing,Azimuth,Beamwidth,"
    "Technology"
)

#: Ofcom drama ranges in national form (written out here, independently of the generator).
DRAMA = re.compile(
    r"^0(?:7700900|1632960|2079460|1134960|1144960|1154960|1164960|1174960|1184960|1214960"
    r"|1314960|1414960|1514960|1614960|1914980|2920180|8081570|9098790|3069990)\d{3}$"
)
NUMBER_COLUMNS = {
    "network-a": ("Originating Number", "Terminating Number", "Forwarded Number"),
    "network-b": ("A Party", "B Party", "C Party"),
    "network-c": ("Calling Party", "Called Party", "Diverted To"),
    "network-d": ("Target MSISDN", "Other Party"),
}
IMEI_COLUMN = {
    "network-a": "IMEI",
    "network-b": "A IMEI",
    "network-c": "Handset IMEI",
    "network-d": "IMEI",
}
EVENT_COLUMN = {
    "network-a": "Call Type",
    "network-b": "Record Type",
    "network-c": "Event",
    "network-d": "Service",
}
CALL_WORDS = {
    "MOC",
    "MTC",
    "CFW",
    "Voice Outgoing",
    "Voice Incoming",
    "Voice Forwarded",
    "Call Originating",
    "Call Terminating",
    "Call Diverted",
    "VOICE",
}
SMS_WORDS = {
    "SMS-MO",
    "SMS-MT",
    "SMS Outgoing",
    "SMS Incoming",
    "SMS Originating",
    "SMS Terminating",
    "SMS",
}
DATA_WORDS = {"GPRS", "Data", "DATA"}


def read_rows(path: Path, layout: str) -> list[dict[str, str]]:
    """Data rows of a CDR exhibit as dicts of text (empty string for blank)."""
    if layout == "network-c":
        workbook = openpyxl.load_workbook(path, read_only=True)
        sheet = workbook["Call Data"]
        rows = list(sheet.iter_rows(min_row=4, values_only=True))
        workbook.close()
        header = [str(v) for v in rows[0]]
        result = []
        for values in rows[1:]:
            row = {}
            padded = (*values, *([None] * (len(header) - len(values))))  # trailing blanks omitted
            for name, value in zip(header, padded, strict=True):
                if isinstance(value, datetime):
                    row[name] = value.strftime("%d/%m/%Y")
                else:
                    row[name] = "" if value is None else str(value)
            result.append(row)
        return result
    encoding = "utf-8-sig" if layout == "network-b" else "utf-8"
    delimiter = ";" if layout == "network-d" else ","
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def to_national(value: str, layout: str) -> str:
    """A number as written by ``layout`` in national form (digits, leading 0)."""
    if layout == "network-a":
        return "0" + value[2:] if value.startswith("44") else value
    if layout == "network-b":
        return value.replace(" ", "")
    if layout == "network-c":
        return "0" + value[3:] if value.startswith("+44") else value
    return "0" + value


def is_service(value: str, truth: GroundTruth) -> bool:
    return value in {s.value for s in truth.services}


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    out = tmp_path_factory.mktemp("cedar")
    return out, generate_case(out)


def cdr_exhibits(truth: GroundTruth) -> list[tuple[str, str, str]]:
    return [(e.reference, e.filename, e.layout) for e in truth.exhibits if e.kind == "cdr"]


def test_same_seed_gives_identical_bytes(tmp_path: Path, case: tuple[Path, GroundTruth]) -> None:
    first, _ = case
    generate_case(tmp_path)

    def digests(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    assert digests(first) == digests(tmp_path)
    assert "DC_4_network-c.xlsx" in digests(tmp_path)


def test_another_seed_gives_other_data(tmp_path: Path, case: tuple[Path, GroundTruth]) -> None:
    _, truth = case
    other = generate_case(tmp_path, seed=7)
    assert other.successor.imei != truth.successor.imei
    assert other.exhibit("DC/3").sha256 != truth.exhibit("DC/3").sha256


def test_xlsx_properties_are_fixed(case: tuple[Path, GroundTruth]) -> None:
    out, _ = case
    workbook = openpyxl.load_workbook(out / "DC_4_network-c.xlsx")
    assert workbook.properties.created == workbook.properties.modified
    assert workbook.properties.modified is not None
    assert workbook.properties.modified.year == 2026


def test_ground_truth_file_round_trips(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    text = (out / "ground_truth.json").read_text(encoding="utf-8")
    assert text == truth.to_json()
    assert GroundTruth.from_json(text) == truth


def test_demo_case_has_the_four_layouts_a_cell_list_and_anpr(
    case: tuple[Path, GroundTruth],
) -> None:
    out, truth = case
    layouts = {e.reference: e.layout for e in truth.exhibits}
    assert layouts == {
        "DC/1": "network-a",
        "DC/2": "network-d",
        "DC/3": "network-b",
        "DC/4": "network-c",
        "DC/5": "network-a",
        "DC/6": "cell-list",
        "DC/7": "network-b",
        "DC/8": "network-c",
        "AR/1": "anpr-cameras",
        "AR/2": "nas-style",
        "AR/3": "back-office-a",
    }
    assert truth.exhibit("DC/1").target_msisdn == truth.successor.old_msisdn
    assert truth.exhibit("DC/2").target_msisdn == truth.successor.new_msisdn
    assert truth.person(truth.exhibit("DC/3").target_person or "").role == "lieutenant"
    assert truth.person(truth.exhibit("DC/4").target_person or "").role == "money handler"
    # the victims' phones: House 2's shared phone (no one person's: "SH") and V03's own
    shared = next(n for n in truth.numbers if n.shared_by)
    assert truth.exhibit("DC/7").target_msisdn == shared.msisdn
    assert truth.exhibit("DC/7").target_person == "SH"
    assert truth.person(truth.exhibit("DC/8").target_person or "").role == "victim"
    assert [e.reference for e in truth.exhibits if e.kind in ("cdr", "cell-list")] == [
        f"DC/{n}" for n in range(1, 9)
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [e.filename for e in truth.exhibits]
        + [d.filename for d in truth.phone_downloads]
        + ["ground_truth.json"]
    )
    for exhibit in truth.exhibits:
        assert hashlib.sha256((out / exhibit.filename).read_bytes()).hexdigest() == exhibit.sha256


def test_headers_are_exactly_the_layouts(case: tuple[Path, GroundTruth]) -> None:
    out, _ = case
    raw_a = (out / "DC_1_network-a.csv").read_bytes()
    assert raw_a.split(b"\r\n", 1)[0].decode("utf-8") == HEADER_A
    raw_b = (out / "DC_3_network-b.csv").read_bytes()
    assert raw_b.startswith(b"\xef\xbb\xbf")
    assert raw_b[3:].split(b"\r\n", 1)[0].decode("utf-8") == HEADER_B
    raw_d = (out / "DC_2_network-d.csv").read_bytes()
    assert raw_d.split(b"\n", 1)[0].decode("utf-8") == HEADER_D
    cells = (out / "cell_list.csv").read_bytes()
    assert cells.split(b"\r\n", 1)[0].decode("utf-8") == CELL_LIST_HEADER

    workbook = openpyxl.load_workbook(out / "DC_4_network-c.xlsx")
    assert workbook.sheetnames == ["Call Data"]
    sheet = workbook["Call Data"]
    assert sheet["A1"].value == "Disclosure of communications data"
    assert re.fullmatch(r"Target: \+447700900\d{3}  Ref: OCDA-2026-\d{6}", sheet["A2"].value)
    assert all(cell.value is None for cell in sheet[3])
    assert tuple(cell.value for cell in sheet[4]) == HEADER_C
    assert sheet["E5"].is_date
    assert sheet["E5"].number_format == "dd/mm/yyyy"
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", sheet["F5"].value)
    assert re.fullmatch(r"\d+:\d{2}:\d{2}", sheet["G5"].value)


def test_row_counts_match_ground_truth(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    total = 0
    for reference, filename, layout in cdr_exhibits(truth):
        exhibit = truth.exhibit(reference)
        rows = read_rows(out / filename, layout)
        words = Counter(row[EVENT_COLUMN[layout]] for row in rows)
        assert len(rows) == exhibit.rows
        assert sum(words[w] for w in CALL_WORDS) == exhibit.counts.calls
        assert sum(words[w] for w in SMS_WORDS) == exhibit.counts.messages
        assert sum(words[w] for w in DATA_WORDS) == exhibit.counts.data_sessions
        assert exhibit.rows == sum(
            (exhibit.counts.calls, exhibit.counts.messages, exhibit.counts.data_sessions)
        )
        total += len(rows)
    assert total == truth.totals.cdr_rows
    with (out / "cell_list.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == truth.exhibit("DC/6").rows


def test_every_number_is_an_ofcom_drama_number(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    for _, filename, layout in cdr_exhibits(truth):
        for row in read_rows(out / filename, layout):
            for column in NUMBER_COLUMNS[layout]:
                value = row[column]
                if value and not is_service(value, truth):
                    assert DRAMA.match(to_national(value, layout)), (filename, column, value)
    for number in truth.numbers:
        assert DRAMA.match("0" + number.msisdn.removeprefix("+44")), number
    assert all(s.value.isalpha() or len(s.value) <= 6 for s in truth.services)


def test_identifiers_are_fictional(case: tuple[Path, GroundTruth]) -> None:
    _, truth = case
    assert all(re.fullmatch(r"00101\d{10}", sim.imsi) for sim in truth.sims)
    assert all(is_luhn_valid(h.imei) and h.imei.startswith("00") for h in truth.handsets)
    assert all(re.fullmatch(r"[TU][A-HJ-PR-Y]\d{2} [A-HJ-PR-Z]{3}", v.vrm) for v in truth.vehicles)
    assert all(re.fullmatch(r"ZY\d [0-9][ABD-HJLNP-UW-Z]{2}", a.postcode) for a in truth.addresses)
    for address in truth.addresses:
        assert 52.40 <= address.latitude <= 52.50
        assert -1.60 <= address.longitude <= -1.45


def test_imeis_pass_luhn_except_the_deliberate_failure(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    known = {h.imei[:14] for h in truth.handsets}
    failures: dict[str, list[int]] = {}
    for reference, filename, layout in cdr_exhibits(truth):
        exhibit = truth.exhibit(reference)
        for offset, row in enumerate(read_rows(out / filename, layout)):
            imei = row[IMEI_COLUMN[layout]]
            assert re.fullmatch(r"\d{15}", imei)
            assert imei[:14] in known
            if layout == "network-a":
                assert imei.endswith("0")  # network padding, no check digit
            elif not is_luhn_valid(imei):
                assert not imei.endswith("0")  # a failing 0 would read as padding instead
                failures.setdefault(reference, []).append(offset + exhibit.first_data_row)
    expected = {
        e.reference: list(e.anomalies.luhn_failure)
        for e in truth.exhibits
        if e.anomalies.luhn_failure
    }
    assert failures == expected
    assert list(expected) == ["DC/3"]
    assert len(expected["DC/3"]) == 1


def test_successor_number_shares_the_handset(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    successor = truth.successor
    assert successor.old_msisdn != successor.new_msisdn
    handset = next(h for h in truth.handsets if h.imei == successor.imei)
    assert set(handset.msisdns) == {successor.old_msisdn, successor.new_msisdn}
    assert successor.last_old_event < successor.first_new_event
    old_rows = read_rows(out / truth.exhibit("DC/1").filename, "network-a")
    new_rows = read_rows(out / truth.exhibit("DC/2").filename, "network-d")
    assert {r["IMEI"][:14] for r in old_rows} == {successor.imei[:14]}
    assert {r["IMEI"] for r in new_rows} == {successor.imei}
    assert {r["IMSI"] for r in old_rows}.isdisjoint({r["IMSI"] for r in new_rows})

    own = "0" + successor.old_msisdn.removeprefix("+44")
    old_contacts = {
        to_national(r[column], "network-a")
        for r in old_rows
        for column in ("Originating Number", "Terminating Number")
        if r[column]
    } - {own}
    new_contacts = {
        to_national(r["Other Party"], "network-d") for r in new_rows if r["Other Party"]
    }
    shared = old_contacts & new_contacts
    assert len(shared) >= 0.6 * len(new_contacts)
    lieutenants = {
        "0" + n.msisdn.removeprefix("+44") for n in truth.numbers if n.user in ("P02", "P03")
    }
    assert lieutenants <= shared


def test_network_b_clock_change_rows_are_at_the_recorded_locators(
    case: tuple[Path, GroundTruth],
) -> None:
    out, truth = case
    exhibit = truth.exhibit("DC/3")
    rows = read_rows(out / exhibit.filename, "network-b")
    repeated, missing = [], []
    for offset, row in enumerate(rows):
        stamps = (row["Start Date Time"], row["End Date Time"])
        if any(s.startswith("25/10/2026 01:") for s in stamps):
            repeated.append(offset + 2)
        if any(s.startswith("29/03/2026 01:") for s in stamps):
            missing.append(offset + 2)
    assert repeated == list(exhibit.anomalies.ambiguous_time)
    assert missing == list(exhibit.anomalies.nonexistent_time)
    assert len(repeated) >= 3
    assert 1 <= len(missing) <= 2
    kinds = Counter(d.kind for d in exhibit.anomaly_details)
    assert kinds == {
        "ambiguous_time": len(repeated),
        "nonexistent_time": len(missing),
        "luhn_failure": 1,
    }


def test_outside_window_rows_are_at_the_recorded_locators(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    outside = {}
    for reference, filename, layout in cdr_exhibits(truth):
        exhibit = truth.exhibit(reference)
        assert exhibit.window_start is not None
        assert exhibit.window_end is not None
        rows = read_rows(out / filename, layout)
        found = []
        for offset, row in enumerate(rows):
            if layout in ("network-a", "network-c"):
                date_column = "Call Date" if layout == "network-a" else "Date (UTC)"
                time_column = "Call Time" if layout == "network-a" else "Time (UTC)"
                text = f"{row[date_column]} {row[time_column]}"
                start = datetime.strptime(text, "%d/%m/%Y %H:%M:%S").replace(tzinfo=UTC)
            elif layout == "network-d":
                start = datetime.strptime(row["Start (UTC)"], "%Y-%m-%dT%H:%M:%SZ")
                start = start.replace(tzinfo=UTC)
            else:
                continue  # local time: checked through the clock-change test
            if not exhibit.window_start <= start <= exhibit.window_end:
                found.append(offset + exhibit.first_data_row)
        assert found == list(exhibit.anomalies.outside_window), reference
        if found:
            outside[reference] = found
    assert list(outside) == ["DC/4"]
    assert outside["DC/4"][:2] == [5, 6]


def test_local_times_agree_with_utc_in_the_other_return(case: tuple[Path, GroundTruth]) -> None:
    """A call between the lieutenant (local time) and the controller (UTC) is one instant."""
    try:
        london = ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        pytest.skip("no time-zone database on this machine")
    out, truth = case
    old = "0" + truth.successor.old_msisdn.removeprefix("+44")
    controller_rows = read_rows(out / truth.exhibit("DC/1").filename, "network-a")
    controller_times = {
        datetime.strptime(f"{r['Call Date']} {r['Call Time']}", "%d/%m/%Y %H:%M:%S")
        for r in controller_rows
        if r["Call Type"] in ("MOC", "MTC")
    }
    matched = 0
    for row in read_rows(out / truth.exhibit("DC/3").filename, "network-b"):
        if row["Record Type"] == "Voice Outgoing" and row["B Party"].replace(" ", "") == old:
            local = datetime.strptime(row["Start Date Time"], "%d/%m/%Y %H:%M:%S")
            utc = local.replace(tzinfo=london).astimezone(UTC).replace(tzinfo=None)
            assert utc in controller_times
            matched += 1
    assert matched > 50


def test_pair_counts_match_the_lieutenants_return(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    controller = {"0" + n.msisdn.removeprefix("+44") for n in truth.numbers if n.user == "P01"}
    calls = messages = 0
    for row in read_rows(out / truth.exhibit("DC/3").filename, "network-b"):
        other = row["B Party"] if "Outgoing" in row["Record Type"] else row["A Party"]
        if other.replace(" ", "") in controller:
            if row["Record Type"].startswith("Voice") and row["Record Type"] != "Voice Forwarded":
                calls += 1
            elif row["Record Type"].startswith("SMS"):
                messages += 1
    pair = next(c for c in truth.contacts if (c.person_a, c.person_b) == ("P01", "P02"))
    assert (pair.calls, pair.messages) == (calls, messages)
    assert pair.call_rows == 2 * pair.calls  # the controller's two returns cover the period


def test_cells_are_in_the_cell_list(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    with (out / "cell_list.csv").open(encoding="utf-8", newline="") as handle:
        listed = {row["CGI"]: row for row in csv.DictReader(handle)}
    for row in listed.values():
        assert 52.40 <= float(row["Latitude"]) <= 52.50
        assert -1.60 <= float(row["Longitude"]) <= -1.45
        assert row["Technology"] in {"GSM", "UMTS", "LTE", "NR"}
    prefixes = {"network-a": "234-30-", "network-b": "234-15-", "network-c": "234-10-"}
    prefixes["network-d"] = "234-20-"
    used = set()
    for _, filename, layout in cdr_exhibits(truth):
        columns = {
            "network-a": ("Start Cell ID", "End Cell ID"),
            "network-b": ("First Cell", "Last Cell"),
            "network-c": ("Cell Start", "Cell End"),
            "network-d": ("Serving Cell",),
        }[layout]
        for row in read_rows(out / filename, layout):
            for column in columns:
                value = row[column]
                if not value:
                    continue
                cgi = prefixes[layout] + value.replace("/", "-") if layout == "network-b" else value
                assert cgi.startswith(prefixes[layout])
                used.add(cgi)
    assert used == set(listed)


def test_convoy_trips_are_on_working_mornings(case: tuple[Path, GroundTruth]) -> None:
    _, truth = case
    vrms = {v.vrm for v in truth.vehicles}
    assert len(truth.convoy_trips) > 150
    for trip in truth.convoy_trips:
        assert {trip.lead_vrm, trip.follow_vrm} == vrms
        assert trip.date.weekday() < 6
        assert timedelta(minutes=10) < trip.arrive - trip.depart < timedelta(minutes=30)
        assert 4 <= trip.depart.hour <= 6


def test_scale_adds_bulk_csv_returns_within_one_percent(tmp_path: Path) -> None:
    truth = generate_case(tmp_path, scale=50_000)
    total = 0
    for reference, filename, layout in cdr_exhibits(truth):
        rows = read_rows(tmp_path / filename, layout)
        assert len(rows) == truth.exhibit(reference).rows
        total += len(rows)
    assert abs(total - 50_000) <= 500
    assert truth.totals.cdr_rows == total
    assert truth.extension is not None
    bulk = [e for e in truth.exhibits if e.target_person is None and e.kind == "cdr"]
    assert len(bulk) == truth.extension.target_lines
    assert {e.layout for e in bulk} <= {"network-a", "network-b", "network-d"}
    for exhibit in bulk:
        for row in read_rows(tmp_path / exhibit.filename, exhibit.layout):
            for column in NUMBER_COLUMNS[exhibit.layout]:
                value = row[column]
                if value and not is_service(value, truth):
                    assert DRAMA.match(to_national(value, exhibit.layout)), (exhibit, value)
    assert len({h.imei[:14] for h in truth.handsets}) == len(truth.handsets)
    assert len({s.imsi for s in truth.sims}) == len(truth.sims)
    assert len({n.msisdn for n in truth.numbers}) == len(truth.numbers)


def test_bst_rule_gives_the_2026_clock_changes() -> None:
    start, end = bst_bounds(2026)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert datetime.fromtimestamp(end, UTC) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


def test_scale_below_the_core_case_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="below"):
        generate_case(tmp_path, scale=1_000)


def test_generate_cdr_file_writes_exact_rows_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    summary = generate_cdr_file(path, "network-d", 12_345, seed=3, chunk_rows=4_000)
    rows = read_rows(path, "network-d")
    assert summary.rows == len(rows) == 12_345
    assert path.read_text(encoding="utf-8").split("\n", 1)[0] == HEADER_D
    starts = [r["Start (UTC)"] for r in rows]
    assert starts == sorted(starts)
    assert {r["Target MSISDN"] for r in rows} == {summary.target_msisdn.removeprefix("+44")}
    partials = Counter(r["Charging ID"] for r in rows if r["Charging ID"])
    assert max(partials.values()) in (2, 3)
    assert summary.counts.calls + summary.counts.messages + summary.counts.data_sessions == 12_345
    again = tmp_path / "again.csv"
    generate_cdr_file(again, "network-d", 12_345, seed=3, chunk_rows=4_000)
    assert again.read_bytes() == path.read_bytes()


def test_generate_cdr_file_refuses_an_unknown_layout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layout"):
        generate_cdr_file(tmp_path / "x.csv", "network-z", 10)
