"""Phone-download pages and their API twins, on SQLite and PostgreSQL.

Over the hand-built AP/1 of ``tests/services/phone_case.py`` (a ZIP of canonical rows and the
media files they name): who may see the views (a non-member is refused everything, the media
bytes included), that every view and every reveal is logged as a consultation, that messages
are grouped and ordered as worked out by hand, that no page embeds a media file, and that a
file's bytes are served only from the reveal route, verified against the recorded SHA-256, with
a Content-Type that cannot run and ``nosniff`` (requirements 15, 16, 20, 22).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from threadline.model.access import Membership, Role
from threadline.model.ids import row_id
from threadline.services import access, cases
from threadline.services.workspace import Workspace
from threadline.store import audit_log

from .conftest import MakeApp, add_user, error_of, register, sign_in


def _phone_case() -> ModuleType:
    """tests/services/phone_case.py, loaded by path (tests/services is not a package)."""
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
PHOTO: bytes = PC.media_files()["files/photo1.png"]
NOTES: bytes = PC.media_files()["files/notes.html"]


class Rowan:
    """OP-ROWAN with AP/1; ``ivy`` owns it, ``rex`` (researcher) is a member, ``nora``
    (investigator) is not a member."""

    def __init__(self, ws: Workspace, exhibit_id: str) -> None:
        self.ws = ws
        self.exhibit_id = exhibit_id
        self.case_id = cases.show_case(ws, PC.CASE).id

    @property
    def base(self) -> str:
        return f"/cases/{self.case_id}/exhibits/{self.exhibit_id}"

    def media(self, locator: str) -> str:
        return f"{self.base}/media/{row_id(self.exhibit_id, locator)}/content"

    def audit(self) -> list[tuple[str, str, str | None]]:
        with self.ws.session() as session:
            return [(e.actor, e.action, e.object_id) for e in audit_log.entries(session)]


@pytest.fixture
def rowan(workspace: Workspace, tmp_path: Path) -> Rowan:
    exhibit_id = PC.build_phone_case(workspace, tmp_path)
    add_user(workspace, "ivy", Role.INVESTIGATOR)
    add_user(workspace, "rex", Role.RESEARCHER)
    add_user(workspace, "nora", Role.INVESTIGATOR)
    access.set_member(workspace, PC.CASE, "ivy", Membership.OWNER)
    access.set_member(workspace, PC.CASE, "rex", Membership.MEMBER)
    return Rowan(workspace, exhibit_id)


def _client(make_app: MakeApp, username: str) -> TestClient:
    client = TestClient(make_app())
    sign_in(client, username)
    return client


def _paths(r: Rowan) -> list[str]:
    thread = "0" * 32
    return [
        f"{r.base}/phone",
        f"{r.base}/phone/contacts",
        f"{r.base}/phone/calls",
        f"{r.base}/phone/locations",
        f"{r.base}/phone/devices",
        f"{r.base}/phone/messages",
        f"{r.base}/phone/messages/{thread}",
        f"{r.base}/phone/media",
        r.media("$.media[0]"),
    ]


def test_a_non_member_is_refused_every_view_and_the_bytes(rowan: Rowan, make_app: MakeApp) -> None:
    client = _client(make_app, "nora")
    before = rowan.audit()
    for path in _paths(rowan):
        page = client.get(path)
        assert page.status_code == 403, path
        assert PHOTO not in page.content
        api = client.get("/api" + path)
        assert api.status_code == 403, path
        assert error_of(api)["type"] == "PermissionDenied"
    # nothing was consulted
    after = rowan.audit()[len(before) :]
    assert not [a for a in after if a[1].startswith(("phone.", "media."))], after


def test_a_member_reading_evidence_sees_the_views(rowan: Rowan, make_app: MakeApp) -> None:
    client = _client(make_app, "rex")  # a researcher may read evidence
    for path in [*_paths(rowan)[:6], f"{rowan.base}/phone/media"]:
        assert client.get(path).status_code == 200, path
    exhibit_page = client.get(rowan.base).text
    assert f'href="{rowan.base}/phone"' in exhibit_page
    # an exhibit that is not a phone download offers no such view
    other = register(rowan.ws, PC.CASE, "JB/9")
    assert "/phone" not in client.get(f"/cases/{rowan.case_id}/exhibits/{other.id}").text
    # an exhibit id of no exhibit of the case
    assert client.get(f"/cases/{rowan.case_id}/exhibits/{'1' * 32}/phone").status_code == 404
    assert client.get(f"{rowan.base}/phone/source_rows").status_code == 404


def test_summary_and_conversations_as_worked_out_by_hand(rowan: Rowan, make_app: MakeApp) -> None:
    client = _client(make_app, "ivy")
    summary = client.get(f"{rowan.base}/phone").text
    for fact in ("Acme", "A1 Test", "Android 14", PC.IMEI, "001010123456789", "Ana Pop"):
        assert fact in summary
    assert "UFED 7.60; Logical" in summary
    assert "in 4 conversations" in summary

    threads = client.get(f"{rowan.base}/phone/messages").text
    labels = re.findall(r'<a href="[^"]+/phone/messages/([0-9a-f]{32})">([^<]+)</a>', threads)
    assert [label for _, label in labels] == [PC.DEV, "Yard crew", PC.BEN, "chat-1"]
    crew_id = labels[1][0]

    crew = client.get(f"{rowan.base}/phone/messages/{crew_id}").text
    bodies = [crew.index(b) for b in ("meet at the yard", "on my way", "photo of the van")]
    assert bodies == sorted(bodies), "messages not in time order"
    # 10:00 UTC on 1 July is 11:00 BST; the body's markup is shown as text
    assert "2026-07-01 11:00:00 BST" in crew
    assert "&lt;b&gt;10:30&lt;/b&gt;" in crew
    assert crew.count('class="badge-deleted">DELETED') == 1
    assert "files/gone.jpg" in crew  # an attachment with no media record is still listed
    assert "<img" not in crew

    dev = client.get(f"{rowan.base}/phone/messages/{labels[0][0]}").text
    assert "zone unknown: “02/07/2026 14:00:00”" in dev

    api = client.get(f"/api{rowan.base}/phone/messages/{crew_id}").json()
    assert [m["locator"] for m in api["messages"]] == [
        "$.messages[1]",
        "$.messages[0]",
        "$.messages[2]",
    ]
    assert api["messages"][2]["attachments"][0]["media"]["row_id"] == row_id(
        rowan.exhibit_id, "$.media[0]"
    )
    listed = client.get(f"/api{rowan.base}/phone/messages").json()
    assert [t["label"] for t in listed["threads"]] == [PC.DEV, "Yard crew", PC.BEN, "chat-1"]
    summary_api = client.get(f"/api{rowan.base}/phone").json()
    assert (summary_api["threads"], summary_api["counts"]["media"]) == (4, 6)
    contacts = client.get(f"/api{rowan.base}/phone/contacts").json()
    assert [r["values"]["name"] for r in contacts["rows"]] == ["Ben Ash", "Cara Birch", "Dev Cedar"]

    logged = [action for actor, action, _ in rowan.audit() if actor == "ivy"]
    for action in ("phone.summary", "phone.threads", "phone.conversation", "phone.rows"):
        assert action in logged, action


def test_media_are_hidden_until_revealed_and_served_verified(
    rowan: Rowan, make_app: MakeApp
) -> None:
    client = _client(make_app, "ivy")
    page = client.get(f"{rowan.base}/phone/media").text
    # nothing is shown: no picture in the page, only the routes a Reveal button fetches
    assert "<img" not in page
    assert "<video" not in page
    assert f'data-reveal="{rowan.media("$.media[0]")}"' in page
    assert page.count("data-reveal=") == 6
    assert hashlib.sha256(PHOTO).hexdigest() in page  # hashes are shown as text
    logged_before = rowan.audit()
    assert ("ivy", "media.reveal", row_id(rowan.exhibit_id, "$.media[0]")) not in logged_before

    shown = client.get(rowan.media("$.media[0]"))
    assert shown.status_code == 200
    assert shown.content == PHOTO
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"] == (
        "inline; filename=\"photo1.png\"; filename*=UTF-8''photo1.png"
    )
    assert shown.headers["x-threadline-sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert "sandbox" in shown.headers["content-security-policy"]
    assert shown.headers["cache-control"] == "no-store"
    assert rowan.audit()[-1] == ("ivy", "media.reveal", row_id(rowan.exhibit_id, "$.media[0]"))

    # HTML is never served as a page: a download, of a type no browser runs
    notes = client.get(rowan.media("$.media[1]"))
    assert notes.content == NOTES
    assert notes.headers["content-type"] == "application/octet-stream"
    assert notes.headers["content-disposition"].startswith('attachment; filename="notes.html"')
    assert notes.headers["x-content-type-options"] == "nosniff"

    count = len(rowan.audit())
    tampered = client.get(rowan.media("$.media[2]"))
    assert tampered.status_code == 409
    assert PC.media_files()["files/tampered.png"] not in tampered.content
    for locator in ("$.media[3]", "$.media[4]"):  # ../../../etc/passwd, /etc/hostname
        refused = client.get("/api" + rowan.media(locator))
        assert refused.status_code == 422, locator
        assert error_of(refused)["type"] == "HostileInput"
        assert "path traversal" in error_of(refused)["message"]
    assert client.get(rowan.media("$.media[5]")).status_code == 404  # not in the exhibit
    # a record that is not a media file, and ids that are not record ids
    contact = f"{rowan.base}/media/{row_id(rowan.exhibit_id, '$.contacts[0]')}/content"
    assert client.get(contact).status_code == 404
    assert client.get(f"{rowan.base}/media/..%2F..%2Fetc%2Fpasswd/content").status_code == 404
    assert len(rowan.audit()) == count, "a refused reveal was logged as a reveal"

    listed = client.get(f"/api{rowan.base}/phone/media").json()
    assert listed["total"] == 6
    first = listed["items"][0]
    assert (first["file_name"], first["kind"], first["sha256"]) == (
        "photo1.png",
        "image",
        hashlib.sha256(PHOTO).hexdigest(),
    )
    assert first["content_url"] == "/api" + rowan.media("$.media[0]")
    assert client.get(first["content_url"]).content == PHOTO
