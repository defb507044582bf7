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
in the raw source rows. That driving logic, the handling of malformed rows and formulas included,
is shared with the CDR reader (:mod:`threadline.ingest.tabular_run`).

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

from pathlib import Path
from typing import ClassVar

from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.parsers.anpr.profile import (
    MAPPING_HELP,
    AnprProfile,
    builtin_profile,
    builtin_profiles,
    load_profile_file,
)
from threadline.ingest.parsers.anpr.transform import ReadsTransform
from threadline.ingest.tabular_run import MappedReader, layout_of, profile_fit, run_chunks

__all__ = ["READER", "AnprParser", "layout_of", "profile_fit"]

_SUFFIXES = ("csv", "txt", "xlsx")

#: Where the ANPR reader's profiles come from and how its refusals read; the driving logic is
#: :mod:`threadline.ingest.tabular_run`'s, shared with the CDR reader.
READER: MappedReader[AnprProfile] = MappedReader(
    builtin_profiles=builtin_profiles,
    builtin_profile=builtin_profile,
    load_profile_file=load_profile_file,
    no_match="the columns match no ANPR profile",
    several="the columns fit several ANPR profiles equally",
    mapping_help=MAPPING_HELP,
    mapping_file="an ANPR mapping YAML file (see docs/parsers/anpr.md)",
    no_basis=", and ANPR exports often write local wall-clock time with no offset: pass "
    "--time-basis (utc, europe-london, ...) to say how this file's times were recorded "
    "(requirement 21)",
)


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
        """The profile for this file, chosen as the module docstring says among the ANPR
        profiles (:meth:`~threadline.ingest.tabular_run.MappedReader.choose_profile`, whose
        errors it raises)."""
        return READER.choose_profile(path, ctx)

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the read export into ``anpr_reads`` and raw ``source_rows``.

        A malformed record (not as many columns as the header) is not normalised: it becomes a
        ``row.malformed`` error issue showing its first characters, and its full text goes to
        ``source_rows`` under the key ``(malformed record)`` with its row's locator and row id.

        Raises:
            ConfigError: the ``--mapping`` file does not exist or is invalid; no time basis is
                declared by the profile or the user.
            NotThisFormat: the chosen profile reads the other of CSV and XLSX.
            NoMatchingProfile: no profile fits, or the chosen one names a column the file lacks.
            IngestError: the file is empty, cannot be decoded, or repeats a column name.
        """
        profile, layout, headers, basis = READER.open(path, ctx)
        transform = ReadsTransform(profile=profile, headers=headers, basis=basis, ctx=ctx)
        run_chunks(path, ctx, layout, len(headers), transform)
