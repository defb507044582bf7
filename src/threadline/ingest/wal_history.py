"""Records a handset deleted after the last checkpoint, found by reading a database twice.

SQLite writes each change to the write-ahead log (``<db>-wal``) first and copies it into the
database file only at a checkpoint. A handset seized between the two holds a database file that
still contains records its WAL deletes — a conversation deleted minutes before seizure. Reading
the database with its WAL gives what the handset showed; reading the file alone gives the state at
the last checkpoint. A record in the older state whose locator is absent from the current one was
deleted (or re-keyed) after that checkpoint.

:func:`read_with_wal_history` reads the current state as usual, then the older state into memory,
and adds each record found only in the older state with ``deleted_state`` ``deleted`` and
``;state=before-wal`` after its locator, so that it is never mistaken for a live record and its
place in the exhibit is exact (the database file, without its WAL). One issue per table counts
them. Records the WAL changes but keeps are reported as they now are; earlier WAL frames
overwritten by later ones are not carved (a known limit, said in the parser documentation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import open_sqlite_copy
from threadline.model.evidence_schema import SOURCE_ROWS
from threadline.model.evidence_schema import table as canonical_table

__all__ = ["BEFORE_WAL", "read_with_wal_history"]

#: Appended to the locator of a record found only in the database file without its WAL.
BEFORE_WAL = ";state=before-wal"

_PROVENANCE = ("row_id", "exhibit_id", "locator", "parser")


class _Collect:
    """A sink that keeps batches in memory, by table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[pa.Table | pa.RecordBatch]] = {}

    def write(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        self.tables.setdefault(table, []).append(batch)

    def rows(self, table: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for batch in self.tables.get(table, []):
            out.extend(batch.to_pylist())
        return out


def read_with_wal_history(
    store: StoreReader, database: Path, place: str, writer: RowWriter, *, wal: Path | None = None
) -> int:
    """Read ``database`` with its WAL into ``writer``, then add the records its WAL deleted.

    Args:
        store: the reader of this kind of database.
        database: the (scratch) database file; its WAL is ``wal`` or ``<database>-wal``.
        place: the file part of the locators (its path inside the exhibit).
        writer: where rows go.
        wal: the write-ahead log, if not beside the database.

    Returns:
        How many records were found only in the state before the WAL.

    Raises:
        ParseError: the database is damaged, encrypted or not SQLite (as ``open_sqlite_copy``).
    """
    wal = wal if wal is not None else database.with_name(database.name + "-wal")
    has_wal = wal.is_file() and wal.stat().st_size > 0
    writer.tracked = set() if has_wal else None
    try:
        with open_sqlite_copy(database, name=place, wal=wal) as con:
            store.read(con, place, writer)
        current = writer.tracked or set()
    finally:
        writer.tracked = None
    if not has_wal:
        return 0
    before = _Collect()
    shadow = RowWriter(
        ParseContext(
            exhibit=writer.ctx.exhibit,
            parser_ref=writer.ctx.parser_ref,
            options=writer.ctx.options,
            sink=before,
        ),
        region=writer.region,
    )
    with open_sqlite_copy(database, name=place, apply_wal=False) as con:
        store.read(con, place, shadow)
    shadow.close()
    raws = {row["locator"]: row["raw"] for row in before.rows(SOURCE_ROWS.name)}
    recovered = 0
    for table_name in sorted(before.tables):
        if table_name == SOURCE_ROWS.name:
            continue
        spec = canonical_table(table_name)
        found = 0
        for row in before.rows(table_name):
            locator = row["locator"]
            if (table_name, locator) in current:
                continue
            values = {k: v for k, v in row.items() if k not in _PROVENANCE}
            if "deleted_state" in spec.column_names:
                values["deleted_state"] = "deleted"
            raw_text = raws.get(locator)
            raw = {"state": "before-wal", **json.loads(raw_text)} if raw_text else None
            writer.add(table_name, locator + BEFORE_WAL, values, raw=raw)
            found += 1
        if found:
            writer.ctx.issue(
                Severity.WARNING,
                "store.deleted_before_wal",
                f"{found} {table_name} record(s) are in the database file but deleted by its "
                "write-ahead log (deleted on the handset after the last checkpoint); they are "
                "kept, marked deleted, with ';state=before-wal' in their locator",
                locator=place,
                count=found,
            )
        recovered += found
    return recovered
