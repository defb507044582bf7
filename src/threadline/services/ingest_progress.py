"""Live ingest progress that another process can watch (the web page, after a reload too).

A running ingest writes how many rows it has read to its run row about once a second; the web
application reads it back with :func:`exhibit_progress` and works out rows per second and the
time left. Parsers report rows, not the total (a CSV's row count is unknown until it is read), so
the expected total of a text exhibit is estimated up front by counting its line breaks, which
reads the file at disk speed; for other formats (spreadsheets, folders) no estimate is made and
no time left is shown rather than a made-up one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.tables import ExhibitRow, IngestIssueRow, IngestRunRow, stored_instant

# seconds between progress writes: often enough for a progress bar, rarely enough to cost nothing
_WRITE_EVERY = 1.0
_ZIP_MAGIC = b"PK\x03\x04"


def estimate_rows(path: Path) -> int | None:
    """About how many data rows a text exhibit holds (line breaks less a header), or ``None``
    for a folder, a zip container (XLSX) or an unreadable file."""
    if not path.is_file():
        return None
    lines = 0
    last = b""
    try:
        with path.open("rb") as handle:
            if handle.read(4) == _ZIP_MAGIC:
                return None
            handle.seek(0)
            while chunk := handle.read(8 * 1024 * 1024):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    if last and last != b"\n":
        lines += 1  # a last line without a line break
    return max(lines - 1, 0)


class ProgressRecorder:
    """Writes a run's rows-read count to its run row, at most about once a second."""

    def __init__(
        self,
        ws: Workspace,
        run_id: str,
        expected: int | None,
        forward: Callable[[int, int | None], None] | None = None,
    ) -> None:
        """Start recording for ``run_id``; ``forward`` also receives every report."""
        self._ws = ws
        self._run_id = run_id
        self._expected = expected
        self._forward = forward
        self._last = 0.0
        self._write(0)

    def __call__(self, done: int, total: int | None) -> None:
        """Take one progress report from the parser."""
        if self._forward is not None:
            self._forward(done, total)
        now = time.monotonic()
        if now - self._last >= _WRITE_EVERY:
            self._last = now
            self._write(done)

    def _write(self, done: int) -> None:
        with self._ws.session() as session:
            session.execute(
                update(IngestRunRow)
                .where(IngestRunRow.id == self._run_id, IngestRunRow.status == "running")
                .values(rows_done=done, rows_expected=self._expected, progress_at=self._ws.clock())
            )


@dataclass(frozen=True, slots=True)
class ExhibitProgress:
    """The latest ingest of one exhibit, as a progress bar shows it.

    Attributes:
        exhibit: the exhibit's reference.
        status: ``not ingested``, ``running``, ``complete``, ``failed``, ``interrupted``.
        rows_done: rows read so far (the run's total once complete).
        rows_expected: estimated total for a running text exhibit, else ``None``.
        rows_per_second: average rate since the run started.
        seconds_left: estimated time to finish, when a total is known.
        started_at, finished_at: ISO-8601 UTC.
        error: why a failed or interrupted run stopped.
        issues: how many distinct ingest issues the exhibit's current complete run recorded.
    """

    exhibit: str
    exhibit_id: str
    status: str
    rows_done: int
    rows_expected: int | None
    rows_per_second: float | None
    seconds_left: float | None
    started_at: str | None
    finished_at: str | None
    error: str | None
    issues: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _progress(reference: str, exhibit_id: str, run: IngestRunRow | None) -> ExhibitProgress:
    if run is None:
        return ExhibitProgress(
            reference, exhibit_id, "not ingested", 0, None, None, None, None, None, None
        )
    started = stored_instant(run.started_at)
    finished = stored_instant(run.finished_at)
    if run.status in ("complete", "superseded"):
        done = int((run.row_counts or {}).get("source_rows", run.rows_done or 0))
    else:
        done = int(run.rows_done or 0)
    end = finished or stored_instant(run.progress_at)
    rate = None
    if started is not None and end is not None and end > started and done:
        rate = done / (end - started).total_seconds()
    left = None
    if run.status == "running" and rate and run.rows_expected:
        left = max(run.rows_expected - done, 0) / rate
    return ExhibitProgress(
        exhibit=reference,
        exhibit_id=exhibit_id,
        status=run.status,
        rows_done=done,
        rows_expected=int(run.rows_expected) if run.rows_expected is not None else None,
        rows_per_second=rate,
        seconds_left=left,
        started_at=started.isoformat() if started else None,
        finished_at=finished.isoformat() if finished else None,
        error=run.error,
    )


def exhibit_progress(ws: Workspace, case_reference: str) -> list[ExhibitProgress]:
    """The latest ingest run of every exhibit of the case, by exhibit reference."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        exhibits = session.execute(
            select(ExhibitRow.id, ExhibitRow.reference)
            .where(ExhibitRow.case_id == case.id)
            .order_by(ExhibitRow.reference)
        ).all()
        runs = session.execute(
            select(IngestRunRow)
            .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
            .where(ExhibitRow.case_id == case.id)
            .order_by(IngestRunRow.started_at)
        ).scalars()
        latest: dict[str, IngestRunRow] = {}
        complete: dict[str, str] = {}
        for run in runs:
            # a run superseded by a newer one is history; the newest run is the state
            latest[run.exhibit_id] = run
            if run.status == "complete":
                complete[run.exhibit_id] = run.id
        counted = session.execute(
            select(IngestIssueRow.run_id, func.count())
            .where(IngestIssueRow.run_id.in_(list(complete.values())))
            .group_by(IngestIssueRow.run_id)
        ).all()
        issue_counts = {str(run_id): int(n) for run_id, n in counted}
        out = []
        for eid, ref in exhibits:
            found = _progress(ref, eid, latest.get(eid))
            issues = int(issue_counts.get(complete.get(eid, ""), 0))
            out.append(replace(found, issues=issues))
        return out
