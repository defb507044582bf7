"""Users and browser sessions through the services, on SQLite and PostgreSQL.

Users: validation, duplicates, Argon2id hashing, sign-in with one message for every refusal,
lock-out after five failures for fifteen minutes (timed with the step clock), disabling and new
passwords. Sessions: the token is kept only as its SHA-256, and a session ends when idle for an
hour, twelve hours after sign-in, at sign-out, or when its user is disabled.

Argon2id at its real cost is slow (well over 100 ms a hash here), so most tests use the same
algorithm at its lowest cost (:func:`fast_hashing`); ``test_real_hashes_are_argon2id_and_kept``
checks the real parameters.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from threadline.errors import ConfigError, Conflict, NotFound, PermissionDenied
from threadline.model.access import Role
from threadline.model.audit import AuditOperation
from threadline.services import audit, sessions, users
from threadline.services.users import SignedInUser
from threadline.services.workspace import Workspace
from threadline.store.tables import UserRow, WebSessionRow

PASSWORD = "ash-birch-cedar-2026"
REFUSED = "the username or password is wrong, or the account is locked"


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Argon2id at its lowest cost (these tests are about the rules, not the cost)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users, "_HASHER", hasher)
    return hasher


def _add(ws: Workspace, username: str = "jo", role: Role = Role.INVESTIGATOR) -> users.UserInfo:
    return users.add_user(ws, username, display_name="DC Jo Bloggs", role=role, password=PASSWORD)


def _row(ws: Workspace, username: str) -> UserRow:
    with ws.session() as session:
        row = users.find_user(session, username)
        session.expunge(row)
        return row


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _refused(ws: Workspace, username: str, password: str) -> str:
    with pytest.raises(PermissionDenied) as refused:
        users.authenticate(ws, username, password)
    return str(refused.value)


# --- Adding users ------------------------------------------------------------------------


BAD_USERNAMES = ["a", "A", "-jo", ".jo", "jo bloggs", "jo@met", "jo/1", "x" * 65, "", "jö"]


def test_bad_usernames_are_refused(workspace: Workspace, fast_hashing: PasswordHasher) -> None:
    for username in BAD_USERNAMES:
        with pytest.raises(ConfigError, match="username"):
            _add(workspace, username)
    assert users.count_users(workspace) == 0
    # the longest and shortest good ones
    _add(workspace, "x" * 64)
    _add(workspace, "j0")
    assert users.count_users(workspace) == 2


def test_a_user_is_added_normalised_and_audited(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    info = users.add_user(
        workspace,
        "  Jo.Bloggs_2 ",
        display_name="  DC Jo Bloggs ",
        role=Role.ANALYST,
        password="twelve-chars",
    )
    assert (info.username, info.display_name, info.role) == (
        "jo.bloggs_2",
        "DC Jo Bloggs",
        "analyst",
    )
    assert (info.disabled, info.locked, info.last_sign_in_at) == (False, False, None)
    assert info.id == users.user_id_for("jo.bloggs_2")
    assert "password" not in str(info.to_dict()).lower()
    assert users.count_users(workspace) == 1
    (entry,) = audit.recent(workspace)
    assert (entry.operation, entry.action, entry.object_id) == (
        AuditOperation.COLLECTION.value,
        "user.add",
        info.id,
    )
    assert entry.detail == {"username": "jo.bloggs_2", "role": "analyst"}
    assert "twelve-chars" not in str(entry.to_dict())


def test_display_name_and_password_rules(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    with pytest.raises(ConfigError, match="display name"):
        users.add_user(workspace, "jo", display_name="   ", role=Role.ANALYST, password=PASSWORD)
    with pytest.raises(ConfigError, match="at least 12 characters"):
        users.add_user(workspace, "jo", display_name="Jo", role=Role.ANALYST, password="x" * 11)
    assert users.count_users(workspace) == 0
    users.add_user(workspace, "jo", display_name="Jo", role=Role.ANALYST, password="x" * 12)
    assert users.count_users(workspace) == 1


def test_a_taken_username_is_a_conflict_whatever_its_case(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    _add(workspace, "jo")
    for again in ("jo", "JO", " Jo "):
        with pytest.raises(Conflict, match="already exists"):
            _add(workspace, again, Role.ANALYST)
    assert [u.username for u in users.list_users(workspace)] == ["jo"]


def test_roles_are_read_as_written() -> None:
    assert users.parse_role("Partner reader") is Role.PARTNER_READER
    assert users.parse_role("partner-reader") is Role.PARTNER_READER
    assert users.parse_role(" ANALYST ") is Role.ANALYST
    with pytest.raises(ConfigError, match="supervisor"):  # the message lists the roles
        users.parse_role("sio")


# --- Signing in --------------------------------------------------------------------------


def test_the_right_password_signs_in(
    workspace: Workspace, fast_hashing: PasswordHasher, clock: Any
) -> None:
    info = _add(workspace, "jo", Role.SUPERVISOR)
    who = users.authenticate(workspace, " JO ", PASSWORD)
    assert who == SignedInUser(info.id, "jo", "DC Jo Bloggs", Role.SUPERVISOR)
    assert _aware(_row(workspace, "jo").last_sign_in_at) == clock.now


def test_every_refusal_says_the_same(workspace: Workspace, fast_hashing: PasswordHasher) -> None:
    _add(workspace, "jo")
    _add(workspace, "gone")
    users.set_disabled(workspace, "gone", True)
    messages = {
        "wrong password": _refused(workspace, "jo", PASSWORD + "x"),
        "unknown user": _refused(workspace, "nobody", PASSWORD),
        "empty password": _refused(workspace, "jo", ""),
        "disabled": _refused(workspace, "gone", PASSWORD),
    }
    assert messages == dict.fromkeys(messages, REFUSED)


def test_five_failures_lock_the_account_for_exactly_fifteen_minutes(
    workspace: Workspace, fast_hashing: PasswordHasher, clock: Any
) -> None:
    _add(workspace, "jo")
    # four failures and then a success: the count starts again
    for _ in range(4):
        _refused(workspace, "jo", "wrong-password")
    assert _row(workspace, "jo").failed_sign_ins == 4
    users.authenticate(workspace, "jo", PASSWORD)
    assert _row(workspace, "jo").failed_sign_ins == 0
    for _ in range(4):
        _refused(workspace, "jo", "wrong-password")
    assert _row(workspace, "jo").locked_until is None
    _refused(workspace, "jo", "wrong-password")  # the fifth in a row
    fifth = clock.now  # each authenticate reads the step clock once
    until = _aware(_row(workspace, "jo").locked_until)
    assert until == fifth + timedelta(minutes=15)
    assert users.list_users(workspace)[0].locked
    # locked: the right password is refused with the same message, and more failures do not
    # extend the lock
    assert _refused(workspace, "jo", PASSWORD) == REFUSED
    clock.now = fifth + timedelta(minutes=10)
    _refused(workspace, "jo", "wrong-password")
    assert _aware(_row(workspace, "jo").locked_until) == until
    # one second before the fifteen minutes are up: still locked
    clock.now = until - timedelta(seconds=2)  # the next reading is until - 1 s
    assert _refused(workspace, "jo", PASSWORD) == REFUSED
    # at fifteen minutes: open again
    clock.now = until - timedelta(seconds=1)  # the next reading is until
    assert users.authenticate(workspace, "jo", PASSWORD).username == "jo"
    row = _row(workspace, "jo")
    assert (row.failed_sign_ins, row.locked_until) == (0, None)


def test_a_disabled_user_cannot_sign_in_until_enabled(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    info = _add(workspace, "jo")
    token, _ = sessions.start_session(workspace, info.id)
    for _ in range(5):
        _refused(workspace, "jo", "wrong-password")  # locked as well
    disabled = users.set_disabled(workspace, "jo", True)
    assert disabled.disabled
    # the session ended at once
    assert sessions.load_session(workspace, token) is None
    assert _refused(workspace, "jo", PASSWORD) == REFUSED
    enabled = users.set_disabled(workspace, "jo", False)
    # enabling also lifts the lock
    assert (enabled.disabled, enabled.locked) == (False, False)
    assert users.authenticate(workspace, "jo", PASSWORD).id == info.id
    actions = [(e.operation, e.action) for e in audit.recent(workspace, limit=3)]
    assert actions == [
        ("alteration", "user.enable"),
        ("alteration", "user.disable"),
        ("collection", "user.add"),
    ]
    with pytest.raises(NotFound):
        users.set_disabled(workspace, "nobody", True)


def test_a_new_password_replaces_the_old_and_ends_sessions(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    info = _add(workspace, "jo")
    token, _ = sessions.start_session(workspace, info.id)
    with pytest.raises(ConfigError, match="at least 12"):
        users.set_password(workspace, "jo", "short")
    assert sessions.load_session(workspace, token) is not None  # nothing changed
    users.set_password(workspace, "jo", "a-new-password-2026")
    assert sessions.load_session(workspace, token) is None
    assert _refused(workspace, "jo", PASSWORD) == REFUSED
    assert users.authenticate(workspace, "jo", "a-new-password-2026").id == info.id
    assert audit.recent(workspace, limit=1)[0].action == "user.password"


def test_real_hashes_are_argon2id_and_kept(workspace: Workspace) -> None:
    """With the real parameters: Argon2id, salted, not re-hashed at sign-in; an old, weaker
    hash is replaced at the next sign-in."""
    users.add_user(workspace, "jo", display_name="Jo", role=Role.ANALYST, password=PASSWORD)
    stored = _row(workspace, "jo").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    users.authenticate(workspace, "jo", PASSWORD)
    assert _row(workspace, "jo").password_hash == stored  # no rehash needed
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with workspace.session() as session:
        users.find_user(session, "jo").password_hash = weak
    users.authenticate(workspace, "jo", PASSWORD)
    rehashed = _row(workspace, "jo").password_hash
    assert rehashed not in (weak, stored)
    assert not PasswordHasher().check_needs_rehash(rehashed)


# --- Sessions ----------------------------------------------------------------------------


def _session_rows(ws: Workspace) -> list[dict[str, Any]]:
    with ws.session() as session:
        rows = session.execute(select(WebSessionRow)).scalars().all()
        return [
            {column.name: getattr(row, column.name) for column in WebSessionRow.__table__.columns}
            for row in rows
        ]


def test_a_session_keeps_only_the_hash_of_its_token(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    info = _add(workspace, "jo", Role.ANALYST)
    token, active = sessions.start_session(workspace, info.id)
    other_token, other = sessions.start_session(workspace, info.id)
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    assert token != other_token
    assert active.csrf_token != other.csrf_token
    assert (active.user_id, active.username, active.role) == (info.id, "jo", Role.ANALYST)
    rows = _session_rows(workspace)
    assert len(rows) == 2
    for row in rows:
        for value in row.values():
            assert token not in str(value)
            assert other_token not in str(value)
    hashes = {row["token_hash"] for row in rows}
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    loaded = sessions.load_session(workspace, token)
    assert loaded is not None
    assert loaded.csrf_token == active.csrf_token


def test_unknown_or_malformed_tokens_find_nothing(
    workspace: Workspace, fast_hashing: PasswordHasher
) -> None:
    info = _add(workspace, "jo")
    token, _ = sessions.start_session(workspace, info.id)
    # the stored hash itself is not a token
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    for candidate in (None, "", "nonsense", token_hash, token + "x", token * 10):
        assert sessions.load_session(workspace, candidate) is None
    sessions.end_session(workspace, None)  # nothing to end, no error
    sessions.end_session(workspace, "nonsense")
    assert sessions.load_session(workspace, token) is not None


def test_a_session_ends_after_an_hour_idle(
    workspace: Workspace, fast_hashing: PasswordHasher, clock: Any
) -> None:
    info = _add(workspace, "jo")
    token, _ = sessions.start_session(workspace, info.id)
    for _ in range(3):  # used every 59 minutes: it lives on
        clock.now += timedelta(minutes=59)
        assert sessions.load_session(workspace, token) is not None
    clock.now += timedelta(minutes=61)
    assert sessions.load_session(workspace, token) is None
    assert _session_rows(workspace) == []  # and it is gone for good
    clock.now -= timedelta(minutes=61)
    assert sessions.load_session(workspace, token) is None


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    workspace: Workspace, fast_hashing: PasswordHasher, clock: Any
) -> None:
    info = _add(workspace, "jo")
    token, _ = sessions.start_session(workspace, info.id)
    alive = []
    for _ in range(16):  # every 50 minutes: 11 h 40 min after 14 uses, 12 h 30 min after 15
        clock.now += timedelta(minutes=50)
        alive.append(sessions.load_session(workspace, token) is not None)
    assert alive == [True] * 14 + [False] * 2


def test_sign_out_and_expired_sessions_are_removed(
    workspace: Workspace, fast_hashing: PasswordHasher, clock: Any
) -> None:
    info = _add(workspace, "jo")
    first, _ = sessions.start_session(workspace, info.id)
    second, _ = sessions.start_session(workspace, info.id)
    sessions.end_session(workspace, first)
    assert sessions.load_session(workspace, first) is None
    assert sessions.load_session(workspace, second) is not None
    # a session run out is cleared away when a new one starts
    clock.now += timedelta(hours=13)
    third, _ = sessions.start_session(workspace, info.id)
    rows = _session_rows(workspace)
    assert [r["token_hash"] for r in rows] == [hashlib.sha256(third.encode()).hexdigest()]


def test_the_last_enabled_administrator_cannot_be_disabled(workspace: Workspace) -> None:
    users.add_user(workspace, "root", display_name="R", role=Role.ADMINISTRATOR, password=PASSWORD)
    with pytest.raises(Conflict, match="last enabled administrator"):
        users.set_disabled(workspace, "root", True)
    users.add_user(
        workspace, "root2", display_name="R2", role=Role.ADMINISTRATOR, password=PASSWORD
    )
    assert users.set_disabled(workspace, "root", True).disabled
    with pytest.raises(Conflict, match="last enabled administrator"):
        users.set_disabled(workspace, "root2", True)
