"""Tests for the tabular readers: row numbering as a person opening the file sees it, malformed
records handed back with their raw text, values kept as text, and the XLSX container checks that
refuse hostile input before it is parsed."""

from __future__ import annotations

import codecs
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

import threadline.ingest.tabular as tabular
from threadline.errors import HostileInput, IngestError
from threadline.ingest.tabular import (
    TabularLayout,
    check_zip_container,
    read_csv_chunks,
    read_header,
    read_xlsx_chunks,
    sniff_text,
)

CSV = TabularLayout(format="csv")


def read_csv(
    path: Path, layout: TabularLayout = CSV, columns: int = 3
) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """All rows as (row number, values) and all malformed records as (row number, text)."""
    bad: list[tuple[int, str]] = []
    rows: list[tuple[int, list[str]]] = []
    for chunk in read_csv_chunks(path, layout, columns, lambda n, text: bad.append((n, text))):
        assert len(chunk.rows) == chunk.batch.num_rows
        assert chunk.batch.schema.names == [f"c{i}" for i in range(columns)]
        values = list(
            zip(*(chunk.batch.column(i).to_pylist() for i in range(columns)), strict=True)
        )
        rows.extend((int(n), list(v)) for n, v in zip(chunk.rows, values, strict=True))
    return rows, bad


# ---------------------------------------------------------------------------------------------
# CSV row numbering


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"h1,h2,h3\n"  # row 1: header
        b"a,b,c\n"  # row 2
        b'd,"two\nlines",f\n'  # row 3: one record over two lines
        b"short,row\n"  # row 4: malformed
        b"g,h,i\n"  # row 5
        b'"x\ny\nz",j,k\n'  # row 6: one record over three lines
        b"too,many,fields,here\n"  # row 7: malformed
        b"l,m,n\n"  # row 8
    )
    rows, bad = read_csv(path)
    assert rows == [
        (2, ["a", "b", "c"]),
        (3, ["d", "two\nlines", "f"]),
        (5, ["g", "h", "i"]),
        (6, ["x\ny\nz", "j", "k"]),
        (8, ["l", "m", "n"]),
    ]
    assert bad == [(4, "short,row"), (7, "too,many,fields,here")]


def test_csv_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b'h1,h2,h3\r\n1,2,3\r\n4,5\r\n"x\r\ny",8,9\r\n6,7\r\n')
    rows, bad = read_csv(path)
    assert rows == [(2, ["1", "2", "3"]), (4, ["x\r\ny", "8", "9"])]
    assert bad == [(3, "4,5"), (5, "6,7")]


def test_csv_numbering_holds_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny read blocks, malformed rows met ahead of the batch being numbered still count."""
    monkeypatch.setattr(tabular, "CSV_BLOCK_BYTES", 256)
    lines, expected, expected_bad = ["h1,h2,h3"], [], []
    for number in range(2, 152):
        if number % 17 == 0:
            lines.append(f"bad{number},x")
            expected_bad.append((number, f"bad{number},x"))
        elif number % 11 == 0:
            lines.append(f'q{number},"multi\nline",z')
            expected.append((number, [f"q{number}", "multi\nline", "z"]))
        else:
            lines.append(f"r{number},b,c")
            expected.append((number, [f"r{number}", "b", "c"]))
    path = tmp_path / "blocks.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    rows, bad = read_csv(path)
    assert rows == expected
    assert bad == expected_bad


def test_csv_header_below_a_preamble(tmp_path: Path) -> None:
    path = tmp_path / "preamble.csv"
    path.write_text("Report title\nGenerated for JB/1\nh1,h2,h3\n1,2,3\n4\n5,6,7\n", "utf-8")
    layout = TabularLayout(format="csv", header_row=3)
    assert read_header(path, layout) == ["h1", "h2", "h3"]
    rows, bad = read_csv(path, layout)
    assert rows == [(4, ["1", "2", "3"]), (6, ["5", "6", "7"])]
    assert bad == [(5, "4")]


def test_csv_values_are_text_exactly_as_read(tmp_path: Path) -> None:
    path = tmp_path / "text.csv"
    path.write_text(
        'h1;h2;h3;h4\n007700900123;=1+1;"";NULL\n1E5;NA; padded ;"semi;colon"\n', "utf-8"
    )
    rows, bad = read_csv(path, TabularLayout(format="csv", delimiter=";"), columns=4)
    assert bad == []
    assert rows == [
        (2, ["007700900123", "=1+1", "", "NULL"]),
        (3, ["1E5", "NA", " padded ", "semi;colon"]),
    ]


# ---------------------------------------------------------------------------------------------
# headers


def test_read_header_strips_names_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + b" Call Type ,IMEI\n1,2\n")
    assert read_header(path, CSV) == ["Call Type", "IMEI"]
    assert read_header(path, TabularLayout(format="csv", encoding="utf-8-sig")) == [
        "Call Type",
        "IMEI",
    ]


def test_read_header_decodes_only_the_header(tmp_path: Path) -> None:
    """A bad byte further down is reported by the full reader, at its line, not by the header."""
    path = tmp_path / "pound.csv"
    path.write_bytes(b"h1,h2,h3\n1,2,3\n4,\xa3,6\n7,8,9\n")
    assert read_header(path, CSV) == ["h1", "h2", "h3"]
    with pytest.raises(IngestError) as caught:
        read_csv(path)
    assert caught.value.locator == "line=3"
    assert str(caught.value).startswith("pound.csv, line=3: the file is not valid utf-8")


def test_read_header_of_empty_and_short_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match=r"^empty\.csv: the file is empty$"):
        read_header(empty, CSV)
    short = tmp_path / "short.csv"
    short.write_text("only one line\n", "utf-8")
    with pytest.raises(IngestError, match=r"^short\.csv: there is no header on row 3$"):
        read_header(short, TabularLayout(format="csv", header_row=3))


# ---------------------------------------------------------------------------------------------
# XLSX


def _workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Calls"
    sheet.append(["Title"])  # row 1
    sheet.append([])  # row 2
    sheet.append(["When", "Number", "Count"])  # row 3: header
    sheet.append([date(2026, 6, 1), 447700900123, 3.0])  # row 4
    sheet.append([datetime(2026, 6, 1, 9, 15, 2), "07700900456", 2.5])  # row 5
    sheet.append([])  # row 6: blank
    sheet.append([time(9, 15, 2), "=1+1", None])  # row 7: a formula
    sheet.append(["a", "b", "c", "surplus"])  # row 8: wider than the header
    sheet.append(["d", None, None])  # row 9
    sheet.append(["e", "f", "g"])  # row 10
    workbook.create_sheet("Other")
    workbook.save(path)
    return path


def test_xlsx_rows_numbered_and_cells_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "XLSX_CHUNK_ROWS", 2)  # several chunks, numbering continues
    path = _workbook(tmp_path / "book.xlsx")
    layout = TabularLayout(format="xlsx", header_row=3, sheet="Calls")
    bad: list[tuple[int, str]] = []
    formulas: list[tuple[int, str]] = []
    rows: list[tuple[int, list[str]]] = []
    chunks = list(
        read_xlsx_chunks(
            path, layout, 3, lambda n, t: bad.append((n, t)), lambda n, t: formulas.append((n, t))
        )
    )
    for chunk in chunks:
        values = zip(*(chunk.batch.column(i).to_pylist() for i in range(3)), strict=True)
        rows.extend((int(n), list(v)) for n, v in zip(chunk.rows, values, strict=True))
    assert len(chunks) == 3
    assert rows == [
        (4, ["01/06/2026", "447700900123", "3"]),
        (5, ["01/06/2026 09:15:02", "07700900456", "2.5"]),
        (7, ["09:15:02", "=1+1", ""]),
        (9, ["d", "", ""]),
        (10, ["e", "f", "g"]),
    ]
    assert bad == [(6, ",,"), (8, "a,b,c,surplus")]
    assert formulas == [(7, "=1+1")]


def test_xlsx_header_ignores_cells_right_of_the_table(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")  # row 8 has a fourth cell
    assert read_header(path, TabularLayout(format="xlsx", header_row=3)) == [
        "When",
        "Number",
        "Count",
    ]


def test_xlsx_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    with pytest.raises(IngestError) as caught:
        read_header(path, TabularLayout(format="xlsx", sheet="Call Data"))
    assert str(caught.value) == "book.xlsx: no sheet called 'Call Data'; sheets: Calls, Other"


# ---------------------------------------------------------------------------------------------
# check_zip_container


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


SHEET_XML = b'<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData/></worksheet>'


def test_container_ok(tmp_path: Path) -> None:
    check_zip_container(_workbook(tmp_path / "book.xlsx"))
    # Highly compressible but small members (under 1 MiB) are normal in XLSX files.
    check_zip_container(_zip(tmp_path / "small.xlsx", [("xl/a.bin", bytes(512 * 1024))]))


def test_container_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"Call Type,IMEI\nMOC,1\n")
    with pytest.raises(IngestError) as caught:
        check_zip_container(path)
    assert not isinstance(caught.value, HostileInput)
    assert str(caught.value) == "fake.xlsx: the file is not a valid XLSX (ZIP) container"


@pytest.mark.parametrize("name", ["../evil.xml", "/evil.xml", "..\\evil.xml", "xl/../../evil.xml"])
def test_container_path_traversal(tmp_path: Path, name: str) -> None:
    path = _zip(tmp_path / "trav.xlsx", [("xl/worksheets/sheet1.xml", SHEET_XML), (name, b"<x/>")])
    with pytest.raises(HostileInput) as caught:
        check_zip_container(path)
    assert caught.value.locator == f"member={name}"
    assert str(caught.value) == (
        f"trav.xlsx, member={name}: member name would escape the container (path traversal)"
    )


def test_container_zip_bomb(tmp_path: Path) -> None:
    path = _zip(tmp_path / "bomb.xlsx", [("xl/media/image1.bin", bytes(2 * 1024 * 1024))])
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/media/image1.bin")
        assert info.file_size > 1024 * 1024
        assert info.file_size / info.compress_size > 200
    with pytest.raises(HostileInput, match=r"-fold \(zip bomb refused\)") as caught:
        check_zip_container(path)
    assert caught.value.locator == "member=xl/media/image1.bin"
    assert str(caught.value).startswith("bomb.xlsx, member=xl/media/image1.bin: member expands ")


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]><w>&a;</w>',
        b'<!doctype w [<!entity a "aaaa">]><w>&a;</w>',
        b'<?xml version="1.0"?><!ENTITY a "aaaa"><w/>',
    ],
    ids=["doctype", "lower-case", "entity-only"],
)
def test_container_xml_declarations(tmp_path: Path, xml: bytes) -> None:
    path = _zip(tmp_path / "dtd.xlsx", [("xl/worksheets/sheet1.xml", xml)])
    with pytest.raises(HostileInput) as caught:
        check_zip_container(path)
    assert caught.value.locator == "member=xl/worksheets/sheet1.xml"
    assert "entity expansion" in str(caught.value)


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!--' + b" " * 5000 + b'--><!DOCTYPE w [<!ENTITY a "a">]><w/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "a">]><w/>'.encode(
            "utf-16"
        ),
    ],
    ids=["padded-prolog", "utf-16"],
)
def test_container_hidden_xml_declarations(tmp_path: Path, xml: bytes) -> None:
    path = _zip(tmp_path / "dtd.xlsx", [("xl/worksheets/sheet1.xml", xml)])
    try:
        check_zip_container(path)
    except HostileInput:
        return
    raise AssertionError("the DOCTYPE was not found")


def test_container_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members = [(f"xl/m{i}.bin", b"x" * 400) for i in range(6)]
    path = _zip(tmp_path / "many.xlsx", members)
    monkeypatch.setattr(tabular, "XLSX_MAX_MEMBERS", 5)
    with pytest.raises(HostileInput, match=r"^many\.xlsx: 6 members in the container$"):
        check_zip_container(path)
    monkeypatch.setattr(tabular, "XLSX_MAX_MEMBERS", 10)
    monkeypatch.setattr(tabular, "XLSX_MAX_UNCOMPRESSED", 1000)
    with pytest.raises(HostileInput, match=r"^many\.xlsx: the container unpacks to more than"):
        check_zip_container(path)


# ---------------------------------------------------------------------------------------------
# sniff_text


def test_sniff_text() -> None:
    assert sniff_text(b"Call Type,IMEI\n") == "Call Type,IMEI\n"
    assert sniff_text(codecs.BOM_UTF8 + "£5".encode()) == "£5"
    assert sniff_text("Call".encode("utf-16")) == "Call"
    assert sniff_text(b"PK\x03\x04\x00\x00") is None
    assert sniff_text(b"caf\xe9") == "caf\ufffd"  # not UTF-8: replaced, never raises
