"""One boundary turning Threadline's errors into HTTP answers (examples.md: datasette's
``handle_exception``): JSON under ``/api/``, a page elsewhere; a browser that is not signed in
is sent to the sign-in page."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from threadline.errors import (
    AuditChainBroken,
    ConfigError,
    Conflict,
    CsrfRefused,
    IngestError,
    IntegrityError,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    StoreError,
    ThreadlineError,
)
from threadline.web.render import page

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[ThreadlineError], int], ...] = (
    (NotSignedIn, 401),
    (CsrfRefused, 403),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (IntegrityError, 409),
    (ConfigError, 422),
    (IngestError, 422),
    (AuditChainBroken, 500),
    (StoreError, 503),
)


def status_for(exc: ThreadlineError) -> int:
    """The HTTP status for an error (the most specific class listed first wins)."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(request: Request, status: int, kind: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)
    return page(request, "error.html", {"status": status, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    @app.exception_handler(ThreadlineError)
    async def threadline_error(request: Request, exc: ThreadlineError) -> Response:
        status = status_for(exc)
        if isinstance(exc, NotSignedIn) and not _wants_json(request):
            return RedirectResponse("/sign-in", status_code=303)
        if status >= 500:
            log.error("request failed: %s", type(exc).__name__)
        return _answer(request, status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": {"type": "Invalid", "detail": exc.errors()}}, 422)
        return _answer(request, 422, "Invalid", "the form was incomplete or malformed")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _answer(request, exc.status_code, "HTTPError", str(exc.detail))
