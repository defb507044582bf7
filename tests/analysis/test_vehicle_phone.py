"""Vehicle and phone over a hand-made case; every distance, occasion and score is worked out below.

Numbers (Ofcom drama range): P = 07700 900301 (target, the phone that travels with the vehicle),
Q = 07700 900302 (target, a phone used at home), R = 07700 900303 (no records). Marks (memory
tags T and U, assigned to no region): V = TK24 DRV (P's vehicle), U = UK25 STR (a stranger in the
same traffic at one camera), W = TH23 HOM (a vehicle read outside Q's home every morning).

Places. Distances on a sphere of radius 6371 km: along a meridian, d = 6371 * radians(dlat), so
0.01 deg of latitude = 1.1119493 km, 0.02 deg = 2.2238985 km, 0.03 deg = 3.3358478 km. Cameras
(list "c1") on latitude 52.50, 0.2 deg of longitude (13.5 km) apart; each cell due north or
south of its camera, so every other camera-cell distance is over 10 km:

* CA1 (52.50, -1.90) Mill Lane; K1 "Mill Farm" (52.52, -1.90): 2.2239 km.
* CA2 (52.50, -1.70) Church Street; K2 "Church Tower" (52.51, -1.70): 1.1119 km.
* CA3 (52.50, -1.50) Hollowmere Road; K3, crowd-sourced only (52.48, -1.50): 2.2239 km.
* CA4 (52.50, -1.30) Quarry Lane; K4 "Quarry Top" (52.53, -1.30): 3.3358 km, beyond 3 km.
* CA5 (52.40, -1.30) Ford Bridge; KN "Ford Farm", an operator row with no position.
* CH (52.60, -1.10), in no camera list: its reads give its position. KH "Elm Court" (52.61,
  -1.10): 1.1119 km.

Times are UTC. Saturday 28 March 2026 is GMT (UK local = UTC); British Summer Time starts at
01:00 UTC on Sunday 29 March, so on Monday 30 March UK local is UTC + 1 (07:00 UTC = 08:00 BST).

Trip 1, Saturday 28 March (V's reads; P's uses):

* CA1: V 09:00:00; P calls on K1 at 09:03:00 (gap 180 s) and 09:08:00 (480 s: the read's
  nearest is 09:03, so 09:08 is in no occasion). U read by CA1 at 09:01:00 and 09:05:00: both
  reads' nearest use is the 09:03 call (120 s each), whose nearest read is the earlier, so
  (U, P) has one occasion, not two (and 09:05 / 09:08, 180 s, is not paired either: the
  pairing is conservative).
* CA2: V 09:20:00; P's SMS on K2 at 09:30:00: gap 600 s = the 10-minute window, included.
* CA3: V 09:40:00; P's data record on K3 at 10:15:00: its cell used at or before 10:15, taken as
  09:45-10:15 with the 30-minute look-back, gap 300 s. With no look-back: 35 min, out.
* CA4: V 10:00:00; P's call on K4 at 10:01:00: K4 is 3.3358 km away, out (in with 3.4 km).
* CA5: V 10:30:00; P's call on KN at 10:31:00: KN has no position, never near anything.

Trip 2, Monday 30 March (BST):

* CA1: V 07:00:00 (08:00 BST); P's call on K1 at 07:10:01: gap 601 s, out (in with 11 min).
* CA2: V 07:20:00 (also in exhibit r2, a re-supplied export: one read, two rows); P's call on
  K2 at 07:10:00 (gap 600 s, the phone first: the window's other edge, included).
* CA3: V 07:40:00; P's call on K3 at 07:40:00 (gap 0; also in exhibit e2, a re-supplied return:
  one use, two rows).

Between them, Sunday 29 March: V read by CA6 (52.50, -1.10) at 12:00:00 and P's call on K6
"Bridge End" (52.51, -1.10, 1.1119 km from CA6) at 18:00:00: both seen near CA6, six hours
apart, so no meeting there.

So (V, P): 5 occasions (CA1, CA2, CA3 on the 28th; CA2, CA3 on the 30th), 3 cameras met, 2
days, and 4 cameras where both were seen (CA1, CA2, CA3, CA6; not CA4, whose cell is too far,
nor CA5, whose cell has no position).

Home: W read by CH at 07:30:00 on 26-30 March (five days); Q calls on KH at 07:35, 12:00 and
19:00 each day (15 uses). (W, Q): 5 occasions (07:30 / 07:35), all at one camera.

The score. At each camera where both were seen, the meetings expected by coincidence are
E = n * S / T: n the mark's reads by the camera; S the phone's catch time near it (2 * window for
a call or message, 2 * window + look-back for a data record); T the longer span, at least 2 *
window + look-back. L is the sum of E over those cameras, M the occasions, and the score is
-ln P(X >= M) for X Poisson with mean L. V's span 28 Mar 09:00 to 30 Mar 07:40 = 168000 s; P's
09:03 to 07:40 = 167820 s; so T = 168000 s. Window 600 s, look-back 1800 s:

* CA1: n = 2; S = 3 calls (09:03, 09:08, 07:10:01) x 1200 = 3600; E = 0.0428571.
* CA2: n = 2 (the copy is one read); S = SMS + call = 2400; E = 0.0285714.
* CA3: n = 2; S = data 3000 + call 1200 (the copy is one use) = 4200; E = 0.05.
* CA6: n = 1; S = 1200; E = 0.0071429 (no occasion, but it counts in L).
* L = 0.1285714, M = 5: P = e^-L * sum over j >= 5 of L^j / j! = 2.63e-7, score 15.1508228
  (about 1 in 3.8 x 10^6).

Variants, the same way: max 3.4 km adds CA4 (n = 1, S = 1200, E = 0.0071429): L = 0.1357143,
M = 6, 18.6786564. Window 11 min (660 s; calls 1320, data 3120): E = 0.0471429, 0.0314286,
0.0528571, 0.0078571, L = 0.1392857; CA1 gains the 30 March occasion, M = 6, 18.5258571. No
look-back: CA3's data record catches 1200, E = 0.0285714, L = 0.1071429, M = 4, 12.1979830. From
08:00 BST on 30 March: M = 2 (L from the whole evidence), 4.8809410; with 11 minutes, M = 3,
7.8095410. Until the end of 28 March: M = 3, 8.0416879.
(W, Q): n = 5, S = 15 x 1200 = 18000, W's span 26 Mar 07:30 to 30 Mar 07:30 = 345600 s, Q's
26 Mar 07:35 to 30 Mar 19:00 = 386700 s: L = 0.2327386, M = 5, 12.2700938. (U, P): n = 2,
S = 3600, U's span 240 s, T = P's 167820 s: L = 0.0429031, M = 1, 3.1701858.
"""

from __future__ import annotations

import json
import math
from typing import Any

import duckdb
import pytest
from anpr_rows import anpr_camera, anpr_read
from evidence_factory import call, make_evidence, message, utc
from location_rows import cell_site, data_session
from pydantic import ValidationError

from threadline.analysis.cell_wording import (
    CELL_SITE_CAVEATS,
    CROWD_SOURCED,
    CROWD_SOURCED_CAVEAT,
    forbidden_phrases,
)
from threadline.analysis.vehicle_phone import (
    VEHICLE_PHONE_CAVEATS,
    VehiclePhone,
    VehiclePhoneParameters,
    haversine_km,
    log_poisson_tail,
)
from threadline.errors import ConfigError
from threadline.model.finding import Finding

P, Q, R = "+447700900301", "+447700900302", "+447700900303"
V, U, W = "TK24DRV", "UK25STR", "TH23HOM"
OTHER = "+447700900999"  # the other party of every call: never placed anywhere
K1, K2, K3 = "234-30-1201-31001", "234-30-1201-31002", "234-30-1201-31003"
K4, KN, KH = "234-30-1201-31004", "234-30-1201-31005", "234-30-1300-41001"
K6 = "234-30-1201-31006"
D1, D3 = "2026-03-28", "2026-03-30"

T_VP = 168000.0
E_CA1, E_CA2, E_CA3 = 2 * 3600 / T_VP, 2 * 2400 / T_VP, 2 * 4200 / T_VP
E_CA4 = E_CA6 = 1200 / T_VP
E_11 = [2 * 3 * 1320 / T_VP, 2 * 2 * 1320 / T_VP, 2 * (3120 + 1320) / T_VP, 1320 / T_VP]
L_VP = E_CA1 + E_CA2 + E_CA3 + E_CA6
SCORE, SCORE_34, SCORE_11, SCORE_L0 = 15.1508228, 18.6786564, 18.5258571, 12.1979830
SCORE_SINCE, SCORE_SINCE_11, SCORE_UNTIL = 4.8809410, 7.8095410, 8.0416879
SCORE_WQ, SCORE_UP = 12.2700938, 3.1701858


def _poisson_score(mean: float, count: int) -> float:
    """-ln P(X >= count), X Poisson: the upper terms summed directly (60 are far more than
    enough for these means), independent of the analysis's logarithms."""
    terms = (math.exp(-mean) * mean**j / math.factorial(j) for j in range(count, count + 60))
    return -math.log(math.fsum(terms))


def a_call(exhibit: str, n: int, who: str, at: str, cell: str) -> dict[str, Any]:
    """``who``'s call (the return's target, A-party) to OTHER starting on ``cell``."""
    return call(exhibit, n, who, OTHER, at, start_cell=cell, target_role="a")


CALLS = [
    a_call("e1", 1, P, f"{D1} 09:03:00", K1),  # 0: CA1 occasion
    a_call("e1", 2, P, f"{D1} 09:08:00", K1),  # 1: not the read's nearest
    a_call("e1", 4, P, f"{D1} 10:01:00", K4),  # 2: K4 too far
    a_call("e1", 5, P, f"{D1} 10:31:00", KN),  # 3: KN has no position
    a_call("e1", 6, P, f"{D3} 07:10:01", K1),  # 4: 601 s after the CA1 read
    a_call("e1", 7, P, f"{D3} 07:10:00", K2),  # 5: CA2 occasion, 600 s before the read
    a_call("e1", 8, P, f"{D3} 07:40:00", K3),  # 6: CA3 occasion
    a_call("e2", 1, P, f"{D3} 07:40:00", K3),  # 7: the same call, re-supplied
    a_call("e1", 9, P, "2026-03-29 18:00:00", K6),  # 8: near CA6, six hours after V
    *(
        a_call("e3", 3 * day + k, Q, f"2026-03-{26 + day} {at}", KH)
        for day in range(5)
        for k, at in enumerate(("07:35:00", "12:00:00", "19:00:00"))
    ),  # 9-23: Q at home
]
MESSAGES = [message("e1", 3, P, OTHER, f"{D1} 09:30:00", cell=K2, target_role="a")]
DATA = [data_session("e4", 1, P, f"{D1} 10:15:00", K3)]
SITES = [
    cell_site("s1", 1, K1, "Mill Farm", "Mill Lane, Hollowmere", "HM1 1AA", 52.52, -1.90),
    cell_site("s1", 2, K2, "Church Tower", None, None, 52.51, -1.70),
    cell_site("s1", 3, K3, None, None, None, 52.48, -1.50, position_basis=CROWD_SOURCED),
    cell_site("s1", 4, K4, "Quarry Top", None, None, 52.53, -1.30),
    cell_site("s1", 5, KN, "Ford Farm", "Ford Lane, Hollowmere", None, None, None),
    cell_site("s1", 6, KH, "Elm Court", None, None, 52.61, -1.10),
    cell_site("s1", 7, K6, "Bridge End", None, None, 52.51, -1.10),
]
CAMERAS = [
    anpr_camera("c1", 1, "CA1", "Mill Lane", "B9001", 52.50, -1.90),
    anpr_camera("c1", 2, "CA2", "Church Street", "B9001", 52.50, -1.70),
    anpr_camera("c1", 3, "CA3", "Hollowmere Road", "B9002", 52.50, -1.50),
    anpr_camera("c1", 4, "CA4", "Quarry Lane", "B9003", 52.50, -1.30),
    anpr_camera("c1", 5, "CA5", "Ford Bridge", "B9004", 52.40, -1.30),
    anpr_camera("c1", 6, "CA6", "Bridge Street", "B9005", 52.50, -1.10),
]
READS = [
    anpr_read("r1", 1, "TK24 DRV", "CA1", f"{D1} 09:00:00", "E"),  # 0
    anpr_read("r1", 2, "UK25 STR", "CA1", f"{D1} 09:01:00", "E"),  # 1
    anpr_read("r1", 3, "TK24 DRV", "CA2", f"{D1} 09:20:00", "E"),  # 2
    anpr_read("r1", 4, "TK24 DRV", "CA3", f"{D1} 09:40:00", "E"),  # 3
    anpr_read("r1", 5, "TK24 DRV", "CA4", f"{D1} 10:00:00", "E"),  # 4
    anpr_read("r1", 6, "TK24 DRV", "CA5", f"{D1} 10:30:00", "S"),  # 5
    anpr_read("r1", 7, "TK24 DRV", "CA1", f"{D3} 07:00:00", "E"),  # 6
    anpr_read("r1", 8, "TK24 DRV", "CA2", f"{D3} 07:20:00", "E"),  # 7
    anpr_read("r1", 9, "TK24 DRV", "CA3", f"{D3} 07:40:00", "E"),  # 8
    anpr_read("r2", 1, "TK24 DRV", "CA2", f"{D3} 07:20:00", "E"),  # 9: copy of 7
    *(
        anpr_read(
            "r3",
            day,
            "TH23 HOM",
            "CH",
            f"2026-03-{26 + day} 07:30:00",
            latitude=52.60,
            longitude=-1.10,
            camera_name="Elm Avenue",
        )
        for day in range(5)
    ),  # 10-14
    anpr_read("r1", 10, "TK24 DRV", "CA6", "2026-03-29 12:00:00", "E"),  # 15
    anpr_read("r1", 11, "UK25 STR", "CA1", f"{D1} 09:05:00", "E"),  # 16
]


def rid(rows: list[dict[str, Any]], *indexes: int) -> set[str]:
    return {str(rows[i]["row_id"]) for i in indexes}


def evidence(targets: tuple[str, ...] = (P, Q)) -> Any:
    return make_evidence(
        {
            "calls": CALLS,
            "messages": MESSAGES,
            "data_sessions": DATA,
            "cell_sites": SITES,
            "anpr_cameras": CAMERAS,
            "anpr_reads": READS,
        },
        targets=targets,
    )


def run(**parameters: Any) -> list[Finding]:
    return VehiclePhone().run(evidence(), VehiclePhoneParameters(**parameters))


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.subjects for f in findings]
    return findings[0]


def test_the_hand_figures() -> None:
    """The constants are the docstring's; the analysis's tail agrees with the direct sum and
    does not underflow; the SQL distance is the hand one."""
    assert _poisson_score(L_VP, 5) == pytest.approx(SCORE, abs=1e-7)
    assert _poisson_score(L_VP + E_CA4, 6) == pytest.approx(SCORE_34, abs=1e-7)
    assert _poisson_score(sum(E_11), 6) == pytest.approx(SCORE_11, abs=1e-7)
    l0 = E_CA1 + E_CA2 + 2 * 2400 / T_VP + E_CA6
    assert _poisson_score(l0, 4) == pytest.approx(SCORE_L0, abs=1e-7)
    assert _poisson_score(L_VP, 2) == pytest.approx(SCORE_SINCE, abs=1e-7)
    assert _poisson_score(sum(E_11), 3) == pytest.approx(SCORE_SINCE_11, abs=1e-7)
    assert _poisson_score(L_VP, 3) == pytest.approx(SCORE_UNTIL, abs=1e-7)
    assert _poisson_score(5 * 18000 / 386700, 5) == pytest.approx(SCORE_WQ, abs=1e-7)
    assert _poisson_score(2 * 3600 / 167820, 1) == pytest.approx(SCORE_UP, abs=1e-7)
    for mean, count in ((0.13, 5), (2.5, 1), (2.5, 2), (2.5, 6), (9.0, 9), (9.0, 30), (0.4, 0)):
        direct = 0.0 if count == 0 else _poisson_score(mean, count)
        assert -log_poisson_tail(mean, count) == pytest.approx(direct, rel=1e-9, abs=1e-12)
    # 555 occasions where 33 are expected: the tail is far below a float's range. Its terms fall
    # by at least 33/556 each, so it lies between its first term, e^-33 * 33^555 / 555!, and
    # that term / (1 - 33/556)
    first = -33 + 555 * math.log(33) - math.lgamma(556)
    assert first < -1000
    assert first < log_poisson_tail(33, 555) < first + math.log(1 / (1 - 33 / 556))
    distances = duckdb.sql(
        f"SELECT {haversine_km('52.50', '-1.90', '52.52', '-1.90')} AS a, "
        f"{haversine_km('52.50', '-1.30', '52.53', '-1.30')} AS b, "
        f"{haversine_km('52.50', '-1.90', '52.50', '-1.70')} AS c"
    ).fetchone()
    assert distances is not None
    assert distances[0] == pytest.approx(2.2238985, abs=1e-6)
    assert distances[1] == pytest.approx(3.3358478, abs=1e-6)
    # along the parallel: 6371 * cos(52.5 deg) * radians(0.2) = 13.54 km, to 0.1% (the great
    # circle is a few metres shorter)
    along = 6371 * math.cos(math.radians(52.5)) * math.radians(0.2)
    assert distances[2] == pytest.approx(along, rel=1e-3)


def test_a_phone_that_follows_the_vehicle_past_three_cameras_is_found() -> None:
    vp = only(run())
    assert (vp.kind, vp.subjects) == ("vehicle_phone", (V, P))
    assert vp.score == pytest.approx(round(SCORE, 4))  # 15.1508
    assert (vp.detail["cameras"], vp.detail["days"], vp.detail["occasions"]) == (3, 2, 5)
    assert vp.detail["cameras_seen"] == 4
    assert [
        (
            o["camera_id"],
            o["read_time"][:19],
            o["use_time"][:19],
            o["medium"],
            o["cell"],
            o["gap_seconds"],
            o["distance_km"],
        )
        for o in vp.detail["occasion_list"]
    ] == [
        ("CA1", f"{D1}T09:00:00", f"{D1}T09:03:00", "call", K1, 180.0, 2.2239),
        ("CA2", f"{D1}T09:20:00", f"{D1}T09:30:00", "sms", K2, 600.0, 1.1119),
        ("CA3", f"{D1}T09:40:00", f"{D1}T10:15:00", "data", K3, 300.0, 2.2239),
        ("CA2", f"{D3}T07:20:00", f"{D3}T07:10:00", "call", K2, 600.0, 1.1119),
        ("CA3", f"{D3}T07:40:00", f"{D3}T07:40:00", "call", K3, 0.0, 2.2239),
    ]
    assert [
        (
            c["camera_id"],
            c["vehicle_reads"],
            c["phone_uses"],
            c["catch_minutes"],
            c["occasions"],
        )
        for c in vp.detail["camera_list"]
    ] == [
        ("CA1", 2, 3, 60.0, 1),
        ("CA2", 2, 2, 40.0, 2),
        ("CA3", 2, 2, 70.0, 2),
        ("CA6", 1, 1, 20.0, 0),
    ]
    assert [c["expected"] for c in vp.detail["camera_list"]] == pytest.approx(
        [E_CA1, E_CA2, E_CA3, E_CA6], rel=1e-5
    )
    assert vp.detail["expected_occasions"] == pytest.approx(L_VP, rel=1e-5)  # 0.1285714
    assert vp.detail["span_hours"] == pytest.approx(T_VP / 3600, abs=1e-4)
    assert (vp.first_utc, vp.last_utc) == (utc(f"{D1} 09:00:00"), utc(f"{D3} 07:40:00"))
    # U, read by CA1 two minutes after V, is the other mark in the window of P's 09:03 call
    assert [o["other_marks"] for o in vp.detail["occasion_list"]] == [1, 0, 0, 0, 0]


def test_each_read_and_use_once_and_copies_are_one() -> None:
    """P's 09:08 call (not the read's nearest) makes no second occasion at CA1; the copies of
    V's 30 March CA2 read and of P's 07:40 call are one read and one use, citing both rows."""
    vp = only(run())
    assert [o["camera_id"] for o in vp.detail["occasion_list"]].count("CA1") == 1
    assert not rid(CALLS, 1) & set(vp.derived_from)
    ca2, ca3 = vp.detail["occasion_list"][3:]
    assert ca2["read_rows"] == sorted(rid(READS, 7, 9))
    assert ca3["use_rows"] == sorted(rid(CALLS, 6, 7))
    # U's two reads both have P's 09:03 call as their nearest use; it makes one occasion
    up = next(f for f in run(min_cameras=1) if f.subjects == (U, P))
    assert [(o["read_time"][11:19], o["use_time"][11:19]) for o in up.detail["occasion_list"]] == [
        ("09:01:00", "09:03:00")
    ]
    assert set(up.derived_from) == rid(READS, 1) | rid(CALLS, 0) | rid(CAMERAS, 0) | rid(SITES, 0)


def test_derived_from_cites_reads_uses_cameras_and_cells() -> None:
    """The rows of every occasion: reads, calls, the SMS, the data record, the camera-list rows
    and the cell reference rows. CA6's read and K6's call met nothing and are not cited."""
    vp = only(run())
    assert set(vp.derived_from) == (
        rid(READS, 0, 2, 3, 7, 9, 8)
        | rid(CALLS, 0, 5, 6, 7)
        | rid(MESSAGES, 0)
        | rid(DATA, 0)
        | rid(CAMERAS, 0, 1, 2)
        | rid(SITES, 0, 1, 2)
    )
    assert list(vp.derived_from) == sorted(vp.derived_from)


def test_a_phone_near_one_camera_every_day_is_not_enough() -> None:
    """W and Q meet at CH on five mornings: one camera, below the default of three, so no
    finding. Asked for one camera, the pair is reported, and five mornings running where 0.23
    meetings are expected scores 12.27 (a shared habit at one time of day looks unlikely by
    chance): the score does not show movement, the distinct cameras do. The stranger U, read
    once just after V, meets P once at CA1: 3.85."""
    assert [f.subjects for f in run()] == [(V, P)]
    findings = run(min_cameras=1)
    assert [f.subjects for f in findings] == [(V, P), (W, Q), (U, P)]
    _vp, wq, up = findings
    assert (up.score, wq.score) == (round(SCORE_UP, 4), round(SCORE_WQ, 4))
    assert (wq.detail["cameras"], wq.detail["occasions"], wq.detail["days"]) == (1, 5, 5)
    (ch,) = wq.detail["camera_list"]
    assert (ch["vehicle_reads"], ch["phone_uses"], ch["expected"]) == (5, 15, 0.232739)
    # CH is in no camera list: its reads give its position, and no camera row is cited
    assert (ch["camera"], ch["camera_position"]) == ("CH (Elm Avenue)", "read export")
    assert set(wq.derived_from) == rid(READS, 10, 11, 12, 13, 14) | rid(
        CALLS, 9, 12, 15, 18, 21
    ) | rid(SITES, 5)
    assert _vp.detail["camera_list"][0]["camera_position"] == "camera list"


def test_a_cell_with_no_position_makes_no_occasion() -> None:
    """KN (Ford Farm) has no position: V's CA5 read and P's KN call a minute later never meet,
    however far a cell may be from a camera and however few cameras are asked for."""
    for findings in (run(min_cameras=1), run(min_cameras=1, max_distance_km=50)):
        assert findings
        cited = {r for f in findings for r in f.derived_from}
        assert not (rid(READS, 5) | rid(CALLS, 3) | rid(SITES, 4)) & cited
        for finding in findings:
            assert KN not in {o["cell"] for o in finding.detail["occasion_list"]}
            assert "CA5" not in {o["camera_id"] for o in finding.detail["occasion_list"]}
    # at 3 km nothing of P's is near CA5 at all: not even a camera where both were seen
    assert "CA5" not in {c["camera_id"] for c in only(run()).detail["camera_list"]}


def test_a_camera_too_far_from_the_cell() -> None:
    """K4 is 3.3358 km from CA4: out at 3 km (CA4 not even a camera where both were seen), in
    at 3.4 km (the fourth camera met, of five seen)."""
    assert "CA4" not in {c["camera_id"] for c in only(run()).detail["camera_list"]}
    wider = only(run(max_distance_km=3.4))
    ca4 = [o for o in wider.detail["occasion_list"] if o["camera_id"] == "CA4"]
    assert [(o["cell"], o["distance_km"], o["gap_seconds"]) for o in ca4] == [(K4, 3.3358, 60.0)]
    assert (wider.detail["cameras"], wider.detail["cameras_seen"]) == (4, 5)
    assert wider.score == pytest.approx(round(SCORE_34, 4))  # 18.6787
    assert rid(READS, 4) | rid(CALLS, 2) | rid(SITES, 3) <= set(wider.derived_from)
    assert only(run(max_distance_km=3.3)).detail["cameras"] == 3


def test_the_window_includes_its_edge_and_not_a_second_more() -> None:
    """A gap of 600 s is inside a 10-minute window, the read first (CA2, 28 March) or the use
    first (CA2, 30 March); 601 s (CA1, 30 March) is not; with 11 minutes it is, and the catch
    times (so the meetings expected) grow."""
    vp = only(run())
    assert [o["gap_seconds"] for o in vp.detail["occasion_list"] if o["camera_id"] == "CA2"] == [
        600.0,
        600.0,
    ]
    assert not rid(READS, 6) & set(vp.derived_from)
    wider = only(run(window_minutes=11))
    ca1 = [o for o in wider.detail["occasion_list"] if o["camera_id"] == "CA1"]
    assert [(o["read_time"][:19], o["gap_seconds"]) for o in ca1] == [
        (f"{D1}T09:00:00", 180.0),
        (f"{D3}T07:00:00", 601.0),
    ]
    assert wider.detail["occasions"] == 6
    assert wider.score == pytest.approx(round(SCORE_11, 4))  # 18.5259
    assert only(run(window_minutes=600.99 / 60)).detail["occasions"] == 5


def test_data_records_are_compared_at_or_before_their_time() -> None:
    """V's 09:40 read is 5 minutes before the span in which P's 10:15 data record's cell may
    have been used (09:45-10:15): an occasion. With no look-back the record is 10:15 only, 35
    minutes after the read: not one."""
    vp = only(run())
    (data,) = [o for o in vp.detail["occasion_list"] if o["medium"] == "data"]
    assert (data["read_time"][11:19], data["use_time"][11:19], data["gap_seconds"]) == (
        "09:40:00",
        "10:15:00",
        300.0,
    )
    assert (
        f"the device used cell {K3} at or before the start time of a data record, {D1} 10:15:00 UTC"
        in vp.explanation
    )
    none = only(run(data_lookback_minutes=0))
    assert "data" not in {o["medium"] for o in none.detail["occasion_list"]}
    assert none.detail["occasions"] == 4
    assert none.score == pytest.approx(round(SCORE_L0, 4))  # 12.1980


def test_the_period_in_uk_local_time_across_the_clock_change() -> None:
    """``since`` typed without an offset is UK local: 08:00 on Monday 30 March is BST, 07:00
    UTC, so V's 07:00 UTC read at CA1 is in (at the edge) and the 28 March trip is out. The
    chances still come from the whole evidence."""
    assert run(since="2026-03-30 08:00") == []
    two = only(run(since="2026-03-30 08:00", min_cameras=2))
    assert [o["camera_id"] for o in two.detail["occasion_list"]] == ["CA2", "CA3"]
    assert (two.detail["cameras"], two.detail["cameras_seen"]) == (2, 4)
    assert two.score == pytest.approx(round(SCORE_SINCE, 4))  # 4.8809
    three = only(run(since="2026-03-30 08:00", window_minutes=11))
    assert [o["read_time"][11:19] for o in three.detail["occasion_list"]] == [
        "07:00:00",
        "07:20:00",
        "07:40:00",
    ]
    assert three.score == pytest.approx(round(SCORE_SINCE_11, 4))  # 7.8095
    # 08:00 UTC (09:00 BST) is after every read of the 30th
    assert run(since="2026-03-30T08:00:00Z", min_cameras=1) == []
    # until the end of Saturday 28 March, UK local (GMT): the first trip alone
    first = only(run(until="2026-03-28", vrms=[V]))
    assert (first.detail["cameras"], first.detail["days"]) == (3, 1)
    assert first.score == pytest.approx(round(SCORE_UNTIL, 4))  # 8.0417


def test_the_words_have_the_caveats_and_never_say_was_at() -> None:
    findings = [
        *run(min_cameras=1, max_distance_km=3.4, window_minutes=11),
        *run(data_lookback_minutes=0),
    ]
    for finding in findings:
        text = finding.explanation
        assert forbidden_phrases(text) == ()
        assert forbidden_phrases(json.dumps(finding.detail)) == ()
        assert "consistent with the phone travelling with the vehicle, not proof of it" in text
        assert "A read is of a plate, not of a vehicle or its driver" in text
        assert "The standard cell-site caveats apply and are listed with this finding." in text
        assert "not evidence of association" in text
    vp = only(run())
    assert vp.explanation.startswith(
        f"On 5 occasion(s) at 3 distinct ANPR camera(s) on 2 day(s) (UTC), between "
        f"{D1} 09:00:00 UTC and {D3} 07:40:00 UTC, a camera read {V} within 10 minutes of a "
        f"use, by the phone using {P}, of a cell listed within 3 km of that camera"
    )
    assert (
        f"CA1 (Mill Lane, B9001) read {V} at {D1} 09:00:00 UTC and the phone used cell {K1} "
        "(Mill Farm, Mill Lane, Hollowmere, HM1 1AA) for a call starting at "
        f"{D1} 09:03:00 UTC (its mast listed 2.22 km from the camera; 3 min apart; 1 other "
        "mark(s) read by that camera within the window of this use)" in vp.explanation
    )
    assert "its crowd-sourced approximate position 2.22 km from the camera" in vp.explanation
    assert (
        "; and 1 other camera(s) where both were seen without an occasion (CA6 (Bridge Street, "
        "B9005)), expected meetings 0.007143 in all." in vp.explanation
    )
    assert "Score 15.1508: -ln of the chance of 5 or more occasions when 0.1286 are expected" in (
        vp.explanation
    )
    assert f"2 occasion(s) rest on a crowd-sourced cell position. {CROWD_SOURCED_CAVEAT}" in (
        vp.explanation
    )
    assert "about 1 in 3.8 x 10^6" in vp.explanation  # exp(15.1508228)
    assert vp.detail["caveats"] == [
        *VEHICLE_PHONE_CAVEATS,
        *CELL_SITE_CAVEATS,
        CROWD_SOURCED_CAVEAT,
    ]
    wq = next(f for f in run(min_cameras=1) if f.subjects == (W, Q))
    assert CROWD_SOURCED_CAVEAT not in wq.explanation
    assert wq.detail["caveats"] == [*VEHICLE_PHONE_CAVEATS, *CELL_SITE_CAVEATS]


def test_the_subjects_asked_for() -> None:
    """Marks and numbers in any written form; the case's targets by default; a number with no
    records finds nothing; no numbers and no targets is refused."""
    assert [f.subjects for f in run(vrms=["tk24-drv"])] == [(V, P)]
    assert [f.subjects for f in run(vrms=["UK25 STR"], min_cameras=1)] == [(U, P)]
    assert [f.subjects for f in run(numbers=["07700 900302"], min_cameras=1)] == [(W, Q)]
    assert run(numbers=[R], min_cameras=1) == []
    none = VehiclePhone().run(evidence(targets=(Q,)), VehiclePhoneParameters())
    assert none == []  # Q's only meetings are at one camera
    with pytest.raises(ConfigError, match="no numbers"):
        VehiclePhone().run(evidence(targets=()), VehiclePhoneParameters())


def test_top_min_days_and_bounds() -> None:
    assert [f.subjects for f in run(min_cameras=1, top=2)] == [(V, P), (W, Q)]
    assert [f.subjects for f in run(min_days=2)] == [(V, P)]
    assert run(min_days=3) == []
    for bad in (
        {"window_minutes": 0},
        {"max_distance_km": 0},
        {"min_cameras": 0},
        {"top": 0},
        {"vrms": ["TK24 DR*"]},
        {"numbers": ["not a number"]},
        {"colour": "red"},
    ):
        with pytest.raises(ValidationError):
            VehiclePhoneParameters(**bad)


def test_details_are_json_for_the_case_store() -> None:
    for finding in run(min_cameras=1, max_distance_km=3.4):
        assert json.loads(json.dumps(finding.detail))["vrm"] == finding.subjects[0]
