"""The app databases as shared :class:`~threadline.ingest.phone_store.StoreReader` s.

:data:`ANDROID_APP_READERS` and :data:`IOS_APP_READERS` are for the parsers that find databases
by path in an extraction (``phone_fs``, as ALEAPP and iLEAPP do) or by table names
(:func:`~threadline.ingest.phone_store.recognise`). :data:`ANDROID_APP_STORES` and
:data:`IOS_APP_STORES` add the tables *and columns* that identify each database when it arrives on
its own, because the table names collide: Viber's ``viber_data`` has a ``calls`` table, Burner a
``messages`` and a ``contacts`` table, Tango's ``tc.db`` a ``messages`` and an ``sms`` table, with
other columns and meanings than Android's own.

A parser sniffing a file looks only at the ``CREATE TABLE`` text in its first bytes, where a
long table definition may be cut off; :attr:`AppStore.marks` are the app's own table names it
goes on there (``burners``, ``vibernumbers``, ``conversations`` with ``likes``, ``profiletable``,
``zkikmessage``, ``zimochatmsg``), the columns being checked once the database is open.

Each reader's ``required_tables`` includes a table Android's and iOS's own databases never have
(``burners``, ``vibernumbers``, ``likes``, ``profiletable``, ``zkikmessage``, ``zimochatmsg``),
and has more tables than the Android reader it could be mistaken for, so
:func:`~threadline.ingest.phone_store.recognise` (most tables wins) picks the app.

Path patterns: ALEAPP ``burner.py`` (``burners.db``), ``viber.py``, ``tangomessage.py``
(``files/tc.db``); iLEAPP ``kikMessages.py`` (``kik.sqlite``), ``imoHD_Chat.py``
(``IMODb2.sqlite``). Burner's ``burners.sqlite`` (the name of plaso's sample) and the Tango
profile database's name (plaso's ``tango_android_profile.db``; not confirmed on a handset) are
matched too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Final

from threadline.ingest.parsers.apps.burner import read_burner
from threadline.ingest.parsers.apps.imo import read_imo
from threadline.ingest.parsers.apps.kik import read_kik
from threadline.ingest.parsers.apps.tables import APPS
from threadline.ingest.parsers.apps.tango import read_tango_profiles, read_tango_tc
from threadline.ingest.parsers.apps.viber import read_viber
from threadline.ingest.phone_store import StoreReader

__all__ = [
    "ANDROID_APP_READERS",
    "ANDROID_APP_STORES",
    "IOS_APP_READERS",
    "IOS_APP_STORES",
    "AppStore",
    "fitting_app_stores",
]


@dataclass(frozen=True, slots=True)
class AppStore:
    """One app database.

    Attributes:
        reader: its shared reader.
        signatures: the (table, lower-case columns) that identify it once it is open.
        marks: the lower-case tables, none of which an Android or iOS system database has, whose
            ``CREATE TABLE`` text in the first bytes of the file marks it when a parser sniffs
            (table names only: a long definition runs on to an overflow page further into the
            file, so its columns may not be in those bytes).
    """

    reader: StoreReader
    signatures: tuple[tuple[str, frozenset[str]], ...]
    marks: frozenset[str]

    def fits(self, con: sqlite3.Connection, place: str) -> bool:
        """Whether every signature table exists with its columns.

        Raises:
            ParseError: the schema cannot be read (a damaged database).
        """
        return all(APPS.has_columns(con, place, t, cols) for t, cols in self.signatures)


ANDROID_APP_STORES: Final = (
    AppStore(
        StoreReader(
            name="android_burner",
            title="Burner numbers, calls, texts and contacts (burners.db)",
            path_patterns=(
                "*/com.adhoclabs.burner/databases/burners.db",
                "*/com.adhoclabs.burner/databases/burners.sqlite",
            ),
            required_tables=frozenset({"burners", "messages", "contacts"}),
            read=read_burner,
        ),
        (
            ("burners", frozenset({"burner_id", "phone_number_id"})),
            (
                "messages",
                frozenset({"contact_phone_number", "burner_id", "message_type", "direction"}),
            ),
        ),
        frozenset({"burners"}),
    ),
    AppStore(
        StoreReader(
            name="android_viber",
            title="Viber calls and phone book (viber_data)",
            path_patterns=("*/com.viber.voip/databases/viber_data",),
            required_tables=frozenset({"calls", "vibernumbers"}),
            read=read_viber,
        ),
        (
            ("calls", frozenset({"number", "date", "duration", "type", "viber_call_type"})),
            ("vibernumbers", frozenset({"canonized_number"})),
        ),
        frozenset({"vibernumbers"}),
    ),
    AppStore(
        StoreReader(
            name="android_tango_tc",
            title="Tango messages (tc.db)",
            path_patterns=("*/com.sgiggle.production/files/tc.db",),
            required_tables=frozenset({"conversations", "messages", "likes"}),
            read=read_tango_tc,
        ),
        (
            ("conversations", frozenset({"conv_id", "payload"})),
            (
                "messages",
                frozenset({"msg_id", "conv_id", "create_time", "direction", "payload"}),
            ),
            ("likes", frozenset({"msg_id"})),
        ),
        frozenset({"conversations", "likes"}),
    ),
    AppStore(
        StoreReader(
            name="android_tango_profiles",
            title="Tango profiles (profile database)",
            path_patterns=(
                "*/com.sgiggle.production/*profile*.db",
                "*/tango_android_profile.db",
            ),
            required_tables=frozenset({"profiletable", "profiles"}),
            read=read_tango_profiles,
        ),
        (("profiletable", frozenset({"itemuserid", "itemfirstname", "itemlastname"})),),
        frozenset({"profiletable"}),
    ),
)

IOS_APP_STORES: Final = (
    AppStore(
        StoreReader(
            name="ios_kik",
            title="Kik messages (kik.sqlite)",
            path_patterns=("*/kik.sqlite",),
            required_tables=frozenset({"zkikmessage", "zkikuser"}),
            read=read_kik,
        ),
        (
            ("zkikmessage", frozenset({"z_pk", "ztype", "zuser", "zbody"})),
            ("zkikuser", frozenset({"z_pk", "zusername"})),
        ),
        frozenset({"zkikmessage"}),
    ),
    AppStore(
        StoreReader(
            name="ios_imo",
            title="imo messages and contacts (IMODb2.sqlite)",
            path_patterns=("*/imodb2.sqlite",),
            required_tables=frozenset({"zimochatmsg", "zimocontact"}),
            read=read_imo,
        ),
        (("zimochatmsg", frozenset({"z_pk", "zissent", "zts", "ztext", "zbuid"})),),
        frozenset({"zimochatmsg"}),
    ),
)

#: The Android app readers, for ``phone_fs`` (path match) and ``recognise``.
ANDROID_APP_READERS: Final[tuple[StoreReader, ...]] = tuple(s.reader for s in ANDROID_APP_STORES)
#: The iOS app readers.
IOS_APP_READERS: Final[tuple[StoreReader, ...]] = tuple(s.reader for s in IOS_APP_STORES)


def fitting_app_stores(
    stores: tuple[AppStore, ...], con: sqlite3.Connection, place: str
) -> tuple[AppStore, ...]:
    """The app databases ``con`` is, by tables and columns.

    Raises:
        ParseError: the schema cannot be read (a damaged database).
    """
    return tuple(s for s in stores if s.fits(con, place))
