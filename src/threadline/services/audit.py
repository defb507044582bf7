"""Audit services: verify the chain and export the log (requirements 12–14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from threadline.model.audit import AuditOperation
from threadline.services.workspace import Workspace
from threadline.store import audit_log


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
        count = 0
        for row in audit_log.entries(session):
            fields = {**audit_log.entry_fields(row), "hash": row.hash}
            staged.handle.write(json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        report = audit_log.verify_chain(session)
        staged.handle.write(
            json.dumps({"head_seq": report.head_seq, "head_hash": report.head_hash}) + "\n"
        )
        ws.audit(
            session,
            AuditOperation.DISCLOSURE,
            "audit.export",
            object_type="file",
            object_id=target.name,
            detail={"entries": count, "head_hash": report.head_hash},
            justification=justification,
        )
        staged.publish()
    return {
        "entries": count,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "intact": report.intact,
        "file": str(target),
    }
