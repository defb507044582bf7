"""Exhibits: register (upload or a server path), see hash, continuity and issues, start ingest
and follow its progress.

Pages and their API twins share the services; the API routes live in :mod:`.api`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from threadline.errors import NotFound
from threadline.model.access import Action
from threadline.services import cases, exhibits, phone, query
from threadline.services.ingest_progress import ExhibitProgress, exhibit_progress
from threadline.web.deps import CaseContext, case_access
from threadline.web.jobs import IngestJobs
from threadline.web.render import page

router = APIRouter(include_in_schema=False)


def exhibit_reference(ctx: CaseContext, exhibit_id: str) -> str:
    """The reference of the case's exhibit with this id.

    Raises:
        NotFound: the case has no such exhibit.
    """
    with ctx.ws.session() as session:
        refs = query.exhibit_references(session, cases.find_case(session, ctx.case.reference))
    if exhibit_id not in refs:
        raise NotFound("this case has no such exhibit")
    return refs[exhibit_id]


def live_progress(request: Request, ctx: CaseContext) -> list[ExhibitProgress]:
    """Each exhibit's ingest state, with jobs this server started but whose run has not yet
    been recorded shown as starting, and jobs that died before recording one as failed."""
    jobs: IngestJobs = request.app.state.jobs
    out = []
    for item in exhibit_progress(ctx.ws, ctx.case.reference):
        job = jobs.get(item.exhibit_id)
        if job is not None and item.status != "running":
            started_after = item.started_at is None or (
                job.started_at is not None and job.started_at > item.started_at
            )
            if started_after and job.running():
                item = replace(item, status="starting")
            elif started_after and (failure := job.failure()) is not None:
                item = replace(item, status="failed", error=failure)
        out.append(item)
    return out


@router.get("/cases/{case_id}/exhibits/new")
async def new_exhibit(
    request: Request, ctx: Annotated[CaseContext, Depends(case_access(Action.EXHIBIT_WRITE))]
) -> Response:
    """The form to upload a file (or name one on the server) and register it."""
    return page(
        request,
        "exhibit_new.html",
        {
            "title": f"{ctx.case.reference} — add an exhibit",
            "case": ctx.case,
            "marking": ctx.case.marking,
            "import_enabled": request.app.state.settings.import_folder is not None,
            "max_upload": request.app.state.settings.max_upload_bytes,
        },
    )


@router.get("/cases/{case_id}/exhibits/{exhibit_id}")
async def exhibit_page(
    request: Request,
    exhibit_id: str,
    ctx: Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))],
) -> Response:
    """One exhibit: hash, continuity, communications-data authorisation, ingest and issues."""
    reference = exhibit_reference(ctx, exhibit_id)
    info = exhibits.show_exhibit(ctx.ws, ctx.case.reference, reference)
    progress = next(p for p in live_progress(request, ctx) if p.exhibit_id == exhibit_id)
    found = query.list_issues(ctx.ws, ctx.case.reference, reference)
    # which tables the ingest wrote is read from the case store: no evidence is consulted here
    phone_download = progress.status == "complete" and phone.is_phone_download(
        ctx.ws, ctx.case.reference, reference
    )
    return page(
        request,
        "exhibit.html",
        {
            "title": f"{ctx.case.reference} — exhibit {reference}",
            "case": ctx.case,
            "marking": info.marking,
            "exhibit": info,
            "progress": progress,
            "issues": found,
            "can": ctx.can,
            "phone_download": phone_download,
        },
    )


@router.post("/cases/{case_id}/exhibits/{exhibit_id}/ingest")
async def exhibit_ingest(
    request: Request,
    exhibit_id: str,
    ctx: Annotated[CaseContext, Depends(case_access(Action.EXHIBIT_WRITE))],
) -> Response:
    """Start ingesting the exhibit in the background and return to its page."""
    start_ingest(request, ctx, exhibit_id)
    return RedirectResponse(f"/cases/{ctx.case.case_id}/exhibits/{exhibit_id}", status_code=303)


def start_ingest(request: Request, ctx: CaseContext, exhibit_id: str) -> str:
    """Start an ingest job for the exhibit as the signed-in user; returns its reference."""
    reference = exhibit_reference(ctx, exhibit_id)
    jobs: IngestJobs = request.app.state.jobs
    jobs.start(ctx.case.reference, exhibit_id, reference, ctx.user.username)
    return reference
