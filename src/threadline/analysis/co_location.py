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
and carries the standard cell-site caveats.

How it is computed (bound parameters only; nothing above depends on it)
    Two statements. The first reads every placement narrowly (cell, number, exhibit) for the
    weights, which are over the whole evidence, and to learn which exhibits hold the chosen
    numbers' placements. The second reads the chosen numbers' timed placements in full from
    those exhibits only (the engine skips the other files) and pairs them: pairs within the
    window are found by a join on the place and a time bucket rather than on the place alone
    (:func:`_bucket_seconds` shows that no pair is missed), and each choice above (the rarest
    place, the nearest match) is an aggregate (``min_by``: the first by a composite key)
    rather than a sort, so the work grows with the pairs of events near each other, not with
    every pair of placements on a busy cell. With ``against_all`` every number's placements
    are streamed past the chosen ones' rather than kept. The results are those of the
    definitions above, checked against a brute-force reference in
    ``tests/analysis/test_co_location_equivalence.py``.
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
from threadline.analysis.number_runs import NUMBER_KEY, in_runs
from threadline.analysis.wording import instant_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding

__all__ = [
    "CELL_NUMBERS_TABLE",
    "PLACEMENTS_TABLE",
    "CoLocation",
    "CoLocationParameters",
    "cell_numbers_sql",
    "placements_table_sql",
]

# A placement with an exact time: its span of epoch seconds [from_s, to_s] in which the cell
# was used (the instant itself, or for a data record, "at or before", the look-back before
# it), its time bucket (see _bucket_seconds) and whether its number is one of the chosen;
# over the columns of _placed_sql.
_TIMED: Final = """
    number, row_id, phase, place_key, at_utc,
    epoch(at_utc) - CASE WHEN medium = 'data' THEN $lookback_seconds ELSE 0 END AS from_s,
    epoch(at_utc) AS to_s,
    CAST(FLOOR(epoch(at_utc) / $bucket_seconds) AS BIGINT) AS bucket,
    list_contains($numbers, number) AS chosen,
    exhibit_id, medium, cell
"""

# The columns of a timed placement the self-join compares and carries: as few as will do (the
# exhibit, medium and cell of the occasions' events are looked up afterwards).
_JOINED: Final = "number, row_id, phase, place_key, at_utc, from_s, to_s"

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
        # First every placement's place, number and exhibit, whatever its time: the weights
        # are over the whole evidence (here as each place's count of numbers, and N), and the
        # chosen numbers' placements are all in the exhibits found here, so the second
        # statement reads them from those alone (the engine skips the other files).
        used = evidence.rows(_used_sql(parameters.match, CELL_NUMBERS_TABLE in evidence.derived))
        on_place: dict[str, set[str]] = defaultdict(set)
        for row in used:
            on_place[row["place_key"]].add(row["number"])
        chosen = set(numbers)
        exhibits = sorted({row["exhibit_id"] for row in used if row["number"] in chosen})
        if not exhibits:
            return []  # the chosen numbers have no placements: nothing can co-locate
        places = sorted(on_place)
        rows = evidence.rows(
            _occasions_sql(
                parameters.match, parameters.against_all, PLACEMENTS_TABLE in evidence.derived
            ),
            {
                "numbers": numbers,
                "exhibits": exhibits,
                "places": places,
                "numbers_on": [len(on_place[place]) for place in places],
                "total": len({row["number"] for row in used}),
                "window_seconds": parameters.window_minutes * 60,
                "lookback_seconds": parameters.data_lookback_minutes * 60,
                "bucket_seconds": _bucket_seconds(parameters),
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


def _bucket_seconds(parameters: CoLocationParameters) -> float:
    """The width of the time buckets the self-join matches on: window plus look-back, and a
    second to spare.

    Why a pair within the window is always in the same or a neighbouring bucket: with window
    *W*, look-back *L* and spans [f, t] (t - f is 0, or *L* for a data record), placements p
    and q are within the window when ``f_q <= t_p + W`` and ``f_p <= t_q + W``. As
    ``f_q >= t_q - L``, the first gives ``t_q - t_p <= W + L``, the second likewise
    ``t_p - t_q <= W + L``: their ends are at most *W + L* apart, less than the width *B*.
    Buckets are ``floor(t / B)``, and two instants less than *B* apart are never two buckets
    apart (were ``floor(t_q / B) >= floor(t_p / B) + 2``, then ``t_q >= (floor(t_p / B) + 2) B
    > t_p + B``). So each placement of a chosen number probes its own bucket and the two
    beside it, and finds every placement the window test (unchanged, applied to each pair so
    found) can accept; nothing else is let in. The spare second covers rounding: the times are
    DOUBLE epoch seconds, exact to about a microsecond, so a pair the test accepts is less
    than *W + L* + 1e-6 s apart however it was rounded.
    """
    return (parameters.window_minutes + parameters.data_lookback_minutes) * 60 + 1


def _placed_sql(match: str, from_table: bool) -> str:
    """The placements with ``place_key``, the place each counts at: the cell, or its site (a
    cell in no reference data is its own site, keyed by its id as crowd-sourced cells are in
    :func:`~threadline.analysis.cell_site.sites_sql`); reads the CTE ``sites``, and the read
    copy's :data:`PLACEMENTS_TABLE` where ``from_table``."""
    source = PLACEMENTS_TABLE if from_table else f"({placements_sql()})"
    if match == "site":
        return f"""
        SELECT placements.*, COALESCE(sites.site_key, placements.cell) AS place_key
        FROM {source} AS placements
        LEFT JOIN sites ON sites.cell_id = placements.cell
        """
    return f"SELECT placements.*, cell AS place_key FROM {source} AS placements"


#: The read copy's derived table of every (cell, number, exhibit) with a placement: what the
#: rarity weights and the choice of exhibits need, made once instead of a full read of every
#: placement each run.
CELL_NUMBERS_TABLE: Final = "cell_numbers"


def cell_numbers_sql() -> str:
    """The SELECT that fills :data:`CELL_NUMBERS_TABLE` (and is read in its place when the
    evidence does not offer it)."""
    return f"""
        SELECT cell, number, exhibit_id FROM ({placements_sql()}) AS placements
        GROUP BY cell, number, exhibit_id
        ORDER BY cell, number, exhibit_id
    """


#: The read copy's derived table of every placement (the columns co-location reads), sorted by
#: number (:mod:`threadline.analysis.number_runs`) so the chosen numbers' placements are runs.
PLACEMENTS_TABLE: Final = "number_placements"


def placements_table_sql() -> str:
    """The SELECT that fills :data:`PLACEMENTS_TABLE`."""
    return f"""
        SELECT {NUMBER_KEY}, number, row_id, exhibit_id, medium, phase, cell,
               at_utc, earliest_utc, latest_utc
        FROM ({placements_sql()}) AS placements
        ORDER BY number_key, at_utc, row_id, phase
    """


def _used_sql(match: str, from_table: bool) -> str:
    """Every (place, number, exhibit) with a placement, whatever its time: one narrow read of
    the placements (their cells grouped before any is matched to its site), or the read copy's
    :data:`CELL_NUMBERS_TABLE` where ``from_table``."""
    used = CELL_NUMBERS_TABLE if from_table else f"({cell_numbers_sql()})"
    used = f"SELECT cell, number, exhibit_id FROM {used} AS cell_numbers"
    if match == "cell":
        return f"SELECT cell AS place_key, number, exhibit_id FROM ({used}) AS used"
    return f"""
    WITH sites AS ({sites_sql()}), used AS ({used})
    SELECT DISTINCT COALESCE(sites.site_key, used.cell) AS place_key, used.number,
           used.exhibit_id
    FROM used LEFT JOIN sites ON sites.cell_id = used.cell
    """


def _occasions_sql(match: str, against_all: bool, from_table: bool) -> str:
    """The occasions of the pairs with at least ``$min_occasions``, with what their findings
    say: the chosen numbers' placements read from ``$exhibits`` only (and, from the read
    copy's :data:`PLACEMENTS_TABLE`, from their numbers' runs), each place's weight from
    ``$places``, ``$numbers_on`` and ``$total`` (see :meth:`CoLocation.run`)."""
    placed = _placed_sql(match, from_table)
    chosen = in_runs("$numbers") if from_table else "list_contains($numbers, number)"
    if against_all:
        # The other side is every number's timed placements, streamed through the join rather
        # than kept (the engine keeps the chosen side's probes); so its events' exhibit, medium
        # and cell are carried through the pairing instead of looked up afterwards.
        others = f"""(
            SELECT {_TIMED} FROM ({placed}) AS placed
            WHERE at_utc IS NOT NULL AND {TIME_FILTER}
        )"""
        carried = ", two.exhibit_id AS exhibit2, two.medium AS medium2, two.cell AS cell2"
        picked = ", 'exhibit2': exhibit2, 'medium2': medium2, 'cell2': cell2"
        exhibit2, medium2, cell2 = "occasions.exhibit2", "occasions.medium2", "occasions.cell2"
        lookup2 = ""
    else:
        others = "chosen"
        carried = picked = ""
        exhibit2, medium2, cell2 = "two.exhibit_id", "two.medium", "two.cell"
        lookup2 = """
    JOIN details AS two
      ON two.number = occasions.number2 AND two.row_id = occasions.row2
     AND two.phase = occasions.phase2"""
    return f"""
    WITH sites AS ({sites_sql()}),
    rarity AS (
        SELECT place_key, numbers_on,
               LN(1.0 + CAST($total AS DOUBLE) / numbers_on) AS weight, $total AS total
        FROM (SELECT UNNEST($places) AS place_key, UNNEST($numbers_on) AS numbers_on) AS listed
    ),
    -- the chosen numbers' timed placements, read only from their exhibits (every row has
    -- one; the engine skips the files of the others)
    chosen AS MATERIALIZED (
        SELECT {_TIMED} FROM ({placed}) AS placed
        WHERE exhibit_id = ANY($exhibits) AND {chosen}
          AND at_utc IS NOT NULL AND {TIME_FILTER}
    ),
    -- each pair of placements of different numbers on one place within the window, found
    -- through the time buckets (_bucket_seconds); a pair of chosen numbers once, lower first
    candidates AS (
        SELECT one.number AS number1, two.number AS number2,
               one.row_id AS row1, two.row_id AS row2,
               one.phase AS phase1, two.phase AS phase2,
               one.at_utc AS at1, two.at_utc AS at2, one.place_key,
               GREATEST(0.0, two.from_s - one.to_s, one.from_s - two.to_s) AS gap_s
               {carried}
        FROM (
            SELECT {_JOINED}, bucket + step AS probe
            FROM chosen CROSS JOIN (VALUES (-1), (0), (1)) AS steps(step)
        ) AS one
        JOIN {others} AS two
          ON two.place_key = one.place_key AND two.bucket = one.probe
         AND two.number <> one.number
         AND two.from_s <= one.to_s + $window_seconds
         AND one.from_s <= two.to_s + $window_seconds
        WHERE NOT two.chosen OR one.number < two.number
    ),
    -- a pair of events sharing more than one place: the rarest, then the nearest...
    pairs AS MATERIALIZED (
        SELECT number1, number2, row1, row2, best.*
        FROM (
            SELECT number1, number2, row1, row2,
                   min_by(
                       {{'phase1': phase1, 'phase2': phase2, 'at1': at1, 'at2': at2,
                         'place_key': candidates.place_key, 'gap_s': gap_s{picked}}},
                       {{'weight': -weight, 'gap_s': gap_s, 'place_key': candidates.place_key,
                         'phase1': phase1, 'phase2': phase2}}
                   ) AS best
            FROM candidates JOIN rarity ON rarity.place_key = candidates.place_key
            GROUP BY number1, number2, row1, row2
        ) AS shared
    ),
    -- each event's nearest match: the smallest gap, then the earlier, then the lower row id
    nearest2 AS (
        SELECT number1, number2, row1,
               min_by(row2, {{'gap_s': gap_s, 'at': at2, 'row': row2}}) AS row2
        FROM pairs GROUP BY number1, number2, row1
    ),
    nearest1 AS (
        SELECT number1, number2, row2,
               min_by(row1, {{'gap_s': gap_s, 'at': at1, 'row': row1}}) AS row1
        FROM pairs GROUP BY number1, number2, row2
    ),
    -- a pair of events is an occasion when each is the other's nearest match (the nearest
    -- are one per event, so these joins keep or drop a pair, never repeat one)
    mutual AS MATERIALIZED (
        SELECT pairs.*
        FROM pairs
        JOIN nearest2
          ON nearest2.number1 = pairs.number1 AND nearest2.number2 = pairs.number2
         AND nearest2.row1 = pairs.row1 AND nearest2.row2 = pairs.row2
        JOIN nearest1
          ON nearest1.number1 = pairs.number1 AND nearest1.number2 = pairs.number2
         AND nearest1.row1 = pairs.row1 AND nearest1.row2 = pairs.row2
    ),
    occasions AS MATERIALIZED (
        SELECT mutual.*
        FROM mutual
        JOIN (
            SELECT number1, number2 FROM mutual
            GROUP BY number1, number2 HAVING COUNT(*) >= $min_occasions
        ) AS enough
          ON enough.number1 = mutual.number1 AND enough.number2 = mutual.number2
    ),
    -- the exhibit, medium and cell of the chosen numbers' events in occasions (one row each:
    -- a row the evidence holds twice, identically, is one event, as in the pairing)
    details AS (
        SELECT number, row_id, phase, MIN(exhibit_id) AS exhibit_id, MIN(medium) AS medium,
               MIN(cell) AS cell
        FROM chosen
        WHERE row_id IN (SELECT row1 FROM occasions UNION ALL SELECT row2 FROM occasions)
        GROUP BY number, row_id, phase
    )
    SELECT occasions.number1, occasions.number2, occasions.row1, occasions.row2,
           one.exhibit_id AS exhibit1, one.medium AS medium1, one.cell AS cell1,
           {exhibit2} AS exhibit2, {medium2} AS medium2, {cell2} AS cell2,
           occasions.phase1, occasions.phase2, occasions.at1, occasions.at2,
           occasions.place_key, rarity.numbers_on, rarity.weight, occasions.gap_s,
           rarity.total,
           site1.site_row_id AS site_row1, site2.site_row_id AS site_row2,
           site1.site_name, site1.address, site1.postcode,
           site1.position_basis AS basis1, site2.position_basis AS basis2
    FROM occasions
    JOIN rarity ON rarity.place_key = occasions.place_key
    JOIN details AS one
      ON one.number = occasions.number1 AND one.row_id = occasions.row1
     AND one.phase = occasions.phase1{lookup2}
    LEFT JOIN sites AS site1 ON site1.cell_id = one.cell
    LEFT JOIN sites AS site2 ON site2.cell_id = {cell2}
    ORDER BY occasions.number1, occasions.number2, LEAST(occasions.at1, occasions.at2),
             occasions.row1, occasions.row2
    """


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
