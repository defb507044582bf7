"""Android text messages: the ``sms`` table of ``mmssms.db`` (formats.md §4a).

Each row of ``sms`` is one message. ``type`` says which box it is in: 1 received (inbox), 2 sent,
3 draft, 4 outbox, 5 failed, 6 queued; LG handsets add 7 (blocked), 8 (scheduled) and 19
(broadcast alert). ``address`` is the other party as the handset stored it (free text:
``1 555-521-5554`` and ``15555215554`` are the same party). The handset's owner is never named in
the row, so the owner's side is left empty and ``target_role`` says which side the owner is
(``a`` when the owner wrote it, ``b`` when the owner received it).

``date`` (ms since 1970, UTC) is the time the handset recorded the message (sent, or received);
it is the message's time here, as in plaso and ALEAPP. ``date_sent`` (the sender's time for a
received message, 0 for sent items on many phones) is kept with the rest of the row in
``source_rows`` (requirement 23).
"""

from __future__ import annotations

import sqlite3
from types import MappingProxyType
from typing import Final

from threadline.ingest.parsers.android.mms import read_mms
from threadline.ingest.parsers.android.table_rows import ANDROID, direction_of, time_ms
from threadline.ingest.rows import RowWriter

__all__ = ["SMS_DIRECTIONS", "read_sms_store"]

#: ``sms.type`` -> direction. Drafts, outbox, failed, queued and scheduled messages were written
#: on the handset (the owner is the sender), even if never delivered; ``record_type_original``
#: keeps the code so they can be told from sent ones.
SMS_DIRECTIONS: Final = MappingProxyType(
    {
        1: "incoming",
        2: "outgoing",
        3: "outgoing",
        4: "outgoing",
        5: "outgoing",
        6: "outgoing",
        7: "incoming",  # LG: blocked
        8: "outgoing",  # LG: scheduled
        19: "incoming",  # LG: broadcast (emergency) alert
    }
)

_SMS_COLUMNS: Final = ("address", "date", "type", "body", "thread_id")


def read_sms_store(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read ``mmssms.db``: the ``sms`` table, then MMS (``pdu``/``addr``/``part``) if present."""
    read_sms(con, place, writer)
    if ANDROID.has_table(con, place, "pdu"):
        read_mms(con, place, writer)


def read_sms(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read every row of ``sms`` into ``messages`` (message_type ``sms``, source_app ``SMS``)."""
    for row in ANDROID.rows(con, place, "sms", writer, expected=_SMS_COLUMNS):
        direction = direction_of(writer, row, SMS_DIRECTIONS, "sms.type_unknown", "an SMS")
        address = row.text("address")
        if direction == "incoming":
            parties = {**writer.party("a_party", address), "target_role": "b"}
        elif direction == "outgoing":
            parties = {**writer.party("b_party", address), "target_role": "a"}
        else:
            # the owner's side is unknown: the address is kept as the other party (B) with no
            # target role rather than guessing who sent it
            parties = writer.party("b_party", address)
        thread = row.text("thread_id")
        values = {
            "record_type_original": row.text("type"),
            "message_type": "sms",
            "direction": direction,
            **parties,
            **writer.time("sent", time_ms(row.get("date")), row.locator),
            "body": row.verbatim("body"),
            "thread": thread,
            "source_app": "SMS",
            "deleted_state": "intact",
        }
        writer.add("messages", row.locator, values, raw=row.raw)
