"""The operator cell list parser: mast positions, azimuths and beamwidths from a network's CSV.

An operator's cell list says where each cell's mast stands and which way its antenna points. It is
what a cell site map plots, and plotting a mast from it is fact (domain.md §3.4; requirement 25),
so every row is marked ``position_basis = "operator"``. Whether a phone was served from a place is
a different, opinion question this parser does not touch.

The layout is the one the demo generator writes (``threadline.scenario.layouts.CELL_LIST_HEADER``)::

    CGI,Site Name,Address,Postcode,Latitude,Longitude,Easting,Northing,Azimuth,Beamwidth,Technology

Header names are matched without regard to case, runs of white space or underscores, and in any
order. ``CGI`` is required, with Latitude and Longitude or Easting and Northing (or both pairs).
Columns outside the layout are reported once each (``column.unmapped``) and kept in the raw
source rows.

Each row is checked and normalised; nothing is dropped silently, and every source record is also
written, exactly as read, to ``source_rows``:

* the CGI is parsed with :func:`threadline.model.cell_id.parse_cell_id`; an unreadable one leaves
  ``cell_id`` empty (the original kept) with a warning, and a cell listed twice is a warning naming
  both rows;
* a position is Latitude/Longitude (WGS84 decimal degrees) or, when only those are missing or
  invalid, British National Grid Easting/Northing converted to WGS84 with pyproj. The conversion
  uses the Helmert transformation in PROJ's EPSG:27700 definition, not Ordnance Survey's OSTN15
  grid (pyproj does not ship it and network access is off), so converted positions are accurate to
  a few metres: ample for plotting a mast, and stated here so nobody treats them as survey grade.
  A row without any usable position is a warning and has empty coordinates. A position outside a
  coarse box around the UK and Crown Dependencies (latitude 49.0–61.0, longitude −8.8–2.0, which
  also takes in parts of Ireland and northern France) is a warning, the value kept. When both
  pairs are given and disagree by more than 50 m that is a warning too, the Latitude/Longitude
  kept;
* azimuth and beamwidth must be degrees from 0 to 360;
* postcodes are normalised to ``OUTWARD INWARD`` (upper case, one space before the last three
  characters); a value that is not shaped like a postcode leaves the column empty with a warning.
  The original is kept in the raw source row;
* technology words are read as GSM, UMTS, LTE or NR (``2G``..``5G`` too); others are kept as
  given with a warning.

Cell lists are small (tens of thousands of rows at most), so rows are handled one at a time in
Python and emitted in batches of :data:`BATCH_ROWS`.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.arrow_schema import arrow_schema
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.tabular import (
    TabularLayout,
    column_positions,
    read_csv_chunks,
    sniff_text,
)
from threadline.model.cell_id import parse_cell_id
from threadline.model.evidence_schema import CELL_SITES, SOURCE_ROWS, Table
from threadline.model.ids import row_id
from threadline.model.postcode import normalise_postcode

if TYPE_CHECKING:
    from pyproj import Transformer

__all__ = ["BATCH_ROWS", "CellListParser", "fold_header"]

#: Rows gathered before a batch is emitted.
BATCH_ROWS = 50_000

#: The position basis of every row: the network's own mast position.
POSITION_BASIS = "operator"

#: Header names of the layout, folded (see :func:`fold_header`).
CGI = "cgi"
SITE_NAME = "site name"
ADDRESS = "address"
POSTCODE = "postcode"
LATITUDE = "latitude"
LONGITUDE = "longitude"
EASTING = "easting"
NORTHING = "northing"
AZIMUTH = "azimuth"
BEAMWIDTH = "beamwidth"
TECHNOLOGY = "technology"
KNOWN_HEADERS: tuple[str, ...] = (
    CGI,
    SITE_NAME,
    ADDRESS,
    POSTCODE,
    LATITUDE,
    LONGITUDE,
    EASTING,
    NORTHING,
    AZIMUTH,
    BEAMWIDTH,
    TECHNOLOGY,
)

#: A coarse box around the UK and the Crown Dependencies (Channel Islands, Isle of Man):
#: (south, north, west, east) in degrees. A plausibility check only, not a boundary.
UK_BOX = (49.0, 61.0, -8.8, 2.0)

#: The British National Grid's extent in metres: (max easting, max northing), both from 0.
BNG_EXTENT = (700_000.0, 1_300_000.0)

#: Largest distance in metres between a row's Latitude/Longitude and its converted grid reference
#: before the two are reported as inconsistent (the Helmert conversion is good to a few metres).
CONSISTENCY_M = 50.0

#: Technology words accepted, upper-cased, and the canonical name for each.
TECHNOLOGIES: dict[str, str] = {
    "GSM": "GSM",
    "2G": "GSM",
    "UMTS": "UMTS",
    "3G": "UMTS",
    "WCDMA": "UMTS",
    "LTE": "LTE",
    "4G": "LTE",
    "NR": "NR",
    "5G": "NR",
    "5G NR": "NR",
}

_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)
#: Longest first line read for the header; a header longer than this is not a cell list.
_HEADER_BYTES = 64 * 1024


def fold_header(name: str) -> str:
    """Compare header names without regard to case, underscores or runs of white space."""
    return " ".join(name.replace("_", " ").split()).casefold()


def _decimal(text: str) -> float | None:
    """A plain decimal number (``52.4``, ``-1.5``, ``120``), or ``None``: no exponents, NaN or
    infinities, which in a cell list are mistakes rather than values."""
    stripped = text.strip()
    return float(stripped) if _DECIMAL.match(stripped) else None


def _in_uk_box(latitude: float, longitude: float) -> bool:
    south, north, west, east = UK_BOX
    return south <= latitude <= north and west <= longitude <= east


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Approximate distance in metres (equirectangular; fine over the short distances compared)."""
    mean = math.radians((lat1 + lat2) / 2)
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(mean)
    return math.hypot(dx, dy)


def _first_line(path: Path) -> list[str]:
    """The header record: the file's first line, decoded strictly as UTF-8 (a BOM allowed).

    Read here rather than with :func:`threadline.ingest.tabular.read_header`, whose decoder reads
    ahead and would blame a bad byte further down a small file on the header.

    Raises:
        IngestError: the file is empty, or the first line is not UTF-8 (names line 1).
    """
    with path.open("rb") as handle:
        raw = handle.readline(_HEADER_BYTES)
    if not raw:
        raise IngestError("the file is empty", path=path.name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"the file is not valid UTF-8: first bad byte at offset {exc.start} of the header "
            "(save the cell list as UTF-8 CSV)",
            path=path.name,
            locator="line=1",
        ) from exc
    return next(csv.reader([text.rstrip("\r\n")]), [])


def _header_fits(folded: set[str]) -> bool:
    """Whether folded header names are enough to read as a cell list (CGI and a position pair)."""
    geo = {LATITUDE, LONGITUDE} <= folded
    grid = {EASTING, NORTHING} <= folded
    return CGI in folded and (geo or grid)


class CellListParser:
    """Reads an operator cell list (CSV) into ``cell_sites`` and ``source_rows``."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="cell_list",
        version="1.0.0",
        title="Operator cell list (CSV: CGI, site, position, azimuth, beamwidth)",
        formats=("csv",),
        tables=("cell_sites", "source_rows"),
        references=(
            "threadline.scenario.layouts.CELL_LIST_HEADER (no operator publishes its layout, "
            "formats.md §7a)",
            "domain.md §3.4 and requirement 25 (mast plots are fact)",
            "3GPP TS 23.003 via threadline.model.cell_id (CGI, ECGI, NCGI)",
            "EPSG:27700 British National Grid to EPSG:4326 WGS84 (PROJ, Helmert; no OSTN15)",
        ),
        fixtures=(
            "fixtures/cell_list/cells.csv",
            "fixtures/cell_list/cells-problems.csv",
            "fixtures/cell_list/malformed.csv",
            "fixtures/cell_list/latin1.csv",
            "fixtures/cell_list/empty.csv",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN when the first line names CGI, a position pair (Latitude/Longitude or
        Easting/Northing) and Site Name or Azimuth; NO otherwise."""
        if probe.suffix not in ("csv", "txt"):
            return Confidence.NO
        try:
            text = sniff_text(probe.head)
            if text is None:
                return Confidence.NO
            line = text.splitlines()[0] if text else ""
            names = {fold_header(h) for h in next(csv.reader([line]), [])}
        except (csv.Error, ValueError):
            return Confidence.NO
        if _header_fits(names) and (SITE_NAME in names or AZIMUTH in names):
            return Confidence.CERTAIN
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the cell list into cell sites, and keep every source row as read.

        Raises:
            IngestError: the file is empty or not UTF-8 (naming the line), or a column name is
                repeated.
            NotThisFormat: the header lacks CGI or a position pair.
        """
        headers = [h.strip() for h in _first_line(path)]
        columns = self._columns(path, headers, ctx)
        run = _CellListRun(ctx=ctx, headers=headers, columns=columns)

        def malformed(row: int, text: str) -> None:
            ctx.issue(
                Severity.ERROR,
                "row.malformed",
                f"the record does not have the {len(headers)} columns of the header; it is not "
                "ingested and its raw text is kept in this issue",
                locator=f"row={row}" if row > 0 else None,
                value=text[:2000],
            )

        layout = TabularLayout(format="csv")
        for chunk in read_csv_chunks(path, layout, len(headers), malformed):
            values = [col.to_pylist() for col in chunk.batch.columns]
            for i, number in enumerate(chunk.rows.tolist()):
                run.row(int(number), [str(col[i]) for col in values])
            ctx.progress(run.done, None)
        run.flush()
        if run.done == 0:
            ctx.issue(Severity.WARNING, "file.no_rows", "the file has a header but no data rows")

    @staticmethod
    def _columns(path: Path, headers: list[str], ctx: ParseContext) -> dict[str, int]:
        """Map folded layout names to column positions; report columns outside the layout."""
        folded = [fold_header(h) for h in headers]
        seen = column_positions(path, headers, fold_header, header_row=1)
        if not _header_fits(set(seen)):
            raise NotThisFormat(
                "not an operator cell list: the header needs CGI and Latitude/Longitude or "
                f"Easting/Northing; its columns are {', '.join(map(repr, headers))}",
                path=path.name,
                locator="row=1",
            )
        paired = {LATITUDE: LONGITUDE, LONGITUDE: LATITUDE, EASTING: NORTHING, NORTHING: EASTING}
        for name, partner in paired.items():
            if name in seen and partner not in seen:
                del seen[name]
        for i, header in enumerate(headers):
            if folded[i] not in KNOWN_HEADERS or folded[i] not in seen:
                ctx.issue(
                    Severity.WARNING,
                    "column.unmapped",
                    f"column {header!r} is not part of the cell list layout (or lacks its "
                    "partner coordinate column); its values are kept in the raw source rows only",
                    locator=f"column={i + 1}",
                    value=header,
                )
        return {name: i for name, i in seen.items() if name in KNOWN_HEADERS}


@dataclass
class _CellListRun:
    """The state of one parse: columns gathered for the next batch, cells seen, the transformer."""

    ctx: ParseContext
    headers: list[str]
    columns: dict[str, int]
    done: int = 0
    _raw_keys: list[str] = field(default_factory=list)
    _sites: dict[str, list[object]] = field(default_factory=dict)
    _sources: dict[str, list[object]] = field(default_factory=dict)
    _first_row_of: dict[str, int] = field(default_factory=dict)
    _grid_to_wgs84: Callable[[float, float], tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        # Raw rows are keyed by the header as written; a nameless column is called
        # "(column N)" so that two of them cannot collapse into one JSON key.
        self._raw_keys = [h if h else f"(column {i + 1})" for i, h in enumerate(self.headers)]
        self._reset()

    def _reset(self) -> None:
        self._sites = {name: [] for name in CELL_SITES.column_names}
        self._sources = {name: [] for name in SOURCE_ROWS.column_names}

    # -----------------------------------------------------------------------------------------

    def _text(self, values: list[str], name: str) -> str:
        index = self.columns.get(name)
        return "" if index is None else values[index]

    def _warn(self, code: str, message: str, row: int, value: str | None = None) -> None:
        self.ctx.issue(Severity.WARNING, code, message, locator=f"row={row}", value=value)

    def _provenance(self, locator: str) -> dict[str, object]:
        """The provenance columns; the cell site and its source row share the record's id."""
        exhibit = self.ctx.exhibit.exhibit_id
        return {
            "row_id": row_id(exhibit, locator),
            "exhibit_id": exhibit,
            "locator": locator,
            "parser": self.ctx.parser_ref,
        }

    def row(self, number: int, values: list[str]) -> None:
        """Check and normalise one source record, and queue it for the next batch."""
        locator = f"row={number}"
        provenance = self._provenance(locator)
        source = dict(provenance)
        source["raw"] = json.dumps(
            dict(zip(self._raw_keys, values, strict=True)),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for name, value in source.items():
            self._sources[name].append(value)
        self.done += 1
        if not any(v.strip() for v in values):
            self.ctx.issue(Severity.INFO, "row.blank", "blank row", locator=locator)
        else:
            site = dict(provenance)
            site.update(self._cell(number, values))
            site.update(self._position(number, values))
            site.update(self._details(number, values))
            site["position_basis"] = POSITION_BASIS
            for name in CELL_SITES.column_names:
                self._sites[name].append(site.get(name))
        if len(self._sources["row_id"]) >= BATCH_ROWS:
            self.flush()

    def _cell(self, number: int, values: list[str]) -> dict[str, object]:
        raw = self._text(values, CGI)
        out: dict[str, object] = {"cell_id_original": raw if raw.strip() else None}
        try:
            cell = parse_cell_id(raw)
        except ValueError as exc:
            self._warn(
                "cell.unparsed", f"{exc}; cell_id is left empty, the original kept", number, raw
            )
            return out
        if cell is None:
            self._warn("cell.missing", "the row has no CGI; it cannot be joined to events", number)
            return out
        first = self._first_row_of.setdefault(cell.key, number)
        if first != number:
            self._warn(
                "cell.duplicate",
                f"cell {cell.key} is listed on row {first} and again on row {number}; both rows "
                "are kept",
                number,
                raw,
            )
        out.update(cell_id=cell.key, mcc=cell.mcc, mnc=cell.mnc, area=cell.area, cell=cell.cell)
        return out

    def _pair(
        self, number: int, first: str, second: str, valid: Callable[[float, float], bool], what: str
    ) -> tuple[float, float] | None:
        """Read a coordinate pair; ``None`` (with a warning if anything was written) if unusable."""
        if not first.strip() and not second.strip():
            return None
        a, b = _decimal(first), _decimal(second)
        if a is None or b is None or not valid(a, b):
            self._warn(
                "position.invalid",
                f"the {what} is incomplete, not a decimal number or out of range; it is not "
                "used (if no other position is usable the row's coordinates are empty)",
                number,
                f"{first},{second}",
            )
            return None
        return a, b

    def _position(self, number: int, values: list[str]) -> dict[str, object]:
        texts = [self._text(values, n) for n in (LATITUDE, LONGITUDE, EASTING, NORTHING)]
        geo = self._pair(
            number,
            texts[0],
            texts[1],
            lambda lat, lon: -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0,
            "latitude/longitude",
        )
        grid = self._pair(
            number,
            texts[2],
            texts[3],
            lambda e, n: 0.0 <= e <= BNG_EXTENT[0] and 0.0 <= n <= BNG_EXTENT[1],
            "easting/northing (British National Grid)",
        )
        out: dict[str, object] = {}
        given = f"{texts[0]},{texts[1]}"
        if grid is not None:
            out.update(easting=grid[0], northing=grid[1])
            lon, lat = self._to_wgs84(grid)
            if geo is None:
                geo = (lat, lon)
                given = f"{texts[2]},{texts[3]}"
            elif (apart := _distance_m(geo[0], geo[1], lat, lon)) > CONSISTENCY_M:
                self._warn(
                    "position.inconsistent",
                    f"latitude/longitude and easting/northing are {apart:.0f} m apart; the "
                    "latitude/longitude is used",
                    number,
                    ",".join(texts),
                )
        if geo is None:
            if not any(t.strip() for t in texts):  # else position.invalid has said why
                self._warn(
                    "position.missing",
                    "the row has no position (latitude/longitude or easting/northing); its "
                    "coordinates are empty and it cannot be plotted",
                    number,
                )
            return out
        if not _in_uk_box(*geo):
            self._warn(
                "position.outside_uk",
                "the position is outside the UK and Crown Dependencies; it is kept as given",
                number,
                given,
            )
        out.update(latitude=geo[0], longitude=geo[1])
        return out

    def _to_wgs84(self, grid: tuple[float, float]) -> tuple[float, float]:
        """(longitude, latitude) of a BNG point; the transformer is built on first use."""
        if self._grid_to_wgs84 is None:
            from pyproj import Transformer  # deferred: only grid references pay for it

            transformer: Transformer = Transformer.from_crs(
                "EPSG:27700", "EPSG:4326", always_xy=True
            )

            def convert(easting: float, northing: float) -> tuple[float, float]:
                lon, lat = transformer.transform(easting, northing)
                return float(lon), float(lat)

            self._grid_to_wgs84 = convert
        return self._grid_to_wgs84(*grid)

    def _degrees(self, number: int, values: list[str], name: str) -> float | None:
        text = self._text(values, name)
        if not text.strip():
            return None
        value = _decimal(text)
        if value is None or not 0.0 <= value <= 360.0:
            self._warn(
                f"{name}.invalid",
                f"the {name} is not a number of degrees from 0 to 360; it is left empty",
                number,
                text,
            )
            return None
        return value

    def _details(self, number: int, values: list[str]) -> dict[str, object]:
        out: dict[str, object] = {
            "site_name": self._text(values, SITE_NAME).strip() or None,
            "address": self._text(values, ADDRESS).strip() or None,
            "azimuth": self._degrees(number, values, AZIMUTH),
            "beamwidth": self._degrees(number, values, BEAMWIDTH),
        }
        postcode = self._text(values, POSTCODE)
        if postcode.strip():
            out["postcode_original"] = postcode
            out["postcode"] = normalise_postcode(postcode)
            if out["postcode"] is None:
                self._warn(
                    "postcode.invalid",
                    "not shaped like a UK postcode; the postcode column is left empty (the "
                    "original is in the raw source row)",
                    number,
                    postcode,
                )
        technology = self._text(values, TECHNOLOGY).strip()
        if technology:
            canonical = TECHNOLOGIES.get(" ".join(technology.split()).upper())
            out["technology"] = technology if canonical is None else canonical
            if canonical is None:
                self._warn(
                    "technology.unknown",
                    "technology is not GSM, UMTS, LTE or NR (or 2G to 5G); it is kept as given",
                    number,
                    technology,
                )
        return out

    # -----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Emit the rows gathered so far."""
        self._emit(CELL_SITES, self._sites)
        self._emit(SOURCE_ROWS, self._sources)
        self._reset()

    def _emit(self, table: Table, data: dict[str, list[object]]) -> None:
        if not data["row_id"]:
            return
        schema = arrow_schema(table)
        arrays = [pa.array(data[f.name], type=f.type) for f in schema]
        self.ctx.emit(table.name, pa.RecordBatch.from_arrays(arrays, schema=schema))
