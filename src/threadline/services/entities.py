"""Entity profiles: what a case's evidence says about one number, handset, SIM, vehicle or name.

A profile gathers, across every exhibit of the case, the rows whose identifier columns hold the
entity (:data:`threadline.model.entity_keys.IDENTIFIER_COLUMNS` says which columns those are):
counts per table, role and direction, first and last seen, the exhibits it appears in, the
spellings the sources used, the other parties it dealt with, the identifiers seen with it and the
cells that served it, and a page of the rows themselves. Every line carries what is needed to
trace it to the exhibit row (``row_id``, exhibit reference, locator: requirement 20).

Two rules keep the profile honest:

* **Times are never guessed** (requirement 22). First and last seen use exact times only; rows
  whose time is ambiguous (the repeated autumn hour), nonexistent (the spring gap) or unreadable
  are counted separately, and each event carries its earliest and latest readings and status.
* **Identifiers on a row belong to the row's subscriber.** A network return's IMEI, IMSI and
  serving cell are the *target's*, not the other party's: a number seen as the other party of a
  call is not linked to the target's handset, SIM or cell. Links and cells are therefore counted
  only on rows where the entity is the subscriber (its column is the one ``target_role`` names,
  or the table has no other party at all, as a data session or a device record).

Consulting a profile is logged as one consultation (requirement 15): action ``entity.profile``,
object the entity's id (a hash: the number itself never enters the log), with the row ids
returned. The evidence is read with DuckDB outside any case-store transaction (see
:func:`threadline.services.query.run_sql` for why).

This module also holds what the timeline (:mod:`threadline.services.timeline`) shares with it:
key normalisation, event times with their UK local readings, and reading the case's files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.analysis.evidence import Evidence
from threadline.errors import ConfigError, StoreError
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import (
    EVENT_TIMES,
    IDENTIFIER_COLUMNS,
    EntityKind,
    IdentifierColumn,
    columns_for,
    entity_id,
)
from threadline.model.evidence_schema import table as schema_table
from threadline.model.imei import normalise_imei
from threadline.model.imsi import normalise_imsi
from threadline.model.phone import normalise_phone
from threadline.model.time_basis import TimeStatus, uk_local
from threadline.model.vrm import normalise_vrm
from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.evidence_store import DerivedTable, QueryConnection
from threadline.store.tables import EvidenceFileRow, ExhibitRow, IngestRunRow

__all__ = [
    "MAX_EVENTS_LIMIT",
    "TOP_LIMIT",
    "CaseEvidence",
    "CellUse",
    "Counterpart",
    "EntityProfile",
    "EventTime",
    "ExhibitPresence",
    "LinkedIdentifier",
    "LocalReading",
    "ProfileEvent",
    "RoleCount",
    "Spelling",
    "TableCount",
    "entity_profile",
    "event_time",
    "normalise_entity_key",
]

#: How many counterparts, linked identifiers and cells a profile lists (the busiest first).
TOP_LIMIT: Final = 25

#: The most events one page of a profile may ask for.
MAX_EVENTS_LIMIT: Final = 1000

#: The other party of a row, for each party column: a caller's other party is the called
#: party and the reverse; a forwarded-to party (C) received the call from the party that
#: forwarded it (B).
_OTHER_PARTY: Final = MappingProxyType(
    {"a_party": "b_party", "b_party": "a_party", "c_party": "b_party"}
)

#: Columns that name the serving cell of an event table, in order of preference.
_CELL_COLUMNS: Final = ("start_cell", "cell")

#: Every name written into SQL comes from the schema; this guards against a mistake there.
_IDENTIFIER: Final = re.compile(r"^[a-z_][a-z0-9_]*$")

#: Spaces in names are compared collapsed (as :func:`entity_id` does).
_SPACES_SQL: Final = r"lower(regexp_replace(trim({col}), '\s+', ' ', 'g'))"


# --- keys -------------------------------------------------------------------------------------


def normalise_entity_key(kind: EntityKind, key: str) -> str:
    """The normalised key of an identifier as a user typed it.

    Numbers become E.164 (``07700 900123`` and ``+44 7700 900123`` give ``+447700900123``,
    requirement 59); IMEIs their first 14 digits, the key handsets match on (requirement 24);
    IMSIs their digits; VRMs upper case without spaces (requirement 61); names keep their
    letters with runs of space collapsed (they are compared without regard to case).

    Raises:
        ConfigError: the text cannot be a key of that kind; the message says why without
            repeating the value (it is personal data).
    """
    text = key.strip()
    if kind is EntityKind.NUMBER:
        phone = normalise_phone(text)
        if phone.e164 is None:
            reads_as = phone.kind.value.replace("_", " ")
            raise ConfigError(
                f"the telephone number given cannot be normalised to E.164 (it reads as "
                f"{reads_as}); give the number with its area or mobile prefix, e.g. "
                "07700 900123 or +44 7700 900123"
            )
        return phone.e164
    if kind is EntityKind.HANDSET:
        imei = normalise_imei(text)
        if imei.key is None:
            raise ConfigError(
                f"the IMEI given cannot be used ({imei.note}); give its 14, 15 or 16 digits"
            )
        return imei.key
    if kind is EntityKind.SIM:
        imsi = normalise_imsi(text)
        if imsi.value is None:
            raise ConfigError(f"the IMSI given cannot be used ({imsi.note}); give its digits")
        return imsi.value
    if kind is EntityKind.VEHICLE:
        vrm = normalise_vrm(text)
        if vrm is None:
            raise ConfigError(
                "the vehicle registration mark given cannot be used: give its letters and "
                "digits, e.g. AB12 CDE"
            )
        return vrm.value
    name = " ".join(text.split())
    if not name:
        raise ConfigError("the name given is empty: give the name as an exhibit records it")
    return name


def _match_value(kind: EntityKind, key: str) -> str:
    """The value the SQL predicate compares with (names without regard to case)."""
    return key.lower() if kind is EntityKind.PERSON else key


# --- times ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalReading:
    """One UTC instant shown as UK wall-clock time.

    Attributes:
        utc: the instant, in UTC.
        local: the same instant in Europe/London (aware: its offset is +00:00 or +01:00).
        label: ``GMT`` or ``BST``, the UK time in force at that instant.
    """

    utc: datetime
    local: datetime
    label: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output (ISO 8601 text)."""
        return {"utc": _iso(self.utc), "local": self.local.isoformat(), "label": self.label}


def _reading(instant: datetime | None) -> LocalReading | None:
    if instant is None:
        return None
    utc = instant.astimezone(UTC)
    local, label = uk_local(utc)
    return LocalReading(utc, local, label)


@dataclass(frozen=True, slots=True)
class EventTime:
    """When an event happened, exactly or as the range of readings its source allows.

    Attributes:
        status: ``exact``, ``ambiguous`` (the repeated autumn hour), ``nonexistent`` (the spring
            gap), ``unparsed`` or ``out_of_range`` (:class:`TimeStatus`).
        utc: the instant when exact, else ``None``: an inexact time is never guessed
            (requirement 22).
        earliest_utc: the earliest possible instant (equal to ``utc`` when exact); ``None`` when
            the text could not be read as a time.
        latest_utc: the latest possible instant.
        original: the time exactly as the source wrote it.
        basis: the time basis the source was declared in (``UTC``, ``Europe/London`` ...).
        local: the UK local reading of ``utc`` (exact times only).
        earliest_local: the UK local reading of ``earliest_utc`` (inexact times only).
        latest_local: the UK local reading of ``latest_utc`` (inexact times only).
    """

    status: str
    utc: datetime | None
    earliest_utc: datetime | None
    latest_utc: datetime | None
    original: str | None
    basis: str | None
    local: LocalReading | None
    earliest_local: LocalReading | None
    latest_local: LocalReading | None

    @property
    def exact(self) -> bool:
        """Whether the time is one known instant."""
        return self.utc is not None

    @property
    def sort_utc(self) -> datetime | None:
        """The instant the event is placed at in a chronology: exact, else its earliest reading."""
        return self.utc if self.utc is not None else self.earliest_utc

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "status": self.status,
            "utc": _iso(self.utc),
            "earliest_utc": _iso(self.earliest_utc),
            "latest_utc": _iso(self.latest_utc),
            "original": self.original,
            "basis": self.basis,
            "local": None if self.local is None else self.local.to_dict(),
            "earliest_local": None
            if self.earliest_local is None
            else self.earliest_local.to_dict(),
            "latest_local": None if self.latest_local is None else self.latest_local.to_dict(),
        }


def event_time(
    status: str | None,
    utc: datetime | None,
    earliest: datetime | None,
    latest: datetime | None,
    original: str | None,
    basis: str | None,
) -> EventTime:
    """Build an :class:`EventTime` from an evidence row's five time columns and its basis.

    A row whose status is not ``exact`` never gets a single time, even if its ``utc`` column
    were set; an exact row missing ``utc`` takes its (equal) earliest reading.
    """
    state = status or TimeStatus.UNPARSED.value
    exact = state == TimeStatus.EXACT.value
    instant = (utc or earliest) if exact else None
    return EventTime(
        status=state,
        utc=None if instant is None else instant.astimezone(UTC),
        earliest_utc=None if earliest is None else earliest.astimezone(UTC),
        latest_utc=None if latest is None else latest.astimezone(UTC),
        original=original,
        basis=basis,
        local=_reading(instant) if exact else None,
        earliest_local=None if exact else _reading(earliest),
        latest_local=None if exact else _reading(latest),
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


# --- the case's evidence files ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseEvidence:
    """What a read of a case's evidence needs from the case store, read in one short transaction.

    Attributes:
        case_id: the case's id.
        case_reference: the case's reference as stored.
        exhibits: exhibit id to exhibit reference, for every exhibit of the case.
        files: table to ``(exhibit_id, path, rows)`` of each Parquet file of a complete ingest.
    """

    case_id: str
    case_reference: str
    exhibits: dict[str, str]
    files: dict[str, list[tuple[str, str, int]]]

    def paths(
        self, tables: Iterable[str], exhibit_ids: Iterable[str] | None = None
    ) -> dict[str, list[str]]:
        """Table to file paths, for ``tables`` only, optionally for some exhibits only."""
        wanted = None if exhibit_ids is None else set(exhibit_ids)
        out: dict[str, list[str]] = {}
        for name in tables:
            paths = [p for e, p, _ in self.files.get(name, []) if wanted is None or e in wanted]
            if paths:
                out[name] = paths
        return out

    def rows(self, table: str, exhibit_ids: Iterable[str] | None = None) -> int:
        """Rows the case store records for a table's files (optionally for some exhibits)."""
        wanted = None if exhibit_ids is None else set(exhibit_ids)
        return sum(r for e, _, r in self.files.get(table, []) if wanted is None or e in wanted)


def read_case_evidence(session: Session, case_reference: str) -> CaseEvidence:
    """The case, its exhibits and its evidence files with their row counts.

    Raises:
        NotFound: no such case.
    """
    case = find_case(session, case_reference)
    exhibits = {
        str(i): str(r)
        for i, r in session.execute(
            select(ExhibitRow.id, ExhibitRow.reference).where(ExhibitRow.case_id == case.id)
        ).all()
    }
    rows = session.execute(
        select(
            EvidenceFileRow.table_name, ExhibitRow.id, EvidenceFileRow.path, EvidenceFileRow.rows
        )
        .join(IngestRunRow, IngestRunRow.id == EvidenceFileRow.run_id)
        .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
        .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
        .order_by(ExhibitRow.reference, EvidenceFileRow.table_name, EvidenceFileRow.path)
    ).all()
    files: dict[str, list[tuple[str, str, int]]] = {}
    for name, exhibit, path, count in rows:
        files.setdefault(str(name), []).append((str(exhibit), str(path), int(count or 0)))
    return CaseEvidence(str(case.id), str(case.reference), exhibits, files)


@contextmanager
def case_evidence_open(
    ws: Workspace, evidence: CaseEvidence
) -> Iterator[tuple[QueryConnection, Evidence]]:
    """A connection to the case's evidence files (their read copy when it is current) and the
    :class:`Evidence` the analyses read through it; closed on leaving."""
    files = {table: [p for _, p, _ in listed] for table, listed in evidence.files.items()}
    con = ws.evidence.connect(files)
    try:
        yield con, Evidence(con.con, evidence.exhibits, derived=con.derived)
    finally:
        con.close()


def run_select(con: QueryConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one internal, parameterised statement and return its rows as dictionaries.

    Only the services' own SQL comes here (names from the schema, values bound as parameters);
    user SQL goes through :meth:`QueryConnection.query`.

    Raises:
        StoreError: DuckDB failed (a damaged or missing evidence file, for instance).
    """
    try:
        result = con.con.execute(sql, params)
        if result.description is None:
            return []
        rows: list[dict[str, Any]] = result.to_arrow_table().to_pylist()
    except duckdb.Error as exc:
        raise StoreError(f"reading the case's evidence failed: {exc}") from exc
    return rows


def load_hits(con: QueryConnection, sql: str, params: dict[str, Any]) -> int:
    """Run a SELECT and keep its result in the connection as the view ``hits``.

    The result is held as Arrow and registered, which costs less than a DuckDB temporary table
    (no compression of data read once or twice); the rows it holds are one entity's or one
    page's, never a whole table.

    Returns:
        How many rows ``hits`` holds.

    Raises:
        StoreError: DuckDB failed.
    """
    try:
        result = con.con.execute(sql, params).to_arrow_table()
        con.con.register("hits", result)
    except duckdb.Error as exc:
        raise StoreError(f"reading the case's evidence failed: {exc}") from exc
    return int(result.num_rows)


def natural_key(reference: str) -> tuple[Any, ...]:
    """Sort key that puts ``DC/2`` before ``DC/10``."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", reference))


# --- SQL pieces shared with the timeline --------------------------------------------------------


def ident(name: str) -> str:
    """A column or table name from the schema, checked to be a plain identifier."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")  # a defect in the schema
    return name


def has_column(table: str, column: str) -> bool:
    """Whether the canonical table has the column."""
    return column in schema_table(table).column_names


def cell_column(table: str) -> str | None:
    """The serving-cell column of an event table, if it has one."""
    return next((c for c in _CELL_COLUMNS if has_column(table, c)), None)


#: The parts of an event time: the suffix of its column, its SQL type and the name it is given.
TIME_PARTS: Final = MappingProxyType(
    {
        "utc": ("_utc", "TIMESTAMPTZ", "t_utc"),
        "earliest": ("_earliest_utc", "TIMESTAMPTZ", "t_earliest"),
        "latest": ("_latest_utc", "TIMESTAMPTZ", "t_latest"),
        "status": ("_status", "VARCHAR", "t_status"),
        "original": ("_original", "VARCHAR", "t_original"),
    }
)


def time_select(table: str, parts: Sequence[str] = tuple(TIME_PARTS), basis: bool = True) -> str:
    """The select list of a table's event time (``t_utc, t_earliest ...``), NULLs if it has none.

    Args:
        table: the canonical table.
        parts: which of :data:`TIME_PARTS` to select.
        basis: whether to select the row's ``time_basis`` too.
    """
    prefix = EVENT_TIMES.get(table)
    items = []
    for part in parts:
        suffix, sql_type, alias = TIME_PARTS[part]
        if prefix is None:
            items.append(f"CAST(NULL AS {sql_type}) AS {alias}")
        else:
            items.append(f"{ident(prefix + suffix)} AS {alias}")
    if basis:
        items.append(optional(table, "time_basis" if prefix else None, "time_basis"))
    return ", ".join(items)


def optional(table: str, column: str | None, alias: str, sql_type: str = "VARCHAR") -> str:
    """``column AS alias`` when the table has it, else a typed NULL."""
    if column is not None and has_column(table, column):
        return f"{ident(column)} AS {ident(alias)}"
    return f"CAST(NULL AS {sql_type}) AS {ident(alias)}"


def match_predicate(kind: EntityKind, column: str) -> str:
    """The SQL that is true when ``column`` holds the entity whose key is bound as ``$key``.

    A plain equality for identifiers (DuckDB pushes it into the Parquet scan); names are compared
    without regard to case or runs of space.
    """
    col = ident(column)
    if kind is EntityKind.PERSON:
        return _SPACES_SQL.format(col=col) + " = $key"
    return f"{col} = $key"


def not_in_earlier_columns(kind: EntityKind, column: IdentifierColumn) -> str | None:
    """SQL true when the entity is in none of the table's columns before ``column``.

    A row holding the entity twice (a call to oneself) is thereby counted at its first column
    only. ``None`` for the table's first column of the kind.
    """
    columns = list(columns_for(kind, column.table))
    earlier = columns[: columns.index(column)]
    if not earlier:
        return None
    tests = " OR ".join(f"coalesce({match_predicate(kind, c.column)}, FALSE)" for c in earlier)
    return f"NOT ({tests})"


def entity_filters(kind: EntityKind, table: str) -> list[str]:
    """WHERE clauses, one per column of ``table`` holding ``kind``, that find the entity once.

    Each clause matches the entity (bound as ``$key``) in one column and not in the columns
    before it, so a row holding it twice is found once; each leads with a plain predicate that
    DuckDB pushes into the Parquet scan.
    """
    clauses = []
    for column in columns_for(kind, table):
        once = not_in_earlier_columns(kind, column)
        predicate = match_predicate(kind, column.column)
        clauses.append(predicate if once is None else f"{predicate} AND {once}")
    return clauses


def _subscriber_expression(kind: EntityKind, table: str) -> str | None:
    """SQL for the row's own identifier of ``kind``: the subscriber's, never the other party's.

    In a table with ``target_role`` (calls, messages) the subscriber's number is the party column
    that role names; elsewhere a kind held in one column is the subscriber's.
    """
    cols = columns_for(kind, table)
    if not cols:
        return None
    if has_column(table, "target_role") and all(c.column.endswith("_party") for c in cols):
        whens = " ".join(
            f"WHEN '{ident(c.column.removesuffix('_party'))}' THEN {ident(c.column)}" for c in cols
        )
        return f"CASE target_role {whens} END"
    if len(cols) == 1:
        return ident(cols[0].column)
    return None


def _is_subscriber_sql(table: str, column: IdentifierColumn) -> str:
    """SQL true when the matched column holds the row's subscriber (see the module notes)."""
    if has_column(table, "target_role") and column.column.endswith("_party"):
        return f"(target_role = '{ident(column.column.removesuffix('_party'))}')"
    return "TRUE"


def _original_column(table: str, column: str) -> str:
    """The column keeping the source's spelling of ``column`` (itself when none is kept)."""
    for candidate in (f"{column}_original", f"{column.removesuffix('_key')}_original"):
        if has_column(table, candidate):
            return candidate
    return column


# --- the profile ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableCount:
    """Rows of one table that hold the entity."""

    table: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RoleCount:
    """Rows of one table where the entity has one role, by the row's direction.

    Attributes:
        table: the canonical table.
        column: the column that holds the entity (``a_party``).
        role: what the entity is to the row, as a user reads it (``calling party``).
        direction: the row's direction (``outgoing``, ``incoming`` ...; for ANPR the direction
            of travel); ``None`` when the table records none.
        rows: how many rows.
    """

    table: str
    column: str
    role: str
    direction: str | None
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ExhibitPresence:
    """The entity in one exhibit.

    Attributes:
        exhibit_id: the exhibit's id.
        reference: the exhibit's reference (``DC/3``).
        rows: rows of the exhibit that hold the entity.
        first_seen: earliest exact event time (UTC) among them; ``None`` if none is exact.
        last_seen: latest exact event time (UTC).
        inexact_rows: event rows whose time is not exact (not used for first and last seen).
    """

    exhibit_id: str
    reference: str
    rows: int
    first_seen: datetime | None
    last_seen: datetime | None
    inexact_rows: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        data = asdict(self)
        data["first_seen"], data["last_seen"] = _iso(self.first_seen), _iso(self.last_seen)
        return data


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way the sources wrote the entity (``07700900123`` beside ``447700900123``)."""

    original: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Counterpart:
    """Another party a number dealt with.

    Attributes:
        party: the other party in E.164, or as the source wrote it when it does not normalise
            (a withheld marker, a sender name, a short code).
        normalised: whether ``party`` is E.164.
        entity_id: the other party's entity id (for a link to its profile) when normalised.
        rows: rows with this other party.
        by_table: rows per table (``{"calls": 12, "messages": 4}``).
        first_seen: earliest exact event time (UTC) with this party.
        last_seen: latest exact event time (UTC).
    """

    party: str
    normalised: bool
    entity_id: str | None
    rows: int
    by_table: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        data = asdict(self)
        data["first_seen"], data["last_seen"] = _iso(self.first_seen), _iso(self.last_seen)
        return data


@dataclass(frozen=True, slots=True)
class LinkedIdentifier:
    """An identifier of another kind on the same rows as the entity, as the same subscriber.

    Attributes:
        kind: its kind (a number's handset and SIM, a handset's numbers and SIMs ...).
        key: its normalised key.
        entity_id: its entity id.
        rows: rows that hold both.
        first_seen: earliest exact event time (UTC) of those rows.
        last_seen: latest exact event time (UTC).
    """

    kind: EntityKind
    key: str
    entity_id: str
    rows: int
    first_seen: datetime | None
    last_seen: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        data = asdict(self)
        data["kind"] = self.kind.value
        data["first_seen"], data["last_seen"] = _iso(self.first_seen), _iso(self.last_seen)
        return data


@dataclass(frozen=True, slots=True)
class CellUse:
    """A cell that served the entity (rows where it is the subscriber), with how often."""

    cell: str
    rows: int
    first_seen: datetime | None
    last_seen: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        data = asdict(self)
        data["first_seen"], data["last_seen"] = _iso(self.first_seen), _iso(self.last_seen)
        return data


@dataclass(frozen=True, slots=True)
class ProfileEvent:
    """One evidence row holding the entity, traceable to its exhibit row.

    Attributes:
        row_id: the row's id (the same in ``source_rows``: requirement 23).
        table: the canonical table.
        exhibit_id: the exhibit's id.
        exhibit: the exhibit's reference.
        locator: where in the exhibit (``row=1842``).
        time: the event time; ``None`` for rows without one (contacts, devices, accounts).
        role: what the entity is to the row (``calling party``; roles joined with ``, `` in
            the rare row that holds it twice).
        direction: the row's direction, where the table records one.
        other_party: the other party (E.164, or as written when it does not normalise).
        other_party_entity_id: its entity id when it is E.164.
        duration_s: duration in seconds, where recorded.
        cell: the row's serving cell (the subscriber's, see the module notes).
    """

    row_id: str
    table: str
    exhibit_id: str
    exhibit: str
    locator: str
    time: EventTime | None
    role: str
    direction: str | None
    other_party: str | None
    other_party_entity_id: str | None
    duration_s: int | None
    cell: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "exhibit_id": self.exhibit_id,
            "exhibit": self.exhibit,
            "locator": self.locator,
            "time": None if self.time is None else self.time.to_dict(),
            "role": self.role,
            "direction": self.direction,
            "other_party": self.other_party,
            "other_party_entity_id": self.other_party_entity_id,
            "duration_s": self.duration_s,
            "cell": self.cell,
        }


@dataclass(frozen=True, slots=True)
class EntityProfile:
    """Everything the case's evidence holds about one entity.

    An identifier the case does not hold gives a profile with zero counts (``found`` false),
    so a page can say that nothing is known of it in this case.

    Attributes:
        case: the case reference.
        kind: the entity's kind.
        key: its normalised key (E.164, 14-digit IMEI key, IMSI, VRM, name).
        entity_id: its id (a hash of kind and key; what URLs and logs carry).
        label: the kind as a user reads it (``Telephone number``).
        rows: rows holding the entity, all tables.
        tables: rows per table.
        roles: rows per table, role and direction.
        first_seen: earliest exact event time (UTC); ``None`` when no event time is exact.
        last_seen: latest exact event time (UTC).
        inexact_rows: event rows whose time is not exact (ambiguous, nonexistent, unreadable):
            not used for first and last seen, never guessed (requirement 22).
        exhibits: the exhibits it appears in, in reference order.
        spellings: the distinct spellings the sources used, the commonest first.
        counterparts: for a number, the other parties it dealt with, the busiest first (at most
            :data:`TOP_LIMIT`).
        linked: identifiers of other kinds on its rows as the same subscriber (a number's
            handsets and SIMs, a handset's numbers and SIMs, a name's numbers ...).
        cells: cells that served it, the busiest first (at most :data:`TOP_LIMIT`).
        events: one page of its rows, in time order (exact time or earliest reading, then row
            id; rows without a time last).
        events_total: how many rows the events list pages through (equal to ``rows``).
        events_offset: where this page starts.
        events_limit: the page size asked for.
    """

    case: str
    kind: EntityKind
    key: str
    entity_id: str
    label: str
    rows: int
    tables: tuple[TableCount, ...]
    roles: tuple[RoleCount, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    inexact_rows: int
    exhibits: tuple[ExhibitPresence, ...]
    spellings: tuple[Spelling, ...]
    counterparts: tuple[Counterpart, ...]
    linked: tuple[LinkedIdentifier, ...]
    cells: tuple[CellUse, ...]
    events: tuple[ProfileEvent, ...]
    events_total: int
    events_offset: int
    events_limit: int

    @property
    def found(self) -> bool:
        """Whether the case holds the entity at all."""
        return self.rows > 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "kind": self.kind.value,
            "key": self.key,
            "entity_id": self.entity_id,
            "label": self.label,
            "found": self.found,
            "rows": self.rows,
            "tables": [t.to_dict() for t in self.tables],
            "roles": [r.to_dict() for r in self.roles],
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "inexact_rows": self.inexact_rows,
            "exhibits": [e.to_dict() for e in self.exhibits],
            "spellings": [s.to_dict() for s in self.spellings],
            "counterparts": [c.to_dict() for c in self.counterparts],
            "linked": [x.to_dict() for x in self.linked],
            "cells": [c.to_dict() for c in self.cells],
            "events": [e.to_dict() for e in self.events],
            "events_total": self.events_total,
            "events_offset": self.events_offset,
            "events_limit": self.events_limit,
        }


def _link_kinds(kind: EntityKind) -> tuple[EntityKind, ...]:
    return tuple(k for k in EntityKind if k is not kind)


def _hit_branch(kind: EntityKind, column: IdentifierColumn) -> str:
    """One ``SELECT`` of the rows whose ``column`` holds the entity, in the hits' common shape.

    The match is a plain predicate on one column, so DuckDB pushes it into the Parquet scan and
    reads the other columns only where it matched. ``is_primary`` marks the first of the row's
    matching columns, so that a row holding the entity twice (a call to oneself) counts once.
    """
    t = column.table
    other = _OTHER_PARTY.get(column.column) if kind is EntityKind.NUMBER else None
    if other is not None and not has_column(t, other):
        other = None
    if other is None:
        party = "CAST(NULL AS VARCHAR) AS party, FALSE AS party_normalised"
    else:
        written = ident(_original_column(t, other))
        party = (
            f"coalesce({ident(other)}, nullif(trim({written}), '')) AS party, "
            f"{ident(other)} IS NOT NULL AS party_normalised"
        )
    primary = not_in_earlier_columns(kind, column) or "TRUE"
    links = ", ".join(
        f"{_subscriber_expression(link, t) or 'CAST(NULL AS VARCHAR)'} AS link_{link.value}"
        for link in _link_kinds(kind)
    )
    return (
        f"SELECT '{ident(t)}' AS tbl, '{ident(column.column)}' AS col, row_id, exhibit_id, "
        f"locator, {primary} AS is_primary, {_is_subscriber_sql(t, column)} AS subscriber, "
        f"{'TRUE' if t in EVENT_TIMES else 'FALSE'} AS timed, "
        f"{ident(_original_column(t, column.column))} AS original, "
        f"{optional(t, 'direction', 'direction')}, {party}, {links}, {time_select(t)}, "
        f"{optional(t, 'duration_s', 'duration_s', 'BIGINT')}, "
        f"{optional(t, cell_column(t), 'cell')} "
        f"FROM {ident(t)} WHERE {match_predicate(kind, column.column)}"
    )


def _key_expression(kind: EntityKind, column: str) -> str:
    """The SQL of what :func:`match_predicate` compares with ``$key``."""
    col = ident(column)
    return _SPACES_SQL.format(col=col) if kind is EntityKind.PERSON else col


def hits_table_name(kind: EntityKind) -> str:
    """The name of the read copy's table of every occurrence of ``kind``."""
    return f"entity_hits_{kind.value}"


def derived_tables() -> dict[str, DerivedTable]:
    """Every occurrence of each identifier kind, in the hits' shape with its key, sorted by key:
    computed into the evidence store's read copy so a profile reads one run of rows instead of
    scanning every identifier column of every table (design.md "Storage": derived, never the
    record). Each branch is :func:`_hit_branch` with its match replaced by the row's own key.
    """
    out = {}
    for kind in EntityKind:
        branches = []
        for column in IDENTIFIER_COLUMNS[kind]:
            select, _match = _hit_branch(kind, column).rsplit(" WHERE ", 1)
            key = f"({_key_expression(kind, column.column)})"
            select = select.replace("$key", key).replace(
                "SELECT ", f"SELECT {key} AS entity_key, ", 1
            )
            branches.append(f"{select} WHERE {key} IS NOT NULL")
        out[hits_table_name(kind)] = DerivedTable(
            sql=f"SELECT * FROM ({' UNION ALL '.join(branches)}) ORDER BY entity_key",
            reads=tuple(sorted({c.table for c in IDENTIFIER_COLUMNS[kind]})),
        )
    return out


def _hits_sql(kind: EntityKind, tables: Iterable[str]) -> str | None:
    present = set(tables)
    branches = [_hit_branch(kind, c) for c in IDENTIFIER_COLUMNS[kind] if c.table in present]
    if not branches:
        return None
    return " UNION ALL ".join(branches)


#: Aggregates every facet of a profile computes over the hits (one row per facet group).
_FACET_AGGREGATES: Final = (
    "count(*) AS hits, count(*) FILTER (WHERE is_primary) AS n, "
    "min(t_utc) FILTER (WHERE is_primary) AS first_seen, "
    "max(t_utc) FILTER (WHERE is_primary) AS last_seen, "
    "count(*) FILTER (WHERE is_primary AND timed AND t_utc IS NULL) AS inexact"
)


def _facets_sql(kind: EntityKind) -> str:
    """One statement computing every count of the profile from the hits, facet by facet.

    Each facet is a small GROUP BY over the in-memory hits, in the common shape
    ``(facet, tbl, col, direction, value, normalised, hits, n, first_seen, last_seen, inexact)``.
    """
    facets = [
        ("total", "NULL", "NULL", "NULL", "NULL", "NULL", "TRUE"),
        ("table", "tbl", "NULL", "NULL", "NULL", "NULL", "TRUE"),
        ("role", "tbl", "col", "direction", "NULL", "NULL", "TRUE"),
        ("exhibit", "NULL", "NULL", "NULL", "exhibit_id", "NULL", "TRUE"),
        ("spelling", "NULL", "NULL", "NULL", "original", "NULL", "original IS NOT NULL"),
        ("cell", "NULL", "NULL", "NULL", "cell", "NULL", "subscriber AND cell IS NOT NULL"),
    ]
    if kind is EntityKind.NUMBER:
        facets.append(
            ("counterpart", "tbl", "NULL", "NULL", "party", "party_normalised", "party IS NOT NULL")
        )
    for link in _link_kinds(kind):
        column = f"link_{link.value}"
        facets.append(
            (column, "NULL", "NULL", "NULL", column, "NULL", f"subscriber AND {column} IS NOT NULL")
        )
    parts = []
    for name, tbl, col, direction, value, normalised, where in facets:
        groups = [g for g in (tbl, col, direction, value, normalised) if g != "NULL"]
        parts.append(
            f"SELECT '{name}' AS facet, CAST({tbl} AS VARCHAR) AS tbl, "
            f"CAST({col} AS VARCHAR) AS col, CAST({direction} AS VARCHAR) AS direction, "
            f"CAST({value} AS VARCHAR) AS value, CAST({normalised} AS BOOLEAN) AS normalised, "
            f"{_FACET_AGGREGATES} FROM hits WHERE {where}"
            + (f" GROUP BY {', '.join(groups)}" if groups else "")
        )
    return " UNION ALL ".join(parts)


def _role_labels(kind: EntityKind) -> dict[tuple[str, str], str]:
    return {(c.table, c.column): c.role for c in IDENTIFIER_COLUMNS[kind]}


def entity_profile(
    ws: Workspace,
    case_reference: str,
    kind: EntityKind,
    key: str,
    *,
    events_limit: int = 100,
    events_offset: int = 0,
    justification: str | None = None,
) -> EntityProfile:
    """Everything the case's evidence holds about one entity, with a page of its rows.

    Args:
        ws: the workspace.
        case_reference: the case (``OP-CEDAR``).
        kind: what the key is.
        key: the identifier as the user wrote it (``07700 900123``, a 15-digit IMEI, ``ab12 cde``);
            normalised here with the model's functions.
        events_limit: rows per page of events (0 for the summary only; at most
            :data:`MAX_EVENTS_LIMIT`).
        events_offset: where the page of events starts.
        justification: why the evidence is consulted (mandatory under force policy,
            requirement 13).

    Returns:
        The :class:`EntityProfile`; zero counts when the case does not hold the entity.

    Raises:
        ConfigError: the key cannot be normalised for its kind, or the page is out of range.
        PermissionDenied: a justification is required and missing (checked before reading).
        NotFound: no such case.
        StoreError: the evidence could not be read.
    """
    if not 0 <= events_limit <= MAX_EVENTS_LIMIT:
        raise ConfigError(f"events_limit must be from 0 to {MAX_EVENTS_LIMIT}")
    if events_offset < 0:
        raise ConfigError("events_offset must not be negative")
    normalised = normalise_entity_key(kind, key)
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    profile = _read_profile(ws, evidence, kind, normalised, events_limit, events_offset)
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "entity.profile",
            case_id=evidence.case_id,
            object_type="entity",
            object_id=profile.entity_id,
            detail={
                "kind": kind.value,
                "rows": profile.rows,
                "events_offset": events_offset,
                "row_ids": [e.row_id for e in profile.events],
            },
            justification=justification,
        )
    return profile


def _read_profile(
    ws: Workspace,
    evidence: CaseEvidence,
    kind: EntityKind,
    key: str,
    events_limit: int,
    events_offset: int,
) -> EntityProfile:
    """Read the profile from the evidence (no case-store transaction is open meanwhile)."""
    files = evidence.paths(sorted({c.table for c in IDENTIFIER_COLUMNS[kind]}))
    sql = _hits_sql(kind, files)
    facets: list[dict[str, Any]] = []
    events: tuple[ProfileEvent, ...] = ()
    if sql is not None:
        con = ws.evidence.connect(files)
        if hits_table_name(kind) in con.derived:
            # the same rows, read from the read copy's occurrences sorted by key
            sql = (
                f"SELECT * EXCLUDE (entity_key) FROM {hits_table_name(kind)} "
                "WHERE entity_key = $key"
            )
        try:
            load_hits(con, sql, {"key": _match_value(kind, key)})
            facets = run_select(con, _facets_sql(kind), {})
            total = next(f for f in facets if f["facet"] == "total")
            if total["n"] and events_limit:
                duplicates = total["hits"] > total["n"]
                events = _events(con, evidence, kind, events_limit, events_offset, duplicates)
        finally:
            con.close()
    return _profile_from_facets(evidence, kind, key, facets, events, events_limit, events_offset)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _profile_from_facets(
    evidence: CaseEvidence,
    kind: EntityKind,
    key: str,
    facets: list[dict[str, Any]],
    events: tuple[ProfileEvent, ...],
    events_limit: int,
    events_offset: int,
) -> EntityProfile:
    """Arrange the facet rows of :func:`_facets_sql` into the profile."""
    by: dict[str, list[dict[str, Any]]] = {}
    for row in facets:
        by.setdefault(row["facet"], []).append(row)
    total = (by.get("total") or [{}])[0]
    rows = int(total.get("n") or 0)
    labels = _role_labels(kind)
    roles = sorted(
        (
            RoleCount(r["tbl"], r["col"], labels[(r["tbl"], r["col"])], r["direction"], r["hits"])
            for r in by.get("role", [])
        ),
        key=lambda r: (r.table, r.column, -r.rows, r.direction or "\uffff"),
    )
    exhibits = sorted(
        (
            ExhibitPresence(
                r["value"],
                evidence.exhibits.get(r["value"], r["value"]),
                r["n"],
                _utc(r["first_seen"]),
                _utc(r["last_seen"]),
                r["inexact"],
            )
            for r in by.get("exhibit", [])
        ),
        key=lambda e: natural_key(e.reference),
    )
    cells = sorted(
        (
            CellUse(r["value"], r["n"], _utc(r["first_seen"]), _utc(r["last_seen"]))
            for r in by.get("cell", [])
            if r["n"]
        ),
        key=lambda c: (-c.rows, c.cell),
    )[:TOP_LIMIT]
    linked: list[LinkedIdentifier] = []
    for link in _link_kinds(kind):
        linked += _linked(link, by.get(f"link_{link.value}", []))
    return EntityProfile(
        case=evidence.case_reference,
        kind=kind,
        key=key,
        entity_id=entity_id(kind, key),
        label=kind.label,
        rows=rows,
        tables=tuple(
            sorted(
                (TableCount(r["tbl"], r["n"]) for r in by.get("table", [])),
                key=lambda t: (-t.rows, t.table),
            )
        ),
        roles=tuple(roles),
        first_seen=_utc(total.get("first_seen")),
        last_seen=_utc(total.get("last_seen")),
        inexact_rows=int(total.get("inexact") or 0),
        exhibits=tuple(exhibits),
        spellings=tuple(
            sorted(
                (Spelling(r["value"], r["hits"]) for r in by.get("spelling", [])),
                key=lambda s: (-s.rows, s.original),
            )
        ),
        counterparts=_counterparts(by.get("counterpart", [])),
        linked=tuple(linked),
        cells=tuple(cells),
        events=events,
        events_total=rows,
        events_offset=events_offset,
        events_limit=events_limit,
    )


def _linked(kind: EntityKind, rows: list[dict[str, Any]]) -> list[LinkedIdentifier]:
    """The busiest identifiers of one kind seen with the entity as the same subscriber.

    Names written differently but the same without regard to case and spacing (``Ana Pop``,
    ``ANA POP``) are one entity: they are merged under the commonest spelling.
    """
    merged: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (-r["n"], r["value"])):
        if not r["n"]:
            continue
        value = " ".join(r["value"].split()) if kind is EntityKind.PERSON else r["value"]
        item = merged.setdefault(
            entity_id(kind, value), {"key": value, "rows": 0, "first": None, "last": None}
        )
        item["rows"] += r["n"]
        item["first"] = min(filter(None, (item["first"], r["first_seen"])), default=None)
        item["last"] = max(filter(None, (item["last"], r["last_seen"])), default=None)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1]["rows"], kv[1]["key"]))[:TOP_LIMIT]
    return [
        LinkedIdentifier(
            kind, item["key"], ident_of, item["rows"], _utc(item["first"]), _utc(item["last"])
        )
        for ident_of, item in ranked
    ]


def _counterparts(rows: list[dict[str, Any]]) -> tuple[Counterpart, ...]:
    """The busiest other parties, from the per-table counterpart facet."""
    merged: dict[tuple[str, bool], dict[str, Any]] = {}
    for r in rows:
        item = merged.setdefault(
            (r["value"], bool(r["normalised"])),
            {"rows": 0, "by_table": {}, "first": None, "last": None},
        )
        item["rows"] += r["hits"]
        item["by_table"][r["tbl"]] = r["hits"]
        item["first"] = min(filter(None, (item["first"], r["first_seen"])), default=None)
        item["last"] = max(filter(None, (item["last"], r["last_seen"])), default=None)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1]["rows"], kv[0][0]))[:TOP_LIMIT]
    return tuple(
        Counterpart(
            party=party,
            normalised=normalised,
            entity_id=entity_id(EntityKind.NUMBER, party) if normalised else None,
            rows=item["rows"],
            by_table=dict(sorted(item["by_table"].items())),
            first_seen=_utc(item["first"]),
            last_seen=_utc(item["last"]),
        )
        for (party, normalised), item in ranked
    )


def _events(
    con: QueryConnection,
    evidence: CaseEvidence,
    kind: EntityKind,
    limit: int,
    offset: int,
    duplicates: bool,
) -> tuple[ProfileEvent, ...]:
    """One page of the entity's rows in time order, each with every role it has in the row."""
    rows = run_select(
        con,
        "SELECT * FROM hits WHERE is_primary "
        "ORDER BY t_earliest NULLS LAST, row_id, tbl LIMIT $limit OFFSET $offset",
        {"limit": limit, "offset": offset},
    )
    extra: dict[tuple[str, str], list[str]] = {}
    if duplicates and rows:
        for r in run_select(
            con,
            "SELECT tbl, row_id, col FROM hits "
            "WHERE NOT is_primary AND list_contains($ids, row_id)",
            {"ids": [r["row_id"] for r in rows]},
        ):
            extra.setdefault((r["tbl"], r["row_id"]), []).append(r["col"])
    labels = _role_labels(kind)
    return tuple(
        _profile_event(r, evidence, labels, extra.get((r["tbl"], r["row_id"]), [])) for r in rows
    )


def _profile_event(
    r: dict[str, Any],
    evidence: CaseEvidence,
    labels: dict[tuple[str, str], str],
    more_columns: list[str],
) -> ProfileEvent:
    normalised = bool(r["party_normalised"])
    roles = [labels[(r["tbl"], c)] for c in [r["col"], *sorted(more_columns)]]
    return ProfileEvent(
        row_id=r["row_id"],
        table=r["tbl"],
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
        )
        if r["timed"]
        else None,
        role=", ".join(roles),
        direction=r["direction"],
        other_party=r["party"],
        other_party_entity_id=(
            entity_id(EntityKind.NUMBER, r["party"]) if normalised and r["party"] else None
        ),
        duration_s=r["duration_s"],
        cell=r["cell"],
    )
