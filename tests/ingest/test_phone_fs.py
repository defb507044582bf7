"""Tests for the full file-system extraction parser (``phone_fs``): golden output on the synthetic
Android extraction as a folder, a ZIP and a TAR.GZ (same rows, same locators), the walk with
small fake readers, containment of damage, sniffing, hostile containers through the ingest
service, and a bounded fuzz.

Expected values come from the fixture's content (``tests/fixtures/phone_fs/make_fixtures.py``),
worked out by hand: times from the ms values written (T0 = 2024-06-01T10:00:00Z), directions from
the documented Android type codes (formats.md §4: sms type 1 received, 2 sent; calls type 1
incoming, 3 missed), numbers by the UK E.164 rules, hashes with :mod:`hashlib` over the bytes the
script writes, EXIF from the values the script writes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sqlite3
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from collect_sink import CollectSink, raw_records, run_parser
from hypothesis import given
from hypothesis import strategies as st
from phone_support import fuzz_settings, ingest_new_exhibit, utc

from threadline.errors import HostileInput, IngestError
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, SourceProbe
from threadline.ingest.parsers.filesystem import (
    ExtractionReaders,
    FileSystemParser,
    device_path,
)
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter
from threadline.services import exhibits, ingest, query
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "phone_fs"
EXHIBIT = "EX-FS"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "phone_fs_fixtures", FIXTURES / "make_fixtures.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


mk = _load_script()
FILES: dict[str, bytes] = mk.extraction_files()

TELEPHONY = "data/data/com.android.providers.telephony/databases/mmssms.db"
CALLLOG = "data/data/com.android.providers.contacts/databases/calllog.db"
CONTACTS2 = "data/data/com.android.providers.contacts/databases/contacts2.db"
MSGSTORE = "data/data/com.whatsapp/databases/msgstore.db"
WA = "data/data/com.whatsapp/databases/wa.db"
PHOTO = "data/media/0/DCIM/Camera/IMG_20240601_111500.jpg"
VOICE = "data/media/0/WhatsApp/Media/WhatsApp Voice Notes/202422/PTT-20240601-WA0001.opus"
CACHED = "data/data/com.example.chat/cache/img/7f3a.dat"
CRYPT = "data/media/0/WhatsApp/Databases/msgstore.db.crypt14"
VCF = "data/media/0/Download/contacts.vcf"


def parse(path: Path, parser: FileSystemParser | None = None) -> tuple[ParseContext, CollectSink]:
    return run_parser(parser or FileSystemParser(), path, exhibit_id=EXHIBIT, reference="JB/7")


@pytest.fixture(scope="module")
def exhibits_built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("ffs")
    return {
        "folder": mk.write_folder(FILES, base / "extraction"),
        "zip": mk.write_zip(FILES, base / "extraction.zip"),
        "tar": mk.write_tar_gz(FILES, base / "extraction.tar.gz"),
    }


@pytest.fixture(scope="module")
def parsed(exhibits_built: dict[str, Path]) -> dict[str, tuple[ParseContext, CollectSink]]:
    return {kind: parse(path) for kind, path in exhibits_built.items()}


def ordered(sink: CollectSink, table: str) -> list[dict[str, Any]]:
    return sorted(sink.rows(table), key=lambda r: str(r["locator"]))


def locators(sink: CollectSink, table: str) -> list[str]:
    return sorted(str(r["locator"]) for r in sink.rows(table))


# ---------------------------------------------------------------------------------------------
# golden: the Android extraction, with the real Android and iOS readers


TABLES = ("calls", "messages", "contacts", "devices", "accounts", "media", "source_rows")


def test_folder_zip_and_tar_give_the_same_rows(
    parsed: dict[str, tuple[ParseContext, CollectSink]],
) -> None:
    _, folder = parsed["folder"]
    for kind in ("zip", "tar"):
        _, other = parsed[kind]
        for table in TABLES:
            assert ordered(other, table) == ordered(folder, table), (kind, table)
    issues = {kind: sorted(map(repr, ctx.all_issues())) for kind, (ctx, _) in parsed.items()}
    assert issues["zip"] == issues["folder"] == issues["tar"]


def test_committed_zip_matches_the_script(tmp_path: Path) -> None:
    built = mk.write_zip(FILES, tmp_path / "again.zip")
    assert (FIXTURES / mk.ZIP_NAME).read_bytes() == built.read_bytes()


def test_locators_of_every_table(parsed: dict[str, tuple[ParseContext, CollectSink]]) -> None:
    ctx, sink = parsed["zip"]
    assert locators(sink, "messages") == [
        f"{TELEPHONY}#sms/_id=1",
        f"{TELEPHONY}#sms/_id=2",
        f"{MSGSTORE}#message/_id=1",
    ]
    assert locators(sink, "calls") == [f"{CALLLOG}#calls/_id=1", f"{CALLLOG}#calls/_id=2"]
    assert locators(sink, "contacts") == [
        f"{CONTACTS2}#data/_id=2",
        f"{WA}#wa_contacts/_id=1",
        f"{VCF}#card=1;line=1",
    ]
    assert locators(sink, "accounts") == [f"{CONTACTS2}#accounts/_id=1"]
    assert locators(sink, "devices") == ["system/build.prop"]
    assert locators(sink, "media") == [CACHED, PHOTO, VOICE]
    assert ctx.row_counts == {
        "messages": 3,
        "calls": 2,
        "contacts": 3,
        "accounts": 1,
        "devices": 1,
        "media": 3,
        "source_rows": 13,
    }


def test_store_rows_carry_the_fixture_values(
    parsed: dict[str, tuple[ParseContext, CollectSink]],
) -> None:
    _, sink = parsed["tar"]
    sms = {r["locator"]: r for r in sink.rows("messages")}
    first = sms[f"{TELEPHONY}#sms/_id=1"]
    assert (first["direction"], first["a_party"], first["a_party_original"]) == (
        "incoming",
        "+447700900201",
        "07700 900201",
    )
    assert first["body"] == "Van leaves at six"
    assert first["sent_utc"] == utc(2024, 6, 1, 10, 0)
    second = sms[f"{TELEPHONY}#sms/_id=2"]
    assert (second["direction"], second["b_party"]) == ("outgoing", "+447700900201")
    assert second["sent_utc"] == utc(2024, 6, 1, 10, 1)
    whatsapp = sms[f"{MSGSTORE}#message/_id=1"]
    assert (whatsapp["source_app"], whatsapp["a_party"], whatsapp["body"]) == (
        "WhatsApp",
        "+447700900204",
        "Room is ready",
    )
    calls = {r["locator"]: r for r in sink.rows("calls")}
    assert calls[f"{CALLLOG}#calls/_id=1"]["direction"] == "incoming"
    assert calls[f"{CALLLOG}#calls/_id=1"]["start_utc"] == utc(2024, 6, 1, 11, 0)
    assert calls[f"{CALLLOG}#calls/_id=1"]["duration_s"] == 65
    assert calls[f"{CALLLOG}#calls/_id=2"]["direction"] == "missed"
    assert calls[f"{CALLLOG}#calls/_id=2"]["a_party"] == "+447700900203"
    for row in [*sink.rows("messages"), *sink.rows("calls"), *sink.rows("media")]:
        assert row["parser"] == "phone_fs@1.0.0"
        assert row["exhibit_id"] == EXHIBIT


def test_vcard_member_is_read_with_its_path_as_file_part(
    parsed: dict[str, tuple[ParseContext, CollectSink]],
) -> None:
    _, sink = parsed["folder"]
    (row,) = [r for r in sink.rows("contacts") if r["source_app"] == "vCard"]
    assert row["locator"] == f"{VCF}#card=1;line=1"
    assert (row["name"], row["number"], row["number_original"]) == (
        "Kit Marlow",
        "+447700900202",
        "07700 900202",
    )


def test_device_row_from_build_prop(parsed: dict[str, tuple[ParseContext, CollectSink]]) -> None:
    _, sink = parsed["zip"]
    (device,) = sink.rows("devices")
    # system/build.prop wins over vendor/build.prop's "FP-13V"
    assert (device["manufacturer"], device["model"], device["os"], device["extraction"]) == (
        "Fictaphone",
        "FP-13",
        "Android 13",
        "File system",
    )
    raw = raw_records(sink)[device["locator"]]
    assert raw == {
        "system/build.prop:ro.product.manufacturer": "Fictaphone",
        "system/build.prop:ro.product.model": "FP-13",
        "system/build.prop:ro.build.version.release": "13",
    }


def test_media_rows_hashes_exif_and_device_paths(
    parsed: dict[str, tuple[ParseContext, CollectSink]],
) -> None:
    _, sink = parsed["tar"]
    media = {r["locator"]: r for r in sink.rows("media")}
    photo = media[PHOTO]
    data = FILES[PHOTO]
    assert (photo["sha256"], photo["md5"], photo["size_bytes"]) == (
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
        len(data),
    )
    assert (photo["path"], photo["original_path"], photo["file_name"]) == (
        PHOTO,
        "/" + PHOTO,
        "IMG_20240601_111500.jpg",
    )
    assert photo["mime_type"] == "image/jpeg"
    # EXIF 2024:06:01 11:15:00 with OffsetTimeOriginal +01:00 -> 10:15 UTC, exact
    assert photo["taken_utc"] == utc(2024, 6, 1, 10, 15)
    assert photo["taken_status"] == "exact"
    assert photo["taken_original"] == "2024:06:01 11:15:00 +01:00"
    assert (photo["latitude"], photo["longitude"]) == (51.5, -0.125)
    assert (photo["camera_make"], photo["camera_model"]) == ("Fictaphone", "FP-13")
    assert photo["deleted_state"] == "intact"
    # found by content although named .dat, and the voice note (Ogg) is audio
    assert media[CACHED]["mime_type"] == "image/png"
    assert media[CACHED]["sha256"] == hashlib.sha256(FILES[CACHED]).hexdigest()
    assert media[VOICE]["mime_type"] == "audio/ogg"
    assert media[VOICE]["taken_utc"] is None


def test_issues_and_detected(parsed: dict[str, tuple[ParseContext, CollectSink]]) -> None:
    ctx, _ = parsed["zip"]
    assert [(i.severity.value, i.code, i.locator, i.value) for i in ctx.all_issues()] == [
        ("warning", "store.encrypted", CRYPT, None),
        # notes.xml and packages.list
        ("info", "files.not_read", None, "2"),
    ]
    assert ctx.detected == {
        "stores": (
            "android_calllog, android_contacts, android_sms, android_whatsapp, "
            "android_whatsapp_contacts"
        ),
        "store_files": "5",
        "vcard_files": "1",
        "media_files": "3",
        "encrypted_backups": CRYPT,
    }


def test_media_can_be_turned_off(exhibits_built: dict[str, Path]) -> None:
    ctx, sink = parse(exhibits_built["zip"], FileSystemParser(media=False))
    assert sink.rows("media") == []
    assert [i.value for i in ctx.all_issues() if i.code == "files.not_read"] == ["5"]


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("data/media/0/DCIM/a.jpg", "/data/media/0/DCIM/a.jpg"),
        ("Dump/sdcard/DCIM/a.jpg", "/sdcard/DCIM/a.jpg"),
        (
            "mobile/Media/DCIM/100APPLE/IMG_0001.HEIC",
            "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC",
        ),
        ("private/var/mobile/Media/DCIM/x.jpg", "/private/var/mobile/Media/DCIM/x.jpg"),
        ("Photos/Holiday/Trip/data/a.jpg", None),
    ],
)
def test_device_path(place: str, expected: str | None) -> None:
    assert device_path(place) == expected


# ---------------------------------------------------------------------------------------------
# the walk with small fake readers: WAL siblings, damage contained


def read_people(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    for row in con.execute("SELECT id, name, phone FROM people ORDER BY id"):
        writer.add(
            "contacts",
            f"{place}#people/id={row['id']}",
            {"name": row["name"], **writer.party("number", row["phone"])},
            raw=dict(row),
        )


FAKE = ExtractionReaders(
    (
        StoreReader(
            "fake_people", "Fake people", ("*/fake/people.db",), frozenset({"people"}), read_people
        ),
    )
)


def people_db(
    path: Path,
    rows: list[tuple[int, str, str]],
    *,
    wal_rows: list[tuple[int, str, str]] | None = None,
) -> dict[str, bytes]:
    """A people database; ``wal_rows`` are left only in its write-ahead log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, phone TEXT)")
    con.executemany("INSERT INTO people VALUES (?, ?, ?)", rows)
    con.commit()
    files = {"db": path.read_bytes()}
    if wal_rows:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA wal_autocheckpoint = 0")
        con.executemany("INSERT INTO people VALUES (?, ?, ?)", wal_rows)
        con.commit()
        files = {"db": path.read_bytes(), "wal": path.with_name(path.name + "-wal").read_bytes()}
    con.close()
    return files


def test_fake_reader_reads_the_wal_sibling_in_zip_and_folder(tmp_path: Path) -> None:
    files = people_db(
        tmp_path / "build" / "people.db",
        [(1, "Ana Lowe", "07700 900301")],
        wal_rows=[(2, "Ben Rourke", "07700900302")],
    )
    assert b"Ben Rourke" not in files["db"]  # only in the WAL
    members = {
        "handset/fake/people.db": files["db"],
        "handset/fake/people.db-wal": files["wal"],
        "handset/fake/people.db-shm": b"\x00" * 64,
    }
    for kind, path in (
        ("zip", mk.write_zip(members, tmp_path / "p.zip")),
        ("folder", mk.write_folder(members, tmp_path / "p")),
        ("tar", mk.write_tar_gz(members, tmp_path / "p.tar.gz")),
    ):
        ctx, sink = parse(path, FileSystemParser(FAKE))
        assert [(r["locator"], r["name"], r["number"]) for r in sink.rows("contacts")] == [
            ("handset/fake/people.db#people/id=1", "Ana Lowe", "+447700900301"),
            ("handset/fake/people.db#people/id=2", "Ben Rourke", "+447700900302"),
        ], kind
        assert ctx.all_issues() == [], kind
        assert ctx.detected["stores"] == "fake_people"


def test_damaged_database_is_an_error_issue_and_the_rest_is_read(tmp_path: Path) -> None:
    good = people_db(tmp_path / "good.db", [(1, "Cara Doyle", "07700 900303")])["db"]
    damaged = b"SQLite format 3\x00" + b"\xff" * 4080
    members = {
        "a/fake/people.db": damaged,
        "b/fake/people.db": good,
        "b/DCIM/pic.png": FILES[CACHED],
        "c/fake/people.db": b"not a database at all",
    }
    ctx, sink = parse(mk.write_zip(members, tmp_path / "d.zip"), FileSystemParser(FAKE))
    assert [r["locator"] for r in sink.rows("contacts")] == ["b/fake/people.db#people/id=1"]
    assert [r["locator"] for r in sink.rows("media")] == ["b/DCIM/pic.png"]
    errors = [(i.severity.value, i.code, i.locator) for i in ctx.all_issues()]
    assert errors == [
        ("error", "store.unreadable", "a/fake/people.db"),
        ("error", "store.unreadable", "c/fake/people.db"),
    ]
    assert "Fake people" in ctx.all_issues()[0].message


def test_reader_failing_mid_table_keeps_rows_read_before(tmp_path: Path) -> None:
    def read_then_fail(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
        read_people(con, place, writer)
        raise sqlite3.DatabaseError("database disk image is malformed")

    failing = ExtractionReaders(
        (StoreReader("fail", "Failing store", ("*/fake/people.db",), frozenset(), read_then_fail),)
    )
    db = people_db(tmp_path / "x.db", [(1, "Dev Patel", "07700 900304")])["db"]
    ctx, sink = parse(
        mk.write_zip({"h/fake/people.db": db}, tmp_path / "f.zip"), FileSystemParser(failing)
    )
    assert [r["locator"] for r in sink.rows("contacts")] == ["h/fake/people.db#people/id=1"]
    (issue,) = ctx.all_issues()
    assert (issue.code, issue.locator) == ("store.unreadable", "h/fake/people.db")
    assert "malformed" in issue.message


def test_bad_vcf_member_is_a_warning(tmp_path: Path) -> None:
    members = {
        "sdcard/Download/not.vcf": b"\x00\x01binary",
        "h/fake/people.db": people_db(tmp_path / "y.db", [(1, "Eve Sand", "07700900305")])["db"],
    }
    ctx, sink = parse(mk.write_zip(members, tmp_path / "v.zip"), FileSystemParser(FAKE))
    assert len(sink.rows("contacts")) == 1
    assert [(i.code, i.locator) for i in ctx.all_issues()] == [
        ("vcard.unreadable", "sdcard/Download/not.vcf")
    ]


def test_plist_reader_is_called_with_bytes_and_place(tmp_path: Path) -> None:
    seen: list[tuple[bytes, str]] = []

    def read_plist(data: bytes, place: str, writer: RowWriter) -> None:
        seen.append((data, place))
        writer.add("devices", f"{place}#plist/root", {"iccid": "8944000000000000001"})

    readers = ExtractionReaders(
        FAKE.stores, ("*/library/preferences/com.apple.commcenter*.plist",), read_plist
    )
    members = {
        "private/var/wireless/Library/Preferences/com.apple.commcenter.plist": b"bplist00..."
    }
    ctx, sink = parse(mk.write_zip(members, tmp_path / "i.zip"), FileSystemParser(readers))
    assert seen == [
        (b"bplist00...", "private/var/wireless/Library/Preferences/com.apple.commcenter.plist")
    ]
    assert [r["locator"] for r in sink.rows("devices")] == [
        "private/var/wireless/Library/Preferences/com.apple.commcenter.plist#plist/root"
    ]
    assert ctx.all_issues() == []


def test_real_ios_commcenter_reader_is_used_by_default(tmp_path: Path) -> None:
    plist = Path(__file__).resolve().parents[1] / "fixtures" / "ios" / "com.apple.commcenter.plist"
    if not plist.is_file():
        pytest.skip("the iOS helper's CommCenter fixture is not present")
    place = "private/var/wireless/Library/Preferences/com.apple.commcenter.plist"
    ctx, sink = parse(mk.write_zip({place: plist.read_bytes()}, tmp_path / "ios.zip"))
    assert sink.rows("devices"), ctx.all_issues()
    assert all(str(r["locator"]).startswith(place + "#plist/") for r in sink.rows("devices"))


# ---------------------------------------------------------------------------------------------
# sniffing


def probe(path: Path) -> SourceProbe:
    head = b"" if path.is_dir() else path.read_bytes()[:65536]
    return SourceProbe(path=path, head=head, size=len(head))


def test_sniff_certain_for_the_three_forms(exhibits_built: dict[str, Path]) -> None:
    for path in exhibits_built.values():
        assert FileSystemParser().sniff(probe(path)) is Confidence.CERTAIN, path


def test_sniff_no_for_a_cellebrite_report_or_no_store(tmp_path: Path) -> None:
    ufdr = mk.write_zip(
        {"report.xml": b"<project/>", TELEPHONY: FILES[TELEPHONY]}, tmp_path / "u.ufdr"
    )
    plain = mk.write_zip({"docs/readme.txt": b"hello"}, tmp_path / "p.zip")
    folder = mk.write_folder(
        {"report.xml": b"<project/>", TELEPHONY: FILES[TELEPHONY]}, tmp_path / "rep"
    )
    media_only = mk.write_tar_gz({"data/media/0/DCIM/a.jpg": FILES[PHOTO]}, tmp_path / "m.tar.gz")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    text = tmp_path / "a.csv"
    text.write_text("a,b\n1,2\n")
    for path in (ufdr, plain, folder, media_only, broken, text, tmp_path / "empty-dir"):
        if path.name == "empty-dir":
            path.mkdir()
        assert FileSystemParser().sniff(probe(path)) is Confidence.NO, path


def test_sniff_never_raises_when_readers_cannot_load(exhibits_built: dict[str, Path]) -> None:
    def broken() -> ExtractionReaders:
        raise ImportError("no readers")

    assert FileSystemParser(broken).sniff(probe(exhibits_built["zip"])) is Confidence.NO


# ---------------------------------------------------------------------------------------------
# hostile containers through the ingest service: refused, nothing stored


@pytest.fixture
def small_limits_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace whose containers may expand to 512 KiB at most."""

    class Clock:
        now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

        def __call__(self) -> datetime:
            self.now += timedelta(seconds=1)
            return self.now

    settings = Settings(home=tmp_path / "home", user="analyst.test", container_max_bytes=512 * 1024)
    ws = open_workspace(settings, clock=Clock())
    try:
        yield ws
    finally:
        ws.close()


def _hostile_zip(path: Path, name: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(TELEPHONY, FILES[TELEPHONY])
        info = zipfile.ZipInfo(name)
        archive.writestr(info, b"root:x:0:0:root:/root:/bin/bash\n")
    return path


def _bomb(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(TELEPHONY, FILES[TELEPHONY])
        archive.writestr("data/media/0/Download/zeros.bin", b"\x00" * size)
    return path


def _ingest_refused(ws: Workspace, source: Path, reference: str, match: str) -> None:
    exhibits.add_exhibit(ws, "OP-ASH", reference, source, producer="DC Test", description="FFS")
    with pytest.raises(HostileInput, match=match):
        ingest.ingest_exhibit(ws, "OP-ASH", reference, parser="phone_fs")


def _counts(ws: Workspace) -> dict[str, int]:
    found = {}
    for table in ("messages", "calls", "contacts", "media", "source_rows"):
        rows = query.run_sql(ws, "OP-ASH", f"SELECT count(*) AS n FROM {table}").to_pylist()
        found[table] = int(rows[0]["n"])
    return found


def test_hostile_containers_store_nothing(small_limits_ws: Workspace, tmp_path: Path) -> None:
    ws = small_limits_ws
    good = mk.write_zip(
        {"h/fake/x.txt": b"x", **{k: v for k, v in FILES.items() if k == VCF}},
        tmp_path / "good.zip",
    )
    ingest_new_exhibit(
        ws,
        "OP-ASH",
        "Operation Ash",
        "JB/1",
        good,
        producer="DC Test",
        description="vCard only",
        parser="phone_fs",
    )
    before = _counts(ws)
    assert before["contacts"] == 1
    _ingest_refused(
        ws, _hostile_zip(tmp_path / "t1.zip", "../../etc/passwd"), "JB/2", "path traversal"
    )
    _ingest_refused(ws, _hostile_zip(tmp_path / "t2.zip", "/etc/passwd"), "JB/3", "path traversal")
    # 500 KiB of zeros: under the ratio check's 1 MiB floor, but with the database over the
    # lowered 512 KiB limit
    _ingest_refused(ws, _bomb(tmp_path / "b1.zip", 500 * 1024), "JB/4", "ZIP bomb")
    assert _counts(ws) == before


def test_ratio_bomb_refused_at_default_limits(tmp_path: Path) -> None:
    # 8 MiB of zeros deflate about 1000:1, over the default ratio limit of 200
    with pytest.raises(HostileInput, match="ZIP bomb"):
        parse(_bomb(tmp_path / "b2.zip", 8 * 1024**2))


def test_tar_symlink_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "link.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = FILES[TELEPHONY]
        info = tarfile.TarInfo(TELEPHONY)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(MSGSTORE)
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
        target = tarfile.TarInfo("data/media/0/DCIM/passwd.jpg")
        target.type = tarfile.SYMTYPE
        target.linkname = "../../../../../etc/passwd"
        archive.addfile(target)
    ctx, sink = parse(path)
    assert sorted(r["locator"] for r in sink.rows("messages")) == [
        f"{TELEPHONY}#sms/_id=1",
        f"{TELEPHONY}#sms/_id=2",
    ]
    assert sink.rows("media") == []
    links = [i for i in ctx.all_issues() if i.code == "container.links_skipped"]
    assert [(i.count, i.value) for i in links] == [(2, f"{MSGSTORE}, data/media/0/DCIM/passwd.jpg")]
    assert "android_whatsapp" not in ctx.detected["stores"]


# ---------------------------------------------------------------------------------------------
# fuzz: damaged members and damaged archives raise nothing but IngestError


FUZZ_TARGETS = [TELEPHONY, CALLLOG, MSGSTORE, WA, CONTACTS2, PHOTO, VCF, "system/build.prop"]


def _damaged(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    """``data`` with each insert written over it at its position (wrapped round), then cut."""
    damaged = bytearray(data)
    for position, insert in edits:
        at = position % len(damaged)
        damaged[at : at + len(insert)] = insert
    if cut is not None:
        damaged = damaged[: cut % (len(damaged) + 1)]
    return bytes(damaged)


@fuzz_settings(60)
@given(
    target=st.sampled_from(FUZZ_TARGETS),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=20_000), st.binary(min_size=1, max_size=16)),
        min_size=1,
        max_size=8,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=20_000)),
)
def test_fuzz_damaged_members(
    tmp_path: Path, target: str, edits: list[tuple[int, bytes]], cut: int | None
) -> None:
    data = _damaged(FILES[target], edits, cut)
    path = mk.write_zip({**FILES, target: data}, tmp_path / "fuzz.zip")
    try:
        ctx, sink = parse(path)
    except IngestError:
        return
    assert ctx.row_counts.get("media", 0) == len(sink.rows("media"))


@fuzz_settings(40)
@given(
    form=st.sampled_from(["zip", "tar"]),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200_000), st.binary(min_size=1, max_size=8)),
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200_000)),
)
def test_fuzz_damaged_archives(
    tmp_path: Path,
    exhibits_built: dict[str, Path],
    form: str,
    edits: list[tuple[int, bytes]],
    cut: int | None,
) -> None:
    path = tmp_path / ("fuzz.zip" if form == "zip" else "fuzz.tar.gz")
    path.write_bytes(_damaged(exhibits_built[form].read_bytes(), edits, cut))
    assert FileSystemParser().sniff(probe(path)) in set(Confidence)
    try:
        parse(path)
    except IngestError:
        return


# ---------------------------------------------------------------------------------------------
# the same database gives the same rows as an exhibit on its own (android_db)


@pytest.mark.parametrize("place", [TELEPHONY, CALLLOG, CONTACTS2, MSGSTORE, WA])
def test_same_rows_as_the_single_database_parser(
    parsed: dict[str, tuple[ParseContext, CollectSink]], tmp_path: Path, place: str
) -> None:
    from threadline.ingest.parsers.android.parser import AndroidDbParser

    alone = tmp_path / place.rsplit("/", 1)[-1]
    alone.write_bytes(FILES[place])
    _, single = run_parser(AndroidDbParser(), alone, exhibit_id=EXHIBIT, reference="JB/7")
    _, extraction = parsed["folder"]
    for table in ("messages", "calls", "contacts", "accounts", "source_rows"):
        mine = [
            {**r, "row_id": None, "parser": None, "locator": r["locator"].split("#", 1)[1]}
            for r in ordered(extraction, table)
            if r["locator"].startswith(place + "#")
        ]
        theirs = [
            {**r, "row_id": None, "parser": None, "locator": r["locator"].split("#", 1)[1]}
            for r in ordered(single, table)
        ]
        assert mine == theirs, table
