"""Operation Cedar's ANPR: the cameras of Hollowmere, the routes past them, and every read.

The force's ANPR cameras (read through the National ANPR Service) stand on the town's roads, and
an estate management company runs site cameras at the gates of two work sites. Cameras are placed
from the story's own places (:mod:`threadline.scenario.cast`): along the roads from House 1 (A1)
to the food factory (W3) and to the hand car wash (W1), from House 3 (A3) to the factory, and on
busy roads elsewhere (the town centre, the station, the ring road, the trunk road by the
services). The cameras and routes are in :mod:`threadline.scenario.roads` (re-exported here),
which the story also uses to place the phones of the people in a vehicle along its route.

What the cameras read, all in UTC epoch seconds, is drawn here:

* **the convoy**: every :class:`~threadline.scenario.truth.ConvoyTrip`, read at every camera on
  its route, the follower exactly ``gap_seconds`` behind the lead;
* **the transport runs**: every :class:`~threadline.scenario.truth.TransportRun` (the evening
  returns to House 1, the Saturday night shift from House 3), read at every camera on its route
  that watches its direction of travel;
* **background traffic**: ordinary vehicles at every camera through the day, heavier on busy roads
  and at peak hours, some of them regular commuters along several cameras; two of the commuters
  happen to pass two busy cameras together on a dozen mornings (a pair convoy scoring must not
  mistake for a convoy);
* **noise**: misreads of the case's two plates and of some ordinary plates (0/O and 1/I among
  them), a read with a low OCR confidence in each export, and deliveries at the factory gate in
  the hour the clocks go back (which the site's UK local times write ambiguously).

Every mark is fictional (requirement 66): current format with a memory tag beginning ``T`` or
``U``, which DVLA gives to no region (:mod:`threadline.scenario.identifiers`). Each part draws
from its own :func:`~threadline.scenario.identifiers.rng_stream`, so the same seed gives the same
reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from threadline.scenario.cast import VEHICLES
from threadline.scenario.identifiers import rng_stream
from threadline.scenario.roads import (
    CAMERA_INDEX,
    CAMERAS,
    DIRECTIONS,
    NAS,
    ROUTES,
    SITE,
    Camera,
    Passing,
    readable,
    reverse,
    route,
)
from threadline.scenario.story import PERIOD_END, PERIOD_START, CoreCase
from threadline.scenario.timebase import epoch, local_to_utc, uk_offset

__all__ = [
    "CAMERAS",
    "DIRECTIONS",
    "NAS",
    "ROUTES",
    "SITE",
    "AnprPlan",
    "Camera",
    "Journey",
    "Passing",
    "make_vrms",
    "plan_anpr",
    "route",
]

I8 = npt.NDArray[np.int8]
I16 = npt.NDArray[np.int16]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


#: Random (non-commuter) reads per weekday at a camera, by how busy its road is. Saturdays see
#: 80% of that and Sundays 60%. Real cameras on busy roads read thousands of plates a day; the
#: demo keeps the proportions between roads, not the volume, so that it builds in seconds.
_DAILY_READS = MappingProxyType(
    {"busy": 10.0, "moderate": 4.0, "quiet": 1.5, "factory": 9.0, "estate": 6.0}
)
_DAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.6)

#: Share of a day's reads in each local hour (0-23), by profile: roads peak at commuting hours,
#: the factory gate at its shift changes (06:00, 14:00, 22:00) with deliveries through the night,
#: the trading estate in business hours.
_HOURLY = MappingProxyType(
    {
        "road": (
            0.25, 0.15, 0.1, 0.1, 0.2, 0.6, 2.6, 4.6, 4.4, 2.8, 2.2, 2.2,
            2.4, 2.3, 2.4, 2.9, 3.8, 4.2, 3.0, 2.0, 1.5, 1.1, 0.8, 0.45,
        ),
        "factory": (
            0.4, 0.4, 0.3, 0.3, 0.4, 5.0, 3.0, 0.6, 0.5, 0.5, 0.5, 0.5,
            0.5, 5.0, 3.0, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 5.0, 3.0, 0.5,
        ),
        "estate": (
            0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 1.0, 3.0, 3.0, 1.5, 1.5, 1.5,
            1.5, 1.5, 1.5, 1.5, 1.5, 1.2, 1.0, 0.3, 0.2, 0.1, 0.05, 0.05,
        ),
    }
)  # fmt: skip

#: Ordinary vehicles seen at random, and how many commuters there are per ordinary route.
_POOL_SIZE = 2600
_COMMUTERS_PER_ROUTE = 2
#: Mornings on which the two station commuters happen to pass together.
_PAIR_DAYS = 12
#: Share of ordinary reads misread by the camera, where the mark holds 0, O or 1.
_BACKGROUND_MISREAD_RATE = 0.0015

#: Misreads of the case's plates (OCR confusions their characters allow: 2/Z, B/8, a lost bottom
#: stroke E/F, a character lost to dirt).
_CONVOY_MISREADS = MappingProxyType(
    {VEHICLES[0].vrm: ("UT73 FKF", "UT73 FK"), VEHICLES[1].vrm: ("TUZ4 BWX", "TU24 8WX")}
)
#: Confusions used to misread ordinary plates (the commonest: 0/O and 1/I).
_CONFUSIONS = MappingProxyType({"0": "O", "O": "0", "1": "I"})

#: Two deliveries at the factory gate in the repeated hour of 25 October 2026: one at 01:20:41
#: BST (00:20:41 UTC) and one at 01:35:12 GMT (01:35:12 UTC). Both are written "25/10/2026 01:..".
_REPEATED_HOUR_DELIVERIES = (
    datetime(2026, 10, 25, 0, 20, 41, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 35, 12, tzinfo=UTC),
)


#: Ordinary commuters' routes (driven in the morning, reversed in the evening): (name, minutes
#: of driving, passings, earliest and latest usual morning departure in local hours).
_COMMUTES: tuple[tuple[str, int, tuple[Passing, ...], float, float], ...] = (
    ("station to town", 8,
     (Passing("HMR-109", "W", 0.3), Passing("HMR-108", "N", 0.75)), 7.6, 8.4),
    ("Thornby Vale to town", 16,
     (Passing("HMR-111", "SW", 0.15), Passing("HMR-106", "E", 0.55),
      Passing("HMR-108", "S", 0.92)), 7.0, 8.7),
    ("Gorsefield round the east ring road", 12,
     (Passing("HMR-110", "E", 0.1), Passing("HMR-103", "N", 0.5),
      Passing("HMR-102", "N", 0.8)), 7.0, 8.5),
    ("Fennimore to town", 11,
     (Passing("HMR-112", "N", 0.2), Passing("HMR-109", "E", 0.6),
      Passing("HMR-108", "N", 0.9)), 7.0, 8.7),
    ("early shift at the food factory", 14,
     (Passing("HMR-102", "S", 0.3), Passing("HMR-103", "S", 0.55),
      Passing("HMR-104", "E", 0.85), Passing("TWG-1", "towards", 0.97)), 5.3, 5.6),
    ("Brackenfold Trading Estate", 13,
     (Passing("HMR-105", "W", 0.15), Passing("HMR-106", "W", 0.5),
      Passing("HMR-107", "W", 0.8), Passing("BFE-1", "towards", 0.96)), 7.2, 8.2),
    ("Quillon Street to Gorsefield", 18,
     (Passing("HMR-101", "SE", 0.1), Passing("HMR-102", "S", 0.3),
      Passing("HMR-103", "S", 0.55), Passing("HMR-110", "W", 0.9)), 7.1, 7.8),
)  # fmt: skip


_TAG_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # second letter of a memory tag: not I, Q or Z
_RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # the three random letters: not I or Q
_AGE_IDENTIFIERS = tuple(f"{n:02d}" for n in (*range(3, 26), *range(53, 76)))


def make_vrms(rng: np.random.Generator, count: int, exclude: Sequence[str] = ()) -> list[str]:
    """Draw ``count`` distinct fictional marks: current format, memory tag ``T?`` or ``U?``.

    DVLA assigns the letters T and U to no region, so no real vehicle carries these marks; the
    rest follows the current format's rules (no I, Q or Z in the memory tag, no I or Q in the
    random letters, an age identifier of 2003-2025).
    """
    seen = set(exclude)
    marks: list[str] = []
    while len(marks) < count:
        n = count * 2
        first = rng.integers(0, 2, n)
        second = rng.integers(0, len(_TAG_LETTERS), n)
        age = rng.integers(0, len(_AGE_IDENTIFIERS), n)
        letters = rng.integers(0, len(_RANDOM_LETTERS), (n, 3))
        for i in range(n):
            mark = (
                "TU"[int(first[i])]
                + _TAG_LETTERS[int(second[i])]
                + _AGE_IDENTIFIERS[int(age[i])]
                + " "
                + "".join(_RANDOM_LETTERS[int(k)] for k in letters[i])
            )
            if mark not in seen:
                seen.add(mark)
                marks.append(mark)
                if len(marks) == count:
                    break
    return marks


@dataclass(frozen=True, slots=True)
class Journey:
    """A journey the cameras read (a convoy trip, a transport run or a background pair)."""

    kind: str
    label: str
    day: date
    vrms: tuple[str, ...]
    gap_seconds: int
    origin: str | None
    destination: str | None
    cameras: tuple[str, ...]
    times: tuple[int, ...]
    """UTC epoch seconds of the first vehicle's reads."""


@dataclass(slots=True)
class _Draft:
    """Reads as they are drawn (local to :func:`plan_anpr`): ordinary traffic in numpy arrays,
    one array per camera, and journeys read by read in ``passes``."""

    marks: list[str]
    mark_index: dict[str, int]
    camera: list[I32] = field(default_factory=list)
    utc: list[I64] = field(default_factory=list)
    vrm: list[I32] = field(default_factory=list)
    direction: list[I8] = field(default_factory=list)
    lane: list[I8] = field(default_factory=list)
    journey: list[I32] = field(default_factory=list)
    passes: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    """(camera, UTC, mark, direction, lane, journey) of each read of a drive past cameras."""
    journeys: list[Journey] = field(default_factory=list)

    def mark(self, text: str) -> int:
        if text not in self.mark_index:
            self.mark_index[text] = len(self.marks)
            self.marks.append(text)
        return self.mark_index[text]

    def add(self, camera: I32, utc: I64, vrm: I32, direction: I8, lane: I8) -> None:
        """Add ordinary traffic's reads."""
        self.camera.append(camera.astype(np.int32))
        self.utc.append(utc.astype(np.int64))
        self.vrm.append(vrm.astype(np.int32))
        self.direction.append(direction.astype(np.int8))
        self.lane.append(lane.astype(np.int8))
        self.journey.append(np.full(utc.shape[0], -1, np.int32))

    def columns(self) -> tuple[I32, I64, I32, I8, I8, I32]:
        """Every read drawn within the story's period, in the order drawn."""
        passes = np.asarray(self.passes, np.int64).reshape(-1, 6)
        camera = np.concatenate([*self.camera, passes[:, 0]]).astype(np.int32)
        utc = np.concatenate([*self.utc, passes[:, 1]]).astype(np.int64)
        vrm = np.concatenate([*self.vrm, passes[:, 2]]).astype(np.int32)
        direction = np.concatenate([*self.direction, passes[:, 3]]).astype(np.int8)
        lane = np.concatenate([*self.lane, passes[:, 4]]).astype(np.int8)
        journey = np.concatenate([*self.journey, passes[:, 5]]).astype(np.int32)
        keep = (utc >= epoch(PERIOD_START)) & (utc <= epoch(PERIOD_END))
        return (
            camera[keep],
            utc[keep],
            vrm[keep],
            direction[keep],
            lane[keep],
            journey[keep],
        )


@dataclass(frozen=True, slots=True, eq=False)
class AnprPlan:
    """Every read of the case, one entry per read in the arrays (not yet in file order).

    ``vrm`` is the mark on the vehicle and ``vrm_read`` the mark as read (both indices into
    ``marks``); ``confidence`` is in tenths of a percent; ``journey`` indexes ``journeys`` (-1
    for ordinary traffic); ``direction`` indexes :data:`DIRECTIONS`.
    """

    marks: tuple[str, ...]
    camera: I32
    utc: I64
    vrm: I32
    vrm_read: I32
    direction: I8
    lane: I8
    confidence: I16
    journey: I32
    journeys: tuple[Journey, ...]
    background_vehicles: int
    low_confidence: tuple[int, ...]
    """Positions of the reads singled out for their low confidence."""


def plan_anpr(seed: int, core: CoreCase) -> AnprPlan:
    """Draw every ANPR read of the case from the story's convoy trips and transport runs."""
    case_marks = [v.vrm for v in VEHICLES]
    pool = make_vrms(rng_stream(seed, "anpr-vehicles"), _POOL_SIZE, case_marks)
    draft = _Draft(marks=[], mark_index={})
    for mark in case_marks + pool:
        draft.mark(mark)

    rng = rng_stream(seed, "anpr-journeys")
    for trip in core.convoy_trips:
        start = epoch(trip.depart)
        passings = route(trip.from_address, trip.to_address)
        destination = "the food factory" if trip.to_address == "W3" else "the hand car wash"
        _journey(
            draft,
            rng,
            "convoy",
            f"morning convoy from House 1 to {destination}",
            passings,
            (trip.lead_vrm, trip.follow_vrm),
            start,
            epoch(trip.arrive) - start,
            trip.gap_seconds,
            (trip.from_address, trip.to_address),
        )
    for run in core.transport_runs:
        start = epoch(run.depart)
        _journey(
            draft,
            rng,
            "transport",
            run.purpose,
            route(run.from_address, run.to_address),
            (run.vrm,),
            start,
            epoch(run.arrive) - start,
            0,
            (run.from_address, run.to_address),
        )

    _commuters(rng_stream(seed, "anpr-commuters"), draft, pool)
    _random_traffic(rng_stream(seed, "anpr-traffic"), draft, pool)
    return _with_noise(rng_stream(seed, "anpr-noise"), draft)


def _drive(
    draft: _Draft,
    rng: np.random.Generator,
    passings: Sequence[Passing],
    vrms: Sequence[str],
    start: int,
    seconds: int,
    *,
    gap: int = 0,
    journey: int = -1,
    times: Sequence[int] | None = None,
) -> tuple[int, ...]:
    """Add the reads of vehicles driving past ``passings`` one behind the other, each ``gap``
    seconds after the one before and in the same lane; return the first vehicle's read times.

    Each camera is passed ``at`` of the way through the ``seconds`` of driving from ``start``,
    give or take 15 seconds, unless ``times`` gives the first vehicle's read times.
    """
    draws = rng.integers(0, 1 << 16, (len(passings), 2)).tolist()
    if times is None:
        times = [
            start + round(p.at * seconds) + d[0] % 31 - 15
            for p, d in zip(passings, draws, strict=True)
        ]
    first = tuple(int(t) for t in times)
    for order, vrm in enumerate(vrms):
        mark = draft.mark(vrm)
        for p, t, d in zip(passings, first, draws, strict=True):
            camera = CAMERA_INDEX[p.camera]
            lane = 1 + d[1] % CAMERAS[camera].lanes
            draft.passes.append(
                (camera, t + gap * order, mark, DIRECTIONS.index(p.direction), lane, journey)
            )
    return first


def _journey(
    draft: _Draft,
    rng: np.random.Generator,
    kind: str,
    label: str,
    passings: Sequence[Passing],
    vrms: tuple[str, ...],
    start: int,
    seconds: int,
    gap: int,
    places: tuple[str, str],
) -> None:
    ident = len(draft.journeys)
    times = _drive(draft, rng, passings, vrms, start, seconds, gap=gap, journey=ident)
    draft.journeys.append(
        Journey(
            kind=kind,
            label=label,
            day=_local_date(start),
            vrms=vrms,
            gap_seconds=gap,
            origin=places[0],
            destination=places[1],
            cameras=tuple(p.camera for p in passings),
            times=times,
        )
    )


def _local_date(instant: int) -> date:
    local = instant + int(uk_offset(np.asarray([instant], np.int64))[0])
    return datetime.fromtimestamp(local, tz=UTC).date()


def _local_instant(day: date, seconds: int) -> int:
    """UTC epoch seconds of a UK wall-clock time ``seconds`` after midnight of ``day``."""
    return int(local_to_utc(np.asarray([epoch(day) + seconds], np.int64))[0])


def _days() -> list[date]:
    first, last = PERIOD_START.date(), PERIOD_END.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _hours(rng: np.random.Generator, low: float, high: float) -> int:
    """Seconds after midnight, drawn uniformly between two local hours."""
    return int(rng.integers(int(low * 3600), int(high * 3600)))


def _commuters(rng: np.random.Generator, draft: _Draft, pool: Sequence[str]) -> None:
    """Regular drivers along ordinary routes on weekdays (85% of them), morning and evening.

    The first route's two commuters (station to town) are the background pair: on
    :data:`_PAIR_DAYS` mornings the second leaves just behind the first and passes both busy
    cameras 10-45 seconds after it, which is recorded as a ``background-pair`` journey.
    """
    weekdays = [d for d in _days() if d.weekday() < 5]
    commuters = make_vrms(rng, _COMMUTERS_PER_ROUTE * len(_COMMUTES), [*draft.marks, *pool])
    pair_days = set(rng.choice(len(weekdays), _PAIR_DAYS, replace=False).tolist())
    for number, mark in enumerate(commuters):
        name, minutes, passings, earliest, latest = _COMMUTES[number // _COMMUTERS_PER_ROUTE]
        usual = _hours(rng, earliest, latest)
        home_time = _hours(rng, 16.5, 18.5)
        if name.startswith("early shift"):
            home_time = _hours(rng, 14.1, 14.4)
        goes = rng.random(len(weekdays)) < 0.85
        leave = rng.normal(0, 420, (len(weekdays), 2)).astype(np.int64)
        pace = rng.uniform(0.9, 1.1, (len(weekdays), 2))
        way_back = readable(reverse(passings))
        for k, day in enumerate(weekdays):
            paired = number < 2 and k in pair_days
            if (number == 1 and paired) or not (goes[k] or paired):
                continue  # the second of the pair drives with the first on pair days
            seconds = int(minutes * 60 * pace[k, 0])
            out = _local_instant(day, usual + int(leave[k, 0]))
            times = _drive(draft, rng, passings, (mark,), out, seconds)
            back = _local_instant(day, home_time + int(leave[k, 1]))
            _drive(draft, rng, way_back, (mark,), back, int(minutes * 60 * pace[k, 1]))
            if not paired:
                continue
            gap = int(rng.integers(10, 46))
            follower = commuters[1]
            _drive(draft, rng, passings, (follower,), out, seconds, times=[t + gap for t in times])
            back = _local_instant(day, _hours(rng, 16.5, 18.5))
            _drive(draft, rng, way_back, (follower,), back, minutes * 60)
            draft.journeys.append(
                Journey(
                    kind="background-pair",
                    label=f"two ordinary commuters ({name}) passing together",
                    day=day,
                    vrms=(mark, follower),
                    gap_seconds=gap,
                    origin=None,
                    destination=None,
                    cameras=tuple(p.camera for p in passings),
                    times=times,
                )
            )


def _random_traffic(rng: np.random.Generator, draft: _Draft, pool: Sequence[str]) -> None:
    """Ordinary vehicles at every camera: a Poisson number a day, at hours drawn from the
    camera's pattern, marks drawn from a pool in which some vehicles are seen far more than
    others (locals, delivery vans) and most rarely."""
    days = _days()
    day_starts = np.asarray([epoch(d) for d in days], np.int64)
    factors = np.asarray([_DAY_FACTOR[d.weekday()] for d in days])
    weights = 1.0 / (np.arange(len(pool)) + 20.0)
    weights /= weights.sum()
    first_pool = draft.mark_index[pool[0]]
    for index, camera in enumerate(CAMERAS):
        rate = _DAILY_READS[camera.profile if camera.system == SITE else camera.traffic]
        counts = rng.poisson(rate * factors)
        n = int(counts.sum())
        hourly = np.asarray(_HOURLY[camera.profile], np.float64)
        hours = rng.choice(24, n, p=hourly / hourly.sum())
        local = np.repeat(day_starts, counts) + hours * 3600 + rng.integers(0, 3600, n)
        watched = np.asarray([DIRECTIONS.index(d) for d in camera.watches], np.int8)
        draft.add(
            np.full(n, index, np.int32),
            local_to_utc(local),
            (first_pool + rng.choice(len(pool), n, p=weights)).astype(np.int32),
            watched[rng.integers(0, watched.shape[0], n)],
            rng.integers(1, camera.lanes + 1, n).astype(np.int8),
        )
    gate = CAMERA_INDEX["TWG-1"]
    for k, instant in enumerate(_REPEATED_HOUR_DELIVERIES):
        draft.add(
            np.asarray([gate], np.int32),
            np.asarray([epoch(instant)], np.int64),
            np.asarray([first_pool + k], np.int32),
            np.asarray([DIRECTIONS.index("towards")], np.int8),
            np.asarray([1], np.int8),
        )


def _with_noise(rng: np.random.Generator, draft: _Draft) -> AnprPlan:
    """Confidences for every read, then the misreads and the low-confidence reads."""
    camera, utc, vrm, direction, lane, journey = draft.columns()
    n = utc.shape[0]
    confidence = np.clip(np.rint(rng.normal(930, 35, n)), 780, 999).astype(np.int16)
    vrm_read = vrm.copy()
    on_nas = np.asarray([c.system == NAS for c in CAMERAS])[camera]
    convoy = np.asarray([j.kind == "convoy" for j in draft.journeys] + [False])[journey]

    # two misreads of each of the case's plates, on convoy reads at road cameras
    for mark, wrong in _CONVOY_MISREADS.items():
        candidates = np.flatnonzero(convoy & on_nas & (vrm == draft.mark_index[mark]))
        chosen = np.sort(rng.choice(candidates, len(wrong), replace=False))
        for row, text in zip(chosen.tolist(), wrong, strict=True):
            vrm_read[row] = draft.mark(text)
            confidence[row] = int(rng.integers(520, 680))
    # a correct read of a case vehicle with a low confidence, in each export
    singled: list[int] = []
    case_marks = np.asarray([draft.mark_index[v.vrm] for v in VEHICLES], np.int32)
    of_case = np.isin(vrm, case_marks) & (vrm_read == vrm)
    for in_system in (on_nas & convoy, ~on_nas & (journey >= 0)):
        candidates = np.flatnonzero(of_case & in_system)
        row = int(candidates[int(rng.integers(0, candidates.shape[0]))])
        confidence[row] = int(rng.integers(330, 450))
        singled.append(row)
    # ordinary plates misread, where they hold 0, O or 1
    ordinary = np.flatnonzero(journey < 0)
    chosen = ordinary[rng.random(ordinary.shape[0]) < _BACKGROUND_MISREAD_RATE]
    for row in chosen.tolist():
        text = draft.marks[int(vrm[row])]
        places = [i for i, ch in enumerate(text) if ch in _CONFUSIONS]
        if not places:
            continue
        at = places[int(rng.integers(0, len(places)))]
        vrm_read[row] = draft.mark(text[:at] + _CONFUSIONS[text[at]] + text[at + 1 :])
        confidence[row] = int(rng.integers(600, 800))
    background = np.unique(vrm[journey < 0])
    background = background[~np.isin(background, case_marks)]
    return AnprPlan(
        marks=tuple(draft.marks),
        camera=camera,
        utc=utc,
        vrm=vrm,
        vrm_read=vrm_read,
        direction=direction,
        lane=lane,
        confidence=confidence,
        journey=journey,
        journeys=tuple(draft.journeys),
        background_vehicles=int(background.shape[0]),
        low_confidence=tuple(singled),
    )
