"""The ingest driver shared by the mapping-driven tabular readers (CDR, ANPR).

Both readers choose a mapping profile for a CSV/XLSX file the same way, check its header against
the profile, read it in chunks through :mod:`threadline.ingest.tabular` and hand each chunk to their
own transform. What happens around the transform is the same for both and lives here once, so the
two cannot drift apart:

- profile choice: a mapping file the user passes, else a named profile, else the shipped profile
  whose columns match the file's header (an exact match wins over a superset); no fit, or a tie,
  is refused with the reader's help on writing a mapping;
- the header check: a mapped column the file lacks is refused; a column neither mapped nor
  ignored is reported, its values kept in the raw source rows only;
- the time basis: the user's ``--time-basis``, else the profile's, else refusal before a row is
  read (requirement 21);
- malformed records (not as many columns as the header): an error issue showing their start, and
  their full text in ``source_rows`` under their own locator and row id, so nothing read from the
  exhibit is lost (requirement 23); blank rows are an information issue; spreadsheet formulas are
  reported and kept as text, never evaluated.

Requirements: 17 (parser name and version on every source row), 21, 23.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, NamedTuple, Protocol, TypeVar

import pyarrow as pa

from threadline.errors import ConfigError, IngestError, NoMatchingProfile, NotThisFormat
from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence
from threadline.ingest.issue import Severity
from threadline.ingest.mapping_file import fold_header
from threadline.ingest.tabular import (
    TabularChunk,
    TabularLayout,
    check_zip_container,
    column_positions,
    prefetched,
    read_chunks,
    read_header,
)
from threadline.model.evidence_schema import SOURCE_ROWS
from threadline.model.ids import row_id
from threadline.model.time_basis import TimeBasis, parse_time_basis

__all__ = [
    "ISSUE_TEXT_LIMIT",
    "MALFORMED_KEY",
    "ChunkTransform",
    "MappedProfile",
    "MappedReader",
    "OpenedTable",
    "ValueCount",
    "emit_malformed",
    "issue_value_counts",
    "layout_of",
    "profile_fit",
    "run_chunks",
]

#: The key under which a malformed record's full text is kept in ``source_rows.raw``: the record
#: has no columns to name, so it is one JSON object with this single key.
MALFORMED_KEY = "(malformed record)"
#: Characters of a malformed record or formula shown in its issue; the full text is kept.
ISSUE_TEXT_LIMIT = 2000

_SUFFIXES = ("csv", "txt", "xlsx")


class MappedProfile(Protocol):
    """What the driver needs of a reader's profile: its layout keys (a
    :class:`~threadline.ingest.mapping_file.MappingLayout`) and the headers it maps and ignores."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def encoding(self) -> str: ...
    @property
    def delimiter(self) -> str: ...
    @property
    def header_row(self) -> int: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def time_basis(self) -> str | None: ...
    @property
    def ignore(self) -> list[str]: ...
    @property
    def mapped_headers(self) -> list[str]: ...


class ChunkTransform(Protocol):
    """A reader's transform: normalises each chunk, then reports whole-file findings."""

    def process(self, chunk: TabularChunk) -> None: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


P = TypeVar("P", bound=MappedProfile)


def layout_of(profile: MappedProfile) -> TabularLayout:
    """The tabular reading options a profile declares."""
    return TabularLayout(
        format=profile.format,
        encoding=profile.encoding,
        delimiter=profile.delimiter,
        header_row=profile.header_row,
        sheet=profile.sheet,
    )


def profile_fit(profile: MappedProfile, path: Path) -> Confidence:
    """How well a profile fits a file: CERTAIN if the headers are exactly those it maps or
    ignores, LIKELY if they include them all, NO otherwise (or if the file cannot be read so)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in _SUFFIXES or (suffix == "xlsx") != (profile.format == "xlsx"):
        return Confidence.NO
    try:
        headers = {fold_header(h) for h in read_header(path, layout_of(profile)) if h}
    except IngestError:
        return Confidence.NO
    expected = {fold_header(h) for h in [*profile.mapped_headers, *profile.ignore]}
    if headers == expected:
        return Confidence.CERTAIN
    if expected <= headers:
        return Confidence.LIKELY
    return Confidence.NO


class OpenedTable(NamedTuple, Generic[P]):
    """A file ready to read: its profile, reading options, header and declared time basis."""

    profile: P
    layout: TabularLayout
    headers: list[str]
    basis: TimeBasis


@dataclass(frozen=True)
class MappedReader(Generic[P]):
    """One mapping-driven reader: where its profiles come from and how its messages read.

    The wording is the reader's own (each names its format and its mapping documentation); the
    logic is shared.
    """

    #: The shipped profiles, sorted by name.
    builtin_profiles: Callable[[], list[P]]
    #: A shipped profile by name (ConfigError if there is none).
    builtin_profile: Callable[[str], P]
    #: A user's mapping file, loaded and validated (ConfigError if it is bad).
    load_profile_file: Callable[[Path], P]
    #: The refusal when no profile fits, before the profile listing.
    no_match: str
    #: The refusal when several profiles fit equally, before the ``({names})`` list.
    several: str
    #: Help on choosing a profile or writing a mapping, appended to each refusal.
    mapping_help: str
    #: What ``--mapping`` should name, for the refusal of a path that is not a file.
    mapping_file: str
    #: The refusal's words after ``profile NAME declares no time basis`` (requirement 21).
    no_basis: str

    def choose_profile(self, path: Path, ctx: ParseContext) -> P:
        """The profile for this file (see the module docstring).

        Raises:
            NoMatchingProfile: no shipped profile fits, or several fit equally well.
            ConfigError: a named profile or mapping file does not exist or is invalid.
            IngestError: the file is empty or not a safe XLSX container.
        """
        if ctx.options.mapping is not None:
            return self.load_profile_file(ctx.options.mapping)
        if ctx.options.profile is not None:
            return self.builtin_profile(ctx.options.profile)
        # problems with the file itself are reported as such, not as "no profile fits"
        if path.stat().st_size == 0:
            raise IngestError("the file is empty", path=path.name)
        if path.suffix.lower() == ".xlsx":
            check_zip_container(path)
        profiles = self.builtin_profiles()
        fits = [(profile_fit(p, path), p) for p in profiles]
        best = max(f for f, _ in fits)
        winners = [p for f, p in fits if f == best and f > Confidence.NO]
        listing = "; ".join(f"{p.name} ({p.title})" for p in profiles)
        if not winners:
            raise NoMatchingProfile(
                f"{self.no_match}. Profiles: {listing}. {self.mapping_help}", path=path.name
            )
        if len(winners) > 1:
            names = ", ".join(p.name for p in winners)
            raise NoMatchingProfile(
                f"{self.several} ({names}). {self.mapping_help}", path=path.name
            )
        return winners[0]

    def open(self, path: Path, ctx: ParseContext) -> OpenedTable[P]:
        """Choose the profile, read and check the header and settle the time basis, recording
        the profile and basis in ``ctx.detected``; nothing is emitted yet.

        Raises:
            ConfigError: the ``--mapping`` path is not a file or the mapping is invalid; no
                time basis is declared by the profile or the user.
            NotThisFormat: the profile reads the other of CSV and XLSX.
            NoMatchingProfile: no profile fits, or the chosen one names a column the file lacks.
            IngestError: the file is empty, cannot be decoded, or repeats a column name.
        """
        mapping = ctx.options.mapping
        if mapping is not None and not mapping.is_file():
            raise ConfigError(
                f"{mapping}: the mapping file does not exist or is not a file; pass the path of "
                f"{self.mapping_file}"
            )
        profile = self.choose_profile(path, ctx)
        if (path.suffix.lower() == ".xlsx") != (profile.format == "xlsx"):
            raise NotThisFormat(
                f"profile {profile.name} reads {profile.format} files", path=path.name
            )
        layout = layout_of(profile)
        headers = read_header(path, layout)
        self.check_headers(path, profile, headers, ctx)
        basis_text = ctx.options.time_basis or profile.time_basis
        if basis_text is None:
            raise ConfigError(
                f"{path.name}: profile {profile.name} declares no time basis{self.no_basis}"
            )
        basis = parse_time_basis(basis_text)
        ctx.detected.update({"profile": profile.name, "time_basis": basis.name})
        return OpenedTable(profile, layout, headers, basis)

    def check_headers(self, path: Path, profile: P, headers: list[str], ctx: ParseContext) -> None:
        """Refuse a file lacking a mapped column; report columns neither mapped nor ignored."""
        seen = column_positions(path, headers, fold_header, profile.header_row)
        missing = [h for h in profile.mapped_headers if fold_header(h) not in seen]
        if missing:
            raise NoMatchingProfile(
                f"profile {profile.name} expects column(s) {', '.join(map(repr, missing))} which "
                f"the file lacks; its columns are {', '.join(map(repr, headers))}. "
                f"{self.mapping_help}",
                path=path.name,
                locator=f"row={profile.header_row}",
            )
        known = {fold_header(h) for h in [*profile.mapped_headers, *profile.ignore]}
        for i, header in enumerate(headers):
            if fold_header(header) not in known:
                ctx.issue(
                    Severity.WARNING,
                    "column.unmapped",
                    f"column {header!r} is neither mapped nor ignored by profile {profile.name}; "
                    "its values are kept in the raw source rows only",
                    locator=f"column={i + 1}",
                    value=header,
                )


def run_chunks(
    path: Path,
    ctx: ParseContext,
    layout: TabularLayout,
    columns: int,
    transform: ChunkTransform,
) -> None:
    """Read the file's data rows in chunks through ``transform``, then let it finish; the
    transform is closed whatever happens.

    Malformed records, blank rows and formulas are reported as the module docstring says; the
    malformed records' text is written to ``source_rows`` after each chunk, so memory stays
    bounded however many there are. A file with a header and no data rows is a warning.
    """
    # Filled on the reader's prefetch thread, emptied on this one (deque appends and pops
    # are thread-safe): a sink is written from one thread only.
    malformed_records: deque[tuple[str, str]] = deque()
    malformed_seen = 0

    def malformed(row: int, text: str) -> None:
        nonlocal malformed_seen
        locator = f"row={row}" if row > 0 else None
        if not text.strip(layout.delimiter + " \t\r\n"):
            ctx.issue(Severity.INFO, "row.blank", "blank row", locator=locator)
            return
        malformed_seen += 1
        # a record whose number the reader cannot tell (not expected from the single-
        # threaded readers) is placed by its order among the malformed records instead
        malformed_records.append((locator or f"malformed={malformed_seen}", text))
        ctx.issue(
            Severity.ERROR,
            "row.malformed",
            f"the record does not have the {columns} columns of the header; it is not "
            "ingested and its full text is kept in the source rows",
            locator=locator,
            value=text[:ISSUE_TEXT_LIMIT],
        )

    def formula(row: int, text: str) -> None:
        ctx.issue(
            Severity.WARNING,
            "cell.formula",
            "a cell holds a formula; it is kept as text and never evaluated",
            locator=f"row={row}",
            value=text[:ISSUE_TEXT_LIMIT],
        )

    done = 0
    try:
        chunks = read_chunks(path, layout, columns, malformed, formula)
        for chunk in prefetched(chunks):
            transform.process(chunk)
            emit_malformed(malformed_records, ctx)  # memory stays bounded
            done += chunk.batch.num_rows
            ctx.progress(done, None)
        emit_malformed(malformed_records, ctx)
        transform.finish()
    finally:
        transform.close()
    if done == 0:
        ctx.issue(Severity.WARNING, "file.no_rows", "the file has a header but no data rows")


def emit_malformed(records: deque[tuple[str, str]], ctx: ParseContext) -> None:
    """Send the malformed records collected so far, (locator, text) pairs, to ``source_rows``
    in full: the record's text (the issue shows only its start) as a JSON object with the
    single key :data:`MALFORMED_KEY`, under the record's own row id."""
    batch: list[tuple[str, str]] = []
    while records:
        batch.append(records.popleft())
    if not batch:
        return
    exhibit_id = ctx.exhibit.exhibit_id
    table = pa.table(
        {
            "row_id": [row_id(exhibit_id, locator) for locator, _ in batch],
            "exhibit_id": [exhibit_id] * len(batch),
            "locator": [locator for locator, _ in batch],
            "parser": [ctx.parser_ref] * len(batch),
            "raw": [json.dumps({MALFORMED_KEY: text}, ensure_ascii=False) for _, text in batch],
        }
    )
    ctx.emit(SOURCE_ROWS.name, conform(SOURCE_ROWS, table))


class ValueCount(NamedTuple):
    """How often one problem value was seen in a file: its message and first row."""

    value: str
    message: str
    rows: int
    first_row: int


def issue_value_counts(
    ctx: ParseContext,
    severity: Severity,
    code: str,
    values: Sequence[ValueCount],
    *,
    summary: str,
    extra_rows: int = 0,
) -> None:
    """Report the problem values of one issue code gathered over a whole file.

    An INFO code is one summary issue (``{summary}: N distinct value(s) in M row(s)``, showing
    the first of ``values`` and the earliest row), because such notes would otherwise swamp the
    list; any other severity is one issue per value, with its count and first row, so each can
    be looked up. ``extra_rows`` counts rows whose values were not kept one by one.
    """
    if not values:
        return
    if severity is Severity.INFO:
        rows = sum(v.rows for v in values) + extra_rows
        ctx.issue(
            severity,
            code,
            f"{summary}: {len(values)} distinct value(s) in {rows} row(s)",
            locator=f"row={min(v.first_row for v in values)}",
            value=values[0].value,
            count=rows,
        )
        return
    for v in values:
        ctx.issue(
            severity,
            code,
            f"{v.message} ({v.rows} row(s), first at row {v.first_row})",
            locator=f"row={v.first_row}",
            value=v.value,
            count=v.rows,
        )
