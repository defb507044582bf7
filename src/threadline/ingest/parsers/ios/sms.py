"""iOS Messages: ``sms.db`` (SMS, MMS, iMessage and RCS) into canonical messages.

Schema (formats.md §5; iLEAPP ``sms.py``, plaso ``imessage.py``): ``message`` holds one row per
message (``ROWID``, ``guid``, ``text``, ``attributedBody``, ``handle_id``, ``service``,
``account``, ``date``, ``is_from_me``, ``cache_roomnames``, ``associated_message_type`` ...);
``handle`` the other parties (``ROWID``, ``id`` = number or e-mail); ``chat`` the conversations,
joined to handles by ``chat_handle_join`` and to messages by ``chat_message_join``;
``attachment`` the files, joined by ``message_attachment_join``.

Choices (also in docs/parsers/ios.md):

* ``message_type``: ``sms`` for service ``SMS``, ``mms`` for an ``SMS`` message with an attachment
  (iOS files MMS under the SMS service), ``im`` for iMessage, RCS and anything else: those travel
  as data, so no network SMS record will match them.
* Direction: ``is_from_me`` 1 is outgoing (sender = the handset owner, left empty; recipient = the
  handle; ``target_role`` ``a``); 0 is incoming (sender = the handle; ``target_role`` ``b``).
* Reactions (tapbacks: "Loved ...") and other messages pointing at another one
  (``associated_message_type`` non-zero) are kept as messages, because each is a communication
  at a time; ``record_type_original`` says ``associated_message_type=<n>``.
* ``thread`` is the chat's ``chat_identifier`` (the number, address or ``chat...`` group id, as
  the Messages app groups conversations), ``thread_name`` its ``display_name``.
* Times: ``date`` is seconds since 2001 before iOS 11 and nanoseconds from iOS 11
  (:func:`~threadline.model.device_time.from_cocoa`), UTC (requirement 22).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.ios.tables import IOS
from threadline.ingest.parsers.ios.typedstream import attributed_body_text
from threadline.ingest.parsers.ios.values import cocoa_time, text
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import tables
from threadline.ingest.sqlite_rows import Row

__all__ = ["SMS_READER", "read_sms"]

_MESSAGE_COLUMNS: Final = ("guid", "text", "handle_id", "service", "date", "is_from_me")
_JOIN_TABLES: Final = ("chat", "chat_handle_join", "chat_message_join")
_ATTACHMENT_TABLES: Final = ("attachment", "message_attachment_join")


class _Lookups:
    """The small tables a message row refers to, read once."""

    def __init__(self, con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
        present = tables(con)
        self.writer = writer
        handles = IOS.lookup(
            con, place, "handle", "SELECT rowid, id FROM handle", writer, "the other parties"
        )
        self.handles: dict[int, str] = {}
        for key, value in handles:
            ident = text(value)
            if isinstance(key, int) and ident is not None:
                self.handles[key] = ident
        self.chats: dict[int, tuple[str | None, str | None]] = {}
        self.members: dict[int, list[str]] = defaultdict(list)
        self.chat_of: dict[int, int] = {}
        self.files: dict[int, list[str]] = defaultdict(list)
        lacking = [t for t in _JOIN_TABLES if t not in present]
        if lacking:
            writer.ctx.issue(
                Severity.WARNING,
                "ios.table_missing",
                f"sms.db has no {', '.join(lacking)} table(s): conversations and participants "
                "are left empty",
                locator=f"{place}#{lacking[0]}",
            )
        else:
            self._read_chats(con, place)
        if all(t in present for t in _ATTACHMENT_TABLES):
            self._read_attachments(con, place)

    def _read_chats(self, con: sqlite3.Connection, place: str) -> None:
        chat_columns = set(IOS.columns(con, place, "chat"))
        identifier = "chat_identifier" if "chat_identifier" in chat_columns else "guid"
        name = "display_name" if "display_name" in chat_columns else "NULL"
        sql = f"SELECT rowid, {identifier}, {name} FROM chat"
        for rowid, ident, display in IOS.lookup(con, place, "chat", sql, self.writer, "threads"):
            if isinstance(rowid, int):
                self.chats[rowid] = (text(ident), text(display))
        sql = (
            "SELECT j.chat_id, h.id FROM chat_handle_join j JOIN handle h ON h.rowid = j.handle_id"
            " ORDER BY j.chat_id, h.rowid"
        )
        joined = IOS.lookup(con, place, "chat_handle_join", sql, self.writer, "participants")
        for chat_id, handle in joined:
            ident = text(handle)
            if isinstance(chat_id, int) and ident is not None:
                self.members[chat_id].append(ident)
        # a message filed in two chats (rare) is shown in the first
        sql = "SELECT message_id, min(chat_id) FROM chat_message_join GROUP BY message_id"
        for message_id, chat_id in IOS.lookup(
            con, place, "chat_message_join", sql, self.writer, "threads"
        ):
            if isinstance(message_id, int) and isinstance(chat_id, int):
                self.chat_of[message_id] = chat_id

    def _read_attachments(self, con: sqlite3.Connection, place: str) -> None:
        sql = (
            "SELECT j.message_id, coalesce(a.filename, a.transfer_name) FROM "
            "message_attachment_join j JOIN attachment a ON a.rowid = j.attachment_id "
            "ORDER BY j.message_id, a.rowid"
        )
        for message_id, name in IOS.lookup(
            con, place, "message_attachment_join", sql, self.writer, "attachments"
        ):
            path = text(name)
            if isinstance(message_id, int) and path is not None:
                self.files[message_id].append(path)


def _body(record: Row, locator: str, writer: RowWriter) -> str | None:
    written = record.get("text")
    if written is not None:
        if isinstance(written, bytes):
            return written.decode("utf-8", errors="replace")
        return str(written)
    blob = record.get("attributedbody")
    if not isinstance(blob, bytes) or not blob:
        return None
    recovered = attributed_body_text(blob)
    if recovered is None:
        writer.ctx.issue(
            Severity.WARNING,
            "ios.sms.body_unreadable",
            "the message text is only in attributedBody and could not be read from it; the "
            "blob is kept in source_rows",
            locator=locator,
        )
    return recovered


def _message_type(service: str | None, has_files: bool) -> str | None:
    if service is None:
        return None
    if service.upper() == "SMS":
        return "mms" if has_files else "sms"
    return "im"


def read_sms(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read the messages of an ``sms.db`` into ``messages`` (locator
    ``<place>#message/ROWID=<n>``)."""
    lookups = _Lookups(con, place, writer)
    associated = 0
    for record in IOS.rows(con, place, "message", writer, expected=_MESSAGE_COLUMNS):
        locator = record.locator
        service = text(record.get("service"))
        handle_id = record.get("handle_id")
        handle = lookups.handles.get(handle_id) if isinstance(handle_id, int) else None
        if handle is None and isinstance(handle_id, int) and handle_id > 0:
            writer.ctx.issue(
                Severity.WARNING,
                "ios.sms.handle_missing",
                f"the message refers to handle {handle_id}, which is not in the handle table; "
                "the other party is unknown",
                locator=locator,
                value=str(handle_id),
            )
        from_me = record.get("is_from_me")
        if from_me == 1:
            direction, role = "outgoing", "a"
            parties = {**writer.party("a_party", None), **writer.party("b_party", handle)}
        elif from_me == 0:
            direction, role = "incoming", "b"
            parties = {**writer.party("a_party", handle), **writer.party("b_party", None)}
        else:
            direction, role = "unknown", None
            parties = {**writer.party("a_party", handle), **writer.party("b_party", None)}
        kind = record.get("associated_message_type")
        record_type = service
        if isinstance(kind, int) and kind != 0:
            record_type = f"associated_message_type={kind}"
            associated += 1
        chat_id = lookups.chat_of.get(record.key)
        thread, thread_name = lookups.chats.get(chat_id, (None, None)) if chat_id else (None, None)
        if thread is None:
            thread = text(record.get("cache_roomnames"))
        members = lookups.members.get(chat_id, []) if chat_id else []
        files = lookups.files.get(record.key, [])
        writer.add(
            "messages",
            locator,
            {
                "record_type_original": record_type,
                "message_type": _message_type(service, bool(files)),
                "direction": direction,
                **parties,
                "target_role": role,
                **writer.time("sent", cocoa_time(record.get("date")), locator),
                "body": _body(record, locator, writer),
                "thread": thread,
                "thread_name": thread_name,
                "participants": "; ".join(members) or None,
                "attachments": "; ".join(files) or None,
                "source_app": service,
                "deleted_state": "intact",
            },
            raw=record.raw,
        )
    if associated:
        writer.ctx.issue(
            Severity.INFO,
            "ios.sms.reactions",
            f"{associated} message(s) are reactions or replies pointing at another message "
            "(associated_message_type); they are kept as messages",
            locator=f"{place}#message",
            count=associated,
        )


SMS_READER: Final = StoreReader(
    name="ios_sms",
    title="iOS Messages: SMS, MMS, iMessage, RCS (sms.db)",
    path_patterns=("library/sms/sms.db", "*/library/sms/sms.db"),
    required_tables=frozenset({"message", "handle"}),
    read=read_sms,
)
