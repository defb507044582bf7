"""What every mapping-profile file for a tabular reader shares: layout keys, checks and loading.

The CDR and ANPR readers are each driven by declarative mapping files (YAML): shipped profiles for
the layouts Threadline knows and a user's own file passed with ``--mapping FILE`` (formats.md §7a,
§8). The keys that say how to read the table (``format``, ``encoding``, ``delimiter``,
``header_row``, ``sheet``, ``time_basis``), the checks on them, the way a time format is tried in
DuckDB and the way a file is read and its problems reported are the same for both, so they live
here once: the two readers then accept the same layouts and report a bad mapping the same way.
Files are validated strictly: an unknown key is an error, not ignored (examples.md anti-pattern
"unknown YAML keys ignored"); each problem names the file and the key (requirement 21 for the
declared time basis).
"""

from __future__ import annotations

import codecs
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Generic, Literal, TypeVar

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from threadline.errors import ConfigError
from threadline.ingest.sql import connect_offline, sql_literal

__all__ = [
    "MappingLayout",
    "ProfileSource",
    "StrictModel",
    "fold_header",
    "read_mapping_file",
    "strptime_problem",
    "validate_mapping",
]


class StrictModel(BaseModel):
    """A frozen model that refuses unknown keys, the base of every mapping-file section."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.lru_cache(maxsize=256)
def strptime_problem(fmt: str) -> str | None:
    """Why DuckDB cannot use ``fmt`` to read the times of a file, or None if it can.

    The readers parse times with DuckDB's ``try_strptime``, so the format is tried there, the
    same way, when the mapping is loaded: a mistake is then reported against the mapping file's
    key instead of failing in the middle of an ingest. A format with ``%z`` or ``%Z`` is refused
    too: DuckDB would then read the offset written in each time and return UTC instants, and the
    profile's time basis would be applied a second time.
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


class MappingLayout(StrictModel):
    """The keys of a mapping profile that say which profile it is and how to read the table.

    Subclasses add the reader's own keys (its columns, time formats and ``ignore`` list) after
    these, so a validation error lists the layout keys first whichever reader the file is for.
    """

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


#: A reader's own profile model.
P = TypeVar("P", bound=MappingLayout)


def fold_header(name: str) -> str:
    """Compare headers without regard to case or runs of white space."""
    return " ".join(name.split()).casefold()


def validate_mapping(model: type[P], data: object, origin: str, label: str) -> P:
    """Validate parsed YAML as a ``model`` profile.

    Raises:
        ConfigError: ``{origin}: invalid {label}: ...`` listing every offending key, dotted
            (``formats.start: ...``), so the user can find each one in the file.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{origin}: invalid {label}: {problems}") from exc


def read_mapping_file(path: Path) -> object:
    """The parsed YAML of a user's mapping file, not yet validated.

    Raises:
        ConfigError: the file cannot be read, is not UTF-8 or not YAML (the message names it).
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
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


@functools.cache
def _shipped(package: str, model: type[P], label: str) -> tuple[P, ...]:
    """The profiles shipped in ``package``'s ``profiles/*.yaml``, validated, sorted by file
    name; read once, because shipped profiles are immutable package data."""
    folder = resources.files(package).joinpath("profiles")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text("utf-8"))
            out.append(validate_mapping(model, data, entry.name, label))
    return tuple(out)


@dataclass(frozen=True)
class ProfileSource(Generic[P]):
    """One reader's mapping profiles: those shipped in its package and a user's own files.

    ``kind`` names the reader in "no such profile" errors (``CDR``), ``label`` the file kind in
    validation errors (``mapping``, ``ANPR mapping``).
    """

    package: str
    model: type[P]
    kind: str
    label: str

    def load_file(self, path: Path) -> P:
        """Load and validate a user's mapping file.

        Raises:
            ConfigError: the file cannot be read, is not UTF-8 or not YAML, or breaks the
                mapping format (the message names the file and each offending key).
        """
        return validate_mapping(self.model, read_mapping_file(path), str(path), self.label)

    def builtin(self) -> list[P]:
        """The profiles shipped with Threadline, sorted by name."""
        return list(_shipped(self.package, self.model, self.label))

    def named(self, name: str) -> P:
        """Return a shipped profile by name.

        Raises:
            ConfigError: no such profile; the message lists them (``no {kind} profile ...``).
        """
        profiles = self.builtin()
        for profile in profiles:
            if profile.name == name:
                return profile
        names = ", ".join(p.name for p in profiles)
        raise ConfigError(f"no {self.kind} profile called {name!r}; profiles: {names}")
