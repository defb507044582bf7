"""Full file-system extractions of a handset (a folder, a ZIP or a TAR) into every evidence table.

A *full file-system* (FFS) extraction is a copy of a phone's file system as the extraction tool
took it: Android ``data/data/<app>/databases/...``, ``data/media/0/DCIM/...``,
``system/build.prop``; iOS ``private/var/mobile/Library/...`` (or ``mobile/Library/...``). It
arrives as a folder, a ZIP or a TAR (plain, gzip, bzip2 or xz). It is opened with
:func:`threadline.ingest.containers.open_container`, which refuses path traversal, links and ZIP
bombs before any byte is used, and its members are walked **once**, in the container's order (a
compressed TAR can only be read forwards):

* **handset databases** are found by path, as the LEAPP tools do, with the shared
  :class:`~threadline.ingest.phone_store.StoreReader` s of the Android and iOS parsers
  (``threadline.ingest.parsers.android.stores``, ``threadline.ingest.parsers.ios.stores``) and of
  the messaging apps (Burner, Viber, Tango, Kik, imo: ``threadline.ingest.parsers.apps.stores``),
  so a database gives the same rows as when it is an exhibit on its own; only the file part of the
  locator differs: it is the path inside the extraction
  (``data/data/com.android.providers.telephony/databases/mmssms.db#sms/_id=12``). Each database is
  copied with its ``-wal`` and ``-journal`` siblings into a scratch folder and read from there with
  its write-ahead log applied (:func:`~threadline.ingest.sqlite_copy.open_sqlite_copy`); the
  exhibit is never opened for writing (requirement 16);
* **vCards** (``*.vcf``) are read by :func:`threadline.ingest.parsers.vcard.read_vcards`;
* **Android ``build.prop``** files give one ``devices`` row: manufacturer, model and
  ``Android <release>`` (``ro.product.manufacturer``, ``ro.product.model``,
  ``ro.build.version.release``, or their ``system``/``vendor`` variants of Android 10 and later),
  ``system/build.prop`` first;
* **iOS CommCenter plists** go to :func:`threadline.ingest.parsers.ios.commcenter.read_commcenter`
  (the SIM: ICCID, IMSI, number);
* **media**: every other member whose first bytes say picture, video or sound (read from the
  content, not the name: a photo renamed ``.dat`` in an app's cache is still a photo) becomes a
  ``media`` row, hashed (SHA-256 and MD5) while it is streamed, with its EXIF time, position and
  camera. All folders are looked at, not only ``DCIM`` and the like: cached and thumbnail images
  matter in the cases Threadline serves, and hash-set matching needs every image. The cost is
  reading every media byte once (about the speed of the disk; the type test itself reads only
  the first 8 KiB of each other file). Pass ``media=False`` to skip media;
* **encrypted WhatsApp backups** (``msgstore.db.crypt14`` ...) cannot be read without the key:
  each is a warning naming it.

Files that are none of these are not issues one by one: a single INFO issue gives their count.

**Damage is contained to the file it is in.** A bare damaged database exhibit is a
:class:`~threadline.errors.ParseError`, but one damaged database (or unreadable member) among the
thousands of files of an extraction must not lose the rest, which is still evidence: it is an
ERROR issue naming the member, rows already read from it are kept (each row is exact and located)
and the walk goes on. A hostile container (traversal, a link, a bomb, a member inflating beyond
its declared size) is refused as a whole (:class:`~threadline.errors.HostileInput`).

``ctx.detected`` records what was found: ``stores`` (the reader names, e.g.
``android_sms, android_whatsapp``), ``store_files``, ``vcard_files``, ``media_files`` and
``encrypted_backups``.

``media`` rows: ``path`` is the path inside the extraction, ``original_path`` the path on the
device it stands for (the path from its first device-root folder, ``data``, ``sdcard``,
``storage``, ``system``, ``private``..., within the first three folders, with a leading ``/``; an
iOS ``mobile/...`` tree is under ``/private/var/``; empty when no root is recognised). The
locator of a media row and of the device row is the member's path (the whole file is the record).
``deleted_state`` is ``intact``: a file-system extraction lists the live files.
"""

from __future__ import annotations

import fnmatch
import io
import lzma
import os
import sqlite3
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar, Final

import filetype

from threadline.errors import HostileInput, IngestError
from threadline.ingest.containers import (
    Container,
    Member,
    copy_tree_member,
    open_container,
    open_tar,
)
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.media import describe_media, media_columns
from threadline.ingest.parsers.vcard import read_vcards
from threadline.ingest.phone_store import StoreReader, match_path
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import is_encrypted_backup
from threadline.ingest.wal_history import read_with_wal_history

__all__ = [
    "ExtractionReaders",
    "FileSystemParser",
    "ReadPlist",
    "default_readers",
    "device_path",
]

#: ``read_plist(data, place, writer)``: reads a property list's bytes into ``writer``.
ReadPlist = Callable[[bytes, str, RowWriter], None]

#: Folders a device path starts from (lower case).
DEVICE_ROOTS: Final = frozenset(
    {"data", "sdcard", "storage", "system", "vendor", "product", "mnt", "cache", "private", "var"}
)
#: How deep a device root may be below the container's top (a wrapper folder or two).
ROOT_DEPTH: Final = 3
#: Bytes of each member read to tell media by content.
HEAD_BYTES: Final = 8192
#: Largest build.prop or property list read (real ones are kilobytes).
SMALL_FILE_BYTES: Final = 16 * 1024**2
#: Sniffing a TAR stops after this many members or decompressed bytes (a compressed TAR can only
#: be listed by reading it).
SNIFF_TAR_MEMBERS: Final = 200_000
SNIFF_TAR_BYTES: Final = 2 * 1024**3
#: Path beginnings that say "a handset's file system" when sniffing gives up early.
HANDSET_PREFIXES: Final = ("data/data/", "data/media/", "private/var/mobile/", "mobile/library/")
MEDIA_KINDS: Final = frozenset({"image", "video", "audio"})
SOURCE_DEVICE: Final = "File system"

_SIBLINGS: Final = ("-wal", "-journal")
_SQLITE_SIDE: Final = ("-wal", "-journal", "-shm")
_MANUFACTURER: Final = (
    "ro.product.manufacturer",
    "ro.product.system.manufacturer",
    "ro.product.vendor.manufacturer",
)
_MODEL: Final = ("ro.product.model", "ro.product.system.model", "ro.product.vendor.model")
_RELEASE: Final = (
    "ro.build.version.release",
    "ro.system.build.version.release",
    "ro.vendor.build.version.release",
)
#: Errors a damaged member raises while it is read: a bad CRC or header, a truncated stream,
#: and what :mod:`zipfile` raises for a compression method it lacks (NotImplementedError) or a
#: member its local header says is encrypted (RuntimeError).
_READ_ERRORS: Final = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zipfile.BadZipFile,
    tarfile.TarError,
    NotImplementedError,
    RuntimeError,
)


@dataclass(frozen=True, slots=True)
class ExtractionReaders:
    """What the parser looks for in an extraction besides vCards, build.prop and media.

    Attributes:
        stores: the handset database readers, matched by path.
        plist_patterns: :mod:`fnmatch` patterns (lower case) of property lists to read.
        read_plist: reads a matched property list.
    """

    stores: tuple[StoreReader, ...]
    plist_patterns: tuple[str, ...] = ()
    read_plist: ReadPlist | None = None

    def plist(self, path: str) -> bool:
        """Whether ``path`` is a property list to read."""
        lowered = path.lower()
        return self.read_plist is not None and any(
            fnmatch.fnmatchcase(lowered, p) for p in self.plist_patterns
        )


def default_readers() -> ExtractionReaders:
    """The Android and iOS readers, the messaging apps' among them (imported when first needed,
    so that this module does not load every handset reader when the registry is built)."""
    from threadline.ingest.parsers.android.stores import ANDROID_READERS
    from threadline.ingest.parsers.apps.stores import ANDROID_APP_READERS
    from threadline.ingest.parsers.ios.stores import (
        COMMCENTER_PATH_PATTERNS,
        IOS_APP_READERS,
        IOS_READERS,
        read_commcenter,
    )

    stores = ANDROID_READERS + ANDROID_APP_READERS + IOS_READERS + IOS_APP_READERS
    return ExtractionReaders(stores, tuple(COMMCENTER_PATH_PATTERNS), read_commcenter)


def device_path(place: str) -> str | None:
    """The path on the device that a path inside an extraction stands for (module docstring)."""
    parts = PurePosixPath(place).parts
    for index, part in enumerate(parts[:ROOT_DEPTH]):
        lowered = part.lower()
        if lowered in DEVICE_ROOTS:
            return "/" + "/".join(parts[index:])
        if lowered == "mobile" and index + 1 < len(parts):
            return "/private/var/" + "/".join(parts[index:])
    return None


class _HeadThenRest(io.RawIOBase):
    """A stream of bytes already read (``head``) followed by the rest of ``rest``: a member of a
    compressed TAR cannot be reopened without decompressing the archive again."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _read_bounded(stream: IO[bytes], limit: int) -> bytes | None:
    """The stream's bytes, or ``None`` when there are more than ``limit``."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def _sqlite_base(lowered: str) -> str | None:
    for suffix in _SQLITE_SIDE:
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return None


class _Walk:
    """One parse of an extraction: the single pass over its members, then the databases."""

    def __init__(
        self,
        container: Container,
        readers: ExtractionReaders,
        writer: RowWriter,
        scratch: Path,
        *,
        media: bool,
    ) -> None:
        self.container = container
        self.readers = readers
        self.writer = writer
        self.ctx = writer.ctx
        self.scratch = scratch
        self.media = media
        self.databases: dict[str, StoreReader] = {}
        self.build_props: dict[str, list[tuple[int, str, str]]] = {}
        self.not_read = 0
        self.vcards = 0
        self.media_files = 0
        self.encrypted: list[str] = []

    def _error(self, code: str, member: str, message: str) -> None:
        self.ctx.issue(Severity.ERROR, code, message, locator=member)

    # -- the single pass ---------------------------------------------------------------------

    def walk(self) -> None:
        members = self.container.members()
        for done, member in enumerate(members, start=1):
            try:
                self._member(member)
            except HostileInput:
                raise
            except _READ_ERRORS as exc:
                self._error(
                    "member.unreadable",
                    member.name,
                    f"the file could not be read from the container ({exc}); the rest of the "
                    "extraction is read",
                )
            if done % 10_000 == 0:
                self.ctx.progress(self.writer.rows_done, None)

    def _member(self, member: Member) -> None:
        place = member.name
        lowered = place.lower()
        store = match_path(self.readers.stores, place)
        if store is not None:
            self._copy(member)
            self.databases[place] = store
            return
        base = _sqlite_base(lowered)
        if base is not None and match_path(self.readers.stores, base) is not None:
            if lowered.endswith(_SIBLINGS):
                self._copy(member)
            return
        if is_encrypted_backup(lowered):
            self.encrypted.append(place)
            self.ctx.issue(
                Severity.WARNING,
                "store.encrypted",
                "an encrypted WhatsApp backup (crypt12/14/15): it cannot be read without the key "
                "from the handset (files/key); the decrypted msgstore.db is read where the "
                "extraction holds it",
                locator=place,
            )
            return
        if self.readers.plist(place):
            self._plist(member)
            return
        if lowered.endswith(".vcf"):
            self._vcard(member)
            return
        if member.basename.lower() == "build.prop":
            self._build_prop(member)
            return
        if not self.media:
            self.not_read += 1
            return
        self._maybe_media(member)

    def _copy(self, member: Member) -> None:
        """Copy a database (or its WAL or journal) to the scratch folder; a partial copy of a
        damaged member is removed, so it is never read as if whole."""
        try:
            copy_tree_member(self.container, member, self.scratch)
        except BaseException:
            (self.scratch / member.name).unlink(missing_ok=True)
            raise

    def _plist(self, member: Member) -> None:
        read = self.readers.read_plist
        assert read is not None
        with self.container.open(member) as stream:
            data = _read_bounded(stream, SMALL_FILE_BYTES)
        if data is None:
            self._error("member.too_large", member.name, "far larger than a property list")
            return
        try:
            read(data, member.name, self.writer)
        except HostileInput as exc:
            self._error("plist.refused", member.name, exc.detail)
        except IngestError as exc:
            self._error("plist.unreadable", member.name, exc.detail)
        except Exception as exc:
            self._error(
                "plist.unreadable",
                member.name,
                f"the reader failed ({type(exc).__name__}: {exc})",
            )

    def _vcard(self, member: Member) -> None:
        try:
            with self.container.open(member) as stream:
                read_vcards(stream, member.name, self.writer)
            self.vcards += 1
        except IngestError as exc:
            self.ctx.issue(
                Severity.WARNING,
                "vcard.unreadable",
                f"a .vcf file that could not be read as a vCard: {exc.detail}",
                locator=member.name,
            )

    def _build_prop(self, member: Member) -> None:
        with self.container.open(member) as stream:
            data = _read_bounded(stream, SMALL_FILE_BYTES)
        if data is None:
            self._error("member.too_large", member.name, "far larger than a build.prop")
            return
        props = []
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            key, equals, value = line.partition("=")
            if equals and not key.lstrip().startswith("#"):
                props.append((number, key.strip(), value.strip()))
        self.build_props[member.name] = props

    def _maybe_media(self, member: Member) -> None:
        with self.container.open(member) as stream:
            head = stream.read(HEAD_BYTES)
            kind = filetype.guess(head) if head else None
            if kind is None or kind.mime.split("/")[0] not in MEDIA_KINDS:
                self.not_read += 1
                return
            facts = describe_media(io.BufferedReader(_HeadThenRest(head, stream)))
        place = member.name
        values: dict[str, Any] = {
            "path": place,
            "original_path": device_path(place),
            "file_name": member.basename,
            **media_columns(facts),
            **self.writer.time("taken", facts.taken, place),
            "deleted_state": "intact",
        }
        raw = {
            "path": place,
            "size_bytes": facts.size,
            "sha256": facts.sha256,
            "mime_type": facts.mime_type,
            "taken": facts.taken.original if facts.taken is not None else None,
        }
        self.writer.add("media", place, values, raw=raw)
        self.media_files += 1

    # -- after the pass ----------------------------------------------------------------------

    def read_databases(self) -> None:
        for place in sorted(self.databases):
            store = self.databases[place]
            try:
                read_with_wal_history(store, self.scratch / place, place, self.writer)
            except HostileInput:
                raise
            except IngestError as exc:
                self._damaged(place, store, exc.detail)
            except sqlite3.Error as exc:
                self._damaged(place, store, f"the database is damaged ({exc})")
            except Exception as exc:
                # a reader meeting a value it was not written for must not lose the rest of
                # the extraction either; the issue names the error so it can be reported
                self._damaged(place, store, f"the reader failed ({type(exc).__name__}: {exc})")

    def _damaged(self, place: str, store: StoreReader, detail: str) -> None:
        self._error(
            "store.unreadable",
            place,
            f"{store.title}: {detail}; rows read from it before the damage are kept, the rest of "
            "the extraction is read",
        )

    def device(self) -> None:
        if not self.build_props:
            return
        places = sorted(self.build_props, key=_build_prop_order)
        found: dict[str, tuple[str, str, str]] = {}
        for wanted, keys in (("manufacturer", _MANUFACTURER), ("model", _MODEL)):
            found.update(_first_prop(self.build_props, places, wanted, keys))
        found.update(_first_prop(self.build_props, places, "release", _RELEASE))
        if not found:
            return
        locator = min((found[k][0] for k in found), key=places.index)
        release = found.get("release")
        values = {
            "manufacturer": found["manufacturer"][2] if "manufacturer" in found else None,
            "model": found["model"][2] if "model" in found else None,
            "os": f"Android {release[2]}" if release is not None else None,
            "extraction": SOURCE_DEVICE,
        }
        raw = {f"{place}:{key}": value for place, key, value in found.values()}
        self.writer.add("devices", locator, values, raw=raw)

    def finish(self) -> None:
        skipped = self.container.skipped
        if skipped:
            self.ctx.issue(
                Severity.INFO,
                "container.links_skipped",
                f"{len(skipped)} link(s) or special file(s) in the container were not followed",
                value=", ".join(skipped[:20]),
                count=len(skipped),
            )
        if self.not_read:
            self.ctx.issue(
                Severity.INFO,
                "files.not_read",
                f"{self.not_read} file(s) of the extraction are of no kind this parser reads "
                "(not a known database, vCard, build.prop, CommCenter plist or media file); they "
                "stay in the preserved exhibit",
                value=str(self.not_read),
                count=self.not_read,
            )
        names = sorted({store.name for store in self.databases.values()})
        self.ctx.detected.update(
            {
                "stores": ", ".join(names),
                "store_files": str(len(self.databases)),
                "vcard_files": str(self.vcards),
                "media_files": str(self.media_files),
                "encrypted_backups": ", ".join(self.encrypted),
            }
        )


def _build_prop_order(place: str) -> tuple[int, int, str]:
    lowered = place.lower()
    rank = 0 if lowered.endswith("system/build.prop") else 1 if "/" not in lowered else 2
    return rank, len(place), place


def _first_prop(
    props: dict[str, list[tuple[int, str, str]]],
    places: list[str],
    wanted: str,
    keys: tuple[str, ...],
) -> dict[str, tuple[str, str, str]]:
    for key in keys:
        for place in places:
            for _, name, value in props[place]:
                if name == key and value:
                    return {wanted: (place, key, value)}
    return {}


# -- sniffing --------------------------------------------------------------------------------


def _folder_names(root: Path) -> Iterator[str]:
    for folder, _dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        for name in files:
            yield name if relative == "." else f"{relative}/{name}"


def _tar_names(path: Path) -> Iterator[str | None]:
    """The member names of a TAR; ``None`` last when listing stopped at the sniffing budget."""
    # guarded: a crafted extended header would otherwise hold the sniff for hours
    with open_tar(path) as archive:
        for count, info in enumerate(archive, start=1):
            if count > SNIFF_TAR_MEMBERS or info.offset > SNIFF_TAR_BYTES:
                yield None
                return
            yield info.name


def _clean(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith(("./", "/")):
        name = name[2:] if name.startswith("./") else name[1:]
    return name


def _judge(names: Iterable[str | None], readers: ExtractionReaders) -> Confidence:
    """CERTAIN at the first known store (NO if ``report.xml`` is at the top first); POSSIBLE when
    the listing stopped early (``None``) after paths that look like a handset's."""
    handset = False
    for raw in names:
        if raw is None:
            return Confidence.POSSIBLE if handset else Confidence.NO
        name = _clean(raw)
        if name == "report.xml":
            return Confidence.NO
        if match_path(readers.stores, name) is not None or readers.plist(name):
            return Confidence.CERTAIN
        handset = handset or name.lower().startswith(HANDSET_PREFIXES)
    return Confidence.NO


def _is_archive(head: bytes) -> bool:
    return (
        head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"))
        or head[257:262] == b"ustar"
    )


class FileSystemParser:
    """Full file-system extraction (folder, ZIP or TAR); see the module docstring."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="phone_fs",
        version="1.0.0",
        title="Full file-system extraction (folder, ZIP or TAR)",
        formats=("folder", "zip", "tar", "tar.gz", "tar.bz2", "tar.xz"),
        tables=("calls", "messages", "contacts", "devices", "accounts", "media", "source_rows"),
        references=(
            "formats.md §4 (Android), §5 (iOS), §6 (vCard)",
            "abrignoni/ALEAPP and iLEAPP: artefact paths in a file-system extraction",
        ),
        fixtures=(
            "fixtures/phone_fs/make_fixtures.py",
            "fixtures/phone_fs/android_ffs.zip",
            "fixtures/phone_fs/README.md",
        ),
    )

    def __init__(
        self,
        readers: ExtractionReaders | Callable[[], ExtractionReaders] = default_readers,
        *,
        media: bool = True,
    ) -> None:
        self._readers = readers
        self.media = media

    def readers(self) -> ExtractionReaders:
        """The readers in use (the default ones are imported on first use)."""
        if isinstance(self._readers, ExtractionReaders):
            return self._readers
        return self._readers()

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for a folder, ZIP or TAR holding a known handset database or CommCenter plist
        and no ``report.xml`` at its top (that is a Cellebrite report, read by ``cellebrite``);
        POSSIBLE for a TAR too large to list quickly whose paths look like a handset's; NO
        otherwise. Never raises."""
        try:
            readers = self.readers()
            if probe.path.is_dir():
                if (probe.path / "report.xml").exists():
                    return Confidence.NO
                return _judge(_folder_names(probe.path), readers)
            if not _is_archive(probe.head):
                return Confidence.NO
            if zipfile.is_zipfile(probe.path):
                with zipfile.ZipFile(probe.path) as archive:
                    names = [_clean(n) for n in archive.namelist()]
                if "report.xml" in names:
                    return Confidence.NO
                return _judge(names, readers)
            return _judge(_tar_names(probe.path), readers)
        except Exception:
            # a sniff must never raise: whatever cannot be listed is not ours
            return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read every known file of the extraction (see the module docstring).

        Raises:
            HostileInput: the container is refused (traversal, link, bomb).
            IngestError: the file is not a folder, ZIP or TAR.
        """
        readers = self.readers()
        container = open_container(path, path.name, ctx.limits)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="threadline-fs-") as scratch,
                RowWriter(ctx) as writer,
            ):
                walk = _Walk(container, readers, writer, Path(scratch), media=self.media)
                walk.walk()
                walk.read_databases()
                walk.device()
                walk.finish()
        finally:
            container.close()
