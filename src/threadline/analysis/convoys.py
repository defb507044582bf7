"""Convoys: pairs of vehicle marks read by the same cameras within seconds of each other.

Vehicles that travel together (a car and the van it escorts, a scout car ahead of a drugs run,
the victims' minibus and its driver's car) pass the same ANPR cameras a few seconds apart, camera
after camera. Each pair of registration marks (VRMs) read together at several distinct cameras
gets a finding listing every **occasion**, scored against each camera's traffic so that busy
roads, where ordinary traffic is read together all the time, do not make strangers look like a
convoy (issue 5, "Location").

Occasions
    An occasion is a pair of reads, one of each mark, by the same camera within
    ``window_seconds`` of each other (a gap equal to the window is inside it), in the same
    direction of travel where both reads give one (``same_direction``; a read with no direction
    pairs with either). Either vehicle may be ahead. Only reads with an exact time take part (a
    read in the repeated autumn hour could be either of two instants an hour apart), and only
    reads with a mark (``vrm`` not empty). A pair is reported when its occasions are at
    ``min_cameras`` distinct cameras or more, on ``min_days`` distinct UTC days or more (the day
    of the earlier read). A vehicle read twice by one camera within the window (two lanes, a
    double read) can make two occasions there; the score counts each camera once.

Marks are matched exactly (requirement 61): a misread mark (``UA74 R0V`` for ``UA74 ROV``) is
another mark, and nothing here matches marks loosely. So a misread splits one vehicle's reads
between two marks, and a pair can lose occasions to misreads; it never gains any.

The score: how rarely would a vehicle have company at these cameras by chance?
    Each camera's traffic is estimated from the evidence: its read rate ``r_c = n_c / T_c``, *n_c*
    being the reads it made with an exact time (of any mark, the whole evidence, whatever
    ``since``/``until``, so a camera's weight does not change as the period is narrowed) and
    *T_c* the span from its first such read to its last, at least one hour (a camera with a
    handful of reads minutes apart would otherwise get an absurd rate from a span of seconds).

    Model: reads at a camera arrive as a Poisson process at the camera's average rate. Then the
    chance that a vehicle read there has at least one other read within the window either side
    of its own, by coincidence, is ``p_c = 1 - exp(-r_c * 2 * window)``: about ``r_c * 2 *
    window`` on a quiet camera, and close to 1 on a busy one (where company is expected). A
    pair's score is the sum, over the distinct cameras where it was read together, of
    ``-ln p_c`` (in nats; divide by ln 10 for powers of ten). Treating cameras as independent,
    ``exp(-score)`` is the chance that a vehicle passing those cameras would have *some* company
    within the window at *every one* of them by coincidence. Company by one *given* other
    vehicle is rarer still (its reads are only part of the traffic), so the score understates
    how surprising the pair is under the model: it is a conservative measure. Five occasions at
    quiet cameras (a few reads an hour: ``-ln p`` about 4 each) score far above five at
    motorway cameras (thousands an hour: ``-ln p`` near 0 each).

Assumptions, and how far the score goes
    * Steady traffic: the rate is a camera's average over its span. Traffic peaks (rush hour)
      make company likelier than the average says, so co-reads at peak times are overstated.
    * Independence between cameras: two unrelated vehicles in one stream of traffic are often
      read together at consecutive cameras on one road, and cameras at one site (one per lane
      or carriageway) see the same traffic; such runs are overstated. ``min_days`` (the same
      pair on different days) guards against chance streams better than more cameras do.
    * The traffic is what the evidence holds: an export of only the vehicles of interest
      undercounts every camera's traffic, so its rates are too low and its scores too high.
      Scores are comparable within one body of evidence, and best with the cameras' full
      traffic for the period.
    * Many pairs are tested at once: across millions of vehicles, some unrelated pairs score
      well by chance. The score ranks leads for an analyst, with its reasons; it is not
      evidence of association (requirement 44) and not the chance that the two were not
      travelling together.

A read is of a plate, not of a vehicle or its driver: cloned plates exist, and who drove is a
separate question. Every finding says so, cites the reads of both marks on each occasion and
the camera-list rows that name the sites (requirement 20), and gives times in UTC (requirement
22).

The SQL is standard (a grouped window, equi-joins, ``FLOOR``; ``epoch`` and ``list_contains``
are ``unix_timestamp`` and ``array_contains`` in Spark) with bound parameters only. The
self-join is bounded by camera and time: each read's *slot* is its camera's index times 2^32
plus ``FLOOR(epoch / window)``, so two reads within the window of each other at one camera are
in the same slot or adjacent slots; the join is two equi-joins on the slot (the same slot, the
next slot) with the exact gap filtered after. Its cost follows the reads and the pairs found,
not the square of a camera's traffic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import instant_phrase, period_phrase
from threadline.model.finding import Finding
from threadline.model.vrm import normalise_vrm

__all__ = ["CONVOY_CAVEATS", "Convoys", "ConvoysParameters", "normalise_vrms"]

#: The caveats every convoy finding ends with (and carries in its detail).
CONVOY_CAVEATS: Final = (
    "A read is of a plate, not of a vehicle or its driver: cloned plates exist, and who was "
    "driving either vehicle is a separate question.",
    "Being read together is consistent with travelling together, not proof of it.",
    "A misread plate splits one vehicle into two marks: marks are matched exactly, so reads "
    "under a misread mark are not counted here.",
)

#: The shortest span a camera's rate is taken over, in seconds (see the module docstring).
MIN_SPAN_SECONDS: Final = 3600.0

# A read's slot: camera index * 2^32 + FLOOR(epoch / window). 2^32 one-second buckets run from
# 1970 to 2106, so slots of different cameras do not meet; the join compares the cameras as
# well, so reads from before 1970 (a negative epoch) cannot pair across cameras either.
_SLOT_STRIDE: Final = 4294967296

# The columns each side of an occasion carries through the self-join: as few and as narrow as
# will do (row ids and instants are fetched afterwards for the pairs reported only).
_SIDE_COLUMNS: Final = ("vrm", "t", "direction")


def normalise_vrms(values: list[str]) -> list[str]:
    """Marks as given by a user (``tn24-hxr``, ``TN24 HXR``) normalised, sorted, once each.

    Raises:
        ValueError: a value cannot be a registration mark (pydantic reports it with its field).
    """
    out = set()
    for value in values:
        vrm = normalise_vrm(value)
        if vrm is None:
            raise ValueError(f"{value!r} is not a vehicle registration mark")
        out.add(vrm.value)
    return sorted(out)


class ConvoysParameters(Parameters):
    """Parameters of :class:`Convoys`.

    Attributes:
        vrms: only pairs involving one of these marks (any written form); empty for all pairs.
        window_seconds: the longest gap between the two reads of an occasion (inclusive).
        min_cameras: the fewest distinct cameras a pair must be read together at.
        min_days: the fewest distinct UTC days with an occasion.
        same_direction: pair two reads only when their directions agree (where both are known).
        since: only reads from this instant (UTC).
        until: only reads before this instant (UTC).
        top: at most this many pairs, highest score first.
    """

    vrms: list[str] = Field(default_factory=list)
    window_seconds: int = Field(default=60, ge=1, le=3600)
    min_cameras: int = Field(default=3, ge=2)
    min_days: int = Field(default=1, ge=1)
    same_direction: bool = True
    since: datetime | None = None
    until: datetime | None = None
    top: int = Field(default=100, ge=1, le=100_000)

    @field_validator("vrms", mode="after")
    @classmethod
    def _marks(cls, value: list[str]) -> list[str]:
        return normalise_vrms(value)


def _ordered_sides() -> str:
    # The next-slot join finds each pair once with the earlier read as x; an occasion names
    # the lower mark first, so swap the sides where x's mark is the higher.
    swap = "x.vrm < y.vrm"
    return ",\n".join(
        f"CASE WHEN {swap} THEN x.{c} ELSE y.{c} END AS {c}1, "
        f"CASE WHEN {swap} THEN y.{c} ELSE x.{c} END AS {c}2"
        for c in _SIDE_COLUMNS
    )


def occasions_sql() -> str:
    """A query of every occasion: ``vrm1 < vrm2``, their reads' ``t`` (epoch seconds) and
    ``direction`` (1 and 2), and ``cam``, the camera's index. It reads a common table expression
    the caller defines, ``reads`` (``vrm``, ``t``, ``direction``, ``cam``, ``slot``), and binds
    ``$window``, ``$same_direction`` and ``$vrms``. A read held in two exhibits makes its
    occasions twice: take them ``DISTINCT`` where that matters."""
    same = ", ".join(f"x.{c} AS {c}1, y.{c} AS {c}2" for c in _SIDE_COLUMNS)
    agree = (
        "(NOT $same_direction OR x.direction IS NULL OR y.direction IS NULL "
        "OR x.direction = y.direction)"
    )
    return f"""
    SELECT * FROM (
        -- the same slot: each unordered pair once, the lower mark as x
        SELECT {same}, x.cam
        FROM reads AS x
        JOIN reads AS y ON y.slot = x.slot AND y.cam = x.cam AND x.vrm < y.vrm
        WHERE ABS(y.t - x.t) <= $window AND {agree}
        UNION ALL
        -- the next slot: each pair once, the earlier read as x
        SELECT {_ordered_sides()}, x.cam
        FROM reads AS x
        JOIN reads AS y ON y.slot = x.slot + 1 AND y.cam = x.cam AND x.vrm <> y.vrm
        WHERE y.t - x.t <= $window AND {agree}
    ) AS together
    WHERE len($vrms) = 0 OR list_contains($vrms, vrm1) OR list_contains($vrms, vrm2)
    """


_SQL_TEMPLATE: Final = f"""
WITH cams AS (
    -- each camera's traffic: every read with an exact time, of any mark, the whole evidence
    SELECT camera_id,
           ROW_NUMBER() OVER (ORDER BY camera_id) AS cam,
           COUNT(*) AS reads,
           GREATEST(MAX(epoch(read_utc)) - MIN(epoch(read_utc)), {MIN_SPAN_SECONDS})
               AS span_s,
           MIN(camera_name) AS camera_name
    FROM anpr_reads
    WHERE read_utc IS NOT NULL AND camera_id IS NOT NULL AND camera_id <> ''
    GROUP BY camera_id
),
timed AS (
    SELECT r.vrm, epoch(r.read_utc) AS t, NULLIF(r.direction, '') AS direction, cams.cam,
           cams.cam * {_SLOT_STRIDE} + CAST(FLOOR(epoch(r.read_utc) / $window) AS BIGINT)
               AS slot
    FROM anpr_reads AS r JOIN cams ON cams.camera_id = r.camera_id
    WHERE r.vrm IS NOT NULL AND r.vrm <> '' AND r.read_utc IS NOT NULL
      AND ($since IS NULL OR r.read_utc >= $since)
      AND ($until IS NULL OR r.read_utc < $until)
),
{{reads}}
occasions AS ({occasions_sql()}),
pairs AS (
    SELECT vrm1, vrm2 FROM occasions
    GROUP BY vrm1, vrm2
    HAVING COUNT(DISTINCT cam) >= $min_cameras
       AND COUNT(DISTINCT FLOOR(LEAST(t1, t2) / 86400)) >= $min_days
),
weights AS (
    SELECT cam, camera_id, camera_name, reads, span_s,
           reads * 3600.0 / span_s AS per_hour,
           1.0 - EXP(-(reads / span_s) * 2.0 * $window) AS p,
           -LN(1.0 - EXP(-(reads / span_s) * 2.0 * $window)) AS weight
    FROM cams
),
scored AS (
    SELECT shared.vrm1, shared.vrm2, SUM(weights.weight) AS score
    FROM (
        SELECT DISTINCT occasions.vrm1, occasions.vrm2, occasions.cam
        FROM occasions JOIN pairs
          ON pairs.vrm1 = occasions.vrm1 AND pairs.vrm2 = occasions.vrm2
    ) AS shared
    JOIN weights ON weights.cam = shared.cam
    GROUP BY shared.vrm1, shared.vrm2
),
chosen AS (
    SELECT * FROM (
        SELECT *, ROW_NUMBER() OVER (ORDER BY score DESC, vrm1, vrm2) AS rank FROM scored
    ) AS ranked
    WHERE rank <= $top
),
reported AS (
    SELECT DISTINCT chosen.rank, chosen.score, occasions.*
    FROM occasions
    JOIN chosen ON chosen.vrm1 = occasions.vrm1 AND chosen.vrm2 = occasions.vrm2
),
wanted AS (
    SELECT vrm1 AS vrm, cam, t1 AS t FROM reported
    UNION
    SELECT vrm2 AS vrm, cam, t2 AS t FROM reported
),
cited AS (
    -- the rows of the reads reported: every row of that mark at that camera at that instant
    -- (a read held in two exhibits is one read with two rows)
    SELECT wanted.vrm, wanted.cam, wanted.t, MIN(r.read_utc) AS read_utc,
           LIST(r.row_id ORDER BY r.row_id) AS row_ids
    FROM anpr_reads AS r
    JOIN cams ON cams.camera_id = r.camera_id
    JOIN wanted
      ON wanted.vrm = r.vrm AND wanted.cam = cams.cam AND wanted.t = epoch(r.read_utc)
    GROUP BY wanted.vrm, wanted.cam, wanted.t
),
listed AS (
    -- one camera-list row per camera id (a camera listed twice: the first exhibit's, first row)
    SELECT camera_id, site_name, road, row_id AS camera_row FROM (
        SELECT camera_id, site_name, road, row_id,
               ROW_NUMBER() OVER (PARTITION BY camera_id ORDER BY exhibit_id, row_id) AS nth
        FROM anpr_cameras WHERE camera_id IS NOT NULL AND camera_id <> ''
    ) AS numbered
    WHERE nth = 1
)
SELECT reported.rank, reported.score, reported.vrm1, reported.vrm2,
       reported.t1, reported.t2, reported.direction1, reported.direction2,
       one.read_utc AS read_utc1, two.read_utc AS read_utc2,
       one.row_ids AS row_ids1, two.row_ids AS row_ids2,
       weights.camera_id, weights.reads, weights.span_s, weights.per_hour, weights.p,
       weights.weight,
       COALESCE(listed.site_name, weights.camera_name) AS site, listed.road, listed.camera_row
FROM reported
JOIN cited AS one ON one.vrm = reported.vrm1 AND one.cam = reported.cam AND one.t = reported.t1
JOIN cited AS two ON two.vrm = reported.vrm2 AND two.cam = reported.cam AND two.t = reported.t2
JOIN weights ON weights.cam = reported.cam
LEFT JOIN listed ON listed.camera_id = weights.camera_id
ORDER BY reported.rank, LEAST(reported.t1, reported.t2), weights.camera_id,
         reported.t1, reported.t2, reported.direction1, reported.direction2
"""


#: Every read takes part.
_ALL_READS: Final = "reads AS (SELECT * FROM timed),"

#: Only reads in a focus mark's slot or the slots either side: the self-join shrinks to the
#: focus marks' neighbourhoods, so a focused run is quick whatever the size of the evidence.
_FOCUS_READS: Final = """focus AS (SELECT DISTINCT slot FROM timed WHERE list_contains($vrms, vrm)),
near AS (
    SELECT slot FROM focus
    UNION SELECT slot - 1 FROM focus
    UNION SELECT slot + 1 FROM focus
),
reads AS (SELECT * FROM timed WHERE slot IN (SELECT slot FROM near)),"""


def convoys_sql(focused: bool) -> str:
    """The whole query; ``focused`` when ``$vrms`` names marks (the result is the same either
    way, the focused form only reads less)."""
    return _SQL_TEMPLATE.replace("{reads}", _FOCUS_READS if focused else _ALL_READS)


class Convoys:
    """Pairs of marks read together at several cameras, scored against each camera's traffic
    (see the module docstring). Requirements 20, 22, 44, 61."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="convoys",
        version="1.0.0",
        title="Convoys (ANPR)",
        summary="Pairs of vehicle marks read by the same camera within seconds of each other at "
        "several distinct cameras, scored by how rarely a vehicle has company at those cameras "
        "by chance given each camera's traffic; consistent with travelling together, not proof.",
        tables=("anpr_reads", "anpr_cameras"),
        parameters=ConvoysParameters,
        requirements=(20, 22, 44, 61),
    )

    def run(self, evidence: Evidence, parameters: ConvoysParameters) -> list[Finding]:
        """The pairs read together at ``min_cameras`` cameras or more, highest score first (at
        most ``top``)."""
        rows = evidence.rows(
            convoys_sql(bool(parameters.vrms)),
            {
                "vrms": parameters.vrms,
                "window": parameters.window_seconds,
                "same_direction": parameters.same_direction,
                "min_cameras": parameters.min_cameras,
                "min_days": parameters.min_days,
                "since": parameters.since,
                "until": parameters.until,
                "top": parameters.top,
            },
        )
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            grouped[row["rank"]].append(row)
        return [_finding(grouped[rank], parameters) for rank in sorted(grouped)]


def _label(camera_id: str, site: str | None, road: str | None) -> str:
    """``CAM-Q1 (Mill Lane, B9001)``, or the bare id where nothing names the site."""
    named = ", ".join(part for part in (site, road) if part)
    return f"{camera_id} ({named})" if named else camera_id


def _odds_phrase(score: float) -> str:
    """``about 1 in 4.3 x 10^5`` for exp(-score), written so that large scores do not
    underflow."""
    decades = score / math.log(10)
    if decades < 3:
        return f"about 1 in {math.exp(score):.3g}"
    exponent = math.floor(decades)
    return f"about 1 in {10 ** (decades - exponent):.2g} x 10^{exponent}"


def _finding(occasions: list[dict[str, Any]], parameters: ConvoysParameters) -> Finding:
    first_row = occasions[0]
    one, two = first_row["vrm1"], first_row["vrm2"]
    score = float(first_row["score"])
    window = parameters.window_seconds
    cameras: dict[str, dict[str, Any]] = {}
    listed: list[dict[str, Any]] = []
    row_ids: set[str] = set()
    days: set[int] = set()
    for occasion in occasions:
        camera_id = occasion["camera_id"]
        label = _label(camera_id, occasion["site"], occasion["road"])
        camera = cameras.setdefault(
            camera_id,
            {
                "camera_id": camera_id,
                "site": occasion["site"],
                "road": occasion["road"],
                "reads": occasion["reads"],
                "span_hours": round(float(occasion["span_s"]) / 3600, 4),
                "reads_per_hour": round(float(occasion["per_hour"]), 4),
                "p_coincidence": float(f"{float(occasion['p']):.8g}"),
                "weight": round(float(occasion["weight"]), 4),
                "occasions": 0,
            },
        )
        camera["occasions"] += 1
        row_ids.update(occasion["row_ids1"])
        row_ids.update(occasion["row_ids2"])
        if occasion["camera_row"]:
            row_ids.add(occasion["camera_row"])
        t1, t2 = float(occasion["t1"]), float(occasion["t2"])
        days.add(math.floor(min(t1, t2) / 86400))
        listed.append(
            {
                "camera_id": camera_id,
                "place": label,
                "site": occasion["site"],
                "road": occasion["road"],
                "time_1": occasion["read_utc1"].isoformat(),
                "time_2": occasion["read_utc2"].isoformat(),
                "gap_seconds": abs(t2 - t1),
                "ahead": one if t1 < t2 else two if t2 < t1 else None,
                "direction_1": occasion["direction1"],
                "direction_2": occasion["direction2"],
                "rows_1": list(occasion["row_ids1"]),
                "rows_2": list(occasion["row_ids2"]),
            }
        )
    times = [o[k] for o in occasions for k in ("read_utc1", "read_utc2")]
    first, last = min(times), max(times)
    direction = (
        " in the same direction (where both reads give one)" if parameters.same_direction else ""
    )
    per_camera = "; ".join(
        f"{_label(c['camera_id'], c['site'], c['road'])}: {c['occasions']} occasion(s), "
        f"{c['reads']} reads over {c['span_hours']:g} h ({c['reads_per_hour']:.4g} reads an hour), "
        f"chance of company by coincidence {c['p_coincidence']:.3g}, -ln p = {c['weight']:.4f}"
        for c in cameras.values()
    )
    opening = listed[0]
    explanation = (
        f"{one} and {two} were read by the same camera{direction} within {window} seconds of "
        f"each other at {len(cameras)} distinct camera(s) on {len(days)} day(s) (UTC), "
        f"{len(listed)} occasion(s) {period_phrase(first, last)}. The first: {opening['place']} "
        f"read {one} at {instant_phrase(occasions[0]['read_utc1'])} and {two} at "
        f"{instant_phrase(occasions[0]['read_utc2'])} ({opening['gap_seconds']:g} s apart). "
        f"Cameras: {per_camera}. Score {score:.4f}: the sum over these cameras of -ln p, p being "
        f"the chance that a vehicle read there has some other vehicle read within {window} s "
        "of it by coincidence, from the camera's traffic in this evidence (reads arriving at "
        "random at the camera's average rate), so a busy road counts for little. Taking the "
        "cameras as independent, the chance of such company at every one of them by "
        f"coincidence is {_odds_phrase(score)}; traffic peaks, consecutive cameras on one road "
        "and an export holding only some vehicles' reads all make it likelier than that. The "
        "score ranks leads for an analyst; it is not evidence of association, nor the chance "
        "that the two were not travelling together. "
    )
    explanation += " ".join(CONVOY_CAVEATS)
    return Finding(
        kind="convoy",
        subjects=(one, two),
        explanation=explanation,
        derived_from=tuple(sorted(row_ids)),
        score=round(score, 4),
        detail={
            "vrm1": one,
            "vrm2": two,
            "window_seconds": window,
            "same_direction": parameters.same_direction,
            "cameras": len(cameras),
            "days": len(days),
            "occasions": len(listed),
            "occasion_list": listed,
            "camera_list": list(cameras.values()),
            "log10_chance_of_company_everywhere": round(-score / math.log(10), 4),
            "time_basis": "UTC",
            "caveats": list(CONVOY_CAVEATS),
        },
        first_utc=first,
        last_utc=last,
    )
