"""The rows behind a finding, a page at a time (requirement 20: every finding leads back to the
exhibit rows it rests on).

A finding cites its rows by listing them (``derived_from``) or, for a finding about a whole
group, by the links among its nodes (:class:`~threadline.model.finding.LinkCitation`), which is
resolved here over the files of the exhibits the analysis read, and no others
(:func:`threadline.analysis.network_graph.cited_rows_sql`). Either way the rows come in
``row_id`` order with the table, exhibit and place in the exhibit of each, so an analyst can
open any of them; a link citation that no longer selects as many rows as it did when the
analysis ran says so (the evidence it read has changed), rather than passing silently.
Reading them is logged as a consultation of every row returned (requirement 15).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Final

from threadline.analysis.network_graph import cited_rows_sql
from threadline.errors import ConfigError
from threadline.model.audit import AuditOperation
from threadline.model.evidence_schema import SOURCE_ROWS, TABLES
from threadline.services.analyse import StoredFinding, stored_finding
from threadline.services.entities import (
    CaseEvidence,
    case_evidence_open,
    read_case_evidence,
    run_select,
)
from threadline.services.workspace import Workspace
from threadline.store.evidence_store import QueryConnection

__all__ = ["MAX_OFFSET", "MAX_PAGE", "CitedRow", "FindingRows", "finding_rows"]

#: The most rows one page may hold.
MAX_PAGE: Final = 1000
#: The furthest a page may start (far beyond any case's rows; the engine takes no larger).
MAX_OFFSET: Final = 10**12


@dataclass(frozen=True, slots=True)
class CitedRow:
    """One row a finding rests on, and where it came from.

    Attributes:
        row_id: the row's id (opens the record).
        table: the evidence table holding it.
        exhibit: its exhibit's reference.
        locator: its place in the exhibit.
    """

    row_id: str
    table: str
    exhibit: str
    locator: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "exhibit": self.exhibit,
            "locator": self.locator,
        }


@dataclass(frozen=True, slots=True)
class FindingRows:
    """A page of the rows behind a finding.

    Attributes:
        finding: the finding.
        total: how many rows it rests on now (for a link citation, as resolved today).
        offset: the first row of the page, counted from 0.
        rows: the page, in ``row_id`` order.
        changed: a link citation now selects a different number of rows than when the
            analysis ran (the evidence has changed since; run it again).
    """

    finding: StoredFinding
    total: int
    offset: int
    rows: list[CitedRow]
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "finding": self.finding.to_dict(),
            "total": self.total,
            "offset": self.offset,
            "rows": [r.to_dict() for r in self.rows],
            "changed": self.changed,
        }


def finding_rows(
    ws: Workspace,
    case_reference: str,
    finding_id: str,
    *,
    run_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
    justification: str | None = None,
) -> FindingRows:
    """A page of the rows behind one finding (of run ``run_id``, or the current one).

    Raises:
        ConfigError: ``offset`` is out of 0..:data:`MAX_OFFSET` or ``limit`` out of
            1..:data:`MAX_PAGE`.
        PermissionDenied: a justification is required and missing.
        NotFound: no such case or finding.
        StoreError: the evidence could not be read.
    """
    if not 0 <= offset <= MAX_OFFSET or not 1 <= limit <= MAX_PAGE:
        raise ConfigError(f"a page starts at 0 to {MAX_OFFSET:,} and holds 1 to {MAX_PAGE} rows")
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    finding = stored_finding(ws, case_reference, finding_id, run_id)
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    citation = finding.derived_links
    if citation is not None:
        # resolved over the exhibits the analysis read and no others: events formed with a
        # later exhibit's records could move an old record across the window's edge
        evidence = _of_exhibits(evidence, citation.exhibit_ids)
    with case_evidence_open(ws, evidence) as (con, read):
        if citation is None:
            total = len(finding.derived_from)
            ids = finding.derived_from[offset : offset + limit]
        else:
            sql, parameters = cited_rows_sql(read, citation)
            counted = run_select(con, f"SELECT COUNT(*) AS n FROM ({sql}) AS c", parameters)
            total = int(counted[0]["n"])
            page = run_select(
                con,
                f"SELECT row_id FROM ({sql}) AS c ORDER BY row_id LIMIT $limit OFFSET $offset",
                {**parameters, "limit": limit, "offset": offset},
            )
            ids = [str(r["row_id"]) for r in page]
        placed = _places(con, set(evidence.files), ids)
    rows = [_cited(row_id, placed, evidence.exhibits) for row_id in ids]
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "analysis.finding_rows",
            case_id=evidence.case_id,
            object_type="finding",
            object_id=finding.finding_id,
            detail={"run": finding.run_id, "offset": offset, "row_ids": ids},
            justification=justification,
        )
    return FindingRows(
        finding=finding,
        total=total,
        offset=offset,
        rows=rows,
        changed=citation is not None and total != citation.rows,
    )


def _of_exhibits(evidence: CaseEvidence, exhibit_ids: Collection[str]) -> CaseEvidence:
    """The case's evidence with only the files of these exhibits."""
    wanted = set(exhibit_ids)
    files = {
        table: [f for f in listed if f[0] in wanted] for table, listed in evidence.files.items()
    }
    return replace(evidence, files={table: listed for table, listed in files.items() if listed})


def _places(
    con: QueryConnection, present: set[str], ids: list[str]
) -> dict[str, tuple[str, str, str]]:
    """Each of ``ids``'s table, exhibit id and locator, from the evidence tables the case has
    (a row no longer in them is left out)."""
    tables = [t.name for t in TABLES if t.name != SOURCE_ROWS.name and t.name in present]
    if not ids or not tables:
        return {}
    # the table names come from the schema, never from the request
    sql = " UNION ALL ".join(
        f"SELECT row_id, '{name}' AS \"table\", exhibit_id, locator FROM {name} "
        "WHERE row_id IN (SELECT UNNEST($ids))"
        for name in tables
    )
    return {
        str(r["row_id"]): (str(r["table"]), str(r["exhibit_id"]), str(r["locator"]))
        for r in run_select(con, sql, {"ids": ids})
    }


def _cited(
    row_id: str, placed: dict[str, tuple[str, str, str]], exhibits: dict[str, str]
) -> CitedRow:
    table, exhibit_id, locator = placed.get(row_id, ("", "", ""))
    return CitedRow(row_id, table, exhibits.get(exhibit_id, exhibit_id), locator)
