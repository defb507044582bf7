"""Browser-facing protections: security headers, request size limits and CSRF tokens.

* Every response carries a Content Security Policy that allows scripts and styles only from the
  application's own files (no inline script, no CDN — police networks are closed), refuses
  framing (clickjacking), and is marked not to be cached: pages hold personal data.
* Request bodies are capped while they stream in: an upload above the configured size, or any
  other request above :data:`FORM_LIMIT`, is refused with 413 before it fills memory or disk.
* Every state-changing request must carry the session's CSRF token (header ``X-CSRF-Token`` or
  form field ``csrf_token``); before sign-in, a random token in a strict same-site cookie is
  echoed instead (double submit), so the sign-in form is protected too.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

#: Largest body of a request that is not an upload (forms, JSON).
FORM_LIMIT = 1024 * 1024
#: Paths whose bodies are exhibit uploads, limited by the upload setting instead.
UPLOAD_SUFFIX = "/uploads"
#: Cookie that carries the pre-sign-in CSRF token.
CSRF_COOKIE = "threadline_csrf"
#: Methods that change nothing and so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette answers an unhandled error outside every middleware, so that answer
            # would lack these headers: answer here, and let the error go on to be logged
            if not started:
                failed = PlainTextResponse("Internal Server Error", status_code=500)
                await failed(scope, receive, send_with_headers)
            raise


class BodyTooLarge(HTTPException):
    """Raised inside the body stream when a request exceeds its limit.

    An HTTP error (413) rather than a plain exception because FastAPI, reading a JSON or form
    body on a route's behalf, turns any other error into "400 error parsing the body"; an HTTP
    error it passes on to the error handlers.
    """

    def __init__(self, limit: int) -> None:
        """The refusal for a body over ``limit`` bytes."""
        super().__init__(413, _too_large_message(limit))


class BodyLimit:
    """ASGI middleware refusing request bodies above their limit, counted as they stream.

    The declared ``Content-Length`` is checked first, so an honest oversized upload is refused
    before a byte is read; the running count catches chunked or lying requests.
    """

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        """Wrap ``app``; uploads may be ``upload_limit`` bytes, other requests FORM_LIMIT."""
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or pass on the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].endswith(UPLOAD_SUFFIX) else FORM_LIMIT
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _too_large(limit)(scope, receive, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> MutableMapping[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await _too_large(limit)(scope, receive, send)


def _too_large_message(limit: int) -> str:
    return f"The request is larger than this server accepts ({limit:,} bytes)."


def _too_large(limit: int) -> PlainTextResponse:
    return PlainTextResponse(_too_large_message(limit), status_code=413)


def new_token() -> str:
    """A fresh random token for a CSRF cookie."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Compare two tokens in constant time; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def submitted_token(request: Request) -> str | None:
    """The CSRF token a request carries: its header, else its form field.

    Reading the form caches it on the request, so the route can read its fields afterwards.
    Uploads send the header (their bodies are files, not forms).
    """
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.url.path.endswith(UPLOAD_SUFFIX):
        # an upload's body may be gigabytes: it is never parsed as a form to look for a token
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None
