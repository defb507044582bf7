"""The derived tables computed into a case's read copy: what pages and analyses read at scale.

The evidence store makes a read copy of a case's files (:meth:`EvidenceStore.make_read_copy`)
and computes these tables into it once, so that the interactive pages and the analyses read a
run of prepared rows instead of re-deriving them from every record each time (design.md
"Storage": derived, never the record, rebuilt whenever the evidence changes):

* the entity hits of each identifier kind, sorted by key (entity profiles;
  :func:`threadline.services.entities.derived_tables`);
* the contact events, each once per number, sorted by number (the communications and network
  analyses; :mod:`threadline.analysis.contact_events`).
"""

from __future__ import annotations

from threadline.analysis.contact_events import ENDS_TABLE, EVENT_TABLES, ends_table_sql
from threadline.services.entities import derived_tables as entity_tables
from threadline.store.evidence_store import DerivedTable

__all__ = ["read_copy_tables"]


def read_copy_tables() -> dict[str, DerivedTable]:
    """Every derived table of a case's read copy, by name."""
    return {
        **entity_tables(),
        ENDS_TABLE: DerivedTable(sql=ends_table_sql(), reads=EVENT_TABLES),
    }
