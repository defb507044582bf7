"""The Android handset databases Threadline reads, as shared :class:`StoreReader` s.

:data:`ANDROID_READERS` is what the full file-system parser (``phone_fs``) uses to find and read
these databases inside an extraction (by path, as ALEAPP does); :data:`ANDROID_STORES` adds what
the single-database parser (``android_db``) needs to recognise a database that arrives on its own:
the tables *and the columns* that identify it. Table names alone are not enough: Viber's
``viber_data`` also has a ``calls`` table, Tango a ``sms`` table and Burner a ``messages`` table,
with other columns and other meanings.

The Android apps' databases read by :mod:`threadline.ingest.parsers.apps` (Burner, Viber, Tango)
are recognised the same way, from their own signatures (:data:`APP_STORES`): each includes a table
no Android system database has (``burners``, ``vibernumbers``, ``likes``, ``profiletable``) and the
columns of the table whose name it shares with Android's own. They are kept out of
:data:`ANDROID_STORES` and :data:`ANDROID_READERS`, which list the handset's own databases; the
file-system parser finds the apps' databases through their readers' own path patterns.

A database may hold more than one kind: an old ``contacts2.db`` has the address book *and* the call
log; a WhatsApp ``msgstore.db`` in transition has both message schemas. The reader for such a file
reads everything it holds (so a path match in an extraction misses nothing), and
:attr:`AndroidStore.covers` names the readers whose rows it already produces, so the
single-database parser does not read them twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Final

from threadline.ingest.parsers.android.calllog import read_calls
from threadline.ingest.parsers.android.contacts import read_accounts, read_contacts
from threadline.ingest.parsers.android.sms import read_sms_store
from threadline.ingest.parsers.android.table_rows import ANDROID
from threadline.ingest.parsers.android.wa_contacts import read_wa_contacts
from threadline.ingest.parsers.android.whatsapp import read_msgstore
from threadline.ingest.parsers.apps.stores import ANDROID_APP_STORES
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter

__all__ = [
    "ANDROID_READERS",
    "ANDROID_STORES",
    "APP_STORES",
    "CALLS",
    "AndroidStore",
    "Signature",
    "fitting_stores",
]


@dataclass(frozen=True, slots=True)
class Signature:
    """A table that must exist with (at least) these lower-case columns."""

    table: str
    columns: frozenset[str] = frozenset()

    def holds(self, con: sqlite3.Connection, place: str) -> bool:
        """Whether the database has the table with every one of the columns.

        Raises:
            ParseError: the schema cannot be read (a damaged database).
        """
        return ANDROID.has_columns(con, place, self.table, self.columns)


@dataclass(frozen=True, slots=True)
class AndroidStore:
    """One kind of Android database: its shared reader, the signatures that recognise it on its
    own, and the readers whose rows its own reader also produces."""

    reader: StoreReader
    signatures: tuple[Signature, ...]
    covers: frozenset[str] = frozenset()

    def fits(self, con: sqlite3.Connection, place: str) -> bool:
        """Whether every signature holds in ``con`` (``place`` names the file in errors)."""
        return all(s.holds(con, place) for s in self.signatures)


#: The Android call log's ``calls`` table (``numbertype`` tells it from Viber's ``calls``).
CALLS: Final = Signature("calls", frozenset({"number", "date", "duration", "type", "numbertype"}))


def _read_contacts2(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """``contacts2.db``: the address book, the sync accounts and, before Android 7, the call
    log."""
    read_contacts(con, place, writer)
    read_accounts(con, place, writer)
    if CALLS.holds(con, place):
        read_calls(con, place, writer)


def _read_calllog(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    read_calls(con, place, writer)


_MSGSTORE: Final = (
    "*/com.whatsapp/databases/msgstore.db",
    "*/com.whatsapp.w4b/databases/msgstore.db",
)

ANDROID_STORES: Final = (
    AndroidStore(
        StoreReader(
            name="android_sms",
            title="Android SMS/MMS (mmssms.db)",
            path_patterns=("*/com.android.providers.telephony/databases/mmssms.db",),
            required_tables=frozenset({"sms"}),
            read=read_sms_store,
        ),
        (Signature("sms", frozenset({"address", "date", "type", "body", "thread_id"})),),
    ),
    AndroidStore(
        StoreReader(
            name="android_contacts",
            title="Android contacts (contacts2.db)",
            path_patterns=("*/com.android.providers.contacts/databases/contacts2.db",),
            required_tables=frozenset({"raw_contacts", "data", "mimetypes"}),
            read=_read_contacts2,
        ),
        (
            Signature("raw_contacts"),
            Signature("data", frozenset({"mimetype_id", "raw_contact_id", "data1"})),
            Signature("mimetypes", frozenset({"mimetype"})),
        ),
        covers=frozenset({"android_calllog"}),
    ),
    AndroidStore(
        StoreReader(
            name="android_calllog",
            title="Android call log (calllog.db, or contacts2.db before Android 7)",
            path_patterns=("*/com.android.providers.contacts/databases/calllog.db",),
            required_tables=frozenset({"calls"}),
            read=_read_calllog,
        ),
        (CALLS,),
    ),
    AndroidStore(
        StoreReader(
            name="android_whatsapp",
            title="WhatsApp messages and calls (msgstore.db)",
            path_patterns=_MSGSTORE,
            required_tables=frozenset({"message", "jid", "chat"}),
            read=read_msgstore,
        ),
        (
            Signature("message", frozenset({"chat_row_id", "from_me", "key_id"})),
            Signature("jid"),
            Signature("chat"),
        ),
        covers=frozenset({"android_whatsapp_legacy"}),
    ),
    AndroidStore(
        StoreReader(
            name="android_whatsapp_legacy",
            title="WhatsApp messages, legacy schema (msgstore.db)",
            path_patterns=_MSGSTORE,
            required_tables=frozenset({"messages"}),
            read=read_msgstore,
        ),
        (Signature("messages", frozenset({"key_remote_jid", "key_from_me", "key_id"})),),
    ),
    AndroidStore(
        StoreReader(
            name="android_whatsapp_contacts",
            title="WhatsApp contacts (wa.db)",
            path_patterns=(
                "*/com.whatsapp/databases/wa.db",
                "*/com.whatsapp.w4b/databases/wa.db",
            ),
            required_tables=frozenset({"wa_contacts"}),
            read=read_wa_contacts,
        ),
        (Signature("wa_contacts", frozenset({"jid"})),),
    ),
)

#: The readers, for the full file-system parser (path match) and :func:`phone_store.recognise`.
ANDROID_READERS: Final[tuple[StoreReader, ...]] = tuple(s.reader for s in ANDROID_STORES)

#: The Android apps' databases (Burner, Viber, Tango), recognised by their own signatures.
APP_STORES: Final = tuple(
    AndroidStore(store.reader, tuple(Signature(table, cols) for table, cols in store.signatures))
    for store in ANDROID_APP_STORES
)


def fitting_stores(con: sqlite3.Connection, place: str) -> tuple[AndroidStore, ...]:
    """Every kind the database is, Android's own or an app's, less those another fitting kind's
    reader already covers.

    Raises:
        ParseError: the schema cannot be read (a damaged database).
    """
    fitting = [s for s in ANDROID_STORES + APP_STORES if s.fits(con, place)]
    covered = {name for s in fitting for name in s.covers}
    return tuple(s for s in fitting if s.reader.name not in covered)
