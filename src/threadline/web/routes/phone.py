"""Phone downloads in the web application: an exhibit's handset data, and its media revealed one
file at a time (examiner welfare), with their API twins.

Every route goes through the one case-access dependency (reading evidence); the exhibit is named
by its id and must belong to the case. Every page and API answer is logged as a consultation by
:mod:`threadline.services.phone`, and so is every reveal of a media file (requirement 15).

A media file's bytes are served only from their own route, which the page's script calls when
the user chooses *Reveal*: no page ever embeds a picture, and the page first shows it blurred and
in greyscale. The bytes are verified against the SHA-256 their record holds before they are sent
(requirement 16), with a Content-Type a browser cannot run (an image, video or audio type, or
else a download), ``X-Content-Type-Options: nosniff`` (added to every answer by
:class:`threadline.web.security.SecurityHeaders`), a sandboxing Content Security Policy and a
Content-Disposition naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from threadline.errors import NotFound
from threadline.model.access import Action
from threadline.services import phone
from threadline.services.workspace import Workspace
from threadline.web.deps import CaseContext, case_access
from threadline.web.render import page
from threadline.web.routes.exhibits import exhibit_reference

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["api"])

Reader = Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]
Offset = Annotated[int, Query(ge=0)]

_P = ParamSpec("_P")
_T = TypeVar("_T")

_BASE = "/cases/{case_id}/exhibits/{exhibit_id}/phone"
_CONTENT = "/cases/{case_id}/exhibits/{exhibit_id}/media/{row_id}/content"

#: Rows per page of each view.
ROWS_PAGE = 100
THREADS_PAGE = 100
MESSAGES_PAGE = 200
MEDIA_PAGE = 48

#: The views, in the order of the page's tabs, with their titles.
SECTIONS = (
    ("summary", "Device"),
    ("contacts", "Contacts"),
    ("calls", "Calls"),
    ("messages", "Messages"),
    ("locations", "Locations"),
    ("media", "Media"),
)

#: Which table's count each tab shows.
_COUNTED = {
    "contacts": "contacts",
    "calls": "calls",
    "messages": "messages",
    "locations": "locations",
    "media": "media",
    "summary": "devices",
}

#: The columns each listed table shows, with their headings.
HEADINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "devices": (
        ("manufacturer", "Manufacturer"),
        ("model", "Model"),
        ("os", "OS"),
        ("imei", "IMEI"),
        ("imsi", "IMSI"),
        ("iccid", "ICCID"),
        ("msisdn", "MSISDN"),
        ("owner_name", "Owner name"),
        ("extraction", "Extraction"),
    ),
    "contacts": (
        ("name", "Name"),
        ("number", "Number"),
        ("email", "E-mail"),
        ("account", "Account"),
        ("source_app", "App"),
    ),
    "calls": (
        ("direction", "Direction"),
        ("a_party", "Calling party"),
        ("b_party", "Called party"),
        ("duration_s", "Duration (s)"),
        ("source_app", "App"),
    ),
    "locations": (
        ("latitude", "Latitude"),
        ("longitude", "Longitude"),
        ("accuracy_m", "Accuracy (m)"),
        ("source_app", "App"),
    ),
}


def content_url(case_id: str, exhibit_id: str, row_id: str) -> str:
    """Where a media file's bytes are revealed."""
    return _CONTENT.format(case_id=case_id, exhibit_id=exhibit_id, row_id=row_id)


def _read(
    ctx: CaseContext,
    exhibit_id: str,
    view: Callable[Concatenate[Workspace, str, str, _P], _T],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> tuple[str, _T]:
    """The exhibit's reference (the exhibit must belong to the case) and what the service's
    ``view`` of it returns (the service logs the consultation); shared by pages and API."""
    reference = exhibit_reference(ctx, exhibit_id)
    return reference, view(ctx.ws, ctx.case.reference, reference, *args, **kwargs)


def _listed(table: str) -> None:
    """Refuse a table that has no list view, before the exhibit is looked up."""
    if table not in phone.LIST_TABLES:
        raise NotFound("no such view of a phone download")


def _show(
    request: Request,
    ctx: CaseContext,
    exhibit_id: str,
    reference: str,
    section: str,
    **shown: object,
) -> Response:
    """The phone page with its tabs and counts, under ``section``'s tab, showing ``shown``."""
    counts = phone.phone_counts(ctx.ws, ctx.case.reference, reference)
    context: dict[str, Any] = {
        "title": f"{ctx.case.reference} — exhibit {reference}: phone download",
        "case": ctx.case,
        "marking": ctx.case.marking,
        "can": ctx.can,
        "exhibit_id": exhibit_id,
        "exhibit_ref": reference,
        "section": section,
        "sections": SECTIONS,
        "counts": {name: counts[table] for name, table in _COUNTED.items()},
        "headings": HEADINGS,
        "base": _BASE.format(case_id=ctx.case.case_id, exhibit_id=exhibit_id),
        "content_url": lambda row_id: content_url(ctx.case.case_id, exhibit_id, row_id),
    }
    return page(request, "phone.html", {**context, **shown})


# --- pages ------------------------------------------------------------------------------------


@router.get(_BASE)
def summary_page(request: Request, exhibit_id: str, ctx: Reader) -> Response:
    """The handset: its device rows and how much of each kind the download holds."""
    reference, summary = _read(ctx, exhibit_id, phone.phone_summary)
    return _show(request, ctx, exhibit_id, reference, "summary", summary=summary)


@router.get(_BASE + "/messages")
def threads_page(request: Request, exhibit_id: str, ctx: Reader, offset: Offset = 0) -> Response:
    """The download's conversations, the most recently active first."""
    reference, found = _read(ctx, exhibit_id, phone.list_threads, offset=offset, limit=THREADS_PAGE)
    return _show(request, ctx, exhibit_id, reference, "messages", threads=found)


@router.get(_BASE + "/messages/{thread_id}")
def conversation_page(
    request: Request, exhibit_id: str, thread_id: str, ctx: Reader, offset: Offset = 0
) -> Response:
    """One conversation's messages in time order."""
    reference, found = _read(
        ctx, exhibit_id, phone.conversation, thread_id, offset=offset, limit=MESSAGES_PAGE
    )
    return _show(request, ctx, exhibit_id, reference, "messages", conversation=found)


@router.get(_BASE + "/media")
def media_page(request: Request, exhibit_id: str, ctx: Reader, offset: Offset = 0) -> Response:
    """The download's media files, described and blurred until revealed one by one."""
    reference, found = _read(ctx, exhibit_id, phone.list_media, offset=offset, limit=MEDIA_PAGE)
    return _show(request, ctx, exhibit_id, reference, "media", media=found)


@router.get(_BASE + "/{table}")
def rows_page(
    request: Request, exhibit_id: str, table: str, ctx: Reader, offset: Offset = 0
) -> Response:
    """A page of the download's contacts, calls, locations or devices."""
    _listed(table)
    reference, found = _read(
        ctx, exhibit_id, phone.list_rows, table, offset=offset, limit=ROWS_PAGE
    )
    section = "summary" if table == "devices" else table
    return _show(request, ctx, exhibit_id, reference, section, rows=found)


def _ascii_name(name: str) -> str:
    """The file name for the plain ``filename=`` parameter: printable ASCII, no quotes."""
    kept = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return kept.strip() or "media"


def _media_response(ctx: CaseContext, exhibit_id: str, row_id: str) -> Response:
    _, content = _read(ctx, exhibit_id, phone.reveal_media, row_id)
    disposition = "inline" if content.inline else "attachment"
    headers = {
        "Content-Disposition": (
            f'{disposition}; filename="{_ascii_name(content.file_name)}"; '
            f"filename*=UTF-8''{quote(content.file_name, safe='')}"
        ),
        "Content-Length": str(content.size),
        # opened on its own, the file is a sandboxed document that may load and run nothing
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
        "X-Threadline-SHA256": content.sha256,
    }
    return StreamingResponse(content.chunks(), media_type=content.content_type, headers=headers)


@router.get(_CONTENT)
def media_content(exhibit_id: str, row_id: str, ctx: Reader) -> Response:
    """A media file's bytes, verified against its recorded SHA-256; each request is logged as
    a reveal of the record."""
    return _media_response(ctx, exhibit_id, row_id)


# --- the API ------------------------------------------------------------------------------------


Limit = Annotated[int, Query(ge=1, le=phone.MAX_LIMIT)]


def _json(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse(data)


@api.get(_BASE)
def api_summary(exhibit_id: str, ctx: Reader) -> JSONResponse:
    """The handset's device rows and the download's row counts (logged as a consultation)."""
    _, summary = _read(ctx, exhibit_id, phone.phone_summary)
    return _json(summary.to_dict())


@api.get(_BASE + "/messages")
def api_threads(
    exhibit_id: str, ctx: Reader, offset: Offset = 0, limit: Limit = THREADS_PAGE
) -> JSONResponse:
    """A page of the download's conversations (logged as a consultation)."""
    _, found = _read(ctx, exhibit_id, phone.list_threads, offset=offset, limit=limit)
    return _json(found.to_dict())


@api.get(_BASE + "/messages/{thread_id}")
def api_conversation(
    exhibit_id: str,
    thread_id: str,
    ctx: Reader,
    offset: Offset = 0,
    limit: Limit = MESSAGES_PAGE,
) -> JSONResponse:
    """A page of one conversation's messages in time order (logged as a consultation)."""
    _, found = _read(ctx, exhibit_id, phone.conversation, thread_id, offset=offset, limit=limit)
    return _json(found.to_dict())


@api.get(_BASE + "/media")
def api_media(
    exhibit_id: str, ctx: Reader, offset: Offset = 0, limit: Limit = MEDIA_PAGE
) -> JSONResponse:
    """A page of the download's media files, described; each item's ``content_url`` reveals
    its bytes (logged)."""
    _, found = _read(ctx, exhibit_id, phone.list_media, offset=offset, limit=limit)
    data = found.to_dict()
    for item in data["items"]:
        item["content_url"] = "/api" + content_url(ctx.case.case_id, exhibit_id, item["row_id"])
    return _json(data)


@api.get(_BASE + "/{table}")
def api_rows(
    exhibit_id: str, table: str, ctx: Reader, offset: Offset = 0, limit: Limit = ROWS_PAGE
) -> JSONResponse:
    """A page of the download's contacts, calls, locations or devices (logged)."""
    _listed(table)
    _, found = _read(ctx, exhibit_id, phone.list_rows, table, offset=offset, limit=limit)
    return _json(found.to_dict())


@api.get(_CONTENT)
def api_media_content(exhibit_id: str, row_id: str, ctx: Reader) -> Response:
    """A media file's bytes, verified against its recorded SHA-256 (logged as a reveal)."""
    return _media_response(ctx, exhibit_id, row_id)
