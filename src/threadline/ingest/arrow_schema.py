"""Arrow schemas for the canonical evidence tables, derived from the model's declaration."""

from __future__ import annotations

import pyarrow as pa

from threadline.model.evidence_schema import ColumnType, Table

_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INT64: pa.int64(),
    ColumnType.FLOAT64: pa.float64(),
    ColumnType.BOOL: pa.bool_(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a canonical table (all columns nullable)."""
    return pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in table.columns])


def conform(table: Table, data: pa.Table) -> pa.Table:
    """Cast ``data`` (columns already in canonical order and names) to the table's schema.

    Naive timestamps are read as UTC: the ingest computes UTC instants before this point.
    """
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        column = data.column(field.name)
        if pa.types.is_timestamp(field.type) and pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("us")).cast(field.type)
        else:
            column = column.cast(field.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema)
