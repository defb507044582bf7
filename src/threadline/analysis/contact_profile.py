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
from threadline.analysis.contact_events import contact_events_sql
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
        version="1.0.0",
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
        events = contact_events_sql(
            "list_contains($numbers, a_party) OR list_contains($numbers, b_party)"
        )
        sql = f"""
        WITH events AS ({events}),
        ends AS (
            SELECT a_party AS number, b_party AS other, 'made' AS role, *
            FROM events WHERE list_contains($numbers, a_party)
            UNION ALL
            SELECT b_party AS number, a_party AS other, 'received' AS role, *
            FROM events WHERE list_contains($numbers, b_party)
        )
        SELECT number, other, role, medium, exact,
               list_contains(directions, 'missed') AS missed,
               duration_s, records, row_ids, exhibit_ids, earliest_utc, latest_utc,
               CASE WHEN exact THEN isodow(timezone($zone, at_utc)) END AS weekday,
               CASE WHEN exact THEN hour(timezone($zone, at_utc)) END AS hour
        FROM ends
        ORDER BY number, earliest_utc, other
        """
        rows = evidence.rows(
            sql,
            {
                "numbers": numbers,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
                "zone": HEAT_MAP_ZONE,
            },
        )
        by_number: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_number.setdefault(row["number"], []).append(row)
        return [
            _profile(number, events_of, parameters.top, evidence)
            for number, events_of in sorted(by_number.items())
        ]


def _profile(number: str, events: list[dict[str, Any]], top: int, evidence: Evidence) -> Finding:
    by_medium: dict[str, dict[str, int]] = {}
    counterparts: dict[str, int] = {}
    heat = [[0] * 24 for _ in range(7)]
    missed = inexact = call_seconds = records = 0
    exact_times: list[datetime] = []
    exhibit_ids: set[str] = set()
    row_ids: set[str] = set()
    for event in events:
        roles = by_medium.setdefault(event["medium"], {"made": 0, "received": 0})
        roles[event["role"]] += 1
        counterparts[event["other"]] = counterparts.get(event["other"], 0) + 1
        records += event["records"]
        row_ids.update(event["row_ids"])
        exhibit_ids.update(event["exhibit_ids"])
        if event["medium"] == "call":
            missed += 1 if event["missed"] else 0
            call_seconds += event["duration_s"] or 0
        if event["exact"]:
            exact_times.append(event["earliest_utc"])
            heat[event["weekday"] - 1][event["hour"]] += 1
        else:
            inexact += 1
    first = min(exact_times) if exact_times else None
    last = max(exact_times) if exact_times else None
    busiest = sorted(counterparts.items(), key=lambda item: (-item[1], item[0]))[:top]
    references = sorted(evidence.reference(e) for e in exhibit_ids)
    totals = {medium: roles["made"] + roles["received"] for medium, roles in by_medium.items()}
    media = ", ".join(count_phrase(n, m) for m, n in sorted(totals.items()))
    made = sum(r["made"] for r in by_medium.values())
    peak_day, peak_hour = max(
        ((d, h) for d in range(7) for h in range(24)), key=lambda dh: (heat[dh[0]][dh[1]], -dh[0])
    )
    explanation = (
        f"{number}: {len(events)} contact event(s) ({media}; {made} made, "
        f"{len(events) - made} received) with {len(counterparts)} other number(s), from "
        f"{records} record(s) in {len(references)} exhibit(s) ({', '.join(references)}), "
        f"{period_phrase(first, last)}."
    )
    if totals.get("call"):
        explanation += f" Calls lasted {call_seconds} s in all; {missed} were missed."
    if exact_times:
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
        derived_from=tuple(sorted(row_ids)),
        detail={
            "number": number,
            "events": len(events),
            "records": records,
            "events_by_medium": {m: dict(r) for m, r in sorted(by_medium.items())},
            "missed_calls": missed,
            "call_seconds": call_seconds,
            "counterparts": len(counterparts),
            "busiest_counterparts": [{"number": n, "events": c} for n, c in busiest],
            "inexact_events": inexact,
            "exhibits": references,
            "heat_map": {"zone": HEAT_MAP_ZONE, "days": list(_DAYS), "events": heat},
        },
        first_utc=first,
        last_utc=last,
    )
