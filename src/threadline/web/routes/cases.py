"""The case list, case creation, the case page and case membership."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from threadline.model.access import Action, Membership, decide
from threadline.model.offence import load_offence_catalogue
from threadline.services import access, audit, cases, exhibits
from threadline.services.ingest_progress import exhibit_progress
from threadline.web.deps import CaseContext, UserContext, case_access, role_access, signed_in
from threadline.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/")
async def case_list(request: Request, ctx: Annotated[UserContext, Depends(signed_in)]) -> Response:
    """The cases the user is a member of, and the form to open a new one."""
    mine = access.member_cases(ctx.ws, ctx.user)
    return page(
        request,
        "case_list.html",
        {
            "title": "Cases",
            "cases": mine,
            "may_create": decide(ctx.user.role, Action.CASE_CREATE).allowed,
            "offences": load_offence_catalogue().offences,
        },
    )


@router.post("/cases")
async def case_create(
    ctx: Annotated[UserContext, Depends(role_access(Action.CASE_CREATE))],
    reference: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=300)],
    marking: Annotated[str, Form(max_length=32)] = "OFFICIAL-SENSITIVE",
    offences: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Open a case; its creator becomes its owner."""
    info = cases.create_case(
        ctx.ws,
        reference,
        name,
        marking=marking,
        offences=tuple(offences or ()),
        owner_id=ctx.user.id,
    )
    return RedirectResponse(f"/cases/{info.id}", status_code=303)


@router.get("/cases/{case_id}")
async def case_page(
    request: Request, ctx: Annotated[CaseContext, Depends(case_access(Action.CASE_VIEW))]
) -> Response:
    """The case workspace: marking, offences, exhibits with ingest state, recent activity."""
    info = cases.show_case(ctx.ws, ctx.case.reference)
    catalogue = load_offence_catalogue()
    offences = [catalogue.get(code) for code in info.offences]
    values: dict[str, object] = {
        "title": f"{info.reference} — {info.name}",
        "case": ctx.case,
        "marking": info.marking,
        "info": info,
        "offences": offences,
        "can": ctx.can,
    }
    if ctx.can["evidence_read"]:
        values["exhibits"] = exhibits.list_exhibits(ctx.ws, ctx.case.reference)
        values["progress"] = {p.exhibit_id: p for p in exhibit_progress(ctx.ws, ctx.case.reference)}
        values["activity"] = audit.recent(ctx.ws, case_id=ctx.case.case_id, limit=12)
    return page(request, "case.html", values)


@router.get("/cases/{case_id}/members")
async def members_page(
    request: Request, ctx: Annotated[CaseContext, Depends(case_access(Action.MEMBERS_MANAGE))]
) -> Response:
    """Who belongs to the case, and the form to change it."""
    return page(
        request,
        "members.html",
        {
            "title": f"{ctx.case.reference} — members",
            "case": ctx.case,
            "marking": ctx.case.marking,
            "members": access.list_members(ctx.ws, ctx.case.reference),
            "memberships": list(Membership),
        },
    )


@router.post("/cases/{case_id}/members")
async def member_set(
    ctx: Annotated[CaseContext, Depends(case_access(Action.MEMBERS_MANAGE))],
    username: Annotated[str, Form(max_length=64)],
    membership: Annotated[Membership, Form()] = Membership.MEMBER,
) -> Response:
    """Add a member or change how they belong."""
    access.set_member(ctx.ws, ctx.case.reference, username, membership)
    return RedirectResponse(f"/cases/{ctx.case.case_id}/members", status_code=303)


@router.post("/cases/{case_id}/members/remove")
async def member_remove(
    ctx: Annotated[CaseContext, Depends(case_access(Action.MEMBERS_MANAGE))],
    username: Annotated[str, Form(max_length=64)],
) -> Response:
    """Remove a member."""
    access.remove_member(ctx.ws, ctx.case.reference, username)
    return RedirectResponse(f"/cases/{ctx.case.case_id}/members", status_code=303)
