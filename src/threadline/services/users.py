"""Users of the web application: add, list, disable, set passwords, and sign in with lock-out.

Passwords are hashed with Argon2id (design.md §5) and never stored, logged or returned. A sign-in
fails the same way, and takes about as long, whether the username is unknown, the password wrong,
the account disabled or locked, so the form tells an attacker nothing. After
:data:`LOCKOUT_FAILURES` consecutive failures an account is locked for
:data:`LOCKOUT_MINUTES`; a successful sign-in resets the count.

Adding, disabling and re-enabling a user are recorded in the audit log (staff accounts are
personal data too: collection and alteration, requirement 12).
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, Conflict, NotFound, PermissionDenied
from threadline.model.access import Role
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.services.sessions import end_sessions_of
from threadline.services.workspace import Workspace
from threadline.store.tables import UserRow, stored_instant

#: Consecutive failed sign-ins that lock an account.
LOCKOUT_FAILURES = 5
#: How long a locked account stays locked.
LOCKOUT_MINUTES = 15
#: Shortest password accepted (NCSC guidance favours length over composition rules).
MIN_PASSWORD_LENGTH = 12

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so that case costs the same
    time as a real one (made on first use, not at import)."""
    return _HASHER.hash("threadline-no-such-user-placeholder")


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as shown to an administrator (never the password hash)."""

    id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    locked: bool
    created_at: str
    last_sign_in_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SignedInUser:
    """The identity a request acts as."""

    id: str
    username: str
    display_name: str
    role: Role


def user_id_for(username: str) -> str:
    """The user's id: a hash of the lower-cased username (no personal data in URLs or logs)."""
    return make_id("user", username.strip().lower())


def _info(row: UserRow, now: datetime) -> UserInfo:
    return UserInfo(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        disabled=row.disabled,
        locked=_locked(row, now),
        created_at=stored_instant(row.created_at).isoformat(),
        last_sign_in_at=stored_instant(row.last_sign_in_at).isoformat()
        if row.last_sign_in_at
        else None,
    )


def _locked(row: UserRow, now: datetime) -> bool:
    until = stored_instant(row.locked_until)
    return until is not None and until > now


def parse_role(text: str) -> Role:
    """The role named by ``text`` (its value, e.g. ``analyst``).

    Raises:
        ConfigError: no such role; the message lists them.
    """
    try:
        return Role(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError as exc:
        names = ", ".join(r.value for r in Role)
        raise ConfigError(f"no role {text!r}: choose one of {names}") from exc


def check_password_rules(password: str) -> None:
    """Refuse a password too short to resist guessing.

    Raises:
        ConfigError: shorter than :data:`MIN_PASSWORD_LENGTH` characters.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def find_user(session: Session, username: str) -> UserRow:
    """The user with this username.

    Raises:
        NotFound: no such user.
    """
    row = _user_named(session, username)
    if row is None:
        raise NotFound(f"no user {username!r}: 'threadline user list' shows them")
    return row


def _user_named(session: Session, username: str) -> UserRow | None:
    """The user with this username (compared in lower case), or ``None``."""
    return session.execute(
        select(UserRow).where(UserRow.username == username.strip().lower())
    ).scalar_one_or_none()


def add_user(
    ws: Workspace,
    username: str,
    *,
    display_name: str,
    role: Role,
    password: str,
) -> UserInfo:
    """Create a user.

    Raises:
        ConfigError: bad username, empty display name or too short a password.
        Conflict: the username is taken.
    """
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise ConfigError(
            f"username {username!r} must be 2–64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if not display_name.strip():
        raise ConfigError("a user needs a display name (e.g. 'DC Jo Bloggs')")
    check_password_rules(password)
    hashed = _HASHER.hash(password)  # slow on purpose: outside the transaction
    with ws.session() as session:
        if session.execute(select(UserRow.id).where(UserRow.username == username)).first():
            raise Conflict(f"a user {username!r} already exists")
        row = UserRow(
            id=user_id_for(username),
            username=username,
            display_name=display_name.strip(),
            role=role.value,
            password_hash=hashed,
            disabled=False,
            failed_sign_ins=0,
            locked_until=None,
            created_at=ws.clock(),
            created_by=ws.user,
            last_sign_in_at=None,
        )
        session.add(row)
        ws.audit(
            session,
            AuditOperation.COLLECTION,
            "user.add",
            object_type="user",
            object_id=row.id,
            detail={"username": username, "role": role.value},
        )
        return _info(row, ws.clock())


def list_users(ws: Workspace) -> list[UserInfo]:
    """Every user, by username."""
    with ws.session() as session:
        now = ws.clock()
        rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars()
        return [_info(row, now) for row in rows]


def count_users(ws: Workspace) -> int:
    """How many users exist (none: the first-run administrator is still to be made)."""
    with ws.session() as session:
        return int(session.execute(select(func.count()).select_from(UserRow)).scalar_one())


def set_disabled(ws: Workspace, username: str, disabled: bool) -> UserInfo:
    """Disable a user (they can no longer sign in; their sessions end) or enable them again.

    Raises:
        NotFound: no such user.
        Conflict: it is the last enabled administrator (no one could then manage users from
            the browser).
    """
    with ws.session() as session:
        row = find_user(session, username)
        if disabled and not row.disabled and row.role == Role.ADMINISTRATOR.value:
            others = session.execute(
                select(func.count())
                .select_from(UserRow)
                .where(
                    UserRow.role == Role.ADMINISTRATOR.value,
                    UserRow.disabled.is_(False),
                    UserRow.id != row.id,
                )
            ).scalar_one()
            if not others:
                raise Conflict(
                    f"{row.username} is the last enabled administrator: add or enable another first"
                )
        row.disabled = disabled
        if not disabled:
            row.failed_sign_ins = 0
            row.locked_until = None
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "user.disable" if disabled else "user.enable",
            object_type="user",
            object_id=row.id,
        )
        if disabled:
            end_sessions_of(session, row.id)
        return _info(row, ws.clock())


def set_password(ws: Workspace, username: str, password: str) -> None:
    """Set a user's password, unlock the account and end its sessions.

    Raises:
        NotFound: no such user.
        ConfigError: too short a password.
    """
    check_password_rules(password)
    hashed = _HASHER.hash(password)
    with ws.session() as session:
        row = find_user(session, username)
        row.password_hash = hashed
        row.failed_sign_ins = 0
        row.locked_until = None
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "user.password",
            object_type="user",
            object_id=row.id,
        )
        end_sessions_of(session, row.id)


def authenticate(ws: Workspace, username: str, password: str) -> SignedInUser:
    """Check a username and password; count failures and lock the account after too many.

    Raises:
        PermissionDenied: the sign-in failed, for whatever reason (one message for all, so the
            response does not reveal which usernames exist or which accounts are locked).
    """
    refused = PermissionDenied("the username or password is wrong, or the account is locked")
    now = ws.clock()
    with ws.session() as session:
        row = _user_named(session, username)
        if row is None or row.disabled or _locked(row, now):
            _verify(_dummy_hash(), password)
            raise refused
        if _verify(row.password_hash, password):
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            row.failed_sign_ins = 0
            row.locked_until = None
            row.last_sign_in_at = now
            return signed_in_user(row)
        # a failure is counted in a transaction that commits, although the sign-in is refused
        row.failed_sign_ins += 1
        if row.failed_sign_ins >= LOCKOUT_FAILURES:
            row.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
            row.failed_sign_ins = 0
    raise refused


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def signed_in_user(row: UserRow) -> SignedInUser:
    """The identity of a user row."""
    return SignedInUser(row.id, row.username, row.display_name, Role(row.role))


def generate_password() -> str:
    """A random password for a first-run administrator (shown once, to be changed)."""
    return secrets.token_urlsafe(15)


#: The first-run administrator's username.
FIRST_ADMINISTRATOR = "admin"


def ensure_first_administrator(ws: Workspace) -> str | None:
    """On a workspace with no users, create the administrator ``admin`` with a random password.

    Returns:
        The password, to be shown once (``None`` when users already exist: nothing is made).
    """
    if count_users(ws):
        return None
    password = generate_password()
    add_user(
        ws,
        FIRST_ADMINISTRATOR,
        display_name="Administrator",
        role=Role.ADMINISTRATOR,
        password=password,
    )
    return password
