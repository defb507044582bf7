"""Administration: users, and the audit log with its verification (requirements 12–14).

Only administrators reach these pages (the role dependency decides). Exporting the log is a
disclosure and is logged as one, with the justification force policy may require.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from threadline.model.access import Action, Role
from threadline.services import audit, users
from threadline.web.deps import UserContext, role_access
from threadline.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/admin/users")
async def users_page(
    request: Request, ctx: Annotated[UserContext, Depends(role_access(Action.USERS_MANAGE))]
) -> Response:
    """Every user, and the form to add one."""
    return page(
        request,
        "users.html",
        {"title": "Users", "users": users.list_users(ctx.ws), "roles": list(Role)},
    )


@router.post("/admin/users")
async def user_add(
    ctx: Annotated[UserContext, Depends(role_access(Action.USERS_MANAGE))],
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Add a user."""
    users.add_user(ctx.ws, username, display_name=display_name, role=role, password=password)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/disable")
async def user_disable(
    ctx: Annotated[UserContext, Depends(role_access(Action.USERS_MANAGE))],
    username: Annotated[str, Form(max_length=64)],
    disabled: Annotated[bool, Form()] = True,
) -> Response:
    """Disable (or enable again) a user."""
    users.set_disabled(ctx.ws, username, disabled)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/audit")
async def audit_page(
    request: Request,
    ctx: Annotated[UserContext, Depends(role_access(Action.AUDIT_VIEW))],
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The audit log, newest first, with the chain's verification."""
    entries = audit.recent(ctx.ws, before_seq=before, limit=100)
    report = audit.verify(ctx.ws)
    return page(
        request,
        "audit.html",
        {
            "title": "Audit log",
            "entries": entries,
            "report": report,
            "older": entries[-1].seq if len(entries) == 100 else None,
            "justification_required": ctx.ws.settings.justification_required,
        },
    )


@router.post("/admin/audit/export")
async def audit_export(
    ctx: Annotated[UserContext, Depends(role_access(Action.AUDIT_VIEW))],
    justification: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Download the log as JSON Lines; logged as a disclosure."""
    name = f"threadline-audit-{ctx.ws.clock().strftime('%Y%m%dT%H%M%SZ')}.jsonl"
    text = audit.export_text(ctx.ws, name=name, justification=justification or None)
    return Response(
        text,
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
