"""The network view in a real browser: the link chart is drawn as SVG by the page's own script
(under the real Content Security Policy), a node click expands it, and a line click lists the
line's evidence rows, each opening its record.

The case is OP-OAK of ``tests/web/test_network_page.py`` (its docstring works the figures out
by hand): 4 numbers and 2 handsets, 6 links; T1-T2 rests on JB/1 row=4 and JB/2 row=3. It is
served by the application (``create_app``) in a thread of this process, so that the test does
not depend on the demo server (the other browser tests' fixture).
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect

from network_returns import ingest_returns
from threadline.model.access import Membership, Role
from threadline.services import access, cases, users
from threadline.services.workspace import open_workspace
from threadline.settings import Settings
from threadline.web.app import create_app
from web import test_network_page as oak  # tests/ is on the path: its folders are packages

from .conftest import TIMEOUT_MS, VIEWPORT

pytestmark = pytest.mark.browser

PASSWORD = "oak-network-2026"


def _web_case() -> ModuleType:
    """The web test's module: its case data."""
    return oak


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def oak_server(
    chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """OP-OAK served on a free port; (base address, case id)."""
    data = _web_case()
    folder = tmp_path_factory.mktemp("network-browser")
    home = folder / "home"
    settings = Settings(
        home=home, database_url=f"sqlite:///{home / 'threadline.db'}", user="browser.test"
    )
    ws = open_workspace(settings)
    cases.create_case(ws, "OP-OAK", "Operation Oak")
    ingest_returns(ws, "OP-OAK", data.RETURNS, folder)
    users.add_user(ws, "ann", display_name="Ann Analyst", role=Role.ANALYST, password=PASSWORD)
    access.set_member(ws, "OP-OAK", "ann", Membership.OWNER)
    case_id = cases.show_case(ws, "OP-OAK").id
    app = create_app(settings, workspace=ws)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail("the test server did not answer within 60 s")
            time.sleep(0.2)
    try:
        yield url, case_id
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        ws.close()


@pytest.fixture
def oak_page(browser: Browser, oak_server: tuple[str, str]) -> Iterator[Page]:
    """A tab signed in as ``ann`` (owner of OP-OAK)."""
    url, _ = oak_server
    context = browser.new_context(viewport=VIEWPORT, base_url=url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    tab = context.new_page()
    tab.goto("/sign-in")
    tab.get_by_label("Username").fill("ann")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", name="Your cases")).to_be_visible()
    try:
        yield tab
    finally:
        context.close()


def test_the_chart_is_drawn_and_a_line_opens_its_rows(
    oak_page: Page, oak_server: tuple[str, str]
) -> None:
    _, case_id = oak_server
    data = _web_case()
    errors: list[str] = []
    oak_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    oak_page.goto(f"/cases/{case_id}/network")
    nodes = oak_page.locator("#network-chart g.network-node")
    expect(nodes).to_have_count(6)
    expect(oak_page.locator("#network-chart g.network-link")).to_have_count(6)
    expect(oak_page.locator("#network-status")).to_contain_text("6 of 6 node(s)")
    expect(oak_page.locator("#network-caveat")).to_contain_text("(JB/1, JB/2)")
    # every line is evidenced and solid
    lines = oak_page.locator("#network-chart g.network-link[data-basis='evidenced'] line")
    expect(lines).to_have_count(12)  # a drawn line and a wider transparent one to click
    assert oak_page.locator("#network-chart line[stroke-dasharray]").count() == 0

    # numbers only: the handsets go
    oak_page.get_by_label("handsets (IMEI)").uncheck()
    oak_page.get_by_role("button", name="Show", exact=True).click()
    expect(nodes).to_have_count(4)

    # a node click shows it and its neighbours only: Y's only neighbour is T2
    y = oak_page.locator(f"#network-chart g.network-node[data-id='{data.ID[data.Y]}']")
    y.click()
    expect(nodes).to_have_count(2)
    expect(oak_page.locator("#network-profile")).to_have_attribute(
        "href", f"/cases/{case_id}/entities/{data.ID[data.Y]}"
    )
    oak_page.get_by_role("button", name="Show every node").click()
    expect(nodes).to_have_count(4)

    link = oak_page.locator(
        f"#network-chart g.network-link[data-source='{data.ID[data.T1]}']"
        f"[data-target='{data.ID[data.T2]}']"
    )
    link.dispatch_event("click")
    rows = oak_page.locator("#network-detail table.network-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("JB/1")
    expect(rows.nth(1)).to_contain_text("JB/2")
    opened = rows.nth(0).get_by_role("link", name="row=4")
    expect(opened).to_have_attribute(
        "href", re.compile(rf"^/cases/{case_id}/records/[0-9a-f]{{32}}$")
    )
    assert not errors, errors
    opened.click()
    expect(oak_page.get_by_text("row=4").first).to_be_visible()
    expect(oak_page.get_by_text("JB/1").first).to_be_visible()
