"""Vehicle and phone: a vehicle's ANPR reads and a phone's cell uses, close in time and place.

"The driver's phone and the vehicle moved together" (issue 5, "Location"): when the phone a
suspect uses is carried in a vehicle, the cameras that read the vehicle's mark stand near the
cells the phone uses at about the same times, camera after camera. Each pair of a registration
mark (VRM) and a telephone number with such **occasions** at several distinct cameras gets a
finding listing every occasion, scored by how unlikely the two are to meet there by coincidence,
given how often *each* is seen there.

Subjects
    ``numbers``: the phones to follow (empty: the case's targets; one at least is needed).
    ``vrms``: the marks to follow (empty: every mark read in the evidence, so the question "which
    vehicle travels with this phone?" can be asked of a target's number alone). Marks are matched
    exactly (requirement 61): a misread mark is another mark.

The phone's uses
    From :func:`threadline.analysis.cell_site.placements_sql`: each call's start and end cell,
    each message's cell, each data record's start and end cell, placed for the **subscriber**
    only (never the other party). Only uses with an exact time take part. A call or message is
    an instant; a data record says only that its cell was used **at or before** its time
    (requirement 26), so it is the span from ``data_lookback_minutes`` before that time up to it,
    as in :mod:`threadline.analysis.co_location`. Rows that record one number on one cell over the
    same span (a return supplied twice, a call that starts and ends on one cell in the same
    second) are one use citing all of them. A call that starts on one cell and ends on another
    is two uses: two observations of the phone at two times.

Where the cell and the camera are
    A cell's position is its reference row's latitude and longitude: the operator's listing with
    a position, else a crowd-sourced one (an estimate of the cell's centre from volunteers'
    phones, not a mast position: every occasion resting on one says so, and the finding carries
    :data:`~threadline.analysis.cell_wording.CROWD_SOURCED_CAVEAT`). A cell with no position in
    the reference data (or not in it at all) cannot be near anything and makes no occasion. A
    camera's position is its camera-list row with a position (the lowest exhibit and row id),
    else the position the read export gives for it where all its reads agree; a camera with
    neither makes no occasion.

    A cell is **near** a camera when the great-circle (haversine) distance between the camera
    and the cell's listed position is at most ``max_distance_km`` (inclusive), on a sphere of
    radius :data:`EARTH_RADIUS_KM`. It is a distance to the *mast* (or estimate), not to the
    phone: a cell serves an area that can reach well beyond its mast, which is why the default
    (3 km) is generous, and why nearness is never stated as the phone's position (requirement
    27).

Occasions (each read and each use at most once)
    An occasion is a read of mark V by camera C and a use by number P of a cell near C, the gap
    between the read's instant and the use's span at most ``window_minutes`` (a gap equal to the
    window is inside it; a read inside a data record's look-back has gap 0). Reads held in two
    exhibits (the same mark, camera and instant) are one read citing both rows. For each pair
    (V, P), each read and each use takes part in at most one occasion: a candidate counts only
    when each side is the other's nearest (smallest gap, then the nearer cell, then the earlier,
    then the lower key). So a burst of calls near one camera is one occasion, not many, and one
    long data record cannot stand for two cameras; like co-location's pairing this is
    conservative (never more occasions than a best one-to-one pairing). A pair is reported when
    its occasions are at ``min_cameras`` distinct cameras or more (default 3: one camera near a
    home cell, passed every day, is weak) on ``min_days`` distinct UTC days or more (the day of
    the read). Only occasions in ``[since, until)`` count (the read and the use both inside).

The score: how unlikely are so many meetings by coincidence?
    A coincidence probability, as in :mod:`threadline.analysis.convoys`, but from the pair's own
    traffic rather than the camera's. The null hypothesis is that the vehicle's reads and the
    phone's uses are unrelated. The cameras that count are every camera **where both were
    seen**: V read by it, and P using a cell near it, at any time in the whole evidence (whatever
    ``since`` and ``until``, so the expectation does not change as the period is narrowed).
    At each such camera C take:

    * ``n`` = the distinct reads of V by C;
    * ``S`` = the phone's *catch time* near C: the sum over P's uses of cells near C of the time
      around each use in which a read would make an occasion, ``2 * window`` for a call or
      message, ``2 * window + look-back`` for a data record;
    * ``T`` = the longer of V's span (first read to last, any camera) and P's span (first use to
      last, any cell), at least the longest catch time ``2 * window + look-back``.

    If the events of the party seen over the longer span fell at random over it (a Poisson
    process, independently of the other party), the expected number of meetings at C is
    ``E = n * S / T``, and the number of meetings at all those cameras is Poisson with mean
    ``L``, the sum of their ``E``. With ``M`` the pair's occasions (counted one-to-one, as
    above), the score is ``-ln P(X >= M)`` for X Poisson with mean ``L`` (nats; divide by ln 10
    for powers of ten; computed without underflow by :func:`log_poisson_tail`).

    * Repetition counts: a phone carried in a vehicle for months meets it hundreds of times
      where tens would be expected, and scores accordingly. (Counting each camera once, as
      convoys does, left the demo's driver with a score near 0: he passes the same cameras
      twice a day, so *some* meeting at each is expected however unrelated the two were.)
    * Every camera where both were seen counts in ``L``, met or not: a vehicle read by fifty
      cameras and a phone used near many of them will meet at *some* three by chance far more
      often than at three named in advance. Scoring only the cameras met ranked such chance
      pairs with a planted phone in the benchmark (docs/analysis-anpr.md).
    * A camera the two pass every day has a large ``E``, so meetings there add little.
    * Repetition at one time of day is the weak point: a neighbour's car leaving at 07:30 every
      morning and a phone used at 07:35 every morning at home meet daily, far more often than a
      uniform-time model expects. That is why the score is not the test of movement: a pair is
      reported only with occasions at ``min_cameras`` distinct cameras, and the explanation
      gives the occasions per camera.

    Why the pair's own rates rather than co-location's rarity ``ln(1 + N/n)`` or convoys' camera
    traffic: what makes a meeting at C unremarkable is that *this* vehicle passes C often and
    *this* phone uses cells near C often (a home, a workplace, a daily route), and ``E`` grows
    with both, so a camera/cell pair the two pass every day counts for almost nothing. How many
    *other* vehicles or numbers pass does not change the chance that these two meet, and with
    windows of minutes and cells kilometres wide a camera's traffic would make nearly every
    camera look busy. Other traffic does matter to the question "which vehicle?": the phone's
    cells cannot tell apart the vehicles in one stream of traffic (a convoy's two vehicles score
    alike), so every occasion reports the other marks the camera read within its window
    (``other_marks``), and a stream-mate passing one or two cameras with the phone is excluded
    by ``min_cameras`` and ``min_days``, not by the score.

Assumptions, and how far the score goes
    * Steady rates: habits at one time of day (a commute, a morning routine) make meetings
      likelier than the model says, so daily meetings at the same hour are overstated; read
      the occasions per camera.
    * Independent meetings: cameras close together share cells, and one stretch of road
      passes several cameras, so a run on one road is overstated.
    * Counts over the whole evidence, the longer span: where the two spans only partly overlap,
      events of one party outside the other's span still count in ``E``, which makes it larger
      (the score errs low). Bursts of uses (many data records in minutes) add catch time that
      overlaps, also making ``E`` larger. A narrowed period keeps every camera where both were
      seen in the whole evidence, but counts only the meetings inside it. All of these err on
      the side of caution.
    * Many pairs are tested when ``vrms`` is empty: among thousands of marks some unrelated ones
      score well by chance. The score ranks leads for an analyst, with its reasons; it is not
      evidence of association (requirement 44), nor the chance that the phone did not travel in
      the vehicle.

The words: a camera *read a mark*; the phone *used a cell* whose listed position is a distance
from the camera; the two are "consistent with" the phone travelling with the vehicle, not proof
of it. Nothing says a phone or a vehicle "was at" a place (requirement 27); every finding carries
:data:`VEHICLE_PHONE_CAVEATS` and the standard cell-site caveats (requirement 25), cites the
rows of every occasion (the read's rows, the use's rows, the camera-list row and the cell
reference row: requirement 20; the counts behind ``E`` rest on more rows, not cited, as a
camera's traffic is not in convoys), and gives times in UTC (requirement 22).

How it scales
    The cameras-by-cells table is small (the cameras with a position, by the cells the chosen
    numbers used) and is measured once: cells and cameras fall in latitude bands one search
    distance high, so only a camera's band and the two beside it are measured, by equi-join.
    Each use is expanded to the cameras near its cell and to the one or two time *buckets* of
    width ``2 * window + look-back`` its catch interval touches; reads (of the cameras near any
    such cell only) join to them on (camera, bucket) by equality, and the exact gap is filtered
    after. The cost follows the reads and the candidate occasions, not reads times uses. A
    first query returns, for the pairs with enough cameras, every camera where both were seen
    and every occasion; the Poisson tail is computed in Python; a second query fetches the
    read rows and the other marks for the ``top`` pairs only. The SQL is standard (window functions,
    ``FLOOR``, ``ASIN``, ``RADIANS``; ``epoch``, ``make_timestamptz``, ``LIST``,
    ``list_contains`` and ``UNNEST`` are ``unix_timestamp``, ``timestamp_micros``,
    ``collect_list``, ``array_contains`` and ``explode``/``arrays_zip`` in Spark) with bound
    parameters only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.anpr_cameras import CAMERAS_SQL
from threadline.analysis.cell_site import placements_sql
from threadline.analysis.cell_wording import (
    CROWD_SOURCED,
    CROWD_SOURCED_CAVEAT,
    OPERATOR,
    caveats,
    cell_label,
)
from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.convoys import normalise_vrms
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import instant_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding

__all__ = [
    "EARTH_RADIUS_KM",
    "VEHICLE_PHONE_CAVEATS",
    "VehiclePhone",
    "VehiclePhoneParameters",
    "haversine_km",
    "log_poisson_tail",
]

#: The sphere distances are measured on: the Earth's mean radius (IUGG), in km.
EARTH_RADIUS_KM: Final = 6371.0

# 1 degree of latitude is 111.19 km on that sphere; a pair within d km is within d / 111 degrees
# of latitude, so the band below keeps every pair the haversine would keep.
_KM_PER_DEGREE_FLOOR: Final = 111.0

#: The caveats every finding states (its detail adds the standard cell-site caveats).
VEHICLE_PHONE_CAVEATS: Final = (
    "A read is of a plate, not of a vehicle or its driver: cloned plates exist, and who was "
    "driving is a separate question, as is who was using the phone.",
    "A camera reading the mark close in time to the phone's use of a nearby cell is consistent "
    "with the phone travelling with the vehicle, not proof of it: a cell serves a wide area, and "
    "the phone may have been in another vehicle on the same road, or near the road and not on it.",
    "Distances are from the camera to the position listed for the cell (its mast, or a "
    "crowd-sourced estimate), not to the phone: a cell can serve a phone well beyond its mast.",
    "Marks are matched exactly: reads under a misread mark are not counted here.",
)

#: The most occasions (and cameras without one) an explanation names; the detail lists all.
_IN_WORDS: Final = 10

_MEDIUM_WORDS: Final = {"sms": "an SMS", "mms": "an MMS", "im": "an instant message"}


def haversine_km(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """SQL for the great-circle distance in km between two positions given as SQL expressions
    (degrees), on a sphere of :data:`EARTH_RADIUS_KM` (``LEAST`` guards ``ASIN`` against a
    rounding error just above 1)."""
    return f"""(2 * {EARTH_RADIUS_KM} * ASIN(LEAST(1.0, SQRT(
        POWER(SIN(RADIANS({lat2} - {lat1}) / 2), 2)
        + COS(RADIANS({lat1})) * COS(RADIANS({lat2}))
          * POWER(SIN(RADIANS({lon2} - {lon1}) / 2), 2)
    ))))"""


class VehiclePhoneParameters(Parameters):
    """Parameters of :class:`VehiclePhone`.

    Attributes:
        vrms: the marks to follow (any written form); empty for every mark read.
        numbers: the phones to follow (any written form); empty means the case's targets.
        window_minutes: the longest gap between a read and a use (inclusive).
        max_distance_km: the farthest a cell's listed position may be from the camera
            (inclusive).
        data_lookback_minutes: how long before a data record's time its cell may have been used
            (the record says "at or before"); a stated assumption, 0 for the record's time only.
        min_cameras: the fewest distinct cameras with an occasion for a pair to be reported.
        min_days: the fewest distinct UTC days with an occasion.
        since: only occasions from this instant (UTC; typed text without an offset is UK local).
        until: only occasions before this instant.
        top: at most this many pairs, highest score first.
    """

    vrms: list[str] = Field(default_factory=list)
    numbers: list[str] = Field(default_factory=list)
    window_minutes: float = Field(default=10.0, gt=0, le=240)
    max_distance_km: float = Field(default=3.0, gt=0, le=50)
    data_lookback_minutes: float = Field(default=30.0, ge=0, le=24 * 60)
    min_cameras: int = Field(default=3, ge=1)
    min_days: int = Field(default=1, ge=1)
    since: datetime | None = None
    until: datetime | None = None
    top: int = Field(default=100, ge=1, le=100_000)

    @field_validator("vrms", mode="after")
    @classmethod
    def _marks(cls, value: list[str]) -> list[str]:
        return normalise_vrms(value)

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


_PERIOD_READ: Final = (
    "($since IS NULL OR r.read_utc >= $since) AND ($until IS NULL OR r.read_utc < $until)"
)

_SQL: Final = f"""
WITH wanted AS (SELECT UNNEST($numbers) AS number),
placed AS (
    SELECT number, row_id, medium, phase, cell, at_utc,
           epoch(at_utc) - CASE WHEN medium = 'data' THEN $lookback ELSE 0 END AS from_s,
           epoch(at_utc) AS to_s
    FROM ({placements_sql()}) AS placement
    WHERE at_utc IS NOT NULL AND number IN (SELECT number FROM wanted)
),
uses AS (
    -- one use per number, cell and span, however many rows record it
    SELECT number, cell, from_s, to_s, MIN(at_utc) AS at_utc, MIN(medium) AS medium,
           MIN(phase) AS phase, LIST(row_id ORDER BY row_id) AS use_rows,
           ROW_NUMBER() OVER (ORDER BY number, cell, from_s, to_s) AS use_id
    FROM placed
    GROUP BY number, cell, from_s, to_s
),
phone_span AS (
    SELECT number, MIN(from_s) AS first_s, MAX(to_s) AS last_s FROM uses GROUP BY number
),
cell_positions AS (
    -- the operator's listing with a position, else a crowd-sourced one
    SELECT cell_id, site_name, address, postcode, latitude, longitude, position_basis,
           row_id AS cell_row
    FROM (
        SELECT cell_id, site_name, address, postcode, latitude, longitude, position_basis,
               row_id,
               ROW_NUMBER() OVER (
                   PARTITION BY cell_id
                   ORDER BY CASE WHEN position_basis = '{OPERATOR}' THEN 0 ELSE 1 END,
                            exhibit_id, row_id
               ) AS nth
        FROM cell_sites
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL
          AND cell_id IN (SELECT cell FROM uses)
    ) AS positioned
    WHERE nth = 1
),
listed AS (
    -- one camera-list row per camera (anpr_cameras.CAMERAS_SQL)
    SELECT camera_id, site_name, road, latitude, longitude, row_id AS camera_row
    FROM ({CAMERAS_SQL}) AS chosen
),
exported AS (
    -- the read export's own position for a camera, where its reads give one and agree on it
    SELECT camera_id, MIN(camera_name) AS camera_name,
           MIN(latitude) AS latitude, MIN(longitude) AS longitude
    FROM anpr_reads
    WHERE camera_id IS NOT NULL AND camera_id <> ''
      AND latitude IS NOT NULL AND longitude IS NOT NULL
    GROUP BY camera_id
    HAVING MIN(latitude) = MAX(latitude) AND MIN(longitude) = MAX(longitude)
),
cameras AS (
    SELECT camera_id, site_name, road, camera_name, camera_row, latitude, longitude,
           camera_basis
    FROM (
        SELECT COALESCE(listed.camera_id, exported.camera_id) AS camera_id,
               listed.site_name, listed.road, exported.camera_name, listed.camera_row,
               CASE WHEN listed.latitude IS NOT NULL AND listed.longitude IS NOT NULL
                    THEN listed.latitude ELSE exported.latitude END AS latitude,
               CASE WHEN listed.latitude IS NOT NULL AND listed.longitude IS NOT NULL
                    THEN listed.longitude ELSE exported.longitude END AS longitude,
               CASE WHEN listed.latitude IS NOT NULL AND listed.longitude IS NOT NULL
                    THEN 'camera list' ELSE 'read export' END AS camera_basis
        FROM listed FULL OUTER JOIN exported ON exported.camera_id = listed.camera_id
    ) AS placed_cameras
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL
),
banded_cells AS (
    -- latitude bands one search distance high: a cell within reach of a camera is in the
    -- camera's band or the one either side, so the pairs to measure come by equi-join
    SELECT cell_id, latitude, longitude,
           CAST(FLOOR(latitude / ($max_km / {_KM_PER_DEGREE_FLOOR})) AS BIGINT) AS band
    FROM cell_positions
),
banded_cameras AS (
    SELECT camera_id, latitude, longitude, band + shift AS band
    FROM (
        SELECT camera_id, latitude, longitude,
               CAST(FLOOR(latitude / ($max_km / {_KM_PER_DEGREE_FLOOR})) AS BIGINT) AS band
        FROM cameras
    ) AS banded
    CROSS JOIN (SELECT -1 AS shift UNION ALL SELECT 0 UNION ALL SELECT 1) AS shifts
),
near AS (
    -- camera x cell within the distance: small (cameras with a position by the chosen
    -- numbers' cells, and only neighbouring bands measured)
    SELECT camera_id, cell_id AS cell, km
    FROM (
        SELECT banded_cameras.camera_id, banded_cells.cell_id,
               {
    haversine_km(
        "banded_cameras.latitude",
        "banded_cameras.longitude",
        "banded_cells.latitude",
        "banded_cells.longitude",
    )
} AS km
        FROM banded_cameras JOIN banded_cells ON banded_cells.band = banded_cameras.band
    ) AS measured
    WHERE km <= $max_km
),
use_near AS (
    SELECT uses.use_id, uses.number, uses.from_s, uses.to_s, near.camera_id, near.cell,
           near.km
    FROM uses JOIN near ON near.cell = uses.cell
    WHERE ($since IS NULL OR uses.at_utc >= $since) AND ($until IS NULL OR uses.at_utc < $until)
),
use_buckets AS (
    -- the one or two buckets a use's catch interval [from - window, to + window] touches
    -- (it is at most one bucket long)
    SELECT *, CAST(FLOOR((from_s - $window) / $bucket) AS BIGINT) AS bucket FROM use_near
    UNION ALL
    SELECT *, CAST(FLOOR((to_s + $window) / $bucket) AS BIGINT) AS bucket FROM use_near
    WHERE FLOOR((to_s + $window) / $bucket) <> FLOOR((from_s - $window) / $bucket)
),
reads AS (
    SELECT r.vrm, r.camera_id, epoch(r.read_utc) AS t,
           CAST(FLOOR(epoch(r.read_utc) / $bucket) AS BIGINT) AS bucket
    FROM anpr_reads AS r
    WHERE r.vrm IS NOT NULL AND r.vrm <> '' AND r.read_utc IS NOT NULL
      AND r.camera_id IN (SELECT camera_id FROM near)
      AND (len($vrms) = 0 OR list_contains($vrms, r.vrm))
      AND {_PERIOD_READ}
),
candidates AS (
    SELECT reads.vrm, use_buckets.number, reads.camera_id, reads.t,
           use_buckets.use_id, use_buckets.cell, use_buckets.km,
           use_buckets.from_s, use_buckets.to_s,
           GREATEST(0.0, reads.t - use_buckets.to_s, use_buckets.from_s - reads.t) AS gap_s
    FROM reads
    JOIN use_buckets
      ON use_buckets.camera_id = reads.camera_id AND use_buckets.bucket = reads.bucket
    WHERE reads.t >= use_buckets.from_s - $window AND reads.t <= use_buckets.to_s + $window
),
ranked AS (
    -- RANK, not ROW_NUMBER: a read held in two exhibits is two identical candidates, tied
    -- first on both sides, and made one below
    SELECT *,
           RANK() OVER (
               PARTITION BY vrm, number, camera_id, t ORDER BY gap_s, km, to_s, use_id
           ) AS read_rank,
           RANK() OVER (
               PARTITION BY vrm, number, use_id ORDER BY gap_s, km, t, camera_id
           ) AS use_rank
    FROM candidates
),
occasions AS (
    SELECT DISTINCT vrm, number, camera_id, t, use_id, cell, km, from_s, to_s, gap_s
    FROM ranked WHERE read_rank = 1 AND use_rank = 1
),
pairs AS (
    SELECT vrm, number FROM occasions
    GROUP BY vrm, number
    HAVING COUNT(DISTINCT camera_id) >= $min_cameras
       AND COUNT(DISTINCT FLOOR(t / 86400)) >= $min_days
),
vehicle_seen AS (
    -- each reported mark's reads by each camera, once per instant (whole evidence)
    SELECT vrm, camera_id, COUNT(DISTINCT read_utc) AS vehicle_reads,
           MIN(read_utc) AS first_utc, MAX(read_utc) AS last_utc
    FROM anpr_reads
    WHERE read_utc IS NOT NULL AND vrm IN (SELECT vrm FROM pairs)
    GROUP BY vrm, camera_id
),
vehicle_span AS (
    SELECT vrm, epoch(MIN(first_utc)) AS first_s, epoch(MAX(last_utc)) AS last_s
    FROM vehicle_seen
    GROUP BY vrm
),
phone_at AS (
    -- each reported number's uses of cells near each camera, and their catch time
    SELECT uses.number, near.camera_id, COUNT(*) AS phone_uses,
           SUM(uses.to_s - uses.from_s + 2 * $window) AS catch_s
    FROM uses JOIN near ON near.cell = uses.cell
    WHERE uses.number IN (SELECT number FROM pairs)
    GROUP BY uses.number, near.camera_id
),
opportunities AS (
    -- every camera where both were seen: the mark read by it, the phone using a cell near it
    SELECT pairs.vrm, pairs.number, vehicle_seen.camera_id, vehicle_seen.vehicle_reads,
           phone_at.phone_uses, phone_at.catch_s,
           GREATEST(vehicle_span.last_s - vehicle_span.first_s,
                    phone_span.last_s - phone_span.first_s, $bucket) AS span_s
    FROM pairs
    JOIN vehicle_seen ON vehicle_seen.vrm = pairs.vrm
    JOIN phone_at
      ON phone_at.number = pairs.number AND phone_at.camera_id = vehicle_seen.camera_id
    JOIN vehicle_span ON vehicle_span.vrm = pairs.vrm
    JOIN phone_span ON phone_span.number = pairs.number
)
SELECT opportunities.*,
       opportunities.vehicle_reads * opportunities.catch_s / opportunities.span_s AS expected,
       occasions.t, occasions.km, occasions.gap_s, occasions.from_s, occasions.to_s,
       uses.cell, uses.at_utc AS use_utc, uses.medium, uses.phase, uses.use_rows,
       cameras.site_name AS camera_site, cameras.road, cameras.camera_name, cameras.camera_row,
       cameras.camera_basis,
       cell_positions.site_name AS cell_site, cell_positions.address, cell_positions.postcode,
       cell_positions.position_basis, cell_positions.cell_row
FROM opportunities
JOIN cameras ON cameras.camera_id = opportunities.camera_id
LEFT JOIN occasions
  ON occasions.vrm = opportunities.vrm AND occasions.number = opportunities.number
 AND occasions.camera_id = opportunities.camera_id
LEFT JOIN uses ON uses.use_id = occasions.use_id
LEFT JOIN cell_positions ON cell_positions.cell_id = uses.cell
ORDER BY opportunities.vrm, opportunities.number, opportunities.camera_id, occasions.t
"""

#: The reported occasions' read rows and company, fetched for the pairs kept only. The
#: occasions come in as parallel lists, zipped by ``UNNEST`` (``arrays_zip`` in Spark).
_DETAIL_SQL: Final = """
WITH chosen AS (
    SELECT UNNEST($vrms) AS vrm, UNNEST($numbers) AS number, UNNEST($cameras) AS camera_id,
           UNNEST($times) AS t, UNNEST($froms) AS from_s, UNNEST($tos) AS to_s
),
nearby AS (
    -- the reads of those cameras over the period the occasions' catch intervals span
    SELECT vrm, camera_id, row_id, NULLIF(direction, '') AS direction, read_utc,
           epoch(read_utc) AS t
    FROM anpr_reads
    WHERE read_utc >= make_timestamptz($first_us) AND read_utc <= make_timestamptz($last_us)
      AND camera_id IN (SELECT camera_id FROM chosen)
),
read_rows AS (
    -- every row of the read: the mark at that camera at that instant, in any exhibit
    SELECT seen.vrm, seen.camera_id, seen.t, MIN(nearby.read_utc) AS read_utc,
           MIN(nearby.direction) AS direction,
           LIST(nearby.row_id ORDER BY nearby.row_id) AS read_rows
    FROM (SELECT DISTINCT vrm, camera_id, t FROM chosen) AS seen
    JOIN nearby
      ON nearby.vrm = seen.vrm AND nearby.camera_id = seen.camera_id AND nearby.t = seen.t
    GROUP BY seen.vrm, seen.camera_id, seen.t
),
chosen_buckets AS (
    -- the one or two buckets each catch interval touches, as in the main query
    SELECT *, CAST(FLOOR((from_s - $window) / $bucket) AS BIGINT) AS bucket FROM chosen
    UNION ALL
    SELECT *, CAST(FLOOR((to_s + $window) / $bucket) AS BIGINT) AS bucket FROM chosen
    WHERE FLOOR((to_s + $window) / $bucket) <> FLOOR((from_s - $window) / $bucket)
),
company AS (
    -- the other marks the camera read within the use's catch interval
    SELECT chosen_buckets.vrm, chosen_buckets.number, chosen_buckets.camera_id,
           chosen_buckets.t, COUNT(DISTINCT nearby.vrm) AS other_marks
    FROM chosen_buckets
    JOIN nearby
      ON nearby.camera_id = chosen_buckets.camera_id
     AND CAST(FLOOR(nearby.t / $bucket) AS BIGINT) = chosen_buckets.bucket
    WHERE nearby.t >= chosen_buckets.from_s - $window
      AND nearby.t <= chosen_buckets.to_s + $window
      AND nearby.vrm IS NOT NULL AND nearby.vrm <> '' AND nearby.vrm <> chosen_buckets.vrm
    GROUP BY chosen_buckets.vrm, chosen_buckets.number, chosen_buckets.camera_id,
             chosen_buckets.t
)
SELECT chosen.vrm, chosen.number, chosen.camera_id, chosen.t, read_rows.read_utc,
       read_rows.direction, read_rows.read_rows, COALESCE(company.other_marks, 0) AS other_marks
FROM chosen
JOIN read_rows
  ON read_rows.vrm = chosen.vrm AND read_rows.camera_id = chosen.camera_id
 AND read_rows.t = chosen.t
LEFT JOIN company
  ON company.vrm = chosen.vrm AND company.number = chosen.number
 AND company.camera_id = chosen.camera_id AND company.t = chosen.t
"""


def _log_add(a: float, b: float) -> float:
    """ln(e^a + e^b) without overflow or underflow (either may be -inf)."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = max(a, b), min(a, b)
    return high + math.log1p(math.exp(low - high))


def log_poisson_tail(expected: float, count: int) -> float:
    """ln P(X >= count) for X Poisson with mean ``expected`` (> 0).

    Below the mean the tail is large and is 1 minus the terms below ``count``; above it, the
    terms fall from ``count`` on and are added in logarithms from the largest, so a tail of
    1e-400 is a score of 921, not an underflow.
    """
    if count <= 0:
        return 0.0
    log_mean = math.log(expected)

    def log_term(j: int) -> float:
        return -expected + j * log_mean - math.lgamma(j + 1)

    if count <= expected:
        return math.log1p(-math.fsum(math.exp(log_term(j)) for j in range(count)))
    total, j = -math.inf, count
    while True:
        term = log_term(j)
        total = _log_add(total, term)
        if term < total - 40:  # what is left is below e^-40 of the sum
            return total
        j += 1


class VehiclePhone:
    """Pairs of a vehicle mark and a phone number whose reads and cell uses meet, close in time
    and place, at several cameras (see the module docstring). Requirements 20, 22, 25, 26, 27,
    44, 61."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="vehicle_phone",
        version="1.0.0",
        title="Vehicle and phone (ANPR and cell sites)",
        summary="Pairs of a vehicle mark and a phone number where ANPR cameras read the mark "
        "within minutes of the phone using a cell listed within a few kilometres of the camera, "
        "at several distinct cameras, scored by how unlikely so many meetings are by coincidence "
        "given how often each is seen near each camera; consistent with the phone travelling "
        "with the vehicle, not proof.",
        tables=("anpr_reads", "anpr_cameras", "calls", "messages", "data_sessions", "cell_sites"),
        parameters=VehiclePhoneParameters,
        requirements=(20, 22, 25, 26, 27, 44, 61),
    )

    def run(self, evidence: Evidence, parameters: VehiclePhoneParameters) -> list[Finding]:
        """The pairs with occasions at ``min_cameras`` cameras or more, highest score first (at
        most ``top``).

        Raises:
            ConfigError: no numbers were given and the case names no targets.
        """
        numbers = parameters.numbers or sorted(set(evidence.targets))
        if not numbers:
            raise ConfigError("no numbers: give them (numbers) or record the case's targets")
        window = parameters.window_minutes * 60
        lookback = parameters.data_lookback_minutes * 60
        rows = evidence.rows(
            _SQL,
            {
                "numbers": numbers,
                "vrms": parameters.vrms,
                "window": window,
                "lookback": lookback,
                "bucket": 2 * window + lookback,
                "max_km": parameters.max_distance_km,
                "min_cameras": parameters.min_cameras,
                "min_days": parameters.min_days,
                "since": parameters.since,
                "until": parameters.until,
            },
        )
        pairs: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for row in rows:
            pairs[(row["vrm"], row["number"])][row["camera_id"]].append(row)
        # "+ 0.0": a tail of exactly 1 is a score of 0, not -0
        scored = sorted(
            ((-log_poisson_tail(*_trials(cameras)) + 0.0, pair) for pair, cameras in pairs.items()),
            key=lambda item: (-item[0], item[1]),
        )[: parameters.top]
        chosen = [
            row
            for _score, pair in scored
            for camera in pairs[pair].values()
            for row in camera
            if row["t"] is not None
        ]
        if not chosen:
            return []
        froms = [float(r["from_s"]) for r in chosen]
        tos = [float(r["to_s"]) for r in chosen]
        details = {
            (d["vrm"], d["number"], d["camera_id"], d["t"]): d
            for d in evidence.rows(
                _DETAIL_SQL,
                {
                    "vrms": [r["vrm"] for r in chosen],
                    "numbers": [r["number"] for r in chosen],
                    "cameras": [r["camera_id"] for r in chosen],
                    "times": [r["t"] for r in chosen],
                    "froms": froms,
                    "tos": tos,
                    "window": window,
                    "bucket": 2 * window + lookback,
                    # the instants bounding every catch interval, in whole microseconds
                    "first_us": math.floor((min(froms, default=0) - window) * 1e6),
                    "last_us": math.ceil((max(tos, default=0) + window) * 1e6),
                },
            )
        }
        return [_finding(score, pairs[pair], details, parameters) for score, pair in scored]


def _trials(cameras: dict[str, list[dict[str, Any]]]) -> tuple[float, int]:
    """The meetings expected by coincidence at the cameras where both were seen, and the
    occasions there."""
    expected = math.fsum(float(rows[0]["expected"]) for rows in cameras.values())
    occasions = sum(1 for rows in cameras.values() for row in rows if row["t"] is not None)
    return expected, occasions


def _camera_label(row: dict[str, Any]) -> str:
    """``CA1 (Mill Lane, B9001)``, the export's camera name where no list names it, or the
    bare id."""
    named = ", ".join(p for p in (row["camera_site"], row["road"]) if p) or row["camera_name"]
    return f"{row['camera_id']} ({named})" if named else str(row["camera_id"])


def _use_phrase(row: dict[str, Any], label: str) -> str:
    """The phone's use in the approved words: a data record's cell was used *at or before* its
    time (requirement 26)."""
    when = instant_phrase(row["use_utc"])
    medium = row["medium"]
    if medium == "data":
        which = "end" if row["phase"] == "end" else "start"
        return f"the device used {label} at or before the {which} time of a data record, {when}"
    if medium == "call":
        which = "ending" if row["phase"] == "end" else "starting"
        return f"the phone used {label} for a call {which} at {when}"
    return f"the phone used {label} for {_MEDIUM_WORDS.get(medium, 'a message')} at {when}"


def _position_phrase(basis: str | None, km: float) -> str:
    """How far the cell's listed position is from the camera, saying what the position is."""
    if basis == CROWD_SOURCED:
        return f"its crowd-sourced approximate position {km:.2f} km from the camera"
    return f"its mast listed {km:.2f} km from the camera"


def _gap_phrase(gap_s: float) -> str:
    if gap_s == 0:
        return "no gap"
    minutes, seconds = divmod(round(gap_s), 60)
    return f"{minutes} min {seconds} s apart" if seconds else f"{minutes} min apart"


def _odds_phrase(score: float) -> str:
    """exp(-score) as ``about 1 in 23.8`` or ``about 1 in 4.3 x 10^5`` (no underflow)."""
    decades = score / math.log(10)
    if decades < 3:
        return f"about 1 in {math.exp(score):.3g}"
    exponent = math.floor(decades)
    return f"about 1 in {10 ** (decades - exponent):.2g} x 10^{exponent}"


def _camera_entry(first: dict[str, Any], occasions: int) -> dict[str, Any]:
    """A camera where both were seen, with the meetings expected there by coincidence."""
    return {
        "camera_id": first["camera_id"],
        "camera": _camera_label(first),
        "camera_position": first["camera_basis"],
        "vehicle_reads": first["vehicle_reads"],
        "phone_uses": first["phone_uses"],
        "catch_minutes": round(float(first["catch_s"]) / 60, 4),
        "expected": float(f"{float(first['expected']):.6g}"),
        "occasions": occasions,
    }


def _finding(
    score: float,
    cameras: dict[str, list[dict[str, Any]]],
    details: dict[tuple[str, str, str, float], dict[str, Any]],
    parameters: VehiclePhoneParameters,
) -> Finding:
    head = next(iter(cameras.values()))[0]
    vrm, number = head["vrm"], head["number"]
    span_hours = float(head["span_s"]) / 3600
    occasions = sorted(
        (row for rows in cameras.values() for row in rows if row["t"] is not None),
        key=lambda row: (row["t"], row["camera_id"]),
    )
    camera_list = [
        _camera_entry(rows[0], sum(1 for r in rows if r["t"] is not None))
        for rows in cameras.values()
    ]
    met = [c for c in camera_list if c["occasions"]]
    unmet = [c for c in camera_list if not c["occasions"]]
    listed: list[dict[str, Any]] = []
    lines: list[str] = []
    row_ids: set[str] = set()
    days: set[int] = set()
    instants: list[datetime] = []
    crowd = 0
    for occasion in occasions:
        seen = details[(vrm, number, occasion["camera_id"], occasion["t"])]
        camera = _camera_label(occasion)
        km = float(occasion["km"])
        cell = cell_label(
            occasion["cell"], occasion["cell_site"], occasion["address"], occasion["postcode"]
        )
        read_rows = sorted(seen["read_rows"])
        use_rows = sorted(set(occasion["use_rows"]))
        row_ids.update(read_rows)
        row_ids.update(use_rows)
        row_ids.update(r for r in (occasion["camera_row"], occasion["cell_row"]) if r)
        days.add(math.floor(float(occasion["t"]) / 86400))
        crowd += 1 if occasion["position_basis"] == CROWD_SOURCED else 0
        instants.extend((seen["read_utc"], occasion["use_utc"]))
        gap_s = float(occasion["gap_s"])
        listed.append(
            {
                "camera_id": occasion["camera_id"],
                "camera": camera,
                "read_time": seen["read_utc"].isoformat(),
                "direction": seen["direction"],
                "read_rows": read_rows,
                "cell": occasion["cell"],
                "cell_label": cell,
                "position_basis": occasion["position_basis"],
                "distance_km": round(km, 4),
                "medium": occasion["medium"],
                "phase": occasion["phase"],
                "use_time": occasion["use_utc"].isoformat(),
                "use_rows": use_rows,
                "gap_seconds": gap_s,
                "other_marks": seen["other_marks"],
            }
        )
        lines.append(
            f"{camera} read {vrm} at {instant_phrase(seen['read_utc'])} and "
            f"{_use_phrase(occasion, cell)} ({_position_phrase(occasion['position_basis'], km)}; "
            f"{_gap_phrase(gap_s)}; {seen['other_marks']} other mark(s) read by that camera "
            "within the window of this use)"
        )
    first, last = min(instants), max(instants)
    window, lookback = parameters.window_minutes, parameters.data_lookback_minutes
    distance = parameters.max_distance_km
    expected = math.fsum(c["expected"] for c in camera_list)
    per_camera = "; ".join(
        f"{c['camera']}: {c['occasions']} occasion(s); the mark read there {c['vehicle_reads']} "
        f"time(s), cells within {distance:g} km of it used by the phone {c['phone_uses']} "
        f"time(s) ({c['catch_minutes']:g} minutes of catch time), expected meetings "
        f"{c['expected']:.4g}"
        for c in met
    )
    if unmet:
        named = ", ".join(c["camera"] for c in unmet) if len(unmet) <= _IN_WORDS else "listed"
        per_camera += (
            f"; and {len(unmet)} other camera(s) where both were seen without an occasion "
            f"({named}), expected meetings {math.fsum(c['expected'] for c in unmet):.4g} in all"
        )
    shown = "; ".join(lines[:_IN_WORDS])
    if len(lines) > _IN_WORDS:
        shown += f"; and {len(lines) - _IN_WORDS} more, listed with this finding"
    explanation = (
        f"On {len(listed)} occasion(s) at {len(met)} distinct ANPR camera(s) on {len(days)} "
        f"day(s) (UTC), {period_phrase(first, last)}, a camera read {vrm} within {window:g} "
        f"minutes of a use, by the phone using {number}, of a cell listed within {distance:g} "
        f"km of that camera (a data record's cell taken as used at or before the record's "
        f"time, up to {lookback:g} minutes before it). Occasions: {shown}. If the vehicle's "
        "reads and the phone's uses were unrelated, the meetings expected by coincidence at "
        "each camera where both were seen follow from how often the mark is read there and the "
        f"phone uses cells near it, in this evidence over {span_hours:.4g} hours: {per_camera}. "
        f"Score {score:.4f}: -ln of the chance of {len(listed)} or more occasions when "
        f"{expected:.4g} are expected, {_odds_phrase(score)}. A camera the vehicle passes every "
        "day near a cell the phone uses every day expects many meetings, so meetings there "
        "count for little. Habits at one time of day, cameras on one road sharing cells, and a "
        "phone travelling in another vehicle on the same road all make meetings likelier than "
        "that; it is the distinct cameras, not the score, that show movement. The score ranks "
        "leads for an analyst; it is not evidence of association. "
    )
    explanation += " ".join(VEHICLE_PHONE_CAVEATS)
    if crowd:
        explanation += (
            f" {crowd} occasion(s) rest on a crowd-sourced cell position. {CROWD_SOURCED_CAVEAT}"
        )
    explanation += " The standard cell-site caveats apply and are listed with this finding."
    return Finding(
        kind="vehicle_phone",
        subjects=(vrm, number),
        explanation=explanation,
        derived_from=tuple(sorted(row_ids)),
        score=round(score, 4),
        detail={
            "vrm": vrm,
            "number": number,
            "window_minutes": window,
            "max_distance_km": distance,
            "data_lookback_minutes": lookback,
            "cameras": len(met),
            "cameras_seen": len(camera_list),
            "expected_occasions": float(f"{expected:.6g}"),
            "days": len(days),
            "occasions": len(listed),
            "occasion_list": listed,
            "camera_list": camera_list,
            "span_hours": round(span_hours, 4),
            "crowd_sourced_occasions": crowd,
            "log10_chance": round(-score / math.log(10), 4),
            "time_basis": "UTC",
            "caveats": [*VEHICLE_PHONE_CAVEATS, *caveats(crowd > 0)],
        },
        first_utc=first,
        last_utc=last,
    )
