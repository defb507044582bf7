"""Tests for the app database readers (Burner, Viber, Tango, Kik, imo) in
``threadline.ingest.parsers.apps``.

Expected values come from outside the code under test:

* plaso's own tests of the same databases (``EXPECTED_FROM_PLASO_TESTS.md`` and
  ``tests/parsers/sqlite_plugins/{android_burners,android_viber_call,ios_kik,ios_imohdchat,
  android_tango}.py`` at plaso 4ea03ef9): event counts and first events;
* every other value listed by hand with the ``sqlite3`` shell from the shared samples, times with
  ``strftime('%Y-%m-%dT%H:%M:%f', <ms>/1000.0, 'unixepoch')`` (Cocoa: ``+978307200``; imo:
  ``ZTS/1e9``), and copied here.

The samples are read in place from ``/work/shared/data`` (never copied into the repository): the
tests are skipped when it is absent, except under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from collect_sink import CollectSink, by_locator, run_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadline.errors import IngestError, ParseError
from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.parsers.apps.protobuf import read_fields
from threadline.ingest.parsers.apps.stores import (
    ANDROID_APP_READERS,
    ANDROID_APP_STORES,
    IOS_APP_READERS,
    IOS_APP_STORES,
    fitting_app_stores,
)
from threadline.ingest.parsers.apps.tango import decode_base64_text
from threadline.ingest.parsers.apps.times import cocoa_seconds, unix_ms, unix_ns
from threadline.ingest.phone_store import StoreReader, match_path, recognise
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_copy import open_sqlite_copy, tables

PLASO = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "plaso_test_data"
IN_CI = os.environ.get("CI", "").lower() == "true"
READERS = {r.name: r for r in ANDROID_APP_READERS + IOS_APP_READERS}
SAMPLES = {
    "android_burner": "android__burners.sqlite",
    "android_viber": "android__viber_data",
    "android_tango_tc": "tango_android_tc.db",
    "android_tango_profiles": "android__tango_profile.db",
    "ios_kik": "ios__kik.sqlite",
    "ios_imo": "ios__IMODb2.sqlite",
}


def sample(name: str) -> Path:
    path = PLASO / name
    if not path.is_file():
        if IN_CI:
            pytest.fail(f"CI=true but the shared sample {path} is missing")
        pytest.skip(f"shared sample data not available ({path})")
    return path


def read(reader: StoreReader, path: Path, place: str | None = None) -> tuple[ParseContext, Any]:
    """Run one reader on a database as the parsers do: a scratch copy, a row writer."""
    sink = CollectSink()
    ctx = ParseContext(
        exhibit=ExhibitFacts(exhibit_id="EX-APP", reference="JB/9"),
        parser_ref="test@0.0.0",
        options=IngestOptions(),
        sink=sink,
    )
    name = place or path.name
    with open_sqlite_copy(path, name=name) as con, RowWriter(ctx) as writer:
        reader.read(con, name, writer)
    return ctx, sink


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ms(text: str) -> int:
    """Milliseconds since 1970 of an ISO time (to compare raw values with plaso's times)."""
    return (utc(text) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def codes(ctx: ParseContext) -> dict[str, int]:
    found: dict[str, int] = {}
    for issue in ctx.all_issues():
        found[issue.code] = found.get(issue.code, 0) + issue.count
    return found


def pick(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


# ---------------------------------------------------------------------------------------------
# Burner


def test_burner_plaso_sample() -> None:
    ctx, sink = read(READERS["android_burner"], sample("android__burners.sqlite"))
    # plaso: 1 event (the burners row). Also read: 16 messages rows = 14 texts + 2 calls, and
    # the 4 contacts
    assert sink.counts() == {
        "accounts": 1,
        "messages": 14,
        "calls": 2,
        "contacts": 4,
        "source_rows": 21,
    }
    assert codes(ctx) == {}
    account = sink.rows("accounts")[0]
    assert pick(account, "locator", "service", "account_id", "display_name", "number") == {
        "locator": "android__burners.sqlite#burners/_id=17",
        "service": "Burner",
        "account_id": "5b7c579e-5d24-49e2-a9b8-82641ef1dbe3",
        "display_name": "My Burner",
        "number": "+19102484781",
    }
    raw = {r["locator"]: r["raw"] for r in sink.rows("source_rows")}
    burner = json.loads(raw["android__burners.sqlite#burners/_id=17"])
    # plaso's times for the burner: created and expiry, and its 50 minutes
    assert burner["date_created"] == ms("2022-12-01T17:19:27.768")
    assert burner["expiration_date"] == ms("2022-12-31T17:19:27.768")
    assert burner["total_minutes"] == 50
    # the allowances confirm the reading: 14 texts used of 100, 2 x 2 minutes of 50
    assert burner["total_texts"] - burner["remaining_texts"] == 14
    calls = by_locator(sink.rows("calls"))
    used = sum(int(c["duration_original"]) for c in calls.values())
    assert burner["total_minutes"] - burner["remaining_minutes"] == used == 4

    messages = by_locator(sink.rows("messages"))
    assert pick(
        messages["android__burners.sqlite#messages/_id=1"],
        "direction",
        "message_type",
        "a_party",
        "b_party",
        "target_role",
        "sent_utc",
        "body",
    ) == {
        "direction": "outgoing",
        "message_type": "sms",
        "a_party": "+19102484781",
        "b_party": "+19198887386",
        "target_role": "a",
        "sent_utc": utc("2022-12-01T18:16:30.384"),
        "body": "You there?",
    }
    picture = messages["android__burners.sqlite#messages/_id=13"]
    assert pick(picture, "direction", "message_type", "a_party", "b_party", "body") == {
        "direction": "incoming",
        "message_type": "mms",
        "a_party": "+19198887386",
        "b_party": "+19102484781",
        "body": None,
    }
    assert picture["attachments"] == (
        "https://s3.amazonaws.com/burner-mms/prod/248d9fad-db20-417e-87be-2c09a83d4ef6.jpg"
    )
    assert picture["sent_utc"] == utc("2022-12-01T18:28:15.135")
    # spacing kept exactly
    assert messages["android__burners.sqlite#messages/_id=6"]["body"] == (
        "Three, at least.  Too many."
    )
    assert Counter(m["direction"] for m in messages.values()) == {"outgoing": 8, "incoming": 6}
    assert {loc: pick(c, "direction", "start_utc", "duration_s") for loc, c in calls.items()} == {
        "android__burners.sqlite#messages/_id=25": {
            "direction": "incoming",
            "start_utc": utc("2022-12-01T18:42:00.720"),
            "duration_s": 120,
        },
        "android__burners.sqlite#messages/_id=27": {
            "direction": "outgoing",
            "start_utc": utc("2022-12-01T18:47:59.534"),
            "duration_s": 120,
        },
    }
    contacts = by_locator(sink.rows("contacts"))
    assert pick(contacts["android__burners.sqlite#contacts/_id=66"], "name", "number") == {
        "name": "This Is DFIR Two",
        "number": "+19198887386",
    }


# ---------------------------------------------------------------------------------------------
# Viber


def test_viber_plaso_sample() -> None:
    ctx, sink = read(READERS["android_viber"], sample("android__viber_data"))
    # plaso: 4 event data, one per calls row (each with a start and an end time); also read:
    # the 10 phone numbers of Viber's phone-book copy
    assert sink.counts() == {"calls": 4, "contacts": 10, "source_rows": 14}
    assert codes(ctx) == {}
    calls = by_locator(sink.rows("calls"))
    seen = {
        loc: pick(c, "direction", "record_type_original", "a_party", "b_party", "start_utc")
        for loc, c in calls.items()
    }
    other = "+19198887386"
    assert seen == {
        "android__viber_data#calls/_id=1": {
            "direction": "incoming",
            "record_type_original": "audio;type=1",
            "a_party": other,
            "b_party": None,
            "start_utc": utc("2022-11-25T20:34:25.582"),
        },
        "android__viber_data#calls/_id=2": {
            "direction": "outgoing",
            "record_type_original": "audio;type=2",
            "a_party": None,
            "b_party": other,
            "start_utc": utc("2022-11-25T20:37:07.737"),
        },
        "android__viber_data#calls/_id=3": {
            "direction": "incoming",
            "record_type_original": "video;type=1",
            "a_party": other,
            "b_party": None,
            "start_utc": utc("2022-11-25T20:40:24.137"),
        },
        "android__viber_data#calls/_id=4": {
            "direction": "outgoing",
            "record_type_original": "video;type=2",
            "a_party": None,
            "b_party": other,
            "start_utc": utc("2022-11-25T20:43:08.267"),
        },
    }
    # plaso's event: call to +19198887386, 20:43:08.267 -> 20:44:53.267, 105 s
    last = calls["android__viber_data#calls/_id=4"]
    assert last["duration_s"] == 105
    assert last["target_role"] == "a"
    assert last["start_utc"] + timedelta(seconds=last["duration_s"]) == utc(
        "2022-11-25T20:44:53.267"
    )
    assert last["end_utc"] is None  # the end is plaso's sum, not a recorded time
    contacts = by_locator(sink.rows("contacts"))
    assert pick(
        contacts["android__viber_data#phonebookdata/_id=27"], "name", "number", "number_original"
    ) == {"name": "This Is DFIR Two", "number": "+19198887386", "number_original": "9198887386"}
    assert contacts["android__viber_data#phonebookdata/_id=19"]["name"] == "Josh Hickman"


# ---------------------------------------------------------------------------------------------
# Kik


def test_kik_plaso_sample() -> None:
    ctx, sink = read(READERS["ios_kik"], sample("ios__kik.sqlite"))
    # plaso: 60 event data, one per ZKIKMESSAGE row, group notices included
    assert sink.counts() == {"messages": 60, "source_rows": 60}
    assert codes(ctx) == {"kik.group_notices": 5}  # ZTYPE 3 (3 rows) and 4 (2 rows)
    rows = by_locator(sink.rows("messages"))
    # ZTYPE 1: 31 rows, 2: 24, 3 and 4: 5
    assert Counter(r["direction"] for r in rows.values()) == {
        "incoming": 31,
        "outgoing": 24,
        "unknown": 5,
    }
    first = rows["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=2"]
    # plaso's event: "Hello", ken.doh ("Ken Doh"), 2015-06-29T12:26:11.584833Z (a sent message:
    # its ZTIMESTAMP and ZRECEIVEDTIMESTAMP are the same value)
    assert pick(
        first, "direction", "b_party", "b_party_original", "thread_name", "sent_utc", "body"
    ) == {
        "direction": "outgoing",
        "b_party": None,
        "b_party_original": "ken.doh",
        "thread_name": "Ken Doh",
        "sent_utc": datetime(2015, 6, 29, 12, 26, 11, 584833, tzinfo=UTC),
        "body": "Hello",
    }
    assert first["message_type"] == "im"
    assert first["thread"] == "ken.doh_khv@talk.kik.com"
    # the welcome message is from Kik Team (ZUSER 2 = ZKIKUSER.Z_PK 2)
    welcome = rows["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=1"]
    assert pick(welcome, "direction", "a_party_original", "a_party_name") == {
        "direction": "incoming",
        "a_party_original": "kikteam",
        "a_party_name": "Kik Team",
    }
    group = rows["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=19"]
    assert pick(
        group,
        "direction",
        "a_party_original",
        "a_party_name",
        "b_party_original",
        "thread",
        "thread_name",
        "participants",
        "target_role",
    ) == {
        "direction": "incoming",
        "a_party_original": "ken.doh",
        "a_party_name": "Ken Doh",
        "b_party_original": "1100024090445_g@groups.kik.com",
        "thread": "1100024090445_g@groups.kik.com",
        "thread_name": "EveryoneButRoss",
        "participants": "ken.doh; sbabadi61; SolidRavenOcelot89; mjenki14",
        "target_role": "b",
    }
    # sent 09:18:55.795 (ZTIMESTAMP); the handset stored it at 09:50:18.047 (kept as read)
    assert group["sent_utc"] == utc("2015-06-30T09:18:55.795")
    picture = rows["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=20"]
    assert picture["attachments"] == "a7160843-c595-4afb-a359-4151dcd79157"
    assert picture["body"] is None
    notice = rows["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=8"]
    assert pick(notice, "direction", "body", "thread_name") == {
        "direction": "unknown",
        "body": "You started a group",
        "thread_name": "EveryoneButRoss",
    }


# ---------------------------------------------------------------------------------------------
# imo


def test_imo_plaso_sample() -> None:
    ctx, sink = read(READERS["ios_imo"], sample("ios__IMODb2.sqlite"))
    # plaso: 16 event data, one per ZIMOCHATMSG row; also read: 4 contacts, the owner's account
    assert sink.counts() == {"messages": 16, "contacts": 4, "accounts": 1, "source_rows": 21}
    assert codes(ctx) == {}
    rows = by_locator(sink.rows("messages"))
    first = rows["ios__IMODb2.sqlite#ZIMOCHATMSG/Z_PK=1"]
    assert pick(
        first, "direction", "a_party", "a_party_original", "a_party_name", "sent_utc", "body"
    ) == {
        "direction": "incoming",
        "a_party": None,  # an imo id, never read as a phone number
        "a_party_original": "2000810370507916",
        "a_party_name": "This Is DFIR Two",
        "sent_utc": utc("2023-04-26T18:11:40.927"),
        "body": "Are you on imo?",
    }
    last = rows["ios__IMODb2.sqlite#ZIMOCHATMSG/Z_PK=16"]
    assert pick(last, "direction", "b_party_original", "target_role", "sent_utc", "body") == {
        "direction": "outgoing",
        "b_party_original": "2000810370507916",
        "target_role": "a",
        "sent_utc": utc("2023-04-27T17:23:12.804"),
        "body": "I deleted it. ",
    }
    assert Counter(r["direction"] for r in rows.values()) == {"incoming": 8, "outgoing": 8}
    deleted = rows["ios__IMODb2.sqlite#ZIMOCHATMSG/Z_PK=15"]
    assert pick(deleted, "record_type_original", "body") == {
        "record_type_original": "12",
        "body": "This message was deleted",
    }
    account = sink.rows("accounts")[0]
    assert pick(account, "locator", "service", "account_id", "display_name") == {
        "locator": "ios__IMODb2.sqlite#ZIMOKEYVAL/ZKEY=imo_account_uid",
        "service": "imo",
        "account_id": "2001533484753054",
        "display_name": "ThisIsDFIR",
    }
    contacts = by_locator(sink.rows("contacts"))
    assert pick(
        contacts["ios__IMODb2.sqlite#ZIMOCONTACT/Z_PK=1"], "name", "number_original", "account"
    ) == {
        "name": "This Is DFIR Two",
        "number_original": "(919) 888-7386",
        "account": "2000810370507916",
    }


# ---------------------------------------------------------------------------------------------
# Tango


def test_tango_tc_plaso_sample() -> None:
    path = sample("tango_android_tc.db")
    ctx, sink = read(READERS["android_tango_tc"], path)
    assert sink.counts() == {"messages": 18, "source_rows": 18}
    assert codes(ctx) == {"tango.deletion_flag": 5}
    rows = by_locator(sink.rows("messages"))
    # plaso: 25 = 7 conversations + 18 messages; every conversation is a thread here
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conversations = {r[0] for r in con.execute("SELECT conv_id FROM conversations")}
    finally:
        con.close()
    assert len(conversations) == 7
    assert {r["thread"] for r in rows.values()} == conversations
    assert len(conversations) + len(rows) == 25
    # plaso's message event: 16777224, created 14:41:33.027, sent 14:41:34.238, direction 2
    video = rows["tango_android_tc.db#messages/msg_id=16777224"]
    assert pick(
        video, "direction", "a_party_original", "a_party_name", "sent_utc", "target_role"
    ) == {
        "direction": "incoming",
        "a_party_original": "sw9dX9KKt9JIhOxd2Kkv9Q",
        "a_party_name": "Tango Member",
        "sent_utc": utc("2016-01-15T14:41:33.027"),
        "target_role": "b",
    }
    assert video["attachments"] == (
        "/storage/emulated/0/Android/data/com.sgiggle.production/files/storage/appdata/"
        "TCStorageManagerMediaCache_v2/88693890412e8f7d92b00b246af76424"
    )
    raw = {r["locator"]: r["raw"] for r in sink.rows("source_rows")}
    kept = json.loads(raw["tango_android_tc.db#messages/msg_id=16777224"])
    assert kept["send_time"] == ms("2016-01-15T14:41:34.238")
    request = rows["tango_android_tc.db#messages/msg_id=16777219"]
    assert pick(request, "direction", "b_party_original", "body", "sent_utc") == {
        "direction": "outgoing",
        "b_party_original": "DyGWr_010wQM_ozkIe-9Ww",
        "body": "I am following you on Tango",
        "sent_utc": utc("2016-01-15T14:35:19.874"),
    }
    assert rows["tango_android_tc.db#messages/msg_id=16777223"]["body"] == "Hey! How are you"
    assert rows["tango_android_tc.db#messages/msg_id=16777225"]["body"] == "Wow  big belly"
    assert rows["tango_android_tc.db#messages/msg_id=16777232"]["body"] == (
        "Hank liked the message."
    )
    assert Counter(r["direction"] for r in rows.values()) == {"outgoing": 10, "incoming": 8}


def test_tango_profiles_plaso_sample() -> None:
    ctx, sink = read(READERS["android_tango_profiles"], sample("android__tango_profile.db"))
    # plaso: 57 contact events, one per profiletable row; here the owner's own profile
    # (keyCurrentUserId) is the account and the 56 others are contacts: 56 + 1 = 57
    assert sink.counts() == {"contacts": 56, "accounts": 1, "source_rows": 57}
    assert codes(ctx) == {}
    account = sink.rows("accounts")[0]
    assert pick(account, "account_id", "display_name", "service") == {
        "account_id": "sMawZoHh9XG5SwDP28ObAQ",
        "display_name": "Hank Fresh",
        "service": "Tango",
    }
    contacts = by_locator(sink.rows("contacts"))
    locator = "android__tango_profile.db#profiletable/itemUserId=DyGWr_010wQM_ozkIe-9Ww"
    assert pick(contacts[locator], "name", "account", "source_app") == {
        "name": "Rouel Henry",
        "account": "DyGWr_010wQM_ozkIe-9Ww",
        "source_app": "Tango",
    }
    raw = {r["locator"]: r["raw"] for r in sink.rows("source_rows")}
    rouel = json.loads(raw[locator])
    # plaso's event for Rouel Henry
    assert rouel["itemFriendRequestTime"] == ms("2016-01-15T14:35:20.436")
    assert rouel["itemLastActiveTime"] == ms("2016-01-15T13:21:45.624")
    assert rouel["itemBirthday"] == "1980-10-01"
    assert rouel["itemFriendRequestType"] == "outRequest"
    assert decode_base64_text(rouel["itemStatus"]) == "Praying!"
    assert decode_base64_text(rouel["itemFriendRequestMessage"]) == "I am following you on Tango"


# ---------------------------------------------------------------------------------------------
# recognition


@pytest.mark.parametrize(("name", "file"), sorted(SAMPLES.items()))
def test_each_sample_is_recognised_as_its_app(name: str, file: str) -> None:
    from threadline.ingest.parsers.android.stores import ANDROID_READERS
    from threadline.ingest.parsers.ios.stores import IOS_READERS

    path = sample(file)
    everything = ANDROID_READERS + IOS_READERS + ANDROID_APP_READERS + IOS_APP_READERS
    with open_sqlite_copy(path, name=file) as con:
        found = recognise(everything, tables(con))
        stores = fitting_app_stores(ANDROID_APP_STORES + IOS_APP_STORES, con, file)
    assert found is not None
    assert found.name == name
    assert [s.reader.name for s in stores] == [name]


@pytest.mark.parametrize(
    "file", ["android__contacts2.db", "android__mmssms.db", "sqlite__imessage_chat.db"]
)
def test_handset_databases_are_not_taken_for_apps(file: str) -> None:
    path = sample(file)
    with open_sqlite_copy(path, name=file) as con:
        assert recognise(ANDROID_APP_READERS + IOS_APP_READERS, tables(con)) is None
        assert fitting_app_stores(ANDROID_APP_STORES + IOS_APP_STORES, con, file) == ()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data/data/com.adhoclabs.burner/databases/burners.db", "android_burner"),
        ("Dump/data/data/com.viber.voip/databases/viber_data", "android_viber"),
        ("x/data/data/com.sgiggle.production/files/tc.db", "android_tango_tc"),
        ("x/data/data/com.viber.voip/databases/viber_data-wal", None),
        ("x/data/data/com.viber.voip/databases/viber_messages", None),
    ],
)
def test_android_path_patterns(path: str, expected: str | None) -> None:
    found = match_path(ANDROID_APP_READERS, path)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("private/var/mobile/Containers/Data/Application/A1/Documents/IMODb2.sqlite", "ios_imo"),
        ("private/var/mobile/Containers/Shared/AppGroup/B2/cores/private/c/kik.sqlite", "ios_kik"),
        ("private/var/mobile/Containers/Shared/AppGroup/B2/kik.sqlite-wal", None),
    ],
)
def test_ios_path_patterns(path: str, expected: str | None) -> None:
    found = match_path(IOS_APP_READERS, path)
    assert (found.name if found else None) == expected


def test_locators_name_file_table_and_key() -> None:
    place = "data/data/com.viber.voip/databases/viber_data"
    _, sink = read(READERS["android_viber"], sample("android__viber_data"), place=place)
    assert [r["locator"] for r in sink.rows("calls")] == [
        f"{place}#calls/_id={n}" for n in (1, 2, 3, 4)
    ]


# ---------------------------------------------------------------------------------------------
# end to end: the parsers reach the app readers (android_db, ios_db by tables; phone_fs by path)

#: rows per table of each sample, as the golden tests above list them from plaso and the sqlite3
#: shell (the single-database and file-system routes must give exactly these)
COUNTS = {
    "android_burner": {"accounts": 1, "messages": 14, "calls": 2, "contacts": 4, "source_rows": 21},
    "android_viber": {"calls": 4, "contacts": 10, "source_rows": 14},
    "android_tango_tc": {"messages": 18, "source_rows": 18},
    "android_tango_profiles": {"contacts": 56, "accounts": 1, "source_rows": 57},
    "ios_kik": {"messages": 60, "source_rows": 60},
    "ios_imo": {"messages": 16, "contacts": 4, "accounts": 1, "source_rows": 21},
}
#: where each database lies on the handset (ALEAPP/iLEAPP paths; the Tango profile database's
#: name as in plaso's sample), as a path inside a file-system extraction
HANDSET_PATHS = {
    "android_burner": "data/data/com.adhoclabs.burner/databases/burners.db",
    "android_viber": "data/data/com.viber.voip/databases/viber_data",
    "android_tango_tc": "data/data/com.sgiggle.production/files/tc.db",
    "android_tango_profiles": "data/data/com.sgiggle.production/files/tango_android_profile.db",
    "ios_kik": "private/var/mobile/Containers/Shared/AppGroup/4F0C1E2A-0000-4000-8000-00000000B2C1"
    "/cores/private/5d1e2f3a4b5c6d7e/kik.sqlite",
    "ios_imo": "private/var/mobile/Containers/Data/Application/9A8B7C6D-0000-4000-8000-0000000000A1"
    "/Documents/IMODb2.sqlite",
}


def _output(sink: CollectSink) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows in order, without the ``parser`` column (the only one that names the
    route: a parser's reference, or the test's)."""
    return {
        table: [{k: v for k, v in row.items() if k != "parser"} for row in sink.rows(table)]
        for table in sorted(sink.batches)
    }


def _single_database_parser(name: str) -> Any:
    from threadline.ingest.parsers.android.parser import AndroidDbParser
    from threadline.ingest.parsers.ios.parser import IosDbParser

    return IosDbParser() if name.startswith("ios_") else AndroidDbParser()


@pytest.mark.parametrize(("name", "file"), sorted(SAMPLES.items()))
def test_single_database_parser_reads_each_sample(name: str, file: str) -> None:
    from phone_support import probe

    from threadline.ingest.contract import Confidence

    path = sample(file)
    parser = _single_database_parser(name)
    # the imo sample's schema text lies past the first 64 KiB (its "CREATE TABLE ZIMOCHATMSG" at
    # byte 183 982, found with a byte search): detection reads the schema itself, so it is found
    assert parser.sniff(probe(path)) is Confidence.CERTAIN
    ctx, sink = run_parser(parser, path, exhibit_id="EX-APP", reference="JB/9")
    assert sink.counts() == COUNTS[name]
    detected = ctx.detected["store" if name.startswith("ios_") else "android_stores"]
    assert detected == name
    direct_ctx, direct = read(READERS[name], path)
    assert _output(sink) == _output(direct)
    assert codes(ctx) == codes(direct_ctx)


@pytest.mark.parametrize("name", ["android_viber", "android_tango_tc", "android_burner"])
def test_android_calls_sms_and_messages_are_not_taken_for_the_apps(name: str) -> None:
    """Viber's ``calls``, Tango's ``sms`` and ``messages`` and Burner's ``messages`` share their
    names with Android's own tables: only the app's reader runs, so no row is read twice or as
    an Android record."""
    from threadline.ingest.parsers.android.parser import AndroidDbParser

    ctx, sink = run_parser(AndroidDbParser(), sample(SAMPLES[name]), exhibit_id="E", reference="R")
    assert ctx.detected["android_stores"] == name
    assert {r["source_app"] for t in ("calls", "messages") for r in sink.rows(t)} <= {
        "Burner",
        "Viber",
        "Tango",
    }


def test_ios_db_names_the_apps_when_nothing_is_recognised(tmp_path: Path) -> None:
    from threadline.ingest.parsers.ios.parser import IosDbParser

    path = tmp_path / "other.sqlite"
    _execute(path, "CREATE TABLE ZOTHER (Z_PK INTEGER PRIMARY KEY, ZTEXT VARCHAR)")
    with pytest.raises(ParseError, match=r"WhatsApp, Kik, imo\); its tables are: zother"):
        run_parser(IosDbParser(), path, exhibit_id="E", reference="R")


def test_android_db_names_the_apps_when_nothing_is_recognised(tmp_path: Path) -> None:
    from threadline.ingest.parsers.android.parser import AndroidDbParser

    path = tmp_path / "other.db"
    # a messages table that is neither WhatsApp's, Burner's nor Tango's
    _execute(path, "CREATE TABLE messages (_id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(ParseError, match=r"Burner, Viber and Tango apps\) .*found: messages"):
        run_parser(AndroidDbParser(), path, exhibit_id="E", reference="R")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_phone_fs_finds_each_app_database_at_its_handset_path(tmp_path: Path, name: str) -> None:
    from phone_support import probe

    from threadline.ingest.contract import Confidence
    from threadline.ingest.parsers.filesystem import FileSystemParser

    place = HANDSET_PATHS[name]
    extraction = tmp_path / "extraction"
    target = extraction / place
    target.parent.mkdir(parents=True)
    shutil.copyfile(sample(SAMPLES[name]), target)
    target.chmod(0o644)
    # a file of no kind read here, beside it
    (target.parent / "settings.xml").write_text("<map/>", encoding="utf-8")
    parser = FileSystemParser(media=False)
    assert parser.sniff(probe(extraction)) is Confidence.CERTAIN
    ctx, sink = run_parser(parser, extraction, exhibit_id="EX-APP", reference="JB/9")
    assert sink.counts() == COUNTS[name]
    assert ctx.detected["stores"] == name
    assert all(r["locator"].startswith(f"{place}#") for r in sink.rows("source_rows"))
    direct_ctx, direct = read(READERS[name], target, place=place)
    assert _output(sink) == _output(direct)
    assert codes(ctx) == {**codes(direct_ctx), "files.not_read": 1}


# ---------------------------------------------------------------------------------------------
# damaged or unusual content (on scratch copies of the samples)


def _copy(file: str, tmp_path: Path) -> Path:
    target = tmp_path / file
    shutil.copyfile(sample(file), target)
    target.chmod(0o644)
    return target


def _execute(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def test_tango_unreadable_payload_and_name(tmp_path: Path) -> None:
    tc = _copy("tango_android_tc.db", tmp_path)
    _execute(tc, "UPDATE messages SET payload = 'not base64 !!' WHERE msg_id = 16777223")
    ctx, sink = read(READERS["android_tango_tc"], tc)
    row = by_locator(sink.rows("messages"))["tango_android_tc.db#messages/msg_id=16777223"]
    assert pick(row, "body", "direction", "a_party_original") == {
        "body": None,
        "direction": "incoming",
        "a_party_original": "sw9dX9KKt9JIhOxd2Kkv9Q",  # the conversation, without the payload
    }
    assert codes(ctx)["tango.payload_unreadable"] == 1
    profile = _copy("android__tango_profile.db", tmp_path)
    _execute(
        profile,
        "UPDATE profiletable SET itemFirstName = 'Ro*el' "
        "WHERE itemUserId = 'DyGWr_010wQM_ozkIe-9Ww'",
    )
    ctx, sink = read(READERS["android_tango_profiles"], profile)
    names = {r["account"]: r["name"] for r in sink.rows("contacts")}
    assert names["DyGWr_010wQM_ozkIe-9Ww"] == "Ro*el Henry"
    assert codes(ctx) == {"tango.base64_undecodable": 1}


def test_missing_column_and_bad_time_are_issues(tmp_path: Path) -> None:
    viber = _copy("android__viber_data", tmp_path)
    _execute(
        viber,
        "ALTER TABLE calls DROP COLUMN viber_call_type",
        "UPDATE calls SET date = 'yesterday', type = 9 WHERE _id = 1",
    )
    ctx, sink = read(READERS["android_viber"], viber)
    first = by_locator(sink.rows("calls"))["android__viber_data#calls/_id=1"]
    assert pick(first, "start_utc", "start_status", "start_original", "direction") == {
        "start_utc": None,
        "start_status": "unparsed",
        "start_original": "yesterday",
        "direction": "unknown",
    }
    assert first["record_type_original"] == "viber_call_type=None;type=9"
    assert codes(ctx) == {"apps.column_missing": 1, "time.unparsed": 1, "viber.type_unknown": 1}


def test_kik_user_missing_keeps_the_message(tmp_path: Path) -> None:
    kik = _copy("ios__kik.sqlite", tmp_path)
    _execute(kik, "DELETE FROM ZKIKUSER WHERE Z_PK = 8", "DROP TABLE Z_3MESSAGES")
    _, sink = read(READERS["ios_kik"], kik)
    row = by_locator(sink.rows("messages"))["ios__kik.sqlite#ZKIKMESSAGE/Z_PK=2"]
    assert pick(row, "b_party_original", "thread", "body") == {
        "b_party_original": None,
        "thread": None,
        "body": "Hello",
    }
    assert len(sink.rows("messages")) == 60


def test_damaged_page_mid_read_is_a_parse_error(tmp_path: Path) -> None:
    kik = _copy("ios__kik.sqlite", tmp_path)
    data = bytearray(kik.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    # the message table's pages are past the schema; overwrite the last third of the file
    start = len(data) * 2 // 3 // page * page
    data[start:] = b"\xff" * (len(data) - start)
    kik.write_bytes(bytes(data))
    with pytest.raises(ParseError) as caught:
        read(READERS["ios_kik"], kik)
    assert caught.value.path == "ios__kik.sqlite"


# ---------------------------------------------------------------------------------------------
# decoders


def test_cocoa_seconds_cut_to_the_microsecond() -> None:
    # 457273571.584834 is stored as 457273571.58483397960662841796875: cut, .584833 (plaso's)
    found = cocoa_seconds(457273571.584834)
    assert found is not None
    assert found.utc == datetime(2015, 6, 29, 12, 26, 11, 584833, tzinfo=UTC)
    assert found.original == "457273571.584834"
    assert cocoa_seconds(0.0) is None
    assert cocoa_seconds(None) is None
    bad = cocoa_seconds("soon")
    assert bad is not None
    assert bad.status.value == "unparsed"
    far = cocoa_seconds("1e400")
    assert far is not None
    assert far.status.value == "out_of_range"


def test_unix_ns_and_ms() -> None:
    found = unix_ns(1682532700927000000)
    assert found is not None
    assert found.utc == utc("2023-04-26T18:11:40.927")
    assert unix_ns(0) is None
    odd = unix_ns(b"\x01")
    assert odd is not None
    assert odd.status.value == "unparsed"
    found = unix_ms(1669408988267)
    assert found is not None
    assert found.utc == utc("2022-11-25T20:43:08.267")


def test_protobuf_wire_reader() -> None:
    # field 2 "ab", field 3 varint 300, field 21 nested {1: "x"}, field 9 fixed32 1
    record = b"\x12\x02ab" + b"\x18\xac\x02" + b"\xaa\x01\x03\x0a\x01x" + b"\x4d\x01\x00\x00\x00"
    assert read_fields(record) == {2: [b"ab"], 3: [300], 21: [b"\x0a\x01x"], 9: [1]}
    for bad in (b"\x12\x05ab", b"\x18", b"\x18" + b"\xff" * 11, b"\x0b", b"\x00"):
        with pytest.raises(ValueError, match=r"varint|field|wire type"):
            read_fields(bad)


def test_base64_text() -> None:
    assert decode_base64_text("Um91ZWw=") == "Rouel"
    assert decode_base64_text("") == ""
    assert decode_base64_text("Ro*el") is None


# ---------------------------------------------------------------------------------------------
# fuzz: damaged copies of each sample may only raise ingest errors


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    flips=st.integers(min_value=1, max_value=200),
    schema_only=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200_000)),
)
def test_fuzz_only_ingest_errors(
    tmp_path: Path, name: str, seed: int, flips: int, schema_only: bool, cut: int | None
) -> None:
    file = SAMPLES[name]
    data = bytearray(sample(file).read_bytes())
    chooser = random.Random(seed)
    span = min(len(data), 8192) if schema_only else len(data)
    for _ in range(flips):
        data[chooser.randrange(span)] = chooser.randrange(256)
    if cut is not None:
        data = data[:cut]
    path = tmp_path / f"{seed}-{file}"
    path.write_bytes(bytes(data))
    try:
        ctx, sink = read(READERS[name], path, place=file)
    except IngestError:
        return
    assert ctx.row_counts == sink.counts()
