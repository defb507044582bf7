"""Operation Cedar as events: who calls and texts whom, when, from where, on which handset.

The story runs from 2026-03-01 to 2026-11-15 (both UK clock changes fall inside it). Patterns an
analyst should be able to recover:

* the lieutenants (P02, P03) talk to the controller (P01) every day, by call and text;
* each working morning (Monday to Saturday) the four drivers call the house manager (P10)
  between 05:30 and 06:30, then two of them drive in convoy from House 1 to a work site; late that
  evening the people carrier brings the workers back, and on Saturday nights the van takes House
  3's occupants to a night shift at the food factory (the transport runs);
* the money handler (P08) texts the controller every Sunday evening, and he usually replies;
* the recruiter (P09) and the associates (P11, P12) are in occasional contact;
* the house manager calls the victims' shared phone and V03's phone in the evenings, and the
  victims use those phones late in the evening, at night and early in the morning, at their
  houses (House 2 keeps the shared phone; V03 lives at House 1);
* whoever is in one of the case's vehicles has their phone with them: while the driver P04 drives
  the people carrier (the convoy mornings and the evening returns) his phone makes short data
  sessions on the cells along the route, at the times the cameras read the carrier, and on convoy
  days he and the House 1 occupants he takes to work are at the work site until the evening
  (or, for him, the end of his working day);
* on 2026-07-13 the controller drops his number and carries on with a successor number in the
  same handset: the same people, family and takeaways call the new number;
* every target line also has background traffic (family, friends, takeaways, taxis, a solicitor,
  bank and parcel texts from short codes and sender IDs, diverted calls to voicemail) and data
  sessions, so that the organised network is not the only thing in the data.

Events are drawn per channel with numpy (Poisson counts per day, local hours converted to UTC),
then each CDR exhibit is cut from them from its target line's point of view: its cells come from
the user's schedule, except while the user is in a vehicle (the cell serving the point of the
route the vehicle has reached, from :func:`threadline.scenario.roads.position_on_route`) or at a
work site a convoy took them to. A call between two target lines appears in both returns with the
same instant (and the same story communication id, which the ground truth uses to count distinct
communications).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from threadline.scenario.cast import (
    ADDRESSES,
    GENERIC_PLACES,
    HANDSET_MODELS,
    PEOPLE,
    SCHEDULES,
    SHARED_PHONE_USERS,
    VEHICLES,
    Schedule,
)
from threadline.scenario.geography import NETWORKS, Geography, Place
from threadline.scenario.identifiers import (
    SENDER_IDS,
    SHORT_CODES,
    NumberBook,
    make_imei,
    make_imsi,
    rng_stream,
)
from threadline.scenario.layouts import Layout
from threadline.scenario.roads import position_on_route, route
from threadline.scenario.rows import DATA, FORWARDED, SMS, VOICE, RowBatch, make_batch
from threadline.scenario.timebase import epoch, local_to_utc, uk_offset
from threadline.scenario.truth import ConvoyTrip, TransportRun

__all__ = [
    "PERIOD_END",
    "PERIOD_START",
    "SWITCH_AT",
    "Comms",
    "CoreCase",
    "CoreExhibit",
    "Drive",
    "HandsetInfo",
    "Line",
    "assign_cells",
    "build_core",
    "split_partials",
    "split_sessions",
]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

PERIOD_START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 15, 23, 59, 59, tzinfo=UTC)
#: The controller's old number stops and the successor starts being used at this instant.
SWITCH_AT = datetime(2026, 7, 13, 6, 0, tzinfo=UTC)
#: The driver P04 moves his SIM into a new handset at this instant.
HANDSET_SWAP_AT = datetime(2026, 8, 10, 6, 0, tzinfo=UTC)

#: Charging IDs of the core case's data sessions are this plus the communication id.
CHARGING_BASE = 2_600_000_000

#: Data sessions a day of the victims' phones, by line owner, and the local hours they fall
#: between (past 24 is after midnight): when the victims are back at their houses, late in the
#: evening and at night, and early in the morning before the convoy leaves (06:35 at the earliest;
#: the people carrier is back at House 1 by 22:25 at the latest).
_NIGHT_USE: tuple[tuple[str, float, tuple[float, float]], ...] = (
    ("SH", 2.2, (21.5, 25.5)),
    ("SH", 0.6, (5.25, 6.75)),
    ("V03", 1.2, (22.5, 25.0)),
    ("V03", 0.4, (5.0, 6.25)),
)
#: Share of a moving phone's records served by a sector of the second-nearest mast.
_SECOND_MAST = 0.15

_Endpoint = str | int
"""A line owner key (person id, or ``SH`` for the shared victims' phone) or a number-book index."""


@dataclass(frozen=True, slots=True)
class _Channel:
    """A recurring kind of contact between two endpoints."""

    a: _Endpoint
    b: _Endpoint
    kind: int
    rate: float
    """Events per eligible day (Poisson mean)."""
    days: str
    """``daily``, ``workdays`` (Monday to Saturday) or ``sundays``."""
    hours: tuple[float, float]
    """Local hours the events fall between."""
    a_first: float
    """Probability that ``a`` originates."""
    median: int = 0
    """Median call length in seconds (voice only)."""


def _person_channels() -> tuple[_Channel, ...]:
    """The organised network's own contact pattern."""
    daily, work = "daily", "workdays"
    return (
        _Channel("P02", "P01", VOICE, 1.4, daily, (8, 22), 0.55, 95),
        _Channel("P03", "P01", VOICE, 1.2, daily, (8, 22), 0.55, 80),
        _Channel("P02", "P01", SMS, 1.0, daily, (8, 23), 0.5),
        _Channel("P03", "P01", SMS, 0.8, daily, (8, 23), 0.5),
        _Channel("P04", "P10", VOICE, 0.85, work, (5.5, 6.5), 0.9, 40),
        _Channel("P05", "P10", VOICE, 0.85, work, (5.5, 6.5), 0.9, 35),
        _Channel("P06", "P10", VOICE, 0.8, work, (5.5, 6.5), 0.9, 45),
        _Channel("P07", "P10", VOICE, 0.8, work, (5.5, 6.5), 0.9, 30),
        _Channel("P08", "P01", SMS, 1.4, "sundays", (19, 21), 0.75),
        _Channel("P08", "P01", VOICE, 0.05, daily, (10, 20), 0.5, 120),
        _Channel("P09", "P01", VOICE, 0.3, daily, (10, 21), 0.6, 150),
        _Channel("P09", "P01", SMS, 0.2, daily, (10, 22), 0.6),
        _Channel("P09", "P03", VOICE, 0.15, daily, (10, 21), 0.5, 120),
        _Channel("P10", "P02", SMS, 1.2, daily, (7, 22), 0.6),
        _Channel("P10", "P02", VOICE, 0.5, daily, (7, 22), 0.6, 70),
        _Channel("P11", "P01", VOICE, 0.15, daily, (11, 23), 0.5, 200),
        _Channel("P12", "P01", VOICE, 0.12, daily, (11, 23), 0.5, 150),
        _Channel("P11", "P02", VOICE, 0.1, daily, (11, 23), 0.5, 90),
        _Channel("P12", "P08", VOICE, 0.05, daily, (10, 18), 0.5, 110),
        _Channel("P04", "P02", VOICE, 0.4, work, (10, 16), 0.6, 60),
        _Channel("P05", "P02", VOICE, 0.15, work, (10, 16), 0.6, 60),
        _Channel("P06", "P02", VOICE, 0.1, work, (10, 16), 0.6, 60),
        _Channel("P07", "P03", VOICE, 0.2, work, (10, 16), 0.6, 60),
        _Channel("P10", "SH", VOICE, 0.3, daily, (18, 22), 0.8, 45),
        _Channel("P10", "SH", SMS, 0.2, daily, (18, 22), 0.8),
        _Channel("P10", "V03", VOICE, 0.15, daily, (18, 22), 0.8, 40),
        _Channel("P02", "P03", VOICE, 0.5, daily, (9, 21), 0.5, 110),
        _Channel("P02", "P08", VOICE, 0.14, daily, (10, 18), 0.5, 100),
        _Channel("P01", "P10", VOICE, 0.2, daily, (9, 21), 0.7, 60),
    )


#: People whose lines are CDR targets in the core case, and their data sessions per day.
_TARGET_DATA_RATES: tuple[tuple[str, float], ...] = (
    ("P01", 8.0),
    ("P02", 6.0),
    ("P04", 5.0),
    ("P08", 5.0),
)
_FAMILY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("P01", ("partner", "brother", "mother")),
    ("P02", ("wife", "cousin")),
    ("P04", ("wife", "sister")),
    ("P08", ("husband", "mother", "daughter")),
)
_TOWN_SERVICES: tuple[tuple[str, str, float, float, float], ...] = (
    # label, drama range, calls per day, local hours from/to
    ("takeaway: Golden Lantern (fictional)", "no area (01632)", 0.06, 17, 22),
    ("takeaway: Mere Pizza Co (fictional)", "no area (01632)", 0.05, 17, 23),
    ("takeaway: Saffron Spice House (fictional)", "no area (01632)", 0.04, 17, 22),
    ("taxi: Mere Cars (fictional)", "no area (01632)", 0.05, 7, 23),
    ("taxi: Hollowmere Private Hire (fictional)", "no area (01632)", 0.03, 7, 23),
    ("barber: Kestrel Cuts (fictional)", "no area (01632)", 0.015, 9, 18),
    ("GP surgery: Wexley Park Medical Centre (fictional)", "no area (01632)", 0.01, 8, 17),
    ("bank helpline: Northvale Bank (fictional)", "freephone", 0.01, 8, 20),
    ("council: Hollowmere Borough Council (fictional)", "UK-wide 03", 0.008, 9, 17),
)
#: Services some targets call on weekdays: (label, drama range, (person, calls per day) …).
_OFFICE_SERVICES: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = (
    ("solicitor: Thamesgate Legal LLP (fictional)", "London", (("P01", 0.02), ("P08", 0.02))),
    ("money transfer: SwiftRemit Bureau (fictional)", "London", (("P08", 0.08), ("P01", 0.01))),
    ("premium line: Lucky Stars Quiz (fictional)", "premium rate", (("P04", 0.01),)),
)
#: Texts from sender IDs and short codes: (value, label, texts per day, direction in).
_SERVICE_TEXTS: tuple[tuple[str, str, float, bool], ...] = (
    (SENDER_IDS[0], "bank alerts: Northvale Bank (fictional)", 0.06, True),
    (SENDER_IDS[1], "parcel notices: QuikParcel (fictional)", 0.04, True),
    (SENDER_IDS[2], "appointment reminders: Hollowmere Clinic (fictional)", 0.01, True),
    (SENDER_IDS[3], "bank alerts: Tally Bank (fictional)", 0.04, True),
    (SHORT_CODES[0], "network service messages (fictional short code)", 0.02, True),
    (SHORT_CODES[1], "charity donation line (fictional short code)", 0.01, False),
    (SHORT_CODES[2], "bank one-time codes (fictional short code)", 0.03, True),
)


@dataclass(frozen=True, slots=True)
class Line:
    """A telephone line (number on a SIM) in the story."""

    key: str
    number: int
    user: str | None
    shared_by: tuple[str, ...]
    network: int
    in_use_from: int
    in_use_to: int
    sim: int
    handsets: tuple[tuple[int, int], ...]
    """(from epoch seconds, handset index) in time order."""
    schedule: Schedule
    label: str

    def handset_at(self, seconds: I64) -> I32:
        """Handset index in use at each instant."""
        starts = np.asarray([h[0] for h in self.handsets], dtype=np.int64)
        which = np.clip(np.searchsorted(starts, seconds, side="right") - 1, 0, None)
        return np.asarray([h[1] for h in self.handsets], dtype=np.int32)[which]


@dataclass(frozen=True, slots=True)
class HandsetInfo:
    """A handset of the story."""

    imei: str
    user: str | None
    model: str
    in_use_from: int
    in_use_to: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Comms:
    """Every communication and data session of the story, in time order; index = comm id.

    ``a`` originates and ``b`` receives (number-book indices; ``b`` is -1 for data), ``c`` is the
    diverted-to number of a forwarded call. Handset downloads draw their call logs and text
    messages from here, so a handset and a network return never disagree.
    """

    kind: npt.NDArray[np.int8]
    a: I32
    b: I32
    c: I32
    start: I64
    duration: I64
    bytes_up: I64
    bytes_down: I64
    clock_shift: I64


@dataclass(frozen=True, slots=True)
class CoreExhibit:
    """One CDR return of the core case, ready to write."""

    reference: str
    layout: Layout
    line: Line
    person: str
    window_start: int
    window_end: int
    authorisation: str
    description: str
    batch: RowBatch


@dataclass(frozen=True, slots=True)
class Drive:
    """One vehicle's journey in the story, with the people in it: a convoy trip's lead or
    follower, or a transport run. Times are UTC epoch seconds."""

    kind: str
    """``convoy`` or ``transport``."""
    day: date
    """Local (UK) date of departure."""
    vrm: str
    driver: str
    passengers: tuple[str, ...]
    origin: str
    destination: str
    depart: int
    arrive: int


@dataclass(frozen=True, slots=True)
class CoreCase:
    """Everything the core story produced."""

    book: NumberBook
    geography: Geography
    lines: tuple[Line, ...]
    handsets: tuple[HandsetInfo, ...]
    imei_table: tuple[str, ...]
    """IMEIs by handset index; entries after ``len(handsets)`` are deliberately corrupted."""
    imsis: tuple[str, ...]
    background: tuple[tuple[int, str], ...]
    """(number index, label) of the background numbers."""
    services: tuple[tuple[str, str, str], ...]
    """(value, kind, label) of short codes and sender IDs."""
    voicemail: tuple[int, ...]
    """Number index of each network's voicemail service, by network index."""
    exhibits: tuple[CoreExhibit, ...]
    comms: Comms
    """Every communication of the story (CDR returns are cut from it)."""
    convoy_trips: tuple[ConvoyTrip, ...]
    transport_runs: tuple[TransportRun, ...]
    """The victims' other journeys by vehicle, in time order."""
    drives: tuple[Drive, ...]
    """Every vehicle journey (both vehicles of each convoy trip, every transport run) with the
    people in it, in time order: where the phones of those people were placed."""
    last_old_event: int
    first_new_event: int

    def line(self, key: str) -> Line:
        """Return the line with this key (``P01-old``, ``P02``, ``SH`` …)."""
        for line in self.lines:
            if line.key == key:
                return line
        raise KeyError(key)

    def person_of_number(self) -> dict[int, str]:
        """Map number index to the one person using it (shared lines are left out)."""
        return {line.number: line.user for line in self.lines if line.user is not None}


def _all_places() -> tuple[Place, ...]:
    return tuple(a.place() for a in ADDRESSES) + GENERIC_PLACES


def _place_cells(geography: Geography, network: int) -> dict[str, tuple[int, int]]:
    return {p.key: geography.place_cells(network, p) for p in geography.places}


def assign_cells(
    rng: np.random.Generator,
    cells: Mapping[str, tuple[int, int]],
    schedule: Schedule,
    start: I64,
    kind: npt.NDArray[np.int8],
) -> tuple[I32, I32]:
    """Pick start and end cells for rows from where the line's user is at each instant.

    Working hours (Monday to Saturday, local time) put the user at the schedule's day place,
    other hours at the night place; 15% of rows are at one of the places they roam to. A place
    is served by its usual cell 80% of the time and by a neighbouring cell otherwise; 30% of
    calls and sessions end on the other of the two. SMS rows have no end cell.
    """
    n = start.shape[0]
    local = start + uk_offset(start)
    hour = (local % 86400) // 3600
    weekday = (local // 86400 + 3) % 7
    in_day = (weekday < 6) & (hour >= schedule.day_from) & (hour < schedule.day_to)
    keys = [schedule.night, schedule.day, *schedule.roam]
    usual = np.asarray([cells[k][0] for k in keys], dtype=np.int32)
    neighbour = np.asarray([cells[k][1] for k in keys], dtype=np.int32)
    place = np.where(in_day, 1, 0)
    roaming = rng.random(n) < 0.15
    if schedule.roam:
        place = np.where(roaming, 2 + rng.integers(0, len(schedule.roam), n), place)
    use_neighbour = rng.random(n) < 0.2
    cell_start = np.where(use_neighbour, neighbour[place], usual[place])
    other = np.where(use_neighbour, usual[place], neighbour[place])
    cell_end = np.where(rng.random(n) < 0.3, other, cell_start)
    cell_end = np.where(kind == SMS, -1, cell_end)
    return cell_start.astype(np.int32), cell_end.astype(np.int32)


def _local_days(weekday_filter: str) -> I64:
    first = PERIOD_START.date()
    count = (PERIOD_END.date() - first).days + 1
    days = [first + timedelta(days=i) for i in range(count)]
    if weekday_filter == "workdays":
        days = [d for d in days if d.weekday() < 6]
    elif weekday_filter == "sundays":
        days = [d for d in days if d.weekday() == 6]
    return np.asarray([epoch(d) for d in days], dtype=np.int64)


def _call_seconds(rng: np.random.Generator, n: int, median: int) -> I64:
    seconds = np.rint(rng.lognormal(np.log(max(median, 1)), 0.8, n))
    seconds = np.clip(seconds, 5, 3600)
    unanswered = rng.random(n) < 0.05
    return np.where(unanswered, 0, seconds).astype(np.int64)


@dataclass(slots=True)
class _Draft:
    """Growing column lists while the story is drawn (local to :func:`build_core`)."""

    kind: list[npt.NDArray[np.int8]]
    a: list[I32]
    b: list[I32]
    c: list[I32]
    start: list[I64]
    duration: list[I64]

    def add(self, kind: int, a: I32, b: I32, c: I32, start: I64, duration: I64) -> None:
        keep = (a >= 0) & ((b >= 0) | (kind == DATA)) & (start <= epoch(PERIOD_END))
        keep &= start >= epoch(PERIOD_START)
        self.kind.append(np.full(int(keep.sum()), kind, np.int8))
        self.a.append(a[keep].astype(np.int32))
        self.b.append(b[keep].astype(np.int32))
        self.c.append(c[keep].astype(np.int32))
        self.start.append(start[keep].astype(np.int64))
        self.duration.append(duration[keep].astype(np.int64))


def _resolve(lines_by_owner: Mapping[str, Sequence[Line]], endpoint: _Endpoint, at: I64) -> I32:
    if isinstance(endpoint, int):
        return np.full(at.shape[0], endpoint, np.int32)
    number = np.full(at.shape[0], -1, np.int32)
    for line in lines_by_owner.get(endpoint, ()):
        active = (at >= line.in_use_from) & (at <= line.in_use_to)
        number = np.where(active, line.number, number)
    return number.astype(np.int32)


def _channel(
    rng: np.random.Generator,
    draft: _Draft,
    lines_by_owner: Mapping[str, Sequence[Line]],
    channel: _Channel,
) -> None:
    """Draw one channel's events and add them to the draft."""
    day_starts = _local_days(channel.days)
    counts = rng.poisson(channel.rate, day_starts.shape[0])
    local = np.repeat(day_starts, counts)
    low, high = (int(h * 3600) for h in channel.hours)
    start = local_to_utc(local + rng.integers(low, high, local.shape[0]))
    a_first = rng.random(start.shape[0]) < channel.a_first
    if channel.kind == VOICE:
        seconds = _call_seconds(rng, start.shape[0], channel.median)
    else:
        seconds = np.zeros(start.shape[0], np.int64)
    a_number = _resolve(lines_by_owner, channel.a, start)
    b_number = _resolve(lines_by_owner, channel.b, start)
    origin = np.where(a_first, a_number, b_number).astype(np.int32)
    destination = np.where(a_first, b_number, a_number).astype(np.int32)
    none = np.full(start.shape[0], -1, np.int32)
    draft.add(channel.kind, origin, destination, none, start, seconds)


def _data_sessions(
    rng: np.random.Generator,
    draft: _Draft,
    lines_by_owner: Mapping[str, Sequence[Line]],
    person: str,
    rate: float,
) -> None:
    day_starts = _local_days("daily")
    counts = rng.poisson(rate, day_starts.shape[0])
    local = np.repeat(day_starts, counts)
    local = local + rng.integers(7 * 3600, 24 * 3600, local.shape[0])
    start = local_to_utc(local)
    n = start.shape[0]
    long_session = rng.random(n) < 0.12
    seconds = np.where(
        long_session,
        rng.integers(3600, 10800, n),
        np.clip(np.rint(rng.lognormal(np.log(240), 0.9, n)), 10, 3000),
    ).astype(np.int64)
    number = _resolve(lines_by_owner, person, start)
    none = np.full(n, -1, np.int32)
    draft.add(DATA, number, none, none, start, seconds)


def _sorted_comms(draft: _Draft, rng: np.random.Generator, extra: Comms) -> Comms:
    kind = np.concatenate([*draft.kind, extra.kind])
    start = np.concatenate([*draft.start, extra.start])
    duration = np.concatenate([*draft.duration, extra.duration])
    n_draft = kind.shape[0] - extra.kind.shape[0]
    is_data = kind == DATA
    up = np.where(is_data, np.rint(rng.lognormal(10.5, 1.3, kind.shape[0])), 0).astype(np.int64)
    down = np.where(is_data, up * rng.integers(3, 12, kind.shape[0]), 0).astype(np.int64)
    up[n_draft:] = extra.bytes_up
    down[n_draft:] = extra.bytes_down
    shift = np.concatenate([np.zeros(n_draft, np.int64), extra.clock_shift])
    order = np.argsort(start, kind="stable")
    return Comms(
        kind=kind[order],
        a=np.concatenate([*draft.a, extra.a])[order],
        b=np.concatenate([*draft.b, extra.b])[order],
        c=np.concatenate([*draft.c, extra.c])[order],
        start=start[order],
        duration=duration[order],
        bytes_up=up[order],
        bytes_down=down[order],
        clock_shift=shift[order],
    )


def _rows_for_line(
    rng: np.random.Generator,
    comms: Comms,
    line: Line,
    selected: npt.NDArray[np.intp],
    cells: Mapping[str, tuple[int, int]],
) -> RowBatch:
    kind = comms.kind[selected]
    is_data = kind == DATA
    outgoing = (comms.a[selected] == line.number) | is_data
    other = np.where(outgoing, comms.b[selected], comms.a[selected])
    other = np.where(is_data, -1, other)
    start = comms.start[selected]
    cell_start, cell_end = assign_cells(rng, cells, line.schedule, start, kind)
    n = selected.shape[0]
    return make_batch(
        n,
        kind=kind,
        outgoing=outgoing,
        other=other,
        forwarded=np.where(kind == FORWARDED, comms.c[selected], -1),
        start=start,
        duration=comms.duration[selected],
        handset=line.handset_at(start),
        sim=np.full(n, line.sim, np.int32),
        cell_start=cell_start,
        cell_end=cell_end,
        bytes_up=comms.bytes_up[selected],
        bytes_down=comms.bytes_down[selected],
        charging=np.where(is_data, CHARGING_BASE + selected, -1),
        clock_shift=comms.clock_shift[selected],
        comm=selected,
    )


def split_partials(rng: np.random.Generator, batch: RowBatch, probability: float) -> RowBatch:
    """Split some data sessions of an hour or more into 2–3 partial records (same charging ID).

    Sessions of two hours or more become three records, shorter ones two. Returns the rows in
    time order.
    """
    long_rows = np.flatnonzero((batch.kind == DATA) & (batch.duration >= 3600))
    chosen = long_rows[rng.random(long_rows.shape[0]) < probability]
    parts = np.where(batch.duration[chosen] >= 7200, 3, 2)
    return split_sessions(batch, chosen, parts)


def split_sessions(batch: RowBatch, chosen: npt.NDArray[np.intp], parts: I64) -> RowBatch:
    """Replace each chosen data row by ``parts`` consecutive partial records of the same session.

    Each partial record covers a consecutive slice of the session's time, with its share of the
    bytes, and keeps the session's charging ID. Returns the rows in time order.
    """
    if chosen.shape[0] == 0:
        return batch.sorted()
    keep = np.ones(len(batch), np.bool_)
    keep[chosen] = False
    repeated = np.repeat(chosen, parts)
    ordinal = np.concatenate([np.arange(p) for p in parts.tolist()]).astype(np.int64)
    total_parts = np.repeat(parts, parts).astype(np.int64)
    split = batch.take(repeated)
    share = split.duration // total_parts
    last = ordinal == total_parts - 1
    part_duration = np.where(last, split.duration - share * (total_parts - 1), share)
    partials = RowBatch(
        kind=split.kind,
        outgoing=split.outgoing,
        other=split.other,
        forwarded=split.forwarded,
        start=split.start + share * ordinal,
        duration=part_duration,
        handset=split.handset,
        sim=split.sim,
        cell_start=split.cell_start,
        cell_end=split.cell_end,
        bytes_up=split.bytes_up // total_parts,
        bytes_down=split.bytes_down // total_parts,
        charging=split.charging,
        clock_shift=split.clock_shift,
        comm=split.comm,
    )
    return RowBatch.concat([batch.take(np.flatnonzero(keep)), partials]).sorted()


def _deliberate_b_sessions(line: Line) -> Comms:
    """Data sessions placed in the clock-change hours of 2026 (see the network-b anomalies)."""
    ambiguous = [
        (datetime(2026, 10, 25, 0, 12, 40, tzinfo=UTC), 170),
        (datetime(2026, 10, 25, 0, 41, 5, tzinfo=UTC), 240),
        (datetime(2026, 10, 25, 1, 7, 30, tzinfo=UTC), 95),
        (datetime(2026, 10, 25, 1, 33, 12, tzinfo=UTC), 300),
    ]
    # The provider's clock went forward an hour early for these two: written 01:20 and 01:47 on
    # 29 March, local times that do not exist.
    gap = [
        (datetime(2026, 3, 29, 0, 20, 15, tzinfo=UTC), 120),
        (datetime(2026, 3, 29, 0, 47, 50, tzinfo=UTC), 200),
    ]
    events = ambiguous + gap
    n = len(events)
    return Comms(
        kind=np.full(n, DATA, np.int8),
        a=np.full(n, line.number, np.int32),
        b=np.full(n, -1, np.int32),
        c=np.full(n, -1, np.int32),
        start=np.asarray([epoch(t) for t, _ in events], np.int64),
        duration=np.asarray([d for _, d in events], np.int64),
        bytes_up=np.asarray([18_204, 40_960, 9_812, 77_310, 12_288, 30_117], np.int64),
        bytes_down=np.asarray([150_332, 388_120, 60_002, 802_551, 99_870, 245_006], np.int64),
        clock_shift=np.asarray([0, 0, 0, 0, 3600, 3600], np.int64),
    )


def _distinct(rng: np.random.Generator, high: int, count: int) -> list[int]:
    values: list[int] = []
    seen: set[int] = set()
    while len(values) < count:
        for value in rng.integers(0, high, count * 2).tolist():
            if value not in seen:
                seen.add(value)
                values.append(value)
                if len(values) == count:
                    break
    return values


def _convoy_trips(seed: int) -> tuple[ConvoyTrip, ...]:
    rng = rng_stream(seed, "convoy")
    lead, follow = VEHICLES[0].vrm, VEHICLES[1].vrm
    trips: list[ConvoyTrip] = []
    day = PERIOD_START.date()
    while day <= PERIOD_END.date():
        weekday = day.weekday()
        go = bool(rng.random() < 0.85)
        depart_seconds = int(rng.integers(int(6.58 * 3600), int(6.92 * 3600)))
        drive = int(rng.integers(17 * 60, 24 * 60))
        gap = int(rng.integers(20, 76))
        if weekday < 6 and go:
            local = np.asarray([epoch(day) + depart_seconds], np.int64)
            depart = int(local_to_utc(local)[0])
            trips.append(
                ConvoyTrip(
                    date=day,
                    lead_vrm=lead,
                    follow_vrm=follow,
                    depart=datetime.fromtimestamp(depart, tz=UTC),
                    arrive=datetime.fromtimestamp(depart + drive, tz=UTC),
                    gap_seconds=gap,
                    from_address="A1",
                    to_address="W1" if weekday == 5 else "W3",
                )
            )
        day += timedelta(days=1)
    return tuple(trips)


@dataclass(frozen=True, slots=True)
class _Cast:
    """The story's lines and kit, and the background numbers around them."""

    lines: tuple[Line, ...]
    handsets: tuple[HandsetInfo, ...]
    imsis: tuple[str, ...]
    voicemail: tuple[int, ...]
    background: tuple[tuple[int, str], ...]
    friends: Mapping[str, tuple[int, ...]]
    """Family and friends' numbers of each target person."""
    channels: tuple[_Channel, ...]
    """Every channel: the network's own, then each target's background."""

    def by_owner(self) -> dict[str, list[Line]]:
        """Lines by person id (``SH`` for the shared phone), in time order."""
        owners: dict[str, list[Line]] = {}
        for line in self.lines:
            owners.setdefault(line.user if line.user is not None else line.key, []).append(line)
        return owners


def _make_cast(seed: int, book: NumberBook) -> _Cast:
    """Give everyone their numbers, handsets and SIMs, and draw up the background contacts.

    The core case keeps suffixes 000–199 of the mobile, 01632, London and non-geographic drama
    ranges; the bulk network added by ``scale`` uses everything else.
    """
    pick = rng_stream(seed, "numbers")
    mobiles = iter(pick.permutation(200).tolist())
    landlines = iter(pick.permutation(200).tolist())
    others = iter(pick.permutation(200).tolist())
    kit = rng_stream(seed, "handsets")
    # Lower halves of the serial and MSIN ranges; bulk lines take the upper halves.
    serials = iter(_distinct(kit, 500_000, 40))
    msins = iter(_distinct(kit, 5 * 10**9, 40))
    handsets: list[HandsetInfo] = []
    imsis: list[str] = []
    first, last = epoch(PERIOD_START), epoch(PERIOD_END)
    switch, swap = epoch(SWITCH_AT), epoch(HANDSET_SWAP_AT)

    def handset(user: str | None, keys: tuple[str, ...], since: int, until: int) -> int:
        tac, model = HANDSET_MODELS[int(kit.integers(0, len(HANDSET_MODELS)))]
        handsets.append(HandsetInfo(make_imei(tac, next(serials)), user, model, since, until, keys))
        return len(handsets) - 1

    def line(
        key: str,
        user: str | None,
        network: str,
        kit_history: tuple[tuple[int, int], ...],
        span: tuple[int, int] = (first, last),
        label: str = "personal mobile",
    ) -> Line:
        imsis.append(make_imsi(next(msins)))
        return Line(
            key=key,
            number=book.index("mobile", next(mobiles)),
            user=user,
            shared_by=SHARED_PHONE_USERS if key == "SH" else (),
            network=Layout(network).network_index,
            in_use_from=span[0],
            in_use_to=span[1],
            sim=len(imsis) - 1,
            handsets=kit_history,
            schedule=SCHEDULES[user or key],
            label=label,
        )

    controller = ((first, handset("P01", ("P01-old", "P01-new"), first, last)),)
    lines = [
        line(
            "P01-old",
            "P01",
            "network-a",
            controller,
            (first, switch - 1),
            "controller's first number",
        ),
        line(
            "P01-new",
            "P01",
            "network-d",
            controller,
            (switch, last),
            "controller's successor number",
        ),
    ]
    for spec in PEOPLE:
        if spec.network is None or spec.id == "P01":
            continue
        history: tuple[tuple[int, int], ...]
        if spec.id == "P04":  # the driver moves his SIM into a new handset in August
            history = (
                (first, handset("P04", ("P04",), first, swap - 1)),
                (swap, handset("P04", ("P04",), swap, last)),
            )
        else:
            history = ((first, handset(spec.id, (spec.id,), first, last)),)
        lines.append(line(spec.id, spec.id, spec.network, history))
    shared = ((first, handset(None, ("SH",), first, last)),)
    lines.append(line("SH", None, "network-b", shared, label="victims' shared phone"))

    voicemail = tuple(book.index("mobile", next(mobiles)) for _ in NETWORKS)
    background = [
        (number, f"{network.label.removesuffix(' (fictional operator)')} voicemail (fictional)")
        for network, number in zip(NETWORKS, voicemail, strict=True)
    ]
    friends: dict[str, tuple[int, ...]] = {}
    for person, relations in _FAMILY:
        labels = [f"{relation} of {person}" for relation in relations]
        labels += [f"friend {i} of {person}" for i in (1, 2)]
        numbers = [book.index("mobile", next(mobiles)) for _ in labels]
        friends[person] = tuple(numbers)
        background += [
            (n, f"{label} (background)") for n, label in zip(numbers, labels, strict=True)
        ]

    channels = list(_person_channels())
    town = []
    for label, range_label, rate, h_from, h_to in _TOWN_SERVICES:
        suffix = next(landlines) if range_label == "no area (01632)" else next(others)
        town.append((book.index(range_label, suffix), rate, (h_from, h_to)))
        background.append((town[-1][0], label))
    offices = []
    for label, range_label, users in _OFFICE_SERVICES:
        offices.append((book.index(range_label, next(others)), users))
        background.append((offices[-1][0], label))
    for person, _ in _TARGET_DATA_RATES:
        for number in friends[person]:
            channels.append(_Channel(person, number, VOICE, 0.2, "daily", (9, 22), 0.5, 180))
            channels.append(_Channel(person, number, SMS, 0.3, "daily", (8, 23), 0.5))
        for number, rate, hours in town:
            channels.append(_Channel(person, number, VOICE, rate, "daily", hours, 1.0, 75))
        for number, users in offices:
            channels += [
                _Channel(person, number, VOICE, rate, "workdays", (9, 17), 0.8, 240)
                for user, rate in users
                if user == person
            ]
        for value, _, rate, incoming in _SERVICE_TEXTS:
            sender = book.special(value)
            channels.append(
                _Channel(sender, person, SMS, rate, "daily", (7, 22), 1.0 if incoming else 0.0)
            )
    return _Cast(
        lines=tuple(lines),
        handsets=tuple(handsets),
        imsis=tuple(imsis),
        voicemail=voicemail,
        background=tuple(background),
        friends=friends,
        channels=tuple(channels),
    )


def build_core(seed: int) -> CoreCase:
    """Draw the whole core story for ``seed`` and cut its seven CDR returns."""
    book = NumberBook.build()
    geography = Geography.build(rng_stream(seed, "masts"), _all_places())
    cast = _make_cast(seed, book)
    lines_by_owner = cast.by_owner()

    rng = rng_stream(seed, "calls")
    draft = _Draft([], [], [], [], [], [])
    for channel in cast.channels:
        _channel(rng, draft, lines_by_owner, channel)
    for person, data_rate in _TARGET_DATA_RATES:
        _data_sessions(rng, draft, lines_by_owner, person, data_rate)
        _diverted_calls(rng, draft, lines_by_owner, person, cast.friends[person], cast.voicemail)

    convoy_trips = _convoy_trips(seed)
    transport_runs = _transport_runs(seed, convoy_trips)
    drives = _drives(convoy_trips, transport_runs)
    lieutenant = lines_by_owner["P02"][0]
    extra = _concat_comms(
        (
            _deliberate_b_sessions(lieutenant),
            _route_sessions(seed, lines_by_owner, drives),
            _night_sessions(seed, lines_by_owner),
        )
    )
    comms = _sorted_comms(draft, rng, extra)
    exhibits = _cut_exhibits(seed, comms, geography, lines_by_owner, len(cast.handsets), drives)
    old, new = lines_by_owner["P01"]
    old_events = comms.start[(comms.a == old.number) | (comms.b == old.number)]
    new_events = comms.start[(comms.a == new.number) | (comms.b == new.number)]
    corrupt = _corrupt_imei(cast.handsets[lieutenant.handsets[0][1]].imei)
    return CoreCase(
        book=book,
        geography=geography,
        lines=cast.lines,
        handsets=cast.handsets,
        imei_table=(*(h.imei for h in cast.handsets), corrupt),
        imsis=cast.imsis,
        background=cast.background,
        services=tuple(
            (value, "short-code" if value in SHORT_CODES else "sender-id", label)
            for value, label, _, _ in _SERVICE_TEXTS
        ),
        voicemail=cast.voicemail,
        exhibits=exhibits,
        comms=comms,
        convoy_trips=convoy_trips,
        transport_runs=transport_runs,
        drives=drives,
        last_old_event=int(old_events.max()),
        first_new_event=int(new_events.min()),
    )


def _diverted_calls(
    rng: np.random.Generator,
    draft: _Draft,
    lines_by_owner: Mapping[str, Sequence[Line]],
    person: str,
    callers: Sequence[int],
    voicemail: Sequence[int],
) -> None:
    """Calls from family and friends that the network diverted to voicemail (not on network-d)."""
    day_starts = _local_days("daily")
    counts = np.asarray(rng.poisson(0.06, day_starts.shape[0]), np.int64)
    local = np.repeat(day_starts, counts) + rng.integers(9 * 3600, 22 * 3600, int(counts.sum()))
    start = local_to_utc(local)
    n = start.shape[0]
    caller = np.asarray(callers, np.int32)[rng.integers(0, len(callers), n)]
    target = _resolve(lines_by_owner, person, start)
    network = np.full(n, -1, np.int32)
    for line in lines_by_owner[person]:
        active = (start >= line.in_use_from) & (start <= line.in_use_to)
        network = np.where(active, line.network, network)
    divert = np.where(network >= 0, np.asarray(voicemail, np.int32)[network], -1)
    keep = network != Layout.NETWORK_D.network_index
    seconds = np.clip(np.rint(rng.lognormal(np.log(25), 0.5, n)), 3, 120).astype(np.int64)
    draft.add(FORWARDED, caller[keep], target[keep], divert[keep], start[keep], seconds[keep])


def _corrupt_imei(imei: str) -> str:
    """The IMEI with a wrong check digit, so Luhn fails (a provider's transcription slip).

    The wrong digit is never 0, which an ingest would rightly read as network padding instead.
    """
    wrong = (int(imei[14]) + 3) % 10
    return imei[:14] + str(wrong if wrong != 0 else (int(imei[14]) + 4) % 10)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A CDR return to cut: whose line, which layout, the authorised days."""

    reference: str
    person: str
    line: int
    """Which of the person's lines (0, or 1 for the controller's successor number)."""
    layout: Layout
    first: date
    last: date
    authorisation: str
    description: str


def _window(first: date, last: date) -> tuple[int, int]:
    return epoch(first), epoch(last) + 86399


def _cut_exhibits(
    seed: int,
    comms: Comms,
    geography: Geography,
    lines_by_owner: Mapping[str, Sequence[Line]],
    corrupt_handset: int,
    drives: Sequence[Drive],
) -> tuple[CoreExhibit, ...]:
    rng = rng_stream(seed, "exhibits")
    road = rng_stream(seed, "on-the-road")
    a, b, c, d = Layout.NETWORK_A, Layout.NETWORK_B, Layout.NETWORK_C, Layout.NETWORK_D
    plans = (
        _Plan("DC/1", "P01", 0, a, date(2026, 3, 1), date(2026, 7, 31), "OCDA-2026-000411",
              "Call data, controller's first number (network-a)"),
        _Plan("DC/2", "P01", 1, d, date(2026, 7, 1), date(2026, 11, 15), "OCDA-2026-000587",
              "Call data, controller's successor number (network-d)"),
        _Plan("DC/3", "P02", 0, b, date(2026, 3, 1), date(2026, 11, 15), "OCDA-2026-000412",
              "Call data, lieutenant's mobile (network-b)"),
        _Plan("DC/4", "P08", 0, c, date(2026, 4, 1), date(2026, 10, 31), "OCDA-2026-000413",
              "Call data, money handler's mobile (network-c)"),
        _Plan("DC/5", "P04", 0, a, date(2026, 6, 1), date(2026, 9, 30), "OCDA-2026-000496",
              "Call data, driver's mobile (network-a)"),
        # DC/6 is the cell list. The victims' phones were applied for later, to corroborate
        # where they were kept and used.
        _Plan("DC/7", "SH", 0, b, date(2026, 4, 1), date(2026, 9, 30), "OCDA-2026-000634",
              "Call data, victims' shared phone kept at House 2 (network-b)"),
        _Plan("DC/8", "V03", 0, c, date(2026, 6, 1), date(2026, 9, 30), "OCDA-2026-000635",
              "Call data, mobile of a House 1 occupant (network-c)"),
    )  # fmt: skip
    exhibits: list[CoreExhibit] = []
    for plan in plans:
        reference, layout = plan.reference, plan.layout
        line = lines_by_owner[plan.person][plan.line]
        window_start, window_end = _window(plan.first, plan.last)
        involved = (comms.a == line.number) | (comms.b == line.number)
        involved &= ~((comms.kind == DATA) & (comms.a != line.number))
        candidates = np.flatnonzero(involved)
        in_window = candidates[
            (comms.start[candidates] >= window_start) & (comms.start[candidates] <= window_end)
        ]
        selected = in_window
        if reference == "DC/4":
            # The provider returned a few rows either side of the authorised window.
            before = candidates[comms.start[candidates] < window_start][-2:]
            after = candidates[comms.start[candidates] > window_end][:3]
            selected = np.concatenate([before, in_window, after])
        cells = _place_cells(geography, line.network)
        batch = _rows_for_line(rng, comms, line, selected, cells)
        travels, stays = _whereabouts(plan.person, line.schedule, drives)
        if travels:
            batch = _on_the_road(road, batch, geography, line.network, cells, travels, stays)
        if layout is Layout.NETWORK_D:
            batch = split_partials(rng, batch, 0.2)
        if reference == "DC/3":
            batch = _with_luhn_failure(rng, batch, corrupt_handset)
        exhibits.append(
            CoreExhibit(
                reference=reference,
                layout=layout,
                line=line,
                person=plan.person,
                window_start=window_start,
                window_end=window_end,
                authorisation=plan.authorisation,
                description=plan.description,
                batch=batch,
            )
        )
    return tuple(exhibits)


def _with_luhn_failure(rng: np.random.Generator, batch: RowBatch, corrupt: int) -> RowBatch:
    """Point one June voice row's handset at the corrupted IMEI."""
    june = (batch.start >= epoch(date(2026, 6, 1))) & (batch.start < epoch(date(2026, 7, 1)))
    options = np.flatnonzero(june & (batch.kind == VOICE))
    row = int(options[int(rng.integers(0, options.shape[0]))])
    handset = batch.handset.copy()
    handset[row] = corrupt
    return RowBatch(
        kind=batch.kind,
        outgoing=batch.outgoing,
        other=batch.other,
        forwarded=batch.forwarded,
        start=batch.start,
        duration=batch.duration,
        handset=handset,
        sim=batch.sim,
        cell_start=batch.cell_start,
        cell_end=batch.cell_end,
        bytes_up=batch.bytes_up,
        bytes_down=batch.bytes_down,
        charging=batch.charging,
        clock_shift=batch.clock_shift,
        comm=batch.comm,
    )


def _local_instant(day: date, seconds: int) -> int:
    """UTC epoch seconds of a UK wall-clock time ``seconds`` after midnight of ``day``."""
    return int(local_to_utc(np.asarray([epoch(day) + seconds], np.int64))[0])


def _transport_runs(seed: int, trips: Sequence[ConvoyTrip]) -> tuple[TransportRun, ...]:
    """The victims' journeys by vehicle other than the morning convoy, in time order.

    * After every convoy trip the people carrier (the lead vehicle, driven by P04) brings House 1's
      occupants back from the work site late in the evening (local 21:00-22:00: long shifts).
    * Nine Saturdays in ten the van (P05) takes House 3's occupants to a night shift at the food
      factory (leaving local 21:30-21:55) and brings them back on Sunday morning (06:00-06:30).

    Every draw is made whether or not a run happens, so the runs depend only on the seed.
    """
    rng = rng_stream(seed, "transport")
    carrier, van = VEHICLES[0], VEHICLES[1]
    house1 = tuple(p.id for p in PEOPLE if p.home == "A1" and p.role == "victim")
    house3 = tuple(p.id for p in PEOPLE if p.home == "A3" and p.role == "victim")
    runs: list[TransportRun] = []
    for trip in trips:
        depart = _local_instant(trip.date, int(rng.integers(21 * 3600, 22 * 3600)))
        drive = int(rng.integers(16 * 60, 23 * 60))
        runs.append(
            TransportRun(
                date=trip.date,
                vrm=carrier.vrm,
                driver=carrier.user,
                purpose="evening return from work",
                depart=datetime.fromtimestamp(depart, tz=UTC),
                arrive=datetime.fromtimestamp(depart + drive, tz=UTC),
                from_address=trip.to_address,
                to_address="A1",
                passengers=house1,
            )
        )
    day = PERIOD_START.date()
    while day <= PERIOD_END.date():
        if day.weekday() == 5:
            go = bool(rng.random() < 0.9)
            out = _local_instant(day, int(rng.integers(int(21.5 * 3600), int(21.92 * 3600))))
            sunday = day + timedelta(days=1)
            back = _local_instant(sunday, int(rng.integers(6 * 3600, int(6.5 * 3600))))
            drive_out, drive_back = (int(d) for d in rng.integers(12 * 60, 17 * 60, 2))
            legs = (
                ("night shift: to the food factory", out, drive_out, "A3", "W3"),
                ("night shift: back from the food factory", back, drive_back, "W3", "A3"),
            )
            if go and back + drive_back <= epoch(PERIOD_END):
                runs += [
                    TransportRun(
                        date=datetime.fromtimestamp(start + _offset_at(start), tz=UTC).date(),
                        vrm=van.vrm,
                        driver=van.user,
                        purpose=purpose,
                        depart=datetime.fromtimestamp(start, tz=UTC),
                        arrive=datetime.fromtimestamp(start + drive, tz=UTC),
                        from_address=origin,
                        to_address=destination,
                        passengers=house3,
                    )
                    for purpose, start, drive, origin, destination in legs
                ]
        day += timedelta(days=1)
    return tuple(sorted(runs, key=lambda run: run.depart))


def _offset_at(instant: int) -> int:
    """The UK offset from UTC (0 or 3600 seconds) in force at one UTC instant."""
    return int(uk_offset(np.asarray([instant], np.int64))[0])


def _drives(trips: Sequence[ConvoyTrip], runs: Sequence[TransportRun]) -> tuple[Drive, ...]:
    """Every vehicle journey with the people in it, in time order.

    The people carrier leads each convoy trip with House 1's occupants aboard and its usual driver
    at the wheel; the van follows ``gap_seconds`` behind with its own driver. A transport run
    carries the run's driver and passengers.
    """
    driver_of = {v.vrm: v.user for v in VEHICLES}
    house1 = tuple(p.id for p in PEOPLE if p.home == "A1" and p.role == "victim")
    drives: list[Drive] = []
    for trip in trips:
        depart, arrive = epoch(trip.depart), epoch(trip.arrive)
        for vrm, passengers, gap in (
            (trip.lead_vrm, house1, 0),
            (trip.follow_vrm, (), trip.gap_seconds),
        ):
            drives.append(
                Drive(
                    kind="convoy",
                    day=trip.date,
                    vrm=vrm,
                    driver=driver_of[vrm],
                    passengers=passengers,
                    origin=trip.from_address,
                    destination=trip.to_address,
                    depart=depart + gap,
                    arrive=arrive + gap,
                )
            )
    drives += [
        Drive(
            kind="transport",
            day=run.date,
            vrm=run.vrm,
            driver=run.driver,
            passengers=run.passengers,
            origin=run.from_address,
            destination=run.to_address,
            depart=epoch(run.depart),
            arrive=epoch(run.arrive),
        )
        for run in runs
    ]
    return tuple(sorted(drives, key=lambda d: (d.depart, d.vrm)))


def _whereabouts(
    person: str, schedule: Schedule, drives: Sequence[Drive]
) -> tuple[list[Drive], list[tuple[int, int, str]]]:
    """The drives ``person`` is in, and their stays at work sites: (from, to, address id).

    After a convoy trip its people are at the work site it took them to: a passenger until the
    next drive they are in that day (the evening return), the driver until then or the end of
    his working day (his schedule's ``day_to``), whichever comes first. The driver P04's
    schedule puts him at the food factory, but on Saturdays the convoy goes to the car wash and so
    does he.
    """
    mine = [d for d in drives if d.driver == person or person in d.passengers]
    stays: list[tuple[int, int, str]] = []
    for k, drive in enumerate(mine):
        if drive.kind != "convoy":
            continue
        following = mine[k + 1] if k + 1 < len(mine) else None
        until = following.depart - 1 if following and following.day == drive.day else None
        if until is None or drive.driver == person:
            day_end = _local_instant(drive.day, schedule.day_to * 3600) - 1
            until = day_end if until is None else min(until, day_end)
        if until > drive.arrive:
            stays.append((drive.arrive + 1, until, drive.destination))
    return mine, stays


def _on_the_road(
    rng: np.random.Generator,
    batch: RowBatch,
    geography: Geography,
    network: int,
    cells: Mapping[str, tuple[int, int]],
    drives: Sequence[Drive],
    stays: Sequence[tuple[int, int, str]],
) -> RowBatch:
    """Re-place the rows of a line whose user was in a vehicle, or at a site a convoy took them to.

    A start or end instant during one of the user's drives gets the cell serving the point of the
    route the vehicle had reached then (a sector of the nearest mast, of the second nearest for
    :data:`_SECOND_MAST` of them); one during a stay gets the site's usual cell, or its
    neighbouring cell one time in five, as :func:`assign_cells` does. An SMS has no end cell.
    Four draws are made for every row, so the result depends only on the rows.
    """
    n = len(batch)
    draws = rng.random((n, 4))
    departs = np.asarray([d.depart for d in drives], np.int64)
    arrives = np.asarray([d.arrive for d in drives], np.int64)
    stay_from = np.asarray([s[0] for s in stays], np.int64)
    stay_to = np.asarray([s[1] for s in stays], np.int64)
    columns = (batch.cell_start.copy(), batch.cell_end.copy())
    instants = (batch.start, batch.start + batch.duration)
    placed = (np.ones(n, np.bool_), batch.kind != SMS)
    for phase in (0, 1):
        at = instants[phase]
        which = np.searchsorted(departs, at, side="right") - 1
        moving = placed[phase] & (which >= 0) & (at <= arrives[np.clip(which, 0, None)])
        for row in np.flatnonzero(moving).tolist():
            drive = drives[int(which[row])]
            share = (int(at[row]) - drive.depart) / max(drive.arrive - drive.depart, 1)
            latitude, longitude = position_on_route(drive.origin, drive.destination, share)
            rank = 1 if draws[row, phase] < _SECOND_MAST else 0
            columns[phase][row] = geography.serving_cell(network, latitude, longitude, rank)
        if not stays:
            continue
        stay = np.searchsorted(stay_from, at, side="right") - 1
        staying = placed[phase] & ~moving & (stay >= 0)
        staying &= at <= stay_to[np.clip(stay, 0, None)]
        for row in np.flatnonzero(staying).tolist():
            usual, neighbour = cells[stays[int(stay[row])][2]]
            columns[phase][row] = neighbour if draws[row, 2 + phase] < 0.2 else usual
    return replace(batch, cell_start=columns[0], cell_end=columns[1])


def _concat_comms(parts: Sequence[Comms]) -> Comms:
    """Join communications drawn apart (not yet in time order)."""
    return Comms(
        kind=np.concatenate([p.kind for p in parts]).astype(np.int8),
        a=np.concatenate([p.a for p in parts]).astype(np.int32),
        b=np.concatenate([p.b for p in parts]).astype(np.int32),
        c=np.concatenate([p.c for p in parts]).astype(np.int32),
        start=np.concatenate([p.start for p in parts]).astype(np.int64),
        duration=np.concatenate([p.duration for p in parts]).astype(np.int64),
        bytes_up=np.concatenate([p.bytes_up for p in parts]).astype(np.int64),
        bytes_down=np.concatenate([p.bytes_down for p in parts]).astype(np.int64),
        clock_shift=np.concatenate([p.clock_shift for p in parts]).astype(np.int64),
    )


def _data_comms(rng: np.random.Generator, number: I32, start: I64, seconds: I64) -> Comms:
    """Data sessions of the given lines, with small byte counts drawn from ``rng``."""
    keep = (number >= 0) & (start >= epoch(PERIOD_START)) & (start <= epoch(PERIOD_END))
    n = start.shape[0]
    up = np.rint(rng.lognormal(9.0, 1.0, n)).astype(np.int64)
    down = up * rng.integers(2, 10, n)
    none = np.full(int(keep.sum()), -1, np.int32)
    return Comms(
        kind=np.full(int(keep.sum()), DATA, np.int8),
        a=number[keep].astype(np.int32),
        b=none,
        c=none,
        start=start[keep].astype(np.int64),
        duration=seconds[keep].astype(np.int64),
        bytes_up=up[keep],
        bytes_down=down[keep].astype(np.int64),
        clock_shift=np.zeros(int(keep.sum()), np.int64),
    )


def _route_sessions(
    seed: int, lines_by_owner: Mapping[str, Sequence[Line]], drives: Sequence[Drive]
) -> Comms:
    """Short data sessions of a target's phone while they drive one of the case's vehicles.

    On every drive three or four of the cameras that read the vehicle are chosen, and the phone
    starts a session of 8-75 seconds within 90 seconds of the vehicle passing each (at the
    passing's share of the driving time, as the ANPR reads are drawn, which add up to 15 seconds
    either way). Twelve draws are made for every drive, so the sessions depend only on the seed.
    """
    rng = rng_stream(seed, "on-the-road-sessions")
    targets = {person for person, _ in _TARGET_DATA_RATES}
    owners: list[str] = []
    starts: list[int] = []
    seconds: list[int] = []
    for drive in drives:
        draws = rng.integers(0, 1 << 30, 12).tolist()
        if drive.driver not in targets:
            continue
        passings = route(drive.origin, drive.destination)
        count = min(len(passings), 3 + draws[0] % 2)
        chosen = sorted(sorted(range(len(passings)), key=lambda i: draws[1 + i])[:count])
        span = drive.arrive - drive.depart
        for j, index in enumerate(chosen):
            at = drive.depart + round(passings[index].at * span) + draws[6 + j] % 181 - 90
            starts.append(min(max(at, drive.depart), drive.arrive - 5))
            seconds.append(8 + draws[6 + j] // 181 % 68)
            owners.append(drive.driver)
    start = np.asarray(starts, np.int64)
    number = np.full(start.shape[0], -1, np.int32)
    for owner in sorted(set(owners)):
        mine = np.asarray([o == owner for o in owners], np.bool_)
        number = np.where(mine, _resolve(lines_by_owner, owner, start), number).astype(np.int32)
    return _data_comms(rng, number, start, np.asarray(seconds, np.int64))


def _night_sessions(seed: int, lines_by_owner: Mapping[str, Sequence[Line]]) -> Comms:
    """The victims' phones' data sessions (:data:`_NIGHT_USE`): messaging, late and early."""
    rng = rng_stream(seed, "victims-phones")
    day_starts = _local_days("daily")
    parts: list[Comms] = []
    for owner, rate, (low, high) in _NIGHT_USE:
        counts = rng.poisson(rate, day_starts.shape[0])
        local = np.repeat(day_starts, counts)
        local = local + rng.integers(int(low * 3600), int(high * 3600), local.shape[0])
        start = local_to_utc(local)
        seconds = np.clip(np.rint(rng.lognormal(np.log(420), 0.9, start.shape[0])), 15, 5400)
        number = _resolve(lines_by_owner, owner, start)
        parts.append(_data_comms(rng, number, start, seconds.astype(np.int64)))
    return _concat_comms(parts)
