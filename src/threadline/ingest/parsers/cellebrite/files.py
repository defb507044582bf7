"""Tagged files of a Cellebrite report: ``media`` rows, hashed from the UFDR's own copies.

``<taggedFiles>`` lists every file the extraction kept::

    <file id="GUID" fs="…" path="/data/media/0/DCIM/Camera/x.jpg" size="2048" deleted="intact">
      <metadata section="File"><item name="Local Path">files\\Image\\x.jpg</item>…</metadata>
    </file>

``path`` is where the file was on the handset (the UFDR does not keep the device's folder
layout); ``Local Path`` is where its copy sits inside the UFDR. Inside a UFDR each copy is hashed
(SHA-256 and MD5), its type read from its content and a photograph's EXIF read, with
:func:`threadline.ingest.media.describe_media`, streaming the member from the ZIP; a reported
MD5/SHA256 that differs from the computed one is an issue. A bare ``report.xml`` comes without
the files: its rows keep the device path, size and deleted state but no hashes, and one issue
says so. Locators are ``report.xml#line=N;file=GUID``.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from threadline.ingest.containers import Container, Member
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.media import describe_media, media_columns
from threadline.ingest.parsers.cellebrite.elements import deleted_state, local
from threadline.ingest.rows import RowWriter

__all__ = ["FileWriter", "TaggedFile", "file_link", "raise_files_absent", "read_tagged_file"]


@dataclass(frozen=True, slots=True)
class TaggedFile:
    """One ``<file>`` of ``<taggedFiles>``.

    Attributes:
        id: its ``id`` (attachments name files by it).
        line: the line of its start tag.
        device_path: ``path``, where it was on the handset.
        size: ``size`` in bytes, as the report gives it.
        deleted: canonical deleted state from ``deleted``.
        local_path: ``Local Path`` inside the report folder, ``/``-separated.
        reported: hashes the report gives (``MD5``, ``SHA256``), lower case, by name.
        xml: the element exactly as read.
    """

    id: str
    line: int
    device_path: str | None
    size: int | None
    deleted: str
    local_path: str | None
    reported: dict[str, str]
    xml: str


def read_tagged_file(element: Any) -> TaggedFile:
    """Read a ``<file>`` element (its File metadata section included)."""
    local_path, reported = _file_items(element)
    size_text = (element.get("size") or "").strip()
    return TaggedFile(
        element.get("id") or "",
        element.sourceline or 0,
        element.get("path"),
        int(size_text) if size_text.isdigit() and int(size_text) < 2**63 else None,
        deleted_state(element.get("deleted")),
        local_path,
        reported,
        etree.tostring(element, encoding="unicode", with_tail=False),
    )


def file_link(element: Any) -> tuple[str, str | None]:
    """A ``<file>``'s id and Local Path only: what another process's messages need of a file
    whose row this process does not write (their attachments name it)."""
    return element.get("id") or "", _file_items(element)[0]


def _file_items(element: Any) -> tuple[str | None, dict[str, str]]:
    """The Local Path (``/``-separated) and reported hashes of a ``<file>``'s File section."""
    local_path = None
    reported: dict[str, str] = {}
    for section in element:
        if local(section.tag) != "metadata" or section.get("section") != "File":
            continue
        for item in section:
            name = item.get("name")
            text = (item.text or "").strip()
            if name == "Local Path" and text:
                local_path = text.replace("\\", "/")
            elif name in ("MD5", "SHA256") and text:
                reported[name.lower()] = text.lower()
    return local_path, reported


@dataclass
class FileWriter:
    """Writes ``media`` rows for tagged files (see the module docstring).

    Attributes:
        ctx: the parse context (issues).
        writer: the row writer.
        report: the report's path inside the exhibit (locator prefix).
        container: the UFDR (``None`` for a bare ``report.xml``).
    """

    ctx: ParseContext
    writer: RowWriter
    report: str
    container: Container | None
    _members: dict[str, Member] = field(default_factory=dict)
    _folded: dict[str, Member] = field(default_factory=dict)
    absent: int = 0

    def __post_init__(self) -> None:
        if self.container is not None:
            for member in self.container.members():
                self._members[member.name] = member
                self._folded.setdefault(member.name.lower(), member)

    def find(self, local_path: str | None) -> Member | None:
        """The UFDR member holding a Local Path (exact, else ignoring case)."""
        if local_path is None:
            return None
        name = local_path.lstrip("/")
        return self._members.get(name) or self._folded.get(name.lower())

    def write(self, tagged: TaggedFile) -> None:
        """Write the ``media`` row of one tagged file."""
        locator = f"{self.report}#line={tagged.line};file={tagged.id}"
        device_path = tagged.device_path
        file_name = device_path.replace("\\", "/").rsplit("/", 1)[-1] if device_path else None
        if not file_name and tagged.local_path:
            file_name = tagged.local_path.rsplit("/", 1)[-1]
        values: dict[str, Any] = {
            "path": tagged.local_path,
            "original_path": device_path,
            "file_name": file_name or None,
            "size_bytes": tagged.size,
            "deleted_state": tagged.deleted,
        }
        if self.container is None:
            self.absent += 1
        else:
            values.update(self._describe(tagged, locator))
        raw = {"element": "file", "id": tagged.id, "xml": tagged.xml}
        self.writer.add("media", locator, values, raw=raw)

    def _describe(self, tagged: TaggedFile, locator: str) -> dict[str, Any]:
        member = self.find(tagged.local_path)
        if member is None or self.container is None:
            self.ctx.issue(
                Severity.WARNING,
                "cellebrite.file_missing",
                "the report lists a file whose copy is not in the UFDR; its row has no hashes",
                locator=locator,
                value=tagged.local_path,
            )
            return {}
        try:
            with self.container.open(member) as stream:
                facts = describe_media(stream)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            self.ctx.issue(
                Severity.WARNING,
                "cellebrite.file_unreadable",
                f"the file's copy in the UFDR cannot be read ({exc}); its row has no hashes",
                locator=locator,
                value=member.name,
            )
            return {}
        for name, computed in (("md5", facts.md5), ("sha256", facts.sha256)):
            given = tagged.reported.get(name)
            if given is not None and given != computed:
                self.ctx.issue(
                    Severity.WARNING,
                    "cellebrite.hash_mismatch",
                    f"the {name.upper()} the report gives differs from the file's own ({computed})",
                    locator=locator,
                    value=given,
                )
        if tagged.size is not None and tagged.size != facts.size:
            self.ctx.issue(
                Severity.WARNING,
                "cellebrite.size_mismatch",
                f"the report gives {tagged.size} bytes; the copy has {facts.size}",
                locator=locator,
                value=str(tagged.size),
            )
        columns = {"path": member.name, **media_columns(facts)}
        columns.update(self.writer.time("taken", facts.taken, locator))
        return columns


def raise_files_absent(ctx: ParseContext, absent: int) -> None:
    """Say once that a bare report's ``absent`` files are not with it."""
    if absent:
        ctx.issue(
            Severity.WARNING,
            "cellebrite.files_absent",
            f"the report lists {absent} file(s) but is a bare report.xml without them: "
            "their rows keep path, size and deleted state but have no hashes, type or EXIF; "
            "ingest the UFDR to hash them",
            count=absent,
        )
