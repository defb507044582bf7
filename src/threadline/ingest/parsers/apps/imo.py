"""imo (iOS, imo HD): ``IMODb2.sqlite`` (Core Data), messages, contacts and the owner's account.

Schema (plaso ``ios_imohdchat.py``, iLEAPP ``imoHD_Chat.py``; checked against plaso's test
database):

* ``ZIMOCHATMSG``: one row per message: ``ZISSENT`` 1 sent by the owner, 0 received; ``ZBUID``
  the conversation (the other user's imo id, or a group's); ``ZA_UID`` the author of a received
  message and ``ZALIAS`` the name shown for them; ``ZTEXT``; ``ZTS`` when the handset recorded
  it and ``ZSENDERTS`` the sender's time (both **nanoseconds** since 1970, UTC); ``ZTYPE`` 0 text,
  1 photo, 12 a message the sender deleted ("This message was deleted").
* ``ZIMOCONTACT``: imo contacts: ``ZBUID`` (imo id), ``ZDISPLAY``, ``ZALIAS``, ``ZPHONE`` (as
  the address book shows it), ``ZIS_GROUP``.
* ``ZIMOKEYVAL``: settings; ``imo_account_uid`` and ``imo_account_alias`` are the owner's imo id
  and name.

imo ids are long numbers (``2000810370507916``) that are *not* phone numbers: they are kept as
originals only. ``sent_*`` is ``ZTS``, the time plaso shows; ``ZSENDERTS`` stays in
``source_rows``. A contact's ``ZPHONE`` is a phone number and is normalised (a national form in
the exhibit's default numbering plan).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.apps.parties import user_party
from threadline.ingest.parsers.apps.tables import APPS
from threadline.ingest.parsers.apps.times import unix_ns
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import Row, as_int, as_text

__all__ = ["SOURCE_APP", "read_imo"]

SOURCE_APP: Final = "imo"

_DIRECTIONS: Final = {1: "outgoing", 0: "incoming"}
_MESSAGE_COLUMNS: Final = ("zissent", "zbuid", "za_uid", "zalias", "ztext", "zts", "ztype")
_CONTACT_COLUMNS: Final = ("zbuid", "zdisplay", "zalias", "zphone", "zis_group")
_ACCOUNT_KEYS: Final = ("imo_account_uid", "imo_account_alias")


@dataclass(frozen=True, slots=True)
class _Contact:
    name: str | None
    group: bool


def read_imo(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read imo's messages, contacts and the owner's account."""
    contacts = _contacts(con, place)
    for row in APPS.rows(con, place, "ZIMOCHATMSG", writer, expected=_MESSAGE_COLUMNS, key="Z_PK"):
        writer.add("messages", row.locator, _message(writer, row, contacts), raw=row.raw)
    for row in APPS.rows(con, place, "ZIMOCONTACT", writer, expected=_CONTACT_COLUMNS, key="Z_PK"):
        if row.integer("zis_group") == 1:
            continue
        values = {
            "name": row.text("zdisplay") or row.text("zalias"),
            **writer.party("number", row.text("zphone")),
            "account": row.text("zbuid"),
            "source_app": SOURCE_APP,
            "deleted_state": "intact",
        }
        writer.add("contacts", row.locator, values, raw=row.raw)
    _account(con, place, writer)


def _contacts(con: sqlite3.Connection, place: str) -> dict[str, _Contact]:
    if not APPS.has_columns(
        con, place, "ZIMOCONTACT", ("zbuid", "zdisplay", "zalias", "zis_group")
    ):
        return {}
    sql = "SELECT ZBUID, ZDISPLAY, ZALIAS, ZIS_GROUP FROM ZIMOCONTACT"
    found: dict[str, _Contact] = {}
    for buid_value, display, alias, is_group in APPS.query(con, place, "ZIMOCONTACT", sql):
        buid = as_text(buid_value)
        if buid is not None:
            name = as_text(display) or as_text(alias)
            found[buid] = _Contact(name, as_int(is_group) == 1)
    return found


def _message(writer: RowWriter, row: Row, contacts: dict[str, _Contact]) -> dict[str, Any]:
    sent = row.integer("zissent")
    direction = _DIRECTIONS.get(sent, "unknown") if sent is not None else "unknown"
    if direction == "unknown":
        writer.ctx.issue(
            Severity.INFO,
            "imo.direction_unknown",
            "an imo message has a ZISSENT other than 0 (received) or 1 (sent)",
            locator=row.locator,
            value=row.text("zissent"),
        )
    chat = row.text("zbuid")
    contact = contacts.get(chat) if chat is not None else None
    author = row.text("za_uid") or (chat if contact is None or not contact.group else None)
    parties: dict[str, Any]
    if contact is not None and contact.group:
        parties = user_party("b_party", chat)
        if direction == "incoming":
            parties.update(user_party("a_party", author))
            parties.update(a_party_name=row.text("zalias"), target_role="b")
        elif direction == "outgoing":
            parties["target_role"] = "a"
    elif direction == "incoming":
        parties = {**user_party("a_party", author), "a_party_name": row.text("zalias")}
        parties["target_role"] = "b"
    elif direction == "outgoing":
        parties = {**user_party("b_party", chat), "target_role": "a"}
    else:
        parties = user_party("b_party", chat)
    return {
        "record_type_original": row.text("ztype"),
        "message_type": "im",
        "direction": direction,
        **parties,
        **writer.time("sent", unix_ns(row.get("zts")), row.locator),
        "body": row.verbatim("ztext"),
        "thread": chat,
        "thread_name": (contact.name if contact is not None else None)
        or row.text("zcontact_alias"),
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }


def _account(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """The owner's imo id and name (``ZIMOKEYVAL``), as one ``accounts`` row."""
    if not APPS.has_columns(con, place, "ZIMOKEYVAL", ("zkey", "zstring_val")):
        return
    sql = "SELECT ZKEY, ZSTRING_VAL FROM ZIMOKEYVAL WHERE ZKEY IN (?, ?) ORDER BY Z_PK"
    found = {
        str(key): as_text(value)
        for key, value in APPS.query(con, place, "ZIMOKEYVAL", sql, _ACCOUNT_KEYS)
    }
    uid = found.get("imo_account_uid")
    if uid is None:
        return
    values = {
        "service": SOURCE_APP,
        "account_id": uid,
        "display_name": found.get("imo_account_alias"),
    }
    writer.add("accounts", f"{place}#ZIMOKEYVAL/ZKEY=imo_account_uid", values, raw=found)
