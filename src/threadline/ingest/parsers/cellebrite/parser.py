"""The Cellebrite UFED parser: a UFDR (ZIP with ``report.xml``) or a bare ``report.xml``.

A ``.ufdr`` is a ZIP holding ``report.xml`` (older exports: ``Report.xml`` or ``UFEDReport.xml``)
at its root and the extracted files in category folders (formats.md §1). It is opened with
:func:`~threadline.ingest.containers.open_container`, which refuses path traversal and ZIP
bombs before a byte is used, and the report member is streamed straight into the XML reader:
nothing is extracted to disk and the exhibit is never modified (ACPO principle 1). A folder
holding ``report.xml`` (a UFDR unpacked by the examiner) reads the same way. A bare
``report.xml`` is read on its own; its files are absent, so media rows carry no hashes.

What becomes of each part of the report is described in
:mod:`~threadline.ingest.parsers.cellebrite.report` (streaming),
:mod:`~threadline.ingest.parsers.cellebrite.records` (calls, messages, contacts, accounts,
locations), :mod:`~threadline.ingest.parsers.cellebrite.device` (devices) and
:mod:`~threadline.ingest.parsers.cellebrite.files` (media), and for analysts in
``docs/parsers/cellebrite.md``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import ClassVar, Final

from threadline.errors import IngestError, NotThisFormat, ParseError
from threadline.ingest.containers import Container, Member, open_container
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.parsers.cellebrite.report import ReportOutcome, ReportReader, finish_report
from threadline.ingest.shares import Share, read_in_shares

__all__ = [
    "NAMESPACE",
    "REPORT_NAMES",
    "SHARE_CHUNK",
    "SHARE_MIN_BYTES",
    "CellebriteParser",
    "read_report",
]

#: Reports this large or larger are read in several processes when the force allows it
#: (``THREADLINE_INGEST_WORKERS``): below it, starting a process costs more than it saves.
SHARE_MIN_BYTES: Final = 64 * 1024 * 1024

#: Units (tagged files, top-level records) dealt to a process at a time.
SHARE_CHUNK: Final = 64

#: The namespace of a UFED report.
NAMESPACE: Final = "http://pa.cellebrite.com/report/2.0"

#: Names the report has at a UFDR's root, in order of preference.
REPORT_NAMES: Final = ("report.xml", "Report.xml", "UFEDReport.xml")

_ZIP_MAGIC: Final = b"PK\x03\x04"
_NAMESPACE_BYTES: Final = (NAMESPACE.encode("ascii"), NAMESPACE.encode("utf-16-le"))


def _report_member(members: list[Member]) -> Member | None:
    by_name = {m.name: m for m in members}
    for name in REPORT_NAMES:
        if name in by_name:
            return by_name[name]
    folded = {m.name.lower(): m for m in members if "/" not in m.name}
    return folded.get("report.xml") or folded.get("ufedreport.xml")


def _looks_like_report(head: bytes) -> bool:
    if any(signature in head for signature in _NAMESPACE_BYTES):
        return True
    # un-namespaced reports: IPED recognises them by these three strings
    return all(s in head for s in (b"<project", b"extractionType", b"sourceExtractions"))


class CellebriteParser:
    """Cellebrite UFED report (UFDR or report.xml)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="cellebrite",
        version="1.0.0",
        title="Cellebrite UFED report (UFDR or report.xml)",
        formats=("ufdr", "xml"),
        tables=(
            "calls",
            "messages",
            "contacts",
            "devices",
            "accounts",
            "locations",
            "media",
            "source_rows",
        ),
        references=(
            "docs formats.md §1 (Cellebrite UFED / Physical Analyzer)",
            "sepinf-inc/IPED iped-engine UfedXmlReader.java",
            "SEilers/UFEDLib Models/*.cs, MetaData/*.cs",
        ),
        fixtures=("fixtures/cellebrite/synthetic.ufdr", "fixtures/cellebrite/README.md"),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for a ZIP (or folder) with ``report.xml`` at its root, or XML naming the
        Cellebrite namespace; LIKELY for an un-namespaced report (IPED's header test); NO
        otherwise. Never raises."""
        try:
            if probe.path.is_dir():
                report = next(
                    (probe.path / n for n in REPORT_NAMES if (probe.path / n).is_file()), None
                )
                if report is None:
                    return Confidence.NO
                with report.open("rb") as handle:
                    head = handle.read(64 * 1024)
                return Confidence.CERTAIN if _looks_like_report(head) else Confidence.NO
            if probe.head.startswith(_ZIP_MAGIC):
                with zipfile.ZipFile(probe.path) as archive:
                    names = {n.replace("\\", "/") for n in archive.namelist()}
                roots = {n.lower() for n in names if "/" not in n}
                found = "report.xml" in roots or "ufedreport.xml" in roots
                return Confidence.CERTAIN if found else Confidence.NO
            if any(signature in probe.head for signature in _NAMESPACE_BYTES):
                return Confidence.CERTAIN
            if _looks_like_report(probe.head):
                return Confidence.LIKELY
        except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
            return Confidence.NO
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read the UFDR, folder or report.xml at ``path`` into canonical rows.

        A report of :data:`SHARE_MIN_BYTES` or more is read in ``ctx.workers`` processes, each
        writing its share of the records (:mod:`threadline.ingest.shares`); the rows and issues
        are those of a reading in one process.

        Raises:
            NotThisFormat: the file is neither a ZIP, a folder nor XML.
            HostileInput: traversal, ZIP bomb or DTD (entities) in the report.
            ParseError: no report in the UFDR, or the XML is malformed or truncated (line and
                column given).
        """
        if not (path.is_dir() or zipfile.is_zipfile(path)):
            with path.open("rb") as handle:
                head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
            if not head.startswith((b"<", b"\xff\xfe<\x00", b"\xfe\xff\x00<")):
                raise NotThisFormat("neither a UFDR (ZIP) nor a report.xml", path=path.name)
        workers = ctx.workers if _report_bytes(path, ctx) >= SHARE_MIN_BYTES else 1
        outcomes = read_in_shares(read_report, path, ctx, workers=workers, chunk=SHARE_CHUNK)
        outcome = outcomes[0]
        for other in outcomes[1:]:
            outcome.merge(other)
        finish_report(ctx, outcome)


def read_report(path: Path, ctx: ParseContext, share: Share) -> ReportOutcome:
    """Read one share of the report at ``path`` (a UFDR, a folder or a bare report.xml): the
    work of one process (:func:`~threadline.ingest.shares.read_in_shares`)."""
    if path.is_dir() or zipfile.is_zipfile(path):
        return _read_container(path, ctx, share)
    ctx.detected["cellebrite.container"] = "report.xml"
    with path.open("rb") as stream:
        return ReportReader(ctx, path.name, share=share).read(stream)


def _read_container(path: Path, ctx: ParseContext, share: Share) -> ReportOutcome:
    container: Container = open_container(path, path.name, ctx.limits)
    try:
        member = _report_member(container.members())
        if member is None:
            raise ParseError(
                "the UFDR has no report.xml (nor Report.xml, UFEDReport.xml) at its root",
                path=path.name,
            )
        ctx.detected["cellebrite.container"] = "folder" if path.is_dir() else "ufdr"
        try:
            stream = container.open(member)
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            raise ParseError(
                f"the report member cannot be opened ({exc})",
                path=path.name,
                locator=f"member={member.name!r}",
            ) from exc
        with stream:
            return ReportReader(ctx, member.name, container, share).read(stream)
    finally:
        container.close()


def _report_bytes(path: Path, ctx: ParseContext) -> int:
    """The report's (uncompressed) size, to decide whether sharing it pays; 0 when it cannot be
    told here (the reading itself then says what is wrong)."""
    try:
        if path.is_dir():
            report = next((path / n for n in REPORT_NAMES if (path / n).is_file()), None)
            return report.stat().st_size if report is not None else 0
        if zipfile.is_zipfile(path):
            container = open_container(path, path.name, ctx.limits)
            try:
                member = _report_member(container.members())
            finally:
                container.close()
            return member.size if member is not None else 0
        return path.stat().st_size
    except (IngestError, OSError, zipfile.BadZipFile, ValueError):
        return 0
