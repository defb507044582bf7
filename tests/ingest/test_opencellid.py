"""Tests for the OpenCelliD export parser (``opencellid``): golden output, the shared UK sample
and bad input.

Expected values are written by hand (cell keys from the documented rule: MNC zero-padded to two
digits) or computed independently with the standard library's ``gzip`` and ``csv`` modules; row
identifiers, which the parser computes in DuckDB, are checked against
:func:`threadline.model.ids.row_id` in Python.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections import Counter
from pathlib import Path

import pytest
from collect_sink import CollectSink, by_locator, issue_keys, run_parser

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.opencellid import CROWD_SOURCED_NOTICE, OpenCellIdParser
from threadline.model.cell_id import parse_cell_id
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opencellid"
UK_SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "reference"
    / "opencellid_mcc234_uk"
    / "234.csv.gz"
)
EXHIBIT = "EX-1"
PARSER_REF = "opencellid@1.0.0"
NOTICE = (Severity.INFO.value, "position.crowd_sourced", None, None)


def parse(path: Path) -> tuple[ParseContext, CollectSink]:
    return run_parser(OpenCellIdParser(), path, exhibit_id=EXHIBIT, reference="JB/2")


def probe(path: Path, head: bytes | None = None) -> SourceProbe:
    data = path.read_bytes() if head is None else head
    return SourceProbe(path=path, head=data[:65536], size=len(data))


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# ---------------------------------------------------------------------------------------------
# golden: the per-country layout (no header)


def test_golden_counts_and_only_the_notice() -> None:
    ctx, sink = parse(FIXTURES / "uk-cells.csv")
    assert ctx.row_counts == {"cell_sites": 9, "source_rows": 9}
    assert issue_keys(ctx) == [NOTICE]
    assert [r["locator"] for r in sink.rows("cell_sites")] == [f"row={n}" for n in range(1, 10)]
    assert ctx.detected == {"header": "absent", "compression": "none"}


def test_golden_record_in_full() -> None:
    _, sink = parse(FIXTURES / "uk-cells.csv")
    assert by_locator(sink.rows("cell_sites"))["row=7"] == {
        "row_id": row_id(EXHIBIT, "row=7"),
        "exhibit_id": EXHIBIT,
        "locator": "row=7",
        "parser": PARSER_REF,
        "cell_id": "234-02-17-12345678",  # net '2' padded to '02'
        "cell_id_original": "234,2,17,12345678",
        "mcc": "234",
        "mnc": "02",
        "area": 17,
        "cell": 12345678,
        "technology": "LTE",
        "site_name": None,
        "address": None,
        "postcode": None,
        "postcode_original": None,
        "latitude": 52.4444,
        "longitude": -1.5555,
        "easting": None,
        "northing": None,
        "azimuth": None,
        "beamwidth": None,
        "range_m": 1000.0,
        "samples": 2,
        "position_basis": "crowd-sourced-approximate",
    }


def test_golden_keys_and_technologies() -> None:
    _, sink = parse(FIXTURES / "uk-cells.csv")
    got = [(r["cell_id"], r["technology"]) for r in sink.rows("cell_sites")]
    assert got == [
        ("234-10-1201-30011", "GSM"),
        ("234-15-2101-10011", "GSM"),
        ("234-30-1201-65536015", "UMTS"),  # RNC 1000 x 65536 + CID 15
        ("234-20-5201-1310721", "UMTS"),  # RNC 20 x 65536 + CID 1
        ("234-10-4101-25651201", "LTE"),  # eNodeB 100200 x 256 + 1
        ("234-30-5-30796801", "LTE"),
        ("234-02-17-12345678", "LTE"),
        ("234-20-5201-12288000001", "NR"),  # gNodeB 3000000 x 4096 + 1
        ("234-15-2101-12288004097", "NR"),
    ]


def test_golden_source_row_kept_as_read() -> None:
    _, sink = parse(FIXTURES / "uk-cells.csv")
    source = by_locator(sink.rows("source_rows"))["row=4"]
    assert source["row_id"] == row_id(EXHIBIT, "row=4")
    assert source["raw"] == json.dumps(
        {
            "radio": "UMTS",
            "mcc": "234",
            "net": "20",
            "area": "5201",
            "cell": "1310721",
            "unit": "45",
            "lon": "-1.4925",
            "lat": "52.4187",
            "range": "1000",
            "samples": "4",
            "changeable": "1",
            "created": "1459707931",
            "updated": "1741278782",
            "averageSignal": "-91",
        },
        separators=(",", ":"),
    )


def test_row_ids_from_sql_equal_the_model_row_id() -> None:
    _, sink = parse(FIXTURES / "uk-cells.csv")
    for table in ("cell_sites", "source_rows"):
        rows = sink.rows(table)
        assert rows
        for row in rows:
            assert row["row_id"] == row_id(EXHIBIT, row["locator"])


def test_cell_site_and_source_row_share_the_record_id() -> None:
    _, sink = parse(FIXTURES / "uk-cells.csv")
    sites = {r["locator"]: r["row_id"] for r in sink.rows("cell_sites")}
    sources = {r["locator"]: r["row_id"] for r in sink.rows("source_rows")}
    assert sites == sources


def test_crowd_sourced_notice_once_with_licence_and_caveat() -> None:
    ctx, _ = parse(FIXTURES / "uk-cells.csv")
    notices = [i for i in ctx.all_issues() if i.code == "position.crowd_sourced"]
    assert len(notices) == 1
    assert notices[0].severity is Severity.INFO
    assert notices[0].message == CROWD_SOURCED_NOTICE
    for words in ("OpenCelliD Project", "CC BY-SA 4.0", "not operator mast", "requirement 25"):
        assert words in notices[0].message


# ---------------------------------------------------------------------------------------------
# golden: the world layout (header row, gzip)


def test_world_file_with_header_and_gzip() -> None:
    ctx, sink = parse(FIXTURES / "world-cells.csv.gz")
    assert ctx.row_counts == {"cell_sites": 4, "source_rows": 4}
    assert issue_keys(ctx) == [NOTICE]
    assert ctx.detected == {"header": "present", "compression": "gzip"}
    rows = by_locator(sink.rows("cell_sites"))
    assert list(rows) == ["row=2", "row=3", "row=4", "row=5"]  # the header is row 1
    assert (rows["row=3"]["cell_id"], rows["row=3"]["technology"]) == ("310-120-4-2257", "CDMA")
    assert (rows["row=4"]["cell_id"], rows["row=4"]["mnc"]) == ("262-01-40305-2213", "01")
    assert (rows["row=5"]["cell_id"], rows["row=5"]["mnc"]) == ("310-410-11266-133300000", "410")
    assert (rows["row=2"]["latitude"], rows["row=2"]["longitude"]) == (52.4512, -1.5234)
    assert rows["row=2"]["row_id"] == row_id(EXHIBIT, "row=2")


# ---------------------------------------------------------------------------------------------
# problems: one fault per row


def test_problems_issues_exactly() -> None:
    ctx, _ = parse(FIXTURES / "problems.csv")
    w = Severity.WARNING.value
    assert issue_keys(ctx) == [
        NOTICE,
        (w, "position.invalid", "row=2", ",-1.4987"),
        (w, "position.invalid", "row=3", "95.5,-1.4987"),
        (w, "position.invalid", "row=4", "0,0"),
        (w, "cell.unparsed", "row=5", "234,10,4101,ABC"),
        (
            Severity.ERROR.value,
            "row.malformed",
            "row=6",
            "LTE,234,10,4101,25651206,101,-1.4987,52.4701,517,240,1,1341972615,1733020105",
        ),
        (Severity.INFO.value, "row.blank", "row=7", None),
        (w, "range.invalid", "row=8", "far"),
        (w, "samples.invalid", "row=8", "-3"),
        (w, "cell.unparsed", "row=9", "234,20,16777216,30796802"),  # area over 24 bits
    ]


def test_problems_rows_kept_and_the_rest_ingests() -> None:
    ctx, sink = parse(FIXTURES / "problems.csv")
    assert ctx.row_counts == {"cell_sites": 9, "source_rows": 10}
    rows = by_locator(sink.rows("cell_sites"))
    assert list(rows) == [f"row={n}" for n in (1, 2, 3, 4, 5, 8, 9, 10, 11)]
    for locator in ("row=2", "row=3", "row=4"):
        assert (rows[locator]["latitude"], rows[locator]["longitude"]) == (None, None)
        assert rows[locator]["cell_id"] is not None
    assert rows["row=5"]["cell_id"] is None
    assert rows["row=5"]["cell_id_original"] == "234,10,4101,ABC"
    assert (rows["row=8"]["range_m"], rows["row=8"]["samples"]) == (None, None)
    assert rows["row=11"]["technology"] == "GSM"  # written 'gsm'
    assert rows["row=10"]["cell_id"] == "234-20-5201-12288000002"


# ---------------------------------------------------------------------------------------------
# the shared real sample (OpenCelliD Project, CC BY-SA 4.0), read in place


@pytest.fixture(scope="module")
def uk_sample() -> tuple[ParseContext, CollectSink]:
    if not UK_SAMPLE.is_file():
        pytest.skip(f"shared sample not present: {UK_SAMPLE}")
    return parse(UK_SAMPLE)


def _independent_counts() -> tuple[int, Counter[str], set[str], int]:
    """Rows, rows per radio, MNCs and rows with an unusable position, by gzip + csv."""
    radios: Counter[str] = Counter()
    nets: set[str] = set()
    bad = 0
    rows = 0
    with gzip.open(UK_SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        for record in csv.reader(handle):
            rows += 1
            radios[record[0]] += 1
            nets.add(record[2].zfill(2))
            try:
                lon, lat = float(record[6]), float(record[7])
            except ValueError:
                bad += 1
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
                bad += 1
    return rows, radios, nets, bad


def test_uk_sample_counts(uk_sample: tuple[ParseContext, CollectSink]) -> None:
    ctx, sink = uk_sample
    rows, radios, nets, bad = _independent_counts()
    assert rows == 131_348
    assert ctx.row_counts == {"cell_sites": 131_348, "source_rows": 131_348}
    sites = sink.table("cell_sites")
    assert Counter(sites.column("technology").to_pylist()) == radios
    mncs = set(sites.column("mnc").to_pylist())
    assert {"10", "15", "20", "30"} <= mncs
    assert mncs == nets
    assert set(sites.column("position_basis").to_pylist()) == {"crowd-sourced-approximate"}
    assert bad == 0
    assert issue_keys(ctx) == [NOTICE]


def test_uk_sample_keys_match_the_model(uk_sample: tuple[ParseContext, CollectSink]) -> None:
    _, sink = uk_sample
    sites = sink.table("cell_sites")
    keys = sites.column("cell_id").to_pylist()
    originals = sites.column("cell_id_original").to_pylist()
    for key, original in zip(keys, originals, strict=True):
        parsed = parse_cell_id(original.replace(",", "-"))
        assert parsed is not None
        assert key == parsed.key


def test_uk_sample_row_ids_and_first_row(uk_sample: tuple[ParseContext, CollectSink]) -> None:
    _, sink = uk_sample
    sites = sink.table("cell_sites")
    locators = sites.column("locator").to_pylist()
    ids = sites.column("row_id").to_pylist()
    assert locators[0] == "row=1"
    assert locators[-1] == "row=131348"
    for index in range(0, len(ids), 997):
        assert ids[index] == row_id(EXHIBIT, locators[index])
    with gzip.open(UK_SAMPLE, "rt", encoding="utf-8") as handle:
        first = handle.readline().rstrip("\n").split(",")
    row = sites.slice(0, 1).to_pylist()[0]
    assert row["cell_id"] == f"{first[1]}-{first[2].zfill(2)}-{int(first[3])}-{int(first[4])}"
    assert (row["longitude"], row["latitude"]) == (float(first[6]), float(first[7]))


# ---------------------------------------------------------------------------------------------
# sniffing


def test_sniff_certain_for_both_layouts_and_truncated_gzip() -> None:
    parser = OpenCellIdParser()
    assert parser.sniff(probe(FIXTURES / "uk-cells.csv")) is Confidence.CERTAIN
    assert parser.sniff(probe(FIXTURES / "world-cells.csv.gz")) is Confidence.CERTAIN
    header = b"radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
    plain = header + b"averageSignal\nGSM,234,10,1,2,0,-1,52,1,1,1,1,1,0\n"
    assert parser.sniff(probe(Path("world.csv"), plain)) is Confidence.CERTAIN
    if UK_SAMPLE.is_file():
        head = UK_SAMPLE.read_bytes()[:65536]
        assert parser.sniff(probe(UK_SAMPLE, head)) is Confidence.CERTAIN
        # A probe cut short mid-stream still decompresses as far as it goes.
        assert parser.sniff(probe(UK_SAMPLE, head[:120])) is Confidence.CERTAIN


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("cells.csv", b"CGI,Site Name,Address,Postcode,Latitude,Longitude\r\n"),
        ("short.csv", b"GSM,234,10,1201,30011,0,-1.5,52.4,1278,23,1,1459814306,1741057142\n"),
        ("wifi.csv", b"WIFI,234,10,1201,30011,0,-1.5,52.4,1278,23,1,1459814306,1741057142,0\n"),
        ("bad.csv.gz", b"\x1f\x8b\x08\x00garbage that is not deflate"),
        ("zeros.bin", b"\x00" * 64),
        ("empty.csv", b""),
    ],
)
def test_sniff_no_for_other_files(name: str, head: bytes) -> None:
    assert OpenCellIdParser().sniff(probe(Path(name), head)) is Confidence.NO


def test_sniff_never_raises_on_truncated_gzip() -> None:
    data = gzip_bytes(b"LTE,234,10,1,2,0,-1,52,1,1,1,1,1,0\n" * 100)
    for cut in range(len(data)):
        OpenCellIdParser().sniff(probe(Path("x.csv.gz"), data[:cut]))
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:12]) == b""


# ---------------------------------------------------------------------------------------------
# bad input


def test_empty_file_is_refused() -> None:
    with pytest.raises(IngestError, match="empty") as raised:
        parse(FIXTURES / "empty.csv")
    assert raised.value.path == "empty.csv"


def test_empty_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "234.csv.gz"
    path.write_bytes(gzip_bytes(b""))
    with pytest.raises(IngestError, match="empty"):
        parse(path)


def test_header_only_warns_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "world.csv"
    path.write_text(
        "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
        "averageSignal\n"
    )
    ctx, _ = parse(path)
    assert issue_keys(ctx) == [(Severity.WARNING.value, "file.no_rows", None, None), NOTICE]


def test_wrong_encoding_in_gzip_names_file_and_line() -> None:
    with pytest.raises(IngestError) as raised:
        parse(FIXTURES / "latin1.csv.gz")
    assert (raised.value.path, raised.value.locator) == ("latin1.csv.gz", "line=3")
    assert "latin1.csv.gz, line=3" in str(raised.value)


def test_wrong_encoding_in_plain_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(gzip.decompress((FIXTURES / "latin1.csv.gz").read_bytes()))
    with pytest.raises(IngestError) as raised:
        parse(path)
    assert (raised.value.path, raised.value.locator) == ("latin1.csv", "line=3")


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    data = gzip_bytes((FIXTURES / "uk-cells.csv").read_bytes() * 50)
    path = tmp_path / "234.csv.gz"
    path.write_bytes(data[:-40])
    with pytest.raises(IngestError, match="truncated") as raised:
        parse(path)
    assert raised.value.path == "234.csv.gz"


def test_not_an_export_is_not_this_format() -> None:
    with pytest.raises(NotThisFormat, match="14"):
        parse(FIXTURES.parent / "cell_list" / "cells.csv")


def test_wrong_header_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "world.csv"
    path.write_text("radio,mcc,net,area,cell,unit,lon,lat,range,samples,a,b,c,d\n")
    with pytest.raises(NotThisFormat, match="header"):
        parse(path)


def test_compression_must_match_the_name(tmp_path: Path) -> None:
    data = (FIXTURES / "uk-cells.csv").read_bytes()
    hidden = tmp_path / "234.csv"
    hidden.write_bytes(gzip_bytes(data))
    with pytest.raises(IngestError, match="rename"):
        parse(hidden)
    fake = tmp_path / "234.csv.gz"
    fake.write_bytes(data)
    with pytest.raises(IngestError, match="not gzip"):
        parse(fake)


def test_declared_fixtures_exist() -> None:
    tests = FIXTURES.parents[1]
    for fixture in OpenCellIdParser.info.fixtures:
        assert (tests / fixture).is_file(), fixture
