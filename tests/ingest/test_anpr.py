"""Tests for the ANPR read export parser (``anpr``): golden output, times and zones, bad input,
and a bounded fuzz of the entry point.

Expected values are worked out by hand in ``tests/fixtures/anpr/README.md`` (marks normalised by
the rules of requirement 61, local times placed in UTC by the 2026 UK clock changes), never taken
from the parser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from collect_sink import CollectSink, Parsed, by_locator, issue_keys, raw_of
from phone_support import flip_and_cut_fuzz, probe

from threadline.errors import ConfigError, IngestError, NoMatchingProfile
from threadline.ingest import tabular
from threadline.ingest.context import (
    ISSUES_KEPT_PER_CODE,
    ExhibitFacts,
    IngestOptions,
    ParseContext,
)
from threadline.ingest.contract import Confidence
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.anpr.cameras import AnprCamerasParser
from threadline.ingest.parsers.anpr.parser import AnprParser
from threadline.ingest.parsers.anpr.transform import ReadsTransform
from threadline.ingest.registry import Registry
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "anpr"
CDR_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cdr_uk"
EXHIBIT = "e1"
PARSER_REF = AnprParser.info.ref
NAS_HEADER = (
    "Read ID,VRM,Read Date Time,Camera ID,Camera Name,Latitude,Longitude,Direction,Lane,Confidence"
)

#: row 15 of nas-style-problems.csv, which has 5 fields instead of 10
MALFORMED_15 = "P-15,UA74 ROV,2026-06-01 08:08:00,CAM-HM01,too few fields"


def utc(*parts: int) -> datetime:
    """An expected UTC instant, written out by hand."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


@pytest.fixture
def parse(make_ctx: Any) -> Any:
    """Parse a file with the ANPR parser: ``parse(path, **options)`` (``time_basis``, ``profile``,
    ``mapping``); the context checks every row count against what the sink received."""

    def run(path: Path, **options: Any) -> Parsed:
        ctx: ParseContext = make_ctx(exhibit_id=EXHIBIT, parser_ref=PARSER_REF, **options)
        AnprParser().parse(path, ctx)
        assert ctx.row_counts == ctx.sink.counts()  # type: ignore[attr-defined]
        return Parsed(ctx)

    return run


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _count_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the size of each chunk the transform is given (to be sure a test splits a file)."""
    sizes: list[int] = []
    process = ReadsTransform.process

    def counted(self: ReadsTransform, chunk: Any) -> None:
        sizes.append(chunk.batch.num_rows)
        process(self, chunk)

    monkeypatch.setattr(ReadsTransform, "process", counted)
    return sizes


def times(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["read_utc"],
        row["read_earliest_utc"],
        row["read_latest_utc"],
        row["read_status"],
        row["read_original"],
    )


# ---------------------------------------------------------------------------------------------
# golden: nas-style


def test_nas_style_golden_record_in_full(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style.csv", time_basis="utc")
    assert result.counts == {"anpr_reads": 6, "source_rows": 6}
    assert result.locators("anpr_reads") == [f"row={n}" for n in range(2, 8)]
    read = result.row("anpr_reads", "row=2")
    exact = utc(2026, 6, 1, 7, 58, 12)
    assert read == {
        "row_id": row_id(EXHIBIT, "row=2"),
        "exhibit_id": EXHIBIT,
        "locator": "row=2",
        "parser": "anpr@1.0.0",
        "vrm": "TN24HXR",
        "vrm_original": "TN24 HXR",
        "vrm_format": "current",
        "read_utc": exact,
        "read_earliest_utc": exact,
        "read_latest_utc": exact,
        "read_status": "exact",
        "read_original": "2026-06-01 07:58:12",
        "camera_id": "CAM-HM01",
        "camera_name": "Mill Road north (Hollowmere)",
        "latitude": 52.451234,
        "longitude": -1.523456,
        "direction": "N",
        "direction_original": "N",
        "lane": "1",
        "confidence": 97.5,
        "time_basis": "UTC",
    }
    assert result.ctx.detected == {"profile": "nas-style", "time_basis": "UTC"}


def test_nas_style_marks_normalised_and_classified(parse: Any) -> None:
    rows = by_locator(parse(FIXTURES / "nas-style.csv", time_basis="utc").rows("anpr_reads"))
    assert [(loc, r["vrm_original"], r["vrm"], r["vrm_format"]) for loc, r in rows.items()] == [
        ("row=2", "TN24 HXR", "TN24HXR", "current"),
        ("row=3", "UA74 ROV", "UA74ROV", "current"),
        ("row=4", "tn24hxr", "TN24HXR", "current"),
        ("row=5", "UA74-ROV", "UA74ROV", "current"),
        # a misread of TN24 HXR: a mark of its own, never fuzzy-matched to it (requirement 61)
        ("row=6", "TN24 HX8", "TN24HX8", "unknown"),
        ("row=7", "ZZ-999-ZZ", "ZZ999ZZ", "unknown"),
    ]
    assert [(r["direction"], r["lane"], r["confidence"]) for r in rows.values()] == [
        ("N", "1", 97.5),
        ("N", "2", 88.0),
        ("NE", "1", 91.25),
        ("NE", "1", 79.0),
        ("SW", None, 42.0),
        ("S", "2", None),
    ]


def test_nas_style_only_issue_is_the_format_note(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style.csv", time_basis="utc")
    (note,) = result.issues
    assert (note.severity, note.code, note.locator, note.value, note.count) == (
        Severity.INFO,
        "vrm.format_unknown",
        "row=6",
        "TN24HX8",
        2,
    )
    assert "2 distinct value(s) in 2 row(s)" in note.message


def test_nas_style_source_row_kept_as_read(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style.csv", time_basis="utc")
    # the byte-order mark is not part of the first header
    assert raw_of(result, "row=6") == {
        "Read ID": "R-000105",
        "VRM": "TN24 HX8",
        "Read Date Time": "2026-06-01 08:20:00",
        "Camera ID": "CAM-HM03",
        "Camera Name": "Canal Bridge (Hollowmere)",
        "Latitude": "52.447700",
        "Longitude": "-1.530100",
        "Direction": "SW",
        "Lane": "",
        "Confidence": "42.0",
    }
    for table in ("anpr_reads", "source_rows"):
        for row in result.rows(table):
            assert row["row_id"] == row_id(EXHIBIT, row["locator"])
            assert (row["exhibit_id"], row["parser"]) == (EXHIBIT, PARSER_REF)


def test_the_zone_is_declared_per_file(parse: Any) -> None:
    """The same wall-clock time read as UK local time: 1 June is BST, so one hour earlier."""
    result = parse(FIXTURES / "nas-style.csv", time_basis="europe-london")
    read = result.row("anpr_reads", "row=2")
    assert times(read) == (
        utc(2026, 6, 1, 6, 58, 12),
        utc(2026, 6, 1, 6, 58, 12),
        utc(2026, 6, 1, 6, 58, 12),
        "exact",
        "2026-06-01 07:58:12",
    )
    assert read["time_basis"] == "Europe/London"


def test_no_time_basis_is_refused_before_any_row(make_ctx: Any) -> None:
    ctx = make_ctx(exhibit_id=EXHIBIT, parser_ref=PARSER_REF)
    with pytest.raises(ConfigError) as caught:
        AnprParser().parse(FIXTURES / "nas-style.csv", ctx)
    assert "nas-style.csv" in str(caught.value)
    assert "--time-basis" in str(caught.value)
    assert ctx.row_counts == {}


# ---------------------------------------------------------------------------------------------
# golden: back-office-a (split date and time in UK local time, direction words)


def test_back_office_times_across_the_clock_changes(parse: Any) -> None:
    result = parse(FIXTURES / "back-office-a.csv")
    rows = by_locator(result.rows("anpr_reads"))
    assert {loc: times(r) for loc, r in rows.items()} == {
        "row=2": (
            utc(2026, 6, 1, 7, 58, 12),
            utc(2026, 6, 1, 7, 58, 12),
            utc(2026, 6, 1, 7, 58, 12),
            "exact",
            "01/06/2026 08:58:12",
        ),
        "row=3": (
            utc(2026, 1, 15, 17, 30),
            utc(2026, 1, 15, 17, 30),
            utc(2026, 1, 15, 17, 30),
            "exact",
            "15/01/2026 17:30:00",
        ),
        "row=4": (
            None,
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
            "ambiguous",
            "25/10/2026 01:30:00",
        ),
        "row=5": (
            None,
            utc(2026, 3, 29, 0, 30),
            utc(2026, 3, 29, 1, 30),
            "nonexistent",
            "29/03/2026 01:30:00",
        ),
        "row=6": (
            utc(2026, 6, 1, 23, 15),
            utc(2026, 6, 1, 23, 15),
            utc(2026, 6, 1, 23, 15),
            "exact",
            "02/06/2026 00:15:00",
        ),
        "row=7": (None, None, None, "unparsed", "01/06/2026"),
    }
    assert {r["time_basis"] for r in rows.values()} == {"Europe/London"}
    assert result.ctx.detected == {"profile": "back-office-a", "time_basis": "Europe/London"}


def test_back_office_directions_and_issues(parse: Any) -> None:
    result = parse(FIXTURES / "back-office-a.csv")
    rows = result.rows("anpr_reads")
    assert [(r["direction_original"], r["direction"]) for r in rows] == [
        ("Northbound", "N"),
        ("South West", "SW"),
        ("In", "towards"),
        ("Out", "away"),
        ("Eastbound", "E"),
        ("westbound", "W"),
    ]
    assert [(r["camera_id"], r["camera_name"], r["latitude"]) for r in rows][:2] == [
        ("HM-0001", "Mill Road northbound", None),
        ("HM-0002", "Quarry Lane", None),
    ]
    assert issue_keys(result.ctx) == [
        ("warning", "time.ambiguous", "row=4", "25/10/2026 01:30:00"),
        ("warning", "time.nonexistent", "row=5", "29/03/2026 01:30:00"),
        ("warning", "time.unparsed.read", "row=7", "01/06/2026"),
    ]
    (ambiguous,) = result.issues_with("time.ambiguous")
    assert "00:30:00 or 01:30:00 UTC" in ambiguous.message


def test_time_basis_option_overrides_the_profile(parse: Any) -> None:
    rows = by_locator(parse(FIXTURES / "back-office-a.csv", time_basis="utc").rows("anpr_reads"))
    assert rows["row=2"]["read_utc"] == utc(2026, 6, 1, 8, 58, 12)
    assert times(rows["row=4"])[:4] == (
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 1, 30),
        "exact",
    )


def test_years_in_later_chunks_are_placed_by_their_own_clock_changes(
    parse: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads in several chunks, 2026 first: the zone's segments must grow to cover 2025 and
    2027 (clocks went back on Sunday 26 October 2025 and go forward on Sunday 28 March 2027)."""
    monkeypatch.setattr(tabular, "CSV_BLOCK_BYTES", 160)
    chunks = _count_chunks(monkeypatch)
    header = (
        "Plate,Date (UK local),Time (UK local),Camera,Location,Travel Direction,Lane No,"
        "Read Confidence (%)"
    )
    path = write(
        tmp_path,
        "years.csv",
        [
            header,
            "TN24 HXR,01/06/2026,12:00:00,HM-0001,Mill Road,N,1,90",
            "TN24 HXR,26/10/2025,01:30:00,HM-0001,Mill Road,N,1,90",
            "TN24 HXR,28/03/2027,01:30:00,HM-0001,Mill Road,N,1,90",
            "TN24 HXR,10/01/2027,12:00:00,HM-0001,Mill Road,N,1,90",
        ],
    )
    result = parse(path, profile="back-office-a")
    assert len(chunks) >= 2  # 2026 first, then the other years
    assert [times(r)[:4] for r in result.rows("anpr_reads")] == [
        (utc(2026, 6, 1, 11), utc(2026, 6, 1, 11), utc(2026, 6, 1, 11), "exact"),
        (None, utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30), "ambiguous"),
        (None, utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 1, 30), "nonexistent"),
        (utc(2027, 1, 10, 12), utc(2027, 1, 10, 12), utc(2027, 1, 10, 12), "exact"),
    ]


# ---------------------------------------------------------------------------------------------
# a user's mapping file


def test_vendor_mapping_file(parse: Any) -> None:
    result = parse(FIXTURES / "vendor-c.csv", mapping=FIXTURES / "vendor-c.yaml")
    rows = by_locator(result.rows("anpr_reads"))
    assert [
        (r["vrm"], r["read_utc"], r["camera_id"], r["direction"], r["lane"], r["confidence"])
        for r in rows.values()
    ] == [
        ("TN24HXR", utc(2026, 6, 1, 10, 15), "VC-77", "N", "1", 93.0),
        ("UA74ROV", utc(2026, 6, 1, 10, 16), "VC-77", "S", "2", 81.0),
        ("TN24HXR", utc(2026, 6, 1, 10, 40), "VC-78", None, "1", 77.0),
    ]
    assert issue_keys(result.ctx) == [
        ("warning", "column.unmapped", "column=11", "Notes"),
        ("warning", "direction.unknown", "row=4", "3"),
    ]
    # ignored and unmapped columns stay in the raw source row
    assert raw_of(result, "row=3")["Index"] == "2"
    assert raw_of(result, "row=3")["Notes"] == "checked"
    assert result.ctx.detected["profile"] == "vendor-c"


def test_a_layout_no_profile_fits_is_refused_with_help(parse: Any) -> None:
    with pytest.raises(NoMatchingProfile) as caught:
        parse(FIXTURES / "vendor-c.csv", time_basis="utc")
    assert caught.value.path == "vendor-c.csv"
    assert "nas-style" in str(caught.value)
    assert "--mapping" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# bad input: one fault per row


def test_problem_rows_and_their_issues(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style-problems.csv", time_basis="utc")
    assert result.counts == {"anpr_reads": 13, "source_rows": 14}
    assert result.locators("anpr_reads") == [f"row={n}" for n in [*range(2, 14), 16]]
    hyperlink = '=HYPERLINK("http://example.invalid/x","TN24 HXR")'
    assert issue_keys(result.ctx) == [
        ("warning", "vrm.invalid", "row=3", hyperlink),
        ("warning", "vrm.missing", "row=4", None),
        ("warning", "time.unparsed.read", "row=5", "2026-02-29 10:00:00"),
        ("warning", "time.out_of_range", "row=6", "9999-12-31 23:59:59"),
        ("warning", "time.missing", "row=7", None),
        ("warning", "camera.missing", "row=8", None),
        ("warning", "direction.unknown", "row=9", "Sideways"),
        ("warning", "confidence.invalid", "row=10", "high"),
        ("warning", "confidence.invalid", "row=11", "150"),
        ("warning", "position.invalid", "row=12", "95.0,-1.523456"),
        ("warning", "position.outside_uk", "row=13", "48.856600,2.352200"),
        ("info", "row.blank", "row=14", None),
        ("error", "row.malformed", "row=15", MALFORMED_15),
    ]


def test_problem_rows_keep_originals_and_leave_normalised_values_empty(parse: Any) -> None:
    rows = by_locator(
        parse(FIXTURES / "nas-style-problems.csv", time_basis="utc").rows("anpr_reads")
    )
    hyperlink = '=HYPERLINK("http://example.invalid/x","TN24 HXR")'
    assert (rows["row=3"]["vrm_original"], rows["row=3"]["vrm"], rows["row=3"]["vrm_format"]) == (
        hyperlink,
        None,
        None,
    )
    assert times(rows["row=5"]) == (None, None, None, "unparsed", "2026-02-29 10:00:00")
    assert times(rows["row=6"]) == (None, None, None, "out_of_range", "9999-12-31 23:59:59")
    assert times(rows["row=7"]) == (None, None, None, None, None)
    assert rows["row=8"]["camera_id"] is None
    assert (rows["row=9"]["direction"], rows["row=9"]["direction_original"]) == (None, "Sideways")
    assert rows["row=10"]["confidence"] is None
    assert rows["row=11"]["confidence"] is None
    assert (rows["row=12"]["latitude"], rows["row=12"]["longitude"]) == (None, None)
    assert (rows["row=13"]["latitude"], rows["row=13"]["longitude"]) == (48.8566, 2.3522)


def test_formula_like_text_is_data_kept_verbatim(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style-problems.csv", time_basis="utc")
    hyperlink = '=HYPERLINK("http://example.invalid/x","TN24 HXR")'
    assert raw_of(result, "row=3")["VRM"] == hyperlink
    injected = "=cmd|' /C calc'!A0"
    read = result.row("anpr_reads", "row=16")
    assert (read["camera_name"], read["vrm"]) == (injected, "UA74ROV")
    assert raw_of(result, "row=16")["Camera Name"] == injected
    assert not [i for i in result.issues if i.locator == "row=16"]


def test_malformed_record_is_kept_whole_in_source_rows(parse: Any) -> None:
    result = parse(FIXTURES / "nas-style-problems.csv", time_basis="utc")
    source = result.row("source_rows", "row=15")
    assert source["row_id"] == row_id(EXHIBIT, "row=15")
    assert json.loads(source["raw"]) == {"(malformed record)": MALFORMED_15}


def test_xlsx_formula_cell_is_flagged_and_kept(parse: Any, tmp_path: Path) -> None:
    mapping = tmp_path / "sheet.yaml"
    mapping.write_text(
        "name: sheet\ntitle: A workbook of reads\nformat: xlsx\ntime_basis: utc\n"
        "columns: {vrm: VRM, read_date: Date, read_time: Time, camera_id: Camera}\n"
        'formats: {read: "%d/%m/%Y %H:%M:%S"}\n',
        "utf-8",
    )
    formula = '=HYPERLINK("http://example.invalid/x","TN24 HXR")'
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["VRM", "Date", "Time", "Camera"])
    sheet.append(["TN24 HXR", datetime(2026, 6, 1), "07:58:12", "CAM-HM01"])
    sheet.append([formula, datetime(2026, 6, 1), "07:59:00", "CAM-HM01"])
    workbook.save(tmp_path / "reads.xlsx")

    result = parse(tmp_path / "reads.xlsx", mapping=mapping)
    assert issue_keys(result.ctx) == [
        ("warning", "cell.formula", "row=3", formula),
        ("warning", "vrm.invalid", "row=3", formula),
    ]
    first, second = result.rows("anpr_reads")
    # the Excel date cell reads as the day a person sees, joined to the time text
    assert (first["vrm"], first["read_original"], first["read_utc"]) == (
        "TN24HXR",
        "01/06/2026 07:58:12",
        utc(2026, 6, 1, 7, 58, 12),
    )
    assert (second["vrm_original"], second["vrm"]) == (formula, None)
    assert raw_of(result, "row=3")["VRM"] == formula


def test_missing_required_column_names_it(parse: Any, tmp_path: Path) -> None:
    header = NAS_HEADER.replace(",Camera ID", "")
    path = write(
        tmp_path, "no-camera.csv", [header, "R-1,TN24 HXR,2026-06-01 07:58:12,x,1,2,N,1,9"]
    )
    with pytest.raises(NoMatchingProfile) as caught:
        parse(path, profile="nas-style", time_basis="utc")
    assert (caught.value.path, caught.value.locator) == ("no-camera.csv", "row=1")
    assert "'Camera ID'" in str(caught.value)
    # detected without --profile, no shipped layout fits at all
    with pytest.raises(NoMatchingProfile):
        parse(path, time_basis="utc")


def test_extra_column_is_reported_and_kept(parse: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "extra.csv",
        [
            f"{NAS_HEADER},Country",
            "R-1,TN24 HXR,2026-06-01 07:58:12,CAM-HM01,Mill Road,52.45,-1.52,N,1,90,GB",
        ],
    )
    assert AnprParser().sniff(probe(path)) == Confidence.LIKELY
    result = parse(path, time_basis="utc")
    assert issue_keys(result.ctx) == [("warning", "column.unmapped", "column=11", "Country")]
    assert raw_of(result, "row=2")["Country"] == "GB"


def test_repeated_column_is_refused(parse: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "twice.csv", [f"{NAS_HEADER},vrm", "x,x,x,x,x,x,x,x,x,x,x"])
    with pytest.raises(IngestError) as caught:
        parse(path, profile="nas-style", time_basis="utc")
    assert caught.value.locator == "row=1"
    assert "appears twice" in str(caught.value)


def test_empty_file_and_header_only(parse: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError) as caught:
        parse(empty, time_basis="utc")
    assert caught.value.path == "empty.csv"
    assert "empty" in str(caught.value)
    result = parse(write(tmp_path, "header.csv", [NAS_HEADER]), time_basis="utc")
    assert result.counts == {}
    assert issue_keys(result.ctx) == [("warning", "file.no_rows", None, None)]


def test_bad_utf8_names_the_line(parse: Any, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    good = "R-1,TN24 HXR,2026-06-01 07:58:12,CAM-HM01,Mill Road,52.45,-1.52,N,1,90"
    bad = "R-2,TN24 HXR,2026-06-01 07:59:12,CAM-HM01,CAFÉ,52.45,-1.52,N,1,90"
    path.write_bytes(f"{NAS_HEADER}\n{good}\n".encode() + f"{bad}\n".encode("latin-1"))
    with pytest.raises(IngestError) as caught:
        parse(path, profile="nas-style", time_basis="utc")
    assert (caught.value.path, caught.value.locator) == ("latin1.csv", "line=3")


def test_not_a_workbook_is_refused(parse: Any, tmp_path: Path) -> None:
    path = tmp_path / "reads.xlsx"
    path.write_bytes(b"VRM,Date\nnot a zip\n")
    with pytest.raises(IngestError) as caught:
        parse(path, time_basis="utc")
    assert caught.value.path == "reads.xlsx"


def test_issues_stay_bounded_on_many_bad_marks(parse: Any, tmp_path: Path) -> None:
    """1,100 distinct texts that are not marks: 1,000 issues kept, the rest counted."""
    rows = [
        f"R-{n},BAD-MARK-NUMBER-{n},2026-06-01 07:58:12,CAM-HM01,x,52.45,-1.52,N,1,90"
        for n in range(1100)
    ]
    result = parse(write(tmp_path, "many.csv", [NAS_HEADER, *rows]), time_basis="utc")
    invalid = result.issues_with("vrm.invalid")
    assert len(invalid) == ISSUES_KEPT_PER_CODE + 1
    assert (invalid[0].locator, invalid[0].value) == ("row=2", "BAD-MARK-NUMBER-0")
    assert invalid[-1].locator is None
    assert sum(i.count for i in invalid) == 1100
    assert result.counts == {"anpr_reads": 1100, "source_rows": 1100}


def test_many_chunks_give_what_one_chunk_gives(parse: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = parse(FIXTURES / "nas-style-problems.csv", time_basis="utc")
    monkeypatch.setattr(tabular, "CSV_BLOCK_BYTES", 160)
    chunks = _count_chunks(monkeypatch)
    split = parse(FIXTURES / "nas-style-problems.csv", time_basis="utc")
    assert len(chunks) >= 3
    assert split.rows("anpr_reads") == whole.rows("anpr_reads")
    assert sorted(split.rows("source_rows"), key=lambda r: r["locator"]) == sorted(
        whole.rows("source_rows"), key=lambda r: r["locator"]
    )
    assert issue_keys(split.ctx) == issue_keys(whole.ctx)


# ---------------------------------------------------------------------------------------------
# recognising the files


def test_sniff() -> None:
    parser = AnprParser()
    assert parser.sniff(probe(FIXTURES / "nas-style.csv")) == Confidence.CERTAIN
    assert parser.sniff(probe(FIXTURES / "back-office-a.csv")) == Confidence.CERTAIN
    for other in (
        FIXTURES / "vendor-c.csv",  # read with its mapping, named by the user
        FIXTURES / "cameras.csv",
        CDR_FIXTURES / "network-a.csv",
        FIXTURES / "README.md",
    ):
        assert parser.sniff(probe(other)) == Confidence.NO, other.name


def test_registry_picks_the_anpr_parsers() -> None:
    registry = Registry.from_entry_points()
    assert isinstance(registry.get("anpr"), AnprParser)
    assert isinstance(registry.get("anpr_cameras"), AnprCamerasParser)
    ranked = registry.detect(FIXTURES / "back-office-a.csv")
    assert (ranked[0][0].info.name, ranked[0][1]) == ("anpr", Confidence.CERTAIN)
    assert all(c < Confidence.CERTAIN for _, c in ranked[1:])


# ---------------------------------------------------------------------------------------------
# end to end: reads and the camera list through the ingest service and the evidence store


def test_reads_join_their_cameras_in_the_store(workspace: Any) -> None:
    from threadline.services import cases, exhibits, ingest, query

    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar", offences=("MSA2015-s2",))
    exhibits.add_exhibit(
        workspace,
        "OP-CEDAR",
        "AB/1",
        FIXTURES / "nas-style.csv",
        producer="DC Test",
        description="ANPR reads",
    )
    exhibits.add_exhibit(
        workspace,
        "OP-CEDAR",
        "AB/2",
        FIXTURES / "cameras.csv",
        producer="DC Test",
        description="ANPR cameras",
    )
    reads = ingest.ingest_exhibit(
        workspace, "OP-CEDAR", "AB/1", options=IngestOptions(time_basis="utc")
    )
    cameras = ingest.ingest_exhibit(workspace, "OP-CEDAR", "AB/2")
    assert (reads.parser, reads.row_counts) == (
        "anpr@1.0.0",
        {"anpr_reads": 6, "source_rows": 6},
    )
    assert (cameras.parser, cameras.row_counts) == (
        "anpr_cameras@1.0.0",
        {"anpr_cameras": 4, "source_rows": 4},
    )
    table = query.run_sql(
        workspace,
        "OP-CEDAR",
        "SELECT r.locator, r.vrm, c.site_name, c.direction FROM anpr_reads r "
        "JOIN anpr_cameras c USING (camera_id) WHERE r.vrm = 'TN24HXR' ORDER BY r.read_utc",
    )
    assert table.to_pylist() == [
        {"locator": "row=2", "vrm": "TN24HXR", "site_name": "Mill Road north", "direction": "N"},
        {"locator": "row=4", "vrm": "TN24HXR", "site_name": "Quarry Lane", "direction": "NE"},
    ]


# ---------------------------------------------------------------------------------------------
# fuzz: mutated and truncated fixture bytes raise nothing but IngestError


def _fuzz_target(**options: Any) -> Any:
    """Parse a file with the given ingest options, no stores."""

    def run(path: Path) -> None:
        ctx = ParseContext(
            exhibit=ExhibitFacts(exhibit_id=EXHIBIT, reference="JB/1"),
            parser_ref=PARSER_REF,
            options=IngestOptions(**options),
            sink=CollectSink(),
        )
        AnprParser().parse(path, ctx)

    return run


test_fuzz_nas_style_only_ingest_errors = flip_and_cut_fuzz(
    (FIXTURES / "nas-style-problems.csv").read_bytes(), "reads.csv", _fuzz_target(time_basis="utc")
)
test_fuzz_back_office_only_ingest_errors = flip_and_cut_fuzz(
    (FIXTURES / "back-office-a.csv").read_bytes(), "reads.csv", _fuzz_target()
)
