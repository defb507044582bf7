"""Case membership and the one case-access decision, on SQLite and PostgreSQL (requirement 64).

Membership changes are audited alterations; a case always keeps an owner; partner readers never
own a case; :func:`threadline.services.access.authorise` refuses a non-member the same way
whether or not the case exists.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from threadline.errors import ConfigError, NotFound, PermissionDenied
from threadline.model.access import Action, Membership, Role
from threadline.services import access, audit, cases, users
from threadline.services.users import SignedInUser
from threadline.services.workspace import Workspace

PASSWORD = "ash-birch-cedar-2026"
NOT_A_MEMBER = "you are not a member of this case, or there is no such case"


@pytest.fixture
def people(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> dict[str, SignedInUser]:
    """Four users (Argon2id at its lowest cost: these tests are not about hashing) and OP-ASH,
    with nobody in it yet."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users, "_HASHER", hasher)
    roles = {
        "jo": Role.INVESTIGATOR,
        "sam": Role.ANALYST,
        "pat": Role.PARTNER_READER,
        "sio": Role.SUPERVISOR,
    }
    found = {}
    for username, role in roles.items():
        info = users.add_user(
            workspace, username, display_name=f"User {username}", role=role, password=PASSWORD
        )
        found[username] = SignedInUser(info.id, username, info.display_name, role)
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    return found


def _members(ws: Workspace, reference: str = "OP-ASH") -> list[tuple[str, str]]:
    return [(m.username, m.membership) for m in access.list_members(ws, reference)]


def _last_entries(
    ws: Workspace, count: int
) -> list[tuple[str, str, str | None, dict[str, object]]]:
    return [(e.operation, e.action, e.object_id, e.detail) for e in audit.recent(ws, limit=count)]


def test_members_are_added_changed_and_audited(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    case_id = cases.list_cases(workspace)[0].id
    added = access.set_member(workspace, "OP-ASH", "jo", Membership.OWNER)
    assert (added.username, added.role, added.membership) == ("jo", "investigator", "owner")
    assert added.added_by == "analyst.test"  # the workspace's audited identity
    access.set_member(workspace, "op-ash", "SAM", Membership.MEMBER)  # names as typed
    assert _members(workspace) == [("jo", "owner"), ("sam", "member")]
    access.set_member(workspace, "OP-ASH", "sam", Membership.OWNER)
    assert _members(workspace) == [("jo", "owner"), ("sam", "owner")]
    entries = audit.recent(workspace, limit=3)
    assert [(e.operation, e.action, e.case_id, e.object_id, e.detail) for e in entries] == [
        ("alteration", "case.member.set", case_id, people["sam"].id, {"membership": "owner"}),
        ("alteration", "case.member.set", case_id, people["sam"].id, {"membership": "member"}),
        ("alteration", "case.member.set", case_id, people["jo"].id, {"membership": "owner"}),
    ]
    assert {e.actor for e in entries} == {"analyst.test"}


def test_members_are_removed_but_never_the_last_owner(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    access.set_member(workspace, "OP-ASH", "jo", Membership.OWNER)
    access.set_member(workspace, "OP-ASH", "sam", Membership.MEMBER)
    with pytest.raises(ConfigError, match="last owner"):
        access.remove_member(workspace, "OP-ASH", "jo")
    assert _members(workspace) == [("jo", "owner"), ("sam", "member")]
    access.remove_member(workspace, "OP-ASH", "sam")
    assert _members(workspace) == [("jo", "owner")]
    assert _last_entries(workspace, 1) == [
        ("alteration", "case.member.remove", people["sam"].id, {})
    ]
    with pytest.raises(NotFound, match="not a member"):
        access.remove_member(workspace, "OP-ASH", "sam")
    # nor demoted to member while the only owner
    with pytest.raises(ConfigError, match="last owner"):
        access.set_member(workspace, "OP-ASH", "jo", Membership.MEMBER)
    assert _members(workspace) == [("jo", "owner")]
    # with a second owner, the first may go
    access.set_member(workspace, "OP-ASH", "sio", Membership.OWNER)
    access.remove_member(workspace, "OP-ASH", "jo")
    assert _members(workspace) == [("sio", "owner")]


def test_a_partner_reader_can_never_own_a_case(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    before = audit.verify(workspace).entries
    with pytest.raises(ConfigError, match="partner reader"):
        access.set_member(workspace, "OP-ASH", "pat", Membership.OWNER)
    assert _members(workspace) == []
    assert audit.verify(workspace).entries == before  # nothing recorded either
    access.set_member(workspace, "OP-ASH", "pat", Membership.MEMBER)
    with pytest.raises(ConfigError, match="partner reader"):
        access.set_member(workspace, "OP-ASH", "pat", Membership.OWNER)
    assert _members(workspace) == [("pat", "member")]


def test_unknown_cases_and_users_are_not_found(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    with pytest.raises(NotFound):
        access.set_member(workspace, "OP-NONE", "jo", Membership.MEMBER)
    with pytest.raises(NotFound):
        access.set_member(workspace, "OP-ASH", "nobody", Membership.MEMBER)
    with pytest.raises(NotFound):
        access.list_members(workspace, "OP-NONE")
    with pytest.raises(NotFound):
        access.remove_member(workspace, "OP-ASH", "nobody")


def test_authorise_grants_members_what_their_role_allows(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    case_id = cases.list_cases(workspace)[0].id
    access.set_member(workspace, "OP-ASH", "jo", Membership.OWNER)
    access.set_member(workspace, "OP-ASH", "pat", Membership.MEMBER)
    granted = access.authorise(workspace, people["jo"], Action.EXHIBIT_WRITE, case_id)
    assert (granted.case_id, granted.reference, granted.name, granted.membership) == (
        case_id,
        "OP-ASH",
        "Operation Ash",
        Membership.OWNER,
    )
    assert granted.marking == "OFFICIAL-SENSITIVE"
    # the owner manages members; the partner reader sees the case but not its evidence
    access.authorise(workspace, people["jo"], Action.MEMBERS_MANAGE, case_id)
    access.authorise(workspace, people["pat"], Action.CASE_VIEW, case_id)
    with pytest.raises(PermissionDenied) as refused:
        access.authorise(workspace, people["pat"], Action.EVIDENCE_READ, case_id)
    assert str(refused.value) == "the Partner reader role may not read this case's evidence"


def test_authorise_refuses_non_members_alike(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    """A supervisor who is not a member is told the same for the real case, ids no case has,
    and the real id in capitals."""
    case_id = cases.list_cases(workspace)[0].id
    access.set_member(workspace, "OP-ASH", "jo", Membership.OWNER)
    messages = []
    for candidate in (case_id, "0" * 32, "no-such-case", case_id.upper(), ""):
        with pytest.raises(PermissionDenied) as refused:
            access.authorise(workspace, people["sio"], Action.CASE_VIEW, candidate)
        messages.append(str(refused.value))
    assert messages == [NOT_A_MEMBER] * 5


def test_member_cases_are_only_the_users_own(
    workspace: Workspace, people: dict[str, SignedInUser]
) -> None:
    cases.create_case(workspace, "OP-BIRCH", "Operation Birch", owner_id=people["sam"].id)
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")
    access.set_member(workspace, "OP-ASH", "jo", Membership.OWNER)
    access.set_member(workspace, "OP-CEDAR", "jo", Membership.MEMBER)
    access.set_member(workspace, "OP-CEDAR", "sam", Membership.OWNER)
    seen = {
        name: [c.reference for c in access.member_cases(workspace, user)]
        for name, user in people.items()
    }
    assert seen == {
        "jo": ["OP-ASH", "OP-CEDAR"],
        "sam": ["OP-BIRCH", "OP-CEDAR"],
        "pat": [],
        "sio": [],
    }
    # whoever opens a case owns it
    assert _members(workspace, "OP-BIRCH") == [("sam", "owner")]


def test_role_actions_outside_cases(workspace: Workspace, people: dict[str, SignedInUser]) -> None:
    access.require(people["sio"], Action.CASE_CREATE)
    with pytest.raises(PermissionDenied, match="may not create cases"):
        access.require(people["pat"], Action.CASE_CREATE)
    with pytest.raises(PermissionDenied, match="may not manage users"):
        access.require(people["sio"], Action.USERS_MANAGE)
    with pytest.raises(PermissionDenied, match="audit log"):
        access.require(people["jo"], Action.AUDIT_VIEW)
