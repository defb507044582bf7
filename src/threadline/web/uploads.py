"""Exhibit uploads streamed to a staging folder, never held in memory.

An upload arrives as the raw request body (the page's script sends the file itself, with its
name in a header), is written in chunks to ``<home>/uploads/<token>/<name>`` while its SHA-256
is computed, and waits there until the user registers it as an exhibit, which copies it into the
case's preserved exhibits and removes the staging folder. The file name is reduced to its last
component and stripped of control characters, so a name such as ``../../threadline.db`` cannot
place a file anywhere but the staging folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from threadline.errors import ConfigError, HostileInput, NotFound

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class StagedUpload:
    """A file uploaded and waiting to be registered."""

    upload_id: str
    name: str
    size_bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def safe_file_name(raw: str) -> str:
    """The last component of an uploaded file's name, made safe to create.

    Raises:
        HostileInput: the name is empty, ``.`` or ``..`` once reduced, or is over 200 bytes in
            UTF-8 (file systems count a name's bytes, not its characters).
    """
    name = unquote(raw)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip()
    if name in ("", ".", "..") or len(name.encode("utf-8")) > 200:
        raise HostileInput(f"upload refused: {raw[:80]!r} is not a usable file name")
    return name


def staging_root(home: Path) -> Path:
    """The folder uploads wait in."""
    return home / "uploads"


async def stage_upload(
    home: Path, raw_name: str, chunks: AsyncIterator[bytes], limit: int
) -> StagedUpload:
    """Write an uploaded body to its staging folder, hashing it as it streams.

    Raises:
        HostileInput: a bad file name.
        ConfigError: the body is empty or larger than ``limit`` (the partial file is removed).
    """
    name = safe_file_name(raw_name)
    token = secrets.token_urlsafe(24)
    folder = staging_root(home) / token
    folder.mkdir(parents=True, mode=0o700)
    target = folder / name
    digest = hashlib.sha256()
    size = 0
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ConfigError(f"{name}: larger than the {limit:,}-byte upload limit")
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise ConfigError(f"{name}: the upload is empty")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedUpload(token, name, size, digest.hexdigest())


def staged_path(home: Path, upload_id: str) -> Path:
    """The staged file of an upload.

    Raises:
        NotFound: no such upload (or a malformed id).
    """
    if not _TOKEN.match(upload_id):
        raise NotFound("no such upload: upload the file again")
    folder = staging_root(home) / upload_id
    files = list(folder.iterdir()) if folder.is_dir() else []
    if len(files) != 1 or not files[0].is_file():
        raise NotFound("no such upload: upload the file again")
    return files[0]


def discard_upload(home: Path, upload_id: str) -> None:
    """Remove an upload's staging folder (after registration, or when abandoned)."""
    if _TOKEN.match(upload_id):
        shutil.rmtree(staging_root(home) / upload_id, ignore_errors=True)


def server_path(import_folder: Path | None, given: str) -> Path:
    """A file or folder under the import folder that a user names for registration.

    Raises:
        ConfigError: registering server paths is turned off (no import folder set).
        HostileInput: the path, once resolved (symbolic links followed), is outside the import
            folder, or cannot be resolved at all (a NUL byte, a name too long, a link loop).
        NotFound: nothing there.
    """
    if import_folder is None:
        raise ConfigError(
            "registering files already on the server is turned off: an administrator sets "
            "THREADLINE_IMPORT_FOLDER to allow it"
        )
    root = import_folder.expanduser().resolve()
    candidate = Path(given)
    try:
        resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
        inside = resolved.is_relative_to(root) and resolved != root
        present = inside and resolved.exists()
    except (ValueError, OSError, RuntimeError) as exc:
        # ValueError: a NUL byte; OSError: a name too long; RuntimeError: a symbolic-link loop
        raise HostileInput(f"{given[:200]!r} is not a usable path and is refused") from exc
    if not inside:
        raise HostileInput(f"{given!r} is outside the import folder and is refused")
    if not present:
        raise NotFound(f"{given!r}: nothing there in the import folder")
    return resolved
