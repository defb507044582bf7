"""Derived tables sorted by number, and how to read one number's run of rows from them.

A read-copy table that analyses look up by number (contact events, placements) is sorted by a
hash of the number, not by the number itself: DuckDB's zone maps of a string column keep only
its first 8 bytes, which every UK number shares (``+4477009``), so a table sorted by the number
gives the engine nothing to skip by, while on a BIGINT key a filter on a few numbers reads only
their runs. The table's SELECT adds :data:`NUMBER_KEY`; a lookup filters with
:func:`in_runs`. Both use the one expression here, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NUMBER_KEY", "in_runs"]

#: The sort key column of a table sorted by number (select it, then ``ORDER BY number_key``).
NUMBER_KEY: Final = "hash(number) AS number_key"


def in_runs(numbers: str) -> str:
    """A filter keeping the rows of the numbers in the bound list parameter ``numbers``
    (``$numbers``): their runs by key, then the numbers themselves, as two numbers may share a
    hash."""
    return f"number_key IN (SELECT hash(UNNEST({numbers}))) AND list_contains({numbers}, number)"
