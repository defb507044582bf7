"""Exhibits: registration with integrity, continuity, listing and verification.

Registering an exhibit copies the original into the workspace while computing its SHA-256 in the
same pass (multi-gigabyte files are streamed, never held in memory), makes the copy read-only and
records who registered it and when (ACPO principles 1 and 3; requirements 16, 20). The copy is
never modified; :func:`verify_exhibit` re-hashes it and ingest refuses an exhibit that fails.

A folder exhibit's hash is the SHA-256 of its manifest: one line ``<sha256>  <relative path>`` per
file, sorted by path, each line ending in a newline. Symbolic links inside a folder are refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from threadline.errors import (
    ConfigError,
    Conflict,
    HostileInput,
    IntegrityError,
    NotFound,
    StoreError,
)
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.model.marking import parse_marking
from threadline.model.phone import normalise_phone
from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.evidence_store import sha256_file
from threadline.store.tables import CaseRow, ContinuityRow, ExhibitRow, stored_instant

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,63}$")
_COPY_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CommsData:
    """What a communications data return must record (requirements 21, 37).

    Attributes:
        provider: the telecommunications operator that returned the data.
        target_number: the number in the authorisation.
        authorisation: the authorisation reference (e.g. an OCDA URN).
        authorised_from: start of the authorised window (UTC).
        authorised_to: end of the authorised window (UTC).
        data_type: ``events`` or ``entity`` data (requirement 38).
        authoriser: OCDA, DSO or urgent.
    """

    provider: str | None = None
    target_number: str | None = None
    authorisation: str | None = None
    authorised_from: datetime | None = None
    authorised_to: datetime | None = None
    data_type: str | None = None
    authoriser: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form for the case store."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CommsData | None:
        """Inverse of :meth:`to_json`."""
        if not data:
            return None
        values = dict(data)
        for key in ("authorised_from", "authorised_to"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ContinuityEntry:
    """One line of an exhibit's continuity record."""

    at: str
    actor: str
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class ExhibitInfo:
    """An exhibit as shown to a user."""

    id: str
    case_reference: str
    reference: str
    producer: str
    description: str
    date_produced: str | None
    kind: str
    original_name: str
    sha256: str
    size_bytes: int
    marking: str
    registered_at: str
    registered_by: str
    comms_data: dict[str, Any] | None
    continuity: tuple[ContinuityEntry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of re-hashing an exhibit."""

    reference: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        """True when the hashes match."""
        return self.expected == self.actual

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {**asdict(self), "ok": self.ok}


def _iso(moment: datetime | None) -> str | None:
    return stored_instant(moment).isoformat() if moment else None


def exhibit_info(session: Session, case: CaseRow, row: ExhibitRow) -> ExhibitInfo:
    """Build the user-facing view of an exhibit row."""
    continuity = tuple(
        ContinuityEntry(c.at.isoformat(), c.actor, c.action, c.detail)
        for c in session.execute(
            select(ContinuityRow)
            .where(ContinuityRow.exhibit_id == row.id)
            .order_by(ContinuityRow.id)
        ).scalars()
    )
    return ExhibitInfo(
        id=row.id,
        case_reference=case.reference,
        reference=row.reference,
        producer=row.producer,
        description=row.description,
        date_produced=_iso(row.date_produced),
        kind=row.kind,
        original_name=row.original_name,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        marking=row.marking,
        registered_at=row.registered_at.isoformat(),
        registered_by=row.registered_by,
        comms_data=row.comms_data,
        continuity=continuity,
    )


def find_exhibit(session: Session, case: CaseRow, reference: str) -> ExhibitRow:
    """The case's exhibit with this reference (case-insensitive).

    Raises:
        NotFound: no such exhibit in the case.
    """
    row = session.execute(
        select(ExhibitRow).where(
            ExhibitRow.case_id == case.id,
            func.upper(ExhibitRow.reference) == reference.strip().upper(),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(
            f"no exhibit {reference!r} in case {case.reference}: "
            f"'threadline exhibit list --case {case.reference}' shows them"
        )
    return row


def _copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("xb") as dst:
        while block := src.read(_COPY_CHUNK):
            digest.update(block)
            dst.write(block)
            size += len(block)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest(), size


def _folder_files(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            raise HostileInput(
                "symbolic links inside an exhibit folder are refused",
                path=str(path.relative_to(folder)),
            )
        if path.is_file():
            files.append(path)
    return files


def folder_manifest_hash(lines: list[tuple[str, str]]) -> str:
    """SHA-256 of a folder manifest given (relative posix path, file sha256) pairs."""
    text = "".join(f"{sha}  {rel}\n" for rel, sha in sorted(lines))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _preserve(source: Path, target_dir: Path) -> tuple[str, int, str]:
    """Copy ``source`` into the existing folder ``target_dir`` hashing as it goes; returns
    (sha256, size, kind)."""
    if source.is_file():
        sha, size = _copy_hashing(source, target_dir / source.name)
        return sha, size, "file"
    entries: list[tuple[str, str]] = []
    total = 0
    root = target_dir / source.name
    root.mkdir()
    for path in _folder_files(source):
        rel = path.relative_to(source)
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        sha, size = _copy_hashing(path, dest)
        entries.append((rel.as_posix(), sha))
        total += size
    return folder_manifest_hash(entries), total, "folder"


_READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
_READ_ONLY_DIR = _READ_ONLY_FILE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH


def _make_read_only(folder: Path) -> None:
    """Take write permission away from ``folder`` and everything in it, the folder itself last.

    The exhibit's own folder is included, so nothing can be added to, renamed in or removed
    from the preserved tree without first changing its permissions (ACPO principle 1).
    """
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            item = Path(root, name)
            if not item.is_symlink():
                item.chmod(_READ_ONLY_FILE)
        for name in dirs:
            item = Path(root, name)
            if not item.is_symlink():
                item.chmod(_READ_ONLY_DIR)
    folder.chmod(_READ_ONLY_DIR)


def _make_writable(folder: Path) -> None:
    """Give the owner write (and search) permission on ``folder`` and everything in it.

    Folders are changed before they are listed, so a tree left read-only (or unsearchable) by
    an interrupted registration can still be walked and removed. Symbolic links are not
    followed.
    """
    folder.chmod(folder.stat().st_mode | stat.S_IRWXU)
    for root, dirs, files in os.walk(folder, topdown=True):
        for name in dirs:
            item = Path(root, name)
            if not item.is_symlink():
                item.chmod(item.lstat().st_mode | stat.S_IRWXU)
        for name in files:
            item = Path(root, name)
            if not item.is_symlink():
                item.chmod(item.lstat().st_mode | stat.S_IWUSR)


def _remove_tree(folder: Path) -> None:
    """Remove a folder this registration created (or one the case store has no exhibit for),
    restoring write permission first; a folder that is already gone is not an error."""
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_dir() and not folder.is_symlink():
        _make_writable(folder)
        shutil.rmtree(folder)
    else:
        folder.unlink()


def hash_preserved(path: Path) -> str:
    """Re-hash a preserved exhibit (file, or folder by manifest)."""
    if path.is_file():
        return sha256_file(path, _COPY_CHUNK)
    lines = [
        (item.relative_to(path).as_posix(), sha256_file(item, _COPY_CHUNK))
        for item in _folder_files(path)
    ]
    return folder_manifest_hash(lines)


def preserved_path(ws: Workspace, row: ExhibitRow) -> Path:
    """Where the exhibit's preserved copy is."""
    return ws.exhibits_dir / row.stored_path


def add_exhibit(
    ws: Workspace,
    case_reference: str,
    reference: str,
    source: Path,
    *,
    producer: str,
    description: str,
    date_produced: datetime | None = None,
    marking: str | None = None,
    comms: CommsData | None = None,
) -> ExhibitInfo:
    """Register ``source`` (a file or folder) as an exhibit of the case.

    The source path is resolved first, so ``.``, ``..`` or a symbolic link is preserved under
    the real name of what it points at. The copy is made outside any case-store transaction (it
    can take minutes), in a staging folder of this call's own. The exhibit's folder
    ``exhibits/<case>/<exhibit>`` is put in place only inside the transaction that records the
    exhibit, after its row is written, so a concurrent registration of the same reference can
    never have its preserved copy replaced or removed. The whole preserved tree, the exhibit's
    folder included, is then made read-only.

    Raises:
        NotFound: no such case, or ``source`` does not exist.
        ConfigError: bad reference, empty producer or description, bad marking.
        Conflict: the case already has an exhibit with this reference.
        HostileInput: a folder holds symbolic links.
        StoreError: a folder left by an unfinished registration cannot be removed.
    """
    reference = reference.strip()
    if not _REFERENCE.match(reference):
        raise ConfigError(
            f"exhibit reference {reference!r} must be 1–64 letters, digits, '/', '-', '_' or "
            "'.', e.g. JB/1"
        )
    if not producer.strip() or not description.strip():
        raise ConfigError("an exhibit needs a producer and a description")
    given = source
    source = source.expanduser().resolve()
    if not source.exists():
        raise NotFound(f"{given}: no such file or folder")
    if not (source.is_file() or source.is_dir()):
        raise ConfigError(f"{given}: not a regular file or folder")
    if not source.name:
        raise ConfigError(f"{given}: the root folder cannot be registered as an exhibit")
    if comms is not None and comms.target_number:
        number = normalise_phone(comms.target_number)
        comms = CommsData(**{**asdict(comms), "target_number": number.e164 or comms.target_number})
    with ws.session() as session:
        case = find_case(session, case_reference)
        chosen = parse_marking(
            marking or case.marking,
            accredited_above_official=ws.settings.accredited_above_official,
        )
        _refuse_duplicate(session, case, reference)
        case_id = case.id
    exhibit_id = make_id("exhibit", case_id, reference.upper())
    case_dir = ws.exhibits_dir / case_id
    final_dir = case_dir / exhibit_id
    case_dir.mkdir(parents=True, exist_ok=True)
    # a name of this call's own: a concurrent registration never shares (or sweeps) it
    staging = Path(tempfile.mkdtemp(prefix=f"{exhibit_id}.", suffix=".partial", dir=case_dir))
    placed = False
    try:
        sha, size, kind = _preserve(source, staging)
        # read-only before it is put in place: the transaction below only renames the folder
        _make_read_only(staging)
        with ws.session() as session:
            case = find_case(session, case_reference)
            _refuse_duplicate(session, case, reference)
            if session.get(ExhibitRow, exhibit_id) is not None:
                raise Conflict(f"case {case.reference} already has exhibit {exhibit_id}")
            now = ws.clock()
            row = ExhibitRow(
                id=exhibit_id,
                case_id=case.id,
                reference=reference,
                producer=producer.strip(),
                description=description.strip(),
                date_produced=date_produced,
                kind=kind,
                original_name=source.name,
                stored_path=f"{case.id}/{exhibit_id}/{source.name}",
                sha256=sha,
                size_bytes=size,
                marking=chosen.value,
                registered_at=now,
                registered_by=ws.user,
                comms_data=comms.to_json() if comms else None,
            )
            session.add(row)
            try:
                # Writing the row claims the exhibit id: a registration of the same reference
                # committed meanwhile makes this fail; one still in progress makes it wait.
                session.flush()
            except SqlIntegrityError as exc:
                raise Conflict(
                    f"case {case.reference} already has an exhibit {reference!r}; exhibit "
                    "references are unique within a case"
                ) from exc
            if final_dir.exists() or final_dir.is_symlink():
                # No exhibit has this id (checked above, and the row just written holds the
                # claim): the folder was left by a registration that did not complete.
                try:
                    _remove_tree(final_dir)
                except OSError as exc:
                    raise StoreError(
                        f"{final_dir}: a folder left by an unfinished registration of "
                        f"{reference} cannot be removed ({exc.strerror or exc}); remove it and "
                        "register again"
                    ) from exc
            os.replace(staging, final_dir)  # same parent: a read-only folder may be renamed
            placed = True
            session.add(
                ContinuityRow(
                    exhibit_id=exhibit_id,
                    at=now,
                    actor=ws.user,
                    action="registered",
                    detail=f"preserved read-only from {source.name}; SHA-256 {sha}; {size} bytes",
                )
            )
            ws.audit(
                session,
                AuditOperation.COLLECTION,
                "exhibit.add",
                case_id=case.id,
                object_type="exhibit",
                object_id=exhibit_id,
                detail={"reference": reference, "sha256": sha, "size": size, "kind": kind},
            )
            session.flush()
            return exhibit_info(session, case, row)
    except BaseException:
        # best effort: a failure to tidy up must not hide why the registration failed
        with contextlib.suppress(OSError):
            _remove_tree(staging)
        if placed:
            # the folder this call put in place: its transaction did not commit
            with contextlib.suppress(OSError):
                _remove_tree(final_dir)
        raise


def _refuse_duplicate(session: Session, case: CaseRow, reference: str) -> None:
    exists = session.execute(
        select(ExhibitRow.id).where(
            ExhibitRow.case_id == case.id,
            func.upper(ExhibitRow.reference) == reference.upper(),
        )
    ).first()
    if exists is not None:
        raise Conflict(
            f"case {case.reference} already has an exhibit {reference!r}; exhibit references "
            "are unique within a case"
        )


def list_exhibits(ws: Workspace, case_reference: str) -> list[ExhibitInfo]:
    """The case's exhibits, by reference (continuity omitted)."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        rows = session.execute(
            select(ExhibitRow).where(ExhibitRow.case_id == case.id).order_by(ExhibitRow.reference)
        ).scalars()
        return [
            ExhibitInfo(**{**exhibit_info(session, case, r).to_dict(), "continuity": ()})
            for r in rows
        ]


def show_exhibit(
    ws: Workspace, case_reference: str, reference: str, *, justification: str | None = None
) -> ExhibitInfo:
    """One exhibit with its continuity; logged as a consultation."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        row = find_exhibit(session, case, reference)
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "exhibit.show",
            case_id=case.id,
            object_type="exhibit",
            object_id=row.id,
            justification=justification,
        )
        return exhibit_info(session, case, row)


def verify_exhibit(ws: Workspace, case_reference: str, reference: str) -> VerifyResult:
    """Re-hash the preserved copy and record the result in the continuity record.

    The copy may be many gigabytes, so it is hashed between two short transactions (one reads
    where it is and what it should hash to, the other records the result), never while the case
    store's write lock is held.
    """
    with ws.session() as session:
        row = find_exhibit(session, find_case(session, case_reference), reference)
        path, expected = preserved_path(ws, row), row.sha256
        exhibit_id, registered_reference = row.id, row.reference
    actual = hash_preserved(path) if path.exists() else "(missing)"
    result = VerifyResult(registered_reference, expected, actual)
    with ws.session() as session:
        session.add(
            ContinuityRow(
                exhibit_id=exhibit_id,
                at=ws.clock(),
                actor=ws.user,
                action="verified" if result.ok else "verification failed",
                detail=f"SHA-256 {actual}"
                + ("" if result.ok else f" does not match the registered {expected}"),
            )
        )
    return result


def require_intact(ws: Workspace, case_reference: str, reference: str) -> Path:
    """The preserved copy's path, after checking its hash; a failure is recorded in the
    exhibit's continuity record before the refusal.

    Raises:
        IntegrityError: the copy no longer matches its registered hash (ingest refuses it).
    """
    with ws.session() as session:
        row = find_exhibit(session, find_case(session, case_reference), reference)
        path, expected, stored = preserved_path(ws, row), row.sha256, row.stored_path
    actual = hash_preserved(path) if path.exists() else "(missing)"
    if actual == expected:
        return path
    with ws.session() as session:
        row = find_exhibit(session, find_case(session, case_reference), reference)
        session.add(
            ContinuityRow(
                exhibit_id=row.id,
                at=ws.clock(),
                actor=ws.user,
                action="verification failed",
                detail=f"SHA-256 {actual} does not match the registered {expected}; ingest refused",
            )
        )
    raise IntegrityError(
        f"exhibit {reference} has changed since registration: SHA-256 {actual} does not "
        f"match {expected}; it will not be used",
        path=stored,
    )
