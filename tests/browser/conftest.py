"""Fixtures for the browser tests: the demo case served by ``threadline serve``, and Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/browser``)
through Playwright's Python package; Playwright's own browser download does not work on a closed
network. Without Chromium the tests are skipped, except under ``CI=true``, where its absence is a
failure (see DEVELOPERS.md).

Each pytest-xdist worker that runs a browser test builds its own demo workspace and runs its own
server (``scripts/test`` runs ``-n 2`` with xdist's default distribution, which may give
browser tests to both workers): no state is shared between processes, and a test that adds an
exhibit changes only its own worker's workspace. The demo is built once per worker, in-process
through the same service the ``threadline demo`` command runs; the server is the real command,
in a subprocess, on a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from threadline.model.access import Role
from threadline.services import users
from threadline.services.cases import find_case
from threadline.services.demo import build_demo
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings

#: Where Debian installs Chromium; ``THREADLINE_TEST_CHROMIUM`` names another binary.
CHROMIUM = Path("/usr/bin/chromium")

#: Chromium's flags, and why (DEVELOPERS.md repeats them): headless without a GPU; no sandbox,
#: which needs user namespaces that containers often lack; and no background traffic to Google
#: (component updates, sync, safe-browsing lists, QUIC probes), which a closed network refuses
#: and which would only slow the browser down while it retries.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

#: The viewport every page is tested and photographed at (the issue: readable at 1280x800).
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

#: How long a page action or expectation may take. Generous: the tests share two cores with the
#: rest of the suite, and an ingest starts a Python process of its own.
TIMEOUT_MS = 30_000

#: The demo's web sign-ins (threadline.services.demo.DEMO_USERS), written out here so a change to
#: them shows up as a failing test rather than a silently different one.
DEMO_PASSWORDS = {
    "demo": "cedar-demo-2026",  # investigator, owner of OP-CEDAR
    "analyst": "cedar-analyst-2026",  # analyst, member
    "admin": "cedar-admin-2026",  # administrator, not a member
}

#: A partner reader the fixture adds: not a member of OP-CEDAR.
PARTNER = ("partner", "cedar-partner-2026")

#: The demo case's reference.
DEMO_CASE = "OP-CEDAR"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``browser`` marker (``-m "not browser"`` leaves these tests out)."""
    config.addinivalue_line("markers", "browser: drives Chromium against a running server")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@dataclass(frozen=True, slots=True)
class DemoServer:
    """A running ``threadline serve`` over a freshly built demo workspace.

    Attributes:
        url: the server's base address (``http://127.0.0.1:PORT``), no trailing slash.
        home: the workspace folder.
        case_id: OP-CEDAR's id (case URLs carry ids, not references).
        source: the folder holding the demo's generated exhibit files and ground truth.
    """

    url: str
    home: Path
    case_id: str
    source: Path

    @property
    def case_url(self) -> str:
        """The demo case page's address."""
        return f"{self.url}/cases/{self.case_id}"

    def settings(self) -> Settings:
        """Settings for opening the server's workspace from the test process."""
        return Settings(
            home=self.home,
            database_url=f"sqlite:///{self.home / 'threadline.db'}",
            user="browser.test",
        )

    def open(self) -> Workspace:
        """Open the server's workspace from the test process (close it when done)."""
        return open_workspace(self.settings())


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    """Chromium's path; skips (or fails under ``CI=true``) when it is not installed."""
    path = Path(os.environ.get("THREADLINE_TEST_CHROMIUM") or CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        message = f"Chromium is not installed at {path} (scripts/browser installs it)"
        if _in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_environment() -> dict[str, str]:
    """The test process's environment without its Threadline settings: the server gets its
    workspace from ``--home`` and nothing else (a developer's THREADLINE_DATABASE_URL must not
    point the test server at a real case store)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("THREADLINE_")}


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"threadline serve stopped (exit status {process.returncode}):\n"
                + log.read_text("utf-8", errors="replace")[-3000:]
            )
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    process.kill()
    pytest.fail(
        "threadline serve did not answer within 120 s:\n"
        + log.read_text("utf-8", errors="replace")[-3000:]
    )


@pytest.fixture(scope="session")
def demo_server(
    chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    """The demo case built into a temporary workspace and served on a free port.

    Built once per test process (each xdist worker has its own). Besides the demo's three users,
    a partner reader who is not a member of the case is added.
    """
    home = tmp_path_factory.mktemp("browser-demo") / "home"
    settings = Settings(
        home=home,
        database_url=f"sqlite:///{home / 'threadline.db'}",
        # who the demo's registrations are audited as: the demo's fictional officer
        user="dana.colbeck",
    )
    ws = open_workspace(settings)
    try:
        summary = build_demo(ws)
        users.add_user(
            ws,
            PARTNER[0],
            display_name="Pat Partner",
            role=Role.PARTNER_READER,
            password=PARTNER[1],
        )
        with ws.session() as session:
            case_id = find_case(session, DEMO_CASE).id
    finally:
        ws.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = shutil.which("threadline", path=str(Path(sys.executable).parent))
    assert command, "the threadline command is not installed beside this Python"
    log = home.parent / "serve.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [command, "serve", "--home", str(home), "--host", "127.0.0.1", "--port", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_server_environment(),
        )
    try:
        _wait_until_serving(process, url, log)
        yield DemoServer(
            url=url, home=home, case_id=case_id, source=Path(str(summary["ground_truth"])).parent
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver for this test process."""
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_executable: Path) -> Iterator[Browser]:
    """Debian's Chromium, headless, with the flags a closed network needs."""
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium_executable), args=list(CHROMIUM_ARGS), headless=True
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def context(browser: Browser, demo_server: DemoServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at 1280x800, addressed relative to the server."""
    ctx = browser.new_context(viewport=VIEWPORT, base_url=demo_server.url, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in a fresh profile."""
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


def sign_in(page: Page, username: str, password: str | None = None) -> None:
    """Sign in through the form as ``username`` and wait for the case list.

    Args:
        page: a tab whose context has the server as its base address.
        username: a demo user (``demo``, ``analyst``, ``admin``) or ``partner``.
        password: defaults to that user's known password.
    """
    if password is None:
        password = dict([*DEMO_PASSWORDS.items(), PARTNER])[username]
    page.goto("/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your cases")).to_be_visible()
