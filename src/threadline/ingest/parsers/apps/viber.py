"""Viber (Android, ``com.viber.voip``): calls and the phone-book copy in ``viber_data``.

Schema (plaso ``android_viber_call.py``, Autopsy ``viber.py``, ALEAPP ``viber.py``; checked against
plaso's test database):

* ``calls``: one row per Viber call: ``number`` (as displayed) and ``canonized_number`` (E.164);
  ``date`` the start (ms since 1970, UTC); ``duration`` in seconds; ``type`` 1 incoming,
  2 outgoing, 3 missed; ``viber_call_type`` 1 audio, 4 video. Each row is one ``calls`` row.
  Plaso makes a start and, when the duration is not zero, an end event from one row; the end it
  shows is ``date`` + ``duration``. As for the handset call log, that sum is not written here: the
  row records a start and a duration, and an end worked out from them would be our inference.
* ``phonebookcontact`` + ``phonebookdata``: Viber's copy of the handset address book (names, and
  numbers with ``data2`` in E.164). One ``contacts`` row per number (``mime_type`` 0), named from
  its contact. Viber users known to the app (``vibernumbers``: ``canonized_number``,
  ``member_id``) are not contacts and are not read.

Messages are in the separate ``viber_messages`` database, not read here.
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

__all__ = ["DURATION_BASIS", "SOURCE_APP", "read_viber"]

SOURCE_APP: Final = "Viber"
DURATION_BASIS: Final = "Viber call log"

_DIRECTIONS: Final = {1: "incoming", 2: "outgoing", 3: "missed"}
_MEDIA: Final = {1: "audio", 4: "video"}
_PHONE_KIND: Final = 0
_CALL_COLUMNS: Final = ("number", "canonized_number", "date", "duration", "type", "viber_call_type")
_DATA_COLUMNS: Final = ("contact_id", "data1", "data2", "mime_type")


def read_viber(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read Viber's calls and its phone-book copy."""
    for row in APPS.rows(con, place, "calls", writer, expected=_CALL_COLUMNS):
        writer.add("calls", row.locator, _call(writer, row), raw=row.raw)
    names = _contact_names(con, place)
    for row in APPS.rows(con, place, "phonebookdata", writer, expected=_DATA_COLUMNS):
        kind = row.integer("mime_type")
        number = row.text("data1") or row.text("data2")
        if kind not in (_PHONE_KIND, None) or number is None:
            continue
        contact = row.integer("contact_id")
        values = {
            "name": names.get(contact) if contact is not None else None,
            **number_party(writer, "number", number, row.text("data2")),
            "source_app": SOURCE_APP,
            "deleted_state": "intact",
        }
        writer.add("contacts", row.locator, values, raw=row.raw)


def _contact_names(con: sqlite3.Connection, place: str) -> dict[int, str]:
    if not APPS.has_columns(con, place, "phonebookcontact", ("_id", "display_name")):
        return {}
    sql = "SELECT _id, display_name FROM phonebookcontact"
    return {
        key: str(name)
        for key, name in APPS.query(con, place, "phonebookcontact", sql)
        if isinstance(key, int) and name not in (None, "")
    }


def _call(writer: RowWriter, row: Row) -> dict[str, Any]:
    code = row.integer("type")
    direction = _DIRECTIONS.get(code, "unknown") if code is not None else "unknown"
    if direction == "unknown":
        writer.ctx.issue(
            Severity.INFO,
            "viber.type_unknown",
            "a Viber call has a type other than 1 (incoming), 2 (outgoing) or 3 (missed); its "
            "direction is unknown",
            locator=row.locator,
            value=row.text("type"),
        )
    number, canonical = row.text("number"), row.text("canonized_number")
    parties: dict[str, Any]
    if direction == "outgoing":
        parties = {**number_party(writer, "b_party", number, canonical), "target_role": "a"}
    elif direction in ("incoming", "missed"):
        parties = {**number_party(writer, "a_party", number, canonical), "target_role": "b"}
    else:
        parties = number_party(writer, "b_party", number, canonical)
    media = row.integer("viber_call_type")
    kind = _MEDIA.get(media) if media is not None else None
    kind = kind or f"viber_call_type={row.text('viber_call_type')}"
    duration = row.integer("duration")
    return {
        "record_type_original": f"{kind};type={row.text('type')}",
        "direction": direction,
        **parties,
        **writer.time("start", unix_ms(row.get("date")), row.locator),
        "duration_s": duration if duration is not None and duration >= 0 else None,
        "duration_original": row.text("duration"),
        "duration_basis": DURATION_BASIS,
        "source_app": SOURCE_APP,
        "deleted_state": "intact",
    }
