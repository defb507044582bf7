"""Write a handset download as an Android full file-system extraction: a TAR of the real paths.

The databases sit where Android keeps them (formats.md §4) and have the documented tables:

* ``data/data/com.android.providers.telephony/databases/mmssms.db`` — ``sms`` (``date`` in ms
  since 1970 UTC; ``type`` 1 received, 2 sent), ``threads``, ``canonical_addresses`` and the MMS
  tables ``pdu``, ``addr``, ``part`` (empty);
* ``data/data/com.android.providers.contacts/databases/calllog.db`` — ``calls`` (``date`` ms,
  ``duration`` s, ``type`` 1 incoming, 2 outgoing, 3 missed);
* ``data/data/com.android.providers.contacts/databases/contacts2.db`` — ``raw_contacts``,
  ``mimetypes`` and ``data`` (name and phone rows, ``data1`` the number as typed, ``data4`` its
  E.164 form);
* ``data/data/com.whatsapp/databases/msgstore.db`` (current schema: ``jid``, ``chat``,
  ``message`` with ``timestamp`` in ms, ``message_media``) and ``wa.db`` (``wa_contacts``);
* ``system/build.prop`` and the photos under ``data/media/0/`` (``DCIM/Camera`` and WhatsApp's
  media folder).

**The deleted thread.** The owner deleted one SMS conversation shortly before seizure and the
handset had not yet checkpointed its write-ahead log: the thread's rows are still in the main
``mmssms.db`` file, and ``mmssms.db-wal`` holds the committed transaction that deletes them. A
reader that applies the WAL (as SQLite does) sees the database as the phone did, without the
thread; comparing it with the main file alone recovers the deleted rows. SQLite writes random
salts into a WAL; they are replaced by fixed ones (and the checksums recomputed) so the same seed
gives the same bytes.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
import struct
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

from threadline.scenario.identifiers import Notation, NumberBook
from threadline.scenario.phone_downloads import HandsetDownload, PhoneThread
from threadline.scenario.ufdr_writer import photo_bytes

__all__ = [
    "CALLLOG_DB",
    "CONTACTS_DB",
    "MMSSMS_DB",
    "MSGSTORE_DB",
    "WA_DB",
    "build_members",
    "deleted_threads",
    "fix_wal_salts",
    "write_android_fs",
]

MMSSMS_DB = "data/data/com.android.providers.telephony/databases/mmssms.db"
CALLLOG_DB = "data/data/com.android.providers.contacts/databases/calllog.db"
CONTACTS_DB = "data/data/com.android.providers.contacts/databases/contacts2.db"
MSGSTORE_DB = "data/data/com.whatsapp/databases/msgstore.db"
WA_DB = "data/data/com.whatsapp/databases/wa.db"
_SALTS = (0x43454441, 0x52303031)  # "CEDA" "R001": fixed, so the WAL is reproducible

_MMSSMS_SCHEMA = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT);
CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0,
  message_count INTEGER DEFAULT 0, recipient_ids TEXT, snippet TEXT, snippet_cs INTEGER DEFAULT 0,
  read INTEGER DEFAULT 1, archived INTEGER DEFAULT 0, type INTEGER DEFAULT 0,
  error INTEGER DEFAULT 0, has_attachment INTEGER DEFAULT 0);
CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER,
  date INTEGER, date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0,
  status INTEGER DEFAULT -1, type INTEGER, reply_path_present INTEGER, subject TEXT, body TEXT,
  service_center TEXT, locked INTEGER DEFAULT 0, sub_id INTEGER DEFAULT -1,
  error_code INTEGER DEFAULT 0, creator TEXT, seen INTEGER DEFAULT 0);
CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER, date INTEGER,
  date_sent INTEGER DEFAULT 0, msg_box INTEGER, read INTEGER DEFAULT 0, m_id TEXT, sub TEXT,
  sub_cs INTEGER, ct_t TEXT, m_type INTEGER, sub_id INTEGER DEFAULT -1);
CREATE TABLE addr (_id INTEGER PRIMARY KEY, msg_id INTEGER, contact_id INTEGER, address TEXT,
  type INTEGER, charset INTEGER);
CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT, mid INTEGER, seq INTEGER DEFAULT 0,
  ct TEXT, name TEXT, chset INTEGER, cd TEXT, fn TEXT, cid TEXT, cl TEXT, _data TEXT,
  text TEXT);
"""

_CALLLOG_SCHEMA = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT,
  presentation INTEGER NOT NULL DEFAULT 1, post_dial_digits TEXT NOT NULL DEFAULT '',
  date INTEGER, duration INTEGER, data_usage INTEGER, type INTEGER,
  features INTEGER NOT NULL DEFAULT 0, subscription_component_name TEXT, subscription_id TEXT,
  new INTEGER, name TEXT, numbertype INTEGER, numberlabel TEXT, countryiso TEXT,
  voicemail_uri TEXT, is_read INTEGER, geocoded_location TEXT, lookup_uri TEXT,
  matched_number TEXT, normalized_number TEXT, photo_id INTEGER NOT NULL DEFAULT 0,
  formatted_number TEXT, last_modified INTEGER DEFAULT 0);
"""

_CONTACTS_SCHEMA = """
CREATE TABLE android_metadata (locale TEXT);
CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT, account_name TEXT,
  account_type TEXT, data_set TEXT);
CREATE TABLE mimetypes (_id INTEGER PRIMARY KEY AUTOINCREMENT, mimetype TEXT NOT NULL);
CREATE TABLE contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, name_raw_contact_id INTEGER,
  times_contacted INTEGER NOT NULL DEFAULT 0, last_time_contacted INTEGER,
  starred INTEGER NOT NULL DEFAULT 0, has_phone_number INTEGER NOT NULL DEFAULT 0,
  lookup TEXT, contact_last_updated_timestamp INTEGER);
CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER,
  sourceid TEXT, version INTEGER NOT NULL DEFAULT 1, dirty INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0, contact_id INTEGER, display_name TEXT,
  display_name_alt TEXT, display_name_source INTEGER NOT NULL DEFAULT 0,
  times_contacted INTEGER NOT NULL DEFAULT 0, starred INTEGER NOT NULL DEFAULT 0);
CREATE TABLE data (_id INTEGER PRIMARY KEY AUTOINCREMENT, package_id INTEGER,
  mimetype_id INTEGER NOT NULL, raw_contact_id INTEGER NOT NULL,
  is_read_only INTEGER NOT NULL DEFAULT 0, is_primary INTEGER NOT NULL DEFAULT 0,
  is_super_primary INTEGER NOT NULL DEFAULT 0, data_version INTEGER NOT NULL DEFAULT 0,
  data1 TEXT, data2 TEXT, data3 TEXT, data4 TEXT, data5 TEXT, data6 TEXT, data7 TEXT,
  data8 TEXT, data9 TEXT, data10 TEXT, data11 TEXT, data12 TEXT, data13 TEXT, data14 TEXT,
  data15 TEXT);
"""

_MSGSTORE_SCHEMA = """
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL,
  server TEXT NOT NULL, agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE,
  hidden INTEGER, subject TEXT, created_timestamp INTEGER, display_message_row_id INTEGER,
  last_message_row_id INTEGER, last_read_message_row_id INTEGER, archived INTEGER,
  sort_timestamp INTEGER, unseen_message_count INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
  from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER,
  broadcast INTEGER, recipient_count INTEGER, participant_hash TEXT,
  origination_flags INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER,
  receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER,
  lookup_tables INTEGER, sort_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
  transferred INTEGER, file_path TEXT, file_size INTEGER, media_key BLOB, width INTEGER,
  height INTEGER, direct_path TEXT, message_url TEXT, mime_type TEXT, file_length INTEGER,
  media_name TEXT, file_hash TEXT, media_caption TEXT);
"""

_WA_SCHEMA = """
CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL,
  is_whatsapp_user BOOLEAN NOT NULL, status TEXT, status_timestamp INTEGER, number TEXT,
  raw_contact_id INTEGER, display_name TEXT, phone_type INTEGER, phone_label TEXT,
  unseen_msg_count INTEGER, photo_ts INTEGER, given_name TEXT, family_name TEXT,
  wa_name TEXT, sort_name TEXT, nickname TEXT);
"""


def _database(schema: str) -> tuple[sqlite3.Connection, Path, Path]:
    """A new database file in a scratch folder (folder, file), with the schema created."""
    folder = Path(tempfile.mkdtemp(prefix="threadline-fs-"))
    path = folder / "db.sqlite"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA page_size = 4096")
    con.executescript(schema)
    return con, folder, path


def _finish(con: sqlite3.Connection, folder: Path, path: Path) -> bytes:
    con.close()
    data = path.read_bytes()
    shutil.rmtree(folder, ignore_errors=True)
    return data


def _checksum(data: bytes, big_endian: bool, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for position in range(0, len(words), 2):
        s0 = (s0 + words[position] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[position + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def fix_wal_salts(wal: bytes) -> bytes:
    """Replace a WAL's random salts with fixed ones and recompute every checksum.

    The WAL format (sqlite.org/fileformat2.html#walformat): a 32-byte header (magic, version,
    page size, checkpoint sequence, two salts, two checksum words) and frames of a 24-byte header
    (page number, commit size, the two salts, two checksum words) plus one page. Checksums run
    cumulatively from the header's over every frame header's first 8 bytes and its page.
    """
    magic, _version, page_size = struct.unpack(">III", wal[:12])
    big_endian = bool(magic & 1)
    out = bytearray(wal)
    struct.pack_into(">II", out, 16, *_SALTS)
    s0, s1 = _checksum(bytes(out[:24]), big_endian, 0, 0)
    struct.pack_into(">II", out, 24, s0, s1)
    offset = 32
    while offset + 24 + page_size <= len(out):
        struct.pack_into(">II", out, offset + 8, *_SALTS)
        s0, s1 = _checksum(bytes(out[offset : offset + 8]), big_endian, s0, s1)
        page = bytes(out[offset + 24 : offset + 24 + page_size])
        s0, s1 = _checksum(page, big_endian, s0, s1)
        struct.pack_into(">II", out, offset + 16, s0, s1)
        offset += 24 + page_size
    return bytes(out)


def _ms(seconds: int) -> int:
    return seconds * 1000


def _mmssms(download: HandsetDownload, book: NumberBook) -> tuple[bytes, bytes]:
    """``mmssms.db`` with every SMS thread, and its WAL deleting the deleted threads."""
    con, folder, path = _database(_MMSSMS_SCHEMA)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("INSERT INTO android_metadata VALUES ('en_GB')")
    sms_threads = [t for t in download.threads if t.app == "SMS"]
    sms_id = 0
    con.execute("BEGIN")
    for thread_id, thread in enumerate(sms_threads, start=1):
        address = book.e164(thread.other)
        con.execute("INSERT INTO canonical_addresses VALUES (?, ?)", (thread_id, address))
        last = thread.messages[-1]
        con.execute(
            "INSERT INTO threads (_id, date, message_count, recipient_ids, snippet, read) "
            "VALUES (?, ?, ?, ?, ?, 1)",
            (thread_id, _ms(last.start), len(thread.messages), str(thread_id), last.body),
        )
        for message in thread.messages:
            sms_id += 1
            con.execute(
                "INSERT INTO sms (_id, thread_id, address, date, date_sent, protocol, read, "
                "status, type, reply_path_present, body, service_center, seen, sub_id) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, -1, ?, 0, ?, ?, 1, 1)",
                (
                    sms_id,
                    thread_id,
                    address,
                    _ms(message.start),
                    0 if message.outgoing else _ms(message.start) - 2000,
                    None if message.outgoing else 0,
                    2 if message.outgoing else 1,
                    message.body,
                    None if message.outgoing else "+447700900999",
                ),
            )
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA wal_autocheckpoint = 0")
    deleted = [i for i, t in enumerate(sms_threads, start=1) if t.deleted]
    con.execute("BEGIN")
    for thread_id in deleted:
        con.execute("DELETE FROM sms WHERE thread_id = ?", (thread_id,))
        con.execute("DELETE FROM threads WHERE _id = ?", (thread_id,))
    con.execute("COMMIT")
    main = path.read_bytes()
    wal = (folder / "db.sqlite-wal").read_bytes()
    con.close()
    shutil.rmtree(folder, ignore_errors=True)
    return main, fix_wal_salts(wal)


def _calllog(download: HandsetDownload, book: NumberBook) -> bytes:
    con, folder, path = _database(_CALLLOG_SCHEMA)
    con.execute("INSERT INTO android_metadata VALUES ('en_GB')")
    names = _names(download)
    con.execute("BEGIN")
    for call in download.calls:
        kind = 2 if call.outgoing else 3 if call.missed else 1
        con.execute(
            "INSERT INTO calls (number, date, duration, type, new, name, countryiso, is_read, "
            "normalized_number, formatted_number, subscription_id) "
            "VALUES (?, ?, ?, ?, 0, ?, 'GB', 1, ?, ?, '1')",
            (
                "0" + book.render(call.other, Notation.NO_LEADING_ZERO),
                _ms(call.start),
                call.duration,
                kind,
                names.get(call.other),
                book.e164(call.other),
                book.render(call.other, Notation.NATIONAL_SPACED),
            ),
        )
    con.execute("COMMIT")
    return _finish(con, folder, path)


def _names(download: HandsetDownload) -> dict[int, str]:
    names: dict[int, str] = {}
    for contact in download.contacts:
        for number in contact.numbers:
            names.setdefault(number, contact.name)
    return names


def _contacts(download: HandsetDownload, book: NumberBook) -> bytes:
    con, folder, path = _database(_CONTACTS_SCHEMA)
    con.execute("INSERT INTO android_metadata VALUES ('en_GB')")
    con.execute("BEGIN")
    con.execute("INSERT INTO accounts VALUES (1, 'Phone', 'vnd.sec.contact.phone', NULL)")
    con.execute("INSERT INTO mimetypes VALUES (1, 'vnd.android.cursor.item/name')")
    con.execute("INSERT INTO mimetypes VALUES (2, 'vnd.android.cursor.item/phone_v2')")
    for raw_id, contact in enumerate(download.contacts, start=1):
        con.execute(
            "INSERT INTO contacts (_id, name_raw_contact_id, has_phone_number) VALUES (?, ?, 1)",
            (raw_id, raw_id),
        )
        con.execute(
            "INSERT INTO raw_contacts (_id, account_id, contact_id, display_name, "
            "display_name_alt, display_name_source) VALUES (?, 1, ?, ?, ?, 40)",
            (raw_id, raw_id, contact.name, contact.name),
        )
        con.execute(
            "INSERT INTO data (mimetype_id, raw_contact_id, data1, data2) VALUES (1, ?, ?, ?)",
            (raw_id, contact.name, contact.name),
        )
        for position, number in enumerate(contact.numbers):
            con.execute(
                "INSERT INTO data (mimetype_id, raw_contact_id, is_primary, data1, data2, "
                "data4) VALUES (2, ?, ?, ?, 2, ?)",
                (
                    raw_id,
                    1 if position == 0 else 0,
                    book.render(number, Notation.NATIONAL_SPACED),
                    book.e164(number),
                ),
            )
    con.execute("COMMIT")
    return _finish(con, folder, path)


def _whatsapp(download: HandsetDownload, book: NumberBook) -> tuple[bytes, bytes]:
    """``msgstore.db`` and ``wa.db`` for the WhatsApp threads."""
    chats = [t for t in download.threads if t.app == "WhatsApp"]
    names = _names(download)
    photos = {p.key: p for p in download.photos if not p.exif}
    con, folder, path = _database(_MSGSTORE_SCHEMA)
    con.execute("BEGIN")
    message_id = 0
    for chat_id, thread in enumerate(chats, start=1):
        user = book.render(thread.other, Notation.INTERNATIONAL)
        con.execute(
            "INSERT INTO jid VALUES (?, ?, 's.whatsapp.net', 0, 0, 0, ?)",
            (chat_id, user, f"{user}@s.whatsapp.net"),
        )
        for message in thread.messages:
            message_id += 1
            con.execute(
                "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, "
                "status, broadcast, recipient_count, origination_flags, origin, timestamp, "
                "received_timestamp, receipt_server_timestamp, message_type, text_data, "
                "starred, sort_id) VALUES (?, ?, ?, ?, 0, ?, 0, 0, 0, 0, ?, ?, ?, ?, ?, 0, ?)",
                (
                    message_id,
                    chat_id,
                    1 if message.outgoing else 0,
                    f"3EB0{chat_id:04d}{message_id:08X}CEDAR",
                    13 if message.outgoing else 0,
                    _ms(message.start),
                    _ms(message.start) + (0 if message.outgoing else 1400),
                    _ms(message.start) + 900,
                    1 if message.photo else 0,
                    None if message.photo else message.body,
                    message_id,
                ),
            )
            photo = photos.get(message.photo or "")
            if photo is not None:
                data = photo_bytes(photo)
                folder_name = "WhatsApp Images/Sent" if message.outgoing else "WhatsApp Images"
                con.execute(
                    "INSERT INTO message_media (message_row_id, chat_row_id, transferred, "
                    "file_path, file_size, mime_type, file_length, media_name, media_caption) "
                    "VALUES (?, ?, 1, ?, ?, 'image/jpeg', ?, ?, ?)",
                    (
                        message_id,
                        chat_id,
                        f"Media/{folder_name}/{photo.file_name}",
                        len(data),
                        len(data),
                        photo.file_name,
                        message.body,
                    ),
                )
        last = thread.messages[-1]
        con.execute(
            "INSERT INTO chat (_id, jid_row_id, hidden, created_timestamp, "
            "display_message_row_id, last_message_row_id, last_read_message_row_id, archived, "
            "sort_timestamp, unseen_message_count) VALUES (?, ?, 0, ?, ?, ?, ?, 0, ?, 0)",
            (
                chat_id,
                chat_id,
                _ms(thread.messages[0].start),
                message_id,
                message_id,
                message_id,
                _ms(last.start),
            ),
        )
    con.execute("COMMIT")
    msgstore = _finish(con, folder, path)
    con, folder, path = _database(_WA_SCHEMA)
    con.execute("BEGIN")
    for contact in download.contacts:
        for number in contact.numbers:
            user = book.render(number, Notation.INTERNATIONAL)
            con.execute(
                "INSERT INTO wa_contacts (jid, is_whatsapp_user, number, display_name, "
                "phone_type, given_name, sort_name) VALUES (?, 1, ?, ?, 2, ?, ?)",
                (
                    f"{user}@s.whatsapp.net",
                    book.render(number, Notation.NATIONAL_SPACED),
                    names[number],
                    contact.name,
                    contact.name,
                ),
            )
    con.execute("COMMIT")
    return msgstore, _finish(con, folder, path)


def _build_prop(download: HandsetDownload) -> bytes:
    release = download.os.removeprefix("Android ").strip()
    lines = [
        "# begin build properties (fictional handset, Operation Cedar test data)",
        f"ro.product.manufacturer={download.manufacturer}",
        f"ro.product.brand={download.manufacturer.split()[0]}",
        f"ro.product.model={download.model}",
        f"ro.product.name={download.model.lower().replace(' ', '_')}",
        f"ro.build.version.release={release}",
        "ro.build.version.sdk=34",
        "ro.product.locale=en-GB",
        "persist.sys.timezone=Europe/London",
        f"ro.build.display.id={download.model.upper().replace(' ', '')}.CEDAR.001",
        "# end build properties",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def build_members(download: HandsetDownload, book: NumberBook) -> Iterator[tuple[str, bytes]]:
    """Yield (path inside the extraction, bytes) for every file, in a fixed order."""
    sms_main, sms_wal = _mmssms(download, book)
    msgstore, wa = _whatsapp(download, book)
    yield "system/build.prop", _build_prop(download)
    yield MMSSMS_DB, sms_main
    yield MMSSMS_DB + "-wal", sms_wal
    yield CALLLOG_DB, _calllog(download, book)
    yield CONTACTS_DB, _contacts(download, book)
    yield MSGSTORE_DB, msgstore
    yield WA_DB, wa
    for photo in download.photos:
        yield (
            "data/media/0/" + photo.device_path.removeprefix("/storage/emulated/0/"),
            (photo_bytes(photo)),
        )


def deleted_threads(download: HandsetDownload) -> list[PhoneThread]:
    """The SMS threads whose rows the WAL deletes."""
    return [t for t in download.threads if t.app == "SMS" and t.deleted]


def write_android_fs(path: Path, download: HandsetDownload, book: NumberBook) -> None:
    """Write the extraction as an uncompressed TAR at ``path`` (same download, same bytes)."""
    mtime = int(download.extracted_at.astimezone(UTC).timestamp())
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in build_members(download, book):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
