"""Call chains: A contacts B, then B contacts C within a window (instruction relay).

An organiser rarely calls the workers: they call a lieutenant, who calls the workers. The
pattern shows as A -> B followed, within minutes, by B -> C. For every (A, B, C) with C neither A
nor B, the finding counts the occasions (each contact B -> C preceded inside the window by
contact A -> B, paired with the latest such contact: one relay is one occasion however many
contacts led up to it), gives the first and last, the typical gap, and cites both legs'
records. Chains that recur are the leads; a single occasion is often chance, so ``min_occasions``
defaults to 2.

Only contact events with exact times take part (the order of two events cannot be told
otherwise), and events are counted once however many exhibits hold them
(:mod:`threadline.analysis.contact_events`). A chain shows timing, not content: that B passed
anything on is an inference for the analyst to test, and the explanation says so.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any, ClassVar

from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contact_events import contact_events_sql, precomputed
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import period_phrase
from threadline.model.finding import Finding

__all__ = ["CallChains", "CallChainsParameters"]


class CallChainsParameters(Parameters):
    """Parameters of :class:`CallChains`.

    Attributes:
        window_minutes: the longest gap between the first leg and the second.
        min_occasions: the fewest occasions a chain needs to be reported.
        through: only chains whose middle number (B) is one of these; empty for any.
        since: only contact from this instant (UTC).
        until: only contact before this instant (UTC).
        same_event_seconds: records of one event in different exhibits are matched within this.
    """

    window_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    min_occasions: int = Field(default=2, ge=1)
    through: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("through", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class CallChains:
    """A -> B then B -> C within a window (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="call_chains",
        version="1.1.0",
        title="Call chains",
        summary="A contacts B, then B contacts C within the window: possible relays of "
        "instructions, counted over occasions, with both legs' records.",
        tables=("calls", "messages"),
        parameters=CallChainsParameters,
        requirements=(20, 44),
    )

    def run(self, evidence: Evidence, parameters: CallChainsParameters) -> list[Finding]:
        """The chains with at least ``min_occasions`` occasions, most frequent first."""
        events = contact_events_sql(from_table=precomputed(evidence, parameters.same_event_seconds))
        sql = f"""
        WITH events AS (SELECT * FROM ({events}) WHERE exact),
        legs AS (
            SELECT first.a_party AS a, first.b_party AS b, second.b_party AS c,
                   first.at_utc AS first_at, second.at_utc AS second_at,
                   first.row_ids AS first_rows, second.row_ids AS second_rows,
                   ROW_NUMBER() OVER (
                       PARTITION BY second.a_party, second.b_party, second.medium,
                                    second.row_ids, first.a_party
                       ORDER BY first.at_utc DESC, first.medium, first.row_ids
                   ) AS nth
            FROM events AS first
            JOIN events AS second
              ON second.a_party = first.b_party
             AND second.at_utc > first.at_utc
             AND second.at_utc <= first.at_utc + to_seconds($window_seconds)
             AND second.b_party <> first.a_party
            WHERE len($through) = 0 OR list_contains($through, first.b_party)
        )
        SELECT a, b, c,
               COUNT(*) AS occasions,
               MIN(first_at) AS first_utc,
               MAX(second_at) AS last_utc,
               LIST(epoch(second_at) - epoch(first_at) ORDER BY first_at, second_at) AS gaps,
               FLATTEN(LIST(first_rows || second_rows)) AS row_ids
        FROM legs
        WHERE nth = 1
        GROUP BY a, b, c
        HAVING COUNT(*) >= $min_occasions
        ORDER BY occasions DESC, a, b, c
        """
        rows = evidence.rows(
            sql,
            {
                "window_seconds": parameters.window_minutes * 60,
                "min_occasions": parameters.min_occasions,
                "through": parameters.through,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
            },
        )
        return [_finding(row, parameters.window_minutes) for row in rows]


def _finding(row: dict[str, Any], window: float) -> Finding:
    a, b, c = row["a"], row["b"], row["c"]
    gaps = [float(g) for g in row["gaps"]]
    typical = median(gaps)
    explanation = (
        f"On {row['occasions']} occasion(s) contact from {a} to {b} was followed within "
        f"{window:g} minutes by contact from {b} to {c} (median gap {typical:.0f} s), "
        f"{period_phrase(row['first_utc'], row['last_utc'])}. The timing is consistent with "
        f"{b} relaying to {c}; it does not show what, if anything, was passed on."
    )
    return Finding(
        kind="call_chain",
        subjects=(a, b, c),
        explanation=explanation,
        derived_from=tuple(sorted(set(row["row_ids"]))),
        score=float(row["occasions"]),
        detail={
            "a": a,
            "b": b,
            "c": c,
            "occasions": row["occasions"],
            "gaps_seconds": gaps,
            "median_gap_seconds": typical,
            "window_minutes": window,
        },
        first_utc=row["first_utc"],
        last_utc=row["last_utc"],
    )
