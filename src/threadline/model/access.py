"""Who may do what: roles, actions and the one decision that joins them (requirement 64).

Need-to-know is enforced twice over: a role says what kind of work a user does, and case
membership says which operations they work on. Everything is denied unless a rule below allows
it. The web application asks :func:`decide` through a single case-access dependency, and the
permission-matrix tests walk every role × action through it; no page or API route carries a
guard of its own.

The table, as a user reads it (``M`` = only for members of the case):

============================  =====  ==========  ============  =======  ==========  =======
action                        admin  supervisor  investigator  analyst  researcher  partner
============================  =====  ==========  ============  =======  ==========  =======
see the case                  M      M           M             M        M           M
read evidence and issues      .      M           M             M        M           .
add exhibits, run ingest      .      M           M             M        .           .
manage the case's members     .      M           owner         owner    owner       .
create a case                 yes    yes         yes           yes      .           .
manage users                  yes    .           .             .        .           .
view and export the audit log yes    .           .             .        .           .
============================  =====  ==========  ============  =======  ==========  =======

A case's owner (its creator, or whoever the owner or a supervisor makes owner) manages its
membership whatever their role, except a partner reader, who can never own a case. The
administrator runs the system, not investigations: membership of a case lets them see it, never
its evidence. Partner readers see a case's summary; what they may receive is decided by
information-sharing agreements when products are shared (requirements 42, 64).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """A user's role (design.md §5)."""

    ADMINISTRATOR = "administrator"
    SUPERVISOR = "supervisor"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    RESEARCHER = "researcher"
    PARTNER_READER = "partner_reader"

    @property
    def label(self) -> str:
        """The role as a user reads it."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = MappingProxyType(
    {
        Role.ADMINISTRATOR: "Administrator",
        Role.SUPERVISOR: "Supervisor (SIO)",
        Role.INVESTIGATOR: "Investigator",
        Role.ANALYST: "Analyst / DIIO",
        Role.RESEARCHER: "Researcher",
        Role.PARTNER_READER: "Partner reader",
    }
)


class Membership(StrEnum):
    """How a user belongs to a case."""

    OWNER = "owner"
    MEMBER = "member"


class Action(StrEnum):
    """What a user may ask to do."""

    CASE_VIEW = "case.view"
    EVIDENCE_READ = "evidence.read"
    EXHIBIT_WRITE = "exhibit.write"
    ANALYSIS_RUN = "analysis.run"
    MEMBERS_MANAGE = "members.manage"
    CASE_CREATE = "case.create"
    USERS_MANAGE = "users.manage"
    AUDIT_VIEW = "audit.view"

    @property
    def case_scoped(self) -> bool:
        """Whether the action concerns one case (and so needs membership of it)."""
        return self in _CASE_SCOPED


_CASE_SCOPED = frozenset(
    {
        Action.CASE_VIEW,
        Action.EVIDENCE_READ,
        Action.EXHIBIT_WRITE,
        Action.ANALYSIS_RUN,
        Action.MEMBERS_MANAGE,
    }
)

_INVESTIGATIVE = frozenset({Role.SUPERVISOR, Role.INVESTIGATOR, Role.ANALYST})

#: The roles each action is open to (members only, for case-scoped actions).
_GRANTS: MappingProxyType[Action, frozenset[Role]] = MappingProxyType(
    {
        Action.CASE_VIEW: frozenset(Role),
        Action.EVIDENCE_READ: _INVESTIGATIVE | {Role.RESEARCHER},
        Action.EXHIBIT_WRITE: _INVESTIGATIVE,
        # an analysis combines the case's data sets and keeps what it found (a combination,
        # DPA 2018 s62): for the investigative roles, not for researchers who only read
        Action.ANALYSIS_RUN: _INVESTIGATIVE,
        Action.MEMBERS_MANAGE: frozenset({Role.SUPERVISOR}),
        Action.CASE_CREATE: _INVESTIGATIVE | {Role.ADMINISTRATOR},
        Action.USERS_MANAGE: frozenset({Role.ADMINISTRATOR}),
        Action.AUDIT_VIEW: frozenset({Role.ADMINISTRATOR}),
    }
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may this user do this?", with the reason a refusal gives."""

    allowed: bool
    reason: str


def decide(role: Role, action: Action, membership: Membership | None = None) -> Decision:
    """Decide whether a user with ``role`` and ``membership`` of a case may do ``action``.

    Args:
        role: the user's role.
        action: what they ask to do.
        membership: how they belong to the case the action concerns; ``None`` when they are
            not a member (or the action concerns no case).

    Returns:
        The decision. A refusal's reason never says whether a case exists: a non-member is
        told the same thing whether or not there is such a case.
    """
    if action.case_scoped:
        if membership is None:
            return Decision(False, "you are not a member of this case, or there is no such case")
        if (
            action is Action.MEMBERS_MANAGE
            and membership is Membership.OWNER
            and role is not Role.PARTNER_READER
        ):
            return Decision(True, "owner of the case")
    if role in _GRANTS[action]:
        return Decision(True, f"{role.label} may {_WORDS[action]}")
    return Decision(False, f"the {role.label} role may not {_WORDS[action]}")


def can_own(role: Role) -> bool:
    """Whether a user of this role may own a case (partner readers may not)."""
    return role is not Role.PARTNER_READER


_WORDS = MappingProxyType(
    {
        Action.CASE_VIEW: "see this case",
        Action.EVIDENCE_READ: "read this case's evidence",
        Action.EXHIBIT_WRITE: "add exhibits or run ingest",
        Action.ANALYSIS_RUN: "run analyses on this case",
        Action.MEMBERS_MANAGE: "manage this case's members",
        Action.CASE_CREATE: "create cases",
        Action.USERS_MANAGE: "manage users",
        Action.AUDIT_VIEW: "view or export the audit log",
    }
)
