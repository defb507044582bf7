"""Streaming a Cellebrite ``report.xml`` once, element by element, in flat memory.

Reports run to many gigabytes, so the XML is read with
:func:`~threadline.ingest.safe_xml.iterparse_safe` (which refuses any DTD: entity attacks) on
``end`` events only, and nothing is kept once used:

* each top-level ``<model>`` of ``<decodedData><modelType>`` is handled when it ends, then
  cleared and dropped with its processed siblings;
* the messages of a chat are handled one by one as each ends (a chat can hold hundreds of
  thousands), with the chat's ``Id``, ``Name``, ``Source``, deleted state and participants, which
  precede its ``Messages`` in Cellebrite's layout, read from the chat element so far;
* each ``<file>`` of ``<taggedFiles>`` is handled when it ends, then dropped;
* ``<project>``'s attributes, ``<extractionInfo>`` and the Device Info ``<metadata>`` are kept
  (a few hundred bytes) for the ``devices`` row, written at the end;
* a chat's own record (without its messages, which have rows of their own) and each record of a
  type not read into a table are kept in ``source_rows`` alone (requirement 23).

lxml produces events only for the elements acted on (models, files, metadata): the fields and
values inside a model are parsed in C and read with their model, which keeps the pass close to
lxml's own speed.

Elements are matched by local name, so un-namespaced documents read alike: a bare ``<model>`` or
``<modelType>`` root (IPED's test fragments) is handled as a top-level record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any, Final, cast

from threadline.ingest.containers import Container
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cellebrite.device import DeviceFacts, write_devices
from threadline.ingest.parsers.cellebrite.elements import local, read_model
from threadline.ingest.parsers.cellebrite.files import (
    FileWriter,
    file_link,
    raise_files_absent,
    read_tagged_file,
)
from threadline.ingest.parsers.cellebrite.records import (
    ChatContext,
    RecordMapper,
    SummaryTallies,
    Tally,
    merge_tallies,
    raise_summaries,
)
from threadline.ingest.parsers.cellebrite.stream import ReportStream
from threadline.ingest.rows import RowWriter
from threadline.ingest.safe_xml import iterparse_safe
from threadline.ingest.shares import WHOLE, Share

__all__ = ["ReportOutcome", "ReportReader", "finish_report"]

#: The position of what is written after the last record (devices, summaries).
_AFTER_RECORDS: Final = 2**62

_MESSAGE_TYPES: Final = frozenset({"InstantMessage", "SMS", "MMS"})


@dataclass
class ReportOutcome:
    """What reading a report (or one process's share of it) found that is said once for the
    whole report, by :func:`finish_report`.

    Attributes:
        summaries: the record mapper's summary tallies.
        unread_models: model type -> records not read into a canonical table.
        files_absent: tagged files of a bare report (no copies to hash).
        models: top-level models in the whole report (every process counts them all).
        unread_device_items: Device Info names with no devices column (process 0 only).
        report_version: the project's ``reportVersion``.
        extractions: how many extractions the report describes.
    """

    summaries: SummaryTallies = field(default_factory=SummaryTallies)
    unread_models: dict[str, Tally] = field(default_factory=dict)
    files_absent: int = 0
    models: int = 0
    unread_device_items: list[str] = field(default_factory=list)
    report_version: str | None = None
    extractions: int = 0

    def merge(self, other: ReportOutcome) -> None:
        """Add another process's share (its facts of the whole report are this one's)."""
        self.summaries.merge(other.summaries)
        merge_tallies(self.unread_models, other.unread_models)
        self.files_absent += other.files_absent


def finish_report(ctx: ParseContext, outcome: ReportOutcome) -> None:
    """Raise the report's summary issues and record what was detected."""
    ctx.position = _AFTER_RECORDS
    raise_summaries(ctx, outcome.summaries)
    raise_files_absent(ctx, outcome.files_absent)
    for kind, tally in sorted(outcome.unread_models.items()):
        ctx.issue(
            Severity.INFO,
            "cellebrite.model_not_read",
            f"{tally.count} {kind or 'untyped'} record(s) are not read into a canonical "
            "table; each is kept as read in source_rows (this parser reads calls, messages, "
            "chats, contacts, accounts, locations and files)",
            locator=tally.locator,
            value=kind,
            count=tally.count,
        )
    if outcome.unread_device_items:
        ctx.issue(
            Severity.INFO,
            "cellebrite.device_info_not_read",
            "Device Info items with no devices column (kept in the raw record)",
            value=", ".join(sorted(set(outcome.unread_device_items))),
            count=len(outcome.unread_device_items),
        )
    if outcome.report_version:
        ctx.detected["cellebrite.report_version"] = outcome.report_version
    ctx.detected["cellebrite.extractions"] = str(outcome.extractions)
    ctx.detected["cellebrite.models"] = str(outcome.models)


@dataclass
class ReportReader:
    """Reads one report and writes its rows (see the module docstring).

    Attributes:
        ctx: the parse context.
        name: the report's path inside the exhibit (``report.xml``), the locator prefix.
        container: the UFDR the report came from, whose files are hashed; ``None`` for a bare
            report.
        share: the records this process writes (:mod:`threadline.ingest.shares`): units are
            the report's tagged files and top-level models (a chat with its messages), counted
            from 1 in reading order; the others are read only for what crosses records (a
            file's path for attachments, a message's id for duplicates).
    """

    ctx: ParseContext
    name: str
    container: Container | None = None
    share: Share = WHOLE
    facts: DeviceFacts = field(default_factory=DeviceFacts)
    outcome: ReportOutcome = field(default_factory=ReportOutcome)
    _units: int = 0
    _chat: tuple[Any, ChatContext] | None = None
    _chat_messages: int = 0

    def read(self, raw: IO[bytes]) -> ReportOutcome:
        """Read the whole report from ``raw``, write this share's rows, and return what is
        to be said once for the report (:func:`finish_report`).

        Raises:
            HostileInput: the XML declares a DTD.
            ParseError: the XML is malformed or truncated (line and column given), or a UFDR
                member cannot be inflated as declared.
        """
        container = self.container.name if self.container is not None else None
        # the XML reader only ever calls read()
        stream = cast(IO[bytes], ReportStream(raw, self.name, container))
        with RowWriter(self.ctx, batch_rows=_BATCH_ROWS) as writer:
            mapper = RecordMapper(self.ctx, writer, self.name)
            files = FileWriter(self.ctx, writer, self.name, self.container)
            self._loop(stream, mapper, files)
            self.ctx.position = _AFTER_RECORDS
            outcome = self.outcome
            outcome.summaries = mapper.tallies
            outcome.files_absent = files.absent
            outcome.report_version = self.facts.project.get("reportVersion")
            outcome.extractions = len(self.facts.extractions)
            if self.share.index == 0:
                outcome.unread_device_items = write_devices(writer, self.name, self.facts)
        return outcome

    def _loop(self, stream: IO[bytes], mapper: RecordMapper, files: FileWriter) -> None:
        # only the elements acted on produce events: the fields and values of a model (nine
        # elements in ten) are parsed by libxml2 without a Python call, and read with their model
        events = iterparse_safe(stream, name=self.name, events=("end",), tag=_EVENT_TAGS)
        kinds: dict[str, str] = {}  # tag -> local name, "" for a tag not acted on
        first = True
        report = False
        for _event, element in events:
            tag = element.tag
            kind = kinds.get(tag)
            if kind is None:
                kind = kinds[tag] = _kind(tag)
            if first:
                first = False
                self._root(element)
                # a fragment's root is a model, whose earlier fields are still to be read
                report = local(element.getroottree().getroot().tag) == "project"
            if not kind:
                continue
            if report:
                _drop_earlier_sections(element)
            if kind == "model":
                parent = element.getparent()
                if parent is None:
                    self._top_model(element, mapper)
                    _drop(element, parent)
                    continue
                holder = kinds.get(parent.tag)
                if holder is None:
                    holder = kinds[parent.tag] = _kind(parent.tag)
                if holder == "modelType":
                    self._top_model(element, mapper)
                    _drop(element, parent)
                elif holder == "multiModelField" and parent.get("name") == "Messages":
                    chat = parent.getparent()
                    # the chat being streamed was checked at its first message
                    current = self._chat is not None and self._chat[0] is chat
                    if chat is not None and (current or _is_top_chat(chat)):
                        self._chat_message(chat, element, mapper)
                        _drop(element, parent)
            elif kind == "file":
                parent = element.getparent()
                if parent is not None and local(parent.tag) == "taggedFiles":
                    self._file(element, mapper, files)
                    _drop(element, parent)
            elif kind == "extractionInfo":
                self.facts.extractions.append({str(k): str(v) for k, v in element.attrib.items()})
            elif kind == "metadata":
                parent = element.getparent()
                if parent is not None and local(parent.tag) == "project":
                    self._metadata(element)
                    _drop(element, parent)
            elif kind == "modelType":
                # with it go the elements before it under decodedData, which no event drops
                _drop(element, element.getparent())

    def _root(self, element: Any) -> None:
        root = element.getroottree().getroot()
        if local(root.tag) == "project":
            self.facts.project = {str(k): str(v) for k, v in root.attrib.items()}

    def _metadata(self, element: Any) -> None:
        if element.get("section") != "Device Info":
            return
        self.facts.section_line = element.sourceline
        for item in element:
            if local(item.tag) == "item":
                value = (item.text or "").strip()
                if value:
                    self.facts.items.append((item.get("name") or "", value, item.sourceline or 0))

    def _unit(self) -> bool:
        """Count a unit that ends here; whether it is this process's to write."""
        self.ctx.check_abandoned()  # another process of the reading failed: stop here
        self._units += 1
        if self.share.owns(self._units):
            self.ctx.position = self._units
            return True
        return False

    def _file(self, element: Any, mapper: RecordMapper, files: FileWriter) -> None:
        if not self._unit():
            file_id, local_path = file_link(element)
            if local_path and file_id:
                mapper.files[file_id] = local_path
            return
        tagged = read_tagged_file(element)
        if tagged.local_path and tagged.id:
            mapper.files[tagged.id] = tagged.local_path
        files.write(tagged)

    def _chat_message(self, chat: Any, element: Any, mapper: RecordMapper) -> None:
        # the chat's unit ends with the chat: its messages belong to the next unit number
        if not self.share.owns(self._units + 1):
            if element.get("type") in _MESSAGE_TYPES:
                mapper.note_message(element.get("id"))
            return
        self.ctx.position = self._units + 1
        if self._chat is None or self._chat[0] is not chat:
            self._chat = (chat, ChatContext.of(chat))
            self._chat_messages = 0
        self._chat_messages += 1
        view = read_model(element)
        if view.type in _MESSAGE_TYPES:
            mapper.message(view, self._chat[1])
        else:
            self._unread(view.type, mapper.locator(view))
            mapper.keep(view, self._chat[1])

    def _top_model(self, element: Any, mapper: RecordMapper) -> None:
        self.outcome.models += 1
        kind = element.get("type") or ""
        if not self._unit():
            if kind in _MESSAGE_TYPES:
                mapper.note_message(element.get("id"))
            return
        if kind == "Chat":
            self._end_chat(element, mapper)
            return
        view = read_model(element)
        if kind in _MESSAGE_TYPES:
            mapper.message(view)
        elif kind == "Call":
            mapper.call(view)
        elif kind == "Contact":
            mapper.contact(view)
        elif kind == "UserAccount":
            mapper.account(view)
        elif kind == "Location":
            mapper.location(view)
        else:
            self._unread(kind, mapper.locator(view))
            mapper.keep(view)

    def _end_chat(self, element: Any, mapper: RecordMapper) -> None:
        """A chat's end: its messages are written; its own fields (participants, photos,
        times) are kept as its raw record, without the messages already recorded."""
        streamed = self._chat is not None and self._chat[0] is element
        for holder in element.iterchildren("{*}multiModelField"):
            if holder.get("name") == "Messages":
                for message in list(holder):
                    holder.remove(message)
        view = read_model(element)
        mapper.check_fields(view, mapper.locator(view))
        if not streamed or self._chat_messages == 0:
            mapper.chat_without_messages(view)
        mapper.keep(view)
        self._chat = None
        self._chat_messages = 0

    def _unread(self, kind: str, locator: str) -> None:
        unread = self.outcome.unread_models
        tally = unread.get(kind)
        if tally is None:
            tally = unread[kind] = Tally(locator=locator, position=self.ctx.position)
        tally.count += 1


#: Rows per batch: a report's raw records run to kilobytes each, so batches are kept smaller
#: than the row writer's default to bound memory (batches wait in the store's write queue).
_BATCH_ROWS: Final = 10_000
_EVENT_TAGS: Final = ("{*}model", "{*}file", "{*}extractionInfo", "{*}metadata", "{*}modelType")
_HANDLED: Final = frozenset(
    {"model", "file", "extractionInfo", "metadata", "modelType", "multiModelField", "taggedFiles"}
)


def _kind(tag: Any) -> str:
    """The local name of a tag this reader acts on (or looks up as a parent), else ``""``."""
    name = local(tag)
    return name if name in _HANDLED else ""


def _is_top_chat(chat: Any) -> bool:
    """Whether ``chat`` is a top-level ``Chat`` model (its messages are streamed)."""
    if chat.get("type") != "Chat" or local(chat.tag) != "model":
        return False
    holder = chat.getparent()
    return holder is None or local(holder.tag) == "modelType"


def _drop_earlier_sections(element: Any) -> None:
    """Free the report root's children before the one holding ``element``: each was read as its
    own elements ended, and an element no event names (padding, an unknown section) is otherwise
    held until the end of the report."""
    top = element
    parent = top.getparent()
    while parent is not None and parent.getparent() is not None:
        top, parent = parent, parent.getparent()
    if parent is not None:
        while top.getprevious() is not None:
            del parent[0]


def _drop(element: Any, parent: Any) -> None:
    """Free a handled element and the siblings handled before it."""
    element.clear(keep_tail=False)
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
