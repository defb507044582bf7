"""Co-location over a hand-made case; every occasion, weight and score is worked out by hand below.

Targets A, B, C = 07700 900201, 900202, 900203. Others with cell records: D, E, F, G (900204-207,
data records on the busy cell) and H (900208). So N, the numbers with cell records, is 8.

Cells: Q = 234-30-1201-30451 ("Mill Lane", quiet); S = 234-30-1201-30452 ("Central Station",
busy); H1 and H2 = 234-30-1400-50001 and -50002, two sectors of "Hilltop Farm" (one position);
X = 234-30-1500-60001, in no reference data. Defaults: window 15 min, data look-back 30 min,
at least 2 occasions, match by cell.

Numbers on each cell, and weights ln(1 + N/n):

* Q: A, B (n = 2): ln(1 + 8/2) = ln 5 = 1.6094379
* S: A, C, D, E, F, G (n = 6): ln(1 + 8/6) = ln(7/3) = 0.8472979 (busy: weighs less)
* X: B, C, H (n = 3): ln(1 + 8/3) = ln(11/3) = 1.2992830
* H1: A; H2: C (n = 1 each); the Hilltop site as one place: A, C (n = 2): ln 5

A and B on Q (exhibits: JB/1 A's return, JB/2 B's voice return, JB/3 B's data return, JB/7 a
re-supplied copy of B's voice return):

1. 3 June: A's call 08:00:00 for 120 s, start and end Q (its end 08:02:00). B's calls on Q at
   08:05:00 (JB/2), 08:05:02 (the same call in JB/7) and 08:07:00. The pair (A's call, B's 08:05
   call) shares Q twice (A's start: gap 300 s; A's end: 180 s) and is one occasion, gap 180 s.
   The copy (182 s) and the 08:07 call (300 s) have A's call as their nearest, but A's call's
   nearest is the 08:05:00 record: not counted again.
2. 4 June: A's SMS 20:00 and B's data record starting 20:10 on Q. The data record's cell was
   used at or before 20:10, taken as 19:40-20:10: the SMS is inside, gap 0.
3. 8 June: B's data record 10:00 on Q (span 09:30-10:00); A's calls on Q at 09:40 (inside
   the span, gap 0: an occasion) and 10:20 (20 min after any use at or before 10:00: more than
   the window, never matched).

   A-B: 3 occasions x ln 5 = 4.8283137. With no look-back (0), occasion 3's gap is 20 min: 2
   occasions (occasion 2's gap becomes 600 s), 3.2188758.

A and C on the busy cell S: 5 June A 12:00, C 12:03 (180 s); 6 June A 12:00, C 12:10 (600 s):
2 x ln(7/3) = 1.6945957. Fewer than A-B though as many occasions: the busy cell weighs less.

A and C at Hilltop Farm: A on H1, C on H2, 9 June 18:00 / 18:05 and 10 June 18:00 / 18:01. Not
the same cell; the same site: with match="site", A-C has 4 occasions, 2 ln(7/3) + 2 ln 5 =
4.9134715.

B and C on X: 7 June B 09:00, C 09:20: 20 min apart, outside the 15-minute window (not even one
occasion); with 30 minutes, one occasion, ln(11/3) = 1.2992830.

H (not a target) on X: data records 7 June 09:05 (span 08:35-09:05; B's 09:00 call inside, gap 0)
and 11 June 07:00 (span 06:30-07:00; B's call at 06:50 inside). B against all numbers: (B, A)
4.8283137 and (B, H) 2 x ln(11/3) = 2.5985660.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from evidence_factory import call, make_evidence, message, utc
from location_rows import cell_site, data_session

from threadline.analysis.cell_wording import CELL_SITE_CAVEATS, CO_LOCATION_CAVEAT
from threadline.analysis.co_location import CoLocation, CoLocationParameters
from threadline.errors import ConfigError
from threadline.model.finding import Finding

A, B, C, D, E, F, G, H = (f"+4477009002{i:02d}" for i in range(1, 9))
Q, S = "234-30-1201-30451", "234-30-1201-30452"
H1, H2, X = "234-30-1400-50001", "234-30-1400-50002", "234-30-1500-60001"
OTHER = "+447700900999"  # the other party of every call: never placed anywhere
LN5, LN7_3, LN11_3 = math.log(5), math.log(7 / 3), math.log(11 / 3)


def a_call(exhibit: str, n: int, who: str, at: str, cell: str, **extra: Any) -> dict[str, Any]:
    """``who``'s call (the exhibit's target, A-party) to OTHER on ``cell``."""
    return call(exhibit, n, who, OTHER, at, start_cell=cell, target_role="a", **extra)


CALLS = [
    a_call("e1", 1, A, "2024-06-03 08:00:00", Q, end_cell=Q, duration_s=120),
    a_call("e1", 3, A, "2024-06-08 09:40:00", Q),
    a_call("e1", 4, A, "2024-06-08 10:20:00", Q),
    a_call("e1", 5, A, "2024-06-05 12:00:00", S),
    a_call("e1", 6, A, "2024-06-06 12:00:00", S),
    a_call("e1", 7, A, "2024-06-09 18:00:00", H1),
    a_call("e1", 8, A, "2024-06-10 18:00:00", H1),
    a_call("e2", 1, B, "2024-06-03 08:05:00", Q),
    a_call("e2", 2, B, "2024-06-03 08:07:00", Q),
    a_call("e2", 3, B, "2024-06-07 09:00:00", X),
    a_call("e2", 4, B, "2024-06-11 06:50:00", X),
    a_call("e7", 1, B, "2024-06-03 08:05:02", Q),
    a_call("e4", 1, C, "2024-06-05 12:03:00", S),
    a_call("e4", 2, C, "2024-06-06 12:10:00", S),
    a_call("e4", 3, C, "2024-06-07 09:20:00", X),
    a_call("e4", 4, C, "2024-06-09 18:05:00", H2),
    a_call("e4", 5, C, "2024-06-10 18:01:00", H2),
]
MESSAGES = [message("e1", 2, A, OTHER, "2024-06-04 20:00:00", cell=Q, target_role="a")]
DATA = [
    data_session("e3", 1, B, "2024-06-04 20:10:00", Q),
    data_session("e3", 2, B, "2024-06-08 10:00:00", Q),
    data_session("e5", 1, D, "2024-06-01 10:00:00", S),
    data_session("e5", 2, E, "2024-06-01 11:00:00", S),
    data_session("e5", 3, F, "2024-06-01 12:00:00", S),
    data_session("e5", 4, G, "2024-06-01 13:00:00", S),
    data_session("e6", 1, H, "2024-06-07 09:05:00", X),
    data_session("e6", 2, H, "2024-06-11 07:00:00", X),
]
HILLTOP = ("Hilltop Farm", "Ridge Road, Exampleton", "EX9 9ZZ", 52.0, -1.0)
SITES = [
    cell_site("e9", 1, Q, "Mill Lane", "Mill Lane, Exampleton", "EX2 2BB", 51.5, -0.1),
    cell_site("e9", 2, S, "Central Station", "Station Square, Exampleton", "EX1 1CC", 51.52, -0.12),
    cell_site("e9", 3, H1, *HILLTOP),
    cell_site("e9", 4, H2, *HILLTOP),
]
REFERENCES = {f"e{i}": f"JB/{i}" for i in range(1, 10)}


def rid(rows: list[dict[str, Any]], i: int) -> str:
    return str(rows[i]["row_id"])


def run(**parameters: Any) -> list[Finding]:
    evidence = make_evidence(
        {"calls": CALLS, "messages": MESSAGES, "data_sessions": DATA, "cell_sites": SITES},
        exhibits=REFERENCES,
        targets=(C, A, B),
    )
    return CoLocation().run(evidence, CoLocationParameters(**parameters))


def test_pairs_scored_by_occasions_weighted_by_rarity() -> None:
    ab, ac = run()
    assert (ab.kind, ab.subjects, ac.subjects) == ("co_location", (A, B), (A, C))
    assert ab.score == pytest.approx(round(3 * LN5, 4))  # 4.8283
    assert ac.score == pytest.approx(round(2 * LN7_3, 4))  # 1.6946
    assert (ab.detail["occasions"], ac.detail["occasions"]) == (3, 2)
    assert ab.detail["numbers_in_evidence"] == 8
    assert [(p["numbers_on"], p["weight"]) for p in ab.detail["places"]] == [(2, 1.6094)]
    assert [(p["numbers_on"], p["weight"]) for p in ac.detail["places"]] == [(6, 0.8473)]
    assert [
        (o["time_1"][:19], o["time_2"][:19], o["gap_seconds"], o["phase_1"], o["medium_2"])
        for o in ab.detail["occasion_list"]
    ] == [
        ("2024-06-03T08:02:00", "2024-06-03T08:05:00", 180.0, "end", "call"),
        ("2024-06-04T20:00:00", "2024-06-04T20:10:00", 0.0, "sent", "data"),
        ("2024-06-08T09:40:00", "2024-06-08T10:00:00", 0.0, "start", "data"),
    ]
    assert ab.detail["data_occasions"] == 2
    assert (ab.first_utc, ab.last_utc) == (utc("2024-06-03 08:02:00"), utc("2024-06-08 10:00:00"))


def test_no_double_counting_and_every_row_cited() -> None:
    """The copy of B's 08:05 call, B's 08:07 call and A's 10:20 call are in no occasion; the
    rows cited are the six events' and Mill Lane's cell-site row."""
    (ab, _ac) = run()
    assert set(ab.derived_from) == {
        rid(CALLS, 0),
        rid(CALLS, 7),
        rid(MESSAGES, 0),
        rid(DATA, 0),
        rid(CALLS, 1),
        rid(DATA, 1),
        rid(SITES, 0),
    }
    for left_out in (rid(CALLS, 11), rid(CALLS, 8), rid(CALLS, 2)):
        assert left_out not in ab.derived_from


def test_a_busy_cell_weighs_less_than_a_quiet_one() -> None:
    ab, ac = run()
    # two occasions each would tie; A-B's three on the quiet cell, A-C's two on the busy one
    quiet, busy = ab.detail["occasion_list"][0], ac.detail["occasion_list"][0]
    assert (quiet["numbers_on_place"], busy["numbers_on_place"]) == (2, 6)
    assert quiet["weight"] > busy["weight"]
    assert (quiet["weight"], busy["weight"]) == (round(LN5, 4), round(LN7_3, 4))


def test_events_outside_the_window_do_not_co_locate() -> None:
    # B 09:00 and C 09:20 on X are 20 minutes apart: no B-C finding, even with one occasion
    assert [f.subjects for f in run(min_occasions=1)] == [(A, B), (A, C)]
    ab, ac, bc = run(window_minutes=30, min_occasions=1)
    assert bc.subjects == (B, C)
    assert bc.score == pytest.approx(round(LN11_3, 4))
    assert bc.detail["occasion_list"][0]["gap_seconds"] == 1200.0
    assert (ab.detail["occasions"], ac.detail["occasions"]) == (3, 2)


def test_data_records_are_compared_at_or_before_their_time() -> None:
    """A's call 20 min *before* B's 10:00 data record co-locates (the cell may have been used
    then); A's call 20 min *after* does not. Without a look-back, neither does the earlier."""
    ab, _ac = run()
    times = [o["time_1"][:19] for o in ab.detail["occasion_list"]]
    assert "2024-06-08T09:40:00" in times
    assert "2024-06-08T10:20:00" not in times
    assert "at or before the record's time (taken as up to 30 minutes before it)" in (
        ab.explanation
    )
    ab0, _ac0 = run(data_lookback_minutes=0)
    assert ab0.detail["occasions"] == 2
    assert ab0.score == pytest.approx(round(2 * LN5, 4))
    assert [o["gap_seconds"] for o in ab0.detail["occasion_list"]] == [180.0, 600.0]


def test_cells_of_one_site() -> None:
    ac, ab = run(match="site")
    assert (ac.subjects, ab.subjects) == ((A, C), (A, B))
    assert ac.detail["occasions"] == 4
    assert ac.score == pytest.approx(round(2 * LN7_3 + 2 * LN5, 4))  # 4.9135
    hilltop = [o for o in ac.detail["occasion_list"] if o["cell_1"] == H1]
    assert [(o["cell_2"], o["numbers_on_place"]) for o in hilltop] == [(H2, 2), (H2, 2)]
    assert "cells of the same site" in ac.explanation
    assert "a shared site is weaker than a shared cell" in ac.explanation
    assert {rid(SITES, 2), rid(SITES, 3)} <= set(ac.derived_from)


def test_against_all_numbers_and_a_period() -> None:
    ba, bh = run(numbers=["07700 900202"], against_all=True)
    assert (ba.subjects, bh.subjects) == ((B, A), (B, H))
    assert ba.score == pytest.approx(round(3 * LN5, 4))
    assert bh.score == pytest.approx(round(2 * LN11_3, 4))  # 2.5986
    # a period leaves the weights alone: they come from the whole evidence
    ab, ac = run(since=utc("2024-06-04 00:00:00"))
    assert ab.detail["occasions"] == 2
    assert ac.detail["places"][0]["weight"] == round(LN7_3, 4)
    assert run(until=utc("2024-06-04 00:00:00")) == []


def test_the_words_say_consistent_with_and_never_was_at() -> None:
    for finding in run(match="site", min_occasions=1, window_minutes=30):
        text = finding.explanation
        assert CO_LOCATION_CAVEAT in text
        assert "consistent with being in the same area, not proof of being together" in text
        assert "was at" not in text.lower()
        assert "at the location" not in text.lower()
        assert finding.detail["caveats"] == [CO_LOCATION_CAVEAT, *CELL_SITE_CAVEATS]
    ab = run()[0]
    assert ab.explanation.startswith(
        f"The phones using {A} and {B} were served by the same cell within 15 minutes of each "
        "other on 3 occasion(s), between 2024-06-03 08:02:00 UTC and 2024-06-08 10:00:00 UTC: "
        "cell 234-30-1201-30451 (Mill Lane, Mill Lane, Exampleton, EX2 2BB), 3 occasion(s) (used "
        "by 2 of the 8 numbers, weight 1.6094). Score 4.8283"
    )
    assert (
        f"The first occasion: {A}'s call ending at 2024-06-03 08:02:00 UTC and {B}'s call at "
        "2024-06-03 08:05:00 UTC." in ab.explanation
    )


def test_details_are_json_for_the_case_store() -> None:
    for finding in run(match="site"):
        assert json.loads(json.dumps(finding.detail))["number1"] == finding.subjects[0]


def test_numbers_are_needed() -> None:
    with pytest.raises(ConfigError, match="no numbers"):
        CoLocation().run(make_evidence({}), CoLocationParameters())
    with pytest.raises(ConfigError, match="at least two"):
        CoLocation().run(make_evidence({}), CoLocationParameters(numbers=[A]))


def test_the_edge_of_the_window_with_a_look_back() -> None:
    """The farthest-apart records that can co-locate, their times window + look-back apart.

    A's calls and B's data records on Mill Lane only (N = 2, both on the cell: weight
    ln(1 + 2/2) = ln 2 = 0.6931472). With the defaults (15-minute window, 30-minute look-back):

    * 12 June: A 10:00:00, B's record 10:45:00 (span 10:15-10:45): gap exactly 900 s, counted;
    * 13 June: A 09:59:59, B's record 10:45:00: gap 901 s, not;
    * 14 June: B's record 10:00:00 (span 09:30-10:00), A 10:15:00: 900 s after, counted;
    * 15 June: B's record 10:00:00, A 10:15:01: 901 s, not.

    Two occasions, score 2 ln 2 = 1.3862944.
    """
    calls = [
        a_call("e1", 1, A, "2024-06-12 10:00:00", Q),
        a_call("e1", 2, A, "2024-06-13 09:59:59", Q),
        a_call("e1", 3, A, "2024-06-14 10:15:00", Q),
        a_call("e1", 4, A, "2024-06-15 10:15:01", Q),
    ]
    data = [
        data_session("e3", 1, B, "2024-06-12 10:45:00", Q),
        data_session("e3", 2, B, "2024-06-13 10:45:00", Q),
        data_session("e3", 3, B, "2024-06-14 10:00:00", Q),
        data_session("e3", 4, B, "2024-06-15 10:00:00", Q),
    ]
    evidence = make_evidence(
        {"calls": calls, "data_sessions": data, "cell_sites": SITES}, exhibits=REFERENCES
    )
    (ab,) = CoLocation().run(evidence, CoLocationParameters(numbers=[A, B], min_occasions=1))
    assert ab.subjects == (A, B)
    assert ab.score == pytest.approx(round(2 * math.log(2), 4))  # 1.3863
    assert [
        (o["time_1"][:19], o["time_2"][:19], o["gap_seconds"]) for o in ab.detail["occasion_list"]
    ] == [
        ("2024-06-12T10:00:00", "2024-06-12T10:45:00", 900.0),
        ("2024-06-14T10:15:00", "2024-06-14T10:00:00", 900.0),
    ]
    assert set(ab.derived_from) == {
        rid(calls, 0),
        rid(data, 0),
        rid(calls, 2),
        rid(data, 2),
        rid(SITES, 0),
    }
