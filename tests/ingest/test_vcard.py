"""Tests for the vCard parser (``vcard``): golden output on the IPED samples and our own 2.1 and 4.0
fixtures, and bad input.

Expected values are worked out by hand from the files' text: names from FN (or N assembled as
prefix given additional family suffix), numbers normalised by the documented UK rules (a number
written without its country code is read as a UK national number), photo hashes computed here with
:mod:`hashlib` from the base64 text copied out of the fixture.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from collect_sink import CollectSink, by_locator, raw_of, run_parser
from hypothesis import given
from hypothesis import strategies as st
from phone_support import fuzz_settings, probe, shared_sample

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.vcard import VcardParser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vcard"
IPED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "vcard_iped"
EXHIBIT = "EX-V"
#: the 1x1 PNG written (folded) into both fixtures
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def parse(path: Path, **kwargs: Any) -> tuple[ParseContext, CollectSink]:
    return run_parser(VcardParser(**kwargs), path, exhibit_id=EXHIBIT, reference="JB/9")


def contact(sink: CollectSink) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    return [
        (r["locator"], r["name"], r["number"], r["number_original"], r["email"])
        for r in sink.rows("contacts")
    ]


def codes(ctx: ParseContext) -> list[tuple[str, str, str | None, str | None]]:
    return [(i.severity.value, i.code, i.locator, i.value) for i in ctx.all_issues()]


def write(tmp_path: Path, text: str, name: str = "book.vcf") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------
# golden: our vCard 2.1 fixture (quoted-printable, charsets, base64 photos)


def test_v21_fixture_rows_and_locators() -> None:
    ctx, sink = parse(FIXTURES / "contacts_v21.vcf")
    assert contact(sink) == [
        # FN is QP UTF-8 with a soft line break: "Zo=C3=AB Fen=C3=AA=" + "tre"
        (
            "contacts_v21.vcf#card=1;line=1;tel=1",
            "Zoë Fenêtre",
            "+447700900101",
            "07700 900101",
            None,
        ),
        (
            "contacts_v21.vcf#card=1;line=1;tel=2",
            "Zoë Fenêtre",
            "+441632960101",
            "01632 960101",
            None,
        ),
        # no FN: N (ISO-8859-1, QP) "Müller;Jürgen;;Dr.;" assembled as prefix given family
        (
            "contacts_v21.vcf#card=2;line=11",
            "Dr. Jürgen Müller",
            "+447700900102",
            "+44 7700 900102",
            "jurgen.muller@example.com",
        ),
        # e-mail only: one row without a number
        ("contacts_v21.vcf#card=3;line=21", "Ffion Pryce", None, None, "ffion.pryce@example.org"),
    ]
    rows = by_locator(sink.rows("contacts"))
    first = rows["contacts_v21.vcf#card=1;line=1;tel=1"]
    assert first["source_app"] == "vCard"
    assert first["deleted_state"] == "intact"
    assert first["parser"] == "vcard@1.0.0"
    assert first["exhibit_id"] == EXHIBIT
    assert codes(ctx) == []
    assert ctx.row_counts == {"contacts": 4, "source_rows": 4}


def test_v21_raw_keeps_nickname_types_and_photo_note_not_bytes() -> None:
    _, sink = parse(FIXTURES / "contacts_v21.vcf")
    raw = raw_of(sink, "contacts_v21.vcf#card=1;line=1;tel=1")
    assert raw["nickname"] == "Zoé"  # QP "Zo=C3=A9"
    assert raw["tel_type"] == "CELL,PREF"
    assert raw["version"] == "2.1"
    assert raw["X-ANDROID-CUSTOM"] == "vnd.android.cursor.item/nickname;Zo;1"
    assert raw_of(sink, "contacts_v21.vcf#card=1;line=1;tel=2")["tel_type"] == "HOME"
    png = base64.b64decode(PNG_B64)
    note = f"image/png, {len(png)} bytes, sha256 {hashlib.sha256(png).hexdigest()}"
    for locator in ("contacts_v21.vcf#card=2;line=11", "contacts_v21.vcf#card=3;line=21"):
        raw = raw_of(sink, locator)
        assert raw["photo"] == note
        assert PNG_B64[:20] not in raw["text"]  # the data itself is never kept
        assert note in raw["text"]
    raw = raw_of(sink, "contacts_v21.vcf#card=2;line=11")
    assert raw["text"].startswith("BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=ISO-8859-1;")
    assert raw["text"].endswith("END:VCARD")


# ---------------------------------------------------------------------------------------------
# golden: our vCard 4.0 fixture


def test_v40_fixture_rows_and_locators() -> None:
    ctx, sink = parse(FIXTURES / "contacts_v40.vcf")
    assert contact(sink) == [
        (
            "contacts_v40.vcf#card=1;line=1;tel=1",
            "Aled Morgan-Price",
            "+447700900103",
            "tel:+44-7700-900103",
            "aled.mp@example.com",
        ),
        (
            "contacts_v40.vcf#card=1;line=1;tel=2",
            "Aled Morgan-Price",
            "+441632960103",
            "tel:+44-1632-960103",
            "aled.mp@example.com",
        ),
        # N only: "Okafor;Chidi;Emeka;Mr;Jr." -> prefix given additional family suffix
        (
            "contacts_v40.vcf#card=2;line=16",
            "Mr Chidi Emeka Okafor Jr.",
            "+447700900104",
            "07700900104",
            None,
        ),
        ("contacts_v40.vcf#card=3;line=21", "Bethan Ellis", None, None, "bethan.ellis@example.net"),
    ]
    assert codes(ctx) == []
    raw = raw_of(sink, "contacts_v40.vcf#card=1;line=1;tel=1")
    assert raw["nickname"] == "Al,Morgs"
    assert raw["tel_type"] == "cell,voice"  # quoted 4.0 parameter value
    assert raw["org"] == "Harbour Lane Logistics, Ltd; Dispatch"  # "\," unescaped, ";" splits
    assert raw["X-THREADLINE-TEST"] == "folded value"  # "fo" + " lded value", one space removed
    png = base64.b64decode(PNG_B64)
    assert raw["photo"] == f"image/png, 70 bytes, sha256 {hashlib.sha256(png).hexdigest()}"
    assert raw_of(sink, "contacts_v40.vcf#card=3;line=21")["emails"] == (
        "bethan.ellis@example.net, b.ellis@example.org"
    )


# ---------------------------------------------------------------------------------------------
# the IPED samples (GPL-3.0 data files), read in place


def iped(name: str) -> Path:
    return shared_sample(IPED / name)


def test_iped_email_only_card() -> None:
    ctx, sink = parse(iped("test_contacts.vcf"))
    assert contact(sink) == [
        ("test_contacts.vcf#card=1;line=1", None, None, None, "guilhermeandreuce@gmail.com")
    ]
    assert codes(ctx) == []


IPED_THREE = [
    # Brazilian numbers written without +55: read as UK national numbers by the documented rule,
    # so each is invalid and keeps a best-effort +44 form (digits after the leading 0)
    ("#card=1;line=1", "Taxi Lago Norte", "+44216134682000", "021 (61)3468-2000", None),
    ("#card=2;line=8", "Sushi Loko Flamingo", "+44216130117666", "021 (61)3011-7666", None),
    ("#card=3;line=15", "Smart Assistência Técnica", "+44995923794", "99592-3794", None),
]


def test_iped_multiple() -> None:
    ctx, sink = parse(iped("test_contactsMultiple.vcf"))
    name = "test_contactsMultiple.vcf"
    assert contact(sink) == [(name + loc, *rest) for loc, *rest in IPED_THREE]
    assert codes(ctx) == [
        ("warning", "phone.invalid", name + "#card=1;line=1", "021 (61)3468-2000"),
        ("warning", "phone.invalid", name + "#card=2;line=8", "021 (61)3011-7666"),
        ("warning", "phone.invalid", name + "#card=3;line=15", "99592-3794"),
    ]


def test_iped_complete_info() -> None:
    ctx, sink = parse(iped("test_contactsCompleteInfo.vcf"))
    name = "test_contactsCompleteInfo.vcf"
    fourth = (
        name + "#card=4;line=22",
        "Magnanimo Test@paraparaparapara el raton para el",
        "+4499999986219",
        "99 99998-6219",
        "insuportavel@test.paraparapara",
    )
    expected = [(name + loc, *rest) for loc, *rest in IPED_THREE]
    assert contact(sink) == [*expected, fourth]
    assert len([c for c in codes(ctx) if c[1] == "phone.invalid"]) == 4
    raw = raw_of(sink, name + "#card=4;line=22")
    assert raw["nickname"] == "ratuxo"
    assert raw["tel_type"] == "HOME"
    assert raw["org"] == "nicolecity; dança"
    assert raw["X-PHONETIC-FIRST-NAME"] == "ratón"
    assert raw["item1.X-GTALK"] == "9185-goog"
    # a photo given as a (folded) URL is text, kept in the card's text as read
    assert "PHOTO:https://lh4.googleusercontent.com/" in raw["text"]
    assert raw["photo"] is None


def test_iped_without_thumb_grouped_tel() -> None:
    _, sink = parse(iped("test_contactsCompleteWithoutThumb.vcf"))
    locator = "test_contactsCompleteWithoutThumb.vcf#card=1;line=1"
    assert contact(sink) == [
        (
            locator,
            "Magnanimo Test@paraparaparapara el raton para el",
            "+4499999986219",
            "99 99998-6219",
            "insuportavel@test.paraparapara",
        )
    ]
    raw = raw_of(sink, locator)
    assert raw["item2.X-ABLABEL"] == "Início"  # the label of item2.TEL
    # ADR folded over three lines (3.0: the leading space is removed)
    assert "item3.ADR:73100-900;isso mesmo;" in raw["text"]


# ---------------------------------------------------------------------------------------------
# sniffing


@pytest.mark.parametrize(
    "head",
    [
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n",
        b"\xef\xbb\xbf\r\n\r\nbegin:vcard\nVERSION:3.0\n",
        codecs.BOM_UTF16_LE + "BEGIN:VCARD\r\n".encode("utf-16-le"),
        b"  \n\tBEGIN:VCARD",
    ],
)
def test_sniff_certain(head: bytes, tmp_path: Path) -> None:
    assert VcardParser().sniff(probe(tmp_path / "x.txt", head)) is Confidence.CERTAIN


@pytest.mark.parametrize(
    "head", [b"", b"BEGIN:VCALENDAR\r\n", b"\x00\xff\xfeBEGIN:VCARD", b"name,number\n"]
)
def test_sniff_no(head: bytes, tmp_path: Path) -> None:
    assert VcardParser().sniff(probe(tmp_path / "x.vcf", head)) is Confidence.NO


def test_sniff_folder_is_no(tmp_path: Path) -> None:
    assert VcardParser().sniff(probe(tmp_path, b"")) is Confidence.NO


# ---------------------------------------------------------------------------------------------
# encodings


def test_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16.vcf"
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Siân Rhys\r\nTEL:07700 900105\r\nEND:VCARD\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    ctx, sink = parse(path)
    assert contact(sink) == [
        ("utf16.vcf#card=1;line=1", "Siân Rhys", "+447700900105", "07700 900105", None)
    ]
    assert codes(ctx) == []


def test_charsets_declared_undeclared_and_unknown(tmp_path: Path) -> None:
    path = tmp_path / "latin.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1:Ren\xe9e Dubois\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ren\xe9e Martin\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=X-NOWHERE:Owen Hale\r\nEND:VCARD\r\n"
    )
    ctx, sink = parse(path)
    assert [r["name"] for r in sink.rows("contacts")] == [
        "Renée Dubois",  # declared: read as ISO-8859-1, no issue
        "Renée Martin",  # not UTF-8 and no charset: read as Windows-1252, with an issue
        "Owen Hale",
    ]
    assert codes(ctx) == [
        ("info", "vcard.charset_guessed", "latin.vcf#line=7", "Renée Martin"),
        ("warning", "vcard.charset_unknown", "latin.vcf#line=11", "X-NOWHERE"),
    ]


def test_escapes_differ_between_21_and_30(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "BEGIN:VCARD\nVERSION:3.0\nFN:Line\\none\\, two\\; three\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:2.1\nFN:C:\\new\\; two\nEND:VCARD\n",
    )
    _, sink = parse(path)
    assert [r["name"] for r in sink.rows("contacts")] == ["Line\none, two; three", "C:\\new; two"]


# ---------------------------------------------------------------------------------------------
# bad input


def test_card_without_end_keeps_its_properties(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "BEGIN:VCARD\nVERSION:3.0\nFN:Nia Okoro\nTEL:07700900106\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Tom Hale\nTEL:07700900107\n",
    )
    ctx, sink = parse(path)
    assert contact(sink) == [
        ("book.vcf#card=1;line=1", "Nia Okoro", "+447700900106", "07700900106", None),
        ("book.vcf#card=2;line=5", "Tom Hale", "+447700900107", "07700900107", None),
    ]
    assert [(c[1], c[2]) for c in codes(ctx)] == [
        ("vcard.card_unterminated", "book.vcf#line=1"),
        ("vcard.card_unterminated", "book.vcf#line=5"),
    ]


def test_garbage_inside_and_outside_cards_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada Quill\n\x00\x01\x02garbage\nTEL:07700900108\n"
        b"END:VCARD\nstray text\n"
    )
    ctx, sink = parse(path)
    assert contact(sink) == [
        ("mixed.vcf#card=1;line=1", "Ada Quill", "+447700900108", "07700900108", None)
    ]
    assert codes(ctx) == [
        ("warning", "vcard.line_unreadable", "mixed.vcf#line=4", "\x00\x01\x02garbage"),
        ("warning", "vcard.outside_card", "mixed.vcf#line=7", "stray text"),
    ]


def test_binary_garbage_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "noise.vcf"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(NotThisFormat, match="first line is not BEGIN:VCARD"):
        parse(path)
    empty = tmp_path / "empty.vcf"
    empty.write_bytes(b"\n\n")
    with pytest.raises(NotThisFormat, match="empty"):
        parse(empty)


def test_line_over_limit_is_skipped_with_line_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "BEGIN:VCARD\nVERSION:3.0\nFN:Lena Frost\nNOTE:" + "x" * 5000 + "\n"
        "TEL:07700900109\nPHOTO;ENCODING=b:" + "A" * 100 + "\n " + "B" * 3000 + "\n"
        " CCCC\nEND:VCARD\n",
    )
    ctx, sink = parse(path, max_line_bytes=1024)
    assert contact(sink) == [
        ("book.vcf#card=1;line=1", "Lena Frost", "+447700900109", "07700900109", None)
    ]
    assert [(c[1], c[2], c[3]) for c in codes(ctx)] == [
        ("vcard.line_too_long", "book.vcf#line=4", "5005 bytes"),
        ("vcard.line_too_long", "book.vcf#line=7", "3001 bytes"),
    ]
    text = raw_of(sink, "book.vcf#card=1;line=1")["text"]
    assert "not read: line 4 is 5005 bytes" in text
    assert "not read: line 7 is 3001 bytes" in text
    assert "CCCC" not in text  # the rest of the dropped photo is not kept either


def test_200_mb_line_costs_bounded_memory(tmp_path: Path) -> None:
    """A sparse file: 200 MB of NUL bytes on one line, costing no disk."""
    path = tmp_path / "huge.vcf"
    size = 200 * 1024**2
    with path.open("wb") as handle:
        handle.write(b"BEGIN:VCARD\nVERSION:3.0\nFN:Max Long\nNOTE:")
        handle.truncate(size)
        handle.seek(size)
        handle.write(b"\nTEL:07700900110\nEND:VCARD\n")
    tracemalloc.start()
    try:
        ctx, sink = parse(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024**2  # the 16 MiB line limit plus read chunks, not 200 MB
    assert contact(sink) == [
        ("huge.vcf#card=1;line=1", "Max Long", "+447700900110", "07700900110", None)
    ]
    assert [(c[1], c[2]) for c in codes(ctx)] == [("vcard.line_too_long", "huge.vcf#line=4")]


def test_folder_is_not_this_format(tmp_path: Path) -> None:
    with pytest.raises(NotThisFormat):
        parse(tmp_path)


def test_issue_severities_are_warnings_for_lost_data(tmp_path: Path) -> None:
    path = write(tmp_path, "BEGIN:VCARD\nVERSION:9.9\nFN:Iris Vane\nPHOTO;ENCODING=b:@@@@\n")
    ctx, sink = parse(path)
    assert [r["name"] for r in sink.rows("contacts")] == ["Iris Vane"]
    found = {(i.code, i.severity) for i in ctx.all_issues()}
    assert found == {
        ("vcard.version_unknown", Severity.WARNING),
        ("vcard.binary_unreadable", Severity.WARNING),
        ("vcard.card_unterminated", Severity.WARNING),
    }


# ---------------------------------------------------------------------------------------------
# fuzz: mutated and truncated fixture bytes raise nothing but IngestError


SEEDS = [(FIXTURES / n).read_bytes() for n in ("contacts_v21.vcf", "contacts_v40.vcf")]


@fuzz_settings()
@given(
    seed=st.sampled_from(SEEDS),
    cut=st.integers(min_value=0, max_value=2000),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2000), st.binary(min_size=0, max_size=8)),
        max_size=6,
    ),
)
def test_fuzz_only_ingest_errors(
    tmp_path: Path, seed: bytes, cut: int, edits: list[tuple[int, bytes]]
) -> None:
    data = bytearray(seed[: max(cut, 1)] if cut < len(seed) else seed)
    for position, insert in edits:
        at = position % (len(data) + 1)
        data[at : at + len(insert)] = insert
    path = tmp_path / "fuzz.vcf"
    path.write_bytes(bytes(data))
    try:
        ctx, sink = parse(path, max_line_bytes=256)
    except IngestError:
        return
    assert ctx.row_counts.get("contacts", 0) == len(sink.rows("contacts"))


def test_a_charset_name_with_a_nul_is_an_unknown_charset(tmp_path: Path) -> None:
    # found by fuzzing: codecs.lookup raises ValueError, not LookupError, for a name with a NUL
    path = tmp_path / "nul.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=utf\x008:Ana Pop\r\nTEL:07700900123\r\n"
        b"END:VCARD\r\n"
    )
    ctx, sink = run_parser(VcardParser(), path, exhibit_id="e1", reference="JB/1")
    assert [r["name"] for r in sink.rows("contacts")] == ["Ana Pop"]
    assert "vcard.charset_unknown" in {i.code for i in ctx.all_issues()}
