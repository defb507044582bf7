"""The ANPR camera list parser: where each camera stands and which carriageway it watches.

A force's ANPR bureau (or a vendor) supplies, beside the reads, a list of its cameras: an
identifier that the reads quote, a site name, the road, the direction of the carriageway the
camera watches, and its position as WGS84 latitude/longitude or British National Grid
easting/northing. Plotting a camera from it is fact, as plotting a mast from a cell list is
(domain.md §3.4); what a read at the camera shows is narrower: that the camera read a plate there.

The layout is recognised by its header names, matched without regard to case, runs of white space
or underscores, in any order; each field has a few accepted names:

=====================  ===============================================================
field                  accepted headers
=====================  ===============================================================
camera id (required)   ``Camera ID``, ``Camera``
site name              ``Site Name``, ``Camera Name``, ``Site``
road                   ``Road``
direction              ``Carriageway Direction``, ``Direction``, ``Carriageway``
position (required)    ``Latitude`` and ``Longitude``, or ``Easting`` and ``Northing``
=====================  ===============================================================

Two headers naming the same field are refused (which to read would be a guess). Other columns are
reported once each (``column.unmapped``) and kept in the raw source rows.

Positions are read exactly as the ``cell_list`` parser reads a mast's (its checks and messages,
borrowed from :mod:`threadline.ingest.parsers.cell_list`, not copied): latitude/longitude, or the
grid reference converted to WGS84 with pyproj's Helmert transformation (accurate to a few metres,
not OSTN15), warnings for an unusable position, one outside the UK, or the two pairs disagreeing
by more than 50 m. Directions are read into compass points or ``both``
(:mod:`threadline.ingest.parsers.anpr.directions`), the text kept in ``direction_original``; an
unknown one is a warning. A camera listed twice is a warning naming both rows. Every record is
also written, as read, to ``source_rows`` (requirement 23). Camera lists are small, so rows are
handled one at a time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Final

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.anpr.directions import CAMERA_DIRECTIONS, direction_key
from threadline.ingest.parsers.anpr.parser import AnprParser
from threadline.ingest.parsers.anpr.transform import raw_keys
from threadline.ingest.parsers.cell_list import (
    EASTING,
    LATITUDE,
    LONGITUDE,
    NORTHING,
    _CellListRun,
    _first_line,
    fold_header,
)
from threadline.ingest.rows import RowWriter, raw_json
from threadline.ingest.tabular import (
    TabularLayout,
    column_positions,
    read_csv_chunks,
    sniff_text,
)
from threadline.ingest.tabular_run import ISSUE_TEXT_LIMIT, MALFORMED_KEY
from threadline.model.evidence_schema import ANPR_CAMERAS, SOURCE_ROWS

__all__ = ["FIELDS", "READ_MARKERS", "AnprCamerasParser"]

#: Each field of the layout and the header names (folded) accepted for it, preferred first.
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "camera_id": ("camera id", "camera"),
    "site_name": ("site name", "camera name", "site"),
    "road": ("road",),
    "direction": ("carriageway direction", "direction", "carriageway"),
    LATITUDE: (LATITUDE,),
    LONGITUDE: (LONGITUDE,),
    EASTING: (EASTING,),
    NORTHING: (NORTHING,),
}
_POSITION_FIELDS: Final = (LATITUDE, LONGITUDE, EASTING, NORTHING)

#: Headers (folded) that mark a file of reads rather than of cameras: a read export names the
#: camera and often its position too, but a camera list has no registration marks.
READ_MARKERS: Final = frozenset(
    {"vrm", "plate", "registration", "number plate", "registration mark"}
)


def _fields_of(folded: list[str]) -> dict[str, list[int]]:
    """Field -> positions of the headers naming it."""
    found: dict[str, list[int]] = {}
    for name, accepted in FIELDS.items():
        for i, header in enumerate(folded):
            if header in accepted:
                found.setdefault(name, []).append(i)
    return found


def _fits(fields: set[str]) -> bool:
    """Whether the fields found are enough to read a camera list: an id and a position pair."""
    geo = {LATITUDE, LONGITUDE} <= fields
    grid = {EASTING, NORTHING} <= fields
    return "camera_id" in fields and (geo or grid)


class AnprCamerasParser:
    """Reads an ANPR camera list (CSV) into ``anpr_cameras`` and ``source_rows``."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="anpr_cameras",
        version="1.0.0",
        title="ANPR camera list (CSV: camera id, site, road, carriageway direction, position)",
        formats=("csv",),
        tables=("anpr_cameras", "source_rows"),
        references=(
            "formats.md §8a: a read's camera identifier and location (no public camera list "
            "layout; this one is ours)",
            "EPSG:27700 British National Grid to EPSG:4326 WGS84 (PROJ, Helmert; no OSTN15), as "
            "the cell_list parser converts it",
        ),
        fixtures=(
            "fixtures/anpr/cameras.csv",
            "fixtures/anpr/cameras-problems.csv",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN when the first line names a camera id, a position pair and a site name, road
        or direction, and no registration mark; NO otherwise (a read export names its camera
        and position too: one that a shipped read profile fits is never taken for a list)."""
        if probe.suffix not in ("csv", "txt"):
            return Confidence.NO
        try:
            text = sniff_text(probe.head)
            if not text:
                return Confidence.NO
            line = text.splitlines()[0]
            folded = [fold_header(h) for h in next(csv.reader([line]), [])]
        except (csv.Error, ValueError, IndexError):
            return Confidence.NO
        fields = set(_fields_of(folded))
        if not (_fits(fields) and fields & {"site_name", "road", "direction"}):
            return Confidence.NO
        if READ_MARKERS & set(folded) or AnprParser().sniff(probe) > Confidence.NO:
            return Confidence.NO
        return Confidence.CERTAIN

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the camera list into ``anpr_cameras``, and keep every source row as read.

        Raises:
            IngestError: the file is empty or not UTF-8 (naming the line), its header is not a
                CSV record, a column name is repeated, or two columns name the same field.
            NotThisFormat: the header lacks a camera id or a position pair.
        """
        try:
            first = _first_line(path)
        except csv.Error as exc:  # a lone carriage return inside the header line
            raise IngestError(
                f"the header cannot be read as CSV: {exc}", path=path.name, locator="row=1"
            ) from exc
        headers = [h.strip() for h in first]
        columns = self._columns(path, headers, ctx)
        malformed_seen = 0
        with RowWriter(ctx) as writer:
            run = _CameraRun(ctx=ctx, writer=writer, headers=headers, columns=columns)

            def malformed(row: int, text: str) -> None:
                nonlocal malformed_seen
                locator = f"row={row}" if row > 0 else None
                if not text.strip(", \t\r\n"):
                    ctx.issue(Severity.INFO, "row.blank", "blank row", locator=locator)
                    return
                malformed_seen += 1
                ctx.issue(
                    Severity.ERROR,
                    "row.malformed",
                    f"the record does not have the {len(headers)} columns of the header; it is "
                    "not ingested and its full text is kept in the source rows",
                    locator=locator,
                    value=text[:ISSUE_TEXT_LIMIT],
                )
                # kept whole, as the reads parser keeps it (a record whose number the reader
                # cannot tell is placed by its order among the malformed records)
                writer.add(
                    SOURCE_ROWS.name,
                    locator or f"malformed={malformed_seen}",
                    {"raw": raw_json({MALFORMED_KEY: text})},
                )

            for chunk in read_csv_chunks(
                path, TabularLayout(format="csv"), len(headers), malformed
            ):
                values = [col.to_pylist() for col in chunk.batch.columns]
                for i, number in enumerate(chunk.rows.tolist()):
                    run.row(int(number), [str(col[i]) for col in values])
        if run.done == 0:
            ctx.issue(Severity.WARNING, "file.no_rows", "the file has a header but no data rows")

    @staticmethod
    def _columns(path: Path, headers: list[str], ctx: ParseContext) -> dict[str, int]:
        """Field -> column position; report columns outside the layout.

        Raises:
            IngestError: a header is repeated, or two headers name the same field.
            NotThisFormat: no camera id or no position pair.
        """
        folded = [fold_header(h) for h in headers]
        column_positions(path, headers, fold_header, header_row=1)  # refuses a repeated name
        found = _fields_of(folded)
        for name, where in found.items():
            if len(where) > 1:
                names = " and ".join(repr(headers[i]) for i in where)
                raise IngestError(
                    f"the columns {names} both give the {name.replace('_', ' ')}; which one to "
                    "read would be a guess",
                    path=path.name,
                    locator="row=1",
                )
        if not _fits(set(found)):
            raise NotThisFormat(
                "not an ANPR camera list: the header needs a camera id (Camera ID) and "
                "Latitude/Longitude or Easting/Northing; its columns are "
                f"{', '.join(map(repr, headers))}",
                path=path.name,
                locator="row=1",
            )
        paired = {LATITUDE: LONGITUDE, LONGITUDE: LATITUDE, EASTING: NORTHING, NORTHING: EASTING}
        for name, partner in paired.items():
            if name in found and partner not in found:
                del found[name]
        used = {where[0] for where in found.values()}
        for i, header in enumerate(headers):
            if i not in used:
                ctx.issue(
                    Severity.WARNING,
                    "column.unmapped",
                    f"column {header!r} is not part of the camera list layout (or lacks its "
                    "partner coordinate column); its values are kept in the raw source rows only",
                    locator=f"column={i + 1}",
                    value=header,
                )
        return {name: where[0] for name, where in found.items()}


@dataclass
class _CameraRun:
    """The state of one parse: the writer, the cameras seen, and the cell list's position
    reader (which warns through the same context)."""

    ctx: ParseContext
    writer: RowWriter
    headers: list[str]
    columns: dict[str, int]
    done: int = 0
    _keys: list[str] = field(default_factory=list)
    _first_row_of: dict[str, int] = field(default_factory=dict)
    _positions: _CellListRun = field(init=False)

    def __post_init__(self) -> None:
        self._keys = raw_keys(self.headers)
        position_columns = {n: i for n, i in self.columns.items() if n in _POSITION_FIELDS}
        self._positions = _CellListRun(ctx=self.ctx, headers=self.headers, columns=position_columns)

    def _text(self, values: list[str], name: str) -> str | None:
        index = self.columns.get(name)
        text = "" if index is None else values[index].strip()
        return text or None

    def _warn(self, code: str, message: str, number: int, value: str | None = None) -> None:
        self.ctx.issue(Severity.WARNING, code, message, locator=f"row={number}", value=value)

    def row(self, number: int, values: list[str]) -> None:
        """Check and normalise one source record, and hand it to the writer."""
        locator = f"row={number}"
        raw = dict(zip(self._keys, values, strict=True))
        if not any(v.strip() for v in values):
            self.ctx.issue(Severity.INFO, "row.blank", "blank row", locator=locator)
            return
        self.done += 1
        camera: dict[str, object] = {
            "camera_id": self._camera_id(number, values),
            "site_name": self._text(values, "site_name"),
            "road": self._text(values, "road"),
        }
        camera.update(self._direction(number, values))
        camera.update(self._positions._position(number, values))
        self.writer.add(ANPR_CAMERAS.name, locator, camera, raw=raw)

    def _camera_id(self, number: int, values: list[str]) -> str | None:
        camera = self._text(values, "camera_id")
        if camera is None:
            self._warn(
                "camera.missing", "the row has no camera id; no read can be joined to it", number
            )
            return None
        first = self._first_row_of.setdefault(camera, number)
        if first != number:
            self._warn(
                "camera.duplicate",
                f"camera {camera} is listed on row {first} and again on row {number}; both rows "
                "are kept",
                number,
                camera,
            )
        return camera

    def _direction(self, number: int, values: list[str]) -> dict[str, object]:
        text = self._text(values, "direction")
        if text is None:
            return {}
        direction = CAMERA_DIRECTIONS.get(direction_key(text))
        if direction is None:
            self._warn(
                "direction.unknown",
                "the carriageway direction is not a compass point (N, Northbound, North East...) "
                "or Both; direction is left empty, the original kept",
                number,
                text,
            )
        return {"direction": direction, "direction_original": text}
