"""The case store's tables (SQLAlchemy 2 declarative mapping).

The case store holds what is mutable, transactional and audited: cases, the exhibits catalogue
and continuity, ingest runs and their issues, the evidence files each run wrote (with hashes), and
the hash-chained audit log. Migrations (``store/migrations``) create these tables; the models here
are the single description both SQLite and PostgreSQL are built from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, overload

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: How a NUL character is written in the case store: PostgreSQL refuses NUL in text columns.
NUL_ESCAPE = "\\x00"


def text_for_store(value: str | None) -> str | None:
    """Return ``value`` with every NUL character replaced by the visible escape ``\\x00``.

    PostgreSQL refuses NUL (``\\x00``) in text, so one NUL in an issue's value or message (read
    from a hostile or corrupt exhibit) would make the whole ingest's final transaction fail. The
    escape keeps the character visible to the person reading the issue instead of dropping it;
    SQLite stores the same text, so both backends hold the same value. ``None`` stays ``None``.
    """
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", NUL_ESCAPE)


@overload
def stored_instant(moment: datetime) -> datetime: ...


@overload
def stored_instant(moment: None) -> None: ...


def stored_instant(moment: datetime | None) -> datetime | None:
    """An instant read back from the case store, with its zone.

    Every instant is written in UTC; PostgreSQL hands it back aware, SQLite naive. This makes
    both aware, so callers compare and print them alike.
    """
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class Base(DeclarativeBase):
    """Declarative base of the case store."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class CaseRow(Base):
    """A case (operation)."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    marking: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(Text)


class CaseOffenceRow(Base):
    """An offence tag on a case (requirement 53)."""

    __tablename__ = "case_offences"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)


class ExhibitRow(Base):
    """An exhibit registered in a case; the original is preserved read-only in the workspace."""

    __tablename__ = "exhibits"
    __table_args__ = (UniqueConstraint("case_id", "reference"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    producer: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    date_produced: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(16))  # file or folder
    original_name: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    marking: Mapped[str] = mapped_column(String(32))
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(Text)
    comms_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ContinuityRow(Base):
    """One entry of an exhibit's continuity record: who did what, when."""

    __tablename__ = "continuity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exhibit_id: Mapped[str] = mapped_column(ForeignKey("exhibits.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class IngestRunRow(Base):
    """One ingest of one exhibit by one parser version with given parameters."""

    __tablename__ = "ingest_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    exhibit_id: Mapped[str] = mapped_column(ForeignKey("exhibits.id"), index=True)
    parser: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))  # running, complete, failed, superseded
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(Text)
    row_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # live progress, so that a watcher in another process (the web page) can follow the run
    rows_done: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rows_expected: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    progress_at: Mapped[datetime | None]


class EvidenceFileRow(Base):
    """A Parquet file an ingest run wrote, with its hash (design.md "Storage")."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(BigInteger)


class IngestIssueRow(Base):
    """A problem found while ingesting, with its place in the exhibit."""

    __tablename__ = "ingest_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(Text, nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    count: Mapped[int] = mapped_column(BigInteger)


class AuditEntryRow(Base):
    """One entry of the append-only, hash-chained audit log (DPA 2018 s62; requirements 12–15)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # ISO-8601 UTC text, not a DateTime: the exact characters are hashed, and databases differ in
    # how they hand time zones back.
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Text)
    operation: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    object_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    object_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The latest audit entry's sequence number and hash: detects a truncated tail, and its row
    lock serialises appends on PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    """A person who signs in to the web application (design.md §5)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    # Argon2id encoded hash (parameters and salt inside); never the password
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(Text)
    last_sign_in_at: Mapped[datetime | None]


class CaseMemberRow(Base):
    """A user's membership of a case: need-to-know (requirement 64)."""

    __tablename__ = "case_members"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    membership: Mapped[str] = mapped_column(String(16))  # owner or member
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(Text)


class WebSessionRow(Base):
    """A signed-in browser session. The cookie holds a random token; only its hash is kept."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AnalysisRunRow(Base):
    """One run of one analysis (``name@version``) with given parameters over a case's evidence.

    ``question`` keys the analysis name and canonical parameters (not the version): a newer
    run of the same question supersedes the older, whose findings stay as history.
    ``evidence_key`` is the hash of the evidence files read, so a run over unchanged evidence
    is not repeated.
    """

    __tablename__ = "analysis_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    method: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    question: Mapped[str] = mapped_column(String(32), index=True)
    evidence_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running, complete, failed, superseded
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(Text)
    findings: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FindingRow(Base):
    """A finding of an analysis run (threadline.model.finding.Finding), with its rows."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("analysis_runs.id"), index=True)
    finding_id: Mapped[str] = mapped_column(String(32), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))
    subjects: Mapped[list[str]] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    derived_from: Mapped[list[str]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    basis: Mapped[str] = mapped_column(String(16))
    first_utc: Mapped[datetime | None]
    last_utc: Mapped[datetime | None]
    # a LinkCitation's to_dict(), when the finding names its rows by links (migration 0005)
    derived_links: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class FindingSubjectRow(Base):
    """One subject of a finding, so that an entity's findings are found by its identifier."""

    __tablename__ = "finding_subjects"

    finding: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), index=True)


class JudgementRow(Base):
    """An analyst's judgement that two subjects are the same, not the same, or unsure
    (threadline.model.judgement). A reversal is recorded on the row; the row is never deleted."""

    __tablename__ = "judgements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    first: Mapped[str] = mapped_column(String(200))
    second: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    made_by: Mapped[str] = mapped_column(Text)
    made_at: Mapped[datetime]
    reversed_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    reversed_at: Mapped[datetime | None]
    reversal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
