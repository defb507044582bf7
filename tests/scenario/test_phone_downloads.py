"""The demo's handset downloads: well-formed files, fictional identifiers, and agreement with the
network returns and the ground truth.

Files are read back with independent code (zipfile, tarfile, lxml, sqlite3, Pillow, csv) and the
expected values come from the story as written by hand in
:mod:`threadline.scenario.phone_downloads` (its scripts and nicknames), never from the writers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import sqlite3
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

from threadline.model.imei import is_luhn_valid
from threadline.scenario import GroundTruth, generate_case
from threadline.scenario.phone_exhibits import write_phone_downloads
from threadline.scenario.story import build_core

SEED = 20261122
NS = "{http://pa.cellebrite.com/report/2.0}"
E164_DRAMA = re.compile(
    r"^\+44(?:7700900|1632960|2079460|1134960|1144960|1154960|1164960|1174960|1184960|1214960"
    r"|1314960|1414960|1514960|1614960|1914980|2920180|8081570|9098790|3069990)\d{3}$"
)
ANY_UK = re.compile(r"\+44\d{9,10}|\b0\d{4} \d{6}\b|\b0\d{10}\b|\b44\d{10}\b")
SMS_DB = "data/data/com.android.providers.telephony/databases/mmssms.db"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    out = tmp_path_factory.mktemp("cedar")
    return out, generate_case(out, seed=SEED)


def _report(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("report.xml"))


def _fs_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }


def _db(tmp_path: Path, members: dict[str, bytes], name: str, *, wal: bool) -> sqlite3.Connection:
    folder = tmp_path / ("wal" if wal else "main") / Path(name).name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "db.sqlite"
    path.write_bytes(members[name])
    if wal and name + "-wal" in members:
        (folder / "db.sqlite-wal").write_bytes(members[name + "-wal"])
    return sqlite3.connect(path)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    core = build_core(SEED)
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    a = write_phone_downloads(first, core)
    b = write_phone_downloads(second, core)
    assert a == b
    for item in a:
        assert (first / item.filename).read_bytes() == (second / item.filename).read_bytes()


def test_five_downloads_in_three_formats(case: tuple[Path, GroundTruth]) -> None:
    _, truth = case
    formats = {d.reference: (d.file_format, d.owner) for d in truth.phone_downloads}
    assert formats == {
        "MC/1": ("ufdr", "P01"),
        "MC/2": ("ufdr", "P02"),
        "MC/3": ("ufdr", "P08"),
        "MC/4": ("xry_text", "P10"),
        "MC/5": ("phone_fs", "P04"),
    }
    assert GroundTruth.from_json(truth.to_json()) == truth
    assert truth.schema_version == 4  # 2 added the downloads, 3 the ANPR, 4 vehicle phones


def test_every_imei_passes_luhn_and_every_number_is_a_drama_number(
    case: tuple[Path, GroundTruth],
) -> None:
    out, truth = case
    for download in truth.phone_downloads:
        assert len(download.imei) == 15, download.reference
        assert is_luhn_valid(download.imei), download.reference
        assert download.imsi.startswith("00101")
        numbers = {download.msisdn}
        numbers |= {n for c in download.contacts for n in c.msisdns}
        numbers |= {t.counterpart_msisdn for t in download.threads}
        assert all(E164_DRAMA.match(n) for n in numbers), download.reference
    # and every UK-looking number anywhere in the text of the downloads
    for download in truth.phone_downloads:
        texts: list[str] = []
        path = out / download.filename
        if download.file_format == "ufdr":
            texts.append(zipfile.ZipFile(path).read("report.xml").decode("utf-8"))
        elif download.file_format == "xry_text":
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(n).decode("utf-16") for n in archive.namelist()]
        for text in texts:
            for found in ANY_UK.findall(text):
                digits = re.sub(r"\D", "", found)
                national = digits[2:] if digits.startswith("44") else digits[1:]
                assert E164_DRAMA.match("+44" + national), (download.reference, found)


def test_ufdr_report_parses_and_holds_the_device_and_the_deleted_thread(
    case: tuple[Path, GroundTruth],
) -> None:
    out, truth = case
    root = _report(out / "MC_1_controller.ufdr")
    assert root.tag == NS + "project"
    info = {
        item.get("name"): item.text
        for item in root.iter(NS + "item")
        if item.getparent() is not None and item.getparent().get("section") == "Device Info"
    }
    assert info["IMEI"] == truth.successor.imei  # the controller's one handset
    assert info["MSISDN"] == truth.successor.new_msisdn
    sms = root.findall(f"{NS}decodedData/{NS}modelType[@type='SMS']/{NS}model")
    deleted = [m for m in sms if m.get("deleted_state") == "Deleted"]
    # the recruiter thread has six lines in the script; nothing else is deleted
    assert len(deleted) == 6
    bodies = {
        v.text
        for m in deleted
        for f in m.findall(f"{NS}field[@name='Body']")
        for v in f.findall(f"{NS}value")
    }
    assert "Fine. Delete these messages." in bodies
    calls = root.findall(f"{NS}decodedData/{NS}modelType[@type='Call']/{NS}model")
    assert len(calls) == 150
    stamp = calls[0].find(f"{NS}field[@name='TimeStamp']/{NS}value")
    assert stamp is not None
    assert stamp.get("format") == "TimeStampKnown"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00", stamp.text or "")


def test_lieutenant_report_is_in_uk_local_time_with_offsets(
    case: tuple[Path, GroundTruth],
) -> None:
    out, _ = case
    root = _report(out / "MC_2_lieutenant.ufdr")
    offsets = {(v.text or "")[-6:] for v in root.iter(NS + "value") if v.get("type") == "TimeStamp"}
    # its messages run from early October (BST) to November (GMT)
    assert offsets == {"+01:00", "+00:00"}
    chat = root.find(f"{NS}decodedData/{NS}modelType[@type='Chat']/{NS}model")
    assert chat is not None
    attachment = chat.find(f".//{NS}model[@type='Attachment']")
    assert attachment is not None
    with zipfile.ZipFile(out / "MC_2_lieutenant.ufdr") as archive:
        names = archive.namelist()
        tagged = root.find(f"{NS}taggedFiles/{NS}file")
        assert tagged is not None
        assert tagged.get("id") == attachment.get("file_id")
        local = tagged.find(f"{NS}metadata/{NS}item[@name='Local Path']")
        assert local is not None
        member = (local.text or "").replace("\\", "/")
        assert member in names
        data = archive.read(member)
    sha = tagged.find(f"{NS}metadata/{NS}item[@name='SHA256']")
    assert sha is not None
    assert sha.text == hashlib.sha256(data).hexdigest()


def test_xry_files_are_utf16le_with_the_header(case: tuple[Path, GroundTruth]) -> None:
    out, truth = case
    expected = {
        "Calls.txt": "Calls",
        "Contacts-Contacts.txt": "Contacts/Contacts",
        "Messages-SMS.txt": "Messages/SMS",
        "Device-General Information.txt": "Device/General Information",
    }
    with zipfile.ZipFile(out / "MC_4_house_manager_xry.zip") as archive:
        assert sorted(archive.namelist()) == sorted(expected)
        texts = {}
        for name, report_type in expected.items():
            raw = archive.read(name)
            assert raw[:2] == b"\xff\xfe"
            text = raw[2:].decode("utf-16-le")
            lines = text.split("\r\n")
            assert lines[0] == "XRY Export"
            assert lines[2] == report_type
            texts[name] = text
    download = truth.phone_download("MC/4")
    assert (
        f"Data:\t{download.imei}\r\nAttribute:\tMobile Id (IMEI)"
        in (texts["Device-General Information.txt"])
    )
    # the Vietnamese and Polish threads survive the UTF-16 round trip
    assert "Lan, ngày mai xe đón lúc 6 giờ 40 ở nhà số 1." in texts["Messages-SMS.txt"]
    assert "Potrzebuję mój dowód osobisty, żeby iść do lekarza." in texts["Messages-SMS.txt"]
    assert texts["Calls.txt"].count("Calls #\t") == 150
    times = re.findall(r"Time:\t([^\r\n]+)", texts["Calls.txt"])
    assert all(
        re.fullmatch(r"\d{1,2}/\d{1,2}/2026 \d{1,2}:\d\d:\d\d [AP]M UTC\+[01] \(Device\)", t)
        for t in times
    )


def test_extraction_databases_have_the_documented_tables(
    case: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    out, _ = case
    members = _fs_members(out / "MC_5_driver_fs.tar")
    assert "system/build.prop" in members
    expected = {
        SMS_DB: {"sms": {"_id", "thread_id", "address", "date", "type", "body"}},
        "data/data/com.android.providers.contacts/databases/calllog.db": {
            "calls": {"number", "date", "duration", "type", "name"}
        },
        "data/data/com.android.providers.contacts/databases/contacts2.db": {
            "raw_contacts": {"_id", "display_name"},
            "data": {"raw_contact_id", "mimetype_id", "data1", "data4"},
            "mimetypes": {"_id", "mimetype"},
        },
        "data/data/com.whatsapp/databases/msgstore.db": {
            "message": {"chat_row_id", "from_me", "timestamp", "text_data"},
            "chat": {"_id", "jid_row_id"},
            "jid": {"_id", "user", "server", "raw_string"},
            "message_media": {"message_row_id", "file_path"},
        },
        "data/data/com.whatsapp/databases/wa.db": {"wa_contacts": {"jid", "display_name"}},
    }
    for name, tables in expected.items():
        con = _db(tmp_path, members, name, wal=True)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for table, columns in tables.items():
            found = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
            assert columns <= found, (name, table)
        con.close()
    con = _db(tmp_path, members, "data/data/com.whatsapp/databases/msgstore.db", wal=True)
    media = con.execute("SELECT file_path FROM message_media").fetchall()
    con.close()
    assert media == [("Media/WhatsApp Images/Sent/IMG-20261019-WA0001.jpg",)]


def test_deleted_sms_thread_is_in_the_database_file_but_deleted_by_the_wal(
    case: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    out, truth = case
    members = _fs_members(out / "MC_5_driver_fs.tar")
    main_only = _db(tmp_path, members, SMS_DB, wal=False)
    with_wal = _db(tmp_path, members, SMS_DB, wal=True)
    deleted_line = "Șterge mesajele."  # the recruiter's last line in the script
    query = "SELECT count(*) FROM sms WHERE body = ?"
    assert main_only.execute(query, (deleted_line,)).fetchone() == (1,)
    assert with_wal.execute(query, (deleted_line,)).fetchone() == (0,)
    # five lines of the recruiter thread disappear; the intact Romanian thread (seven) stays
    assert main_only.execute("SELECT count(*) FROM sms").fetchone() == (12,)
    assert with_wal.execute("SELECT count(*) FROM sms").fetchone() == (7,)
    main_only.close()
    with_wal.close()
    download = truth.phone_download("MC/5")
    assert [t.key for t in download.threads if t.deleted] == ["sms-P04-P09"]
    assert download.deleted_messages == 5


def test_camera_photos_carry_exif_and_whatsapp_copies_match_across_handsets(
    case: tuple[Path, GroundTruth],
) -> None:
    out, _ = case
    members = _fs_members(out / "MC_5_driver_fs.tar")
    camera = sorted(n for n in members if n.startswith("data/media/0/DCIM/Camera/"))
    assert len(camera) == 2
    # the factory (W3, 52.418 -1.482) and House 1 (A1, 52.461 -1.508), a few metres off
    places = []
    for name in camera:
        exif = Image.open(io.BytesIO(members[name])).getexif()
        gps = exif.get_ifd(IFD.GPSInfo)
        lat = sum(float(x) / 60**i for i, x in enumerate(gps[GPS.GPSLatitude]))
        lon = -sum(float(x) / 60**i for i, x in enumerate(gps[GPS.GPSLongitude]))
        places.append((round(lat, 2), round(lon, 2)))
        assert exif.get_ifd(IFD.Exif)[Base.OffsetTimeOriginal] == "+01:00"
        assert exif[Base.Model] == "Alder 5"
    assert sorted(places) == [(52.42, -1.48), (52.46, -1.51)]
    sent = next(n for n in members if n.endswith("Sent/IMG-20261019-WA0001.jpg"))
    with zipfile.ZipFile(out / "MC_2_lieutenant.ufdr") as archive:
        received = archive.read("files/Image/IMG-20261019-WA0001.jpg")
    assert members[sent] == received
    assert not Image.open(io.BytesIO(received)).getexif()


def _cdr_events(path: Path) -> set[tuple[str, str, datetime]]:
    """(kind, other party E.164, UTC start) of the voice and SMS rows of a network-a return."""
    events = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = {"MOC": "voice", "MTC": "voice", "SMS-MO": "sms", "SMS-MT": "sms"}.get(
                row["Call Type"]
            )
            if kind is None:
                continue
            outgoing = row["Call Type"] in ("MOC", "SMS-MO")
            other = row["Terminating Number"] if outgoing else row["Originating Number"]
            when = datetime.strptime(f"{row['Call Date']} {row['Call Time']}", "%d/%m/%Y %H:%M:%S")
            events.add((kind, "+" + other, when.replace(tzinfo=UTC)))
    return events


def _cdr_events_d(path: Path) -> set[tuple[str, str, datetime]]:
    events = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["Service"] not in ("VOICE", "SMS"):
                continue
            when = datetime.strptime(row["Start (UTC)"], "%Y-%m-%dT%H:%M:%SZ")
            events.add(
                (row["Service"].lower(), "+44" + row["Other Party"], when.replace(tzinfo=UTC))
            )
    return events


def test_handset_calls_and_texts_are_in_the_network_returns(
    case: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    out, truth = case
    # the driver's call log (calllog.db) against his return DC/5 (1 June to 30 September)
    members = _fs_members(out / "MC_5_driver_fs.tar")
    con = _db(tmp_path, members, "data/data/com.android.providers.contacts/databases/calllog.db",
              wal=True)  # fmt: skip
    network = _cdr_events(out / "DC_5_network-a.csv")
    window = truth.exhibit("DC/5")
    checked = 0
    for number, ms in con.execute("SELECT number, date FROM calls"):
        when = datetime.fromtimestamp(ms / 1000, tz=UTC)
        assert window.window_start is not None
        assert window.window_end is not None
        if window.window_start <= when <= window.window_end:
            assert ("voice", "+44" + number[1:], when) in network
            checked += 1
    con.close()
    assert checked > 20
    # the controller's calls and texts (report.xml) against DC/2 (his successor number)
    root = _report(out / "MC_1_controller.ufdr")
    network_d = _cdr_events_d(out / "DC_2_network-d.csv")
    owner = truth.successor.new_msisdn
    checked = 0
    for kind, group in (("voice", "Call"), ("sms", "SMS")):
        for model in root.findall(f"{NS}decodedData/{NS}modelType[@type='{group}']/{NS}model"):
            stamp = model.find(f"{NS}field[@name='TimeStamp']/{NS}value")
            assert stamp is not None
            when = datetime.fromisoformat(stamp.text or "")
            parties = [
                p.findtext(f"{NS}field[@name='Identifier']/{NS}value")
                for p in model.iter(NS + "model")
                if p.get("type") == "Party"
            ]
            if owner not in parties or when < datetime(2026, 7, 13, 6, tzinfo=UTC):
                continue
            other = next(p for p in parties if p != owner)
            assert (kind, other, when) in network_d, (kind, other, when)
            checked += 1
    assert checked > 100


def test_nicknames_link_the_controller_across_four_handsets(
    case: tuple[Path, GroundTruth],
) -> None:
    _, truth = case
    old, new = truth.successor.old_msisdn, truth.successor.new_msisdn
    saved = {
        d.reference: {(c.name, c.msisdns) for c in d.contacts if c.person == "P01"}
        for d in truth.phone_downloads
    }
    assert saved == {
        "MC/1": set(),
        "MC/2": {("A", (new,)), ("A old", (old,))},
        "MC/3": {("Avi boss", (old, new))},
        "MC/4": {("Avi boss", (old, new))},
        "MC/5": {("Avi boss", (new,))},
    }
    languages = {t.language for d in truth.phone_downloads for t in d.threads}
    assert languages == {"English", "Albanian", "Romanian", "Polish", "Vietnamese"}
    deleted = {(d.reference, t.key) for d in truth.phone_downloads for t in d.threads if t.deleted}
    assert deleted == {("MC/1", "sms-P01-P09"), ("MC/5", "sms-P04-P09")}


def test_xry_contacts_file_holds_the_nickname_with_both_numbers(
    case: tuple[Path, GroundTruth], tmp_path: Path
) -> None:
    out, truth = case
    with zipfile.ZipFile(out / "MC_4_house_manager_xry.zip") as archive:
        text = archive.read("Contacts-Contacts.txt").decode("utf-16")
    old = "0" + truth.successor.old_msisdn[3:]
    new = "0" + truth.successor.new_msisdn[3:]
    spaced = [f"{n[:5]} {n[5:]}" for n in (old, new)]
    assert f"Name:\tAvi boss\r\nTel:\t{spaced[0]}\r\nTel:\t{spaced[1]}\r\n" in text
    shutil.rmtree(tmp_path, ignore_errors=True)
