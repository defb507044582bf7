"""Key players over hand-made networks; every expected figure is worked out by hand below.

**Two triangles and a bridge.** Triangles A-B-C and D-E-F joined by the link C-D. Calls (JB/1,
C's and D's network return): A->B once, B->C twice, C->A once, C->D five times (the first also in
JB/2, D's handset, 4 s later: one event, two records), D->E, E->F, F->D once each.

* degree (distinct contacts): C 3, D 3, the rest 2: C and D joint 1st, A, B, E, F joint 3rd.
* weighted degree (events): A 1+1=2, B 1+2=3, C 2+1+5=8, D 5+1+1=7, E 2, F 2: C 1st, D 2nd,
  B 3rd, A, E, F joint 4th.
* betweenness: every shortest path from A or B to D, E or F runs through C: 2 x 3 = 6 pairs,
  each with one path: C 6; by symmetry D 6; A, B, E, F lie on no path between others: 0.
  With paths of at most 2 links only (cutoff 2): C lies on A-C-D and B-C-D: 2; D likewise 2.
* closeness (harmonic, mean of 1/d over the 5 others): C: A, B, D at 1, E, F at 2:
  (3 + 1/2 + 1/2)/5 = 0.8; A: B, C at 1, D at 2, E, F at 3: (2 + 1/2 + 2/3)/5 = 0.633333.
* eigenvector: by symmetry C = D = c, A = B = E = F = a; lambda a = a + c, lambda c = 2a + c
  give lambda^2 - 2 lambda - 1 = 0, lambda = 1 + sqrt 2, a/c = 1/sqrt 2 = 0.707107.
* k-core: every node has 2 links inside its triangle and C, D only 3 in all: all in the
  2-core, none in a 3-core.

**A hand-over in time** (slices). 1 to 5 June, two slices split at 3 June 00:00. Slice 1: H
calls L1, L2, L3 (1 June), L3 calls X (2 June). Slice 2: X calls L1, L2, L4 (3 June), H calls
L1 (4 June).

* slice 1 is a tree: H joined to L1, L2, L3; L3 to X. Degree H 3 (1st), L3 2 (2nd), X, L1, L2
  1 (joint 3rd). Betweenness H: pairs L1-L2, L1-L3, L2-L3, L1-X, L2-X = 5 (1st); L3: X-H,
  X-L1, X-L2 = 3 (2nd); X 0 (joint 3rd).
* slice 2 mirrors it with X at the centre: X degree 3 and betweenness 5 (1st), H degree 1 and
  betweenness 0 (joint 3rd). L4 is not in slice 1 at all.
* the whole window: links H-L1, H-L2, H-L3, X-L1, X-L2, X-L3, X-L4. Degree X 4 (1st), H 3
  (2nd). Betweenness: H-X (distance 2) has three paths, via L1, L2 and L3; H-L4 three paths,
  all through X; L1-L2, L1-L3, L2-L3 have two paths each, via H or X; L1-L4, L2-L4, L3-L4 run
  only through X. X: 1 + 3 x 1/2 + 3 = 5.5 (1st); H: 3 x 1/2 = 1.5 (2nd).
"""

from __future__ import annotations

import math

import pytest
from evidence_factory import call, make_evidence

from threadline.analysis.key_players import KeyPlayers, KeyPlayersParameters
from threadline.model.finding import Finding

A, B, C, D, E, F = (f"+4477009000{i}" for i in range(21, 27))
H, X, L1, L2, L3, L4 = (f"+4477009000{i}" for i in range(31, 37))
IMEI = "35209900176148"
E1, E2 = "e1", "e2"
REFERENCES = {E1: "JB/1", E2: "JB/2"}

BRIDGE = [
    call(E1, 1, A, B, "2024-06-01 09:00:00"),
    call(E1, 2, B, C, "2024-06-01 10:00:00"),
    call(E1, 3, B, C, "2024-06-01 11:00:00"),
    call(E1, 4, C, A, "2024-06-01 12:00:00"),
    *(call(E1, 5 + i, C, D, f"2024-06-02 {9 + i:02d}:00:00") for i in range(5)),
    call(E2, 1, C, D, "2024-06-02 09:00:04", direction="incoming"),
    call(E1, 10, D, E, "2024-06-03 09:00:00"),
    call(E1, 11, E, F, "2024-06-03 10:00:00"),
    call(E1, 12, F, D, "2024-06-03 11:00:00"),
]

HAND_OVER = [
    call(E1, 1, H, L1, "2024-06-01 10:00:00"),
    call(E1, 2, H, L2, "2024-06-01 11:00:00"),
    call(E1, 3, H, L3, "2024-06-01 12:00:00"),
    call(E1, 4, L3, X, "2024-06-02 10:00:00"),
    call(E1, 5, X, L1, "2024-06-03 10:00:00"),
    call(E1, 6, X, L2, "2024-06-03 11:00:00"),
    call(E1, 7, X, L4, "2024-06-03 12:00:00"),
    call(E1, 8, H, L1, "2024-06-04 10:00:00"),
]


def run(rows: list[dict[str, object]], **parameters: object) -> list[Finding]:
    evidence = make_evidence({"calls": rows}, exhibits=REFERENCES)
    return KeyPlayers().run(evidence, KeyPlayersParameters(**parameters))


def test_the_bridge_ends_rank_first_with_values_worked_out_by_hand() -> None:
    c, d = run(BRIDGE, top=1)
    assert (c.subjects, d.subjects) == ((C,), (D,))
    assert c.kind == "key_player"
    assert c.detail["ranks"] == {
        "degree": 1,
        "weighted_degree": 1,
        "betweenness": 1,
        "closeness": 1,
        "eigenvector": 1,
        "coreness": 1,
    }
    assert c.detail["values"]["degree"] == 3
    assert c.detail["values"]["weighted_degree"] == 8
    assert c.detail["values"]["betweenness"] == 6
    assert c.detail["values"]["closeness"] == pytest.approx(0.8)
    assert c.detail["values"]["eigenvector"] == pytest.approx(1.0)
    assert c.detail["values"]["coreness"] == 2
    assert c.detail["tied_with"]["degree"] == 1  # D
    assert c.detail["tied_with"]["coreness"] == 5  # everyone
    assert d.detail["ranks"]["weighted_degree"] == 2
    assert d.detail["values"]["weighted_degree"] == 7
    assert (c.score, d.score) == (1.0, 1.0)  # both 1st by something
    assert c.detail["network"]["nodes"] == 6
    assert c.detail["network"]["links"] == 7


def test_the_explanation_ranks_names_the_sources_and_ends_with_the_caveat() -> None:
    c, _d = run(BRIDGE, top=1)
    assert c.explanation.startswith(
        f"{C} (a number) ranked joint 1st by degree (3 contacts), 1st by weighted degree (8 "
        "contact events), joint 1st by betweenness (6.0: shortest paths between other pairs "
        "through it, shares summed), joint 1st by closeness (0.800: mean of 1/distance to "
        "every other node), joint 1st by eigenvector centrality (1.000 of the highest) and "
        "joint 1st by k-core (in the 2-core) among the 6 numbers of the network (7 links); "
        "the connected part it is in has 6 of them."
    )
    # C's links: A (1 row), B (2), D (5 events, 6 records): 9 records in JB/1 and JB/2
    assert (
        "Its links rest on 9 record(s) in 2 exhibit(s) (JB/1, JB/2), between "
        "2024-06-01 10:00:00 UTC and 2024-06-02 13:00:00 UTC." in c.explanation
    )
    assert c.explanation.endswith(
        "The network is only what the 2 exhibits analysed hold (JB/1, JB/2): numbers and "
        "handsets that were not seized, or whose communications data were not requested, are "
        "missing, and contact with them would change every figure here. Centrality, brokerage "
        "and group membership are leads for an analyst, never evidence of anyone's role."
    )
    c_rows = {r["row_id"] for r in BRIDGE if C in (r["a_party"], r["b_party"])}
    assert set(c.derived_from) == c_rows
    assert len(c.derived_from) == 9
    assert c.detail["exhibits"] == ["JB/1", "JB/2"]
    assert (c.detail["events"], c.detail["records"]) == (8, 9)


def test_the_other_nodes_figures() -> None:
    by_node = {f.subjects[0]: f for f in run(BRIDGE, top=6)}
    assert set(by_node) == {A, B, C, D, E, F}
    a = by_node[A]
    assert a.detail["values"]["betweenness"] == 0
    assert a.detail["values"]["closeness"] == pytest.approx((2 + 1 / 2 + 2 / 3) / 5)
    assert a.detail["values"]["eigenvector"] == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    assert a.detail["ranks"]["degree"] == 3
    assert a.detail["ranks"]["weighted_degree"] == 4
    assert by_node[B].detail["ranks"]["weighted_degree"] == 3
    assert a.score == pytest.approx(1 / 3, abs=1e-4)  # best rank: joint 3rd


def test_a_separate_pair_is_its_own_component_and_scores_zero_eigenvector() -> None:
    """Add M -> N, in contact with no one else: a component of 2. Eigenvector centrality
    concentrates on the part with the largest eigenvalue (the triangles' 1 + sqrt 2 against the
    pair's 1), so M and N score 0; their closeness is (1 + 0 x 6)/7."""
    m, n = "+447700900027", "+447700900028"
    found = {
        f.subjects[0]: f for f in run([*BRIDGE, call(E1, 20, m, n, "2024-06-04 09:00:00")], top=8)
    }
    assert found[C].detail["component_size"] == 6
    assert found[m].detail["component_size"] == 2
    assert found[m].detail["values"]["eigenvector"] == pytest.approx(0.0, abs=1e-6)
    assert found[m].detail["values"]["closeness"] == pytest.approx(1 / 7)
    assert found[C].detail["values"]["closeness"] == pytest.approx(4 / 7)  # (3 + 1/2 + 1/2)/7
    assert "the connected part it is in has 2 of them." in found[m].explanation


def test_top_by_one_measure_and_the_score_is_one_over_the_best_rank() -> None:
    found = run(BRIDGE, top=3, measures=["weighted_degree"])
    assert [(f.subjects[0], f.score) for f in found] == [(C, 1.0), (D, 0.5), (B, 0.3333)]
    assert list(found[0].detail["ranks"]) == ["weighted_degree"]
    assert "Its score, 0.33, is 1 divided by its best rank." in found[2].explanation


def test_a_betweenness_cutoff_is_an_estimate_and_says_so() -> None:
    c, d = run(BRIDGE, top=1, measures=["betweenness"], betweenness_cutoff=2)
    assert c.detail["values"]["betweenness"] == 2
    assert d.detail["values"]["betweenness"] == 2
    assert c.detail["estimated"] == ["betweenness"]
    assert "Estimated, not exact: betweenness" in c.explanation
    # a sample as large as the graph is the exact figure
    (c, _d) = run(BRIDGE, top=1, measures=["betweenness"], betweenness_sample=6)
    assert c.detail["values"]["betweenness"] == 6
    assert c.detail["estimated"] == []


def test_ranks_in_each_time_slice_show_a_hand_over() -> None:
    window = {"since": "2024-06-01T00:00:00Z", "until": "2024-06-05T00:00:00Z"}
    x, h = run(HAND_OVER, top=2, measures=["degree", "betweenness"], slices=2, **window)
    assert (x.subjects, h.subjects) == ((X,), (H,))
    assert x.detail["values"] == {"degree": 4, "betweenness": 5.5}
    assert h.detail["values"] == {"degree": 3, "betweenness": 1.5}
    assert h.score == 0.5
    s1, s2 = h.detail["slices"]
    assert (s1["start"], s1["end"]) == ("2024-06-01T00:00:00+00:00", "2024-06-03T00:00:00+00:00")
    assert s1["ranks"] == {"degree": 1, "betweenness": 1}
    assert s1["values"] == {"degree": 3, "betweenness": 5}
    assert s2["ranks"] == {"degree": 3, "betweenness": 3}
    assert s2["values"] == {"degree": 1, "betweenness": 0}
    assert [s["ranks"] for s in x.detail["slices"]] == [
        {"degree": 3, "betweenness": 3},
        {"degree": 1, "betweenness": 1},
    ]
    assert (
        "In 2 equal time slices between 2024-06-01 00:00:00 UTC and 2024-06-05 00:00:00 UTC it "
        "ranked by degree: 1st, joint 3rd; by betweenness: 1st, joint 3rd." in h.explanation
    )


def test_a_node_missing_from_a_slice_is_said_to_be_absent() -> None:
    window = {"since": "2024-06-01T00:00:00Z", "until": "2024-06-05T00:00:00Z"}
    found = {
        f.subjects[0]: f for f in run(HAND_OVER, top=6, measures=["degree"], slices=2, **window)
    }
    l4 = found[L4]
    assert [s["present"] for s in l4.detail["slices"]] == [False, True]
    assert l4.detail["slices"][0]["ranks"] == {"degree": None}
    assert "ranked by degree: not present, joint 3rd." in l4.explanation


def test_handsets_as_nodes() -> None:
    """H's call to L1 carries H's IMEI key (H is the target, the A party): H gains a handset
    link, and the handset a node with one number used in it."""
    rows = [dict(r) for r in HAND_OVER]
    rows[0].update(imei_key=IMEI, target_role="a")
    found = {f.subjects[0]: f for f in run(rows, top=7, include_handsets=True)}
    h = found[H]
    assert h.detail["values"]["degree"] == 4  # L1, L2, L3 and the handset
    assert "(3 contacts and 1 handset(s))" in h.explanation
    assert "among the 6 numbers and 1 handset of the network" in h.explanation
    handset = found[IMEI]
    assert handset.detail["node_type"] == "handset"
    assert handset.explanation.startswith(
        f"{IMEI} (a handset, IMEI key) ranked joint 6th by degree (1 number(s) used in it)"
    )
    assert handset.derived_from == (rows[0]["row_id"],)
    # without handsets there is no such node
    assert IMEI not in {f.subjects[0] for f in run(rows, top=7)}


def test_no_contact_no_findings_and_parameters_refused() -> None:
    assert run([]) == []
    with pytest.raises(ValueError, match="at least one measure"):
        KeyPlayersParameters(measures=[])
    with pytest.raises(ValueError, match="measures"):
        KeyPlayersParameters(measures=["charisma"])
    assert KeyPlayersParameters(measures=["coreness", "degree", "degree"]).measures == [
        "degree",
        "coreness",
    ]
