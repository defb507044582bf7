"""Sign-in and sign-out.

Signing in always starts a new session with a new token (and CSRF token), ending any session the
browser carried before, so a session identifier planted before sign-in is worthless afterwards
(session fixation). The form is protected by a double-submit CSRF cookie.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from threadline.errors import PermissionDenied
from threadline.services import sessions, users
from threadline.web.deps import SESSION_COOKIE, current_session, workspace
from threadline.web.render import page
from threadline.web.security import CSRF_COOKIE, new_token

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _cookie_flags(request: Request) -> dict[str, object]:
    secure: bool = request.app.state.settings.secure_cookies
    return {"httponly": True, "samesite": "strict", "secure": secure, "path": "/"}


def _sign_in_page(request: Request, message: str | None, status: int) -> Response:
    token = request.cookies.get(CSRF_COOKIE) or new_token()
    response = page(
        request,
        "sign_in.html",
        {"csrf_token": token, "message": message, "title": "Sign in"},
        status_code=status,
    )
    response.set_cookie(CSRF_COOKIE, token, **_cookie_flags(request))  # type: ignore[arg-type]
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    """The sign-in form (or the case list for someone already signed in)."""
    if current_session(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _sign_in_page(request, None, 200)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Check the credentials; on success start a fresh session and go to the case list."""
    ws = workspace(request)
    try:
        user = users.authenticate(ws, username, password)
    except PermissionDenied as exc:
        log.info("sign-in refused")
        request.state.session = None
        return _sign_in_page(request, str(exc), 401)
    sessions.end_session(ws, request.cookies.get(SESSION_COOKIE))
    token, _active = sessions.start_session(ws, user.id)
    log.info("signed in: user %s", user.id)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=sessions.LIFETIME_HOURS * 3600,
        **_cookie_flags(request),  # type: ignore[arg-type]
    )
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End the session and return to the sign-in page."""
    sessions.end_session(workspace(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
