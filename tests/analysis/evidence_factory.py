"""Test support: an :class:`~threadline.analysis.evidence.Evidence` built from a few rows.

Analyses are pure functions of the evidence tables, so their tests give rows by hand (only the
columns that matter; the rest are empty) and check the findings against figures worked out by
hand in the test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from threadline.analysis.contact_events import ENDS_TABLE, ends_table_sql
from threadline.analysis.evidence import Evidence
from threadline.analysis.network_graph import EDGES_TABLE, edges_table_sql
from threadline.ingest.arrow_schema import arrow_schema
from threadline.model.evidence_schema import TABLES
from threadline.model.ids import row_id


def utc(text: str) -> datetime:
    """``2024-06-01 09:00:00`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def call(exhibit: str, n: int, a: str, b: str, at: str | None, **extra: Any) -> dict[str, Any]:
    """A calls row from exhibit ``exhibit``, row ``n``: A calls B at ``at`` (UTC; ``None``
    for a time that is not exact, given by ``start_earliest_utc``/``start_latest_utc``)."""
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "a_party": a,
        "b_party": b,
        "direction": extra.pop("direction", "outgoing"),
        "start_utc": utc(at) if at else None,
        "start_earliest_utc": utc(at) if at else None,
        "start_latest_utc": utc(at) if at else None,
        "start_status": "exact" if at else "ambiguous",
    }
    row.update(extra)
    return row


def message(exhibit: str, n: int, a: str, b: str, at: str | None, **extra: Any) -> dict[str, Any]:
    """A messages row (an SMS unless ``message_type`` says otherwise)."""
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "a_party": a,
        "b_party": b,
        "message_type": extra.pop("message_type", "sms"),
        "direction": extra.pop("direction", "outgoing"),
        "sent_utc": utc(at) if at else None,
        "sent_earliest_utc": utc(at) if at else None,
        "sent_latest_utc": utc(at) if at else None,
        "sent_status": "exact" if at else "ambiguous",
    }
    row.update(extra)
    return row


def make_evidence(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    exhibits: Mapping[str, str] | None = None,
    targets: Sequence[str] = (),
) -> Evidence:
    """An in-memory DuckDB with a view of every canonical table: the rows given, the rest
    empty. Unknown column names fail (a typo would otherwise test nothing)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        schema = arrow_schema(table)
        rows = list(tables.get(table.name, ()))
        for row in rows:
            unknown = set(row) - set(schema.names)
            if unknown:
                raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
        data = pa.Table.from_pylist(
            [{name: row.get(name) for name in schema.names} for row in rows], schema=schema
        )
        # a table, not a view over the registered Arrow data: DuckDB may push filters (a join's
        # Bloom filter) into a scan that Arrow cannot take, and fail the query
        con.register(f"_{table.name}_data", data)
        con.execute(f"CREATE TABLE {table.name} AS SELECT * FROM _{table.name}_data")
        con.unregister(f"_{table.name}_data")
    return Evidence(con, dict(exhibits or {}), tuple(targets))


def with_derived(evidence: Evidence, tables: Mapping[str, str]) -> Evidence:
    """The same evidence offering read-copy derived tables (name -> the SELECT that fills it),
    made in its connection in order, as the read copy makes them
    (:func:`threadline.services.derived.read_copy_tables`)."""
    for name, sql in tables.items():
        evidence.con.execute(f"CREATE TABLE {name} AS {sql}")
    return dataclasses.replace(evidence, derived=evidence.derived | set(tables))


def with_contact_events(evidence: Evidence) -> Evidence:
    """The same evidence offering the read copy's contact-event and contact-edge tables."""
    return with_derived(evidence, {ENDS_TABLE: ends_table_sql(), EDGES_TABLE: edges_table_sql()})
