"""The case map: cell sites and ANPR cameras with the chosen numbers' and vehicles' events on them.

A map is a plot of **where masts and cameras stand** (fact), never of where a phone, vehicle or
person was, and never of the area a cell served (opinion needing a radio survey and an expert;
requirement 25). So the map has exactly two layers of markers:

* **Cell sites**, one marker per site (``sites_sql``'s ``site_key``: every cell on one operator
  mast is one site; a crowd-sourced cell is its own "site", its position an estimate). Each
  marker counts the records of the chosen numbers that name one of its cells, placed with
  :func:`threadline.analysis.cell_site.placements_sql`: only the **subscriber's own** cells (the
  party ``target_role`` names, or a data record's party), so the other party of a call is never
  placed anywhere (requirement 27).
* **ANPR cameras**, one marker per camera id, counting the chosen VRMs' reads at it. A read says
  the camera read that text there, not that a given vehicle or driver was there. The position is
  the camera list's; a camera missing from the list is placed where its reads say it stands.

Every marker lists the rows behind it (the first :data:`ROW_CAP`, and how many in all) so each
count can be opened down to its exhibit row (requirement 20). Cells and cameras the records name
but the reference data cannot place are counted as *unplaced*, never guessed. Times are UTC
(requirement 22); a record whose time is not known exactly is in a period when its possible
times overlap it. Each map is logged as one consultation (requirement 15) with the numbers and
vehicles named by entity id (a hash), never by value, and carries the standard cell-site caveats
(:data:`threadline.analysis.cell_wording.CELL_SITE_CAVEATS`, requirement 25).

The basemap is the GB local authority districts TopoJSON of the shared reference data, read at
run time from :attr:`threadline.settings.Settings.basemap_path` (it is never copied into the
repository), decoded here (:func:`decode_topojson`) into simplified WGS84 outlines and kept in
memory by a :class:`BasemapCache` owned by the application.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from threadline.analysis.anpr_cameras import CAMERAS_SQL
from threadline.analysis.cell_site import TIME_FILTER, placements_sql, sites_sql
from threadline.analysis.cell_wording import CROWD_SOURCED, OPERATOR, caveats
from threadline.errors import ConfigError, ParseError
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.services.entities import normalise_entity_key, read_case_evidence, run_select
from threadline.services.workspace import Workspace
from threadline.settings import Settings

__all__ = [
    "BASEMAP_ATTRIBUTION",
    "MAP_STATEMENT",
    "ROW_CAP",
    "Basemap",
    "BasemapCache",
    "CameraMarker",
    "CaseMap",
    "MarkerRow",
    "Outline",
    "SiteMarker",
    "basemap",
    "case_map",
    "decode_topojson",
]

#: The most rows a marker lists (its count says how many there are in all).
ROW_CAP: Final = 100

#: The most numbers or VRMs one map may be drawn for.
MAX_SUBJECTS: Final = 50

#: Douglas-Peucker tolerance of the basemap outlines, in degrees (about 500 m north-south): a
#: basemap is for orientation only; the GB districts' 290,000 positions become about 36,000
#: (some 650 kB of JSON) instead of a slow page.
SIMPLIFY_DEGREES: Final = 0.005

#: The attribution the boundary data's licences require (CC BY 4.0 and OS OpenData).
BASEMAP_ATTRIBUTION: Final = (
    "Local authority district boundaries: UK-GeoJSON by Martin Chorley "
    "(https://github.com/martinjc/UK-GeoJson), CC BY 4.0. Contains Ordnance Survey data "
    "© Crown copyright and database right 2014; OS OpenData Licence."
)

#: What the markers are, printed with every map (requirements 25 and 27).
MAP_STATEMENT: Final = (
    "Markers show where cell masts (or crowd-sourced estimates of them) and ANPR cameras stand, "
    "as the reference data gives them; they are not positions of any phone, vehicle or person. "
    "A count on a site is the number of the chosen numbers' records that name one of its cells "
    "(the subscriber's own cells only; the other party of a call is not placed). No coverage "
    "or serving areas are drawn: where a cell could serve a phone is opinion that needs a radio "
    "survey and an expert."
)

_CAMERA_STATEMENT: Final = (
    "A read at a camera shows that the camera read that registration text at that time, not that "
    "a given vehicle or its driver passed it: plates are misread and cloned."
)


# --- the case map -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkerRow:
    """One evidence row behind a marker.

    Attributes:
        row_id: the row (``/cases/{id}/records/{row_id}`` opens it).
        table: its evidence table.
        kind: ``call``, ``sms``..., ``data`` or ``anpr read``.
        subject: the number or VRM it is about.
        cell: the cell it names (cell-site rows); ``None`` for reads.
        at_utc: the exact time, or ``None`` when not known exactly.
        earliest_utc: the earliest possible time.
        latest_utc: the latest possible time.
        exhibit: the exhibit reference.
        phases: for a record on a cell, which of its cells this is (``start``, ``end``, ``sent``);
            a data record's time is the one the cell was used *at or before* (requirement 26).
    """

    row_id: str
    table: str
    kind: str
    subject: str
    cell: str | None
    at_utc: datetime | None
    earliest_utc: datetime | None
    latest_utc: datetime | None
    exhibit: str
    phases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "kind": self.kind,
            "subject": self.subject,
            "cell": self.cell,
            "at_utc": _iso(self.at_utc),
            "earliest_utc": _iso(self.earliest_utc),
            "latest_utc": _iso(self.latest_utc),
            "exhibit": self.exhibit,
            "phases": list(self.phases),
            "at_or_before": self.kind == "data",
        }


@dataclass(frozen=True, slots=True)
class SiteMarker:
    """A cell site: one mast (operator data) or one crowd-sourced estimate.

    Attributes:
        site_key: what makes it one site (:func:`~threadline.analysis.cell_site.sites_sql`).
        latitude: WGS84 latitude of the mast, or of the estimate.
        longitude: WGS84 longitude.
        position_basis: ``operator`` (a fact) or ``crowd-sourced-approximate`` (an estimate).
        approximate: whether the position is crowd-sourced.
        site_name: the operator's site name.
        address: the site address (with its postcode where listed).
        cells: each cell of the site with its count, ``{"cell", "records"}``, busiest first.
        records: how many of the chosen numbers' records name one of its cells.
        by_subject: those records per number.
        rows: the first :data:`ROW_CAP` rows, in time order.
        reference_rows: the ``cell_sites`` rows that describe the site's cells.
    """

    site_key: str
    latitude: float
    longitude: float
    position_basis: str
    approximate: bool
    site_name: str | None
    address: str | None
    cells: tuple[dict[str, Any], ...]
    records: int
    by_subject: dict[str, int]
    rows: tuple[MarkerRow, ...]
    reference_rows: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "kind": "cell_site",
            "site_key": self.site_key,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "position_basis": self.position_basis,
            "approximate": self.approximate,
            "site_name": self.site_name,
            "address": self.address,
            "cells": [dict(c) for c in self.cells],
            "records": self.records,
            "by_subject": dict(self.by_subject),
            "rows": [r.to_dict() for r in self.rows],
            "rows_shown": len(self.rows),
            "reference_rows": list(self.reference_rows),
        }


@dataclass(frozen=True, slots=True)
class CameraMarker:
    """An ANPR camera with the chosen VRMs' reads at it.

    Attributes:
        camera_id: the camera's identifier.
        latitude: WGS84 latitude of the camera.
        longitude: WGS84 longitude.
        position_source: ``camera list`` or ``reads`` (the export's own position).
        site_name: the camera's name or site.
        road: the road it watches.
        direction: the carriageway direction watched.
        reads: how many of the chosen VRMs' reads it made.
        by_subject: those reads per VRM.
        rows: the first :data:`ROW_CAP` reads, in time order.
        reference_rows: the ``anpr_cameras`` row describing it, if any.
    """

    camera_id: str
    latitude: float
    longitude: float
    position_source: str
    site_name: str | None
    road: str | None
    direction: str | None
    reads: int
    by_subject: dict[str, int]
    rows: tuple[MarkerRow, ...]
    reference_rows: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "kind": "anpr_camera",
            "camera_id": self.camera_id,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "position_source": self.position_source,
            "site_name": self.site_name,
            "road": self.road,
            "direction": self.direction,
            "reads": self.reads,
            "by_subject": dict(self.by_subject),
            "rows": [r.to_dict() for r in self.rows],
            "rows_shown": len(self.rows),
            "reference_rows": list(self.reference_rows),
        }


@dataclass(frozen=True, slots=True)
class CaseMap:
    """The markers of a case's map, with what they mean.

    Attributes:
        case_id: the case.
        numbers: the numbers asked about (E.164).
        vrms: the VRMs asked about (normalised).
        since: the period's start (UTC), if any.
        until: the period's end (UTC, exclusive), if any.
        sites: the cell sites with a position, busiest first.
        cameras: the ANPR cameras with a position, busiest first.
        unplaced_cells: cells the chosen numbers' records name that the reference data cannot
            place (not listed, or listed without a position), ``{"cell", "records"}``.
        unplaced_cameras: cameras the chosen VRMs' reads name with no position anywhere.
        caveats: the standard cell-site caveats, with the crowd-sourced one when a site's
            position is an estimate (requirement 25).
        statement: what the markers are and are not (:data:`MAP_STATEMENT`).
    """

    case_id: str
    numbers: tuple[str, ...]
    vrms: tuple[str, ...]
    since: datetime | None
    until: datetime | None
    sites: tuple[SiteMarker, ...]
    cameras: tuple[CameraMarker, ...]
    unplaced_cells: tuple[dict[str, Any], ...]
    unplaced_cameras: tuple[dict[str, Any], ...]
    caveats: tuple[str, ...]
    statement: str = MAP_STATEMENT
    camera_statement: str = _CAMERA_STATEMENT

    @property
    def row_ids(self) -> list[str]:
        """Every row listed on the map (what the consultation log records)."""
        out: set[str] = set()
        for site in self.sites:
            out.update(r.row_id for r in site.rows)
        for camera in self.cameras:
            out.update(r.row_id for r in camera.rows)
        return sorted(out)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "case_id": self.case_id,
            "numbers": list(self.numbers),
            "vrms": list(self.vrms),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "sites": [s.to_dict() for s in self.sites],
            "cameras": [c.to_dict() for c in self.cameras],
            "unplaced_cells": [dict(c) for c in self.unplaced_cells],
            "unplaced_cameras": [dict(c) for c in self.unplaced_cameras],
            "caveats": list(self.caveats),
            "statement": self.statement,
            "camera_statement": self.camera_statement,
            "time_basis": "UTC",
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _keys(kind: EntityKind, values: Iterable[str]) -> tuple[str, ...]:
    """Normalised keys, once each, sorted; blank entries ignored."""
    keys = sorted({normalise_entity_key(kind, v) for v in values if v.strip()})
    if len(keys) > MAX_SUBJECTS:
        raise ConfigError(f"a map may be drawn for at most {MAX_SUBJECTS} numbers or VRMs")
    return tuple(keys)


def case_map(
    ws: Workspace,
    case_reference: str,
    *,
    numbers: Sequence[str] = (),
    vrms: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    justification: str | None = None,
) -> CaseMap:
    """The case's cell sites and ANPR cameras, with the chosen numbers' and VRMs' rows on them.

    Args:
        ws: the workspace.
        case_reference: the case.
        numbers: numbers in any written form; their records are placed on their cells.
        vrms: registration marks in any written form; their reads are counted at their cameras.
        since: only rows from this instant (aware; UTC is used).
        until: only rows before this instant.
        justification: why the evidence is consulted (requirement 13).

    Every site and camera with a position is on the map, with a zero count when none of the
    chosen rows fall on it. Requirements 15, 20, 22, 25, 26, 27.

    Raises:
        ConfigError: a number or VRM cannot be normalised, too many were given, or the period
            ends before it starts.
        PermissionDenied: a justification is required and missing.
        NotFound: no such case.
        StoreError: the evidence could not be read.
    """
    chosen_numbers = _keys(EntityKind.NUMBER, numbers)
    chosen_vrms = _keys(EntityKind.VEHICLE, vrms)
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise ConfigError("a map's period needs times with their offset (UTC or +01:00)")
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and until <= since:
        raise ConfigError("the period must end after it starts")
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    files = evidence.paths(
        ("calls", "messages", "data_sessions", "cell_sites", "anpr_reads", "anpr_cameras")
    )
    con = ws.evidence.connect(files)
    try:
        params = {"since": since, "until": until}
        sites = run_select(con, sites_sql(), {})
        placed = (
            run_select(
                con,
                placements_sql(f"number IN (SELECT UNNEST($numbers)) AND {TIME_FILTER}")
                + " ORDER BY earliest_utc, exhibit_id, row_id, phase",
                {**params, "numbers": list(chosen_numbers)},
            )
            if chosen_numbers
            else []
        )
        cameras = run_select(con, CAMERAS_SQL, {})
        reads = (
            run_select(con, _READS_SQL, {**params, "vrms": list(chosen_vrms)})
            if chosen_vrms
            else []
        )
    finally:
        con.close()
    site_markers, unplaced_cells = _site_markers(sites, placed, evidence.exhibits)
    camera_markers, unplaced_cameras = _camera_markers(cameras, reads, evidence.exhibits)
    crowd = any(s.approximate for s in site_markers)
    result = CaseMap(
        case_id=evidence.case_id,
        numbers=chosen_numbers,
        vrms=chosen_vrms,
        since=since,
        until=until,
        sites=tuple(site_markers),
        cameras=tuple(camera_markers),
        unplaced_cells=tuple(unplaced_cells),
        unplaced_cameras=tuple(unplaced_cameras),
        caveats=tuple(caveats(crowd)),
    )
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "map.view",
            case_id=evidence.case_id,
            object_type="case",
            object_id=evidence.case_id,
            detail={
                # entity ids (hashes): a number or VRM itself never enters the log
                "numbers": [entity_id(EntityKind.NUMBER, n) for n in chosen_numbers],
                "vehicles": [entity_id(EntityKind.VEHICLE, v) for v in chosen_vrms],
                "since": _iso(since),
                "until": _iso(until),
                "row_ids": result.row_ids,
            },
            justification=justification,
        )
    return result


_READS_SQL: Final = """
    SELECT row_id, exhibit_id, vrm, camera_id, camera_name, latitude, longitude,
           read_utc AS at_utc,
           COALESCE(read_utc, read_earliest_utc) AS earliest_utc,
           COALESCE(read_utc, read_latest_utc) AS latest_utc
    FROM anpr_reads
    WHERE vrm IN (SELECT UNNEST($vrms))
      AND camera_id IS NOT NULL AND camera_id <> ''
      AND ($since IS NULL OR COALESCE(read_utc, read_latest_utc) >= $since)
      AND ($until IS NULL OR COALESCE(read_utc, read_earliest_utc) < $until)
    ORDER BY earliest_utc, exhibit_id, row_id
"""

_TABLE_OF: Final = {"call": "calls", "data": "data_sessions"}


def _placed_rows(
    placements: list[dict[str, Any]], exhibits: Mapping[str, str]
) -> dict[str, list[MarkerRow]]:
    """Cell -> one :class:`MarkerRow` per record naming it (a call whose start and end cells are
    the same is one record on that cell, with both phases)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for p in placements:
        key = (p["cell"], p["row_id"])
        if key in merged:
            merged[key]["phases"].append(p["phase"])
            continue
        merged[key] = {**p, "phases": [p["phase"]]}
    by_cell: dict[str, list[MarkerRow]] = {}
    for (cell, _), p in merged.items():
        by_cell.setdefault(cell, []).append(
            MarkerRow(
                row_id=p["row_id"],
                table=_TABLE_OF.get(p["medium"], "messages"),
                kind=p["medium"],
                subject=p["number"],
                cell=cell,
                at_utc=_utc(p["at_utc"]),
                earliest_utc=_utc(p["earliest_utc"]),
                latest_utc=_utc(p["latest_utc"]),
                exhibit=exhibits.get(p["exhibit_id"], p["exhibit_id"]),
                phases=tuple(p["phases"]),
            )
        )
    return by_cell


def _in_order(rows: list[MarkerRow]) -> tuple[MarkerRow, ...]:
    far = datetime.max.replace(tzinfo=UTC)
    return tuple(sorted(rows, key=lambda r: (r.earliest_utc or far, r.exhibit, r.row_id)))


def _by_subject(rows: Iterable[MarkerRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row.subject] = out.get(row.subject, 0) + 1
    return dict(sorted(out.items()))


def _site_markers(
    sites: list[dict[str, Any]], placements: list[dict[str, Any]], exhibits: Mapping[str, str]
) -> tuple[list[SiteMarker], list[dict[str, Any]]]:
    by_cell = _placed_rows(placements, exhibits)
    grouped: dict[str, list[dict[str, Any]]] = {}
    placed_cells: set[str] = set()
    for site in sites:
        if site["latitude"] is None or site["longitude"] is None:
            continue
        if not (-90 <= site["latitude"] <= 90 and -180 <= site["longitude"] <= 180):
            continue
        grouped.setdefault(site["site_key"], []).append(site)
        placed_cells.add(site["cell_id"])
    markers = []
    for key, cells in grouped.items():
        first = min(cells, key=lambda c: c["cell_id"])
        # a record naming two cells of one site (a call handed over between sectors) counts
        # once on the site, listed with the first of them
        distinct: dict[str, MarkerRow] = {}
        for c in sorted(cells, key=lambda c: c["cell_id"]):
            for row in by_cell.get(c["cell_id"], []):
                distinct.setdefault(row.row_id, row)
        rows = list(distinct.values())
        basis = str(first["position_basis"] or OPERATOR)
        address = ", ".join(p for p in (first["address"], first["postcode"]) if p) or None
        counts = sorted(
            ({"cell": c["cell_id"], "records": len(by_cell.get(c["cell_id"], []))} for c in cells),
            key=lambda c: (-c["records"], c["cell"]),
        )
        markers.append(
            SiteMarker(
                site_key=key,
                latitude=float(first["latitude"]),
                longitude=float(first["longitude"]),
                position_basis=basis,
                approximate=basis == CROWD_SOURCED,
                site_name=first["site_name"],
                address=address,
                cells=tuple(counts),
                records=len(rows),
                by_subject=_by_subject(rows),
                rows=_in_order(rows)[:ROW_CAP],
                reference_rows=tuple(sorted(c["site_row_id"] for c in cells)),
            )
        )
    markers.sort(key=lambda m: (-m.records, m.site_key))
    unplaced: list[dict[str, Any]] = [
        {"cell": cell, "records": len(rows)}
        for cell, rows in sorted(by_cell.items(), key=lambda item: (-len(item[1]), item[0]))
        if cell not in placed_cells
    ]
    return markers, unplaced


def _camera_markers(
    cameras: list[dict[str, Any]], reads: list[dict[str, Any]], exhibits: Mapping[str, str]
) -> tuple[list[CameraMarker], list[dict[str, Any]]]:
    listed = {c["camera_id"]: c for c in cameras}
    by_camera: dict[str, list[MarkerRow]] = {}
    read_position: dict[str, tuple[float, float, str | None]] = {}
    for r in reads:
        camera = r["camera_id"]
        by_camera.setdefault(camera, []).append(
            MarkerRow(
                row_id=r["row_id"],
                table="anpr_reads",
                kind="anpr read",
                subject=r["vrm"],
                cell=None,
                at_utc=_utc(r["at_utc"]),
                earliest_utc=_utc(r["earliest_utc"]),
                latest_utc=_utc(r["latest_utc"]),
                exhibit=exhibits.get(r["exhibit_id"], r["exhibit_id"]),
            )
        )
        if camera not in read_position and _valid(r["latitude"], r["longitude"]):
            read_position[camera] = (r["latitude"], r["longitude"], r["camera_name"])
    markers = []
    unplaced: list[tuple[int, str]] = []
    for camera in sorted(set(listed) | set(by_camera)):
        rows = by_camera.get(camera, [])
        info = listed.get(camera)
        if info is not None and _valid(info["latitude"], info["longitude"]):
            lat, lon, source = info["latitude"], info["longitude"], "camera list"
            name = info["site_name"]
        elif camera in read_position:
            lat, lon, name = read_position[camera]
            source = "reads"
        else:
            if rows:
                unplaced.append((-len(rows), camera))
            continue
        markers.append(
            CameraMarker(
                camera_id=camera,
                latitude=float(lat),
                longitude=float(lon),
                position_source=source,
                site_name=name if name is not None else (info or {}).get("site_name"),
                road=None if info is None else info["road"],
                direction=None if info is None else info["direction"],
                reads=len(rows),
                by_subject=_by_subject(rows),
                rows=_in_order(rows)[:ROW_CAP],
                reference_rows=() if info is None else (info["row_id"],),
            )
        )
    markers.sort(key=lambda m: (-m.reads, m.camera_id))
    return markers, [{"camera_id": c, "reads": -n} for n, c in sorted(unplaced)]


def _valid(latitude: float | None, longitude: float | None) -> bool:
    return (
        latitude is not None
        and longitude is not None
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
        and not (latitude == 0 and longitude == 0)  # a common "no position" placeholder
    )


# --- the basemap ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outline:
    """One area of the basemap.

    Attributes:
        code: the area's code (``E06000001``), or its TopoJSON id.
        name: its name (``Hartlepool``).
        rings: its polygons' rings, each a list of ``(longitude, latitude)`` in WGS84; the first
            ring of each polygon is its outside, any others holes (drawn alike as outlines).
    """

    code: str | None
    name: str | None
    rings: tuple[tuple[tuple[float, float], ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON, coordinates rounded to 4 decimal places (about 10 m)."""
        return {
            "code": self.code,
            "name": self.name,
            "rings": [[[round(x, 4), round(y, 4)] for x, y in ring] for ring in self.rings],
        }


@dataclass(frozen=True, slots=True)
class Basemap:
    """The outlines of a basemap, their bounds and the attribution to show with them."""

    outlines: tuple[Outline, ...]
    bounds: tuple[float, float, float, float]
    attribution: str = BASEMAP_ATTRIBUTION

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``{"available": true, "bounds": [w, s, e, n], ...}``."""
        return {
            "available": True,
            "attribution": self.attribution,
            "bounds": list(self.bounds),
            "outlines": [o.to_dict() for o in self.outlines],
        }


def _number(value: Any, source: str, locator: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParseError("expected a number", path=source, locator=locator)
    return float(value)


def _pair(value: Any, source: str, locator: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) < 2:
        raise ParseError("expected a position [x, y]", path=source, locator=locator)
    return _number(value[0], source, f"{locator}[0]"), _number(value[1], source, f"{locator}[1]")


def _decode_arcs(topology: Mapping[str, Any], source: str) -> list[list[tuple[float, float]]]:
    """Every arc in absolute coordinates: a quantised topology's positions are deltas from the
    previous position of the arc, scaled and translated by ``transform`` (TopoJSON spec §2.1.2)."""
    arcs = topology.get("arcs")
    if not isinstance(arcs, list):
        raise ParseError("a topology needs an 'arcs' array", path=source, locator="$.arcs")
    transform = topology.get("transform")
    scale: tuple[float, float] | None = None
    translate = (0.0, 0.0)
    if transform is not None:
        if not isinstance(transform, dict):
            raise ParseError("'transform' must be an object", path=source, locator="$.transform")
        scale = _pair(transform.get("scale"), source, "$.transform.scale")
        translate = _pair(transform.get("translate"), source, "$.transform.translate")
    decoded = []
    for i, arc in enumerate(arcs):
        if not isinstance(arc, list) or not arc:
            raise ParseError(
                "an arc must be a non-empty array", path=source, locator=f"$.arcs[{i}]"
            )
        points: list[tuple[float, float]] = []
        x = y = 0.0
        for j, position in enumerate(arc):
            dx, dy = _pair(position, source, f"$.arcs[{i}][{j}]")
            if scale is None:
                points.append((dx, dy))
                continue
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        decoded.append(points)
    return decoded


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, keeping both ends (so arcs shared by two areas still meet)."""
    if tolerance <= 0 or len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        worst, index = -1.0, -1
        for k in range(first + 1, last):
            px, py = points[k]
            if length == 0:
                distance = math.hypot(px - ax, py - ay)
            else:
                distance = abs(dy * (px - ax) - dx * (py - ay)) / length
            if distance > worst:
                worst, index = distance, k
        if index > 0 and worst > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _ring(
    indexes: Any, arcs: list[list[tuple[float, float]]], source: str, locator: str
) -> tuple[tuple[float, float], ...]:
    """A ring from its arc indexes: ``~i`` (``-i - 1``) is arc ``i`` reversed, and each arc after
    the first drops its first position (the last of the arc before)."""
    if not isinstance(indexes, list):
        raise ParseError("a ring must be an array of arc indexes", path=source, locator=locator)
    ring: list[tuple[float, float]] = []
    for k, index in enumerate(indexes):
        if isinstance(index, bool) or not isinstance(index, int):
            raise ParseError("an arc index must be an integer", path=source, locator=locator)
        real = index if index >= 0 else ~index
        if real >= len(arcs):
            raise ParseError(
                f"arc {index} does not exist ({len(arcs)} arcs)",
                path=source,
                locator=f"{locator}[{k}]",
            )
        arc = arcs[real] if index >= 0 else arcs[real][::-1]
        ring.extend(arc if not ring else arc[1:])
    return tuple(ring)


def decode_topojson(
    topology: Any,
    *,
    source: str = "TopoJSON",
    object_name: str | None = None,
    tolerance: float = 0.0,
) -> Basemap:
    """The polygons of a TopoJSON topology as outlines (a decoder of the documented format:
    quantised, delta-encoded arcs; rings of arc indexes, negative meaning reversed).

    Args:
        topology: the parsed JSON.
        source: the file's name, for errors.
        object_name: which object to read; default the first.
        tolerance: Douglas-Peucker tolerance in coordinate units (0 keeps every position).

    Point and line geometries are skipped (a basemap draws areas). Area names come from the
    properties ``LAD13NM``/``name`` and codes from ``LAD13CD``/``code`` or the geometry's id.

    Raises:
        ParseError: the data is not a topology of that shape (the place named).
    """
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise ParseError("not a TopoJSON topology (type 'Topology')", path=source, locator="$")
    objects = topology.get("objects")
    if not isinstance(objects, dict) or not objects:
        raise ParseError("a topology needs 'objects'", path=source, locator="$.objects")
    name = object_name if object_name is not None else next(iter(objects))
    found = objects.get(name)
    if not isinstance(found, dict):
        raise ParseError(f"no object {name!r}", path=source, locator="$.objects")
    arcs = [_simplify(a, tolerance) for a in _decode_arcs(topology, source)]
    geometries = found.get("geometries") if found.get("type") == "GeometryCollection" else [found]
    if not isinstance(geometries, list):
        raise ParseError("'geometries' must be an array", path=source, locator=f"$.objects.{name}")
    outlines = []
    for g, geometry in enumerate(geometries):
        where = f"$.objects.{name}.geometries[{g}]"
        if not isinstance(geometry, dict):
            raise ParseError("a geometry must be an object", path=source, locator=where)
        kind = geometry.get("type")
        polygons: Any
        if kind == "Polygon":
            polygons = [geometry.get("arcs")]
        elif kind == "MultiPolygon":
            polygons = geometry.get("arcs")
        else:
            continue
        if not isinstance(polygons, list):
            raise ParseError("'arcs' must be an array", path=source, locator=f"{where}.arcs")
        rings = []
        for p, polygon in enumerate(polygons):
            if not isinstance(polygon, list):
                raise ParseError(
                    "a polygon must be an array of rings", path=source, locator=f"{where}.arcs"
                )
            for r, indexes in enumerate(polygon):
                ring = _ring(indexes, arcs, source, f"{where}.arcs[{p}][{r}]")
                if len(ring) >= 3:
                    rings.append(ring)
        properties = geometry.get("properties")
        props = properties if isinstance(properties, dict) else {}
        code = props.get("LAD13CD") or props.get("code") or geometry.get("id")
        label = props.get("LAD13NM") or props.get("name")
        outlines.append(
            Outline(
                None if code is None else str(code),
                None if label is None else str(label),
                tuple(rings),
            )
        )
    xs = [x for o in outlines for ring in o.rings for x, _ in ring]
    ys = [y for o in outlines for ring in o.rings for _, y in ring]
    bounds = (min(xs), min(ys), max(xs), max(ys)) if xs else (0.0, 0.0, 0.0, 0.0)
    return Basemap(tuple(outlines), bounds)


def basemap(settings: Settings) -> Basemap | None:
    """The basemap the settings name (:attr:`Settings.basemap_path`), decoded and simplified;
    ``None`` when none is configured (the map works without one).

    Raises:
        ParseError: the file cannot be read as TopoJSON (the file and place named).
    """
    path = settings.basemap_path
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ParseError(f"the basemap cannot be read: {exc.strerror}", path=str(path)) from exc
    except ValueError as exc:
        raise ParseError(f"the basemap is not JSON: {exc}", path=str(path)) from exc
    return decode_topojson(data, source=str(path), tolerance=SIMPLIFY_DEGREES)


@dataclass
class BasemapCache:
    """Decoded basemaps kept for the life of a process, one per file (and its modification time,
    so a replaced file is read again). The application owns one (``app.state``); nothing here is
    module-level."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cached: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def get(self, settings: Settings) -> dict[str, Any]:
        """The basemap as plain JSON data; ``{"available": false, ...}`` when none is set.

        Raises:
            ParseError: the configured file cannot be read as TopoJSON.
        """
        path = settings.basemap_path
        if path is None:
            return {"available": False, "attribution": None, "bounds": None, "outlines": []}
        try:
            stamp = Path(path).stat().st_mtime_ns
        except OSError as exc:
            raise ParseError(f"the basemap cannot be read: {exc.strerror}", path=str(path)) from exc
        key = (str(path), stamp)
        with self._lock:
            found = self._cached.get(key)
            if found is None:
                decoded = basemap(settings)
                found = decoded.to_dict() if decoded is not None else {"available": False}
                self._cached.clear()  # one basemap per deployment: keep only the latest
                self._cached[key] = found
            return found
