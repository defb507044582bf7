"""Shared fixtures for parser tests: a sink that collects what a parser emits, and a context maker.

A parser never touches a store: it emits Arrow batches and issues through a
:class:`~threadline.ingest.context.ParseContext`. These fixtures let a test run any parser on a
file and look at its output as plain Python rows, with no case or evidence store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest

from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext


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


@pytest.fixture
def collect_sink() -> CollectSink:
    """A fresh collecting sink."""
    return CollectSink()


@pytest.fixture
def make_ctx() -> Callable[..., ParseContext]:
    """A factory for parse contexts; each writes to a new :class:`CollectSink` (``ctx.sink``).

    Keyword arguments: ``exhibit_id`` (``e1``), ``reference`` (``JB/1``), ``target_number``,
    ``authorised_from``, ``authorised_to``, ``parser_ref`` (``test@0.0.0``), ``sink`` (to pass
    your own) and any :class:`~threadline.ingest.context.IngestOptions` field (``profile``,
    ``mapping``, ``time_basis``).
    """

    def make(
        *,
        exhibit_id: str = "e1",
        reference: str = "JB/1",
        target_number: str | None = None,
        authorised_from: datetime | None = None,
        authorised_to: datetime | None = None,
        parser_ref: str = "test@0.0.0",
        sink: Any = None,
        **options: Any,
    ) -> ParseContext:
        return ParseContext(
            exhibit=ExhibitFacts(
                exhibit_id=exhibit_id,
                reference=reference,
                target_number=target_number,
                authorised_from=authorised_from,
                authorised_to=authorised_to,
            ),
            parser_ref=parser_ref,
            options=IngestOptions(**options),
            sink=CollectSink() if sink is None else sink,
        )

    return make
