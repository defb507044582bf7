"""Exhibits: registration with integrity, continuity, listing and verification.

Registering an exhibit copies the original into the workspace while computing its SHA-256 in the
same pass (multi-gigabyte files are streamed, never held in memory), makes the copy read-only and
records who registered it and when (ACPO principles 1 and 3; requirements 16, 20). The copy is
never modified; :func:`verify_exhibit` re-hashes it and ingest refuses an exhibit that fails.

A folder exhibit's hash is the SHA-256 of its manifest: one line ``<sha256>  <relative path>`` per
file, sorted by path, each line ending in a newline. Symbolic links inside a folder are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, Conflict, HostileInput, IntegrityError, NotFound
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.model.marking import parse_marking
from threadline.model.phone import normalise_phone
from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.tables import CaseRow, ContinuityRow, ExhibitRow

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
    return moment.isoformat() if moment else None


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
    """Copy ``source`` into ``target_dir`` hashing as it goes; returns (sha256, size, kind)."""
    target_dir.mkdir(parents=True)
    if source.is_file():
        sha, size = _copy_hashing(source, target_dir / source.name)
        return sha, size, "file"
    entries: list[tuple[str, str]] = []
    total = 0
    root = target_dir / source.name
    for path in _folder_files(source):
        rel = path.relative_to(source)
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        sha, size = _copy_hashing(path, dest)
        entries.append((rel.as_posix(), sha))
        total += size
    return folder_manifest_hash(entries), total, "folder"


def _make_read_only(path: Path) -> None:
    targets = [path] if path.is_file() else [*sorted(path.rglob("*"), reverse=True), path]
    for item in targets:
        mode = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        if item.is_dir():
            mode |= stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
        item.chmod(mode)


def hash_preserved(path: Path) -> str:
    """Re-hash a preserved exhibit (file, or folder by manifest)."""
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(_COPY_CHUNK):
                digest.update(block)
        return digest.hexdigest()
    lines = []
    for item in _folder_files(path):
        digest = hashlib.sha256()
        with item.open("rb") as handle:
            while block := handle.read(_COPY_CHUNK):
                digest.update(block)
        lines.append((item.relative_to(path).as_posix(), digest.hexdigest()))
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

    Raises:
        NotFound: no such case, or ``source`` does not exist.
        ConfigError: bad reference, empty producer or description, bad marking.
        Conflict: the case already has an exhibit with this reference.
        HostileInput: a folder holds symbolic links.
    """
    reference = reference.strip()
    if not _REFERENCE.match(reference):
        raise ConfigError(
            f"exhibit reference {reference!r} must be 1–64 letters, digits, '/', '-', '_' or "
            "'.', e.g. JB/1"
        )
    if not producer.strip() or not description.strip():
        raise ConfigError("an exhibit needs a producer and a description")
    source = source.expanduser()
    if not source.exists():
        raise NotFound(f"{source}: no such file or folder")
    if not (source.is_file() or source.is_dir()):
        raise ConfigError(f"{source}: not a regular file or folder")
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
    final_dir = ws.exhibits_dir / case_id / exhibit_id
    staging = final_dir.with_name(exhibit_id + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    if final_dir.exists():
        # left by a registration that did not complete: the case store has no such exhibit
        _make_writable(final_dir)
        shutil.rmtree(final_dir)
    try:
        sha, size, kind = _preserve(source, staging)
        os.replace(staging, final_dir)
        _make_read_only(final_dir / source.name)
        with ws.session() as session:
            case = find_case(session, case_reference)
            _refuse_duplicate(session, case, reference)
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
            session.flush()  # the exhibit row must exist before its continuity entry
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
        shutil.rmtree(staging, ignore_errors=True)
        if final_dir.exists():
            _make_writable(final_dir)
            shutil.rmtree(final_dir, ignore_errors=True)
        raise


def _make_writable(folder: Path) -> None:
    for item in [folder, *folder.rglob("*")]:
        item.chmod(item.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)


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
    """Re-hash the preserved copy and record the result in the continuity record."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        row = find_exhibit(session, case, reference)
        path = preserved_path(ws, row)
        actual = hash_preserved(path) if path.exists() else "(missing)"
        result = VerifyResult(row.reference, row.sha256, actual)
        session.add(
            ContinuityRow(
                exhibit_id=row.id,
                at=ws.clock(),
                actor=ws.user,
                action="verified" if result.ok else "verification failed",
                detail=f"SHA-256 {actual}"
                + ("" if result.ok else f" does not match the registered {row.sha256}"),
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
