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
mean in a CDR mapping and are checked by the CDR profile's own validators, and time formats are
tried in DuckDB exactly as the CDR reader tries them, so the two readers accept the same layouts.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from threadline.errors import ConfigError
from threadline.ingest.parsers.anpr.directions import READ_DIRECTIONS, Direction, direction_key
from threadline.ingest.parsers.cdr_uk.profile import Profile as CdrProfile
from threadline.ingest.parsers.cdr_uk.profile import _strptime_problem
from threadline.model.time_basis import parse_time_basis

__all__ = [
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadFormats(_Strict):
    """The strptime format of the read time (``%d/%m/%Y %H:%M:%S``); split date and time columns
    are joined with one space before parsing."""

    read: str

    @field_validator("read")
    @classmethod
    def _readable(cls, value: str) -> str:
        if problem := _strptime_problem(value):
            raise ValueError(problem)
        return value


class AnprProfile(_Strict):
    """An ANPR read export mapping profile (see ``docs/parsers/anpr.md``)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    format: Literal["csv", "xlsx"] = "csv"
    encoding: str = "utf-8"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    header_row: int = Field(default=1, ge=1)
    sheet: str | None = None
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

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return CdrProfile._known_encoding(value)

    @field_validator("delimiter")
    @classmethod
    def _usable_delimiter(cls, value: str) -> str:
        return CdrProfile._usable_delimiter(value)

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


def _validate(data: object, origin: str) -> AnprProfile:
    try:
        return AnprProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{origin}: invalid ANPR mapping: {problems}") from exc


def load_profile_file(path: Path) -> AnprProfile:
    """Load and validate a user's ANPR mapping file.

    Raises:
        ConfigError: the file cannot be read, is not UTF-8 or not YAML, or breaks the mapping
            format (the message names the file and each offending key).
    """
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mapping file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: the mapping file is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return _validate(data, str(path))


@functools.cache
def _builtin_profiles() -> tuple[AnprProfile, ...]:
    """The shipped profiles, read once: they are immutable package data."""
    folder = resources.files("threadline.ingest.parsers.anpr").joinpath("profiles")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            out.append(_validate(yaml.safe_load(entry.read_text("utf-8")), entry.name))
    return tuple(out)


def builtin_profiles() -> list[AnprProfile]:
    """The ANPR profiles shipped with Threadline, sorted by name."""
    return list(_builtin_profiles())


def builtin_profile(name: str) -> AnprProfile:
    """Return a shipped ANPR profile by name.

    Raises:
        ConfigError: no such profile; the message lists them.
    """
    profiles = builtin_profiles()
    for profile in profiles:
        if profile.name == name:
            return profile
    names = ", ".join(p.name for p in profiles)
    raise ConfigError(f"no ANPR profile called {name!r}; profiles: {names}")
