"""Test support shared by the parser tests in this folder: a sink that collects what a parser
emits, and a view of one parse's output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from threadline.ingest.context import ParseContext
from threadline.ingest.issue import IngestIssue


class CollectSink:
    """A :class:`~threadline.ingest.context.BatchSink` that keeps every batch, by table."""

    def __init__(self) -> None:
        self.batches: dict[str, list[pa.RecordBatch]] = {}

    def write(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        parts = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        self.batches.setdefault(table, []).extend(parts)

    def table(self, name: str) -> pa.Table | None:
        """All rows written to ``name`` as one Arrow table (``None`` if none were written)."""
        batches = self.batches.get(name)
        if not batches:
            return None
        return pa.Table.from_batches(batches)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """The rows written to ``name``, as dictionaries, in the order written."""
        data = self.table(name)
        return [] if data is None else data.to_pylist()

    def counts(self) -> dict[str, int]:
        """Rows written per table (tables with no rows are absent)."""
        return {name: sum(b.num_rows for b in bs) for name, bs in self.batches.items() if bs}


@dataclass
class Parsed:
    """What one parse produced."""

    ctx: ParseContext

    def rows(self, table: str) -> list[dict[str, Any]]:
        sink: Any = self.ctx.sink  # the CollectSink of conftest.py
        return list(sink.rows(table))

    def row(self, table: str, locator: str) -> dict[str, Any]:
        found = [r for r in self.rows(table) if r["locator"] == locator]
        assert len(found) == 1, f"{table} has {len(found)} rows at {locator}"
        return found[0]

    def locators(self, table: str) -> list[str]:
        return [r["locator"] for r in self.rows(table)]

    @property
    def counts(self) -> dict[str, int]:
        sink: Any = self.ctx.sink
        return dict(sink.counts())

    @property
    def issues(self) -> list[IngestIssue]:
        return self.ctx.all_issues()

    @property
    def codes(self) -> set[str]:
        return {i.code for i in self.issues}

    def issues_with(self, code: str) -> list[IngestIssue]:
        return [i for i in self.issues if i.code == code]


IssueKey = tuple[str, str, str | None, str | None]


def run_parser(
    parser: Any, path: Any, *, exhibit_id: str, reference: str
) -> tuple[ParseContext, CollectSink]:
    """Run ``parser`` on ``path`` with no stores; returns its context and what it emitted."""
    from threadline.ingest.context import ExhibitFacts, IngestOptions

    sink = CollectSink()
    ctx = ParseContext(
        exhibit=ExhibitFacts(exhibit_id=exhibit_id, reference=reference),
        parser_ref=parser.info.ref,
        options=IngestOptions(),
        sink=sink,
    )
    parser.parse(path, ctx)
    return ctx, sink


def issue_keys(ctx: ParseContext) -> list[IssueKey]:
    """Issues as (severity, code, locator, value), sorted by row then code (file-wide first)."""
    keys = [(i.severity.value, i.code, i.locator, i.value) for i in ctx.all_issues()]

    def order(key: IssueKey) -> tuple[int, str]:
        locator = key[2] or ""
        number = int(locator.split("=")[1]) if locator.startswith("row=") else 0
        return number, key[1]

    return sorted(keys, key=order)


def by_locator(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows keyed by their locator."""
    return {row["locator"]: row for row in rows}


class HasRows(Protocol):
    """Anything that gives a table's rows: a :class:`CollectSink` or a :class:`Parsed`."""

    def rows(self, name: str) -> list[dict[str, Any]]: ...


def raw_records(output: HasRows) -> dict[str, dict[str, Any]]:
    """The raw source records kept in ``source_rows`` (requirement 23), decoded, by locator."""
    return {row["locator"]: json.loads(row["raw"]) for row in output.rows("source_rows")}


def raw_of(output: HasRows, locator: str) -> dict[str, Any]:
    """The one raw source record kept for ``locator``, decoded (fails unless exactly one)."""
    found = [r for r in output.rows("source_rows") if r["locator"] == locator]
    assert len(found) == 1
    return dict(json.loads(found[0]["raw"]))
