"""The permission matrix, through the API and the pages, on SQLite and PostgreSQL (requirement 64).

Every role × membership (owner, member, not a member, and cases that do not exist) × action is
sent to the application and its answer compared with a table written out here by hand from the
one in ``threadline/model/access.py``'s docstring. The table is data, not a call to ``decide``,
so a change of policy that nobody meant shows up here as a failure.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from threadline.model.access import Role
from threadline.services import access, exhibits
from threadline.services.workspace import Workspace

from .conftest import (
    NETWORK_A,
    PASSWORD,
    MakeApp,
    NewClient,
    add_user,
    api_headers,
    error_of,
    open_case,
    register,
    sign_in,
)

#: What a non-member is told, whether or not the case exists (it must not say which).
NOT_A_MEMBER = "you are not a member of this case, or there is no such case"

# --- The expected policy, copied by hand from the table in model/access.py ------------------
# "view" = see the case; "evidence" = read evidence, issues and findings; "write" = add
# exhibits, run ingest, run analyses; "members" = manage the case's members; "create" = create
# a case; "users" = manage users; "audit" = view and export the audit log.

#: Case actions for a MEMBER (not an owner) of the case.
AS_MEMBER: dict[str, set[str]] = {
    "administrator": {"view"},
    "supervisor": {"view", "evidence", "write", "members"},
    "investigator": {"view", "evidence", "write"},
    "analyst": {"view", "evidence", "write"},
    "researcher": {"view", "evidence"},
    "partner_reader": {"view"},
}
#: Case actions for an OWNER: "a case's owner manages its membership whatever their role,
#: except a partner reader, who can never own a case" (so partner readers are absent).
AS_OWNER: dict[str, set[str]] = {
    "administrator": {"view", "members"},
    "supervisor": {"view", "evidence", "write", "members"},
    "investigator": {"view", "evidence", "write", "members"},
    "analyst": {"view", "evidence", "write", "members"},
    "researcher": {"view", "evidence", "members"},
}
#: Actions that concern no case.
ANYWHERE: dict[str, set[str]] = {
    "administrator": {"create", "users", "audit"},
    "supervisor": {"create"},
    "investigator": {"create"},
    "analyst": {"create"},
    "researcher": set(),
    "partner_reader": set(),
}
ROLES = list(ANYWHERE)

#: Well-formed and malformed ids of cases that do not exist.
MADE_UP_CASES = ("0" * 32, "no-such-case")


def test_the_table_covers_every_role() -> None:
    assert set(ROLES) == {role.value for role in Role}
    assert set(AS_MEMBER) == set(ROLES)
    assert set(AS_OWNER) == set(ROLES) - {"partner_reader"}


# --- Requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One API request: the permission it needs and the status it gets when allowed."""

    needs: str
    method: str
    path: str  # {case} and {exhibit} are filled in
    ok: int
    body: str | None = None  # which body to send (see _send)
    starts_a_process: bool = False  # only sent where it must be refused


CASE_CALLS = (
    Call("view", "GET", "/api/cases/{case}", 200),
    Call("evidence", "GET", "/api/cases/{case}/exhibits", 200),
    Call("evidence", "GET", "/api/cases/{case}/ingest", 200),
    Call("evidence", "GET", "/api/cases/{case}/issues", 200),
    Call("evidence", "GET", "/api/cases/{case}/issues?exhibit_id={exhibit}", 200),
    Call("members", "GET", "/api/cases/{case}/members", 200),
    Call("members", "POST", "/api/cases/{case}/members", 200, body="member"),
    Call("evidence", "GET", "/api/cases/{case}/analyses", 200),
    Call("evidence", "GET", "/api/cases/{case}/findings", 200),
    Call("write", "POST", "/api/cases/{case}/analyses/contact_profile", 200, body="analysis"),
    Call("evidence", "GET", "/api/cases/{case}/judgements", 200),
    Call("write", "POST", "/api/cases/{case}/judgements", 201, body="judgement"),
    Call("write", "POST", "/api/cases/{case}/uploads", 201, body="upload"),
    Call("write", "POST", "/api/cases/{case}/exhibits", 201, body="exhibit"),
    Call(
        "write",
        "POST",
        "/api/cases/{case}/exhibits/{exhibit}/ingest",
        202,
        starts_a_process=True,
    ),
)

ROLE_CALLS = (
    Call("create", "POST", "/api/cases", 201, body="case"),
    Call("users", "GET", "/api/users", 200),
    Call("users", "POST", "/api/users", 201, body="user"),
    Call("audit", "GET", "/api/audit", 200),
    Call("audit", "GET", "/api/audit/verify", 200),
)

CASE_PAGES = (
    ("view", "/cases/{case}"),
    ("members", "/cases/{case}/members"),
    ("write", "/cases/{case}/exhibits/new"),
    ("evidence", "/cases/{case}/exhibits/{exhibit}"),
    ("evidence", "/cases/{case}/analyses"),
    ("evidence", "/cases/{case}/analyses/common_contacts"),
)
ROLE_PAGES = (("users", "/admin/users"), ("audit", "/admin/audit"))


@dataclass
class Setting:
    """A signed-in user of one role and the cases they stand in each relation to."""

    ws: Workspace
    client: TestClient
    csrf: str
    role: str
    # label -> (case id, an exhibit id, what the user may do there, or None: not a member)
    cases: dict[str, tuple[str, str, set[str] | None]]
    counter: int = 0

    def next(self) -> int:
        self.counter += 1
        return self.counter


def _setting(
    ws: Workspace, make_app: MakeApp, new_client: NewClient, tmp_path: Path, role: str
) -> Setting:
    """The user ``tester`` with ``role``: owner of OP-OWN (unless a partner reader), member of
    OP-MEM, not a member of OP-NONE; ``colleague`` owns the other two. Each case has one
    exhibit, JB/1. Server paths may be registered from ``<tmp>/import``."""
    add_user(ws, "colleague", Role.INVESTIGATOR)
    add_user(ws, "tester", Role(role))
    import_folder = tmp_path / "import"
    import_folder.mkdir()
    shutil.copy(NETWORK_A, import_folder / "cdr.csv")
    found: dict[str, tuple[str, str, set[str] | None]] = {}
    layout: list[tuple[str, tuple[str, ...], tuple[str, ...], set[str] | None]] = [
        ("OP-MEM", ("colleague",), ("tester",), AS_MEMBER[role]),
        ("OP-NONE", ("colleague",), (), None),
    ]
    if role in AS_OWNER:
        layout.insert(0, ("OP-OWN", ("tester",), (), AS_OWNER[role]))
    for reference, owners, members, may in layout:
        case = open_case(ws, reference, owners=owners, members=members)
        found[reference] = (case.id, register(ws, reference).id, may)
    for made_up in MADE_UP_CASES:
        found[f"made-up {made_up}"] = (made_up, "1" * 32, None)
    client = new_client(make_app(import_folder=import_folder))
    csrf = sign_in(client, "tester")
    return Setting(ws, client, csrf, role, found)


def _send(setting: Setting, call: Call, case_id: str = "", exhibit_id: str = "") -> Any:
    path = call.path.format(case=case_id, exhibit=exhibit_id)
    headers = api_headers(setting.csrf)
    n = setting.next()
    if call.body is None:
        return setting.client.request(call.method, path, headers=headers)
    if call.body == "upload":
        headers["X-File-Name"] = "return.csv"
        return setting.client.post(path, content=NETWORK_A.read_bytes(), headers=headers)
    payloads: dict[str, dict[str, Any]] = {
        # the colleague is the case's only owner: confirming that changes nothing, whereas
        # demoting them would be refused for leaving the case without an owner
        "member": {"username": "colleague", "membership": "owner"},
        "exhibit": {
            "reference": f"SP/{n}",
            "producer": "DC Jo Bloggs",
            "description": "Network A return, from the import folder",
            "server_path": "cdr.csv",
        },
        "case": {"reference": f"OP-NEW-{n}", "name": "Operation New"},
        "analysis": {"parameters": {"numbers": ["07700900123"]}},
        "judgement": {
            "first": "07700900123",
            "second": "07700900456",
            "verdict": "unsure",
            "reason": "one user or two",
        },
        "user": {
            "username": f"newcomer{n}",
            "display_name": "New Comer",
            "role": "analyst",
            "password": PASSWORD,
        },
    }
    return setting.client.request(call.method, path, headers=headers, json=payloads[call.body])


def _staged(ws: Workspace) -> set[str]:
    folder = ws.settings.home / "uploads"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


# --- The API matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_case_actions(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, tmp_path: Path, role: str
) -> None:
    setting = _setting(workspace, make_app, new_client, tmp_path, role)
    wrong: list[tuple[str, str, str, int, int]] = []
    refusals: dict[str, dict[str, Any]] = {}
    for label, (case_id, exhibit_id, may) in setting.cases.items():
        for call in CASE_CALLS:
            allowed = may is not None and call.needs in may
            if call.starts_a_process and allowed:
                continue  # test_ingest_started_from_the_api starts one, and waits for it
            staged_before = _staged(workspace)
            response = _send(setting, call, case_id, exhibit_id)
            expected = call.ok if allowed else 403
            if response.status_code != expected:
                wrong.append((label, call.method, call.path, response.status_code, expected))
                continue
            if allowed:
                if call.path == "/api/cases/{case}":
                    # what the page offers agrees with what the dependency decides
                    granted = may or set()
                    assert response.json()["may"] == {
                        "case_view": "view" in granted,
                        "evidence_read": "evidence" in granted,
                        "exhibit_write": "write" in granted,
                        "analysis_run": "write" in granted,
                        "members_manage": "members" in granted,
                    }
                continue
            error = error_of(response)
            assert error["type"] == "PermissionDenied", (label, call.path, error)
            if may is None:
                assert error["message"] == NOT_A_MEMBER, (label, call.path, error)
                refusals[f"{label} {call.method} {call.path}"] = error
            else:
                # a member is told why: their role, which is no secret to them
                assert error["message"] != NOT_A_MEMBER
            if call.body == "upload":
                assert _staged(workspace) == staged_before, "a refused upload left a file"
    assert wrong == []
    # a non-member learns nothing from the refusal: the same answer for a real case and for
    # ids no case has
    assert len({str(error) for error in refusals.values()}) == 1
    # refused registrations registered nothing; allowed ones one exhibit each
    for reference in ("OP-OWN", "OP-MEM", "OP-NONE"):
        if reference not in setting.cases:
            continue
        may = setting.cases[reference][2]
        expected_count = 2 if may is not None and "write" in may else 1
        assert len(exhibits.list_exhibits(workspace, reference)) == expected_count


@pytest.mark.parametrize("role", ROLES)
def test_api_actions_outside_cases(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, tmp_path: Path, role: str
) -> None:
    setting = _setting(workspace, make_app, new_client, tmp_path, role)
    may = ANYWHERE[role]
    wrong = []
    for call in ROLE_CALLS:
        response = _send(setting, call)
        expected = call.ok if call.needs in may else 403
        if response.status_code != expected:
            wrong.append((call.method, call.path, response.status_code, expected))
        elif expected == 403:
            assert error_of(response)["type"] == "PermissionDenied"
    assert wrong == []
    # the user's case list: the cases they belong to, and the one they opened (as its owner)
    listed = {c["reference"] for c in setting.client.get("/api/cases").json()}
    expected_cases = {"OP-MEM"} | ({"OP-OWN"} if role in AS_OWNER else set())
    if "create" in may:
        expected_cases.add("OP-NEW-1")
    assert listed == expected_cases
    if "create" in may:
        members = access.list_members(workspace, "OP-NEW-1")
        assert [(m.username, m.membership) for m in members] == [("tester", "owner")]


# --- Pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_pages(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, tmp_path: Path, role: str
) -> None:
    setting = _setting(workspace, make_app, new_client, tmp_path, role)
    wrong = []
    checks: list[tuple[str, str, bool, bool]] = []  # (label, path, allowed, a non-member)
    for label, (case_id, exhibit_id, may) in setting.cases.items():
        for needs, path in CASE_PAGES:
            allowed = may is not None and needs in may
            checks.append(
                (label, path.format(case=case_id, exhibit=exhibit_id), allowed, may is None)
            )
    for needs, path in ROLE_PAGES:
        checks.append(("-", path, needs in ANYWHERE[role], False))
    for label, path, allowed, outsider in checks:
        response = setting.client.get(path, follow_redirects=False)
        expected = 200 if allowed else 403
        if response.status_code != expected:
            wrong.append((label, path, response.status_code, expected))
            continue
        assert response.headers["content-type"].startswith("text/html")
        if not allowed:
            assert "<h1>Not allowed</h1>" in response.text, path
            if outsider:
                assert NOT_A_MEMBER in response.text, path
    assert wrong == []


# --- What each user sees -----------------------------------------------------------------


def test_users_see_only_their_own_cases(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    add_user(workspace, "sam", Role.ANALYST)
    open_case(workspace, "OP-ASH", name="Operation Ashgrove", owners=("jo",))
    open_case(workspace, "OP-BIRCH", name="Operation Birchwood", owners=("sam",))
    open_case(workspace, "OP-CEDAR", name="Operation Cedarwood", owners=("jo",), members=("sam",))
    open_case(workspace, "OP-DAMSON", name="Operation Damsonfield")  # nobody's
    seen = {}
    for username in ("jo", "sam"):
        client = new_client()
        sign_in(client, username)
        listed = client.get("/api/cases").json()
        seen[username] = [c["reference"] for c in listed]
        page = client.get("/").text
        seen[f"{username} page"] = [
            name
            for name in ("Ashgrove", "Birchwood", "Cedarwood", "Damsonfield")
            if f"Operation {name}" in page
        ]
    assert seen == {
        "jo": ["OP-ASH", "OP-CEDAR"],
        "jo page": ["Ashgrove", "Cedarwood"],
        "sam": ["OP-BIRCH", "OP-CEDAR"],
        "sam page": ["Birchwood", "Cedarwood"],
    }


# --- One real ingest, started from the API -----------------------------------------------


def test_ingest_started_from_the_api(
    workspace: Workspace, app: FastAPI, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    case = open_case(workspace, "OP-ASH", owners=("jo",))
    with TestClient(app) as client:
        csrf = sign_in(client, "jo")
        upload = client.post(
            f"/api/cases/{case.id}/uploads",
            content=NETWORK_A.read_bytes(),
            headers={**api_headers(csrf), "X-File-Name": "network-a.csv"},
        )
        assert upload.status_code == 201, upload.text
        staged = upload.json()
        assert staged["size_bytes"] == NETWORK_A.stat().st_size
        exhibit = client.post(
            f"/api/cases/{case.id}/exhibits",
            json={
                "reference": "JB/1",
                "producer": "DC Jo Bloggs",
                "description": "Network A return for 07700 900123",
                "upload_id": staged["upload_id"],
                # the return's authorisation (requirement 37); every record falls inside it
                "provider": "Network A",
                "target_number": "07700 900123",
                "authorisation": "OCDA-2026-000123",
                "authoriser": "OCDA",
                "authorised_from": "2026-05-01",
                "authorised_to": "2026-06-30",
                "data_type": "events",
            },
            headers=api_headers(csrf),
        )
        assert exhibit.status_code == 201, exhibit.text
        exhibit_id = exhibit.json()["id"]
        assert exhibit.json()["sha256"] == staged["sha256"]
        started = client.post(
            f"/api/cases/{case.id}/exhibits/{exhibit_id}/ingest", headers=api_headers(csrf)
        )
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 60
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            progress = client.get(f"/api/cases/{case.id}/ingest")
            assert progress.status_code == 200
            (state,) = progress.json()["exhibits"]
            if state["status"] not in ("not ingested", "starting", "running"):
                break
            time.sleep(0.2)
        assert state["status"] == "complete", state
        # network-a.csv: 8 records, one of them a source row each (fixture README)
        assert state["rows_done"] == 8
        issues = client.get(f"/api/cases/{case.id}/issues").json()
        # the padded IMEI 352099001761480 on rows 2–7: one issue counted 6 times, from row 2
        assert [(i["code"], i["count"]) for i in issues] == [("imei.padded", 6)]
