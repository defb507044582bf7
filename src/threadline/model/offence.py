"""Offence tags for cases (domain.md §2, requirement 53).

The catalogue is data (``data/offences.yaml``) with its source and version, because the law changes
(requirement 67). It is read when asked for, never at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from threadline.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Offence:
    """One offence a case may be tagged with."""

    code: str
    act: str
    section: str
    title: str


@dataclass(frozen=True, slots=True)
class OffenceCatalogue:
    """The versioned list of offence tags."""

    version: str
    source: str
    offences: tuple[Offence, ...]

    def get(self, code: str) -> Offence:
        """Return the offence with this code (case-insensitive).

        Raises:
            ConfigError: no offence has that code; the message lists the known codes.
        """
        for offence in self.offences:
            if offence.code.lower() == code.strip().lower():
                return offence
        known = ", ".join(o.code for o in self.offences)
        raise ConfigError(f"unknown offence tag {code!r}; known tags: {known}")


def load_offence_catalogue() -> OffenceCatalogue:
    """Read the packaged offence catalogue."""
    text = resources.files("threadline.model").joinpath("data/offences.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    offences = tuple(
        Offence(code=o["code"], act=o["act"], section=str(o["section"]), title=o["title"])
        for o in data["offences"]
    )
    return OffenceCatalogue(version=str(data["version"]), source=data["source"], offences=offences)
