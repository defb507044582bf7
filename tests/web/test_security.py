"""Web security, on SQLite and PostgreSQL: CSRF on every state-changing route, session fixation
and sign-out, lock-out, disabled users, path traversal in uploads and registered paths,
oversized bodies, markup in names rendered inert, security headers and cookie flags.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from threadline.model.access import Role
from threadline.services import audit, cases, exhibits, users
from threadline.services.workspace import Workspace
from threadline.store.tables import UserRow, WebSessionRow
from threadline.web.security import FORM_LIMIT

from .conftest import (
    NETWORK_A,
    PASSWORD,
    MakeApp,
    NewClient,
    add_user,
    api_headers,
    error_of,
    form_token,
    meta_token,
    open_case,
    register,
    sign_in,
)

SESSION = "threadline_session"
CSRF = "threadline_csrf"
#: What every refused sign-in says (unknown user, wrong password, locked, disabled).
REFUSED = "the username or password is wrong, or the account is locked"
CSRF_MESSAGE = "did not come from this application"
#: Where the test client files the cookies of http://testserver.
COOKIE_DOMAIN = "testserver.local"


def _sign_in_attempt(client: TestClient, username: str, password: str) -> Any:
    """One POST of the sign-in form, with the browser's double-submit token."""
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": form_token(page.text)},
        follow_redirects=False,
    )


def _me(client: TestClient) -> int:
    return client.get("/api/me").status_code


def _browser_with(new_client: NewClient, token: str) -> TestClient:
    """Another browser carrying a given session cookie."""
    other = new_client()
    other.cookies.set(SESSION, token, domain=COOKIE_DOMAIN)
    return other


# --- CSRF --------------------------------------------------------------------------------

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the application that can change something, routers included."""
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = getattr(route.original_route, "methods", None) or set()
        for method in methods & STATE_CHANGING:
            found.add((method, route.path or ""))
    return sorted(found)


@pytest.fixture
def csrf_world(workspace: Workspace, fast_hashing: None) -> dict[str, str]:
    """A supervisor owning a case with an exhibit, and a partner reader who is a member."""
    add_user(workspace, "sio", Role.SUPERVISOR)
    add_user(workspace, "partner", Role.PARTNER_READER)
    case = open_case(workspace, "OP-ASH", owners=("sio",), members=("partner",))
    exhibit = register(workspace, "OP-ASH")
    return {"case_id": case.id, "exhibit_id": exhibit.id}


def _fill(path: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values.get(m.group(1), "x"), path)


def _is_csrf_refusal(response: Any, path: str) -> bool:
    if response.status_code != 403:
        return False
    if path.startswith("/api/"):
        return bool(error_of(response)["type"] == "CsrfRefused")
    return CSRF_MESSAGE in response.text


def _audit_count(ws: Workspace) -> int:
    return audit.verify(ws).entries


def test_every_state_changing_route_needs_the_csrf_token(
    workspace: Workspace, app: FastAPI, new_client: NewClient, csrf_world: dict[str, str]
) -> None:
    routes = _state_changing_routes(app)
    # the enumeration found the routes it must (so the test below is not vacuous)
    assert {
        ("POST", "/sign-in"),
        ("POST", "/sign-out"),
        ("POST", "/cases"),
        ("POST", "/cases/{case_id}/members"),
        ("POST", "/cases/{case_id}/members/remove"),
        ("POST", "/cases/{case_id}/exhibits/{exhibit_id}/ingest"),
        ("POST", "/admin/users"),
        ("POST", "/admin/users/disable"),
        ("POST", "/admin/audit/export"),
        ("POST", "/api/cases"),
        ("POST", "/api/cases/{case_id}/members"),
        ("POST", "/api/cases/{case_id}/uploads"),
        ("POST", "/api/cases/{case_id}/exhibits"),
        ("POST", "/api/cases/{case_id}/exhibits/{exhibit_id}/ingest"),
        ("POST", "/api/users"),
    } <= set(routes)

    signed_in = new_client()
    sign_in(signed_in, "sio")
    other = new_client()
    other_csrf = sign_in(other, "partner")  # a real token, but another session's
    signed_out = new_client()
    signed_out.get("/sign-in")  # holds a pre-sign-in CSRF cookie
    cookie_token = signed_out.cookies.get(CSRF)
    assert cookie_token
    bare = new_client()  # no cookies at all

    body = {"username": "sio", "password": PASSWORD, "reference": "OP-NEW", "name": "New"}
    attempts: list[tuple[str, TestClient, dict[str, str], dict[str, str]]] = [
        ("signed in, no token", signed_in, {}, body),
        ("signed in, wrong header", signed_in, {"X-CSRF-Token": "wrong"}, body),
        ("signed in, wrong field", signed_in, {}, {**body, "csrf_token": "wrong"}),
        ("signed in, other session's token", signed_in, api_headers(other_csrf), body),
        ("signed in, pre-sign-in token", signed_in, api_headers(cookie_token), body),
        ("signed out, no token", signed_out, {}, body),
        ("signed out, wrong header", signed_out, {"X-CSRF-Token": "wrong"}, body),
        ("signed out, wrong field", signed_out, {}, {**body, "csrf_token": "wrong"}),
        ("no cookie, no token", bare, {}, body),
        ("no cookie, a token", bare, api_headers(cookie_token), body),
        ("no cookie, a field", bare, {}, {**body, "csrf_token": cookie_token}),
    ]
    before = _audit_count(workspace)
    cases_before = len(cases.list_cases(workspace))
    not_refused = []
    for method, template in routes:
        path = _fill(template, csrf_world)
        for label, client, headers, data in attempts:
            response = client.request(
                method, path, headers=headers, data=data, follow_redirects=False
            )
            if not _is_csrf_refusal(response, path):
                not_refused.append((method, template, label, response.status_code))
    assert not_refused == []
    # nothing happened: no audit entry, no case, and the session was not signed out
    assert _audit_count(workspace) == before
    assert len(cases.list_cases(workspace)) == cases_before
    assert _me(signed_in) == 200

    # with its own token the same requests pass the CSRF check (the partner reader is then
    # refused by policy or by validation, so nothing changes); sign-out is tested below
    passed_check = []
    for method, template in routes:
        if template == "/sign-out":
            continue
        path = _fill(template, csrf_world)
        response = other.request(
            method, path, headers=api_headers(other_csrf), data={}, follow_redirects=False
        )
        passed_check.append(not _is_csrf_refusal(response, path))
    assert all(passed_check)


def test_sign_in_form_needs_its_double_submit_token(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    form = {"username": "jo", "password": PASSWORD}

    browser = new_client()
    page = browser.get("/sign-in")
    token = form_token(page.text)
    # the hidden field and the cookie carry the same random token
    assert browser.cookies.get(CSRF) == token
    assert meta_token(page.text) == token
    assert len(token) >= 32

    no_cookie = new_client()  # e.g. a form posted from another site
    refused = no_cookie.post("/sign-in", data={**form, "csrf_token": token})
    assert refused.status_code == 403
    assert CSRF_MESSAGE in refused.text
    for data in (form, {**form, "csrf_token": ""}, {**form, "csrf_token": token[:-1] + "x"}):
        response = browser.post("/sign-in", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert SESSION not in response.cookies
    assert (
        browser.post(
            "/sign-in", data={**form, "csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    assert _me(browser) == 200


# --- Sessions ----------------------------------------------------------------------------


def _session_rows(ws: Workspace) -> list[WebSessionRow]:
    with ws.session() as session:
        rows = list(session.execute(select(WebSessionRow)).scalars())
        session.expunge_all()
        return rows


def test_a_planted_session_cookie_is_replaced_at_sign_in(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    browser = new_client()
    browser.cookies.set(SESSION, "chosen-by-an-attacker", domain=COOKIE_DOMAIN)
    sign_in(browser, "jo")
    token = browser.cookies.get(SESSION)
    assert token
    assert token != "chosen-by-an-attacker"
    assert _me(_browser_with(new_client, "chosen-by-an-attacker")) == 401
    # the cookie holds a random token; the store keeps only its SHA-256
    (row,) = _session_rows(workspace)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.csrf_token, row.user_id}


def test_an_attackers_live_session_planted_in_a_browser_dies_at_sign_in(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    add_user(workspace, "mallory", Role.ANALYST)
    attacker = new_client()
    sign_in(attacker, "mallory")
    planted = attacker.cookies.get(SESSION)
    assert planted
    victim = _browser_with(new_client, planted)
    # the victim's browser, carrying the attacker's session, signs in as the victim
    csrf = meta_token(victim.get("/").text)
    response = victim.post(
        "/sign-in",
        data={"username": "jo", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    fresh = victim.cookies.get(SESSION)
    assert fresh
    assert fresh != planted
    assert victim.get("/api/me").json()["username"] == "jo"
    # the planted token neither follows the victim nor still works for the attacker
    assert _me(attacker) == 401
    assert _me(_browser_with(new_client, planted)) == 401
    assert len(_session_rows(workspace)) == 1


def test_sign_out_ends_the_session_on_the_server(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    browser = new_client()
    csrf = sign_in(browser, "jo")
    token = browser.cookies.get(SESSION)
    assert token
    copy = _browser_with(new_client, token)  # a copy of the cookie kept elsewhere
    assert _me(copy) == 200
    response = browser.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert _me(copy) == 401
    assert _session_rows(workspace) == []
    # pages send a browser without a session to the sign-in form
    after = copy.get("/", follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, "/sign-in")


def test_an_idle_session_ends_after_an_hour(
    workspace: Workspace, new_client: NewClient, fast_hashing: None, clock: Any
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    browser = new_client()
    sign_in(browser, "jo")
    clock.now += timedelta(minutes=59)
    assert _me(browser) == 200  # used again: the hour starts over
    clock.now += timedelta(minutes=59)
    assert _me(browser) == 200
    clock.now += timedelta(minutes=61)
    assert _me(browser) == 401


# --- Lock-out, disabled users, one message for every refusal -------------------------------


def _locked_until(ws: Workspace, username: str) -> datetime | None:
    with ws.session() as session:
        row = users.find_user(session, username)
        until = row.locked_until
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    workspace: Workspace, new_client: NewClient, fast_hashing: None, clock: Any
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    browser = new_client()
    for attempt in range(5):
        assert _locked_until(workspace, "jo") is None, attempt
        response = _sign_in_attempt(browser, "jo", f"wrong-password-{attempt}")
        assert response.status_code == 401
        assert REFUSED in response.text
    fifth_failure = clock.now  # the refused sign-in read the clock once
    # the lock lasts 15 minutes from the fifth failure
    assert _locked_until(workspace, "jo") == fifth_failure + timedelta(minutes=15)
    until = fifth_failure + timedelta(minutes=15)
    # locked: the right password fails, with the same message
    response = _sign_in_attempt(browser, "jo", PASSWORD)
    assert (response.status_code, REFUSED in response.text) == (401, True)
    clock.now = until - timedelta(seconds=10)
    assert _sign_in_attempt(browser, "jo", PASSWORD).status_code == 401
    clock.now = until
    assert _sign_in_attempt(browser, "jo", PASSWORD).status_code == 303
    assert _me(browser) == 200


def test_every_refused_sign_in_looks_the_same(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    add_user(workspace, "gone", Role.INVESTIGATOR)
    add_user(workspace, "locked", Role.INVESTIGATOR)
    users.set_disabled(workspace, "gone", True)
    browser = new_client()
    for _ in range(5):
        _sign_in_attempt(browser, "locked", "not-the-password")
    answers = {
        "unknown user": _sign_in_attempt(browser, "nobody", PASSWORD),
        "wrong password": _sign_in_attempt(browser, "jo", "not-the-password"),
        "disabled": _sign_in_attempt(browser, "gone", PASSWORD),
        "locked": _sign_in_attempt(browser, "locked", PASSWORD),
    }
    assert {label: r.status_code for label, r in answers.items()} == dict.fromkeys(answers, 401)
    # the same browser, so the same form token: the pages are identical byte for byte
    assert len({r.text for r in answers.values()}) == 1
    assert REFUSED in answers["unknown user"].text


def test_disabling_a_user_ends_their_sessions_at_once(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "admin", Role.ADMINISTRATOR)
    add_user(workspace, "jo", Role.INVESTIGATOR)
    jo = new_client()
    sign_in(jo, "jo")
    admin = new_client()
    admin_csrf = sign_in(admin, "admin")
    assert _me(jo) == 200
    response = admin.post(
        "/admin/users/disable",
        data={"username": "jo", "disabled": "true", "csrf_token": admin_csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _me(jo) == 401
    assert jo.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    with workspace.session() as session:
        live = session.execute(
            select(func.count())
            .select_from(WebSessionRow)
            .where(WebSessionRow.user_id == users.user_id_for("jo"))
        ).scalar_one()
        assert live == 0
        jo_row = session.execute(select(UserRow).where(UserRow.username == "jo")).scalar_one()
        assert jo_row.disabled
    refused = _sign_in_attempt(new_client(), "jo", PASSWORD)
    assert (refused.status_code, REFUSED in refused.text) == (401, True)
    assert _me(admin) == 200


# --- Path traversal ----------------------------------------------------------------------

#: Hostile upload names and the name each must be stored under (its last component, with
#: control characters removed), worked out by hand.
HOSTILE_NAMES = [
    ("../../x", "x"),
    ("..\\..\\x", "x"),
    ("/etc/passwd", "passwd"),
    ("%2e%2e%2fx", "x"),
    ("%2e%2e%5cx", "x"),
    ("..%2f..%2f..%2fetc%2fcron.d%2fx", "x"),
    ("a\x00b.csv", "ab.csv"),
    ("a%00b.csv", "ab.csv"),
    ("%0d%0ax.csv", "x.csv"),
    ("report\x1b[31m.csv", "report[31m.csv"),
    ("C:\\Windows\\system.ini", "system.ini"),
]
#: Names with nothing usable left: refused.
UNUSABLE_NAMES = [
    "..",
    "%2e%2e",
    "../",
    "..\\..",
    "/",
    "",
    "\x00",
    "%00",
    ".",
    "x" * 201,
    "%E2%82%AC" * 70,  # 70 characters, but 210 bytes: too long a name for a file system
]


def _files_outside_staging(root: Path, home: Path) -> set[Path]:
    staging = home / "uploads"
    return {
        p
        for p in root.rglob("*")
        if p.is_file() and not p.is_relative_to(staging) and not p.name.startswith("case.db")
    }


@pytest.fixture
def owner(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> tuple[TestClient, str, str]:
    """An investigator signed in, owning OP-ASH: (client, CSRF token, case id)."""
    add_user(workspace, "jo", Role.INVESTIGATOR)
    case = open_case(workspace, "OP-ASH", owners=("jo",))
    client = new_client()
    return client, sign_in(client, "jo"), case.id


def test_upload_names_cannot_leave_the_staging_folder(
    workspace: Workspace, owner: Any, tmp_path: Path
) -> None:
    client, csrf, case_id = owner
    home = workspace.settings.home
    before = _files_outside_staging(tmp_path, home)
    stored = {}
    for raw, _expected in HOSTILE_NAMES:
        response = client.post(
            f"/api/cases/{case_id}/uploads",
            content=b"fictional,data\n",
            headers={**api_headers(csrf), "X-File-Name": raw},
        )
        assert response.status_code == 201, (raw, response.text)
        staged = response.json()
        path = home / "uploads" / staged["upload_id"] / staged["name"]
        assert path.read_bytes() == b"fictional,data\n", raw
        assert path.resolve().parent.parent == (home / "uploads").resolve()
        stored[raw] = staged["name"]
    assert stored == dict(HOSTILE_NAMES)
    staged_before = set((home / "uploads").iterdir())
    for raw in UNUSABLE_NAMES:
        response = client.post(
            f"/api/cases/{case_id}/uploads",
            content=b"fictional,data\n",
            headers={**api_headers(csrf), "X-File-Name": raw},
        )
        assert response.status_code == 422, (raw, response.text)
    assert set((home / "uploads").iterdir()) == staged_before
    assert _files_outside_staging(tmp_path, home) == before


def test_an_upload_id_cannot_name_another_folder(workspace: Workspace, owner: Any) -> None:
    client, csrf, case_id = owner
    for upload_id in ("../../exhibits", "..%2f..%2fexhibits", "../" * 8 + "etc", ".", "A" * 24):
        response = client.post(
            f"/api/cases/{case_id}/exhibits",
            json={
                "reference": "JB/1",
                "producer": "DC Jo Bloggs",
                "description": "A return",
                "upload_id": upload_id,
            },
            headers=api_headers(csrf),
        )
        assert response.status_code == 404, (upload_id, response.text)
    assert exhibits.list_exhibits(workspace, "OP-ASH") == []


def test_server_paths_must_stay_inside_the_import_folder(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, tmp_path: Path
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    case = open_case(workspace, "OP-ASH", owners=("jo",))
    folder = tmp_path / "import"
    (folder / "sub").mkdir(parents=True)
    (folder / "cdr.csv").write_bytes(NETWORK_A.read_bytes())
    outside = tmp_path / "outside.csv"
    outside.write_bytes(NETWORK_A.read_bytes())
    (folder / "link.csv").symlink_to(outside)
    (folder / "linkdir").symlink_to(tmp_path)
    (folder / "loop").symlink_to(folder / "loop")
    client = new_client(make_app(import_folder=folder))
    csrf = sign_in(client, "jo")

    def register_path(given: str, reference: str) -> Any:
        return client.post(
            f"/api/cases/{case.id}/exhibits",
            json={
                "reference": reference,
                "producer": "DC Jo Bloggs",
                "description": "A return on the server",
                "server_path": given,
            },
            headers=api_headers(csrf),
        )

    hostile = [
        "../outside.csv",
        "sub/../../outside.csv",
        str(outside),
        "/etc/passwd",
        "../no-such-file",  # refused as outside before anyone learns whether it exists
        "link.csv",
        "linkdir/outside.csv",
        "loop",  # a symbolic link to itself
        "loop/cdr.csv",
        "cdr\x00.csv",
        "x" * 300,  # longer than any file name may be
        ".",
        "",
        str(folder),
    ]
    answers = {}
    for n, given in enumerate(hostile):
        response = register_path(given, f"X/{n}")
        answers[given] = (response.status_code, error_of(response)["type"])
    assert answers == dict.fromkeys(hostile, (422, "HostileInput"))
    accepted = register_path("cdr.csv", "JB/1")
    assert accepted.status_code == 201, accepted.text
    missing = register_path("sub/missing.csv", "JB/2")
    assert (missing.status_code, error_of(missing)["type"]) == (404, "NotFound")
    assert [e.reference for e in exhibits.list_exhibits(workspace, "OP-ASH")] == ["JB/1"]

    # without an import folder, naming a server path is turned off altogether
    off = new_client(make_app())
    off_csrf = sign_in(off, "jo")
    response = off.post(
        f"/api/cases/{case.id}/exhibits",
        json={
            "reference": "JB/2",
            "producer": "DC Jo Bloggs",
            "description": "A return on the server",
            "server_path": str(folder / "cdr.csv"),
        },
        headers=api_headers(off_csrf),
    )
    assert (response.status_code, error_of(response)["type"]) == (422, "ConfigError")


# --- Oversized bodies --------------------------------------------------------------------


def _chunks(total: int, size: int = 300) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_oversized_uploads_are_refused_and_leave_nothing(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    case = open_case(workspace, "OP-ASH", owners=("jo",))
    client = new_client(make_app(max_upload_bytes=1000))
    csrf = sign_in(client, "jo")
    url = f"/api/cases/{case.id}/uploads"
    headers = {**api_headers(csrf), "X-File-Name": "big.csv"}
    staging = workspace.settings.home / "uploads"

    def staged() -> list[Path]:
        return sorted(staging.rglob("*")) if staging.exists() else []

    for body in (b"x" * 1001, _chunks(1200), _chunks(1001, 1001), _chunks(10_000, 4096)):
        response = client.post(url, content=body, headers=headers)
        assert response.status_code == 413, response.text
        assert staged() == []
    # exactly the limit is accepted, declared or streamed
    assert client.post(url, content=b"x" * 1000, headers=headers).status_code == 201
    assert client.post(url, content=_chunks(1000), headers=headers).status_code == 201
    assert sorted(p.stat().st_size for p in staged() if p.is_file()) == [1000, 1000]


def test_other_bodies_over_one_mebibyte_are_refused(
    workspace: Workspace, owner: Any, new_client: NewClient
) -> None:
    client, csrf, case_id = owner
    assert FORM_LIMIT == 1024 * 1024
    big_name = "x" * (FORM_LIMIT + 1)
    too_big = [
        ("/api/cases", {"json": {"reference": "OP-BIG", "name": big_name}}),
        ("/cases", {"data": {"reference": "OP-BIG", "name": big_name, "csrf_token": csrf}}),
        (
            f"/api/cases/{case_id}/exhibits",
            {"content": _chunks(FORM_LIMIT + 1, 64 * 1024), "headers": {}},
        ),
        ("/sign-in", {"data": {"username": "jo", "password": big_name}}),
    ]
    for path, options in too_big:
        headers = {**api_headers(csrf), **options.pop("headers", {})}
        response = client.post(path, headers=headers, **options)
        assert response.status_code == 413, path
    # an unauthenticated browser is refused the same way, before anything reads its body
    form = {"content-type": "application/x-www-form-urlencoded"}
    anonymous = new_client().post("/sign-in", content=_chunks(FORM_LIMIT + 1), headers=form)
    assert anonymous.status_code == 413
    assert [c.reference for c in cases.list_cases(workspace)] == ["OP-ASH"]


# --- Markup rendered inert ----------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ATTRIBUTE_ESCAPED = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


def test_markup_in_names_and_descriptions_is_shown_as_text(
    workspace: Workspace, new_client: NewClient, fast_hashing: None
) -> None:
    add_user(workspace, "admin", Role.ADMINISTRATOR, display_name=f"Admin {ATTRIBUTE}")
    add_user(workspace, "sio", Role.SUPERVISOR, display_name=f"DS {SCRIPT}")
    case = open_case(workspace, "OP-ASH", name=f"Ash {SCRIPT} {ATTRIBUTE}", owners=("sio",))
    exhibit = register(
        workspace, "OP-ASH", producer=f"DC {ATTRIBUTE}", description=f"Return {SCRIPT}"
    )
    sio = new_client()
    sign_in(sio, "sio")
    admin = new_client()
    sign_in(admin, "admin")
    pages = {
        "case list": (sio, "/", [SCRIPT_ESCAPED, ATTRIBUTE_ESCAPED]),
        "case": (sio, f"/cases/{case.id}", [SCRIPT_ESCAPED, ATTRIBUTE_ESCAPED]),
        "exhibit": (
            sio,
            f"/cases/{case.id}/exhibits/{exhibit.id}",
            [SCRIPT_ESCAPED, ATTRIBUTE_ESCAPED],
        ),
        "members": (sio, f"/cases/{case.id}/members", [SCRIPT_ESCAPED]),
        "users": (admin, "/admin/users", [SCRIPT_ESCAPED, ATTRIBUTE_ESCAPED]),
        "audit": (admin, "/admin/audit", []),
    }
    for label, (client, path, escaped) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, label
        assert "<script>alert" not in response.text, label
        assert "<img" not in response.text, label
        assert "onerror=alert(1)>" not in response.text.replace(ATTRIBUTE_ESCAPED, ""), label
        for text in escaped:
            assert text in response.text, (label, text)


def test_templates_hold_no_inline_script_handlers_or_styles() -> None:
    folder = resources.files("threadline.web").joinpath("templates")
    templates = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    assert {"base.html", "case.html", "sign_in.html"} <= set(templates)
    found = []
    for name, text in templates.items():
        for tag in re.findall(r"<[A-Za-z][^>]*>", text):
            if re.search(r"\son[a-z]+\s*=", tag, re.IGNORECASE):
                found.append((name, "event handler", tag))
            if re.search(r"\sstyle\s*=", tag, re.IGNORECASE):
                found.append((name, "style attribute", tag))
            if re.match(r"<script\b", tag, re.IGNORECASE) and "src=" not in tag:
                found.append((name, "inline script", tag))
            if re.match(r"<style\b", tag, re.IGNORECASE):
                found.append((name, "style element", tag))
        for body in re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.S | re.IGNORECASE):
            if body.strip():
                found.append((name, "inline script", body[:40]))
        if re.search(r"javascript:", text, re.IGNORECASE):
            found.append((name, "javascript: URL", ""))
    assert found == []


# --- Headers and cookies -----------------------------------------------------------------


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = " ".join(words[1:])
    return directives


def test_every_response_carries_the_security_headers(
    workspace: Workspace, app: FastAPI, owner: Any, new_client: NewClient
) -> None:
    client, _csrf, case_id = owner

    def failing() -> None:
        raise RuntimeError("a defect, for this test")

    app.add_api_route("/test-only-failure", failing)
    crashing = new_client(raise_server_exceptions=False)
    anonymous = new_client()
    responses = {
        "sign-in page": anonymous.get("/sign-in"),
        "redirect to sign in": anonymous.get("/", follow_redirects=False),
        "API, not signed in": anonymous.get("/api/me"),
        "case page": client.get(f"/cases/{case_id}"),
        "API": client.get(f"/api/cases/{case_id}"),
        "OpenAPI": client.get("/api/openapi.json"),
        "403 page": client.get("/cases/" + "0" * 32),
        "403 API": client.get("/api/cases/" + "0" * 32),
        "404 page": client.get("/no-such-page"),
        "404 API": client.get("/api/no-such-thing"),
        "CSRF refusal": client.post("/api/cases", json={"reference": "X", "name": "X"}),
        "413": client.post("/api/cases", content=b"x" * (FORM_LIMIT + 1)),
        "static script": anonymous.get("/static/app.js"),
        "static style": anonymous.get("/static/app.css"),
        "500": crashing.get("/test-only-failure"),
    }
    statuses = {label: r.status_code for label, r in responses.items()}
    assert statuses == {
        "sign-in page": 200,
        "redirect to sign in": 303,
        "API, not signed in": 401,
        "case page": 200,
        "API": 200,
        "OpenAPI": 200,
        "403 page": 403,
        "403 API": 403,
        "404 page": 404,
        "404 API": 404,
        "CSRF refusal": 403,
        "413": 413,
        "static script": 200,
        "static style": 200,
        "500": 500,
    }
    wrong = {}
    for label, response in responses.items():
        csp = _csp(response)
        checks = {
            "script-src 'self'": csp.get("script-src") == "'self'",
            "no unsafe-inline": "unsafe-inline"
            not in response.headers.get("content-security-policy", "unsafe-inline"),
            "frame-ancestors 'none'": csp.get("frame-ancestors") == "'none'",
            "X-Frame-Options": response.headers.get("x-frame-options") == "DENY",
            "nosniff": response.headers.get("x-content-type-options") == "nosniff",
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed:
            wrong[label] = failed
    assert wrong == {}
    # pages hold personal data: not cached
    assert responses["case page"].headers["cache-control"] == "no-store"
    assert responses["API"].headers["cache-control"] == "no-store"


def _set_cookies(response: Any) -> dict[str, dict[str, str]]:
    """The cookies a response sets (not the ones it deletes), with their attributes."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        flags = {}
        for attribute in attributes:
            key, _, val = attribute.partition("=")
            flags[key.lower()] = val.lower()
        deleting = value in ("", '""') or flags.get("max-age") == "0"
        if not deleting:
            found[name] = flags
    return found


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_are_http_only_and_strictly_same_site(
    workspace: Workspace, make_app: MakeApp, new_client: NewClient, secure: bool
) -> None:
    add_user(workspace, "jo", Role.INVESTIGATOR)
    # a browser keeps a Secure cookie only for an HTTPS site
    base = "https://testserver" if secure else "http://testserver"
    browser = new_client(make_app(secure_cookies=secure), base_url=base)
    form = browser.get("/sign-in")
    signed = browser.post(
        "/sign-in",
        data={"username": "jo", "password": PASSWORD, "csrf_token": form_token(form.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    cookies = {**_set_cookies(form), **_set_cookies(signed)}
    assert set(cookies) == {CSRF, SESSION}
    for name, flags in cookies.items():
        assert "httponly" in flags, name
        assert flags.get("samesite") == "strict", name
        assert flags.get("path") == "/", name
        assert ("secure" in flags) is secure, name
    assert cookies[SESSION]["max-age"] == str(12 * 3600)


def test_an_upload_path_never_parses_a_form_looking_for_a_token(client: TestClient) -> None:
    """Without the header, an upload is refused for CSRF before its body is read as a form
    (a multipart body there could be as large as the upload limit)."""
    body = b'--XX\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nforged\r\n--XX--\r\n'
    response = client.post(
        "/api/cases/" + "0" * 32 + "/uploads",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XX", "x-file-name": "a.csv"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "CsrfRefused"
