"""Ingest: run a parser over an exhibit and write its rows to the evidence store atomically.

The sequence makes an ingest all-or-nothing and repeatable (design.md "Storage"):

1. the exhibit's preserved copy is re-hashed; a changed exhibit is refused (requirement 16);
2. the parser is chosen (named, or the most confident one) and the run's *fingerprint* is
   computed from the exhibit hash, parser version and options; a complete run with the same
   fingerprint means the work is already done, and nothing is written again (idempotence);
3. a run row is committed as ``running``; runs left ``running`` by a killed process are marked
   ``interrupted`` and their folders swept;
4. the parser writes Parquet into a partial folder; on any error the folder is discarded and
   the run marked ``failed`` with the message;
5. the folder is renamed into place, then one transaction records the files (with hashes), the
   issues, the run as ``complete``, earlier runs as ``superseded``, the continuity entry and the
   audit entry. Queries only see complete runs, so a crash between 5's two steps leaves nothing
   visible, and the next ingest redoes the work.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, StoreError, ThreadlineError
from threadline.ingest.containers import ContainerLimits
from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.contract import Confidence, Parser
from threadline.ingest.issue import IngestIssue, Severity
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.services.cases import find_case
from threadline.services.exhibits import CommsData, find_exhibit, require_intact
from threadline.services.ingest_progress import ProgressRecorder, estimate_rows
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings
from threadline.store.evidence_store import WrittenFile, sha256_file
from threadline.store.tables import (
    ContinuityRow,
    EvidenceFileRow,
    IngestIssueRow,
    IngestRunRow,
    stored_instant,
    text_for_store,
)

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an ingest did."""

    run_id: str
    exhibit: str
    parser: str
    status: str
    already_done: bool
    row_counts: dict[str, int]
    issues: int
    occurrences: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def choose_parser(
    ws: Workspace, kind: str, reference: str, path_name: str, parser: str | None, path: Path
) -> Parser:
    """The named parser, or the single most confident one for the file.

    Raises:
        NotFound: the named parser does not exist.
        ConfigError: no parser reads the file, or two are equally sure.
    """
    if parser is not None:
        return ws.registry.get(parser)
    ranked = ws.registry.detect(path)
    if not ranked and kind != "file":
        raise ConfigError(
            f"exhibit {reference} is a folder that no parser recognises: name the parser with "
            "--parser"
        )
    if not ranked:
        names = ", ".join(p.info.name for p in ws.registry.parsers)
        raise ConfigError(f"{path_name}: no parser recognises this file (parsers: {names})")
    best = ranked[0][1]
    top = [p for p, c in ranked if c == best]
    if len(top) > 1 and best < Confidence.CERTAIN:
        names = ", ".join(p.info.name for p in top)
        raise ConfigError(f"{path_name}: several parsers might read this file ({names}); name one")
    return top[0]


def ingest_exhibit(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    *,
    parser: str | None = None,
    options: IngestOptions | None = None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
) -> IngestResult:
    """Ingest one exhibit (see the module docstring for the sequence and its guarantees).

    Raises:
        Conflict: another process is ingesting the same exhibit right now.
    """
    options = options or IngestOptions()
    if options.mapping is not None and not options.mapping.is_file():
        raise ConfigError(f"{options.mapping}: no such mapping file (or it is a folder)")
    with ws.session() as session:
        case = find_case(session, case_reference)
        row = find_exhibit(session, case, exhibit_reference)
        case_id, exhibit_id = case.id, row.id
    # one ingest of an exhibit at a time: a second would sweep the first one's files
    with ws.evidence.exhibit_lock(case_id, exhibit_id, exhibit_reference):
        return _ingest_locked(
            ws, case_reference, exhibit_reference, parser, options, force, on_progress
        )


def _ingest_locked(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    parser: str | None,
    options: IngestOptions,
    force: bool,
    on_progress: ProgressCallback | None,
) -> IngestResult:
    path = require_intact(ws, case_reference, exhibit_reference)
    with ws.session() as session:
        case = find_case(session, case_reference)
        row = find_exhibit(session, case, exhibit_reference)
        case_id, exhibit_id, reference, sha = case.id, row.id, row.reference, row.sha256
        kind, original_name = row.kind, row.original_name
        comms = CommsData.from_json(row.comms_data)
    # detection reads the file: outside any case-store transaction
    chosen = choose_parser(ws, kind, reference, original_name, parser, path)
    try:
        mapping_hash = sha256_file(options.mapping) if options.mapping is not None else None
    except OSError as exc:
        raise ConfigError(f"{options.mapping}: cannot read the mapping file: {exc}") from exc
    parameters = {
        "profile": options.profile,
        "mapping_sha256": mapping_hash,
        "time_basis": options.time_basis,
    }
    fingerprint = make_id("ingest", sha, chosen.info.ref, json.dumps(parameters, sort_keys=True))
    with ws.session() as session:
        done = session.execute(
            select(IngestRunRow).where(
                IngestRunRow.exhibit_id == exhibit_id,
                IngestRunRow.fingerprint == fingerprint,
                IngestRunRow.status == "complete",
            )
        ).scalar_one_or_none()
        if done is not None and not force:
            return _result(session, done, reference, already_done=True)
        stale = session.execute(
            select(IngestRunRow).where(
                IngestRunRow.exhibit_id == exhibit_id, IngestRunRow.status == "running"
            )
        ).scalars()
        for run in stale:
            run.status = "interrupted"
            run.finished_at = ws.clock()
            run.error = "the ingest stopped before completing; nothing of it is visible"
        current = set(
            session.execute(
                select(IngestRunRow.id).where(
                    IngestRunRow.exhibit_id == exhibit_id, IngestRunRow.status == "complete"
                )
            ).scalars()
        )
        run_id = make_id("run", exhibit_id, fingerprint, ws.clock().isoformat())
        session.add(
            IngestRunRow(
                id=run_id,
                exhibit_id=exhibit_id,
                parser=chosen.info.ref,
                parameters=parameters,
                fingerprint=fingerprint,
                status="running",
                started_at=ws.clock(),
                started_by=ws.user,
            )
        )
    ws.evidence.sweep(case_id, exhibit_id, keep=current)
    writer = ws.evidence.writer(case_id, exhibit_id, run_id)
    ctx = ParseContext(
        exhibit=ExhibitFacts(
            exhibit_id=exhibit_id,
            reference=reference,
            target_number=comms.target_number if comms else None,
            authorised_from=stored_instant(comms.authorised_from) if comms else None,
            authorised_to=stored_instant(comms.authorised_to) if comms else None,
        ),
        parser_ref=chosen.info.ref,
        options=options,
        sink=writer,
        limits=ContainerLimits(
            max_total_bytes=ws.settings.container_max_bytes,
            max_member_bytes=ws.settings.container_max_bytes,
            max_ratio=ws.settings.container_max_ratio,
        ),
        # the cores this process may use (affinity, a container's limit), not the machine's
        workers=min(ws.settings.ingest_workers, len(os.sched_getaffinity(0)) or 1),
        # written to the run row as it goes, so the web page can follow it from another process
        on_progress=ProgressRecorder(ws, run_id, _expected_rows(chosen, path), on_progress),
    )
    if chosen.info.communications_data and (comms is None or not comms.authorisation):
        ctx.issue(
            Severity.WARNING,
            "comms.unrecorded",
            "no communications data authorisation is recorded for this exhibit (provider, "
            "target number, authorisation reference, window): record them with 'exhibit add' "
            "options before analysis (requirements 21, 37)",
        )
    try:
        chosen.parse(path, ctx)
        files = writer.commit()
        issues = ctx.all_issues()
        with ws.session() as session:
            run = _complete(
                ws,
                session,
                run_id,
                exhibit_id,
                case_id,
                chosen.info.ref,
                parameters,
                ctx,
                files,
                issues,
                superseded=current,
            )
            result = _result(session, run, reference, already_done=False)
    except BaseException as exc:
        # nothing of a failed run may stay visible: its folder goes, the run says why
        writer.abort()
        ws.evidence.discard(case_id, exhibit_id, run_id)
        with ws.session() as session:
            session.execute(
                update(IngestRunRow)
                .where(IngestRunRow.id == run_id)
                .values(
                    status="failed",
                    finished_at=ws.clock(),
                    error=text_for_store(str(exc) or repr(exc)),
                )
            )
        raise
    ws.evidence.sweep(case_id, exhibit_id, keep={run_id})
    if current:
        with ws.session() as session:
            ws.audit(
                session,
                AuditOperation.ERASURE,
                "evidence.erase",
                case_id=case_id,
                object_type="exhibit",
                object_id=exhibit_id,
                detail={"runs": sorted(current), "reason": "superseded by run " + run_id},
            )
    return result


def _expected_rows(parser: Parser, path: Path) -> int | None:
    """About how many rows a tabular exhibit holds (its line count), for the progress bar.

    Only for line-per-record formats: counting the lines of a multi-gigabyte extraction report
    would read it twice and say nothing about its records.
    """
    return estimate_rows(path) if "csv" in parser.info.formats else None


def _complete(
    ws: Workspace,
    session: Session,
    run_id: str,
    exhibit_id: str,
    case_id: str,
    parser_ref: str,
    parameters: dict[str, Any],
    ctx: ParseContext,
    files: list[WrittenFile],
    issues: list[IngestIssue],
    *,
    superseded: set[str],
) -> IngestRunRow:
    """Record a finished run in one transaction: files, issues, continuity, audit."""
    run = session.get(IngestRunRow, run_id)
    if run is None:  # pragma: no cover - the row was committed before parsing
        raise StoreError(f"ingest run {run_id} vanished from the case store")
    session.execute(
        update(IngestRunRow)
        .where(IngestRunRow.exhibit_id == exhibit_id, IngestRunRow.status == "complete")
        .values(status="superseded")
    )
    run.status = "complete"
    run.finished_at = ws.clock()
    run.row_counts = dict(ctx.row_counts)
    run.rows_done = ctx.row_counts.get("source_rows", sum(ctx.row_counts.values()))
    run.progress_at = run.finished_at
    run.parameters = {**parameters, **ctx.detected}
    session.add_all(
        EvidenceFileRow(
            run_id=run_id, table_name=f.table, path=f.path, sha256=f.sha256, rows=f.rows
        )
        for f in files
    )
    session.add_all(_issue_row(run_id, issue) for issue in issues)
    counts = ", ".join(f"{n} {t}" for t, n in sorted(ctx.row_counts.items()))
    session.add(
        ContinuityRow(
            exhibit_id=exhibit_id,
            at=ws.clock(),
            actor=ws.user,
            action="ingested",
            detail=f"read by {parser_ref} ({counts or 'no rows'}; {len(issues)} issues)",
        )
    )
    if superseded:
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "ingest.supersede",
            case_id=case_id,
            object_type="exhibit",
            object_id=exhibit_id,
            detail={"superseded": sorted(superseded), "by": run_id},
        )
    ws.audit(
        session,
        AuditOperation.COLLECTION,
        "exhibit.ingest",
        case_id=case_id,
        object_type="exhibit",
        object_id=exhibit_id,
        detail={"run": run_id, "parser": parser_ref, "rows": dict(ctx.row_counts)},
    )
    session.flush()
    return run


def _issue_row(run_id: str, issue: IngestIssue) -> IngestIssueRow:
    return IngestIssueRow(
        run_id=run_id,
        severity=issue.severity.value,
        code=issue.code,
        message=text_for_store(issue.message) or "",
        locator=text_for_store(issue.locator),
        value=text_for_store(issue.value),
        count=issue.count,
    )


def _result(session: Any, run: IngestRunRow, reference: str, *, already_done: bool) -> IngestResult:
    counts = session.execute(
        select(func.count(), func.coalesce(func.sum(IngestIssueRow.count), 0)).where(
            IngestIssueRow.run_id == run.id
        )
    ).one()
    return IngestResult(
        run_id=run.id,
        exhibit=reference,
        parser=run.parser,
        status=run.status,
        already_done=already_done,
        row_counts={k: int(v) for k, v in (run.row_counts or {}).items()},
        issues=int(counts[0]),
        occurrences=int(counts[1]),
        parameters=dict(run.parameters),
    )


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """One exhibit's outcome in a bulk ingest: its result, or the error that stopped it."""

    exhibit: str
    result: IngestResult | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "exhibit": self.exhibit,
            "result": self.result.to_dict() if self.result else None,
            "error": self.error,
        }


def _worker_loop(
    settings: Settings,
    case_reference: str,
    parser: str | None,
    options: dict[str, IngestOptions],
    force: bool,
    todo: queue.Queue[str],
    done: queue.Queue[BatchOutcome],
) -> None:
    """Take exhibit references from ``todo`` until it is empty, ingesting each with one
    workspace per worker process, and put every outcome on ``done``."""
    ws = open_workspace(settings)
    try:
        while True:
            try:
                ref = todo.get_nowait()
            except queue.Empty:
                return
            try:
                result = ingest_exhibit(
                    ws,
                    case_reference,
                    ref,
                    parser=parser,
                    options=options.get(ref, IngestOptions()),
                    force=force,
                )
                done.put(BatchOutcome(ref, result, None))
            except Exception as exc:  # reported per exhibit; the batch goes on
                done.put(BatchOutcome(ref, None, str(exc) or type(exc).__name__))
    finally:
        ws.close()


def ingest_many(
    ws: Workspace,
    case_reference: str,
    exhibit_references: list[str],
    *,
    jobs: int = 1,
    parser: str | None = None,
    options: dict[str, IngestOptions] | None = None,
    force: bool = False,
    on_done: Callable[[BatchOutcome], None] | None = None,
) -> list[BatchOutcome]:
    """Ingest several exhibits, ``jobs`` at a time in separate processes.

    Each exhibit is ingested exactly as :func:`ingest_exhibit` would, atomically; one that fails
    is reported with its error and does not stop the others. Results come back in the order the
    exhibits were given.
    """
    options = options or {}
    if jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    # references are case-insensitive: JB/1 and jb/1 are one exhibit, ingested once
    unique: dict[str, str] = {}
    for ref in exhibit_references:
        unique.setdefault(ref.strip().upper(), ref)
    exhibit_references = list(unique.values())
    outcomes: dict[str, BatchOutcome] = {}
    if jobs == 1:
        for ref in exhibit_references:
            try:
                result = ingest_exhibit(
                    ws,
                    case_reference,
                    ref,
                    parser=parser,
                    options=options.get(ref, IngestOptions()),
                    force=force,
                )
                outcome = BatchOutcome(ref, result, None)
            except ThreadlineError as exc:
                outcome = BatchOutcome(ref, None, str(exc))
            outcomes[ref] = outcome
            if on_done is not None:
                on_done(outcome)
        return [outcomes[ref] for ref in exhibit_references]
    # spawn, not fork: DuckDB and SQLAlchemy hold threads and connections a fork would copy.
    # Workers pull exhibits from a shared queue, so a large return does not hold up the rest.
    context = multiprocessing.get_context("spawn")
    # the batch already keeps the cores busy: one process per exhibit, not several
    settings = ws.settings.model_copy(update={"ingest_workers": 1})
    with context.Manager() as manager, ProcessPoolExecutor(jobs, mp_context=context) as pool:
        todo = manager.Queue()
        done = manager.Queue()
        for ref in exhibit_references:
            todo.put(ref)
        workers = [
            pool.submit(_worker_loop, settings, case_reference, parser, options, force, todo, done)
            for _ in range(min(jobs, len(exhibit_references)))
        ]
        while len(outcomes) < len(exhibit_references):
            try:
                outcome = done.get(timeout=1)
            except queue.Empty:
                for worker in workers:
                    if worker.done() and worker.exception() is not None:
                        stopped = worker.exception()
                        raise StoreError(f"an ingest worker stopped: {stopped}") from stopped
                continue
            outcomes[outcome.exhibit] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[ref] for ref in exhibit_references]
