"""Successor numbers: when a number goes quiet, the numbers that start up and share its contacts.

People under investigation change numbers, and the new number usually keeps the old one's
contacts: the same family, the same associates, often the same handset (domain.md §6.2:
handset/SIM changes, dormancy). This analysis looks for that pattern in contact events (a call
held by several exhibits counted once; :mod:`threadline.analysis.contact_events`).

**Going quiet.** A number goes quiet at a contact event followed by at least ``quiet_days``
without any contact event of that number: up to the end of the evidence (the latest contact
event of any number in scope), or until the number is seen again (a dormancy). It needs at least
``min_events`` events up to that point, so that it has a pattern to compare. Times are the
events' possible ranges (exact for most), so an event without an exact time never makes a gap
look longer than it can be.

**Candidates.** A candidate is a number first seen (its earliest contact event) after the quiet
point and at most ``window_days`` later, that shares at least ``min_shared`` counterparts with
the old number, or was seen in the same handset. The old number's counterparts are those up to
the quiet point; the candidate's are all of its own. The two numbers themselves are not
counterparts for the comparison (contact between them is reported apart).

**Score.** Shared counterparts are weighted by how rare they are, so that both numbers calling
the same takeaway counts for little and both calling a number hardly anyone else calls counts
for much: a counterpart in contact with *d* numbers in the evidence (in scope) weighs
``1 / log2(d)``, and 1 when *d* is 2 or less (the Adamic-Adar weighting, scaled so that a
counterpart known only to the two numbers counts 1): *d* = 4 gives 0.5, 16 gives 0.25, 1,024
gives 0.1. Two figures come from the weights:

* the **overlap**, the weighted Jaccard index: the weight of the shared counterparts over the
  weight of all counterparts of either number (0 to 1), how much of the pattern carries over;
* the **strength**, ``w / (w + 1)`` where ``w`` is the weight of the shared counterparts
  together (one rare shared counterpart gives 0.5, three give 0.75; two shared with busy
  numbers, weighing 0.1 each, 0.17), so that a small overlap of busy numbers, complete as it
  may be, cannot score high.

The score is overlap times strength (0 to 1). A shared handset (IMEI key, requirement 24, from
rows where the handset is the number's own:
:func:`threadline.analysis.handset_history.subscriber_sightings_sql`) is strong evidence and adds
1, so the score runs from 0 to 2 and a shared handset always ranks first. The plain Jaccard
index and the count of shared counterparts are given beside it. Each quiet period's candidates
are ranked and the best ``top`` kept. Optionally (``time_of_day``) the finding gives how alike the
two numbers' hour-of-day patterns are (cosine of their 24-hour profiles in UK local time); it
does not enter the score.

Findings come strongest first. Where the evidence holds none of a number's own records (it is
not the subject of a return or a download, only seen in contact with numbers that are), its
counterparts are those numbers by construction; the finding says so, as the overlap then says
less.

A finding is a lead for an analyst (requirement 44), not an identification: shared contacts also
arise in one household, a workplace or a business; a number can look quiet only because an
exhibit's period ends or its use moved to channels the evidence does not hold; and who used
either number is a separate question.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
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
from threadline.analysis.wording import instant_phrase
from threadline.model.finding import Finding

__all__ = ["PROFILE_ZONE", "SuccessorNumbers", "SuccessorNumbersParameters"]

#: The local clock of the hour-of-day profiles.
PROFILE_ZONE: Final = "Europe/London"
#: How many shared counterparts an explanation names (the finding's detail lists them all).
_NAMED: Final = 10
_DAY: Final = 86400.0

_ORDER: Final = "PARTITION BY number ORDER BY earliest_utc, latest_utc, other, medium"


class SuccessorNumbersParameters(Parameters):
    """Parameters of :class:`SuccessorNumbers`.

    Attributes:
        numbers: the numbers whose successors are sought (any written form); empty for every
            number that goes quiet.
        quiet_days: the shortest gap without contact that counts as going quiet.
        window_days: how long after the quiet point a candidate may first be seen.
        min_events: the fewest contact events the old number needs up to the quiet point.
        min_shared: the fewest shared counterparts for a candidate without a shared handset.
        top: how many candidates to keep per quiet period.
        time_of_day: also compare the two numbers' hour-of-day patterns (not scored).
        since: only contact from this instant (UTC).
        until: only contact before this instant (UTC).
        same_event_seconds: records of one event in different exhibits are matched within this.
    """

    numbers: list[str] = Field(default_factory=list)
    quiet_days: float = Field(default=14.0, gt=0, le=3660)
    window_days: float = Field(default=14.0, gt=0, le=3660)
    min_events: int = Field(default=5, ge=1)
    min_shared: int = Field(default=2, ge=1)
    top: int = Field(default=5, ge=1, le=1000)
    time_of_day: bool = False
    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


def _sql(ends: str) -> str:
    """The successor query over the contact-event ends ``ends``."""
    return f"""
WITH ends AS (
    SELECT number, other, medium, earliest_utc, latest_utc, row_ids FROM ({ends}) AS ends
),
degrees AS (
    SELECT number AS counterpart, COUNT(DISTINCT other) AS degree,
           CAST(1 AS DOUBLE) / GREATEST(CAST(1 AS DOUBLE), log2(COUNT(DISTINCT other))) AS weight
    FROM ends
    GROUP BY number
),
bounds AS (SELECT MAX(latest_utc) AS end_at FROM ends),
steps AS (
    SELECT number, row_ids, earliest_utc,
           MAX(latest_utc) OVER (seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS quiet_at,
           LEAD(earliest_utc) OVER seq AS resumed_at,
           ROW_NUMBER() OVER seq AS events_before
    FROM ends
    WINDOW seq AS ({_ORDER})
),
activity AS (
    SELECT number, earliest_utc AS first_at, row_ids AS first_rows
    FROM steps WHERE events_before = 1
),
quiet AS (
    SELECT s.number AS old, s.quiet_at, s.resumed_at, s.events_before, s.row_ids AS quiet_rows,
           b.end_at
    FROM steps AS s CROSS JOIN bounds AS b
    WHERE epoch(COALESCE(s.resumed_at, b.end_at)) - epoch(s.quiet_at) >= $quiet_seconds
      AND s.events_before >= $min_events
      AND (len($numbers) = 0 OR list_contains($numbers, s.number))
),
starters AS (
    SELECT a.number, a.first_at, a.first_rows
    FROM activity AS a
    WHERE EXISTS (
        SELECT 1 FROM quiet AS q
        WHERE a.first_at > q.quiet_at
          AND a.first_at <= q.quiet_at + to_seconds($window_seconds)
    )
),
old_links AS (
    SELECT q.old, q.quiet_at, e.other AS counterpart, COUNT(*) AS events,
           FLATTEN(LIST(e.row_ids)) AS row_ids
    FROM quiet AS q JOIN ends AS e ON e.number = q.old AND e.earliest_utc <= q.quiet_at
    GROUP BY q.old, q.quiet_at, e.other
),
new_links AS (
    SELECT e.number AS candidate, e.other AS counterpart, COUNT(*) AS events,
           FLATTEN(LIST(e.row_ids)) AS row_ids
    FROM ends AS e JOIN starters AS s ON s.number = e.number
    GROUP BY e.number, e.other
),
shared AS (
    SELECT o.old, o.quiet_at, n.candidate, o.counterpart, d.degree, d.weight,
           o.events AS old_events, n.events AS new_events
    FROM old_links AS o
    JOIN new_links AS n ON n.counterpart = o.counterpart AND n.candidate <> o.old
    JOIN starters AS s
      ON s.number = n.candidate
     AND s.first_at > o.quiet_at
     AND s.first_at <= o.quiet_at + to_seconds($window_seconds)
    JOIN degrees AS d ON d.counterpart = o.counterpart
),
-- weights are summed in a fixed order (list_sum of an ordered list, not SUM), so the same
-- evidence gives the same score to the last bit however the engine reads it, and ties break
-- the same way
shared_totals AS (
    SELECT old, quiet_at, candidate, COUNT(*) AS shared,
           list_sum(LIST(weight ORDER BY counterpart)) AS shared_weight
    FROM shared
    GROUP BY old, quiet_at, candidate
),
sightings AS ({subscriber_sightings_sql()}),
handsets AS (
    SELECT number, imei_key, LIST(row_id ORDER BY row_id) AS row_ids
    FROM sightings
    WHERE number IS NOT NULL AND imei_key IS NOT NULL
    GROUP BY number, imei_key
),
same_handset AS (
    SELECT q.old, q.quiet_at, hn.number AS candidate, ho.imei_key,
           ho.row_ids || hn.row_ids AS row_ids
    FROM quiet AS q
    JOIN handsets AS ho ON ho.number = q.old
    JOIN handsets AS hn ON hn.imei_key = ho.imei_key AND hn.number <> q.old
    JOIN starters AS s
      ON s.number = hn.number
     AND s.first_at > q.quiet_at
     AND s.first_at <= q.quiet_at + to_seconds($window_seconds)
),
handset_agg AS (
    SELECT old, quiet_at, candidate,
           LIST(imei_key ORDER BY imei_key) AS imei_keys,
           FLATTEN(LIST(row_ids)) AS row_ids
    FROM same_handset
    GROUP BY old, quiet_at, candidate
),
pairs AS (
    SELECT old, quiet_at, candidate FROM shared_totals
    UNION
    SELECT old, quiet_at, candidate FROM handset_agg
),
old_totals AS (
    SELECT o.old, o.quiet_at, COUNT(*) AS counterparts,
           list_sum(LIST(d.weight ORDER BY o.counterpart)) AS weight
    FROM old_links AS o JOIN degrees AS d ON d.counterpart = o.counterpart
    GROUP BY o.old, o.quiet_at
),
new_totals AS (
    SELECT n.candidate, COUNT(*) AS counterparts,
           list_sum(LIST(d.weight ORDER BY n.counterpart)) AS weight
    FROM new_links AS n JOIN degrees AS d ON d.counterpart = n.counterpart
    GROUP BY n.candidate
),
measured AS (
    -- the two numbers are not counterparts for the comparison: the old number's links end
    -- before the candidate starts, so only the candidate's contact with it is taken out
    SELECT p.old, p.quiet_at, p.candidate,
           COALESCE(st.shared, 0) AS shared,
           COALESCE(st.shared_weight, 0.0) AS shared_weight,
           ot.counterparts AS old_counterparts,
           ot.weight AS old_weight,
           nt.counterparts - CASE WHEN nx.candidate IS NULL THEN 0 ELSE 1 END
               AS new_counterparts,
           nt.weight - CASE WHEN nx.candidate IS NULL THEN 0.0 ELSE dx.weight END AS new_weight,
           ha.candidate IS NOT NULL AS same_handset
    FROM pairs AS p
    JOIN old_totals AS ot ON ot.old = p.old AND ot.quiet_at = p.quiet_at
    JOIN new_totals AS nt ON nt.candidate = p.candidate
    LEFT JOIN shared_totals AS st
      ON st.old = p.old AND st.quiet_at = p.quiet_at AND st.candidate = p.candidate
    LEFT JOIN handset_agg AS ha
      ON ha.old = p.old AND ha.quiet_at = p.quiet_at AND ha.candidate = p.candidate
    LEFT JOIN new_links AS nx ON nx.candidate = p.candidate AND nx.counterpart = p.old
    LEFT JOIN degrees AS dx ON dx.counterpart = p.old
),
latest AS (
    -- a candidate is compared with the old number's latest quiet period before it started
    SELECT *,
           ROW_NUMBER() OVER (PARTITION BY old, candidate ORDER BY quiet_at DESC) AS latest
    FROM measured
),
scored AS (
    SELECT *,
           CASE WHEN old_counterparts + new_counterparts - shared > 0
                THEN CAST(shared AS DOUBLE) / (old_counterparts + new_counterparts - shared)
                ELSE 0.0 END AS jaccard,
           CASE WHEN old_weight + new_weight - shared_weight > 0
                THEN shared_weight / (old_weight + new_weight - shared_weight)
                ELSE 0.0 END AS weighted_jaccard,
           shared_weight / (shared_weight + 1) AS strength
    FROM latest
    WHERE latest = 1 AND (shared >= $min_shared OR same_handset)
),
ranked AS (
    SELECT *,
           weighted_jaccard * strength + CASE WHEN same_handset THEN 1 ELSE 0 END AS score,
           COUNT(*) OVER (PARTITION BY old, quiet_at) AS ranked
    FROM scored
),
kept AS (
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY old, quiet_at
               ORDER BY score DESC, shared_weight DESC, shared DESC, candidate
           ) AS rank
    FROM ranked
),
top AS (SELECT * FROM kept WHERE rank <= $top),
shared_lists AS (
    SELECT t.old, t.quiet_at, t.candidate,
           LIST(s.counterpart ORDER BY s.weight DESC, s.counterpart) AS counterparts,
           LIST(s.degree ORDER BY s.weight DESC, s.counterpart) AS degrees,
           LIST(s.weight ORDER BY s.weight DESC, s.counterpart) AS weights,
           LIST(s.old_events ORDER BY s.weight DESC, s.counterpart) AS old_events,
           LIST(s.new_events ORDER BY s.weight DESC, s.counterpart) AS new_events,
           FLATTEN(LIST(o.row_ids || n.row_ids)) AS row_ids
    FROM top AS t
    JOIN shared AS s ON s.old = t.old AND s.quiet_at = t.quiet_at AND s.candidate = t.candidate
    JOIN old_links AS o
      ON o.old = s.old AND o.quiet_at = s.quiet_at AND o.counterpart = s.counterpart
    JOIN new_links AS n ON n.candidate = s.candidate AND n.counterpart = s.counterpart
    GROUP BY t.old, t.quiet_at, t.candidate
),
own AS ({subscriber_numbers_sql()})
SELECT t.old, t.quiet_at, q.resumed_at, q.events_before, q.quiet_rows, q.end_at,
       t.candidate, s.first_at, s.first_rows,
       t.old_counterparts, t.new_counterparts, t.shared, t.shared_weight,
       t.jaccard, t.weighted_jaccard, t.strength, t.score, t.rank, t.ranked,
       nx.events AS direct_events, nx.row_ids AS direct_rows,
       sl.counterparts, sl.degrees, sl.weights, sl.old_events, sl.new_events,
       sl.row_ids AS shared_rows,
       ha.imei_keys, ha.row_ids AS handset_rows,
       wo.number IS NOT NULL AS old_own_records, wn.number IS NOT NULL AS candidate_own_records
FROM top AS t
JOIN quiet AS q ON q.old = t.old AND q.quiet_at = t.quiet_at
JOIN starters AS s ON s.number = t.candidate
LEFT JOIN new_links AS nx ON nx.candidate = t.candidate AND nx.counterpart = t.old
LEFT JOIN shared_lists AS sl
  ON sl.old = t.old AND sl.quiet_at = t.quiet_at AND sl.candidate = t.candidate
LEFT JOIN handset_agg AS ha
  ON ha.old = t.old AND ha.quiet_at = t.quiet_at AND ha.candidate = t.candidate
LEFT JOIN own AS wo ON wo.number = t.old
LEFT JOIN own AS wn ON wn.number = t.candidate
ORDER BY t.score DESC, t.old, t.quiet_at, t.rank
"""


def _profile_sql(ends: str) -> str:
    """Hour-of-day counts of each (number, cut-off) over the contact-event ends ``ends``."""
    return f"""
WITH ends AS (SELECT number, at_utc FROM ({ends}) AS ends WHERE exact),
cuts AS (SELECT UNNEST($profile_numbers) AS number, UNNEST($profile_cutoffs) AS cutoff)
SELECT c.number, c.cutoff, hour(timezone($zone, e.at_utc)) AS hour, COUNT(*) AS events
FROM cuts AS c JOIN ends AS e ON e.number = c.number AND e.at_utc <= c.cutoff
GROUP BY c.number, c.cutoff, hour(timezone($zone, e.at_utc))
"""


#: The cut-off of a candidate's profile: all of its events.
_NO_CUTOFF: Final = datetime(9999, 12, 31, tzinfo=UTC)


class SuccessorNumbers:
    """Numbers that take over from a number that went quiet (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="successor_numbers",
        version="1.1.0",
        title="Successor numbers",
        summary="When a number goes quiet, the numbers first seen soon after that share its "
        "counterparts (weighted so that rarely-called ones count most) or its handset, ranked, "
        "with the shared counterparts and the records behind each.",
        tables=("calls", "messages", "data_sessions", "devices"),
        parameters=SuccessorNumbersParameters,
        requirements=(20, 24, 44),
    )

    def run(self, evidence: Evidence, parameters: SuccessorNumbersParameters) -> list[Finding]:
        """The candidates of each quiet period, best first, at most ``top`` each."""
        from_table = precomputed(evidence, parameters.same_event_seconds)
        kept = evidence.rows(
            _sql(contact_ends_sql(from_table=from_table)),
            {
                "numbers": parameters.numbers,
                "quiet_seconds": parameters.quiet_days * _DAY,
                "window_seconds": parameters.window_days * _DAY,
                "min_events": parameters.min_events,
                "min_shared": parameters.min_shared,
                "top": parameters.top,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
            },
        )
        if parameters.time_of_day and kept:
            _add_profiles(evidence, parameters, kept)
        return [_finding(row, evidence) for row in kept]


def _add_profiles(
    evidence: Evidence, parameters: SuccessorNumbersParameters, kept: list[dict[str, Any]]
) -> None:
    """Each pair's hour-of-day similarity: the old number up to its quiet point, the candidate
    throughout."""
    cuts = sorted(
        {(r["old"], r["quiet_at"]) for r in kept} | {(r["candidate"], _NO_CUTOFF) for r in kept}
    )
    ends = contact_ends_sql(
        "$profile_numbers", from_table=precomputed(evidence, parameters.same_event_seconds)
    )
    rows = evidence.rows(
        _profile_sql(ends),
        {
            "profile_numbers": [number for number, _ in cuts],
            "profile_cutoffs": [cutoff for _, cutoff in cuts],
            "zone": PROFILE_ZONE,
            "since": parameters.since,
            "until": parameters.until,
            "same_event_seconds": parameters.same_event_seconds,
        },
    )
    profiles: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0] * 24)
    for row in rows:
        profiles[(row["number"], row["cutoff"])][row["hour"]] = row["events"]
    for row in kept:
        old = profiles[(row["old"], row["quiet_at"])]
        new = profiles[(row["candidate"], _NO_CUTOFF)]
        row["time_of_day"] = {"old": old, "candidate": new, "similarity": _cosine(old, new)}


def _cosine(a: list[int], b: list[int]) -> float | None:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if not norm:
        return None
    return round(sum(x * y for x, y in zip(a, b, strict=True)) / norm, 4)


def _days(seconds: float) -> str:
    return f"{seconds / _DAY:.1f}"


def _finding(row: dict[str, Any], evidence: Evidence) -> Finding:
    old, candidate = row["old"], row["candidate"]
    quiet_at, first_at = row["quiet_at"], row["first_at"]
    resumed = row["resumed_at"]
    gap = ((resumed or row["end_at"]) - quiet_at).total_seconds()
    explanation = (
        f"{old} went quiet: its last contact event before {_days(gap)} days without any is on "
        f"{instant_phrase(quiet_at)} ({row['events_before']} event(s) up to then)"
    )
    if resumed:
        explanation += f"; it was seen again on {instant_phrase(resumed)}."
    else:
        explanation += f", to the end of the evidence on {instant_phrase(row['end_at'])}."
    explanation += (
        f" {candidate} was first seen {_days((first_at - quiet_at).total_seconds())} days "
        f"later, on {instant_phrase(first_at)}."
    )
    counterparts = list(row["counterparts"] or [])
    shared = [
        {
            "number": number,
            "in_contact_with": degree,
            "weight": round(float(weight), 4),
            "old_events": old_events,
            "candidate_events": new_events,
        }
        for number, degree, weight, old_events, new_events in zip(
            counterparts,
            row["degrees"] or [],
            row["weights"] or [],
            row["old_events"] or [],
            row["new_events"] or [],
            strict=True,
        )
    ]
    if shared:
        named = ", ".join(
            f"{s['number']} (in contact with {s['in_contact_with']} numbers, weight "
            f"{s['weight']:.2f})"
            for s in shared[:_NAMED]
        )
        more = f" and {len(shared) - _NAMED} more" if len(shared) > _NAMED else ""
        explanation += (
            f" They share {len(shared)} counterpart(s) ({row['old_counterparts']} for {old} up "
            f"to then, {row['new_counterparts']} for {candidate}; Jaccard "
            f"{row['jaccard']:.2f}, weighted for rarity {row['weighted_jaccard']:.2f}): "
            f"{named}{more}."
        )
    else:
        explanation += " They share no counterparts."
    keys = list(row["imei_keys"] or [])
    if keys:
        explanation += (
            f" Both numbers were seen as the subscriber in the handset with IMEI key "
            f"{', '.join(keys)} ({len(set(row['handset_rows']))} record(s)): strong evidence that "
            "one handset carried both numbers, though not of who held it."
        )
    if row["direct_events"]:
        explanation += (
            f" {candidate} was in contact with {old} itself {row['direct_events']} time(s); "
            "that contact is left out of the comparison."
        )
    unseen = [
        number
        for number, own in (
            (old, row["old_own_records"]),
            (candidate, row["candidate_own_records"]),
        )
        if not own
    ]
    if unseen:
        its = "its" if len(unseen) == 1 else "their"
        explanation += (
            f" The evidence holds no records of its own for {' or '.join(unseen)}, only "
            f"{its} contact with numbers whose records it holds, so {its} counterparts are "
            "those numbers by construction and the overlap says less."
        )
    profile = row.get("time_of_day")
    if profile and profile["similarity"] is not None:
        explanation += (
            f" Their hour-of-day patterns (UK local time) have a similarity of "
            f"{profile['similarity']:.2f} (1 is the same shape)."
        )
    score = round(float(row["score"]), 4)
    explanation += (
        f" Score {score:.2f}: the rarity-weighted overlap {row['weighted_jaccard']:.2f} times "
        f"{row['strength']:.2f} for how much the shared counterparts weigh together "
        f"({row['shared_weight']:.2f}, as w / (w + 1))"
        + (", plus 1 for the shared handset" if keys else "")
        + f"; ranked {row['rank']} of {row['ranked']} candidate(s) for this quiet period."
        " This is a lead, not an identification: shared contacts also arise in one household, "
        "workplace or business, and a number can look quiet only because an exhibit's period "
        "ends or its use moved to channels the evidence does not hold."
    )
    cited = {
        *row["quiet_rows"],
        *row["first_rows"],
        *(row["shared_rows"] or []),
        *(row["handset_rows"] or []),
        *(row["direct_rows"] or []),
    }
    detail: dict[str, Any] = {
        "old_number": old,
        "candidate": candidate,
        "rank": row["rank"],
        "candidates": row["ranked"],
        "quiet_at_utc": quiet_at.isoformat(),
        "resumed_at_utc": resumed.isoformat() if resumed else None,
        "quiet_days": round(gap / _DAY, 2),
        "events_before_quiet": row["events_before"],
        "candidate_first_seen_utc": first_at.isoformat(),
        "days_to_first_seen": round((first_at - quiet_at).total_seconds() / _DAY, 2),
        "shared_counterparts": shared,
        "old_counterparts": row["old_counterparts"],
        "candidate_counterparts": row["new_counterparts"],
        "jaccard": round(row["jaccard"], 4),
        "shared_weight": round(row["shared_weight"], 4),
        "weighted_jaccard": round(row["weighted_jaccard"], 4),
        "strength": round(row["strength"], 4),
        "same_handset_imei_keys": keys,
        "direct_contact_events": row["direct_events"] or 0,
        "old_own_records": bool(row["old_own_records"]),
        "candidate_own_records": bool(row["candidate_own_records"]),
    }
    if profile:
        detail["time_of_day"] = {"zone": PROFILE_ZONE, **profile}
    return Finding(
        kind="successor_number",
        subjects=(old, candidate),
        explanation=explanation,
        derived_from=tuple(sorted(cited)),
        score=score,
        detail=detail,
        first_utc=quiet_at,
        last_utc=first_at,
    )
