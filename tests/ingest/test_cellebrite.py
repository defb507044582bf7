"""Golden tests of the Cellebrite UFED parser.

Expected rows are worked out by hand from ``tests/fixtures/cellebrite/report.xml`` (built by
``make_fixtures.py``; the line numbers in locators were read off the file) and from IPED's two
report fragments in the shared data (``ufed-model-chat.xml``, ``ufed-model-useraccount.xml``),
read by eye. Media hashes are computed here with hashlib from the UFDR members' bytes.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from collect_sink import Parsed, raw_records, run_parser
from phone_support import probe, utc

from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.cellebrite.parser import CellebriteParser
from threadline.ingest.registry import Registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cellebrite"
UFDR = FIXTURES / "synthetic.ufdr"
REPORT = FIXTURES / "report.xml"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "cellebrite_ufed_xml"
CHAT = SHARED / "ufed-model-chat.xml"
ACCOUNTS = SHARED / "ufed-model-useraccount.xml"

R = "report.xml#line="
OWNER_JID = "447700900123@s.whatsapp.net"
MO_JID = "447700900321@s.whatsapp.net"
KAI_JID = "447700900654@s.whatsapp.net"
CHAT1 = f"{MO_JID}; {OWNER_JID}"
CHAT2 = f"{OWNER_JID}; {MO_JID}; {KAI_JID}"
_SKIP = {"row_id", "exhibit_id", "parser"}


def parse(path: Path) -> Parsed:
    ctx, sink = run_parser(CellebriteParser(), path, exhibit_id="e1", reference="JB/2")
    assert ctx.row_counts == sink.counts()
    return Parsed(ctx)


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A row's filled columns, without provenance; an exact time's earliest/latest must equal
    its UTC value and are then left out."""
    kept = {}
    for key, value in row.items():
        if key in _SKIP or value is None:
            continue
        if key.endswith(("_earliest_utc", "_latest_utc")):
            prefix = key.rsplit("_", 2)[0]
            if row.get(f"{prefix}_status") == "exact":
                assert value == row[f"{prefix}_utc"], key
                continue
        kept[key] = value
    return kept


def sent(when: datetime, original: str, basis: str = "UTC") -> dict[str, Any]:
    return {
        "sent_utc": when,
        "sent_status": "exact",
        "sent_original": original,
        "time_basis": basis,
    }


@pytest.fixture(scope="module")
def ufdr() -> Parsed:
    return parse(UFDR)


def test_counts_and_detected_facts(ufdr: Parsed) -> None:
    assert ufdr.counts == {
        "devices": 2,
        "contacts": 5,
        "calls": 4,
        "messages": 10,
        "accounts": 2,
        "locations": 1,
        "media": 3,
        # one per row's record, plus the two chats' own records and the Wi-Fi record
        "source_rows": 30,
    }
    assert ufdr.ctx.detected == {
        "cellebrite.container": "ufdr",
        "cellebrite.report_version": "7.60.0.123",
        "cellebrite.extractions": "2",
        "cellebrite.models": "17",
    }


def test_devices(ufdr: Parsed) -> None:
    extraction = (
        "Cellebrite UFED report 7.60.0.123; Logical (AdvancedLogical); File System (FileSystem)"
    )
    rows = [present(r) for r in ufdr.rows("devices")]
    assert rows == [
        {
            "locator": R + "13;section=Device Info",
            "imei": "356170801234569",
            "imei_key": "35617080123456",
            "imei_original": "356170801234569",
            "imsi": "001010123456789",
            "imsi_original": "001010123456789",
            "iccid": "89001010000000000012",
            "msisdn": "+447700900123",
            "msisdn_original": "+447700900123",
            "manufacturer": "Samsung",
            "model": "SM-A525F",
            "os": "Android 13",
            "extraction": extraction,
            "owner_name": "Jordan Vale",
        },
        {
            "locator": R + "18;item=IMEI",
            "imei": "356170801234577",
            "imei_key": "35617080123457",
            "imei_original": "356170801234577",
            "manufacturer": "Samsung",
            "model": "SM-A525F",
            "extraction": extraction,
        },
    ]
    (unread,) = ufdr.issues_with("cellebrite.device_info_not_read")
    assert unread.value == "Bluetooth MAC Address"


def test_contacts_one_row_per_entry(ufdr: Parsed) -> None:
    aisha = R + "52;model=c1000000-0000-4000-8000-000000000001;entry=e1000000-0000-4000-8000-"
    common = {"name": "Aisha Khan", "source_app": "Phone", "deleted_state": "intact"}
    assert [present(r) for r in ufdr.rows("contacts")] == [
        {
            "locator": aisha + "000000000011",
            **common,
            "number": "+447700900456",
            "number_original": "07700 900456",
        },
        {
            "locator": aisha + "000000000012",
            **common,
            "number": "+441632960123",
            "number_original": "+44 1632 960123",
        },
        {"locator": aisha + "000000000013", **common, "email": "aisha.khan@example.org"},
        {
            "locator": R + "73;model=c1000000-0000-4000-8000-000000000002;"
            "entry=e1000000-0000-4000-8000-000000000022",
            "name": "Dave Morris (Big D)",
            "number": "+447700900789",
            "number_original": "07700900789",
            "source_app": "Phone",
            "deleted_state": "intact",
        },
        {
            "locator": R + "89;model=c1000000-0000-4000-8000-000000000003;"
            "entry=e1000000-0000-4000-8000-000000000031",
            "name": "Mo",
            "number": "+447700900321",
            "number_original": MO_JID,
            "account": MO_JID,
            "source_app": "WhatsApp",
            "deleted_state": "deleted",
        },
    ]


def test_calls(ufdr: Parsed) -> None:
    def start(when: datetime, original: str, basis: str = "UTC") -> dict[str, Any]:
        return {
            "start_utc": when,
            "start_status": "exact",
            "start_original": original,
            "time_basis": basis,
        }

    basis = "call duration as the handset logged it"
    assert [present(r) for r in ufdr.rows("calls")] == [
        {
            "locator": R + "102;model=a1000000-0000-4000-8000-000000000001",
            "record_type_original": (
                "Direction=Outgoing; Type=Outgoing; Status=Established; VideoCall=False"
            ),
            "direction": "outgoing",
            "b_party": "+447700900456",
            "b_party_original": "07700 900456",
            "target_role": "a",
            **start(utc(2026, 6, 1, 12, 30, 5, 250000), "2026-06-01T12:30:05.250+00:00"),
            "duration_s": 125,
            "duration_original": "00:02:05",
            "duration_basis": basis,
            "source_app": "Phone",
            "deleted_state": "intact",
        },
        {
            "locator": R + "119;model=a1000000-0000-4000-8000-000000000002",
            "record_type_original": "Direction=Incoming; Status=Established",
            "direction": "incoming",
            "a_party": "+447700900789",
            "a_party_original": "+447700900789",
            "target_role": "b",
            # 14:10 at +01:00 is 13:10 UTC
            **start(utc(2026, 6, 1, 13, 10), "2026-06-01T14:10:00.000+01:00", "UTC+01:00"),
            "duration_s": 42,
            "duration_original": "00:00:42",
            "duration_basis": basis,
            "source_app": "Phone",
            "deleted_state": "intact",
        },
        {
            # no Direction: the owner is the To party, so incoming; Status Missed makes it missed
            "locator": R + "134;model=a1000000-0000-4000-8000-000000000003",
            "record_type_original": "Status=Missed",
            "direction": "missed",
            "a_party": "+447700900999",
            "a_party_original": "+447700900999",
            "b_party": "+447700900123",
            "b_party_original": "+447700900123",
            "target_role": "b",
            **start(utc(2026, 6, 1, 23, 59, 59, 999000), "2026-06-01T23:59:59.999+00:00"),
            "duration_s": 0,
            "duration_original": "00:00:00",
            "duration_basis": basis,
            "source_app": "Phone",
            "deleted_state": "intact",
        },
        {
            # WhatsApp video call, no Direction: the owner is the From party, so outgoing
            "locator": R + "154;model=a1000000-0000-4000-8000-000000000004",
            "record_type_original": "VideoCall=True",
            "direction": "outgoing",
            "a_party": "+447700900123",
            "a_party_original": OWNER_JID,
            "b_party": "+447700900321",
            "b_party_original": MO_JID,
            "target_role": "a",
            **start(utc(2026, 6, 2, 8, 0), "2026-06-02T08:00:00.000+00:00"),
            "duration_s": 3607,
            "duration_original": "01:00:07",
            "duration_basis": basis,
            "source_app": "WhatsApp",
            "deleted_state": "intact",
        },
    ]


def _whatsapp(thread: str, name: str, participants: str) -> dict[str, Any]:
    return {
        "record_type_original": "InstantMessage",
        "message_type": "im",
        "thread": thread,
        "thread_name": name,
        "participants": participants,
        "source_app": "WhatsApp",
    }


def _from_mo() -> dict[str, Any]:
    # received in the two-person chat: the chat's owner participant is the recipient
    return {
        "direction": "incoming",
        "a_party": "+447700900321",
        "a_party_original": MO_JID,
        "a_party_name": "Mo",
        "b_party": "+447700900123",
        "b_party_original": OWNER_JID,
        "target_role": "b",
    }


def _from_owner(to_mo: bool) -> dict[str, Any]:
    row = {
        "direction": "outgoing",
        "a_party": "+447700900123",
        "a_party_original": OWNER_JID,
        "a_party_name": "Jordan Vale",
        "target_role": "a",
    }
    if to_mo:
        row.update(b_party="+447700900321", b_party_original=MO_JID)
    return row


def test_messages(ufdr: Parsed) -> None:
    chat1 = _whatsapp(MO_JID, "Mo", CHAT1)
    chat2 = _whatsapp("120363000000000001@g.us", "Unit 4 lads", CHAT2)
    assert [present(r) for r in ufdr.rows("messages")] == [
        {
            "locator": R + "194;model=m1000000-0000-4000-8000-000000000001",
            **chat1,
            **_from_mo(),
            "body": "Are you at the unit?",
            **sent(utc(2026, 6, 1, 9, 15, 0, 123000), "2026-06-01T09:15:00.123+00:00"),
            "deleted_state": "intact",
        },
        {
            "locator": R + "212;model=m1000000-0000-4000-8000-000000000002",
            **chat1,
            **_from_owner(to_mo=True),
            "body": "On my way",
            **sent(utc(2026, 6, 1, 9, 16, 30), "2026-06-01T09:16:30.000+00:00"),
            # the attachment names tagged file f1...02, whose Local Path is this member
            "attachments": "files/Image/IMG-20260601-WA0003.jpg",
            "deleted_state": "intact",
        },
        {
            # the Base64String body decodes to printable text, so the text is shown
            "locator": R + "243;model=m1000000-0000-4000-8000-000000000003",
            **chat1,
            **_from_mo(),
            "body": "Delete this after reading",
            **sent(utc(2026, 6, 1, 8, 20), "2026-06-01T09:20:00.000+01:00", "UTC+01:00"),
            "deleted_state": "deleted",
        },
        {
            # the Base64String body decodes to bytes 00 01 02 FF: kept as written
            "locator": R + "261;model=m1000000-0000-4000-8000-000000000004",
            **chat1,
            **_from_owner(to_mo=True),
            "body": "AAEC/w==",
            **sent(utc(2026, 6, 1, 9, 21), "2026-06-01T09:21:00.000+00:00"),
            "deleted_state": "intact",
        },
        {
            # an intact message of a deleted chat is deleted
            "locator": R + "303;model=m2000000-0000-4000-8000-000000000001",
            **chat2,
            "direction": "incoming",
            "a_party": "+447700900654",
            "a_party_original": KAI_JID,
            "a_party_name": "Kai",
            "b_party": "+447700900123",
            "b_party_original": OWNER_JID,
            "target_role": "b",
            "body": "Van at 6",
            **sent(utc(2026, 6, 1, 17, 0), "2026-06-01T17:00:00.000+00:00"),
            "deleted_state": "deleted",
        },
        {
            # sent to a group of three: no single recipient; written once although the report
            # repeats it as a stand-alone InstantMessage at line 343
            "locator": R + "321;model=m2000000-0000-4000-8000-000000000002",
            **chat2,
            **_from_owner(to_mo=False),
            "body": "Got it",
            **sent(utc(2026, 6, 1, 17, 1), "2026-06-01T17:01:00.000+00:00"),
            "deleted_state": "deleted",
        },
        {
            # Telegram user ids are not telephone numbers: kept only as written
            "locator": R + "361;model=m3000000-0000-4000-8000-000000000001",
            "record_type_original": "InstantMessage",
            "message_type": "im",
            "direction": "incoming",
            "a_party_original": "5600023546",
            "a_party_name": "Sam",
            "b_party_original": "1234567890",
            "target_role": "b",
            "body": "see you there",
            **sent(utc(2026, 6, 1, 18, 30, 0, 500000), "2026-06-01T18:30:00.500+00:00"),
            "participants": "5600023546; 1234567890",
            "source_app": "Telegram",
            "deleted_state": "intact",
        },
        {
            "locator": R + "388;model=s1000000-0000-4000-8000-000000000001",
            "record_type_original": "SMS",
            "message_type": "sms",
            "direction": "incoming",
            "a_party": "+447700900456",
            "a_party_original": "+447700900456",
            "a_party_name": "Aisha Khan",
            "target_role": "b",
            "body": "Call me",
            **sent(utc(2026, 6, 1, 10, 0), "2026-06-01T10:00:00.000+00:00"),
            "participants": "+447700900456",
            "source_app": "SMS",
            "deleted_state": "intact",
        },
        {
            "locator": R + "401;model=s1000000-0000-4000-8000-000000000002",
            "record_type_original": "SMS",
            "message_type": "sms",
            "direction": "outgoing",
            "b_party": "+447700900456",
            "b_party_original": "07700 900456",
            "target_role": "a",
            "body": "ok",
            **sent(utc(2026, 6, 1, 10, 5), "2026-06-01T10:05:00.000+00:00"),
            "participants": "07700 900456",
            "source_app": "SMS",
            "deleted_state": "intact",
        },
        {
            "locator": R + "416;model=s2000000-0000-4000-8000-000000000001",
            "record_type_original": "MMS",
            "message_type": "mms",
            "direction": "incoming",
            "a_party": "+447700900789",
            "a_party_original": "+447700900789",
            "target_role": "b",
            "body": "pic",
            **sent(utc(2026, 6, 1, 11, 0), "2026-06-01T11:00:00.000+00:00"),
            "participants": "+447700900789",
            "attachments": "files/Image/image000.jpg",
            "source_app": "MMS",
            "deleted_state": "intact",
        },
    ]
    (duplicate,) = ufdr.issues_with("cellebrite.duplicate_message")
    assert duplicate.locator == R + "343;model=m2000000-0000-4000-8000-000000000002"
    (kept,) = ufdr.issues_with("cellebrite.base64_kept")
    assert kept.locator == R + "261;model=m1000000-0000-4000-8000-000000000004"


def test_accounts(ufdr: Parsed) -> None:
    base = R + "438;model=u1000000-0000-4000-8000-000000000001"
    common = {"service": "WhatsApp", "display_name": "Jordan Vale", "username": "jordanv"}
    assert [present(r) for r in ufdr.rows("accounts")] == [
        {
            "locator": base,
            **common,
            "account_id": OWNER_JID,
            "number": "+447700900123",
            "number_original": OWNER_JID,
        },
        {
            "locator": base + ";entry=e2000000-0000-4000-8000-000000000002",
            **common,
            "number": "+447700900123",
            "number_original": "+447700900123",
        },
    ]


def test_locations(ufdr: Parsed) -> None:
    assert [present(r) for r in ufdr.rows("locations")] == [
        {
            "locator": R + "461;model=l1000000-0000-4000-8000-000000000001",
            "at_utc": utc(2026, 6, 1, 12, 45, 10),
            "at_status": "exact",
            "at_original": "2026-06-01T13:45:10.000+01:00",
            "latitude": 51.5074,
            "longitude": -0.1278,
            "accuracy_m": 12.5,
            "source_app": "Google Maps",
            "time_basis": "UTC+01:00",
            "deleted_state": "deleted",
        }
    ]
    (mood,) = ufdr.issues_with("cellebrite.unknown_field")
    assert (mood.value, mood.count, mood.locator) == (
        "Location.Mood",
        1,
        R + "461;model=l1000000-0000-4000-8000-000000000001",
    )


def test_media_hashed_from_the_ufdr_members(ufdr: Parsed) -> None:
    with zipfile.ZipFile(UFDR) as archive:
        photo = archive.read("files/Image/20260601_134510.jpg")
        whatsapp = archive.read("files/Image/IMG-20260601-WA0003.jpg")
    assert [present(r) for r in ufdr.rows("media")] == [
        {
            "locator": R + "26;file=f1000000-0000-4000-8000-000000000001",
            "path": "files/Image/20260601_134510.jpg",
            "original_path": "/data/media/0/DCIM/Camera/20260601_134510.jpg",
            "file_name": "20260601_134510.jpg",
            "size_bytes": len(photo),
            "sha256": hashlib.sha256(photo).hexdigest(),
            "md5": hashlib.md5(photo).hexdigest(),
            "mime_type": "image/jpeg",
            # EXIF 13:45:10 with OffsetTimeOriginal +01:00
            "taken_utc": utc(2026, 6, 1, 12, 45, 10),
            "taken_status": "exact",
            "taken_original": "2026:06:01 13:45:10 +01:00",
            "latitude": 51.5,  # 51° 30′ N
            "longitude": -0.125,  # 0° 7′ 30″ W
            "camera_make": "Samsung",
            "camera_model": "SM-A525F",
            "time_basis": "UTC+01:00",
            "deleted_state": "intact",
        },
        {
            "locator": R + "35;file=f1000000-0000-4000-8000-000000000002",
            "path": "files/Image/IMG-20260601-WA0003.jpg",
            "original_path": (
                "/data/data/com.whatsapp/files/Media/WhatsApp Images/IMG-20260601-WA0003.jpg"
            ),
            "file_name": "IMG-20260601-WA0003.jpg",
            "size_bytes": len(whatsapp),
            "sha256": hashlib.sha256(whatsapp).hexdigest(),
            "md5": hashlib.md5(whatsapp).hexdigest(),
            "mime_type": "image/jpeg",
            "deleted_state": "deleted",
        },
        {
            "locator": R + "42;file=f1000000-0000-4000-8000-000000000003",
            "path": "files/Documents/rota.pdf",
            "original_path": "/data/media/0/Download/rota.pdf",
            "file_name": "rota.pdf",
            "size_bytes": 2048,
            "deleted_state": "intact",
        },
    ]
    (missing,) = ufdr.issues_with("cellebrite.file_missing")
    assert missing.locator == R + "42;file=f1000000-0000-4000-8000-000000000003"
    assert not ufdr.issues_with("cellebrite.hash_mismatch")


def test_issues_for_what_is_not_read(ufdr: Parsed) -> None:
    (wifi,) = ufdr.issues_with("cellebrite.model_not_read")
    assert (wifi.value, wifi.count, wifi.locator) == (
        "WirelessNetwork",
        1,
        R + "475;model=w1000000-0000-4000-8000-000000000001",
    )
    assert ufdr.codes == {
        "cellebrite.device_info_not_read",
        "cellebrite.unknown_field",
        "cellebrite.model_not_read",
        "cellebrite.duplicate_message",
        "cellebrite.base64_kept",
        "cellebrite.file_missing",
    }


def test_source_rows_keep_each_record_as_read(ufdr: Parsed) -> None:
    raw = raw_records(ufdr)
    evidence = {
        r["locator"]
        for table in ("devices", "contacts", "calls", "messages", "accounts", "locations", "media")
        for r in ufdr.rows(table)
    }
    kept_only = {
        R + "176;model=d1000000-0000-4000-8000-000000000001",
        R + "281;model=d1000000-0000-4000-8000-000000000002",
        R + "475;model=w1000000-0000-4000-8000-000000000001",
    }
    assert set(raw) == evidence | kept_only
    chat = raw[R + "281;model=d1000000-0000-4000-8000-000000000002"]
    assert chat["model"] == "Chat"
    assert "Unit 4 lads" in chat["xml"]
    assert "447700900654@s.whatsapp.net" in chat["xml"]  # a participant
    assert '<model type="InstantMessage"' not in chat["xml"]  # messages have their own rows
    assert "UNIT4-GUEST" in raw[R + "475;model=w1000000-0000-4000-8000-000000000001"]["xml"]
    message = raw[R + "243;model=m1000000-0000-4000-8000-000000000003"]
    assert message["model"] == "InstantMessage"
    assert message["chat"] == "d1000000-0000-4000-8000-000000000001"
    # the body as written (Base64), not as decoded
    assert "RGVsZXRlIHRoaXMgYWZ0ZXIgcmVhZGluZw==" in message["xml"]
    location = raw[R + "461;model=l1000000-0000-4000-8000-000000000001"]
    assert '<field name="Mood" type="String">' in location["xml"]  # the unknown field
    assert "calm" in location["xml"]
    device = raw[R + "13;section=Device Info"]
    assert device["IMEI [2]"] == "356170801234577"
    assert device["Bluetooth MAC Address"] == "02:00:00:00:00:01"
    assert device["project.reportVersion"] == "7.60.0.123"
    ids = {r["locator"]: r["row_id"] for r in ufdr.rows("source_rows")}
    for row in ufdr.rows("calls"):
        assert ids[row["locator"]] == row["row_id"]


def test_bare_report_keeps_media_rows_without_hashes() -> None:
    bare = parse(REPORT)
    ufdr = parse(UFDR)
    for table in ("devices", "contacts", "calls", "messages", "accounts", "locations"):
        assert bare.rows(table) == ufdr.rows(table)
    media = [present(r) for r in bare.rows("media")]
    assert [m["locator"] for m in media] == [r["locator"] for r in ufdr.rows("media")]
    for row in media:
        assert not {"sha256", "md5", "mime_type", "taken_utc"} & row.keys()
    assert media[0] == {
        "locator": R + "26;file=f1000000-0000-4000-8000-000000000001",
        "path": "files/Image/20260601_134510.jpg",
        "original_path": "/data/media/0/DCIM/Camera/20260601_134510.jpg",
        "file_name": "20260601_134510.jpg",
        "size_bytes": 883,
        "deleted_state": "intact",
    }
    (absent,) = bare.issues_with("cellebrite.files_absent")
    assert absent.count == 3
    assert not bare.issues_with("cellebrite.file_missing")
    assert bare.ctx.detected["cellebrite.container"] == "report.xml"


# -- IPED's fragments (shared data) -----------------------------------------------------------

C = "ufed-model-chat.xml#line="
A = "ufed-model-useraccount.xml#line="
THREAD = "5511999996666@s.whatsapp.net"
PARTICIPANTS = "5511999996666@s.whatsapp.net; 5511999998888@s.whatsapp.net"
BULBASAUR = "5511999997777@s.whatsapp.net"
CLEFABLE = "5511999998888@s.whatsapp.net"


def _iped(line: int, model: str, when: str, utc_when: datetime) -> dict[str, Any]:
    return {
        "locator": f"{C}{line};model={model}",
        "record_type_original": "InstantMessage",
        "message_type": "im",
        "thread": THREAD,
        "participants": PARTICIPANTS,
        "deleted_state": "intact",
        **sent(utc_when, when),
    }


def _received(app: str = "WhatsApp") -> dict[str, Any]:
    # From Bulbasaur (IsPhoneOwner False), no To: received; the chat's owner is Clefable
    return {
        "direction": "incoming",
        "a_party": "+5511999997777",
        "a_party_original": BULBASAUR,
        "a_party_name": "Bulbasaur",
        "b_party": "+5511999998888",
        "b_party_original": CLEFABLE,
        "target_role": "b",
        "source_app": app,
    }


def _sent_by_clefable() -> dict[str, Any]:
    return {
        "direction": "outgoing",
        "a_party": "+5511999998888",
        "a_party_original": CLEFABLE,
        "a_party_name": "Clefable",
        "b_party": "+5511999997777",
        "b_party_original": BULBASAUR,
        "target_role": "a",
        "source_app": "WhatsApp",
    }


@pytest.mark.skipif(not CHAT.exists(), reason="shared sample data not present")
def test_iped_chat_fragment_field_by_field() -> None:
    chat = parse(CHAT)
    # eleven messages, the contact card shared in one of them (two entries), the chat itself
    assert chat.counts == {"messages": 11, "contacts": 2, "source_rows": 14}
    card = C + "985;model=20d58bee-dfc4-4fb4-a4b7-0d3f63c25594;entry="
    shared = {"name": "Charmeleon", "source_app": "WhatsApp", "deleted_state": "intact"}
    assert [present(r) for r in chat.rows("contacts")] == [
        {
            "locator": card + "1e775f57-81ed-4079-92ac-68fe7172d884",
            **shared,
            "number": "+5511999997745",
            "number_original": "5511999997745@s.whatsapp.net",
            "account": "5511999997745@s.whatsapp.net",
        },
        {
            # eleven digits after the area code: too long for Brazil, kept as digits
            "locator": card + "8d94db9b-06a2-4b1d-9386-be0eee7ba13d",
            **shared,
            "number": "+55119999922222",
            "number_original": "+55 11 99999-22222",
        },
    ]
    rows = [present(r) for r in chat.rows("messages")]
    assert rows == [
        {
            **_iped(
                71,
                "2ee39d83-7b1e-48df-bfe7-ef8039de7ae2",
                "2024-11-03T19:46:47.000+00:00",
                utc(2024, 11, 3, 19, 46, 47),
            ),
            **_received(),
            "attachments": "files/Audio/PTT-20241103-WA0101.opus",
        },
        {
            # forwarded: its picture is carried by the embedded message (no extracted path)
            **_iped(
                163,
                "5fd44844-5874-47eb-ab1f-0a54a56bdf54",
                "2024-11-03T19:46:55.000+00:00",
                utc(2024, 11, 3, 19, 46, 55),
            ),
            **_received(),
            "attachments": "IMG-20241103-WA0103.jpg",
        },
        {
            # To Bulbasaur, From Clefable who is the phone's owner
            **_iped(
                389,
                "1b9fdd2a-ac19-411c-8776-cee0023a4597",
                "2024-11-03T19:47:14.160+00:00",
                utc(2024, 11, 3, 19, 47, 14, 160000),
            ),
            **_sent_by_clefable(),
            "attachments": "files/Audio/PTT-20241103-WA0102.opus",
        },
        {
            **_iped(
                511,
                "241dd37e-b717-4b73-95bd-92936211113a",
                "2024-11-03T19:47:39.000+00:00",
                utc(2024, 11, 3, 19, 47, 39),
            ),
            **_received(),
            "attachments": "files/Audio/PTT-20241103-WA0104.opus",
        },
        {
            **_iped(
                600,
                "c8fd9822-dd2c-41d1-af63-6675db3d8864",
                "2024-11-03T19:45:33.533+00:00",
                utc(2024, 11, 3, 19, 45, 33, 533000),
            ),
            **_sent_by_clefable(),
            "attachments": "files/Audio/PTT-20241103-WA0098.opus",
        },
        {
            **_iped(
                722,
                "8a6fe7fd-1433-4afb-8ad4-9190034d363b",
                "2024-11-03T19:46:09.000+00:00",
                utc(2024, 11, 3, 19, 46, 9),
            ),
            **_received(),
            "body": "Certo amigo veja ae",
        },
        {
            **_iped(
                784,
                "dbe45972-5f4a-4167-a8ce-702e05f0d8b3",
                "2024-11-03T19:46:18.000+00:00",
                utc(2024, 11, 3, 19, 46, 18),
            ),
            **_received(),
            "body": "Vendo",
        },
        {
            **_iped(
                846,
                "6ad32088-9abd-428b-af6c-1df4bcc8796e",
                "2024-11-03T19:46:37.000+00:00",
                utc(2024, 11, 3, 19, 46, 37),
            ),
            **_received(),
            "attachments": "files/Audio/PTT-20241103-WA0100.opus",
        },
        {
            # a shared contact (Charmeleon), from Metapod
            **_iped(
                938,
                "076caedd-17fd-4d81-b6ce-132de4bedfa2",
                "2024-10-12T12:53:12.000+00:00",
                utc(2024, 10, 12, 12, 53, 12),
            ),
            **_received(),
            "a_party": "+551199999999",
            "a_party_original": "551199999999@s.whatsapp.net",
            "a_party_name": "Metapod",
        },
        {
            # a Telegram system message: no owner flag, no direction, not a number
            **_iped(
                1064,
                "db1afcb5-e03e-4fca-bb9e-9ebe1c00bf48",
                "2023-10-10T09:53:27.000+00:00",
                utc(2023, 10, 10, 9, 53, 27),
            ),
            "direction": "unknown",
            "a_party_original": "System message",
            "a_party_name": "System message",
            "body": "You joined the group via invite link",
            "source_app": "Telegram",
        },
        {
            # sent by the owner (Pikachu, a Telegram user id); the two-person chat's other
            # participant is the recipient
            **_iped(
                1180,
                "2833f15a-b6e2-4b0e-b7b2-4691528f1ed0",
                "2023-10-11T01:39:05.000+00:00",
                utc(2023, 10, 11, 1, 39, 5),
            ),
            "direction": "outgoing",
            "a_party_original": "5600023546",
            "a_party_name": "Pikachu",
            "b_party": "+5511999996666",
            "b_party_original": THREAD,
            "target_role": "a",
            "body": "Obrigado",
            "source_app": "Telegram",
        },
    ]
    # every field of the fragment is known: nothing is reported as unread. Two Brazilian numbers
    # are not valid (a mobile there is +55, a two-digit area code and nine digits: these have
    # eight and ten), so each is flagged, its best-effort E.164 form and original kept
    assert [(i.code, i.value) for i in chat.issues] == [
        ("phone.invalid", "551199999999@s.whatsapp.net"),
        ("phone.invalid", "+55 11 99999-22222"),
    ]
    raw = raw_records(chat)
    reply = raw[C + "1180;model=2833f15a-b6e2-4b0e-b7b2-4691528f1ed0"]
    assert "Lorem ipsum dolor sit amet" in reply["xml"]  # the quoted message is kept raw
    assert reply["chat"] == "5c1b7590-ec7d-43ec-8ae0-f1ff3967d30d"


@pytest.mark.skipif(not ACCOUNTS.exists(), reason="shared sample data not present")
def test_iped_useraccount_fragment_field_by_field() -> None:
    accounts = parse(ACCOUNTS)
    assert accounts.counts == {"accounts": 2, "source_rows": 2}
    assert [present(r) for r in accounts.rows("accounts")] == [
        {
            "locator": A + "2;model=df377551-0743-4035-8dc8-fbc915839527",
            "service": "WhatsApp Business",
            "account_id": "5511999997777@s.whatsapp.net",
            "display_name": "Rattata",
            "number": "+5511999997777",
            "number_original": "5511999997777@s.whatsapp.net",
        },
        {
            # the two ProfilePicture entries are links, not identifiers
            "locator": A + "79;model=9628c161-85c6-45e5-9f1f-775bc36996b3",
            "service": "Instagram",
            "account_id": "1212121212121212",
            "display_name": "Pidgeotto",
        },
    ]
    assert accounts.issues == []
    raw = [json.loads(r["raw"]) for r in accounts.rows("source_rows")]
    # the "Additional Name" entries and the About text stay in the raw record
    assert "Raticate wannabe" in raw[0]["xml"]
    assert "Normal · Flying" in raw[0]["xml"]
    assert "Chat Backup Frequency" in raw[0]["xml"]


# -- recognition ------------------------------------------------------------------------------


def test_sniff(tmp_path: Path) -> None:
    parser = CellebriteParser()
    assert parser.sniff(probe(UFDR)) is Confidence.CERTAIN
    assert parser.sniff(probe(REPORT)) is Confidence.CERTAIN
    other_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("DCIM/report.xml", "<project/>")  # not at the root
    assert parser.sniff(probe(other_zip)) is Confidence.NO
    broken = tmp_path / "broken.ufdr"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert parser.sniff(probe(broken)) is Confidence.NO
    csv = tmp_path / "calls.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    assert parser.sniff(probe(csv)) is Confidence.NO
    # IPED's fragments have no <project> and no namespace: not an exhibit on their own
    if CHAT.exists():
        assert parser.sniff(probe(CHAT)) is Confidence.NO
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "report.xml").write_bytes(REPORT.read_bytes())
    assert parser.sniff(probe(folder)) is Confidence.CERTAIN


def test_registry_picks_cellebrite_for_a_ufdr() -> None:
    ranked = Registry.from_entry_points().detect(UFDR)
    assert ranked[0][0].info.name == "cellebrite"
    assert ranked[0][1] is Confidence.CERTAIN
    assert [p.info.name for p, c in ranked if c is Confidence.CERTAIN] == ["cellebrite"]


def test_unpacked_folder_reads_like_the_ufdr(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(UFDR) as archive:
        archive.extractall(folder)
    unpacked = parse(folder)
    ufdr = parse(UFDR)
    for table in ("messages", "media", "calls"):
        assert unpacked.rows(table) == ufdr.rows(table)


@pytest.mark.parametrize(
    "text",
    [
        "2024-09-28T14:59:35.230+00:00",
        "2026-06-01T09:20:00.000+01:00",
        "2026-06-01T09:20:00.999-07:00",
        "2026-03-29T01:30:00.000+05:45",
        "2026-06-01T09:20:00.000+14:30",  # beyond any zone: unparsed
        "0001-01-01T00:00:00.000+00:00",  # placeholder year: out of range
        "9999-12-31T23:59:59.000+00:00",
        "2026-02-30T10:00:00.000+00:00",  # no such day
        "2026-06-01T09:20:00+01:00",
        "2026-06-01T09:20:00.000Z",
        "2026-06-01 09:20:00.000+01:00",
        "2026-06-01T09:20:00.000",  # no zone: a range, never UTC
        "yesterday",
    ],
)
def test_report_time_reads_as_the_shared_decoder(text: str) -> None:
    from threadline.ingest.parsers.cellebrite.records import report_time
    from threadline.model.device_time import from_iso8601

    assert report_time(text) == from_iso8601(text)


_CALL = (
    '<model type="Call" id="{id}" deleted_state="Intact">'
    '<field name="{field}" type="String"><value type="String">Missed</value></field>'
    '<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp">'
    "2026-06-01T12:30:05.250+00:00</value></field>"
    '<multiModelField name="Parties" type="Party"><model type="Party" id="p{id}">'
    '<field name="Identifier" type="String"><value type="String">07700900456</value></field>'
    "{role}</model></multiModelField></model>"
)


def test_a_missed_call_without_direction_is_a_call_to_the_handset(tmp_path: Path) -> None:
    """A missed call is always to the handset: the other party is the caller (A) and the owner's
    side is B, whether the report marks it by Type or Status, with or without the party's role."""
    role_from = '<field name="Role" type="String"><value type="String">From</value></field>'
    models = "".join(
        _CALL.format(id=f"c{n}", field=field, role=role)
        for n, (field, role) in enumerate((("Type", ""), ("Status", role_from)), start=1)
    )
    report = tmp_path / "report.xml"
    report.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<project xmlns="http://pa.cellebrite.com/report/2.0">'
        f'<decodedData><modelType type="Call">\n{models}\n</modelType></decodedData></project>',
        encoding="utf-8",
    )
    _ctx, sink = run_parser(CellebriteParser(), report, exhibit_id="e1", reference="JB/1")
    seen = {
        r["locator"]: (r["direction"], r["a_party"], r["b_party"], r["target_role"])
        for r in sink.rows("calls")
    }
    assert seen == {
        "report.xml#line=3;model=c1": ("missed", "+447700900456", None, "b"),
        "report.xml#line=3;model=c2": ("missed", "+447700900456", None, "b"),
    }
