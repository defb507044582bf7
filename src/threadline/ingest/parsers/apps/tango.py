"""Tango (Android, ``com.sgiggle.production``): messages in ``tc.db``, profiles in the profile
database.

**``tc.db``** (schema from plaso ``android_tango.py``, ALEAPP ``tangomessage.py``; content worked
out from plaso's test database):

* ``messages``: one row per message: ``conv_id`` the conversation, ``type`` (0 text, 1 video,
  3 picture, 30 shared music, 35 sticker, 61 a "like"), ``create_time`` and ``send_time`` (ms
  since 1970, UTC), ``direction``, ``del_status``, and ``payload``: base64 text of a Protocol
  Buffers record (no published schema). Read at the wire level (:mod:`.protobuf`), its fields are
  seen to hold: 2 the conversation id, 4 the text, 5 the media's download address, 7 and 15 the
  media's path on the handset, 21 the sender (a record of 1 first name, 2 last name, 3 account
  id) and 76 the text of a notice such as "Hank liked the message.".
* ``direction`` is **1 for a message the owner sent, 2 for one received**. Other tools print the
  opposite (ALEAPP itself says its labels are unverified); the sample settles it: only
  direction-2 payloads carry a sender record; the owner's friend requests ("I am following you on
  Tango", ``outRequest`` in the profile database) are direction 1; Tango's welcome message is
  direction 2; a like by the owner's account (profile ``keyCurrentUserId``, "Hank") is 1 and the
  other user's likes are 2.
* ``sent_*`` is ``create_time`` (as ALEAPP; plaso shows both); ``send_time`` stays in
  ``source_rows``. ``del_status``/``conv_del_status`` are kept as written: their meaning is not
  documented, so a non-zero value is reported (``tango.deletion_flag``), not read as deleted.
* ``conversations`` holds only an id and the same kind of payload per conversation: plaso counts
  its rows as events (7 in its sample, with its 18 messages: 25); here each conversation is the
  ``thread`` of its messages, not a row of its own.

**Profile database** (``profiletable``, ``profiles``): one ``profiletable`` row per Tango user the
app knows, names **base64-encoded** (``itemFirstName``, ``itemLastName``, also ``itemStatus`` and
``itemFriendRequestMessage``), times in ms since 1970. The owner's own profile (``profiles`` key
``keyCurrentUserId``) becomes an ``accounts`` row, every other one a ``contacts`` row (name and
account id); friend requests, last-active and birthday stay in ``source_rows``.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.apps.parties import user_party
from threadline.ingest.parsers.apps.protobuf import Fields, read_fields
from threadline.ingest.parsers.apps.tables import APPS
from threadline.ingest.parsers.apps.times import unix_ms
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import Row, as_text

__all__ = ["SOURCE_APP", "decode_base64_text", "read_tango_profiles", "read_tango_tc"]

SOURCE_APP: Final = "Tango"

_DIRECTIONS: Final = {1: "outgoing", 2: "incoming"}
_MESSAGE_COLUMNS: Final = ("conv_id", "type", "create_time", "send_time", "direction", "payload")
_PROFILE_COLUMNS: Final = ("itemuserid", "itemfirstname", "itemlastname")
# payload field numbers, as seen in the sample (see the module docstring)
_TEXT: Final = 4
_MEDIA_URL: Final = 5
_MEDIA_PATHS: Final = (7, 15)
_SENDER: Final = 21
_NOTICE: Final = 76
_FIRST, _LAST, _ACCOUNT = 1, 2, 3
#: a base64 payload larger than this is not decoded (a message record is a few KB)
_MAX_PAYLOAD: Final = 1_000_000


def decode_base64_text(value: str | None) -> str | None:
    """Text stored base64-encoded (Tango profile names), or ``None`` when it is not base64.

    Empty text stays empty; bytes that are not UTF-8 are replaced rather than lost.
    """
    if value is None:
        return None
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data.decode("utf-8", "replace")


# -- tc.db ------------------------------------------------------------------------------------


def read_tango_tc(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read Tango's messages (``tc.db``) into ``messages``."""
    flagged = 0
    for row in APPS.rows(con, place, "messages", writer, expected=_MESSAGE_COLUMNS, key="msg_id"):
        if row.integer("del_status") not in (None, 0):
            flagged += 1
        writer.add("messages", row.locator, _message(writer, row), raw=row.raw)
    if flagged:
        writer.ctx.issue(
            Severity.INFO,
            "tango.deletion_flag",
            "Tango messages with a non-zero del_status (meaning undocumented; read as they stand, "
            "the value kept in source_rows)",
            locator=f"{place}#messages",
            count=flagged,
        )


def _payload(writer: RowWriter, row: Row) -> Fields:
    value = row.get("payload")
    if value is None:
        return {}
    text = value if isinstance(value, str) else bytes(value).decode("ascii", "replace")
    try:
        if len(text) > _MAX_PAYLOAD:
            raise ValueError("payload too large")
        return read_fields(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError) as exc:
        writer.ctx.issue(
            Severity.WARNING,
            "tango.payload_unreadable",
            "a Tango message's payload could not be decoded (base64 Protocol Buffers); its text "
            "and sender are left empty, the payload kept in source_rows",
            locator=row.locator,
            value=str(exc),
        )
        return {}


def _texts(fields: Fields, number: int) -> list[str]:
    found = []
    for value in fields.get(number, []):
        if isinstance(value, bytes) and value.strip():
            found.append(value.decode("utf-8", "replace"))
    return found


def _sender(fields: Fields) -> tuple[str | None, str | None]:
    """The sender's account id and name from the payload's sender record, if it has one."""
    for value in fields.get(_SENDER, []):
        if not isinstance(value, bytes):
            continue
        try:
            inner = read_fields(value)
        except ValueError:
            continue
        account = next(iter(_texts(inner, _ACCOUNT)), None)
        name = " ".join(t.strip() for t in _texts(inner, _FIRST) + _texts(inner, _LAST))
        return account, name or None
    return None, None


def _message(writer: RowWriter, row: Row) -> dict[str, Any]:
    code = row.integer("direction")
    direction = _DIRECTIONS.get(code, "unknown") if code is not None else "unknown"
    if direction == "unknown":
        writer.ctx.issue(
            Severity.INFO,
            "tango.direction_unknown",
            "a Tango message has a direction other than 1 (sent) or 2 (received)",
            locator=row.locator,
            value=row.text("direction"),
        )
    fields = _payload(writer, row)
    conversation = row.text("conv_id")
    account, name = _sender(fields)
    parties: dict[str, Any]
    if direction == "outgoing":
        parties = {**user_party("b_party", conversation), "target_role": "a"}
    elif direction == "incoming":
        parties = {**user_party("a_party", account or conversation), "a_party_name": name}
        parties["target_role"] = "b"
    else:
        parties = user_party("b_party", conversation)
    body = next(iter(_texts(fields, _TEXT) + _texts(fields, _NOTICE)), None)
    paths = list(dict.fromkeys(p for n in _MEDIA_PATHS for p in _texts(fields, n)))
    media = paths or _texts(fields, _MEDIA_URL)
    when = unix_ms(row.get("create_time")) or unix_ms(row.get("send_time"))
    return {
        "record_type_original": row.text("type"),
        "message_type": "im",
        "direction": direction,
        **parties,
        **writer.time("sent", when, row.locator),
        "body": body,
        "thread": conversation,
        "attachments": "; ".join(media) or None,
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }


# -- profile database -------------------------------------------------------------------------


def read_tango_profiles(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read Tango's profile cache: the owner's profile into ``accounts``, the others into
    ``contacts``."""
    owner = _owner(con, place)
    for row in APPS.rows(
        con, place, "profiletable", writer, expected=_PROFILE_COLUMNS, key="itemUserId"
    ):
        user = row.text("itemuserid")
        name = _name(writer, row)
        if owner is not None and user == owner:
            values = {"service": SOURCE_APP, "account_id": user, "display_name": name}
            writer.add("accounts", row.locator, values, raw=row.raw)
            continue
        values = {
            "name": name,
            "account": user,
            "source_app": SOURCE_APP,
            "deleted_state": "intact",
        }
        writer.add("contacts", row.locator, values, raw=row.raw)


def _owner(con: sqlite3.Connection, place: str) -> str | None:
    if not APPS.has_columns(con, place, "profiles", ("key", "value")):
        return None
    sql = 'SELECT "value" FROM "profiles" WHERE "key" = ?'
    found = list(APPS.query(con, place, "profiles", sql, ("keyCurrentUserId",)))
    return as_text(found[0][0]) if found else None


def _name(writer: RowWriter, row: Row) -> str | None:
    parts = []
    for column in ("itemfirstname", "itemlastname"):
        stored = row.text(column)
        if stored is None:
            continue
        decoded = decode_base64_text(stored)
        if decoded is None:
            writer.ctx.issue(
                Severity.WARNING,
                "tango.base64_undecodable",
                f"a Tango profile's {column} is not base64 as Tango writes it; it is kept as "
                "written",
                locator=row.locator,
                value=stored,
            )
            decoded = stored
        if decoded.strip():
            parts.append(decoded.strip())
    return " ".join(parts) or None
