"""Broken XLSX workbooks are refused with an ingest error naming the file and the row, never a
bare traceback from openpyxl.

Each broken workbook is a valid one written by openpyxl with one XML member edited in the ZIP
container, as a damaged or hand-made export would be.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from collect_sink import Parsed
from test_cdr_bad_input import row_c, write_xlsx

from threadline.errors import IngestError
from threadline.ingest.tabular import TabularLayout, read_header, read_xlsx_chunks

SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
LAYOUT = TabularLayout(format="xlsx")


def _valid(path: Path) -> Path:
    """Header on row 1, data rows 2 to 6: 'w0'..'w4' in column A (inline strings)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Calls"
    sheet.append(["When", "Number", "Count"])
    for i in range(5):
        sheet.append([f"w{i}", f"n{i}", i])
    workbook.save(path)
    return path


def _edited(tmp_path: Path, member: str, edit: Callable[[bytes], bytes]) -> Path:
    source = _valid(tmp_path / "valid.xlsx")
    target = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == member:
                edited = edit(data)
                assert edited != data, "the edit did not apply"
                data = edited
            out.writestr(info.filename, data)
    return target


def _shared_string_out_of_range(data: bytes) -> bytes:
    """Cell A4 ('w2', row 4) becomes a reference to shared string 7 of a table that has none."""
    return data.replace(
        b'<c r="A4" t="inlineStr"><is><t>w2</t></is></c>', b'<c r="A4" t="s"><v>7</v></c>'
    )


def _all(path: Path, layout: TabularLayout = LAYOUT) -> list[int]:
    rows: list[int] = []
    for chunk in read_xlsx_chunks(path, layout, 3, lambda n, t: None, lambda n, t: None):
        rows.extend(int(n) for n in chunk.rows)
    return rows


def test_control_valid_workbook(tmp_path: Path) -> None:
    assert _all(_valid(tmp_path / "valid.xlsx")) == [2, 3, 4, 5, 6]


def test_shared_string_index_out_of_range_names_the_row(tmp_path: Path) -> None:
    path = _edited(tmp_path, SHEET, _shared_string_out_of_range)
    with pytest.raises(IngestError) as caught:
        _all(path)
    assert caught.value.path == "broken.xlsx"
    assert caught.value.locator == "row=4"
    assert str(caught.value).startswith("broken.xlsx, row=4: the sheet cannot be read: IndexError")
    assert type(caught.value) is IngestError


def test_shared_string_error_in_the_header_names_row_1(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        SHEET,
        lambda d: d.replace(
            b'<c r="A1" t="inlineStr"><is><t>When</t></is></c>', b'<c r="A1" t="s"><v>3</v></c>'
        ),
    )
    with pytest.raises(IngestError) as caught:
        read_header(path, LAYOUT)
    assert caught.value.locator == "row=1"


def test_broken_xml_mid_sheet_names_the_row(tmp_path: Path) -> None:
    # a stray '<' in row 5's first cell: the XML stops being well-formed there
    path = _edited(tmp_path, SHEET, lambda d: d.replace(b'<c r="A5"', b'<<c r="A5"'))
    with pytest.raises(IngestError) as caught:
        _all(path)
    assert caught.value.path == "broken.xlsx"
    assert caught.value.locator == "row=5"
    assert "the sheet cannot be read: ParseError: not well-formed" in str(caught.value)


@pytest.mark.parametrize("sheet", [None, "Calls"])
def test_workbook_without_a_worksheet(tmp_path: Path, sheet: str | None) -> None:
    path = _edited(
        tmp_path,
        WORKBOOK,
        # openpyxl writes the element differently with and without lxml installed
        lambda d: re.sub(rb"<sheet [^>]*/>", b"", d),
    )
    layout = TabularLayout(format="xlsx", sheet=sheet)
    with pytest.raises(IngestError) as caught:
        read_header(path, layout)
    assert str(caught.value) == (
        "broken.xlsx: the workbook has no worksheet (it may be damaged, or hold only charts)"
    )
    with pytest.raises(IngestError, match="no worksheet"):
        _all(path, layout)


def test_cdr_ingest_of_a_broken_workbook_names_the_row(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    """Through the CDR parser, whose reader runs on a prefetch thread: the error still reaches
    the caller as an ingest error with its row (network-c: header on row 4, data from row 5)."""
    good = write_xlsx(tmp_path / "good.xlsx", [row_c(), row_c(), row_c()])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == SHEET:
                edited = data.replace(
                    b'<c r="A6" t="inlineStr"><is><t>Call Originating</t></is></c>',
                    b'<c r="A6" t="s"><v>9</v></c>',
                )
                assert edited != data
                data = edited
            out.writestr(info.filename, data)
    with pytest.raises(IngestError) as caught:
        parse_file(broken)
    assert (caught.value.path, caught.value.locator) == ("broken.xlsx", "row=6")
