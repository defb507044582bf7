"""Mapping profiles: how one network's CDR spreadsheet layout maps onto the canonical tables.

UK networks each return their own layout and no official column list is public (formats.md §7a),
so the CDR reader is driven by declarative mapping files (YAML), not code. Threadline ships profiles
for the layouts it knows (``profiles/*.yaml``); a user writes one for a layout nobody has seen
before, in the same format, and passes it with ``--mapping FILE``. The format is documented in
``docs/cdr-mapping.md``. Files are validated strictly: an unknown key is an error, not ignored
(examples.md anti-pattern "unknown YAML keys ignored").
"""

from __future__ import annotations

import codecs
import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb
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
from threadline.ingest.sql import connect_offline, sql_literal

CanonicalField = Literal[
    "record_type",
    "a_party",
    "b_party",
    "c_party",
    "target",
    "other_party",
    "start",
    "start_date",
    "start_time",
    "end",
    "end_date",
    "end_time",
    "duration",
    "imei",
    "imsi",
    "start_cell",
    "end_cell",
    "apn",
    "bytes_up",
    "bytes_down",
    "charging_id",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordType(_Strict):
    """How one record-type value maps to a canonical table and direction."""

    match: str = Field(description="The value in the record-type column(s), case-insensitive.")
    table: Literal["calls", "messages", "data_sessions"]
    direction: Literal["outgoing", "incoming", "forwarded", "unknown"] = "unknown"
    message_type: Literal["sms", "mms"] | None = None


@functools.lru_cache(maxsize=256)
def _strptime_problem(fmt: str) -> str | None:
    """Why DuckDB cannot use ``fmt`` to read the times of a CDR, or None if it can.

    The times are parsed by DuckDB's ``try_strptime`` (see ``transform.py``), so the format is
    tried there, the same way, when the mapping is loaded: a mistake is then reported against
    the mapping file's key instead of failing in the middle of an ingest. A format with ``%z``
    or ``%Z`` is refused too: DuckDB would then read the offset written in each time and return
    UTC instants, and the profile's time basis would be applied a second time.
    """
    con = connect_offline()
    try:
        kind = con.execute(
            f"SELECT typeof(try_strptime('2026-01-01', {sql_literal(fmt)}))"
        ).fetchone()
    except duckdb.Error as exc:
        return f"{fmt!r} is not a strptime format DuckDB can read: {exc}"
    finally:
        con.close()
    if kind is not None and kind[0] != "TIMESTAMP":
        return (
            f"{fmt!r} reads a UTC offset or zone name (%z or %Z), which is not supported: the "
            "offset would be applied twice. Leave it out of the format and declare it as the "
            "time basis instead (time_basis: 'UTC+01:00', an IANA zone or europe-london)"
        )
    return None


class TimeFormats(_Strict):
    """strptime formats (``%d/%m/%Y %H:%M:%S``) for start and end; split date and time columns
    are joined with one space before parsing."""

    start: str
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None and (problem := _strptime_problem(value)):
            raise ValueError(problem)
        return value


class Profile(_Strict):
    """A CDR mapping profile (see ``docs/cdr-mapping.md``)."""

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
        "declare it at ingest (requirement 21).",
    )
    parties: Literal["a_b", "target_other"] = Field(
        default="a_b",
        description="a_b: A/B/C party columns. target_other: a target column, an other-party "
        "column and a direction taken from the record type.",
    )
    columns: dict[CanonicalField, str | list[str]]
    formats: TimeFormats
    duration: Literal["seconds", "hms"] | None = None
    duration_basis: str = "as supplied by the network"
    cell_mcc: str | None = Field(default=None, pattern=r"^\d{3}$")
    cell_mnc: str | None = Field(default=None, pattern=r"^\d{2,3}$")
    record_types: list[RecordType]
    ignore: list[str] = Field(default_factory=list)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        # a mistake here would otherwise surface as a LookupError deep inside the CSV reader
        try:
            codec = codecs.lookup(value)
        except LookupError:
            codec = None
        # codecs that are not text encodings (base64, rot13, zlib) cannot decode a CSV either
        if codec is None or not getattr(codec, "_is_text_encoding", True):
            raise ValueError(
                f"{value!r} is not a text encoding Python knows: use a codec name such as utf-8, "
                "utf-8-sig, cp1252 or utf-16"
            )
        return value

    @field_validator("delimiter")
    @classmethod
    def _usable_delimiter(cls, value: str) -> str:
        # a letter or digit would split values, a quote would end quoting, a line break a record
        if value.isalnum() or value in "\"'\r\n":
            raise ValueError(
                f"{value!r} cannot be a delimiter: it may not be a letter, a digit, a quote or "
                "a line break"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Profile:
        cols = self.columns
        if "record_type" not in cols:
            raise ValueError("columns must map record_type")
        if "start" not in cols and not ("start_date" in cols and "start_time" in cols):
            raise ValueError("columns must map start, or start_date and start_time")
        if self.parties == "a_b" and not ("a_party" in cols and "b_party" in cols):
            raise ValueError("parties a_b needs columns a_party and b_party")
        if self.parties == "target_other" and not ("target" in cols and "other_party" in cols):
            raise ValueError("parties target_other needs columns target and other_party")
        if "duration" in cols and self.duration is None:
            raise ValueError("a duration column needs 'duration: seconds' or 'duration: hms'")
        if ("end" in cols or "end_date" in cols) and self.formats.end is None:
            raise ValueError("an end column needs formats.end")
        for name, value in cols.items():
            if isinstance(value, list) and name != "record_type":
                raise ValueError(f"only record_type may combine several columns, not {name}")
        matches = [rt.match.upper() for rt in self.record_types]
        if len(set(matches)) != len(matches):
            raise ValueError("record_types has the same match twice")
        return self

    def source_headers(self, field: CanonicalField) -> list[str]:
        """The source header(s) mapped to a canonical field ([] when unmapped)."""
        value = self.columns.get(field)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    @property
    def mapped_headers(self) -> list[str]:
        """Every source header the profile maps, in declaration order."""
        out: list[str] = []
        for field in self.columns:
            out.extend(h for h in self.source_headers(field) if h not in out)
        return out


def fold_header(name: str) -> str:
    """Compare headers without regard to case or runs of white space."""
    return " ".join(name.split()).casefold()


def _validate(data: object, origin: str) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{origin}: invalid mapping: {problems}") from exc


def load_profile_file(path: Path) -> Profile:
    """Load and validate a user's mapping file.

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
def _builtin_profiles() -> tuple[Profile, ...]:
    """The shipped profiles, read once: they are immutable package data."""
    folder = resources.files("threadline.ingest.parsers.cdr_uk").joinpath("profiles")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            out.append(_validate(yaml.safe_load(entry.read_text("utf-8")), entry.name))
    return tuple(out)


def builtin_profiles() -> list[Profile]:
    """The profiles shipped with Threadline, sorted by name."""
    return list(_builtin_profiles())


def builtin_profile(name: str) -> Profile:
    """Return a shipped profile by name.

    Raises:
        ConfigError: no such profile; the message lists them.
    """
    profiles = builtin_profiles()
    for profile in profiles:
        if profile.name == name:
            return profile
    names = ", ".join(p.name for p in profiles)
    raise ConfigError(f"no CDR profile called {name!r}; profiles: {names}")
