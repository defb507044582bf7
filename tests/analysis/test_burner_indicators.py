"""Burner indicators over a hand-made case; every expected figure is worked out below.

Targets T1, T2, T3 (the case's). Returns (own records): JB/1 T1's (handset H5), JB/7 B's,
JB/8 W's, JB/9 M's (handset H3), JB/10 E's; JB/11 a download of handset H3 showing number Z.

Handsets (made-up TAC 00123456, Luhn worked as in test_handset_history): H1 ...1000112,
H2 ...2000228, H3 ...3000334, H5 = 00123456500055 + 5 (doubled 0,2,4,6,0,0,5 -> 0+4+8+3+0+0+1
= 16; undoubled 0,1,3,5,5,0,5 = 19; 35 -> 5).

* B (JB/7): 1 Jun 10:00 -> T1 (H1), 2 Jun T1 -> B (H1), 3 Jun SMS -> T2 (H1), 5 Jun -> T1 (H2),
  7 Jun -> T1, 8 Jun -> T2, 10 Jun 18:00 -> T1 (H2). T1's return holds the 1 Jun call again 3 s
  later with T1's handset H5 (T1's, not B's): one event. 7 events (T1 5, T2 2); active 9 days
  8 h = 9.3 days; 2 counterparts, both targets: 7 of 7 with the group; handsets H1, H2.
  All four indicators: score 4.
* M (JB/9, H3): T2 on 1 May 10:00, 15 May, 29 May, 12 Jun, 26 Jun; T3 on 8 May, 22 May, 5 Jun,
  19 Jun; a takeaway P on 29 Jun. 10 events over 59 days: not short-lived; 3 counterparts (few);
  9 of 10 with the group (P is in contact with no target): 0.9, "mostly"; H3 also carried Z
  (JB/11): handset changes. Score 3.
* E (JB/10): T3 on 28 Jun 20:00, 29 Jun 09:00, 30 Jun 09:00 and 30 Jun 20:00 (the last event of
  the evidence): 2 days; 1 counterpart; all with the group; no handset recorded. Score 3 of 3
  assessed, with the caveat that its contact ends at the edge of the evidence.
* W (JB/8, its calls with T1 also in JB/1): family F1-F4 and T1, 1 May 08:00 (the first event of
  the evidence) to 30 Jun 12:00, 10 events, 5 counterparts, 2 of 10 with the group. Nothing met.
* U (no records of its own; in JB/1 only): T1 on 3, 4, 6 and 8 Jun 09:00: short-lived (5 days);
  few counterparts and one group not assessed. One indicator.
* T1 (JB/1): B 5 events, W 2, U 4 from 10 May to 20 Jun: 3 counterparts (few); the group for T1
  is the other targets and their contacts: only B (who calls T2) is in it, 5 of 11. One
  indicator. T2 and T3 have no records of their own: nothing assessable met. F1-F4 and P have
  fewer than 3 events.
"""

from __future__ import annotations

import pytest
from evidence_factory import call, make_evidence, message, utc
from evidence_rows import device, handset, luhn_valid

from threadline.analysis.burner_indicators import BurnerIndicators, BurnerIndicatorsParameters
from threadline.model.finding import Finding

T1, T2, T3 = "+447700900701", "+447700900702", "+447700900703"
B, W, U, M, E, Z = (
    "+447700900777",
    "+447700900778",
    "+447700900779",
    "+447700900780",
    "+447700900782",
    "+447700900781",
)
P = "+447700900799"
F1, F2, F3, F4 = (f"+44770090080{i}" for i in range(1, 5))
H1, H2, H3, H5 = "001234561000112", "001234562000228", "001234563000334", "001234565000555"
S7, S8, S9 = "001010000000007", "001010000000008", "001010000000009"
REFERENCES = {f"e{n}": f"JB/{n}" for n in (1, 7, 8, 9, 10, 11)}


def own(exhibit: str, n: int, a: str, b: str, at: str, target: str, **extra: object) -> dict:  # type: ignore[type-arg]
    """A return's call row with the target on side ``target``."""
    direction = "outgoing" if target == "a" else "incoming"
    return call(exhibit, n, a, b, at, target_role=target, direction=direction, **extra)


B_CALLS = [
    own("e7", 1, B, T1, "2024-06-01 10:00:00", "a", **handset(H1, S7)),
    own("e7", 2, T1, B, "2024-06-02 10:00:00", "b", **handset(H1, S7)),
    own("e7", 4, B, T1, "2024-06-05 10:00:00", "a", **handset(H2, S7)),
    own("e7", 5, B, T1, "2024-06-07 10:00:00", "a", **handset(H2)),
    own("e7", 6, B, T2, "2024-06-08 10:00:00", "a", **handset(H2)),
    own("e7", 7, B, T1, "2024-06-10 18:00:00", "a", **handset(H2)),
]
B_MESSAGES = [message("e7", 3, B, T2, "2024-06-03 10:00:00", target_role="a", **handset(H1))]
T1_CALLS = [
    own("e1", 1, B, T1, "2024-06-01 10:00:03", "b", **handset(H5)),
    own("e1", 2, T1, W, "2024-05-10 12:00:00", "a", **handset(H5)),
    own("e1", 3, W, T1, "2024-06-20 12:00:00", "b", **handset(H5)),
    own("e1", 4, T1, U, "2024-06-03 09:00:00", "a", **handset(H5)),
    own("e1", 5, U, T1, "2024-06-04 09:00:00", "b", **handset(H5)),
    own("e1", 6, T1, U, "2024-06-06 09:00:00", "a", **handset(H5)),
    own("e1", 7, U, T1, "2024-06-08 09:00:00", "b", **handset(H5)),
]
W_CALLS = [
    own("e8", 1, W, F1, "2024-05-01 08:00:00", "a"),
    own("e8", 2, W, F2, "2024-05-05 08:00:00", "a"),
    own("e8", 3, T1, W, "2024-05-10 12:00:02", "b"),
    own("e8", 4, F3, W, "2024-05-15 08:00:00", "b"),
    own("e8", 5, W, F4, "2024-05-20 08:00:00", "a"),
    own("e8", 6, W, F1, "2024-06-01 08:00:00", "a"),
    own("e8", 7, W, F2, "2024-06-10 08:00:00", "a"),
    own("e8", 8, W, T1, "2024-06-20 12:00:01", "a"),
    own("e8", 9, W, F3, "2024-06-25 08:00:00", "a"),
    own("e8", 10, W, F4, "2024-06-30 12:00:00", "a"),
]
M_CALLS = [
    own("e9", n, M, other, at, "a", **handset(H3, S8))
    for n, (other, at) in enumerate(
        [
            (T2, "2024-05-01 10:00:00"),
            (T3, "2024-05-08 10:00:00"),
            (T2, "2024-05-15 10:00:00"),
            (T3, "2024-05-22 10:00:00"),
            (T2, "2024-05-29 10:00:00"),
            (T3, "2024-06-05 10:00:00"),
            (T2, "2024-06-12 10:00:00"),
            (T3, "2024-06-19 10:00:00"),
            (T2, "2024-06-26 10:00:00"),
            (P, "2024-06-29 19:00:00"),
        ],
        start=1,
    )
]
E_CALLS = [
    own("e10", 1, E, T3, "2024-06-28 20:00:00", "a"),
    own("e10", 2, T3, E, "2024-06-29 09:00:00", "b"),
    own("e10", 3, E, T3, "2024-06-30 09:00:00", "a"),
    own("e10", 4, E, T3, "2024-06-30 20:00:00", "a"),
]
DEVICES = [device("e11", 1, msisdn=Z, **handset(H3, S9))]


def rows_of(*rows: dict) -> set[str]:  # type: ignore[type-arg]
    return {str(r["row_id"]) for r in rows}


def run(**parameters: object) -> list[Finding]:
    evidence = make_evidence(
        {
            "calls": B_CALLS + T1_CALLS + W_CALLS + M_CALLS + E_CALLS,
            "messages": B_MESSAGES,
            "devices": DEVICES,
        },
        exhibits=REFERENCES,
        targets=(T1, T2, T3),
    )
    return BurnerIndicators().run(evidence, BurnerIndicatorsParameters(**parameters))


def test_the_made_up_imeis_pass_luhn() -> None:
    assert all(luhn_valid(imei) for imei in (H1, H2, H3, H5))


def test_each_indicator_stated_with_its_figures() -> None:
    findings = run()
    assert [(f.subjects, f.score) for f in findings] == [((B,), 4.0), ((M,), 3.0), ((E,), 3.0)]
    b, m, e = findings
    assert b.kind == "burner_indicators"
    ind = b.detail["indicators"]
    assert b.detail["indicators_met"] == [
        "short_lived",
        "few_counterparts",
        "one_group",
        "handset_changes",
    ]
    assert (ind["short_lived"]["active_days"], ind["short_lived"]["at_edge_of_evidence"]) == (
        9.33,
        False,
    )
    assert ind["few_counterparts"]["counterparts"] == 2
    assert (ind["one_group"]["group_events"], ind["one_group"]["events"]) == (7, 7)
    assert ind["handset_changes"]["imei_keys"] == [H1[:14], H2[:14]]
    assert b.detail["counterparts"] == [
        {"number": T1, "events": 5, "in_group": True},
        {"number": T2, "events": 2, "in_group": True},
    ]
    assert set(b.derived_from) == rows_of(*B_CALLS, *B_MESSAGES, T1_CALLS[0])
    assert (b.first_utc, b.last_utc) == (utc("2024-06-01 10:00:00"), utc("2024-06-10 18:00:00"))
    assert b.explanation.startswith(
        f"{B} meets 4 of the 4 indicators of a disposable ('burner') phone that could be "
        "assessed. Short-lived: its contact runs for 9.3 days (between 2024-06-01 10:00:00 UTC and "
        "2024-06-10 18:00:00 UTC), under 30 days, in evidence running between 2024-05-01 08:00:00 "
        f"UTC and 2024-06-30 20:00:00 UTC. Few counterparts: 2 other number(s) ({T1}, {T2}), at "
        "most 3. Contact only with one group: 7 of its 7 contact events (100%) are with the "
        "case's target numbers and the numbers in contact with them. Handset changes: seen in "
        f"2 handset(s) (IMEI keys {H1[:14]}, {H2[:14]})."
    )
    assert "innocent explanations exist" in b.explanation

    assert m.detail["indicators_met"] == ["few_counterparts", "one_group", "handset_changes"]
    mind = m.detail["indicators"]
    assert mind["one_group"]["share"] == 0.9
    assert mind["one_group"]["outside_group"] == [P]
    assert mind["handset_changes"]["other_numbers"] == [Z]
    assert "Contact mostly with one group: 9 of its 10 contact events (90%)" in m.explanation
    assert f"which also carried {Z}" in m.explanation
    assert "Not met: short-lived (contact runs for 59.4 days)." in m.explanation
    assert DEVICES[0]["row_id"] in m.derived_from

    assert e.detail["indicators_assessed"] == ["short_lived", "few_counterparts", "one_group"]
    assert e.detail["indicators"]["short_lived"]["at_edge_of_evidence"] is True
    assert "ends within a day of the end of the evidence" in e.explanation
    assert "Not assessed: handset changes (no handset recorded" in e.explanation


def test_the_other_partys_handset_is_not_the_numbers() -> None:
    b = run()[0]
    # T1's return records H5 on its row of B's 1 June call: T1's handset, not B's
    assert b.detail["indicators"]["handset_changes"]["imei_keys"] == [H1[:14], H2[:14]]
    assert b.detail["indicators"]["handset_changes"]["other_numbers"] == []


def test_a_number_seen_only_in_others_records_is_not_judged_on_its_contacts() -> None:
    findings = run(min_indicators=1)
    assert [(f.subjects[0], f.score) for f in findings] == [
        (B, 4.0),
        (M, 3.0),
        (E, 3.0),
        (T1, 1.0),
        (U, 1.0),
    ]
    t1, u = findings[3:]
    assert t1.detail["indicators_met"] == ["few_counterparts"]
    assert t1.detail["indicators"]["one_group"]["group_events"] == 5  # B, via T2
    assert u.detail["own_records"] is False
    assert u.detail["indicators_assessed"] == ["short_lived"]
    assert (
        "Not assessed: few counterparts and one group (the evidence holds none of this number's "
        "own records"
    ) in u.explanation


def test_a_group_given_and_thresholds() -> None:
    # only T1 as the group: B 5 of 7 (71%), M 0 of 10, E 0 of 4
    scores = {f.subjects[0]: f.score for f in run(group=["07700 900701"])}
    assert scores == {B: 3.0, M: 2.0, E: 2.0}
    # at most 1 counterpart: B (2) and M (3) lose "few"
    assert [(f.subjects[0], f.score) for f in run(max_counterparts=1)] == [
        (B, 3.0),
        (E, 3.0),
        (M, 2.0),
    ]
    # under 5 days: B's 9.3 days is no longer short-lived, E's 2 days still is
    assert {f.subjects[0]: f.score for f in run(max_active_days=5)} == {B: 3.0, M: 3.0, E: 3.0}
    assert [f.subjects[0] for f in run(min_indicators=4)] == [B]
    assert [f.subjects[0] for f in run(numbers=["07700900782"])] == [E]


def test_without_targets_or_a_group_one_group_is_not_assessed() -> None:
    evidence = make_evidence({"calls": E_CALLS})
    (e,) = BurnerIndicators().run(evidence, BurnerIndicatorsParameters())
    assert e.detail["indicators_met"] == ["short_lived", "few_counterparts"]
    assert "one group (no group given and the case names no targets)" in e.explanation


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="less than or equal to 4"):
        BurnerIndicatorsParameters(min_indicators=5)
    with pytest.raises(ValueError, match="greater than 0"):
        BurnerIndicatorsParameters(min_group_share=0)
    with pytest.raises(ValueError, match="not a telephone number"):
        BurnerIndicatorsParameters(group=["the gang"])
