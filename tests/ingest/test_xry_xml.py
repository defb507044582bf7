"""Golden and bad-input tests of the XRY XML export parser (formats.md §2b).

No public XRY XML sample exists: the fixture follows the structure michailz/ufed_xry_xml_parser
reads (see tests/fixtures/xry/README.md). Expected values are worked out by hand from the
fixture's text; line numbers checked with ``grep -n '<properties>\\|<view '``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from collect_sink import run_parser
from phone_support import flip_and_cut_fuzz, pick, probe, utc

from threadline.errors import HostileInput, NotThisFormat, ParseError
from threadline.ingest.contract import Confidence
from threadline.ingest.parsers.xry.times import parse_xml_time
from threadline.ingest.parsers.xry.xml import XryXmlParser

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "xry" / "xry_export.xml"
PARSER = XryXmlParser()
FILE = "xry_export.xml"


def _parse(path: Path) -> tuple[Any, Any]:
    return run_parser(PARSER, path, exhibit_id="e2", reference="FH/4")


@pytest.fixture(scope="module")
def parsed() -> tuple[Any, Any]:
    return _parse(FIXTURE)


def test_device_from_general_view(parsed: tuple[Any, Any]) -> None:
    _, sink = parsed
    [row] = sink.rows("devices")
    assert pick(
        row,
        "locator",
        "imei",
        "imei_key",
        "imsi",
        "iccid",
        "msisdn",
        "msisdn_original",
        "manufacturer",
        "model",
        "os",
        "extraction",
        "parser",
    ) == {
        "locator": f"{FILE}#line=6;image=1;view=general_view",
        "imei": "867531098765437",
        "imei_key": "86753109876543",
        "imsi": "001010987654321",
        "iccid": None,
        "msisdn": "+447700900654",
        "msisdn_original": "+447700900654",
        "manufacturer": "Nokia",
        "model": "G21",
        "os": "Android 13",
        "extraction": "XRY XML export; CREATION_TIME: 14/03/2024 10:15:00",
        "parser": "xry_xml@1.0.0",
    }


def test_calls(parsed: tuple[Any, Any]) -> None:
    _, sink = parsed
    columns = [
        "locator",
        "direction",
        "a_party",
        "b_party",
        "b_party_original",
        "target_role",
        "start_utc",
        "start_earliest_utc",
        "start_latest_utc",
        "start_status",
        "duration_s",
        "source_app",
        "deleted_state",
    ]
    assert [pick(r, *columns) for r in sink.rows("calls")] == [
        {
            "locator": f"{FILE}#line=41;image=1;view=calls_view;item=1",
            "direction": "outgoing",
            "a_party": None,
            "b_party": "+447700900987",
            "b_party_original": "07700 900987",
            "target_role": "a",
            "start_utc": utc(2024, 3, 5, 16, 20),
            "start_earliest_utc": utc(2024, 3, 5, 16, 20),
            "start_latest_utc": utc(2024, 3, 5, 16, 20),
            "start_status": "exact",
            "duration_s": 42,
            "source_app": "Phone",
            "deleted_state": "unknown",
        },
        {
            "locator": f"{FILE}#line=51;image=1;view=calls_view;item=2",
            "direction": "missed",
            "a_party": "+441632960004",
            "b_party": None,
            "b_party_original": None,
            "target_role": "b",
            "start_utc": None,
            "start_earliest_utc": utc(2024, 3, 5, 2, 30),  # 16:30 - 14 h
            "start_latest_utc": utc(2024, 3, 6, 4, 30),  # 16:30 + 12 h
            "start_status": "zone_unknown",
            "duration_s": None,
            "source_app": None,
            "deleted_state": "deleted",  # an empty <property type="deleted"/> marks it
        },
    ]


def test_messages(parsed: tuple[Any, Any]) -> None:
    _, sink = parsed
    columns = [
        "locator",
        "message_type",
        "source_app",
        "direction",
        "a_party",
        "a_party_name",
        "b_party",
        "target_role",
        "sent_utc",
        "sent_earliest_utc",
        "sent_latest_utc",
        "sent_original",
        "body",
    ]
    assert [pick(r, *columns) for r in sink.rows("messages")] == [
        {
            "locator": f"{FILE}#line=64;image=1;view=messages_view;item=1",
            "message_type": "sms",
            "source_app": "SMS",
            "direction": "incoming",
            "a_party": "+447700900987",
            "a_party_name": "Dafydd Rees",
            "b_party": None,
            "target_role": "b",
            # 05/03/2024 17:45:00 is day first: 5 March, zone not given
            "sent_utc": None,
            "sent_earliest_utc": utc(2024, 3, 5, 3, 45),
            "sent_latest_utc": utc(2024, 3, 6, 5, 45),
            "sent_original": "05/03/2024 17:45:00",
            "body": "Dw i'n aros wrth yr orsaf. Brysia!",
        },
        {
            "locator": f"{FILE}#line=73;image=1;view=messages_view;item=2",
            "message_type": "im",
            "source_app": "WhatsApp",
            "direction": "outgoing",
            "a_party": None,
            "a_party_name": None,
            "b_party": "+447700900987",
            "target_role": "a",
            "sent_utc": utc(2024, 3, 6, 7, 0),  # 08:00 at UTC+1
            "sent_earliest_utc": utc(2024, 3, 6, 7, 0),
            "sent_latest_utc": utc(2024, 3, 6, 7, 0),
            "sent_original": "3/6/2024 8:00:00 AM UTC+1 (Device)",
            "body": "Dziękuję, już jadę.",
        },
    ]


def test_contacts_and_accounts(parsed: tuple[Any, Any]) -> None:
    _, sink = parsed
    assert [
        pick(r, "locator", "name", "number", "number_original", "source_app")
        for r in sink.rows("contacts")
    ] == [
        {
            "locator": f"{FILE}#line=86;image=1;view=contacts_view;item=1",
            "name": "Dafydd Rees",
            "number": "+447700900987",
            "number_original": "07700 900987",
            "source_app": "WhatsApp",
        }
    ]
    assert [
        pick(r, "locator", "service", "username", "display_name", "number", "number_original")
        for r in sink.rows("accounts")
    ] == [
        {
            "locator": f"{FILE}#line=97;image=1;view=accounts_view;item=1",
            "service": "WhatsApp",
            "username": "owain.g",
            "display_name": "Owain",
            "number": "+447700900654",
            "number_original": "07700 900654",
        }
    ]


def test_issues_and_raw(parsed: tuple[Any, Any]) -> None:
    ctx, sink = parsed
    assert {(i.code, i.locator, i.value) for i in ctx.all_issues()} == {
        ("xry.property_unknown", f"{FILE}#line=6;image=1;view=general_view", "DEVICE_CLOCK_DRIFT"),
        ("xry.property_unknown", f"{FILE}#line=51;image=1;view=calls_view;item=2", "call_category"),
        (
            "time.zone_unknown",
            f"{FILE}#line=51;image=1;view=calls_view;item=2",
            "3/5/2024 4:30:00 PM (Device)",
        ),
        (
            "time.zone_unknown",
            f"{FILE}#line=64;image=1;view=messages_view;item=1",
            "05/03/2024 17:45:00",
        ),
        ("xry.view_unknown", f"{FILE}#line=106;image=1;view=pictures_view", "pictures_view"),
    }
    raw = {r["locator"]: r["raw"] for r in sink.rows("source_rows")}
    assert '"CASE_REFERENCE": "OP-CEDAR-0001"' in raw[f"{FILE}#line=6;image=1;view=general_view"]
    assert '"name_matched": "Dafydd Rees"' in raw[f"{FILE}#line=41;image=1;view=calls_view;item=1"]
    assert len(raw) == 2 + 2 + 1 + 1 + 1


def test_sniff(tmp_path: Path) -> None:
    head = FIXTURE.read_bytes()[:4096]
    assert PARSER.sniff(probe(FIXTURE, head)) is Confidence.CERTAIN
    other = b'<?xml version="1.0"?><project/>'
    assert PARSER.sniff(probe(tmp_path / "r.xml", other)) is Confidence.NO


def test_xml_times() -> None:
    day_first = parse_xml_time("14/03/2024 10:15:00")
    assert day_first is not None
    assert (day_first.status.value, day_first.earliest) == (
        "zone_unknown",
        utc(2024, 3, 13, 20, 15),
    )
    iso = parse_xml_time("2024-03-14T10:15:00+02:00")
    assert iso is not None
    assert iso.utc == utc(2024, 3, 14, 8, 15)
    assert parse_xml_time("") is None


# -- bad input ------------------------------------------------------------------------------


def test_xxe_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE xryfile [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<xryfile><images><image><views><view type="general_view"><nodes><node><properties>'
        '<property type="field_name">DEVICE_MODEL</property>'
        '<property type="field_data">&x;</property>'
        "</properties></node></nodes></view></views></image></images></xryfile>\n",
        encoding="utf-8",
    )
    with pytest.raises(HostileInput):
        _parse(path)


def test_billion_laughs_is_refused_unexpanded(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    path = tmp_path / "lol.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE xryfile [<!ENTITY l0 "lol">{entities}]>\n'
        "<xryfile>&l9;</xryfile>\n",
        encoding="utf-8",
    )
    # libxml2 stops the expansion itself before the first element reaches the DOCTYPE check,
    # so the refusal may come as a ParseError at line 1; either way nothing is read
    sink: Any = None
    with pytest.raises((HostileInput, ParseError)) as caught:
        _, sink = _parse(path)
    assert sink is None
    assert caught.value.path == "lol.xml"


def test_small_entity_document_is_hostile(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE xryfile [<!ENTITY a "lol">]>\n<xryfile>&a;</xryfile>\n',
        encoding="utf-8",
    )
    with pytest.raises(HostileInput):
        _parse(path)


def test_truncated_xml_names_line_and_column(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8-sig")
    cut = text.index('<view type="messages_view">')
    path = tmp_path / FILE
    path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        _parse(path)
    assert caught.value.path == FILE
    assert caught.value.locator is not None
    assert caught.value.locator.startswith("line=61, column=")


def test_wrong_root_is_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<project><x/></project>", encoding="utf-8")
    with pytest.raises(NotThisFormat):
        _parse(path)


def test_garbage_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "noise.xml"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(ParseError):
        _parse(path)


def test_unpaired_general_field(tmp_path: Path) -> None:
    path = tmp_path / "pairs.xml"
    path.write_text(
        '<xryfile><images><image><views><view type="general_view"><nodes><node><properties>'
        '<property type="field_name">DEVICE_MODEL</property>'
        '<property type="field_name">DEVICE_IMEI</property>'
        '<property type="field_data">867531098765437</property>'
        "</properties></node></nodes></view></views></image></images></xryfile>",
        encoding="utf-8",
    )
    ctx, sink = _parse(path)
    [device] = sink.rows("devices")
    assert (device["imei"], device["model"]) == ("867531098765437", None)
    assert [(i.code, i.value) for i in ctx.all_issues()] == [
        ("xry.general_unpaired", "DEVICE_MODEL")
    ]


SEED = FIXTURE.read_bytes()


# anything but an IngestError (a crash, a KeyError...) fails the test
test_fuzz_only_ingest_errors = flip_and_cut_fuzz(SEED, FILE, _parse)
