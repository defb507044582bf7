"""Mapping profiles: how one network's CDR spreadsheet layout maps onto the canonical tables.

UK networks each return their own layout and no official column list is public (formats.md §7a),
so the CDR reader is driven by declarative mapping files (YAML), not code. Threadline ships profiles
for the layouts it knows (``profiles/*.yaml``); a user writes one for a layout nobody has seen
before, in the same format, and passes it with ``--mapping FILE``. The format is documented in
``docs/cdr-mapping.md``. Files are validated strictly: an unknown key is an error, not ignored
(examples.md anti-pattern "unknown YAML keys ignored"). The layout keys, their checks and the
loading are shared with the other mapping-driven readers (:mod:`threadline.ingest.mapping_file`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from threadline.ingest.mapping_file import (
    MappingLayout,
    ProfileSource,
    StrictModel,
    fold_header,
    strptime_problem,
)

__all__ = [
    "PROFILES",
    "CanonicalField",
    "Profile",
    "RecordType",
    "TimeFormats",
    "builtin_profile",
    "builtin_profiles",
    "fold_header",
    "load_profile_file",
]

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


class RecordType(StrictModel):
    """How one record-type value maps to a canonical table and direction."""

    match: str = Field(description="The value in the record-type column(s), case-insensitive.")
    table: Literal["calls", "messages", "data_sessions"]
    direction: Literal["outgoing", "incoming", "forwarded", "unknown"] = "unknown"
    message_type: Literal["sms", "mms"] | None = None


class TimeFormats(StrictModel):
    """strptime formats (``%d/%m/%Y %H:%M:%S``) for start and end; split date and time columns
    are joined with one space before parsing."""

    start: str
    end: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None and (problem := strptime_problem(value)):
            raise ValueError(problem)
        return value


class Profile(MappingLayout):
    """A CDR mapping profile (see ``docs/cdr-mapping.md``); the layout keys are
    :class:`~threadline.ingest.mapping_file.MappingLayout`'s."""

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


#: The CDR reader's profiles: shipped in ``profiles/*.yaml`` or a user's ``--mapping`` file.
PROFILES: ProfileSource[Profile] = ProfileSource(
    "threadline.ingest.parsers.cdr_uk", Profile, "CDR", "mapping"
)
#: Load and validate a user's mapping file (ConfigError naming the file and each bad key).
load_profile_file = PROFILES.load_file
#: The profiles shipped with Threadline, sorted by name.
builtin_profiles = PROFILES.builtin
#: A shipped profile by name (ConfigError listing the profiles if there is none).
builtin_profile = PROFILES.named
