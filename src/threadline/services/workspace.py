"""The workspace: the stores, folders, clock, user and parser registry one run works with.

Built once by an entry point from :class:`threadline.settings.Settings` and passed to every
service function; nothing is global.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, NotFound, PermissionDenied, StoreError
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
    actor: str | None = None

    @property
    def user(self) -> str:
        """The audited identity: the signed-in user, else the operating-system user."""
        return self.actor if self.actor is not None else self.settings.user

    def acting_as(self, username: str) -> Workspace:
        """The same stores, acting (and audited) as a signed-in user of the web application."""
        return replace(self, actor=username)

    @property
    def exhibits_dir(self) -> Path:
        """Where preserved exhibit originals live."""
        return self.settings.home / "exhibits"

    def check_justification(self, operation: AuditOperation, justification: str | None) -> None:
        """Refuse an act that force policy says needs a justification when none was given.

        The one place the rule lives: :meth:`audit` applies it when logging, and services whose
        act cannot be undone by a rollback (writing a file, running a long query) call it first,
        so a refused act is never carried out.

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

    def export_target(self, target: Path) -> Path:
        """The absolute path an export may be written to, or a refusal.

        Exports are disclosures written by the user's request to a place the user names; they
        must never land inside the workspace, where they could overwrite the case store, a
        preserved exhibit or evidence files, nor on a SQLite case store kept elsewhere
        (``THREADLINE_DATABASE_URL``) or its journal files.

        Raises:
            PermissionDenied: the target is the workspace folder or inside it, or the SQLite
                case store or one of its journal files.
            ConfigError: the target is an existing folder.
            NotFound: the folder the target would go in does not exist.
        """
        resolved = target.expanduser().resolve()
        home = self.settings.home.expanduser().resolve()
        if resolved.is_relative_to(home):
            raise PermissionDenied(
                f"{target}: exports may not be written inside the workspace ({home}), where "
                "they could overwrite the case store or evidence; choose another folder"
            )
        database = self._sqlite_file()
        if (
            database is not None
            and resolved.parent == database.parent
            and resolved.name.startswith(database.name)
        ):
            raise PermissionDenied(
                f"{target}: exports may not overwrite the case store ({database}) or its "
                "journal; choose another file"
            )
        if resolved.is_dir():
            raise ConfigError(f"{target} is a folder: name the file to write")
        if not resolved.parent.is_dir():
            raise NotFound(f"{resolved.parent}: no such folder to write {target.name} in")
        return resolved

    def _sqlite_file(self) -> Path | None:
        """The SQLite case store's file, resolved, or ``None`` for PostgreSQL or in-memory."""
        url = make_url(self.settings.resolved_database_url())
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).expanduser().resolve()

    @contextmanager
    def export_file(self, target: Path) -> Iterator[ExportFile]:
        """Stage an export beside ``target``, for :meth:`ExportFile.publish` to put in place.

        The file is written under a temporary name in the target's folder; only ``publish``
        (called once the disclosure is in the audit log) renames it to ``target``. If the
        block fails before publishing, the temporary file is removed and ``target`` is left as
        it was; if it fails after publishing (the audit transaction did not commit), the
        published file is removed too, so no disclosure exists without its log entry. The file
        is readable by its owner only (it holds personal data).

        Raises:
            PermissionDenied, ConfigError, NotFound: as :meth:`export_target`.
            StoreError: the file cannot be written (raised for any ``OSError`` in the block).
        """
        final = self.export_target(target)
        try:
            fd, temp_name = tempfile.mkstemp(
                prefix=f".{final.name}.", suffix=".partial", dir=final.parent
            )
        except OSError as exc:
            raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
        staged = ExportFile(
            handle=os.fdopen(fd, "w", encoding="utf-8", newline=""),
            temporary=Path(temp_name),
            target=final,
        )
        try:
            yield staged
        except BaseException as exc:
            if staged.published:
                final.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
            raise
        finally:
            staged.handle.close()
            staged.temporary.unlink(missing_ok=True)

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
        self.check_justification(operation, justification)
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


@dataclass
class ExportFile:
    """An export being written under a temporary name; see :meth:`Workspace.export_file`.

    Attributes:
        handle: the text stream to write to (UTF-8, no newline translation).
        temporary: the temporary file in the target's folder.
        target: the absolute path the file will have once published.
        published: whether :meth:`publish` has put the file in place.
    """

    handle: TextIO
    temporary: Path
    target: Path
    published: bool = False

    def publish(self) -> None:
        """Flush the file to disk and rename it to its target, replacing any file there.

        Raises:
            StoreError: the file cannot be flushed or renamed.
        """
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self.temporary, self.target)
        except OSError as exc:
            raise StoreError(f"cannot write {self.target}: {exc.strerror or exc}") from exc
        self.published = True


def open_workspace(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Workspace:
    """Create the workspace folders if needed and open its stores."""
    # here rather than at the top: the derived tables' definitions import services that
    # themselves import this module
    from threadline.services.derived import read_copy_tables

    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "exhibits").mkdir(exist_ok=True)
    (settings.home / "evidence").mkdir(exist_ok=True)
    return Workspace(
        settings=settings,
        cases=open_case_store(settings.resolved_database_url()),
        evidence=EvidenceStore(settings.home / "evidence", derived=read_copy_tables()),
        registry=Registry.from_entry_points(),
        clock=clock,
    )
