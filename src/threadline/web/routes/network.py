"""The network view: the case's link chart (page) and its data (API).

The page is a shell: its own script (``/static/network.js``; no inline script, no library,
nothing from a CDN) fetches the chart from ``/api/cases/{id}/network`` and draws it, and opens a
link's rows from ``/api/cases/{id}/network/edges/{source}/{target}``. Nodes are addressed by
their entity id (a hash), so no number enters an address or a log; the window is two instants
and the kinds are words. Reading the chart is reading evidence (``Reader``); both answers are
logged as consultations by :mod:`threadline.services.network` (requirement 15).

Every link drawn is evidenced and drawn solid (requirements 7, 30, 31: intelligence links are
not held yet); the missing-data caveat is shown with the chart (requirement 56).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from threadline.analysis.network_wording import missing_data_caveat
from threadline.model.access import Action
from threadline.services import network
from threadline.services.entities import natural_key, read_case_evidence
from threadline.web.deps import CaseContext, case_access
from threadline.web.render import page

__all__ = ["api", "router"]

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["network"])

Reader = Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]

#: An entity id as an address carries it.
_ENTITY_ID = "^[0-9a-f]{32}$"

Since = Annotated[datetime | None, Query(description="Links from this instant (ISO 8601; UTC)")]
Until = Annotated[datetime | None, Query(description="Links before this instant (ISO 8601; UTC)")]
Kinds = Annotated[
    list[str] | None,
    Query(
        alias="kind",
        max_length=10,
        description="Node kinds to draw: number, handset (both if none given)",
    ),
]
Justification = Annotated[str | None, Query(max_length=2000)]


def _utc(value: datetime | None) -> datetime | None:
    """An instant from the address; one written without a zone is read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("/cases/{case_id}/network")
def network_page(request: Request, ctx: Reader) -> Response:
    """The link chart's page: filters, the drawing area and the caveat (the script fills in
    the chart and replaces the caveat with the one naming the exhibits the chart drew on)."""
    with ctx.ws.session() as session:
        evidence = read_case_evidence(session, ctx.case.reference)
    references = sorted(evidence.exhibits.values(), key=natural_key)
    context: dict[str, Any] = {
        **ctx.page_context("network"),
        "caveat": missing_data_caveat(references) if references else "",
        "kinds": network.DEFAULT_KINDS,
        "max_nodes": network.MAX_NODES,
    }
    return page(request, "network.html", context)


@api.get("/cases/{case_id}/network")
def api_network(
    ctx: Reader,
    since: Since = None,
    until: Until = None,
    kinds: Kinds = None,
    top: Annotated[int, Query(ge=1, le=100)] = 5,
    justification: Justification = None,
) -> JSONResponse:
    """The chart for a window: nodes (entity id, kind, label, degree, community, ranks) and
    links (pair, kind, weight, first and last time, rows behind it); logged as a consultation."""
    chart = network.case_network(
        ctx.ws,
        ctx.case.reference,
        since=_utc(since),
        until=_utc(until),
        kinds=kinds or network.DEFAULT_KINDS,
        top=top,
        justification=justification,
    )
    return JSONResponse(chart.to_dict())


@api.get("/cases/{case_id}/network/edges/{source}/{target}")
def api_network_edge(
    ctx: Reader,
    source: Annotated[str, Path(pattern=_ENTITY_ID)],
    target: Annotated[str, Path(pattern=_ENTITY_ID)],
    since: Since = None,
    until: Until = None,
    kinds: Kinds = None,
    limit: Annotated[int, Query(ge=1, le=network.MAX_LINK_ROWS)] = 200,
    justification: Justification = None,
) -> JSONResponse:
    """The rows behind the links between two nodes in the chart's window (each with its
    exhibit and locator, opening at ``/cases/{id}/records/{row_id}``); logged as a
    consultation of every row returned."""
    found = network.link_evidence(
        ctx.ws,
        ctx.case.reference,
        source,
        target,
        since=_utc(since),
        until=_utc(until),
        kinds=kinds or network.DEFAULT_KINDS,
        limit=limit,
        justification=justification,
    )
    return JSONResponse({"links": [e.to_dict() for e in found]})
