"""Golden tests for the UK network CDR parser, one per shipped layout (plaso's shape: row counts per
canonical table, the exact set of issues, one record asserted in full).

Fixtures are hand-written and fictional (tests/fixtures/cdr_uk/README.md says how every expected
value below was worked out). network-c is an XLSX workbook, built here with openpyxl because a
binary fixture cannot be written by hand.

Requirements: 21 (time basis per file), 22 (UTC with originals; the DST gap and repeated hour
flagged), 23 (canonical CDR schema, raw row), 24 (IMEI key on 14 digits), 37 (authorised window),
59 (E.164 with originals).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from collect_sink import Parsed

from threadline.ingest.contract import Confidence, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.parser import CdrUkParser, profile_fit
from threadline.ingest.parsers.cdr_uk.profile import builtin_profiles
from threadline.ingest.parsers.cdr_uk.transform import raw_json
from threadline.model.evidence_schema import CALLS, DATA_SESSIONS, MESSAGES, SOURCE_ROWS
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cdr_uk"
TARGET = "+447700900123"
PARSER_REF = "cdr_uk@1.0.0"
LONDON = ZoneInfo("Europe/London")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# running the parser


ParseFile = Callable[..., Parsed]


def probe(path: Path) -> SourceProbe:
    data = path.read_bytes()
    return SourceProbe(path=path, head=data[: 64 * 1024], size=len(data))


# ---------------------------------------------------------------------------------------------
# network-c: the XLSX fixture

NETWORK_C_HEADER = [
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
]
IMSI = "001010123456789"
C1, C2 = "234-20-5001-123456789", "234-20-5001-123456790"
NETWORK_C_ROWS: list[list[object]] = [
    # row 5: the record asserted in full
    ["Call Originating", TARGET, "+447700900456", None, date(2026, 6, 1), "09:15:02", "0:02:05",
     "35456789012345", IMSI, C1, C2],
    # row 6: the IMEI stored as a number, as Excel users do
    ["Call Terminating", "+447700900789", TARGET, None, date(2026, 6, 1), "10:00:00", "1:02:03",
     354567890123458, IMSI, C1, C1],
    ["Call Diverted", "+447700900321", TARGET, "+447700900999", date(2026, 6, 1), "11:11:11",
     "0:00:34", "35456789012345", IMSI, C1, C1],
    ["SMS Originating", TARGET, "+447700900456", None, date(2026, 6, 1), "12:00:00", "0:00:00",
     "35456789012345", IMSI, C2, None],
    ["SMS Terminating", "+447700900456", TARGET, None, date(2026, 6, 1), "12:01:30", "0:00:00",
     "35456789012345", IMSI, C2, None],
    # row 10: mm:ss duration
    ["Data", TARGET, None, None, date(2026, 6, 2), "00:05:00", "2:05", "35456789012345", IMSI,
     C1, C2],
    ["Call Originating", TARGET, "+447700900654", None, date(2026, 6, 2), "23:59:59", "0:00:05",
     "35456789012345", IMSI, C2, C2],
]  # fmt: skip


def write_network_c(path: Path, rows: list[list[object]]) -> Path:
    """Write a network-c workbook: title rows 1-2, blank row 3, header on row 4, data from 5."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Call Data"
    sheet.append(["Network C - call data records (FICTIONAL TEST DATA, Ofcom drama numbers)"])
    sheet.append([f"Target {TARGET}; period 01/06/2026 to 30/06/2026"])
    sheet.append([])
    sheet.append(NETWORK_C_HEADER)
    for values in rows:
        sheet.append(values)
    for (cell,) in sheet.iter_rows(min_row=5, min_col=5, max_col=5):
        cell.number_format = "DD/MM/YYYY"
    workbook.save(path)
    return path


@pytest.fixture(scope="session")
def network_c(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_network_c(tmp_path_factory.mktemp("cdr") / "network-c.xlsx", NETWORK_C_ROWS)


def test_network_c_fixture_has_a_real_date_cell(network_c: Path) -> None:
    workbook = openpyxl.load_workbook(network_c, read_only=True)
    values = next(workbook["Call Data"].iter_rows(min_row=5, max_row=5, values_only=True))
    workbook.close()
    assert values[4] == datetime(2026, 6, 1)  # an Excel date serial, not text
    assert values[5] == "09:15:02"  # the time is text


# ---------------------------------------------------------------------------------------------
# network-a: MOC/MTC codes, split date and time, UTC


def test_network_a_golden(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-a.csv")

    assert parsed.counts == {"calls": 5, "messages": 2, "data_sessions": 1, "source_rows": 8}
    assert parsed.ctx.detected == {"profile": "network-a", "time_basis": "UTC"}
    assert parsed.locators("calls") == ["row=2", "row=3", "row=6", "row=8", "row=9"]
    assert parsed.locators("messages") == ["row=4", "row=5"]
    assert parsed.locators("data_sessions") == ["row=7"]
    assert parsed.locators("source_rows") == [f"row={n}" for n in range(2, 10)]
    assert [(r["record_type_original"], r["direction"]) for r in parsed.rows("calls")] == [
        ("MOC", "outgoing"),
        ("MTC", "incoming"),
        ("CFW", "forwarded"),
        ("MOC", "outgoing"),
        ("MTC", "incoming"),
    ]

    # Only the padding 0 the fixture plants: one info issue for the one padded IMEI (rows 2-7).
    assert [(i.severity, i.code, i.locator, i.value, i.count) for i in parsed.issues] == [
        (Severity.INFO, "imei.padded", "row=2", "352099001761480", 6)
    ]

    # The CFW row in full: the target (B) forwarded the call to the C party.
    row = parsed.row("calls", "row=6")
    assert tuple(row) == CALLS.column_names
    assert row == {
        "row_id": row_id("e1", "row=6"),
        "exhibit_id": "e1",
        "locator": "row=6",
        "parser": PARSER_REF,
        "record_type_original": "CFW",
        "direction": "forwarded",
        "a_party": "+447700900321",
        "a_party_original": "447700900321",
        "b_party": "+447700900123",
        "b_party_original": "447700900123",
        "c_party": "+447700900999",
        "c_party_original": "447700900999",
        "target_role": "b",
        "start_utc": utc(2026, 6, 2, 8, 0, 0),
        "start_earliest_utc": utc(2026, 6, 2, 8, 0, 0),
        "start_latest_utc": utc(2026, 6, 2, 8, 0, 0),
        "start_status": "exact",
        "start_original": "02/06/2026 08:00:00",
        "end_utc": None,
        "end_earliest_utc": None,
        "end_latest_utc": None,
        "end_status": None,
        "end_original": None,
        "duration_s": 34,
        "duration_original": "34",
        "duration_basis": "network duration in whole seconds, answer to release",
        "imei": "352099001761480",
        "imei_key": "35209900176148",
        "imei_original": "352099001761480",
        "imsi": "001010123456789",
        "imsi_original": "001010123456789",
        "start_cell": "234-30-1201-30451",
        "start_cell_original": "234-30-1201-30451",
        "end_cell": "234-30-1201-30451",
        "end_cell_original": "234-30-1201-30451",
        "time_basis": "UTC",
        "source_app": None,
        "deleted_state": None,
    }

    # The raw copy of the same record carries the same row id.
    source = parsed.row("source_rows", "row=6")
    assert tuple(source) == SOURCE_ROWS.column_names
    assert source["row_id"] == row["row_id"]
    header = (FIXTURES / "network-a.csv").read_text("utf-8").splitlines()[0].split(",")
    assert source == {
        "row_id": row_id("e1", "row=6"),
        "exhibit_id": "e1",
        "locator": "row=6",
        "parser": PARSER_REF,
        "raw": raw_json(
            header,
            [
                "CFW",
                "447700900321",
                "447700900123",
                "447700900999",
                "02/06/2026",
                "08:00:00",
                "34",
                "352099001761480",
                "001010123456789",
                "234-30-1201-30451",
                "234-30-1201-30451",
            ],
        ),
    }


def test_network_a_gprs_has_no_b_party(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-a.csv")
    (session,) = parsed.rows("data_sessions")
    assert tuple(session) == DATA_SESSIONS.column_names
    assert session["party"] == TARGET
    assert session["party_original"] == "447700900123"
    assert session["start_utc"] == utc(2026, 6, 2, 12)
    assert session["duration_s"] == 3600
    assert session["start_cell"] == "234-30-1202-40001"
    assert session["end_cell"] == "234-30-1202-40002"
    raw = json.loads(parsed.row("source_rows", "row=7")["raw"])
    assert raw["Terminating Number"] == ""
    assert raw["Forwarded Number"] == ""


def test_network_a_imeis(parse_file: ParseFile) -> None:
    """A padding 0 is noted, a correct check digit (even a 0) is not; devices key on 14 digits."""
    parsed = parse_file(FIXTURES / "network-a.csv")
    by_row = {r["locator"]: r for r in parsed.rows("calls")}
    assert by_row["row=8"]["imei"] == "490154203237518"  # domain brief §7.2 test vector
    assert by_row["row=8"]["imei_key"] == "49015420323751"
    assert by_row["row=9"]["imei"] == "351111222233330"  # Luhn digit of 35111122223333 is 0
    assert by_row["row=9"]["imei_key"] == "35111122223333"
    assert by_row["row=9"]["b_party_original"] == "447700900123"
    assert by_row["row=8"]["b_party_original"] == "07700900654"  # national form in one row
    assert by_row["row=8"]["b_party"] == "+447700900654"


# ---------------------------------------------------------------------------------------------
# network-b: UK local time, start and end, duration derived


def test_network_b_golden(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-b.csv")

    assert parsed.counts == {"calls": 5, "messages": 2, "data_sessions": 1, "source_rows": 8}
    assert parsed.ctx.detected == {"profile": "network-b", "time_basis": "Europe/London"}
    assert parsed.locators("calls") == ["row=2", "row=3", "row=4", "row=8", "row=9"]
    assert parsed.locators("messages") == ["row=5", "row=6"]
    assert parsed.locators("data_sessions") == ["row=7"]
    assert [(i.severity, i.code, i.locator, i.value) for i in parsed.issues] == [
        (Severity.WARNING, "time.ambiguous", "row=8", "25/10/2026 01:30:00"),
        (Severity.WARNING, "time.nonexistent", "row=9", "29/03/2026 01:30:00"),
    ]
    ambiguous, nonexistent = parsed.issues
    assert "00:30:00 or 01:30:00 UTC" in ambiguous.message
    assert "00:30:00–01:30:00 UTC" in nonexistent.message

    # The summer row in full: 14:00 BST is 13:00 UTC; duration is end minus start.
    row = parsed.row("calls", "row=2")
    assert tuple(row) == CALLS.column_names
    assert row == {
        "row_id": row_id("e1", "row=2"),
        "exhibit_id": "e1",
        "locator": "row=2",
        "parser": PARSER_REF,
        "record_type_original": "Voice Outgoing",
        "direction": "outgoing",
        "a_party": "+447700900123",
        "a_party_original": "07700 900123",
        "b_party": "+447700900456",
        "b_party_original": "07700 900456",
        "c_party": None,
        "c_party_original": None,
        "target_role": "a",
        "start_utc": utc(2026, 6, 1, 13, 0, 0),
        "start_earliest_utc": utc(2026, 6, 1, 13, 0, 0),
        "start_latest_utc": utc(2026, 6, 1, 13, 0, 0),
        "start_status": "exact",
        "start_original": "01/06/2026 14:00:00",
        "end_utc": utc(2026, 6, 1, 13, 2, 5),
        "end_earliest_utc": utc(2026, 6, 1, 13, 2, 5),
        "end_latest_utc": utc(2026, 6, 1, 13, 2, 5),
        "end_status": "exact",
        "end_original": "01/06/2026 14:02:05",
        "duration_s": 125,
        "duration_original": None,
        "duration_basis": "end minus start, as recorded by the network",
        "imei": "35332211445566",
        "imei_key": "35332211445566",
        "imei_original": "35332211445566",
        "imsi": "001010123456789",
        "imsi_original": "001010123456789",
        "start_cell": "234-15-1201-30451",
        "start_cell_original": "1201/30451",
        "end_cell": "234-15-1201-30452",
        "end_cell_original": "1201/30452",
        "time_basis": "Europe/London",
        "source_app": None,
        "deleted_state": None,
    }


def _times(row: dict[str, Any], prefix: str) -> tuple[object, ...]:
    return tuple(row[f"{prefix}_{s}"] for s in ("utc", "earliest_utc", "latest_utc", "status"))


def test_network_b_winter_is_gmt(parse_file: ParseFile) -> None:
    row = parse_file(FIXTURES / "network-b.csv").row("calls", "row=3")
    start, end = utc(2026, 1, 15, 9, 30, 0), utc(2026, 1, 15, 9, 31, 10)
    assert _times(row, "start") == (start, start, start, "exact")
    assert _times(row, "end") == (end, end, end, "exact")
    assert row["duration_s"] == 70


def test_network_b_repeated_hour_is_not_guessed(parse_file: ParseFile) -> None:
    row = parse_file(FIXTURES / "network-b.csv").row("calls", "row=8")
    # 01:30 on 25/10/2026 happens twice: 00:30 UTC (BST) and 01:30 UTC (GMT).
    assert _times(row, "start") == (None, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30),
                                    "ambiguous")  # fmt: skip
    assert row["start_original"] == "25/10/2026 01:30:00"
    # 02:05 local is after the repeated hour: GMT, exact.
    end = utc(2026, 10, 25, 2, 5)
    assert _times(row, "end") == (end, end, end, "exact")
    assert row["duration_s"] is None  # never computed from a guessed start


def test_network_b_spring_gap_is_not_guessed(parse_file: ParseFile) -> None:
    row = parse_file(FIXTURES / "network-b.csv").row("calls", "row=9")
    # 01:30 on 29/03/2026 never happened; kept as the range 00:30-01:30 UTC.
    assert _times(row, "start") == (None, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30),
                                    "nonexistent")  # fmt: skip
    # 02:10 local is BST (the clocks jumped to 02:00 at 01:00 UTC): 01:10 UTC.
    end = utc(2026, 3, 29, 1, 10)
    assert _times(row, "end") == (end, end, end, "exact")
    assert row["duration_s"] is None


def test_network_b_other_record_types(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-b.csv")
    forwarded = parsed.row("calls", "row=4")
    assert (forwarded["direction"], forwarded["c_party"], forwarded["c_party_original"]) == (
        "forwarded",
        "+447700900999",
        "07700 900999",
    )
    assert forwarded["duration_s"] == 40
    # Data across midnight in BST: 02/06 00:30 local is 01/06 23:30 UTC.
    (data,) = parsed.rows("data_sessions")
    assert data["start_utc"] == utc(2026, 6, 1, 23, 30)
    assert data["end_utc"] == utc(2026, 6, 2, 0, 15)
    assert data["duration_s"] == 2700
    assert data["party"] == TARGET
    # SMS without an end time; an IMEISV keyed on its first 14 digits.
    sms = parsed.row("messages", "row=6")
    assert tuple(sms) == MESSAGES.column_names
    assert (sms["direction"], sms["message_type"], sms["target_role"]) == ("incoming", "sms", "b")
    assert sms["sent_utc"] == utc(2026, 12, 31, 23, 59, 30)
    assert sms["sent_original"] == "31/12/2026 23:59:30"
    assert (sms["imei"], sms["imei_key"]) == ("3533221144556601", "35332211445566")
    assert (sms["cell"], sms["cell_original"]) == ("234-15-1202-40001", "1202/40001")


# ---------------------------------------------------------------------------------------------
# network-c: XLSX, header on row 4, Excel date + text time, h:mm:ss durations


def test_network_c_golden(parse_file: ParseFile, network_c: Path) -> None:
    parsed = parse_file(network_c)

    assert parsed.counts == {"calls": 4, "messages": 2, "data_sessions": 1, "source_rows": 7}
    assert parsed.ctx.detected == {"profile": "network-c", "time_basis": "UTC"}
    assert parsed.locators("calls") == ["row=5", "row=6", "row=7", "row=11"]
    assert parsed.locators("messages") == ["row=8", "row=9"]
    assert parsed.locators("data_sessions") == ["row=10"]
    assert parsed.locators("source_rows") == [f"row={n}" for n in range(5, 12)]
    assert parsed.issues == []

    row = parsed.row("calls", "row=5")
    assert tuple(row) == CALLS.column_names
    assert row == {
        "row_id": row_id("e1", "row=5"),
        "exhibit_id": "e1",
        "locator": "row=5",
        "parser": PARSER_REF,
        "record_type_original": "Call Originating",
        "direction": "outgoing",
        "a_party": "+447700900123",
        "a_party_original": "+447700900123",
        "b_party": "+447700900456",
        "b_party_original": "+447700900456",
        "c_party": None,
        "c_party_original": None,
        "target_role": "a",
        "start_utc": utc(2026, 6, 1, 9, 15, 2),
        "start_earliest_utc": utc(2026, 6, 1, 9, 15, 2),
        "start_latest_utc": utc(2026, 6, 1, 9, 15, 2),
        "start_status": "exact",
        "start_original": "01/06/2026 09:15:02",
        "end_utc": None,
        "end_earliest_utc": None,
        "end_latest_utc": None,
        "end_status": None,
        "end_original": None,
        "duration_s": 125,
        "duration_original": "0:02:05",
        "duration_basis": "network duration, h:mm:ss",
        "imei": "35456789012345",
        "imei_key": "35456789012345",
        "imei_original": "35456789012345",
        "imsi": "001010123456789",
        "imsi_original": "001010123456789",
        "start_cell": "234-20-5001-123456789",
        "start_cell_original": "234-20-5001-123456789",
        "end_cell": "234-20-5001-123456790",
        "end_cell_original": "234-20-5001-123456790",
        "time_basis": "UTC",
        "source_app": None,
        "deleted_state": None,
    }
    assert json.loads(parsed.row("source_rows", "row=5")["raw"]) == {
        "Event": "Call Originating",
        "Calling Party": "+447700900123",
        "Called Party": "+447700900456",
        "Diverted To": "",
        "Date (UTC)": "01/06/2026",
        "Time (UTC)": "09:15:02",
        "Duration": "0:02:05",
        "Handset IMEI": "35456789012345",
        "Subscriber IMSI": "001010123456789",
        "Cell Start": "234-20-5001-123456789",
        "Cell End": "234-20-5001-123456790",
    }


def test_network_c_durations_and_numeric_imei(parse_file: ParseFile, network_c: Path) -> None:
    parsed = parse_file(network_c)
    by_row = {r["locator"]: r for r in parsed.rows("calls")}
    assert by_row["row=6"]["duration_s"] == 3723  # 1:02:03
    assert by_row["row=6"]["imei_original"] == "354567890123458"  # numeric cell, read as digits
    assert by_row["row=6"]["imei_key"] == "35456789012345"
    assert by_row["row=7"]["direction"] == "forwarded"
    assert by_row["row=7"]["c_party"] == "+447700900999"
    assert by_row["row=7"]["duration_s"] == 34
    assert by_row["row=11"]["start_utc"] == utc(2026, 6, 2, 23, 59, 59)
    (data,) = parsed.rows("data_sessions")
    assert (data["duration_original"], data["duration_s"]) == ("2:05", 125)  # mm:ss
    assert data["start_utc"] == utc(2026, 6, 2, 0, 5)


# ---------------------------------------------------------------------------------------------
# network-d: semicolons, target/other party, ISO UTC, data volumes and charging IDs


def test_network_d_golden(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-d.csv")

    assert parsed.counts == {"calls": 2, "messages": 2, "data_sessions": 4, "source_rows": 8}
    assert parsed.ctx.detected == {"profile": "network-d", "time_basis": "UTC"}
    assert parsed.locators("calls") == ["row=2", "row=3"]
    assert parsed.locators("messages") == ["row=4", "row=5"]
    assert parsed.locators("data_sessions") == ["row=6", "row=7", "row=8", "row=9"]
    # Every number lost its leading zero: 2 per voice/SMS row (4 rows) + 1 per data row (4 rows).
    assert [(i.severity, i.code, i.locator, i.count) for i in parsed.issues] == [
        (Severity.INFO, "phone.leading_zero_restored", "row=2", 12)
    ]

    row = parsed.row("data_sessions", "row=6")
    assert tuple(row) == DATA_SESSIONS.column_names
    assert row == {
        "row_id": row_id("e1", "row=6"),
        "exhibit_id": "e1",
        "locator": "row=6",
        "parser": PARSER_REF,
        "record_type_original": "OUT DATA",
        "party": "+447700900123",
        "party_original": "7700900123",
        "start_utc": utc(2026, 6, 1, 11, 0, 0),
        "start_earliest_utc": utc(2026, 6, 1, 11, 0, 0),
        "start_latest_utc": utc(2026, 6, 1, 11, 0, 0),
        "start_status": "exact",
        "start_original": "2026-06-01T11:00:00Z",
        "end_utc": utc(2026, 6, 1, 11, 30, 0),
        "end_earliest_utc": utc(2026, 6, 1, 11, 30, 0),
        "end_latest_utc": utc(2026, 6, 1, 11, 30, 0),
        "end_status": "exact",
        "end_original": "2026-06-01T11:30:00Z",
        "duration_s": 1800,
        "duration_original": "1800",
        "imei": "35209900176148",
        "imei_key": "35209900176148",
        "imei_original": "35209900176148",
        "imsi": "001010123456789",
        "imsi_original": "001010123456789",
        "start_cell": "234-10-1501-20001",
        "start_cell_original": "234-10-1501-20001",
        "end_cell": None,
        "end_cell_original": None,
        "apn": "internet.test",
        "bytes_up": 10240,
        "bytes_down": 204800,
        "charging_id": "4000000001",
        "time_basis": "UTC",
    }


def test_network_d_incoming_puts_other_party_first(parse_file: ParseFile) -> None:
    parsed = parse_file(FIXTURES / "network-d.csv")
    incoming = parsed.row("calls", "row=3")
    assert (incoming["a_party"], incoming["a_party_original"]) == ("+447700900789", "7700900789")
    assert (incoming["b_party"], incoming["b_party_original"]) == (TARGET, "7700900123")
    assert (incoming["direction"], incoming["target_role"]) == ("incoming", "b")
    outgoing = parsed.row("calls", "row=2")
    assert (outgoing["a_party"], outgoing["b_party"]) == (TARGET, "+447700900456")
    assert (outgoing["direction"], outgoing["target_role"]) == ("outgoing", "a")
    assert (outgoing["end_utc"], outgoing["duration_s"]) == (utc(2026, 6, 1, 9, 2, 5), 125)
    sms_in = parsed.row("messages", "row=5")
    assert (sms_in["a_party"], sms_in["b_party"], sms_in["target_role"]) == (
        "+447700900789",
        TARGET,
        "b",
    )


def test_network_d_partial_records_share_a_charging_id(parse_file: ParseFile) -> None:
    sessions = parse_file(FIXTURES / "network-d.csv").rows("data_sessions")
    partials = [s for s in sessions if s["charging_id"] == "4000000001"]
    assert [s["locator"] for s in partials] == ["row=6", "row=7", "row=8"]
    # Each partial record starts where the previous one ended.
    for before, after in pairwise(partials):
        assert before["end_utc"] == after["start_utc"]
    assert sum(s["bytes_up"] for s in partials) == 10240 + 5120 + 0
    assert sum(s["bytes_down"] for s in partials) == 204800 + 1048576 + 2048
    assert sum(s["duration_s"] for s in partials) == 1800 + 1800 + 600
    # IN DATA is still the target's session; data rows have no other party.
    assert {s["party"] for s in sessions} == {TARGET}
    assert [s["apn"] for s in sessions] == ["internet.test"] * 3 + ["ims.test"]
    assert sessions[3]["charging_id"] == "4000000002"


# ---------------------------------------------------------------------------------------------
# target role, authorised window


@pytest.mark.parametrize(
    ("fixture", "roles"),
    [
        ("network-a.csv", {2: "a", 3: "b", 4: "a", 5: "b", 6: "b", 8: "a", 9: "b"}),
        ("network-b.csv", {2: "a", 3: "b", 4: "b", 5: "a", 6: "b", 8: "a", 9: "b"}),
        ("network-c.xlsx", {5: "a", 6: "b", 7: "b", 8: "a", 9: "b", 11: "a"}),
        ("network-d.csv", {2: "a", 3: "b", 4: "a", 5: "b"}),
    ],
)
def test_target_role(
    parse_file: ParseFile, network_c: Path, fixture: str, roles: dict[int, str]
) -> None:
    path = network_c if fixture.endswith(".xlsx") else FIXTURES / fixture
    parsed = parse_file(path)
    got = {
        int(r["locator"].removeprefix("row=")): r["target_role"]
        for table in ("calls", "messages")
        for r in parsed.rows(table)
    }
    assert got == roles


def test_target_role_c_and_none(parse_file: ParseFile) -> None:
    forwarded_to = parse_file(FIXTURES / "network-a.csv", target_number="+447700900999")
    assert forwarded_to.row("calls", "row=6")["target_role"] == "c"
    assert forwarded_to.row("calls", "row=2")["target_role"] is None
    no_target = parse_file(FIXTURES / "network-a.csv", target_number=None)
    assert {r["target_role"] for r in no_target.rows("calls") + no_target.rows("messages")} == {
        None
    }


def test_window_outside_warnings(parse_file: ParseFile) -> None:
    # 11:00 BST on 01/06/2026 is 10:00 UTC; the window end is inclusive.
    parsed = parse_file(
        FIXTURES / "network-a.csv",
        authorised_from=datetime(2026, 6, 1, 11, 0, tzinfo=LONDON),
        authorised_to=utc(2026, 6, 2, 12, 0, 0),
    )
    outside = parsed.issues_with("window.outside")
    assert [(i.severity, i.locator, i.value) for i in outside] == [
        (Severity.WARNING, "row=2", "01/06/2026 09:15:02"),
        (Severity.WARNING, "row=8", "02/06/2026 23:59:59"),
        (Severity.WARNING, "row=9", "03/06/2026 00:10:30"),
    ]
    assert all("requirement 37" in i.message for i in outside)
    assert parsed.codes == {"window.outside", "imei.padded"}
    # Rows outside the window are still ingested, only flagged.
    assert parsed.counts["source_rows"] == 8


def test_window_outside_with_local_times(parse_file: ParseFile) -> None:
    # Row 8's two possible readings (25/10 00:30 and 01:30 UTC) are both after the window;
    # row 7 (02/06 00:30 BST = 01/06 23:30 UTC) is inside; row 6 (31/12/2026) is outside.
    parsed = parse_file(
        FIXTURES / "network-b.csv",
        authorised_from=utc(2026, 1, 1),
        authorised_to=utc(2026, 6, 30, 23, 59, 59),
    )
    assert [i.locator for i in parsed.issues_with("window.outside")] == ["row=6", "row=8"]


# ---------------------------------------------------------------------------------------------
# a user's own mapping file

MAPPING_YAML = """\
# A made-up layout, for the test only.
name: network-e
title: "Network E: a made-up layout with a single date-time column in UK local time"
format: csv
encoding: utf-8
delimiter: ","
header_row: 1
time_basis: europe-london
parties: a_b
columns:
  record_type: Type
  a_party: Caller
  b_party: Callee
  start: When
  duration: Secs
formats:
  start: "%d/%m/%Y %H:%M"
duration: seconds
duration_basis: "billed seconds"
record_types:
  - {match: CALL-OUT, table: calls, direction: outgoing}
  - {match: CALL-IN, table: calls, direction: incoming}
  - {match: TEXT-OUT, table: messages, direction: outgoing, message_type: sms}
ignore: [Notes]
"""

NETWORK_E_CSV = """\
Type,Caller,Callee,When,Secs,Notes
CALL-OUT,07700 900123,07700 900456,01/07/2026 09:05,42,first call
CALL-IN,+44 7700 900456,07700 900123,10/12/2026 18:30,7,
TEXT-OUT,07700900123,07700900456,01/07/2026 09:06,,
call-out,07700900123,07700900789,02/07/2026 00:15,300,lower case type
"""


def test_user_mapping_file_ingests_a_new_layout(parse_file: ParseFile, tmp_path: Path) -> None:
    mapping = tmp_path / "network-e.yaml"
    mapping.write_text(MAPPING_YAML, "utf-8")
    path = tmp_path / "network-e.csv"
    path.write_text(NETWORK_E_CSV, "utf-8")

    parsed = parse_file(path, mapping=mapping)

    assert parsed.ctx.detected == {"profile": "network-e", "time_basis": "Europe/London"}
    assert parsed.counts == {"calls": 3, "messages": 1, "source_rows": 4}
    assert parsed.issues == []  # "Notes" is ignored, so not reported as unmapped
    calls = parsed.rows("calls")
    assert [c["locator"] for c in calls] == ["row=2", "row=3", "row=5"]
    first, second, third = calls
    assert (first["a_party"], first["b_party"], first["target_role"]) == (
        TARGET,
        "+447700900456",
        "a",
    )
    assert first["start_utc"] == utc(2026, 7, 1, 8, 5)  # BST
    assert (first["duration_s"], first["duration_basis"]) == (42, "billed seconds")
    assert (second["direction"], second["a_party"], second["a_party_original"]) == (
        "incoming",
        "+447700900456",
        "+44 7700 900456",
    )
    assert second["start_utc"] == utc(2026, 12, 10, 18, 30)  # GMT
    assert (third["record_type_original"], third["direction"]) == ("call-out", "outgoing")
    assert third["start_utc"] == utc(2026, 7, 1, 23, 15)  # 00:15 BST on 02/07
    (sms,) = parsed.rows("messages")
    assert (sms["locator"], sms["message_type"], sms["sent_utc"]) == (
        "row=4",
        "sms",
        utc(2026, 7, 1, 8, 6),
    )
    assert json.loads(parsed.row("source_rows", "row=2")["raw"])["Notes"] == "first call"


# ---------------------------------------------------------------------------------------------
# choosing a profile


@pytest.mark.parametrize("name", ["network-a", "network-b", "network-c", "network-d"])
def test_profile_chosen_for_each_fixture(name: str, network_c: Path, make_ctx: Any) -> None:
    path = network_c if name == "network-c" else FIXTURES / f"{name}.csv"
    parser = CdrUkParser()
    assert parser.sniff(probe(path)) is Confidence.CERTAIN
    assert parser.choose_profile(path, make_ctx()).name == name
    fits = {p.name: profile_fit(p, path) for p in builtin_profiles()}
    assert fits == {p: Confidence.CERTAIN if p == name else Confidence.NO for p in fits}


def test_unknown_csv_is_possible(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(NETWORK_E_CSV, "utf-8")
    assert CdrUkParser().sniff(probe(path)) is Confidence.POSSIBLE
    other = tmp_path / "export.pdf"
    other.write_bytes(b"%PDF-1.7\n")
    assert CdrUkParser().sniff(probe(other)) is Confidence.NO


def test_extra_column_is_likely_and_reported(parse_file: ParseFile, tmp_path: Path) -> None:
    lines = (FIXTURES / "network-a.csv").read_text("utf-8").splitlines()
    path = tmp_path / "network-a-notes.csv"
    path.write_text(
        "\n".join([lines[0] + ",Notes", *(line + ",n/a" for line in lines[1:])]) + "\n", "utf-8"
    )
    assert CdrUkParser().sniff(probe(path)) is Confidence.LIKELY
    parsed = parse_file(path)
    assert parsed.ctx.detected["profile"] == "network-a"
    assert parsed.counts["source_rows"] == 8
    (unmapped,) = parsed.issues_with("column.unmapped")
    assert (unmapped.severity, unmapped.locator, unmapped.value) == (
        Severity.WARNING,
        "column=12",
        "Notes",
    )
    assert json.loads(parsed.row("source_rows", "row=2")["raw"])["Notes"] == "n/a"
