"""The evidence an analysis reads: one SQL connection with a view per canonical table.

The analyse service opens the case's evidence (every complete ingest run's files, or the case's
read copy) and hands it over as an :class:`Evidence`; tests build one from rows. Analyses query
it with bound parameters only, never with values pasted into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from threadline.errors import StoreError
from threadline.model.judgement import Judgement

__all__ = ["Evidence"]


@dataclass(frozen=True)
class Evidence:
    """A case's evidence tables, and what the case store says about its exhibits.

    Attributes:
        con: a connection with one view per canonical table (``calls``, ``messages``...).
        exhibits: exhibit id -> exhibit reference (``JB/1``), for explanations.
        targets: the numbers (E.164) named as targets in the case's communications data
            authorisations, the default subjects of several analyses.
        judgements: the analysts' judgements in force (same / not the same / unsure), which
            an analysis that links or merges subjects must respect.
        derived: the derived tables ``con`` offers besides the canonical ones (the read copy's
            precomputed tables, e.g. contact events), which an analysis may read instead of
            computing the same rows itself.
    """

    con: duckdb.DuckDBPyConnection
    exhibits: Mapping[str, str] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    judgements: tuple[Judgement, ...] = ()
    derived: frozenset[str] = frozenset()

    def rows(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Run one statement with bound ``parameters``; its rows as dictionaries.

        Raises:
            StoreError: the engine refused the statement or could not read the evidence.
        """
        rows: list[dict[str, Any]] = self.arrow(sql, parameters).to_pylist()
        return rows

    def arrow(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> pa.Table:
        """Run one statement with bound ``parameters``; its result as an Arrow table.

        Raises:
            StoreError: the engine refused the statement or could not read the evidence.
        """
        try:
            return self.con.execute(sql, parameters).to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"the analysis could not read the evidence: {exc}") from exc

    def reference(self, exhibit_id: str) -> str:
        """An exhibit's reference, or its id where the case store does not know it."""
        return self.exhibits.get(exhibit_id, exhibit_id)
