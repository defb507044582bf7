"""The case map: cell sites and ANPR cameras with the chosen numbers' and VRMs' rows on them,
drawn over an offline basemap (docs/map.md).

The numbers and VRMs a map is drawn for are personal data, so they are posted (page and API
alike), never put in an address. The page carries its map data in a JSON data block that
``/static/map.js`` draws (no inline script: the Content Security Policy forbids it), and lists
the same markers in tables, so the page reads without the script. The basemap comes from
``/api/basemap``: outlines decoded once per process from the configured TopoJSON
(:attr:`~threadline.settings.Settings.basemap_path`) and kept on the application's state.

Every map prints the standard cell-site caveats and says that markers are mast and camera
positions, not where any phone, vehicle or person was; no coverage area is drawn (requirements
25 and 27). Drawing a map is a consultation of the rows it lists (requirement 15).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from threadline.analysis.cell_wording import caveats
from threadline.model.access import Action
from threadline.model.time_basis import uk_instant
from threadline.services import map as case_maps
from threadline.settings import Settings
from threadline.web.deps import CaseContext, UserContext, case_access, signed_in
from threadline.web.render import page

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["map"])

Reader = Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]

#: Numbers and VRMs in a form are separated by commas, semicolons or new lines.
_SEPARATORS = re.compile(r"[,;\n\r]+")


def basemap_cache(request: Request) -> case_maps.BasemapCache:
    """The application's basemap cache, made on first use and kept on ``app.state``."""
    cache = getattr(request.app.state, "basemap_cache", None)
    if not isinstance(cache, case_maps.BasemapCache):
        cache = case_maps.BasemapCache()
        request.app.state.basemap_cache = cache
    return cache


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def _period(start: str, end: str) -> tuple[datetime | None, datetime | None]:
    """UK local dates (or date-times) from the form as UTC instants; the end date inclusive."""
    since = uk_instant(start, "from") if start.strip() else None
    until = uk_instant(end, "to", end_of_day=True) if end.strip() else None
    return since, until


def _context(
    ctx: CaseContext,
    drawn: case_maps.CaseMap | None,
    form: dict[str, str],
) -> dict[str, Any]:
    return {
        **ctx.page_context("map"),
        "map": drawn,
        "map_data": drawn.to_dict() if drawn is not None else None,
        "form": form,
        "statement": case_maps.MAP_STATEMENT,
        "caveats": list(drawn.caveats) if drawn is not None else caveats(False),
        "row_cap": case_maps.ROW_CAP,
    }


@router.get("/cases/{case_id}/map")
def map_page(request: Request, ctx: Reader) -> Response:
    """The map of the case's masts and cameras (no numbers or VRMs chosen yet), with the form to
    choose them; under a force policy requiring justification, the form alone."""
    drawn = None
    if not ctx.ws.settings.justification_required:
        drawn = case_maps.case_map(ctx.ws, ctx.case.reference)
    return page(request, "map.html", _context(ctx, drawn, {}))


@router.post("/cases/{case_id}/map")
def map_drawn(
    request: Request,
    ctx: Reader,
    numbers: Annotated[str, Form(max_length=4000)] = "",
    vrms: Annotated[str, Form(max_length=4000)] = "",
    start: Annotated[str, Form(alias="from", max_length=40)] = "",
    end: Annotated[str, Form(alias="to", max_length=40)] = "",
    justification: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The map for the numbers, VRMs and dates chosen in the form."""
    since, until = _period(start, end)
    drawn = case_maps.case_map(
        ctx.ws,
        ctx.case.reference,
        numbers=_split(numbers),
        vrms=_split(vrms),
        since=since,
        until=until,
        justification=justification or None,
    )
    form = {
        "numbers": numbers,
        "vrms": vrms,
        "from": start,
        "to": end,
        "justification": justification,
    }
    return page(request, "map.html", _context(ctx, drawn, form))


class MapRequest(BaseModel):
    """What a map is drawn for: numbers and VRMs in any written form, and a period (UTC)."""

    numbers: list[str] = Field(default_factory=list, max_length=50)
    vrms: list[str] = Field(default_factory=list, max_length=50)
    since: datetime | None = Field(default=None, description="From this instant (with offset).")
    until: datetime | None = Field(default=None, description="Before this instant.")
    justification: str | None = Field(default=None, max_length=2000)


@api.post("/cases/{case_id}/map")
def api_map(body: MapRequest, ctx: Reader) -> JSONResponse:
    """The case's sites and cameras with the chosen rows on them (logged as a consultation)."""
    drawn = case_maps.case_map(
        ctx.ws,
        ctx.case.reference,
        numbers=body.numbers,
        vrms=body.vrms,
        since=body.since,
        until=body.until,
        justification=body.justification,
    )
    return JSONResponse(drawn.to_dict())


@api.get("/basemap")
def api_basemap(request: Request, _user: Annotated[UserContext, Depends(signed_in)]) -> Response:
    """The basemap's outlines (WGS84) with their attribution; ``available: false`` when the
    deployment has none. Holds no case data, but is for signed-in users only."""
    return JSONResponse(basemap_cache(request).get(_settings(request)))
