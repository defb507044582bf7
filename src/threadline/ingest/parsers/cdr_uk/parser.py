"""The UK network CDR parser: one reader, driven by mapping profiles (formats.md §7a).

Profile choice: a mapping file the user passes, else a named profile, else the shipped profile
whose columns match the file's header (all mapped and ignored columns present; an exact match wins
over a superset). A file no profile matches is refused with the list of profiles and how to write
a mapping. Columns the profile neither maps nor ignores are reported (strict interpretation): their
values are still kept in the raw source rows.

Requirements: 21–24 (time basis, UTC with originals, the canonical CDR schema, IMEI on 14 digits),
37 (authorised window), 59 (E.164), 17–18 (parser name and version on every row).
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from threadline.errors import ConfigError, IngestError, NoMatchingProfile, NotThisFormat
from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.profile import (
    Profile,
    builtin_profile,
    builtin_profiles,
    fold_header,
    load_profile_file,
)
from threadline.ingest.parsers.cdr_uk.transform import CdrTransform
from threadline.ingest.tabular import (
    TabularLayout,
    check_zip_container,
    column_positions,
    prefetched,
    read_chunks,
    read_header,
)
from threadline.model.evidence_schema import SOURCE_ROWS
from threadline.model.ids import row_id
from threadline.model.time_basis import parse_time_basis

#: The key under which a malformed record's full text is kept in ``source_rows.raw``: the record
#: has no columns to name, so it is one JSON object with this single key.
MALFORMED_KEY = "(malformed record)"
#: Characters of a malformed record shown in its issue; the full text is in ``source_rows``.
ISSUE_TEXT_LIMIT = 2000

MAPPING_HELP = (
    "Pass --profile NAME to choose a profile, or write a mapping file for this layout and pass "
    "--mapping FILE (see docs/cdr-mapping.md; 'threadline profiles show NAME' prints a profile "
    "to start from)."
)


def layout_of(profile: Profile) -> TabularLayout:
    """The tabular reading options a profile declares."""
    return TabularLayout(
        format=profile.format,
        encoding=profile.encoding,
        delimiter=profile.delimiter,
        header_row=profile.header_row,
        sheet=profile.sheet,
    )


def profile_fit(profile: Profile, path: Path) -> Confidence:
    """How well a profile fits a file: CERTAIN if the headers are exactly those it maps or
    ignores, LIKELY if they include them all, NO otherwise (or if the file cannot be read so)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("csv", "txt", "xlsx") or (suffix == "xlsx") != (profile.format == "xlsx"):
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


class CdrUkParser:
    """Reads UK network call data records through a mapping profile."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="cdr_uk",
        version="1.0.0",
        title="UK network call data records (mapping-driven CSV/XLSX)",
        formats=("csv", "xlsx"),
        tables=("calls", "messages", "data_sessions", "source_rows"),
        communications_data=True,
        references=(
            "formats.md §7a (no official operator column list is public)",
            "domain.md §3.4, §7.8 and requirements 21–24, 37",
        ),
        fixtures=(
            "fixtures/cdr_uk/network-a.csv",
            "fixtures/cdr_uk/network-b.csv",
            "fixtures/cdr_uk/network-c.xlsx",
            "fixtures/cdr_uk/network-d.csv",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN or LIKELY when a shipped profile fits; POSSIBLE for any other CSV/XLSX,
        because a user's mapping file can read it."""
        if probe.suffix not in ("csv", "txt", "xlsx"):
            return Confidence.NO
        best = max((profile_fit(p, probe.path) for p in builtin_profiles()), default=Confidence.NO)
        return best if best > Confidence.NO else Confidence.POSSIBLE

    def choose_profile(self, path: Path, ctx: ParseContext) -> Profile:
        """The profile for this file (see the module docstring).

        Raises:
            NoMatchingProfile: no shipped profile fits, or several fit equally well.
            ConfigError: a named profile or mapping file does not exist or is invalid.
        """
        if ctx.options.mapping is not None:
            return load_profile_file(ctx.options.mapping)
        if ctx.options.profile is not None:
            return builtin_profile(ctx.options.profile)
        # problems with the file itself are reported as such, not as "no profile fits"
        if path.stat().st_size == 0:
            raise IngestError("the file is empty", path=path.name)
        if path.suffix.lower() == ".xlsx":
            check_zip_container(path)
        profiles = builtin_profiles()
        fits = [(profile_fit(p, path), p) for p in profiles]
        best = max(f for f, _ in fits)
        winners = [p for f, p in fits if f == best and f > Confidence.NO]
        listing = "; ".join(f"{p.name} ({p.title})" for p in profiles)
        if not winners:
            raise NoMatchingProfile(
                f"the columns match no CDR profile. Profiles: {listing}. {MAPPING_HELP}",
                path=path.name,
            )
        if len(winners) > 1:
            names = ", ".join(p.name for p in winners)
            raise NoMatchingProfile(
                f"the columns fit several profiles equally ({names}). {MAPPING_HELP}",
                path=path.name,
            )
        return winners[0]

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the CDR file into calls, messages, data sessions and raw source rows.

        A malformed record (not as many columns as the header) is not normalised: it becomes a
        ``row.malformed`` issue showing its first characters, and its full text goes to
        ``source_rows`` under the key ``(malformed record)`` with its row's locator and row id,
        so nothing read from the exhibit is lost however many there are.

        Raises:
            ConfigError: the ``--mapping`` file does not exist, is not a file or is invalid; no
                time basis is declared.
        """
        mapping = ctx.options.mapping
        if mapping is not None and not mapping.is_file():
            raise ConfigError(
                f"{mapping}: the mapping file does not exist or is not a file; pass the path of "
                "a mapping YAML file (see docs/cdr-mapping.md)"
            )
        profile = self.choose_profile(path, ctx)
        layout = layout_of(profile)
        if (path.suffix.lower() == ".xlsx") != (profile.format == "xlsx"):
            raise NotThisFormat(
                f"profile {profile.name} reads {profile.format} files", path=path.name
            )
        headers = read_header(path, layout)
        self._check_headers(path, profile, headers, ctx)
        basis_text = ctx.options.time_basis or profile.time_basis
        if basis_text is None:
            raise ConfigError(
                f"{path.name}: profile {profile.name} declares no time basis; pass --time-basis "
                "(utc, europe-london, ...) to say how the network recorded times (requirement 21)"
            )
        basis = parse_time_basis(basis_text)
        ctx.detected.update({"profile": profile.name, "time_basis": basis.name})
        transform = CdrTransform(profile=profile, headers=headers, basis=basis, ctx=ctx)

        # Filled on the reader's prefetch thread, emptied on this one (deque appends and pops
        # are thread-safe): a sink is written from one thread only.
        malformed_records: deque[tuple[str, str]] = deque()
        malformed_seen = 0

        def malformed(row: int, text: str) -> None:
            nonlocal malformed_seen
            locator = f"row={row}" if row > 0 else None
            if not text.strip(profile.delimiter + " \t\r\n"):
                ctx.issue(Severity.INFO, "row.blank", "blank row", locator=locator)
                return
            malformed_seen += 1
            # a record whose number the reader cannot tell (not expected from the single-
            # threaded readers) is placed by its order among the malformed records instead
            malformed_records.append((locator or f"malformed={malformed_seen}", text))
            ctx.issue(
                Severity.ERROR,
                "row.malformed",
                f"the record does not have the {len(headers)} columns of the header; it is not "
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
                value=text[:2000],
            )

        done = 0
        try:
            chunks = read_chunks(path, layout, len(headers), malformed, formula)
            for chunk in prefetched(chunks):
                transform.process(chunk)
                self._emit_malformed(malformed_records, ctx)  # memory stays bounded
                done += chunk.batch.num_rows
                ctx.progress(done, None)
            self._emit_malformed(malformed_records, ctx)
            transform.finish()
        finally:
            transform.close()
        if done == 0:
            ctx.issue(Severity.WARNING, "file.no_rows", "the file has a header but no data rows")

    @staticmethod
    def _emit_malformed(records: deque[tuple[str, str]], ctx: ParseContext) -> None:
        """Send the malformed records collected so far, (locator, text) pairs, to
        ``source_rows`` in full: the record's text (the issue shows only its start) as a JSON
        object with the single key :data:`MALFORMED_KEY`, under the record's own row id."""
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

    @staticmethod
    def _check_headers(path: Path, profile: Profile, headers: list[str], ctx: ParseContext) -> None:
        seen = column_positions(path, headers, fold_header, profile.header_row)
        missing = [h for h in profile.mapped_headers if fold_header(h) not in seen]
        if missing:
            raise NoMatchingProfile(
                f"profile {profile.name} expects column(s) {', '.join(map(repr, missing))} which "
                f"the file lacks; its columns are {', '.join(map(repr, headers))}. {MAPPING_HELP}",
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
