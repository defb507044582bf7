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
    disclosure (the log holds personal data, s62(4) limits its use)."""
    with ws.session() as session:
        count = 0
        with target.open("w", encoding="utf-8") as handle:
            for row in audit_log.entries(session):
                fields = {**audit_log.entry_fields(row), "hash": row.hash}
                handle.write(json.dumps(fields, sort_keys=True, ensure_ascii=False) + "\n")
                count += 1
        report = audit_log.verify_chain(session)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(
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
        return {
            "entries": count,
            "head_seq": report.head_seq,
            "head_hash": report.head_hash,
            "intact": report.intact,
            "file": str(target),
        }
