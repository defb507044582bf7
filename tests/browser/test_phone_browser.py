"""A phone download's media in a real browser: hidden by default, revealed blurred and in
greyscale, clear only on a second click, a whole page only after a confirmation; every reveal
logged (examiner welfare; requirement 15).

The exhibit is the hand-built AP/1 of ``tests/services/phone_case.py``, ingested from the test
process into the server's workspace in a case of its own (OP-ROWAN, owned by ``demo``), so the
demo case's counts stay as the other browser tests expect them. The README's pictures of these
pages are of the demo case (``test_main_pages_photographed_at_1280x800``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Dialog, Page, expect

from threadline.model.access import Membership
from threadline.model.ids import row_id
from threadline.services import access
from threadline.services.cases import find_case
from threadline.store import audit_log

from .conftest import DemoServer, sign_in

pytestmark = pytest.mark.browser


def _phone_case() -> ModuleType:
    name = "phone_case"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "services" / "phone_case.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


PC = _phone_case()


@pytest.fixture
def rowan(demo_server: DemoServer, tmp_path: Path) -> tuple[str, str]:
    """OP-ROWAN with AP/1 in the server's workspace; (case id, exhibit id)."""
    ws = demo_server.open()
    try:
        exhibit_id = PC.build_phone_case(ws, tmp_path)
        access.set_member(ws, PC.CASE, "demo", Membership.OWNER)
        with ws.session() as session:
            case_id = find_case(session, PC.CASE).id
    finally:
        ws.close()
    return case_id, exhibit_id


def _reveals(server: DemoServer) -> list[str | None]:
    ws = server.open()
    try:
        with ws.session() as session:
            return [
                e.object_id
                for e in audit_log.entries(session)
                if e.action == "media.reveal" and e.actor == "demo"
            ]
    finally:
        ws.close()


def test_media_stay_blurred_until_revealed(
    page: Page, demo_server: DemoServer, rowan: tuple[str, str], tmp_path: Path
) -> None:
    case_id, exhibit_id = rowan
    # the pictures for the README are of the demo case (test_browser.py); these stay here
    folder = tmp_path
    sign_in(page, "demo")
    page.goto(f"/cases/{case_id}/exhibits/{exhibit_id}")
    page.get_by_role("link", name="Open the phone download").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("phone download")
    expect(page.locator("dl.device")).to_contain_text("Ana Pop")

    # a conversation: in time order, the deleted message marked
    tabs = page.get_by_role("navigation", name="Phone download")
    tabs.get_by_role("link", name="Messages (7)").click()
    page.get_by_role("link", name="Yard crew").click()
    messages = page.locator("#conversation > li")
    expect(messages).to_have_count(3)
    expect(messages.nth(0)).to_contain_text("meet at the yard <b>10:30</b>")
    expect(messages.nth(2).locator(".badge-deleted")).to_have_text("DELETED")
    # its attached photo is hidden too
    expect(messages.nth(2).locator("img")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=folder / "phone-conversation.png")

    tabs.get_by_role("link", name="Media (6)").click()
    items = page.locator("#media-grid [data-media-item]")
    expect(items).to_have_count(6)
    # nothing is shown, and nothing was fetched, until the user chooses
    expect(page.locator("#media-grid img")).to_have_count(0)
    assert _reveals(demo_server) == []

    photo = items.first
    photo.get_by_role("button", name="Reveal photo1.png (blurred first; logged)").click()
    image = photo.locator("img")
    expect(image).to_have_count(1)
    expect(photo.locator("[data-media-frame]")).to_have_class(re.compile(r"\bveiled\b"))
    page.wait_for_function(
        "() => { const i = document.querySelector('#media-grid img'); "
        "return i && i.complete && i.naturalWidth === 64; }"
    )
    style = image.evaluate("i => getComputedStyle(i).filter")
    assert "blur" in style
    assert "grayscale" in style
    assert _reveals(demo_server) == [row_id(exhibit_id, "$.media[0]")]
    page.screenshot(path=folder / "phone-media.png")

    photo.get_by_role("button", name="Show photo1.png clearly").click()
    expect(image).to_have_css("filter", "none")
    photo.get_by_role("button", name="Blur photo1.png again").click()
    assert "blur" in image.evaluate("i => getComputedStyle(i).filter")

    # the whole page only after a confirmation: declining reveals nothing
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator("#reveal-page").click()
    expect(page.locator('[data-reveal][data-state="hidden"]')).to_have_count(5)
    assert asked
    assert "5 files" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#reveal-page").click()
    expect(page.locator('[data-reveal][data-state="hidden"]')).to_have_count(0)
    # the HTML file is offered as a download, never shown; the tampered, traversing and
    # missing files are refused by the server and say so
    expect(page.locator("#media-grid [data-media-frame] a[download]")).to_have_count(1)
    expect(page.locator("#media-grid [data-media-frame] .error")).to_have_count(4)
