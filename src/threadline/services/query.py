"""Read access to a case's evidence: read-only SQL, ingest issues, and export of results.

Every query is logged as a consultation with its text and the number of rows returned
(requirement 15); exporting results to a file is logged as a disclosure.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.model.audit import AuditOperation
from threadline.model.spreadsheet import neutralise_formula
from threadline.services.cases import find_case
from threadline.services.exhibits import find_exhibit
from threadline.services.workspace import Workspace
from threadline.store.tables import (
    CaseRow,
    EvidenceFileRow,
    ExhibitRow,
    IngestIssueRow,
    IngestRunRow,
)


def evidence_files(session: Session, case: CaseRow) -> dict[str, list[str]]:
    """Table name to the Parquet files of the case's complete ingest runs."""
    rows = session.execute(
        select(EvidenceFileRow.table_name, EvidenceFileRow.path)
        .join(IngestRunRow, IngestRunRow.id == EvidenceFileRow.run_id)
        .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
        .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
        .order_by(ExhibitRow.reference, EvidenceFileRow.table_name, EvidenceFileRow.path)
    ).all()
    out: dict[str, list[str]] = {}
    for table, path in rows:
        out.setdefault(table, []).append(path)
    return out


def exhibit_references(session: Session, case: CaseRow) -> dict[str, str]:
    """Exhibit id to exhibit reference, for every exhibit of the case.

    Evidence rows carry the exhibit's id (no personal data, stable); people read its reference
    (``JB/1``), so every view of rows translates one to the other here.
    """
    rows = session.execute(
        select(ExhibitRow.id, ExhibitRow.reference).where(ExhibitRow.case_id == case.id)
    ).all()
    return {str(exhibit_id): str(reference) for exhibit_id, reference in rows}


def run_sql(
    ws: Workspace, case_reference: str, sql: str, *, justification: str | None = None
) -> pa.Table:
    """Run one read-only SELECT over the case's evidence tables; logged as a consultation.

    The query itself runs outside any case-store transaction: on SQLite every transaction holds
    the write lock, and a long query must not stop other commands writing. The case and its
    files are read in one short transaction and the consultation logged in another, after the
    query succeeds (a failed query returned nothing, so consulted nothing).

    Raises:
        PermissionDenied: a justification is required and missing (checked before the query
            runs), or the text is not a single SELECT.
        NotFound: no such case.
        StoreError: DuckDB rejects the query.
    """
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        case = find_case(session, case_reference)
        case_id = case.id
        files = evidence_files(session, case)
    con = ws.evidence.connect(files)
    try:
        result = con.query(sql)
    finally:
        con.close()
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "evidence.sql",
            case_id=case_id,
            object_type="query",
            detail={"sql": sql, "rows_returned": result.num_rows},
            justification=justification,
        )
    return result


def export_csv(
    ws: Workspace,
    case_reference: str,
    table: pa.Table,
    target: Path,
    *,
    what: str,
    justification: str | None = None,
) -> None:
    """Write a result to CSV with formula-like values made inert; logged as a disclosure.

    Policy is checked before anything is written, and the file appears at ``target`` only once
    its disclosure is in the log (see :meth:`Workspace.export_file`). The file is written before
    the logging transaction opens, so the case store is not locked while it is written.

    Raises:
        PermissionDenied: a justification is required and missing, or ``target`` is inside the
            workspace.
        NotFound: no such case, or the target's folder does not exist.
        StoreError: the file cannot be written.
    """
    ws.check_justification(AuditOperation.DISCLOSURE, justification)
    with ws.export_file(target) as staged:
        # written before the transaction opens: on SQLite a transaction holds the write lock
        writer = csv.writer(staged.handle)
        writer.writerow(table.column_names)
        for batch in table.to_batches():
            for record in batch.to_pylist():
                writer.writerow(
                    "" if v is None else neutralise_formula(str(v)) for v in record.values()
                )
        with ws.session() as session:
            case = find_case(session, case_reference)
            ws.audit(
                session,
                AuditOperation.DISCLOSURE,
                "evidence.export",
                case_id=case.id,
                object_type="file",
                object_id=target.name,
                detail={"what": what, "rows": table.num_rows, "format": "csv"},
                justification=justification,
            )
            staged.publish()


@dataclass(frozen=True, slots=True)
class IssueView:
    """An ingest issue as listed to a user."""

    exhibit: str
    severity: str
    code: str
    locator: str | None
    value: str | None
    count: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def list_issues(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str | None = None,
    *,
    justification: str | None = None,
) -> list[IssueView]:
    """The issues of the current (complete) ingest of each exhibit, or of one exhibit.

    Issues quote source values (numbers, names), so listing them is logged as a consultation.
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        query = (
            select(ExhibitRow.reference, IngestIssueRow)
            .join(IngestRunRow, IngestRunRow.id == IngestIssueRow.run_id)
            .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
            .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
            .order_by(ExhibitRow.reference, IngestIssueRow.id)
        )
        if exhibit_reference is not None:
            exhibit = find_exhibit(session, case, exhibit_reference)
            query = query.where(ExhibitRow.id == exhibit.id)
        found = [
            IssueView(ref, i.severity, i.code, i.locator, i.value, int(i.count), i.message)
            for ref, i in session.execute(query).all()
        ]
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "ingest.issues",
            case_id=case.id,
            object_type="issues",
            object_id=exhibit_reference,
            detail={"returned": len(found)},
            justification=justification,
        )
        return found
