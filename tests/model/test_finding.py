"""Findings and their link citations: the citation survives the case store's JSON unchanged,
and a finding's row count is its listed rows or its citation's."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from threadline.model.finding import Finding, LinkCitation

CITATION = LinkCitation(
    nodes=("number:+447700900001", "number:+447700900002"),
    exhibit_ids=("e1", "e2"),
    since=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
    until=None,
    handsets=True,
    same_event_seconds=12.5,
    rows=3,
)


def test_a_citation_goes_through_json_and_back_unchanged() -> None:
    stored = json.loads(json.dumps(CITATION.to_dict()))
    assert stored["since"] == "2024-06-01T09:30:00+00:00"
    assert LinkCitation.from_dict(stored) == CITATION


def test_rows_cited_counts_the_list_or_the_citation() -> None:
    listed = Finding(kind="k", subjects=("a",), explanation="", derived_from=("r1", "r2"))
    named = Finding(
        kind="k", subjects=("a",), explanation="", derived_from=(), derived_links=CITATION
    )
    assert (listed.rows_cited, named.rows_cited) == (2, 3)
