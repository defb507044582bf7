"""CDR mapping profiles as the user sees them: a list, and the text of one to start from."""

from __future__ import annotations

from importlib import resources
from typing import Any

from threadline.ingest.parsers.cdr_uk.profile import builtin_profile, builtin_profiles


def list_profiles() -> list[dict[str, Any]]:
    """Name, title, format and declared time basis of each shipped profile."""
    return [
        {
            "name": p.name,
            "title": p.title,
            "format": p.format,
            "time_basis": p.time_basis or "(declare at ingest)",
            "columns": p.mapped_headers,
        }
        for p in builtin_profiles()
    ]


def profile_text(name: str) -> str:
    """The YAML text of a shipped profile (ConfigError if there is none of that name)."""
    profile = builtin_profile(name)
    folder = resources.files("threadline.ingest.parsers.cdr_uk").joinpath("profiles")
    return folder.joinpath(f"{profile.name}.yaml").read_text("utf-8")
