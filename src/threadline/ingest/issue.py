"""Ingest issues: problems found in an exhibit, stored as data beside the rows they concern.

An examiner sees them next to the data (examples.md §3.5 "Logging"), with the place in the exhibit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much an issue matters."""

    INFO = "info"  # noted for completeness (e.g. a leading zero restored)
    WARNING = "warning"  # the row is kept, but a value is suspect or could not be normalised
    ERROR = "error"  # the record could not be read at all; its raw text is kept in the issue


@dataclass(frozen=True, slots=True)
class IngestIssue:
    """One problem in an exhibit.

    Attributes:
        severity: how much it matters.
        code: stable machine-readable kind, e.g. ``time.ambiguous``, ``row.malformed``.
        message: what is wrong, for a person.
        locator: where (``row=12``); empty for whole-file issues such as an unmapped column.
        value: the offending original value, where there is one.
        count: how many occurrences this issue stands for (1 unless summarised).
    """

    severity: Severity
    code: str
    message: str
    locator: str | None = None
    value: str | None = None
    count: int = 1
