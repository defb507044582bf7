"""The ``android_db`` parser: one Android handset database handed over on its own.

An examiner often exports single databases from a handset (``mmssms.db``, ``contacts2.db``,
``calllog.db``, WhatsApp's ``msgstore.db`` and ``wa.db``; the Burner, Viber and Tango apps'
``burners.db``, ``viber_data``, ``tc.db`` and profile database) rather than a whole extraction.
This parser recognises which kind a file is from its tables and their columns (see
:mod:`~threadline.ingest.parsers.android.stores`: the apps share table names such as ``calls``,
``sms`` and ``messages`` with Android's own, so columns tell them apart), reads every kind it
holds with the readers the full file-system parser shares, and never opens the exhibit itself for
writing: it works on a scratch copy with any write-ahead log applied (requirement 16).

Locators are ``<exhibit file name>#<table>/<key>=<n>``, the key ``_id`` for Android's own
databases and the app's own key for the apps' (requirement 20). An encrypted WhatsApp
backup (``msgstore.db.crypt14``) is recognised and refused with a message saying what is needed;
a damaged database raises :class:`~threadline.errors.ParseError` naming the file and table.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import ClassVar, Final

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.android.stores import ANDROID_STORES, fitting_stores
from threadline.ingest.parsers.apps.stores import ANDROID_APP_STORES
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import (
    SQLITE_HEADER,
    is_encrypted_backup,
    is_sqlite,
    open_sqlite_copy,
    refuse_encrypted,
    schema_text,
    tables,
)

__all__ = ["AndroidDbParser", "mentions_known_table"]

_CREATE: Final = re.compile(
    rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"'`\[]?(\w+)[\"'`\]]?\s*\(", re.IGNORECASE
)

_NEXT_STATEMENT: Final = re.compile(rb"\bCREATE\s", re.IGNORECASE)


def _schema_words(head: bytes) -> dict[str, list[set[str]]]:
    """Each table the first bytes' ``CREATE TABLE`` text defines, lower case, with the words of
    its definition (a table defined twice, as in a damaged or odd schema, keeps both)."""
    found: dict[str, list[set[str]]] = {}
    for match in _CREATE.finditer(head):
        name = match.group(1).decode("ascii", "replace").lower()
        # the definition runs to the next statement (not to a column such as date_created)
        after = _NEXT_STATEMENT.search(head, match.end())
        body = head[match.end() : after.start() if after else None].decode("latin-1").lower()
        found.setdefault(name, []).append(set(re.findall(r"\w+", body)))
    return found


def mentions_known_table(head: bytes) -> bool:
    """Whether the first bytes of an SQLite file hold the schema text (stored as ``CREATE TABLE``
    text on the first pages) that identifies one of the databases read here: for Android's own,
    one identifying table with its columns; for an app's, its tables no Android database has
    (:attr:`~threadline.ingest.parsers.apps.stores.AppStore.marks`: ``burners``,
    ``vibernumbers``, Tango's ``conversations`` with ``likes``, or its ``profiletable``)."""
    schema = _schema_words(head)
    for store in ANDROID_STORES:
        for signature in store.signatures:
            words = schema.get(signature.table, [])
            if signature.columns and any(signature.columns <= w for w in words):
                return True
    return any(store.marks <= schema.keys() for store in ANDROID_APP_STORES)


class AndroidDbParser:
    """Android handset database (SMS/MMS, call log, contacts, WhatsApp; Burner, Viber, Tango)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="android_db",
        version="1.0.0",
        title="Android handset database",
        formats=("db", "sqlite"),
        tables=("calls", "messages", "contacts", "accounts", "locations", "source_rows"),
        references=(
            "formats.md §0 and §4 (Android databases)",
            "abrignoni/ALEAPP scripts/artifacts (smsmms, calllogs, WhatsApp)",
            "log2timeline/plaso parsers/sqlite_plugins android_sms.py, android_calls.py",
            "sepinf-inc/IPED iped-parsers whatsapp",
            "log2timeline/plaso android_burners.py, android_viber_call.py, android_tango.py; "
            "ALEAPP burner.py, viber.py, tangomessage.py (app databases, docs/parsers/apps.md)",
        ),
        fixtures=(
            "fixtures/android/calllog.db",
            "fixtures/android/mmssms_mms.db",
            "fixtures/android/contacts2.db",
            "fixtures/android/msgstore_legacy.db",
            "fixtures/android/msgstore_current.db",
            "fixtures/android/msgstore_both.db",
            "fixtures/android/wa.db",
            "fixtures/android/msgstore.db.crypt14",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN for a known Android table in the schema, or an encrypted WhatsApp backup (so
        the user is told it is encrypted); POSSIBLE for any other SQLite database."""
        if is_encrypted_backup(probe.path.name) and not is_sqlite(probe.head):
            return Confidence.CERTAIN
        if not is_sqlite(probe.head):
            return Confidence.NO
        # the whole schema, read without touching the file; the head alone if it cannot be
        schema = (schema_text(probe.path) or probe.head) if probe.path.is_file() else probe.head
        return Confidence.CERTAIN if mentions_known_table(schema) else Confidence.POSSIBLE

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Read every kind of Android database the file holds.

        Raises:
            NotThisFormat: the file is not an SQLite database.
            ParseError: an encrypted backup; a damaged database; no known tables.
        """
        place = path.name
        try:
            with path.open("rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise ParseError(f"the file cannot be read: {exc}", path=place) from exc
        encrypted_name = is_encrypted_backup(place)
        if encrypted_name and not is_sqlite(head):
            refuse_encrypted(place)
        if not is_sqlite(head):
            raise NotThisFormat("not an SQLite database (no 'SQLite format 3' header)", path=place)
        if encrypted_name:
            ctx.issue(
                Severity.WARNING,
                "android.misnamed_backup",
                "the file is named like an encrypted WhatsApp backup but is a plain SQLite "
                "database; it was read as one",
                locator=place,
            )
        # the scratch copy is named for messages only; a misnamed plain database must not be
        # refused by name as encrypted
        name = f"{place} (plain SQLite)" if encrypted_name else place
        with open_sqlite_copy(path, name=name) as con:
            try:
                stores = fitting_stores(con, place)
                found = sorted(tables(con))
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                raise ParseError(f"the database schema cannot be read: {exc}", path=place) from exc
            if not stores:
                raise ParseError(
                    "no Android database this parser reads (SMS/MMS, call log, contacts, "
                    "WhatsApp, or the Burner, Viber and Tango apps) was recognised; tables "
                    f"found: {', '.join(found) or 'none'}",
                    path=place,
                )
            ctx.detected["android_stores"] = ", ".join(s.reader.name for s in stores)
            with RowWriter(ctx) as writer:
                for store in stores:
                    try:
                        store.reader.read(con, place, writer)
                    except (sqlite3.Error, UnicodeDecodeError) as exc:
                        raise ParseError(
                            f"the database cannot be read (damaged?): {exc}",
                            path=place,
                            locator=store.reader.name,
                        ) from exc
