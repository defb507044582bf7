"""Running analyses on a case and keeping their findings (design.md §3, "Identity and
provenance").

An analysis (:mod:`threadline.analysis`) is a pure function of the case's evidence; this service
gives it the evidence, then stores what it found:

1. the parameters are validated by the analysis's own model and put in canonical form;
2. the case's evidence is the files of every complete ingest run; their hashes make the
   *evidence key*. A run of the same ``method@version`` with the same parameters over the same
   evidence key has already been done and is returned as it stands (``force`` runs it again);
3. the analysis runs outside any case-store transaction (it may read millions of rows);
4. its findings are written in one transaction with the run (``analysis_runs``, ``findings`` and
   each finding's subjects, so that an entity's findings are found by its identifier), the
   previous complete run of the same question (analysis name and parameters) is marked
   superseded, its findings kept as history, and the run is logged as a **combination** of
   data (DPA 2018 s62; requirement 12) with the number of findings and rows they cite.

The analysts' judgements in force (:mod:`threadline.services.judgements`) are handed to the
analysis with the evidence and are part of the evidence key: a new or reversed judgement makes
the next run a new one.

A failed run is recorded as failed with its error; nothing of it is current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from threadline.analysis.contract import Analysis, AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.registry import AnalysisRegistry
from threadline.errors import ConfigError, NotFound, StoreError
from threadline.model.audit import AuditOperation
from threadline.model.finding import Finding, LinkCitation, canonical_parameters, rows_cited
from threadline.model.ids import make_id
from threadline.model.judgement import Judgement
from threadline.model.phone import normalise_phone
from threadline.services.cases import find_case
from threadline.services.exhibits import CommsData
from threadline.services.judgements import judgements_in_force
from threadline.services.query import evidence_files
from threadline.services.workspace import Workspace
from threadline.store.tables import (
    AnalysisRunRow,
    CaseRow,
    EvidenceFileRow,
    ExhibitRow,
    FindingRow,
    FindingSubjectRow,
    IngestRunRow,
    stored_instant,
    text_for_store,
)

__all__ = [
    "AnalysisOutcome",
    "StoredFinding",
    "analysis_info",
    "available_analyses",
    "case_findings",
    "parameters_from_pairs",
    "run_analysis",
    "stored_finding",
]


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as the case store holds it, with the run it came from."""

    finding_id: str
    run_id: str
    method: str
    rank: int
    kind: str
    subjects: list[str]
    score: float | None
    explanation: str
    derived_from: list[str]
    detail: dict[str, Any]
    basis: str
    first_utc: datetime | None
    last_utc: datetime | None
    derived_links: LinkCitation | None = None

    @property
    def rows_cited(self) -> int:
        """How many rows it rests on, listed or named by its links."""
        return rows_cited(self.derived_from, self.derived_links)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (instants as ISO 8601 text)."""
        data = asdict(self)
        for key in ("first_utc", "last_utc"):
            moment = data[key]
            data[key] = moment.isoformat() if moment is not None else None
        data["derived_links"] = None if self.derived_links is None else self.derived_links.to_dict()
        data["rows_cited"] = self.rows_cited
        return data


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    """What a run of an analysis did."""

    run_id: str
    method: str
    parameters: dict[str, Any]
    status: str
    already_done: bool
    findings: list[StoredFinding]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "run_id": self.run_id,
            "method": self.method,
            "parameters": self.parameters,
            "status": self.status,
            "already_done": self.already_done,
            "findings": [f.to_dict() for f in self.findings],
        }


def available_analyses() -> list[AnalysisInfo]:
    """Every registered analysis, by name."""
    return [a.info for a in AnalysisRegistry.from_entry_points().analyses]


def analysis_info(name: str) -> AnalysisInfo:
    """The analysis called ``name`` (``-`` read as ``_``).

    Raises:
        NotFound: no such analysis; the message lists the available ones.
    """
    return AnalysisRegistry.from_entry_points().get(name).info


def parameters_from_pairs(info: AnalysisInfo, pairs: list[str]) -> dict[str, Any]:
    """``name=value`` texts (the CLI's ``--param``) as a parameter mapping: a list parameter
    takes comma-separated values; pydantic converts the rest.

    Raises:
        ConfigError: a pair has no ``=`` or names no parameter of the analysis.
    """
    fields = info.parameters.model_fields
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise ConfigError(f"--param {pair!r}: write name=value")
        field = fields.get(name)
        if field is None:
            known = ", ".join(sorted(fields)) or "none"
            raise ConfigError(f"{info.name} has no parameter {name!r} (it has: {known})")
        origin = getattr(field.annotation, "__origin__", None)
        out[name] = [v.strip() for v in value.split(",") if v.strip()] if origin is list else value
    return out


def _validated(info: AnalysisInfo, parameters: Mapping[str, Any]) -> Parameters:
    try:
        return info.parameters.model_validate(dict(parameters))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"{info.name}: {problems}") from exc


def run_analysis(
    ws: Workspace,
    case_reference: str,
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    force: bool = False,
) -> AnalysisOutcome:
    """Run the analysis ``name`` on the case (see the module docstring for the sequence).

    Raises:
        NotFound: no such case or analysis.
        ConfigError: the parameters are not valid for the analysis (each problem named).
        StoreError: the evidence could not be read.
    """
    analysis = AnalysisRegistry.from_entry_points().get(name)
    info = analysis.info
    chosen = _validated(info, parameters or {})
    canonical = canonical_parameters(chosen.model_dump(mode="json"))
    with ws.session() as session:
        case = find_case(session, case_reference)
        case_id = case.id
        files = evidence_files(session, case)
        judgements = judgements_in_force(session, case)
        # the judgements in force are part of what a run reads: a new one makes a new run
        key = _evidence_key(session, case, tuple(j.judgement_id for j in judgements))
        exhibits, targets = _exhibits_and_targets(session, case)
        question = make_id("question", case_id, info.name, canonical)
        done = session.execute(
            select(AnalysisRunRow).where(
                AnalysisRunRow.question == question,
                AnalysisRunRow.method == info.ref,
                AnalysisRunRow.evidence_key == key,
                AnalysisRunRow.status == "complete",
            )
        ).scalar_one_or_none()
        if done is not None and not force:
            return _outcome(session, done, already_done=True)
        run_id = make_id("analysis", question, info.ref, key, ws.clock().isoformat())
        session.add(
            AnalysisRunRow(
                id=run_id,
                case_id=case_id,
                method=info.ref,
                parameters=chosen.model_dump(mode="json"),
                question=question,
                evidence_key=key,
                status="running",
                started_at=ws.clock(),
                started_by=ws.user,
            )
        )
    try:
        findings = _run(ws, analysis, chosen, files, exhibits, targets, judgements)
    except BaseException as exc:
        with ws.session() as session:
            session.execute(
                update(AnalysisRunRow)
                .where(AnalysisRunRow.id == run_id)
                .values(
                    status="failed",
                    finished_at=ws.clock(),
                    error=text_for_store(str(exc) or repr(exc)),
                )
            )
        raise
    with ws.session() as session:
        run = _complete(ws, session, run_id, case_id, question, info.ref, canonical, findings)
        return _outcome(session, run, already_done=False)


def _run(
    ws: Workspace,
    analysis: Analysis,
    parameters: Parameters,
    files: dict[str, list[str]],
    exhibits: dict[str, str],
    targets: tuple[str, ...],
    judgements: tuple[Judgement, ...],
) -> list[Finding]:
    con = ws.evidence.connect(files)
    try:
        evidence = Evidence(con.con, exhibits, targets, judgements, con.derived)
        return list(analysis.run(evidence, parameters))
    finally:
        con.close()


def _complete(
    ws: Workspace,
    session: Session,
    run_id: str,
    case_id: str,
    question: str,
    method: str,
    canonical: str,
    findings: list[Finding],
) -> AnalysisRunRow:
    run = session.get(AnalysisRunRow, run_id)
    if run is None:  # pragma: no cover - the row was committed before the analysis ran
        raise StoreError(f"analysis run {run_id} vanished from the case store")
    session.execute(
        update(AnalysisRunRow)
        .where(AnalysisRunRow.question == question, AnalysisRunRow.status == "complete")
        .values(status="superseded")
    )
    cited: set[str] = set()
    named_by_links = 0
    for rank, finding in enumerate(findings, start=1):
        row = FindingRow(
            run_id=run_id,
            finding_id=finding.identity(method, canonical),
            rank=rank,
            kind=finding.kind,
            subjects=list(finding.subjects),
            score=finding.score,
            explanation=text_for_store(finding.explanation) or "",
            derived_from=list(finding.derived_from),
            detail=dict(finding.detail),
            basis=finding.basis.value,
            first_utc=finding.first_utc,
            last_utc=finding.last_utc,
            derived_links=(
                None if finding.derived_links is None else finding.derived_links.to_dict()
            ),
        )
        session.add(row)
        session.flush()
        session.add_all(
            FindingSubjectRow(finding=row.id, position=n, subject=subject[:128])
            for n, subject in enumerate(finding.subjects)
        )
        cited.update(finding.derived_from)
        if finding.derived_links is not None:
            named_by_links += finding.derived_links.rows
    run.status = "complete"
    run.finished_at = ws.clock()
    run.findings = len(findings)
    ws.audit(
        session,
        AuditOperation.COMBINATION,
        "analysis.run",
        case_id=case_id,
        object_type="analysis_run",
        object_id=run_id,
        # rows named by links are counted per finding: a row may be behind two of them
        detail={
            "method": method,
            "findings": len(findings),
            "rows_cited": len(cited) + named_by_links,
        },
    )
    return run


def _outcome(session: Session, run: AnalysisRunRow, *, already_done: bool) -> AnalysisOutcome:
    rows = session.execute(
        select(FindingRow).where(FindingRow.run_id == run.id).order_by(FindingRow.rank)
    ).scalars()
    return AnalysisOutcome(
        run.id,
        run.method,
        dict(run.parameters),
        run.status,
        already_done,
        [_stored(row, run.method) for row in rows],
    )


def _stored(row: FindingRow, method: str) -> StoredFinding:
    return StoredFinding(
        row.finding_id,
        row.run_id,
        method,
        row.rank,
        row.kind,
        list(row.subjects),
        row.score,
        row.explanation,
        list(row.derived_from),
        dict(row.detail),
        row.basis,
        stored_instant(row.first_utc),
        stored_instant(row.last_utc),
        None if row.derived_links is None else LinkCitation.from_dict(row.derived_links),
    )


def case_findings(
    ws: Workspace,
    case_reference: str,
    *,
    subject: str | None = None,
    method: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    timed: bool = False,
    limit: int = 200,
) -> list[StoredFinding]:
    """The case's current findings (of complete, not superseded runs), best first within each
    run; only those about ``subject`` (an identifier as findings hold it, e.g. E.164), of
    analysis ``method`` (a name), or whose events overlap ``start``..``end`` when given;
    ``timed`` keeps only findings with times, earliest first (for the timeline).

    Raises:
        NotFound: no such case.
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        query = (
            select(FindingRow, AnalysisRunRow.method)
            .join(AnalysisRunRow, AnalysisRunRow.id == FindingRow.run_id)
            .where(AnalysisRunRow.case_id == case.id, AnalysisRunRow.status == "complete")
        )
        if subject is not None:
            query = query.where(
                FindingRow.id.in_(
                    select(FindingSubjectRow.finding).where(FindingSubjectRow.subject == subject)
                )
            )
        if method is not None:
            wanted = method.strip().replace("-", "_")
            query = query.where(AnalysisRunRow.method.like(f"{wanted}@%"))
        if timed or start is not None or end is not None:
            query = query.where(FindingRow.first_utc.is_not(None))
        if start is not None:
            query = query.where(FindingRow.last_utc >= start)
        if end is not None:
            query = query.where(FindingRow.first_utc < end)
        order = (
            (FindingRow.first_utc, FindingRow.id)
            if timed
            else (AnalysisRunRow.method, FindingRow.rank)
        )
        query = query.order_by(*order).limit(limit)
        return [_stored(row, run_method) for row, run_method in session.execute(query).all()]


def stored_finding(
    ws: Workspace, case_reference: str, finding_id: str, run_id: str | None = None
) -> StoredFinding:
    """One finding of the case: of the run ``run_id`` (current or superseded), or else of the
    current run that found it.

    Raises:
        NotFound: no such case, or no such finding in it.
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        query = (
            select(FindingRow, AnalysisRunRow.method)
            .join(AnalysisRunRow, AnalysisRunRow.id == FindingRow.run_id)
            .where(AnalysisRunRow.case_id == case.id, FindingRow.finding_id == finding_id)
        )
        if run_id is None:
            query = query.where(AnalysisRunRow.status == "complete")
        else:
            query = query.where(
                AnalysisRunRow.id == run_id, AnalysisRunRow.status.in_(("complete", "superseded"))
            )
        found = session.execute(query.order_by(FindingRow.id.desc()).limit(1)).first()
        if found is None:
            raise NotFound(f"no such finding in case {case.reference}")
        row, method = found
        return _stored(row, method)


def _evidence_key(session: Session, case: CaseRow, judgements: tuple[str, ...]) -> str:
    """The hash of the case's evidence files (complete runs) and the judgements in force: what
    a run read."""
    hashes = session.execute(
        select(EvidenceFileRow.sha256)
        .join(IngestRunRow, IngestRunRow.id == EvidenceFileRow.run_id)
        .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
        .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
    ).scalars()
    digest = hashlib.sha256()
    for value in sorted(hashes):
        digest.update(value.encode("ascii"))
    for judgement_id in sorted(judgements):
        digest.update(f"judgement:{judgement_id}".encode("ascii"))
    return digest.hexdigest()


def _exhibits_and_targets(
    session: Session, case: CaseRow
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Exhibit id -> reference, and the target numbers the case's returns were acquired for."""
    exhibits: dict[str, str] = {}
    targets: set[str] = set()
    for exhibit_id, reference, comms in session.execute(
        select(ExhibitRow.id, ExhibitRow.reference, ExhibitRow.comms_data).where(
            ExhibitRow.case_id == case.id
        )
    ).all():
        exhibits[str(exhibit_id)] = str(reference)
        data = CommsData.from_json(comms)
        if data is not None and data.target_number:
            e164 = normalise_phone(data.target_number).e164
            if e164 is not None:
                targets.add(e164)
    return exhibits, tuple(sorted(targets))
