"""Contact profile of a number: how much, with whom, when.

For each number asked about, one finding gives its contact events (a call seen in several
exhibits counted once; :mod:`threadline.analysis.contact_events`) by medium and by role (made by
the number or received), missed calls, call time, distinct counterparts and the busiest of them,
first and last contact, and a week-by-hour heat map of events in UK local time (Europe/London,
the clock the people in the case lived by; the heat map says so). Events without an exact time
are counted but left out of the first/last times and the heat map, and the finding says how many.

It describes a number's use as the exhibits record it: not the whole of it (other networks and
handsets, encrypted apps), and not who used it (attribution is a separate question).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contact_events import contact_ends_sql, precomputed
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import count_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding

__all__ = ["ContactProfile", "ContactProfileParameters"]

#: The local clock of the heat map.
HEAT_MAP_ZONE: Final = "Europe/London"
_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ContactProfileParameters(Parameters):
    """Parameters of :class:`ContactProfile`.

    Attributes:
        numbers: the numbers to profile (any written form); empty means the case's targets.
        since: only contact from this instant (UTC).
        until: only contact before this instant (UTC).
        top: how many of the busiest counterparts to name.
        same_event_seconds: records of one event in different exhibits are matched within this.
    """

    numbers: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    top: int = Field(default=10, ge=1, le=1000)
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class ContactProfile:
    """A number's contact profile (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="contact_profile",
        version="1.1.0",
        title="Contact profile",
        summary="For each number: contact events by medium and role, missed calls, call time, "
        "counterparts, first and last contact, and a day-of-week by hour-of-day heat map in "
        "UK local time.",
        tables=("calls", "messages"),
        parameters=ContactProfileParameters,
        requirements=(20, 22),
        interactive=True,
    )

    def run(self, evidence: Evidence, parameters: ContactProfileParameters) -> list[Finding]:
        """One finding per number that has any contact in the evidence.

        Raises:
            ConfigError: no numbers were given and the case names no targets.
        """
        numbers = parameters.numbers or sorted(set(evidence.targets))
        if not numbers:
            raise ConfigError("no numbers: give them (numbers) or record the case's targets")
        ends = contact_ends_sql(
            "$numbers", from_table=precomputed(evidence, parameters.same_event_seconds)
        )
        rows = evidence.rows(
            _PROFILE_SQL.format(ends=ends),
            {
                "numbers": numbers,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
                "zone": HEAT_MAP_ZONE,
                "top": parameters.top,
            },
        )
        return [_profile(row, evidence) for row in rows]


# One row per number: everything the profile says, aggregated by the engine so that a busy
# number's tens of thousands of events never travel to Python one by one.
_PROFILE_SQL: Final = """
WITH ends AS MATERIALIZED (
    SELECT number, other, role, medium, exact, records, row_ids, exhibit_ids, earliest_utc,
           CASE WHEN medium = 'call' THEN duration_s END AS call_seconds,
           medium = 'call' AND list_contains(directions, 'missed') AS missed,
           CASE WHEN exact THEN isodow(timezone($zone, at_utc)) END AS weekday,
           CASE WHEN exact THEN hour(timezone($zone, at_utc)) END AS hour
    FROM ({ends}) AS chosen
),
totals AS (
    SELECT number,
           COUNT(*) AS events,
           CAST(SUM(records) AS BIGINT) AS records,
           COUNT(*) FILTER (WHERE missed) AS missed,
           CAST(COALESCE(SUM(call_seconds), 0) AS BIGINT) AS call_seconds,
           COUNT(*) FILTER (WHERE NOT exact) AS inexact,
           MIN(earliest_utc) FILTER (WHERE exact) AS first_utc,
           MAX(earliest_utc) FILTER (WHERE exact) AS last_utc,
           list_sort(flatten(LIST(row_ids))) AS row_ids,
           list_sort(list_distinct(flatten(LIST(exhibit_ids)))) AS exhibit_ids
    FROM ends GROUP BY number
),
media AS (
    SELECT number, LIST({{'medium': medium, 'role': role, 'events': events}}) AS media
    FROM (SELECT number, medium, role, COUNT(*) AS events FROM ends GROUP BY ALL) AS m
    GROUP BY number
),
counterparts AS (
    SELECT number, COUNT(*) AS counterparts,
           list_slice(
               LIST({{'number': other, 'events': events}} ORDER BY events DESC, other), 1, $top
           ) AS busiest
    FROM (SELECT number, other, COUNT(*) AS events FROM ends GROUP BY ALL) AS c
    GROUP BY number
),
heat AS (
    SELECT number, LIST({{'weekday': weekday, 'hour': hour, 'events': events}}) AS heat
    FROM (SELECT number, weekday, hour, COUNT(*) AS events FROM ends WHERE exact GROUP BY ALL)
         AS h
    GROUP BY number
)
SELECT * FROM totals
JOIN media USING (number)
JOIN counterparts USING (number)
LEFT JOIN heat USING (number)
ORDER BY number
"""


def _profile(row: dict[str, Any], evidence: Evidence) -> Finding:
    number = row["number"]
    by_medium: dict[str, dict[str, int]] = {}
    for part in row["media"]:
        roles = by_medium.setdefault(part["medium"], {"made": 0, "received": 0})
        roles[part["role"]] += part["events"]
    heat = [[0] * 24 for _ in range(7)]
    for cell in row["heat"] or ():
        heat[cell["weekday"] - 1][cell["hour"]] = cell["events"]
    events, records, inexact = row["events"], row["records"], row["inexact"]
    missed, call_seconds = row["missed"], row["call_seconds"]
    first, last = row["first_utc"], row["last_utc"]
    busiest = [(c["number"], c["events"]) for c in row["busiest"]]
    references = sorted(evidence.reference(e) for e in row["exhibit_ids"])
    totals = {medium: roles["made"] + roles["received"] for medium, roles in by_medium.items()}
    media = ", ".join(count_phrase(n, m) for m, n in sorted(totals.items()))
    made = sum(r["made"] for r in by_medium.values())
    peak_day, peak_hour = max(
        ((d, h) for d in range(7) for h in range(24)), key=lambda dh: (heat[dh[0]][dh[1]], -dh[0])
    )
    explanation = (
        f"{number}: {events} contact event(s) ({media}; {made} made, "
        f"{events - made} received) with {row['counterparts']} other number(s), from "
        f"{records} record(s) in {len(references)} exhibit(s) ({', '.join(references)}), "
        f"{period_phrase(first, last)}."
    )
    if totals.get("call"):
        explanation += f" Calls lasted {call_seconds} s in all; {missed} were missed."
    if first is not None:
        explanation += (
            f" Busiest hour (UK local time): {_DAYS[peak_day]} {peak_hour:02d}:00-"
            f"{peak_hour:02d}:59 with {heat[peak_day][peak_hour]} event(s)."
        )
    if inexact:
        explanation += (
            f" {inexact} event(s) have no exact time and are left out of the times and the heat "
            "map."
        )
    explanation += " This is the number's use as the exhibits record it, not who used it."
    return Finding(
        kind="contact_profile",
        subjects=(number,),
        explanation=explanation,
        derived_from=tuple(sorted(row["row_ids"])),
        detail={
            "number": number,
            "events": events,
            "records": records,
            "events_by_medium": {m: dict(r) for m, r in sorted(by_medium.items())},
            "missed_calls": missed,
            "call_seconds": call_seconds,
            "counterparts": row["counterparts"],
            "busiest_counterparts": [{"number": n, "events": c} for n, c in busiest],
            "inexact_events": inexact,
            "exhibits": references,
            "heat_map": {"zone": HEAT_MAP_ZONE, "days": list(_DAYS), "events": heat},
        },
        first_utc=first,
        last_utc=last,
    )
