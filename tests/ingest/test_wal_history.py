"""Records deleted in a database's write-ahead log are recovered from the file without it.

The fixture is built here: an Android ``mmssms.db`` with three texts, checkpointed, then two of
them deleted in the WAL (no checkpoint), copied as a seizure would find it. Expected rows are
worked out from what was inserted and deleted.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from collect_sink import run_parser

from threadline.ingest.parsers.filesystem import FileSystemParser
from threadline.ingest.wal_history import BEFORE_WAL

DB_PATH = "data/data/com.android.providers.telephony/databases/mmssms.db"


def _extraction(tmp_path: Path) -> Path:
    live = tmp_path / "live"
    live.mkdir()
    con = sqlite3.connect(live / "mmssms.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute(
        "CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, "
        "date INTEGER, date_sent INTEGER DEFAULT 0, read INTEGER DEFAULT 0, "
        "status INTEGER DEFAULT -1, type INTEGER, body TEXT, service_center TEXT)"
    )
    texts = [
        (1, 1, "07700 900123", 1772359200000, 1, "See you at six"),  # 2026-03-01T10:00:00Z
        (2, 2, "07700 900456", 1772362800000, 2, "Room 4 is ready"),  # 2026-03-01T11:00:00Z
        (3, 2, "07700 900456", 1772366400000, 1, "Bring the passports"),  # 12:00:00Z
    ]
    con.executemany(
        "INSERT INTO sms (_id, thread_id, address, date, type, body) VALUES (?, ?, ?, ?, ?, ?)",
        texts,
    )
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("DELETE FROM sms WHERE thread_id = 2")  # the thread deleted before seizure
    con.commit()
    root = tmp_path / "extraction"
    target = root / DB_PATH
    target.parent.mkdir(parents=True)
    shutil.copyfile(live / "mmssms.db", target)
    shutil.copyfile(live / "mmssms.db-wal", target.with_name("mmssms.db-wal"))
    con.close()
    return root


def test_a_thread_deleted_in_the_wal_is_kept_as_deleted(tmp_path: Path) -> None:
    ctx, sink = run_parser(
        FileSystemParser(media=False), _extraction(tmp_path), exhibit_id="e1", reference="JB/5"
    )
    rows = {r["locator"]: r for r in sink.rows("messages")}
    assert sorted(rows) == [
        f"{DB_PATH}#sms/_id=1",
        f"{DB_PATH}#sms/_id=2{BEFORE_WAL}",
        f"{DB_PATH}#sms/_id=3{BEFORE_WAL}",
    ]
    live = rows[f"{DB_PATH}#sms/_id=1"]
    assert live["body"] == "See you at six"
    assert live["deleted_state"] != "deleted"
    deleted = rows[f"{DB_PATH}#sms/_id=3{BEFORE_WAL}"]
    assert deleted["deleted_state"] == "deleted"
    assert deleted["body"] == "Bring the passports"
    assert deleted["a_party"] == "+447700900456"
    assert deleted["sent_utc"].isoformat() == "2026-03-01T12:00:00+00:00"
    assert deleted["direction"] == "incoming"
    issues = [i for i in ctx.all_issues() if i.code == "store.deleted_before_wal"]
    assert [(i.locator, i.count) for i in issues] == [(DB_PATH, 2)]
    raws = {r["locator"] for r in sink.rows("source_rows")}
    assert f"{DB_PATH}#sms/_id=2{BEFORE_WAL}" in raws


def test_without_a_wal_nothing_is_recovered(tmp_path: Path) -> None:
    root = _extraction(tmp_path)
    (root / DB_PATH).with_name("mmssms.db-wal").unlink()
    ctx, sink = run_parser(FileSystemParser(media=False), root, exhibit_id="e1", reference="JB/5")
    # the file alone is the state at the checkpoint: all three texts, none marked deleted
    assert [r["locator"] for r in sink.rows("messages")] == [
        f"{DB_PATH}#sms/_id={n}" for n in (1, 2, 3)
    ]
    assert "store.deleted_before_wal" not in {i.code for i in ctx.all_issues()}
