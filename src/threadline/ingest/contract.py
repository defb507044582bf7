"""The parser plugin contract (design.md "Extension points"; examples.md §3.4).

A parser is a class with a validated :class:`ParserInfo`, a cheap :meth:`Parser.sniff` that never
raises on other formats, and :meth:`Parser.parse` that emits canonical rows through a
:class:`~threadline.ingest.context.ParseContext`. Parsers register through the
``threadline.parsers`` entry point group; the built-ins do too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from threadline.ingest.context import ParseContext

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


class Confidence(IntEnum):
    """How sure a parser is that it reads a file."""

    NO = 0
    POSSIBLE = 1
    LIKELY = 2
    CERTAIN = 3


@dataclass(frozen=True, slots=True)
class ParserInfo:
    """What a parser is, declared once as data.

    Attributes:
        name: ``<vendor>_<format>``, lower case (``cdr_uk``); the key in the registry.
        version: semantic version; bump whenever output for the same input changes, because the
            version is recorded on every row (requirement 17).
        title: a short human name.
        formats: file formats read (``csv``, ``xlsx``).
        references: where the format knowledge comes from.
        fixtures: test fixture paths (relative to the repository's ``tests/`` folder) that a
            golden test parses; the registry test checks each exists.
        tables: the canonical tables it writes.
        communications_data: whether it reads communications data acquired under the IPA 2016
            (network returns), whose authorisation must be recorded on the exhibit
            (requirements 21, 37); a seized handset's download is not.
    """

    name: str
    version: str
    title: str
    formats: tuple[str, ...]
    tables: tuple[str, ...]
    references: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = field(default=())
    communications_data: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"parser name {self.name!r} must be lower-case snake case")
        if not _VERSION.match(self.version):
            raise ValueError(f"parser {self.name} version {self.version!r} is not X.Y.Z")
        if not self.tables:
            raise ValueError(f"parser {self.name} declares no output tables")

    @property
    def ref(self) -> str:
        """``name@version``, the form recorded on every row."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class SourceProbe:
    """What a parser may look at when sniffing: the file's name, size and first bytes."""

    path: Path
    head: bytes
    size: int

    @property
    def suffix(self) -> str:
        """Lower-case file suffix without the dot."""
        return self.path.suffix.lower().lstrip(".")


class Parser(Protocol):
    """The contract every parser plugin meets."""

    info: ClassVar[ParserInfo]

    def sniff(self, probe: SourceProbe) -> Confidence:
        """Say how likely this parser reads the file. Cheap; never raises for other formats."""
        ...

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read the file at ``path`` and emit canonical rows and issues through ``ctx``.

        Raises:
            NotThisFormat: the file is not this parser's.
            ParseError: continuing would produce ambiguous evidence (names the place).
        """
        ...
