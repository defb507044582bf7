"""Kik (iOS): ``kik.sqlite`` (Core Data), messages into canonical ``messages``.

Schema (plaso ``ios_kik.py``, iLEAPP ``kikMessages.py``; checked against plaso's test database):

* ``ZKIKMESSAGE``: one row per message: ``ZTYPE`` 1 received, 2 sent, 3 and 4 group notices
  ("You started a group", "X has joined the chat"); ``ZUSER`` the other user (for a received
  group message, its author); ``ZBODY``; ``ZTIMESTAMP`` when it was sent and
  ``ZRECEIVEDTIMESTAMP`` when the handset stored it (real seconds since 2001, see
  :mod:`.times`); ``ZSTATE`` the delivery state.
* ``ZKIKUSER``: users (``ZUSERNAME``, ``ZDISPLAYNAME``, ``ZJID``); a group is a user whose JID is
  ``...@groups.kik.com``.
* ``ZKIKCHAT``: one row per chat, ``ZUSER`` the chat's user or group; the join table
  ``Z_<n>MESSAGES`` (``Z_<n>CHAT``, ``Z_<m>MESSAGES``) places each message in its chat; the join
  table ``Z_<n>MEMBERS`` lists a group's members. The numbers are Core Data entity numbers and
  vary between versions, so the tables are found by their shape.
* ``ZKIKATTACHMENT``: ``ZMESSAGE``, ``ZCONTENT`` (the id Kik names the file by; the message's
  ``ZBODY`` then holds the same id, not text, and ``body`` is left empty).

Every message row is read, group notices too (direction ``unknown``), so the count matches plaso's
(60 in its sample). People are named by their Kik **user name** (``ken.doh``), kept as written
and never read as a phone number; the display name goes to ``a_party_name`` (received) or
``thread_name``. The ``sent_*`` time is ``ZTIMESTAMP`` (plaso shows ``ZRECEIVEDTIMESTAMP``, the
same value for sent messages, later for received ones: both stay in ``source_rows``).

``ZKIKUSER`` also keeps users the owner merely looked up, so it is not read as an address book.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.apps.parties import user_party
from threadline.ingest.parsers.apps.tables import APPS
from threadline.ingest.parsers.apps.times import cocoa_seconds
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import Row, as_int, as_text

__all__ = ["SOURCE_APP", "read_kik"]

SOURCE_APP: Final = "Kik"

_DIRECTIONS: Final = {1: "incoming", 2: "outgoing"}
_NOTICES: Final = frozenset({3, 4})
_GROUP_SUFFIX: Final = "@groups.kik.com"
_MESSAGE_COLUMNS: Final = ("ztype", "zuser", "zbody", "ztimestamp", "zreceivedtimestamp")
_JOIN: Final = re.compile(r"^z_(\d+)(messages|members)$")


@dataclass(frozen=True, slots=True)
class _User:
    key: int
    username: str | None
    name: str | None
    jid: str | None

    @property
    def group(self) -> bool:
        return self.jid is not None and self.jid.lower().endswith(_GROUP_SUFFIX)

    @property
    def handle(self) -> str | None:
        """How the user is named in a party column: the user name, else (a group) the JID."""
        return self.username or self.jid


class _Lookups:
    """Users, chats, the message-to-chat and group-member join tables, and attachments: read
    once, one entry per person, chat, attachment or chat membership."""

    def __init__(self, con: sqlite3.Connection, place: str) -> None:
        self.users: dict[int, _User] = {}
        if APPS.has_columns(con, place, "ZKIKUSER", ("z_pk", "zusername", "zdisplayname", "zjid")):
            sql = "SELECT Z_PK, ZUSERNAME, ZDISPLAYNAME, ZJID FROM ZKIKUSER"
            for pk, username, name, jid in APPS.query(con, place, "ZKIKUSER", sql):
                if isinstance(pk, int):
                    self.users[pk] = _User(pk, as_text(username), as_text(name), as_text(jid))
        self.chat_user: dict[int, int] = {}
        if APPS.has_columns(con, place, "ZKIKCHAT", ("z_pk", "zuser")):
            for pk_value, user_value in APPS.query(
                con, place, "ZKIKCHAT", "SELECT Z_PK, ZUSER FROM ZKIKCHAT"
            ):
                pk, user = as_int(pk_value), as_int(user_value)
                if pk is not None and user is not None:
                    self.chat_user[pk] = user
        self.chats: dict[int, list[int]] = defaultdict(list)
        self.members: dict[int, list[int]] = defaultdict(list)
        for table in sorted(APPS.tables(con)):
            shape = _JOIN.match(table)
            if shape is not None:
                self._join(con, place, table, shape.group(2))
        self.attachments: dict[int, list[str]] = defaultdict(list)
        if APPS.has_columns(con, place, "ZKIKATTACHMENT", ("zmessage", "zcontent")):
            sql = "SELECT ZMESSAGE, ZCONTENT FROM ZKIKATTACHMENT ORDER BY Z_PK"
            for message_value, content_value in APPS.query(con, place, "ZKIKATTACHMENT", sql):
                message, content = as_int(message_value), as_text(content_value)
                if message is not None and content is not None:
                    self.attachments[message].append(content)

    def _join(self, con: sqlite3.Connection, place: str, table: str, kind: str) -> None:
        cols = APPS.columns(con, place, table)
        if kind == "messages":
            chat = next((c for c in cols if re.fullmatch(r"z_\d+chat", c)), None)
            item = next((c for c in cols if re.fullmatch(r"z_\d+messages", c)), None)
            target = self.chats
            left, right = item, chat
        else:
            group = next((c for c in cols if re.fullmatch(r"z_\d+membersinverse", c)), None)
            member = next((c for c in cols if re.fullmatch(r"z_\d+members", c)), None)
            target = self.members
            left, right = group, member
        if left is None or right is None:
            return
        sql = f'SELECT "{left}" AS a, "{right}" AS b FROM "{table}" ORDER BY 1, 2'
        for left_value, right_value in APPS.query(con, place, table, sql):
            a, b = as_int(left_value), as_int(right_value)
            if a is not None and b is not None:
                target[a].append(b)

    def chat_of(self, message: int | None, user: int | None) -> _User | None:
        """The user or group the message's chat is with. A message listed in several chats
        (seen in Core Data stores) is placed in the one with its own user, else the first."""
        if message is None:
            return None
        owners = [self.chat_user[c] for c in self.chats.get(message, []) if c in self.chat_user]
        if not owners:
            return None
        chosen = user if user in owners else owners[0]
        return self.users.get(chosen)

    def participants(self, group: _User | None) -> str | None:
        """A group's members' user names, ``; ``-separated."""
        if group is None:
            return None
        members = (self.users.get(m) for m in self.members.get(group.key, []))
        handles = [u.handle for u in members if u is not None and u.handle is not None]
        return "; ".join(handles) or None


def read_kik(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read every Kik message into ``messages``."""
    lookups = _Lookups(con, place)
    notices = 0
    for row in APPS.rows(con, place, "ZKIKMESSAGE", writer, expected=_MESSAGE_COLUMNS, key="Z_PK"):
        values = _message(writer, row, lookups)
        if as_int(row.get("ztype")) in _NOTICES:
            notices += 1
        writer.add("messages", row.locator, values, raw=row.raw)
    if notices:
        writer.ctx.issue(
            Severity.INFO,
            "kik.group_notices",
            "group notices (ZTYPE 3 and 4: a group started, members added or removed) are read "
            "as messages of unknown direction",
            locator=f"{place}#ZKIKMESSAGE",
            count=notices,
        )


def _message(writer: RowWriter, row: Row, lookups: _Lookups) -> dict[str, Any]:
    code = row.integer("ztype")
    direction = _DIRECTIONS.get(code, "unknown") if code is not None else "unknown"
    if direction == "unknown" and code not in _NOTICES:
        writer.ctx.issue(
            Severity.INFO,
            "kik.type_unknown",
            "a Kik message has a ZTYPE not documented (1 received, 2 sent, 3-4 group notices)",
            locator=row.locator,
            value=row.text("ztype"),
        )
    user_key = row.integer("zuser")
    user = lookups.users.get(user_key) if user_key is not None else None
    key = row.integer("z_pk")
    chat = lookups.chat_of(key, user_key) or (user if user is not None and user.group else None)
    if chat is None and user is not None and not user.group:
        chat = user
    group = chat if chat is not None and chat.group else None
    parties = _parties(direction, user, group)
    attachments = lookups.attachments.get(key, []) if key is not None else []
    body = row.verbatim("zbody")
    if body is not None and body.strip() in attachments:
        body = None
    when = cocoa_seconds(row.get("ztimestamp")) or cocoa_seconds(row.get("zreceivedtimestamp"))
    return {
        "record_type_original": row.text("ztype"),
        "message_type": "im",
        "direction": direction,
        **parties,
        **writer.time("sent", when, row.locator),
        "body": body,
        "thread": chat.jid if chat is not None else None,
        "thread_name": chat.name if chat is not None else None,
        "participants": lookups.participants(group),
        "attachments": "; ".join(attachments) or None,
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }


def _parties(direction: str, user: _User | None, group: _User | None) -> dict[str, Any]:
    handle = user.handle if user is not None else None
    name = user.name if user is not None else None
    if group is not None:
        parties = user_party("b_party", group.handle)
        if direction == "incoming" and user is not None and user is not group:
            return {
                **parties,
                **user_party("a_party", handle),
                "a_party_name": name,
                "target_role": "b",
            }
        if direction == "outgoing":
            return {**parties, "target_role": "a"}
        return parties
    if direction == "incoming":
        return {**user_party("a_party", handle), "a_party_name": name, "target_role": "b"}
    if direction == "outgoing":
        return {**user_party("b_party", handle), "target_role": "a"}
    return user_party("b_party", handle)
