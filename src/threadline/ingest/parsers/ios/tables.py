"""Reading one table of a handset database row by row, tolerating missing columns.

Apple changes its databases between iOS versions: a column the readers expect may be absent in an
older or newer store. A missing column is reported once per table as an ingest issue and read as
empty, so one schema change never stops an ingest. A database that fails *while* being read (a
damaged page) raises :class:`~threadline.errors.ParseError` naming the file and the table, because
carrying on would silently drop evidence.

Every row is returned twice: keyed by lower-case column name for the reader, and exactly as read
(original column names, every column) for ``source_rows`` (requirement 23).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from threadline.errors import ParseError
from threadline.ingest.issue import Severity
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import columns

__all__ = ["Record", "iter_table", "lookup", "query", "quote", "text_or_bytes"]

_ROWID = "__threadline_rowid__"


def quote(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Record:
    """One row of a table.

    Attributes:
        rowid: SQLite's row id (the ``ROWID`` column of ``sms.db`` tables).
        values: every column by lower-case name; expected columns the table lacks are ``None``.
        raw: the row exactly as read, original column names, for ``source_rows``.
    """

    rowid: int
    values: dict[str, Any]
    raw: dict[str, Any]

    def get(self, name: str) -> Any:
        """The value of column ``name`` (any case); ``None`` when absent."""
        return self.values.get(name.lower())

    def key(self, name: str) -> int:
        """The integer primary key in column ``name`` (``Z_PK``), else the row id."""
        value = self.values.get(name.lower())
        return value if isinstance(value, int) else self.rowid


def text_or_bytes(data: bytes) -> str | bytes:
    """SQLite text as ``str``; text that is not valid UTF-8 (a damaged or odd record) as its
    bytes, so the raw record keeps it exactly and one bad value does not stop the ingest."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _wrap(place: str, table: str, exc: sqlite3.Error | UnicodeDecodeError) -> ParseError:
    return ParseError(
        f"the {table} table cannot be read (the database is damaged?): {exc}",
        path=place,
        locator=table,
    )


def query(
    con: sqlite3.Connection, place: str, table: str, sql: str, params: Iterable[Any] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows of an ad-hoc ``sql`` on ``table`` as plain tuples, damage raised as ParseError."""
    con.text_factory = text_or_bytes
    try:
        cursor = con.execute(sql, tuple(params))
        cursor.row_factory = None  # plain tuples whatever the connection's factory
        while True:
            batch = cursor.fetchmany(1000)
            if not batch:
                return
            yield from (tuple(row) for row in batch)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise _wrap(place, table, exc) from exc


def lookup(
    con: sqlite3.Connection,
    place: str,
    table: str,
    sql: str,
    writer: RowWriter,
    what: str,
) -> list[tuple[Any, ...]]:
    """All rows of a query on a small side table (handles, chats, media items).

    A column the query names that the table lacks raises one ``ios.column_missing`` warning
    saying what is lost (``what``) and gives no rows, instead of stopping the ingest.

    Raises:
        ParseError: the table cannot be read (damaged database).
    """
    try:
        return list(query(con, place, table, sql))
    except ParseError as exc:
        cause = exc.__cause__
        if isinstance(cause, sqlite3.OperationalError) and "no such column" in str(cause):
            writer.ctx.issue(
                Severity.WARNING,
                "ios.column_missing",
                f"table {table}: {cause} (another iOS or app version?); {what} left empty",
                locator=f"{place}#{table}",
                value=str(cause),
            )
            return []
        raise


def iter_table(
    con: sqlite3.Connection,
    place: str,
    table: str,
    writer: RowWriter,
    expected: Iterable[str],
) -> Iterator[Record]:
    """Every row of ``table`` in row-id order.

    Args:
        con: the open database.
        place: the file part of locators (the database's path in the exhibit).
        table: the table to read.
        writer: where the missing-column issue goes.
        expected: columns the reader relies on; any the table lacks raises one
            ``ios.column_missing`` warning and reads as empty.

    Raises:
        ParseError: the table cannot be read (damaged database).
    """
    con.text_factory = text_or_bytes
    try:
        present = set(columns(con, table))
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise _wrap(place, table, exc) from exc
    missing = [c for c in expected if c.lower() not in present and c.lower() != "rowid"]
    if missing:
        writer.ctx.issue(
            Severity.WARNING,
            "ios.column_missing",
            f"table {table} has no column(s) {', '.join(missing)} (another iOS or app "
            "version?); they are read as empty",
            locator=f"{place}#{table}",
            value=", ".join(missing),
        )
    sql = f"SELECT rowid AS {quote(_ROWID)}, * FROM {quote(table)} ORDER BY rowid"
    try:
        cursor = con.execute(sql)
        cursor.row_factory = None
        names = [d[0] for d in cursor.description]
        while True:
            batch = cursor.fetchmany(1000)
            if not batch:
                return
            for row in batch:
                raw = dict(zip(names[1:], tuple(row)[1:], strict=True))
                values = {n.lower(): v for n, v in raw.items()}
                for name in missing:
                    values.setdefault(name.lower(), None)
                yield Record(int(row[0]), values, raw)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise _wrap(place, table, exc) from exc
