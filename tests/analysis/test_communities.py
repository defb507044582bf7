"""Communities over a hand-made network; every expected figure is worked out by hand below.

Two groups of four numbers in which everyone called everyone once (A, B, C, D and E, F, G, H;
A called B three times), the call D -> E between the groups, and a pair X -> Y apart from all of
them. All calls are in JB/1.

* Weights (events): inside {A, B, C, D} 3 + 5 = 8, inside {E, F, G, H} 6, D-E 1, X-Y 1: total
  m = 16. Strengths: A 5, B 5, C 3, D 4 (sum 17); E 4, F, G, H 3 (sum 13); X 1, Y 1 (sum 2).
* Modularity of {A..D}, {E..H}, {X, Y} (resolution 1): sum over groups of inside/m -
  (strength/2m)^2 = 8/16 + 6/16 + 1/16 - (17^2 + 13^2 + 2^2)/32^2 = 0.9375 - 462/1024
  = 0.486328. Joining the two groups of four would give 15/16 - (30^2 + 2^2)/1024 = 0.054688
  less; Leiden finds the three groups.
* Group 1 (the larger groups are equal in size; A's has the smaller first number): density 6 of
  6 pairs = 1.0; cohesion 8 / (8 + 1) = 0.888889. Group 2: 6 / (6 + 1) = 0.857143. X-Y: 1.0.
* Most central in group 1: all have 3 links inside; A and B have 5 events inside, C and D 3.
* Group 1's rows are the eight calls among A..D (rows 0-7), not D -> E (14) or X -> Y (15);
  named by its links, resolved to exactly those.
* With resolution 0.01 the penalty for size nearly vanishes and the two groups of four, joined
  by D-E, are one: 8 numbers (the gain 1/16 - 0.01 x 2 x 17 x 13 / 32^2 is positive), the pair
  X-Y still apart (no link joins it).
"""

from __future__ import annotations

import pytest
from evidence_factory import call, make_evidence

from threadline.analysis.communities import Communities, CommunitiesParameters
from threadline.analysis.network_graph import cited_row_ids
from threadline.model.finding import Finding

A, B, C, D, E, F, G, H = (f"+4477009000{i}" for i in range(41, 49))
X, Y = "+447700900051", "+447700900052"
IMEI = "35209900176148"

PAIRS = [
    (A, B), (A, B), (A, B), (A, C), (A, D), (B, C), (B, D), (C, D),
    (E, F), (E, G), (E, H), (F, G), (F, H), (G, H),
    (D, E),
    (X, Y),
]  # fmt: skip
CALLS = [call("e1", i, a, b, f"2024-06-01 09:{i:02d}:00") for i, (a, b) in enumerate(PAIRS)]


def run(rows: list[dict[str, object]] = CALLS, **parameters: object) -> list[Finding]:
    evidence = make_evidence({"calls": rows}, exhibits={"e1": "JB/1"})
    return Communities().run(evidence, CommunitiesParameters(**parameters))


def cited(finding: Finding, rows: list[dict[str, object]] = CALLS) -> list[str]:
    """The rows the finding's link citation names, resolved over ``rows`` (exhibits e1, e2)."""
    assert finding.derived_from == ()
    assert finding.derived_links is not None
    evidence = make_evidence({"calls": rows}, exhibits={"e1": "JB/1", "e2": "JB/2"})
    return list(cited_row_ids(evidence, finding.derived_links))


def ids(*positions: int, rows: list[dict[str, object]] = CALLS) -> list[str]:
    return sorted(str(rows[i]["row_id"]) for i in positions)


def test_two_groups_of_four_with_their_figures() -> None:
    first, second = run(central_members=2)
    assert first.kind == "community"
    assert first.subjects == (A, B, C, D)
    assert second.subjects == (E, F, G, H)
    assert first.detail["community"] == 1
    assert second.detail["community"] == 2
    assert (first.detail["links"], first.detail["possible_pairs"]) == (6, 6)
    assert first.detail["density"] == 1.0
    assert (first.detail["events"], first.detail["boundary_weight"]) == (8, 1)
    assert first.score == pytest.approx(0.8889)
    assert second.score == pytest.approx(0.8571)
    assert first.detail["modularity"] == pytest.approx(0.486328, abs=1e-6)
    assert first.detail["communities"] == 3
    assert [m["node"] for m in first.detail["central_members"]] == [A, B]
    assert first.detail["central_members"][0] == {
        "node": A,
        "node_type": "number",
        "linked_inside": 3,
        "events_inside": 5,
    }
    # the internal calls only: not D -> E, not X -> Y
    assert cited(first) == ids(*range(8))
    assert first.derived_links is not None
    assert first.derived_links.rows == 8
    assert first.derived_links.nodes == tuple(f"number:{n}" for n in (A, B, C, D))
    assert first.derived_links.exhibit_ids == ("e1",)
    assert cited(second) == ids(*range(8, 14))


def test_the_explanation_states_the_method_and_seed_and_ends_with_the_caveat() -> None:
    first, _second = run(central_members=2)
    assert first.explanation.startswith(
        f"Candidate network 1: 4 numbers ({A}, {B}, {C}, {D}) placed together by Leiden "
        "community detection (modularity, resolution 1, seed 1, 2 iterations, weighted by "
        "contact events; igraph 1.0.0). 6 of the 6 possible pairs among them are linked "
        "(density 1.00), with 8 contact events between them; 89% of the weight on its "
        "members' links stays inside the group (cohesion 0.89, the score). Most central "
        f"inside it: {A} (linked with 3 of the 3 others, 5 contact events inside); {B} "
        "(linked with 3 of the 3 others, 5 contact events inside). Its internal links rest on "
        "8 record(s) in 1 exhibit(s) (JB/1), between 2024-06-01 09:00:00 UTC and "
        "2024-06-01 09:07:00 UTC."
    )
    assert first.explanation.endswith(
        "The network is only what the exhibit analysed holds (JB/1): numbers and handsets that "
        "were not seized, or whose communications data were not requested, are missing, and "
        "contact with them would change every figure here. Centrality, brokerage and group "
        "membership are leads for an analyst, never evidence of anyone's role."
    )
    assert first.detail["method"] == {
        "algorithm": "leiden",
        "objective": "modularity",
        "resolution": 1.0,
        "seed": 1,
        "iterations": 2,
        "weighted": True,
        "engine": "igraph 1.0.0",
    }


def test_small_groups_are_reported_only_when_asked_for() -> None:
    found = run(min_size=2)
    assert [f.subjects for f in found] == [(A, B, C, D), (E, F, G, H), (X, Y)]
    pair = found[2]
    assert (pair.detail["density"], pair.score) == (1.0, 1.0)
    assert cited(pair) == ids(15)


def test_a_low_resolution_joins_the_two_groups() -> None:
    found = run(min_size=2, resolution=0.01)
    assert [f.subjects for f in found] == [(A, B, C, D, E, F, G, H), (X, Y)]
    joined = found[0]
    assert (joined.detail["links"], joined.detail["possible_pairs"]) == (13, 28)
    assert joined.score == 1.0  # nothing leaves it


def test_the_same_seed_gives_the_same_communities() -> None:
    once = [(f.subjects, f.detail["community"]) for f in run(seed=7)]
    again = [(f.subjects, f.detail["community"]) for f in run(seed=7)]
    assert once == again
    assert run(seed=7)[0].detail["method"]["seed"] == 7


def test_a_handset_joins_the_group_of_the_number_used_in_it() -> None:
    """A's call to B carries A's IMEI key (A the target): the handset, linked only to A, is
    placed in A's group, which the explanation then calls nodes."""
    rows = [dict(r) for r in CALLS]
    rows[0].update(imei_key=IMEI, target_role="a")
    first = run(rows, include_handsets=True)[0]
    assert first.subjects == (A, B, C, D, IMEI)
    assert first.detail["member_types"] == {"handset": 1, "number": 4}
    assert first.detail["handset_records"] == 1
    assert "5 nodes (numbers and handsets)" in first.explanation
    # row 0 is behind the A-B contact link and the A-handset link: one row, counted once
    assert first.derived_links is not None
    assert (first.derived_links.rows, first.derived_links.handsets) == (8, True)
    assert cited(first, rows) == ids(*range(8), rows=rows)
    assert "rest on 8 record(s)" in first.explanation


def test_the_citation_names_only_the_rows_of_the_exhibits_read() -> None:
    """JB/2, added after the run, holds another A -> B call and a C -> D call; the citation
    still names the eight rows of JB/1 only, while a new run counts ten."""
    first = run()[0]
    later = [
        *CALLS,
        call("e2", 0, A, B, "2024-06-02 10:00:00"),
        call("e2", 1, C, D, "2024-06-02 11:00:00"),
    ]
    assert cited(first, later) == ids(*range(8))
    rerun = Communities().run(
        make_evidence({"calls": later}, exhibits={"e1": "JB/1", "e2": "JB/2"}),
        CommunitiesParameters(),
    )[0]
    assert rerun.derived_links is not None
    assert rerun.derived_links.rows == 10
    assert cited(rerun, later) == ids(*range(8), 16, 17, rows=later)


def test_the_citation_keeps_the_window() -> None:
    """From 09:04 only the calls 4..15 are read: group 1 keeps A-D (4), B-C (5), B-D (6) and
    C-D (7), which still join A, B, C and D, and cites those four rows."""
    first = run(since="2024-06-01T09:04:00Z")[0]
    assert first.subjects == (A, B, C, D)
    assert cited(first) == ids(4, 5, 6, 7)


def test_no_contact_no_communities() -> None:
    assert run([]) == []
