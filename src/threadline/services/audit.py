"""Audit services: verify the chain and export the log (requirements 12–14)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.model.audit import AuditOperation
from threadline.services.workspace import Workspace
from threadline.store import audit_log
from threadline.store.tables import AuditEntryRow


def verify(ws: Workspace) -> audit_log.ChainReport:
    """Recompute the audit chain."""
    with ws.session() as session:
        return audit_log.verify_chain(session)


def export(ws: Workspace, target: Path, *, justification: str | None = None) -> dict[str, Any]:
    """Write the whole log as JSON Lines, then a final line with the head hash; logged as a
    disclosure (the log holds personal data, s62(4) limits its use).

    Policy is checked before anything is written, and the file appears at ``target`` only once
    its disclosure is in the log (see :meth:`Workspace.export_file`), so a refused or failed
    export discloses nothing.

    Raises:
        PermissionDenied: a justification is required and missing, or ``target`` is inside the
            workspace.
        NotFound: the target's folder does not exist.
        StoreError: the file cannot be written, or the audit log cannot be appended to.
    """
    ws.check_justification(AuditOperation.DISCLOSURE, justification)
    with ws.export_file(target) as staged, ws.session() as session:
        summary = _write_log(ws, session, staged.handle, target.name, justification)
        staged.publish()
    return {**summary, "file": str(target)}


def export_text(ws: Workspace, *, name: str, justification: str | None = None) -> str:
    """The whole log as JSON Lines, as :func:`export` writes it, for a browser download named
    ``name``; logged as a disclosure in the same transaction that reads the log.

    Raises:
        PermissionDenied: a justification is required and missing.
    """
    ws.check_justification(AuditOperation.DISCLOSURE, justification)
    buffer = io.StringIO()
    with ws.session() as session:
        _write_log(ws, session, buffer, name, justification)
    return buffer.getvalue()


def _write_log(
    ws: Workspace, session: Session, handle: TextIO, name: str, justification: str | None
) -> dict[str, Any]:
    count = 0
    for row in audit_log.entries(session):
        fields = {**audit_log.entry_fields(row), "hash": row.hash}
        handle.write(json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    report = audit_log.verify_chain(session)
    handle.write(json.dumps({"head_seq": report.head_seq, "head_hash": report.head_hash}) + "\n")
    ws.audit(
        session,
        AuditOperation.DISCLOSURE,
        "audit.export",
        object_type="file",
        object_id=name,
        detail={"entries": count, "head_hash": report.head_hash},
        justification=justification,
    )
    return {
        "entries": count,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "intact": report.intact,
    }


@dataclass(frozen=True, slots=True)
class AuditEntryView:
    """One audit entry as the audit viewer and a case's recent activity show it."""

    seq: int
    at: str
    actor: str
    operation: str
    action: str
    case_id: str | None
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]
    justification: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def recent(
    ws: Workspace,
    *,
    case_id: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditEntryView]:
    """Audit entries newest first, optionally of one case and before a sequence number.

    Reading the log is itself not logged: the viewer is restricted to administrators and the
    log's use is limited by s62(4); a case's recent activity shows its members what was done
    in their own case.
    """
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(max(1, min(limit, 500)))
    if case_id is not None:
        query = query.where(AuditEntryRow.case_id == case_id)
    if before_seq is not None:
        query = query.where(AuditEntryRow.seq < before_seq)
    with ws.session() as session:
        return [
            AuditEntryView(
                seq=int(row.seq),
                at=row.at,
                actor=row.actor,
                operation=row.operation,
                action=row.action,
                case_id=row.case_id,
                object_type=row.object_type,
                object_id=row.object_id,
                detail=dict(row.detail or {}),
                justification=row.justification,
            )
            for row in session.execute(query).scalars()
        ]
