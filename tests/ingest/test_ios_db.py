"""Tests for the iOS handset store parser (``ios_db``) and the shared iOS store readers.

Expected values are worked out by hand from the fixtures' content (tests/fixtures/ios/README.md,
make_fixtures.py) and, for the real sample, from plaso's own test oracle
(``shared/data/mobile/plaso_test_data/EXPECTED_FROM_PLASO_TESTS.md``) and a listing of the
database's rows made with the sqlite3 shell. Cocoa times are counted from 2001-01-01T00:00:00Z;
the day arithmetic is written beside each expectation.
"""

from __future__ import annotations

import contextlib
import json
import plistlib
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from collect_sink import CollectSink, by_locator, run_parser
from hypothesis import given
from hypothesis import strategies as st
from phone_support import (
    assert_readers_match,
    fuzz_settings,
    ingest_new_exhibit,
    probe,
    shared_sample,
    sqlite_file,
    utc,
)

from threadline.errors import HostileInput, IngestError, NotThisFormat, ParseError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.ios.parser import IosDbParser
from threadline.ingest.parsers.ios.stores import IOS_READERS
from threadline.ingest.parsers.ios.typedstream import attributed_body_text
from threadline.ingest.phone_store import match_path
from threadline.model.ids import row_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ios"
PLASO = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "plaso_test_data"
EXHIBIT = "EX-IOS"
PARSER_REF = "ios_db@1.0.0"


def parse(path: Path) -> tuple[ParseContext, CollectSink]:
    return run_parser(IosDbParser(), path, exhibit_id=EXHIBIT, reference="JB/7")


def shared(name: str) -> Path:
    return shared_sample(PLASO / name)


def codes(ctx: ParseContext) -> list[tuple[str, str | None]]:
    return [(i.code, i.locator) for i in ctx.all_issues()]


# ---------------------------------------------------------------------------------------------
# the real sample: plaso's imessage_chat.db (Apache-2.0), read in place


def test_plaso_imessage_matches_the_oracle() -> None:
    path = shared("sqlite__imessage_chat.db")
    ctx, sink = parse(path)
    place = path.name
    # plaso's test expects 10 events: one per message row (ROWID 1..10)
    assert ctx.row_counts == {"messages": 10, "source_rows": 10}
    assert codes(ctx) == []
    rows = by_locator(sink.rows("messages"))
    assert list(rows) == [f"{place}#message/ROWID={n}" for n in range(1, 11)]
    # plaso's first expected event: 470573320 s after 2001 = 5446 days + 38,920 s; 2001->2015 is
    # 14 years + 3 leap days = 5113 days, so day 333 of 2015 = 30 November; 38,920 s = 10:48:40
    first = rows[f"{place}#message/ROWID=8"]
    assert first["sent_utc"] == utc(2015, 11, 30, 10, 48, 40)
    assert first["sent_original"] == "470573320"
    assert first["source_app"] == "iMessage"
    assert first["message_type"] == "im"
    assert first["a_party_original"] == "xxxxxx2015@icloud.com"
    assert first["a_party"] is None  # an e-mail address has no E.164 form
    assert first["body"] == "Did you try to send me a message?"
    assert first["direction"] == "incoming"
    assert first["target_role"] == "b"
    assert first["thread"] == "jondoh2015@icloud.com"
    assert first["row_id"] == row_id(EXHIBIT, f"{place}#message/ROWID=8")
    # formats.md: 469908586 -> 2015-11-22; 469908586 = 5438 days + 65,386 s; day 325 of 2015 =
    # 22 November; 65,386 s = 18:09:46
    assert rows[f"{place}#message/ROWID=1"]["sent_utc"] == utc(2015, 11, 22, 18, 9, 46)
    # is_from_me as listed with the sqlite3 shell: 1 on ROWID 2, 5, 6, 9, 10
    outgoing = {2, 5, 6, 9, 10}
    for n in range(1, 11):
        row = rows[f"{place}#message/ROWID={n}"]
        handle = "xxxxxx2015@icloud.com" if n in (8, 9) else "447775455555"
        if n in outgoing:
            assert (row["direction"], row["target_role"]) == ("outgoing", "a")
            assert (row["a_party_original"], row["b_party_original"]) == (None, handle)
        else:
            assert (row["direction"], row["target_role"]) == ("incoming", "b")
            assert (row["a_party_original"], row["b_party_original"]) == (handle, None)
    assert rows[f"{place}#message/ROWID=1"]["a_party"] == "+447775455555"
    # the text column wins over attributedBody where both are present (they differ on ROWID 10)
    assert rows[f"{place}#message/ROWID=10"]["body"] == (
        "Hi Eireanne, I've left a USB stick up at my Mum's with Open Office on it."
    )
    # ROWID 10 = 470777093 s = 5448 days + 69,893 s: day 335 of 2015 = 2 December, 19:24:53
    assert rows[f"{place}#message/ROWID=10"]["sent_utc"] == utc(2015, 12, 2, 19, 24, 53)


def test_plaso_times_ascend_with_row_ids() -> None:
    _, sink = parse(shared("sqlite__imessage_chat.db"))
    times = [r["sent_utc"] for r in sink.rows("messages")]
    assert times == sorted(times)
    assert all(
        r["sent_status"] == "exact" and r["time_basis"] == "UTC" for r in sink.rows("messages")
    )


# ---------------------------------------------------------------------------------------------
# sms.db (iOS 16 layout, nanosecond dates)

SMS = "sms.db"
# 2024-03-01T00:00:00Z is 8460 days after 2001-01-01 (8400 days to 2024-01-01, 23 years with 5
# leap days, + 31 + 29) = 730,944,000 s; iOS 11+ writes nanoseconds, so x 10^9.


def test_sms_golden_rows() -> None:
    ctx, sink = parse(FIXTURES / SMS)
    assert ctx.row_counts == {"messages": 9, "source_rows": 9}
    rows = by_locator(sink.rows("messages"))
    assert list(rows) == [f"{SMS}#message/ROWID={n}" for n in range(1, 10)]
    first = rows[f"{SMS}#message/ROWID=1"]
    assert first == {
        "row_id": row_id(EXHIBIT, f"{SMS}#message/ROWID=1"),
        "exhibit_id": EXHIBIT,
        "locator": f"{SMS}#message/ROWID=1",
        "parser": PARSER_REF,
        "record_type_original": "SMS",
        "message_type": "sms",
        "direction": "incoming",
        "a_party": "+447700900101",
        "a_party_original": "+447700900101",
        "b_party": None,
        "b_party_original": None,
        "target_role": "b",
        # 730,944,000 + 33,330 s (09:15:30) = 730,977,330 s, plus 0.25 s, in nanoseconds
        "sent_utc": utc(2024, 3, 1, 9, 15, 30, 250000),
        "sent_earliest_utc": utc(2024, 3, 1, 9, 15, 30, 250000),
        "sent_latest_utc": utc(2024, 3, 1, 9, 15, 30, 250000),
        "sent_status": "exact",
        "sent_original": "730977330250000000",
        "body": "Are you at the unit tomorrow?",
        "imei": None,
        "imei_key": None,
        "imei_original": None,
        "imsi": None,
        "imsi_original": None,
        "cell": None,
        "cell_original": None,
        "thread": "+447700900101",
        "time_basis": "UTC",
        "source_app": "SMS",
        "deleted_state": "intact",
        "a_party_name": None,
        "thread_name": None,
        "participants": "+447700900101",
        "attachments": None,
    }


def test_sms_directions_times_and_bodies() -> None:
    _, sink = parse(FIXTURES / SMS)
    rows = by_locator(sink.rows("messages"))

    def row(n: int) -> dict[str, Any]:
        return rows[f"{SMS}#message/ROWID={n}"]

    # outgoing SMS: the owner sent it, so the owner's side (A) is empty and target_role is a
    assert (row(2)["direction"], row(2)["target_role"]) == ("outgoing", "a")
    assert (row(2)["a_party"], row(2)["b_party"]) == (None, "+447700900101")
    assert row(2)["sent_utc"] == utc(2024, 3, 1, 9, 17, 30)  # 730,977,450 s
    # text only in attributedBody (iOS 16): recovered; 730,944,000 + 86,400 + 72,000 s
    assert row(3)["body"] == "Bring the passports — all of them"
    assert row(3)["sent_utc"] == utc(2024, 3, 2, 20, 0, 0)
    assert row(3)["sent_original"] == "731102400000000000"
    # a text of 164 bytes: the archive writes its length as 0x81 + two bytes
    assert row(7)["body"] == (
        "Tell the new ones they work Monday to Sunday, no days off until the debt is paid. "
        "Wages go to the house account — they keep nothing. Same rules as before, no phones."
    )
    assert row(7)["sent_utc"] == utc(2024, 3, 4)  # 730,944,000 + 3 x 86,400 s
    # a damaged archive: no body, an issue at the message
    assert row(8)["body"] is None


def test_sms_group_chat_attachment_reaction_and_mms() -> None:
    ctx, sink = parse(FIXTURES / SMS)
    rows = by_locator(sink.rows("messages"))
    members = "+447700900102; dani.fictional@example.com; +447700900104"
    group_in = rows[f"{SMS}#message/ROWID=4"]
    assert group_in["a_party_original"] == "dani.fictional@example.com"
    assert (group_in["thread"], group_in["thread_name"]) == (
        "chat501234567890123456",
        "Warehouse shifts",
    )
    assert group_in["participants"] == members
    assert group_in["sent_utc"] == utc(2024, 3, 3, 6, 30)  # + 2 days + 23,400 s
    group_out = rows[f"{SMS}#message/ROWID=5"]
    # an outgoing group message has no handle: the recipients are the participants
    assert (group_out["direction"], group_out["b_party_original"]) == ("outgoing", None)
    assert group_out["participants"] == members
    assert group_out["attachments"] == "~/Library/SMS/Attachments/4a/10/AT-0001/rota.jpg"
    assert group_out["message_type"] == "im"
    reaction = rows[f"{SMS}#message/ROWID=6"]
    assert reaction["record_type_original"] == "associated_message_type=2000"
    assert reaction["body"] == "Loved \u201c\ufffcRota attached\u201d"
    assert reaction["a_party"] == "+447700900104"
    mms = rows[f"{SMS}#message/ROWID=9"]
    assert (mms["message_type"], mms["source_app"]) == ("mms", "SMS")
    assert mms["attachments"] == "~/Library/SMS/Attachments/0b/11/AT-0002/IMG_0001.jpeg"
    assert codes(ctx) == [
        ("ios.sms.body_unreadable", f"{SMS}#message/ROWID=8"),
        ("ios.sms.reactions", f"{SMS}#message"),
    ]


def test_sms_raw_record_is_kept() -> None:
    _, sink = parse(FIXTURES / SMS)
    raw = by_locator(sink.rows("source_rows"))[f"{SMS}#message/ROWID=3"]["raw"]
    assert '"handle_id": 2' in raw
    assert '"attributedBody": {"base64": "BAtzdHJlYW10eXBlZ' in raw  # b"\x04\x0bstreamtyped"


# ---------------------------------------------------------------------------------------------
# CallHistory.storedata

CALLS = "CallHistory.storedata"


def test_calls_golden() -> None:
    ctx, sink = parse(FIXTURES / CALLS)
    assert ctx.row_counts == {"calls": 5, "source_rows": 5}
    assert codes(ctx) == []
    rows = by_locator(sink.rows("calls"))
    assert list(rows) == [f"{CALLS}#ZCALLRECORD/Z_PK={n}" for n in range(1, 6)]
    out = rows[f"{CALLS}#ZCALLRECORD/Z_PK=1"]
    assert out["row_id"] == row_id(EXHIBIT, f"{CALLS}#ZCALLRECORD/Z_PK=1")
    assert (out["direction"], out["target_role"]) == ("outgoing", "a")
    assert (out["a_party"], out["b_party"], out["b_party_original"]) == (
        None,
        "+447700900201",
        "07700900201",
    )
    # 730,944,000 + 36,000.5 s (real Cocoa seconds) = 2024-03-01 10:00:00.5
    assert out["start_utc"] == utc(2024, 3, 1, 10, 0, 0, 500000)
    assert out["start_original"] == "730980000.5"
    assert (out["duration_s"], out["duration_original"]) == (65, "65.4")
    assert (out["source_app"], out["record_type_original"]) == ("Phone", "1")
    missed = rows[f"{CALLS}#ZCALLRECORD/Z_PK=2"]
    # incoming (ZORIGINATED 0), not answered; ZADDRESS is a blob of UTF-8 text
    assert (missed["direction"], missed["target_role"]) == ("missed", "b")
    assert (missed["a_party"], missed["b_party"]) == ("+447700900202", None)
    assert missed["start_utc"] == utc(2024, 3, 1, 10, 30)  # + 37,800 s
    assert missed["duration_s"] == 0
    whatsapp = rows[f"{CALLS}#ZCALLRECORD/Z_PK=3"]
    assert (whatsapp["source_app"], whatsapp["direction"]) == ("WhatsApp", "incoming")
    assert (whatsapp["duration_s"], whatsapp["record_type_original"]) == (312, "0")
    assert whatsapp["start_utc"] == utc(2024, 3, 2, 1, 0)  # + 86,400 + 3,600 s
    facetime = rows[f"{CALLS}#ZCALLRECORD/Z_PK=4"]
    assert (facetime["source_app"], facetime["record_type_original"]) == ("FaceTime", "16")
    assert (facetime["b_party"], facetime["b_party_original"]) == (
        None,
        "dani.fictional@example.com",
    )
    assert facetime["duration_s"] == 31  # 30.6 rounded
    us = rows[f"{CALLS}#ZCALLRECORD/Z_PK=5"]
    # national US form read in the call's country (ZISO_COUNTRY_CODE us), not as a GB number
    assert (us["a_party"], us["a_party_original"]) == ("+12025550143", "2025550143")


# ---------------------------------------------------------------------------------------------
# AddressBook.sqlitedb and its WAL

AB = "AddressBook.sqlitedb"


def test_contacts_golden_with_wal_beside() -> None:
    ctx, sink = parse(FIXTURES / AB)
    assert ctx.row_counts == {"contacts": 5, "source_rows": 5}
    assert codes(ctx) == []
    got = [
        (r["locator"], r["name"], r["number"], r["number_original"], r["email"])
        for r in sink.rows("contacts")
    ]
    assert got == [
        (f"{AB}#ABMultiValue/ROWID=1", "Jo Bloggs (JB)", "+447700900301", "07700 900301", None),
        (f"{AB}#ABMultiValue/ROWID=2", "Jo Bloggs (JB)", None, None, "jo.bloggs@example.com"),
        (
            f"{AB}#ABMultiValue/ROWID=3",
            "Northfield Car Wash Ltd",
            "+441632960111",
            "01632 960111",
            None,
        ),
        # only in the -wal file
        (f"{AB}#ABMultiValue/ROWID=5", "Alex Morgan", "+447700900304", "+44 7700 900304", None),
        (f"{AB}#ABPerson/ROWID=3", "Sam Carter", None, None, None),
    ]
    assert all(r["source_app"] == "Contacts" for r in sink.rows("contacts"))
    raw = by_locator(sink.rows("source_rows"))[f"{AB}#ABMultiValue/ROWID=1"]["raw"]
    assert '"label_text": "Mobile"' in raw
    assert '"ABPerson.First": "Jo"' in raw


def test_contacts_without_wal_miss_the_newest(tmp_path: Path) -> None:
    alone = tmp_path / AB
    shutil.copyfile(FIXTURES / AB, alone)
    _, sink = parse(alone)
    names = {r["name"] for r in sink.rows("contacts")}
    assert "Alex Morgan" not in names
    assert len(sink.rows("contacts")) == 4


def test_fixture_files_are_not_changed_by_parsing() -> None:
    before = {p.name: p.read_bytes() for p in FIXTURES.iterdir() if p.name != "make_fixtures.py"}
    parse(FIXTURES / AB)
    after = {p.name: p.read_bytes() for p in FIXTURES.iterdir() if p.name != "make_fixtures.py"}
    assert before == after


# ---------------------------------------------------------------------------------------------
# WhatsApp ChatStorage.sqlite

WA = "ChatStorage.sqlite"
GROUP = "120363012345678901@g.us"


def test_whatsapp_golden() -> None:
    ctx, sink = parse(FIXTURES / WA)
    assert ctx.row_counts == {"messages": 5, "locations": 1, "source_rows": 5}
    assert codes(ctx) == [("ios.whatsapp.location_unreadable", f"{WA}#ZWAMESSAGE/Z_PK=5")]
    rows = by_locator(sink.rows("messages"))
    assert list(rows) == [f"{WA}#ZWAMESSAGE/Z_PK={n}" for n in range(1, 6)]
    first = rows[f"{WA}#ZWAMESSAGE/Z_PK=1"]
    # 2024-03-04T12:00:00Z = 730,944,000 + 3 x 86,400 + 43,200 = 731,246,400 Cocoa seconds
    assert first["sent_utc"] == utc(2024, 3, 4, 12, 0)
    assert (first["a_party"], first["a_party_original"]) == (
        "+447700900401",
        "447700900401@s.whatsapp.net",
    )
    assert (first["a_party_name"], first["thread_name"]) == ("Kit Lane", "Kit Lane")
    assert (first["message_type"], first["source_app"]) == ("im", "WhatsApp")
    assert first["body"] == "Where are you?"
    assert first["participants"] == "447700900401@s.whatsapp.net"
    shared_place = rows[f"{WA}#ZWAMESSAGE/Z_PK=2"]
    assert (shared_place["direction"], shared_place["b_party"]) == ("outgoing", "+447700900401")
    assert shared_place["record_type_original"] == "5"
    in_group = rows[f"{WA}#ZWAMESSAGE/Z_PK=3"]
    # the sender in a group is the member, not the group JID in ZFROMJID
    assert (in_group["a_party"], in_group["a_party_name"]) == ("+447700900402", "Rob Ellis")
    assert (in_group["thread"], in_group["thread_name"]) == (GROUP, "Van drivers")
    assert in_group["participants"] == ("447700900402@s.whatsapp.net; 447700900403@s.whatsapp.net")
    photo = rows[f"{WA}#ZWAMESSAGE/Z_PK=4"]
    assert (photo["b_party"], photo["b_party_original"]) == (None, GROUP)
    assert photo["attachments"] == f"Media/{GROUP}/a/b/IMG-0001.jpg"
    assert photo["sent_utc"] == utc(2024, 3, 4, 13, 1, 0, 250000)  # 731,250,060.25
    (place,) = sink.rows("locations")
    assert place["locator"] == f"{WA}#ZWAMESSAGE/Z_PK=2"
    assert (place["latitude"], place["longitude"]) == (53.4794, -2.2453)
    assert place["at_utc"] == utc(2024, 3, 4, 12, 1)  # + 60 s
    assert (place["source_app"], place["time_basis"]) == ("WhatsApp", "UTC")


# ---------------------------------------------------------------------------------------------
# CommCenter plists

CC = "com.apple.commcenter.plist"


def test_commcenter_xml_golden() -> None:
    ctx, sink = parse(FIXTURES / CC)
    assert ctx.row_counts == {"devices": 2, "source_rows": 2}
    rows = by_locator(sink.rows("devices"))
    root = rows[f"{CC}#plist/root"]
    assert (root["iccid"], root["msisdn"], root["msisdn_original"]) == (
        "8944110000000000018",
        "+447700900999",
        "+447700900999",
    )
    # 35000011223344 + Luhn check digit 6: doubled 5,0,0,1,2,3,4 -> 1+0+0+2+4+6+8 = 21, the
    # others 3+0+0+1+2+3+4 = 13, total 34, check (10 - 4) mod 10 = 6
    assert (root["imei"], root["imei_key"]) == ("350000112233446", "35000011223344")
    assert root["imsi"] == "001010123456789"
    esim = rows[f"{CC}#plist/PersonalWallet/8944110000000000026"]
    assert (esim["iccid"], esim["msisdn"], esim["imei"]) == (
        "8944110000000000026",
        "+447700900998",
        None,
    )
    raw = by_locator(sink.rows("source_rows"))[f"{CC}#plist/root"]["raw"]
    assert '"CarrierName": "Fictional Mobile"' in raw


def test_commcenter_binary_gives_the_same_rows(tmp_path: Path) -> None:
    binary = tmp_path / CC
    binary.write_bytes(
        plistlib.dumps(plistlib.loads((FIXTURES / CC).read_bytes()), fmt=plistlib.FMT_BINARY)
    )
    assert IosDbParser().sniff(probe(binary)) is Confidence.CERTAIN
    _, from_binary = parse(binary)
    _, from_xml = parse(FIXTURES / CC)
    assert from_binary.rows("devices") == from_xml.rows("devices")


def test_commcenter_plaso_sample() -> None:
    path = shared("ios__com.apple.commcenter.data.plist")
    assert IosDbParser().sniff(probe(path)) is Confidence.CERTAIN
    ctx, sink = parse(path)
    # read with plistlib by hand: PersonalWallet {'8901260971148676693': {'info': {'mdn':
    # '+19195794674', 'type': 'sim', ...}}}; no top-level ICCID, number or IMEI keys
    (row,) = sink.rows("devices")
    assert row["locator"] == f"{path.name}#plist/PersonalWallet/8901260971148676693"
    assert (row["iccid"], row["msisdn"], row["msisdn_original"]) == (
        "8901260971148676693",
        "+19195794674",
        "+19195794674",
    )
    assert codes(ctx) == []


def test_commcenter_shared_references_are_walked_in_bounded_time(tmp_path: Path) -> None:
    # 40 levels of dictionaries, each holding two references to the next: a binary plist of a
    # few kilobytes whose naive walk visits 2**40 paths
    nested: dict[str, Any] = {"leaf": "end"}
    for _ in range(40):
        nested = {"left": nested, "right": nested}
    path = tmp_path / CC
    path.write_bytes(
        plistlib.dumps(
            {"LastKnownICCID": "8944110000000000018", "Nested": nested, "List": [nested, "x"]},
            fmt=plistlib.FMT_BINARY,
        )
    )
    started = time.monotonic()
    _, sink = parse(path)
    assert time.monotonic() - started < 5
    (row,) = sink.rows("devices")
    assert row["iccid"] == "8944110000000000018"
    raw = json.loads(by_locator(sink.rows("source_rows"))[f"{CC}#plist/root"]["raw"])
    assert raw["List"] == "{dictionary of 2 keys}; x"
    # the walk stops 8 levels down: "Nested" is level 1, so level 8 is summarised
    deepest = "Nested/" + "left/" * 6 + "left"
    assert raw[deepest] == "{dictionary of 2 keys}"
    assert "_truncated" in raw
    assert len(raw) <= 1_000 + 1


# ---------------------------------------------------------------------------------------------
# recognition and the shared readers


@pytest.mark.parametrize("name", [SMS, CALLS, AB, WA, CC])
def test_sniff_is_certain_for_each_store(name: str) -> None:
    assert IosDbParser().sniff(probe(FIXTURES / name)) is Confidence.CERTAIN


def test_sniff_refuses_other_files(tmp_path: Path) -> None:
    other = sqlite_file(
        tmp_path / "other.db",
        "CREATE TABLE messages_archive (id INTEGER)",
        "CREATE TABLE message_log (id INTEGER)",
    )
    parser = IosDbParser()
    assert parser.sniff(probe(other)) is Confidence.NO
    text = tmp_path / "notes.txt"
    text.write_text("CREATE TABLE message (x); CREATE TABLE handle (y)\n", encoding="utf-8")
    assert parser.sniff(probe(text)) is Confidence.NO
    plain = tmp_path / "settings.plist"
    plain.write_bytes(plistlib.dumps({"Volume": 3}))
    assert parser.sniff(probe(plain)) is Confidence.NO


def test_readers_match_extraction_paths() -> None:
    names = {
        "private/var/mobile/Library/SMS/sms.db": "ios_sms",
        "HomeDomain/Library/SMS/sms.db": "ios_sms",
        "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata": "ios_call_history",
        "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb": "ios_address_book",
        "private/var/mobile/Containers/Shared/AppGroup/3F2A/ChatStorage.sqlite": "ios_whatsapp",
    }
    assert_readers_match(IOS_READERS, names)
    assert match_path(IOS_READERS, "private/var/mobile/Library/SMS/sms.db-wal") is None
    assert [r.name for r in IOS_READERS] == [
        "ios_sms",
        "ios_call_history",
        "ios_address_book",
        "ios_whatsapp",
    ]


# ---------------------------------------------------------------------------------------------
# the attributedBody decoder


def _archive(payload: bytes) -> bytes:
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x08NSString\x01\x94\x84\x01+"
        + payload
    )


def test_typedstream_lengths() -> None:
    assert attributed_body_text(_archive(b"\x02hi\x86")) == "hi"
    long = "x" * 300
    assert attributed_body_text(_archive(b"\x81\x2c\x01" + long.encode() + b"\x86")) == long
    assert attributed_body_text(_archive(b"\x82\x03\x00\x00\x00abc")) == "abc"


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"not an archive",
        _archive(b"\x10short"),  # length beyond the end
        _archive(b"\x83abc"),  # unknown length form
        _archive(b"\x02\xff\xfe"),  # not UTF-8
        b"\x04\x0bstreamtyped\x81\xe8\x03 no class name",
    ],
)
def test_typedstream_gives_none_for_what_it_cannot_read(blob: bytes) -> None:
    assert attributed_body_text(blob) is None


# ---------------------------------------------------------------------------------------------
# bad input


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def test_unrecognised_database_lists_its_tables(tmp_path: Path) -> None:
    path = sqlite_file(
        tmp_path / "unknown.db",
        "CREATE TABLE visits (id INTEGER)",
        "CREATE TABLE places (id INTEGER)",
    )
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert caught.value.path == "unknown.db"
    assert "places, visits" in str(caught.value)


def test_not_sqlite_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(NotThisFormat):
        parse(path)


def test_damaged_database_names_file_and_table(tmp_path: Path) -> None:
    path = _copy(tmp_path, SMS)
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert caught.value.path == SMS
    assert caught.value.locator in {"handle", "chat", "message", "chat_handle_join"}


def test_truncated_database_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / SMS
    path.write_bytes((FIXTURES / SMS).read_bytes()[:100])
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert caught.value.path == SMS


def test_missing_column_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = sqlite_file(
        _copy(tmp_path, SMS),
        "ALTER TABLE message DROP COLUMN service",
        "DROP TABLE chat_message_join",
    )
    ctx, sink = parse(path)
    assert ctx.row_counts["messages"] == 9
    assert ("ios.column_missing", f"{SMS}#message") in codes(ctx)
    assert ("ios.table_missing", f"{SMS}#chat_message_join") in codes(ctx)
    first = by_locator(sink.rows("messages"))[f"{SMS}#message/ROWID=1"]
    assert (first["source_app"], first["message_type"], first["thread"]) == (None, None, None)
    assert first["body"] == "Are you at the unit tomorrow?"


def test_missing_side_table_column_is_an_issue(tmp_path: Path) -> None:
    path = sqlite_file(_copy(tmp_path, SMS), "ALTER TABLE attachment DROP COLUMN transfer_name")
    ctx, sink = parse(path)
    assert ("ios.column_missing", f"{SMS}#message_attachment_join") in codes(ctx)
    assert all(r["attachments"] is None for r in sink.rows("messages"))


def test_text_that_is_not_utf8_is_kept_not_fatal(tmp_path: Path) -> None:
    path = sqlite_file(
        _copy(tmp_path, SMS), "UPDATE message SET text = CAST(x'48ff21' AS TEXT) WHERE ROWID = 2"
    )
    _, sink = parse(path)
    assert by_locator(sink.rows("messages"))[f"{SMS}#message/ROWID=2"]["body"] == "H\ufffd!"
    raw = by_locator(sink.rows("source_rows"))[f"{SMS}#message/ROWID=2"]["raw"]
    assert '"text": {"base64": "SP8h"}' in raw  # the bytes 48 ff 21 exactly


def test_damaged_plist_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / CC
    path.write_bytes(b"bplist00\x00\x01garbage")
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert caught.value.path == CC


def test_plist_with_entities_is_refused(tmp_path: Path) -> None:
    path = tmp_path / CC
    path.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]>'
        b"<plist><dict><key>LastKnownICCID</key><string>&a;</string></dict></plist>"
    )
    with pytest.raises(HostileInput):
        parse(path)


def test_plist_without_sim_keys_is_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "com.apple.commcenter.device_specific_nobackup.plist"
    path.write_bytes(plistlib.dumps({"SomethingElse": 1}))
    ctx, sink = parse(path)
    assert sink.counts() == {}
    assert codes(ctx) == [("ios.commcenter.no_sim", f"{path.name}#plist/root")]


# ---------------------------------------------------------------------------------------------
# fuzz: mutated and truncated stores may only raise Threadline's ingest errors


def _mutations(source: bytes) -> st.SearchStrategy[bytes]:
    def mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
        buffer = bytearray(data[: max(cut, 1)])
        for position, value in edits:
            buffer[position % len(buffer)] = value
        return bytes(buffer)

    return st.builds(
        mutate,
        st.just(source),
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=24),
        st.integers(1, len(source)),
    )


@pytest.mark.parametrize("name", [SMS, CALLS, AB, WA, CC])
def test_fuzz_parser_entry_point(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    source = (FIXTURES / name).read_bytes()

    @fuzz_settings()
    @given(_mutations(source))
    def check(data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        parser = IosDbParser()
        parser.sniff(probe(path, data))
        with contextlib.suppress(IngestError):
            parse(path)

    check()


# ---------------------------------------------------------------------------------------------
# end to end: registered as an exhibit and ingested through the service


def test_end_to_end_ingest(sqlite_workspace: Any) -> None:
    from threadline.services import query

    ws = sqlite_workspace
    result = ingest_new_exhibit(
        ws,
        "OP-ALDER",
        "Operation Alder",
        "JB/7",
        FIXTURES / SMS,
        producer="DC Jo Bloggs",
        description="sms.db",
    )
    assert result.parser == PARSER_REF
    assert result.row_counts == {"messages": 9, "source_rows": 9}
    assert result.parameters["store"] == "ios_sms"
    table = query.run_sql(
        ws,
        "OP-ALDER",
        "SELECT locator, body FROM messages WHERE message_type = 'mms'",
    )
    assert table.to_pylist() == [{"locator": f"{SMS}#message/ROWID=9", "body": "\ufffc"}]
