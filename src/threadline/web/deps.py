"""Request dependencies: the workspace, the signed-in user, CSRF, and the one case-access check.

Every case page and API route declares ``Depends(case_access(Action.X))``; that single
dependency resolves the session, asks :func:`threadline.services.access.authorise` (which asks
:func:`threadline.model.access.decide`) and hands the route a workspace that acts, and is
audited, as the signed-in user. No route checks permissions for itself (examples.md: one case
ACL dependency, not guards per handler).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from threadline.errors import CsrfRefused, NotSignedIn
from threadline.model.access import Action, decide
from threadline.services import access
from threadline.services.access import CaseAccess
from threadline.services.sessions import ActiveSession, load_session
from threadline.services.users import SignedInUser
from threadline.services.workspace import Workspace
from threadline.web.security import CSRF_COOKIE, SAFE_METHODS, submitted_token, tokens_match

#: Cookie that carries the session token.
SESSION_COOKIE = "threadline_session"


def workspace(request: Request) -> Workspace:
    """The application's workspace (opened by the app factory)."""
    ws: Workspace = request.app.state.ws
    return ws


def current_session(request: Request) -> ActiveSession | None:
    """The request's live session, looked up once per request."""
    if not hasattr(request.state, "session"):
        request.state.session = load_session(
            workspace(request), request.cookies.get(SESSION_COOKIE)
        )
    found: ActiveSession | None = request.state.session
    return found


@dataclass(frozen=True, slots=True)
class UserContext:
    """A signed-in user and a workspace acting as them."""

    user: SignedInUser
    session: ActiveSession
    ws: Workspace


def signed_in(request: Request) -> UserContext:
    """The signed-in user, or a refusal that sends a browser to the sign-in page.

    Raises:
        NotSignedIn: no live session.
    """
    active = current_session(request)
    if active is None:
        raise NotSignedIn("sign in to continue")
    user = SignedInUser(active.user_id, active.username, active.display_name, active.role)
    return UserContext(user, active, workspace(request).acting_as(active.username))


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request that does not echo its CSRF token.

    Applied to the whole application. A signed-in request must carry its session's token; one
    made before sign-in must echo the token in its same-site cookie.

    Raises:
        CsrfRefused: the token is missing or wrong.
    """
    if request.method in SAFE_METHODS:
        return
    given = await submitted_token(request)
    active = current_session(request)
    expected = active.csrf_token if active is not None else request.cookies.get(CSRF_COOKIE)
    if not tokens_match(expected, given):
        raise CsrfRefused(
            "the form has expired or did not come from this application: reload the page and "
            "try again"
        )


@dataclass(frozen=True, slots=True)
class CaseContext:
    """A signed-in user's granted access to one case."""

    user: SignedInUser
    session: ActiveSession
    case: CaseAccess
    ws: Workspace

    @property
    def can(self) -> dict[str, bool]:
        """What the user may do in this case, for pages to show only what will be allowed
        (``can.evidence_read``); the dependency still decides every request."""
        return {
            action.value.replace(".", "_"): decide(
                self.user.role, action, self.case.membership
            ).allowed
            for action in Action
            if action.case_scoped
        }

    def page_context(self, title: str) -> dict[str, Any]:
        """What every case page's template is given: its title, the case, its marking, what
        the user may do here, and whether force policy requires a justification."""
        return {
            "title": f"{self.case.reference} — {title}",
            "case": self.case,
            "marking": self.case.marking,
            "can": self.can,
            "justification_required": self.ws.settings.justification_required,
        }


def case_access(action: Action) -> Callable[[Request, str], Awaitable[CaseContext]]:
    """The dependency granting ``action`` on the case named by the ``case_id`` path parameter.

    Raises (from the dependency):
        NotSignedIn: no live session.
        PermissionDenied: not a member of the case, or the role does not allow the action.
    """

    async def dependency(request: Request, case_id: str) -> CaseContext:
        context = signed_in(request)
        granted = access.authorise(context.ws, context.user, action, case_id)
        return CaseContext(context.user, context.session, granted, context.ws)

    return dependency


def role_access(action: Action) -> Callable[[Request], Awaitable[UserContext]]:
    """The dependency granting an action that concerns no case (user management, audit).

    Raises (from the dependency):
        NotSignedIn: no live session.
        PermissionDenied: the role does not allow the action.
    """

    async def dependency(request: Request) -> UserContext:
        context = signed_in(request)
        access.require(context.user, action)
        return context

    return dependency
