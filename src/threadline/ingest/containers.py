"""Reading files inside a container exhibit (ZIP, UFDR, TAR or a folder) safely.

A phone download often arrives as a container: a Cellebrite ``.ufdr`` is a ZIP, a full
file-system extraction is a ZIP, a TAR (possibly compressed) or a folder. Every parser that reads
inside one goes through :func:`open_container`, which refuses hostile containers before any byte is
used (design.md "Security"):

* *path traversal*: a member whose name is absolute, has a drive letter, or climbs out with
  ``..`` is refused; names are read with ``/`` as separator (ZIPs made on Windows use ``\\``);
* *ZIP bombs*: the declared uncompressed total, each member's size and each member's compression
  ratio are checked against :class:`ContainerLimits` (configurable:
  ``THREADLINE_CONTAINER_MAX_BYTES``, ``THREADLINE_CONTAINER_MAX_RATIO``); and reading stops with
  an error if a member inflates beyond what it declared;
* links and devices in a TAR are never followed: they are listed as skipped;
* a compressed TAR (gzip, bzip2, xz) whose members declare more than ``max_ratio`` times its size
  on disk is refused, like a ZIP bomb;
* a TAR whose PAX extended header could make Python's ``tarfile`` take hours (CVE-2024-6232:
  CPython 3.11.7 parses such headers in quadratic time) is refused before ``tarfile`` reads it:
  a PAX or GNU long-name header larger than 1 MiB, a PAX header that is not a sequence of
  well-formed ``"<length> <keyword>=<value>\n"`` records, or one with a run of more than 64
  digits (see :class:`_GuardedTarInfo`).

Members are named by their path inside the container, which is the locator prefix of every row
read from them. Nothing is extracted into the exhibit's folder: :meth:`Container.copy_out`
copies a member into a scratch folder (the exhibit is never modified: ACPO principle 1).
"""

from __future__ import annotations

import lzma
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final, Protocol

from threadline.errors import HostileInput, IngestError

__all__ = [
    "Container",
    "ContainerLimits",
    "Member",
    "is_tar",
    "open_container",
    "open_tar",
    "safe_member_name",
]

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1 << 20
#: the first bytes of a gzip, bzip2 or xz stream (a compressed TAR)
_COMPRESSED_MAGIC: Final = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
#: the largest PAX (``x``, ``g``, ``X``) or GNU long-name (``L``, ``K``) header accepted; real ones
#: hold a few path names and times, well under a kilobyte
_MAX_EXTENDED_HEADER_BYTES: Final = 1024**2
#: the longest run of digits accepted in a PAX header; ``tarfile``'s searches cost the square of
#: each run, and real headers hold numbers of at most about 20 digits
_MAX_PAX_DIGIT_RUN: Final = 64
_PAX_TYPES: Final = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
_EXTENDED_TYPES: Final = (*_PAX_TYPES, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_DIGIT_RUN: Final = re.compile(rb"[0-9]{%d}" % (_MAX_PAX_DIGIT_RUN + 1))


@dataclass(frozen=True, slots=True)
class ContainerLimits:
    """Limits on what a container may expand to.

    Attributes:
        max_total_bytes: the most all members together may declare (default 256 GiB).
        max_member_bytes: the most one member may declare (default 64 GiB; a report.xml of
            several GB is normal).
        max_ratio: the highest uncompressed-to-compressed ratio of a member larger than
            ``ratio_floor_bytes`` (default 200: text compresses about 10:1, zeroes 1000:1); for a
            compressed TAR, of all its members' declared total to its size on disk.
        ratio_floor_bytes: members smaller than this are not ratio-checked (1 MiB).
        max_members: the most members a container may hold (default 5 million).
    """

    max_total_bytes: int = 256 * 1024**3
    max_member_bytes: int = 64 * 1024**3
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024**2
    max_members: int = 5_000_000


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file inside a container.

    Attributes:
        name: its path inside the container, ``/``-separated, never absolute, never climbing.
        size: its (declared) uncompressed size in bytes.
    """

    name: str
    size: int

    @property
    def basename(self) -> str:
        """The last component of the name."""
        return self.name.rsplit("/", 1)[-1]


def safe_member_name(raw: str, *, container: str) -> str:
    """``raw`` as a safe relative ``/`` path.

    Raises:
        HostileInput: the name is absolute, has a drive letter or NUL, or climbs out with ``..``.
    """
    name = raw.replace("\\", "/")
    refused = (
        "\x00" in name
        or name.startswith("/")
        or _DRIVE.match(name) is not None
        or ".." in PurePosixPath(name).parts
    )
    if refused:
        raise HostileInput(
            "a member's path leaves the container (absolute path, drive letter or '..'); the "
            "container is refused (path traversal)",
            path=container,
            locator=f"member={raw!r}",
        )
    return name.lstrip("./") if name.startswith("./") else name


class Container(Protocol):
    """The regular files of a container, readable without extracting them in place."""

    name: str
    skipped: list[str]

    def members(self) -> list[Member]:
        """Every regular file, in the container's order."""
        ...

    def open(self, member: Member) -> IO[bytes]:
        """A binary stream of the member's bytes (bounded by its declared size)."""
        ...

    def close(self) -> None:
        """Release the container's file handles."""
        ...


def copy_out(container: Container, member: Member, target: Path) -> Path:
    """Copy a member's bytes to ``target`` (a scratch path), checking the size it declared.

    Raises:
        HostileInput: the member inflates beyond its declared size.
    """
    written = 0
    with container.open(member) as source, target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > member.size:
                raise HostileInput(
                    "a member inflates beyond the size it declares; the container is refused",
                    path=container.name,
                    locator=f"member={member.name!r}",
                )
            out.write(chunk)
    return target


def _check_totals(name: str, members: list[Member], limits: ContainerLimits) -> None:
    if len(members) > limits.max_members:
        raise HostileInput(
            f"{len(members)} members is more than the limit of {limits.max_members}",
            path=name,
        )
    total = 0
    for member in members:
        if member.size > limits.max_member_bytes:
            raise HostileInput(
                f"a member declares {member.size} bytes, more than the limit of "
                f"{limits.max_member_bytes} (THREADLINE_CONTAINER_MAX_BYTES)",
                path=name,
                locator=f"member={member.name!r}",
            )
        total += member.size
    if total > limits.max_total_bytes:
        raise HostileInput(
            f"the members declare {total} bytes in all, more than the limit of "
            f"{limits.max_total_bytes} (THREADLINE_CONTAINER_MAX_BYTES); refused as a "
            "possible ZIP bomb",
            path=name,
        )


class FolderContainer:
    """A folder: its regular files, recursively (symbolic links are not followed)."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name
        self.skipped: list[str] = []

    def members(self) -> list[Member]:
        """Every regular file under the folder, sorted by path."""
        found = []
        for path in sorted(self.root.rglob("*")):
            mode = path.lstat().st_mode
            relative = path.relative_to(self.root).as_posix()
            if stat.S_ISLNK(mode):
                self.skipped.append(relative)
            elif stat.S_ISREG(mode):
                found.append(Member(relative, path.stat().st_size))
        return found

    def open(self, member: Member) -> IO[bytes]:
        """The file's bytes."""
        return (self.root / member.name).open("rb")

    def close(self) -> None:
        """Nothing to release."""


class ZipContainer:
    """A ZIP (or UFDR) archive, checked for traversal and bombs when opened."""

    def __init__(self, path: Path, name: str, limits: ContainerLimits) -> None:
        self.name = name
        self.skipped: list[str] = []
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            # zipfile raises NotImplementedError for a version or method it does not support
            raise IngestError(f"not a readable ZIP archive: {exc}", path=name) from exc
        self._infos: dict[str, zipfile.ZipInfo] = {}
        members = []
        for info in self._zip.infolist():
            member_name = safe_member_name(info.filename, container=name)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise IngestError(
                    "the archive is encrypted (password-protected); export it without a "
                    "password or supply the decrypted extraction",
                    path=name,
                    locator=f"member={info.filename!r}",
                )
            if info.file_size > limits.ratio_floor_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise HostileInput(
                        f"a member expands {ratio:.0f} times (limit {limits.max_ratio:g}, "
                        "THREADLINE_CONTAINER_MAX_RATIO); refused as a possible ZIP bomb",
                        path=name,
                        locator=f"member={info.filename!r}",
                    )
            self._infos[member_name] = info
            members.append(Member(member_name, info.file_size))
        _check_totals(name, members, limits)
        self._members = members

    def members(self) -> list[Member]:
        """Every file in the archive, in the archive's order."""
        return list(self._members)

    def open(self, member: Member) -> IO[bytes]:
        """The member's bytes, decompressed as read (zipfile stops at the declared size)."""
        return self._zip.open(self._infos[member.name])

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()


def _pax_is_safe(data: bytes) -> bool:
    """Whether a PAX header's records are well formed and free of long digit runs.

    Well-formed records (each ``"<length> <keyword>=<value>\n"``, exactly tiling the header) keep
    every step of ``tarfile``'s record loop within its own record, so its parse is linear; the
    digit-run bound keeps its whole-header searches (``hdrcharset``, GNU sparse maps) linear too.
    """
    if _DIGIT_RUN.search(data) is not None:
        return False
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos, pos + 8)
        if space <= pos or not data[pos:space].isdigit():
            return False
        end = pos + int(data[pos:space])
        equals = data.find(b"=", space + 1, end)
        if end > len(data) or equals <= space + 1 or data[end - 1 : end] != b"\n":
            return False
        pos = end
    return True


class _Replay:
    """The underlying stream, with bytes already read from it given back by the first read."""

    def __init__(self, first: bytes, stream: Any) -> None:
        self._first: bytes | None = first
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return bytes(self._stream.read(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _GuardedTarInfo(tarfile.TarInfo):
    """A ``TarInfo`` that refuses extended headers ``tarfile`` would take hours to parse.

    CPython 3.11.7's PAX parser is quadratic (CVE-2024-6232: a 200 KB header takes half a
    minute). The check sits where ``tarfile`` reads each header, so it sees exactly the headers
    ``tarfile`` will parse, in plain and compressed archives alike, and reads nothing twice.
    """

    def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED_TYPES and self.size > _MAX_EXTENDED_HEADER_BYTES:
            raise HostileInput(
                f"an extended (PAX or long-name) header of {self.size} bytes, more than the "
                f"limit of {_MAX_EXTENDED_HEADER_BYTES}; the TAR is refused (CVE-2024-6232)",
                locator=f"offset={self.offset}",
            )
        if self.type not in _PAX_TYPES:
            return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]
        stream = tarfile.fileobj
        data = stream.read(self._block(self.size))  # type: ignore[attr-defined]
        if not _pax_is_safe(data[: self.size]):
            raise HostileInput(
                "a PAX extended header is malformed or holds a run of more than "
                f"{_MAX_PAX_DIGIT_RUN} digits; the TAR is refused (CVE-2024-6232)",
                locator=f"offset={self.offset}",
            )
        tarfile.fileobj = _Replay(data, stream)
        try:
            return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]
        finally:
            tarfile.fileobj = stream


def _named(exc: HostileInput, name: str) -> HostileInput:
    """``exc`` naming the container (the guard inside ``tarfile`` does not know its name)."""
    return exc if exc.path else HostileInput(exc.detail, path=name, locator=exc.locator)


def open_tar(path: Path) -> tarfile.TarFile:
    """:func:`tarfile.open` for reading, with the extended-header guard of
    :class:`_GuardedTarInfo`: use it wherever a TAR from an exhibit is opened.

    Raises:
        HostileInput: an extended header ``tarfile`` would take hours to parse (no ``path``).
    """
    return tarfile.open(path, tarinfo=_GuardedTarInfo)


def is_tar(path: Path, name: str) -> bool:
    """:func:`tarfile.is_tarfile` with the extended-header guard (it reads the first header).

    Raises:
        HostileInput: an extended header ``tarfile`` would take hours to parse.
    """
    try:
        with open_tar(path):
            return True
    except HostileInput as exc:
        raise _named(exc, name) from exc
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError):
        # a truncated or damaged gzip/xz stream raises its codec's error
        return False


def _is_compressed(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    return head.startswith(_COMPRESSED_MAGIC)


class TarContainer:
    """A TAR archive (plain, gzip, bzip2 or xz); links and devices are skipped, not followed."""

    def __init__(self, path: Path, name: str, limits: ContainerLimits) -> None:
        self.name = name
        self.skipped: list[str] = []
        try:
            self._tar = open_tar(path)  # closed by close()
        except HostileInput as exc:
            raise _named(exc, name) from exc
        except (tarfile.TarError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise IngestError(f"not a readable TAR archive: {exc}", path=name) from exc
        self._infos: dict[str, tarfile.TarInfo] = {}
        members = []
        # a compressed TAR has no per-member ratio: its members' declared total is checked
        # against its size on disk as they are listed, before the stream is inflated further
        on_disk = path.stat().st_size if _is_compressed(path) else None
        declared = 0
        try:
            for info in self._tar:
                member_name = safe_member_name(info.name, container=name)
                if info.isdir():
                    continue
                if not info.isreg():
                    self.skipped.append(member_name)
                    continue
                self._infos[member_name] = info
                members.append(Member(member_name, info.size))
                declared += info.size
                if on_disk is not None:
                    self._check_ratio(declared, on_disk, limits, member_name)
                if len(members) > limits.max_members:
                    break
        except HostileInput as exc:
            self._tar.close()
            raise _named(exc, name) from exc
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            # a damaged gzip or xz stream raises its codec's own error, not an OSError
            self._tar.close()
            raise IngestError(f"the TAR archive is damaged: {exc}", path=name) from exc
        _check_totals(name, members, limits)
        self._members = members

    def _check_ratio(
        self, declared: int, on_disk: int, limits: ContainerLimits, member_name: str
    ) -> None:
        if declared > limits.ratio_floor_bytes and declared > limits.max_ratio * on_disk:
            raise HostileInput(
                f"the compressed TAR's members declare {declared} bytes, more than "
                f"{limits.max_ratio:g} times its {on_disk} bytes (THREADLINE_CONTAINER_MAX_RATIO); "
                "refused as a possible decompression bomb",
                path=self.name,
                locator=f"member={member_name!r}",
            )

    def members(self) -> list[Member]:
        """Every regular file in the archive, in the archive's order."""
        return list(self._members)

    def open(self, member: Member) -> IO[bytes]:
        """The member's bytes."""
        handle = self._tar.extractfile(self._infos[member.name])
        if handle is None:  # pragma: no cover - only regular files are listed
            raise IngestError("the member cannot be read", path=self.name, locator=member.name)
        return handle

    def close(self) -> None:
        """Close the archive."""
        self._tar.close()


def open_container(path: Path, name: str, limits: ContainerLimits | None = None) -> Container:
    """Open ``path`` (a folder, ZIP/UFDR or TAR) as a :class:`Container`.

    Raises:
        HostileInput: a member's path leaves the container, or the sizes exceed the limits.
        IngestError: the file is neither a folder, a ZIP nor a TAR.
    """
    limits = limits or ContainerLimits()
    if path.is_dir():
        return FolderContainer(path, name)
    if zipfile.is_zipfile(path):
        return ZipContainer(path, name, limits)
    if is_tar(path, name):
        return TarContainer(path, name, limits)
    raise IngestError("not a folder, ZIP or TAR archive", path=name)


def copy_tree_member(container: Container, member: Member, scratch: Path) -> Path:
    """Copy a member into ``scratch`` under its own relative path; returns the copy's path."""
    target = scratch / member.name
    target.parent.mkdir(parents=True, exist_ok=True)
    return copy_out(container, member, target)


def remove_scratch(scratch: Path) -> None:
    """Remove a scratch folder and everything in it."""
    shutil.rmtree(scratch, ignore_errors=True)
