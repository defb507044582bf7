"""The shared readers under the phone-download parsers: safe XML, SQLite copies with their WAL,
the record-at-a-time row writer and media description."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
from collect_sink import CollectSink
from PIL import Image
from PIL.ExifTags import IFD

from threadline.errors import HostileInput, ParseError
from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.media import describe_media, media_columns
from threadline.ingest.rows import RowWriter, jid_number
from threadline.ingest.safe_xml import iterparse_safe, local_name
from threadline.ingest.sqlite_copy import open_sqlite_copy, schema_text, tables
from threadline.model.device_time import from_iso8601, unparsed
from threadline.model.ids import row_id, row_ids_for

# -- safe XML ---------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<project><item>&b;</item></project>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<project><item>&secret;</item></project>"""


#: ten levels of ten: libxml2 itself stops it inside the DTD ("amplification factor exceeded")
DEEP_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">'
    + b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]><lolz>&l9;</lolz>"
)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, DEEP_LAUGHS])
def test_documents_with_a_doctype_are_refused(document: bytes) -> None:
    with pytest.raises(HostileInput) as caught:
        list(iterparse_safe(io.BytesIO(document), name="report.xml"))
    assert caught.value.path == "report.xml"
    assert "DOCTYPE" in str(caught.value)


def test_truncated_xml_names_line_and_column() -> None:
    document = b'<?xml version="1.0"?>\n<project>\n  <model id="1">\n    <field name="x">'
    with pytest.raises(ParseError) as caught:
        list(iterparse_safe(io.BytesIO(document), name="report.xml"))
    assert caught.value.path == "report.xml"
    assert caught.value.locator is not None
    assert caught.value.locator.startswith("line=4, column=")
    assert "malformed or truncated" in str(caught.value)


def test_namespaced_elements_stream_with_local_names() -> None:
    document = (
        b'<project xmlns="http://pa.cellebrite.com/report/2.0"><decodedData>'
        b'<modelType type="Call"/></decodedData></project>'
    )
    ends = [
        local_name(e.tag)
        for ev, e in iterparse_safe(io.BytesIO(document), name="r.xml")
        if ev == "end"
    ]
    assert ends == ["modelType", "decodedData", "project"]


# -- SQLite copies ----------------------------------------------------------------------------


def _wal_database(folder: Path) -> Path:
    """A database whose second row is only in its WAL (copied before any checkpoint)."""
    folder.mkdir()
    live = folder / "live"
    live.mkdir()
    con = sqlite3.connect(live / "contacts.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE people (name TEXT)")
    con.execute("INSERT INTO people VALUES ('Ana')")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("INSERT INTO people VALUES ('Tomek boss')")
    con.commit()
    exhibit = folder / "exhibit"
    exhibit.mkdir()
    shutil.copyfile(live / "contacts.db", exhibit / "contacts.db")
    shutil.copyfile(live / "contacts.db-wal", exhibit / "contacts.db-wal")
    con.close()
    return exhibit / "contacts.db"


def _names(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT name FROM people ORDER BY rowid")]


def test_the_wal_is_applied_and_the_exhibit_is_untouched(tmp_path: Path) -> None:
    path = _wal_database(tmp_path / "case")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.parent.iterdir()}
    with open_sqlite_copy(path, name="contacts.db") as con:
        assert _names(con) == ["Ana", "Tomek boss"]
        assert "people" in tables(con)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.parent.iterdir()}
    assert after == before  # no -shm created, nothing checkpointed into the exhibit
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)
    with open_sqlite_copy(alone, name="alone.db") as con:
        assert _names(con) == ["Ana"]  # without the WAL the newest contact is missing


def test_encrypted_whatsapp_backup_is_named(tmp_path: Path) -> None:
    path = tmp_path / "msgstore.db.crypt14"
    path.write_bytes(bytes(range(256)) * 4)
    with (
        pytest.raises(ParseError, match="encrypted WhatsApp backup") as caught,
        open_sqlite_copy(path, name="msgstore.db.crypt14"),
    ):
        pass
    assert caught.value.path == "msgstore.db.crypt14"


def test_not_sqlite_and_damaged_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello")
    with (
        pytest.raises(ParseError, match="not an SQLite database"),
        open_sqlite_copy(text, name="x"),
    ):
        pass
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with (
        pytest.raises(ParseError, match="damaged or encrypted") as caught,
        open_sqlite_copy(damaged, name="damaged.db"),
    ):
        pass
    assert caught.value.path == "damaged.db"


# -- the row writer ---------------------------------------------------------------------------


def _ctx() -> ParseContext:
    return ParseContext(
        exhibit=ExhibitFacts(exhibit_id="e1", reference="JB/1"),
        parser_ref="test@1.0.0",
        options=IngestOptions(),
        sink=CollectSink(),
    )


def test_rows_get_provenance_and_their_raw_record_once() -> None:
    ctx = _ctx()
    sink: CollectSink = ctx.sink  # type: ignore[assignment]
    with RowWriter(ctx, batch_rows=2) as writer:
        place = "mmssms.db#sms/_id=1"
        written = writer.add(
            "messages",
            place,
            {
                "message_type": "sms",
                "body": "Być w pracy o 6",
                **writer.party("a_party", "07700 900123"),
                **writer.time("sent", from_iso8601("2026-03-01T06:00:00.250+00:00"), place),
            },
            raw={"_id": 1, "address": "07700 900123", "blob": b"\x00\x01"},
        )
        writer.add("media", place, {"file_name": "a.jpg"}, raw={"_id": 1})
        for i in range(2, 5):
            writer.add("contacts", f"c.vcf#card={i}", {"name": f"Card {i}"})
    assert written == row_id("e1", "mmssms.db#sms/_id=1")
    message = sink.rows("messages")[0]
    assert message["row_id"] == written
    assert (message["exhibit_id"], message["locator"], message["parser"]) == (
        "e1",
        "mmssms.db#sms/_id=1",
        "test@1.0.0",
    )
    assert (message["a_party"], message["a_party_original"]) == ("+447700900123", "07700 900123")
    assert message["sent_status"] == "exact"
    assert message["sent_original"] == "2026-03-01T06:00:00.250+00:00"
    assert message["time_basis"] == "UTC"
    raws = sink.rows("source_rows")
    assert len(raws) == 1  # the media row shares the record's locator: one raw record
    assert json.loads(raws[0]["raw"]) == {
        "_id": 1,
        "address": "07700 900123",
        "blob": {"base64": "AAE="},
    }
    assert sink.counts() == {"messages": 1, "media": 1, "contacts": 3, "source_rows": 1}
    assert len(sink.batches["contacts"]) == 2  # flushed at two rows, then the rest at close


def test_party_reads_whatsapp_jids_and_keeps_other_identifiers() -> None:
    writer = RowWriter(_ctx())
    assert jid_number("447700900123@s.whatsapp.net") == "+447700900123"
    assert jid_number("447700900123-1600000000@g.us") is None
    assert writer.party("b_party", "447700900456@s.whatsapp.net") == {
        "b_party": "+447700900456",
        "b_party_original": "447700900456@s.whatsapp.net",
    }
    assert writer.party("b_party", "120363000000000000@g.us") == {
        "b_party": None,
        "b_party_original": "120363000000000000@g.us",
    }
    assert writer.party("a_party", "ana.pop@example.invalid")["a_party"] is None
    assert writer.party("a_party", None) == {"a_party": None, "a_party_original": None}


def test_handset_columns() -> None:
    writer = RowWriter(_ctx())
    # 35-209900-176148-1: the Luhn check digit 1 is right for 35209900176148
    assert writer.handset("35-209900-176148-1", "001 01 0123456789") == {
        "imei": "352099001761481",
        "imei_key": "35209900176148",
        "imei_original": "35-209900-176148-1",
        "imsi": "001010123456789",
        "imsi_original": "001 01 0123456789",
    }


def test_unreadable_and_zoneless_times_raise_issues() -> None:
    ctx = _ctx()
    writer = RowWriter(ctx)
    columns = writer.time("start", unparsed("31/02/2026 25:00"), "Calls.txt#entity=3")
    assert columns["start_status"] == "unparsed"
    assert columns["start_utc"] is None
    writer.time("start", from_iso8601("2026-03-01T10:00:00"), "Calls.txt#entity=4")
    codes = {(i.code, i.locator, i.value) for i in ctx.all_issues()}
    assert codes == {
        ("time.unparsed", "Calls.txt#entity=3", "31/02/2026 25:00"),
        ("time.zone_unknown", "Calls.txt#entity=4", "2026-03-01T10:00:00"),
    }


def test_unknown_columns_and_provenance_given_by_the_parser_are_bugs() -> None:
    writer = RowWriter(_ctx())
    with pytest.raises(KeyError, match="no column"):
        writer.add("contacts", "x#1", {"nickname": "T"})
    with pytest.raises(KeyError, match="provenance"):
        writer.add("contacts", "x#2", {"locator": "elsewhere"})


# -- media ------------------------------------------------------------------------------------


def _jpeg(*, offset: str | None) -> bytes:
    image = Image.new("RGB", (8, 8), (40, 90, 160))
    exif = image.getexif()
    exif[0x010F] = "Fictional"  # Make
    exif[0x0110] = "Alder 5"  # Model
    sub = exif.get_ifd(IFD.Exif)
    sub[0x9003] = "2026:03:01 14:05:06"  # DateTimeOriginal
    if offset is not None:
        sub[0x9011] = offset  # OffsetTimeOriginal
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)  # 51 deg 30 min N = 51.5
    gps[3], gps[4] = "W", (0.0, 7.0, 30.0)  # 0 deg 7 min 30 s W = -0.125
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_hashes_type_time_place_and_camera() -> None:
    data = _jpeg(offset="+01:00")
    facts = describe_media(io.BytesIO(data))
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.md5 == hashlib.md5(data).hexdigest()
    assert facts.size == len(data)
    assert facts.mime_type == "image/jpeg"
    assert facts.is_media
    assert facts.taken is not None
    assert facts.taken.original == "2026:03:01 14:05:06 +01:00"
    assert facts.taken.utc is not None
    assert facts.taken.utc.isoformat() == "2026-03-01T13:05:06+00:00"
    assert (facts.latitude, facts.longitude) == (51.5, -0.125)
    assert media_columns(facts)["camera_model"] == "Alder 5"
    assert facts.camera_make == "Fictional"


def test_photo_time_without_offset_has_no_zone() -> None:
    facts = describe_media(io.BytesIO(_jpeg(offset=None)))
    assert facts.taken is not None
    assert facts.taken.status.value == "zone_unknown"
    assert facts.taken.utc is None


def test_a_decompression_bomb_header_keeps_hashes_and_type_without_exif() -> None:
    # an 8 x 8 PNG whose IHDR is rewritten to claim 60000 x 60000 pixels (3.6 billion, twice
    # Pillow's bomb limit); the chunk CRC is recomputed so that only the size is odd
    png = io.BytesIO()
    Image.new("L", (8, 8)).save(png, "PNG")
    data = bytearray(png.getvalue())
    data[16:24] = (60000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    facts = describe_media(io.BytesIO(bytes(data)))
    assert facts.mime_type == "image/png"
    assert facts.sha256 == hashlib.sha256(bytes(data)).hexdigest()
    assert facts.size == len(data)
    assert facts.taken is None
    assert facts.camera_make is None


@pytest.mark.parametrize("offset", ["+99:99", "-15:00", "+14:01"])
def test_an_impossible_exif_offset_leaves_the_time_unparsed(offset: str) -> None:
    facts = describe_media(io.BytesIO(_jpeg(offset=offset)))
    assert facts.taken is not None
    assert facts.taken.status.value == "unparsed"
    assert facts.taken.utc is None
    assert facts.taken.original == f"2026:03:01 14:05:06 {offset}"
    assert facts.camera_model == "Alder 5"


def test_the_widest_exif_offset_is_still_exact() -> None:
    facts = describe_media(io.BytesIO(_jpeg(offset="+14:00")))
    assert facts.taken is not None
    assert facts.taken.utc is not None
    assert facts.taken.utc.isoformat() == "2026-03-01T00:05:06+00:00"


def test_type_is_read_from_content_not_name() -> None:
    png = io.BytesIO()
    Image.new("L", (2, 2)).save(png, "PNG")
    facts = describe_media(io.BytesIO(png.getvalue()))
    assert facts.mime_type == "image/png"
    assert facts.taken is None
    text = describe_media(io.BytesIO(b"just some notes, not a picture"))
    assert text.mime_type is None
    assert not text.is_media


def test_schema_is_read_without_touching_the_file(tmp_path: Path) -> None:
    path = _wal_database(tmp_path / "case")
    before = sorted(p.name for p in path.parent.iterdir())
    schema = schema_text(path)
    assert schema is not None
    assert b"CREATE TABLE people (name TEXT)" in schema
    assert sorted(p.name for p in path.parent.iterdir()) == before  # no -shm, no journal
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert schema_text(garbage) is None


@pytest.mark.parametrize("locator", ["", "a", "report.xml#line=12;model=x", "Łódź.db#sms/_id=9"])
def test_row_ids_for_one_exhibit_equal_row_id(locator: str) -> None:
    # row_id builds its key through make_id; row_ids_for makes the exhibit's part once
    assert row_ids_for("e1")(locator) == row_id("e1", locator)


def test_a_doctype_is_refused_even_when_no_element_is_asked_for(tmp_path: Path) -> None:
    # with a tag filter matching nothing, no element ever reaches the first-element check: the
    # file's prolog is checked before parsing
    path = tmp_path / "report.xml"
    path.write_bytes(EXTERNAL_ENTITY)
    with pytest.raises(HostileInput) as caught:
        list(iterparse_safe(path, name="report.xml", tag="{*}nothing"))
    assert caught.value.locator == "line=1"
