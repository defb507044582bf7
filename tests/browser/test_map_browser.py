"""The case map in a real browser, on the demo case: the page's own script draws the basemap and
the markers under the real Content Security Policy (no console errors), the cameras of the ANPR
camera list (AR/1: 15) and the demo's mast sites are drawn, and clicking a marker says what it
is — a mast or camera position, not where any phone or vehicle was."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import DemoServer, sign_in


def test_the_demo_map_draws_masts_and_cameras(page: Page, demo_server: DemoServer) -> None:
    sign_in(page, "demo")
    # listened to from here: the browser's own request for a favicon at sign-in is no error of
    # the map's
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{demo_server.case_url}/map")
    expect(page.get_by_role("heading", level=1)).to_contain_text("map")
    cameras = page.locator('#map-svg [data-marker="camera"]')
    expect(cameras).to_have_count(15)
    sites = page.locator('#map-svg [data-marker="site"]')
    expect(sites.first).to_be_visible()
    assert sites.count() > 0
    # the outlines are fetched after the markers are drawn: wait for them and their attribution
    expect(page.locator("#map-attribution")).to_contain_text("Basemap")
    expect(page.locator("#map-svg path").first).to_be_attached()
    cameras.first.click()
    expect(page.locator("#map-selection")).to_contain_text("camera")
    assert "was at" not in page.content()
    assert errors == []
