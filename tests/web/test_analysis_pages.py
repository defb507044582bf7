"""Analyses in the web application, on SQLite and PostgreSQL: the list, running one from its
form or the API, its findings with links to their rows; researchers read findings but may not
run analyses (a combination of the case's data).

The case: T1's and T2's network returns (times UTC). T1 -> X 09:00, X -> T1 10:00, T2 -> X
12:00, T2 -> T1 12:30. By hand: X is the only number in contact with both targets (3 calls).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from network_returns import ASH_RETURNS, X, ingest_returns
from threadline.model.access import Membership, Role
from threadline.services import access, cases
from threadline.services.workspace import Workspace

from .conftest import MakeApp, add_user, api_headers, sign_in


@pytest.fixture
def ash_case(workspace: Workspace, tmp_path: Path) -> Workspace:
    cases.create_case(workspace, "OP-ASH", "Operation Ash")
    ingest_returns(workspace, "OP-ASH", ASH_RETURNS, tmp_path)
    add_user(workspace, "ann", Role.ANALYST)
    add_user(workspace, "rex", Role.RESEARCHER)
    access.set_member(workspace, "OP-ASH", "ann", Membership.OWNER)
    access.set_member(workspace, "OP-ASH", "rex", Membership.MEMBER)
    return workspace


def test_an_analyst_runs_an_analysis_and_reads_its_findings(
    ash_case: Workspace, make_app: MakeApp
) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    listing = client.get(f"/cases/{case_id}/analyses").text
    assert 'id="analysis-common_contacts"' in listing
    assert f'action="/cases/{case_id}/analyses/common_contacts"' in listing

    ran = client.post(
        f"/cases/{case_id}/analyses/common_contacts",
        data={"csrf_token": token, "k": "2", "targets": ""},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    html = client.get(ran.headers["location"]).text
    assert 'id="findings-total">1 finding(s)' in html
    assert f"{X} was in contact with 2 of the 2 target numbers" in html
    finding_link = rf'href="(/cases/{case_id}/findings/[0-9a-f]{{32}}\?run=[0-9a-f]{{32}})">3 rows'
    cited = re.search(finding_link, html)
    assert cited is not None
    finding = client.get(cited.group(1).replace("&amp;", "&")).text
    assert 'id="cited-listed">3 row(s), listed by the analysis.' in finding
    rows = re.findall(rf"/cases/{case_id}/records/([0-9a-f]{{32}})", finding)
    assert len(rows) == 3
    # the three calls with X (in row id order): JB/1's two and JB/2's first
    assert sorted(re.findall(r"<td>(JB/\d)</td>", finding)) == ["JB/1", "JB/1", "JB/2"]
    record = client.get(f"/cases/{case_id}/records/{rows[0]}")
    assert record.status_code == 200

    again = client.post(
        f"/api/cases/{case_id}/analyses/call_chains",
        json={"parameters": {"min_occasions": 1, "window_minutes": 60}},
        headers=api_headers(token),
    ).json()
    # T2 -> X at 12:00 was not preceded by contact into T2; T1 -> X 09:00 then X -> T1 10:00 is
    # a call back (C = A), so no chain: nothing found
    assert (again["method"], again["findings"]) == ("call_chains@1.1.0", [])
    found = client.get(f"/api/cases/{case_id}/findings", params={"subject": X}).json()
    assert [f["subjects"] for f in found] == [[X, "+447700900001", "+447700900002"]]


def test_a_community_names_its_rows_by_its_links_and_its_page_lists_them(
    ash_case: Workspace, make_app: MakeApp
) -> None:
    """T1, T2 and X all called each other: one community of three whose links rest on all
    four calls (JB/1's two, JB/2's two); the finding names them by its links and its page
    resolves them, a page of two at a time through the API."""
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    ran = client.post(
        f"/api/cases/{case_id}/analyses/communities", json={}, headers=api_headers(token)
    ).json()
    (finding,) = ran["findings"]
    assert finding["derived_from"] == []
    assert finding["rows_cited"] == 4
    assert finding["derived_links"]["rows"] == 4
    assert finding["derived_links"]["nodes"] == [
        "number:+447700900001",
        "number:+447700900002",
        f"number:{X}",
    ]
    listing = client.get(f"/cases/{case_id}/analyses/communities").text
    assert ">4 rows</a>" in listing
    page = client.get(
        f"/cases/{case_id}/findings/{finding['finding_id']}", params={"run": ran["run_id"]}
    ).text
    assert 'id="cited-by-links"' in page
    assert "between two of its 3 nodes" in page
    assert "When it ran they were 4 rows; they are 4 now." in page
    assert 'id="cited-changed"' not in page
    assert sorted(re.findall(r"<td>(JB/\d)</td>", page)) == ["JB/1", "JB/1", "JB/2", "JB/2"]
    url = f"/api/cases/{case_id}/findings/{finding['finding_id']}/rows"
    first = client.get(url, params={"limit": 2}).json()
    second = client.get(url, params={"limit": 2, "offset": 2}).json()
    assert (first["total"], first["changed"], len(first["rows"])) == (4, False, 2)
    ids = [r["row_id"] for r in first["rows"] + second["rows"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert client.get(url, params={"limit": 0}).status_code == 422
    assert client.get(url, params={"offset": 2**70}).status_code == 422
    assert client.get(f"/cases/{case_id}/findings/{'0' * 32}").status_code == 404


def test_a_researcher_reads_findings_but_may_not_run_analyses(
    ash_case: Workspace, make_app: MakeApp
) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "rex")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    listing = client.get(f"/cases/{case_id}/analyses")
    assert listing.status_code == 200
    assert "<form" not in listing.text.split('id="analyses"')[1]
    refused = client.post(
        f"/cases/{case_id}/analyses/common_contacts",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    api = client.post(
        f"/api/cases/{case_id}/analyses/common_contacts", json={}, headers=api_headers(token)
    )
    assert api.status_code == 403
    assert client.get(f"/cases/{case_id}/analyses/common_contacts").status_code == 200


def test_bad_parameters_are_shown_not_crashed(ash_case: Workspace, make_app: MakeApp) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    response = client.post(
        f"/api/cases/{case_id}/analyses/common_contacts",
        json={"parameters": {"k": 0}},
        headers=api_headers(token),
    )
    assert response.status_code == 422  # a ConfigError, as everywhere in the API
    assert "k: Input should be greater than or equal to 1" in response.text


def test_judgements_from_a_finding_listed_and_reversed(
    ash_case: Workspace, make_app: MakeApp
) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    client.post(
        f"/cases/{case_id}/analyses/common_contacts",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    page_html = client.get(f"/cases/{case_id}/analyses/common_contacts").text
    assert f'name="first" value="{X}"' in page_html  # the finding's form names its subjects
    judged = client.post(
        f"/cases/{case_id}/judgements",
        data={
            "csrf_token": token,
            "first": X,
            "second": "+447700900001",
            "verdict": "not_same",
            "reason": "different voices on the calls",
            "back": f"/cases/{case_id}/analyses/common_contacts",
        },
        follow_redirects=False,
    )
    assert judged.status_code == 303
    assert judged.headers["location"] == f"/cases/{case_id}/analyses/common_contacts"
    listed = client.get(f"/api/cases/{case_id}/judgements").json()
    assert [(j["first"], j["second"], j["verdict"], j["made_by"]) for j in listed] == [
        ("number:+447700900001", f"number:{X}", "not_same", "ann")
    ]
    analyses_html = client.get(f"/cases/{case_id}/analyses").text
    assert "different voices on the calls" in analyses_html
    assert "in force" in analyses_html
    reversed_ = client.post(
        f"/cases/{case_id}/judgements/{listed[0]['judgement_id']}/reverse",
        data={"csrf_token": token, "reason": "recorded on the wrong finding"},
        follow_redirects=False,
    )
    assert reversed_.status_code == 303
    assert client.get(f"/api/cases/{case_id}/judgements").json() == []
    everything = client.get(
        f"/api/cases/{case_id}/judgements", params={"include_reversed": True}
    ).json()
    assert everything[0]["reversal_reason"] == "recorded on the wrong finding"
    made = client.post(
        f"/api/cases/{case_id}/judgements",
        json={"first": "07700900001", "second": "07700900002", "verdict": "same", "reason": "r"},
        headers=api_headers(token),
    )
    assert made.status_code == 201
    assert made.json()["first"] == "number:+447700900001"


def test_the_timeline_shows_the_findings_of_its_period(
    ash_case: Workspace, make_app: MakeApp
) -> None:
    """X's common-contact finding spans 1 June 2026 09:00-12:00 UTC: shown on the timeline of
    1 June, and of X, not on the timeline of 2 June onwards."""
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    case_id = cases.show_case(ash_case, "OP-ASH").id
    client.post(
        f"/cases/{case_id}/analyses/common_contacts",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    day = client.get(
        f"/cases/{case_id}/timeline", params={"from": "2026-06-01", "to": "2026-06-01"}
    ).text
    assert 'id="timeline-findings"' in day
    assert f"{X} was in contact with 2 of the 2 target numbers" in day
    later = client.get(f"/cases/{case_id}/timeline", params={"from": "2026-06-02"}).text
    assert 'id="timeline-findings"' not in later
    api = client.get(f"/api/cases/{case_id}/timeline", params={"from": "2026-06-01"}).json()
    assert [f["kind"] for f in api["findings"]] == ["common_contact"]
