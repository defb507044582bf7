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
visible, as for any failed run): a watcher thread in the first process hears a helper's failure
as it happens and the first process stops at its next record; a helper ends by itself if the
first process dies. The number of processes is the force's
``THREADLINE_INGEST_WORKERS`` (:attr:`~threadline.ingest.context.ParseContext.workers`); each
holds its own memory, so it is a trade of memory for time.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
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
    watch: _Watch | None = None
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
        watch = _Watch(ctx, helpers)
        watch.start()
        extras = [read(path, ctx, Share(0, count, chunk))]
        outcomes = watch.outcomes()
    finally:
        for helper, _receive in helpers:
            if helper.is_alive():
                helper.terminate()
            helper.join()
        if watch is not None:
            watch.join()
        for _helper_process, receive in helpers:
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


class _RemoteTraceback(Exception):
    """A helper's traceback, attached as the cause of the error it raised."""

    def __init__(self, trace: str) -> None:
        super().__init__(trace)
        self.trace = trace

    def __str__(self) -> str:
        return f"\n(in the reading process)\n{self.trace}"


class _Watch:
    """Receives each helper's word as it comes, on a thread of the first process: a helper
    that fails (or dies) abandons the first process's reading at once (its parser checks
    between records), rather than after the first process has read its whole share."""

    def __init__(
        self,
        ctx: ParseContext,
        helpers: list[tuple[multiprocessing.process.BaseProcess, Connection]],
    ) -> None:
        self._ctx = ctx
        self._helpers = helpers
        self._results: dict[int, _Outcome[Any] | BaseException] = {}
        self._thread = threading.Thread(target=self._run, name="threadline-share-watch")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _run(self) -> None:
        pending = {receive: index for index, (_p, receive) in enumerate(self._helpers, start=1)}
        while pending:
            for ready in wait(list(pending)):
                receive = ready if isinstance(ready, Connection) else None
                if receive is None:  # pragma: no cover - only connections are waited on
                    continue
                index = pending.pop(receive)
                result = self._receive(index, receive)
                self._results[index] = result
                if isinstance(result, BaseException):
                    self._ctx.abandon(result)

    def _receive(self, index: int, receive: Connection) -> _Outcome[Any] | BaseException:
        process = self._helpers[index - 1][0]
        try:
            status, payload = receive.recv()
        except (EOFError, OSError):  # it ended without a word: killed, or out of memory
            process.join(timeout=5)
            return IngestError(
                f"reading process {index} stopped without a result (exit code "
                f"{process.exitcode}); the machine may be short of memory: lower "
                "THREADLINE_INGEST_WORKERS"
            )
        if status == "ok":
            outcome: _Outcome[Any] = payload
            return outcome
        sent, trace = payload
        error: BaseException = (
            sent
            if isinstance(sent, BaseException)
            else IngestError(f"reading process {index} failed: {sent}")
        )
        error.__cause__ = _RemoteTraceback(str(trace))
        return error

    def outcomes(self) -> list[_Outcome[Any]]:
        """Every helper's outcome, in order, once all have reported; a failure raised."""
        self.join()
        out: list[_Outcome[Any]] = []
        for index in range(1, len(self._helpers) + 1):
            result = self._results[index]
            if isinstance(result, BaseException):
                raise result
            out.append(result)
        return out


def _exit_with_parent() -> None:
    """In a helper: end at once if the first process ends (killed, or stopped by a signal
    that skips its clean-up), rather than go on writing into a run nobody will commit."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os._exit(1)


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
    threading.Thread(target=_exit_with_parent, name="threadline-parent-watch", daemon=True).start()
    try:
        extra = read(path, ctx, share)
        files = sink.close_share()
        send.send(("ok", _Outcome(ctx.issue_state(), ctx.row_counts, ctx.detected, files, extra)))
    except BaseException as exc:  # every failure goes back to the first process, which raises
        trace = traceback.format_exc()
        try:
            # an error that pickles but cannot be rebuilt would arrive as a different one
            pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, made on the line
            send.send(("error", (exc, trace)))
        except Exception:  # its text can always go
            send.send(("error", (f"{type(exc).__name__}: {exc}", trace)))
    finally:
        send.close()
