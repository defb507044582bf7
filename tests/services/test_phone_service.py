"""Phone-download views of an exhibit (threadline.services.phone), on SQLite and PostgreSQL.

The exhibit is the hand-built AP/1 of ``phone_case.py`` (a ZIP of canonical rows and the media
files they name); every expected value below is worked out by hand from the rows written there
(requirements 15, 16, 20, 22).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from phone_case import (
    BEN,
    CARA,
    CASE,
    DEV,
    EXHIBIT,
    IMEI,
    OWNER,
    build_phone_case,
    media_files,
    sha256,
)

from threadline.errors import ConfigError, HostileInput, IntegrityError, NotFound, PermissionDenied
from threadline.model.ids import row_id
from threadline.model.search_query import interpret_query
from threadline.services import phone, search, timeline
from threadline.services.workspace import Workspace
from threadline.store import audit_log

PHOTO = media_files()["files/photo1.png"]


@pytest.fixture
def rowan(workspace: Workspace, tmp_path: Path) -> tuple[Workspace, str]:
    """OP-ROWAN holding AP/1 ingested; and AP/1's exhibit id."""
    return workspace, build_phone_case(workspace, tmp_path)


def _audit(ws: Workspace) -> list[tuple[str, str | None, dict[str, object]]]:
    with ws.session() as session:
        return [(e.action, e.object_id, dict(e.detail)) for e in audit_log.entries(session)]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_summary_gives_the_device_and_counts(rowan: tuple[Workspace, str]) -> None:
    ws, exhibit_id = rowan
    assert phone.is_phone_download(ws, CASE, EXHIBIT)
    summary = phone.phone_summary(ws, CASE, EXHIBIT)
    (device,) = summary.devices
    assert device.row_id == row_id(exhibit_id, "$.devices[0]")
    assert device.values == {
        "manufacturer": "Acme",
        "model": "A1 Test",
        "os": "Android 14",
        "imei": IMEI,
        "imsi": "001010123456789",
        "iccid": "8900100000000000017",
        "msisdn": OWNER,
        "owner_name": "Ana Pop",
        "extraction": "UFED 7.60; Logical",
    }
    assert summary.counts == {
        "devices": 1,
        "contacts": 3,
        "calls": 1,
        "messages": 7,
        "locations": 1,
        "media": 6,
    }
    # WhatsApp chat-1, SMS with Ben (by party), SMS from Dev (by party), SMS chat-1
    assert summary.threads == 4
    action, object_id, detail = _audit(ws)[-1]
    assert (action, object_id) == ("phone.summary", exhibit_id)
    assert detail["row_ids"] == [device.row_id]


def test_threads_are_grouped_and_the_most_recent_first(rowan: tuple[Workspace, str]) -> None:
    ws, _exhibit_id = rowan
    page = phone.list_threads(ws, CASE, EXHIBIT)
    assert page.total == 4
    # latest possible times: Dev 2026-07-03 02:00 (zone unknown), Yard crew 07-01 10:10,
    # Ben 06-30 09:01, SMS chat-1 06-29 12:00
    assert [(t.label, t.source_app, t.messages, t.deleted) for t in page.threads] == [
        (DEV, "SMS", 1, 0),
        ("Yard crew", "WhatsApp", 3, 1),
        (BEN, "SMS", 2, 0),
        ("chat-1", "SMS", 1, 0),
    ]
    dev, crew, ben, _old = page.threads
    assert (dev.first_utc, dev.last_utc, dev.inexact) == (None, None, 1)
    assert (dev.earliest_utc, dev.latest_utc) == (_at("2026-07-02T00:00"), _at("2026-07-03T02:00"))
    assert (crew.first_utc, crew.last_utc, crew.inexact) == (
        _at("2026-07-01T10:00"),
        _at("2026-07-01T10:10"),
        0,
    )
    assert crew.participants == f"{OWNER}; {BEN}; {CARA}"
    assert (ben.thread, ben.counterpart) == (None, BEN)
    # paging: the second page of one holds the second thread
    second = phone.list_threads(ws, CASE, EXHIBIT, offset=1, limit=1)
    assert [t.thread_id for t in second.threads] == [crew.thread_id]
    assert second.total == 4
    with pytest.raises(ConfigError):
        phone.list_threads(ws, CASE, EXHIBIT, limit=0)


def test_a_conversation_is_in_time_order_with_its_attachments(
    rowan: tuple[Workspace, str],
) -> None:
    ws, exhibit_id = rowan
    crew = phone.list_threads(ws, CASE, EXHIBIT).threads[1]
    page = phone.conversation(ws, CASE, EXHIBIT, crew.thread_id)
    # given as [0] 10:05, [1] 10:00, [2] 10:10
    assert [m.locator for m in page.messages] == ["$.messages[1]", "$.messages[0]", "$.messages[2]"]
    assert [m.outgoing for m in page.messages] == [True, False, False]
    assert [m.sender_name for m in page.messages] == ["Ana Pop", "Ben Ash", "Cara Birch"]
    assert [m.sender for m in page.messages] == [OWNER, BEN, CARA]
    assert [m.deleted for m in page.messages] == [False, False, True]
    assert page.messages[0].body == "meet at the yard <b>10:30</b>"
    assert page.messages[0].time.utc == _at("2026-07-01T10:00")
    photo, gone = page.messages[2].attachments
    assert (photo.path, gone.path, gone.media) == ("files/photo1.png", "files/gone.jpg", None)
    assert photo.media is not None
    assert photo.media.row_id == row_id(exhibit_id, "$.media[0]")
    action, _object, detail = _audit(ws)[-1]
    assert action == "phone.conversation"
    assert detail["row_ids"] == [m.row_id for m in page.messages]

    ben = phone.list_threads(ws, CASE, EXHIBIT).threads[2]
    sms = phone.conversation(ws, CASE, EXHIBIT, ben.thread_id)
    assert [(m.locator, m.outgoing) for m in sms.messages] == [
        ("$.messages[3]", False),
        ("$.messages[4]", True),
    ]
    dev = phone.list_threads(ws, CASE, EXHIBIT).threads[0]
    (only,) = phone.conversation(ws, CASE, EXHIBIT, dev.thread_id).messages
    assert (only.time.status, only.time.utc, only.time.original) == (
        "zone_unknown",
        None,
        "02/07/2026 14:00:00",
    )
    with pytest.raises(NotFound):
        phone.conversation(ws, CASE, EXHIBIT, "0" * 32)
    with pytest.raises(NotFound):
        phone.conversation(ws, CASE, EXHIBIT, "../x")


def test_listed_tables_in_their_order(rowan: tuple[Workspace, str]) -> None:
    ws, exhibit_id = rowan
    contacts = phone.list_rows(ws, CASE, EXHIBIT, "contacts")
    assert [(r.values["name"], r.deleted) for r in contacts.rows] == [
        ("Ben Ash", False),
        ("Cara Birch", False),
        ("Dev Cedar", True),
    ]
    assert contacts.total == 3
    (call,) = phone.list_rows(ws, CASE, EXHIBIT, "calls").rows
    assert (call.values["a_party"], call.values["b_party"], call.values["duration_s"]) == (
        OWNER,
        BEN,
        42,
    )
    assert call.time is not None
    assert call.time.utc == _at("2026-06-30T08:00")
    (fix,) = phone.list_rows(ws, CASE, EXHIBIT, "locations").rows
    assert (fix.values["latitude"], fix.values["longitude"]) == (51.5, -0.12)
    assert fix.row_id == row_id(exhibit_id, "$.locations[0]")
    with pytest.raises(ConfigError):
        phone.list_rows(ws, CASE, EXHIBIT, "source_rows")


def test_media_are_listed_with_their_facts(rowan: tuple[Workspace, str]) -> None:
    ws, exhibit_id = rowan
    page = phone.list_media(ws, CASE, EXHIBIT)
    # the timed photo first, then the untimed by path ('.' < '/' < 'f')
    assert [i.locator for i in page.items] == [
        "$.media[0]",
        "$.media[3]",
        "$.media[4]",
        "$.media[5]",
        "$.media[1]",
        "$.media[2]",
    ]
    photo = page.items[0]
    assert (photo.file_name, photo.size_bytes, photo.kind, photo.camera) == (
        "photo1.png",
        len(PHOTO),
        "image",
        "Acme A1 Test",
    )
    assert (photo.sha256, photo.md5) == (sha256(PHOTO), hashlib.md5(PHOTO).hexdigest())
    assert (photo.latitude, photo.longitude) == (51.501, -0.141)
    assert photo.time.utc == _at("2026-07-01T10:09")
    assert page.items[4].kind == "other"  # text/html
    assert page.items[4].deleted
    assert _audit(ws)[-1][2]["row_ids"] == [row_id(exhibit_id, i.locator) for i in page.items]


def test_reveal_serves_verified_bytes_and_is_logged(rowan: tuple[Workspace, str]) -> None:
    ws, exhibit_id = rowan
    photo_id = row_id(exhibit_id, "$.media[0]")
    content = phone.reveal_media(ws, CASE, EXHIBIT, photo_id)
    try:
        assert content.data.read() == PHOTO
    finally:
        content.close()
    assert (content.content_type, content.inline, content.file_name, content.sha256) == (
        "image/png",
        True,
        "photo1.png",
        sha256(PHOTO),
    )
    action, object_id, detail = _audit(ws)[-1]
    assert (action, object_id, detail["locator"], detail["sha256"]) == (
        "media.reveal",
        photo_id,
        "$.media[0]",
        sha256(PHOTO),
    )

    notes = phone.reveal_media(ws, CASE, EXHIBIT, row_id(exhibit_id, "$.media[1]"))
    notes.close()
    assert (notes.content_type, notes.inline) == ("application/octet-stream", False)

    before = len(_audit(ws))
    refusals: list[tuple[str, type[Exception]]] = [
        ("$.media[2]", IntegrityError),  # recorded hash is another file's
        ("$.media[3]", HostileInput),  # ../../../etc/passwd
        ("$.media[4]", HostileInput),  # /etc/hostname
        ("$.media[5]", NotFound),  # not in the exhibit
        ("$.contacts[0]", NotFound),  # not a media row
    ]
    for locator, error in refusals:
        with pytest.raises(error):
            phone.reveal_media(ws, CASE, EXHIBIT, row_id(exhibit_id, locator))
    with pytest.raises(NotFound):
        phone.reveal_media(ws, CASE, EXHIBIT, "not-a-row-id")
    # nothing was revealed, so nothing was logged as revealed
    assert len(_audit(ws)) == before


def test_reveal_from_a_folder_exhibit(workspace: Workspace, tmp_path: Path) -> None:
    exhibit_id = build_phone_case(workspace, tmp_path, as_folder=True)
    content = phone.reveal_media(workspace, CASE, EXHIBIT, row_id(exhibit_id, "$.media[0]"))
    try:
        assert content.data.read() == PHOTO
    finally:
        content.close()
    with pytest.raises(HostileInput):
        phone.reveal_media(workspace, CASE, EXHIBIT, row_id(exhibit_id, "$.media[3]"))
    with pytest.raises(IntegrityError):
        phone.reveal_media(workspace, CASE, EXHIBIT, row_id(exhibit_id, "$.media[2]"))


def test_views_need_a_justification_when_policy_says_so(
    rowan: tuple[Workspace, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, exhibit_id = rowan
    monkeypatch.setattr(ws.settings, "justification_required", True)
    before = len(_audit(ws))
    with pytest.raises(PermissionDenied):
        phone.phone_summary(ws, CASE, EXHIBIT)
    with pytest.raises(PermissionDenied):
        phone.reveal_media(ws, CASE, EXHIBIT, row_id(exhibit_id, "$.media[0]"))
    assert len(_audit(ws)) == before
    phone.list_media(ws, CASE, EXHIBIT, justification="welfare-reviewed triage")
    assert _audit(ws)[-1][0] == "phone.media"


def test_a_hash_finds_the_media_file(rowan: tuple[Workspace, str]) -> None:
    ws, exhibit_id = rowan
    photo_id = row_id(exhibit_id, "$.media[0]")
    for text in (sha256(PHOTO), sha256(PHOTO).upper(), hashlib.md5(PHOTO).hexdigest()):
        found = search.search_case(ws, CASE, text)
        assert [(g.table, [h.row_id for h in g.hits]) for g in found.groups] == [
            ("media", [photo_id])
        ], text
        assert found.groups[0].title == "Media files"
    by_name = search.search_case(ws, CASE, "photo1")
    assert [g.table for g in by_name.groups] == ["media"]
    # thread and sender names are text: "Yard crew" is the group's name on three messages
    crew = search.search_case(ws, CASE, "yard crew")
    assert [(g.table, g.total) for g in crew.groups] == [("messages", 3)]
    cara = search.search_case(ws, CASE, "Cara Birch")
    # the contact entry, and the message whose sender name it is
    assert sorted((g.table, g.total) for g in cara.groups) == [("contacts", 1), ("messages", 1)]


def test_hashes_are_read_as_hashes() -> None:
    md5 = "D41D8CD98F00B204E9800998ECF8427E"
    query = interpret_query(md5)
    assert (query.terms, query.words, query.hashes) == ((), (), (md5.lower(),))
    assert query.description == f"file hash {md5.lower()} (MD5)"
    mixed = interpret_query(f"{md5}, 07700 900123")
    assert mixed.hashes == (md5.lower(),)
    assert [t.key for t in mixed.terms] == ["+447700900123"]
    assert interpret_query("d41d8cd98f00b204e9800998ecf8427").hashes == ()  # 31 digits


def test_photos_join_the_timeline_and_zone_unknown_keeps_its_range(
    rowan: tuple[Workspace, str],
) -> None:
    ws, exhibit_id = rowan
    page = timeline.timeline(ws, CASE)
    # 1 call, 7 messages, 1 location, 1 photo with a taken time; media without one are no event
    assert page.total == 10
    assert [(e.table, e.locator) for e in page.events][-3:] == [
        ("media", "$.media[0]"),
        ("messages", "$.messages[2]"),
        ("messages", "$.messages[5]"),
    ]
    photo = next(e for e in page.events if e.table == "media")
    assert (photo.detail, photo.time.utc) == ("photo1.png", _at("2026-07-01T10:09"))
    last = page.events[-1]
    assert (last.time.status, last.time.sort_utc, last.time.latest_utc) == (
        "zone_unknown",
        _at("2026-07-02T00:00"),
        _at("2026-07-03T02:00"),
    )
    only_media = timeline.timeline(ws, CASE, tables=["media"])
    assert (only_media.total, [e.row_id for e in only_media.events]) == (
        1,
        [row_id(exhibit_id, "$.media[0]")],
    )
