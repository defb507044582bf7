"""Tests for the ANPR camera list parser (``anpr_cameras``): golden output, bad input, fuzz.

Expected values are worked out by hand in ``tests/fixtures/anpr/README.md``. The British National
Grid point is ONSPD's centroid of M1 1AD (383848, 398589; published WGS84 53.483784,
-2.244866 in ``shared/data/reference/uk_geography/postcodes_io/onspd_sample_postcode.csv``),
which the conversion must reproduce to within 10 m.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from collect_sink import CollectSink, by_locator, issue_keys, raw_records, run_parser
from phone_support import flip_and_cut_fuzz, probe

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.anpr.cameras import AnprCamerasParser
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "anpr"
CELL_LIST = Path(__file__).resolve().parents[1] / "fixtures" / "cell_list" / "cells.csv"
EXHIBIT = "EX-7"
PARSER_REF = "anpr_cameras@1.0.0"
HEADER = "Camera ID,Site Name,Road,Carriageway Direction,Latitude,Longitude,Easting,Northing"


def parse(path: Path) -> tuple[ParseContext, CollectSink]:
    ctx, sink = run_parser(AnprCamerasParser(), path, exhibit_id=EXHIBIT, reference="AB/2")
    assert ctx.row_counts == sink.counts()
    return ctx, sink


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def metres_apart(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres (Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


# ---------------------------------------------------------------------------------------------
# golden


def test_golden_counts_and_no_issues() -> None:
    ctx, sink = parse(FIXTURES / "cameras.csv")
    assert ctx.row_counts == {"anpr_cameras": 4, "source_rows": 4}
    assert ctx.all_issues() == []
    assert [r["locator"] for r in sink.rows("anpr_cameras")] == ["row=2", "row=3", "row=4", "row=5"]


def test_golden_camera_from_grid_reference_in_full() -> None:
    _, sink = parse(FIXTURES / "cameras.csv")
    camera = by_locator(sink.rows("anpr_cameras"))["row=4"]
    latitude, longitude = camera.pop("latitude"), camera.pop("longitude")
    assert metres_apart(latitude, longitude, 53.483784, -2.244866) < 10.0
    assert camera == {
        "row_id": row_id(EXHIBIT, "row=4"),
        "exhibit_id": EXHIBIT,
        "locator": "row=4",
        "parser": PARSER_REF,
        "camera_id": "CAM-HM03",
        "site_name": "Station Approach",
        "road": "Station Approach",
        "direction": "both",
        "direction_original": "Both",
        "easting": 383848.0,
        "northing": 398589.0,
    }


def test_golden_positions_and_directions() -> None:
    _, sink = parse(FIXTURES / "cameras.csv")
    rows = by_locator(sink.rows("anpr_cameras"))
    assert [(r["camera_id"], r["direction_original"], r["direction"]) for r in rows.values()] == [
        ("CAM-HM01", "Northbound", "N"),
        ("CAM-HM02", "NE", "NE"),
        ("CAM-HM03", "Both", "both"),
        ("CAM-HM04", "south west", "SW"),
    ]
    assert (rows["row=2"]["latitude"], rows["row=2"]["longitude"]) == (52.451234, -1.523456)
    assert (rows["row=2"]["easting"], rows["row=2"]["northing"]) == (None, None)
    # both pairs given (ONSPD's SE1 2DL) and consistent: the latitude/longitude is kept as written
    both = rows["row=5"]
    assert (both["latitude"], both["longitude"], both["easting"], both["northing"]) == (
        51.498972,
        -0.071609,
        533951.0,
        179544.0,
    )


def test_golden_source_row_kept_as_read() -> None:
    _, sink = parse(FIXTURES / "cameras.csv")
    assert raw_records(sink)["row=4"] == {
        "Camera ID": "CAM-HM03",
        "Site Name": "Station Approach",
        "Road": "Station Approach",
        "Carriageway Direction": "Both",
        "Latitude": "",
        "Longitude": "",
        "Easting": "383848",
        "Northing": "398589",
    }
    for table in ("anpr_cameras", "source_rows"):
        for row in sink.rows(table):
            assert row["row_id"] == row_id(EXHIBIT, row["locator"])


# ---------------------------------------------------------------------------------------------
# bad input


def test_problem_rows_and_their_issues() -> None:
    ctx, sink = parse(FIXTURES / "cameras-problems.csv")
    assert ctx.row_counts == {"anpr_cameras": 9, "source_rows": 10}
    assert [r["locator"] for r in sink.rows("anpr_cameras")] == [
        f"row={n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 11)
    ]
    assert issue_keys(ctx) == [
        ("warning", "column.unmapped", "column=9", "Notes"),
        ("warning", "camera.duplicate", "row=3", "HM-0001"),
        ("warning", "camera.missing", "row=4", None),
        ("warning", "position.missing", "row=5", None),
        ("warning", "position.outside_uk", "row=6", "48.856600,2.352200"),
        ("warning", "position.invalid", "row=7", "95,-1.500000"),
        ("warning", "direction.unknown", "row=8", "Sideways"),
        ("warning", "position.inconsistent", "row=9", "52.451234,-1.523456,383848,398589"),
        ("info", "row.blank", "row=10", None),
        ("error", "row.malformed", "row=12", "Ring Road,HM-0009,too few fields"),
    ]


def test_problem_rows_keep_what_they_can() -> None:
    _, sink = parse(FIXTURES / "cameras-problems.csv")
    rows = by_locator(sink.rows("anpr_cameras"))
    # other header names, order and case: Camera, Site, road, Direction
    assert (rows["row=2"]["camera_id"], rows["row=2"]["site_name"], rows["row=2"]["road"]) == (
        "HM-0001",
        "Ring road east",
        "Ring Road",
    )
    assert rows["row=3"]["camera_id"] == "HM-0001"  # the duplicate is kept
    assert rows["row=4"]["camera_id"] is None
    assert (rows["row=5"]["latitude"], rows["row=7"]["latitude"]) == (None, None)
    assert (rows["row=6"]["latitude"], rows["row=6"]["longitude"]) == (48.8566, 2.3522)
    assert (rows["row=8"]["direction"], rows["row=8"]["direction_original"]) == (None, "Sideways")
    apart = rows["row=9"]
    assert (apart["latitude"], apart["longitude"], apart["easting"]) == (
        52.451234,
        -1.523456,
        383848.0,
    )
    # formula-like text is data: kept verbatim, never evaluated (made inert only on export)
    formula = '=HYPERLINK("http://example.invalid/x","Ring Road")'
    assert rows["row=11"]["road"] == formula
    records = raw_records(sink)
    assert records["row=11"]["road"] == formula
    assert records["row=11"]["Notes"] == "formula-like road kept as text"
    assert records["row=12"] == {"(malformed record)": "Ring Road,HM-0009,too few fields"}


def test_no_camera_id_or_no_position_is_not_a_camera_list(tmp_path: Path) -> None:
    for header in ("Site Name,Road,Latitude,Longitude", "Camera ID,Site Name,Road,Latitude"):
        path = write(tmp_path, "other.csv", [header, "a,b,c,d"])
        assert AnprCamerasParser().sniff(probe(path)) == Confidence.NO
        with pytest.raises(NotThisFormat) as caught:
            parse(path)
        assert (caught.value.path, caught.value.locator) == ("other.csv", "row=1")


def test_two_headers_for_one_field_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "two.csv", ["Camera ID,Camera,Latitude,Longitude", "a,b,52.4,-1.5"])
    with pytest.raises(IngestError) as caught:
        parse(path)
    assert caught.value.locator == "row=1"
    assert "'Camera ID' and 'Camera'" in str(caught.value)


def test_repeated_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "again.csv", ["Camera ID,Latitude,Longitude,latitude", "a,1,2,3"])
    with pytest.raises(IngestError) as caught:
        parse(path)
    assert "appears twice" in str(caught.value)


def test_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError) as caught:
        parse(empty)
    assert (caught.value.path, str(caught.value)) == ("empty.csv", "empty.csv: the file is empty")
    ctx, _ = parse(write(tmp_path, "header.csv", [HEADER]))
    assert issue_keys(ctx) == [("warning", "file.no_rows", None, None)]


def test_bad_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        f"{HEADER}\nCAM-1,Mill Road,Mill Road,N,52.45,-1.52,,\n".encode()
        + "CAM-2,CAFÉ ROOF,Mill Road,N,52.45,-1.52,,\n".encode("latin-1")
    )
    with pytest.raises(IngestError) as caught:
        parse(path)
    assert (caught.value.path, caught.value.locator) == ("latin1.csv", "line=3")


def test_sniff() -> None:
    parser = AnprCamerasParser()
    assert parser.sniff(probe(FIXTURES / "cameras.csv")) == Confidence.CERTAIN
    assert parser.sniff(probe(FIXTURES / "cameras-problems.csv")) == Confidence.CERTAIN
    for other in (FIXTURES / "nas-style.csv", CELL_LIST, FIXTURES / "vendor-c.yaml"):
        assert parser.sniff(probe(other)) == Confidence.NO, other.name


def test_source_rows_are_json_objects_of_the_header() -> None:
    _, sink = parse(FIXTURES / "cameras.csv")
    for row in sink.rows("source_rows"):
        assert list(json.loads(row["raw"])) == HEADER.split(",")


# ---------------------------------------------------------------------------------------------
# fuzz: mutated and truncated fixture bytes raise nothing but IngestError


test_fuzz_only_ingest_errors = flip_and_cut_fuzz(
    (FIXTURES / "cameras-problems.csv").read_bytes(),
    "cameras.csv",
    lambda path: run_parser(AnprCamerasParser(), path, exhibit_id=EXHIBIT, reference="AB/2"),
)
