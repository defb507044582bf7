"""Burner indicators: numbers whose use looks like a disposable ("burner") phone's.

Analysts look for burner patterns in telephone data (domain.md §6.2): a number used for a short
time, with few other numbers, only (or nearly only) with one group of people, in handsets that
change or that carry other SIMs. Each of these has innocent explanations, so this analysis states
**indicators**, each with its figures and evidence, and leaves the weighing to the analyst
(requirement 44: decision support with explanations, no automated adverse decision).

Contact is counted in contact events (a call held by several exhibits counted once;
:mod:`threadline.analysis.contact_events`). A number is assessed when it has at least
``min_events`` events in scope. The indicators:

* ``short_lived``: its first and last contact events are less than ``max_active_days`` apart.
  The finding gives the evidence's own period, and says so when the number's contact starts or
  ends within a day of the edge of the evidence (it may have been in use outside it).
* ``few_counterparts``: it was in contact with at most ``max_counterparts`` other numbers.
* ``one_group``: at least ``min_group_share`` of its events are with one group: the numbers
  given (``group``), or by default the case's target numbers together with every number in
  contact with a target other than the number itself.
* ``handset_changes``: it was seen in two or more handsets (IMEI keys, requirement 24), or a
  handset it was seen in also carried another number, from rows where the handset is the
  number's own (:func:`threadline.analysis.handset_history.subscriber_sightings_sql`).

``few_counterparts`` and ``one_group`` are assessed only for numbers whose own records the
evidence holds (the target of a return, the subscriber of a data session, the number of a
downloaded handset): for any other number only its contact with those numbers is seen, so it
would have few counterparts, all in the group, by construction. ``handset_changes`` is assessed
only where a handset is recorded as the number's own. A finding is made for each number meeting
at least ``min_indicators``; its score is the number of indicators met, out of those assessed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contact_events import contact_ends_sql, precomputed
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.handset_history import (
    subscriber_numbers_sql,
    subscriber_sightings_sql,
)
from threadline.analysis.wording import period_phrase
from threadline.model.finding import Finding

__all__ = ["INDICATORS", "BurnerIndicators", "BurnerIndicatorsParameters"]

#: The indicators, in the order findings state them.
INDICATORS: Final = ("short_lived", "few_counterparts", "one_group", "handset_changes")
_DAY: Final = 86400.0
#: How many counterparts an explanation names (the detail lists them all).
_NAMED: Final = 10


class BurnerIndicatorsParameters(Parameters):
    """Parameters of :class:`BurnerIndicators`.

    Attributes:
        numbers: the numbers to assess (any written form); empty for every number with enough
            contact.
        max_active_days: contact spanning less than this is short-lived.
        max_counterparts: this many other numbers or fewer is few.
        group: the group (any written form); empty for the case's targets and the numbers in
            contact with them.
        min_group_share: the share of a number's events with the group that counts as "only or
            mostly" (1 for only).
        min_indicators: the fewest indicators met for a finding.
        min_events: the fewest contact events a number needs to be assessed.
        since: only contact from this instant (UTC).
        until: only contact before this instant (UTC).
        same_event_seconds: records of one event in different exhibits are matched within this.
    """

    numbers: list[str] = Field(default_factory=list)
    max_active_days: float = Field(default=30.0, gt=0, le=3660)
    max_counterparts: int = Field(default=3, ge=1)
    group: list[str] = Field(default_factory=list)
    min_group_share: float = Field(default=0.9, gt=0, le=1)
    min_indicators: int = Field(default=2, ge=1, le=len(INDICATORS))
    min_events: int = Field(default=3, ge=1)
    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("numbers", "group", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


def _sql(ends: str) -> str:
    """The indicators' query over the contact-event ends ``ends``."""
    return f"""
WITH ends AS (SELECT number, other, earliest_utc, latest_utc, row_ids FROM ({ends}) AS ends),
bounds AS (SELECT MIN(earliest_utc) AS start_at, MAX(latest_utc) AS end_at FROM ends),
assessed AS (
    SELECT number FROM ends
    WHERE len($numbers) = 0 OR list_contains($numbers, number)
    GROUP BY number
    HAVING COUNT(*) >= $min_events
),
ordered AS (
    SELECT e.*,
           ROW_NUMBER() OVER (
               PARTITION BY e.number ORDER BY e.earliest_utc, e.latest_utc, e.other
           ) AS from_first,
           ROW_NUMBER() OVER (
               PARTITION BY e.number ORDER BY e.latest_utc DESC, e.earliest_utc DESC, e.other
           ) AS from_last
    FROM ends AS e JOIN assessed AS a ON a.number = e.number
),
own AS ({subscriber_numbers_sql()}),
target_links AS (
    SELECT DISTINCT number AS target, other AS member
    FROM ends WHERE list_contains($targets, number)
),
links AS (
    SELECT o.number, o.other, COUNT(*) AS events, FLATTEN(LIST(o.row_ids)) AS row_ids,
           CASE WHEN len($group) > 0 THEN list_contains($group, o.other)
                ELSE list_contains($targets, o.other)
                     OR EXISTS (
                         SELECT 1 FROM target_links AS t
                         WHERE t.member = o.other AND t.target <> o.number
                     )
           END AS in_group
    FROM ordered AS o
    GROUP BY o.number, o.other
),
profile AS (
    SELECT number,
           CAST(SUM(events) AS BIGINT) AS events,
           COUNT(*) AS counterparts,
           CAST(SUM(CASE WHEN in_group THEN events ELSE 0 END) AS BIGINT) AS group_events,
           LIST(other ORDER BY events DESC, other) AS others,
           LIST(events ORDER BY events DESC, other) AS other_events,
           LIST(in_group ORDER BY events DESC, other) AS other_in_group,
           FLATTEN(LIST(row_ids)) AS row_ids
    FROM links
    GROUP BY number
),
span AS (
    SELECT number,
           MIN(earliest_utc) AS first_at,
           MAX(latest_utc) AS last_at,
           FLATTEN(LIST(row_ids) FILTER (WHERE from_first = 1)) AS first_rows,
           FLATTEN(LIST(row_ids) FILTER (WHERE from_last = 1)) AS last_rows
    FROM ordered
    GROUP BY number
),
sightings AS ({subscriber_sightings_sql()}),
own_handsets AS (
    SELECT number, imei_key, LIST(row_id ORDER BY row_id) AS row_ids
    FROM sightings
    WHERE number IS NOT NULL AND imei_key IS NOT NULL
    GROUP BY number, imei_key
),
handsets AS (
    SELECT h.number,
           COUNT(DISTINCT h.imei_key) AS handsets,
           LIST(DISTINCT h.imei_key ORDER BY h.imei_key) AS imei_keys,
           COUNT(DISTINCT o.number) AS shared_with,
           LIST(DISTINCT o.number ORDER BY o.number) FILTER (WHERE o.number IS NOT NULL)
               AS other_numbers,
           FLATTEN(LIST(h.row_ids)) AS own_rows,
           FLATTEN(LIST(o.row_ids) FILTER (WHERE o.number IS NOT NULL)) AS other_rows
    FROM own_handsets AS h
    LEFT JOIN own_handsets AS o ON o.imei_key = h.imei_key AND o.number <> h.number
    GROUP BY h.number
),
flags AS (
    SELECT p.*, s.first_at, s.last_at, s.first_rows, s.last_rows,
           w.number IS NOT NULL AS own_records,
           h.handsets, h.imei_keys, h.shared_with, h.other_numbers, h.own_rows, h.other_rows,
           CASE WHEN epoch(s.last_at) - epoch(s.first_at) < $max_active_seconds
                THEN 1 ELSE 0 END AS short_lived,
           CASE WHEN w.number IS NOT NULL AND p.counterparts <= $max_counterparts
                THEN 1 ELSE 0 END AS few_counterparts,
           CASE WHEN w.number IS NOT NULL AND $group_defined
                     AND p.group_events >= $min_group_share * p.events
                THEN 1 ELSE 0 END AS one_group,
           CASE WHEN h.handsets >= 2 OR h.shared_with >= 1 THEN 1 ELSE 0 END AS handset_changes
    FROM profile AS p
    JOIN span AS s ON s.number = p.number
    LEFT JOIN own AS w ON w.number = p.number
    LEFT JOIN handsets AS h ON h.number = p.number
)
SELECT f.*, b.start_at, b.end_at
FROM flags AS f CROSS JOIN bounds AS b
WHERE f.short_lived + f.few_counterparts + f.one_group + f.handset_changes >= $min_indicators
ORDER BY f.short_lived + f.few_counterparts + f.one_group + f.handset_changes DESC, f.number
"""


class BurnerIndicators:
    """Indicators consistent with a disposable phone (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="burner_indicators",
        version="1.1.0",
        title="Burner indicators",
        summary="Numbers showing indicators consistent with a disposable phone: short-lived, "
        "few counterparts, contact only or mostly with one group, handset changes; each "
        "indicator stated with its figures and records, as decision support (innocent "
        "explanations exist).",
        tables=("calls", "messages", "data_sessions", "devices"),
        parameters=BurnerIndicatorsParameters,
        requirements=(20, 24, 44),
    )

    def run(self, evidence: Evidence, parameters: BurnerIndicatorsParameters) -> list[Finding]:
        """One finding per number meeting at least ``min_indicators``, most indicators first."""
        targets = sorted(set(evidence.targets))
        group_defined = bool(parameters.group or targets)
        ends = contact_ends_sql(from_table=precomputed(evidence, parameters.same_event_seconds))
        rows = evidence.rows(
            _sql(ends),
            {
                "numbers": parameters.numbers,
                "targets": targets,
                "group": parameters.group,
                "group_defined": group_defined,
                "min_group_share": parameters.min_group_share,
                "max_active_seconds": parameters.max_active_days * _DAY,
                "max_counterparts": parameters.max_counterparts,
                "min_indicators": parameters.min_indicators,
                "min_events": parameters.min_events,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
            },
        )
        if parameters.group:
            group = f"the group given ({len(parameters.group)} number(s))"
        else:
            group = "the case's target numbers and the numbers in contact with them"
        return [_finding(row, parameters, group, group_defined) for row in rows]


def _finding(
    row: dict[str, Any], parameters: BurnerIndicatorsParameters, group: str, group_defined: bool
) -> Finding:
    number = row["number"]
    own = bool(row["own_records"])
    has_handset = row["handsets"] is not None
    days = (row["last_at"] - row["first_at"]).total_seconds() / _DAY
    counterparts = [
        {"number": other, "events": events, "in_group": bool(in_group)}
        for other, events, in_group in zip(
            row["others"], row["other_events"], row["other_in_group"], strict=True
        )
    ]
    share = row["group_events"] / row["events"]
    edges = []
    if (row["first_at"] - row["start_at"]).total_seconds() < _DAY:
        edges.append("starts within a day of the start of the evidence")
    if (row["end_at"] - row["last_at"]).total_seconds() < _DAY:
        edges.append("ends within a day of the end of the evidence")
    indicators: dict[str, dict[str, Any]] = {
        "short_lived": {
            "assessed": True,
            "met": bool(row["short_lived"]),
            "active_days": round(days, 2),
            "max_active_days": parameters.max_active_days,
            "first_utc": row["first_at"].isoformat(),
            "last_utc": row["last_at"].isoformat(),
            "first_rows": sorted(row["first_rows"]),
            "last_rows": sorted(row["last_rows"]),
            "at_edge_of_evidence": bool(edges),
        },
        "few_counterparts": {
            "assessed": own,
            "met": bool(row["few_counterparts"]),
            "counterparts": row["counterparts"],
            "max_counterparts": parameters.max_counterparts,
        },
        "one_group": {
            "assessed": own and group_defined,
            "met": bool(row["one_group"]),
            "group": group,
            "group_events": row["group_events"],
            "events": row["events"],
            "share": round(share, 4),
            "min_share": parameters.min_group_share,
            "outside_group": [c["number"] for c in counterparts if not c["in_group"]],
        },
        "handset_changes": {
            "assessed": has_handset,
            "met": bool(row["handset_changes"]),
            "imei_keys": list(row["imei_keys"] or []),
            "other_numbers": list(row["other_numbers"] or []),
            "rows": sorted({*(row["own_rows"] or []), *(row["other_rows"] or [])}),
        },
    }
    met = [name for name in INDICATORS if indicators[name]["met"]]
    assessed = [name for name in INDICATORS if indicators[name]["assessed"]]
    sentences = [
        f"{number} meets {len(met)} of the {len(assessed)} indicators of a disposable "
        "('burner') phone that could be assessed."
    ]
    period = period_phrase(row["first_at"], row["last_at"])
    evidence_period = period_phrase(row["start_at"], row["end_at"])
    names = ", ".join(c["number"] for c in counterparts[:_NAMED])
    if len(counterparts) > _NAMED:
        names += f" and {len(counterparts) - _NAMED} more"
    if "short_lived" in met:
        text = (
            f"Short-lived: its contact runs for {days:.1f} days ({period}), under "
            f"{parameters.max_active_days:g} days, in evidence running {evidence_period}."
        )
        if edges:
            text += f" Its contact {' and '.join(edges)}, so it may have been in use outside it."
        sentences.append(text)
    if "few_counterparts" in met:
        sentences.append(
            f"Few counterparts: {row['counterparts']} other number(s) ({names}), at most "
            f"{parameters.max_counterparts}."
        )
    if "one_group" in met:
        sentences.append(
            f"Contact {'only' if share == 1 else 'mostly'} with one group: {row['group_events']} "
            f"of its {row['events']} contact events ({share:.0%}) are with {group}."
        )
    if "handset_changes" in met:
        keys = indicators["handset_changes"]["imei_keys"]
        label = "IMEI key" if len(keys) == 1 else "IMEI keys"
        text = f"Handset changes: seen in {len(keys)} handset(s) ({label} {', '.join(keys)})"
        others = indicators["handset_changes"]["other_numbers"]
        if others:
            text += f", which also carried {', '.join(others)}"
        sentences.append(text + ".")
    unmet = [_unmet(name, row, indicators, days) for name in assessed if name not in met]
    if unmet:
        sentences.append(f"Not met: {'; '.join(unmet)}.")
    missing = _not_assessed([name for name in INDICATORS if name not in assessed], own)
    if missing:
        sentences.append(f"Not assessed: {'; '.join(missing)}.")
    sentences.append(
        "These are indicators for an analyst to weigh, not a finding that the number is a "
        "burner or of who used it: innocent explanations exist (a new, temporary or work "
        "phone, a travel SIM, a phone replaced after a loss), and the evidence holds only part "
        "of any number's use."
    )
    cited = set(row["row_ids"])
    if "handset_changes" in met:
        cited.update(indicators["handset_changes"]["rows"])
    return Finding(
        kind="burner_indicators",
        subjects=(number,),
        explanation=" ".join(sentences),
        derived_from=tuple(sorted(cited)),
        score=float(len(met)),
        detail={
            "number": number,
            "indicators_met": met,
            "indicators_assessed": assessed,
            "indicators": indicators,
            "own_records": own,
            "events": row["events"],
            "counterparts": counterparts,
            "evidence_start_utc": row["start_at"].isoformat(),
            "evidence_end_utc": row["end_at"].isoformat(),
        },
        first_utc=row["first_at"],
        last_utc=row["last_at"],
    )


def _unmet(
    name: str, row: dict[str, Any], indicators: dict[str, dict[str, Any]], days: float
) -> str:
    if name == "short_lived":
        return f"short-lived (contact runs for {days:.1f} days)"
    if name == "few_counterparts":
        return f"few counterparts ({row['counterparts']} other numbers)"
    if name == "one_group":
        return f"one group ({indicators['one_group']['share']:.0%} of its events with it)"
    return f"handset changes (one handset, {', '.join(indicators[name]['imei_keys'])})"


def _not_assessed(names: list[str], own: bool) -> list[str]:
    """Why each indicator left unassessed was, in words."""
    out = []
    contacts = [n for n in ("few_counterparts", "one_group") if n in names]
    if contacts and not own:
        label = " and ".join(n.replace("_", " ") for n in contacts)
        out.append(
            f"{label} (the evidence holds none of this number's own records, only its contact "
            "with numbers whose records it holds)"
        )
    elif "one_group" in names:
        out.append("one group (no group given and the case names no targets)")
    if "handset_changes" in names:
        out.append("handset changes (no handset recorded as this number's own)")
    return out
