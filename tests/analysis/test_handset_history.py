"""Handset and SIM history over a hand-made case; every expected figure is worked out below.

Handsets (made-up TAC 00123456, Luhn check digit worked by hand: doubled positions 2, 4, ..., 14
from the left, digit sums added to the undoubled digits, check = (10 - total mod 10) mod 10):

* H1 = 00123456100011 + 2: doubled 0,2,4,6,0,0,1 -> 0+4+8+(1+2)+0+0+2 = 17; undoubled
  0,1,3,5,1,0,1 = 11; total 28 -> 2. The network also writes it with a padding 0 (...1100110).
* H2 = 00123456200022 + 8: doubled 0,4,8,3,0,0,4 = 19; undoubled 0,1,3,5,2,0,2 = 13; 32 -> 8.
* H3 = 00123456300033 + 4: doubled 0,4,8,3,0,0,6 = 21; undoubled 0,1,3,5,3,0,3 = 15; 36 -> 4.

SIMs on the test network (MCC 001, MNC 01): S1, S2, S3 (and S9 on a lone device row).

Exhibits: JB/1 (e1) is N1's network return, JB/2 (e2) N2's, JB/4 (e4) a download of handset H2,
JB/5 (e5) a return whose target is not recorded (``target_role`` empty).

* e1: 1 N1 -> X 1 May 09:00 (H1, S1); 2 X -> N1 2 May 10:00 (H1 padded, S1); 3 SMS N1 -> X 3 May
  11:00 (H2, S1); 4 N1 -> X 4 May 12:00 (H2, S1); 5 N1 -> X in the repeated autumn hour (H2, S1,
  no exact time); 6 data session of N1 6 May 07:00 (H2, S1).
* e2: 1 X -> N2 1 May 08:00 (H3, S2); 2 N2 -> N1 5 May 09:00 (H1, S3): N2 is the target, so H1
  and S3 are N2's on this row, **not** N1's.
* e4: device row H2 + S1 + N1 (undated); a dual-SIM's further row with S9 alone (one identifier:
  no pairing).
* e5: X -> N2 1 May 07:00 (H3, S2), target not recorded: H3 and S2 pair without a number.

Pairings, by number then first seen: (N1, H1, S1) rows e1/1-2, 1 to 2 May, IMEIs written two
ways; (N1, H2, S1) rows e1/3-6 and e4/device 1: 5 records, 1 without an exact time, 1 undated,
first 3 May 11:00, last 6 May 07:00; (N2, H3, S2) e2/1; (N2, H1, S3) e2/2; (-, H3, S2) e5/1.
X is in none; N1 is never paired with S3.

Handset swaps (exact times, per number): N1 H1 -> H2 between e1/2 (2 May 10:00) and e1/3 (3 May
11:00), IMSI S1 both sides; N2 H3 -> H1 between e2/1 and e2/2, IMSI S2 -> S3.
SIM swaps (per handset): H1 carried S1 with N1 up to e1/2 and S3 with N2 from e2/2: one change
of both IMSI and number. H2 and H3 keep their SIM.
"""

from __future__ import annotations

import pytest
from evidence_factory import call, make_evidence, message, utc
from evidence_rows import data_session, device, handset, luhn_valid

from threadline.analysis.handset_history import HandsetHistory, HandsetHistoryParameters
from threadline.model.finding import Finding

N1, N2, N3, X = "+447700900101", "+447700900102", "+447700900103", "+447700900199"
H1, H2, H3 = "001234561000112", "001234562000228", "001234563000334"
H1_PADDED = "001234561000110"
K1, K2, K3 = H1[:14], H2[:14], H3[:14]
S1, S2, S3, S9 = "001010000000001", "001010000000002", "001010000000003", "001010000000009"
REFERENCES = {"e1": "JB/1", "e2": "JB/2", "e4": "JB/4", "e5": "JB/5"}

CALLS = [
    call("e1", 1, N1, X, "2024-05-01 09:00:00", target_role="a", **handset(H1, S1)),
    call(
        "e1",
        2,
        X,
        N1,
        "2024-05-02 10:00:00",
        direction="incoming",
        target_role="b",
        **handset(H1_PADDED, S1),
    ),
    call("e1", 4, N1, X, "2024-05-04 12:00:00", target_role="a", **handset(H2, S1)),
    call(
        "e1",
        5,
        N1,
        X,
        None,
        target_role="a",
        start_earliest_utc=utc("2024-10-27 00:30:00"),
        start_latest_utc=utc("2024-10-27 01:30:00"),
        **handset(H2, S1),
    ),
    call("e2", 1, X, N2, "2024-05-01 08:00:00", target_role="b", **handset(H3, S2)),
    call("e2", 2, N2, N1, "2024-05-05 09:00:00", target_role="a", **handset(H1, S3)),
    call("e5", 1, X, N2, "2024-05-01 07:00:00", **handset(H3, S2)),
]
MESSAGES = [message("e1", 3, N1, X, "2024-05-03 11:00:00", target_role="a", **handset(H2, S1))]
SESSIONS = [data_session("e1", 6, N1, "2024-05-06 07:00:00", **handset(H2, S1))]
DEVICES = [
    device("e4", 1, msisdn=N1, **handset(H2, S1)),
    device("e4", 2, **handset(None, S9)),
]


def rid(exhibit: str, n: int) -> str:
    """The row id of row ``n`` of ``exhibit`` among the rows above."""
    for row in [*CALLS, *MESSAGES, *SESSIONS]:
        if row["exhibit_id"] == exhibit and row["locator"] == f"row={n}":
            return str(row["row_id"])
    raise KeyError((exhibit, n))


def run(**parameters: object) -> list[Finding]:
    evidence = make_evidence(
        {"calls": CALLS, "messages": MESSAGES, "data_sessions": SESSIONS, "devices": DEVICES},
        exhibits=REFERENCES,
    )
    return HandsetHistory().run(evidence, HandsetHistoryParameters(**parameters))


def of_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def test_the_made_up_imeis_pass_luhn_and_the_padded_one_does_not() -> None:
    assert all(luhn_valid(imei) for imei in (H1, H2, H3))
    assert not luhn_valid(H1_PADDED)


def test_pairings_are_the_subscribers_own_identifiers() -> None:
    findings = run()
    assert [f.kind for f in findings] == [
        "handset_swap",
        "handset_swap",
        "sim_swap",
        *["identifier_pairing"] * 5,
    ]
    pairings = of_kind(findings, "identifier_pairing")
    assert [p.subjects for p in pairings] == [
        (N1, K1, S1),
        (N1, K2, S1),
        (N2, K3, S2),
        (N2, K1, S3),
        (K3, S2),
    ]
    n1_h1, n1_h2, n2_h3, n2_h1, unnamed = pairings
    assert n1_h1.detail["imeis"] == [H1_PADDED, H1]  # one handset however it is written
    assert n1_h1.detail["records"] == 2
    assert (n1_h1.first_utc, n1_h1.last_utc) == (
        utc("2024-05-01 09:00:00"),
        utc("2024-05-02 10:00:00"),
    )
    assert set(n1_h1.derived_from) == {rid("e1", 1), rid("e1", 2)}

    assert n1_h2.detail["records"] == 5
    assert (n1_h2.detail["inexact_records"], n1_h2.detail["undated_records"]) == (1, 1)
    assert n1_h2.detail["sources"] == ["calls", "data_sessions", "devices", "messages"]
    assert n1_h2.detail["exhibits"] == ["JB/1", "JB/4"]
    assert (n1_h2.first_utc, n1_h2.last_utc) == (
        utc("2024-05-03 11:00:00"),
        utc("2024-05-06 07:00:00"),
    )
    assert set(n1_h2.derived_from) == {
        *(rid("e1", n) for n in (3, 4, 5, 6)),
        DEVICES[0]["row_id"],
    }
    assert n1_h2.explanation.startswith(
        f"The number {N1}, the handset with IMEI key {K2} (IMEI {H2}) and the SIM with IMSI "
        f"{S1} were seen together as one subscriber's in 5 record(s) (calls, data_sessions, "
        "devices, messages) in 2 exhibit(s) (JB/1, JB/4), between 2024-05-03 11:00:00 UTC and "
        "2024-05-06 07:00:00 UTC."
    )
    assert "1 of the records have no exact time" in n1_h2.explanation
    assert "not who used them" in n1_h2.explanation

    assert n2_h3.derived_from == (rid("e2", 1),)
    assert n2_h1.derived_from == (rid("e2", 2),)
    assert unnamed.detail["number"] is None
    assert "No number is recorded on these rows." in unnamed.explanation


def test_the_other_partys_number_is_never_paired_with_the_targets_handset() -> None:
    pairings = of_kind(run(), "identifier_pairing")
    # X is the other party of every row; N1 is the other party of e2/2 (H1 with S3, N2's)
    assert not [p for p in pairings if X in p.subjects]
    assert not [p for p in pairings if N1 in p.subjects and S3 in p.subjects]
    # the lone S9 device row pairs nothing
    assert not [p for p in pairings if S9 in p.subjects]


def test_handset_swaps_give_the_last_row_with_the_old_and_first_with_the_new() -> None:
    n1, n2 = of_kind(run(), "handset_swap")
    assert n1.subjects == (N1, K1, K2)
    assert n1.derived_from == tuple(sorted((rid("e1", 2), rid("e1", 3))))
    (occasion,) = n1.detail["occasions"]
    assert occasion["last_old"] == {
        "row_id": rid("e1", 2),
        "exhibit": "JB/1",
        "locator": "row=2",
        "at_utc": "2024-05-02T10:00:00+00:00",
    }
    assert occasion["first_new"]["locator"] == "row=3"
    assert (occasion["imsi_before"], occasion["imsi_after"]) == (S1, S1)
    assert (n1.first_utc, n1.last_utc) == (utc("2024-05-02 10:00:00"), utc("2024-05-03 11:00:00"))
    assert n1.explanation.startswith(
        f"{N1} was seen in another handset: its last record with IMEI key {K1} is on "
        f"2024-05-02 10:00:00 UTC (JB/1 row=2) and its first with IMEI key {K2} on "
        "2024-05-03 11:00:00 UTC (JB/1 row=3), so the change happened between those times. "
        f"The IMSI stayed {S1}: the same SIM in another handset."
    )

    assert n2.subjects == (N2, K3, K1)
    assert n2.derived_from == tuple(sorted((rid("e2", 1), rid("e2", 2))))
    assert f"The IMSI changed at the same point ({S2} to {S3})" in n2.explanation


def test_a_sim_swap_where_imsi_and_number_change_together_is_one_finding() -> None:
    (swap,) = of_kind(run(), "sim_swap")
    assert swap.subjects == (K1, S1, S3, N1, N2)
    assert swap.derived_from == tuple(sorted((rid("e1", 2), rid("e2", 2))))
    assert (swap.first_utc, swap.last_utc) == (
        utc("2024-05-02 10:00:00"),
        utc("2024-05-05 09:00:00"),
    )
    assert swap.explanation.startswith(
        f"The handset with IMEI key {K1} was seen with another SIM: its last record with IMSI "
        f"{S1} (number {N1}) is on 2024-05-02 10:00:00 UTC (JB/1 row=2) and its first with "
        f"IMSI {S3} (number {N2}) on 2024-05-05 09:00:00 UTC (JB/2 row=2)"
    )


def test_following_one_number_brings_its_handsets_and_sims_one_hop() -> None:
    findings = run(numbers=["07700 900101"])
    assert [(f.kind, f.subjects) for f in findings] == [
        ("handset_swap", (N1, K1, K2)),
        ("sim_swap", (K1, S1, S3, N1, N2)),
        ("identifier_pairing", (N1, K1, S1)),
        ("identifier_pairing", (N1, K2, S1)),
        ("identifier_pairing", (N2, K1, S3)),  # N2 in N1's old handset
    ]


def test_a_window_leaves_out_undated_device_records() -> None:
    findings = run(since=utc("2024-05-03 00:00:00"))
    assert [(f.kind, f.subjects) for f in findings] == [
        ("identifier_pairing", (N1, K2, S1)),
        ("identifier_pairing", (N2, K1, S3)),
    ]
    n1_h2 = findings[0]
    # e1/3, e1/4, e1/6 and the autumn-hour e1/5 (its range overlaps the window); no device row
    assert (n1_h2.detail["records"], n1_h2.detail["undated_records"]) == (4, 0)


def test_a_number_moving_back_and_forth_between_handsets() -> None:
    """N3's data sessions (e9): H1 on 1 Jun, H2 on 2 Jun, H1 on 3 Jun, H2 on 4 Jun.

    Changes: H1 -> H2 (1-2 Jun), H2 -> H1 (2-3 Jun, H1 seen before), H1 -> H2 (3-4 Jun, seen
    before). So (N3, H1, H2) has 2 occasions, (N3, H2, H1) one; no SIM in these rows.
    """
    sessions = [
        data_session("e9", 1, N3, "2024-06-01 12:00:00", **handset(H1)),
        data_session("e9", 2, N3, "2024-06-02 12:00:00", **handset(H2)),
        data_session("e9", 3, N3, "2024-06-03 12:00:00", **handset(H1)),
        data_session("e9", 4, N3, "2024-06-04 12:00:00", **handset(H2)),
    ]
    evidence = make_evidence({"data_sessions": sessions})
    findings = HandsetHistory().run(evidence, HandsetHistoryParameters())
    there, back = of_kind(findings, "handset_swap")
    assert there.subjects == (N3, K1, K2)
    assert [o["seen_before"] for o in there.detail["occasions"]] == [False, True]
    assert there.derived_from == tuple(sorted(s["row_id"] for s in sessions))
    assert "The same change shows 2 times in all; the latest between 2024-06-03 12:00:00 UTC" in (
        there.explanation
    )
    assert back.subjects == (N3, K2, K1)
    assert back.detail["occasions"][0]["seen_before"] is True
    assert f"{N3} had been seen with IMEI key {K1} before." in back.explanation
    assert of_kind(findings, "sim_swap") == []
    (k1, k2) = of_kind(findings, "identifier_pairing")
    assert (k1.subjects, k1.detail["records"]) == ((N3, K1), 2)
    assert "No IMSI is recorded on these rows." in k1.explanation
    assert (k2.subjects, k2.detail["records"]) == ((N3, K2), 2)


def test_a_replacement_sim_for_the_same_number_in_the_same_handset() -> None:
    """N3 in H3 with S1 on 1 Jun, with S2 on 2 Jun: a SIM swap of IMSI only."""
    calls = [
        call("e9", 1, N3, X, "2024-06-01 12:00:00", target_role="a", **handset(H3, S1)),
        call("e9", 2, N3, X, "2024-06-02 12:00:00", target_role="a", **handset(H3, S2)),
    ]
    evidence = make_evidence({"calls": calls})
    (swap,) = of_kind(HandsetHistory().run(evidence, HandsetHistoryParameters()), "sim_swap")
    assert swap.subjects == (K3, S1, S2)
    assert f"The number stayed {N3}: a replacement SIM for the same number." in swap.explanation


def test_numbers_are_normalised_and_refused_when_not_numbers() -> None:
    assert HandsetHistoryParameters(numbers=["447700900101"]).numbers == [N1]
    with pytest.raises(ValueError, match="not a telephone number"):
        HandsetHistoryParameters(numbers=["handset"])
