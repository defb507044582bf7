"""The case timeline: every event of a case's evidence in one chronological view.

Calls, messages, data sessions, location fixes, media files (by the time their metadata says
they were taken) and ANPR reads (:data:`EVENT_TIMES` names each
event table's time) are listed together in time order, filtered by table, exhibit, entity (a
number, handset, SIM, vehicle or name, found through
:data:`threadline.model.entity_keys.IDENTIFIER_COLUMNS`) and date range. Each event carries its
time in UTC and in UK local time labelled GMT or BST, and what is needed to trace it to the
exhibit row: row id, exhibit reference and locator (requirement 20).

Times are never guessed (requirement 22). An event whose local time was ambiguous (the repeated
autumn hour) or nonexistent (the spring gap), or a handset's wall-clock time whose zone is not
known (``zone_unknown``: anywhere from UTC-12 to UTC+14), has no single instant: it is placed by
its earliest reading, flagged with its status, and shown with both readings and both labels. An
event whose time could not be read at all comes after every timed event. The order is therefore
(exact time or earliest reading, row id, table), and a date range applies to that same instant.

Pages are fetched by keyset: each page returns an opaque cursor naming the last event shown and
the filters it was shown under; the next page starts strictly after it, so pages join up with no
repeat and no gap however large the case is. A cursor that has been altered, or that belongs to
other filters, is refused.

Viewing a page is logged as one consultation (requirement 15): action ``evidence.timeline``, with
the filters (the entity as its id, never its key), the total and the row ids shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from threadline.errors import ConfigError, NotFound
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import (
    EVENT_TIMES,
    IDENTIFIER_COLUMNS,
    EntityKind,
    columns_for,
    entity_id,
)
from threadline.services.entities import (
    TIME_PARTS,
    CaseEvidence,
    EventTime,
    LocalReading,
    cell_column,
    entity_filters,
    event_time,
    ident,
    load_hits,
    natural_key,
    normalise_entity_key,
    optional,
    read_case_evidence,
    run_select,
    time_select,
)
from threadline.services.workspace import Workspace
from threadline.store.evidence_store import QueryConnection

__all__ = [
    "MAX_LIMIT",
    "EventTime",
    "LocalReading",
    "Party",
    "TimelineEvent",
    "TimelineFilters",
    "TimelinePage",
    "timeline",
]

#: The most events one page may hold.
MAX_LIMIT: Final = 1000

#: Kinds whose columns are listed as an event's parties (numbers and vehicles).
_PARTY_KINDS: Final = (EntityKind.NUMBER, EntityKind.VEHICLE)

_CURSOR_VERSION: Final = "t1"
_HEX32: Final = re.compile(r"^[0-9a-f]{32}$")
_NO_TIME: Final = "n"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Party:
    """A party to an event: a number or a vehicle, as normalised and as written.

    Attributes:
        column: the column holding it (``a_party``, ``b_party``, ``party``, ``vrm`` ...).
        role: what it is to the event, as a user reads it (``calling party``).
        kind: number or vehicle.
        value: the normalised value (E.164, VRM); ``None`` when the source's text does not
            normalise (a withheld marker, a sender name).
        original: the value exactly as the source wrote it.
        entity_id: the entity id of ``value`` (for a link to its profile), when normalised.
    """

    column: str
    role: str
    kind: EntityKind
    value: str | None
    original: str | None
    entity_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "column": self.column,
            "role": self.role,
            "kind": self.kind.value,
            "value": self.value,
            "original": self.original,
            "entity_id": self.entity_id,
        }


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event, traceable to its exhibit row.

    Attributes:
        row_id: the row's id (the same in ``source_rows``: requirement 23).
        table: the event table (``calls``, ``messages``, ``data_sessions``, ``locations``,
            ``anpr_reads``).
        exhibit_id: the exhibit's id.
        exhibit: the exhibit's reference (``DC/3``).
        locator: where in the exhibit (``row=1842``).
        time: when: exact UTC, or the earliest and latest readings with the status, each with
            its UK local time and GMT/BST label, the original text and the time basis.
        direction: the row's direction (for ANPR, the direction of travel), where recorded.
        parties: the numbers and vehicle on the row, in column order (only those present).
        duration_s: duration in seconds, where recorded.
        cell: the serving cell at the start, where recorded.
        detail: what else names the event: a media file's name.
    """

    row_id: str
    table: str
    exhibit_id: str
    exhibit: str
    locator: str
    time: EventTime
    direction: str | None
    parties: tuple[Party, ...]
    duration_s: int | None
    cell: str | None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "exhibit_id": self.exhibit_id,
            "exhibit": self.exhibit,
            "locator": self.locator,
            "time": self.time.to_dict(),
            "direction": self.direction,
            "parties": [p.to_dict() for p in self.parties],
            "duration_s": self.duration_s,
            "cell": self.cell,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class TimelineFilters:
    """The filters a page was drawn under, normalised.

    Attributes:
        tables: the event tables shown.
        exhibits: exhibit references, or empty for every exhibit.
        entity_kind: the kind of the entity filtered on, if any.
        entity_key: its normalised key (E.164, IMEI key ...).
        entity_id: its entity id.
        start: events at or after this instant (UTC), if given.
        end: events before this instant (UTC), if given.
    """

    tables: tuple[str, ...]
    exhibits: tuple[str, ...]
    entity_kind: EntityKind | None
    entity_key: str | None
    entity_id: str | None
    start: datetime | None
    end: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "tables": list(self.tables),
            "exhibits": list(self.exhibits),
            "entity_kind": None if self.entity_kind is None else self.entity_kind.value,
            "entity_key": self.entity_key,
            "entity_id": self.entity_id,
            "start": _iso(self.start),
            "end": _iso(self.end),
        }

    def audit_detail(self) -> dict[str, Any]:
        """The filters as logged: the entity by its id only (its key is personal data)."""
        return {
            "tables": list(self.tables),
            "exhibits": list(self.exhibits),
            "entity": None
            if self.entity_kind is None
            else {"kind": self.entity_kind.value, "entity_id": self.entity_id},
            "start": _iso(self.start),
            "end": _iso(self.end),
        }


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """One page of the timeline.

    Attributes:
        case: the case reference.
        filters: the filters, normalised.
        events: the events, in order.
        total: how many events match the filters (all pages).
        limit: the page size asked for.
        next_cursor: pass as ``after`` for the next page; ``None`` on the last page.
    """

    case: str
    filters: TimelineFilters
    events: tuple[TimelineEvent, ...]
    total: int
    limit: int
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "filters": self.filters.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "total": self.total,
            "limit": self.limit,
            "next_cursor": self.next_cursor,
        }


@dataclass(frozen=True, slots=True)
class _Position:
    """Where a cursor points: the last event shown, by (time, row id, table)."""

    time: datetime | None
    row_id: str
    table: str


def timeline(
    ws: Workspace,
    case_reference: str,
    *,
    tables: Sequence[str] | None = None,
    exhibits: Sequence[str] | None = None,
    entity: tuple[EntityKind, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
    after: str | None = None,
    justification: str | None = None,
) -> TimelinePage:
    """One page of the case's events in time order, filtered.

    Args:
        ws: the workspace.
        case_reference: the case (``OP-CEDAR``).
        tables: event tables to show (default all of :data:`EVENT_TIMES`).
        exhibits: exhibit references to show (default all).
        entity: ``(kind, key)``: only events whose identifier columns hold it; the key as the
            user wrote it (``07700 900123``), normalised here.
        start: only events at or after this aware instant.
        end: only events before this aware instant.
        limit: events per page (1 to :data:`MAX_LIMIT`).
        after: the ``next_cursor`` of the previous page, to continue from it.
        justification: why the evidence is consulted (mandatory under force policy,
            requirement 13).

    Returns:
        The :class:`TimelinePage`.

    Raises:
        ConfigError: an unknown table, a naive or reversed date range, a key that cannot be
            normalised, a page size out of range, or a cursor that is damaged or belongs to
            other filters.
        NotFound: no such case, or no such exhibit in it.
        PermissionDenied: a justification is required and missing (checked before reading).
        StoreError: the evidence could not be read.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be from 1 to {MAX_LIMIT}")
    chosen = _check_tables(tables)
    start_utc, end_utc = _check_range(start, end)
    kind_key = None
    if entity is not None:
        kind = _entity_kind(entity[0])
        kind_key = (kind, normalise_entity_key(kind, entity[1]))
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    exhibit_ids = _exhibit_ids(evidence, exhibits)
    filters = TimelineFilters(
        tables=chosen,
        exhibits=tuple(sorted((evidence.exhibits[e] for e in exhibit_ids or ()), key=natural_key)),
        entity_kind=None if kind_key is None else kind_key[0],
        entity_key=None if kind_key is None else kind_key[1],
        entity_id=None if kind_key is None else entity_id(*kind_key),
        start=start_utc,
        end=end_utc,
    )
    fingerprint = _fingerprint(evidence.case_id, filters, exhibit_ids)
    position = None if after is None else _decode_cursor(after, fingerprint)
    events, total, more = _read_page(ws, evidence, filters, exhibit_ids, position, limit)
    next_cursor = None
    if more and events:
        last = events[-1]
        next_cursor = _encode_cursor(
            _Position(last.time.sort_utc, last.row_id, last.table), fingerprint
        )
    page = TimelinePage(evidence.case_reference, filters, events, total, limit, next_cursor)
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "evidence.timeline",
            case_id=evidence.case_id,
            object_type="timeline",
            detail={
                "filters": filters.audit_detail(),
                "continued": after is not None,
                "total": total,
                "row_ids": [e.row_id for e in events],
            },
            justification=justification,
        )
    return page


# --- checking the request ---------------------------------------------------------------------


def _check_tables(tables: Sequence[str] | None) -> tuple[str, ...]:
    if tables is None:
        return tuple(EVENT_TIMES)
    if isinstance(tables, str):
        tables = [tables]
    unknown = sorted({t for t in tables if t not in EVENT_TIMES})
    if unknown:
        raise ConfigError(
            f"not an event table: {', '.join(unknown)}; the timeline shows {', '.join(EVENT_TIMES)}"
        )
    if not tables:
        raise ConfigError(f"choose at least one event table: {', '.join(EVENT_TIMES)}")
    # the schema's order, so that the same choice always gives the same filters
    return tuple(t for t in EVENT_TIMES if t in set(tables))


def _entity_kind(value: EntityKind | str) -> EntityKind:
    try:
        return EntityKind(value)
    except ValueError as exc:
        raise ConfigError(
            f"not a kind of entity: {value!r}; kinds: {', '.join(k.value for k in EntityKind)}"
        ) from exc


def _check_range(
    start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    for name, value in (("start", start), ("end", end)):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ConfigError(
                f"the timeline's {name} must say its time zone (UTC or UK local); "
                "a time without one would have to be guessed"
            )
    start_utc = None if start is None else start.astimezone(UTC)
    end_utc = None if end is None else end.astimezone(UTC)
    if start_utc is not None and end_utc is not None and start_utc >= end_utc:
        raise ConfigError("the timeline's start must be before its end")
    return start_utc, end_utc


def _exhibit_ids(
    evidence: CaseEvidence, references: Sequence[str] | None
) -> tuple[str, ...] | None:
    """Exhibit ids for the references given (case-insensitive), or ``None`` for all."""
    if references is None:
        return None
    if isinstance(references, str):
        references = [references]
    by_reference = {ref.strip().upper(): i for i, ref in evidence.exhibits.items()}
    ids = []
    for reference in references:
        found = by_reference.get(reference.strip().upper())
        if found is None:
            raise NotFound(f"no exhibit {reference!r} in case {evidence.case_reference}")
        ids.append(found)
    return tuple(sorted(set(ids)))


# --- cursors ----------------------------------------------------------------------------------


def _fingerprint(case_id: str, filters: TimelineFilters, exhibit_ids: Sequence[str] | None) -> str:
    """A short hash of what a cursor's position is a position in."""
    text = json.dumps(
        {
            "case": case_id,
            "tables": list(filters.tables),
            "exhibits": None if exhibit_ids is None else list(exhibit_ids),
            "entity": filters.entity_id,
            "start": _iso(filters.start),
            "end": _iso(filters.end),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_digest(body: str) -> str:
    return hashlib.sha256(body.encode("ascii")).hexdigest()[:12]


def _encode_cursor(position: _Position, fingerprint: str) -> str:
    """The opaque text naming the last event of a page under one set of filters."""
    if position.time is None:
        when = _NO_TIME
    else:
        delta = position.time.astimezone(UTC) - _EPOCH
        when = str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    body = ".".join((_CURSOR_VERSION, when, position.row_id, position.table, fingerprint))
    text = f"{body}.{_check_digest(body)}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> _Position:
    """Read a cursor back, refusing one that is damaged or belongs to other filters.

    Raises:
        ConfigError: the cursor is not one this timeline issued, or was issued for other
            filters (or another case).
    """
    damaged = ConfigError(
        "the timeline position (cursor) is damaged or not one Threadline issued; "
        "start again from the first page"
    )
    text = cursor.strip()
    if not text or len(text) > 400 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise damaged
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise damaged from exc
    parts = raw.split(".")
    if len(parts) != 6:
        raise damaged
    version, when, row_id, table, issued_for, digest = parts
    if digest != _check_digest(".".join(parts[:5])) or version != _CURSOR_VERSION:
        raise damaged
    if not _HEX32.match(row_id) or table not in EVENT_TIMES:
        raise damaged
    if issued_for != fingerprint:
        raise ConfigError(
            "this timeline position (cursor) was issued for other filters; start again from "
            "the first page"
        )
    if when == _NO_TIME:
        return _Position(None, row_id, table)
    if not re.fullmatch(r"-?\d{1,19}", when):
        raise damaged
    try:
        instant = _EPOCH + timedelta(microseconds=int(when))
    except OverflowError as exc:
        raise damaged from exc
    return _Position(instant, row_id, table)


# --- reading the page -------------------------------------------------------------------------


def _party_slots() -> tuple[tuple[str, EntityKind], ...]:
    """Every party column of the event tables (``a_party`` ... ``vrm``), in schema order."""
    seen: dict[str, EntityKind] = {}
    for kind in _PARTY_KINDS:
        for column in IDENTIFIER_COLUMNS[kind]:
            if column.table in EVENT_TIMES:
                seen.setdefault(column.column, kind)
    return tuple(seen.items())


def _event_select(table: str) -> str:
    """A table's events in the timeline's common shape (``t_*`` times, party slots ...)."""
    slots = []
    for column, kind in _party_slots():
        present = any(c.column == column for c in columns_for(kind, table))
        original = f"{column}_original"
        slots.append(optional(table, column if present else None, column))
        slots.append(optional(table, original if present else None, original))
    return (
        f"SELECT '{ident(table)}' AS tbl, row_id, exhibit_id, locator, {time_select(table)}, "
        f"{optional(table, 'direction', 'direction')}, {', '.join(slots)}, "
        f"{optional(table, 'duration_s', 'duration_s', 'BIGINT')}, "
        f"{optional(table, cell_column(table), 'cell')}, "
        f"{optional(table, 'file_name', 'detail')} FROM {ident(table)}"
    )


def _earliest(table: str) -> str:
    return ident(EVENT_TIMES[table] + TIME_PARTS["earliest"][0])


#: Rows of an event table that are not events: a media file whose metadata records no time at
#: all (not even unreadable text) was not taken at any known moment; the media view lists it.
_NOT_EVENTS: Final = MappingProxyType({"media": "taken_status IS NOT NULL"})


def _base_clauses(table: str, filters: TimelineFilters) -> list[str]:
    """The filter clauses every branch of ``table`` carries: which rows are events, and the
    date range.

    Exhibits need no clause: the connection is opened over the chosen exhibits' files only.
    """
    clauses = [_NOT_EVENTS[table]] if table in _NOT_EVENTS else []
    if filters.start is not None:
        clauses.append(f"{_earliest(table)} >= $start")
    if filters.end is not None:
        clauses.append(f"{_earliest(table)} < $end")
    return clauses


def _after_clause(table: str, position: _Position, column: str | None = None) -> str:
    """Rows strictly after the cursor in (time, row id, table) order.

    The time comparison leads, so that DuckDB can push it into the Parquet scan; rows without
    a time come after every timed row.

    Args:
        table: the table the clause is for.
        position: the cursor.
        column: the time column to compare (default the table's earliest-reading column).
    """
    earliest = column or _earliest(table)
    tbl = "tbl" if column else f"'{ident(table)}'"
    tie = f"(row_id > $after_row OR (row_id = $after_row AND {tbl} > $after_table))"
    if position.time is None:
        return f"{earliest} IS NULL AND {tie}"
    return f"{earliest} >= $after_time AND ({earliest} > $after_time OR {tie})"


def _where(*clauses: str | None) -> str:
    present = [c for c in clauses if c]
    return f" WHERE {' AND '.join(present)}" if present else ""


_ORDER: Final = " ORDER BY t_earliest NULLS LAST, row_id, tbl"


def _read_page(
    ws: Workspace,
    evidence: CaseEvidence,
    filters: TimelineFilters,
    exhibit_ids: tuple[str, ...] | None,
    position: _Position | None,
    limit: int,
) -> tuple[tuple[TimelineEvent, ...], int, bool]:
    """The page's events, the total, and whether more follow. No case-store session is open."""
    files = evidence.paths(filters.tables, exhibit_ids)
    tables = [t for t in filters.tables if t in files]
    if filters.entity_kind is not None:
        tables = [t for t in tables if columns_for(filters.entity_kind, t)]
    if not tables:
        return (), 0, False
    params: dict[str, Any] = {}
    if filters.start is not None:
        params["start"] = filters.start
    if filters.end is not None:
        params["end"] = filters.end
    after: dict[str, Any] = {}
    if position is not None:
        after = {"after_row": position.row_id, "after_table": position.table}
        if position.time is not None:
            after["after_time"] = position.time
    con = ws.evidence.connect(files)
    try:
        if filters.entity_kind is not None and filters.entity_key is not None:
            entity = (filters.entity_kind, filters.entity_key)
            total, rows = _entity_page(con, filters, entity, tables, params, after, position, limit)
        else:
            total, rows = _case_page(
                con, evidence, filters, exhibit_ids, tables, params, after, position, limit
            )
    finally:
        con.close()
    more = len(rows) > limit
    events = tuple(_event(r, evidence) for r in rows[:limit])
    return events, total, more


def _entity_page(
    con: QueryConnection,
    filters: TimelineFilters,
    entity: tuple[EntityKind, str],
    tables: Sequence[str],
    params: dict[str, Any],
    after: dict[str, Any],
    position: _Position | None,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """Total and page of the events holding one entity.

    Every event of the entity (within the date range) is read once, in one pass whose filters
    DuckDB pushes into the scan (one branch per column that can hold it), and kept in memory;
    the total and the page are then counted and sorted there. One entity's events are few
    beside the case's.
    """
    kind, key = entity
    branches = [
        _event_select(table) + _where(clause, *_base_clauses(table, filters))
        for table in tables
        for clause in entity_filters(kind, table)
    ]
    params = params | {"key": key.lower() if kind is EntityKind.PERSON else key}
    total = load_hits(con, " UNION ALL ".join(branches), params)
    cursor = "" if position is None else _where(_after_clause("", position, "t_earliest"))
    rows = run_select(
        con, f"SELECT * FROM hits{cursor}{_ORDER} LIMIT $limit", after | {"limit": limit + 1}
    )
    return total, rows


def _case_page(
    con: QueryConnection,
    evidence: CaseEvidence,
    filters: TimelineFilters,
    exhibit_ids: Sequence[str] | None,
    tables: Sequence[str],
    params: dict[str, Any],
    after: dict[str, Any],
    position: _Position | None,
    limit: int,
) -> tuple[int, list[dict[str, Any]]]:
    """Total and page of the case's events (no entity filter).

    The page is found in two steps, so that the wide columns are read only around the page:
    first, reading the time column alone, the total and the time of the ``limit + 1``-th
    timed event after the cursor; then the events up to that time, with the bound pushed into
    the Parquet scan. Events without a time come after all timed ones (and match no date
    range).
    """
    ranged = filters.start is not None or filters.end is not None
    # the case store's row counts include rows that are not events (see _NOT_EVENTS)
    counted = ranged or any(t in _NOT_EVENTS for t in tables)
    times = " UNION ALL ".join(
        f"SELECT {_earliest(t)} AS t FROM {ident(t)}" + _where(*_base_clauses(t, filters))
        for t in tables
    )
    later = "t IS NOT NULL"
    if position is not None:
        later = "FALSE" if position.time is None else "t > $after_time"
    stats = run_select(
        con,
        f"WITH u AS MATERIALIZED ({times}) SELECT "
        + ("(SELECT count(*) FROM u)" if counted else "NULL")
        + f" AS n, (SELECT t FROM u WHERE {later} ORDER BY t LIMIT 1 OFFSET $offset) AS bound",
        params
        | {"offset": limit}
        | ({"after_time": after["after_time"]} if "after_time" in after else {}),
    )[0]
    # without a date range the case store's row counts give the total without reading rows
    total = int(stats["n"]) if counted else sum(evidence.rows(t, exhibit_ids) for t in tables)
    bound = stats["bound"]
    branches = []
    for table in tables:
        base = _base_clauses(table, filters)
        earliest = _earliest(table)
        if position is None or position.time is not None:
            timed = f"{earliest} IS NOT NULL"
            if position is not None:
                timed = _after_clause(table, position)
            if bound is not None:
                timed += f" AND {earliest} <= $bound"
            branches.append(_event_select(table) + _where(timed, *base))
        if bound is None and not ranged:
            # the untimed tail, after every timed event
            tail = f"{earliest} IS NULL"
            if position is not None and position.time is None:
                tail = _after_clause(table, position)
            branches.append(_event_select(table) + _where(tail, *base))
    used = params | after | {"limit": limit + 1}
    if bound is not None:
        used["bound"] = bound
    rows = run_select(con, " UNION ALL ".join(branches) + _ORDER + " LIMIT $limit", used)
    return total, rows


def _event(r: dict[str, Any], evidence: CaseEvidence) -> TimelineEvent:
    table = r["tbl"]
    labels = {c.column: c.role for kind in _PARTY_KINDS for c in columns_for(kind, table)}
    parties = []
    for column, kind in _party_slots():
        if column not in labels:
            continue
        value, original = r[column], r[f"{column}_original"]
        if value is None and not (original or "").strip():
            continue
        parties.append(
            Party(
                column=column,
                role=labels[column],
                kind=kind,
                value=value,
                original=original,
                entity_id=None if value is None else entity_id(kind, value),
            )
        )
    return TimelineEvent(
        row_id=r["row_id"],
        table=table,
        exhibit_id=r["exhibit_id"],
        exhibit=evidence.exhibits.get(r["exhibit_id"], r["exhibit_id"]),
        locator=r["locator"],
        time=event_time(
            r["t_status"],
            r["t_utc"],
            r["t_earliest"],
            r["t_latest"],
            r["t_original"],
            r["time_basis"],
        ),
        direction=r["direction"],
        parties=tuple(parties),
        duration_s=r["duration_s"],
        cell=r["cell"],
        detail=r["detail"],
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
