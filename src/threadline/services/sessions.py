"""Signed-in browser sessions, kept in the case store so every web worker shares them.

The browser's cookie holds a random 256-bit token; the case store keeps only its SHA-256, so a
copy of the database does not let anyone sign in as someone else. Each session has its own CSRF
token, which every state-changing request must echo. A new session (and so a new token) is made at
every sign-in, never reused from before it, which defeats session fixation. Sessions end after
:data:`IDLE_MINUTES` without use or :data:`LIFETIME_HOURS` in all, when the user signs out, is
disabled, or has their password changed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from threadline.model.access import Role
from threadline.services.workspace import Workspace
from threadline.store.tables import UserRow, WebSessionRow, stored_instant

#: Minutes without a request after which a session ends.
IDLE_MINUTES = 60
#: Hours after sign-in at which a session ends however busy it is (a working shift).
LIFETIME_HOURS = 12
# last_seen_at is written at most this often, so that reads do not all become writes
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A live session and who it belongs to."""

    user_id: str
    username: str
    display_name: str
    role: Role
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(ws: Workspace, user_id: str) -> tuple[str, ActiveSession]:
    """Start a session for a user who has just signed in.

    Returns:
        ``(token, session)``: the token goes in the browser's cookie and nowhere else.
    """
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ws.clock()
    with ws.session() as session:
        user = session.get(UserRow, user_id)
        if user is None:  # pragma: no cover - the caller has just authenticated this user
            raise LookupError(user_id)
        session.add(
            WebSessionRow(
                token_hash=_hash(token),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=LIFETIME_HOURS),
            )
        )
        # sessions that have run out are removed as new ones begin
        session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
        return token, ActiveSession(
            user.id, user.username, user.display_name, Role(user.role), csrf
        )


def load_session(ws: Workspace, token: str | None) -> ActiveSession | None:
    """The live session the token names, or ``None`` (no token, unknown, expired, idle too
    long, or its user disabled). Refreshes the session's last use."""
    if not token or len(token) > 200:
        return None
    now = ws.clock()
    with ws.session() as session:
        found = session.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.token_hash == _hash(token))
        ).first()
        if found is None:
            return None
        row, user = found
        idle = now - stored_instant(row.last_seen_at)
        if (
            user.disabled
            or stored_instant(row.expires_at) <= now
            or idle > timedelta(minutes=IDLE_MINUTES)
        ):
            session.delete(row)
            return None
        if idle > _TOUCH_EVERY:
            row.last_seen_at = now
        return ActiveSession(
            user.id, user.username, user.display_name, Role(user.role), row.csrf_token
        )


def end_session(ws: Workspace, token: str | None) -> None:
    """End the session the token names (signing out); nothing happens for an unknown token."""
    if not token:
        return
    with ws.session() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.token_hash == _hash(token)))


def end_sessions_of(session: Session, user_id: str) -> None:
    """End every session of a user, inside the caller's transaction."""
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
