"""A large report ingested by several processes is one atomic run of several files per table,
queried as one (design.md "Storage"; ``threadline.ingest.shares``), on both case stores.

The synthetic UFDR stands in for a large report: the size from which the reading is shared is
lowered to nothing, and units are dealt one at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from threadline.ingest.parsers.cellebrite import parser as cellebrite
from threadline.services import cases, exhibits, ingest
from threadline.services.query import run_sql
from threadline.services.workspace import Workspace
from threadline.store.tables import EvidenceFileRow, IngestIssueRow

UFDR = Path(__file__).resolve().parents[1] / "fixtures" / "cellebrite" / "synthetic.ufdr"
EVERY_ROW = (
    "SELECT 'messages' AS t, row_id, locator, a_party, b_party, body, sent_utc FROM messages "
    "UNION ALL SELECT 'calls', row_id, locator, a_party, b_party, NULL, start_utc FROM calls "
    "UNION ALL SELECT 'source_rows', row_id, locator, NULL, NULL, raw, NULL FROM source_rows "
    "ORDER BY 1, 2, 3"
)


def _issues(ws: Workspace, run_id: str) -> list[tuple[str, str | None, str | None, int]]:
    with ws.session() as session:
        rows = session.execute(
            select(
                IngestIssueRow.code,
                IngestIssueRow.locator,
                IngestIssueRow.value,
                IngestIssueRow.count,
            )
            .where(IngestIssueRow.run_id == run_id)
            .order_by(IngestIssueRow.id)
        ).all()
    return [(str(c), loc, v, int(n)) for c, loc, v, n in rows]


def _ingest(ws: Workspace, *, force: bool = False) -> ingest.IngestResult:
    return ingest.ingest_exhibit(ws, "OP-SHARE", "JB/2", parser="cellebrite", force=force)


def test_a_shared_reading_is_one_run_of_several_files(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cellebrite, "SHARE_MIN_BYTES", 0)
    monkeypatch.setattr(cellebrite, "SHARE_CHUNK", 1)
    monkeypatch.setattr(ingest.os, "sched_getaffinity", lambda _pid: {0, 1})
    assert workspace.settings.ingest_workers == 2
    cases.create_case(workspace, "OP-SHARE", "Shared reading")
    exhibits.add_exhibit(
        workspace, "OP-SHARE", "JB/2", UFDR, producer="DC Test", description="UFDR"
    )
    shared = _ingest(workspace)
    with workspace.session() as session:
        names = sorted(
            Path(path).name
            for path in session.execute(
                select(EvidenceFileRow.path).where(EvidenceFileRow.run_id == shared.run_id)
            ).scalars()
        )
    assert "messages.parquet" in names
    assert "messages.part1.parquet" in names
    shared_rows = run_sql(workspace, "OP-SHARE", EVERY_ROW).to_pylist()

    monkeypatch.setattr(cellebrite, "SHARE_MIN_BYTES", 2**62)  # the same report, one process
    alone = _ingest(workspace, force=True)
    with workspace.session() as session:
        files = session.execute(
            select(EvidenceFileRow.path).where(EvidenceFileRow.run_id == alone.run_id)
        ).scalars()
        assert not any(".part" in path for path in files)
    assert alone.row_counts == shared.row_counts
    assert (alone.issues, alone.occurrences) == (shared.issues, shared.occurrences)
    assert _issues(workspace, alone.run_id) == _issues(workspace, shared.run_id)
    assert run_sql(workspace, "OP-SHARE", EVERY_ROW).to_pylist() == shared_rows
    assert len(shared_rows) == sum(
        shared.row_counts[t] for t in ("messages", "calls", "source_rows")
    )
