"""Evidence pages over a hand-made handset extraction: hostile text in message bodies and names
is shown inert on search, record, entity and timeline pages; every page links rows back to
their exhibit; the audit export is a disclosure. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from threadline.model.access import Membership, Role
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.services import access, cases, exhibits, ingest
from threadline.services.workspace import Workspace
from threadline.store import audit_log

from .conftest import MakeApp, add_user, api_headers, sign_in


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


SCRIPT = "<script>alert('body')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def hostile_case(workspace: Workspace, tmp_path: Path) -> Workspace:
    """OP-INK: one message whose body is a script and one contact whose name is an image tag,
    ingested through the real ingest path by the test-only json_rows parser."""
    ws: Workspace = _json_rows().with_json_rows(workspace)
    source = tmp_path / "phone.json"
    source.write_text(
        json.dumps(
            {
                "format": "json_rows",
                "messages": [
                    {
                        "direction": "incoming",
                        "message_type": "sms",
                        "a_party": "+447700900321",
                        "a_party_original": "07700 900321",
                        "b_party": "+447700900654",
                        "b_party_original": "07700 900654",
                        "sent_utc": "2026-07-01T12:00:00+00:00",
                        "body": f"meet at the yard {SCRIPT}",
                    }
                ],
                "contacts": [
                    {
                        "name": f"Ana {IMAGE}",
                        "number": "+447700900321",
                        "number_original": "07700 900321",
                    }
                ],
            }
        ),
        "utf-8",
    )
    cases.create_case(ws, "OP-INK", "Operation Ink")
    exhibits.add_exhibit(ws, "OP-INK", "INK/1", source, producer="P", description="Handset")
    ingest.ingest_exhibit(ws, "OP-INK", "INK/1", parser="json_rows")
    add_user(ws, "ivy", Role.INVESTIGATOR)
    access.set_member(ws, "OP-INK", "ivy", Membership.OWNER)
    return ws


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html


def test_hostile_evidence_text_is_shown_inert_everywhere(
    hostile_case: Workspace, make_app: MakeApp
) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ivy")
    case_id = cases.show_case(hostile_case, "OP-INK").id

    results = client.post(f"/cases/{case_id}/search", data={"q": "yard", "csrf_token": token}).text
    _assert_inert(results)
    assert "meet at the yard" in results
    row_id = re.search(r"/records/([0-9a-f]{32})", results)
    assert row_id is not None
    record = client.get(f"/cases/{case_id}/records/{row_id.group(1)}").text
    _assert_inert(record)
    assert 'id="record-locator">$.messages[0]<' in record

    named = client.post(f"/cases/{case_id}/search", data={"q": "Ana", "csrf_token": token}).text
    _assert_inert(named)

    number = entity_id(EntityKind.NUMBER, "+447700900321")
    profile = client.get(f"/cases/{case_id}/entities/{number}")
    assert profile.status_code == 200
    _assert_inert(profile.text)
    timeline = client.get(f"/cases/{case_id}/timeline", params={"entity": number})
    assert timeline.status_code == 200
    assert 'id="timeline-total">1 events' in timeline.text


def test_evidence_api_answers_and_traces_rows(hostile_case: Workspace, make_app: MakeApp) -> None:
    client = TestClient(make_app())
    token = sign_in(client, "ivy")
    case_id = cases.show_case(hostile_case, "OP-INK").id
    found = client.post(
        f"/api/cases/{case_id}/search", json={"q": "447700900321"}, headers=api_headers(token)
    ).json()
    # the message (sender) and the contact entry hold the number: worked out from the fixture
    assert found["total"] == 2
    assert [(e["kind"], e["key"]) for e in found["entities"]] == [("number", "+447700900321")]
    hit = found["groups"][0]["hits"][0]
    record = client.get(f"/api/cases/{case_id}/records/{hit['row_id']}").json()
    assert (record["exhibit"], record["locator"]) == (hit["exhibit"], hit["locator"])
    profile = client.get(f"/api/cases/{case_id}/entities/{found['entities'][0]['entity_id']}")
    assert profile.json()["rows"] == 2
    page = client.get(f"/api/cases/{case_id}/timeline", params={"type": "messages"}).json()
    assert [e["row_id"] for e in page["events"]] == [
        h["row_id"] for g in found["groups"] if g["table"] == "messages" for h in g["hits"]
    ]
    assert client.get(f"/api/cases/{case_id}/entities/{'0' * 32}").status_code == 404


def test_audit_export_downloads_the_log_as_a_disclosure(
    workspace: Workspace, make_app: MakeApp
) -> None:
    add_user(workspace, "root", Role.ADMINISTRATOR)
    client = TestClient(make_app())
    token = sign_in(client, "root")
    response = client.post(
        "/admin/audit/export", data={"csrf_token": token, "justification": "annual audit"}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    lines = [json.loads(line) for line in response.text.splitlines()]
    entries, head = lines[:-1], lines[-1]
    assert [e["action"] for e in entries][:1] == ["user.add"]
    assert head["head_seq"] == len(entries)
    with workspace.session() as session:
        last = list(audit_log.entries(session))[-1]
    assert (last.action, last.operation, last.justification) == (
        "audit.export",
        "disclosure",
        "annual audit",
    )
    page = client.get("/admin/audit").text
    assert "The hash chain verifies" in page


def test_entity_profiles_show_the_findings_about_them(
    hostile_case: Workspace, make_app: MakeApp
) -> None:
    """A contact profile of the sender: one SMS received by 07700 900654 (worked out from the
    fixture); the finding, its explanation and a link to its row appear on the profile."""
    from threadline.services import analyse

    outcome = analyse.run_analysis(
        hostile_case, "OP-INK", "contact_profile", {"numbers": ["07700900321"]}
    )
    (finding,) = outcome.findings
    client = TestClient(make_app())
    sign_in(client, "ivy")
    case_id = cases.show_case(hostile_case, "OP-INK").id
    number = entity_id(EntityKind.NUMBER, "+447700900321")
    html = client.get(f"/cases/{case_id}/entities/{number}").text
    assert 'id="entity-findings"' in html
    assert "contact_profile@1.1.0" in html
    assert "+447700900321: 1 contact event(s) (1 SMS; 1 made, 0 received)" in html
    finding_url = f"/cases/{case_id}/findings/{finding.finding_id}?run={finding.run_id}"
    assert f'href="{finding_url.replace("&", "&amp;")}">1 row</a>' in html
    assert f"/cases/{case_id}/records/{finding.derived_from[0]}" in client.get(finding_url).text
    api = client.get(f"/api/cases/{case_id}/entities/{number}").json()
    assert [f["finding_id"] for f in api["findings"]] == [finding.finding_id]
    other = entity_id(EntityKind.NUMBER, "+447700900654")
    assert 'id="entity-findings"' not in client.get(f"/cases/{case_id}/entities/{other}").text
