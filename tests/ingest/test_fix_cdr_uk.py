"""Review fixes in the UK network CDR parser and its mapping files.

Malformed records are kept in full in ``source_rows`` (the issue shows only their start, and past
1,000 issues they are only counted); a ``--mapping`` that is missing or a folder is a
configuration error; mapping-file mistakes (not UTF-8, unknown encoding, a time format DuckDB
cannot read or one carrying its own offset, an unusable delimiter) are configuration errors
naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from collect_sink import Parsed
from test_cdr_bad_input import HEADER_A, row_a, row_c, write, write_xlsx

from threadline.errors import ConfigError
from threadline.ingest.context import ISSUES_KEPT_PER_CODE
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.parser import CdrUkParser
from threadline.ingest.parsers.cdr_uk.profile import load_profile_file

MALFORMED = "(malformed record)"


def hand_row_id(exhibit_id: str, locator: str) -> str:
    """A row id worked out by hand: SHA-256 of length-prefixed 'row', exhibit and locator."""
    material = f"3:row{len(exhibit_id)}:{exhibit_id}{len(locator)}:{locator}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def malformed_rows(result: Parsed) -> dict[str, dict[str, str]]:
    """source_rows holding a malformed record, by locator."""
    out = {}
    for row in result.rows("source_rows"):
        raw = json.loads(row["raw"])
        if MALFORMED in raw:
            out[row["locator"]] = row
    return out


# ---------------------------------------------------------------------------------------------
# malformed records in source_rows


def test_long_malformed_record_is_kept_whole(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    long = "MOC,447700900123," + "é" * 5000  # 3 columns, 5,017 characters
    text = "\n".join([HEADER_A, row_a(), long, row_a()]) + "\n"
    result = parse_file(write(tmp_path, "long.csv", text))

    (issue,) = result.issues_with("row.malformed")
    assert (issue.severity, issue.locator) == (Severity.ERROR, "row=3")
    assert issue.value == long[:2000]
    assert issue.message == (
        "the record does not have the 11 columns of the header; it is not ingested and its "
        "full text is kept in the source rows"
    )
    assert result.counts == {"calls": 2, "source_rows": 3}
    row = result.row("source_rows", "row=3")
    assert row["row_id"] == hand_row_id("e1", "row=3")
    assert row["exhibit_id"] == "e1"
    assert row["parser"] == "cdr_uk@1.0.0"
    assert row["raw"] == '{"(malformed record)": "MOC,447700900123,' + "é" * 5000 + '"}'
    assert json.loads(row["raw"]) == {MALFORMED: long}
    # the good rows keep their own ids, distinct from the malformed one
    assert result.row("source_rows", "row=2")["row_id"] == hand_row_id("e1", "row=2")


def test_every_malformed_record_is_kept_past_the_issue_limit(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    bad_count = ISSUES_KEPT_PER_CODE + 205
    lines = [HEADER_A, row_a()]  # row 2 is good
    lines += [f"MOC,{n}" for n in range(bad_count)]  # rows 3 .. 1207
    lines.append(row_a(kind="MTC"))  # row 1208
    result = parse_file(write(tmp_path, "many.csv", "\n".join(lines) + "\n"))

    issues = result.issues_with("row.malformed")
    listed = [i for i in issues if i.locator is not None]
    assert len(listed) == 1000
    (summary,) = [i for i in issues if i.locator is None]
    assert summary.count == 205
    kept = malformed_rows(result)
    assert len(kept) == 1205
    for n in range(bad_count):
        locator = f"row={n + 3}"
        assert json.loads(kept[locator]["raw"]) == {MALFORMED: f"MOC,{n}"}
        assert kept[locator]["row_id"] == hand_row_id("e1", locator)
    assert result.counts == {"calls": 2, "source_rows": 1207}
    assert result.locators("calls") == ["row=2", "row=1208"]


def test_malformed_records_across_chunks_are_all_kept(
    parse_file: Callable[..., Parsed], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threadline.ingest.tabular as tabular

    monkeypatch.setattr(tabular, "CSV_BLOCK_BYTES", 4096)  # many blocks, read ahead
    lines = [HEADER_A]
    for i in range(400):
        lines.append(row_a())  # even rows from 2
        lines.append(f"BAD,{i}")  # odd rows from 3
    result = parse_file(write(tmp_path, "blocks.csv", "\n".join(lines) + "\n"))
    kept = malformed_rows(result)
    assert sorted(kept, key=lambda loc: int(loc[4:])) == [f"row={2 * i + 3}" for i in range(400)]
    assert json.loads(kept["row=801"]["raw"]) == {MALFORMED: "BAD,399"}
    assert result.counts == {"calls": 400, "source_rows": 800}


def test_xlsx_row_wider_than_the_header_is_kept_raw(
    parse_file: Callable[..., Parsed], tmp_path: Path
) -> None:
    wide = [*row_c(), "note A", "note B"]
    result = parse_file(write_xlsx(tmp_path / "wide.xlsx", [row_c(), wide]))
    row = result.row("source_rows", "row=6")
    assert json.loads(row["raw"]) == {
        MALFORMED: "Call Originating,+447700900123,+447700900456,,01/06/2026,09:15:02,0:02:05,"
        "35456789012345,001010123456789,234-20-5001-123456789,,note A,note B"
    }
    assert row["row_id"] == hand_row_id("e1", "row=6")


def test_blank_line_is_not_a_source_row(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    text = "\n".join([HEADER_A, row_a(), "", row_a()]) + "\n"
    result = parse_file(write(tmp_path, "blank.csv", text))
    assert malformed_rows(result) == {}
    assert result.locators("source_rows") == ["row=2", "row=4"]


# ---------------------------------------------------------------------------------------------
# --mapping that is not a file


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_mapping_that_is_not_a_file_is_a_config_error(
    parse_file: Callable[..., Parsed], tmp_path: Path, kind: str
) -> None:
    mapping = tmp_path / "my-network.yaml"
    if kind == "folder":
        mapping.mkdir()
    path = write(tmp_path, "a.csv", f"{HEADER_A}\n{row_a()}\n")
    with pytest.raises(ConfigError) as caught:
        parse_file(path, mapping=mapping)
    assert str(caught.value).startswith(f"{mapping}: the mapping file does not exist or is not")


# ---------------------------------------------------------------------------------------------
# mapping-file mistakes

MAPPING = """\
name: network-e
title: "Network E"
time_basis: utc
{extra}
columns:
  record_type: Type
  a_party: Caller
  b_party: Callee
  start: When
formats:
  start: "{start}"
record_types:
  - {{match: CALL-OUT, table: calls, direction: outgoing}}
"""


def mapping_file(tmp_path: Path, *, extra: str = "", start: str = "%d/%m/%Y %H:%M") -> Path:
    path = tmp_path / "network-e.yaml"
    path.write_text(MAPPING.format(extra=extra, start=start), "utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_profile_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_mapping_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "network-e.yaml"
    path.write_bytes(b'name: network-e\ntitle: "Caf\xe9"\n')  # cp1252 e-acute
    assert refusal(path) == (
        f"{path}: the mapping file is not UTF-8 text (byte 27): save it as UTF-8"
    )


@pytest.mark.parametrize("encoding", ["klingon", "base64", "rot13"])
def test_unknown_encoding(tmp_path: Path, encoding: str) -> None:
    message = refusal(mapping_file(tmp_path, extra=f"encoding: {encoding}"))
    assert f"invalid mapping: encoding: Value error, '{encoding}' is not a text encoding" in message


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8-SIG", "cp1252", "latin_1", "utf-16"])
def test_known_encodings_are_accepted(tmp_path: Path, encoding: str) -> None:
    assert load_profile_file(mapping_file(tmp_path, extra=f"encoding: {encoding}")).encoding == (
        encoding
    )


def test_time_format_duckdb_cannot_read(tmp_path: Path) -> None:
    message = refusal(mapping_file(tmp_path, start="%d/%m/%Y %Q"))
    assert "invalid mapping: formats.start: Value error, '%d/%m/%Y %Q' is not a strptime " in (
        message
    )


def test_end_format_is_checked_too(tmp_path: Path) -> None:
    path = mapping_file(tmp_path)
    text = path.read_text("utf-8").replace("  start: When\n", "  start: When\n  end: Until\n")
    text = text.replace(
        'formats:\n  start: "%d/%m/%Y %H:%M"\n',
        'formats:\n  start: "%d/%m/%Y %H:%M"\n  end: "%H:%M %"\n',
    )
    path.write_text(text, "utf-8")
    assert "formats.end: Value error, '%H:%M %' is not a strptime format" in refusal(path)


@pytest.mark.parametrize("directive", ["%z", "%Z"])
def test_time_format_with_its_own_offset_is_refused(tmp_path: Path, directive: str) -> None:
    fmt = f"%Y-%m-%d %H:%M:%S{directive}"
    message = refusal(mapping_file(tmp_path, start=fmt))
    assert f"formats.start: Value error, '{fmt}' reads a UTC offset or zone name" in message
    assert "declare it as the time basis instead" in message


def test_literal_percent_z_is_not_an_offset(tmp_path: Path) -> None:
    profile = load_profile_file(mapping_file(tmp_path, start="%Y-%m-%d%%z"))
    assert profile.formats.start == "%Y-%m-%d%%z"


@pytest.mark.parametrize("delimiter", ["a", "Z", "7", '"', "'", "é"])
def test_delimiter_may_not_be_a_letter_digit_or_quote(tmp_path: Path, delimiter: str) -> None:
    quoted = json.dumps(delimiter)  # YAML reads a JSON string
    message = refusal(mapping_file(tmp_path, extra=f"delimiter: {quoted}"))
    assert f"invalid mapping: delimiter: Value error, {delimiter!r} cannot be a delimiter" in (
        message
    )


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_usual_delimiters_are_accepted(tmp_path: Path, delimiter: str) -> None:
    quoted = json.dumps(delimiter)
    profile = load_profile_file(mapping_file(tmp_path, extra=f"delimiter: {quoted}"))
    assert profile.delimiter == delimiter


def test_valid_mapping_still_parses(parse_file: Callable[..., Parsed], tmp_path: Path) -> None:
    mapping = mapping_file(tmp_path, extra='delimiter: ";"')
    path = write(tmp_path, "e.csv", "Type;Caller;Callee;When\nCALL-OUT;07700900123;07700900456;"
                 "01/07/2026 09:05\n")  # fmt: skip
    result = parse_file(path, mapping=mapping)
    assert result.counts == {"calls": 1, "source_rows": 1}
    assert result.rows("calls")[0]["start_original"] == "01/07/2026 09:05"
    assert CdrUkParser.info.ref == "cdr_uk@1.0.0"
