"""Reading an XRY text export file: encoding, header and entities (formats.md §2a).

An XRY text export file is UTF-16LE with a byte-order mark (``FF FE``). It starts with a 5-line
header whose first line is ``XRY Export`` (possibly after blank lines) and whose third line names
the report (``Calls``, ``Messages/SMS``...). Records, called *entities*, follow, separated by blank
lines. An entity's first line is a title (``Calls #<tab>1``); the rest are ``Key:<tab>Value``
lines, lines that are only ``From``, ``To`` or ``Participant`` (a *namespace* qualifying the
``Tel:``/``Number:``/``Name:`` lines after it, older XRY), and, after a ``Text:`` or ``Message:``
key, lines continuing the text.

The file is decoded as it is read, so a large export never sits in memory whole. A byte sequence
that is not UTF-16LE stops the read with a :class:`~threadline.errors.ParseError` naming the file
and the exact line.

Two things this reader does that Autopsy's does not:

* continuation lines keep the message's own line breaks (Autopsy joins them with spaces), and
* a blank line inside a message's text (the sender typed an empty line) does not split the
  entity: a block after a blank line that is neither a title nor a known key line, following a
  ``Text:`` value, is read as more of that text.

Pure apart from reading the stream it is given; no mutable module state.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Final, Literal

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.parsers.xry.fields import NAMESPACES, Field, normalise_key

__all__ = [
    "Entity",
    "HeadKind",
    "Header",
    "ParsedEntity",
    "Problem",
    "classify_head",
    "decoded_lines",
    "parse_entity",
    "read_entities",
    "read_header",
]

BOM: Final = b"\xff\xfe"
HEADER_LINES: Final = 5
REPORT_TYPE_LINE: Final = 3
_CHUNK: Final = 1 << 16
#: The longest line read (characters): an XRY text export's lines are short "key: value" pairs.
MAX_LINE_CHARS: Final = 16 * 2**20
_TITLE: Final = re.compile(r"#\s*\d+\s*$")
TEXT_KEYS: Final = frozenset({"text", "message"})

HeadKind = Literal["xry", "wrong_encoding"]


def _first_line_is_header(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lower() == "xry export"
    return False


def _even(data: bytes) -> bytes:
    return data[: len(data) - len(data) % 2]


def classify_head(head: bytes) -> HeadKind | None:
    """What the first bytes of a file say: an XRY text export (``xry``: UTF-16LE, with or
    without its BOM), an XRY export saved in another encoding (``wrong_encoding``), or neither."""
    if head.startswith(BOM):
        text = _even(head[2:]).decode("utf-16-le", errors="replace")
        return "xry" if _first_line_is_header(text) else None
    if head.startswith(b"\xfe\xff"):
        text = _even(head[2:]).decode("utf-16-be", errors="replace")
        return "wrong_encoding" if _first_line_is_header(text) else None
    if len(head) > 1 and head[1] == 0 and head[0] != 0:
        text = _even(head).decode("utf-16-le", errors="replace")
        return "xry" if _first_line_is_header(text) else None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    return "wrong_encoding" if _first_line_is_header(text) else None


def decoded_lines(stream: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a UTF-16LE stream, 1-based, without line endings.

    The byte-order mark, if present, is skipped. ``\\r\\n`` and ``\\n`` both end a line.

    Raises:
        ParseError: the bytes are not valid UTF-16LE; the locator is the line where they fail.
            Or a line is longer than :data:`MAX_LINE_CHARS`.
    """
    pending = stream.read(2)
    if pending == BOM:
        pending = b""
    buffer: list[str] = []  # the line not yet ended, in parts
    held = 0  # its length
    number = 0
    while True:
        chunk = stream.read(_CHUNK)
        data = pending + chunk
        final = not chunk
        try:
            text, used = codecs.utf_16_le_decode(data, "strict", final)
        except UnicodeDecodeError as exc:
            good, _ = codecs.utf_16_le_decode(data[: exc.start], "strict", False)
            line = number + good.count("\n") + 1
            raise ParseError(
                f"the file is not valid UTF-16LE text ({exc.reason}); XRY writes its text "
                "exports in UTF-16LE, so the file may be damaged or re-saved in another encoding",
                path=name,
                locator=f"line={line}",
            ) from exc
        pending = data[used:]
        # only the new text is split, and the unfinished line is kept in parts, so that one long
        # line costs its length, not its length squared
        *complete, rest = text.split("\n")
        for line_text in complete:
            number += 1
            buffer.append(line_text)
            yield number, "".join(buffer).rstrip("\r")
            buffer.clear()
            held = 0
        if rest:
            buffer.append(rest)
            held += len(rest)
        if held > MAX_LINE_CHARS:
            raise ParseError(
                f"line {number + 1} is longer than {MAX_LINE_CHARS} characters: not an XRY "
                "text export, or a damaged one",
                path=name,
                locator=f"line={number + 1}",
            )
        if final:
            if buffer:
                yield number + 1, "".join(buffer).rstrip("\r")
            return


@dataclass(frozen=True, slots=True)
class Header:
    """The 5-line header of an XRY text export.

    Attributes:
        lines: the header's lines as written (the first is ``XRY Export``).
        report_type: line 3, the report (``Calls``, ``Messages/SMS``...), trimmed.
        line: the line number where the header starts.
    """

    lines: tuple[str, ...]
    report_type: str
    line: int


def read_header(lines: Iterator[tuple[int, str]], name: str) -> Header:
    """Read the header from ``lines``, leaving the iterator at the first entity.

    Raises:
        NotThisFormat: the first non-blank line is not ``XRY Export``.
        ParseError: the file ends inside the header.
    """
    start = 0
    collected: list[str] = []
    for number, text in lines:
        if not collected:
            if not text.strip():
                continue
            if text.strip().lower() != "xry export":
                raise NotThisFormat(
                    "the file does not start with an 'XRY Export' header",
                    path=name,
                    locator=f"line={number}",
                )
            start = number
        collected.append(text)
        if len(collected) == HEADER_LINES:
            break
    if len(collected) < REPORT_TYPE_LINE:
        raise ParseError(
            "the file ends inside its XRY Export header (no report type on its third line)",
            path=name,
            locator=f"line={start + len(collected)}" if collected else None,
        )
    return Header(tuple(collected), collected[REPORT_TYPE_LINE - 1].strip(), start)


@dataclass(frozen=True, slots=True)
class Entity:
    """One record of an XRY text export, as written.

    Attributes:
        number: its position among the file's entities (1-based).
        line: the line number of its first line.
        lines: its lines, without line endings.
    """

    number: int
    line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The entity exactly as written (lines joined with newlines)."""
        return "\n".join(self.lines)


def _key_of(line: str) -> str | None:
    colon = line.find(":")
    return normalise_key(line[:colon]) if colon > 0 else None


def is_title(line: str) -> bool:
    """Whether ``line`` is an entity title such as ``Calls #<tab>1``."""
    return ":" not in line and _TITLE.search(line) is not None


def _is_boundary(line: str, known: frozenset[str]) -> bool:
    """Whether ``line`` ends a running ``Text:`` value (a known key or a namespace line)."""
    if line.strip().lower() in NAMESPACES:
        return True
    key = _key_of(line)
    return key is not None and key in known


def read_entities(lines: Iterator[tuple[int, str]], known: frozenset[str]) -> Iterator[Entity]:
    """The entities after the header; ``known`` are the report's keys (see the module docstring
    for how a blank line inside a message's text is told from the end of an entity)."""
    current: list[str] = []
    first_line = 0
    blanks: list[str] = []
    in_text = False
    count = 0
    for number, text in lines:
        if not text.strip():
            if current:
                blanks.append(text)
            continue
        if current and blanks:
            if in_text and not is_title(text) and not _is_boundary(text, known):
                current.extend(blanks)
                current.append(text)
                blanks.clear()
                continue
            count += 1
            yield Entity(count, first_line, tuple(current))
            current = []
            blanks.clear()
            in_text = False
        if not current:
            first_line = number
        current.append(text)
        key = _key_of(text)
        if key is not None and key in known:
            in_text = key in TEXT_KEYS
        elif text.strip().lower() in NAMESPACES:
            in_text = False
    if current:
        yield Entity(count + 1, first_line, tuple(current))


@dataclass(frozen=True, slots=True)
class Problem:
    """Something odd in an entity, to be raised as an issue by the caller."""

    code: str
    message: str
    value: str | None = None


@dataclass
class ParsedEntity:
    """An entity read into fields.

    Attributes:
        entity: the entity as written.
        title: its title line, if it had one.
        fields: its ``Key: Value`` lines, namespaces applied.
        problems: lines that could not be read.
    """

    entity: Entity
    title: str | None
    fields: list[Field] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def first(self, key: str) -> str | None:
        """The first value of ``key`` (trimmed), if any."""
        for item in self.fields:
            if item.key == key:
                return item.value.strip()
        return None


_QUALIFIED: Final = frozenset({"tel", "number", "name", "name (matched)"})


def parse_entity(entity: Entity, known: frozenset[str]) -> ParsedEntity:
    """Read an entity's lines into fields (namespaces applied, text continuations joined)."""
    lines = list(entity.lines)
    title: str | None = None
    if lines and is_title(lines[0]):
        title = lines.pop(0)
    parsed = ParsedEntity(entity, title)
    if title is None:
        parsed.problems.append(
            Problem("xry.title_missing", "the entity has no title line ('Calls #1')", lines[0])
        )
    namespace = ""
    text_field: int | None = None
    for line in lines:
        stripped = line.strip()
        if text_field is not None and not _is_boundary(line, known):
            item = parsed.fields[text_field]
            parsed.fields[text_field] = Field(
                item.key, item.label, f"{item.value}\n{line}", item.namespace
            )
            continue
        text_field = None
        if stripped.lower() in NAMESPACES:
            namespace = stripped.lower()
            continue
        colon = line.find(":")
        if colon <= 0:
            if stripped:
                parsed.problems.append(
                    Problem(
                        "xry.line_unexpected",
                        "a line that is neither 'Key: Value' nor a namespace; it is kept in the "
                        "raw record only",
                        stripped,
                    )
                )
            continue
        label = line[:colon].strip()
        key = normalise_key(label)
        value = line[colon + 1 :].lstrip(" \t")
        if key not in TEXT_KEYS:
            value = value.strip()
        if key in NAMESPACES and not value:
            namespace = key  # a namespace written with a colon and no value
            continue
        parsed.fields.append(Field(key, label, value, namespace if key in _QUALIFIED else ""))
        if key in TEXT_KEYS:
            text_field = len(parsed.fields) - 1
    if not parsed.fields:
        parsed.problems.append(
            Problem(
                "xry.entity_without_fields",
                "the entity has no 'Key: Value' line, so no record could be read from it",
                entity.lines[0] if entity.lines else None,
            )
        )
    return parsed
