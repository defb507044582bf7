"""Successor numbers over a hand-made case; every expected figure is worked out below.

Numbers: OLD (goes quiet), NEW (its successor, same handset H1), ALT (shares a little), TAXI
(called from H1 by NEW), MUM, MATE, BOSS (OLD's contacts), PIZZA (a busy takeaway), SHOP, and
fillers F1..F13 who each call PIZZA once, every 4 days from 1 March (F13 on 18 April); F1 also
calls MATE. Exhibits: e1 OLD's return (JB/1), e2 NEW's (JB/2), e3 ALT's (JB/3), e4 PIZZA's.

OLD (e1): 1 Mar 09:00 -> MUM (H1), 3 Mar MUM ->, 5 Mar SMS -> MATE, 6 Mar 19:00 -> PIZZA, 7 Mar
-> MUM, 8 Mar 10:00 MUM ->, 10 Mar 12:00 -> BOSS (H1); then nothing until NEW calls it on 20 Apr
10:00 (in e2, and in e1 two seconds later: one event). So OLD goes quiet at 10 Mar 12:00 after 7
events; the gap to 20 Apr 10:00 is 40 days 22 h = 40.9 days (>= 14): a dormancy.

NEW (e2, H1 on rows 1-2): 12 Mar 09:00 -> MUM, 13 Mar 08:00 -> TAXI, 14 Mar MUM ->, 20 Mar SMS
-> MATE, 24 Mar -> MUM, 25 Mar 19:00 -> PIZZA, 2 Apr 10:00 -> BOSS, 5 Apr MUM ->, 17 Apr -> MUM,
20 Apr 10:00 -> OLD, 30 Apr 18:00 -> MUM (the end of the evidence). First seen 1.875 days after
OLD's quiet point. ALT (e3): 15 Mar 20:00 -> PIZZA (first seen 5.33 days after), 18 Mar -> MATE,
22 Mar -> PIZZA, 5 Apr -> SHOP.

No other number goes quiet with 5 events: MUM's gaps are at most 13.4 days, MATE has 4 events,
PIZZA's gaps are at most 4 days (fillers) and 12.3 days at the end, ALT has 4 events.

Degrees (distinct numbers in contact) and weights 1/log2(d), 1 when d <= 2: MUM 2 (OLD, NEW) ->
1; BOSS 2 -> 1; MATE 4 (F1, OLD, ALT, NEW) -> 0.5; PIZZA 16 (F1..F13, OLD, ALT, NEW) -> 0.25;
TAXI 1 -> 1; SHOP 1 -> 1.

Candidates first seen in (10 Mar 12:00, 24 Mar 12:00]: NEW, TAXI, ALT, F4 (13 Mar), F5, F6.
OLD's counterparts up to the quiet point: MUM, MATE, PIZZA, BOSS (4; weight 2.75).

* NEW: counterparts MUM, TAXI, MATE, PIZZA, BOSS (OLD itself left out): 5, weight 3.75. Shared
  all four of OLD's: Jaccard 4 / (4 + 5 - 4) = 0.8; overlap (weighted Jaccard) 2.75 /
  (2.75 + 3.75 - 2.75) = 11/15; strength 2.75 / (2.75 + 1) = 11/15; same handset H1 (OLD's rows
  1 and 7, NEW's rows 1 and 2: 4 records): score 121/225 + 1 = 1.5378. Direct contact with OLD:
  1 event (2 records).
* ALT: counterparts PIZZA, MATE, SHOP (weight 1.75); shares MATE and PIZZA: Jaccard 2 / 5 = 0.4;
  overlap 0.75 / (2.75 + 1.75 - 0.75) = 0.2; strength 0.75 / 1.75 = 3/7; score 0.0857.
* TAXI shares nothing: H1 is on NEW's row as NEW's handset, not TAXI's, so no shared handset.
* F4-F6 share only PIZZA: below min_shared = 2.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from evidence_factory import call, make_evidence, message, utc, with_contact_events
from evidence_rows import handset, luhn_valid

from threadline.analysis.evidence import Evidence
from threadline.analysis.successor_numbers import SuccessorNumbers, SuccessorNumbersParameters
from threadline.model.finding import Finding

OLD, NEW, ALT = "+447700900201", "+447700900202", "+447700900203"
MUM, MATE, BOSS = "+447700900301", "+447700900302", "+447700900303"
TAXI, SHOP, PIZZA = "+447700900306", "+447700900307", "+447700900399"
FILLERS = [f"+4477009004{i:02d}" for i in range(1, 14)]
# TAC 00123456, serial 100011; check digit worked in test_handset_history: 2
H1 = "001234561000112"
S1, S2 = "001010000000001", "001010000000002"

OLD_ROWS = [
    call("e1", 1, OLD, MUM, "2024-03-01 09:00:00", target_role="a", **handset(H1, S1)),
    call("e1", 2, MUM, OLD, "2024-03-03 09:00:00", target_role="b", direction="incoming"),
    message("e1", 3, OLD, MATE, "2024-03-05 09:00:00", target_role="a"),
    call("e1", 4, OLD, PIZZA, "2024-03-06 19:00:00", target_role="a"),
    call("e1", 5, OLD, MUM, "2024-03-07 09:00:00", target_role="a"),
    call("e1", 6, MUM, OLD, "2024-03-08 10:00:00", target_role="b", direction="incoming"),
    call("e1", 7, OLD, BOSS, "2024-03-10 12:00:00", target_role="a", **handset(H1, S1)),
    call("e1", 8, NEW, OLD, "2024-04-20 10:00:02", target_role="b", direction="incoming"),
]
NEW_ROWS = [
    call("e2", 1, NEW, MUM, "2024-03-12 09:00:00", target_role="a", **handset(H1, S2)),
    call("e2", 2, NEW, TAXI, "2024-03-13 08:00:00", target_role="a", **handset(H1, S2)),
    call("e2", 3, MUM, NEW, "2024-03-14 09:00:00", target_role="b", direction="incoming"),
    message("e2", 4, NEW, MATE, "2024-03-20 09:00:00", target_role="a"),
    call("e2", 5, NEW, MUM, "2024-03-24 09:00:00", target_role="a"),
    call("e2", 6, NEW, PIZZA, "2024-03-25 19:00:00", target_role="a"),
    call("e2", 7, NEW, BOSS, "2024-04-02 10:00:00", target_role="a"),
    call("e2", 8, MUM, NEW, "2024-04-05 09:00:00", target_role="b", direction="incoming"),
    call("e2", 9, NEW, MUM, "2024-04-17 09:00:00", target_role="a"),
    call("e2", 10, NEW, OLD, "2024-04-20 10:00:00", target_role="a"),
    call("e2", 11, NEW, MUM, "2024-04-30 18:00:00", target_role="a"),
]
ALT_ROWS = [
    call("e3", 1, ALT, PIZZA, "2024-03-15 20:00:00", target_role="a"),
    call("e3", 2, ALT, MATE, "2024-03-18 20:00:00", target_role="a"),
    call("e3", 3, ALT, PIZZA, "2024-03-22 20:00:00", target_role="a"),
    call("e3", 4, ALT, SHOP, "2024-04-05 20:00:00", target_role="a"),
]
FILLER_ROWS = [
    call("e4", i, number, PIZZA, f"{date(2024, 3, 1) + timedelta(days=4 * (i - 1))} 10:00:00")
    for i, number in enumerate(FILLERS, start=1)
] + [call("e4", 14, FILLERS[0], MATE, "2024-03-01 11:00:00")]
REFERENCES = {"e1": "JB/1", "e2": "JB/2", "e3": "JB/3", "e4": "JB/4"}


def rows_of(*rows: dict[str, object]) -> set[str]:
    return {str(r["row_id"]) for r in rows}


def run(extra: list[dict[str, object]] | None = None, **parameters: object) -> list[Finding]:
    tables = {
        "calls": [r for r in OLD_ROWS + NEW_ROWS + ALT_ROWS + FILLER_ROWS if "start_utc" in r]
        + list(extra or []),
        "messages": [r for r in OLD_ROWS + NEW_ROWS if "sent_utc" in r],
    }
    evidence = make_evidence(tables, exhibits=REFERENCES)
    return SuccessorNumbers().run(evidence, SuccessorNumbersParameters(**parameters))


def test_the_fixture_dates_are_as_the_docstring_says() -> None:
    assert luhn_valid(H1)
    assert [r["start_utc"] for r in FILLER_ROWS[:13:4]] == [
        utc("2024-03-01 10:00:00"),  # F1
        utc("2024-03-17 10:00:00"),  # F5
        utc("2024-04-02 10:00:00"),  # F9
        utc("2024-04-18 10:00:00"),  # F13
    ]


def test_the_successor_ranks_first_with_the_overlap_that_justifies_it() -> None:
    new, alt = run()
    assert new.kind == "successor_number"
    assert new.subjects == (OLD, NEW)
    assert new.score == pytest.approx(1.5378)
    detail = new.detail
    assert (detail["rank"], detail["candidates"]) == (1, 2)
    assert (detail["old_counterparts"], detail["candidate_counterparts"]) == (4, 5)
    assert detail["jaccard"] == pytest.approx(0.8)
    assert detail["shared_weight"] == pytest.approx(2.75)
    assert detail["weighted_jaccard"] == pytest.approx(0.7333)
    assert detail["strength"] == pytest.approx(0.7333)
    assert detail["same_handset_imei_keys"] == [H1[:14]]
    assert detail["direct_contact_events"] == 1  # one call, held by both returns
    assert [
        (s["number"], s["weight"], s["old_events"], s["candidate_events"])
        for s in detail["shared_counterparts"]
    ] == [
        (MUM, 1.0, 4, 6),
        (BOSS, 1.0, 1, 1),
        (MATE, 0.5, 1, 1),
        (PIZZA, 0.25, 1, 1),
    ]
    assert detail["quiet_at_utc"] == "2024-03-10T12:00:00+00:00"
    assert detail["resumed_at_utc"] == "2024-04-20T10:00:00+00:00"
    assert (detail["quiet_days"], detail["days_to_first_seen"]) == (40.92, 1.88)
    assert (new.first_utc, new.last_utc) == (utc("2024-03-10 12:00:00"), utc("2024-03-12 09:00:00"))
    # every row of both returns: OLD's seven events, NEW's with the shared contacts, NEW's
    # H1 rows (the TAXI call among them) and the direct call in both returns
    assert set(new.derived_from) == rows_of(*OLD_ROWS, *NEW_ROWS)
    assert new.explanation.startswith(
        f"{OLD} went quiet: its last contact event before 40.9 days without any is on "
        "2024-03-10 12:00:00 UTC (7 event(s) up to then); it was seen again on "
        f"2024-04-20 10:00:00 UTC. {NEW} was first seen 1.9 days later, on 2024-03-12 09:00:00 "
        f"UTC. They share 4 counterpart(s) (4 for {OLD} up to then, 5 for {NEW}; Jaccard 0.80, "
        f"weighted for rarity 0.73): {MUM} (in contact with 2 numbers, weight 1.00)"
    )
    assert f"handset with IMEI key {H1[:14]} (4 record(s)): strong evidence" in new.explanation
    assert (
        "Score 1.54: the rarity-weighted overlap 0.73 times 0.73 for how much the shared "
        "counterparts weigh together (2.75, as w / (w + 1)), plus 1 for the shared handset; "
        "ranked 1 of 2 candidate(s) for this quiet period."
    ) in new.explanation
    assert "This is a lead, not an identification" in new.explanation
    assert (detail["old_own_records"], detail["candidate_own_records"]) == (True, True)
    assert "no records of its own" not in new.explanation

    assert alt.subjects == (OLD, ALT)
    assert alt.score == pytest.approx(0.0857)
    assert alt.detail["weighted_jaccard"] == pytest.approx(0.2)
    assert alt.detail["jaccard"] == pytest.approx(0.4)
    assert alt.detail["same_handset_imei_keys"] == []
    assert [s["number"] for s in alt.detail["shared_counterparts"]] == [MATE, PIZZA]
    assert set(alt.derived_from) == rows_of(OLD_ROWS[6], OLD_ROWS[2], OLD_ROWS[3], *ALT_ROWS[:3])


def test_the_other_partys_handset_is_not_a_shared_handset() -> None:
    # TAXI is the other party of NEW's H1 rows: no finding for it
    assert all(TAXI not in f.subjects for f in run())
    # had TAXI's own return shown it in H1, it would be a candidate on the handset alone
    own = call("e5", 1, TAXI, SHOP, "2024-03-13 09:00:00", target_role="a", **handset(H1))
    taxi = [f for f in run([own]) if f.subjects == (OLD, TAXI)]
    assert [(f.score, f.detail["rank"]) for f in taxi] == [(1.0, 2)]  # 0 overlap + 1


def test_a_busy_shared_counterpart_weighs_little() -> None:
    """OLD2 calls R (rare) on 1 Mar and P (busy) on 3 Mar 09:00; P is also called by 14
    fillers on 1 Mar. C1 calls R (5 Mar 09:00) and U1; C2 calls P (5 Mar 10:00) and U2; the
    evidence ends 6 Mar 12:00, 3.1 days after OLD2's last event (quiet_days 3).

    Degrees: R 2 (OLD2, C1) -> 1; P 16 (14 fillers, OLD2, C2) -> 0.25; U1, U2 1 -> 1. OLD2's
    weight 1.25. C1: overlap 1 / (1.25 + 2 - 1) = 4/9, strength 1 / 2: score 2/9 = 0.2222.
    C2: overlap 0.25 / (1.25 + 1.25 - 0.25) = 1/9, strength 0.25 / 1.25 = 0.2: 1/45 = 0.0222.
    Both have a plain Jaccard of 1 / 3: only the weighting tells them apart.
    """
    old2, c1, c2, r, p, u1, u2 = (f"+4477009005{i:02d}" for i in range(7))
    rows = [
        call("e7", 1, old2, r, "2024-03-01 09:00:00"),
        call("e7", 2, old2, p, "2024-03-03 09:00:00"),
        call("e7", 3, c1, r, "2024-03-05 09:00:00"),
        call("e7", 4, c2, p, "2024-03-05 10:00:00"),
        call("e7", 5, c1, u1, "2024-03-06 11:00:00"),
        call("e7", 6, c2, u2, "2024-03-06 12:00:00"),
    ] + [call("e7", 10 + i, f"+4477009006{i:02d}", p, "2024-03-01 10:00:00") for i in range(14)]
    evidence = make_evidence({"calls": rows})
    parameters = SuccessorNumbersParameters(quiet_days=3, min_events=2, min_shared=1)
    rare, busy = SuccessorNumbers().run(evidence, parameters)
    assert (rare.subjects, busy.subjects) == ((old2, c1), (old2, c2))
    assert rare.detail["jaccard"] == busy.detail["jaccard"] == pytest.approx(0.3333)
    assert rare.score == pytest.approx(0.2222)
    assert busy.score == pytest.approx(0.0222)
    assert busy.detail["shared_counterparts"][0]["in_contact_with"] == 16
    # no row names a target: none of these numbers' own records are held, and the finding says so
    assert rare.detail["old_own_records"] is False
    assert (
        f"The evidence holds no records of its own for {old2} or {c1}, only their contact"
        in rare.explanation
    )


def test_time_of_day_similarity_in_uk_local_time() -> None:
    """OLD up to its quiet point (all GMT): 09h x4, 10h, 12h, 19h. NEW (BST from 31 March):
    08h, 09h x4 (12, 14, 20, 24 Mar), 19h x2 (25 Mar GMT; 30 Apr 18:00 UTC), 11h x2 (2 Apr
    10:00 UTC, 20 Apr 10:00 UTC), 10h x2 (5 and 17 Apr 09:00 UTC). Cosine: (16 + 2 + 2) /
    sqrt(19 * 29) = 0.852."""
    new, _alt = run(time_of_day=True)
    profile = new.detail["time_of_day"]
    assert profile["zone"] == "Europe/London"
    assert {h: n for h, n in enumerate(profile["old"]) if n} == {9: 4, 10: 1, 12: 1, 19: 1}
    assert {h: n for h, n in enumerate(profile["candidate"]) if n} == {
        8: 1,
        9: 4,
        10: 2,
        11: 2,
        19: 2,
    }
    assert profile["similarity"] == pytest.approx(0.852)
    assert new.score == pytest.approx(1.5378)  # not scored
    assert "have a similarity of 0.85" in new.explanation


def test_parameters_narrow_the_search() -> None:
    assert [f.subjects for f in run(window_days=3)] == [(OLD, NEW)]  # ALT starts 5.33 days on
    assert run(quiet_days=41) == []  # OLD's gap is 40.9 days
    assert run(min_events=8) == []  # OLD has 7 events before it
    assert run(numbers=["07700 900203"]) == []  # ALT never goes quiet
    assert [f.subjects for f in run(numbers=["07700900201"], top=1)] == [(OLD, NEW)]
    shared_one = run(min_shared=1)
    # F4, F5, F6 share PIZZA alone: overlap 0.25 / (2.75 + 0.25 - 0.25) = 1/11, strength
    # 0.25 / 1.25 = 0.2: 1/55
    assert [f.subjects[1] for f in shared_one] == [NEW, ALT, *FILLERS[3:6]]
    assert [f.score for f in shared_one[2:]] == pytest.approx([0.0182] * 3)
    assert [f.detail["rank"] for f in shared_one] == [1, 2, 3, 4, 5]


OLD3, C3, R3, R4, U3 = (f"+4477009007{i:02d}" for i in range(5))
#: Only OLD3's quiet periods, on little evidence: 3 days' quiet, 2 events, 1 shared counterpart.
SMALL = SuccessorNumbersParameters(numbers=[OLD3], quiet_days=3, min_events=2, min_shared=1)


def _both_ways(rows: list[dict[str, object]]) -> list[Evidence]:
    """The same calls and messages formed into events on the fly and read from the read
    copy's table, each with the rows as given and reversed."""
    out = []
    for ordered in (rows, rows[::-1]):
        tables = {
            "calls": [r for r in ordered if "start_utc" in r],
            "messages": [r for r in ordered if "sent_utc" in r],
        }
        out += [make_evidence(tables), with_contact_events(make_evidence(tables))]
    return out


def test_a_time_range_holds_the_quiet_point_to_its_latest_time() -> None:
    """OLD3 calls R3 on 1 Mar 09:00 and 3 Mar 09:00, and between them calls R4 at a time known
    only to lie between 2 Mar 09:00 and 5 Mar 09:00. In time order (earliest first) the R4
    call is second, but it may have been as late as 5 Mar 09:00, so OLD3 is quiet from then,
    not from the 3 Mar call, the last in order: 3 events before it. C3 calls R3 on 6 Mar 10:00
    (first seen 1 day 1 hour later: 1.04 days) and U3 on 9 Mar 12:00, the end of the evidence
    (4.125 days after the quiet point).

    Degrees: R3 2 (OLD3, C3), R4 1, U3 1: all weigh 1. OLD3's counterparts R3, R4 (weight 2),
    C3's R3, U3 (2); shared R3: Jaccard 1 / 3, overlap 1 / 3, strength 1 / 2, score 1/6."""
    rows = [
        call("e9", 1, OLD3, R3, "2024-03-01 09:00:00"),
        call(
            "e9",
            2,
            OLD3,
            R4,
            None,
            start_earliest_utc=utc("2024-03-02 09:00:00"),
            start_latest_utc=utc("2024-03-05 09:00:00"),
        ),
        call("e9", 3, OLD3, R3, "2024-03-03 09:00:00"),
        call("e9", 4, C3, R3, "2024-03-06 10:00:00"),
        call("e9", 5, C3, U3, "2024-03-09 12:00:00"),
    ]
    for evidence in _both_ways(rows):
        (finding,) = SuccessorNumbers().run(evidence, SMALL)
        assert finding.subjects == (OLD3, C3)
        detail = finding.detail
        assert detail["quiet_at_utc"] == "2024-03-05T09:00:00+00:00"
        assert detail["events_before_quiet"] == 3
        assert detail["days_to_first_seen"] == 1.04
        assert finding.score == pytest.approx(0.1667)
        assert detail["jaccard"] == pytest.approx(0.3333)
        assert [(s["number"], s["old_events"]) for s in detail["shared_counterparts"]] == [(R3, 2)]
    # without the range (the R4 call exact at 2 Mar 09:00) the quiet point is the 3 Mar call
    rows[1] = call("e9", 2, OLD3, R4, "2024-03-02 09:00:00")
    (exact,) = SuccessorNumbers().run(make_evidence({"calls": rows}), SMALL)
    assert exact.detail["quiet_at_utc"] == "2024-03-03T09:00:00+00:00"


def test_of_events_tied_at_the_quiet_point_the_last_by_row_id_is_cited() -> None:
    """OLD3 calls R3 on 1 Mar 09:00, then texts R4 twice at 2 Mar 09:00:00 in the same exhibit:
    two events (one exhibit never makes one event of two records) tied on time, counterpart
    and medium. Only the second of them in order can be the quiet point (the first is followed
    by the other at once); which is second is settled by the row id (each record is in one
    event), so the finding cites the text with the greater row id, however the rows are read.
    C3 calls R3 on 4 Mar 10:00 (sharing it) and U3 on 8 Mar 12:00, the end of the evidence.

    Cited: the quiet point's text, C3's first event (row 4, its R3 call) and both numbers'
    events with R3 (rows 1 and 4); not the other text, whose counterpart is not shared. (With
    the order on time, counterpart and medium alone, the engine chose: the texts' rows 6 and 7
    were cited either way round depending on how the evidence was read.)"""
    rows = [
        call("e9", 1, OLD3, R3, "2024-03-01 09:00:00"),
        message("e9", 6, OLD3, R4, "2024-03-02 09:00:00"),
        message("e9", 7, OLD3, R4, "2024-03-02 09:00:00"),
        call("e9", 4, C3, R3, "2024-03-04 10:00:00"),
        call("e9", 5, C3, U3, "2024-03-08 12:00:00"),
    ]
    texts = sorted(rows_of(rows[1], rows[2]))
    for evidence in _both_ways(rows):
        (finding,) = SuccessorNumbers().run(evidence, SMALL)
        assert finding.detail["events_before_quiet"] == 3
        assert set(finding.derived_from) == rows_of(rows[0], rows[3]) | {texts[1]}
