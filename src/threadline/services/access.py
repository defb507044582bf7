"""Case access for signed-in users: membership, and the one place permissions are checked.

:func:`authorise` is what the web application's single case-access dependency calls for every
page and API route: it finds the user's membership of the case and asks
:func:`threadline.model.access.decide`. Membership changes are alterations of the case, recorded
in the audit log (requirement 12). In the embedded single-user mode (the command line) the
operating-system user is trusted with the whole workspace, so the command line manages
membership without a role check (design.md §5).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, NotFound, PermissionDenied
from threadline.model.access import Action, Membership, Role, can_own, decide
from threadline.model.audit import AuditOperation
from threadline.services.cases import CaseInfo, case_info, find_case
from threadline.services.users import SignedInUser, find_user
from threadline.services.workspace import Workspace
from threadline.store.tables import CaseMemberRow, CaseRow, UserRow, stored_instant


@dataclass(frozen=True, slots=True)
class CaseAccess:
    """A user's granted access to one case."""

    case_id: str
    reference: str
    name: str
    marking: str
    membership: Membership


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A member of a case, as listed to its members."""

    username: str
    display_name: str
    role: str
    membership: str
    added_at: str
    added_by: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _membership(session: Session, case_id: str, user_id: str) -> Membership | None:
    value = session.execute(
        select(CaseMemberRow.membership).where(
            CaseMemberRow.case_id == case_id, CaseMemberRow.user_id == user_id
        )
    ).scalar_one_or_none()
    return Membership(value) if value is not None else None


def require(user: SignedInUser, action: Action) -> None:
    """Refuse an action that concerns no case unless the user's role allows it.

    Raises:
        PermissionDenied: the role does not allow it.
    """
    decision = decide(user.role, action)
    if not decision.allowed:
        raise PermissionDenied(decision.reason)


def authorise(ws: Workspace, user: SignedInUser, action: Action, case_id: str) -> CaseAccess:
    """Grant ``user`` the case-scoped ``action`` on the case with id ``case_id``, or refuse.

    Web addresses name a case by its id (a hash), not its reference, which may hold a '/'.

    Raises:
        PermissionDenied: not a member (the same refusal whether or not the case exists), or
            the role does not allow the action.
    """
    with ws.session() as session:
        row = session.get(CaseRow, case_id) if len(case_id) == 32 else None
        membership = _membership(session, row.id, user.id) if row is not None else None
        decision = decide(user.role, action, membership)
        if not decision.allowed or row is None or membership is None:
            raise PermissionDenied(decision.reason)
        return CaseAccess(row.id, row.reference, row.name, row.marking, membership)


def member_cases(ws: Workspace, user: SignedInUser) -> list[CaseInfo]:
    """The cases the user is a member of, by reference."""
    with ws.session() as session:
        rows = session.execute(
            select(CaseRow)
            .join(CaseMemberRow, CaseMemberRow.case_id == CaseRow.id)
            .where(CaseMemberRow.user_id == user.id)
            .order_by(CaseRow.reference)
        ).scalars()
        return [case_info(session, row) for row in rows]


def list_members(ws: Workspace, case_reference: str) -> list[MemberInfo]:
    """The members of a case, owners first."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        rows = session.execute(
            select(CaseMemberRow, UserRow)
            .join(UserRow, UserRow.id == CaseMemberRow.user_id)
            .where(CaseMemberRow.case_id == case.id)
            .order_by(CaseMemberRow.membership.desc(), UserRow.username)
        ).all()
        return [
            MemberInfo(
                user.username,
                user.display_name,
                user.role,
                member.membership,
                stored_instant(member.added_at).isoformat(),
                member.added_by,
            )
            for member, user in rows
        ]


def set_member(
    ws: Workspace, case_reference: str, username: str, membership: Membership
) -> MemberInfo:
    """Make a user a member (or owner) of a case, or change how they belong to it.

    Raises:
        NotFound: no such case or user.
        ConfigError: a partner reader cannot own a case, or the change would leave the case
            without an owner.
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        user = find_user(session, username)
        if membership is Membership.OWNER and not can_own(Role(user.role)):
            raise ConfigError(f"{user.username} is a partner reader and cannot own a case")
        row = session.get(CaseMemberRow, (case.id, user.id))
        if row is None:
            row = CaseMemberRow(
                case_id=case.id,
                user_id=user.id,
                membership=membership.value,
                added_at=ws.clock(),
                added_by=ws.user,
            )
            session.add(row)
        else:
            if row.membership == Membership.OWNER.value and membership is Membership.MEMBER:
                _refuse_last_owner(session, case, user)
            row.membership = membership.value
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "case.member.set",
            case_id=case.id,
            object_type="user",
            object_id=user.id,
            detail={"membership": membership.value},
        )
        return MemberInfo(
            user.username,
            user.display_name,
            user.role,
            row.membership,
            stored_instant(row.added_at).isoformat(),
            row.added_by,
        )


def _refuse_last_owner(session: Session, case: CaseRow, user: UserRow) -> None:
    """Refuse to leave a case without an owner (someone must be able to manage it).

    Raises:
        ConfigError: ``user`` is the case's only owner.
    """
    owners = session.execute(
        select(func.count())
        .select_from(CaseMemberRow)
        .where(
            CaseMemberRow.case_id == case.id,
            CaseMemberRow.membership == Membership.OWNER.value,
        )
    ).scalar_one()
    if owners <= 1:
        raise ConfigError(
            f"{user.username} is the last owner of {case.reference}: make someone else owner first"
        )


def remove_member(ws: Workspace, case_reference: str, username: str) -> None:
    """Remove a user from a case.

    Raises:
        NotFound: no such case or user, or the user is not a member.
        ConfigError: they are the case's last owner (someone must be able to manage it).
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        user = find_user(session, username)
        row = session.get(CaseMemberRow, (case.id, user.id))
        if row is None:
            raise NotFound(f"{user.username} is not a member of {case.reference}")
        if row.membership == Membership.OWNER.value:
            _refuse_last_owner(session, case, user)
        session.delete(row)
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "case.member.remove",
            case_id=case.id,
            object_type="user",
            object_id=user.id,
        )
