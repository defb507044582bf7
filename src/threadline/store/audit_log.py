"""The append-only, hash-chained audit log (requirements 12–14).

Each entry's hash covers its own fields and the previous entry's hash, so changing, deleting,
inserting or reordering an entry breaks the chain from that point; the head row (latest sequence
number and hash) also reveals a truncated tail. :func:`verify_chain` recomputes everything.

Limits, stated plainly: someone able to rewrite the whole table *and* the head consistently can
forge a chain; exporting the head hash elsewhere (``audit export`` prints it) lets an auditor
detect that too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.errors import StoreError
from threadline.model.audit import AuditOperation
from threadline.store.tables import AuditEntryRow, AuditHeadRow

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What a caller asks to log."""

    actor: str
    operation: AuditOperation
    action: str
    case_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    detail: dict[str, Any] | None = None
    justification: str | None = None


def format_instant(moment: datetime) -> str:
    """ISO-8601 UTC text with microseconds and 'Z', the form hashed and stored."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_fields(row: AuditEntryRow) -> dict[str, Any]:
    """An entry's fields as plain data: what its hash covers, and what an export writes."""
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "operation": row.operation,
        "action": row.action,
        "case_id": row.case_id,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail,
        "justification": row.justification,
        "prev_hash": row.prev_hash,
    }


def entry_hash(row: AuditEntryRow) -> str:
    """The SHA-256 over an entry's fields and its predecessor's hash (canonical JSON)."""
    text = json.dumps(entry_fields(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(session: Session, record: AuditRecord, at: datetime) -> AuditEntryRow:
    """Append an entry in the caller's transaction (so the log and the act commit together).

    Raises:
        StoreError: the head row is missing (deleted from the database), so the entry could not
            be chained safely; nothing is appended and the caller's act is rolled back with it.
    """
    head = session.execute(
        select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        raise StoreError(
            "the audit log's head row is missing (the audit_head table has been altered), so "
            "nothing can be logged and the request was refused; run 'threadline audit verify' "
            "and restore the case store from a backup"
        )
    row = AuditEntryRow(
        seq=head.seq + 1,
        at=format_instant(at),
        actor=record.actor,
        operation=record.operation.value,
        action=record.action,
        case_id=record.case_id,
        object_type=record.object_type,
        object_id=record.object_id,
        detail=record.detail or {},
        justification=record.justification,
        prev_hash=head.hash,
        hash="",
    )
    row.hash = entry_hash(row)
    session.add(row)
    head.seq = row.seq
    head.hash = row.hash
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """One place the chain does not verify."""

    seq: int
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of verifying the chain.

    Attributes:
        entries: how many entries the log holds.
        head_seq: the sequence number the head row records (0 if the head row is missing).
        head_hash: the hash the head row records (empty if the head row is missing).
        problems: every place the chain does not verify, in order.
    """

    entries: int
    head_seq: int
    head_hash: str
    problems: tuple[ChainProblem, ...]

    @property
    def intact(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def entries(session: Session, *, case_id: str | None = None) -> Iterator[AuditEntryRow]:
    """The entries in sequence order (optionally one case's), streamed."""
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq)
    if case_id is not None:
        query = query.where(AuditEntryRow.case_id == case_id)
    yield from session.execute(query.execution_options(yield_per=1000)).scalars()


def verify_chain(session: Session) -> ChainReport:
    """Recompute the whole chain and compare it with the head.

    A missing head row is reported as a problem (the report's ``head_seq`` is then 0 and its
    ``head_hash`` empty), not raised: verification exists to describe a damaged log.
    """
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev = GENESIS
    count = 0
    last_seq, last_hash = 0, GENESIS
    for row in entries(session):
        count += 1
        if row.seq != expected_seq:
            problems.append(
                ChainProblem(
                    row.seq,
                    f"sequence jumps from {expected_seq - 1} to {row.seq}: entries are missing",
                )
            )
        if row.prev_hash != prev:
            problems.append(
                ChainProblem(
                    row.seq,
                    "does not follow the previous entry (deleted, inserted or reordered entries)",
                )
            )
        if entry_hash(row) != row.hash:
            problems.append(ChainProblem(row.seq, "content does not match its hash (modified)"))
        prev = row.hash
        expected_seq = row.seq + 1
        last_seq, last_hash = row.seq, row.hash
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one_or_none()
    if head is None:
        problems.append(
            ChainProblem(
                last_seq,
                f"the head row is missing (the audit_head table has been altered); the log ends "
                f"at {last_seq}, but whether entries were removed from the end cannot be told",
            )
        )
        return ChainReport(count, 0, "", tuple(problems))
    if head.seq != last_seq or head.hash != last_hash:
        problems.append(
            ChainProblem(
                last_seq,
                f"the head records entry {head.seq} but the log ends at {last_seq} "
                "(entries removed from the end, or the head altered)",
            )
        )
    return ChainReport(count, head.seq, head.hash, tuple(problems))
