"""The parser registry: parsers found through the ``threadline.parsers`` entry point group.

Built-in parsers are registered in ``pyproject.toml`` exactly as a third party would register one.
The registry is an object built when needed and passed down, never a module-level singleton.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from threadline.errors import ConfigError, NotFound
from threadline.ingest.contract import Confidence, Parser, SourceProbe

ENTRY_POINT_GROUP = "threadline.parsers"
PROBE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Registry:
    """The parsers available to this run, by name."""

    parsers: tuple[Parser, ...]

    @classmethod
    def from_entry_points(cls) -> Registry:
        """Load every parser registered under the entry point group.

        Raises:
            ConfigError: two parsers claim the same name, or an entry point is not a parser.
        """
        loaded: list[Parser] = []
        seen: dict[str, str] = {}
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            factory = ep.load()
            parser = factory()
            info = getattr(parser, "info", None)
            if info is None or not hasattr(parser, "parse") or not hasattr(parser, "sniff"):
                raise ConfigError(f"entry point {ep.name} ({ep.value}) is not a Threadline parser")
            if info.name != ep.name:
                raise ConfigError(f"entry point {ep.name} names a parser called {info.name}")
            if info.name in seen:
                raise ConfigError(
                    f"two parsers are called {info.name}: {seen[info.name]}, {ep.value}"
                )
            seen[info.name] = ep.value
            loaded.append(parser)
        return cls(tuple(loaded))

    def get(self, name: str) -> Parser:
        """Return the parser called ``name``.

        Raises:
            NotFound: no such parser; the message lists the available ones.
        """
        for parser in self.parsers:
            if parser.info.name == name:
                return parser
        names = ", ".join(p.info.name for p in self.parsers)
        raise NotFound(f"no parser called {name!r}; available: {names}")

    def detect(self, path: Path) -> list[tuple[Parser, Confidence]]:
        """Rank the parsers that might read ``path``, most confident first (ties by name).

        A folder is probed with no head bytes and size 0; parsers that read folders (a full
        file-system extraction) look inside it themselves.
        """
        if path.is_dir():
            probe = SourceProbe(path=path, head=b"", size=0)
        else:
            with path.open("rb") as handle:
                head = handle.read(PROBE_BYTES)
            probe = SourceProbe(path=path, head=head, size=path.stat().st_size)
        ranked = [(p, p.sniff(probe)) for p in self.parsers]
        ranked = [(p, c) for p, c in ranked if c > Confidence.NO]
        ranked.sort(key=lambda pc: (-int(pc[1]), pc[0].info.name))
        return ranked
