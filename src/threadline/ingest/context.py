"""The parse context: what a parser is told, and where its rows and issues go.

A parser never writes to a store. It emits Arrow record batches for canonical tables and issues
through the context; the ingest service wires the context to the evidence store's writer, which
makes the whole exhibit visible atomically or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from threadline.ingest.containers import ContainerLimits
from threadline.ingest.issue import IngestIssue, Severity
from threadline.model.evidence_schema import table as canonical_table

#: Individual issues kept per issue code; beyond it one summary issue carries the total count,
#: so a file with millions of bad rows cannot flood the case store.
ISSUES_KEPT_PER_CODE = 1000


class BatchSink(Protocol):
    """Receives the canonical rows of one ingest (implemented by the evidence store writer)."""

    def write(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        """Append rows to the named canonical table."""
        ...


@dataclass(frozen=True, slots=True)
class IssueState:
    """The issues one process raised, in the form another process merges them
    (:meth:`ParseContext.absorb`).

    Attributes:
        issues: the issues kept, in the order raised.
        positions: each kept issue's ``position`` when raised.
        totals: occurrences per issue code, kept or not.
        meta: each code's severity and message (for the summary of occurrences not kept).
        once: each ``once`` key raised, with the position, code and count of its issue.
        once_keys: each kept issue's ``once`` key (``None`` for an issue without one).
    """

    issues: list[IngestIssue]
    positions: list[int]
    totals: dict[str, int]
    meta: dict[str, tuple[Severity, str]]
    once: dict[Hashable, tuple[int, str, int]]
    once_keys: list[Hashable | None]


@dataclass(frozen=True, slots=True)
class ExhibitFacts:
    """What the case store knows about the exhibit that a parser may need.

    Attributes:
        exhibit_id: identifier stamped on every row.
        reference: the exhibit reference (``JB/1``), for messages.
        target_number: the number in the communications data authorisation (E.164), if any.
        authorised_from: start of the authorised window (UTC), if any.
        authorised_to: end of the authorised window (UTC), if any.
    """

    exhibit_id: str
    reference: str
    target_number: str | None = None
    authorised_from: datetime | None = None
    authorised_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Choices the user made for this ingest.

    Attributes:
        profile: a named mapping profile (tabular parsers).
        mapping: a user-written mapping file (tabular parsers).
        time_basis: overrides the profile's declared time basis.
    """

    profile: str | None = None
    mapping: Path | None = None
    time_basis: str | None = None


@dataclass
class ParseContext:
    """Collects a parser's output for one exhibit.

    Attributes:
        exhibit: facts about the exhibit.
        parser_ref: ``name@version`` of the parser, stamped on every row.
        options: the user's choices.
        sink: where canonical batches go.
        on_progress: called with (rows done, total rows if known) as the parser goes.
        limits: what a container exhibit (ZIP, UFDR, TAR) may expand to (the force's settings).
        workers: how many processes a parser may use to read this exhibit (the force's
            ``THREADLINE_INGEST_WORKERS``); parsers that cannot share their work ignore it (see
            :mod:`threadline.ingest.shares`).
        position: the place, in reading order, of the record being read (a unit number set by
            a parser that shares its work): it orders the issues of several processes as one
            reading in a single process would have raised them.
        quiet_before_units: drop issues raised before the first unit (``position`` 0): set in
            a helper process, whose reading of the exhibit's preamble repeats the first one's.
    """

    exhibit: ExhibitFacts
    parser_ref: str
    options: IngestOptions
    sink: BatchSink
    on_progress: Callable[[int, int | None], None] | None = None
    limits: ContainerLimits = field(default_factory=ContainerLimits)
    workers: int = 1
    position: int = 0
    quiet_before_units: bool = False
    row_counts: dict[str, int] = field(default_factory=dict)
    issues: list[IngestIssue] = field(default_factory=list)
    _issue_totals: dict[str, int] = field(default_factory=dict)
    _issues_kept: dict[str, int] = field(default_factory=dict)
    _occurrences_kept: dict[str, int] = field(default_factory=dict)
    _issue_meta: dict[str, tuple[Severity, str]] = field(default_factory=dict)
    detected: dict[str, str] = field(default_factory=dict)
    _positions: list[int] = field(default_factory=list)
    _once: dict[Hashable, tuple[int, str, int]] = field(default_factory=dict)
    _once_keys: list[Hashable | None] = field(default_factory=list)
    _abandoned: BaseException | None = None
    # issues may be reported from the reader's prefetch thread as well as the parser's own
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def emit(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        """Send rows of a canonical table (a table or a record batch) to the sink.

        Raises:
            KeyError: ``table`` is not a canonical table.
            ValueError: the batch's columns are not the table's, in order.
        """
        expected = canonical_table(table).column_names
        if tuple(batch.schema.names) != expected:
            raise ValueError(
                f"batch for {table} has columns {batch.schema.names}, expected {list(expected)}"
            )
        if batch.num_rows == 0:
            return
        self.sink.write(table, batch)
        self.row_counts[table] = self.row_counts.get(table, 0) + batch.num_rows

    def issue(
        self,
        severity: Severity,
        code: str,
        message: str,
        *,
        locator: str | None = None,
        value: str | None = None,
        count: int = 1,
        once: Hashable | None = None,
    ) -> None:
        """Record an issue; past :data:`ISSUES_KEPT_PER_CODE` of a code only the total grows.

        ``once`` is a key for an issue raised once per reading whatever recurs (an invalid
        number, said once however often it is read): a second issue with the same key is
        dropped here, and when processes share a reading, in :meth:`absorb`.
        """
        if self.quiet_before_units and self.position == 0:
            return
        with self._lock:
            if once is not None:
                if once in self._once:
                    return
                self._once[once] = (self.position, code, count)
            self._record(severity, code, message, locator, value, count, once)

    def _record(
        self,
        severity: Severity,
        code: str,
        message: str,
        locator: str | None,
        value: str | None,
        count: int,
        once: Hashable | None = None,
    ) -> None:
        kept = self._issues_kept.get(code, 0)
        if kept < ISSUES_KEPT_PER_CODE:
            self.issues.append(IngestIssue(severity, code, message, locator, value, count))
            self._positions.append(self.position)
            self._once_keys.append(once)
            self._issues_kept[code] = kept + 1
            self._occurrences_kept[code] = self._occurrences_kept.get(code, 0) + count
        self._count(severity, code, message, count)

    def tally(self, severity: Severity, code: str, message: str, count: int) -> None:
        """Count occurrences of an issue (without keeping them individually)."""
        if self.quiet_before_units and self.position == 0:
            return
        with self._lock:
            self._count(severity, code, message, count)

    def _count(self, severity: Severity, code: str, message: str, count: int) -> None:
        self._issue_totals[code] = self._issue_totals.get(code, 0) + count
        self._issue_meta.setdefault(code, (severity, message))

    def issue_state(self) -> IssueState:
        """The issues raised so far, as a helper process hands them back (see :meth:`absorb`)."""
        with self._lock:
            return IssueState(
                list(self.issues),
                list(self._positions),
                dict(self._issue_totals),
                dict(self._issue_meta),
                dict(self._once),
                list(self._once_keys),
            )

    def absorb(self, other: IssueState) -> None:
        """Merge the issues another process raised reading its share of the same exhibit.

        Kept issues are ordered by ``position`` (each process raises its own in reading
        order), so the merged list is the one a single process would have kept: the first
        :data:`ISSUES_KEPT_PER_CODE` of each code in reading order, the rest counted. An issue
        with a ``once`` key raised by both processes is kept where it was first raised, and
        counted once, kept or not.
        """
        with self._lock:
            totals = dict(self._issue_totals)
            for code, total in other.totals.items():
                totals[code] = totals.get(code, 0) + total
            for code, meta in other.meta.items():
                self._issue_meta.setdefault(code, meta)
            dropped: tuple[set[Hashable], set[Hashable]] = (set(), set())
            for key, (position, code, count) in other.once.items():
                mine = self._once.get(key)
                if mine is None:
                    self._once[key] = (position, code, count)
                elif position < mine[0]:
                    dropped[0].add(key)
                    totals[mine[1]] -= mine[2]
                    self._once[key] = (position, code, count)
                else:
                    dropped[1].add(key)
                    totals[code] -= count
            ours = zip(self._positions, self._once_keys, self.issues, strict=True)
            theirs = zip(other.positions, other.once_keys, other.issues, strict=True)
            merged = sorted(
                [
                    *((p, 0, n, k, i) for n, (p, k, i) in enumerate(ours)),
                    *((p, 1, n, k, i) for n, (p, k, i) in enumerate(theirs)),
                ],
                key=lambda entry: (entry[0], entry[1], entry[2]),
            )
            self.issues, self._positions, self._once_keys = [], [], []
            self._issues_kept, self._occurrences_kept = {}, {}
            for position, source, _n, key, issue in merged:
                if key is not None and key in dropped[source]:
                    continue
                kept = self._issues_kept.get(issue.code, 0)
                if kept < ISSUES_KEPT_PER_CODE:
                    self.issues.append(issue)
                    self._positions.append(position)
                    self._once_keys.append(key)
                    self._issues_kept[issue.code] = kept + 1
                    self._occurrences_kept[issue.code] = (
                        self._occurrences_kept.get(issue.code, 0) + issue.count
                    )
            self._issue_totals = totals

    def abandon(self, reason: BaseException) -> None:
        """Ask the reading to stop: another process reading the same exhibit failed with
        ``reason`` (called from a watcher thread)."""
        self._abandoned = reason

    def check_abandoned(self) -> None:
        """Raise the reason the reading was abandoned for, if it was (a parser sharing its work
        calls this between records, so another process's failure stops it early)."""
        if self._abandoned is not None:
            raise self._abandoned

    def all_issues(self) -> list[IngestIssue]:
        """The issues kept, plus one summary per code with occurrences beyond those kept."""
        summaries = []
        for code, total in sorted(self._issue_totals.items()):
            rest = total - self._occurrences_kept.get(code, 0)
            if rest > 0:
                severity, message = self._issue_meta[code]
                summaries.append(
                    IngestIssue(
                        severity,
                        code,
                        f"{rest} more occurrence(s) not listed individually ({total} in all): "
                        f"{message}",
                        count=rest,
                    )
                )
        return [*self.issues, *summaries]

    def progress(self, rows: int, total: int | None = None) -> None:
        """Report progress to whoever is watching."""
        if self.on_progress is not None:
            self.on_progress(rows, total)
