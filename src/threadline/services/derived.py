"""The derived tables computed into a case's read copy: what pages and analyses read at scale.

The evidence store makes a read copy of a case's files (:meth:`EvidenceStore.make_read_copy`)
and computes these tables into it once, so that the interactive pages and the analyses read a
run of prepared rows instead of re-deriving them from every record each time (design.md
"Storage": derived, never the record, rebuilt whenever the evidence changes):

* the entity hits of each identifier kind, sorted by key (entity profiles;
  :func:`threadline.services.entities.derived_tables`);
* the contact events, each once per number, sorted by number (the communications and network
  analyses; :mod:`threadline.analysis.contact_events`);
* the contact edges of the whole evidence, grouped from those events (the network analyses and
  the network view without a window; :mod:`threadline.analysis.network_graph`);
* every (cell, number, exhibit) with a placement, and every placement sorted by number
  (co-location's rarity weights and its chosen numbers' placements;
  :mod:`threadline.analysis.co_location`).
"""

from __future__ import annotations

from threadline.analysis.co_location import (
    CELL_NUMBERS_TABLE,
    PLACEMENTS_TABLE,
    cell_numbers_sql,
    placements_table_sql,
)
from threadline.analysis.contact_events import ENDS_TABLE, EVENT_TABLES, ends_table_sql
from threadline.analysis.network_graph import EDGES_TABLE, edges_table_sql
from threadline.services.entities import derived_tables as entity_tables
from threadline.store.evidence_store import DerivedTable

__all__ = ["read_copy_tables"]

_PLACEMENT_TABLES = ("calls", "messages", "data_sessions")


def read_copy_tables() -> dict[str, DerivedTable]:
    """Every derived table of a case's read copy, by name."""
    return {
        **entity_tables(),
        ENDS_TABLE: DerivedTable(sql=ends_table_sql(), reads=EVENT_TABLES),
        # made after the events, from which it is grouped (tables are made in this order)
        EDGES_TABLE: DerivedTable(sql=edges_table_sql(), reads=EVENT_TABLES),
        CELL_NUMBERS_TABLE: DerivedTable(sql=cell_numbers_sql(), reads=_PLACEMENT_TABLES),
        PLACEMENTS_TABLE: DerivedTable(sql=placements_table_sql(), reads=_PLACEMENT_TABLES),
    }
