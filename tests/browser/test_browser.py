"""The web application in a real browser: Debian's Chromium driven by Playwright (issue 3).

Against the fictional demo case OP-CEDAR served by ``threadline serve`` (see conftest.py): sign
in, the case page's marking top and bottom (requirement 9), uploading and ingesting an exhibit
while watching its progress, searching a number written three ways (requirement 59), following an
entity profile's event to its record and back to its exhibit (requirements 20, 23), and refusing
a user who is not a member of the case. The last test photographs the main pages at 1280x800;
with ``THREADLINE_SCREENSHOTS=1`` it writes them to ``docs/screenshots/`` for the README.

Expected values come from outside the page: counts from a SQL query over the evidence, row
counts and hashes from the file the test uploads, source values from the demo's generated
files.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response, expect

from threadline.scenario import generate_cdr_file
from threadline.services.query import run_sql

from .conftest import CHROMIUM_ARGS, DEMO_CASE, DemoServer, sign_in

pytestmark = pytest.mark.browser

#: The demo's busiest number (the target of DC/3), in E.164.
BUSY_NUMBER = "+447700900048"

#: The same number as people write it: national with a space, international with spaces, and
#: international digits without the plus.
WRITTEN_FORMS = ("07700 900048", "+44 7700 900048", "447700900048")

#: Rows naming BUSY_NUMBER in any number column of the demo's event tables (the tables and
#: columns entity search covers: threadline.model.entity_keys.IDENTIFIER_COLUMNS; the demo has no
#: contacts, devices or accounts). A row naming it twice counts once.
COUNT_SQL = f"""
SELECT
  (SELECT count(*) FROM calls WHERE '{BUSY_NUMBER}' IN (a_party, b_party, c_party))
  + (SELECT count(*) FROM messages WHERE '{BUSY_NUMBER}' IN (a_party, b_party))
  + (SELECT count(*) FROM data_sessions WHERE party = '{BUSY_NUMBER}')
  + (SELECT count(*) FROM contacts WHERE number = '{BUSY_NUMBER}')
  + (SELECT count(*) FROM devices WHERE msisdn = '{BUSY_NUMBER}')
  + (SELECT count(*) FROM accounts WHERE number = '{BUSY_NUMBER}') AS n
"""

#: Where the screenshots for the README go (docs/screenshots/ at the top of the checkout).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

#: The pages photographed, by file name (without ``.png``).
PAGES = (
    "sign-in",
    "case-list",
    "case",
    "exhibit",
    "search",
    "entity",
    "record",
    "timeline",
    "phone-conversation",
    "phone-media",
    "audit",
)

#: Rows in the exhibit the upload test generates: enough to take a visible moment to ingest.
UPLOAD_ROWS = 20_000


def _number(text: str) -> int:
    """The first whole number in ``text``, written with or without thousands commas."""
    found = re.search(r"\d[\d,]*", text)
    assert found, f"no number in {text!r}"
    return int(found.group().replace(",", ""))


def _rows_naming_busy_number(server: DemoServer) -> int:
    ws = server.open()
    try:
        value = run_sql(ws, DEMO_CASE, COUNT_SQL).column("n")[0].as_py()
    finally:
        ws.close()
    assert isinstance(value, int)
    return value


def _progress_shown(page: Page) -> dict[str, str | None]:
    """The exhibit page's ingest state and its progress bar's label, read in one go (the
    page's script may re-render or reload it at any moment)."""
    page.wait_for_selector("[data-exhibit-progress] .progress-state")
    shown: dict[str, str | None] = page.evaluate(
        """() => {
            const state = document.querySelector("[data-exhibit-progress] .progress-state");
            const bar = state.querySelector("progress");
            return {status: state.dataset.status, bar: bar && bar.getAttribute("aria-label")};
        }"""
    )
    return shown


def _search(page: Page, server: DemoServer, text: str) -> None:
    page.goto(f"{server.case_url}/search")
    page.get_by_label("Number, IMEI, IMSI, name, VRM or words").fill(text)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#interpretation")).to_be_visible()


def test_sign_in_refuses_a_wrong_password_and_admits_the_right_one(
    page: Page, demo_server: DemoServer
) -> None:
    page.goto("/")
    expect(page).to_have_url(f"{demo_server.url}/sign-in")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("not-the-password-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_be_visible()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(page).to_have_url(f"{demo_server.url}/sign-in")

    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("cedar-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{demo_server.url}/")
    expect(page.get_by_role("heading", name="Your cases")).to_be_visible()
    expect(page.get_by_role("link", name=DEMO_CASE, exact=True)).to_be_visible()
    expect(page.locator("header .who")).to_contain_text("DC Dana Demo")


def test_demo_case_shows_its_marking_at_the_top_and_bottom(
    page: Page, demo_server: DemoServer
) -> None:
    sign_in(page, "demo")
    page.get_by_role("link", name=DEMO_CASE, exact=True).click()
    expect(page).to_have_url(demo_server.case_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("OP-CEDAR — Operation Cedar")
    markings = page.get_by_role("note", name="Security marking")
    expect(markings).to_have_count(2)
    expect(markings.first).to_have_text("OFFICIAL-SENSITIVE")
    expect(markings.last).to_have_text("OFFICIAL-SENSITIVE")
    top = markings.first.bounding_box()
    bottom = markings.last.bounding_box()
    assert top is not None
    assert bottom is not None
    assert top["y"] < 5, "the top marking is not at the top of the page"
    page_height = page.evaluate("document.documentElement.scrollHeight")
    assert bottom["y"] + bottom["height"] >= page_height - 5, "bottom marking not at the bottom"
    # the demo's sixteen exhibits (seven network returns, the cell list, the ANPR camera list
    # and two ANPR read exports, five phone downloads), every one ingested
    exhibits = page.locator("table[data-progress-url] tbody tr")
    expect(exhibits).to_have_count(16)
    for n in range(1, 9):
        expect(page.get_by_role("link", name=f"DC/{n}", exact=True)).to_be_visible()
    for n in range(1, 6):
        expect(page.get_by_role("link", name=f"MC/{n}", exact=True)).to_be_visible()
    for n in range(1, 4):
        expect(page.get_by_role("link", name=f"AR/{n}", exact=True)).to_be_visible()
    expect(page.locator('[data-exhibit-progress] [data-status="complete"]')).to_have_count(16)


def test_upload_and_ingest_an_exhibit_showing_progress(
    page: Page, demo_server: DemoServer, tmp_path: Path
) -> None:
    # a case of its own, so the demo case's counts stay as the other tests expect them
    sign_in(page, "demo")
    page.get_by_text("Open a new case").click()
    page.get_by_label("Reference (e.g. OP-ASH)").fill("OP-ASH")
    page.get_by_label("Operation name").fill("Operation Ash")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("OP-ASH — Operation Ash")
    expect(page.get_by_text("No exhibits yet.")).to_be_visible()
    page.get_by_role("link", name="Add an exhibit").click()

    cdr = tmp_path / "tb1-network-a.csv"
    written = generate_cdr_file(cdr, "network-a", UPLOAD_ROWS, seed=3)
    assert written.rows == UPLOAD_ROWS
    sha256 = hashlib.sha256(cdr.read_bytes()).hexdigest()

    seen: list[str | None] = []

    def watch(response: Response) -> None:
        if response.url.endswith("/ingest") and response.request.method == "GET":
            # the page may reload (the ingest ended) before the body is read
            with contextlib.suppress(PlaywrightError):
                seen.extend(e["status"] for e in response.json()["exhibits"])

    page.on("response", watch)
    page.get_by_label("Upload a file").set_input_files(cdr)
    page.get_by_label("Exhibit reference").fill("TB/1")
    page.get_by_label("Producer", exact=True).fill("DC Tam Birch")
    page.get_by_label("Description", exact=True).fill(
        "Call data, a fictional bulk return (network-a)"
    )
    page.get_by_label("Provider", exact=True).fill("Network A")
    page.get_by_label("Target number", exact=True).fill("07700 900577")
    page.get_by_label("Authorisation reference", exact=True).fill("OCDA-2026-000777")
    page.get_by_label("Authorised by", exact=True).select_option("OCDA")
    page.get_by_label("Authorised from (UK local date)").fill("2026-03-01")
    page.get_by_label("Authorised to (UK local date, whole day)").fill("2026-11-15")
    page.get_by_label("Data type", exact=True).select_option("events")
    expect(page.get_by_label("Start ingest when registered")).to_be_checked()
    page.get_by_role("button", name="Register exhibit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Exhibit TB/1")
    first = _progress_shown(page)
    seen.append(first["status"])
    if first["status"] in ("starting", "running"):
        # the page shows the ingest under way with a progress bar, and so does a reload (the
        # state is in the case store, not the page); the ingest may have ended in between
        assert first["bar"] == "Ingest progress of TB/1", first
        page.reload()
        again = _progress_shown(page)
        seen.append(again["status"])
        assert again["status"] in ("starting", "running", "complete"), again
        if again["status"] != "complete":
            assert again["bar"] == "Ingest progress of TB/1", again
    # the script polls while the ingest runs and reloads the page when it ends
    expect(page.locator('[data-exhibit-progress] [data-status="complete"]')).to_be_visible(
        timeout=120_000
    )
    assert set(seen) & {"starting", "running"}, f"no ingest in progress was ever shown: {seen}"
    state = page.locator("[data-exhibit-progress] .progress-state")
    expect(state.locator(".rows")).to_have_text(re.compile(rf"^{UPLOAD_ROWS:,} rows\b"))
    expect(page.locator("#sha256")).to_have_text(sha256)
    # once complete, the page says so instead of offering an ingest that would do nothing
    expect(page.get_by_text("Ingested. The same exhibit is never ingested twice")).to_be_visible()
    expect(page.get_by_role("button", name="Start ingest")).to_have_count(0)

    # the case page lists it, ingested, with the same row count
    page.get_by_role("link", name="OP-ASH", exact=True).click()
    row = page.locator("table[data-progress-url] tbody tr", has_text="TB/1")
    expect(row.locator('[data-status="complete"]')).to_be_visible()
    expect(row.locator(".rows")).to_have_text(re.compile(rf"^{UPLOAD_ROWS:,} rows\b"))


def test_a_number_written_three_ways_finds_the_same_rows_and_entity(
    page: Page, demo_server: DemoServer
) -> None:
    expected = _rows_naming_busy_number(demo_server)
    assert expected > 0
    sign_in(page, "demo")
    found: dict[str, tuple[int, str | None, str]] = {}
    for text in WRITTEN_FORMS:
        _search(page, demo_server, text)
        total = _number(page.locator("#interpretation").inner_text().split("—")[-1])
        entity = page.locator('ul.entities a[data-entity="number"]')
        expect(entity).to_have_count(1)
        found[text] = (total, entity.get_attribute("href"), entity.inner_text())
    assert {v[0] for v in found.values()} == {expected}, found
    assert len({v[1] for v in found.values()}) == 1, found
    assert {v[2] for v in found.values()} == {BUSY_NUMBER}, found
    href = found[WRITTEN_FORMS[0]][1]
    assert href is not None
    assert re.fullmatch(rf"/cases/{demo_server.case_id}/entities/[0-9a-f]{{32}}", href), href
    assert "900048" not in href, "a number in a URL (personal data in URLs)"


def test_entity_profile_event_leads_to_its_record_and_exhibit(
    page: Page, demo_server: DemoServer
) -> None:
    expected = _rows_naming_busy_number(demo_server)
    truth = json.loads((demo_server.source / "ground_truth.json").read_text("utf-8"))
    files = {e["reference"]: e for e in truth["exhibits"] if e["filename"].endswith(".csv")}
    sign_in(page, "demo")
    _search(page, demo_server, WRITTEN_FORMS[1])
    page.get_by_role("link", name=BUSY_NUMBER, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(BUSY_NUMBER)
    assert _number(page.locator("#entity-rows").inner_text()) == expected

    # the first event from a CSV exhibit (a spreadsheet's source row is not checked here)
    events = page.locator("#entity-events tbody tr")
    expect(events.first).to_be_visible()
    chosen = None
    for i in range(events.count()):
        cells = events.nth(i).locator("td")
        if cells.nth(7).inner_text() in files:
            chosen = events.nth(i)
            break
    assert chosen is not None, "no event from a CSV exhibit on the profile's first page"
    cells = chosen.locator("td")
    exhibit = cells.nth(7).inner_text()
    locator = cells.nth(8).inner_text()
    assert re.fullmatch(r"row=\d+", locator), locator
    cells.nth(8).get_by_role("link").click()

    expect(page.locator("#record-locator")).to_have_text(locator)
    expect(page.locator("#record-exhibit")).to_have_text(exhibit)
    expect(page.get_by_role("heading", level=1)).to_contain_text(exhibit)
    # the source row shown is the exhibit file's row at that locator, as written
    item = files[exhibit]
    delimiter = ";" if item["layout"] == "network-d" else ","
    with (demo_server.source / item["filename"]).open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f, delimiter=delimiter))
    row_number = int(locator.removeprefix("row="))
    as_written = dict(zip(table[0], table[row_number - 1], strict=True))
    shown = page.locator("#source-row tbody tr")
    pairs = {
        shown.nth(i).locator("td").nth(0).inner_text(): shown.nth(i)
        .locator("td")
        .nth(1)
        .inner_text()
        for i in range(shown.count())
    }
    assert pairs == {k: v for k, v in as_written.items() if k in pairs}
    assert {k for k, v in as_written.items() if v} <= set(pairs), (pairs, as_written)
    assert any(re.sub(r"\D", "", v).endswith("7700900048") for v in pairs.values()), pairs

    page.locator("#record-exhibit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Exhibit {exhibit}")
    expect(page.locator("#sha256")).to_have_text(item["sha256"])


def test_a_user_who_is_not_a_member_is_refused_the_case(
    page: Page, demo_server: DemoServer
) -> None:
    sign_in(page, "admin")
    expect(page.get_by_text("You are not a member of any case yet.")).to_be_visible()
    expect(page.get_by_role("link", name=DEMO_CASE, exact=True)).to_have_count(0)
    for path in ("", "/search", "/timeline"):
        response = page.goto(f"{demo_server.case_url}{path}")
        assert response is not None
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.get_by_role("note", name="Security marking")).to_have_count(2)
        expect(page.locator("main")).not_to_contain_text("Operation Cedar")


def test_a_partner_reader_who_is_not_a_member_sees_no_case(
    page: Page, demo_server: DemoServer
) -> None:
    sign_in(page, "partner")
    expect(page.get_by_text("You are not a member of any case yet.")).to_be_visible()
    expect(page.locator("table.grid")).to_have_count(0)
    response = page.goto(demo_server.case_url)
    assert response is not None
    assert response.status == 403
    # a member with the analyst role does see it: the list is not simply empty for everyone
    page.context.clear_cookies()
    sign_in(page, "analyst")
    expect(page.get_by_role("link", name=DEMO_CASE, exact=True)).to_be_visible()


def test_case_page_gives_its_opening_time_in_utc_and_uk_local_time(
    page: Page, demo_server: DemoServer
) -> None:
    sign_in(page, "demo")
    page.goto(demo_server.case_url)
    opened = page.locator("dl.facts dt", has_text="Opened").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(opened).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · .* (GMT|BST) by ")
    )


def test_developers_guide_lists_the_chromium_flags() -> None:
    guide = (Path(__file__).resolve().parents[2] / "DEVELOPERS.md").read_text("utf-8")
    for flag in CHROMIUM_ARGS:
        assert f"`{flag}`" in guide, f"DEVELOPERS.md does not explain {flag}"


def test_main_pages_photographed_at_1280x800(
    page: Page, demo_server: DemoServer, tmp_path: Path
) -> None:
    """Every main page renders for its user; with THREADLINE_SCREENSHOTS=1 the pictures go to
    docs/screenshots/ (run this test alone on a fresh server for tidy pictures: DEVELOPERS.md)."""
    folder = SCREENSHOTS if os.environ.get("THREADLINE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=folder / f"{name}.png")

    page.goto("/sign-in")
    shot("sign-in")
    sign_in(page, "demo")
    shot("case-list")
    page.get_by_role("link", name=DEMO_CASE, exact=True).click()
    shot("case")
    page.get_by_role("link", name="DC/3", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exhibit DC/3")
    shot("exhibit")
    _search(page, demo_server, WRITTEN_FORMS[0])
    shot("search")
    page.get_by_role("link", name=BUSY_NUMBER, exact=True).click()
    expect(page.locator("#entity-events")).to_be_visible()
    shot("entity")
    page.locator("#entity-events tbody tr").first.locator("[data-open-record]").click()
    expect(page.locator("#record-locator")).to_be_visible()
    shot("record")
    page.goto(f"{demo_server.case_url}/timeline")
    expect(page.locator("#timeline-events")).to_be_visible()
    shot("timeline")
    # a phone download: the lieutenant's handset (MC/2), a conversation and the media, hidden
    page.goto(demo_server.case_url)
    page.get_by_role("link", name="MC/2", exact=True).click()
    page.get_by_role("link", name="Open the phone download").click()
    tabs = page.get_by_role("navigation", name="Phone download")
    tabs.get_by_role("link", name=re.compile(r"^Messages")).click()
    page.locator("#phone-threads tbody tr a").first.click()
    expect(page.locator("#conversation > li").first).to_be_visible()
    shot("phone-conversation")
    tabs.get_by_role("link", name=re.compile(r"^Media")).click()
    expect(page.locator("#media-grid [data-media-item]").first).to_be_visible()
    expect(page.locator("#media-grid img")).to_have_count(0)
    shot("phone-media")
    page.context.clear_cookies()
    sign_in(page, "admin")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#audit-verify")).to_contain_text("The hash chain verifies")
    shot("audit")
    for name in PAGES:
        header = (folder / f"{name}.png").read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", name
        # IHDR: width and height, big-endian, after the signature and the chunk's length and type
        size = (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big"))
        assert size == (1280, 800), (name, size)
