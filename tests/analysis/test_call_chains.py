"""Call chains over a hand-made case (B's network return, JB/1); occasions counted by hand.

* 1 Mar: A -> B 10:00, B -> C 10:04 (gap 240 s): an occasion.
* 2 Mar: A -> B 10:00, B -> C 10:09 (540 s): an occasion.
* 3 Mar: A -> B 10:00, B -> A 10:05 (a call back to A is no chain), B -> C 10:11 (660 s: outside
  a 10-minute window, inside 15).
* 4 Mar: A -> B 10:00, B -> D 10:01: (A, B, D) once.
* 5 Mar: A -> B 09:55 and 09:58, B -> C 10:00: one relay, paired with the 09:58 call (120 s).

So (A, B, C): 3 occasions with gaps 240, 540, 120 (median 240) from rows 1-4, 11, 12; 4 with a
15-minute window. (A, B, D) has one occasion, below the default minimum of two.
"""

from __future__ import annotations

from evidence_factory import call, make_evidence, utc

from threadline.analysis.call_chains import CallChains, CallChainsParameters

A, B, C, D = "+447700900801", "+447700900802", "+447700900803", "+447700900804"
ROWS = [
    call("e1", 1, A, B, "2024-03-01 10:00:00"),
    call("e1", 2, B, C, "2024-03-01 10:04:00"),
    call("e1", 3, A, B, "2024-03-02 10:00:00"),
    call("e1", 4, B, C, "2024-03-02 10:09:00"),
    call("e1", 5, A, B, "2024-03-03 10:00:00"),
    call("e1", 6, B, C, "2024-03-03 10:11:00"),
    call("e1", 7, B, A, "2024-03-03 10:05:00"),
    call("e1", 8, A, B, "2024-03-04 10:00:00"),
    call("e1", 9, B, D, "2024-03-04 10:01:00"),
    call("e1", 10, A, B, "2024-03-05 09:55:00"),
    call("e1", 11, A, B, "2024-03-05 09:58:00"),
    call("e1", 12, B, C, "2024-03-05 10:00:00"),
]


def run(**parameters: object) -> list:  # type: ignore[type-arg]
    evidence = make_evidence({"calls": ROWS})
    return CallChains().run(evidence, CallChainsParameters(**parameters))  # type: ignore[arg-type]


def test_recurring_chains_with_their_occasions_and_both_legs() -> None:
    (chain,) = run()
    assert chain.subjects == (A, B, C)
    assert chain.score == 3.0
    assert chain.detail["gaps_seconds"] == [240.0, 540.0, 120.0]
    assert chain.detail["median_gap_seconds"] == 240.0
    assert set(chain.derived_from) == {ROWS[i]["row_id"] for i in (0, 1, 2, 3, 10, 11)}
    assert (chain.first_utc, chain.last_utc) == (
        utc("2024-03-01 10:00:00"),
        utc("2024-03-05 10:00:00"),
    )
    assert chain.explanation.startswith(
        f"On 3 occasion(s) contact from {A} to {B} was followed within 10 minutes by contact "
        f"from {B} to {C} (median gap 240 s)"
    )
    assert "does not show what, if anything, was passed on" in chain.explanation


def test_window_minimum_and_middle_number() -> None:
    assert [c.score for c in run(window_minutes=15)] == [4.0]
    assert [(c.subjects, c.score) for c in run(min_occasions=1)] == [
        ((A, B, C), 3.0),
        ((A, B, D), 1.0),
    ]
    assert run(through=[A]) == []
    assert [c.subjects for c in run(through=["07700 900802"])] == [(A, B, C)]
