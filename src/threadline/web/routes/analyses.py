"""Analyses of a case: the list, running one with its parameters, and its current findings;
pages and their API twins (docs/analysis.md).

Reading findings needs evidence access (they cite evidence rows); running an analysis is a
combination of the case's data (DPA 2018 s62) open to the investigative roles
(:attr:`~threadline.model.access.Action.ANALYSIS_RUN`). A run is done in the request: the
analyses are quick at a case's scale, and a run over unchanged evidence and parameters is not
repeated (the service returns it as it stands).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from threadline.analysis.contract import AnalysisInfo
from threadline.model.access import Action
from threadline.services import analyse, finding_rows, judgements
from threadline.web.deps import CaseContext, case_access
from threadline.web.render import page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["analyses"])

Reader = Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]
Runner = Annotated[CaseContext, Depends(case_access(Action.ANALYSIS_RUN))]


def _parameters(info: AnalysisInfo) -> list[dict[str, Any]]:
    """Each parameter with its description and default, for a form."""
    out = []
    for name, field in info.parameters.model_fields.items():
        default = field.get_default(call_default_factory=True)
        out.append(
            {
                "name": name,
                "description": field.description or "",
                "default": ", ".join(default) if isinstance(default, list) else default,
                "list": getattr(field.annotation, "__origin__", None) is list,
            }
        )
    return out


@router.get("/cases/{case_id}/analyses")
def analyses_page(request: Request, ctx: Reader) -> Response:
    """The analyses, with each one's current findings count and a form to run it."""
    findings = analyse.case_findings(ctx.ws, ctx.case.reference, limit=100_000)
    counts: dict[str, int] = {}
    for finding in findings:
        name = finding.method.split("@")[0]
        counts[name] = counts.get(name, 0) + 1
    infos = [
        {"info": info, "parameters": _parameters(info), "findings": counts.get(info.name, 0)}
        for info in analyse.available_analyses()
    ]
    judged = judgements.list_judgements(ctx.ws, ctx.case.reference, include_reversed=True)
    return page(
        request,
        "analyses.html",
        {**ctx.page_context("analyses"), "analyses": infos, "judgements": judged},
    )


@router.post("/cases/{case_id}/judgements")
async def judgement_record(request: Request, ctx: Runner) -> Response:
    """Record a judgement on two subjects from a finding's form; back to where it was made."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    judgements.record_judgement(
        ctx.ws,
        ctx.case.reference,
        values.get("first", ""),
        values.get("second", ""),
        values.get("verdict", ""),
        values.get("reason", ""),
    )
    back = values.get("back", "")
    target = back if back.startswith(f"/cases/{ctx.case.case_id}/") else _analyses(ctx)
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/judgements/{judgement_id}/reverse")
async def judgement_reverse(request: Request, judgement_id: str, ctx: Runner) -> Response:
    """Reverse a judgement (it stays on record)."""
    form = await request.form()
    reason = form.get("reason")
    judgements.reverse_judgement(
        ctx.ws, ctx.case.reference, judgement_id, reason if isinstance(reason, str) else ""
    )
    return RedirectResponse(_analyses(ctx), status_code=303)


def _analyses(ctx: CaseContext) -> str:
    return f"/cases/{ctx.case.case_id}/analyses#judgements"


@router.post("/cases/{case_id}/analyses/{name}")
async def analysis_run(request: Request, name: str, ctx: Runner) -> Response:
    """Run an analysis with the parameters filled in (empty fields keep their defaults)."""
    info = analyse.analysis_info(name)
    form = await request.form()
    pairs = [
        f"{key}={value}"
        for key, value in form.items()
        if key in info.parameters.model_fields and isinstance(value, str) and value.strip()
    ]
    parameters = analyse.parameters_from_pairs(info, pairs)
    force = form.get("force") == "on"
    analyse.run_analysis(ctx.ws, ctx.case.reference, info.name, parameters, force=force)
    return RedirectResponse(f"/cases/{ctx.case.case_id}/analyses/{info.name}", status_code=303)


@router.get("/cases/{case_id}/analyses/{name}")
def analysis_page(request: Request, name: str, ctx: Reader) -> Response:
    """An analysis's current findings, best first, each with its rows."""
    info = analyse.analysis_info(name)
    findings = analyse.case_findings(ctx.ws, ctx.case.reference, method=info.name, limit=1000)
    return page(
        request,
        "analysis.html",
        {
            **ctx.page_context(info.title),
            "info": info,
            "parameters": _parameters(info),
            "findings": findings,
        },
    )


#: A finding's id as an address carries it.
FindingId = Annotated[str, Path(pattern="^[0-9a-f]{32}$")]
RunId = Annotated[str | None, Query(pattern="^[0-9a-f]{32}$")]
#: Rows on a page of a finding's rows.
PAGE_ROWS = 100


@router.get("/cases/{case_id}/findings/{finding_id}")
def finding_page(
    request: Request,
    finding_id: FindingId,
    ctx: Reader,
    run: RunId = None,
    offset: Annotated[int, Query(ge=0, le=finding_rows.MAX_OFFSET)] = 0,
) -> Response:
    """One finding with the rows it rests on, a page at a time (requirement 20)."""
    rows = finding_rows.finding_rows(
        ctx.ws, ctx.case.reference, finding_id, run_id=run, offset=offset, limit=PAGE_ROWS
    )
    return page(
        request,
        "finding.html",
        {**ctx.page_context("finding"), "rows": rows, "limit": PAGE_ROWS},
    )


class RunRequest(BaseModel):
    """Parameters of a run (as the analysis's own model takes them) and whether to repeat it."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    force: bool = False


@api.get("/cases/{case_id}/analyses")
def api_analyses(ctx: Reader) -> JSONResponse:
    """The analyses available, with their parameters."""
    return JSONResponse(
        [
            {
                "name": info.name,
                "version": info.version,
                "title": info.title,
                "summary": info.summary,
                "parameters": info.parameters.model_json_schema(),
            }
            for info in analyse.available_analyses()
        ]
    )


@api.post("/cases/{case_id}/analyses/{name}")
def api_run(name: str, body: RunRequest, ctx: Runner) -> JSONResponse:
    """Run an analysis (logged as a combination); its run and findings."""
    outcome = analyse.run_analysis(
        ctx.ws,
        ctx.case.reference,
        analyse.analysis_info(name).name,
        body.parameters,
        force=body.force,
    )
    return JSONResponse(outcome.to_dict())


@api.get("/cases/{case_id}/findings")
def api_findings(
    ctx: Reader,
    subject: str | None = None,
    method: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> JSONResponse:
    """The case's current findings, about one subject or of one analysis if asked."""
    found = analyse.case_findings(
        ctx.ws, ctx.case.reference, subject=subject, method=method, limit=limit
    )
    return JSONResponse([f.to_dict() for f in found])


@api.get("/cases/{case_id}/findings/{finding_id}/rows")
def api_finding_rows(
    finding_id: FindingId,
    ctx: Reader,
    run: RunId = None,
    offset: Annotated[int, Query(ge=0, le=finding_rows.MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=finding_rows.MAX_PAGE)] = PAGE_ROWS,
    justification: Annotated[str | None, Query(max_length=2000)] = None,
) -> JSONResponse:
    """A page of the rows behind one finding (logged as a consultation of each)."""
    rows = finding_rows.finding_rows(
        ctx.ws,
        ctx.case.reference,
        finding_id,
        run_id=run,
        offset=offset,
        limit=limit,
        justification=justification,
    )
    return JSONResponse(rows.to_dict())


class JudgementRequest(BaseModel):
    """A judgement on two subjects (``kind:key``, or a bare number)."""

    first: str
    second: str
    verdict: str = Field(description="same, not_same or unsure")
    reason: str


class ReversalRequest(BaseModel):
    """Why a judgement is reversed."""

    reason: str


@api.get("/cases/{case_id}/judgements")
def api_judgements(ctx: Reader, include_reversed: bool = False) -> JSONResponse:
    """The case's judgements, newest first."""
    found = judgements.list_judgements(
        ctx.ws, ctx.case.reference, include_reversed=include_reversed
    )
    return JSONResponse([j.to_dict() for j in found])


@api.post("/cases/{case_id}/judgements", status_code=201)
def api_judge(body: JudgementRequest, ctx: Runner) -> JSONResponse:
    """Record a judgement (an audited alteration)."""
    view = judgements.record_judgement(
        ctx.ws, ctx.case.reference, body.first, body.second, body.verdict, body.reason
    )
    return JSONResponse(view.to_dict(), status_code=201)


@api.post("/cases/{case_id}/judgements/{judgement_id}/reverse")
def api_reverse(judgement_id: str, body: ReversalRequest, ctx: Runner) -> JSONResponse:
    """Reverse a judgement (an audited alteration; it stays on record)."""
    view = judgements.reverse_judgement(ctx.ws, ctx.case.reference, judgement_id, body.reason)
    return JSONResponse(view.to_dict())
