"""Reading one large exhibit in several processes, each writing its share of the records.

A multi-gigabyte extraction report is read in one pass, record by record, and most of the time
goes on turning each record into canonical rows (Python), not on parsing it (libxml2). Python
runs one thread at a time per process, so on a machine with several cores the records are
shared out instead: every process parses the whole exhibit (cheap) but maps only its share of
the records (dear), and writes them to Parquet files of its own in the run's folder, which the
run commits together (design.md "Storage": a table of a run may be several files).

Records are shared by **units**, the parser's own counting of its top-level records in reading
order (1, 2, 3...): units are dealt in chunks of :attr:`Share.chunk` round the processes, so a
report's kinds of record (contacts first, messages last) spread evenly. Process 0 is the one the
ingest service called; it starts the others (``spawn``: safe beside the threads of a web
server), reads its own share, then waits for theirs and merges what they raised
(:meth:`~threadline.ingest.context.ParseContext.absorb`), so that the rows, their identifiers
and the issues are those of a reading in one process (tested on every Cellebrite fixture):
only the rows' order across files differs. A parser that shares its work must keep any state
that crosses records (a message seen twice) identical in every process, by reading the other
processes' units lightly rather than skipping them.

If any process fails, the others are stopped and the ingest fails as a whole (nothing of it is
visible, as for any failed run). The number of processes is the force's
``THREADLINE_INGEST_WORKERS`` (:attr:`~threadline.ingest.context.ParseContext.workers`); each
holds its own memory, so it is a trade of memory for time.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, Generic, Protocol, TypeVar, runtime_checkable

from threadline.errors import IngestError
from threadline.ingest.containers import ContainerLimits
from threadline.ingest.context import (
    BatchSink,
    ExhibitFacts,
    IngestOptions,
    IssueState,
    ParseContext,
)

__all__ = ["WHOLE", "Share", "ShareableSink", "read_in_shares"]

#: How often (seconds) the first process looks whether a helper has died without a word.
_POLL_SECONDS: Final = 0.5

Extra = TypeVar("Extra")


@runtime_checkable
class ShareableSink(BatchSink, Protocol):
    """A sink whose share can be written by another process (the evidence store's writer)."""

    def share(self, index: int) -> ShareableSink:
        """A picklable sink writing share ``index``'s files into the same run."""
        ...

    def close_share(self) -> dict[str, int]:
        """Finish a share's files (in the helper process); returns rows per table."""
        ...

    def adopt(self, index: int, rows: dict[str, int]) -> None:
        """Count share ``index``'s finished files in the run (in the first process)."""
        ...


@dataclass(frozen=True, slots=True)
class Share:
    """Which units a process maps.

    Attributes:
        index: this process's number, 0 for the one the ingest service called.
        count: how many processes share the exhibit.
        chunk: units dealt to a process at a time.
    """

    index: int = 0
    count: int = 1
    chunk: int = 64

    def owns(self, unit: int) -> bool:
        """Whether unit number ``unit`` (from 1) is this process's to map."""
        return ((unit - 1) // self.chunk) % self.count == self.index


#: The share of a reading in one process.
WHOLE: Final = Share()


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a helper's parse context is made from (the first process's, less its sink, progress
    callback and lock, which do not cross processes)."""

    exhibit: ExhibitFacts
    parser_ref: str
    options: IngestOptions
    limits: ContainerLimits

    @classmethod
    def of(cls, ctx: ParseContext) -> _Facts:
        return cls(ctx.exhibit, ctx.parser_ref, ctx.options, ctx.limits)


@dataclass(frozen=True, slots=True)
class _Outcome(Generic[Extra]):
    """What a helper process hands back: its issues, counts, findings and parser extras."""

    issues: IssueState
    row_counts: dict[str, int]
    detected: dict[str, str]
    files: dict[str, int]
    extra: Extra


#: A parser's reading of one share: ``(path, ctx, share) -> extra``; a module-level function
#: (a helper process imports it by name).
ShareReader = Callable[[Path, ParseContext, Share], Extra]


def read_in_shares(
    read: ShareReader[Extra],
    path: Path,
    ctx: ParseContext,
    *,
    workers: int | None = None,
    chunk: int = 64,
) -> list[Extra]:
    """Read ``path`` with ``read`` in ``workers`` processes (``ctx.workers`` unless given);
    returns each share's extra (process 0's first), with every helper's issues and row counts
    merged into ``ctx``.

    With one worker, or a sink that cannot be shared, ``read`` runs here alone.

    Raises:
        IngestError: a helper stopped without a result; or whatever ``read`` raised in any
            process (the first process's error first).
    """
    count = max(1, ctx.workers if workers is None else workers)
    # a daemonic process (a pool's worker) may not start processes of its own
    daemonic = multiprocessing.current_process().daemon
    if count == 1 or daemonic or not isinstance(ctx.sink, ShareableSink):
        return [read(path, ctx, Share(0, 1, chunk))]
    sink = ctx.sink
    spawn = multiprocessing.get_context("spawn")
    helpers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    try:
        for index in range(1, count):
            receive, send = spawn.Pipe(duplex=False)
            process = spawn.Process(
                target=_helper,
                args=(
                    send,
                    read,
                    path,
                    _Facts.of(ctx),
                    sink.share(index),
                    Share(index, count, chunk),
                ),
                name=f"threadline-share-{index}",
                daemon=True,
            )
            process.start()
            send.close()
            helpers.append((process, receive))
        extras = [read(path, ctx, Share(0, count, chunk))]
        outcomes = [_wait(index, *helper) for index, helper in enumerate(helpers, start=1)]
    finally:
        for helper, receive in helpers:
            if helper.is_alive():
                helper.terminate()
            helper.join()
            receive.close()
    for index, outcome in enumerate(outcomes, start=1):
        ctx.absorb(outcome.issues)
        for table, rows in outcome.row_counts.items():
            ctx.row_counts[table] = ctx.row_counts.get(table, 0) + rows
        for key, value in outcome.detected.items():
            ctx.detected.setdefault(key, value)
        sink.adopt(index, outcome.files)
        extras.append(outcome.extra)
    return extras


def _wait(
    index: int, process: multiprocessing.process.BaseProcess, receive: Connection
) -> _Outcome[Any]:
    """The outcome helper ``index`` sends, or its error raised here."""
    while not receive.poll(_POLL_SECONDS):
        if not process.is_alive():
            break
    try:
        status, payload = receive.recv()
    except EOFError:  # it ended without a word: killed, or out of memory
        process.join()
        raise IngestError(
            f"reading process {index} stopped without a result (exit code "
            f"{process.exitcode}); the machine may be short of memory: lower "
            "THREADLINE_INGEST_WORKERS"
        ) from None
    if status == "error":
        error, trace = payload
        if isinstance(error, BaseException):
            raise error
        raise IngestError(f"reading process {index} failed: {error}\n{trace}")
    outcome: _Outcome[Any] = payload
    return outcome


def _helper(
    send: Connection,
    read: ShareReader[Any],
    path: Path,
    facts: _Facts,
    sink: ShareableSink,
    share: Share,
) -> None:
    """A helper process: read one share into its own files, send back what it found."""
    ctx = ParseContext(
        exhibit=facts.exhibit,
        parser_ref=facts.parser_ref,
        options=facts.options,
        sink=sink,
        limits=facts.limits,
        workers=share.count,
        quiet_before_units=True,
    )
    try:
        extra = read(path, ctx, share)
        files = sink.close_share()
        send.send(("ok", _Outcome(ctx.issue_state(), ctx.row_counts, ctx.detected, files, extra)))
    except BaseException as exc:  # every failure goes back to the first process, which raises
        try:
            send.send(("error", (exc, traceback.format_exc())))
        except Exception:  # the error itself cannot be pickled: its text can
            send.send(("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc())))
    finally:
        send.close()
