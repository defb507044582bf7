"""Co-location: two numbers served by the same cell (or the same site) within a time window.

Two phones that use the same cell within minutes of each other, again and again, may have been
moving together: a driver and a passenger, a controller and a worker. Each such pair of numbers
gets a finding with every **occasion**, scored so that occasions on a cell few numbers use count
for more than occasions on a busy one.

Placements
    The events come from :func:`threadline.analysis.cell_site.placements_sql`: each call's start
    and end cell, each message's cell and each data record's start and end cell, placed for the
    **subscriber** only (the party ``target_role`` names; a data record's ``party``), never for
    the other party. Only placements with an exact time take part (two times known only as a
    range cannot be put in order).

Same place
    ``match="cell"``: the same cell id. ``match="site"``: cells of the same site
    (:func:`threadline.analysis.cell_site.sites_sql`: the same operator position to about a
    metre, else the same network and site name; a cell with only a crowd-sourced position, or
    none, is a site of its own).

The window, and data records "at or before"
    Each placement is a span of time in which the cell was used: a call or message, the instant
    of its start (end, send) time; a data record, which says only that the cell was used **at or
    before** its time (requirement 26), the span from ``data_lookback_minutes`` before its time up
    to it (an assumption the analyst states; 0 reduces it to the record's time). Two placements
    are within the window when the gap between their spans is at most ``window_minutes``: a data
    record at 12:00 with a 30-minute look-back matches a call from 11:15 (the gap to 11:30) up to
    12:15 with a 15-minute window, but not a call at 12:20, more than 15 minutes after any use
    at or before 12:00.

Occasions (no double counting)
    An occasion is a pair of events, one of each number (an event is one evidence row), whose
    placements share a cell (site) within the window. A pair of events that shares more than one
    (a call's start *and* end, two cells of a site) is one occasion, on the rarest place it
    shares. Then each event takes part in at most one occasion: a pair counts only when each
    event is the other's nearest match (smallest gap, then the earlier, then the lower row id).
    So two phones' bursts of records on one cell are not multiplied together, a call supplied in
    two exhibits is not counted twice, and the count never exceeds the events of the quieter
    number; the pairing is conservative (it can count fewer occasions than the best possible
    one-to-one pairing, never more). Pairs are unordered: (A, B) and (B, A) are one pair.

Rarity weighting
    An occasion on place *c* counts ``ln(1 + N / n_c)``, where *N* is the number of distinct
    numbers with any placement in the evidence and *n_c* the distinct numbers placed on *c*
    (whole evidence, whatever ``since``/``until``, so a cell's weight does not change as the
    period is narrowed). ``ln(N / n_c)`` is the information in seeing a given number on *c*
    (how surprising it is, when only *n_c* of *N* numbers ever use it): a cell that serves a
    station or a shopping centre is shared by many unrelated numbers and says little; a cell on
    a quiet lane says more. The ``1 +`` (the smoothed inverse document frequency of text
    retrieval) keeps every weight positive: a cell every number uses still counts ``ln 2``,
    which matters because CDRs give cells only for the numbers under authorisation, so *N* is
    often small. The score is the sum over occasions. It is a lead for an analyst, with its
    reasons, never evidence of association (requirement 44).

Being served by the same cell is consistent with being in the same area, not proof of being
together (:data:`threadline.analysis.cell_wording.CO_LOCATION_CAVEAT`); every finding says so
and carries the standard cell-site caveats. The SQL is standard (window functions, range joins)
with bound parameters only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar, Final, Literal

from pydantic import Field, field_validator

from threadline.analysis.cell_site import TIME_FILTER, placements_sql, sites_sql
from threadline.analysis.cell_wording import (
    CO_LOCATION_CAVEAT,
    CROWD_SOURCED,
    caveats,
    cell_label,
)
from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import instant_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding

__all__ = ["CoLocation", "CoLocationParameters"]

# A placement with an exact time as a span of epoch seconds [from_s, to_s] in which its cell
# was used: the instant itself, or for a data record ("at or before") the look-back before it.
_TIMED: Final = """
    number, row_id, exhibit_id, medium, phase, cell, place_key, at_utc,
    epoch(at_utc) - CASE WHEN medium = 'data' THEN $lookback_seconds ELSE 0 END AS from_s,
    epoch(at_utc) AS to_s
"""

_MEDIUM_WORDS: Final = {"call": "call", "sms": "SMS", "mms": "MMS", "im": "instant message"}


class CoLocationParameters(Parameters):
    """Parameters of :class:`CoLocation`.

    Attributes:
        numbers: the numbers to pair (any written form); empty means the case's targets.
        against_all: pair each of ``numbers`` with any number in the evidence, not only with
            each other.
        match: ``cell`` (the same cell) or ``site`` (cells of the same site).
        window_minutes: the longest gap between two numbers' uses of the cell.
        data_lookback_minutes: how long before a data record's time its cell may have been used
            (the record says "at or before"); a stated assumption, 0 for the record's time only.
        min_occasions: the fewest occasions a pair needs to be reported.
        since: only events from this instant (UTC).
        until: only events before this instant (UTC).
    """

    numbers: list[str] = Field(default_factory=list)
    against_all: bool = False
    match: Literal["cell", "site"] = "cell"
    window_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    data_lookback_minutes: float = Field(default=30.0, ge=0, le=24 * 60)
    min_occasions: int = Field(default=2, ge=1)
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class CoLocation:
    """Pairs of numbers on the same cell or site within a window (see the module docstring).
    Requirements 20, 22, 25, 26, 27, 44."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="co_location",
        version="1.0.0",
        title="Co-location",
        summary="Pairs of numbers served by the same cell (or cells of one site) within a time "
        "window, on repeated occasions, each occasion weighted by how few numbers use its cell; "
        "consistent with being in the same area, not proof of being together.",
        tables=("calls", "messages", "data_sessions", "cell_sites"),
        parameters=CoLocationParameters,
        requirements=(20, 22, 25, 26, 27, 44),
        interactive=True,
    )

    def run(self, evidence: Evidence, parameters: CoLocationParameters) -> list[Finding]:
        """The pairs with at least ``min_occasions`` occasions, highest score first.

        Raises:
            ConfigError: no numbers were given and the case names no targets, or fewer than two
                numbers to pair among without ``against_all``.
        """
        numbers = parameters.numbers or sorted(set(evidence.targets))
        if not numbers:
            raise ConfigError("no numbers: give them (numbers) or record the case's targets")
        if len(numbers) < 2 and not parameters.against_all:
            raise ConfigError(
                "co-location pairs numbers: give at least two, or set against_all to pair "
                f"{numbers[0]} with every number in the evidence"
            )
        # The place a placement counts at: the cell, or its site (a cell in no reference data
        # is its own site, keyed by its id as crowd-sourced cells are in sites_sql). The
        # placements are written out where used rather than shared as one CTE, so the engine
        # reads only the columns and rows each use needs instead of keeping every placement.
        if parameters.match == "site":
            placed = f"""
            SELECT placements.*, COALESCE(sites.site_key, placements.cell) AS place_key
            FROM ({placements_sql()}) AS placements
            LEFT JOIN sites ON sites.cell_id = placements.cell
            """
        else:
            placed = (
                f"SELECT placements.*, cell AS place_key FROM ({placements_sql()}) AS placements"
            )
        sql = f"""
        WITH sites AS ({sites_sql()}),
        wanted AS (SELECT UNNEST($numbers) AS number),
        one AS (
            SELECT {_TIMED} FROM ({placed}) AS placed
            WHERE at_utc IS NOT NULL AND {TIME_FILTER}
              AND number IN (SELECT number FROM wanted)
        ),
        two AS (
            SELECT {_TIMED} FROM ({placed}) AS placed
            WHERE at_utc IS NOT NULL AND {TIME_FILTER}
              AND ($against_all OR number IN (SELECT number FROM wanted))
        ),
        candidates AS (
            SELECT one.number AS number1, two.number AS number2,
                   one.row_id AS row1, two.row_id AS row2,
                   one.exhibit_id AS exhibit1, two.exhibit_id AS exhibit2,
                   one.medium AS medium1, two.medium AS medium2,
                   one.phase AS phase1, two.phase AS phase2,
                   one.cell AS cell1, two.cell AS cell2,
                   one.at_utc AS at1, two.at_utc AS at2,
                   one.place_key,
                   GREATEST(0.0, two.from_s - one.to_s, one.from_s - two.to_s) AS gap_s
            FROM one
            JOIN two
              ON two.place_key = one.place_key
             AND two.number <> one.number
             AND two.from_s <= one.to_s + $window_seconds
             AND one.from_s <= two.to_s + $window_seconds
            WHERE NOT list_contains($numbers, two.number) OR one.number < two.number
        ),
        -- rarity counts every number on the place, in the whole evidence; only the places
        -- some candidate shares need counting
        rarity AS (
            SELECT place_key, COUNT(DISTINCT number) AS numbers_on
            FROM ({placed}) AS placed
            WHERE place_key IN (SELECT place_key FROM candidates)
            GROUP BY place_key
        ),
        universe AS (SELECT COUNT(DISTINCT number) AS total FROM ({placed}) AS placed),
        weighted AS (
            SELECT candidates.*, rarity.numbers_on,
                   LN(1.0 + CAST(universe.total AS DOUBLE) / rarity.numbers_on) AS weight,
                   universe.total
            FROM candidates
            JOIN rarity ON rarity.place_key = candidates.place_key
            CROSS JOIN universe
        ),
        pairs AS (
            SELECT * FROM (
                SELECT *, ROW_NUMBER() OVER (
                    PARTITION BY number1, number2, row1, row2
                    ORDER BY weight DESC, gap_s, place_key, phase1, phase2
                ) AS nth
                FROM weighted
            ) AS shared WHERE nth = 1
        ),
        ranked AS (
            SELECT *,
                   ROW_NUMBER() OVER (
                       PARTITION BY number1, number2, row1 ORDER BY gap_s, at2, row2
                   ) AS rank1,
                   ROW_NUMBER() OVER (
                       PARTITION BY number1, number2, row2 ORDER BY gap_s, at1, row1
                   ) AS rank2
            FROM pairs
        ),
        occasions AS (
            SELECT *, COUNT(*) OVER (PARTITION BY number1, number2) AS occasions
            FROM ranked WHERE rank1 = 1 AND rank2 = 1
        )
        SELECT number1, number2, row1, row2, exhibit1, exhibit2, medium1, medium2,
               phase1, phase2, cell1, cell2, at1, at2, place_key, numbers_on, weight, gap_s,
               total,
               site1.site_row_id AS site_row1, site2.site_row_id AS site_row2,
               site1.site_name, site1.address, site1.postcode,
               site1.position_basis AS basis1, site2.position_basis AS basis2
        FROM occasions
        LEFT JOIN sites AS site1 ON site1.cell_id = occasions.cell1
        LEFT JOIN sites AS site2 ON site2.cell_id = occasions.cell2
        WHERE occasions >= $min_occasions
        ORDER BY number1, number2, LEAST(at1, at2), row1, row2
        """
        rows = evidence.rows(
            sql,
            {
                "numbers": numbers,
                "against_all": parameters.against_all,
                "window_seconds": parameters.window_minutes * 60,
                "lookback_seconds": parameters.data_lookback_minutes * 60,
                "min_occasions": parameters.min_occasions,
                "since": parameters.since,
                "until": parameters.until,
            },
        )
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            grouped[(row["number1"], row["number2"])].append(row)
        findings = [
            _finding(pair, occasions, parameters, evidence) for pair, occasions in grouped.items()
        ]
        findings.sort(key=lambda f: (-(f.score or 0.0), f.subjects))
        return findings


def _use(number: str, medium: str, phase: str, at: datetime) -> str:
    """``+447700900201's call at 2024-06-03 08:00:00 UTC`` (``ending at`` for a call's end
    cell); a data record's time is the one its cell was used at or before (requirement 26)."""
    when = instant_phrase(at)
    if medium == "data":
        return f"{number}'s data record (cell used at or before {when})"
    if medium == "call" and phase == "end":
        return f"{number}'s call ending at {when}"
    return f"{number}'s {_MEDIUM_WORDS.get(medium, 'message')} at {when}"


def _finding(
    pair: tuple[str, str],
    occasions: list[dict[str, Any]],
    parameters: CoLocationParameters,
    evidence: Evidence,
) -> Finding:
    one, two = pair
    by_site = parameters.match == "site"
    total = occasions[0]["total"]
    score = sum(float(o["weight"]) for o in occasions)
    places: dict[str, dict[str, Any]] = {}
    listed: list[dict[str, Any]] = []
    row_ids: set[str] = set()
    crowd = False
    data = 0
    for occasion in occasions:
        label = cell_label(
            occasion["cell1"], occasion["site_name"], occasion["address"], occasion["postcode"]
        )
        if by_site:
            label = f"the site of {label}"
        place = places.setdefault(
            occasion["place_key"],
            {
                "label": label,
                "occasions": 0,
                "numbers_on": occasion["numbers_on"],
                "weight": round(float(occasion["weight"]), 4),
            },
        )
        place["occasions"] += 1
        row_ids.update((occasion["row1"], occasion["row2"]))
        row_ids.update(r for r in (occasion["site_row1"], occasion["site_row2"]) if r)
        crowd = crowd or CROWD_SOURCED in (occasion["basis1"], occasion["basis2"])
        data += 1 if "data" in (occasion["medium1"], occasion["medium2"]) else 0
        listed.append(
            {
                "place": label,
                "cell_1": occasion["cell1"],
                "cell_2": occasion["cell2"],
                "medium_1": occasion["medium1"],
                "medium_2": occasion["medium2"],
                "phase_1": occasion["phase1"],
                "phase_2": occasion["phase2"],
                "time_1": occasion["at1"].isoformat(),
                "time_2": occasion["at2"].isoformat(),
                "gap_seconds": float(occasion["gap_s"]),
                "numbers_on_place": occasion["numbers_on"],
                "weight": round(float(occasion["weight"]), 4),
                "rows": [occasion["row1"], occasion["row2"]],
                "exhibits": sorted(
                    {
                        evidence.reference(occasion["exhibit1"]),
                        evidence.reference(occasion["exhibit2"]),
                    }
                ),
            }
        )
    times = [t for o in occasions for t in (o["at1"], o["at2"])]
    first, last = min(times), max(times)
    what = "cells of the same site" if by_site else "the same cell"
    where = "; ".join(
        f"{p['label']}, {p['occasions']} occasion(s) (used by {p['numbers_on']} of the {total} "
        f"numbers, weight {p['weight']:.4f})"
        for p in places.values()
    )
    explanation = (
        f"The phones using {one} and {two} were served by {what} within "
        f"{parameters.window_minutes:g} minutes of each other on {len(occasions)} occasion(s), "
        f"{period_phrase(first, last)}: {where}. Score {score:.4f}: the sum over occasions of "
        f"ln(1 + N/n), N being the {total} numbers with cell records in the evidence and n those "
        "that used the occasion's cell or site, so a cell few numbers use counts for more than a "
        "busy one."
    )
    if by_site:
        explanation += (
            " Cells of one site usually face different ways and serve different areas, so a "
            "shared site is weaker than a shared cell."
        )
    if crowd:
        explanation += (
            " Some of these cells' positions are crowd-sourced approximations, not mast positions."
        )
    if data:
        explanation += (
            f" {data} occasion(s) rest on data records, whose cell was used at or before the "
            f"record's time (taken as up to {parameters.data_lookback_minutes:g} minutes before "
            "it)."
        )
    earliest = occasions[0]
    use_one = _use(one, earliest["medium1"], earliest["phase1"], earliest["at1"])
    use_two = _use(two, earliest["medium2"], earliest["phase2"], earliest["at2"])
    explanation += f" The first occasion: {use_one} and {use_two}."
    explanation += (
        f" {CO_LOCATION_CAVEAT} The score is a lead for an analyst, not evidence of association; "
        "who used either phone is a separate question, and the standard cell-site caveats are "
        "listed with this finding."
    )
    return Finding(
        kind="co_location",
        subjects=(one, two),
        explanation=explanation,
        derived_from=tuple(sorted(row_ids)),
        score=round(score, 4),
        detail={
            "number1": one,
            "number2": two,
            "match": parameters.match,
            "window_minutes": parameters.window_minutes,
            "data_lookback_minutes": parameters.data_lookback_minutes,
            "occasions": len(occasions),
            "occasion_list": listed,
            "places": list(places.values()),
            "numbers_in_evidence": total,
            "data_occasions": data,
            "time_basis": "UTC",
            "caveats": [CO_LOCATION_CAVEAT, *caveats(crowd)],
        },
        first_utc=first,
        last_utc=last,
    )
