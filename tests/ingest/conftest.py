"""Shared fixtures for parser tests: a sink that collects what a parser emits, and a context maker.

A parser never touches a store: it emits Arrow batches and issues through a
:class:`~threadline.ingest.context.ParseContext`. These fixtures let a test run any parser on a
file and look at its output as plain Python rows, with no case or evidence store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from collect_sink import CollectSink, Parsed

from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.parsers.cdr_uk.parser import CdrUkParser


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


@pytest.fixture
def parse_file(make_ctx: Callable[..., ParseContext]) -> Callable[..., Parsed]:
    """Parse a CDR file: ``parse_file(path, **options)``; options are exhibit facts
    (``target_number``, ``authorised_from``...) or ingest options (``profile``, ``mapping``)."""

    def parse(path: Path, **options: Any) -> Parsed:
        options.setdefault("target_number", "+447700900123")
        ctx = make_ctx(parser_ref=CdrUkParser.info.ref, **options)
        CdrUkParser().parse(path, ctx)
        assert ctx.row_counts == ctx.sink.counts()  # type: ignore[attr-defined]
        return Parsed(ctx)

    return parse
