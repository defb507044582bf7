"""A hand-built phone download for the phone-view tests: a ZIP exhibit holding canonical rows
(``rows.json``, read by the test-only ``json_rows`` parser) and the media files they name.

Everything is fictional: Ofcom drama numbers (07700 900xxx), invented names, an IMEI with a valid
Luhn check digit, an IMSI on the test network MCC 001, and pictures drawn here with Pillow. The
expected values the tests check are worked out by hand from :func:`phone_rows` (comments there
say what each row is for).

The ZIP reader (:class:`PhoneZipParser`) only unwraps ``rows.json`` and hands it to
:class:`JsonRowsParser`, so the rows reach the evidence store through the real ingest path; the
media files stay inside the preserved exhibit, where a reveal reads them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from PIL import Image, ImageDraw

from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.registry import Registry
from threadline.model.imei import luhn_check_digit
from threadline.services import cases, exhibits, ingest
from threadline.services.workspace import Workspace

CASE = "OP-ROWAN"
EXHIBIT = "AP/1"
#: The owner's number and the other parties (Ofcom drama range).
OWNER = "+447700900111"
BEN = "+447700900222"
CARA = "+447700900333"
DEV = "+447700900444"
IMEI_14 = "35000011122233"
IMEI = IMEI_14 + str(luhn_check_digit(IMEI_14))
IMSI = "001010123456789"


def _json_rows() -> ModuleType:
    """The test-only json_rows parser, loaded by path (tests/web is a package, this is not)."""
    name = "json_rows_parser"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent / "json_rows_parser.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def picture(colour: str) -> bytes:
    """A small PNG: a coloured square with a white bar (drawn, so nothing real is pictured)."""
    image = Image.new("RGB", (64, 48), colour)
    ImageDraw.Draw(image).rectangle((8, 20, 56, 28), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def media_files() -> dict[str, bytes]:
    """The files inside the exhibit, by path."""
    return {
        "files/photo1.png": picture("darkgreen"),
        "files/notes.html": b"<html><script>alert('x')</script>meeting notes</html>",
        "files/tampered.png": picture("navy"),
    }


def sha256(data: bytes) -> str:
    """SHA-256 hex (the test's own computation of what the rows record)."""
    return hashlib.sha256(data).hexdigest()


def phone_rows() -> dict[str, Any]:
    """The canonical rows of AP/1 (see the module docstring)."""
    files = media_files()
    photo, notes = files["files/photo1.png"], files["files/notes.html"]

    def msg(**values: Any) -> dict[str, Any]:
        return {"message_type": "im", **values}

    def yard_crew(
        sender: str, name: str, *, sent_utc: str, body: str, **values: Any
    ) -> dict[str, Any]:
        """A message of the WhatsApp group "Yard crew" (thread chat-1) from ``sender``: outgoing
        with target role ``a`` when the owner sent it, else incoming with ``b``; the sender's
        JID is the number without its plus."""
        owner_sent = sender == OWNER
        return msg(
            direction="outgoing" if owner_sent else "incoming",
            a_party=sender,
            a_party_original=f"{sender.removeprefix('+')}@s.whatsapp.net",
            a_party_name=name,
            target_role="a" if owner_sent else "b",
            sent_utc=sent_utc,
            body=body,
            thread="chat-1",
            thread_name="Yard crew",
            participants=f"{OWNER}; {BEN}; {CARA}",
            source_app="WhatsApp",
            **values,
        )

    def sms(**values: Any) -> dict[str, Any]:
        return {"message_type": "sms", **values, "source_app": "SMS"}

    return {
        "format": "json_rows",
        "devices": [
            {
                "manufacturer": "Acme",
                "model": "A1 Test",
                "os": "Android 14",
                "imei": IMEI,
                "imei_key": IMEI_14,
                "imei_original": IMEI,
                "imsi": IMSI,
                "imsi_original": IMSI,
                "iccid": "8900100000000000017",
                "msisdn": OWNER,
                "msisdn_original": "07700 900111",
                "owner_name": "Ana Pop",
                "extraction": "UFED 7.60; Logical",
            }
        ],
        "contacts": [
            {"name": "Ben Ash", "number": BEN, "number_original": "07700 900222"},
            {"name": "Cara Birch", "number": CARA, "number_original": "07700900333"},
            {
                "name": "Dev Cedar",
                "number": DEV,
                "number_original": "07700 900444",
                "deleted_state": "deleted",
            },
        ],
        "calls": [
            {
                "direction": "outgoing",
                "a_party": OWNER,
                "a_party_original": "07700 900111",
                "b_party": BEN,
                "b_party_original": "07700 900222",
                "target_role": "a",
                "start_utc": "2026-06-30T08:00:00+00:00",
                "duration_s": 42,
                "source_app": "Phone",
            }
        ],
        "messages": [
            # $.messages[0..2]: WhatsApp group "Yard crew" (thread chat-1), given out of order
            yard_crew(
                BEN,
                "Ben Ash",
                sent_utc="2026-07-01T10:05:00+00:00",
                body="on my way",
                deleted_state="intact",
            ),
            yard_crew(
                OWNER,
                "Ana Pop",
                sent_utc="2026-07-01T10:00:00+00:00",
                body="meet at the yard <b>10:30</b>",
                deleted_state="intact",
            ),
            yard_crew(
                CARA,
                "Cara Birch",
                sent_utc="2026-07-01T10:10:00+00:00",
                body="photo of the van",
                deleted_state="deleted",
                attachments="files/photo1.png; files/gone.jpg",
            ),
            # $.messages[3..4]: SMS with Ben, no thread id: grouped by the other party
            sms(
                direction="incoming",
                a_party=BEN,
                a_party_original="07700 900222",
                b_party=OWNER,
                b_party_original="07700 900111",
                target_role="b",
                sent_utc="2026-06-30T09:00:00+00:00",
                body="are you there",
            ),
            sms(
                direction="outgoing",
                a_party=OWNER,
                a_party_original="07700 900111",
                b_party=BEN,
                b_party_original="+44 7700 900222",
                target_role="a",
                sent_utc="2026-06-30T09:01:00+00:00",
                body="yes",
            ),
            # $.messages[5]: SMS from Dev with a wall-clock time and no zone (UTC-12..UTC+14)
            sms(
                direction="incoming",
                a_party=DEV,
                a_party_original="07700 900444",
                b_party=OWNER,
                b_party_original="07700 900111",
                target_role="b",
                sent_earliest_utc="2026-07-02T00:00:00+00:00",
                sent_latest_utc="2026-07-03T02:00:00+00:00",
                sent_status="zone_unknown",
                sent_original="02/07/2026 14:00:00",
                body="call me",
            ),
            # $.messages[6]: an SMS thread that happens to be called chat-1 too: its own thread
            sms(
                direction="incoming",
                a_party=CARA,
                a_party_original="07700 900333",
                b_party=OWNER,
                target_role="b",
                sent_utc="2026-06-29T12:00:00+00:00",
                body="old text",
                thread="chat-1",
            ),
        ],
        "locations": [
            {
                "at_utc": "2026-07-01T09:30:00+00:00",
                "latitude": 51.5,
                "longitude": -0.12,
                "accuracy_m": 10.0,
                "source_app": "Google Maps",
                "deleted_state": "intact",
            }
        ],
        "media": [
            # $.media[0]: the photo, as recorded (hashes are the file's)
            {
                "path": "files/photo1.png",
                "original_path": "/sdcard/DCIM/Camera/photo1.png",
                "file_name": "photo1.png",
                "size_bytes": len(photo),
                "sha256": sha256(photo),
                "md5": hashlib.md5(photo).hexdigest(),
                "mime_type": "image/png",
                "taken_utc": "2026-07-01T10:09:00+00:00",
                "latitude": 51.501,
                "longitude": -0.141,
                "camera_make": "Acme",
                "camera_model": "A1 Test",
                "deleted_state": "intact",
            },
            # $.media[1]: a page of HTML: never served inline
            {
                "path": "files/notes.html",
                "file_name": "notes.html",
                "size_bytes": len(notes),
                "sha256": sha256(notes),
                "md5": hashlib.md5(notes).hexdigest(),
                "mime_type": "text/html",
                "deleted_state": "deleted",
            },
            # $.media[2]: its record holds another file's hash: refused
            {
                "path": "files/tampered.png",
                "file_name": "tampered.png",
                "size_bytes": len(files["files/tampered.png"]),
                "sha256": sha256(b"something else"),
                "mime_type": "image/png",
            },
            # $.media[3], [4]: paths that leave the exhibit: refused
            {
                "path": "../../../etc/passwd",
                "file_name": "passwd",
                "sha256": sha256(b""),
                "mime_type": "image/png",
            },
            {
                "path": "/etc/hostname",
                "file_name": "hostname",
                "sha256": sha256(b""),
                "mime_type": "image/png",
            },
            # $.media[5]: named but absent from the exhibit
            {
                "path": "files/missing.png",
                "file_name": "missing.png",
                "sha256": sha256(b"missing"),
                "mime_type": "image/png",
            },
        ],
    }


def write_folder(target: Path) -> Path:
    """Write AP/1 as a folder at ``target`` (the same files as the ZIP)."""
    for name, data in {"rows.json": json.dumps(phone_rows()).encode(), **media_files()}.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return target


def write_exhibit(target: Path) -> Path:
    """Write AP/1 as a ZIP at ``target``."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rows.json", json.dumps(phone_rows(), indent=1))
        for name, data in media_files().items():
            archive.writestr(name, data)
    return target


class PhoneZipParser:
    """Reads ``rows.json`` inside a ZIP exhibit with the json_rows parser (tests only)."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="phone_zip",
        version="1.0.0",
        title="Canonical rows in a ZIP with their media (test support)",
        formats=("zip",),
        tables=("devices", "contacts", "calls", "messages", "locations", "media", "source_rows"),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """Never chosen by detection: tests name it."""
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Unwrap ``rows.json`` (from the ZIP, or the folder) and let json_rows read it."""
        if path.is_dir():
            data = (path / "rows.json").read_bytes()
        else:
            with zipfile.ZipFile(path) as archive:
                data = archive.read("rows.json")
        with tempfile.TemporaryDirectory() as scratch:
            rows = Path(scratch) / "rows.json"
            rows.write_bytes(data)
            _json_rows().JsonRowsParser().parse(rows, ctx)


def with_phone_zip(ws: Workspace) -> Workspace:
    """The workspace with :class:`PhoneZipParser` added to its registry."""
    ws.registry = Registry((*ws.registry.parsers, PhoneZipParser()))
    return ws


def build_phone_case(
    ws: Workspace, folder: Path, *, case: str = CASE, as_folder: bool = False
) -> str:
    """Open ``case`` holding AP/1 (a ZIP, or a folder) ingested; returns AP/1's exhibit id."""
    with_phone_zip(ws)
    if as_folder:
        source = write_folder(folder / "ap1-extraction")
    else:
        source = write_exhibit(folder / "ap1-extraction.zip")
    cases.create_case(ws, case, "Operation Rowan")
    info = exhibits.add_exhibit(
        ws, case, EXHIBIT, source, producer="DC Jo Bloggs", description="Handset extraction"
    )
    ingest.ingest_exhibit(ws, case, EXHIBIT, parser="phone_zip")
    return info.id
