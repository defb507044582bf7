"""The network view on SQLite and PostgreSQL: the chart's API (nodes, pairs, weights, ranks,
communities, the window and the node kinds), one link's evidence rows, the page shell with its
caveat, the consultations logged, and a non-member refused.

The case (times UTC; T1 = 07700 900001 with handset H1, T2 = 07700 900002 with handset H2, X =
07700 900100, Y = 07700 900200), two network returns:

* JB/1 (T1's, IMEI H1 on every row): T1 -> X 1 June 09:00 (row=2), X -> T1 1 June 10:00
  (row=3), T1 -> T2 2 June 11:00 (row=4);
* JB/2 (T2's, IMEI H2 on every row): T2 -> X 1 June 12:00 (row=2), T1 -> T2 2 June 11:00
  (row=3: the same call as JB/1 row=4), T2 -> Y 3 June 08:00 (row=4).

Worked out by hand, numbers only (one line per pair, weight = contact events either way):

* T1-X weight 2 (1 each way, rows JB/1 2 and 3); T1-T2 weight 1 (the call held twice is one
  event, resting on 2 rows); T2-X weight 1; T2-Y weight 1. Four links.
* Degree: T1 2, T2 3, X 2, Y 1. Weighted degree: T1 3, T2 3, X 3, Y 1.
* Betweenness: T2 lies on the only shortest paths Y-T1 and Y-X: 2; the others 0.
* Key-player rank (best rank by degree, weighted degree, betweenness, eigenvector; competition
  ranks): T1, T2 and X share 1st by weighted degree; Y is 4th by degree, weighted degree and
  eigenvector and joint 2nd (with T1 and X, all 0) by betweenness: 2. With ``top=1`` T1, T2
  and X are key players, Y is not.
* Communities: the modularity (weighted, total weight m = 5; strengths T1 3, T2 3, X 3, Y 1) of
  {T1,X},{T2,Y} is (2/5 - (6/10)^2) + (1/5 - (4/10)^2) = 0.08, of one community 0, of
  {T1,T2,X},{Y} 0.8 - 0.81 - 0.01 = -0.02: the best split is {T1,X},{T2,Y}; equal sizes are
  numbered by their first member, so {T1,X} is community 1.
* From 2 June (``since``): T1-T2 and T2-Y only; degrees T1 1, T2 2, Y 1.
* With handsets: T1-H1 weight 3 (JB/1's three rows) and T2-H2 weight 3 (JB/2's three rows):
  6 nodes, 6 links.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from network_returns import ingest_returns
from threadline.model.access import Membership, Role
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.ids import row_id
from threadline.services import access, cases, exhibits
from threadline.services.workspace import Workspace
from threadline.store import audit_log

from .conftest import MakeApp, add_user, sign_in

T1, T2, X, Y = "+447700900001", "+447700900002", "+447700900100", "+447700900200"
H1, H2 = "35123456000001", "35123456000002"  # IMEI keys of 351234560000010 and ...0028 (Luhn)
ID = {
    **{n: entity_id(EntityKind.NUMBER, n) for n in (T1, T2, X, Y)},
    **{h: entity_id(EntityKind.HANDSET, h) for h in (H1, H2)},
}
RETURNS = {
    "JB/1": (
        T1,
        "MOC,447700900001,447700900100,,01/06/2026,09:00:00,60,351234560000010,,,\n"
        "MTC,447700900100,447700900001,,01/06/2026,10:00:00,30,351234560000010,,,\n"
        "MOC,447700900001,447700900002,,02/06/2026,11:00:00,20,351234560000010,,,\n",
    ),
    "JB/2": (
        T2,
        "MOC,447700900002,447700900100,,01/06/2026,12:00:00,45,351234560000028,,,\n"
        "MTC,447700900001,447700900002,,02/06/2026,11:00:00,20,351234560000028,,,\n"
        "MOC,447700900002,447700900200,,03/06/2026,08:00:00,15,351234560000028,,,\n",
    ),
}


@pytest.fixture
def oak_case(workspace: Workspace, tmp_path: Path) -> Workspace:
    cases.create_case(workspace, "OP-OAK", "Operation Oak")
    ingest_returns(workspace, "OP-OAK", RETURNS, tmp_path)
    add_user(workspace, "ann", Role.ANALYST)
    add_user(workspace, "rex", Role.RESEARCHER)
    add_user(workspace, "nia", Role.ANALYST)  # not a member
    access.set_member(workspace, "OP-OAK", "ann", Membership.OWNER)
    access.set_member(workspace, "OP-OAK", "rex", Membership.MEMBER)
    return workspace


@pytest.fixture
def client(oak_case: Workspace, make_app: MakeApp) -> TestClient:
    return TestClient(make_app())


def _case_id(ws: Workspace) -> str:
    return cases.show_case(ws, "OP-OAK").id


def _exhibit_ids(ws: Workspace) -> dict[str, str]:
    return {e.reference: e.id for e in exhibits.list_exhibits(ws, "OP-OAK")}


def _pairs(chart: dict[str, Any]) -> dict[frozenset[str], dict[str, Any]]:
    return {frozenset((e["source"], e["target"])): e for e in chart["links"]}


def _nodes(chart: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in chart["nodes"]}


def test_the_chart_has_the_hand_counted_nodes_links_ranks_and_communities(
    oak_case: Workspace, client: TestClient
) -> None:
    sign_in(client, "ann")
    case_id = _case_id(oak_case)
    chart = client.get(f"/api/cases/{case_id}/network", params={"kind": "number", "top": 1}).json()
    nodes = _nodes(chart)
    assert set(nodes) == {ID[T1], ID[T2], ID[X], ID[Y]}
    assert {n["label"]: n["kind"] for n in nodes.values()} == {
        T1: "number", T2: "number", X: "number", Y: "number"
    }  # fmt: skip
    assert {nodes[ID[n]]["label"]: nodes[ID[n]]["degree"] for n in (T1, T2, X, Y)} == {
        T1: 2, T2: 3, X: 2, Y: 1
    }  # fmt: skip
    assert [nodes[ID[n]]["weighted_degree"] for n in (T1, T2, X, Y)] == [3, 3, 3, 1]
    assert [nodes[ID[n]]["ranks"]["betweenness"] for n in (T1, T2, X, Y)] == [2, 1, 2, 2]
    assert [nodes[ID[n]]["key_rank"] for n in (T1, T2, X, Y)] == [1, 1, 1, 2]
    assert [nodes[ID[n]]["key_player"] for n in (T1, T2, X, Y)] == [True, True, True, False]
    assert [nodes[ID[n]]["community"] for n in (T1, X, T2, Y)] == [1, 1, 2, 2]
    assert chart["communities"] == {"1": 2, "2": 2}

    pairs = _pairs(chart)
    assert len(chart["links"]) == 4
    weights = {
        tuple(sorted(nodes[i]["label"] for i in pair)): (e["weight"], e["rows"], e["kind"])
        for pair, e in pairs.items()
    }
    assert weights == {
        (T1, X): (2, 2, "communications"),
        (T1, T2): (1, 2, "communications"),
        (T2, X): (1, 1, "communications"),
        (T2, Y): (1, 1, "communications"),
    }
    t1x = pairs[frozenset((ID[T1], ID[X]))]
    assert (t1x["source"], t1x["forward"], t1x["backward"]) == (ID[T1], 1, 1)
    assert (t1x["first_utc"], t1x["last_utc"]) == (
        "2026-06-01T09:00:00+00:00",
        "2026-06-01T10:00:00+00:00",
    )
    ids = _exhibit_ids(oak_case)
    t1t2 = pairs[frozenset((ID[T1], ID[T2]))]
    assert t1t2["row_ids"] == sorted([row_id(ids["JB/1"], "row=4"), row_id(ids["JB/2"], "row=3")])
    assert t1t2["exhibits"] == ["JB/1", "JB/2"]
    assert all(e["basis"] == "evidenced" for e in chart["links"])
    assert "2 exhibits analysed hold (JB/1, JB/2)" in chart["caveat"]
    assert (chart["total_nodes"], chart["total_links"], chart["truncated"]) == (4, 4, False)


def test_the_window_and_handsets_change_the_chart(oak_case: Workspace, client: TestClient) -> None:
    sign_in(client, "ann")
    case_id = _case_id(oak_case)
    later = client.get(
        f"/api/cases/{case_id}/network",
        params={"kind": "number", "since": "2026-06-02T00:00:00Z"},
    ).json()
    nodes = _nodes(later)
    assert {n["label"]: n["degree"] for n in nodes.values()} == {T1: 1, T2: 2, Y: 1}
    assert set(_pairs(later)) == {
        frozenset((ID[T1], ID[T2])),
        frozenset((ID[T2], ID[Y])),
    }
    before = client.get(
        f"/api/cases/{case_id}/network",
        params={"kind": "number", "until": "2026-06-01T11:00:00"},  # no zone: UTC
    ).json()
    assert {n["label"] for n in before["nodes"]} == {T1, X}

    both = client.get(f"/api/cases/{case_id}/network").json()  # numbers and handsets
    assert len(both["nodes"]) == 6
    assert len(both["links"]) == 6
    handset = _pairs(both)[frozenset((ID[T1], ID[H1]))]
    assert (handset["kind"], handset["weight"], handset["rows"], handset["source"]) == (
        "handset",
        3,
        3,
        ID[T1],
    )
    assert _nodes(both)[ID[H2]]["kind"] == "handset"

    bad = client.get(f"/api/cases/{case_id}/network", params={"kind": "handset"})
    assert bad.status_code == 422
    assert "must include number" in bad.text
    backwards = client.get(
        f"/api/cases/{case_id}/network",
        params={"since": "2026-06-03T00:00:00Z", "until": "2026-06-02T00:00:00Z"},
    )
    assert backwards.status_code == 422


def test_a_link_opens_its_rows_and_both_reads_are_logged(
    oak_case: Workspace, client: TestClient
) -> None:
    sign_in(client, "rex")  # a researcher reads evidence
    case_id = _case_id(oak_case)
    ids = _exhibit_ids(oak_case)
    client.get(f"/api/cases/{case_id}/network", params={"kind": "number"})
    # either order of the two nodes names the same link
    answer = client.get(f"/api/cases/{case_id}/network/edges/{ID[T2]}/{ID[T1]}")
    assert answer.status_code == 200, answer.text
    (link,) = answer.json()["links"]
    assert (link["source_label"], link["target_label"]) == (T1, T2)
    assert link["link"]["weight"] == 1
    rows = link["rows"]
    assert [(r["exhibit"], r["locator"], r["table"]) for r in rows] == [
        ("JB/1", "row=4", "calls"),
        ("JB/2", "row=3", "calls"),
    ]
    assert [r["row_id"] for r in rows] == [
        row_id(ids["JB/1"], "row=4"),
        row_id(ids["JB/2"], "row=3"),
    ]
    assert {(r["a_party"], r["b_party"], r["earliest_utc"]) for r in rows} == {
        (T1, T2, "2026-06-02T11:00:00+00:00")
    }

    handset = client.get(f"/api/cases/{case_id}/network/edges/{ID[H2]}/{ID[T2]}").json()
    (held,) = handset["links"]
    assert [r["locator"] for r in held["rows"]] == ["row=2", "row=3", "row=4"]
    assert {r["imei_key"] for r in held["rows"]} == {H2}

    # X and Y were never in contact; outside the window T1-T2 is not a link either
    assert client.get(f"/api/cases/{case_id}/network/edges/{ID[X]}/{ID[Y]}").status_code == 404
    outside = client.get(
        f"/api/cases/{case_id}/network/edges/{ID[T1]}/{ID[T2]}",
        params={"until": "2026-06-02T00:00:00Z"},
    )
    assert outside.status_code == 404
    assert client.get(f"/api/cases/{case_id}/network/edges/{T1}/{T2}").status_code == 422

    with oak_case.session() as session:
        logged = [e for e in audit_log.entries(session) if e.actor == "rex"]
    views = [e for e in logged if e.action == "network.view"]
    opened = [e for e in logged if e.action == "network.link"]
    assert len(views) == 1
    assert views[0].operation == "consultation"
    assert (views[0].detail["nodes"], views[0].detail["links"]) == (4, 4)
    assert len(opened) == 2
    assert opened[0].detail["row_ids"] == [r["row_id"] for r in rows]
    # the log names nodes by hash, never by number
    assert all(T1 not in str(e.detail) and T1 not in (e.object_id or "") for e in logged)


def test_the_page_is_a_shell_with_its_script_and_caveat(
    oak_case: Workspace, client: TestClient
) -> None:
    sign_in(client, "ann")
    case_id = _case_id(oak_case)
    response = client.get(f"/cases/{case_id}/network")
    assert response.status_code == 200
    html = response.text
    assert '<script src="/static/network.js" defer></script>' in html
    assert f'data-case="{case_id}"' in html
    assert 'id="network-chart"' in html
    assert "2 exhibits analysed hold (JB/1, JB/2)" in html
    assert "evidenced" in html
    assert "dashed" in html
    assert "<script>" not in html  # no inline script (CSP)
    script = client.get("/static/network.js")
    assert script.status_code == 200
    assert "/network/edges/" in script.text


def test_a_non_member_is_refused(oak_case: Workspace, client: TestClient) -> None:
    sign_in(client, "nia")
    case_id = _case_id(oak_case)
    assert client.get(f"/cases/{case_id}/network").status_code == 403
    assert client.get(f"/api/cases/{case_id}/network").status_code == 403
    edge = client.get(f"/api/cases/{case_id}/network/edges/{ID[T1]}/{ID[T2]}")
    assert edge.status_code == 403
    with oak_case.session() as session:
        assert not [e for e in audit_log.entries(session) if e.action.startswith("network.")]
