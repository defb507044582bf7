"""Handset databases as readers that any phone-download parser can use.

A handset database (Android ``mmssms.db``, iOS ``sms.db`` ...) is read the same way whether it is
an exhibit on its own or one file of a full file-system extraction. Each kind is a
:class:`StoreReader`: the path patterns that find it in an extraction (as the LEAPP tools do), a
test on its table names that recognises it when it arrives alone, and the function that reads it
into canonical rows. The single-database parsers (``android_db``, ``ios_db``) and the file-system
extraction parser (``phone_fs``) share the readers, so a database gives the same rows by either
route; only the locator's file part differs (the exhibit's name, or the path inside the
extraction).
"""

from __future__ import annotations

import fnmatch
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from threadline.ingest.rows import RowWriter

__all__ = ["ReadStore", "StoreReader", "match_path", "recognise"]

#: ``read(con, place, writer)``: read the open database into ``writer``; ``place`` is the file
#: part of every locator (``<place>#<table>/<key>=<value>``).
ReadStore = Callable[[sqlite3.Connection, str, RowWriter], None]


@dataclass(frozen=True, slots=True)
class StoreReader:
    """One kind of handset database.

    Attributes:
        name: stable name (``android_sms``), recorded in the run's parameters.
        title: what a user calls it (``Android SMS/MMS (mmssms.db)``).
        path_patterns: :mod:`fnmatch` patterns, lower case, matched against the ``/``-separated
            lower-case path inside an extraction (``*/com.android.providers.telephony/databases/
            mmssms.db``).
        required_tables: lower-case table names that must all be present for a database on its
            own to be recognised as this kind.
        read: reads the database (see :data:`ReadStore`).
    """

    name: str
    title: str
    path_patterns: tuple[str, ...]
    required_tables: frozenset[str]
    read: ReadStore


def match_path(readers: tuple[StoreReader, ...], path: str) -> StoreReader | None:
    """The reader whose path pattern matches ``path`` (inside an extraction), if any."""
    lowered = path.lower()
    for reader in readers:
        if any(fnmatch.fnmatchcase(lowered, p) for p in reader.path_patterns):
            return reader
    return None


def recognise(readers: tuple[StoreReader, ...], tables: frozenset[str]) -> StoreReader | None:
    """The reader whose required tables are all in ``tables``; the most specific (most required
    tables) wins."""
    fitting = [r for r in readers if r.required_tables <= tables]
    fitting.sort(key=lambda r: (-len(r.required_tables), r.name))
    return fitting[0] if fitting else None
