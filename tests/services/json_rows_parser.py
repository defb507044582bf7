"""A test-only parser: canonical rows written out as JSON, ingested through the real ingest path.

No parser for contacts, devices, accounts or ANPR reads exists yet, but search, records and
profiles must be tested on them. This parser meets the real contract
(:class:`threadline.ingest.contract.Parser`): it sniffs, and it emits canonical batches and the
raw source rows through the :class:`~threadline.ingest.context.ParseContext`, so the rows reach the
evidence store exactly as a real parser's would (``ingest_exhibit(..., parser="json_rows")``).

The file is one JSON object::

    {"format": "json_rows", "calls": [{"a_party": "+447700900123", ...}, ...], ...}

Each key other than ``format`` (and keys starting ``_``, for comments) names a canonical table; each
row gives the columns it wants, already normalised (the parser does not normalise), and the rest are
empty. The provenance columns are filled in: the locator of the i-th row of table T is ``$.T[i]``
and its ``row_id`` is :func:`threadline.model.ids.row_id` of the exhibit and locator. Times are ISO
8601 text; a ``<p>_utc`` given alone also fills ``<p>_earliest_utc`` and ``<p>_latest_utc`` and sets
``<p>_status`` to ``exact``. Every row is also written to ``source_rows``, its ``raw`` being the
row's JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from threadline.errors import NotThisFormat, ParseError
from threadline.ingest.arrow_schema import arrow_schema
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.registry import Registry
from threadline.model.evidence_schema import SOURCE_ROWS, ColumnType, Table, table
from threadline.model.ids import row_id
from threadline.services.workspace import Workspace

FORMAT_MARK = b'"format": "json_rows"'


def _value(column_type: ColumnType, value: Any) -> Any:
    if value is None or column_type is not ColumnType.TIMESTAMP:
        return value
    return datetime.fromisoformat(str(value))


def _complete_times(spec: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Fill a time's range and status from its exact UTC value when only that is given."""
    out = dict(row)
    for column in spec.column_names:
        if not column.endswith("_utc") or column.endswith(("_earliest_utc", "_latest_utc")):
            continue
        prefix = column.removesuffix("_utc")
        if out.get(column) is not None:
            out.setdefault(f"{prefix}_earliest_utc", out[column])
            out.setdefault(f"{prefix}_latest_utc", out[column])
            out.setdefault(f"{prefix}_status", "exact")
            out.setdefault(f"{prefix}_original", out[column])
    return out


class JsonRowsParser:
    """Reads a JSON file of canonical rows (tests only)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="json_rows",
        version="1.0.0",
        title="Canonical rows as JSON (test support)",
        formats=("json",),
        tables=(
            "calls",
            "messages",
            "data_sessions",
            "contacts",
            "devices",
            "accounts",
            "locations",
            "anpr_reads",
            "source_rows",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """Certain for a ``.json`` file that declares the format; no otherwise."""
        if probe.suffix == "json" and FORMAT_MARK in probe.head:
            return Confidence.CERTAIN
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Emit every table's rows, and each row's raw JSON to ``source_rows``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != "json_rows":
            raise NotThisFormat("not a json_rows file", path=path.name)
        exhibit_id = ctx.exhibit.exhibit_id
        raw_rows: list[dict[str, Any]] = []
        for name, rows in data.items():
            if name == "format" or name.startswith("_"):
                continue
            spec = table(name)
            records = []
            for index, given in enumerate(rows):
                unknown = set(given) - set(spec.column_names)
                if unknown:
                    raise ParseError(
                        f"no column(s) {sorted(unknown)} in {name}", locator=f"$.{name}[{index}]"
                    )
                locator = f"$.{name}[{index}]"
                provenance = {
                    "row_id": row_id(exhibit_id, locator),
                    "exhibit_id": exhibit_id,
                    "locator": locator,
                    "parser": ctx.parser_ref,
                }
                record = {**_complete_times(spec, given), **provenance}
                records.append({c.name: _value(c.type, record.get(c.name)) for c in spec.columns})
                raw_rows.append({**provenance, "raw": json.dumps(given, sort_keys=True)})
            ctx.emit(name, pa.Table.from_pylist(records, schema=arrow_schema(spec)))
        if raw_rows:
            ctx.emit(
                SOURCE_ROWS.name, pa.Table.from_pylist(raw_rows, schema=arrow_schema(SOURCE_ROWS))
            )


def with_json_rows(ws: Workspace) -> Workspace:
    """The workspace with :class:`JsonRowsParser` added to its parser registry."""
    ws.registry = Registry((*ws.registry.parsers, JsonRowsParser()))
    return ws
