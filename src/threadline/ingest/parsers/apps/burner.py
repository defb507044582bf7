"""Burner (Android, ``com.adhoclabs.burner``): ``burners.db``.

Burner rents the user extra phone numbers ("burners") that run over the app. Its database holds
(schema from ALEAPP ``burner.py`` and plaso ``android_burners.py``, checked against plaso's test
database):

* ``burners``: one row per rented number: ``burner_id`` (the app's id), ``phone_number_id`` (the
  number itself, E.164), ``name``, ``total_minutes``/``remaining_minutes``, ``total_texts``/
  ``remaining_texts``, ``date_created``, ``expiration_date`` (ms since 1970, UTC). Each becomes an
  ``accounts`` row (service ``Burner``); the dates and allowances stay in ``source_rows``.
* ``messages``: texts *and* calls on a burner: ``message_type`` 1 call, 2 text; ``direction``
  1 incoming, 2 outgoing; ``contact_phone_number`` the other party; ``burner_id`` the burner used;
  ``message``, ``asset_url`` (a picture), ``date_created`` (ms, UTC), ``duration`` (calls).
* ``contacts``: the burner's own contact list (``name``, ``phone_number``).

The burner number is the owner's side of every call and text, and it is what the other party's
network records show, so it is filled in (``a_party`` of an outgoing text, ``b_party`` of an
incoming one) with ``target_role`` marking it; the handset's own number never appears.

A call's ``duration`` is in **whole minutes**, as Burner counts them against the allowance: in the
plaso sample two calls of ``duration`` 2 leave 46 of 50 minutes, and the 14 texts leave 86 of 100.
``duration_s`` is those minutes times 60, with ``duration_basis`` saying so: the call lasted at
most about that long, not exactly.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.apps.parties import number_party
from threadline.ingest.parsers.apps.tables import APPS
from threadline.ingest.parsers.apps.times import unix_ms
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import Row

__all__ = ["DURATION_BASIS", "SOURCE_APP", "read_burner"]

SOURCE_APP: Final = "Burner"
DURATION_BASIS: Final = "Burner call minutes (whole minutes counted against the allowance) x 60"

_CALL: Final = 1
_TEXT: Final = 2
_DIRECTIONS: Final = {1: "incoming", 2: "outgoing"}
_BURNER_COLUMNS: Final = ("burner_id", "phone_number_id", "name")
_MESSAGE_COLUMNS: Final = (
    "message_type",
    "direction",
    "contact_phone_number",
    "burner_id",
    "message",
    "asset_url",
    "date_created",
    "duration",
)
_CONTACT_COLUMNS: Final = ("name", "phone_number")


def read_burner(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read the burner numbers, the calls and texts on them, and the burner's contacts."""
    numbers = _burner_numbers(con, place)
    for row in APPS.rows(con, place, "burners", writer, expected=_BURNER_COLUMNS):
        values = {
            "service": SOURCE_APP,
            "account_id": row.text("burner_id"),
            "display_name": row.text("name"),
            **number_party(writer, "number", row.text("phone_number_id")),
        }
        writer.add("accounts", row.locator, values, raw=row.raw)
    for row in APPS.rows(con, place, "messages", writer, expected=_MESSAGE_COLUMNS):
        kind = row.integer("message_type")
        if kind == _CALL:
            writer.add("calls", row.locator, _call(writer, row, numbers), raw=row.raw)
            continue
        if kind != _TEXT:
            writer.ctx.issue(
                Severity.INFO,
                "burner.type_unknown",
                "a Burner record has a message_type other than 1 (call) or 2 (text); it is read "
                "as a message",
                locator=row.locator,
                value=row.text("message_type"),
            )
        writer.add("messages", row.locator, _text(writer, row, numbers), raw=row.raw)
    for row in APPS.rows(con, place, "contacts", writer, expected=_CONTACT_COLUMNS):
        values = {
            "name": row.text("name"),
            **number_party(writer, "number", row.text("phone_number")),
            "source_app": SOURCE_APP,
            "deleted_state": "intact",
        }
        writer.add("contacts", row.locator, values, raw=row.raw)


def _burner_numbers(con: sqlite3.Connection, place: str) -> dict[str, str]:
    """``burner_id`` -> the burner's number (one row per rented number: a small table)."""
    if not APPS.has_columns(con, place, "burners", ("burner_id", "phone_number_id")):
        return {}
    sql = "SELECT burner_id, phone_number_id FROM burners"
    return {
        str(burner): str(number)
        for burner, number in APPS.query(con, place, "burners", sql)
        if burner is not None and number is not None
    }


def _sides(writer: RowWriter, row: Row, numbers: dict[str, str], direction: str) -> dict[str, Any]:
    """The other party and the burner number, each on its side."""
    other = row.text("contact_phone_number")
    burner = numbers.get(row.text("burner_id") or "")
    if direction == "outgoing":
        return {
            **number_party(writer, "a_party", burner),
            **number_party(writer, "b_party", other),
            "target_role": "a",
        }
    if direction == "incoming":
        return {
            **number_party(writer, "a_party", other),
            **number_party(writer, "b_party", burner),
            "target_role": "b",
        }
    return number_party(writer, "b_party", other)


def _direction(writer: RowWriter, row: Row) -> str:
    code = row.integer("direction")
    direction = _DIRECTIONS.get(code, "unknown") if code is not None else "unknown"
    if direction == "unknown":
        writer.ctx.issue(
            Severity.INFO,
            "burner.direction_unknown",
            "a Burner record has a direction other than 1 (incoming) or 2 (outgoing)",
            locator=row.locator,
            value=row.text("direction"),
        )
    return direction


def _text(writer: RowWriter, row: Row, numbers: dict[str, str]) -> dict[str, Any]:
    direction = _direction(writer, row)
    picture = row.text("asset_url")
    return {
        "record_type_original": row.text("message_type"),
        "message_type": "mms" if picture else "sms",
        "direction": direction,
        **_sides(writer, row, numbers, direction),
        **writer.time("sent", unix_ms(row.get("date_created")), row.locator),
        "body": row.verbatim("message"),
        "attachments": picture,
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }


def _call(writer: RowWriter, row: Row, numbers: dict[str, str]) -> dict[str, Any]:
    direction = _direction(writer, row)
    minutes = row.integer("duration")
    return {
        "record_type_original": row.text("message_type"),
        "direction": direction,
        **_sides(writer, row, numbers, direction),
        **writer.time("start", unix_ms(row.get("date_created")), row.locator),
        "duration_s": minutes * 60 if minutes is not None and minutes >= 0 else None,
        "duration_original": row.text("duration"),
        "duration_basis": DURATION_BASIS,
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }
