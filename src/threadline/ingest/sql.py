"""SQL fragments shared by the parsers that normalise with DuckDB.

:func:`row_id_sql` is the SQL twin of :func:`threadline.model.ids.row_id`, so bulk ingest and
Python code give the same identifiers (tests check both agree).
"""

from __future__ import annotations

import duckdb

from threadline.model.ids import ID_HEX_LENGTH, key_material


def connect_offline() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for a parser: two threads, UTC, and no extension ever installed or
    loaded from a repository (closed networks; only the statically linked ones are used)."""
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": 2,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    # a progress bar would be drawn on standard output, breaking --json
    con.execute("SET enable_progress_bar = false")
    return con


def sql_literal(text: str) -> str:
    """Quote ``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def row_id_sql(exhibit_id: str, locator_sql: str) -> str:
    """SQL computing ``row_id(exhibit_id, locator)`` for a locator given as a SQL expression."""
    prefix = sql_literal(key_material("row", exhibit_id))
    loc = f"({locator_sql})"
    return f"substr(sha256({prefix} || length({loc}) || ':' || {loc}), 1, {ID_HEX_LENGTH})"


def whole_number_sql(text_sql: str) -> str:
    """SQL reading a text as a non-negative whole number, NULL for anything else.

    Stricter than a cast, which would accept ``-1``, round ``12.5`` and read ``0x10`` or ``1e3``:
    such values are not what a network means by seconds or bytes, so they become issues.
    """
    return (
        f"CASE WHEN regexp_full_match({text_sql}, '[0-9]{{1,18}}') "
        f"THEN CAST({text_sql} AS BIGINT) END"
    )
