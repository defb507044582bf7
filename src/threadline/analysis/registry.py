"""The analysis registry: analyses found through the ``threadline.analyses`` entry point group.

Built-in analyses are registered in ``pyproject.toml`` exactly as a third party would register
one. The registry is an object built when needed and passed down, never a module-level singleton.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from threadline.analysis.contract import Analysis
from threadline.errors import ConfigError, NotFound

__all__ = ["ENTRY_POINT_GROUP", "AnalysisRegistry"]

ENTRY_POINT_GROUP = "threadline.analyses"


@dataclass(frozen=True, slots=True)
class AnalysisRegistry:
    """The analyses available to this run, by name."""

    analyses: tuple[Analysis, ...]

    @classmethod
    def from_entry_points(cls) -> AnalysisRegistry:
        """Load every analysis registered under the entry point group.

        Raises:
            ConfigError: two analyses claim one name, or an entry point is not an analysis.
        """
        loaded: list[Analysis] = []
        seen: dict[str, str] = {}
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            analysis = ep.load()()
            info = getattr(analysis, "info", None)
            if info is None or not hasattr(analysis, "run"):
                raise ConfigError(f"entry point {ep.name} ({ep.value}) is not an analysis")
            if info.name != ep.name:
                raise ConfigError(f"entry point {ep.name} names an analysis called {info.name}")
            if info.name in seen:
                raise ConfigError(
                    f"two analyses are called {info.name}: {seen[info.name]}, {ep.value}"
                )
            seen[info.name] = ep.value
            loaded.append(analysis)
        return cls(tuple(loaded))

    def get(self, name: str) -> Analysis:
        """The analysis called ``name`` (``-`` read as ``_``).

        Raises:
            NotFound: no such analysis; the message lists the available ones.
        """
        wanted = name.strip().replace("-", "_")
        for analysis in self.analyses:
            if analysis.info.name == wanted:
                return analysis
        names = ", ".join(a.info.name for a in self.analyses) or "none"
        raise NotFound(f"no analysis called {name!r} (available: {names})")
