"""The UK network CDR parser: one reader, driven by mapping profiles (formats.md §7a).

Profile choice: a mapping file the user passes, else a named profile, else the shipped profile
whose columns match the file's header (all mapped and ignored columns present; an exact match wins
over a superset). A file no profile matches is refused with the list of profiles and how to write
a mapping. Columns the profile neither maps nor ignores are reported (strict interpretation): their
values are still kept in the raw source rows. That driving logic, the handling of malformed rows
and formulas included, is shared with the ANPR reader (:mod:`threadline.ingest.tabular_run`).

Requirements: 21–24 (time basis, UTC with originals, the canonical CDR schema, IMEI on 14 digits),
37 (authorised window), 59 (E.164), 17–18 (parser name and version on every row).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.parsers.cdr_uk.profile import (
    Profile,
    builtin_profile,
    builtin_profiles,
    load_profile_file,
)
from threadline.ingest.parsers.cdr_uk.transform import CdrTransform
from threadline.ingest.tabular_run import (
    ISSUE_TEXT_LIMIT,
    MALFORMED_KEY,
    MappedReader,
    layout_of,
    profile_fit,
    run_chunks,
)

__all__ = [
    "ISSUE_TEXT_LIMIT",
    "MALFORMED_KEY",
    "MAPPING_HELP",
    "READER",
    "CdrUkParser",
    "layout_of",
    "profile_fit",
]

MAPPING_HELP = (
    "Pass --profile NAME to choose a profile, or write a mapping file for this layout and pass "
    "--mapping FILE (see docs/cdr-mapping.md; 'threadline profiles show NAME' prints a profile "
    "to start from)."
)

#: Where the CDR reader's profiles come from and how its refusals read; the driving logic is
#: :mod:`threadline.ingest.tabular_run`'s, shared with the ANPR reader.
READER: MappedReader[Profile] = MappedReader(
    builtin_profiles=builtin_profiles,
    builtin_profile=builtin_profile,
    load_profile_file=load_profile_file,
    no_match="the columns match no CDR profile",
    several="the columns fit several profiles equally",
    mapping_help=MAPPING_HELP,
    mapping_file="a mapping YAML file (see docs/cdr-mapping.md)",
    no_basis="; pass --time-basis (utc, europe-london, ...) to say how the network recorded "
    "times (requirement 21)",
)


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
        """The profile for this file, chosen as the module docstring says among the CDR
        profiles (:meth:`~threadline.ingest.tabular_run.MappedReader.choose_profile`, whose
        errors it raises)."""
        return READER.choose_profile(path, ctx)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the CDR file into calls, messages, data sessions and raw source rows.

        A malformed record (not as many columns as the header) is not normalised: it becomes a
        ``row.malformed`` issue showing its first characters, and its full text goes to
        ``source_rows`` under the key ``(malformed record)`` with its row's locator and row id,
        so nothing read from the exhibit is lost however many there are.

        Raises:
            ConfigError: the ``--mapping`` file does not exist, is not a file or is invalid; no
                time basis is declared.
            NotThisFormat: the chosen profile reads the other of CSV and XLSX.
            NoMatchingProfile: no profile fits, or the chosen one names a column the file lacks.
        """
        profile, layout, headers, basis = READER.open(path, ctx)
        transform = CdrTransform(profile=profile, headers=headers, basis=basis, ctx=ctx)
        run_chunks(path, ctx, layout, len(headers), transform)
