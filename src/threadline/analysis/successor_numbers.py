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
less. A finding cites the records of the old number's event at the quiet point (of events tied
on time, counterpart and medium, the one with the greatest first row id), of the candidate's
first event, of both numbers' events with each shared counterpart, of their contact with each
other, and the sightings of a shared handset.

At scale the search runs on numbers and times alone, over every number's events; the records a
finding cites are read afterwards for the two numbers of each kept finding only.

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

#: A number's events in order, to find the event a finding cites by its place in it. The search
#: sorts on the two times alone: of events tied on both only the last can be a quiet point, and
#: its quiet time, resumption and count are the same whichever it is. The other columns and the
#: first row id (unique: every record is in one event) then settle, deterministically, which of
#: tied events is cited.
_CITED_ORDER: Final = (
    "PARTITION BY number ORDER BY earliest_utc, latest_utc, other, medium, row_ids[1]"
)


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
    """The successor query over the contact-event ends ``ends``: the kept candidates of each
    quiet period with their figures, on numbers and times alone (the rows each finding cites
    are fetched afterwards for the kept rows only, by :func:`_cited_sql`)."""
    return f"""
WITH ends AS (
    SELECT number, other, earliest_utc, latest_utc FROM ({ends}) AS ends
),
links AS (
    SELECT number, other, COUNT(*) AS events, MIN(earliest_utc) AS first_at,
           MAX(latest_utc) AS last_at,
           SUM(CASE WHEN earliest_utc = latest_utc THEN 0 ELSE 1 END) AS inexact
    FROM ends
    GROUP BY number, other
),
degrees AS (
    SELECT number AS counterpart, COUNT(*) AS degree,
           CAST(1 AS DOUBLE) / GREATEST(CAST(1 AS DOUBLE), log2(COUNT(*))) AS weight
    FROM links
    GROUP BY number
),
bounds AS (SELECT MAX(last_at) AS end_at FROM links),
activity AS (
    -- the end of the evidence is carried on each number so that the quiet test below is a
    -- plain filter on every event, not a join of every event with it
    SELECT l.number, MIN(l.first_at) AS first_at, SUM(l.inexact) = 0 AS exact,
           MIN(b.end_at) AS end_at
    FROM links AS l CROSS JOIN bounds AS b
    GROUP BY l.number
),
-- a number's events in time order, each with the latest time of any event up to it (its
-- quiet point, if the next starts quiet_days later) and how many events that makes; where
-- every event of the number has an exact time, that latest time is the event's own (an
-- earlier event cannot end later), which spares the running maximum, the costly part
steps AS (
    SELECT e.number, a.end_at, e.latest_utc AS quiet_at,
           LEAD(e.earliest_utc) OVER timed AS resumed_at,
           ROW_NUMBER() OVER timed AS events_before
    FROM ends AS e JOIN activity AS a ON a.number = e.number
    WHERE a.exact AND (len($numbers) = 0 OR list_contains($numbers, e.number))
    WINDOW timed AS (PARTITION BY e.number ORDER BY e.earliest_utc)
    UNION ALL
    SELECT e.number, a.end_at,
           MAX(e.latest_utc) OVER (ranged ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS quiet_at,
           LEAD(e.earliest_utc) OVER ranged AS resumed_at,
           ROW_NUMBER() OVER ranged AS events_before
    FROM ends AS e JOIN activity AS a ON a.number = e.number
    WHERE NOT a.exact AND (len($numbers) = 0 OR list_contains($numbers, e.number))
    WINDOW ranged AS (PARTITION BY e.number ORDER BY e.earliest_utc, e.latest_utc)
),
quiet AS (
    SELECT number AS old, quiet_at, resumed_at, events_before, end_at
    FROM steps
    WHERE events_before >= $min_events
      -- first the same test in whole microseconds with a second to spare, cheap on every
      -- event, then the exact one on the few it lets through
      AND epoch_us(COALESCE(resumed_at, end_at)) - epoch_us(quiet_at)
              >= ($quiet_seconds - 1) * 1000000
      AND epoch(COALESCE(resumed_at, end_at)) - epoch(quiet_at) >= $quiet_seconds
),
starters AS (
    SELECT a.number, a.first_at
    FROM activity AS a
    WHERE EXISTS (
        SELECT 1 FROM quiet AS q
        WHERE a.first_at > q.quiet_at
          AND a.first_at <= q.quiet_at + to_seconds($window_seconds)
    )
),
old_links AS (
    SELECT q.old, q.quiet_at, e.other AS counterpart, COUNT(*) AS events
    FROM quiet AS q JOIN ends AS e ON e.number = q.old AND e.earliest_utc <= q.quiet_at
    GROUP BY q.old, q.quiet_at, e.other
),
new_links AS (
    SELECT l.number AS candidate, l.other AS counterpart, l.events
    FROM links AS l JOIN starters AS s ON s.number = l.number
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
    SELECT DISTINCT number, imei_key
    FROM sightings
    WHERE number IS NOT NULL AND imei_key IS NOT NULL
),
same_handset AS (
    SELECT q.old, q.quiet_at, hn.number AS candidate, ho.imei_key
    FROM quiet AS q
    JOIN handsets AS ho ON ho.number = q.old
    JOIN handsets AS hn ON hn.imei_key = ho.imei_key AND hn.number <> q.old
    JOIN starters AS s
      ON s.number = hn.number
     AND s.first_at > q.quiet_at
     AND s.first_at <= q.quiet_at + to_seconds($window_seconds)
),
handset_agg AS (
    SELECT old, quiet_at, candidate, LIST(imei_key ORDER BY imei_key) AS imei_keys
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
           LIST(s.new_events ORDER BY s.weight DESC, s.counterpart) AS new_events
    FROM top AS t
    JOIN shared AS s ON s.old = t.old AND s.quiet_at = t.quiet_at AND s.candidate = t.candidate
    GROUP BY t.old, t.quiet_at, t.candidate
),
own AS ({subscriber_numbers_sql()})
SELECT t.old, t.quiet_at, q.resumed_at, q.events_before, q.end_at,
       t.candidate, s.first_at,
       t.old_counterparts, t.new_counterparts, t.shared, t.shared_weight,
       t.jaccard, t.weighted_jaccard, t.strength, t.score, t.rank, t.ranked,
       nx.events AS direct_events,
       sl.counterparts, sl.degrees, sl.weights, sl.old_events, sl.new_events,
       ha.imei_keys,
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
ORDER BY t.score DESC, t.old, t.quiet_at, t.rank, q.events_before
"""


def _cited_sql(ends: str) -> str:
    """The contact-event rows the kept findings cite, over the ends ``ends`` of their numbers:
    one row per finding (``$finding``, parallel to ``$old``, ``$quiet_at``,
    ``$events_before`` and ``$candidate``) and part, with the row ids of that part's events.

    The parts: ``quiet`` (the event at the quiet point: the old number's ``events_before``-th),
    ``first`` (the candidate's first event), ``direct`` (the candidate's events with the old
    number) and ``shared`` (both numbers' events with each shared counterpart, ``$shared_finding``
    and ``$shared_counterpart``; the old number's up to the quiet point)."""
    return f"""
WITH ends AS (
    SELECT number, other, medium, earliest_utc, latest_utc, row_ids FROM ({ends}) AS ends
),
kept AS (
    SELECT UNNEST($finding) AS finding, UNNEST($old) AS old, UNNEST($quiet_at) AS quiet_at,
           UNNEST($events_before) AS events_before, UNNEST($candidate) AS candidate
),
shared_pairs AS (
    SELECT UNNEST($shared_finding) AS finding, UNNEST($shared_counterpart) AS counterpart
),
steps AS (
    SELECT number, row_ids, ROW_NUMBER() OVER ({_CITED_ORDER}) AS position FROM ends
),
parts AS (
    SELECT k.finding, 'quiet' AS part, s.row_ids
    FROM kept AS k JOIN steps AS s ON s.number = k.old AND s.position = k.events_before
    UNION ALL
    SELECT k.finding, 'first' AS part, s.row_ids
    FROM kept AS k JOIN steps AS s ON s.number = k.candidate AND s.position = 1
    UNION ALL
    SELECT k.finding, 'direct' AS part, e.row_ids
    FROM kept AS k JOIN ends AS e ON e.number = k.candidate AND e.other = k.old
    UNION ALL
    SELECT k.finding, 'shared' AS part, e.row_ids
    FROM shared_pairs AS p
    JOIN kept AS k ON k.finding = p.finding
    JOIN ends AS e
      ON e.number = k.old AND e.other = p.counterpart AND e.earliest_utc <= k.quiet_at
    UNION ALL
    SELECT k.finding, 'shared' AS part, e.row_ids
    FROM shared_pairs AS p
    JOIN kept AS k ON k.finding = p.finding
    JOIN ends AS e ON e.number = k.candidate AND e.other = p.counterpart
)
SELECT finding, part, FLATTEN(LIST(row_ids)) AS row_ids
FROM parts
GROUP BY finding, part
"""


def _handset_rows_sql() -> str:
    """The sightings behind each kept finding's shared handsets: one row per finding
    (``$finding``, parallel to ``$number`` and ``$imei_key``: each of the two numbers with
    each shared IMEI key) with their row ids."""
    return f"""
WITH sightings AS ({subscriber_sightings_sql()}),
wanted AS (
    SELECT UNNEST($finding) AS finding, UNNEST($number) AS number,
           UNNEST($imei_key) AS imei_key
)
SELECT w.finding, LIST(s.row_id) AS row_ids
FROM wanted AS w JOIN sightings AS s ON s.number = w.number AND s.imei_key = w.imei_key
GROUP BY w.finding
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
        version="1.1.1",
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
        if kept:
            _add_cited(evidence, parameters, kept)
        if parameters.time_of_day and kept:
            _add_profiles(evidence, parameters, kept)
        return [_finding(row, evidence) for row in kept]


def _add_cited(
    evidence: Evidence, parameters: SuccessorNumbersParameters, kept: list[dict[str, Any]]
) -> None:
    """The rows each kept finding cites (``quiet_rows``, ``first_rows``, ``direct_rows``,
    ``shared_rows``, ``handset_rows``), read for its two numbers alone: carrying every event's
    row ids through the search over all numbers was most of its time and memory."""
    numbers = sorted({r["old"] for r in kept} | {r["candidate"] for r in kept})
    shared = [(i, c) for i, r in enumerate(kept) for c in r["counterparts"] or []]
    from_table = precomputed(evidence, parameters.same_event_seconds)
    parts: dict[tuple[int, str], list[str]] = {}
    for row in evidence.rows(
        _cited_sql(contact_ends_sql("$numbers", from_table=from_table)),
        {
            "numbers": numbers,
            "finding": list(range(len(kept))),
            "old": [r["old"] for r in kept],
            "quiet_at": [r["quiet_at"] for r in kept],
            "events_before": [r["events_before"] for r in kept],
            "candidate": [r["candidate"] for r in kept],
            "shared_finding": [i for i, _ in shared],
            "shared_counterpart": [c for _, c in shared],
            "since": parameters.since,
            "until": parameters.until,
            "same_event_seconds": parameters.same_event_seconds,
        },
    ):
        parts[(row["finding"], row["part"])] = row["row_ids"]
    # each shared handset's sightings, of the old number and of the candidate
    wanted = [
        (i, number, key)
        for i, r in enumerate(kept)
        for key in r["imei_keys"] or []
        for number in (r["old"], r["candidate"])
    ]
    if wanted:
        for row in evidence.rows(
            _handset_rows_sql(),
            {
                "finding": [i for i, _, _ in wanted],
                "number": [n for _, n, _ in wanted],
                "imei_key": [k for _, _, k in wanted],
                "since": parameters.since,
                "until": parameters.until,
            },
        ):
            parts[(row["finding"], "handset")] = row["row_ids"]
    for i, row in enumerate(kept):
        for part in ("quiet", "first", "direct", "shared", "handset"):
            row[f"{part}_rows"] = parts.get((i, part), [])


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
