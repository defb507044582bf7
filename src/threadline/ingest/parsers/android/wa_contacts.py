"""WhatsApp for Android's contact list: ``wa_contacts`` of ``wa.db`` (formats.md §4c).

Each row is one WhatsApp identity the handset knows: ``jid`` (``447700900123@s.whatsapp.net``
for a user, ``...@g.us`` for a group), ``number`` (as the address book has it, when the person is
in it), ``display_name`` (the owner's name for them), ``wa_name`` (the name they gave themselves)
and ``status`` (their "about" text, kept in ``source_rows``). One ``contacts`` row per entry:
``name`` is the owner's name for them, else their own; ``number`` is the address-book number,
else the number a user JID carries (groups have none); ``account`` is the JID.
"""

from __future__ import annotations

import sqlite3

from threadline.ingest.parsers.android.table_rows import ANDROID
from threadline.ingest.rows import RowWriter, jid_number

__all__ = ["read_wa_contacts"]


def read_wa_contacts(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read every row of ``wa_contacts`` into ``contacts`` (source_app ``WhatsApp``)."""
    expected = ("jid", "number", "display_name", "wa_name")
    for row in ANDROID.rows(con, place, "wa_contacts", writer, expected=expected):
        jid = row.text("jid")
        number = row.text("number")
        if number is None and jid is not None and jid_number(jid) is not None:
            number = jid  # read as the number it carries, the JID kept as the original
        writer.add(
            "contacts",
            row.locator,
            {
                "name": row.verbatim("display_name") or row.verbatim("wa_name"),
                **writer.party("number", number),
                "account": jid,
                "source_app": "WhatsApp",
                "deleted_state": "intact",
            },
            raw=row.raw,
        )
