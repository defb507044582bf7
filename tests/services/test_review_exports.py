"""Exports disclose only what the audit log records (review findings).

Policy is checked before a byte is written; the file is written under a temporary name beside
the target and renamed into place only after its disclosure entry is appended; a failure at any
step leaves the target as it was (or absent) and no temporary file; and nothing is ever written
inside the workspace. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from threadline.errors import NotFound, PermissionDenied, StoreError
from threadline.model.audit import AuditOperation
from threadline.services import audit, cases, query
from threadline.services.workspace import ExportFile, Workspace, open_workspace
from threadline.settings import Settings
from threadline.store import audit_log

RESULT = pa.table({"number": ["07700900123", "=1+1"]})


def _entries(ws: Workspace) -> list[tuple[str, str]]:
    with ws.session() as session:
        return [(r.operation, r.action) for r in audit_log.entries(session)]


def _require_justification(ws: Workspace) -> None:
    ws.settings = ws.settings.model_copy(update={"justification_required": True})


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An empty folder outside the workspace for exports."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_check_justification_is_the_rule_audit_applies(workspace: Workspace) -> None:
    workspace.check_justification(AuditOperation.DISCLOSURE, None)  # not required by default
    _require_justification(workspace)
    for blank in (None, "", "   "):
        with pytest.raises(PermissionDenied, match="justification is required for disclosure"):
            workspace.check_justification(AuditOperation.DISCLOSURE, blank)
    workspace.check_justification(AuditOperation.DISCLOSURE, "tasking 12/3")
    # collection is never justified by policy
    workspace.check_justification(AuditOperation.COLLECTION, None)


def test_audit_export_refused_without_justification_writes_nothing(
    workspace: Workspace, outdir: Path
) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    _require_justification(workspace)
    with pytest.raises(PermissionDenied, match="justification is required for disclosure"):
        audit.export(workspace, outdir / "audit.jsonl")
    assert list(outdir.iterdir()) == []
    assert _entries(workspace) == [("collection", "case.create")]


def test_csv_export_refused_without_justification_writes_nothing(
    workspace: Workspace, outdir: Path
) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    _require_justification(workspace)
    with pytest.raises(PermissionDenied, match="justification is required for disclosure"):
        query.export_csv(workspace, "OP-ASH", RESULT, outdir / "r.csv", what="SELECT 1")
    assert list(outdir.iterdir()) == []
    assert _entries(workspace) == [("collection", "case.create")]


def test_csv_export_is_written_and_logged(workspace: Workspace, outdir: Path) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    target = outdir / "r.csv"
    target.write_text("an older file\n", encoding="utf-8")
    query.export_csv(
        workspace, "OP-ASH", RESULT, target, what="SELECT number", justification="tasking"
    )
    with target.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [["number"], ["07700900123"], ["'=1+1"]]
    assert [p.name for p in outdir.iterdir()] == ["r.csv"]  # no temporary file left
    # personal data: readable by its owner only
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _entries(workspace)[-1] == ("disclosure", "evidence.export")


@pytest.mark.parametrize("where", ["home", "database", "exhibits", "evidence/new.csv"])
def test_exports_inside_the_workspace_are_refused(
    workspace: Workspace, where: str, outdir: Path
) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    home = workspace.settings.home
    target = {
        "home": home,
        "database": home / "threadline.db",
        "exhibits": home / "exhibits",
        "evidence/new.csv": home / "evidence" / "new.csv",
    }[where]
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    with pytest.raises(PermissionDenied, match="inside the workspace"):
        audit.export(workspace, target, justification="x")
    with pytest.raises(PermissionDenied, match="inside the workspace"):
        query.export_csv(workspace, "OP-ASH", RESULT, target, what="q", justification="x")
    after = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    assert after == before
    assert _entries(workspace) == [("collection", "case.create")]


def test_a_path_that_leads_into_the_workspace_is_refused(
    workspace: Workspace, outdir: Path
) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    link = outdir / "innocent"
    link.symlink_to(workspace.settings.home / "evidence", target_is_directory=True)
    with pytest.raises(PermissionDenied, match="inside the workspace"):
        audit.export(workspace, link / "audit.jsonl")
    # outdir and home are siblings in tmp_path
    sneaky = outdir / ".." / workspace.settings.home.name / "audit.jsonl"
    assert sneaky.resolve().parent == workspace.settings.home.resolve()
    with pytest.raises(PermissionDenied, match="inside the workspace"):
        audit.export(workspace, sneaky)
    assert not (workspace.settings.home / "evidence" / "audit.jsonl").exists()
    assert not (workspace.settings.home / "audit.jsonl").exists()


def test_a_case_store_kept_outside_the_workspace_is_protected(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    settings = Settings(
        home=tmp_path / "home", database_url=f"sqlite:///{store / 'case.db'}", user="a.test"
    )
    ws = open_workspace(settings)
    try:
        original = (store / "case.db").read_bytes()
        for name in ("case.db", "case.db-wal", "case.db-journal"):
            with pytest.raises(PermissionDenied, match="may not overwrite the case store"):
                audit.export(ws, store / name)
        assert (store / "case.db").read_bytes() == original
        # a neighbour with another name is an ordinary export
        audit.export(ws, store / "audit.jsonl")
        assert (store / "audit.jsonl").exists()
    finally:
        ws.close()


def test_export_to_a_missing_folder_is_not_found(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no such folder"):
        audit.export(workspace, tmp_path / "nowhere" / "audit.jsonl")


def test_failed_logging_leaves_the_old_file_and_no_partial(
    workspace: Workspace, outdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    target = outdir / "audit.jsonl"
    target.write_text("the previous export\n", encoding="utf-8")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise StoreError("the log cannot be written")

    monkeypatch.setattr(Workspace, "audit", refuse)
    with pytest.raises(StoreError, match="cannot be written"):
        audit.export(workspace, target)
    with pytest.raises(StoreError, match="cannot be written"):
        query.export_csv(workspace, "OP-ASH", RESULT, target, what="q")
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert [p.name for p in outdir.iterdir()] == ["audit.jsonl"]


def test_failure_after_publishing_removes_the_file_and_the_entry(
    workspace: Workspace, outdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the logging transaction fails after the rename, the disclosure is undone with it."""
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    publish = ExportFile.publish

    def publish_then_fail(self: ExportFile) -> None:
        publish(self)
        assert self.target.exists()
        raise StoreError("commit failed")

    monkeypatch.setattr(ExportFile, "publish", publish_then_fail)
    with pytest.raises(StoreError, match="commit failed"):
        audit.export(workspace, outdir / "audit.jsonl", justification="x")
    with pytest.raises(StoreError, match="commit failed"):
        query.export_csv(workspace, "OP-ASH", RESULT, outdir / "r.csv", what="q")
    assert list(outdir.iterdir()) == []
    assert _entries(workspace) == [("collection", "case.create")]


def test_audit_export_is_logged_before_it_appears(
    workspace: Workspace, outdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the disclosure entry is appended, the target does not exist yet."""
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    target = outdir / "audit.jsonl"
    seen: list[bool] = []
    real_audit = Workspace.audit

    def watching(
        self: Workspace, session: Session, operation: AuditOperation, action: str, **kwargs: Any
    ) -> None:
        seen.append(target.exists())
        real_audit(self, session, operation, action, **kwargs)

    monkeypatch.setattr(Workspace, "audit", watching)
    summary = audit.export(workspace, target, justification="quarterly audit")
    assert seen == [False]
    lines = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    assert [line.get("seq") for line in lines[:-1]] == [1]
    assert lines[-1] == {"head_seq": 1, "head_hash": summary["head_hash"]}
    assert _entries(workspace)[-1] == ("disclosure", "audit.export")
    assert audit.verify(workspace).intact
