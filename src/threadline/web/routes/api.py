"""The JSON API under ``/api/`` (OpenAPI at ``/api/openapi.json``).

The pages' scripts use it, and so can other tools on the force network. Every route goes through
the same dependencies as the pages (signed-in session, CSRF token on every state-changing
request in the ``X-CSRF-Token`` header, the one case-access check), so the API can never allow
what the pages refuse. Errors come back as ``{"error": {"type": ..., "message": ...}}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from threadline.errors import ConfigError
from threadline.model.access import Action, Membership, Role
from threadline.model.time_basis import uk_instant
from threadline.services import access, audit, cases, exhibits, query, users
from threadline.web.deps import CaseContext, UserContext, case_access, role_access, signed_in
from threadline.web.routes.exhibits import exhibit_reference, live_progress, start_ingest
from threadline.web.uploads import (
    discard_upload,
    server_path,
    stage_upload,
    staged_path,
)

router = APIRouter(prefix="/api", tags=["api"])

Json = dict[str, Any]


@router.get("/me")
async def me(ctx: Annotated[UserContext, Depends(signed_in)]) -> Json:
    """The signed-in user."""
    return {
        "username": ctx.user.username,
        "display_name": ctx.user.display_name,
        "role": ctx.user.role.value,
    }


@router.get("/cases")
async def api_cases(ctx: Annotated[UserContext, Depends(signed_in)]) -> list[Json]:
    """The cases the user is a member of."""
    return [c.to_dict() for c in access.member_cases(ctx.ws, ctx.user)]


class NewCase(BaseModel):
    """A case to open."""

    reference: str = Field(max_length=64)
    name: str = Field(max_length=300)
    marking: str | None = Field(default=None, max_length=32)
    offences: list[str] = Field(default_factory=list, max_length=50)


@router.post("/cases", status_code=201)
async def api_case_create(
    body: NewCase, ctx: Annotated[UserContext, Depends(role_access(Action.CASE_CREATE))]
) -> Json:
    """Open a case; the caller becomes its owner."""
    info = cases.create_case(
        ctx.ws,
        body.reference,
        body.name,
        marking=body.marking,
        offences=tuple(body.offences),
        owner_id=ctx.user.id,
    )
    return info.to_dict()


@router.get("/cases/{case_id}")
async def api_case(ctx: Annotated[CaseContext, Depends(case_access(Action.CASE_VIEW))]) -> Json:
    """One case (logged as a consultation)."""
    return {**cases.show_case(ctx.ws, ctx.case.reference).to_dict(), "may": ctx.can}


@router.get("/cases/{case_id}/members")
async def api_members(
    ctx: Annotated[CaseContext, Depends(case_access(Action.MEMBERS_MANAGE))],
) -> list[Json]:
    """The case's members."""
    return [m.to_dict() for m in access.list_members(ctx.ws, ctx.case.reference)]


class MemberChange(BaseModel):
    """A user to add to a case, or whose membership to change."""

    username: str = Field(max_length=64)
    membership: Membership = Membership.MEMBER


@router.post("/cases/{case_id}/members")
async def api_member_set(
    body: MemberChange,
    ctx: Annotated[CaseContext, Depends(case_access(Action.MEMBERS_MANAGE))],
) -> Json:
    """Add a member or change how they belong."""
    return access.set_member(ctx.ws, ctx.case.reference, body.username, body.membership).to_dict()


@router.get("/cases/{case_id}/exhibits")
async def api_exhibits(
    ctx: Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))],
) -> list[Json]:
    """The case's exhibits with hashes."""
    return [e.to_dict() for e in exhibits.list_exhibits(ctx.ws, ctx.case.reference)]


@router.post("/cases/{case_id}/uploads", status_code=201)
async def api_upload(
    request: Request,
    ctx: Annotated[CaseContext, Depends(case_access(Action.EXHIBIT_WRITE))],
    x_file_name: Annotated[str, Header(max_length=600)],
) -> Json:
    """Upload a file as the raw request body (``X-File-Name`` names it); it is streamed to
    disk and hashed, then waits to be registered with ``POST .../exhibits``."""
    settings = request.app.state.settings
    staged = await stage_upload(
        settings.home, x_file_name, request.stream(), settings.max_upload_bytes
    )
    return staged.to_dict()


class NewExhibit(BaseModel):
    """An exhibit to register: an upload or a file in the server's import folder, what it is,
    and for a communications data return its authorisation (requirements 20, 21, 37)."""

    reference: str = Field(max_length=64)
    producer: str = Field(max_length=300)
    description: str = Field(max_length=2000)
    upload_id: str | None = Field(default=None, max_length=64)
    server_path: str | None = Field(default=None, max_length=4096)
    marking: str | None = Field(default=None, max_length=32)
    provider: str | None = Field(default=None, max_length=200)
    target_number: str | None = Field(default=None, max_length=64)
    authorisation: str | None = Field(default=None, max_length=200)
    authoriser: str | None = Field(default=None, max_length=32)
    authorised_from: str | None = Field(default=None, max_length=40)
    authorised_to: str | None = Field(default=None, max_length=40)
    data_type: str | None = Field(default=None, max_length=32)


@router.post("/cases/{case_id}/exhibits", status_code=201)
async def api_exhibit_add(
    body: NewExhibit,
    request: Request,
    ctx: Annotated[CaseContext, Depends(case_access(Action.EXHIBIT_WRITE))],
) -> Json:
    """Register an uploaded file, or one in the import folder, as an exhibit."""
    settings = request.app.state.settings
    if (body.upload_id is None) == (body.server_path is None):
        raise ConfigError("give either an upload_id or a server_path")
    comms = None
    cd_fields = (
        body.provider,
        body.target_number,
        body.authorisation,
        body.authorised_from,
        body.authorised_to,
        body.data_type,
    )
    if any(cd_fields):
        comms = exhibits.CommsData(
            provider=body.provider,
            target_number=body.target_number,
            authorisation=body.authorisation,
            authorised_from=uk_instant(body.authorised_from, "authorised from")
            if body.authorised_from
            else None,
            authorised_to=uk_instant(body.authorised_to, "authorised to", end_of_day=True)
            if body.authorised_to
            else None,
            data_type=body.data_type,
            authoriser=body.authoriser,
        )
    if body.upload_id is not None:
        source = staged_path(settings.home, body.upload_id)
    else:
        source = server_path(settings.import_folder, body.server_path or "")
    info = exhibits.add_exhibit(
        ctx.ws,
        ctx.case.reference,
        body.reference,
        source,
        producer=body.producer,
        description=body.description,
        marking=body.marking,
        comms=comms,
    )
    if body.upload_id is not None:
        discard_upload(settings.home, body.upload_id)
    return info.to_dict()


@router.post("/cases/{case_id}/exhibits/{exhibit_id}/ingest", status_code=202)
async def api_ingest(
    request: Request,
    exhibit_id: str,
    ctx: Annotated[CaseContext, Depends(case_access(Action.EXHIBIT_WRITE))],
) -> Json:
    """Start ingesting an exhibit in the background; follow it with ``GET .../ingest``."""
    reference = start_ingest(request, ctx, exhibit_id)
    return {"exhibit": reference, "exhibit_id": exhibit_id, "status": "starting"}


@router.get("/cases/{case_id}/ingest")
async def api_progress(
    request: Request, ctx: Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))]
) -> Json:
    """Every exhibit's ingest state: rows, rows per second and time left while running."""
    return {"exhibits": [p.to_dict() for p in live_progress(request, ctx)]}


@router.get("/cases/{case_id}/issues")
async def api_issues(
    ctx: Annotated[CaseContext, Depends(case_access(Action.EVIDENCE_READ))],
    exhibit_id: Annotated[str | None, Query(max_length=32)] = None,
) -> list[Json]:
    """Ingest issues with their locators (logged as a consultation)."""
    reference = exhibit_reference(ctx, exhibit_id) if exhibit_id else None
    return [i.to_dict() for i in query.list_issues(ctx.ws, ctx.case.reference, reference)]


@router.get("/users")
async def api_users(
    ctx: Annotated[UserContext, Depends(role_access(Action.USERS_MANAGE))],
) -> list[Json]:
    """Every user (administrators only)."""
    return [u.to_dict() for u in users.list_users(ctx.ws)]


class NewUser(BaseModel):
    """A user to add."""

    username: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=1000)


@router.post("/users", status_code=201)
async def api_user_add(
    body: NewUser, ctx: Annotated[UserContext, Depends(role_access(Action.USERS_MANAGE))]
) -> Json:
    """Add a user (administrators only)."""
    return users.add_user(
        ctx.ws,
        body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
    ).to_dict()


@router.get("/audit")
async def api_audit(
    ctx: Annotated[UserContext, Depends(role_access(Action.AUDIT_VIEW))],
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Json]:
    """Audit entries, newest first (administrators only)."""
    return [e.to_dict() for e in audit.recent(ctx.ws, before_seq=before, limit=limit)]


@router.get("/audit/verify")
async def api_audit_verify(
    ctx: Annotated[UserContext, Depends(role_access(Action.AUDIT_VIEW))],
) -> JSONResponse:
    """Recompute the hash chain: ``intact`` and any problems (administrators only)."""
    report = audit.verify(ctx.ws)
    return JSONResponse(
        {
            "intact": report.intact,
            "entries": report.entries,
            "head_seq": report.head_seq,
            "head_hash": report.head_hash,
            "problems": [{"seq": p.seq, "problem": p.problem} for p in report.problems],
        }
    )
