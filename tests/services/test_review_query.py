"""``run_sql`` does not hold the case store's write lock while the user's query runs (review).

On SQLite every case-store transaction begins ``BEGIN IMMEDIATE`` and so holds the write lock;
a slow DuckDB query inside one would stop every other command writing. These tests probe the
lock from a second, independent SQLite connection while the query runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from threadline.errors import PermissionDenied, StoreError
from threadline.services import cases, query
from threadline.services.workspace import Workspace
from threadline.store import audit_log
from threadline.store.evidence_store import EvidenceStore, QueryConnection


def _write_lock_free(database: Path) -> bool:
    """Whether another connection could take the write lock at this moment (no waiting)."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        if probe.in_transaction:
            probe.execute("ROLLBACK")
        probe.close()
    return True


class _Probing(QueryConnection):
    """A query connection that records whether the write lock was free when it ran."""

    database: Path
    seen: list[bool]

    def query(self, sql: str) -> pa.Table:
        self.seen.append(_write_lock_free(self.database))
        return super().query(sql)


def _probe_queries(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    seen: list[bool] = []
    connect = EvidenceStore.connect
    database = ws.settings.home / "threadline.db"

    def probing(self: EvidenceStore, files: dict[str, list[str]]) -> QueryConnection:
        con = _Probing(connect(self, files).con)
        object.__setattr__(con, "database", database)
        object.__setattr__(con, "seen", seen)
        return con

    monkeypatch.setattr(EvidenceStore, "connect", probing)
    return seen


def _actions(ws: Workspace) -> list[str]:
    with ws.session() as session:
        return [r.action for r in audit_log.entries(session)]


def test_the_probe_sees_a_held_lock(sqlite_workspace: Workspace) -> None:
    """Control: once a case-store transaction has begun (its first statement, as the old
    ``run_sql`` did with the case lookup) the probe reports the lock as held."""
    database = sqlite_workspace.settings.home / "threadline.db"
    assert _write_lock_free(database)
    with sqlite_workspace.session() as session:
        session.execute(text("SELECT 1"))
        assert not _write_lock_free(database)
    assert _write_lock_free(database)


def test_query_runs_outside_any_transaction_and_is_logged_after(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.create_case(sqlite_workspace, "OP-ASH", "Operation Ash")
    seen = _probe_queries(sqlite_workspace, monkeypatch)
    result = query.run_sql(sqlite_workspace, "OP-ASH", "SELECT 42 AS answer")
    assert result.to_pylist() == [{"answer": 42}]
    assert seen == [True]
    with sqlite_workspace.session() as session:
        last = list(audit_log.entries(session))[-1]
    assert (last.operation, last.action) == ("consultation", "evidence.sql")
    assert last.detail == {"sql": "SELECT 42 AS answer", "rows_returned": 1}


def test_missing_justification_is_refused_before_the_query_runs(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.create_case(sqlite_workspace, "OP-ASH", "Operation Ash")
    seen = _probe_queries(sqlite_workspace, monkeypatch)
    sqlite_workspace.settings = sqlite_workspace.settings.model_copy(
        update={"justification_required": True}
    )
    with pytest.raises(PermissionDenied, match="justification is required for consultation"):
        query.run_sql(sqlite_workspace, "OP-ASH", "SELECT 1")
    assert seen == []
    assert _actions(sqlite_workspace) == ["case.create"]


def test_a_failed_query_is_not_logged(sqlite_workspace: Workspace) -> None:
    cases.create_case(sqlite_workspace, "OP-ASH", "Operation Ash")
    with pytest.raises(StoreError, match="query failed"):
        query.run_sql(sqlite_workspace, "OP-ASH", "SELECT no_such_column FROM calls")
    assert _actions(sqlite_workspace) == ["case.create"]
