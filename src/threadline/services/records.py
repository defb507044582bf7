"""Opening one evidence record: every value, what it means, and where it came from.

A search hit, an entity profile line or a timeline event names a row by its ``row_id``; opening
it shows the normalised row with each column's documentation, its exhibit (reference and hash)
and locator, the parser that produced it, and the source record exactly as read from
``source_rows`` (requirements 20 and 23). The record is read from the evidence store itself, not
from the search index, and opening it is logged as a consultation (requirement 15).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.errors import NotFound, StoreError
from threadline.model.audit import AuditOperation
from threadline.model.evidence_schema import SOURCE_ROWS, TABLES, Table
from threadline.services.cases import find_case
from threadline.services.search import current_search_index, evidence_fingerprint
from threadline.services.workspace import Workspace
from threadline.store.evidence_store import QueryConnection
from threadline.store.tables import CaseRow, EvidenceFileRow, ExhibitRow, IngestRunRow

__all__ = ["RecordField", "RecordView", "open_record"]

_ROW_ID = re.compile(r"^[0-9a-f]{32}$")

#: The canonical tables a record may be in, source rows last: a record kept only whole (a
#: malformed source record) is opened from there.
_RECORD_TABLES: tuple[Table, ...] = (
    *(t for t in TABLES if t.name != SOURCE_ROWS.name),
    SOURCE_ROWS,
)


@dataclass(frozen=True, slots=True)
class RecordField:
    """One column of the record.

    Attributes:
        name: the column.
        type: its logical type (``string``, ``int64``, ``float64``, ``bool``, ``timestamp``).
        value: the value (timestamps as ISO 8601 UTC text ending ``Z``), or ``None``. Evidence
            text: render it as text, never as markup.
        doc: what the column means (from the evidence schema).
    """

    name: str
    type: str
    value: str | int | float | bool | None
    doc: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"name": self.name, "type": self.type, "value": self.value, "doc": self.doc}


@dataclass(frozen=True, slots=True)
class RecordView:
    """An evidence record opened for reading.

    Attributes:
        case: the case reference.
        row_id: the record's id.
        table: its canonical table (``source_rows`` for a record kept only as read).
        table_doc: what the table holds.
        exhibit_id: the exhibit's id.
        exhibit: the exhibit's reference (``JB/1``).
        exhibit_sha256: the exhibit's SHA-256 as registered.
        locator: where in the exhibit (``row=1842``).
        parser: the parser and version that produced the row (``cdr_uk@1.0.0``).
        fields: every column of the table, in schema order, with its value and meaning.
        source: the source record as read (column name to text), from ``source_rows``; ``None``
            when the parser keeps no raw copy of this record.
    """

    case: str
    row_id: str
    table: str
    table_doc: str
    exhibit_id: str
    exhibit: str
    exhibit_sha256: str
    locator: str
    parser: str
    fields: tuple[RecordField, ...]
    source: dict[str, Any] | None

    def value(self, name: str) -> str | int | float | bool | None:
        """The value of the named column.

        Raises:
            KeyError: the table has no such column.
        """
        for field in self.fields:
            if field.name == name:
                return field.value
        raise KeyError(f"table {self.table} has no column {name}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "row_id": self.row_id,
            "table": self.table,
            "table_doc": self.table_doc,
            "exhibit_id": self.exhibit_id,
            "exhibit": self.exhibit,
            "exhibit_sha256": self.exhibit_sha256,
            "locator": self.locator,
            "parser": self.parser,
            "fields": [field.to_dict() for field in self.fields],
            "source": self.source,
        }


def _plain(value: Any) -> str | int | float | bool | None:
    """A DuckDB value as plain data: instants as ISO 8601 UTC text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


Files = dict[str, list[str]]


def _files_by_exhibit(session: Session, case: CaseRow) -> dict[str, Files]:
    """Exhibit id to table name to the Parquet files of the case's complete ingest runs."""
    rows = session.execute(
        select(IngestRunRow.exhibit_id, EvidenceFileRow.table_name, EvidenceFileRow.path)
        .join(IngestRunRow, IngestRunRow.id == EvidenceFileRow.run_id)
        .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
        .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
        .order_by(ExhibitRow.reference, EvidenceFileRow.table_name, EvidenceFileRow.path)
    ).all()
    out: dict[str, Files] = {}
    for exhibit_id, table, path in rows:
        out.setdefault(exhibit_id, {}).setdefault(table, []).append(path)
    return out


def _merged(by_exhibit: dict[str, Files]) -> Files:
    out: Files = {}
    for files in by_exhibit.values():
        for table, paths in files.items():
            out.setdefault(table, []).extend(paths)
    return out


def _find(
    con: QueryConnection, files: Files, row_id: str, first: str | None
) -> tuple[Table, tuple[Any, ...]] | None:
    """The table holding ``row_id`` and the row, or ``None``; ``row_id`` is only a parameter.

    The table ``first`` (where the search index says the row is) is read before the others.
    """
    for table in sorted(_RECORD_TABLES, key=lambda t: t.name != first):
        if not files.get(table.name):
            continue
        # the table name comes from the schema, never from the request
        sql = f"SELECT {', '.join(table.column_names)} FROM {table.name} WHERE row_id = $1 LIMIT 1"
        # through Arrow: DuckDB's own Python conversion of time zones needs pytz
        rows = con.con.execute(sql, [row_id]).to_arrow_table().to_pylist()
        if rows:
            return table, tuple(rows[0].values())
    return None


def _source(con: QueryConnection, files: Files, row_id: str) -> dict[str, Any] | None:
    if not files.get(SOURCE_ROWS.name):
        return None
    row = con.con.execute(
        "SELECT raw FROM source_rows WHERE row_id = $1 LIMIT 1", [row_id]
    ).fetchone()
    if row is None or row[0] is None:
        return None
    try:
        raw = json.loads(row[0])
    except ValueError:
        # kept as read; a raw copy that is not JSON is shown as the text it is
        return {"raw": row[0]}
    return raw if isinstance(raw, dict) else {"raw": raw}


def _read(
    ws: Workspace, files: Files, row_id: str, reference: str, first: str | None
) -> tuple[tuple[Table, tuple[Any, ...]] | None, dict[str, Any] | None]:
    """The record and its source row from ``files``, or ``(None, None)``."""
    con = ws.evidence.connect(files)
    try:
        found = _find(con, files, row_id, first)
        return found, (_source(con, files, row_id) if found is not None else None)
    except duckdb.Error as exc:
        raise StoreError(f"cannot read record {row_id} of case {reference}: {exc}") from exc
    finally:
        con.close()


def open_record(
    ws: Workspace, case_reference: str, row_id: str, *, justification: str | None = None
) -> RecordView:
    """Open one evidence record of the case; logged as a consultation of it.

    Args:
        ws: the workspace.
        case_reference: the case.
        row_id: the record's id (32 lower-case hex digits, as search results and profiles give).
        justification: why the user is opening it (mandatory under force policy).

    Returns:
        The :class:`RecordView`.

    Raises:
        PermissionDenied: a justification is required and missing (checked before reading).
        NotFound: no such case, ``row_id`` is malformed, or the case's evidence holds no such
            record (a record of another case is not found either).
        StoreError: the evidence cannot be read.
    """
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        case = find_case(session, case_reference)
        case_id, reference = case.id, case.reference
        by_exhibit = _files_by_exhibit(session, case)
        fingerprint = evidence_fingerprint(session, case)
    if not _ROW_ID.match(row_id):
        raise NotFound(f"no such record in case {reference}: a record id is 32 hex digits")
    places = [_merged(by_exhibit)]
    index = current_search_index(ws, case_id, fingerprint)
    located = None if index is None else index.locate(row_id)
    first = None if located is None else located[0]
    if located is not None and located[1] in by_exhibit:
        # the index says which exhibit and table hold the row: read those first, and
        # everything only if the row is not there after all
        places.insert(0, by_exhibit[located[1]])
    found = None
    source = None
    for files in places:
        found, source = _read(ws, files, row_id, reference, first)
        if found is not None:
            break
    if found is None:
        raise NotFound(f"no record {row_id} in case {reference}")
    table, values = found
    fields = tuple(
        RecordField(column.name, column.type.value, _plain(value), column.doc)
        for column, value in zip(table.columns, values, strict=True)
    )
    by_name = {field.name: field.value for field in fields}
    exhibit_id = str(by_name["exhibit_id"])
    with ws.session() as session:
        exhibit = session.execute(
            select(ExhibitRow).where(ExhibitRow.id == exhibit_id, ExhibitRow.case_id == case_id)
        ).scalar_one_or_none()
        if exhibit is None:  # the files are the case's own, so this is a broken store
            raise StoreError(
                f"record {row_id} names exhibit {exhibit_id}, which case {reference} lacks"
            )
        view = RecordView(
            case=reference,
            row_id=row_id,
            table=table.name,
            table_doc=table.doc,
            exhibit_id=exhibit_id,
            exhibit=exhibit.reference,
            exhibit_sha256=exhibit.sha256,
            locator=str(by_name["locator"]),
            parser=str(by_name["parser"]),
            fields=fields,
            source=source,
        )
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "evidence.open",
            case_id=case_id,
            object_type="record",
            object_id=row_id,
            detail={"table": table.name, "exhibit": exhibit.reference, "locator": view.locator},
            justification=justification,
        )
    return view
