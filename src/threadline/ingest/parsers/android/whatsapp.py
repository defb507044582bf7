"""WhatsApp for Android: messages, shared locations and calls in ``msgstore.db`` (formats.md §4c).

Two schemas exist, and a database part-way through WhatsApp's own migration holds **both**:

* **legacy** (before 2022): one table ``messages`` with the chat's JID written in each row
  (``key_remote_jid``), ``key_from_me``, ``key_id``, ``data`` (text), ``timestamp`` (ms since
  1970, UTC), ``media_wa_type``, ``media_caption``, ``media_name``, ``latitude``/``longitude``,
  and ``remote_resource`` (the member who wrote a group message); group names in ``chat_list``.
* **current**: ``message`` (``chat_row_id``, ``from_me``, ``key_id``, ``sender_jid_row_id``,
  ``timestamp``, ``message_type``, ``text_data``) with JIDs in ``jid`` (``raw_string``, or
  ``user`` + ``@`` + ``server``), chats in ``chat`` (``jid_row_id``, ``subject``), attachments in
  ``message_media`` (``file_path``, ``media_caption``), places in ``message_location``, and calls
  in ``call_log``.

**No double counting.** A message is identified by who sent it and its ``key_id`` (WhatsApp's
message id), as ``(from_me, key_id)``. The current tables are read first; a legacy row whose
``(key_from_me, key_id)`` was already read from ``message`` is the same message copied by the
migration and is skipped (counted in one issue, ``whatsapp.legacy_duplicates``). Legacy rows
the migration had not reached are read. The pair is used rather than the chat JID because the
two schemas spell JIDs differently (``raw_string`` may be empty).

**Parties.** JIDs are read as the number they carry (``447700900123@s.whatsapp.net`` ->
``+447700900123``). The owner's side is empty and ``target_role`` marks it. In a group chat the
group's JID is the B party and the member who wrote a received message the A party; the owner's
own group messages have B the group and A empty.

System entries (``message_type`` 7, legacy ``status`` 6: "X added Y", "security code changed")
are not communications and are counted, not read (``whatsapp.system_messages``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.android.table_rows import ANDROID, time_ms
from threadline.ingest.rows import RowWriter, raw_value
from threadline.ingest.sqlite_rows import Row, as_real

__all__ = ["DURATION_BASIS", "SOURCE_APP", "read_msgstore"]

SOURCE_APP: Final = "WhatsApp"
#: What ``duration_s`` of a WhatsApp call measures.
DURATION_BASIS: Final = "WhatsApp call log"

_SYSTEM_TYPE: Final = 7  # current message_type of system entries
_LEGACY_SYSTEM_STATUS: Final = 6
_LOCATION_TYPES: Final = frozenset({5, 16})  # static and live location (legacy media_wa_type)
_SENTINEL: Final = "-1"  # the placeholder first row of both message tables

MessageKey = tuple[bool, str]


def _is_group(jid: str | None) -> bool:
    return jid is not None and jid.lower().endswith(("@g.us", "@broadcast"))


def read_msgstore(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read ``msgstore.db`` in whichever schema(s) it has (see the module docstring)."""
    counts = {"system": 0, "duplicates": 0}
    seen: set[MessageKey] = set()
    jids = _jids(con, place, writer)
    if ANDROID.has_table(con, place, "message"):
        _read_current(con, place, writer, jids, seen, counts)
    if ANDROID.has_table(con, place, "messages"):
        _read_legacy(con, place, writer, seen, counts)
    if ANDROID.has_table(con, place, "call_log"):
        _read_calls(con, place, writer, jids)
    if counts["system"]:
        writer.ctx.issue(
            Severity.INFO,
            "whatsapp.system_messages",
            f"{counts['system']} WhatsApp system entries (group changes, security notices) are "
            "not communications and were not read",
            locator=place,
            count=counts["system"],
        )
    if counts["duplicates"]:
        writer.ctx.issue(
            Severity.INFO,
            "whatsapp.legacy_duplicates",
            f"{counts['duplicates']} legacy 'messages' rows were already read from the current "
            "'message' table (same sender and key_id) and were not counted twice",
            locator=f"{place}#messages",
            count=counts["duplicates"],
        )


def _jids(con: sqlite3.Connection, place: str, writer: RowWriter) -> dict[Any, str]:
    if not ANDROID.has_table(con, place, "jid"):
        return {}
    found: dict[Any, str] = {}
    for row in ANDROID.rows(con, place, "jid", writer, expected=("user", "server")):
        text = row.text("raw_string")
        if text is None and row.text("user") is not None and row.text("server") is not None:
            text = f"{row.text('user')}@{row.text('server')}"
        if text is not None:
            found[row.key] = text
    return found


def _parties(
    writer: RowWriter, from_me: bool, chat: str | None, sender: str | None
) -> dict[str, Any]:
    group = _is_group(chat)
    if from_me:
        return {**writer.party("b_party", chat), "target_role": "a", "direction": "outgoing"}
    if group:
        return {
            **writer.party("a_party", sender),
            **writer.party("b_party", chat),
            "target_role": "b",
            "direction": "incoming",
        }
    return {
        **writer.party("a_party", sender or chat),
        "target_role": "b",
        "direction": "incoming",
    }


def _location(
    writer: RowWriter, locator: str, when: Any, latitude: Any, longitude: Any, raw: dict[str, Any]
) -> None:
    lat, lon = as_real(latitude), as_real(longitude)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        writer.ctx.issue(
            Severity.WARNING,
            "whatsapp.location_invalid",
            "a shared location is outside the range of latitudes and longitudes; not plotted",
            locator=locator,
            value=f"{latitude},{longitude}",
        )
        return
    writer.add(
        "locations",
        locator,
        {
            **writer.time("at", time_ms(when), locator),
            "latitude": lat,
            "longitude": lon,
            "source_app": SOURCE_APP,
            "deleted_state": "intact",
        },
        raw=raw,
    )


def _joined(
    con: sqlite3.Connection, place: str, writer: RowWriter, table: str
) -> Callable[[Any], Row | None]:
    """A look-up of ``table``'s row for a message (by ``message_row_id``), or of nothing when the
    table or its key column is missing."""
    present = ANDROID.columns(con, place, table)
    if not present:
        return lambda _key: None
    if "message_row_id" not in present:
        ANDROID.report_missing(writer, place, table, ["message_row_id"], "it is not read")
        return lambda _key: None
    return lambda key: ANDROID.find(con, place, table, "message_row_id", key)


def _read_current(
    con: sqlite3.Connection,
    place: str,
    writer: RowWriter,
    jids: dict[Any, str],
    seen: set[MessageKey],
    counts: dict[str, int],
) -> None:
    chats = {
        row.key: row
        for row in ANDROID.rows(con, place, "chat", writer, expected=("jid_row_id", "subject"))
    }
    media = _joined(con, place, writer, "message_media")
    places = _joined(con, place, writer, "message_location")
    expected = ("chat_row_id", "from_me", "key_id", "timestamp", "message_type", "text_data")
    for row in ANDROID.rows(con, place, "message", writer, expected=expected):
        key_id = row.text("key_id")
        if row.integer("message_type") == _SYSTEM_TYPE or key_id == _SENTINEL:
            counts["system"] += 1
            continue
        from_me = row.integer("from_me") == 1
        if key_id is not None:
            seen.add((from_me, key_id))
        chat = chats.get(row.get("chat_row_id"))
        chat_jid = jids.get(chat.get("jid_row_id")) if chat is not None else None
        sender = jids.get(row.get("sender_jid_row_id"))
        attached = media(row.key)
        located = places(row.key)
        joined: dict[str, Any] = dict(row.raw)
        if attached is not None:
            joined["message_media"] = {k: raw_value(v) for k, v in attached.raw.items()}
        if located is not None:
            joined["message_location"] = {k: raw_value(v) for k, v in located.raw.items()}
        raw = _flat(joined)
        writer.add(
            "messages",
            row.locator,
            {
                "record_type_original": row.text("message_type"),
                "message_type": "im",
                **_parties(writer, from_me, chat_jid, sender),
                **writer.time("sent", time_ms(row.get("timestamp")), row.locator),
                "body": row.verbatim("text_data")
                or (attached.verbatim("media_caption") if attached is not None else None),
                "thread": chat_jid,
                "thread_name": chat.verbatim("subject") if chat is not None else None,
                "attachments": attached.text("file_path") if attached is not None else None,
                "source_app": SOURCE_APP,
                "deleted_state": "intact",
            },
            raw=raw,
        )
        if located is not None:
            _location(
                writer,
                row.locator,
                row.get("timestamp"),
                located.get("latitude"),
                located.get("longitude"),
                raw,
            )


def _flat(raw: dict[str, Any]) -> dict[str, Any]:
    # joined rows are nested one level; source_rows keeps JSON values, so they go in as text
    return {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in raw.items()
    }


def _read_legacy(
    con: sqlite3.Connection,
    place: str,
    writer: RowWriter,
    seen: set[MessageKey],
    counts: dict[str, int],
) -> None:
    subjects: dict[str, str] = {}
    if ANDROID.has_table(con, place, "chat_list"):
        for row in ANDROID.rows(con, place, "chat_list", writer, expected=("key_remote_jid",)):
            jid, subject = row.text("key_remote_jid"), row.verbatim("subject")
            if jid is not None and subject is not None:
                subjects[jid] = subject
    expected = ("key_remote_jid", "key_from_me", "key_id", "data", "timestamp", "remote_resource")
    for row in ANDROID.rows(con, place, "messages", writer, expected=expected):
        chat_jid = row.text("key_remote_jid")
        if chat_jid is None or chat_jid == _SENTINEL:
            counts["system"] += 1
            continue
        from_me = row.integer("key_from_me") == 1
        key_id = row.text("key_id")
        if key_id is not None and (from_me, key_id) in seen:
            counts["duplicates"] += 1
            continue
        if row.integer("status") == _LEGACY_SYSTEM_STATUS:
            counts["system"] += 1
            continue
        wa_type = row.integer("media_wa_type")
        writer.add(
            "messages",
            row.locator,
            {
                "record_type_original": row.text("media_wa_type"),
                "message_type": "im",
                **_parties(writer, from_me, chat_jid, row.text("remote_resource")),
                **writer.time("sent", time_ms(row.get("timestamp")), row.locator),
                "body": row.verbatim("data") or row.verbatim("media_caption"),
                "thread": chat_jid,
                "thread_name": subjects.get(chat_jid),
                "attachments": row.text("media_name"),
                "source_app": SOURCE_APP,
                "deleted_state": "intact",
            },
            raw=row.raw,
        )
        if wa_type in _LOCATION_TYPES:
            _location(
                writer,
                row.locator,
                row.get("timestamp"),
                row.get("latitude"),
                row.get("longitude"),
                row.raw,
            )


def _read_calls(
    con: sqlite3.Connection, place: str, writer: RowWriter, jids: dict[Any, str]
) -> None:
    expected = ("jid_row_id", "from_me", "timestamp", "duration", "video_call", "call_result")
    for row in ANDROID.rows(con, place, "call_log", writer, expected=expected):
        from_me = row.integer("from_me") == 1
        other = jids.get(row.get("jid_row_id"))
        if from_me:
            parties = {**writer.party("b_party", other), "target_role": "a"}
        else:
            parties = {**writer.party("a_party", other), "target_role": "b"}
        duration = row.integer("duration")
        kind = "video" if row.integer("video_call") == 1 else "voice"
        writer.add(
            "calls",
            row.locator,
            {
                "record_type_original": f"{kind};call_result={row.text('call_result') or ''}",
                "direction": "outgoing" if from_me else "incoming",
                **parties,
                **writer.time("start", time_ms(row.get("timestamp")), row.locator),
                "duration_s": duration if duration is not None and duration >= 0 else None,
                "duration_original": row.text("duration"),
                "duration_basis": DURATION_BASIS,
                "source_app": SOURCE_APP,
                "deleted_state": "intact",
            },
            raw=row.raw,
        )
