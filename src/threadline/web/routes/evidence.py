"""Search, opening a record, entity profiles and the timeline: pages and their API twins.

Search is a POST (page and API alike) because what is searched for is usually a phone number or
a name: personal data stays out of addresses, browser history and server logs. Entities are
named in addresses by their id, a hash (design.md "Identity and provenance"). Every search,
opened record, profile and timeline page is logged as a consultation by the services
(requirement 15).

The handlers are plain functions, so the server runs them on its worker threads: a long query
(a busy number's profile) does not hold up other requests to the same worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from threadline.model.access import Action
from threadline.model.entity_keys import EVENT_TIMES
from threadline.model.time_basis import uk_instant
from threadline.services import analyse, exhibits, records, search
from threadline.services.entities import entity_profile
from threadline.services.timeline import timeline
from threadline.web.deps import CaseContext, case_access
from threadline.web.render import page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])

Json = dict[str, Any]
Reader = Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]


def plain_json(data: Json) -> JSONResponse:
    """Answer with data that is already plain JSON (the services' ``to_dict``), skipping
    FastAPI's field-by-field re-encoding, which costs more than the query for a busy entity."""
    return JSONResponse(data)


# --- search -------------------------------------------------------------------------------


@router.get("/cases/{case_id}/search")
def search_form(request: Request, ctx: Reader) -> Response:
    """The search form."""
    return page(request, "search.html", {**ctx.page_context("search"), "results": None, "q": ""})


@router.post("/cases/{case_id}/search")
def search_page(
    request: Request,
    ctx: Reader,
    q: Annotated[str, Form(max_length=500)],
    table: Annotated[str, Form(max_length=40)] = "",
    offset: Annotated[int, Form(ge=0)] = 0,
    order: Annotated[str, Form(pattern="^(newest|oldest)$")] = "newest",
    justification: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Search results, grouped by type; each hit opens its source row."""
    results = search.search_case(
        ctx.ws,
        ctx.case.reference,
        q,
        table=table or None,
        offset=offset,
        newest_first=order == "newest",
        justification=justification or None,
    )
    return page(
        request,
        "search.html",
        {
            **ctx.page_context("search"),
            "results": results,
            "q": q,
            "order": order,
            "justification": justification,
        },
    )


class SearchRequest(BaseModel):
    """A search of one case."""

    q: str = Field(max_length=500, description="Numbers in any written form, IMEIs, names...")
    table: str | None = Field(default=None, max_length=40)
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=500)
    newest_first: bool = True
    justification: str | None = Field(default=None, max_length=2000)


@api.post("/cases/{case_id}/search")
def api_search(body: SearchRequest, ctx: Reader) -> JSONResponse:
    """Search the case (logged as a consultation of every row returned)."""
    results = search.search_case(
        ctx.ws,
        ctx.case.reference,
        body.q,
        table=body.table,
        offset=body.offset,
        limit=body.limit,
        newest_first=body.newest_first,
        justification=body.justification,
    )
    return plain_json(results.to_dict())


# --- records ------------------------------------------------------------------------------


@router.get("/cases/{case_id}/records/{row_id}")
def record_page(request: Request, row_id: str, ctx: Reader) -> Response:
    """One evidence row in full, with its exhibit, locator and the source record as read."""
    view = records.open_record(ctx.ws, ctx.case.reference, row_id)
    return page(request, "record.html", {**ctx.page_context("record"), "record": view})


@api.get("/cases/{case_id}/records/{row_id}")
def api_record(row_id: str, ctx: Reader) -> JSONResponse:
    """One evidence row (logged as a consultation)."""
    return plain_json(records.open_record(ctx.ws, ctx.case.reference, row_id).to_dict())


# --- entities -----------------------------------------------------------------------------


def _profile(ctx: CaseContext, entity_id: str, offset: int, limit: int) -> Any:
    match = search.describe_entity(ctx.ws, ctx.case.reference, entity_id)
    return entity_profile(
        ctx.ws,
        ctx.case.reference,
        match.kind,
        match.key,
        events_limit=limit,
        events_offset=offset,
    )


@router.get("/cases/{case_id}/entities/{entity_id}")
def entity_page(
    request: Request,
    entity_id: str,
    ctx: Reader,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Everything known about one number, handset, SIM, vehicle or name across exhibits."""
    profile = _profile(ctx, entity_id, offset, 100)
    findings = analyse.case_findings(ctx.ws, ctx.case.reference, subject=profile.key)
    return page(
        request,
        "entity.html",
        {**ctx.page_context(profile.label), "profile": profile, "findings": findings},
    )


@api.get("/cases/{case_id}/entities/{entity_id}")
def api_entity(
    entity_id: str,
    ctx: Reader,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """An entity profile with the findings about it (logged as a consultation)."""
    profile = _profile(ctx, entity_id, offset, limit)
    findings = analyse.case_findings(ctx.ws, ctx.case.reference, subject=profile.key)
    return plain_json({**profile.to_dict(), "findings": [f.to_dict() for f in findings]})


# --- timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineQuery:
    """The timeline's filters as the page and the API take them from the address (no personal
    data: an entity is named by its id, dates are dates)."""

    types: list[str] | None
    exhibits: list[str] | None
    entity: str | None
    start: str | None
    end: str | None
    after: str | None


def timeline_query(
    type: Annotated[list[str] | None, Query(max_length=10)] = None,
    exhibit: Annotated[list[str] | None, Query(max_length=200)] = None,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    after: Annotated[str | None, Query(max_length=300)] = None,
) -> TimelineQuery:
    """Read the timeline's filters from the query string."""
    return TimelineQuery(type, exhibit, entity, start, end, after)


Filters = Annotated[TimelineQuery, Depends(timeline_query)]


def _timeline(ctx: CaseContext, query: TimelineQuery, limit: int) -> Any:
    chosen = None
    if query.entity:
        match = search.describe_entity(ctx.ws, ctx.case.reference, query.entity)
        chosen = (match.kind, match.key)
    begin: datetime | None = uk_instant(query.start, "from") if query.start else None
    finish: datetime | None = uk_instant(query.end, "to", end_of_day=True) if query.end else None
    return timeline(
        ctx.ws,
        ctx.case.reference,
        tables=query.types or None,
        exhibits=query.exhibits or None,
        entity=chosen,
        start=begin,
        end=finish,
        limit=limit,
        after=query.after or None,
    )


@router.get("/cases/{case_id}/timeline")
def timeline_page(request: Request, ctx: Reader, query: Filters) -> Response:
    """The case's events in time order, filtered; times in UTC and UK local (GMT/BST)."""
    result = _timeline(ctx, query, 200)
    refs = [e.reference for e in exhibits.list_exhibits(ctx.ws, ctx.case.reference)]
    findings = _timeline_findings(ctx, result.filters)
    return page(
        request,
        "timeline.html",
        {
            **ctx.page_context("timeline"),
            "timeline": result,
            "types": list(EVENT_TIMES),
            "exhibit_refs": refs,
            "chosen_types": query.types or [],
            "chosen_exhibits": query.exhibits or [],
            "entity": query.entity or "",
            "start": query.start or "",
            "end": query.end or "",
            "query_params": request.query_params,
            "findings": findings,
        },
    )


def _timeline_findings(ctx: CaseContext, filters: Any) -> list[analyse.StoredFinding]:
    """The findings whose events fall in the timeline's period (about its entity, if one)."""
    return analyse.case_findings(
        ctx.ws,
        ctx.case.reference,
        subject=filters.entity_key,
        start=filters.start,
        end=filters.end,
        timed=True,
        limit=50,
    )


@api.get("/cases/{case_id}/timeline")
def api_timeline(
    ctx: Reader, query: Filters, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> JSONResponse:
    """A page of the timeline (with the findings of its period); pass ``next_cursor`` back as
    ``after`` for the next."""
    result = _timeline(ctx, query, limit)
    findings = _timeline_findings(ctx, result.filters)
    return plain_json({**result.to_dict(), "findings": [f.to_dict() for f in findings]})
