"""Bulk CDR traffic for scale: many more target lines and background contacts, fully vectorised.

``generate_case(scale=N)`` adds a background network of target lines around Operation Cedar so
that the CDR exhibits hold about ``N`` rows in all; :func:`threadline.scenario.generate_cdr_file`
writes one large return for benchmarks. Both draw rows here, in numpy, never a Python loop per
row, and hand them to the streaming writers in :mod:`threadline.scenario.layouts`.

Shape of the bulk traffic:

* each bulk line is a target on network-a, network-b or network-d (CSV layouts only) with a home
  and a work location in the town, a handset (5% change handset part-way through) and a SIM;
* it has its own set of contacts (typically 20–1,500, heavy-tailed; busier lines have more),
  drawn from a shared pool with heavy-tailed popularity, so common contacts arise as they do in
  real data; the pool is every drama number the core case does not use (about 17,000), which
  caps the distinct numbers any data set can hold;
* traffic mixes calls (about a third, 5% unanswered), SMS (some from sender IDs), diverted calls
  (not on network-d) and data sessions, at local hours with a daily rhythm; on network-d some long
  sessions are split into 2–3 partial records sharing a charging ID;
* about 4% of each line's rows are calls and texts with other bulk lines, written in both returns
  with the same instant, so cross-return de-duplication has something to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from threadline.scenario.cast import HANDSET_MODELS
from threadline.scenario.geography import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN, Geography
from threadline.scenario.identifiers import (
    DRAMA_RANGES,
    SENDER_IDS,
    NumberBook,
    make_imei,
    make_imsi,
    rng_stream,
)
from threadline.scenario.layouts import Layout
from threadline.scenario.rows import DATA, FORWARDED, SMS, VOICE, RowBatch, make_batch
from threadline.scenario.story import split_sessions
from threadline.scenario.timebase import local_to_utc, uk_offset

__all__ = ["BulkLine", "BulkPlan", "bulk_rows", "contact_pool", "plan_bulk"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Rows per bulk line aimed at; the number of lines follows from the rows wanted.
ROWS_PER_LINE = 25_000
#: At most this many bulk lines (they need mobile numbers, and the drama range has 1,000).
MAX_LINES = 600
#: Drama ranges whose suffixes 000–199 the core case keeps for itself.
_CORE_RANGES = frozenset(
    {"mobile", "no area (01632)", "London", "freephone", "premium rate", "UK-wide 03"}
)
_LAYOUT_CYCLE = (Layout.NETWORK_A, Layout.NETWORK_B, Layout.NETWORK_D)
_CHARGING_BASE = 5_000_000_000

#: Relative activity by local hour: calls and texts, and data sessions.
_TALK_HOURS = np.asarray(
    [1, 0.5, 0.3, 0.2, 0.2, 0.5, 2, 4, 6, 7, 7, 7, 8, 7, 7, 7, 7, 8, 9, 9, 8, 6, 4, 2], np.float64
)
_DATA_HOURS = np.asarray(
    [3, 2, 1.5, 1, 1, 1.5, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 7, 5], np.float64
)


@dataclass(frozen=True, slots=True, eq=False)
class BulkLine:
    """One bulk target line."""

    number: int
    layout: Layout
    sim: int
    handsets: tuple[tuple[int, int], ...]
    """(from epoch seconds, handset index) in time order."""
    cells: I32
    """Candidate cells: home, work, then three places roamed to."""
    contacts: I32
    contact_p: F64
    rows: int
    mix: tuple[float, float, float]
    """Shares of voice, SMS and diverted calls; data sessions take the rest."""

    def handset_at(self, seconds: I64) -> I32:
        """Handset index in use at each instant."""
        starts = np.asarray([h[0] for h in self.handsets], dtype=np.int64)
        which = np.clip(np.searchsorted(starts, seconds, side="right") - 1, 0, None)
        return np.asarray([h[1] for h in self.handsets], dtype=np.int32)[which]


@dataclass(frozen=True, slots=True, eq=False)
class _Mirrored:
    """Rows from calls and texts between bulk lines, grouped by the line whose return shows them."""

    owner_offsets: I64
    kind: npt.NDArray[np.int8]
    outgoing: npt.NDArray[np.bool_]
    other: I32
    start: I64
    duration: I64

    def rows_of(self, line: int) -> slice:
        """The slice of rows belonging to bulk line ``line``."""
        return slice(int(self.owner_offsets[line]), int(self.owner_offsets[line + 1]))


@dataclass(frozen=True, slots=True, eq=False)
class BulkPlan:
    """The bulk lines, their identifiers and their shared calls, before any row is drawn."""

    lines: tuple[BulkLine, ...]
    imeis: tuple[str, ...]
    handset_models: tuple[str, ...]
    imsis: tuple[str, ...]
    mirrored: _Mirrored
    senders: I32
    """Number-book indices of the alphanumeric SMS senders."""
    window_start: int
    window_end: int
    seed: int


def contact_pool(seed: int, book: NumberBook, exclude: set[int]) -> tuple[I32, F64]:
    """Numbers bulk lines may call, with heavy-tailed popularity weights (mobiles favoured)."""
    indices: list[int] = []
    weights: list[float] = []
    for position, drama in enumerate(DRAMA_RANGES):
        first = 200 if drama.label in _CORE_RANGES else 0
        factor = 3.0 if drama.label == "mobile" else 1.0
        if drama.label == "premium rate":
            factor = 0.05
        for suffix in range(first, 1000):
            index = position * 1000 + suffix
            if index not in exclude:
                indices.append(index)
                weights.append(factor)
    pool = np.asarray(indices, np.int32)
    rng = rng_stream(seed, "popularity")
    rank = rng.permutation(pool.shape[0]).astype(np.float64)
    popularity = np.asarray(weights) / (rank + 20.0) ** 0.9
    return pool, popularity / popularity.sum()


def _allocate(total: int, weights: F64) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` that sum exactly to it."""
    raw = total * weights / weights.sum()
    parts = np.floor(raw).astype(np.int64)
    remainder = total - int(parts.sum())
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[:remainder]] += 1
    return [int(p) for p in parts]


def _line_cells(rng: np.random.Generator, geography: Geography, layout: Layout) -> I32:
    cells = []
    for _ in range(5):
        lat = float(rng.uniform(LAT_MIN, LAT_MAX))
        lon = float(rng.uniform(LON_MIN, LON_MAX))
        cells.append(geography.serving_cell(layout.network_index, lat, lon))
    return np.asarray(cells, np.int32)


def plan_bulk(
    seed: int,
    book: NumberBook,
    geography: Geography,
    rows: int,
    window: tuple[int, int],
    *,
    handset_base: int,
    sim_base: int,
    layouts: tuple[Layout, ...] = _LAYOUT_CYCLE,
    lines: int | None = None,
) -> BulkPlan:
    """Plan bulk target lines holding exactly ``rows`` rows between them.

    Args:
        seed: the generation seed.
        book: the number book.
        geography: the town's cells.
        rows: total rows wanted across all bulk returns.
        window: first and last second (UTC, inclusive) of the returns.
        handset_base: handset-table index the bulk handsets start at.
        sim_base: SIM-table index the bulk SIMs start at.
        layouts: layouts to give the lines, in rotation.
        lines: how many lines; by default about one per :data:`ROWS_PER_LINE` rows.
    """
    rng = rng_stream(seed, "bulk-plan")
    count = lines or min(MAX_LINES, max(1, -(-rows // ROWS_PER_LINE)))
    count = max(1, min(count, rows // 50 if rows >= 50 else 1))
    allocation = _allocate(rows, rng.lognormal(0.0, 0.35, count))
    targets = [book.index("mobile", int(s)) for s in 200 + rng.permutation(800)[:count]]
    pool, popularity = contact_pool(seed, book, set(targets))
    window_start, window_end = window

    imeis: list[str] = []
    models: list[str] = []
    # Serials and MSINs from the upper half of their ranges: the core case uses the lower half.
    serials = 500_000 + rng.permutation(500_000)[: 2 * count + 2]
    msins = np.unique(rng.integers(5 * 10**9, 10**10, 3 * count + 10))
    msins = rng.permutation(msins)[:count]
    bulk_lines: list[BulkLine] = []
    for i in range(count):
        layout = layouts[i % len(layouts)]
        tac, model = HANDSET_MODELS[int(rng.integers(0, len(HANDSET_MODELS)))]
        imeis.append(make_imei(tac, int(serials[2 * i])))
        models.append(model)
        history: tuple[tuple[int, int], ...] = ((window_start, handset_base + len(imeis) - 1),)
        if rng.random() < 0.05:
            tac2, model2 = HANDSET_MODELS[int(rng.integers(0, len(HANDSET_MODELS)))]
            imeis.append(make_imei(tac2, int(serials[2 * i + 1])))
            models.append(model2)
            change = int(rng.integers(window_start, window_end))
            history = (*history, (change, handset_base + len(imeis) - 1))
        # Busier lines know more people: contacts grow with the square root of the rows.
        breadth = max(1.0, (allocation[i] / ROWS_PER_LINE) ** 0.5)
        size = int(np.clip(rng.lognormal(np.log(120 * breadth), 0.6), 20, 1500 * breadth))
        size = max(1, min(size, allocation[i] // 3 if allocation[i] >= 3 else 1, pool.shape[0]))
        chosen = rng.choice(pool.shape[0], size=size, replace=False, p=popularity)
        contact_weight = 1.0 / (np.arange(size, dtype=np.float64) + 1.0) ** 1.1
        voice = float(rng.uniform(0.22, 0.38))
        sms = float(rng.uniform(0.12, 0.28))
        diverted = 0.0 if layout is Layout.NETWORK_D else 0.01
        bulk_lines.append(
            BulkLine(
                number=targets[i],
                layout=layout,
                sim=sim_base + i,
                handsets=history,
                cells=_line_cells(rng, geography, layout),
                contacts=pool[chosen],
                contact_p=contact_weight / contact_weight.sum(),
                rows=allocation[i],
                mix=(voice, sms, diverted),
            )
        )
    mirrored = _mirror(rng, bulk_lines, window_start, window_end)
    return BulkPlan(
        lines=tuple(bulk_lines),
        imeis=tuple(imeis),
        handset_models=tuple(models),
        imsis=tuple(make_imsi(int(m)) for m in msins),
        mirrored=mirrored,
        senders=np.asarray([book.special(s) for s in SENDER_IDS], np.int32),
        window_start=window_start,
        window_end=window_end,
        seed=seed,
    )


def _mirror(
    rng: np.random.Generator, lines: list[BulkLine], window_start: int, window_end: int
) -> _Mirrored:
    """Draw calls and texts between bulk lines (about 4% of each line's rows)."""
    count = len(lines)
    budget = np.asarray([line.rows for line in lines], np.int64)
    if count < 2:
        empty = np.zeros(0, np.int64)
        return _Mirrored(
            np.zeros(count + 1, np.int64),
            empty.astype(np.int8),
            empty.astype(np.bool_),
            empty.astype(np.int32),
            empty,
            empty,
        )
    degree = min(3, count - 1)
    first = np.repeat(np.arange(count), degree)
    second = (first + 1 + rng.integers(0, count - 1, first.shape[0])) % count
    per_edge = np.minimum(budget[first], budget[second]) * 0.04 / (2 * degree)
    events = np.floor(per_edge).astype(np.int64)
    edge = np.repeat(np.arange(first.shape[0]), events)
    n = edge.shape[0]
    a = first[edge]
    b = second[edge]
    swap = rng.random(n) < 0.5
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    kind = np.where(rng.random(n) < 0.6, VOICE, SMS).astype(np.int8)
    start = _times(rng, n, window_start, window_end, _TALK_HOURS)
    duration = np.where(kind == VOICE, _call_seconds(rng, n), 0).astype(np.int64)
    numbers = np.asarray([line.number for line in lines], np.int32)
    owner = np.concatenate([a, b])
    order = np.argsort(owner, kind="stable")
    offsets = np.searchsorted(owner[order], np.arange(count + 1)).astype(np.int64)
    return _Mirrored(
        owner_offsets=offsets,
        kind=np.concatenate([kind, kind])[order],
        outgoing=np.concatenate([np.ones(n, np.bool_), np.zeros(n, np.bool_)])[order],
        other=np.concatenate([numbers[b], numbers[a]])[order],
        start=np.concatenate([start, start])[order],
        duration=np.concatenate([duration, duration])[order],
    )


def _times(rng: np.random.Generator, n: int, window_start: int, window_end: int, hours: F64) -> I64:
    """Draw ``n`` UTC instants in the window with the given local-hour rhythm."""
    first_day = window_start // 86400
    days = window_end // 86400 - first_day + 1
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    local = (first_day + rng.integers(0, days, n)) * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    start = local_to_utc(local.astype(np.int64))
    outside = (start < window_start) | (start > window_end)
    if outside.any():
        start[outside] = rng.integers(window_start, window_end + 1, int(outside.sum()))
    return start.astype(np.int64)


def _call_seconds(rng: np.random.Generator, n: int) -> I64:
    seconds = np.clip(np.rint(rng.lognormal(np.log(70), 1.0, n)), 1, 7200)
    return np.where(rng.random(n) < 0.05, 0, seconds).astype(np.int64)


def bulk_rows(
    plan: BulkPlan,
    line_index: int,
    voicemail: int,
    *,
    rows: int | None = None,
    window: tuple[int, int] | None = None,
    chunk: int = 0,
) -> RowBatch:
    """Draw the rows of one bulk return (or of one time slice of it), in time order.

    Args:
        plan: the bulk plan.
        line_index: which bulk line.
        voicemail: number-book index calls are diverted to.
        rows: rows to draw; by default the line's whole allocation (mirrored rows included).
        window: the time slice to draw in; by default the plan's window.
        chunk: slice number, to keep random streams and charging IDs apart between slices.
    """
    line = plan.lines[line_index]
    rng = rng_stream(plan.seed, f"bulk-line-{line_index}-{chunk}")
    window_start, window_end = window or (plan.window_start, plan.window_end)
    total = line.rows if rows is None else rows
    pieces: list[RowBatch] = []
    if rows is None:
        mirrored = plan.mirrored.rows_of(line_index)
        m_start = plan.mirrored.start[mirrored]
        n_m = m_start.shape[0]
        m_kind = plan.mirrored.kind[mirrored]
        pieces.append(
            make_batch(
                n_m,
                kind=m_kind,
                outgoing=plan.mirrored.outgoing[mirrored],
                other=plan.mirrored.other[mirrored],
                start=m_start,
                duration=plan.mirrored.duration[mirrored],
                sim=np.full(n_m, line.sim, np.int32),
                handset=np.zeros(n_m, np.int32),
                cell_start=np.zeros(n_m, np.int32),
            )
        )
        total -= n_m
    pieces.append(
        _independent_rows(
            rng, line, max(total, 0), (window_start, window_end), voicemail, plan.senders, chunk
        )
    )
    batch = RowBatch.concat(pieces)
    cell_start, cell_end = _cells(rng, line, batch)
    batch = RowBatch(
        kind=batch.kind,
        outgoing=batch.outgoing,
        other=batch.other,
        forwarded=batch.forwarded,
        start=batch.start,
        duration=batch.duration,
        handset=line.handset_at(batch.start),
        sim=batch.sim,
        cell_start=cell_start,
        cell_end=cell_end,
        bytes_up=batch.bytes_up,
        bytes_down=batch.bytes_down,
        charging=batch.charging,
        clock_shift=batch.clock_shift,
        comm=batch.comm,
    )
    return batch.sorted()


def _independent_rows(
    rng: np.random.Generator,
    line: BulkLine,
    n: int,
    window: tuple[int, int],
    voicemail: int,
    senders: I32,
    chunk: int,
) -> RowBatch:
    window_start, window_end = window
    voice_share, sms_share, diverted_share = line.mix
    shares = [
        voice_share,
        sms_share,
        diverted_share,
        1.0 - voice_share - sms_share - diverted_share,
    ]
    n_voice, n_sms, n_diverted, n_data = (int(x) for x in rng.multinomial(n, shares))
    three = two = 0
    if line.layout is Layout.NETWORK_D:
        three = n_data // 250
        two = n_data // 60
    sessions = n_data - two - 2 * three
    kind = np.concatenate(
        [
            np.full(n_voice, VOICE, np.int8),
            np.full(n_sms, SMS, np.int8),
            np.full(n_diverted, FORWARDED, np.int8),
            np.full(sessions, DATA, np.int8),
        ]
    )
    talk = n_voice + n_sms + n_diverted
    m = kind.shape[0]
    start = np.concatenate(
        [
            _times(rng, talk, window_start, window_end, _TALK_HOURS),
            _times(rng, sessions, window_start, window_end, _DATA_HOURS),
        ]
    )
    contact = line.contacts[rng.choice(line.contacts.shape[0], size=m, p=line.contact_p)]
    is_data = kind == DATA
    outgoing = np.where(kind == VOICE, rng.random(m) < 0.55, rng.random(m) < 0.5)
    outgoing = (outgoing & (kind != FORWARDED)) | is_data
    sender = (kind == SMS) & ~outgoing & (rng.random(m) < 0.05)
    contact = np.where(sender, senders[rng.integers(0, senders.shape[0], m)], contact)
    other = np.where(is_data, -1, contact)
    duration = np.zeros(m, np.int64)
    duration = np.where(kind == VOICE, _call_seconds(rng, m), duration)
    duration = np.where(
        kind == FORWARDED, np.clip(np.rint(rng.lognormal(np.log(25), 0.5, m)), 3, 120), duration
    )
    session_seconds = np.clip(np.rint(rng.lognormal(np.log(300), 1.1, m)), 10, 14400)
    duration = np.where(is_data, session_seconds, duration).astype(np.int64)
    data_rows = np.flatnonzero(is_data)
    chosen = data_rows[: two + three]
    parts = np.concatenate([np.full(three, 3, np.int64), np.full(two, 2, np.int64)])
    if chosen.shape[0]:
        duration[chosen] = rng.integers(3600, 14400, chosen.shape[0])
    duration = np.minimum(duration, np.maximum(window_end - start, 0)).astype(np.int64)
    up = np.where(is_data, np.rint(rng.lognormal(10.5, 1.4, m)), 0).astype(np.int64)
    down = np.where(is_data, up * rng.integers(3, 12, m), 0).astype(np.int64)
    charging = np.full(m, -1, np.int64)
    charging[data_rows] = _CHARGING_BASE + chunk * 10_000_000 + np.arange(data_rows.shape[0])
    batch = make_batch(
        m,
        kind=kind,
        outgoing=outgoing,
        other=other,
        forwarded=np.where(kind == FORWARDED, voicemail, -1),
        start=start,
        duration=duration,
        handset=np.zeros(m, np.int32),
        sim=np.full(m, line.sim, np.int32),
        cell_start=np.zeros(m, np.int32),
        bytes_up=up,
        bytes_down=down,
        charging=charging,
    )
    if chosen.shape[0]:
        return split_sessions(batch, chosen, parts)
    return batch


def _cells(rng: np.random.Generator, line: BulkLine, batch: RowBatch) -> tuple[I32, I32]:
    """Home cell at night, work cell in working hours, elsewhere now and then."""
    n = len(batch)
    local = batch.start + uk_offset(batch.start)
    hour = (local % 86400) // 3600
    weekday = (local // 86400 + 3) % 7
    place = np.where((weekday < 5) & (hour >= 8) & (hour < 18), 1, 0)
    place = np.where(rng.random(n) < 0.2, 2 + rng.integers(0, 3, n), place)
    cell_start = line.cells[place]
    moved = rng.random(n) < 0.25
    cell_end = np.where(moved, line.cells[rng.integers(0, 5, n)], cell_start)
    cell_end = np.where(batch.kind == SMS, -1, cell_end)
    return cell_start.astype(np.int32), cell_end.astype(np.int32)
