"""WhatsApp for iOS: ``ChatStorage.sqlite`` (Core Data) into canonical messages and locations.

Schema (formats.md §5; iLEAPP ``whatsApp.py``): ``ZWACHATSESSION`` is one row per chat
(``ZCONTACTJID``: the other user's JID or the group's ``...@g.us``; ``ZPARTNERNAME``: the name
shown; ``ZSESSIONTYPE``: 1 for a group); ``ZWAMESSAGE`` one row per message (``ZCHATSESSION``,
``ZISFROMME``, ``ZFROMJID``, ``ZTOJID``, ``ZTEXT``, ``ZMESSAGEDATE`` in Cocoa seconds,
``ZMESSAGETYPE``, ``ZGROUPMEMBER``, ``ZMEDIAITEM``); ``ZWAGROUPMEMBER`` the senders in groups
(``ZMEMBERJID``, ``ZCONTACTNAME``, ``ZCHATSESSION``); ``ZWAMEDIAITEM`` the media
(``ZMEDIALOCALPATH``, and for a shared location, ``ZMESSAGETYPE`` 5, ``ZLATITUDE`` and
``ZLONGITUDE``).

In a group the sender of an incoming message is the group member (``ZFROMJID`` is the group); the
handset owner's side is left empty and ``target_role`` says which party the owner is. A shared
location also gives a ``locations`` row at the same locator: it is the place the sender shared,
which need not be where either handset was. JIDs are read as the numbers they carry
(:meth:`~threadline.ingest.rows.RowWriter.party`, requirement 59).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.ios.tables import IOS
from threadline.ingest.parsers.ios.values import cocoa_time, text
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import tables
from threadline.ingest.sqlite_rows import Row, as_real

__all__ = ["LOCATION_TYPE", "WHATSAPP_READER", "read_whatsapp"]

#: ``ZMESSAGETYPE`` of a shared location
LOCATION_TYPE: Final = 5
_GROUP_SESSION: Final = 1
_MESSAGE_COLUMNS: Final = (
    "Z_PK",
    "ZCHATSESSION",
    "ZISFROMME",
    "ZFROMJID",
    "ZTOJID",
    "ZTEXT",
    "ZMESSAGEDATE",
    "ZMESSAGETYPE",
)


@dataclass(frozen=True, slots=True)
class _Session:
    jid: str | None
    name: str | None
    group: bool


@dataclass(frozen=True, slots=True)
class _Media:
    path: str | None
    latitude: float | None
    longitude: float | None


class _Lookups:
    """Chats, group members and media items, read once."""

    def __init__(self, con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
        present = tables(con)

        def rows(table: str, *expected: str) -> Iterator[Row]:
            return IOS.rows(con, place, table, writer, expected=("Z_PK", *expected), key="Z_PK")

        self.sessions: dict[int, _Session] = {}
        for row in rows("ZWACHATSESSION", "ZCONTACTJID", "ZPARTNERNAME"):
            jid = text(row.get("ZCONTACTJID"))
            group = row.get("ZSESSIONTYPE") == _GROUP_SESSION or (jid or "").endswith("@g.us")
            self.sessions[row.key] = _Session(jid, text(row.get("ZPARTNERNAME")), group)
        self.members: dict[int, tuple[str | None, str | None]] = {}
        self.in_session: dict[int, list[str]] = defaultdict(list)
        if "zwagroupmember" in present:
            for row in rows("ZWAGROUPMEMBER", "ZMEMBERJID", "ZCONTACTNAME"):
                jid = text(row.get("ZMEMBERJID"))
                self.members[row.key] = (jid, text(row.get("ZCONTACTNAME")))
                session = row.get("ZCHATSESSION")
                if isinstance(session, int) and jid is not None:
                    self.in_session[session].append(jid)
        self.media: dict[int, _Media] = {}
        self.media_of_message: dict[int, _Media] = {}
        if "zwamediaitem" in present:
            for row in rows("ZWAMEDIAITEM", "ZMEDIALOCALPATH"):
                item = _Media(
                    text(row.get("ZMEDIALOCALPATH")),
                    as_real(row.get("ZLATITUDE")),
                    as_real(row.get("ZLONGITUDE")),
                )
                self.media[row.key] = item
                message = row.get("ZMESSAGE")
                if isinstance(message, int):
                    self.media_of_message[message] = item

    def media_for(self, record: Row, key: int) -> _Media | None:
        """The message's media item: by ``ZWAMESSAGE.ZMEDIAITEM``, else by
        ``ZWAMEDIAITEM.ZMESSAGE`` (older stores link only that way)."""
        pointer = record.get("ZMEDIAITEM")
        if isinstance(pointer, int) and pointer in self.media:
            return self.media[pointer]
        return self.media_of_message.get(key)


def _location(writer: RowWriter, locator: str, media: _Media | None, at: dict[str, Any]) -> None:
    lat = media.latitude if media else None
    lon = media.longitude if media else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        writer.ctx.issue(
            Severity.WARNING,
            "ios.whatsapp.location_unreadable",
            "a shared-location message has no usable coordinates in its media item; no "
            "location row is written",
            locator=locator,
            value=None if media is None else f"{media.latitude},{media.longitude}",
        )
        return
    writer.add(
        "locations",
        locator,
        {
            **{k.replace("sent_", "at_", 1): v for k, v in at.items()},
            "latitude": lat,
            "longitude": lon,
            "source_app": "WhatsApp",
            "deleted_state": "intact",
        },
    )


def read_whatsapp(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read ``ZWAMESSAGE`` into ``messages`` (and shared locations into ``locations``); locator
    ``<place>#ZWAMESSAGE/Z_PK=<n>``."""
    lookups = _Lookups(con, place, writer)
    for record in IOS.rows(con, place, "ZWAMESSAGE", writer, expected=_MESSAGE_COLUMNS, key="Z_PK"):
        key, locator = record.key, record.locator
        session_id = record.get("ZCHATSESSION")
        session = lookups.sessions.get(session_id) if isinstance(session_id, int) else None
        member_id = record.get("ZGROUPMEMBER")
        member = lookups.members.get(member_id) if isinstance(member_id, int) else None
        from_me = record.get("ZISFROMME")
        name: str | None = None
        role: str | None
        if from_me == 1:
            direction, role = "outgoing", "a"
            to = text(record.get("ZTOJID")) or (session.jid if session else None)
            parties = {**writer.party("a_party", None), **writer.party("b_party", to)}
        else:
            direction, role = ("incoming", "b") if from_me == 0 else ("unknown", None)
            sender = member[0] if member and member[0] else text(record.get("ZFROMJID"))
            if member is not None:
                name = member[1]
            elif session is not None and not session.group:
                name = session.name
            parties = {**writer.party("a_party", sender), **writer.party("b_party", None)}
        if session is None:
            participants: list[str] = []
        elif session.group:
            participants = lookups.in_session.get(session_id, []) if session_id else []
        else:
            participants = [session.jid] if session.jid else []
        media = lookups.media_for(record, key)
        kind = record.get("ZMESSAGETYPE")
        sent = writer.time("sent", cocoa_time(record.get("ZMESSAGEDATE")), locator)
        writer.add(
            "messages",
            locator,
            {
                "record_type_original": text(kind),
                "message_type": "im",
                "direction": direction,
                **parties,
                "target_role": role,
                **sent,
                "body": text(record.get("ZTEXT")),
                "thread": session.jid if session else None,
                "thread_name": session.name if session else None,
                "a_party_name": name,
                "participants": "; ".join(participants) or None,
                "attachments": media.path if media else None,
                "source_app": "WhatsApp",
                "deleted_state": "intact",
            },
            raw=record.raw,
        )
        if kind == LOCATION_TYPE:
            _location(writer, locator, media, sent)


WHATSAPP_READER: Final = StoreReader(
    name="ios_whatsapp",
    title="WhatsApp for iOS (ChatStorage.sqlite)",
    path_patterns=("*/containers/shared/appgroup/*/chatstorage.sqlite",),
    required_tables=frozenset({"zwamessage", "zwachatsession"}),
    read=read_whatsapp,
)
