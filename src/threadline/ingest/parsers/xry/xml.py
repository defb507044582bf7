"""MSAB XRY XML export: device facts, calls, messages, contacts and accounts (formats.md §2b).

**Unverified format.** No public XRY XML sample exists. The structure read here is the one a
third-party parser written against real files uses (michailz/ufed_xry_xml_parser
``core/xryfunc.py``)::

    xryfile > images > image > views > view[type] > nodes > node > properties > property[type]

* ``view type="general_view"``: ``property type="field_name"`` and ``type="field_data"``
  alternate as name/value pairs (case reference ``CASE_REFERENCE``, examiner ``CASE_OPERATOR``,
  device facts, creation time ``DD/MM/YYYY HH:MM:SS``). One ``devices`` row per image.
* item views (``calls_view``, ``messages_view``, ``contacts_view``, ``accounts_view``): each
  ``properties`` element is one record; each ``property`` carries its field in ``type``
  (``related_application``, ``deleted``, ...) and the value as text. A ``deleted`` property marks
  a deleted record (the third-party parser skips contacts that have one).

Field types beyond ``related_application`` and ``deleted`` are not documented anywhere public;
this parser reads the XRY text export's key names written in lower snake case (``tel``,
``name_matched``, ``call_type``...) and reports every other field type and every other view as an
issue, so that the mapping can be checked and extended against a real export.

The file is read element by element (:func:`~threadline.ingest.safe_xml.iterparse_safe`) and each
record is released once read, so a large export never sits in memory whole. A document type
declaration is refused as hostile; a truncated or malformed file stops with the line and column.

Locators: ``<file>#line=<line of the record's properties element>;image=<i>;view=<type>;
item=<n>`` (requirement 20).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Final

from lxml import etree

from threadline.errors import NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.xry.fields import Field, normalise_key
from threadline.ingest.parsers.xry.records import RecordMapper
from threadline.ingest.parsers.xry.times import parse_xml_time
from threadline.ingest.rows import RowWriter
from threadline.ingest.safe_xml import iterparse_safe, local_name

__all__ = ["XryXmlParser"]

_ROOT: Final = "xryfile"
_ITEM_VIEWS: Final = frozenset({"calls_view", "messages_view", "contacts_view", "accounts_view"})
_GENERAL: Final = "general_view"

#: Field types written differently from the text export's keys.
_ALIASES: Final[Mapping[str, str]] = {
    "name matched": "name (matched)",
    "phone number": "tel",
    "telephone": "tel",
    "message text": "text",
    "body": "text",
    "call direction": "direction",
    "date time": "time",
    "datetime": "time",
    "timestamp": "time",
    "email address": "email",
}


def _field_key(type_name: str) -> str:
    key = normalise_key(type_name)
    return _ALIASES.get(key, key)


def _unique(raw: Mapping[str, str], label: str) -> str:
    """``label``, numbered (``tel #2``) when the record already has one."""
    if label not in raw:
        return label
    number = 2
    while f"{label} #{number}" in raw:
        number += 1
    return f"{label} #{number}"


def _text(element: etree._Element) -> str:
    return "".join(str(part) for part in element.itertext())


def _line(element: etree._Element) -> int:
    """The line an element starts on (0 if lxml does not know)."""
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) else 0


def _release(element: etree._Element) -> None:
    """Free a processed element and the siblings before it (bounded memory)."""
    element.clear()
    parent = element.getparent()
    while element.getprevious() is not None and parent is not None:
        del parent[0]


class XryXmlParser:
    """MSAB XRY XML export (see the module docstring: the format is unverified)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="xry_xml",
        version="1.0.0",
        title="MSAB XRY XML export",
        formats=("xml",),
        tables=("calls", "messages", "contacts", "devices", "accounts", "source_rows"),
        references=(
            "formats.md §2b",
            "michailz/ufed_xry_xml_parser core/xryfunc.py (no public XRY XML sample exists)",
        ),
        fixtures=("fixtures/xry/xry_export.xml",),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for XML whose first bytes hold an ``<xryfile`` element."""
        head = probe.head[:_SNIFF_BYTES]
        if b"<xryfile" in head or "<xryfile".encode("utf-16-le") in head:
            return Confidence.CERTAIN
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read the export, view by view and record by record.

        Raises:
            NotThisFormat: the document's root is not ``xryfile``.
            HostileInput: the document declares a DTD.
            ParseError: the XML is malformed or truncated (line and column given).
        """
        with RowWriter(ctx) as writer:
            _XmlReader(RecordMapper(writer, parse_xml_time, "xry.property_unknown"), path).read()


_SNIFF_BYTES: Final = 4096


class _XmlReader:
    """The state of one pass over an XRY XML file."""

    def __init__(self, mapper: RecordMapper, path: Path) -> None:
        self.mapper = mapper
        self.ctx = mapper.writer.ctx
        self.path = path
        self.name = path.name
        self.image = 0
        self.view: str | None = None
        self.view_line = 0
        self.items = 0
        self.general: list[Field] = []
        self.general_raw: dict[str, str] = {}

    def read(self) -> None:
        first = True
        for event, element in iterparse_safe(self.path, name=self.name):
            tag = local_name(element.tag)
            if first:
                first = False
                if tag != _ROOT:
                    raise NotThisFormat(
                        f"the XML's root element is <{tag}>, not <{_ROOT}>", path=self.name
                    )
            if event == "start":
                self._start(tag, element)
            else:
                self._end(tag, element)

    def _start(self, tag: str, element: etree._Element) -> None:
        if tag == "image":
            self.image += 1
        elif tag == "view":
            self.view = element.get("type") or ""
            self.view_line = _line(element)
            self.items = 0
            self.general = []
            self.general_raw = {}

    def _end(self, tag: str, element: etree._Element) -> None:
        if tag == "properties" and self.view is not None:
            self.items += 1
            self._record(element)
            _release(element)
        elif tag == "node":
            _release(element)
        elif tag == "view":
            self._view_done()
            self.view = None
            _release(element)

    def _locator(self, line: int) -> str:
        return f"{self.name}#line={line};image={self.image};view={self.view};item={self.items}"

    def _record(self, element: etree._Element) -> None:
        properties = [
            (child.get("type") or "", _text(child))
            for child in element
            if isinstance(child.tag, str) and local_name(child.tag) == "property"
        ]
        if self.view == _GENERAL:
            self._general(properties, _line(element))
            return
        if self.view not in _ITEM_VIEWS:
            return
        locator = self._locator(_line(element))
        raw: dict[str, str] = {}
        fields: list[Field] = []
        for type_name, value in properties:
            raw[_unique(raw, type_name)] = value
            key = _field_key(type_name)
            if key == "deleted" and not value.strip():
                value = "yes"  # the property's presence marks a deleted record
            fields.append(Field(key, type_name, value))
        if self.view == "calls_view":
            self.mapper.call(fields, locator, raw)
        elif self.view == "messages_view":
            self.mapper.message(fields, locator, raw)
        elif self.view == "contacts_view":
            self.mapper.contacts(fields, locator, raw)
        else:
            self.mapper.account(fields, locator, raw)

    def _general(self, properties: list[tuple[str, str]], line: int) -> None:
        """Pair ``field_name`` with the ``field_data`` after it."""
        pending: str | None = None
        for type_name, value in properties:
            kind = type_name.strip().lower()
            if kind == "field_name":
                if pending is not None:
                    self._unpaired(pending, line)
                pending = value.strip()
            elif kind == "field_data" and pending is not None:
                self.general_raw[_unique(self.general_raw, pending)] = value
                self.general.append(Field(normalise_key(pending), pending, value))
                pending = None
            elif kind == "field_data":
                self._unpaired(value, line)
            else:
                self.ctx.issue(
                    Severity.WARNING,
                    "xry.property_unknown",
                    "a general-view property that is neither field_name nor field_data; it was "
                    "not read",
                    locator=self._locator(line),
                    value=type_name,
                )
        if pending is not None:
            self._unpaired(pending, line)

    def _unpaired(self, value: str, line: int) -> None:
        self.ctx.issue(
            Severity.WARNING,
            "xry.general_unpaired",
            "a general-view field name without its data (or data without a name); it was not read",
            locator=self._locator(line),
            value=value,
        )

    def _view_done(self) -> None:
        if self.view == _GENERAL:
            if self.general:
                locator = f"{self.name}#line={self.view_line};image={self.image};view={_GENERAL}"
                self.mapper.device(self.general, locator, self.general_raw, tool="XRY XML export")
        elif self.view not in _ITEM_VIEWS:
            self.ctx.issue(
                Severity.WARNING,
                "xry.view_unknown",
                f"a view of {self.items} record(s) this parser does not read; its records are not "
                "in the evidence tables",
                locator=f"{self.name}#line={self.view_line};image={self.image};view={self.view}",
                value=self.view,
            )
