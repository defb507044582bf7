"""The workspace: the stores, folders, clock, user and parser registry one run works with.

Built once by an entry point from :class:`threadline.settings.Settings` and passed to every
service function; nothing is global.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from threadline.errors import PermissionDenied
from threadline.ingest.registry import Registry
from threadline.model.audit import JUSTIFIABLE, AuditOperation
from threadline.settings import Settings
from threadline.store import audit_log
from threadline.store.database import CaseStore, open_case_store
from threadline.store.evidence_store import EvidenceStore


def utc_now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)


@dataclass
class Workspace:
    """Everything a service needs."""

    settings: Settings
    cases: CaseStore
    evidence: EvidenceStore
    registry: Registry
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def user(self) -> str:
        """The audited identity."""
        return self.settings.user

    @property
    def exhibits_dir(self) -> Path:
        """Where preserved exhibit originals live."""
        return self.settings.home / "exhibits"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A case-store transaction."""
        with self.cases.session() as session:
            yield session

    def audit(
        self,
        session: Session,
        operation: AuditOperation,
        action: str,
        *,
        case_id: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        detail: dict[str, object] | None = None,
        justification: str | None = None,
    ) -> None:
        """Log an act in the audit log, in the same transaction as the act itself.

        Raises:
            PermissionDenied: force policy requires a justification for consultation and
                disclosure and none was given (requirement 13).
        """
        if (
            self.settings.justification_required
            and operation in JUSTIFIABLE
            and not (justification and justification.strip())
        ):
            raise PermissionDenied(
                f"a justification is required for {operation.value} (force policy): pass "
                "--justification"
            )
        audit_log.append(
            session,
            audit_log.AuditRecord(
                actor=self.user,
                operation=operation,
                action=action,
                case_id=case_id,
                object_type=object_type,
                object_id=object_id,
                detail=dict(detail or {}),
                justification=justification,
            ),
            self.clock(),
        )

    def close(self) -> None:
        """Release database connections."""
        self.cases.dispose()


def open_workspace(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Workspace:
    """Create the workspace folders if needed and open its stores."""
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "exhibits").mkdir(exist_ok=True)
    (settings.home / "evidence").mkdir(exist_ok=True)
    return Workspace(
        settings=settings,
        cases=open_case_store(settings.resolved_database_url()),
        evidence=EvidenceStore(settings.home / "evidence"),
        registry=Registry.from_entry_points(),
        clock=clock,
    )
