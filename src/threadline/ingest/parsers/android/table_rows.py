"""Reading one table of an Android database row by row, tolerating schema drift.

Android and app databases change between versions: a column a reader expects may be missing from
an older or newer store. A missing column is reported once per table as an ingest issue and read
as empty, so one schema change never stops an ingest. A database that fails *while* being read
(a damaged page) raises :class:`~threadline.errors.ParseError` naming the file and the table,
because carrying on would silently drop evidence.

Each row comes with its locator, ``<place>#<table>/_id=<n>`` (or ``rowid=<n>`` for a table with
no ``_id`` column; requirement 20), and the row exactly as read, every column, for
``source_rows`` (requirement 23).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from threadline.errors import ParseError
from threadline.ingest.issue import Severity
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import columns
from threadline.model.device_time import DeviceTime, from_unix_ms, from_unix_s, unparsed

__all__ = [
    "Row",
    "as_int",
    "as_text",
    "find_row",
    "has_table",
    "iter_rows",
    "table_columns",
    "time_ms",
    "time_s",
]

_ROWID = "__threadline_rowid__"
_FETCH = 1000


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table.

    Attributes:
        locator: ``<place>#<table>/<key>=<value>``.
        key: the row's ``_id`` (or SQLite row id).
        values: every column by lower-case name.
        raw: the row exactly as read (original column names), for ``source_rows``.
    """

    locator: str
    key: Any
    values: dict[str, Any]
    raw: dict[str, Any]

    def get(self, name: str) -> Any:
        """The value of column ``name`` (lower case); ``None`` when the table lacks it."""
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """Column ``name`` as text (``None`` when empty)."""
        return as_text(self.values.get(name))

    def verbatim(self, name: str) -> str | None:
        """Column ``name`` as text exactly as stored (message bodies keep their spacing)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value or None
        return as_text(value)

    def integer(self, name: str) -> int | None:
        """Column ``name`` as an integer (``None`` when empty or not a whole number)."""
        return as_int(self.values.get(name))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _decode(data: bytes) -> str:
    # a damaged or app-encoded text value must not stop the whole table: undecodable bytes are
    # replaced (U+FFFD) and the row is still read
    return data.decode("utf-8", "replace")


def table_columns(con: sqlite3.Connection, place: str, table: str) -> tuple[str, ...]:
    """The lower-case columns of ``table`` (empty when there is no such table).

    Raises:
        ParseError: the schema cannot be read (a damaged database).
    """
    try:
        return columns(con, table)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise ParseError(
            f"the {table} table cannot be read: {exc}", path=place, locator=table
        ) from exc


def has_table(con: sqlite3.Connection, place: str, table: str) -> bool:
    """Whether the database has a table called ``table`` (any case).

    Raises:
        ParseError: the schema cannot be read (a damaged database).
    """
    return bool(table_columns(con, place, table))


def iter_rows(
    con: sqlite3.Connection,
    place: str,
    table: str,
    writer: RowWriter,
    *,
    expected: tuple[str, ...] = (),
    where: str = "",
) -> Iterator[Row]:
    """The rows of ``table`` in key order, with their locators.

    Args:
        con: the open database.
        place: the file part of locators (the exhibit's name or the path inside an extraction).
        table: the table to read.
        writer: where issues go (a missing expected column: one warning per table).
        expected: the columns the reader uses; those missing are reported and read as empty.
        where: an optional SQL condition on the table's columns.

    Raises:
        ParseError: the table cannot be read (damaged page, unreadable schema).
    """
    present = table_columns(con, place, table)
    if not present:
        return
    missing = [c for c in expected if c not in present]
    if missing:
        writer.ctx.issue(
            Severity.WARNING,
            "android.column_missing",
            f"the {table} table has no column(s) {', '.join(missing)} (a different app or "
            "Android version); those fields are left empty",
            locator=f"{place}#{table}",
            value=", ".join(missing),
        )
    key = "_id" if "_id" in present else "rowid"
    order = _quote("_id") if key == "_id" else "rowid"
    condition = f" WHERE {where}" if where else ""
    sql = f"SELECT rowid AS {_ROWID}, * FROM {_quote(table)}{condition} ORDER BY {order}"
    if key == "_id":
        sql = f"SELECT * FROM {_quote(table)}{condition} ORDER BY {order}"
    try:
        previous: Callable[[bytes], Any] = con.text_factory
        con.text_factory = _decode
        try:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            while True:
                batch = cursor.fetchmany(_FETCH)
                if not batch:
                    return
                for values in batch:
                    raw = dict(zip(names, tuple(values), strict=True))
                    rowid = raw.pop(_ROWID, None)
                    lowered = {k.lower(): v for k, v in raw.items()}
                    value = lowered.get("_id") if key == "_id" else rowid
                    yield Row(f"{place}#{table}/{key}={value}", value, lowered, raw)
        finally:
            con.text_factory = previous
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise ParseError(
            f"the {table} table cannot be read (the database is damaged?): {exc}",
            path=place,
            locator=table,
        ) from exc


def find_row(
    con: sqlite3.Connection, place: str, table: str, key_column: str, value: Any
) -> Row | None:
    """The first row of ``table`` whose ``key_column`` equals ``value`` (a keyed look-up, so a
    large joined table is never held in memory); ``None`` when there is none.

    Raises:
        ParseError: the table cannot be read.
    """
    sql = f"SELECT * FROM {_quote(table)} WHERE {_quote(key_column)} = ? LIMIT 1"
    previous: Callable[[bytes], Any] = con.text_factory
    try:
        con.text_factory = _decode
        try:
            cursor = con.execute(sql, (value,))
            names = [d[0] for d in cursor.description]
            found = cursor.fetchone()
        finally:
            con.text_factory = previous
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise ParseError(
            f"the {table} table cannot be read (the database is damaged?): {exc}",
            path=place,
            locator=table,
        ) from exc
    if found is None:
        return None
    raw = dict(zip(names, tuple(found), strict=True))
    lowered = {k.lower(): v for k, v in raw.items()}
    key = lowered.get("_id", value)
    return Row(f"{place}#{table}/{key_column}={value}", key, lowered, raw)


def as_text(value: Any) -> str | None:
    """A database value as text: ``None`` and empty text stay empty; blobs are decoded."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text if text.strip() else None


def as_int(value: Any) -> int | None:
    """A database value as an integer, or ``None`` when it is not a whole number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _time(value: Any, decode: Callable[[int], DeviceTime | None]) -> DeviceTime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = as_int(value)
    if number is None:
        # a value that is not a whole count (text, a blob, a fraction) is kept as written
        return unparsed(as_text(value) or repr(value), "UTC")
    return decode(number)


def time_ms(value: Any) -> DeviceTime | None:
    """Milliseconds since 1970 UTC (``sms.date``, ``calls.date``, WhatsApp ``timestamp``);
    ``0`` or empty give no time."""
    return _time(value, from_unix_ms)


def time_s(value: Any) -> DeviceTime | None:
    """Seconds since 1970 UTC (MMS ``pdu.date``); ``0`` or empty give no time."""
    return _time(value, from_unix_s)
