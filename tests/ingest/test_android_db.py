"""Tests for the Android handset database parser (``android_db``) and the shared Android readers.

Expected values are worked out by hand:

* the plaso test databases (``/work/shared/data/mobile/plaso_test_data``): counts and first events
  from plaso's own tests (``EXPECTED_FROM_PLASO_TESTS.md``), every other row listed with the
  ``sqlite3`` shell (``strftime(... date/1000, 'unixepoch')``) and copied here;
* the synthetic fixtures (``tests/fixtures/android``, built by ``make_fixtures.py``): from the
  values the script writes. ``T0`` = 1 717 236 000 000 ms = 2024-06-01T10:00:00Z (19 875 days
  since 1970 = 54 years with 13 leap days to 2024-01-01, plus 152 days to 1 June; plus 10 h).
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from collect_sink import CollectSink, by_locator, raw_records, run_parser
from hypothesis import given
from hypothesis import strategies as st
from phone_support import (
    assert_readers_match,
    fuzz_settings,
    ingest_new_exhibit,
    pick,
    probe,
    shared_sample,
    sqlite_file,
)

from threadline.errors import IngestError, NotThisFormat, ParseError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.android.parser import AndroidDbParser
from threadline.ingest.parsers.android.stores import ANDROID_READERS
from threadline.ingest.phone_store import match_path, recognise
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "android"
PLASO = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "plaso_test_data"
EXHIBIT = "EX-A"


def parse(path: Path) -> tuple[ParseContext, CollectSink]:
    return run_parser(AndroidDbParser(), path, exhibit_id=EXHIBIT, reference="JB/4")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plaso_file(name: str) -> Path:
    return shared_sample(PLASO / name)


def codes(ctx: ParseContext) -> dict[str, int]:
    found: dict[str, int] = {}
    for issue in ctx.all_issues():
        found[issue.code] = found.get(issue.code, 0) + issue.count
    return found


# ---------------------------------------------------------------------------------------------
# golden: the plaso oracle


def test_plaso_mmssms_every_sms() -> None:
    ctx, sink = parse(plaso_file("android__mmssms.db"))
    # plaso's test: 9 events, one per sms row (the pdu table is empty)
    assert sink.counts() == {"messages": 9, "source_rows": 9}
    rows = by_locator(sink.rows("messages"))
    sent, received = "1 555-521-5554", "15555215554"
    expected = [
        (1, "2013-10-29T16:56:28.038", "2", sent, "Yo Fred this is my new number."),
        (2, "2013-10-29T17:03:55.964", "2", sent, "Did you get my message?"),
        (3, "2013-10-29T17:05:41.303", "1", received, "What message?"),
        (4, "2013-10-29T17:06:16.416", "1", received, "Who dis??"),
        (
            5,
            "2013-10-29T17:07:49.452",
            "2",
            sent,
            "It's me Barney! I got a new phone after BamBam smashed my other one. "
            "This is my new number.",
        ),
        (
            6,
            "2013-10-29T17:10:58.374",
            "1",
            received,
            "Are we going bowling after the water buffalo meeting tonight?",
        ),
        (
            7,
            "2013-10-29T17:14:07.114",
            "2",
            sent,
            "You bet! I'm just going to write a reeeeealllllllyyyyy long message. I was "
            "thinking that this weekend we should head to the race track. I heard that Goggles "
            "Paesano is going to be there ;)",
        ),
        (
            8,
            "2013-10-29T17:15:44.135",
            "1",
            received,
            "Oh noes, that last message did not get through!!!",
        ),
        (
            9,
            "2013-10-29T17:16:17.250",
            "2",
            sent,
            "Guess the emulator was not happy with a long message",
        ),
    ]
    assert list(rows) == [f"android__mmssms.db#sms/_id={n}" for n in range(1, 10)]
    for number, when, code, address, body in expected:
        row = rows[f"android__mmssms.db#sms/_id={number}"]
        assert row["sent_utc"] == utc(when)
        assert row["sent_status"] == "exact"
        assert row["record_type_original"] == code
        assert row["body"] == body
        assert row["message_type"] == "sms"
        assert row["source_app"] == "SMS"
        assert row["thread"] == "1"
        if code == "2":
            assert pick(row, "direction", "target_role", "a_party", "b_party_original") == {
                "direction": "outgoing",
                "target_role": "a",
                "a_party": None,
                "b_party_original": address,
            }
        else:
            assert pick(row, "direction", "target_role", "b_party", "a_party_original") == {
                "direction": "incoming",
                "target_role": "b",
                "b_party": None,
                "a_party_original": address,
            }
    # both spellings of the (US) number read alike under the GB default: not a valid number,
    # but the same digits, so they still match each other (see docs/parsers/android.md)
    parties = {r["a_party"] or r["b_party"] for r in rows.values()}
    assert parties == {"+4415555215554"}
    # and each of the nine is flagged as not a valid number (requirement 59)
    assert codes(ctx) == {"phone.invalid": 9}


def test_plaso_contacts2_call_log() -> None:
    ctx, sink = parse(plaso_file("android__contacts2.db"))
    # plaso's test: 3 events; its contacts tables are empty (no raw_contacts at all)
    assert sink.counts() == {"calls": 3, "source_rows": 3}
    assert ctx.detected == {"android_stores": "android_calllog"}
    rows = by_locator(sink.rows("calls"))
    assert list(rows) == [
        "android__contacts2.db#calls/_id=714",
        "android__contacts2.db#calls/_id=715",
        "android__contacts2.db#calls/_id=717",
    ]
    first = rows["android__contacts2.db#calls/_id=714"]
    assert pick(
        first,
        "direction",
        "record_type_original",
        "a_party",
        "a_party_original",
        "target_role",
        "start_utc",
        "duration_s",
        "end_utc",
    ) == {
        "direction": "missed",
        "record_type_original": "3",
        # countryiso US: the national number is read in the US plan
        "a_party": "+15404561685",
        "a_party_original": "5404561685",
        "target_role": "b",
        "start_utc": utc("2013-11-06T21:17:16.690"),
        "duration_s": 0,
        "end_utc": None,
    }
    second = rows["android__contacts2.db#calls/_id=715"]
    assert pick(second, "direction", "b_party", "target_role", "start_utc", "duration_s") == {
        "direction": "outgoing",
        "b_party": "+15404561685",
        "target_role": "a",
        "start_utc": utc("2013-11-06T21:18:53.283"),
        "duration_s": 126,
    }
    third = rows["android__contacts2.db#calls/_id=717"]
    assert pick(third, "direction", "a_party", "start_utc", "duration_s", "duration_basis") == {
        "direction": "incoming",
        "a_party": "+15404561685",
        "start_utc": utc("2013-11-07T00:03:36.690"),
        "duration_s": 639,
        "duration_basis": "handset call log",
    }
    assert codes(ctx) == {}


def test_plaso_other_app_databases_are_read_as_their_apps() -> None:
    # Viber's calls, Tango's sms/messages and Burner's messages tables share names with
    # Android's own: they are recognised as the apps' databases by their columns
    # (docs/parsers/apps.md; counts hand-checked in tests/ingest/test_app_readers.py)
    cases = {
        "android__viber_data": ("android_viber", {"calls": 4, "contacts": 10, "source_rows": 14}),
        "tango_android_tc.db": ("android_tango_tc", {"messages": 18, "source_rows": 18}),
        "android__burners.sqlite": (
            "android_burner",
            {"accounts": 1, "messages": 14, "calls": 2, "contacts": 4, "source_rows": 21},
        ),
    }
    for name, (store, counts) in cases.items():
        path = plaso_file(name)
        assert AndroidDbParser().sniff(probe(path)) is Confidence.CERTAIN
        ctx, sink = parse(path)
        assert ctx.detected["android_stores"] == store
        assert sink.counts() == counts


# ---------------------------------------------------------------------------------------------
# golden: synthetic fixtures


def test_calllog_current_android() -> None:
    ctx, sink = parse(FIXTURES / "calllog.db")
    assert sink.counts() == {"calls": 7, "source_rows": 7}
    rows = by_locator(sink.rows("calls"))
    seen = {
        loc: pick(r, "direction", "record_type_original", "a_party", "b_party", "start_utc")
        for loc, r in rows.items()
    }
    assert seen == {
        "calllog.db#calls/_id=1": {
            "direction": "incoming",
            "record_type_original": "1",
            "a_party": "+447700900123",
            "b_party": None,
            "start_utc": utc("2024-06-01T10:00:00"),
        },
        "calllog.db#calls/_id=2": {
            "direction": "missed",
            "record_type_original": "3",
            "a_party": "+447700900456",
            "b_party": None,
            "start_utc": utc("2024-06-01T11:00:00.500"),
        },
        "calllog.db#calls/_id=3": {
            "direction": "outgoing",
            "record_type_original": "2",
            "a_party": None,
            "b_party": "+441632960001",
            "start_utc": utc("2024-06-01T12:00:00"),
        },
        "calllog.db#calls/_id=4": {  # rejected; no countryiso: the GB default
            "direction": "incoming",
            "record_type_original": "5",
            "a_party": "+447700900789",
            "b_party": None,
            "start_utc": utc("2024-06-01T13:00:00"),
        },
        "calllog.db#calls/_id=5": {  # blocked
            "direction": "incoming",
            "record_type_original": "6",
            "a_party": "+447700900123",
            "b_party": None,
            "start_utc": utc("2024-06-01T14:00:00"),
        },
        "calllog.db#calls/_id=6": {  # undocumented type: direction unknown, number kept as B
            "direction": "unknown",
            "record_type_original": "99",
            "a_party": None,
            "b_party": "+447700900999",
            "start_utc": utc("2024-06-01T15:00:00"),
        },
        "calllog.db#calls/_id=7": {  # withheld caller: no number at all
            "direction": "incoming",
            "record_type_original": "1",
            "a_party": None,
            "b_party": None,
            "start_utc": utc("2024-06-01T16:00:00"),
        },
    }
    first = rows["calllog.db#calls/_id=1"]
    assert pick(first, "duration_s", "duration_original", "source_app", "deleted_state") == {
        "duration_s": 65,
        "duration_original": "65",
        "source_app": "Phone",
        "deleted_state": "intact",
    }
    assert rows["calllog.db#calls/_id=6"]["target_role"] is None
    assert rows["calllog.db#calls/_id=7"]["a_party_original"] is None
    assert codes(ctx) == {"calllog.type_unknown": 1}
    assert ctx.issues[0].locator == "calllog.db#calls/_id=6"


def test_provenance_row_ids_and_raw_rows() -> None:
    _, sink = parse(FIXTURES / "calllog.db")
    for row in sink.rows("calls"):
        assert row["row_id"] == row_id(EXHIBIT, row["locator"])
        assert row["parser"] == "android_db@1.0.0"
        assert row["exhibit_id"] == EXHIBIT
    kept = raw_records(sink)["calllog.db#calls/_id=1"]
    assert kept["number"] == "07700900123"
    assert kept["name"] == "Jordan Example"
    assert kept["geocoded_location"] == "United Kingdom"
    assert kept["date"] == 1_717_236_000_000


def test_sms_and_mms() -> None:
    ctx, sink = parse(FIXTURES / "mmssms_mms.db")
    assert sink.counts() == {"messages": 5, "source_rows": 5}
    rows = by_locator(sink.rows("messages"))
    assert list(rows) == [
        "mmssms_mms.db#sms/_id=1",
        "mmssms_mms.db#sms/_id=2",
        "mmssms_mms.db#sms/_id=3",
        "mmssms_mms.db#pdu/_id=1",
        "mmssms_mms.db#pdu/_id=2",
    ]
    cols = ("message_type", "direction", "a_party", "b_party", "target_role", "sent_utc", "body")
    assert pick(rows["mmssms_mms.db#sms/_id=1"], *cols) == {
        "message_type": "sms",
        "direction": "incoming",
        "a_party": "+447700900123",
        "b_party": None,
        "target_role": "b",
        "sent_utc": utc("2024-06-01T10:00:00"),
        "body": "Are you at the car wash?",
    }
    # the body is kept exactly, trailing spaces included
    assert rows["mmssms_mms.db#sms/_id=2"]["body"] == "On my way  "
    assert rows["mmssms_mms.db#sms/_id=2"]["b_party"] == "+447700900123"
    draft = rows["mmssms_mms.db#sms/_id=3"]
    assert pick(draft, "direction", "record_type_original", "thread") == {
        "direction": "outgoing",
        "record_type_original": "3",
        "thread": "2",
    }
    picture = rows["mmssms_mms.db#pdu/_id=1"]
    assert pick(picture, *cols, "participants", "attachments", "thread") == {
        "message_type": "mms",
        "direction": "incoming",
        "a_party": "+447700900123",
        "b_party": None,
        "target_role": "b",
        # pdu.date is in seconds: 1 717 239 600 s = T0 + 1 h
        "sent_utc": utc("2024-06-01T11:00:00"),
        "body": "Photo of the address",
        "participants": "+447700900123; +447700900999",
        "attachments": "/data/user/0/com.android.providers.telephony/app_parts/"
        "PART_1717239600000_image000.jpg",
        "thread": "1",
    }
    group = rows["mmssms_mms.db#pdu/_id=2"]
    assert pick(group, *cols, "participants", "attachments") == {
        "message_type": "mms",
        "direction": "outgoing",
        "a_party": None,
        "b_party": "+447700900456",
        "target_role": "a",
        "sent_utc": utc("2024-06-01T12:00:00"),
        "body": "See you both at 9",
        "participants": "07700900456; 07700900789",
        "attachments": None,
    }
    raw = raw_records(sink)["mmssms_mms.db#pdu/_id=2"]
    assert raw["sub"] == "Plans"
    assert [a["address"] for a in json.loads(raw["addr"])] == [
        "insert-address-token",
        "07700900456",
        "07700900789",
    ]
    # the delivery report (m_type 134) is not a message
    assert codes(ctx) == {"mms.reports_skipped": 1}


def test_contacts2_with_contacts_accounts_and_old_call_log() -> None:
    ctx, sink = parse(FIXTURES / "contacts2.db")
    # read once each: the contacts reader covers the call log it holds
    assert ctx.detected == {"android_stores": "android_contacts"}
    assert sink.counts() == {"contacts": 5, "accounts": 2, "calls": 1, "source_rows": 8}
    contacts = by_locator(sink.rows("contacts"))
    cols = ("name", "number", "number_original", "email", "account", "source_app", "deleted_state")
    assert {loc: pick(r, *cols) for loc, r in contacts.items()} == {
        "contacts2.db#data/_id=2": {
            "name": "Jordan Example",
            "number": "+447700900123",
            "number_original": "07700 900123",
            "email": None,
            "account": "alex.fictional@example.com",
            "source_app": "Google",
            "deleted_state": "intact",
        },
        "contacts2.db#data/_id=3": {
            "name": "Jordan Example",
            "number": None,
            "number_original": None,
            "email": "jordan@example.com",
            "account": "alex.fictional@example.com",
            "source_app": "Google",
            "deleted_state": "intact",
        },
        "contacts2.db#data/_id=4": {
            "name": "Sam Deleted",
            "number": "+447700900456",
            "number_original": "+44 7700 900456",
            "email": None,
            "account": None,
            "source_app": "Contacts",
            "deleted_state": "deleted",
        },
        "contacts2.db#data/_id=5": {
            "name": "Jordan Example",
            "number": "+441632960123",
            "number_original": "01632 960123",
            "email": None,
            "account": "alex.fictional@example.com",
            "source_app": "Google",
            "deleted_state": "intact",
        },
        "contacts2.db#raw_contacts/_id=3": {
            "name": "Kit Nophone",
            "number": None,
            "number_original": None,
            "email": None,
            "account": "WhatsApp",
            "source_app": "WhatsApp",
            "deleted_state": "intact",
        },
    }
    accounts = by_locator(sink.rows("accounts"))
    assert {loc: pick(r, "service", "account_id", "email") for loc, r in accounts.items()} == {
        "contacts2.db#accounts/_id=1": {
            "service": "Google",
            "account_id": "alex.fictional@example.com",
            "email": "alex.fictional@example.com",
        },
        "contacts2.db#accounts/_id=2": {
            "service": "WhatsApp",
            "account_id": "WhatsApp",
            "email": None,
        },
    }
    (call,) = sink.rows("calls")
    assert pick(call, "locator", "direction", "b_party", "start_utc", "duration_s") == {
        "locator": "contacts2.db#calls/_id=1",
        "direction": "outgoing",
        "b_party": "+447700900123",
        "start_utc": utc("2024-06-01T10:00:00"),
        "duration_s": 10,
    }
    assert codes(ctx) == {}


JORDAN = "447700900123@s.whatsapp.net"
SAM = "447700900456@s.whatsapp.net"
GROUP = "120363000000000001@g.us"
IM_COLS = (
    "direction",
    "a_party",
    "a_party_original",
    "b_party",
    "b_party_original",
    "target_role",
    "sent_utc",
    "body",
    "thread",
)


def test_whatsapp_legacy_schema() -> None:
    ctx, sink = parse(FIXTURES / "msgstore_legacy.db")
    assert sink.counts() == {"messages": 5, "locations": 1, "source_rows": 5}
    rows = by_locator(sink.rows("messages"))
    old_group = "447700900999-1717000000@g.us"
    assert {loc: pick(r, *IM_COLS) for loc, r in rows.items()} == {
        "msgstore_legacy.db#messages/_id=2": {
            "direction": "incoming",
            "a_party": "+447700900123",
            "a_party_original": JORDAN,
            "b_party": None,
            "b_party_original": None,
            "target_role": "b",
            "sent_utc": utc("2024-06-01T10:00:00"),
            "body": "Hiya",
            "thread": JORDAN,
        },
        "msgstore_legacy.db#messages/_id=3": {
            "direction": "outgoing",
            "a_party": None,
            "a_party_original": None,
            "b_party": "+447700900123",
            "b_party_original": JORDAN,
            "target_role": "a",
            "sent_utc": utc("2024-06-01T10:00:30"),
            "body": "Hello back",
            "thread": JORDAN,
        },
        "msgstore_legacy.db#messages/_id=4": {
            "direction": "incoming",
            "a_party": "+447700900456",
            "a_party_original": SAM,
            "b_party": None,
            "b_party_original": old_group,
            "target_role": "b",
            "sent_utc": utc("2024-06-01T10:01:00"),
            "body": "Meet at 6",
            "thread": old_group,
        },
        "msgstore_legacy.db#messages/_id=6": {
            "direction": "incoming",
            "a_party": "+447700900123",
            "a_party_original": JORDAN,
            "b_party": None,
            "b_party_original": None,
            "target_role": "b",
            "sent_utc": utc("2024-06-01T10:01:30"),
            "body": None,
            "thread": JORDAN,
        },
        "msgstore_legacy.db#messages/_id=7": {
            "direction": "outgoing",
            "a_party": None,
            "a_party_original": None,
            "b_party": "+447700900123",
            "b_party_original": JORDAN,
            "target_role": "a",
            "sent_utc": utc("2024-06-01T10:02:00"),
            "body": "The van",
            "thread": JORDAN,
        },
    }
    assert rows["msgstore_legacy.db#messages/_id=4"]["thread_name"] == "Football Tuesday"
    assert rows["msgstore_legacy.db#messages/_id=7"]["attachments"] == "IMG-20240601-WA0001.jpg"
    assert all(r["message_type"] == "im" and r["source_app"] == "WhatsApp" for r in rows.values())
    (place,) = sink.rows("locations")
    assert pick(place, "locator", "latitude", "longitude", "at_utc", "source_app") == {
        "locator": "msgstore_legacy.db#messages/_id=6",
        "latitude": 51.5007,
        "longitude": -0.1246,
        "at_utc": utc("2024-06-01T10:01:30"),
        "source_app": "WhatsApp",
    }
    # the placeholder row and the group system entry
    assert codes(ctx) == {"whatsapp.system_messages": 2}


def test_whatsapp_current_schema_with_calls() -> None:
    ctx, sink = parse(FIXTURES / "msgstore_current.db")
    assert sink.counts() == {"messages": 5, "locations": 1, "calls": 2, "source_rows": 7}
    rows = by_locator(sink.rows("messages"))
    assert list(rows) == [f"msgstore_current.db#message/_id={n}" for n in (2, 3, 4, 5, 6)]
    assert pick(rows["msgstore_current.db#message/_id=2"], *IM_COLS) == {
        "direction": "incoming",
        "a_party": "+447700900123",
        "a_party_original": JORDAN,
        "b_party": None,
        "b_party_original": None,
        "target_role": "b",
        "sent_utc": utc("2024-06-01T10:00:00"),
        "body": "New phone who dis",
        "thread": JORDAN,
    }
    assert rows["msgstore_current.db#message/_id=3"]["sent_utc"] == utc("2024-06-01T10:00:00.500")
    group_in = rows["msgstore_current.db#message/_id=4"]
    assert pick(group_in, *IM_COLS, "thread_name") == {
        "direction": "incoming",
        "a_party": "+447700900456",
        "a_party_original": SAM,
        "b_party": None,
        "b_party_original": GROUP,
        "target_role": "b",
        "sent_utc": utc("2024-06-01T10:01:00"),
        "body": "Pickup at 5",
        "thread": GROUP,
        "thread_name": "Drivers",
    }
    group_out = rows["msgstore_current.db#message/_id=5"]
    assert pick(group_out, "direction", "a_party", "b_party_original", "body", "attachments") == {
        "direction": "outgoing",
        "a_party": None,
        "b_party_original": GROUP,
        "body": "Here",
        "attachments": "Media/WhatsApp Images/Sent/IMG-20240601-WA0002.jpg",
    }
    # jid 4 has no raw_string: read from user@server
    shared = rows["msgstore_current.db#message/_id=6"]
    assert pick(shared, "a_party", "a_party_original", "record_type_original") == {
        "a_party": "+447700900789",
        "a_party_original": "447700900789@s.whatsapp.net",
        "record_type_original": "5",
    }
    (place,) = sink.rows("locations")
    assert pick(place, "locator", "latitude", "longitude", "at_utc") == {
        "locator": "msgstore_current.db#message/_id=6",
        "latitude": 53.4808,
        "longitude": -2.2426,
        "at_utc": utc("2024-06-01T10:03:00"),
    }
    calls = by_locator(sink.rows("calls"))
    call_cols = ("direction", "a_party", "b_party", "start_utc", "duration_s")
    assert {loc: pick(r, *call_cols, "record_type_original") for loc, r in calls.items()} == {
        "msgstore_current.db#call_log/_id=1": {
            "direction": "incoming",
            "a_party": "+447700900123",
            "b_party": None,
            "start_utc": utc("2024-06-01T11:00:00"),
            "duration_s": 42,
            "record_type_original": "voice;call_result=5",
        },
        "msgstore_current.db#call_log/_id=2": {
            "direction": "outgoing",
            "a_party": None,
            "b_party": "+447700900456",
            "start_utc": utc("2024-06-01T12:00:00"),
            "duration_s": 0,
            "record_type_original": "video;call_result=2",
        },
    }
    raw = raw_records(sink)["msgstore_current.db#message/_id=5"]
    media = json.loads(raw["message_media"])
    assert media["media_key"] == {"base64": "AQID"}
    assert codes(ctx) == {"whatsapp.system_messages": 2}


def test_whatsapp_database_in_transition_is_not_double_counted() -> None:
    ctx, sink = parse(FIXTURES / "msgstore_both.db")
    assert ctx.detected == {"android_stores": "android_whatsapp"}
    rows = by_locator(sink.rows("messages"))
    # C1 and C2 from the current table; legacy copies of them skipped; OLD1 (not migrated) and
    # the owner's own C1 (same key_id, other sender: another message) read from legacy
    assert list(rows) == [
        "msgstore_both.db#message/_id=1",
        "msgstore_both.db#message/_id=2",
        "msgstore_both.db#messages/_id=4",
        "msgstore_both.db#messages/_id=5",
    ]
    assert [r["body"] for r in rows.values()] == [
        "New phone who dis",
        "It is me",
        "Older message",
        "Same id, other sender",
    ]
    assert rows["msgstore_both.db#messages/_id=5"]["direction"] == "outgoing"
    assert codes(ctx) == {"whatsapp.legacy_duplicates": 2, "whatsapp.system_messages": 1}


def test_whatsapp_contacts() -> None:
    ctx, sink = parse(FIXTURES / "wa.db")
    rows = by_locator(sink.rows("contacts"))
    cols = ("name", "number", "number_original", "account", "source_app")
    assert {loc: pick(r, *cols) for loc, r in rows.items()} == {
        "wa.db#wa_contacts/_id=1": {
            "name": "Jordan Example",
            "number": "+447700900123",
            "number_original": "07700 900123",
            "account": JORDAN,
            "source_app": "WhatsApp",
        },
        "wa.db#wa_contacts/_id=2": {  # not in the address book: the number the JID carries
            "name": "Sam",
            "number": "+447700900456",
            "number_original": SAM,
            "account": SAM,
            "source_app": "WhatsApp",
        },
        "wa.db#wa_contacts/_id=3": {  # a group: no number
            "name": "Drivers",
            "number": None,
            "number_original": None,
            "account": GROUP,
            "source_app": "WhatsApp",
        },
    }
    assert codes(ctx) == {}


# ---------------------------------------------------------------------------------------------
# recognition


@pytest.mark.parametrize(
    "name",
    [
        "calllog.db",
        "mmssms_mms.db",
        "contacts2.db",
        "msgstore_legacy.db",
        "msgstore_current.db",
        "msgstore_both.db",
        "wa.db",
    ],
)
def test_sniff_certain_for_known_tables(name: str) -> None:
    assert AndroidDbParser().sniff(probe(FIXTURES / name)) is Confidence.CERTAIN


def test_sniff_other_sqlite_possible_and_text_no(tmp_path: Path) -> None:
    other = sqlite_file(
        tmp_path / "notes.db",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE TABLE message (id INTEGER, text TEXT, is_from_me INTEGER)",
    )
    assert AndroidDbParser().sniff(probe(other)) is Confidence.POSSIBLE
    text = tmp_path / "calls.csv"
    text.write_text("CREATE TABLE sms (address, body, type, date, thread_id)\n")
    assert AndroidDbParser().sniff(probe(text)) is Confidence.NO


def test_encrypted_backup_is_recognised_and_refused() -> None:
    path = FIXTURES / "msgstore.db.crypt14"
    assert AndroidDbParser().sniff(probe(path)) is Confidence.CERTAIN
    with pytest.raises(ParseError, match="encrypted WhatsApp backup") as caught:
        parse(path)
    assert caught.value.path == "msgstore.db.crypt14"


def test_plain_database_named_like_a_backup_is_read(tmp_path: Path) -> None:
    path = tmp_path / "msgstore.db.crypt15"
    shutil.copyfile(FIXTURES / "msgstore_current.db", path)
    assert AndroidDbParser().sniff(probe(path)) is Confidence.CERTAIN
    ctx, sink = parse(path)
    assert sink.counts()["messages"] == 5
    assert "msgstore.db.crypt15#message/_id=2" in by_locator(sink.rows("messages"))
    assert "android.misnamed_backup" in codes(ctx)


def test_shared_readers_match_leapp_paths_and_tables() -> None:
    cases = {
        "data/data/com.android.providers.telephony/databases/mmssms.db": "android_sms",
        "data/user_de/0/com.android.providers.contacts/databases/calllog.db": "android_calllog",
        "Dump/data/data/com.android.providers.contacts/databases/contacts2.db": "android_contacts",
        "data/data/com.whatsapp/databases/msgstore.db": "android_whatsapp",
        "data/data/com.whatsapp/databases/wa.db": "android_whatsapp_contacts",
    }
    assert_readers_match(ANDROID_READERS, cases)
    assert match_path(ANDROID_READERS, "data/data/com.viber.voip/databases/viber_data") is None
    both = recognise(ANDROID_READERS, frozenset({"messages", "message", "jid", "chat"}))
    assert both is not None
    assert both.name == "android_whatsapp"


def test_shared_reader_gives_the_same_rows_by_path(tmp_path: Path) -> None:
    """The full file-system parser calls a reader with the path inside the extraction as the
    locator's file part; the rows are otherwise those of the single-database route."""
    from threadline.ingest.context import ExhibitFacts, IngestOptions
    from threadline.ingest.rows import RowWriter
    from threadline.ingest.sqlite_copy import open_sqlite_copy

    place = "data/data/com.android.providers.contacts/databases/calllog.db"
    reader = match_path(ANDROID_READERS, place)
    assert reader is not None
    sink = CollectSink()
    ctx = ParseContext(ExhibitFacts("EX-FS", "JB/5"), "phone_fs@1.0.0", IngestOptions(), sink)
    with open_sqlite_copy(FIXTURES / "calllog.db", name=place) as con, RowWriter(ctx) as writer:
        reader.read(con, place, writer)
    locators = [r["locator"] for r in sink.rows("calls")]
    assert locators == [f"{place}#calls/_id={n}" for n in range(1, 8)]


def test_write_ahead_log_beside_the_file_is_applied(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    shutil.copyfile(FIXTURES / "calllog.db", live / "calllog.db")
    writer = sqlite3.connect(live / "calllog.db")
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute(
            "INSERT INTO calls (_id, number, date, duration, type, countryiso) "
            "VALUES (8, '07700900321', 1717261200000, 3, 2, 'GB')"
        )
        writer.commit()
        # copied while the writer is open: the new call is only in the WAL
        exhibit = tmp_path / "exhibit"
        exhibit.mkdir()
        for name in ("calllog.db", "calllog.db-wal"):
            shutil.copyfile(live / name, exhibit / name)
    finally:
        writer.close()
    original = (exhibit / "calllog.db").read_bytes()
    _, sink = parse(exhibit / "calllog.db")
    rows = by_locator(sink.rows("calls"))
    assert len(rows) == 8
    added = rows["calllog.db#calls/_id=8"]
    assert added["b_party"] == "+447700900321"
    assert added["start_utc"] == utc("2024-06-01T17:00:00")
    # the exhibit itself is untouched (requirement 16)
    assert (exhibit / "calllog.db").read_bytes() == original
    assert not (exhibit / "calllog.db-shm").exists()


# ---------------------------------------------------------------------------------------------
# bad input


def test_not_sqlite_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "mmssms.db"
    path.write_bytes(b"this is not a database\n" * 10)
    with pytest.raises(NotThisFormat, match="SQLite") as caught:
        parse(path)
    assert caught.value.path == "mmssms.db"


def test_unrelated_sqlite_lists_the_tables(tmp_path: Path) -> None:
    path = sqlite_file(
        tmp_path / "notes.db",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT)",
    )
    with pytest.raises(ParseError, match="tables found: notes, tags") as caught:
        parse(path)
    assert caught.value.path == "notes.db"


def test_truncated_database_names_the_file(tmp_path: Path) -> None:
    data = (FIXTURES / "mmssms_mms.db").read_bytes()
    path = tmp_path / "mmssms.db"
    path.write_bytes(data[:5000])
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert caught.value.path == "mmssms.db"


def test_damaged_table_pages_name_file_and_table(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "calllog.db").read_bytes())
    con = sqlite3.connect(FIXTURES / "calllog.db")
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'calls'").fetchone()[0]
    con.close()
    start = (root - 1) * 4096
    data[start : start + 4096] = b"\xff" * 4096  # the calls table's page is garbage
    path = tmp_path / "calllog.db"
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError, match="calls") as caught:
        parse(path)
    assert caught.value.path == "calllog.db"
    assert caught.value.locator == "calls"


def test_schema_damage_with_undecodable_text_is_a_parse_error(tmp_path: Path) -> None:
    # a damaged schema entry whose name is not UTF-8: SQLite's error message carries the bytes,
    # and Python's sqlite3 raises UnicodeDecodeError, not DatabaseError, for it
    data = bytearray((FIXTURES / "calllog.db").read_bytes())
    entry = data.find(b"tablecallscalls")
    data[entry + 5 : entry + 10] = b"\xff\x9dlls"
    create = data.find(b"CREATE TABLE calls (")
    data[create : create + 6] = b"CREATX"
    path = tmp_path / "calllog.db"
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError, match="damaged") as caught:
        parse(path)
    assert caught.value.path == "calllog.db"


def test_missing_column_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = sqlite_file(
        tmp_path / "mmssms.db",
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, "
        "date INTEGER, type INTEGER, body TEXT, extra_vendor TEXT)",
        "CREATE TABLE pdu (_id INTEGER PRIMARY KEY, thread_id INTEGER, msg_box INTEGER)",
        "INSERT INTO sms VALUES (4, 9, '07700900123', 1717236000000, 1, 'hi', 'x')",
        "INSERT INTO pdu VALUES (1, 9, 2)",
    )
    ctx, sink = parse(path)
    rows = by_locator(sink.rows("messages"))
    assert rows["mmssms.db#sms/_id=4"]["body"] == "hi"
    mms = rows["mmssms.db#pdu/_id=1"]
    assert pick(mms, "direction", "sent_utc", "body") == {
        "direction": "outgoing",
        "sent_utc": None,
        "body": None,
    }
    missing = [i for i in ctx.all_issues() if i.code == "android.column_missing"]
    assert [(i.locator, i.value) for i in missing] == [("mmssms.db#pdu", "date")]


def test_unreadable_values_are_kept_and_reported(tmp_path: Path) -> None:
    path = sqlite_file(
        tmp_path / "calllog.db",
        "CREATE TABLE calls (_id INTEGER PRIMARY KEY, number TEXT, date INTEGER, "
        "duration INTEGER, type INTEGER, numbertype INTEGER, countryiso TEXT)",
        "INSERT INTO calls VALUES (1, '07700900123', 'yesterday', -5, 1, 0, 'GB')",
        "INSERT INTO calls VALUES (2, '07700900123', 99999999999999999, 5, 2, 0, 'G1')",
    )
    ctx, sink = parse(path)
    rows = by_locator(sink.rows("calls"))
    first = rows["calllog.db#calls/_id=1"]
    assert pick(first, "start_utc", "start_status", "start_original", "duration_s") == {
        "start_utc": None,
        "start_status": "unparsed",
        "start_original": "yesterday",
        "duration_s": None,
    }
    assert first["duration_original"] == "-5"
    second = rows["calllog.db#calls/_id=2"]
    assert second["start_status"] == "out_of_range"
    assert second["b_party"] == "+447700900123"  # an impossible country code: the GB default
    assert set(codes(ctx)) == {"time.unparsed", "time.out_of_range"}


# ---------------------------------------------------------------------------------------------
# fuzz


FUZZ_SOURCES = ("calllog.db", "mmssms_mms.db", "contacts2.db", "msgstore_current.db", "wa.db")


@fuzz_settings()
@given(
    source=st.sampled_from(FUZZ_SOURCES),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    flips=st.integers(min_value=1, max_value=300),
    schema_only=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=60_000)),
)
def test_fuzz_only_ingest_errors(
    tmp_path: Path, source: str, seed: int, flips: int, schema_only: bool, cut: int | None
) -> None:
    data = bytearray((FIXTURES / source).read_bytes())
    chooser = random.Random(seed)
    # half the cases damage only the first two pages, where the schema lives
    span = min(len(data), 8192) if schema_only else len(data)
    for _ in range(flips):
        data[chooser.randrange(span)] = chooser.randrange(256)
    if cut is not None:
        data = data[:cut]
    path = tmp_path / source
    path.write_bytes(bytes(data))
    AndroidDbParser().sniff(probe(path))
    try:
        ctx, sink = parse(path)
    except IngestError:
        return  # the only kind of failure allowed
    # what was read is what was counted
    assert ctx.row_counts == sink.counts()


# ---------------------------------------------------------------------------------------------
# end to end through the ingest service


def test_ingest_service_end_to_end(sqlite_workspace: Any, tmp_path: Path) -> None:
    from threadline.services import query

    ws = sqlite_workspace
    source = tmp_path / "msgstore.db"
    shutil.copyfile(FIXTURES / "msgstore_current.db", source)
    result = ingest_new_exhibit(
        ws, "OP-ASH", "Operation Ash", "JB/4", source, producer="DC Test", description="WA"
    )
    assert result.parser == "android_db@1.0.0"
    assert result.row_counts == {"messages": 5, "locations": 1, "calls": 2, "source_rows": 7}
    assert result.parameters["android_stores"] == "android_whatsapp"
    table = query.run_sql(
        ws,
        "OP-ASH",
        "SELECT locator, a_party, body FROM messages WHERE direction = 'incoming' ORDER BY locator",
    )
    assert table.to_pylist() == [
        {
            "locator": "msgstore.db#message/_id=2",
            "a_party": "+447700900123",
            "body": "New phone who dis",
        },
        {"locator": "msgstore.db#message/_id=4", "a_party": "+447700900456", "body": "Pickup at 5"},
        {"locator": "msgstore.db#message/_id=6", "a_party": "+447700900789", "body": None},
    ]
    found = {i.code for i in query.list_issues(ws, "OP-ASH", "JB/4")}
    assert "whatsapp.system_messages" in found
