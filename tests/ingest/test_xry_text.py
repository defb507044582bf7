"""Golden and bad-input tests of the XRY text export parser (formats.md §2a).

Expected values are worked out by hand from the fixture's text (tests/fixtures/xry/
make_fixtures.py; line numbers checked with ``iconv -f UTF-16 | cat -n``): E.164 forms of the
Ofcom drama numbers, UTC from the written offset, and for a time without an offset the range
wall clock - 14 h .. wall clock + 12 h.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from collect_sink import run_parser
from phone_support import flip_and_cut_fuzz, ingest_new_exhibit, pick, probe, utc

from threadline.errors import HostileInput, NotThisFormat, ParseError
from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.xry.text import XryTextParser
from threadline.ingest.parsers.xry.times import parse_duration, parse_text_time

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xry"
EXPORT = FIXTURES / "export"

PARSER = XryTextParser()


def _parse(path: Path) -> tuple[Any, Any]:
    return run_parser(PARSER, path, exhibit_id="e1", reference="JB/1")


def _utf16(text: str) -> bytes:
    return b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le")


@pytest.fixture(scope="module")
def folder() -> tuple[Any, Any]:
    return _parse(EXPORT)


# -- golden: calls --------------------------------------------------------------------------

CALL_COLUMNS = [
    "locator",
    "direction",
    "record_type_original",
    "a_party",
    "a_party_original",
    "b_party",
    "b_party_original",
    "target_role",
    "start_utc",
    "start_earliest_utc",
    "start_latest_utc",
    "start_status",
    "start_original",
    "time_basis",
    "duration_s",
    "duration_original",
    "deleted_state",
]


def test_calls(folder: tuple[Any, Any]) -> None:
    _, sink = folder
    rows = [pick(r, *CALL_COLUMNS) for r in sink.rows("calls")]
    assert rows == [
        {
            "locator": "Calls.txt#line=7;entity=1",
            "direction": "incoming",
            "record_type_original": "Incoming",
            "a_party": "+447700900123",
            "a_party_original": "07700 900123",
            "b_party": None,
            "b_party_original": None,
            "target_role": "b",
            # 9:15:30 PM at UTC+1 is 20:15:30 UTC
            "start_utc": utc(2024, 3, 2, 20, 15, 30),
            "start_earliest_utc": utc(2024, 3, 2, 20, 15, 30),
            "start_latest_utc": utc(2024, 3, 2, 20, 15, 30),
            "start_status": "exact",
            "start_original": "3/2/2024 9:15:30 PM UTC+1 (Network)",
            "time_basis": "UTC+01:00",
            "duration_s": 125,
            "duration_original": "00:02:05",
            "deleted_state": "unknown",
        },
        {
            "locator": "Calls.txt#line=17;entity=2",
            "direction": "outgoing",
            "record_type_original": "Dialed",
            "a_party": None,
            "a_party_original": None,
            "b_party": "+447700900456",
            "b_party_original": "+44 7700 900456",
            "target_role": "a",
            # 08:05 with no zone: 18:05 the day before (UTC+14) to 20:05 (UTC-12)
            "start_utc": None,
            "start_earliest_utc": utc(2024, 3, 2, 18, 5, 0),
            "start_latest_utc": utc(2024, 3, 3, 20, 5, 0),
            "start_status": "zone_unknown",
            "start_original": "3/3/2024 8:05:00 AM (Device)",
            "time_basis": "unknown",
            "duration_s": 95,
            "duration_original": "95",
            "deleted_state": "intact",
        },
        {
            "locator": "Calls.txt#line=24;entity=3",
            "direction": "missed",
            "record_type_original": "Missed",
            "a_party": "+441632960001",
            "a_party_original": "01632 960001",
            "b_party": None,
            "b_party_original": None,
            "target_role": "b",
            # 23:59:59 at UTC-7 is 06:59:59 UTC the next day (and year)
            "start_utc": utc(2024, 1, 1, 6, 59, 59),
            "start_earliest_utc": utc(2024, 1, 1, 6, 59, 59),
            "start_latest_utc": utc(2024, 1, 1, 6, 59, 59),
            "start_status": "exact",
            "start_original": "12/31/2023 11:59:59 PM GMT-7 (Device)",
            "time_basis": "UTC-07:00",
            "duration_s": None,
            "duration_original": None,
            "deleted_state": "deleted",
        },
    ]
    assert {r["parser"] for r in sink.rows("calls")} == {"xry_text@1.0.0"}


# -- golden: messages -----------------------------------------------------------------------

MESSAGE_COLUMNS = [
    "locator",
    "message_type",
    "direction",
    "record_type_original",
    "a_party",
    "a_party_original",
    "a_party_name",
    "b_party",
    "b_party_original",
    "target_role",
    "sent_utc",
    "sent_earliest_utc",
    "sent_latest_utc",
    "sent_status",
    "sent_original",
    "body",
    "deleted_state",
]


def test_messages(folder: tuple[Any, Any]) -> None:
    _, sink = folder
    rows = {r["locator"]: pick(r, *MESSAGE_COLUMNS) for r in sink.rows("messages")}
    assert list(rows) == [
        "Messages-SMS.txt#line=6;entity=1",
        "Messages-SMS.txt#line=17;entity=2",
        "Messages-SMS.txt#line=24;entity=3",
        "Messages-SMS.txt#line=34;entity=4+5+6",
        "Messages-SMS.txt#line=64;entity=7",
    ]
    welsh = rows["Messages-SMS.txt#line=6;entity=1"]
    assert welsh == {
        "locator": "Messages-SMS.txt#line=6;entity=1",
        "message_type": "sms",
        "direction": "incoming",
        "record_type_original": "Deliver",
        "a_party": "+447700900123",
        "a_party_original": "+447700900123",
        "a_party_name": "Carys Pritchard",
        "b_party": None,
        "b_party_original": None,
        "target_role": "b",
        "sent_utc": utc(2024, 3, 1, 19, 42, 10),
        "sent_earliest_utc": utc(2024, 3, 1, 19, 42, 10),
        "sent_latest_utc": utc(2024, 3, 1, 19, 42, 10),
        "sent_status": "exact",
        "sent_original": "3/1/2024 7:42:10 PM UTC (Network)",
        "body": "Diolch yn fawr! Wela i di ym Mhwllheli am chwech o'r gloch.\n"
        "Mae'r tŷ ar gau — paid â phoeni.",
        "deleted_state": "unknown",
    }
    polish = rows["Messages-SMS.txt#line=17;entity=2"]
    assert pick(polish, "direction", "b_party", "b_party_original", "a_party", "target_role") == {
        "direction": "outgoing",
        "b_party": "+447700900456",
        "b_party_original": "07700 900456",
        "a_party": None,
        "target_role": "a",
    }
    assert polish["body"] == "Zażółć gęślą jaźń — będę o szóstej."
    assert (polish["sent_utc"], polish["sent_status"]) == (None, "zone_unknown")
    assert polish["sent_earliest_utc"] == utc(2024, 3, 1, 16, 30, 0)  # 06:30 - 14 h
    assert polish["sent_latest_utc"] == utc(2024, 3, 2, 18, 30, 0)  # 06:30 + 12 h
    assert polish["sent_original"] == "3/2/2024 6:30:00 AM (Device)"

    deleted = rows["Messages-SMS.txt#line=24;entity=3"]
    assert deleted["deleted_state"] == "deleted"
    assert deleted["a_party"] == "+441632960002"  # Participant of an incoming message: sender
    assert deleted["target_role"] == "b"
    assert deleted["sent_utc"] == utc(2024, 3, 2, 19, 0, 0)  # 23:00 at UTC+4
    assert deleted["body"] == "Where are you?\n\nCall me now."  # blank line kept inside text

    joined = rows["Messages-SMS.txt#line=34;entity=4+5+6"]
    assert joined["body"] == (
        "The van will be at the back of the car wash at ten. Bring the three new workers and "
        "their documents. Say nothing to anyone. Marek will do the talking."
    )
    assert joined["a_party"] == "+447700900789"
    assert joined["sent_utc"] == utc(2024, 3, 3, 14, 14, 0)

    partial = rows["Messages-SMS.txt#line=64;entity=7"]
    assert (partial["direction"], partial["b_party"], partial["target_role"]) == (
        "outgoing",
        "+447700900123",
        "a",
    )
    assert partial["body"] == "First half only, the se"


def test_concatenated_sms_keeps_every_segment_raw(folder: tuple[Any, Any]) -> None:
    _, sink = folder
    raw = {r["locator"]: json.loads(r["raw"]) for r in sink.rows("source_rows")}
    record = raw["Messages-SMS.txt#line=34;entity=4+5+6"]
    assert sorted(record) == ["entity 4", "entity 5", "entity 6"]
    assert record["entity 5"].splitlines()[0] == "Messages-SMS #\t5"
    assert "Segment Number:\t3" in record["entity 5"]
    call = raw["Calls.txt#line=7;entity=1"]["entity 1"]
    assert "Name (Matched):\tCarys Pritchard" in call  # matched name kept in the raw record
    assert "Storage:\tPhone" in call


# -- golden: contacts and device ------------------------------------------------------------


def test_contacts(folder: tuple[Any, Any]) -> None:
    _, sink = folder
    columns = ["locator", "name", "number", "number_original", "email", "deleted_state"]
    assert [pick(r, *columns) for r in sink.rows("contacts")] == [
        {
            "locator": "Contacts-Contacts.txt#line=6;entity=1",
            "name": "Carys Pritchard",
            "number": "+447700900123",
            "number_original": "07700 900123",
            "email": "carys.pritchard@example.org",
            "deleted_state": "unknown",
        },
        {
            "locator": "Contacts-Contacts.txt#line=6;entity=1;part=2",
            "name": "Carys Pritchard",
            "number": "+441632960003",
            "number_original": "01632 960003",
            "email": "carys.pritchard@example.org",
            "deleted_state": "unknown",
        },
        {
            "locator": "Contacts-Contacts.txt#line=12;entity=2",
            "name": "Marek Nowak",
            "number": "+447700900789",
            "number_original": "+44 7700 900789",
            "email": None,
            "deleted_state": "deleted",
        },
        {
            "locator": "Contacts-Contacts.txt#line=17;entity=3",
            "name": "Siân Ellis",
            "number": None,
            "number_original": None,
            "email": "sian.ellis@example.net",
            "deleted_state": "unknown",
        },
    ]


def test_device(folder: tuple[Any, Any]) -> None:
    _, sink = folder
    [row] = sink.rows("devices")
    columns = [
        "locator",
        "imei",
        "imei_key",
        "imei_original",
        "imsi",
        "iccid",
        "msisdn",
        "msisdn_original",
        "manufacturer",
        "model",
        "os",
        "extraction",
    ]
    assert pick(row, *columns) == {
        "locator": "Device-General Information.txt#line=6;entity=1-4",
        "imei": "352099001761481",
        "imei_key": "35209900176148",
        "imei_original": "352099001761481",
        "imsi": "001010123456789",
        "iccid": "8900100000000000018",
        "msisdn": "+447700900321",
        "msisdn_original": "07700 900321",
        "manufacturer": "Samsung",  # Data before Attribute is read as a pair too
        "model": "SM-A546B",
        "os": "Android 14",
        "extraction": "XRY text export",
    }


def test_issues(folder: tuple[Any, Any]) -> None:
    ctx, _ = folder
    keys = {(i.code, i.locator, i.value) for i in ctx.all_issues()}
    assert keys == {
        ("time.zone_unknown", "Calls.txt#line=17;entity=2", "3/3/2024 8:05:00 AM (Device)"),
        ("xry.key_unknown", "Calls.txt#line=24;entity=3", "Call Category"),
        ("xry.line_unexpected", "Calls.txt#line=31;entity=4", "Call record damaged"),
        ("xry.entity_without_fields", "Calls.txt#line=31;entity=4", "Calls #\t4"),
        (
            "xry.key_unknown",
            "Device-General Information.txt#line=6;entity=1-4",
            "Screen Lock Pattern",
        ),
        ("time.zone_unknown", "Messages-SMS.txt#line=17;entity=2", "3/2/2024 6:30:00 AM (Device)"),
        ("xry.sms_segment_missing", "Messages-SMS.txt#line=64;entity=7", "missing 2 of 2"),
        ("time.zone_unknown", "Messages-SMS.txt#line=64;entity=7", "3/4/2024 9:00:00 AM (Device)"),
        ("xry.bookmarks_not_read", "Web-Bookmarks.txt#line=1", "2"),
    }
    assert ctx.row_counts == {
        "calls": 3,
        "messages": 5,
        "contacts": 4,
        "devices": 1,
        "source_rows": 3 + 5 + 4 + 1,
    }


# -- containers and single files ------------------------------------------------------------


def test_zip_export_reads_like_the_folder(folder: tuple[Any, Any]) -> None:
    _, from_folder = folder
    _, sink = _parse(FIXTURES / "export.zip")
    for table in ("calls", "messages", "contacts", "devices"):
        expected = [r["locator"] for r in from_folder.rows(table)]
        got = [r["locator"] for r in sink.rows(table)]
        assert got == [f"XRY export/{loc}" for loc in expected]
    bodies = [r["body"] for r in sink.rows("messages")]
    assert bodies == [r["body"] for r in from_folder.rows("messages")]


def test_single_file_locators_use_its_own_name() -> None:
    _, sink = _parse(EXPORT / "Calls.txt")
    assert [r["locator"] for r in sink.rows("calls")] == [
        "Calls.txt#line=7;entity=1",
        "Calls.txt#line=17;entity=2",
        "Calls.txt#line=24;entity=3",
    ]


def test_sniff(tmp_path: Path) -> None:
    calls = EXPORT / "Calls.txt"
    head = calls.read_bytes()[:4096]
    assert PARSER.sniff(probe(calls, head)) is Confidence.CERTAIN
    assert PARSER.sniff(probe(EXPORT, b"")) is Confidence.LIKELY
    archive = FIXTURES / "export.zip"
    zip_head = archive.read_bytes()[:4096]
    assert PARSER.sniff(probe(archive, zip_head)) is Confidence.LIKELY
    cellebrite = tmp_path / "ufed"
    cellebrite.mkdir()
    (cellebrite / "Calls.txt").write_bytes(calls.read_bytes())
    (cellebrite / "report.xml").write_text("<project/>", encoding="utf-8")
    assert PARSER.sniff(probe(cellebrite, b"")) is Confidence.NO
    utf8 = b"XRY Export\r\nCase:\r\nCalls\r\n"
    assert PARSER.sniff(probe(tmp_path / "c.txt", utf8)) is Confidence.LIKELY
    other = "Hello\r\n".encode("utf-16")
    assert PARSER.sniff(probe(tmp_path / "o.txt", other)) is Confidence.NO
    assert PARSER.sniff(probe(tmp_path / "x.bin", b"\x00\x01")) is Confidence.NO


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc", "status", "basis"),
    [
        ("1/3/1990 1:23:54 AM UTC+4", utc(1990, 1, 2, 21, 23, 54), "exact", "UTC+04:00"),
        (
            "6/15/2024 12:00:00 AM UTC+5:30 (Device)",
            utc(2024, 6, 14, 18, 30),
            "exact",
            "UTC+05:30",
        ),
        ("6/15/2024 12:30:00 PM GMT (Network)", utc(2024, 6, 15, 12, 30), "exact", "UTC"),
        ("6/15/2024 13:30:00", None, "zone_unknown", "unknown"),
        ("13/15/2024 1:30:00 PM", None, "unparsed", "unknown"),
        ("6/15/2024 13:30:00 PM", None, "unparsed", "unknown"),
        ("6/15/2024 1:30:00 PM UTC+15", None, "unparsed", "unknown"),
        ("yesterday", None, "unparsed", "unknown"),
    ],
)
def test_text_times(text: str, utc: datetime | None, status: str, basis: str) -> None:
    parsed = parse_text_time(text)
    assert parsed is not None
    assert (parsed.utc, parsed.status.value, parsed.basis, parsed.original) == (
        utc,
        status,
        basis,
        text,
    )


def test_durations() -> None:
    assert [parse_duration(t) for t in ("00:02:05", "1:00:00", "02:05", "95", "1:75", "x")] == [
        125,
        3600,
        125,
        95,
        None,
        None,
    ]


# -- bad input ------------------------------------------------------------------------------


def test_utf8_export_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Calls.txt"
    path.write_text("XRY Export\r\nCase:\r\nCalls\r\n\r\n\r\nCalls #\t1\r\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        _parse(path)
    assert caught.value.path == "Calls.txt"
    assert "UTF-16LE" in str(caught.value)


def test_invalid_utf16_names_the_line(tmp_path: Path) -> None:
    good = _utf16("XRY Export\nCase:\nCalls\n\n\nCalls #\t1\nDirection:\tIncoming\n")
    # a lone low surrogate (DC00) on line 8 cannot be UTF-16
    path = tmp_path / "Calls.txt"
    path.write_bytes(
        good + "Tel:\t".encode("utf-16-le") + b"\x00\xdc" + "1\r\n".encode("utf-16-le")
    )
    with pytest.raises(ParseError) as caught:
        _parse(path)
    assert (caught.value.path, caught.value.locator) == ("Calls.txt", "line=8")


def test_odd_byte_count_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "Calls.txt"
    path.write_bytes(_utf16("XRY Export\nCase:\nCalls\n\n\nCalls #\t1\nTel:\t1\n") + b"\x41")
    with pytest.raises(ParseError, match="not valid UTF-16LE"):
        _parse(path)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "Calls.txt"
    path.write_bytes(_utf16("XRY Export\nCase:"))
    with pytest.raises(ParseError, match="header"):
        _parse(path)


def test_garbage_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(NotThisFormat):
        _parse(path)
    bom_only = tmp_path / "letter.txt"
    bom_only.write_bytes(_utf16("Dear Sir\nThis is not an export.\n"))
    with pytest.raises(NotThisFormat):
        _parse(bom_only)


def test_unknown_report_type_is_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "Pictures.txt"
    path.write_bytes(_utf16("XRY Export\nCase:\nPictures/Images\n\n\nPictures #\t1\nName:\ta\n"))
    ctx, sink = _parse(path)
    assert sink.counts() == {}
    assert [(i.code, i.locator, i.value) for i in ctx.all_issues()] == [
        ("xry.report_unknown", "Pictures.txt#line=3", "Pictures/Images")
    ]


def test_zip_with_traversal_is_hostile(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../Calls.txt", (EXPORT / "Calls.txt").read_bytes())
    with pytest.raises(HostileInput):
        _parse(path)


def test_folder_without_reports_is_not_this_format(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(NotThisFormat):
        _parse(tmp_path)


SEED = (EXPORT / "Messages-SMS.txt").read_bytes()


# anything but an IngestError (a crash, a KeyError...) fails the test
test_fuzz_only_ingest_errors = flip_and_cut_fuzz(SEED, "Messages-SMS.txt", _parse)


# -- end to end: a folder export through the ingest service ---------------------------------


def test_folder_export_through_ingest_service(workspace: Any, tmp_path: Path) -> None:
    from threadline.services import query

    folder = tmp_path / "XRY export"
    folder.mkdir()
    for source in EXPORT.iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    result = ingest_new_exhibit(
        workspace,
        "OP-CEDAR",
        "Operation Cedar",
        "FH/3",
        folder,
        producer="DC Ffion Hughes",
        description="XRY",
    )
    assert result.row_counts == {
        "calls": 3,
        "messages": 5,
        "contacts": 4,
        "devices": 1,
        "source_rows": 13,
    }
    table = query.run_sql(
        workspace,
        "OP-CEDAR",
        "SELECT locator, body FROM messages WHERE locator LIKE '%entity=4+5+6'",
    )
    assert [r["locator"] for r in table.to_pylist()] == ["Messages-SMS.txt#line=34;entity=4+5+6"]
    issues = query.list_issues(workspace, "OP-CEDAR", "FH/3")
    assert ("xry.sms_segment_missing", "Messages-SMS.txt#line=64;entity=7") in {
        (i.code, i.locator) for i in issues
    }


def test_bytes_helper_round_trip() -> None:
    # the fixture files really are UTF-16LE with BOM and CRLF line ends
    data = (EXPORT / "Calls.txt").read_bytes()
    assert data[:2] == b"\xff\xfe"
    text = io.TextIOWrapper(io.BytesIO(data[2:]), encoding="utf-16-le", newline="").read()
    assert text.splitlines()[1] == "XRY Export"
    assert "\r\n" in text
