"""Fixtures for the web application's tests: an app and clients over the ``workspace`` fixture.

Every fixture here builds on ``workspace`` from tests/conftest.py, so each web test runs on
SQLite and on PostgreSQL. Users, cases and memberships are made through the services (fast);
the demo case is not built.

Argon2id at its real cost takes well over 100 ms a hash here, and the web tests add and sign in
dozens of users. :func:`fast_hashing` swaps in the same algorithm at its lowest cost for them;
``tests/services/test_users.py`` checks the real parameters.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from threadline.model.access import Membership, Role
from threadline.services import access, cases, exhibits, users
from threadline.services.cases import CaseInfo
from threadline.services.exhibits import ExhibitInfo
from threadline.services.workspace import Workspace
from threadline.web.app import create_app

with warnings.catch_warnings():
    # starlette's test client would rather use httpx2; httpx is the locked dependency
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: A small UK network call-data return: 8 records (tests/fixtures/cdr_uk/README.md).
NETWORK_A = FIXTURES / "cdr_uk" / "network-a.csv"
#: The password every test user gets (at least 12 characters, as the rules require).
PASSWORD = "ash-birch-cedar-2026"


class _Fields(HTMLParser):
    """Collects the hidden ``csrf_token`` field and the ``csrf-token`` meta tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[str] = []
        self.meta: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and values.get("value"):
            self.hidden.append(values["value"] or "")
        if tag == "meta" and values.get("name") == "csrf-token":
            self.meta = values.get("content")


def page_fields(html: str) -> _Fields:
    """The CSRF values a page carries."""
    parser = _Fields()
    parser.feed(html)
    return parser


def form_token(html: str) -> str:
    """The ``csrf_token`` hidden field of a page's (first) form."""
    found = page_fields(html).hidden
    assert found, "the page has no csrf_token field"
    return found[0]


def meta_token(html: str) -> str:
    """The CSRF token a page gives its script (``<meta name="csrf-token">``)."""
    found = page_fields(html).meta
    assert found, "the page has no csrf-token meta tag"
    return found


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in through the form, as a browser does.

    Returns:
        The session's CSRF token, read from the ``csrf-token`` meta tag of the case list.
    """
    form = client.get("/sign-in")
    assert form.status_code == 200, form.text
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": form_token(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200, home.text
    return meta_token(home.text)


def api_headers(csrf: str) -> dict[str, str]:
    """Headers for a state-changing API request."""
    return {"X-CSRF-Token": csrf}


def error_of(response: Any) -> dict[str, Any]:
    """The ``{"type", "message"}`` of an API error answer."""
    body = response.json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost for the web tests (the parameters are not what they test)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(users, "_HASHER", hasher)


def add_user(ws: Workspace, username: str, role: Role, *, display_name: str | None = None) -> str:
    """Add a user with :data:`PASSWORD`; returns their id."""
    info = users.add_user(
        ws,
        username,
        display_name=display_name or f"Test {username}",
        role=role,
        password=PASSWORD,
    )
    return info.id


def open_case(
    ws: Workspace,
    reference: str,
    *,
    name: str | None = None,
    owners: tuple[str, ...] = (),
    members: tuple[str, ...] = (),
) -> CaseInfo:
    """Create a case and give it owners and members (usernames)."""
    info = cases.create_case(ws, reference, name or f"Operation {reference}")
    for username in owners:
        access.set_member(ws, reference, username, Membership.OWNER)
    for username in members:
        access.set_member(ws, reference, username, Membership.MEMBER)
    return info


def register(
    ws: Workspace,
    case_reference: str,
    reference: str = "JB/1",
    *,
    source: Path = NETWORK_A,
    producer: str = "DC Jo Bloggs",
    description: str = "Network A return for 07700 900123",
) -> ExhibitInfo:
    """Register a file as an exhibit of the case (not ingested)."""
    return exhibits.add_exhibit(
        ws, case_reference, reference, source, producer=producer, description=description
    )


class MakeApp(Protocol):
    """Builds an application over the test workspace with some settings changed."""

    def __call__(self, **settings: Any) -> FastAPI: ...


class NewClient(Protocol):
    """Opens another browser on an application (closed at the end of the test)."""

    def __call__(self, app: FastAPI | None = None, **options: Any) -> TestClient: ...


@pytest.fixture
def make_app(workspace: Workspace, fast_hashing: None) -> MakeApp:
    """A factory of applications serving the test workspace, e.g.
    ``make_app(max_upload_bytes=1000)``; the workspace's own settings change with them."""

    def build(**changes: Any) -> FastAPI:
        settings = workspace.settings.model_copy(update=changes)
        ws = dataclasses.replace(workspace, settings=settings)
        return create_app(settings, workspace=ws)

    return build


@pytest.fixture
def app(make_app: MakeApp) -> FastAPI:
    """The application over the test workspace, with default settings."""
    return make_app()


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[NewClient]:
    """A factory of clients (one per simulated browser); the application's by default."""
    opened: list[TestClient] = []

    def open_client(target: FastAPI | None = None, **options: Any) -> TestClient:
        client = TestClient(target if target is not None else app, **options)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def client(new_client: NewClient) -> TestClient:
    """One browser on the application."""
    return new_client()
