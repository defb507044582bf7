"""vCard contacts (2.1, 3.0, 4.0) into the ``contacts`` table (formats.md §6).

A ``.vcf`` file is an address book export: one ``BEGIN:VCARD`` ... ``END:VCARD`` block (a *card*)
per contact. Handsets export them, investigators receive them by e-mail, and full file-system
extractions hold them in ``Download/`` or app folders; the file-system parser reuses
:func:`read_vcards` for those.

**Why not vobject.** vobject reads 3.0 well but fails on the vCard 2.1 quoted-printable soft line
break that Android and older handsets write for every accented name (``N;CHARSET=UTF-8;
ENCODING=QUOTED-PRINTABLE:=C3=89lodie;Gr=C3=A9=`` continued on the next line: "Failed to parse
line"), it reads the whole file into memory before parsing (a hostile file with a 200 MB line
would cost 200 MB or more), and it gives no line numbers, which locators need. So the reader is our
own and small: :mod:`threadline.ingest.parsers.vcard_lines` gives bounded, unfolded content lines
and this module reads properties from them.

Reading:

* properties are ``[group.]NAME;param=value;...:value``; parameter names and the 2.1 bare
  parameters (``TEL;CELL;PREF``, ``QUOTED-PRINTABLE``, ``BASE64``) are read, values decoded by
  ``ENCODING`` (``QUOTED-PRINTABLE``; ``BASE64``/``b``; a 4.0 ``data:`` URI) and ``CHARSET``
  (UTF-8 unless a charset is declared; a value that is not valid in its charset is read as
  Windows-1252, then ISO-8859-1, with an issue);
* text escapes are undone (``\\n`` ``\\,`` ``\\;`` ``\\\\`` in 3.0/4.0; ``\\;`` and ``\\\\`` in
  2.1) and structured values (``N``, ``ADR``, ``ORG``) are split on unescaped ``;``;
* ``PHOTO``, ``LOGO``, ``SOUND`` and ``KEY`` data is never stored: the raw record notes its type,
  size and SHA-256 instead (so two exports of the same photo can be matched, and no image is
  kept in the case store).

Rows (requirements 20, 23, 59): one ``contacts`` row per telephone number of a card, and one for a
card with no number (with its first e-mail address, if any). ``name`` is ``FN``, or when that is
empty the ``N`` components assembled as *prefix given additional family suffix*. ``number`` is
E.164 where the number normalises (UK rules: a number written in another country's national
format without its ``+`` code is read as a UK number and is usually invalid: a ``phone.invalid``
issue says so) and ``number_original`` is the ``TEL`` value exactly as written. ``email`` is the
card's first ``EMAIL``. The contacts table has no nickname column: ``NICKNAME`` is kept in the
raw record as ``nickname`` (several joined with ``, ``). The raw record (``source_rows``) also
keeps the card's text as read (with any photo data replaced by its note), its version, all
e-mail addresses, ``ORG``, the number's ``TYPE`` and every ``X-`` property decoded.

Locators: ``<file>#card=<n>;line=<first line>`` (cards numbered from 1, lines from 1 at the
card's ``BEGIN``), with ``;tel=<k>`` added when the card has more than one number (k from 1 in the
card's order). ``deleted_state`` is ``intact`` (a card is a live record of the file) and
``source_app`` is ``vCard``.

Bad input is reported and reading goes on: a line over the limit, a line that is not a property,
a card without ``END`` (its properties are still read), text outside cards, a charset that does
not fit, undecodable photo data. A file whose first line is not ``BEGIN:VCARD`` is not a vCard
(:class:`~threadline.errors.NotThisFormat`).
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Final

import filetype

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.vcard_lines import (
    MAX_LINE_BYTES,
    OVERLONG_HEAD,
    ContentLine,
    Overlong,
    PhysicalLine,
    physical_lines,
    split_property,
    split_unquoted,
)
from threadline.ingest.rows import RowWriter

__all__ = ["SOURCE_APP", "VcardParser", "looks_like_vcard", "read_vcards"]

#: ``source_app`` of every row.
SOURCE_APP: Final = "vCard"
#: ``deleted_state`` of every row: a card is a live record of the file it is in.
DELETED_STATE: Final = "intact"
#: Properties whose value is binary data (never stored; noted by size and hash).
BINARY_PROPERTIES: Final = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
#: Properties whose value is structured (components separated by ``;``).
STRUCTURED_PROPERTIES: Final = frozenset({"N", "ADR", "ORG", "GENDER"})
#: Versions read; another is read as 3.0, with an issue.
VERSIONS: Final = frozenset({"2.1", "3.0", "4.0"})

_BEGIN: Final = b"BEGIN:VCARD"
_END: Final = b"END:VCARD"
_NAME: Final = re.compile(r"^[A-Za-z0-9-]+$")
_ENCODING_WORDS: Final = frozenset({"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"})
_FALLBACKS: Final = ("cp1252", "latin-1")
_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_STRUCTURE: Final = re.compile(r"\\.|;", re.DOTALL)
_ESCAPES_30: Final = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\", ":": ":"}
_ESCAPES_21: Final = {";": ";", "\\": "\\"}
_DATA_URI: Final = re.compile(rb"^data:([^,;]*)(?:;[^,]*)?;base64,", re.IGNORECASE)
_SHOWN: Final = 200
_BASE64: Final = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def looks_like_vcard(head: bytes) -> bool:
    """Whether ``head`` starts (after a byte-order mark and blank lines) with ``BEGIN:VCARD``."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    elif head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    return head.lstrip(b" \t\r\n").upper().startswith(_BEGIN)


@dataclass(frozen=True, slots=True)
class VcardProperty:
    """One property of a card, decoded.

    Attributes:
        line: line number of its first physical line.
        group: its group (``item1`` in ``item1.EMAIL``), if any.
        name: its name, upper case.
        params: parameters by upper-case name, values as written (2.1 bare words under ``TYPE``
            or ``ENCODING``).
        parts: the decoded text, split into components for a structured property; empty for
            binary data or a value that could not be kept.
        note: for binary data, its type, size and SHA-256; for a dropped value, why.
    """

    line: int
    group: str | None
    name: str
    params: dict[str, list[str]]
    parts: tuple[str, ...] = ()
    note: str | None = None

    @property
    def text(self) -> str:
        """The value as one text (components joined with ``;``)."""
        return ";".join(self.parts)

    def param(self, name: str) -> str | None:
        """The first value of parameter ``name``, upper case."""
        values = self.params.get(name)
        return values[0].upper() if values else None


@dataclass(slots=True)
class _Card:
    index: int
    line: int
    version: str | None = None
    properties: list[VcardProperty] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    size: int = 0
    too_large: bool = False


def _text_of(data: bytes) -> str:
    """Bytes as text for the raw record: UTF-8, else Windows-1252, else ISO-8859-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    # RFC 6868 parameter escapes (vCard 4.0)
    return re.sub(r"\^(.)", lambda m: {"n": "\n", "^": "^", "'": '"'}.get(m[1], m[0]), value)


def _unescape(text: str, version: str | None) -> str:
    table = _ESCAPES_21 if version == "2.1" else _ESCAPES_30
    return _ESCAPE.sub(lambda m: table.get(m[1], m[0]), text)


def _split_structured(text: str) -> list[str]:
    parts = []
    start = 0
    for match in _STRUCTURE.finditer(text):
        if match.group() == ";":
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _base64(value: bytes) -> bytes:
    """Base64 data with its white space removed; missing ``=`` padding (some handsets leave it
    off) is tolerated, any other character is not.

    Raises:
        binascii.Error: the data is not base64.
    """
    data = b"".join(value.split())
    if not _BASE64.fullmatch(data):
        raise binascii.Error("characters outside the base64 alphabet")
    return binascii.a2b_base64(data.rstrip(b"=") + b"=" * (-len(data.rstrip(b"=")) % 4))


def _binary_note(data: bytes) -> str:
    kind = filetype.guess(data[:8192]) if data else None
    what = kind.mime if kind is not None else "data of unknown type"
    return f"{what}, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"


class _Reader:
    """Reads one vCard stream into rows (see the module docstring)."""

    def __init__(self, place: str, writer: RowWriter, max_line_bytes: int) -> None:
        self.place = place
        self.writer = writer
        self.ctx = writer.ctx
        self.max_line_bytes = max_line_bytes
        self.max_card_bytes = 4 * max_line_bytes
        self.card: _Card | None = None
        self.pending: ContentLine | None = None
        self.cards = 0
        self.seen_content = False

    # -- issues ------------------------------------------------------------------------------

    def _issue(
        self, severity: Severity, code: str, message: str, line: int, value: str | None = None
    ) -> None:
        self.ctx.issue(severity, code, message, locator=f"{self.place}#line={line}", value=value)

    # -- lines -------------------------------------------------------------------------------

    def read(self, stream: IO[bytes]) -> int:
        number = 0
        try:
            for item in physical_lines(stream, self.max_line_bytes):
                number = item.number
                if isinstance(item, Overlong):
                    self._overlong(item)
                else:
                    self._line(item)
        except (OSError, EOFError) as exc:
            raise ParseError(
                f"the file could not be read: {exc}", path=self.place, locator=f"line={number + 1}"
            ) from exc
        if not self.seen_content:
            raise NotThisFormat("the file is empty: no BEGIN:VCARD", path=self.place)
        if self.card is not None:
            self._close_pending()
            self._issue(
                Severity.WARNING,
                "vcard.card_unterminated",
                f"card {self.card.index} has no END:VCARD before the end of the file; the "
                "properties read are kept",
                self.card.line,
            )
            self._finish_card()
        return self.cards

    def _first_content(self, line: int, head: bytes) -> None:
        if not self.seen_content:
            self.seen_content = True
            if not head.strip().upper().startswith(_BEGIN):
                raise NotThisFormat(
                    "not a vCard: the first line is not BEGIN:VCARD",
                    path=self.place,
                    locator=f"line={line}",
                )

    def _line(self, item: PhysicalLine) -> None:
        line = item.data
        if self.card is None:
            if not line.strip():
                return
            self._first_content(item.number, line)
            if line.strip().upper() == _BEGIN:
                self._start_card(item.number, line)
            else:
                self._issue(
                    Severity.WARNING,
                    "vcard.outside_card",
                    "text outside a BEGIN:VCARD ... END:VCARD block is ignored",
                    item.number,
                    _text_of(line[:_SHOWN]),
                )
            return
        if self.pending is not None and self.pending.continues_with(line):
            self.pending.extend(line, self.card.version, self.max_line_bytes)
            return
        self._close_pending()
        stripped = line.strip().upper()
        if not stripped:
            return
        if stripped == _END:
            self.card.text.append(_text_of(line))
            self._finish_card()
            return
        if stripped == _BEGIN:
            self._issue(
                Severity.WARNING,
                "vcard.card_unterminated",
                f"card {self.card.index} has no END:VCARD before the next BEGIN:VCARD; the "
                "properties read are kept",
                self.card.line,
            )
            self._finish_card()
            self._start_card(item.number, line)
            return
        self.pending = self._content_line(item.number, line)

    def _content_line(self, number: int, line: bytes) -> ContentLine:
        before = line.split(b":", 1)[0].upper()
        words = set(re.split(rb"[;=,]", before))
        return ContentLine(
            number,
            bytearray(line),
            [line],
            quoted_printable=b"QUOTED-PRINTABLE" in words,
            base64_21=(self.card is not None and self.card.version == "2.1") and b"BASE64" in words,
        )

    def _overlong(self, item: Overlong) -> None:
        reason = f"line {item.number} is {item.length} bytes, longer than the limit of " + (
            f"{self.max_line_bytes}; its value is not read"
        )
        if self.card is None:
            self._first_content(item.number, item.head)
            self._issue(
                Severity.WARNING, "vcard.line_too_long", reason, item.number, f"{item.length} bytes"
            )
            return
        self._issue(
            Severity.WARNING, "vcard.line_too_long", reason, item.number, f"{item.length} bytes"
        )
        pending = self.pending
        if pending is not None and pending.continues_with(item.head):
            pending.drop(reason)
            return
        self._close_pending()
        dropped = self._content_line(item.number, item.head)
        dropped.drop(reason)
        self.pending = dropped

    # -- cards -------------------------------------------------------------------------------

    def _start_card(self, number: int, line: bytes) -> None:
        self.cards += 1
        self.card = _Card(self.cards, number, text=[_text_of(line)])

    def _close_pending(self) -> None:
        pending, self.pending = self.pending, None
        card = self.card
        if pending is None or card is None:
            return
        prop = self._property(pending, card.version)
        card.size += pending.size()
        if card.size > self.max_card_bytes:
            if not card.too_large:
                card.too_large = True
                self._issue(
                    Severity.WARNING,
                    "vcard.card_too_large",
                    f"card {card.index} holds more than {self.max_card_bytes} bytes; its "
                    "further properties are not read",
                    pending.number,
                )
            return
        card.text.extend(self._raw_lines(pending, prop))
        if prop is None:
            return
        if prop.name == "VERSION":
            version = prop.text.strip()
            if version not in VERSIONS:
                self._issue(
                    Severity.WARNING,
                    "vcard.version_unknown",
                    "a vCard version other than 2.1, 3.0 or 4.0; read as 3.0",
                    prop.line,
                    version,
                )
            card.version = version
        card.properties.append(prop)

    def _raw_lines(self, pending: ContentLine, prop: VcardProperty | None) -> list[str]:
        if pending.dropped is not None:
            head = _text_of(pending.physical[0][:OVERLONG_HEAD]) if pending.physical else ""
            return [f"{head}[... not read: {pending.dropped}]"]
        if prop is not None and prop.name in BINARY_PROPERTIES and prop.note is not None:
            first = pending.physical[0]
            split = split_property(first)
            lead = _text_of(split[0]) if split is not None else prop.name
            encoded = sum(len(p) for p in pending.physical)
            return [
                f"{lead}:[{encoded} bytes over {len(pending.physical)} line(s) not kept: "
                f"{prop.note}]"
            ]
        return [_text_of(p) for p in pending.physical]

    def _property(self, pending: ContentLine, version: str | None) -> VcardProperty | None:
        data = bytes(pending.data)
        if pending.dropped is not None:
            data = pending.physical[0] if pending.physical else b""
        split = split_property(data)
        name_part = split[0] if split is not None else data
        pieces = split_unquoted(name_part, ord(";"))
        group, _, name = pieces[0].decode("latin-1").strip().rpartition(".")
        if split is None or not _NAME.match(name):
            if pending.dropped is None:
                self._issue(
                    Severity.WARNING,
                    "vcard.line_unreadable",
                    "a line in a card that is not a vCard property (NAME:value); ignored",
                    pending.number,
                    _text_of(data[:_SHOWN]),
                )
            return None
        params = self._params(pieces[1:])
        prop = VcardProperty(pending.number, group or None, name.upper(), params)
        if pending.dropped is not None:
            return VcardProperty(prop.line, prop.group, prop.name, params, note=pending.dropped)
        return self._decoded(prop, split[1], version)

    @staticmethod
    def _params(pieces: list[bytes]) -> dict[str, list[str]]:
        params: dict[str, list[str]] = {}
        for piece in pieces:
            text = piece.decode("utf-8", "replace").strip()
            if not text:
                continue
            key, equals, value = text.partition("=")
            if equals:
                values = [
                    _unquote(v.decode("utf-8", "replace"))
                    for v in split_unquoted(value.encode("utf-8"), ord(","))
                ]
                params.setdefault(key.strip().upper(), []).extend(values)
            else:
                where = "ENCODING" if text.upper() in _ENCODING_WORDS else "TYPE"
                params.setdefault(where, []).append(text)
        return params

    def _decoded(self, prop: VcardProperty, value: bytes, version: str | None) -> VcardProperty:
        encoding = prop.param("ENCODING")
        binary: bytes | None = None
        data_uri = _DATA_URI.match(value) if prop.name in BINARY_PROPERTIES else None
        try:
            if encoding in ("BASE64", "B"):
                binary = _base64(value)
            elif data_uri is not None:
                binary = _base64(value[data_uri.end() :])
        except binascii.Error as exc:
            self._issue(
                Severity.WARNING,
                "vcard.binary_unreadable",
                f"the {prop.name} data is not valid base64 ({exc}); it is not read",
                prop.line,
            )
            note = f"undecodable base64, {len(value)} bytes"
            return VcardProperty(prop.line, prop.group, prop.name, prop.params, note=note)
        if binary is not None:
            note = _binary_note(binary)
            return VcardProperty(prop.line, prop.group, prop.name, prop.params, note=note)
        if encoding == "QUOTED-PRINTABLE":
            value = binascii.a2b_qp(value)
        text = self._decode_text(value, prop)
        if prop.name in STRUCTURED_PROPERTIES:
            parts = tuple(_unescape(p, version) for p in _split_structured(text))
        else:
            parts = (_unescape(text, version),)
        return VcardProperty(prop.line, prop.group, prop.name, prop.params, parts)

    def _decode_text(self, value: bytes, prop: VcardProperty) -> str:
        declared = prop.params.get("CHARSET", [None])[0]
        charset = "utf-8"
        if declared:
            try:
                charset = codecs.lookup(declared).name
            except (LookupError, ValueError):  # ValueError: a NUL in the name
                self._issue(
                    Severity.WARNING,
                    "vcard.charset_unknown",
                    f"the character set {declared!r} is not known; the value is read as UTF-8 "
                    "(or Windows-1252 where it is not UTF-8)",
                    prop.line,
                    declared,
                )
        try:
            return value.decode(charset)
        except UnicodeDecodeError:
            pass
        for fallback in _FALLBACKS:
            try:
                text = value.decode(fallback)
            except UnicodeDecodeError:
                continue
            self._issue(
                Severity.INFO,
                "vcard.charset_guessed",
                f"a value is not valid {charset}; it was read as {fallback}",
                prop.line,
                text[:_SHOWN],
            )
            return text
        raise AssertionError("latin-1 decodes every byte")  # pragma: no cover

    def _finish_card(self) -> None:
        card, self.card = self.card, None
        if card is None:
            return
        if not [p for p in card.properties if p.name != "VERSION"]:
            self._issue(
                Severity.INFO,
                "vcard.card_empty",
                f"card {card.index} has no properties; no row is made",
                card.line,
            )
            return
        self._rows(card)

    # -- rows --------------------------------------------------------------------------------

    def _rows(self, card: _Card) -> None:
        props = card.properties
        name = _display_name(props)
        emails = _values(props, "EMAIL")
        numbers = [p for p in props if p.name == "TEL" and p.text.strip()]
        raw: dict[str, Any] = {
            "card": card.index,
            "line": card.line,
            "version": card.version,
            "text": "\n".join(card.text),
            "name": name,
            "nickname": ", ".join(_values(props, "NICKNAME")) or None,
            "emails": ", ".join(emails) or None,
            "org": " | ".join(_values(props, "ORG")) or None,
            "photo": "; ".join(p.note for p in props if p.name == "PHOTO" and p.note) or None,
        }
        for prop in props:
            if prop.name.startswith("X-") and prop.parts:
                key = f"{prop.group}.{prop.name}" if prop.group else prop.name
                raw[key] = prop.text if key not in raw else f"{raw[key]}\n{prop.text}"
        base = f"{self.place}#card={card.index};line={card.line}"
        values: dict[str, Any] = {
            "name": name,
            "email": emails[0] if emails else None,
            "source_app": SOURCE_APP,
            "deleted_state": DELETED_STATE,
        }
        if not numbers:
            self.writer.add(
                "contacts", base, {**values, **self.writer.party("number", None)}, raw=raw
            )
            return
        for k, tel in enumerate(numbers, start=1):
            locator = f"{base};tel={k}" if len(numbers) > 1 else base
            number = tel.text.strip()
            self.writer.add(
                "contacts",
                locator,
                {**values, **self.writer.party("number", number, locator=locator)},
                raw={
                    **raw,
                    "tel": number,
                    "tel_type": ",".join(tel.params.get("TYPE", [])) or None,
                },
            )


def _values(props: list[VcardProperty], name: str) -> list[str]:
    found = []
    for prop in props:
        if prop.name == name:
            text = "; ".join(p.strip() for p in prop.parts if p.strip())
            if text:
                found.append(text)
    return found


def _display_name(props: list[VcardProperty]) -> str | None:
    """``FN``, else ``N`` assembled as prefix, given, additional, family, suffix."""
    for prop in props:
        if prop.name == "FN" and prop.text.strip():
            return prop.text.strip()
    for prop in props:
        if prop.name == "N":
            parts = [*prop.parts, "", "", "", "", ""][:5]
            family, given, additional, prefix, suffix = (" ".join(p.split(",")) for p in parts)
            words = [w.strip() for w in (prefix, given, additional, family, suffix)]
            assembled = " ".join(w for w in words if w)
            if assembled:
                return assembled
    return None


def read_vcards(
    stream: IO[bytes], place: str, writer: RowWriter, *, max_line_bytes: int = MAX_LINE_BYTES
) -> int:
    """Read every card of a vCard ``stream`` into ``contacts`` rows; returns the cards read.

    Args:
        stream: the file's bytes (read once, front to back).
        place: the file part of every locator (the exhibit's name or the path inside an
            extraction).
        writer: where rows go (its context receives the issues).
        max_line_bytes: longest line kept (lines beyond it are reported and skipped).

    Raises:
        NotThisFormat: the first line is not ``BEGIN:VCARD``.
        ParseError: the stream could not be read (names the line).
    """
    return _Reader(place, writer, max_line_bytes).read(stream)


class VcardParser:
    """vCard contacts (2.1, 3.0, 4.0); see the module docstring."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="vcard",
        version="1.0.0",
        title="vCard contacts (2.1, 3.0, 4.0)",
        formats=("vcf", "vcard"),
        tables=("contacts", "source_rows"),
        references=(
            "vCard 2.1 (Versit Consortium, 1996)",
            "RFC 2425 and RFC 2426 (vCard 3.0)",
            "RFC 6350 (vCard 4.0), RFC 6868 (parameter escapes)",
            "formats.md §6; IPED vCard test files",
        ),
        fixtures=(
            "fixtures/vcard/README.md",
            "fixtures/vcard/contacts_v40.vcf",
            "fixtures/vcard/contacts_v21.vcf",
        ),
    )

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN when the file starts (after a byte-order mark and blank lines) with
        ``BEGIN:VCARD``; NO otherwise (folders included)."""
        if probe.path.is_dir() or not probe.head:
            return Confidence.NO
        return Confidence.CERTAIN if looks_like_vcard(probe.head) else Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read every card of the file into ``contacts`` rows (see the module docstring).

        Raises:
            NotThisFormat: the file is a folder, or does not start with ``BEGIN:VCARD``.
            ParseError: the file could not be read.
        """
        if path.is_dir():
            raise NotThisFormat("a folder, not a vCard file", path=path.name)
        with path.open("rb") as stream, RowWriter(ctx) as writer:
            read_vcards(stream, path.name, writer, max_line_bytes=self.max_line_bytes)
