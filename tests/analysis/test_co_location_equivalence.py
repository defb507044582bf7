"""Co-location against a brute-force reference, on random evidence full of edge cases.

:class:`~threadline.analysis.co_location.CoLocation` prunes its self-join with time buckets and
pairs occasions in stages; none of that may change a result. The reference below is the module
docstring transcribed into plain Python with no pruning at all: every placement is derived from
the generated rows (the calls, messages and data records as ``cell_site`` describes them), every
ordered pair of placements is compared, and the pairing rules are applied as the docstring states
them (the rarest shared place per pair of events, then mutual nearest matches, then
``min_occasions``). Both must give the same findings: the pairs, every occasion (its two rows,
cells, phases, media, times, gap, place count and weight), the scores, the rows cited (events and
cell-site rows) and the number of numbers *N*.

The generator (seeded, so every run is the same) puts several numbers near one site at chosen
moments, with offsets that land exactly on and one second either side of the window and of
window + look-back (a data record's span touching a call's instant exactly at the window), plus
background events, bursts of records on one cell, records supplied again in a second exhibit,
rows held twice identically, calls whose start time is not exact (their end may still be),
calls placed by the B party or not placeable at all, and cells of every kind of site: two
sectors at one operator position, two listed only by network and site name (one written in
lower case with spaces), a crowd-sourced cell at the same position (a site of its own), a cell
listed twice (operator and crowd-sourced) and a cell in no reference data. The parameter sets
cover cell and site matching, pairs among the numbers and against every number, look-backs of 0
and more, short and long windows, a period, and the case's targets as the default numbers.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from evidence_factory import call, make_evidence, message, utc, with_derived
from location_rows import cell_site, data_session

from threadline.analysis.co_location import (
    CELL_NUMBERS_TABLE,
    PLACEMENTS_TABLE,
    CoLocation,
    CoLocationParameters,
    cell_numbers_sql,
    placements_table_sql,
)
from threadline.model.finding import Finding

#: 07700 900301-900307; the last has only records whose time is not exact.
NUMBERS = [f"+4477009003{i:02d}" for i in range(1, 8)]
OTHER = "+441632960001"  # the other party of calls and messages: never placed
BASE = utc("2024-06-03 08:00:00")

MILL_1, MILL_2 = "234-30-2001-10001", "234-30-2001-10002"  # one operator position
QUARRY = "234-30-2001-10003"  # a position of its own
STATION_1, STATION_2 = "234-10-2002-20001", "234-10-2002-20002"  # named, no position
CROWD = "234-15-2003-30001"  # crowd-sourced at Mill Lane's position: its own site
UNLISTED = "234-15-2003-30002"  # in no reference data
CELLS = [MILL_1, MILL_2, QUARRY, STATION_1, STATION_2, CROWD, UNLISTED]
#: Cells grouped by site, so that meetings happen where matching by site makes a difference.
SITES = [[MILL_1, MILL_2], [QUARRY], [STATION_1, STATION_2], [CROWD], [UNLISTED], [MILL_1, CROWD]]
CELL_SITES = [
    cell_site("s1", 1, MILL_1, "Mill Lane", "1 Mill Lane, Exampleton", "EX2 2BB", 51.5, -0.1),
    cell_site("s1", 2, MILL_2, "Mill Lane", "1 Mill Lane, Exampleton", "EX2 2BB", 51.500001, -0.1),
    cell_site("s1", 3, QUARRY, "Quarry", "Quarry Road, Exampleton", "EX3 3CC", 51.6, -0.2),
    cell_site("s1", 4, STATION_1, "Station Road", None, None, None, None),
    cell_site("s1", 5, STATION_2, " station road ", None, None, None, None),
    cell_site("s2", 1, CROWD, None, None, None, 51.5, -0.1, position_basis="crowd_sourced"),
    # MILL_1 listed again, crowd-sourced: the operator's row is the one used and cited
    cell_site("s0", 1, MILL_1, None, None, None, 51.7, -0.3, position_basis="crowd_sourced"),
]
#: Offsets (minutes) of a meeting's events from its moment: on, and a second either side of,
#: the 15-minute window and the 45 minutes of window plus a 30-minute look-back.
OFFSETS = [0, 1, 5, 10, 14, 15, 16, 29, 30, 31, 40, 44, 45, 46, 60]


# ---------------------------------------------------------------------------------------------
# random evidence


class _Rows:
    """The generated tables, with row numbers per exhibit."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {
            "calls": [],
            "messages": [],
            "data_sessions": [],
            "cell_sites": list(CELL_SITES),
        }
        self._next: dict[str, int] = defaultdict(int)

    def n(self, exhibit: str) -> int:
        self._next[exhibit] += 1
        return self._next[exhibit]


def _text(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _event(rows: _Rows, rng: random.Random, number: str, at: datetime, cell: str) -> None:
    """One record of ``number`` on ``cell`` at ``at`` (a call, message or data record, with
    the variations the module docstring distinguishes); sometimes supplied twice."""
    exhibit = f"e{NUMBERS.index(number)}"
    copies = [exhibit] + ([f"r{NUMBERS.index(number)}"] if rng.random() < 0.15 else [])
    kind = rng.choice(["call", "call", "message", "data", "data"])
    second = rng.choice([None, cell, *CELLS])
    for copy, shift in zip(copies, (0, rng.choice([0, 2])), strict=False):
        when = at + timedelta(seconds=shift)
        if kind == "call":
            extra: dict[str, Any] = {"start_cell": cell}
            if second is not None:
                extra["end_cell"] = second
                ends = rng.random()
                if ends < 0.4:
                    extra["duration_s"] = rng.choice([0, 60, 120, 600, 900, 960])
                elif ends < 0.8:
                    extra["end_utc"] = when + timedelta(minutes=rng.choice([1, 15, 16]))
                # else an end cell with no end time: placed, but never exactly
            role = rng.choice(["a", "a", "b", None])
            a, b = (number, OTHER) if role != "b" else (OTHER, number)
            start: str | None = _text(when)
            if rng.random() < 0.1:  # a start not known exactly: placed only by an exact end
                start = None
                extra["start_earliest_utc"] = when - timedelta(hours=1)
                extra["start_latest_utc"] = when
            rows.tables["calls"].append(
                call(copy, rows.n(copy), a, b, start, target_role=role, **extra)
            )
        elif kind == "message":
            role = rng.choice(["a", "b"])
            a, b = (number, OTHER) if role == "a" else (OTHER, number)
            rows.tables["messages"].append(
                message(
                    copy,
                    rows.n(copy),
                    a,
                    b,
                    _text(when),
                    cell=cell,
                    target_role=role,
                    message_type=rng.choice(["sms", "mms", "im"]),
                )
            )
        else:
            data_copy = f"d{copy}"
            closed = rng.choice(["end", "duration", "none"]) if second else "none"
            end = _text(when + timedelta(minutes=rng.choice([5, 30]))) if closed == "end" else None
            extra = {"duration_s": rng.choice([60, 1800])} if closed == "duration" else {}
            rows.tables["data_sessions"].append(
                data_session(
                    data_copy,
                    rows.n(data_copy),
                    number,
                    _text(when),
                    cell,
                    end=end,
                    end_cell=second,
                    **extra,
                )
            )


def random_evidence(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Meetings of 2-4 numbers at one site, bursts, background events over three days, and
    one number known only from records whose time is not exact."""
    rng = random.Random(seed)
    rows = _Rows()
    placed = NUMBERS[:-1]
    for _ in range(rng.randint(8, 14)):
        moment = BASE + timedelta(days=rng.randint(0, 2), minutes=rng.randint(0, 600))
        site = rng.choice(SITES)
        for number in rng.sample(placed, rng.randint(2, 4)):
            for _burst in range(rng.choice([1, 1, 2, 3])):
                offset = timedelta(
                    minutes=rng.choice(OFFSETS) + rng.choice([0, 0, 3]),
                    seconds=rng.choice([0, 0, 0, 1, -1]),
                )
                _event(rows, rng, number, moment + offset, rng.choice(site))
    for _ in range(rng.randint(10, 20)):
        at = BASE + timedelta(days=rng.randint(0, 2), minutes=rng.randint(0, 900))
        _event(rows, rng, rng.choice(placed), at, rng.choice(CELLS))
    for table in ("calls", "messages", "data_sessions"):
        # a row the evidence holds twice, identically (the same run's file read twice)
        held = rows.tables[table]
        held.extend(dict(row) for row in rng.sample(held, min(2, len(held))))
    unsure = NUMBERS[-1]
    for cell in (MILL_1, QUARRY):
        rows.tables["calls"].append(
            call(
                "e9",
                rows.n("e9"),
                unsure,
                OTHER,
                None,
                start_cell=cell,
                target_role="a",
                start_earliest_utc=BASE,
                start_latest_utc=BASE + timedelta(hours=1),
            )
        )
    return rows.tables


# ---------------------------------------------------------------------------------------------
# the reference: the module docstring, brute force


@dataclass(frozen=True)
class Placement:
    """A record's use of a cell: its number, row, exhibit, medium, phase, cell and exact time
    (``None`` when the time is known only as a range)."""

    number: str
    row: str
    exhibit: str
    medium: str
    phase: str
    cell: str
    at: datetime | None


@dataclass(frozen=True)
class Pairing:
    """Two placements of different numbers on one place within the window."""

    one: Placement
    two: Placement
    place: str
    gap: float
    weight: float


def _end(row: Mapping[str, Any]) -> datetime | None:
    """A call's or data record's end: its recorded end, else its start plus its duration."""
    end: datetime | None = row.get("end_utc")
    if end is None and row.get("start_utc") is not None and row.get("duration_s") is not None:
        end = row["start_utc"] + timedelta(seconds=row["duration_s"])
    return end


def placements(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Placement]:
    """Every placement, by the rules of ``cell_site``: the subscriber's (the party
    ``target_role`` names, a data record's ``party``), a call's start and end cells, a
    message's cell, a data record's start and end cells."""
    out = []
    for row in tables["calls"]:
        number = {"a": row["a_party"], "b": row["b_party"]}.get(row.get("target_role") or "")
        if number is None:
            continue
        for phase, cell, at in (
            ("start", row.get("start_cell"), row["start_utc"]),
            ("end", row.get("end_cell"), _end(row)),
        ):
            if cell:
                out.append(Placement(number, row["row_id"], row["exhibit_id"], "call", phase,
                                     cell, at))  # fmt: skip
    for row in tables["messages"]:
        number = {"a": row["a_party"], "b": row["b_party"]}.get(row["target_role"])
        if number is not None and row.get("cell"):
            out.append(Placement(number, row["row_id"], row["exhibit_id"], row["message_type"],
                                 "sent", row["cell"], row["sent_utc"]))  # fmt: skip
    for row in tables["data_sessions"]:
        for phase, cell, at in (
            ("start", row.get("start_cell"), row["start_utc"]),
            ("end", row.get("end_cell"), _end(row)),
        ):
            if cell:
                out.append(Placement(row["party"], row["row_id"], row["exhibit_id"], "data",
                                     phase, cell, at))  # fmt: skip
    return out


def reference_rows(cell_sites: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The listing each cell is described from: the operator's before a crowd-sourced one,
    then the lowest exhibit id and row id."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for row in sorted(
        cell_sites,
        key=lambda r: (r["position_basis"] != "operator", r["exhibit_id"], r["row_id"]),
    ):
        chosen.setdefault(row["cell_id"], row)
    return chosen


def site_key(cell: str, listing: Mapping[str, Any] | None) -> str:
    """What "the same site" means: an operator position to five decimal places, else an
    operator's network and site name, else the cell itself."""
    if listing is None or listing["position_basis"] != "operator":
        return cell
    if listing["latitude"] is not None and listing["longitude"] is not None:
        return f"position:{round(listing['latitude'] * 1e5)},{round(listing['longitude'] * 1e5)}"
    return f"name:{listing['mcc']}-{listing['mnc']}:{listing['site_name'].strip(' ').upper()}"


@dataclass(frozen=True)
class Shared:
    """The brute-force comparison: *N*, the numbers on each place, and the rarest shared place
    (then the smallest gap...) of every pair of events within the window."""

    total: int
    numbers_on: dict[str, set[str]]
    pairings: list[Pairing]
    listings: dict[str, Mapping[str, Any]]


def _at(p: Placement) -> datetime:
    assert p.at is not None
    return p.at


def shared(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    parameters: CoLocationParameters,
    targets: Sequence[str],
) -> Shared:
    """Every ordered pair of placements compared: no buckets, no pruning."""
    window = parameters.window_minutes * 60
    lookback = parameters.data_lookback_minutes * 60
    wanted = set(parameters.numbers or targets)
    listings = reference_rows(tables["cell_sites"])

    def place(cell: str) -> str:
        return site_key(cell, listings.get(cell)) if parameters.match == "site" else cell

    def span(p: Placement) -> tuple[float, float]:
        to = _at(p).timestamp()
        return (to - lookback if p.medium == "data" else to), to

    every = placements(tables)
    numbers_on: dict[str, set[str]] = defaultdict(set)
    for p in every:
        numbers_on[place(p.cell)].add(p.number)
    total = len({p.number for p in every})
    timed = [
        p
        for p in every
        if p.at is not None
        and (parameters.since is None or p.at >= parameters.since)
        and (parameters.until is None or p.at < parameters.until)
        and (parameters.against_all or p.number in wanted)
    ]
    best: dict[tuple[str, str, str, str], tuple[tuple[Any, ...], Pairing]] = {}
    for one in timed:
        if one.number not in wanted:
            continue
        for two in timed:
            if two.number == one.number or place(two.cell) != place(one.cell):
                continue
            if two.number in wanted and one.number > two.number:
                continue  # the pair is taken the other way round
            (from1, to1), (from2, to2) = span(one), span(two)
            if from2 > to1 + window or from1 > to2 + window:
                continue
            key = place(one.cell)
            pairing = Pairing(
                one,
                two,
                key,
                max(0.0, from2 - to1, from1 - to2),
                math.log(1.0 + total / len(numbers_on[key])),
            )
            order = (-pairing.weight, pairing.gap, key, one.phase, two.phase)
            events = (one.number, two.number, one.row, two.row)
            if events not in best or order < best[events][0]:
                best[events] = (order, pairing)
    return Shared(total, numbers_on, [pairing for _, pairing in best.values()], listings)


def reference(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    parameters: CoLocationParameters,
    targets: Sequence[str],
) -> list[dict[str, Any]]:
    """The findings the module docstring defines, summarised as :func:`summary` does."""
    found = shared(tables, parameters, targets)
    # each event's nearest match: the smallest gap, then the earlier, then the lower row id
    nearest_two: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    nearest_one: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for s in found.pairings:
        k1, k2 = (s.one.number, s.two.number, s.one.row), (s.one.number, s.two.number, s.two.row)
        nearest_two[k1] = min(nearest_two.get(k1, (math.inf,)), (s.gap, _at(s.two), s.two.row))
        nearest_one[k2] = min(nearest_one.get(k2, (math.inf,)), (s.gap, _at(s.one), s.one.row))
    occasions: dict[tuple[str, str], list[Pairing]] = defaultdict(list)
    for s in found.pairings:
        mine = nearest_two[(s.one.number, s.two.number, s.one.row)]
        theirs = nearest_one[(s.one.number, s.two.number, s.two.row)]
        if mine == (s.gap, _at(s.two), s.two.row) and theirs == (s.gap, _at(s.one), s.one.row):
            occasions[(s.one.number, s.two.number)].append(s)
    out: list[dict[str, Any]] = []
    for pair, listed in occasions.items():
        if len(listed) < parameters.min_occasions:
            continue
        listed.sort(key=lambda s: (min(_at(s.one), _at(s.two)), s.one.row, s.two.row))
        cited = {r for s in listed for r in (s.one.row, s.two.row)}
        cited |= {
            found.listings[c]["row_id"]
            for s in listed
            for c in (s.one.cell, s.two.cell)
            if c in found.listings
        }
        times = [t for s in listed for t in (_at(s.one), _at(s.two))]
        out.append(
            {
                "subjects": pair,
                "score": round(sum(s.weight for s in listed), 4),
                "derived_from": tuple(sorted(cited)),
                "numbers_in_evidence": found.total,
                "first": min(times),
                "last": max(times),
                "occasions": [
                    (
                        (s.one.row, s.two.row),
                        (s.one.cell, s.two.cell),
                        (s.one.phase, s.two.phase),
                        (s.one.medium, s.two.medium),
                        (s.one.at, s.two.at),
                        s.gap,
                        len(found.numbers_on[s.place]),
                        round(s.weight, 4),
                    )
                    for s in listed
                ],
            }
        )
    out.sort(key=lambda f: (-f["score"], f["subjects"]))
    return out


def summary(finding: Finding) -> dict[str, Any]:
    """What the reference computes, read from a finding."""
    detail = finding.detail
    return {
        "subjects": finding.subjects,
        "score": finding.score,
        "derived_from": finding.derived_from,
        "numbers_in_evidence": detail["numbers_in_evidence"],
        "first": finding.first_utc,
        "last": finding.last_utc,
        "occasions": [
            (
                tuple(o["rows"]),
                (o["cell_1"], o["cell_2"]),
                (o["phase_1"], o["phase_2"]),
                (o["medium_1"], o["medium_2"]),
                (datetime.fromisoformat(o["time_1"]), datetime.fromisoformat(o["time_2"])),
                o["gap_seconds"],
                o["numbers_on_place"],
                o["weight"],
            )
            for o in detail["occasion_list"]
        ],
    }


# ---------------------------------------------------------------------------------------------
# the comparisons

TARGETS = NUMBERS[:4]
PARAMETER_SETS: dict[str, dict[str, Any]] = {
    "cell, among four, look-back 30": {"numbers": TARGETS, "min_occasions": 1},
    "site, among four, look-back 30, at least 2": {"numbers": TARGETS, "match": "site"},
    "cell, one against all, no look-back": {
        "numbers": NUMBERS[:1],
        "against_all": True,
        "data_lookback_minutes": 0,
        "min_occasions": 1,
    },
    "site, two against all, window 5, look-back 10": {
        "numbers": NUMBERS[:2],
        "against_all": True,
        "match": "site",
        "window_minutes": 5,
        "data_lookback_minutes": 10,
        "min_occasions": 1,
    },
    "cell, all six, window 30, look-back 2.5, a period": {
        "numbers": NUMBERS[:6],
        "window_minutes": 30,
        "data_lookback_minutes": 2.5,
        "since": utc("2024-06-03 12:00:00"),
        "until": utc("2024-06-05 09:00:00"),
    },
    "site, the case's targets, window 2, no look-back": {
        "match": "site",
        "window_minutes": 2,
        "data_lookback_minutes": 0,
        "min_occasions": 1,
    },
    "site, all against all, at least 3": {
        "numbers": NUMBERS[:6],
        "against_all": True,
        "match": "site",
        "min_occasions": 3,
    },
}
SEEDS = range(6)


def _run(
    seed: int, settings: Mapping[str, Any], from_table: bool = False
) -> tuple[list[Any], list[Any]]:
    tables = random_evidence(seed)
    evidence = make_evidence(tables, targets=TARGETS)
    if from_table:
        evidence = with_derived(
            evidence,
            {CELL_NUMBERS_TABLE: cell_numbers_sql(), PLACEMENTS_TABLE: placements_table_sql()},
        )
    parameters = CoLocationParameters(**settings)
    found = [summary(f) for f in CoLocation().run(evidence, parameters)]
    return found, reference(tables, parameters, TARGETS)


@pytest.mark.parametrize("from_table", [False, True], ids=["formed", "read-copy table"])
@pytest.mark.parametrize("name", PARAMETER_SETS)
def test_findings_equal_the_brute_force_reference(name: str, from_table: bool) -> None:
    """Over six random cases per parameter set, the analysis and the reference give the same
    findings, and together they find something (so the comparison is never of two empty
    lists); with the read copy's tables of numbers per cell and of placements as without
    them."""
    occasions = 0
    for seed in SEEDS:
        found, expected = _run(seed, PARAMETER_SETS[name], from_table)
        assert found == expected, f"seed {seed}"
        occasions += sum(len(f["occasions"]) for f in expected)
    assert occasions >= 10


def test_the_random_cases_reach_the_edges() -> None:
    """The comparisons above do meet the edges (counted over the six seeds with the defaults,
    numbers 1-6, one occasion enough): pairs of events exactly at the window (a gap of 900 s,
    within it) and a second beyond it (901 s, compared and refused); data records matched
    through their look-back only (gap 0 with the record's time after the other's); events of
    a record supplied twice, so that one-to-one pairing has copies to refuse."""
    parameters = CoLocationParameters(numbers=NUMBERS[:6], min_occasions=1)
    nearby = CoLocationParameters(numbers=NUMBERS[:6], window_minutes=16)
    gaps: list[float] = []
    beyond: list[float] = []
    looked_back = copies = 0
    for seed in SEEDS:
        tables = random_evidence(seed)
        for found in reference(tables, parameters, TARGETS):
            for _rows, _cells, _phases, media, (at1, at2), gap, _n, _w in found["occasions"]:
                gaps.append(gap)
                looked_back += "data" in media and gap == 0 and at1 != at2
        pairings = shared(tables, nearby, TARGETS).pairings
        beyond += [s.gap for s in pairings if s.gap > 900]
        copies += sum(s.two.exhibit.startswith(("r", "dr")) for s in pairings)
    assert 900.0 in gaps
    assert max(gaps) == 900.0
    assert 901.0 in beyond
    assert looked_back > 0
    assert copies > 0
