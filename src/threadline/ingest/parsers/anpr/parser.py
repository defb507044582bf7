"""The ANPR read export parser: one reader, driven by mapping profiles (formats.md §8).

An ANPR *read* is a camera's OCR of a number plate at a time and place: the registration mark as
read, the camera, when, and where the camera records them the direction of travel, the lane and the
OCR confidence (formats.md §8a). Investigators receive reads from a force's ANPR bureau (the
National ANPR Service) or from vendor back offices, each in its own layout, so the reader is driven
by the same tabular and mapping-profile machinery as the CDR reader
(:mod:`threadline.ingest.tabular`; profiles in ``profiles/*.yaml``, described in
``docs/parsers/anpr.md``). The default layout, ``nas-style``, is modelled on the NAS capture
record; its field names are ours, because the NAS data dictionary is not public (unverified).

Profile choice: a mapping file the user passes, else a named profile, else the shipped profile
whose columns match the file's header (all mapped and ignored columns present; an exact match wins
over a superset). A file no profile matches is refused with the list of profiles and how to write
a mapping. Columns the profile neither maps nor ignores are reported; their values are still kept
in the raw source rows.

ANPR exports often write local wall-clock time with no offset, so the zone is declared for each
file: by the profile, or with ``--time-basis`` (which overrides it); with neither, the file is
refused before a row is read (requirement 21). Times are stored in UTC with the original beside
them and the repeated and missing clock-change hours flagged, never guessed (requirement 22).
Every source record is kept as read in ``source_rows`` (requirement 23). Marks are normalised with
:func:`threadline.model.vrm.normalise_vrm` and classified by format; there is no fuzzy matching at
ingest (requirement 61). Parser name and version are on every row (requirement 17).

A read is of a *plate*, not of a vehicle or its driver: plates are cloned and misread.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import ClassVar

from threadline.errors import ConfigError, IngestError, NoMatchingProfile, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.anpr.profile import (
    MAPPING_HELP,
    AnprProfile,
    builtin_profile,
    builtin_profiles,
    load_profile_file,
)
from threadline.ingest.parsers.anpr.transform import ReadsTransform
from threadline.ingest.parsers.cdr_uk.parser import ISSUE_TEXT_LIMIT, CdrUkParser
from threadline.ingest.parsers.cdr_uk.profile import fold_header
from threadline.ingest.tabular import (
    TabularLayout,
    check_zip_container,
    column_positions,
    prefetched,
    read_chunks,
    read_header,
)
from threadline.model.time_basis import parse_time_basis

__all__ = ["AnprParser", "layout_of", "profile_fit"]

_SUFFIXES = ("csv", "txt", "xlsx")


def layout_of(profile: AnprProfile) -> TabularLayout:
    """The tabular reading options a profile declares."""
    return TabularLayout(
        format=profile.format,
        encoding=profile.encoding,
        delimiter=profile.delimiter,
        header_row=profile.header_row,
        sheet=profile.sheet,
    )


def profile_fit(profile: AnprProfile, path: Path) -> Confidence:
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


class AnprParser:
    """Reads ANPR read exports through a mapping profile into ``anpr_reads``."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="anpr",
        version="1.0.0",
        title="ANPR read exports (mapping-driven CSV/XLSX; NAS-style default layout)",
        formats=("csv", "xlsx"),
        tables=("anpr_reads", "source_rows"),
        references=(
            "formats.md §8a: the NAS capture record (read, time, camera, location, direction, "
            "lane); the exact NAS field names are unverified, so the default layout is ours",
            "domain.md §7.5 and requirements 21–23, 61 (VRM normalisation, DVLA INF104)",
        ),
        fixtures=(
            "fixtures/anpr/nas-style.csv",
            "fixtures/anpr/nas-style-problems.csv",
            "fixtures/anpr/back-office-a.csv",
            "fixtures/anpr/vendor-c.csv",
            "fixtures/anpr/vendor-c.yaml",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN or LIKELY when a shipped profile fits the header; NO otherwise (a layout no
        profile fits is read by naming the parser and passing a mapping file)."""
        if probe.suffix not in _SUFFIXES or probe.size == 0:
            return Confidence.NO
        return max((profile_fit(p, probe.path) for p in builtin_profiles()), default=Confidence.NO)

    def choose_profile(self, path: Path, ctx: ParseContext) -> AnprProfile:
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
                f"the columns match no ANPR profile. Profiles: {listing}. {MAPPING_HELP}",
                path=path.name,
            )
        if len(winners) > 1:
            names = ", ".join(p.name for p in winners)
            raise NoMatchingProfile(
                f"the columns fit several ANPR profiles equally ({names}). {MAPPING_HELP}",
                path=path.name,
            )
        return winners[0]

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the read export into ``anpr_reads`` and raw ``source_rows``.

        A malformed record (not as many columns as the header) is not normalised: it becomes a
        ``row.malformed`` error issue showing its first characters, and its full text goes to
        ``source_rows`` under the key ``(malformed record)`` with its row's locator and row id.

        Raises:
            ConfigError: the ``--mapping`` file does not exist or is invalid; no time basis is
                declared by the profile or the user.
            NoMatchingProfile: no profile fits, or the chosen one names a column the file lacks.
            IngestError: the file is empty, cannot be decoded, or repeats a column name.
        """
        mapping = ctx.options.mapping
        if mapping is not None and not mapping.is_file():
            raise ConfigError(
                f"{mapping}: the mapping file does not exist or is not a file; pass the path of "
                "an ANPR mapping YAML file (see docs/parsers/anpr.md)"
            )
        profile = self.choose_profile(path, ctx)
        if (path.suffix.lower() == ".xlsx") != (profile.format == "xlsx"):
            raise NotThisFormat(
                f"profile {profile.name} reads {profile.format} files", path=path.name
            )
        layout = layout_of(profile)
        headers = read_header(path, layout)
        self._check_headers(path, profile, headers, ctx)
        basis_text = ctx.options.time_basis or profile.time_basis
        if basis_text is None:
            raise ConfigError(
                f"{path.name}: profile {profile.name} declares no time basis, and ANPR exports "
                "often write local wall-clock time with no offset: pass --time-basis (utc, "
                "europe-london, ...) to say how this file's times were recorded (requirement 21)"
            )
        basis = parse_time_basis(basis_text)
        ctx.detected.update({"profile": profile.name, "time_basis": basis.name})
        transform = ReadsTransform(profile=profile, headers=headers, basis=basis, ctx=ctx)

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
                value=text[:ISSUE_TEXT_LIMIT],
            )

        done = 0
        try:
            chunks = read_chunks(path, layout, len(headers), malformed, formula)
            for chunk in prefetched(chunks):
                transform.process(chunk)
                # the CDR reader's writer for malformed records: the same form in source_rows
                CdrUkParser._emit_malformed(malformed_records, ctx)
                done += chunk.batch.num_rows
                ctx.progress(done, None)
            CdrUkParser._emit_malformed(malformed_records, ctx)
            transform.finish()
        finally:
            transform.close()
        if done == 0:
            ctx.issue(Severity.WARNING, "file.no_rows", "the file has a header but no data rows")

    @staticmethod
    def _check_headers(
        path: Path, profile: AnprProfile, headers: list[str], ctx: ParseContext
    ) -> None:
        """Refuse a file lacking a mapped column; report columns neither mapped nor ignored."""
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
