"""MSAB XRY text export: calls, messages, contacts and device information (formats.md §2a).

XRY writes one UTF-16LE ``.txt`` file per report (``Calls.txt``, ``Messages-SMS.txt``,
``Contacts-Contacts.txt``, ``Device-General Information.txt``...). An exhibit is one such file or
a folder or ZIP holding a whole export. Each file's header names its report; each *entity* in it
becomes a row (see :mod:`~threadline.ingest.parsers.xry.entities` for the file's layout and
:mod:`~threadline.ingest.parsers.xry.records` for the mapping to canonical columns).

* **Concatenated SMS**: a long SMS travels in segments and XRY writes one entity per segment,
  each with ``Reference Number``, ``Segments`` and ``Segment Number``. Consecutive entities with
  the same reference number are rejoined into ONE message: the text in segment order, joined
  exactly (segments split mid-word, so no space is added; Autopsy adds one). Its locator names
  every part (``Messages-SMS.txt#line=40;entity=4+5+6``) and its raw record keeps each entity
  as written. A missing segment raises an issue: the text is then incomplete.
* **Device/General Information** entities together describe one handset: they become one
  ``devices`` row. Facts are written either as keys (``IMEI: ...``) or as ``Attribute:``/``Data:``
  pairs (``Attribute: Mobile Id (IMEI)`` with ``Data: 35...``, the form Autopsy reads).
* **Web/Bookmarks** has no canonical table: the count is reported as one issue.

Locators: ``<file>#line=<first line of the entity>;entity=<n>`` with ``<file>`` the file's path
inside the exhibit (its own name for a single file) and ``n`` the entity's position in the file
(requirement 20). Times: see :mod:`~threadline.ingest.parsers.xry.times` (requirement 22).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, ClassVar, Final

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.containers import open_container
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.xry.entities import (
    Entity,
    ParsedEntity,
    classify_head,
    decoded_lines,
    parse_entity,
    read_entities,
    read_header,
)
from threadline.ingest.parsers.xry.fields import Field, normalise_key
from threadline.ingest.parsers.xry.records import (
    CALL_KEYS,
    CONTACT_KEYS,
    MESSAGE_KEYS,
    RecordMapper,
)
from threadline.ingest.parsers.xry.times import parse_text_time
from threadline.ingest.rows import RowWriter

__all__ = ["XryTextParser"]

_PROBE: Final = 4096
_SNIFF_ENTRIES: Final = 2000
_SNIFF_TXT_FILES: Final = 50

#: Report types (header line 3, normalised with '-' read as '/') and what they hold.
_REPORTS: Final = {
    "calls": "calls",
    "contacts": "contacts",
    "contacts/contacts": "contacts",
    "device/general information": "device",
    "messages/sms": "messages",
    "web/bookmarks": "bookmarks",
}
_DEVICE_PAIR: Final = frozenset({"attribute", "data"})


def _report_kind(report_type: str) -> str | None:
    key = normalise_key(report_type.replace("-", "/"))
    return _REPORTS.get(key.replace(" / ", "/"))


def _raw(entities: Sequence[Entity]) -> dict[str, str]:
    """The record as written: each entity's text under its number (requirement 23)."""
    return {f"entity {e.number}": e.text for e in entities}


def _locator(name: str, entities: Sequence[Entity], *, joined: str = "+") -> str:
    numbers = [e.number for e in entities]
    if joined == "-" and len(numbers) > 1:
        place = f"{numbers[0]}-{numbers[-1]}"
    else:
        place = joined.join(str(n) for n in numbers)
    return f"{name}#line={entities[0].line};entity={place}"


def _int_meta(parsed: ParsedEntity, key: str) -> int | None:
    value = parsed.first(key)
    return int(value) if value is not None and value.isdigit() else None


class XryTextParser:
    """MSAB XRY text export (a ``.txt`` report, or a folder or ZIP of them)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="xry_text",
        version="1.0.0",
        title="MSAB XRY text export",
        formats=("txt", "zip", "folder"),
        tables=("calls", "messages", "contacts", "devices", "source_rows"),
        references=(
            "formats.md §0, §2a",
            "sleuthkit/autopsy Core/src/org/sleuthkit/autopsy/datasourceprocessors/xry/",
        ),
        fixtures=(
            "fixtures/xry/export/Calls.txt",
            "fixtures/xry/export/Messages-SMS.txt",
            "fixtures/xry/export/Contacts-Contacts.txt",
            "fixtures/xry/export/Device-General Information.txt",
            "fixtures/xry/export.zip",
        ),
    )

    # -- recognising ----------------------------------------------------------------------

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for a ``.txt`` starting with the UTF-16LE ``XRY Export`` header; LIKELY for
        an export saved in another encoding (so the user is told why it cannot be read) and for
        a folder or ZIP holding XRY text reports and no Cellebrite ``report.xml``."""
        try:
            if probe.path.is_dir():
                return Confidence.LIKELY if _folder_has_reports(probe.path) else Confidence.NO
            if probe.head.startswith(b"PK\x03\x04"):
                # a .ufdr or other archive is not an XRY export; reading its directory is not cheap
                if probe.suffix != "zip":
                    return Confidence.NO
                return Confidence.LIKELY if _zip_has_reports(probe.path) else Confidence.NO
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
            return Confidence.NO
        kind = classify_head(probe.head)
        if kind == "xry":
            return Confidence.CERTAIN
        return Confidence.LIKELY if kind == "wrong_encoding" else Confidence.NO

    # -- reading --------------------------------------------------------------------------

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read a single report, or every XRY report in a folder or ZIP exhibit.

        Raises:
            NotThisFormat: no XRY text report was found.
            ParseError: a report is not UTF-16LE, or its header is cut short.
            HostileInput: a ZIP member's path leaves the archive, or a ZIP bomb.
        """
        with RowWriter(ctx) as writer:
            mapper = RecordMapper(writer, parse_text_time, "xry.key_unknown")
            if path.is_dir() or zipfile.is_zipfile(path):
                self._read_container(path, mapper)
                return
            with path.open("rb") as stream:
                kind = classify_head(stream.read(_PROBE))
                if kind is None:
                    raise NotThisFormat("not an XRY text export", path=path.name)
                if kind == "wrong_encoding":
                    raise _wrong_encoding(path.name)
                stream.seek(0)
                _ReportReader(mapper, path.name).read(stream)

    def _read_container(self, path: Path, mapper: RecordMapper) -> None:
        ctx = mapper.writer.ctx
        container = open_container(path, path.name, ctx.limits)
        try:
            read = 0
            others: list[str] = []
            for member in container.members():
                if not member.name.lower().endswith(".txt"):
                    others.append(member.name)
                    continue
                with container.open(member) as stream:
                    kind = classify_head(stream.read(_PROBE))
                if kind is None:
                    others.append(member.name)
                    continue
                if kind == "wrong_encoding":
                    raise _wrong_encoding(member.name)
                with container.open(member) as stream:
                    _ReportReader(mapper, member.name).read(stream)
                read += 1
        finally:
            container.close()
        if read == 0:
            raise NotThisFormat("the exhibit holds no XRY text export report", path=path.name)
        if others:
            ctx.issue(
                Severity.INFO,
                "xry.files_not_read",
                f"{len(others)} file(s) in the exhibit are not XRY text reports and were not "
                "read by this parser",
                value="; ".join(others[:20]) + ("; ..." if len(others) > 20 else ""),
                count=len(others),
            )


def _wrong_encoding(name: str) -> ParseError:
    return ParseError(
        "the file has an XRY Export header but is not UTF-16LE with a byte-order mark (FF FE), "
        "the encoding XRY writes; it has probably been re-saved by another program. Supply the "
        "export exactly as XRY wrote it",
        path=name,
        locator="line=1",
    )


def _folder_has_reports(root: Path) -> bool:
    """Whether a folder (top level and one level down) holds an XRY text report and no
    Cellebrite ``report.xml``; looks at a bounded number of entries."""
    seen = 0
    found = False
    for folder, subfolders, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        seen += len(subfolders)
        if depth >= 1:
            subfolders.clear()
        for name in files:
            seen += 1
            if seen > _SNIFF_ENTRIES:
                return found
            if name.lower() == "report.xml":
                return False
            if not found and name.lower().endswith(".txt"):
                with (Path(folder) / name).open("rb") as handle:
                    found = classify_head(handle.read(_PROBE)) == "xry"
    return found


def _zip_has_reports(path: Path) -> bool:
    """Whether a ZIP holds an XRY text report and no Cellebrite ``report.xml``."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > _SNIFF_ENTRIES:
            return False  # an XRY text export has a few dozen files, not thousands
        names = [info.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() for info in infos]
        if "report.xml" in names:
            return False
        texts = [i for i, n in zip(infos, names, strict=True) if n.endswith(".txt")]
        for info in texts[:_SNIFF_TXT_FILES]:
            with archive.open(info) as handle:
                if classify_head(handle.read(_PROBE)) == "xry":
                    return True
    return False


class _ReportReader:
    """Reads one report file into rows."""

    def __init__(self, mapper: RecordMapper, name: str) -> None:
        self.mapper = mapper
        self.name = name
        self.ctx = mapper.writer.ctx

    def read(self, stream: IO[bytes]) -> None:
        lines = decoded_lines(stream, self.name)
        header = read_header(lines, self.name)
        kind = _report_kind(header.report_type)
        if kind is None:
            self.ctx.issue(
                Severity.WARNING,
                "xry.report_unknown",
                "the report type on the header's third line is not one this parser reads; the "
                "file was not read",
                locator=f"{self.name}#line={header.line + 2}",
                value=header.report_type,
            )
            return
        if kind == "bookmarks":
            count = sum(1 for _ in read_entities(lines, frozenset()))
            self.ctx.issue(
                Severity.INFO,
                "xry.bookmarks_not_read",
                f"{count} web bookmark(s) are in the export; bookmarks have no evidence table, "
                "so they are not read",
                locator=f"{self.name}#line={header.line}",
                value=str(count),
                count=1,
            )
            return
        known = {
            "calls": CALL_KEYS,
            "messages": MESSAGE_KEYS,
            "contacts": CONTACT_KEYS,
            "device": frozenset(),
        }[kind]
        parsed = self._parsed(read_entities(lines, known), known)
        if kind == "calls":
            for item in parsed:
                self.mapper.call(item.fields, self._locator([item]), _raw([item.entity]))
        elif kind == "contacts":
            for item in parsed:
                self.mapper.contacts(item.fields, self._locator([item]), _raw([item.entity]))
        elif kind == "messages":
            self._messages(parsed)
        else:
            self._device(list(parsed))

    def _locator(self, items: Sequence[ParsedEntity], *, joined: str = "+") -> str:
        return _locator(self.name, [i.entity for i in items], joined=joined)

    def _parsed(self, entities: Iterator[Entity], known: frozenset[str]) -> Iterator[ParsedEntity]:
        """Entities read into fields; their problems raised as issues, field-less ones dropped."""
        for entity in entities:
            parsed = parse_entity(entity, known)
            locator = _locator(self.name, [entity])
            for problem in parsed.problems:
                self.ctx.issue(
                    Severity.WARNING,
                    problem.code,
                    problem.message,
                    locator=locator,
                    value=problem.value,
                )
            if parsed.fields:
                yield parsed

    # -- messages: rejoining concatenated SMS ---------------------------------------------

    def _messages(self, parsed: Iterator[ParsedEntity]) -> None:
        group: list[ParsedEntity] = []
        reference: int | None = None
        for item in parsed:
            ref = _int_meta(item, "reference number")
            if ref is None and item.first("reference number") is not None:
                self.ctx.issue(
                    Severity.WARNING,
                    "xry.segment_meta_unreadable",
                    "the Reference Number is not a whole number; the entity is read as a "
                    "message on its own",
                    locator=self._locator([item]),
                    value=item.first("reference number"),
                )
            segment = _int_meta(item, "segment number")
            numbers = {_int_meta(g, "segment number") for g in group}
            if group and ref is not None and ref == reference and segment not in numbers:
                group.append(item)
                continue
            self._flush(group)
            group, reference = ([item], ref) if ref is not None else ([], None)
            if ref is None:
                self.mapper.message(item.fields, self._locator([item]), _raw([item.entity]))
        self._flush(group)

    def _flush(self, group: list[ParsedEntity]) -> None:
        if not group:
            return
        locator = self._locator(group)
        ordered = sorted(
            group, key=lambda g: (_int_meta(g, "segment number") or 0, g.entity.number)
        )
        expected = max((_int_meta(g, "segments") or 0) for g in group)
        present = {_int_meta(g, "segment number") for g in group}
        missing = [n for n in range(1, expected + 1) if n not in present]
        if missing:
            self.ctx.issue(
                Severity.WARNING,
                "xry.sms_segment_missing",
                f"a concatenated SMS of {expected} segment(s) is missing segment(s) "
                f"{', '.join(map(str, missing))}; its text is incomplete",
                locator=locator,
                value=f"missing {', '.join(map(str, missing))} of {expected}",
            )
        if None in present:
            self.ctx.issue(
                Severity.WARNING,
                "xry.segment_meta_unreadable",
                "a segment of a concatenated SMS has no Segment Number; segments are joined in "
                "file order",
                locator=locator,
            )
        for extra in ordered[1:]:
            self.mapper.check_keys(extra.fields, MESSAGE_KEYS, locator)
        body = "".join(_text(g.fields) for g in ordered)
        self.mapper.message(ordered[0].fields, locator, _raw([g.entity for g in group]), body=body)

    # -- device information ---------------------------------------------------------------

    def _device(self, parsed: list[ParsedEntity]) -> None:
        if not parsed:
            return
        fields: list[Field] = []
        for item in parsed:
            fields.extend(self._device_fields(item))
        self.mapper.device(
            fields,
            self._locator(parsed, joined="-"),
            _raw([p.entity for p in parsed]),
            tool="XRY text export",
        )

    def _device_fields(self, item: ParsedEntity) -> list[Field]:
        """The entity's facts, ``Attribute:``/``Data:`` pairs read as one fact each."""
        out: list[Field] = []
        pending: dict[str, str] = {}
        for field_ in item.fields:
            if field_.key not in _DEVICE_PAIR:
                out.append(field_)
                continue
            if field_.key in pending:  # a pair left without its partner
                out.append(Field(field_.key, field_.key.title(), pending.pop(field_.key)))
            pending[field_.key] = field_.value
            if len(pending) == 2:
                label = pending["attribute"]
                out.append(Field(normalise_key(label), label, pending["data"]))
                pending.clear()
        for key, value in pending.items():
            out.append(Field(key, key.title(), value))
        return out


def _text(fields: Sequence[Field]) -> str:
    for item in fields:
        if item.key in ("text", "message"):
            return item.value
    return ""
