"""Gould–Fernandez brokerage on hand-made networks; every count is worked out by hand below.

Definition (Gould & Fernandez 1989, as ``sna::brokerage`` implements it): v brokers for the
ordered pair (a, c) of distinct other nodes when a -> v -> c and there is no arc a -> c. Role
by groups of a, v, c: coordinator A A A, itinerant A B A, gatekeeper A B B, representative
A A B, liaison A B C.

**Every role once.** Groups G1 = {V, X1, X2}, G2 = {Y1, Y2}, G3 = {Z}. Arcs: X1->V, Y2->V,
Z->V, V->X2, V->Y1, Z->X2, X2->X1.

* V: in {X1, Y2, Z}, out {X2, Y1}: six pairs.
  X1->V->X2 (G1 G1 G1) coordinator - the arc X2->X1 runs the other way and does not close it;
  X1->V->Y1 (G1 G1 G2) representative; Y2->V->X2 (G2 G1 G1) gatekeeper;
  Y2->V->Y1 (G2 G1 G2) itinerant; Z->V->X2 closed by Z->X2; Z->V->Y1 (G3 G1 G2) liaison.
  V: one of each role, total 5; sources X1, Y2, Z; targets X2, Y1.
* X2: in {V, Z}, out {X1}. V->X2->X1: no V->X1, coordinator (G1 G1 G1). Z->X2->X1: no Z->X1,
  gatekeeper (G3 G1 G1). Total 2.
* X1: in {X2}, out {V}. X2->X1->V: no X2->V (V->X2 is the other way): coordinator. Total 1.
* Y1, Y2, Z: no two-path through them (Y1 sends nothing; Y2 and Z receive nothing).

**The example of the cograph/sna documentation**, worked by hand: arcs A->B, A->C, B->C, B->D,
C->D, D->A; groups {A, B} and {C, D}.

* A: D->A->B (no D->B; 2 1 1) gatekeeper; D->A->C (no D->C; 2 1 2) itinerant.
* B: A->B->C closed by A->C; A->B->D (no A->D; 1 1 2) representative.
* C: A->C->D (no A->D; 1 2 2) gatekeeper; B->C->D closed by B->D.
* D: B->D->A (no B->A; 1 2 1) itinerant; C->D->A (no C->A; 2 2 1) representative.
"""

from __future__ import annotations

import pytest
from evidence_factory import call, make_evidence

from threadline.analysis.brokers import (
    ROLES,
    BrokerageCensus,
    Brokers,
    BrokersParameters,
    role_of,
)
from threadline.model.finding import Finding


def counts(**given: int) -> dict[str, int]:
    return {role: given.get(role, 0) for role in ROLES}


def test_role_of_each_group_pattern() -> None:
    assert role_of(1, 1, 1) == "coordinator"
    assert role_of(1, 2, 1) == "itinerant"
    assert role_of(1, 2, 2) == "gatekeeper"
    assert role_of(1, 1, 2) == "representative"
    assert role_of(1, 2, 3) == "liaison"


def test_every_role_once() -> None:
    arcs = [
        ("V", "X2"), ("V", "Y1"), ("X1", "V"), ("Y2", "V"), ("Z", "V"), ("Z", "X2"),
        ("X2", "X1"),
    ]  # fmt: skip
    groups = {"V": 1, "X1": 1, "X2": 1, "Y1": 2, "Y2": 2, "Z": 3}
    roles = BrokerageCensus.of(arcs, groups).roles()
    assert set(roles) == {"V", "X1", "X2"}
    v = roles["V"]
    assert v.counts == counts(coordinator=1, itinerant=1, gatekeeper=1, representative=1, liaison=1)
    assert v.total == 5
    assert (v.sources, v.targets) == (frozenset({"X1", "Y2", "Z"}), frozenset({"X2", "Y1"}))
    assert roles["X2"].counts == counts(coordinator=1, gatekeeper=1)
    assert (roles["X2"].sources, roles["X2"].targets) == (frozenset({"V", "Z"}), frozenset({"X1"}))
    assert roles["X1"].counts == counts(coordinator=1)


def test_the_documentation_example() -> None:
    arcs = [("A", "B"), ("A", "C"), ("B", "C"), ("B", "D"), ("C", "D"), ("D", "A")]
    groups = {"A": 1, "B": 1, "C": 2, "D": 2}
    roles = BrokerageCensus.of(arcs, groups).roles()
    assert roles["A"].counts == counts(gatekeeper=1, itinerant=1)
    assert roles["B"].counts == counts(representative=1)
    assert roles["C"].counts == counts(gatekeeper=1)
    assert roles["D"].counts == counts(itinerant=1, representative=1)
    # B -> C takes part in no two-path through B (A reaches C itself)
    assert roles["B"].targets == {"D"}


def test_a_reply_is_not_a_two_path_and_repeats_count_once() -> None:
    """P -> Q, Q -> P, Q -> R (and P -> Q again): through Q only P -> Q -> R (P -> Q -> P is
    not a pair of distinct others); through P, Q -> P -> Q likewise nothing. Nodes with no
    group share the group None: a coordinator."""
    roles = BrokerageCensus.of([("P", "Q"), ("Q", "P"), ("Q", "R"), ("P", "Q")], {}).roles()
    assert set(roles) == {"Q"}
    assert roles["Q"].counts == counts(coordinator=1)


def test_examples_in_sorted_order() -> None:
    arcs = [("A", "B"), ("A", "C"), ("B", "C"), ("B", "D"), ("C", "D"), ("D", "A")]
    census = BrokerageCensus.of(arcs, {"A": 1, "B": 1, "C": 2, "D": 2})
    assert census.examples("D") == {
        "itinerant": ["B -> D -> A"],
        "representative": ["C -> D -> A"],
    }


# --- the analysis over evidence: the "every role once" network as numbers -----------------

V, X1, X2, Y1, Y2, Z = (f"+4477009000{i}" for i in range(61, 67))
ARCS = [(X1, V), (Y2, V), (Z, V), (V, X2), (V, Y1), (Z, X2), (X2, X1)]
# two calls on V -> X2, in two exhibits (JB/1 09:00, JB/2 09:00:03: one event, two records)
CALLS = [
    *(call("e1", i, a, b, f"2024-06-01 {10 + i:02d}:00:00") for i, (a, b) in enumerate(ARCS)),
    call("e2", 1, V, X2, "2024-06-01 13:00:03", direction="incoming"),
]
GROUPS = [f"G1:{n}" for n in (V, X1, X2)] + [f"G2:{n}" for n in (Y1, Y2)] + [f"G3:{Z}"]


def run(**parameters: object) -> list[Finding]:
    evidence = make_evidence({"calls": CALLS}, exhibits={"e1": "JB/1", "e2": "JB/2"})
    return Brokers().run(evidence, BrokersParameters(**parameters))


def test_brokers_over_the_groups_given() -> None:
    v, x2, x1 = run(groups=GROUPS)
    assert [f.subjects for f in (v, x2, x1)] == [(V,), (X2,), (X1,)]
    assert (v.score, x2.score, x1.score) == (5.0, 2.0, 1.0)
    assert v.kind == "broker"
    assert v.detail["roles"] == counts(
        coordinator=1, itinerant=1, gatekeeper=1, representative=1, liaison=1
    )
    assert (v.detail["group"], v.detail["group_size"], v.detail["rank"]) == ("group 'G1'", 3, 1)
    assert v.detail["sources"] == sorted([X1, Y2, Z])
    assert v.detail["targets"] == sorted([X2, Y1])
    # the arcs taking part: X1->V, Y2->V, Z->V, V->X2 (two records), V->Y1; not Z->X2, X2->X1
    assert set(v.derived_from) == {CALLS[i]["row_id"] for i in (0, 1, 2, 3, 4, 7)}
    assert v.detail["exhibits"] == ["JB/1", "JB/2"]
    assert v.detail["examples"]["liaison"] == [f"{Z} -> {V} -> {Y1}"]


def test_the_explanation_counts_the_roles_and_ends_with_the_caveat() -> None:
    v = run(groups=GROUPS)[0]
    assert v.explanation.startswith(
        f"{V} brokered 5 two-step contact(s) (A contacted it and it contacted C, with no direct "
        "contact recorded from A to C), between 3 source(s) and 2 target(s): 1 as coordinator "
        "(all three in its group); 1 as itinerant broker (between two members of a group it is "
        "not in); 1 as gatekeeper (from outside into its group); 1 as representative (from its "
        "group out to another); 1 as liaison (between two other groups). Groups: the groups "
        "given; it is in group 'G1' (3 member(s))."
    )
    assert "rests on 6 record(s) in 2 exhibit(s) (JB/1, JB/2)" in v.explanation
    caveat = "The network is only what the 2 exhibits analysed hold (JB/1, JB/2):"
    assert caveat in v.explanation
    assert v.explanation.endswith("never evidence of anyone's role.")


def test_numbers_outside_the_groups_given_form_one_group() -> None:
    """Only V, X1 and X2 placed (G1): Y1, Y2 and Z share the outside group. Through V:
    X1->V->X2 coordinator, X1->V->Y1 representative, Y2->V->X2 gatekeeper, Y2->V->Y1
    itinerant (outside -> G1 -> outside), Z->V->Y1 itinerant too (Z and Y1 both outside)."""
    v = run(groups=[f"G1:{n}" for n in (V, X1, X2)], top=1)[0]
    assert v.detail["roles"] == counts(coordinator=1, itinerant=2, gatekeeper=1, representative=1)
    assert run(groups=[f"G1:{n}" for n in (V, X1, X2)], top=1)[0].subjects == (V,)


def test_top_keeps_ties_and_the_communities_are_the_default_groups() -> None:
    found = run(top=1)
    assert [f.subjects for f in found] == [(V,)]
    assert found[0].detail["group"].startswith("community ")
    assert (
        found[0]
        .detail["partition"]
        .startswith(
            "the communities found by Leiden community detection (modularity, resolution 1, seed 1,"
        )
    )
    assert found[0].detail["total"] == 5  # the total does not depend on the groups


def test_groups_parameter_is_checked() -> None:
    assert BrokersParameters(groups=["OCG A:07700 900061"]).groups == ["OCG A:+447700900061"]
    with pytest.raises(ValueError, match="label:number"):
        BrokersParameters(groups=["07700900061"])
    with pytest.raises(ValueError, match="in two groups"):
        BrokersParameters(groups=["A:07700900061", "B:+447700900061"])
