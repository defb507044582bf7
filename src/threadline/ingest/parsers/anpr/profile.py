"""Mapping profiles for ANPR read exports: which column holds the mark, the time, the camera.

ANPR reads reach an investigation from a force's ANPR bureau (the National ANPR Service) or from a
vendor's back office, each in its own layout, so the reader is driven by declarative mapping files
(YAML) in the same way as the CDR reader (:mod:`threadline.ingest.parsers.cdr_uk.profile`):
Threadline ships profiles for the layouts it knows (``profiles/*.yaml``) and a user writes one for
any other and passes it with ``--mapping FILE``. The keys are documented in
``docs/parsers/anpr.md``. Files are validated strictly when loaded: an unknown key, a missing
column, a time format DuckDB cannot read or an unknown time basis is an error naming the file and
the key, never ignored.

The layout keys (``format``, ``encoding``, ``delimiter``, ``header_row``, ``sheet``) mean what they
mean in a CDR mapping and are checked by the same validators, time formats are tried in DuckDB
exactly as the CDR reader tries them and files are loaded the same way (all in
:mod:`threadline.ingest.mapping_file`), so the two readers accept the same layouts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from threadline.errors import ConfigError
from threadline.ingest.mapping_file import (
    MappingLayout,
    ProfileSource,
    StrictModel,
    strptime_problem,
)
from threadline.ingest.parsers.anpr.directions import READ_DIRECTIONS, Direction, direction_key
from threadline.model.time_basis import parse_time_basis

__all__ = [
    "MAPPING_HELP",
    "PROFILES",
    "AnprField",
    "AnprProfile",
    "ReadFormats",
    "builtin_profile",
    "builtin_profiles",
    "load_profile_file",
]

AnprField = Literal[
    "vrm",
    "read",
    "read_date",
    "read_time",
    "camera_id",
    "camera_name",
    "latitude",
    "longitude",
    "direction",
    "lane",
    "confidence",
]

#: Help appended to every "no profile fits" error.
MAPPING_HELP = (
    "Pass --profile NAME to choose a profile, or write a mapping file for this layout and pass "
    "--mapping FILE (see docs/parsers/anpr.md)."
)


class ReadFormats(StrictModel):
    """The strptime format of the read time (``%d/%m/%Y %H:%M:%S``); split date and time columns
    are joined with one space before parsing."""

    read: str

    @field_validator("read")
    @classmethod
    def _readable(cls, value: str) -> str:
        if problem := strptime_problem(value):
            raise ValueError(problem)
        return value


class AnprProfile(MappingLayout):
    """An ANPR read export mapping profile (see ``docs/parsers/anpr.md``); the layout keys are
    :class:`~threadline.ingest.mapping_file.MappingLayout`'s."""

    time_basis: str | None = Field(
        default=None,
        description="utc, europe-london, an IANA zone or a fixed offset; if absent the user must "
        "declare it at ingest (requirement 21): ANPR exports often write local wall-clock time "
        "with no offset.",
    )
    columns: dict[AnprField, str]
    formats: ReadFormats
    directions: dict[str, Direction] = Field(
        default_factory=dict,
        description="The layout's own direction values (case-insensitive) and what they mean; "
        "compass codes and words are understood without it.",
    )
    ignore: list[str] = Field(default_factory=list)

    @field_validator("time_basis")
    @classmethod
    def _known_basis(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_time_basis(value)
            except ConfigError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @model_validator(mode="after")
    def _check(self) -> AnprProfile:
        cols = self.columns
        for needed in ("vrm", "camera_id"):
            if needed not in cols:
                raise ValueError(f"columns must map {needed}")
        split = "read_date" in cols or "read_time" in cols
        if "read" in cols and split:
            raise ValueError("columns map read, or read_date and read_time, not both")
        if "read" not in cols and not ("read_date" in cols and "read_time" in cols):
            raise ValueError("columns must map read, or read_date and read_time")
        if ("latitude" in cols) != ("longitude" in cols):
            raise ValueError("latitude and longitude are mapped together or not at all")
        for name, header in cols.items():
            if not header.strip():
                raise ValueError(f"columns.{name} names no column")
        keys: dict[str, str] = {}
        for value in self.directions:
            key = direction_key(value)
            if not key:
                raise ValueError("directions has a blank value")
            if key in keys:
                raise ValueError(f"directions gives {keys[key]!r} and {value!r}, the same value")
            keys[key] = value
        return self

    def source_header(self, field: AnprField) -> str | None:
        """The source header mapped to a canonical field (``None`` when unmapped)."""
        return self.columns.get(field)

    @property
    def mapped_headers(self) -> list[str]:
        """Every source header the profile maps, in declaration order, each once."""
        out: list[str] = []
        for header in self.columns.values():
            if header not in out:
                out.append(header)
        return out

    def direction_table(self) -> dict[str, Direction]:
        """Direction keys (:func:`~threadline.ingest.parsers.anpr.directions.direction_key`) to
        canonical directions: the built-in vocabulary, overridden by the layout's own values."""
        table = dict(READ_DIRECTIONS)
        table.update({direction_key(k): v for k, v in self.directions.items()})
        return table


#: The ANPR reader's profiles: shipped in ``profiles/*.yaml`` or a user's ``--mapping`` file.
PROFILES: ProfileSource[AnprProfile] = ProfileSource(
    "threadline.ingest.parsers.anpr", AnprProfile, "ANPR", "ANPR mapping"
)
#: Load and validate a user's mapping file (ConfigError naming the file and each bad key).
load_profile_file = PROFILES.load_file
#: The profiles shipped with Threadline, sorted by name.
builtin_profiles = PROFILES.builtin
#: A shipped profile by name (ConfigError listing the profiles if there is none).
builtin_profile = PROFILES.named
