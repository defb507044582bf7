"""The audit log's hash chain detects tampering done directly in the database (requirement 14).

Each test builds a short real log through the services, then edits the ``audit_log`` table with
plain SQL as an insider with database access would, and checks ``verify_chain`` names the place.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from threadline.errors import PermissionDenied, StoreError
from threadline.model.audit import AuditOperation
from threadline.services import audit, cases
from threadline.services.workspace import Workspace
from threadline.store import audit_log
from threadline.store.tables import AuditEntryRow


def _build_log(ws: Workspace) -> None:
    cases.create_case(ws, "OP-ASH", "Operation Ash")
    cases.create_case(ws, "OP-BIRCH", "Operation Birch")
    for _ in range(3):
        cases.show_case(ws, "OP-ASH")


def _sql(ws: Workspace, statement: str, **params: object) -> None:
    with ws.cases.engine.begin() as conn:
        conn.execute(text(statement), params)


def _problems(ws: Workspace) -> list[tuple[int, str]]:
    report = audit.verify(ws)
    return [(p.seq, p.problem) for p in report.problems]


def test_intact_log_verifies(workspace: Workspace) -> None:
    _build_log(workspace)
    report = audit.verify(workspace)
    assert report.intact
    assert report.entries == 5
    assert report.head_seq == 5


def test_entries_record_who_what_when(workspace: Workspace) -> None:
    _build_log(workspace)
    with workspace.session() as session:
        rows = list(audit_log.entries(session))
    assert [r.operation for r in rows] == [
        "collection",
        "collection",
        "consultation",
        "consultation",
        "consultation",
    ]
    assert {r.actor for r in rows} == {"analyst.test"}
    # StepClock: 09:00:00 start, one second per call; times are UTC with a Z
    assert rows[0].at.endswith("Z")
    assert rows[0].at < rows[1].at < rows[4].at
    assert rows[2].action == "case.show"


def test_modified_entry_is_detected(workspace: Workspace) -> None:
    _build_log(workspace)
    _sql(workspace, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    assert _problems(workspace) == [(2, "content does not match its hash (modified)")]


def test_deleted_entry_is_detected(workspace: Workspace) -> None:
    _build_log(workspace)
    _sql(workspace, "DELETE FROM audit_log WHERE seq = 3")
    problems = _problems(workspace)
    assert (4, "sequence jumps from 2 to 4: entries are missing") in problems
    assert any(seq == 4 and "does not follow" in p for seq, p in problems)


def test_truncated_tail_is_detected(workspace: Workspace) -> None:
    _build_log(workspace)
    _sql(workspace, "DELETE FROM audit_log WHERE seq = 5")
    problems = _problems(workspace)
    assert len(problems) == 1
    assert problems[0][0] == 4
    assert "head records entry 5" in problems[0][1]


def test_reordered_entries_are_detected(workspace: Workspace) -> None:
    _build_log(workspace)
    # swap entries 2 and 3 by renumbering them
    _sql(workspace, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
    _sql(workspace, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    _sql(workspace, "UPDATE audit_log SET seq = 3 WHERE seq = 100")
    problems = _problems(workspace)
    assert {seq for seq, _ in problems} >= {2, 3}
    assert all("does not follow" in p or "modified" in p for _, p in problems)


def test_inserted_entry_with_valid_hash_is_detected(workspace: Workspace) -> None:
    """A forger who knows the hash recipe inserts a well-formed entry in the middle."""
    _build_log(workspace)
    _sql(workspace, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3")
    _sql(workspace, "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103")
    with workspace.session() as session:
        second = session.get(AuditEntryRow, 2)
        assert second is not None
        forged = AuditEntryRow(
            seq=3,
            at="2026-06-01T09:00:03.500000Z",
            actor="mallory",
            operation="consultation",
            action="case.show",
            case_id=None,
            object_type=None,
            object_id=None,
            detail={},
            justification=None,
            prev_hash=second.hash,
            hash="",
        )
        forged.hash = audit_log.entry_hash(forged)
        session.add(forged)
    problems = _problems(workspace)
    # the forged entry itself chains correctly; the entry after it no longer does, and the
    # head no longer matches the end of the log
    assert any(seq == 4 and "does not follow" in p for seq, p in problems)
    assert any("head records entry 5" in p for _, p in problems)


def test_deleted_head_row_is_reported_not_raised(workspace: Workspace) -> None:
    _build_log(workspace)
    _sql(workspace, "DELETE FROM audit_head")
    report = audit.verify(workspace)
    assert not report.intact
    assert report.entries == 5
    assert (report.head_seq, report.head_hash) == (0, "")
    assert len(report.problems) == 1
    assert report.problems[0].seq == 5
    assert report.problems[0].problem.startswith("the head row is missing")


def test_append_refuses_without_a_head_row(workspace: Workspace) -> None:
    _build_log(workspace)
    _sql(workspace, "DELETE FROM audit_head")
    with pytest.raises(StoreError, match="head row is missing"):
        cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")
    # the act was rolled back with the entry that could not be chained
    assert [c.reference for c in cases.list_cases(workspace)] == ["OP-ASH", "OP-BIRCH"]
    with workspace.session() as session:
        assert [r.seq for r in audit_log.entries(session)] == [1, 2, 3, 4, 5]


def test_justification_can_be_mandatory(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    strict = workspace.settings.model_copy(update={"justification_required": True})
    workspace.settings = strict
    with pytest.raises(PermissionDenied, match="justification is required for consultation"):
        cases.show_case(workspace, "OP-ASH")
    cases.show_case(workspace, "OP-ASH", justification="tasking 12/3: identify the controller")
    with workspace.session() as session:
        last = list(audit_log.entries(session))[-1]
    assert last.operation == AuditOperation.CONSULTATION.value
    assert last.justification == "tasking 12/3: identify the controller"
    assert audit.verify(workspace).intact


def test_refused_act_is_not_logged(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    workspace.settings = workspace.settings.model_copy(update={"justification_required": True})
    with pytest.raises(PermissionDenied):
        cases.show_case(workspace, "OP-ASH")
    assert audit.verify(workspace).entries == 1


def test_export_writes_every_entry_and_the_head(workspace: Workspace, tmp_path: Path) -> None:
    _build_log(workspace)
    target = tmp_path / "audit.jsonl"
    summary = audit.export(workspace, target, justification="quarterly audit")
    lines = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    entries, head = lines[:-1], lines[-1]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert summary["entries"] == 5
    assert head == {"head_seq": 5, "head_hash": entries[-1]["hash"]}
    # an auditor can recompute the chain from the export alone
    previous = "0" * 64
    for entry in entries:
        assert entry["prev_hash"] == previous
        material = {k: v for k, v in entry.items() if k != "hash"}
        text = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["hash"]
        previous = entry["hash"]
    # the export itself is logged, as a disclosure, after the head it reports
    report = audit.verify(workspace)
    assert report.intact
    assert report.entries == 6
    with workspace.session() as session:
        last = list(audit_log.entries(session))[-1]
    assert (last.operation, last.action, last.justification) == (
        "disclosure",
        "audit.export",
        "quarterly audit",
    )
