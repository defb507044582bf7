"""The ``ios_db`` parser: one iOS handset store handed in on its own.

Reads an ``sms.db``, ``CallHistory.storedata``, ``AddressBook.sqlitedb`` or WhatsApp
``ChatStorage.sqlite`` (with its ``-wal`` beside it applied) through the shared
:data:`~threadline.ingest.parsers.ios.stores.IOS_READERS`, the Kik and imo apps' ``kik.sqlite``
and ``IMODb2.sqlite`` through :data:`~threadline.ingest.parsers.ios.stores.IOS_APP_READERS`
(:mod:`threadline.ingest.parsers.apps`), and a CommCenter plist through
:func:`~threadline.ingest.parsers.ios.commcenter.read_commcenter`. The exhibit is never opened for
writing: the database is read from a scratch copy (requirement 16). Every row carries the locator
``<file name>#<table>/ROWID=<n>`` (``Z_PK`` for Core Data stores, Kik and imo among them) and
keeps its source record (requirements 20, 23).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import ClassVar, Final

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.parsers.apps.stores import IOS_APP_STORES
from threadline.ingest.parsers.ios.commcenter import MAX_PLIST_BYTES, looks_like_commcenter
from threadline.ingest.parsers.ios.stores import IOS_APP_READERS, IOS_READERS, read_commcenter
from threadline.ingest.phone_store import recognise
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import (
    SQLITE_HEADER,
    is_sqlite,
    open_sqlite_copy,
    schema_text,
    tables,
)

__all__ = ["IosDbParser"]

#: table definitions in the schema (first 64 KB) that mark an iOS store; sms.db needs both
_SCHEMA_MARKS: Final = (
    (
        re.compile(rb"CREATE TABLE\s+\"?message\"?\s*\(", re.I),
        re.compile(rb"CREATE TABLE\s+\"?handle\"?\s*\(", re.I),
    ),
    (re.compile(rb"CREATE TABLE\s+\"?ZCALLRECORD\"?\s*\(", re.I),),
    (re.compile(rb"CREATE TABLE\s+\"?ABPerson\"?\s*\(", re.I),),
    (re.compile(rb"CREATE TABLE\s+\"?ZWAMESSAGE\"?\s*\(", re.I),),
    # the apps' own tables (ZKIKMESSAGE, ZIMOCHATMSG)
    *(
        tuple(
            re.compile(rb"CREATE TABLE\s+\"?" + re.escape(t.encode()) + rb"\"?\s*\(", re.I)
            for t in sorted(store.marks)
        )
        for store in IOS_APP_STORES
    ),
)


def _known_schema(head: bytes) -> bool:
    return any(all(mark.search(head) for mark in marks) for marks in _SCHEMA_MARKS)


class IosDbParser:
    """iOS handset database or CommCenter plist (see the module docstring)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="ios_db",
        version="1.0.0",
        title="iOS handset database (Messages, call history, contacts, WhatsApp, CommCenter; "
        "Kik, imo)",
        formats=("db", "sqlite", "sqlitedb", "storedata", "plist"),
        tables=("messages", "calls", "contacts", "accounts", "locations", "devices", "source_rows"),
        references=(
            "formats.md §0, §5",
            "abrignoni/iLEAPP scripts/artifacts/sms.py, callHistory.py, addressBook.py, "
            "whatsApp.py, celWireless.py (schemas)",
            "log2timeline/plaso parsers/sqlite_plugins/imessage.py (schema; test oracle)",
            "log2timeline/plaso ios_kik.py, ios_imohdchat.py; iLEAPP kikMessages.py, "
            "imoHD_Chat.py (app databases, docs/parsers/apps.md)",
        ),
        fixtures=(
            "fixtures/ios/sms.db",
            "fixtures/ios/CallHistory.storedata",
            "fixtures/ios/AddressBook.sqlitedb",
            "fixtures/ios/AddressBook.sqlitedb-wal",
            "fixtures/ios/ChatStorage.sqlite",
            "fixtures/ios/com.apple.commcenter.plist",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for an SQLite file whose schema (in its first 64 KB) defines an iOS store's
        table, or a CommCenter plist; NO otherwise."""
        if is_sqlite(probe.head):
            # the whole schema, read without touching the file; the head alone if it cannot be
            schema = (schema_text(probe.path) or probe.head) if probe.path.is_file() else probe.head
            return Confidence.CERTAIN if _known_schema(schema) else Confidence.NO
        if looks_like_commcenter(probe.head, probe.path.name):
            return Confidence.CERTAIN
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read the store into canonical rows.

        Raises:
            NotThisFormat: neither SQLite nor a CommCenter plist.
            ParseError: an SQLite file none of the readers recognises (the message lists its
                tables), or a damaged database or plist (naming the file and table).
            HostileInput: an XML plist declaring entities.
        """
        name = path.name
        try:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
                if looks_like_commcenter(head + handle.read(4096), name):
                    handle.seek(0)
                    data = handle.read(MAX_PLIST_BYTES + 1)
                    with RowWriter(ctx) as writer:
                        read_commcenter(data, name, writer)
                    ctx.detected["store"] = "ios_commcenter"
                    return
        except OSError as exc:
            raise ParseError(f"the file cannot be read: {exc}", path=name) from exc
        if not is_sqlite(head):
            raise NotThisFormat("neither an SQLite database nor a CommCenter plist", path=name)
        with open_sqlite_copy(path, name=name) as con:
            try:
                found = tables(con)
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise ParseError(f"the schema cannot be read: {exc}", path=name) from exc
            reader = recognise(IOS_READERS + IOS_APP_READERS, found)
            if reader is None:
                listed = ", ".join(sorted(found)) or "none"
                raise ParseError(
                    "no iOS store reader recognises this database (Messages, call history, "
                    f"address book, WhatsApp, Kik, imo); its tables are: {listed}",
                    path=name,
                )
            ctx.detected["store"] = reader.name
            with RowWriter(ctx) as writer:
                try:
                    reader.read(con, name, writer)
                except (sqlite3.Error, UnicodeDecodeError) as exc:
                    raise ParseError(f"the database cannot be read: {exc}", path=name) from exc
