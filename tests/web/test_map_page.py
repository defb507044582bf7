"""The case map page and its API, on SQLite and PostgreSQL.

OP-OAK holds one hand-made exhibit: T (+447700900001) makes two calls on cell C1 of the Quay
Mast (operator), one of them ending on C3 (a crowd-sourced estimate); AB12CDE is read twice at
CAM1. By hand: the mast counts 2 records, C3 1, CAM1 2 reads.
"""

from __future__ import annotations

import html as html_lib
import importlib.util
import json
import re
import sys
from html import unescape
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from threadline.analysis.cell_wording import CELL_SITE_CAVEATS, forbidden_phrases
from threadline.model.access import Role
from threadline.services import exhibits, ingest
from threadline.services.map import MAP_STATEMENT
from threadline.services.workspace import Workspace

from .conftest import MakeApp, add_user, api_headers, open_case, sign_in

T = "+447700900001"
SHARED_BASEMAP = (
    Path(__file__).resolve().parents[3]
    / "shared/data/reference/uk_geography/uk_geojson_martinjc/gb_topo_lad.json"
)
EVIDENCE = {
    "format": "json_rows",
    "calls": [
        {
            "target_role": "a",
            "a_party": T,
            "b_party": "+447700900002",
            "start_cell": "C1",
            "end_cell": "C1",
            "start_utc": "2026-06-01T09:00:00+00:00",
        },
        {
            "target_role": "a",
            "a_party": T,
            "b_party": "+447700900002",
            "start_cell": "C1",
            "end_cell": "C3",
            "start_utc": "2026-06-01T10:00:00+00:00",
        },
    ],
    "cell_sites": [
        {
            "cell_id": "C1",
            "site_name": "Quay Mast",
            "latitude": 51.5,
            "longitude": -0.1,
            "position_basis": "operator",
        },
        {
            "cell_id": "C3",
            "latitude": 51.6,
            "longitude": -0.2,
            "position_basis": "crowd-sourced-approximate",
        },
    ],
    "anpr_cameras": [{"camera_id": "CAM1", "road": "A1", "latitude": 51.45, "longitude": -0.05}],
    "anpr_reads": [
        {"vrm": "AB12CDE", "camera_id": "CAM1", "read_utc": "2026-06-01T09:00:00+00:00"},
        {"vrm": "AB12CDE", "camera_id": "CAM1", "read_utc": "2026-06-01T09:30:00+00:00"},
    ],
}


def _json_rows() -> ModuleType:
    """The test-only json_rows parser of tests/services, loaded by path (it is not a package)."""
    path = Path(__file__).resolve().parents[1] / "services" / "json_rows_parser.py"
    spec = importlib.util.spec_from_file_location("json_rows_parser", path)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules.get("json_rows_parser") or importlib.util.module_from_spec(spec)
    if "json_rows_parser" not in sys.modules:
        sys.modules["json_rows_parser"] = module
        spec.loader.exec_module(module)
    return module


@pytest.fixture
def oak(workspace: Workspace, tmp_path: Path) -> str:
    """OP-OAK with its exhibit ingested, owned by ann; rex is a user who is not a member."""
    ws = _json_rows().with_json_rows(workspace)
    add_user(ws, "ann", Role.ANALYST)
    add_user(ws, "rex", Role.ANALYST)
    info = open_case(ws, "OP-OAK", owners=("ann",))
    source = tmp_path / "oak.json"
    source.write_text(json.dumps(EVIDENCE), encoding="utf-8")
    exhibits.add_exhibit(ws, "OP-OAK", "EX/1", source, producer="DC Test", description="rows")
    ingest.ingest_exhibit(ws, "OP-OAK", "EX/1", parser="json_rows")
    return info.id


def test_the_page_prints_the_caveats_and_draws_the_chosen_rows(oak: str, make_app: MakeApp) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ann")
    empty = client.get(f"/cases/{oak}/map")
    assert empty.status_code == 200
    assert "not where any phone, vehicle or person was" in empty.text
    html = client.post(
        f"/cases/{oak}/map",
        data={
            "csrf_token": token,
            "numbers": "07700 900001",
            "vrms": "ab12 cde",
            "from": "2026-06-01",
            "to": "2026-06-01",
        },
    ).text
    text = unescape(html)  # the page escapes apostrophes
    for caveat in CELL_SITE_CAVEATS:
        assert caveat in text
    assert MAP_STATEMENT in text
    assert "Crowd-sourced cell positions are approximate" in text  # C3 is on the map
    assert '<script src="/static/map.js" defer></script>' in html
    assert "<script>" not in html  # no inline script (CSP)
    # the map's data rides on its element as JSON (no inline script under the policy)
    block = re.search(r"id=\"case-map\" data-map='([^']*)'", html)
    assert block is not None
    data = json.loads(html_lib.unescape(block.group(1)))
    assert [(s["site_name"], s["records"], s["approximate"]) for s in data["sites"]] == [
        ("Quay Mast", 2, False),
        (None, 1, True),
    ]
    assert [(c["camera_id"], c["reads"]) for c in data["cameras"]] == [("CAM1", 2)]
    rows = re.findall(rf'href="/cases/{oak}/records/([0-9a-f]{{32}})"', html)
    assert len(set(rows)) == 4  # 2 calls, 2 reads
    assert not forbidden_phrases(html)


def test_the_api_answers_json_and_refuses_non_members(oak: str, make_app: MakeApp) -> None:
    app = make_app()
    client = TestClient(app)
    token = sign_in(client, "ann")
    answer = client.post(
        f"/api/cases/{oak}/map",
        json={"numbers": [T], "vrms": ["AB12CDE"]},
        headers=api_headers(token),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["records"] for s in body["sites"]] == [2, 1]
    assert body["cameras"][0]["reads"] == 2
    assert body["caveats"][: len(CELL_SITE_CAVEATS)] == list(CELL_SITE_CAVEATS)
    other = TestClient(app)
    rex = sign_in(other, "rex")
    assert other.get(f"/cases/{oak}/map").status_code == 403
    refused = other.post(f"/api/cases/{oak}/map", json={}, headers=api_headers(rex))
    assert refused.status_code == 403
    bad = client.post(
        f"/api/cases/{oak}/map", json={"numbers": ["nonsense"]}, headers=api_headers(token)
    )
    assert bad.status_code == 422


@pytest.mark.skipif(not SHARED_BASEMAP.is_file(), reason="shared reference data not present")
def test_the_basemap_endpoint_serves_the_shared_file(oak: str, make_app: MakeApp) -> None:
    client = TestClient(make_app(basemap_path=SHARED_BASEMAP))
    assert client.get("/api/basemap", follow_redirects=False).status_code == 401
    sign_in(client, "rex")  # any signed-in user: the basemap holds no case data
    body = client.get("/api/basemap").json()
    assert body["available"] is True
    assert len(body["outlines"]) == 380
    assert "CC BY 4.0" in body["attribution"]


def test_the_basemap_endpoint_without_a_basemap(oak: str, make_app: MakeApp) -> None:
    client = TestClient(make_app(basemap_path=None))
    sign_in(client, "ann")
    assert client.get("/api/basemap").json()["available"] is False
    assert client.get(f"/cases/{oak}/map").status_code == 200  # the map works without one
