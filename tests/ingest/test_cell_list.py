"""Tests for the operator cell list parser (``cell_list``): golden output and bad input.

Expected values are written by hand, not taken from the parser: postcodes and CGI keys worked out
from the rules, and the British National Grid point is ONSPD's published centroid of postcode
M1 1AD (``oseast1m`` 383848, ``osnrth1m`` 398589, ``lat`` 53.483784, ``long`` -2.244866 in
``shared/data/reference/uk_geography/postcodes_io/onspd_sample_postcode.csv``), which the
conversion must reproduce to within 10 m.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from collect_sink import CollectSink, by_locator, issue_keys, run_parser

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers import cell_list
from threadline.ingest.parsers.cell_list import CellListParser
from threadline.model.ids import row_id
from threadline.model.postcode import normalise_postcode

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cell_list"
EXHIBIT = "EX-1"
PARSER_REF = "cell_list@1.0.0"
HEADER = (
    "CGI,Site Name,Address,Postcode,Latitude,Longitude,Easting,Northing,Azimuth,Beamwidth,"
    "Technology"
)


def parse(path: Path) -> tuple[ParseContext, CollectSink]:
    return run_parser(CellListParser(), path, exhibit_id=EXHIBIT, reference="JB/1")


def metres_apart(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres (Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def probe(path: Path, head: bytes | None = None) -> SourceProbe:
    data = path.read_bytes() if head is None else head
    return SourceProbe(path=path, head=data[:65536], size=len(data))


# ---------------------------------------------------------------------------------------------
# golden: the demo generator's layout


def test_golden_counts_and_no_issues() -> None:
    ctx, sink = parse(FIXTURES / "cells.csv")
    assert ctx.row_counts == {"cell_sites": 7, "source_rows": 7}
    assert ctx.all_issues() == []
    assert [r["locator"] for r in sink.rows("cell_sites")] == [f"row={n}" for n in range(2, 9)]


def test_golden_record_from_grid_reference_in_full() -> None:
    _, sink = parse(FIXTURES / "cells.csv")
    record = by_locator(sink.rows("cell_sites"))["row=6"]
    latitude, longitude = record.pop("latitude"), record.pop("longitude")
    # ONSPD's WGS84 centroid for the same grid reference (M1 1AD).
    assert metres_apart(latitude, longitude, 53.483784, -2.244866) < 10.0
    assert record == {
        "row_id": row_id(EXHIBIT, "row=6"),
        "exhibit_id": EXHIBIT,
        "locator": "row=6",
        "parser": PARSER_REF,
        "cell_id": "234-10-4101-25651201",
        "cell_id_original": "234-10-4101-25651201",
        "mcc": "234",
        "mnc": "10",
        "area": 4101,
        "cell": 25651201,  # eNodeB 100200 x 256 + sector 1
        "technology": "LTE",
        "site_name": "TANNERS GREEN 01",
        "address": "Rooftop, 2 Mill Street, Tanners Green, Hollowmere",
        "postcode": "ZY2 9QT",  # written 'zy2  9qt'
        "postcode_original": "zy2  9qt",
        "easting": 383848.0,
        "northing": 398589.0,
        "azimuth": 65.0,
        "beamwidth": 65.0,
        "range_m": None,
        "samples": None,
        "position_basis": "operator",
    }


def test_golden_lat_long_row_and_consistent_grid_reference() -> None:
    _, sink = parse(FIXTURES / "cells.csv")
    rows = by_locator(sink.rows("cell_sites"))
    first = rows["row=2"]
    assert (first["cell_id"], first["latitude"], first["longitude"]) == (
        "234-30-1201-30011",
        52.451234,
        -1.523456,
    )
    assert (first["easting"], first["northing"], first["postcode"]) == (None, None, "ZY3 4AB")
    # Both pairs given (ONSPD's SE1 2DL): the latitude/longitude is kept as written.
    both = rows["row=7"]
    assert (both["latitude"], both["longitude"]) == (51.498972, -0.071609)
    assert (both["easting"], both["northing"]) == (533951.0, 179544.0)
    assert (both["cell_id"], both["cell"], both["technology"]) == (
        "234-20-5201-12288000001",
        12288000001,  # gNodeB 3000000 x 4096 + sector 1
        "NR",
    )


def test_golden_source_row_kept_as_read() -> None:
    _, sink = parse(FIXTURES / "cells.csv")
    source = by_locator(sink.rows("source_rows"))["row=6"]
    assert source["row_id"] == row_id(EXHIBIT, "row=6")
    assert (source["exhibit_id"], source["parser"]) == (EXHIBIT, PARSER_REF)
    assert json.loads(source["raw"]) == {
        "CGI": "234-10-4101-25651201",
        "Site Name": "TANNERS GREEN 01",
        "Address": "Rooftop, 2 Mill Street, Tanners Green, Hollowmere",
        "Postcode": "zy2  9qt",
        "Latitude": "",
        "Longitude": "",
        "Easting": "383848",
        "Northing": "398589",
        "Azimuth": "65",
        "Beamwidth": "65",
        "Technology": "LTE",
    }


def test_every_row_id_is_the_model_row_id() -> None:
    _, sink = parse(FIXTURES / "cells.csv")
    for table in ("cell_sites", "source_rows"):
        for row in sink.rows(table):
            assert row["row_id"] == row_id(EXHIBIT, row["locator"])


def test_cell_site_and_source_row_share_the_record_id() -> None:
    _, sink = parse(FIXTURES / "cells.csv")
    sites = {r["locator"]: r["row_id"] for r in sink.rows("cell_sites")}
    sources = {r["locator"]: r["row_id"] for r in sink.rows("source_rows")}
    assert sites == sources


def test_batches_split_at_batch_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cell_list, "BATCH_ROWS", 3)
    ctx, sink = parse(FIXTURES / "cells.csv")
    assert [b.num_rows for b in sink.batches["cell_sites"]] == [3, 3, 1]
    assert ctx.row_counts == {"cell_sites": 7, "source_rows": 7}


# ---------------------------------------------------------------------------------------------
# problems: shuffled lower-case header, an extra column, one fault per row


def test_problems_issues_exactly() -> None:
    ctx, _ = parse(FIXTURES / "cells-problems.csv")
    w, i = Severity.WARNING.value, Severity.INFO.value
    assert issue_keys(ctx) == [
        (w, "column.unmapped", "column=10", "Notes"),
        (w, "cell.unparsed", "row=3", "234-10-41O1-25651458"),
        (w, "cell.duplicate", "row=4", "234/10/4101/25651457"),
        (w, "position.missing", "row=5", None),
        (w, "position.outside_uk", "row=6", "48.856600,2.352200"),
        (w, "position.invalid", "row=7", "95.000000,-1.500000"),
        (w, "azimuth.invalid", "row=8", "400"),
        (w, "beamwidth.invalid", "row=8", "wide"),
        (w, "postcode.invalid", "row=9", "NOT KNOWN"),
        (w, "technology.unknown", "row=10", "WiMAX"),
        (w, "position.inconsistent", "row=11", "52.430000,-1.570000,383848,398589"),
        (i, "row.blank", "row=12", None),
        (w, "position.invalid", "row=13", "52.440000,"),
    ]
    duplicate = next(x for x in ctx.all_issues() if x.code == "cell.duplicate")
    assert "row 2" in duplicate.message
    assert "row 4" in duplicate.message


def test_problems_rows_kept_with_originals() -> None:
    ctx, sink = parse(FIXTURES / "cells-problems.csv")
    assert ctx.row_counts == {"cell_sites": 12, "source_rows": 13}
    rows = by_locator(sink.rows("cell_sites"))
    assert "row=12" not in rows  # the blank row is a source row only
    assert rows["row=2"]["technology"] == "LTE"  # written '4g'
    assert rows["row=2"]["cell_id"] == rows["row=4"]["cell_id"] == "234-10-4101-25651457"
    unparsed = rows["row=3"]
    assert (unparsed["cell_id"], unparsed["mcc"], unparsed["cell"]) == (None, None, None)
    assert unparsed["cell_id_original"] == "234-10-41O1-25651458"
    assert (rows["row=5"]["latitude"], rows["row=5"]["longitude"]) == (None, None)
    assert (rows["row=6"]["latitude"], rows["row=6"]["longitude"]) == (48.8566, 2.3522)
    assert (rows["row=7"]["latitude"], rows["row=7"]["longitude"]) == (None, None)
    assert (rows["row=8"]["azimuth"], rows["row=8"]["beamwidth"]) == (None, None)
    assert rows["row=9"]["postcode"] is None
    assert rows["row=10"]["technology"] == "WiMAX"
    assert (rows["row=11"]["latitude"], rows["row=11"]["easting"]) == (52.43, 383848.0)
    last = rows["row=14"]
    assert (last["cell_id"], last["mnc"], last["technology"], last["postcode"]) == (
        "234-03-1203-30161",
        "03",
        "GSM",
        "ZY7 3WX",
    )
    raw = json.loads(by_locator(sink.rows("source_rows"))["row=9"]["raw"])
    assert (raw["postcode"], raw["Notes"]) == ("NOT KNOWN", "bad postcode")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zy2  9qt", "ZY2 9QT"),
        ("ZY29QT", "ZY2 9QT"),
        ("m11ad", "M1 1AD"),
        (" se1p5zz ", "SE1P 5ZZ"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A0AX", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
        ("NOT KNOWN", None),
        ("ZY1 2CI", None),  # C and I never appear in an inward code
        ("12345", None),
        ("ZY1", None),
    ],
)
def test_postcode_normalisation(given: str, expected: str | None) -> None:
    assert normalise_postcode(given) == expected


# ---------------------------------------------------------------------------------------------
# sniffing


def test_sniff_certain_for_cell_lists() -> None:
    parser = CellListParser()
    assert parser.sniff(probe(FIXTURES / "cells.csv")) is Confidence.CERTAIN
    assert parser.sniff(probe(FIXTURES / "cells-problems.csv")) is Confidence.CERTAIN
    bom = b"\xef\xbb\xbfcgi,easting,northing,azimuth\r\n"
    assert parser.sniff(probe(Path("grid.csv"), bom)) is Confidence.CERTAIN


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("thin.csv", b"CGI,Latitude,Longitude\r\n234-30-1-2,52.4,-1.5\r\n"),
        ("half.csv", b"CGI,Site Name,Latitude,Easting\r\n"),
        ("cdr.csv", b"Call Type,Originating Number,Terminating Number,Start Cell ID\r\n"),
        ("cells.xlsx", HEADER.encode() + b"\r\n"),
        ("234.csv", b"GSM,234,10,1201,30011,0,-1.5,52.4,1278,23,1,1459814306,1741057142,0\n"),
        ("binary.csv", b"\x00\x01\x02CGI,Latitude,Longitude,Azimuth"),
        ("empty.csv", b""),
    ],
)
def test_sniff_no_for_other_files(name: str, head: bytes) -> None:
    assert CellListParser().sniff(probe(Path(name), head)) is Confidence.NO


# ---------------------------------------------------------------------------------------------
# bad input


def test_empty_file_is_refused() -> None:
    with pytest.raises(IngestError, match="empty") as raised:
        parse(FIXTURES / "empty.csv")
    assert raised.value.path == "empty.csv"


def test_malformed_row_is_an_issue_and_the_rest_ingests() -> None:
    ctx, sink = parse(FIXTURES / "malformed.csv")
    assert issue_keys(ctx) == [
        (
            Severity.ERROR.value,
            "row.malformed",
            "row=3",
            '234-30-1201-30012,QUARRY HILL 01,"14 Station Road, Quarry Hill, Hollowmere",'
            "ZY3 4AB,52.451234,-1.523456,,,160,120",
        )
    ]
    assert [r["locator"] for r in sink.rows("cell_sites")] == ["row=2", "row=4"]
    assert ctx.row_counts == {"cell_sites": 2, "source_rows": 2}


def test_wrong_encoding_names_file_and_line() -> None:
    with pytest.raises(IngestError) as raised:
        parse(FIXTURES / "latin1.csv")
    assert raised.value.path == "latin1.csv"
    assert raised.value.locator == "line=3"
    assert "latin1.csv, line=3" in str(raised.value)


def test_wrong_encoding_in_header_names_line_one(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(HEADER.replace("Site Name", "Site Nam\xe9").encode("latin-1") + b"\r\n")
    with pytest.raises(IngestError) as raised:
        parse(path)
    assert (raised.value.path, raised.value.locator) == ("header.csv", "line=1")


def test_header_only_warns_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header-only.csv"
    path.write_text(HEADER + "\r\n", encoding="utf-8")
    ctx, _ = parse(path)
    assert issue_keys(ctx) == [(Severity.WARNING.value, "file.no_rows", None, None)]
    assert ctx.row_counts == {}


def test_not_a_cell_list_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "cdr.csv"
    path.write_text("Call Type,Originating Number,Start Cell ID\r\nMOC,447700900123,x\r\n")
    with pytest.raises(NotThisFormat, match="CGI"):
        parse(path)


def test_repeated_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("CGI,Latitude,Longitude,latitude\r\n234-30-1-2,52.4,-1.5,52.5\r\n")
    with pytest.raises(IngestError, match="appears twice"):
        parse(path)


def test_declared_fixtures_exist() -> None:
    tests = FIXTURES.parents[1]
    for fixture in CellListParser.info.fixtures:
        assert (tests / fixture).is_file(), fixture
