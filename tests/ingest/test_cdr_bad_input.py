"""Bad and hostile input for the UK network CDR parser.

Every refusal must be clear: it names the file and the row, line or member at fault. Every bad
row must leave a trace: an issue with its row number and raw text, never a silent drop. Cell
values that look like spreadsheet formulas are data, kept verbatim and never evaluated. XLSX
containers are checked for zip bombs, XML entity declarations and path traversal before parsing.

Files are built in a temporary folder here because each is a small variation on a layout (see
tests/fixtures/cdr_uk/README.md for the layouts).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from collect_sink import Parsed

from threadline.errors import HostileInput, IngestError, NoMatchingProfile
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.transform import raw_json

TARGET = "+447700900123"

HEADER_A = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID"
)
HEADERS_A = HEADER_A.split(",")


def row_a(
    kind: str = "MOC",
    a: str = "447700900123",
    b: str = "447700900456",
    when: str = "01/06/2026,09:15:02",
    duration: str = "125",
    imei: str = "490154203237518",
) -> str:
    """One network-a record (valid unless told otherwise)."""
    return f"{kind},{a},{b},,{when},{duration},{imei},001010123456789,234-30-1201-30451,"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------
# XLSX helpers (network-c layout: title rows 1-2, blank row 3, header row 4)

HEADER_C = [
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


def row_c(event: str = "Call Originating", called: object = "+447700900456") -> list[object]:
    return [event, TARGET, called, None, date(2026, 6, 1), "09:15:02", "0:02:05",
            "35456789012345", "001010123456789", "234-20-5001-123456789", None]  # fmt: skip


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Call Data"
    sheet.append(["Network C - call data records (FICTIONAL TEST DATA)"])
    sheet.append(["Target +447700900123"])
    sheet.append([])
    sheet.append(HEADER_C)
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


def rebuild_zip(
    source: Path,
    target: Path,
    *,
    change: dict[str, Callable[[bytes], bytes]] | None = None,
    extra: list[tuple[str, bytes]] | None = None,
) -> Path:
    """Copy a ZIP container, rewriting some members and adding others."""
    change = change or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in change:
                data = change[info.filename](data)
            out.writestr(info.filename, data)
        for name, data in extra or []:
            out.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return target


SHEET = "xl/worksheets/sheet1.xml"
DTD = b'<!DOCTYPE worksheet [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def with_dtd(data: bytes) -> bytes:
    return DTD + data.replace(b"<t>Call Originating</t>", b"<t>&b;</t>")


def with_padded_dtd(data: bytes) -> bytes:
    """A DTD after 5,000 bytes of comment: still in the XML prolog, so still parsed."""
    return b"<!--" + b" " * 5000 + b"-->" + with_dtd(data)


@pytest.fixture
def good_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "good.xlsx", [row_c(), row_c("Call Terminating")])


def hostile_xlsx(kind: str, good: Path, tmp_path: Path) -> Path:
    target = tmp_path / f"hostile-{kind}.xlsx"
    if kind == "zip-bomb":
        # 2 MiB of zeros deflates about 1000-fold: over the 1 MiB / 200-fold limit.
        return rebuild_zip(good, target, extra=[("xl/media/image1.bin", bytes(2 * 1024 * 1024))])
    if kind == "doctype":
        return rebuild_zip(good, target, change={SHEET: with_dtd})
    if kind == "traversal":
        return rebuild_zip(good, target, extra=[("../evil.xml", b"<x/>")])
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# no matching profile


def test_unknown_layout_names_every_profile_and_the_way_out(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    path = write(tmp_path, "export.csv", "Type,Caller,Callee,When,Secs\nOUT,1,2,3,4\n")
    with pytest.raises(NoMatchingProfile) as caught:
        parse_file(path)
    message = str(caught.value)
    assert message.startswith("export.csv: ")
    assert caught.value.path == "export.csv"
    for name in ("network-a", "network-b", "network-c", "network-d"):
        assert name in message
    assert "--mapping" in message
    assert "docs/cdr-mapping.md" in message


def test_named_profile_missing_a_column_says_which(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    header = HEADER_A.replace(",IMSI,", ",SIM,")
    path = write(tmp_path, "a.csv", f"{header}\n{row_a()}\n")
    with pytest.raises(NoMatchingProfile) as caught:
        parse_file(path, profile="network-a")
    assert caught.value.locator == "row=1"
    assert "a.csv, row=1: profile network-a expects column(s) 'IMSI'" in str(caught.value)


def test_duplicate_header_is_refused(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", f"{HEADER_A},IMEI\n{row_a()},1\n")
    with pytest.raises(IngestError) as caught:
        parse_file(path)
    assert str(caught.value).startswith("dup.csv, row=1: the column 'IMEI' appears twice")
    assert "(columns 8 and 12)" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# malformed and blank rows


def test_malformed_rows_are_errors_with_their_raw_text(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    short = "MOC,447700900123,447700900456"
    long = row_a(when="01/06/2026,10:00:00") + ",surplus"
    lines = [
        HEADER_A,
        row_a(when="01/06/2026,09:00:00"),  # row 2
        short,  # row 3: malformed
        row_a(when="01/06/2026,09:30:00"),  # row 4
        row_a(when="01/06/2026,09:45:00"),  # row 5
        long,  # row 6: malformed
        row_a(when="01/06/2026,10:15:00"),  # row 7
        row_a(kind="MTC", when="01/06/2026,10:30:00"),  # row 8
    ]
    result = parse_file(write(tmp_path, "mal.csv", "\n".join(lines) + "\n"))

    malformed = result.issues_with("row.malformed")
    assert [(i.severity, i.locator, i.value) for i in malformed] == [
        (Severity.ERROR, "row=3", short),
        (Severity.ERROR, "row=6", long),
    ]
    assert all("11 columns" in i.message for i in malformed)
    assert all("full text is kept in the source rows" in i.message for i in malformed)
    # Every other row is ingested, with its own row number; the malformed ones are kept raw.
    assert result.counts == {"calls": 5, "source_rows": 7}
    kept = {r["locator"]: json.loads(r["raw"]) for r in result.rows("source_rows")}
    assert kept["row=3"] == {"(malformed record)": short}
    assert kept["row=6"] == {"(malformed record)": long}
    assert result.locators("calls") == ["row=2", "row=4", "row=5", "row=7", "row=8"]
    assert [c["start_original"] for c in result.rows("calls")] == [
        "01/06/2026 09:00:00",
        "01/06/2026 09:30:00",
        "01/06/2026 09:45:00",
        "01/06/2026 10:15:00",
        "01/06/2026 10:30:00",
    ]


def _blank_line_file(tmp_path: Path) -> Path:
    lines = [
        HEADER_A,
        row_a(when="01/06/2026,09:00:00"),  # row 2
        row_a(when="01/06/2026,09:30:00"),  # row 3
        "",  # row 4: blank
        row_a(when="01/06/2026,10:00:00"),  # row 5
    ]
    return write(tmp_path, "blank.csv", "\n".join(lines) + "\n")


def test_rows_after_a_blank_line_keep_their_numbers(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    result = parse_file(_blank_line_file(tmp_path))
    assert result.locators("calls") == ["row=2", "row=3", "row=5"]
    assert result.rows("calls")[2]["start_original"] == "01/06/2026 10:00:00"


def test_blank_line_is_a_row_blank_info(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    result = parse_file(_blank_line_file(tmp_path))
    assert [(i.severity, i.code, i.locator) for i in result.issues] == [
        (Severity.INFO, "row.blank", "row=4")
    ]
    assert result.locators("source_rows") == ["row=2", "row=3", "row=5"]


def test_blank_xlsx_row_is_a_row_blank_info(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "blank.xlsx", [row_c(), [], row_c("Call Terminating")])
    result = parse_file(path)
    assert [(i.severity, i.code, i.locator) for i in result.issues] == [
        (Severity.INFO, "row.blank", "row=6")
    ]
    assert result.locators("calls") == ["row=5", "row=7"]


def test_xlsx_row_wider_than_the_header_is_malformed(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    wide = [*row_c(), "note A", "note B"]
    result = parse_file(write_xlsx(tmp_path / "wide.xlsx", [row_c(), wide, row_c()]))
    assert [(i.severity, i.code, i.locator) for i in result.issues] == [
        (Severity.ERROR, "row.malformed", "row=6")
    ]
    assert "note A" in (result.issues[0].value or "")
    assert result.locators("calls") == ["row=5", "row=7"]


# ---------------------------------------------------------------------------------------------
# encoding, empty, header only


def _cp1252_pound(tmp_path: Path, good_rows: int) -> tuple[Path, int]:
    """A UTF-8 network-a file with a cp1252 '£' (byte 0xA3) after ``good_rows`` good rows."""
    lines = [HEADER_A.encode()] + [row_a().encode()] * good_rows
    lines.append(row_a().encode() + b"\xa3 cell")
    lines.append(row_a().encode())
    path = tmp_path / "pound.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, good_rows + 2  # the header is line 1


@pytest.mark.parametrize("good_rows", [2, 100], ids=["small-file", "past-8KiB"])
@pytest.mark.parametrize("profile", [None, "network-a"], ids=["detected", "named"])
def test_wrong_encoding_names_file_and_line(
    parse_file: Callable[..., Parsed], tmp_path: Path, good_rows: int, profile: str | None
) -> None:
    path, line = _cp1252_pound(tmp_path, good_rows)
    with pytest.raises(IngestError) as caught:
        parse_file(path, profile=profile)
    assert not isinstance(caught.value, NoMatchingProfile)
    assert caught.value.locator == f"line={line}"
    assert str(caught.value).startswith(f"pound.csv, line={line}: the file is not valid utf-8")


def test_wrong_encoding_in_the_header(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    path = tmp_path / "pound.csv"
    path.write_bytes(HEADER_A.encode() + b",Cost \xa3\n" + row_a().encode() + b",1\n")
    with pytest.raises(IngestError) as caught:
        parse_file(path, profile="network-a")
    assert caught.value.locator == "line=1"
    assert str(caught.value).startswith("pound.csv, line=1: the file is not valid utf-8")


def test_empty_file_named_profile(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"^empty\.csv: the file is empty$"):
        parse_file(path, profile="network-a")


def test_empty_file_detected(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match=r"^empty\.csv: the file is empty$"):
        parse_file(path)


def test_header_only(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    result = parse_file(write(tmp_path, "header.csv", HEADER_A + "\n"))
    assert result.counts == {}
    assert [(i.severity, i.code) for i in result.issues] == [(Severity.WARNING, "file.no_rows")]


def test_header_only_without_final_newline(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    result = parse_file(write(tmp_path, "header.csv", HEADER_A))
    assert result.counts == {}
    assert [(i.severity, i.code) for i in result.issues] == [(Severity.WARNING, "file.no_rows")]


def test_header_only_xlsx(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    result = parse_file(write_xlsx(tmp_path / "header.xlsx", []))
    assert result.counts == {}
    assert [(i.severity, i.code) for i in result.issues] == [(Severity.WARNING, "file.no_rows")]


# ---------------------------------------------------------------------------------------------
# formula-like values are data


def test_formula_like_csv_values_are_kept_verbatim(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    hyperlink = '=HYPERLINK("http://example.invalid/x","click")'
    values = [
        "MOC",
        hyperlink,
        "+447700900456",
        "",
        "01/06/2026",
        "09:15:02",
        "-1",
        "@SUM(A1:A2)",
        "001010123456789",
        "234-30-1201-30451",
        "",
    ]
    quoted = ",".join(
        '"' + v.replace('"', '""') + '"' if "," in v or '"' in v else v for v in values
    )
    result = parse_file(write(tmp_path, "formula.csv", f"{HEADER_A}\n{quoted}\n"))

    (source,) = result.rows("source_rows")
    assert source["raw"] == raw_json(HEADERS_A, values)
    assert json.loads(source["raw"])["Originating Number"] == hyperlink
    (call,) = result.rows("calls")
    assert call["a_party_original"] == hyperlink
    assert call["a_party"] is None  # not a number, and not evaluated
    assert (call["b_party_original"], call["b_party"]) == ("+447700900456", "+447700900456")
    assert call["duration_original"] == "-1"
    assert call["imei_original"] == "@SUM(A1:A2)"
    assert call["imei"] is None
    assert {(i.code, i.value) for i in result.issues} >= {
        ("phone.invalid", hyperlink),
        ("imei.luhn", "@SUM(A1:A2)"),
    }


@pytest.mark.parametrize("duration", ["-1", "12.5", "0x10", "1e3"])
def test_duration_that_is_not_whole_seconds_is_flagged(
    parse_file: Callable[..., Parsed], tmp_path: Path, duration: str
) -> None:
    result = parse_file(write(tmp_path, "dur.csv", f"{HEADER_A}\n{row_a(duration=duration)}\n"))
    (call,) = result.rows("calls")
    assert call["duration_original"] == duration
    assert call["duration_s"] is None
    assert [(i.code, i.locator, i.value) for i in result.issues_with("duration.unparsed")] == [
        ("duration.unparsed", "row=2", duration)
    ]


HEADER_D = (
    "Direction;Service;Target MSISDN;Other Party;Start (UTC);End (UTC);Duration (s);IMEI;IMSI;"
    "Serving Cell;APN;Bytes Up;Bytes Down;Charging ID"
)


def test_bytes_that_are_not_whole_numbers_are_flagged(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    data = (
        "OUT;DATA;07700900123;;2026-06-01T11:00:00Z;2026-06-01T11:30:00Z;1800;35209900176148;"
        "001010123456789;234-10-1501-20001;internet.test;1024.5;2048;4000000001"
    )
    result = parse_file(write(tmp_path, "bytes.csv", f"{HEADER_D}\n{data}\n"))
    (session,) = result.rows("data_sessions")
    assert session["bytes_down"] == 2048
    assert session["bytes_up"] is None
    assert [(i.locator, i.value) for i in result.issues_with("bytes_up.unparsed")] == [
        ("row=2", "1024.5")
    ]


def test_xlsx_formula_cell_is_flagged_and_kept(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://example.invalid/x","+447700900456")'
    path = write_xlsx(tmp_path / "formula.xlsx", [row_c(), row_c(called=formula)])
    result = parse_file(path)

    formulas = result.issues_with("cell.formula")
    assert [(i.severity, i.locator, i.value) for i in formulas] == [
        (Severity.WARNING, "row=6", formula)
    ]
    row6 = [r for r in result.rows("calls") if r["locator"] == "row=6"]
    assert row6[0]["b_party_original"] == formula
    assert row6[0]["b_party"] is None
    source = [r for r in result.rows("source_rows") if r["locator"] == "row=6"]
    assert json.loads(source[0]["raw"])["Called Party"] == formula


# ---------------------------------------------------------------------------------------------
# hostile XLSX

HOSTILE = ["zip-bomb", "doctype", "traversal"]
HOSTILE_MEMBER = {
    "zip-bomb": "member=xl/media/image1.bin",
    "doctype": f"member={SHEET}",
    "traversal": "member=../evil.xml",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_xlsx_is_refused(
    parse_file: Callable[..., Parsed], good_xlsx: Path, tmp_path: Path, kind: str
) -> None:
    path = hostile_xlsx(kind, good_xlsx, tmp_path)
    with pytest.raises(HostileInput) as caught:
        parse_file(path, profile="network-c")
    assert caught.value.locator == HOSTILE_MEMBER[kind]
    assert str(caught.value).startswith(f"{path.name}, {HOSTILE_MEMBER[kind]}: ")


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_xlsx_is_refused_when_detected(
    parse_file: Callable[..., Parsed], good_xlsx: Path, tmp_path: Path, kind: str
) -> None:
    with pytest.raises(HostileInput):
        parse_file(hostile_xlsx(kind, good_xlsx, tmp_path))


@pytest.mark.parametrize("profile", [None, "network-c"])
def test_xlsx_with_a_late_doctype_is_refused(
    parse_file: Callable[..., Parsed], good_xlsx: Path, tmp_path: Path, profile: str | None
) -> None:
    path = rebuild_zip(good_xlsx, tmp_path / "late-dtd.xlsx", change={SHEET: with_padded_dtd})
    with pytest.raises(HostileInput):
        parse_file(path, profile=profile)


def test_good_xlsx_parses(parse_file: Callable[..., Parsed], good_xlsx: Path) -> None:
    """The control for the hostile variants: the same workbook, unaltered, is read."""
    result = parse_file(good_xlsx)
    assert result.counts == {"calls": 2, "source_rows": 2}
    assert result.issues == []
