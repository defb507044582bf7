"""Reading the tables of a handset database row by row, for Android and iOS alike.

The Android and iOS readers face the same problem: apps and operating-system versions change their
databases, so a column a reader expects may be missing from an older or newer store. A missing
column is reported once per table as an ingest issue (``<platform>.column_missing``) and read as
empty, so one schema change never stops an ingest. A database that fails *while* being read (a
damaged page) raises :class:`~threadline.errors.ParseError` naming the file and the table, because
carrying on would silently drop evidence.

Each row comes with its locator, ``<place>#<table>/<key>=<n>`` (requirement 20), and the row
exactly as read, every column under its original name, for ``source_rows`` (requirement 23).

One implementation serves both platforms so that they cannot drift apart; what genuinely differs
between them is held by a :class:`HandsetTables`, defined once per platform in its own package:
the prefix of its issue codes, how it keeps text that is not valid UTF-8 (in values, and in table
and column names), the column that names a row, and what a table absent from the database means.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from threadline.errors import ParseError
from threadline.ingest.issue import Severity
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import RUNAWAY_MESSAGE, columns, tables

__all__ = ["HandsetTables", "Row", "as_int", "as_real", "as_text"]

_FETCH = 1000


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a table.

    Attributes:
        locator: ``<place>#<table>/<key>=<value>``.
        key: the row's value in its key column (``_id``, ``Z_PK``), or its SQLite row id.
        values: every column by lower-case name.
        raw: the row exactly as read (original column names), for ``source_rows``.
    """

    locator: str
    key: Any
    values: dict[str, Any]
    raw: dict[str, Any]

    def get(self, name: str) -> Any:
        """The value of column ``name`` (any case); ``None`` when the table lacks it."""
        return self.values.get(name.lower())

    def text(self, name: str) -> str | None:
        """Column ``name`` as text (``None`` when empty)."""
        return as_text(self.get(name))

    def verbatim(self, name: str) -> str | None:
        """Column ``name`` as text exactly as stored (message bodies keep their spacing)."""
        value = self.get(name)
        if isinstance(value, str):
            return value or None
        return as_text(value)

    def integer(self, name: str) -> int | None:
        """Column ``name`` as an integer (``None`` when empty or not a whole number)."""
        return as_int(self.get(name))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _damaged(place: str, table: str, exc: sqlite3.Error | UnicodeDecodeError) -> ParseError:
    if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
        # stopped by the step budget of open_sqlite_copy, not damage
        return ParseError(f"{RUNAWAY_MESSAGE} (reading {table})", path=place, locator=table)
    return ParseError(
        f"the {table} table cannot be read (the database is damaged?): {exc}",
        path=place,
        locator=table,
    )


@dataclass(frozen=True, slots=True)
class HandsetTables:
    """How one platform's handset databases are read (one instance per platform).

    Attributes:
        platform: the prefix of issue codes (``android`` gives ``android.column_missing``).
        name: the platform as issue messages name it (``Android``, ``iOS``).
        decode: turns SQLite text into a value; it decides what becomes of text that is not
            valid UTF-8 (replaced characters, or the bytes kept exactly).
        lenient_schema: whether table and column names are read with ``decode`` too, so that a
            name that is not valid UTF-8 simply matches nothing (its column is reported missing),
            rather than being raised as damage.
        key: the column that names a row in its locator unless a read names another; ``ROWID``
            (any case) means SQLite's row id.
        absent_is_damage: whether a table a reader asks for but the database lacks is damage
            (:class:`ParseError`) rather than a table this version never had (no rows).
    """

    platform: str
    name: str
    decode: Callable[[bytes], str | bytes]
    lenient_schema: bool
    key: str
    absent_is_damage: bool

    @contextmanager
    def _decoding(self, con: sqlite3.Connection) -> Iterator[None]:
        """Text decoded the platform's way, and the connection left as it was found."""
        previous: Callable[[bytes], Any] = con.text_factory
        con.text_factory = self.decode
        try:
            yield
        finally:
            con.text_factory = previous

    @contextmanager
    def _schema(self, con: sqlite3.Connection) -> Iterator[None]:
        if self.lenient_schema:
            with self._decoding(con):
                yield
        else:
            yield

    @contextmanager
    def _reading(self, con: sqlite3.Connection, place: str, table: str) -> Iterator[None]:
        """Text decoded the platform's way while reading ``table``, and damage raised as a
        :class:`ParseError` naming the file and the table."""
        try:
            with self._decoding(con):
                yield
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise _damaged(place, table, exc) from exc

    def tables(self, con: sqlite3.Connection) -> frozenset[str]:
        """The names of the database's tables, lower case, its schema read the platform's way
        (damage is raised as it comes: the caller names the file)."""
        with self._schema(con):
            return tables(con)

    def columns(self, con: sqlite3.Connection, place: str, table: str) -> tuple[str, ...]:
        """The lower-case columns of ``table`` (empty when there is no such table).

        Raises:
            ParseError: the schema cannot be read (a damaged database).
        """
        try:
            with self._schema(con):
                return columns(con, table)
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise _damaged(place, table, exc) from exc

    def has_table(self, con: sqlite3.Connection, place: str, table: str) -> bool:
        """Whether the database has a table called ``table`` (any case); a view of that name
        does not count (see :func:`~threadline.ingest.sqlite_copy.columns`).

        Raises:
            ParseError: the schema cannot be read (a damaged database).
        """
        return bool(self.columns(con, place, table))

    def has_columns(
        self, con: sqlite3.Connection, place: str, table: str, wanted: Iterable[str]
    ) -> bool:
        """Whether the database has ``table`` with every one of the columns ``wanted`` (any
        case): what tells a database from another whose table has the same name, and what a
        look-up on a side table needs before it is run.

        Raises:
            ParseError: the schema cannot be read (a damaged database).
        """
        present = self.columns(con, place, table)
        return bool(present) and {c.lower() for c in wanted} <= set(present)

    def report_missing(
        self, writer: RowWriter, place: str, table: str, missing: Sequence[str], consequence: str
    ) -> None:
        """Raise the one ``<platform>.column_missing`` warning for ``table``: it lacks the
        columns ``missing``, and ``consequence`` says what is lost."""
        listed = ", ".join(missing)
        self._column_missing(
            writer,
            place,
            table,
            f"table {table} has no column(s) {listed} (another {self.name} or app version?); "
            f"{consequence}",
            listed,
        )

    def _column_missing(
        self, writer: RowWriter, place: str, table: str, message: str, value: str
    ) -> None:
        writer.ctx.issue(
            Severity.WARNING,
            f"{self.platform}.column_missing",
            message,
            locator=f"{place}#{table}",
            value=value,
        )

    def rows(
        self,
        con: sqlite3.Connection,
        place: str,
        table: str,
        writer: RowWriter,
        *,
        expected: Iterable[str] = (),
        key: str | None = None,
    ) -> Iterator[Row]:
        """The rows of ``table`` in key order, with their locators.

        Args:
            con: the open database.
            place: the file part of locators (the exhibit's name or the path inside an
                extraction).
            table: the table to read.
            writer: where issues go (a missing expected column: one warning per table).
            expected: the columns the reader uses; those missing are reported and read as empty.
            key: the column naming each row (default: the platform's). ``ROWID`` is SQLite's
                row id, shown as written; a table without the key column is keyed by its row
                id, shown as ``rowid=<n>``.

        Raises:
            ParseError: the table cannot be read (damaged page, unreadable schema), or is absent
                where the platform counts that as damage.
        """
        present = self.columns(con, place, table)
        if not present and not self.absent_is_damage:
            return
        missing = [c for c in expected if c.lower() not in present and c.lower() != "rowid"]
        if missing:
            self.report_missing(writer, place, table, missing, "they are read as empty")
        name = key or self.key
        keyed = name.lower() in present
        label = name if keyed or name.lower() == "rowid" else "rowid"
        if keyed:
            sql = f"SELECT * FROM {_quote(table)} ORDER BY {_quote(name)}"
        else:
            # the row id leads each row and is left out of the raw record: it is not a column
            sql = f"SELECT rowid, * FROM {_quote(table)} ORDER BY rowid"
        skip = 0 if keyed else 1
        with self._reading(con, place, table):
            cursor = con.execute(sql)
            cursor.row_factory = None  # plain tuples whatever the connection's factory
            names = [d[0] for d in cursor.description][skip:]
            while batch := cursor.fetchmany(_FETCH):
                for values in batch:
                    raw = dict(zip(names, values[skip:], strict=True))
                    lowered = {k.lower(): v for k, v in raw.items()}
                    value = lowered.get(name.lower()) if keyed else values[0]
                    yield Row(f"{place}#{table}/{label}={value}", value, lowered, raw)

    def find(
        self, con: sqlite3.Connection, place: str, table: str, column: str, value: Any
    ) -> Row | None:
        """The first row of ``table`` whose ``column`` equals ``value`` (a keyed look-up, so a
        large joined table is never held in memory), located as ``<table>/<column>=<value>``;
        ``None`` when there is none.

        Raises:
            ParseError: the table cannot be read.
        """
        sql = f"SELECT * FROM {_quote(table)} WHERE {_quote(column)} = ? LIMIT 1"
        with self._reading(con, place, table):
            cursor = con.execute(sql, (value,))
            cursor.row_factory = None
            names = [d[0] for d in cursor.description]
            found = cursor.fetchone()
        if found is None:
            return None
        raw = dict(zip(names, found, strict=True))
        lowered = {k.lower(): v for k, v in raw.items()}
        key = lowered.get(self.key.lower(), value)
        return Row(f"{place}#{table}/{column}={value}", key, lowered, raw)

    def query(
        self,
        con: sqlite3.Connection,
        place: str,
        table: str,
        sql: str,
        params: Iterable[Any] = (),
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of an ad-hoc ``sql`` on ``table`` as plain tuples, damage raised as ParseError."""
        with self._reading(con, place, table):
            cursor = con.execute(sql, tuple(params))
            cursor.row_factory = None
            while batch := cursor.fetchmany(_FETCH):
                yield from batch

    def lookup(
        self,
        con: sqlite3.Connection,
        place: str,
        table: str,
        sql: str,
        writer: RowWriter,
        what: str,
    ) -> list[tuple[Any, ...]]:
        """All rows of a query on a small side table (handles, chats, media items).

        A column the query names that the table lacks raises one ``<platform>.column_missing``
        warning saying what is lost (``what``) and gives no rows, instead of stopping the ingest.

        Raises:
            ParseError: the table cannot be read (damaged database).
        """
        try:
            return list(self.query(con, place, table, sql))
        except ParseError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.OperationalError) and "no such column" in str(cause):
                self._column_missing(
                    writer,
                    place,
                    table,
                    f"table {table}: {cause} (another {self.name} or app version?); "
                    f"{what} left empty",
                    str(cause),
                )
                return []
            raise


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


def as_real(value: Any) -> float | None:
    """A stored number (a coordinate) as a finite float; ``None`` for anything else (text, a
    blob, infinity), which is never read as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None
