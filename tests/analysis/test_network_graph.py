"""The network's edge table from the evidence; every expected figure is counted by hand below.

Numbers P, Q, R, S; exhibits JB/1 (P's network return, P the target), JB/2 (Q's handset
download, Q its owner), JB/3 (P's data sessions).

* P -> Q call at 09:00:00 in JB/1 row 1 and at 09:00:04 in JB/2 row 1: one event, two records.
* P -> Q call at 10:00 (JB/1 row 2): a second event. Edge P -> Q: weight 2, 3 rows.
* Q -> P SMS at 11:00 (JB/2 row 2, Q the sender and owner, IMEI key H2): edge Q -> P, weight 1.
* P -> R call on 3 June 12:00 (JB/1 row 3, target P, IMEI key H1).
* R -> S call in the repeated autumn hour (JB/1 row 4; no exact time; range 00:30-01:30 UTC
  on 27 October), target_role empty: no handset link.
* P's data session on 2 June with IMEI key H1 (JB/3 row 1), and one with no IMEI (row 2).

Handset links: P - H1 from JB/1 row 3 and JB/3 row 1 (2 records); Q - H2 from JB/2 row 2.
JB/1 row 1 carries IMEI key H9 with ``target_role`` 'b': the link made is Q - H9 (the party
``target_role`` names), never P - H9. JB/2 row 1 names Q but has no IMEI: no link.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from evidence_factory import call, make_evidence, message, utc

from threadline.analysis.evidence import Evidence
from threadline.analysis.network_graph import (
    NetworkParameters,
    NodeKind,
    edge_list,
    load_edges,
    load_sliced_edges,
    node_evidence,
    node_name,
    split_node,
)
from threadline.analysis.network_metrics import simple_links
from threadline.model.ids import row_id

P, Q, R, S = "+447700900011", "+447700900012", "+447700900013", "+447700900014"
H1, H2, H9 = "35209900176148", "49015420323751", "35693803564380"
E1, E2, E3 = "e1", "e2", "e3"
REFERENCES = {E1: "JB/1", E2: "JB/2", E3: "JB/3"}

CALLS = [
    call(E1, 1, P, Q, "2024-06-01 09:00:00", target_role="b", imei_key=H9),
    call(E1, 2, P, Q, "2024-06-01 10:00:00", target_role="a"),
    call(E1, 3, P, R, "2024-06-03 12:00:00", target_role="a", imei_key=H1),
    call(
        E1,
        4,
        R,
        S,
        None,
        start_earliest_utc=utc("2024-10-27 00:30:00"),
        start_latest_utc=utc("2024-10-27 01:30:00"),
    ),
    call(E2, 1, P, Q, "2024-06-01 09:00:04", direction="incoming", target_role="b"),
]
MESSAGES = [message(E2, 2, Q, P, "2024-06-01 11:00:00", target_role="a", imei_key=H2)]
SESSIONS = [
    {
        "row_id": row_id(E3, "row=1"),
        "exhibit_id": E3,
        "locator": "row=1",
        "party": P,
        "imei_key": H1,
        "start_utc": utc("2024-06-02 08:00:00"),
        "start_earliest_utc": utc("2024-06-02 08:00:00"),
        "start_latest_utc": utc("2024-06-02 08:00:00"),
        "start_status": "exact",
    },
    {
        "row_id": row_id(E3, "row=2"),
        "exhibit_id": E3,
        "locator": "row=2",
        "party": P,
        "start_utc": utc("2024-06-02 09:00:00"),
        "start_earliest_utc": utc("2024-06-02 09:00:00"),
        "start_latest_utc": utc("2024-06-02 09:00:00"),
        "start_status": "exact",
    },
]


def evidence() -> Evidence:
    return make_evidence(
        {"calls": CALLS, "messages": MESSAGES, "data_sessions": SESSIONS}, exhibits=REFERENCES
    )


def n(number: str) -> str:
    return node_name(NodeKind.NUMBER, number)


def h(imei: str) -> str:
    return node_name(NodeKind.HANDSET, imei)


def edges_by_pair(table: pa.Table) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["source"], r["target"], r["link"]): r for r in table.to_pylist()}


def test_contact_edges_count_events_once_and_keep_every_row() -> None:
    edges = edges_by_pair(load_edges(evidence(), NetworkParameters()))
    assert set(edges) == {
        (n(P), n(Q), "contact"),
        (n(Q), n(P), "contact"),
        (n(P), n(R), "contact"),
        (n(R), n(S), "contact"),
    }
    pq = edges[(n(P), n(Q), "contact")]
    assert (pq["weight"], pq["inexact"]) == (2, 0)
    assert pq["row_ids"] == sorted([CALLS[0]["row_id"], CALLS[1]["row_id"], CALLS[4]["row_id"]])
    assert pq["exhibit_ids"] == [E1, E2]
    assert (pq["first_utc"], pq["last_utc"]) == (
        utc("2024-06-01 09:00:00"),
        utc("2024-06-01 10:00:00"),
    )
    rs = edges[(n(R), n(S), "contact")]
    assert (rs["weight"], rs["inexact"]) == (1, 1)
    assert rs["last_utc"] == utc("2024-10-27 01:30:00")


def test_handset_links_join_the_number_target_role_names_to_its_imei() -> None:
    edges = edges_by_pair(load_edges(evidence(), NetworkParameters(), handsets=True))
    handset = {k: v for k, v in edges.items() if k[2] == "handset"}
    assert set(handset) == {
        (n(P), h(H1), "handset"),
        (n(Q), h(H2), "handset"),
        (n(Q), h(H9), "handset"),
    }
    p_h1 = handset[(n(P), h(H1), "handset")]
    assert p_h1["weight"] == 2
    assert p_h1["row_ids"] == sorted([CALLS[2]["row_id"], SESSIONS[0]["row_id"]])
    assert p_h1["exhibit_ids"] == [E1, E3]
    assert handset[(n(Q), h(H2), "handset")]["row_ids"] == [MESSAGES[0]["row_id"]]


def test_a_window_keeps_links_whose_possible_times_overlap_it() -> None:
    window = NetworkParameters(since=utc("2024-06-01 09:30:00"), until=utc("2024-06-02 12:00:00"))
    edges = edges_by_pair(load_edges(evidence(), window, handsets=True))
    # P -> Q at 10:00 only (09:00 is before), Q -> P at 11:00, P's session on 2 June
    assert {k: v["weight"] for k, v in edges.items()} == {
        (n(P), n(Q), "contact"): 1,
        (n(Q), n(P), "contact"): 1,
        (n(Q), h(H2), "handset"): 1,
        (n(P), h(H1), "handset"): 1,
    }


def test_equal_time_slices_and_a_range_straddling_a_boundary() -> None:
    """From 1 June 09:00 to 3 June 09:00 in two slices of a day: slice 1 holds both P -> Q
    events and Q -> P; slice 2 is empty of contact (P -> R is on 3 June 12:00, after the end).
    With ``until`` open the window ends at the autumn call's latest reading (27 October
    01:30), 147 days 16 h 30 min; in 3 slices of 49 days 5 h 30 min (boundaries 20 July 14:30
    and 7 September 20:00) every June link is in slice 1 and the autumn call's range lies
    within slice 3."""
    window = NetworkParameters(since=utc("2024-06-01 09:00:00"), until=utc("2024-06-03 09:00:00"))
    slices, table = load_sliced_edges(evidence(), window, 2)
    assert [(s.number, s.start, s.end) for s in slices] == [
        (1, utc("2024-06-01 09:00:00"), utc("2024-06-02 09:00:00")),
        (2, utc("2024-06-02 09:00:00"), utc("2024-06-03 09:00:00")),
    ]
    assert {(r["slice"], r["source"], r["target"], r["weight"]) for r in table.to_pylist()} == {
        (1, n(P), n(Q), 2),
        (1, n(Q), n(P), 1),
    }
    slices, table = load_sliced_edges(evidence(), NetworkParameters(), 3)
    assert slices[0].start == utc("2024-06-01 09:00:00")
    assert slices[1].start == utc("2024-07-20 14:30:00")
    assert slices[2].start == utc("2024-09-07 20:00:00")
    assert slices[-1].end == utc("2024-10-27 01:30:00")
    placed = {(r["source"], r["target"]): r["slice"] for r in table.to_pylist()}
    assert placed == {(n(P), n(Q)): 1, (n(Q), n(P)): 1, (n(P), n(R)): 1, (n(R), n(S)): 3}


def test_a_range_across_a_slice_boundary_is_left_out_of_the_slices() -> None:
    """Window 26 October 00:00 to 28 October 00:00 in two slices split at 27 October 00:00:
    the autumn call (00:30-01:30 on the 27th) is inside slice 2. Split at 27 October 01:00
    instead (window 26 October 02:00 to 28 October 00:00) and it straddles: left out."""
    inside = NetworkParameters(since=utc("2024-10-26 00:00:00"), until=utc("2024-10-28 00:00:00"))
    _slices, table = load_sliced_edges(evidence(), inside, 2)
    assert [(r["slice"], r["source"]) for r in table.to_pylist()] == [(2, n(R))]
    across = NetworkParameters(since=utc("2024-10-26 02:00:00"), until=utc("2024-10-28 00:00:00"))
    _slices, table = load_sliced_edges(evidence(), across, 2)
    assert table.num_rows == 0
    # the whole window still counts it
    assert load_edges(evidence(), across).num_rows == 1


def test_no_links_no_slices() -> None:
    empty = make_evidence({})
    slices, table = load_sliced_edges(empty, NetworkParameters(), 4)
    assert slices == ()
    assert table.num_rows == 0


def test_node_names_are_typed() -> None:
    assert split_node(n(P)) == (NodeKind.NUMBER, P)
    assert split_node(h(H1)) == (NodeKind.HANDSET, H1)


def test_node_evidence_and_the_undirected_simple_graph() -> None:
    table = load_edges(evidence(), NetworkParameters(), handsets=True)
    behind = node_evidence(table, [n(P)])
    p = behind[n(P)]
    assert p.contacts == {n(Q), n(R)}
    assert p.handsets == {h(H1)}
    # contact events: P -> Q 2, Q -> P 1, P -> R 1
    assert (p.events, p.inexact) == (4, 0)
    assert len(p.row_ids) == 6  # 3 + 1 + 1 contact rows and P's data session (row 3 twice)
    assert p.exhibit_ids == (E1, E2, E3)
    links = simple_links(edge_list(table))
    pairs = {
        (links.names[a], links.names[b]): w
        for (a, b), w in zip(links.pairs.tolist(), links.weights.tolist(), strict=True)
    }
    # P - Q is one link either way: 2 + 1 events
    assert pairs[(n(P), n(Q))] == 3.0
    assert len(pairs) == 6
    assert pc.sum(table.column("weight")).as_py() == 2 + 1 + 1 + 1 + 2 + 1 + 1
