"""ANPR mapping profiles: the shipped ones load, a user's file is checked strictly when loaded
(every mistake named with the file and the key), and the documentation covers every key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from threadline.errors import ConfigError
from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.parsers.anpr.directions import COMPASS, direction_key
from threadline.ingest.parsers.anpr.parser import AnprParser
from threadline.ingest.parsers.anpr.profile import (
    AnprProfile,
    builtin_profile,
    builtin_profiles,
    load_profile_file,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "anpr"
DOC = ROOT / "docs" / "parsers" / "anpr.md"

GOOD = """\
name: my-layout
title: A layout of my own
columns:
  vrm: Plate
  read: When
  camera_id: Camera
formats:
  read: "%Y-%m-%d %H:%M:%S"
"""


def mapping(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_shipped_profiles() -> None:
    profiles = {p.name: p for p in builtin_profiles()}
    assert sorted(profiles) == ["back-office-a", "nas-style"]
    # the NAS zone is not known from the layout: it is declared for each file
    assert profiles["nas-style"].time_basis is None
    assert profiles["back-office-a"].time_basis == "europe-london"
    assert builtin_profile("back-office-a").columns["read_date"] == "Date (UK local)"


def test_unknown_profile_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        builtin_profile("nas")
    assert "back-office-a, nas-style" in str(caught.value)


def test_a_minimal_mapping_loads(tmp_path: Path) -> None:
    profile = load_profile_file(mapping(tmp_path, GOOD))
    assert (profile.name, profile.format, profile.delimiter, profile.time_basis) == (
        "my-layout",
        "csv",
        ",",
        None,
    )
    assert profile.mapped_headers == ["Plate", "When", "Camera"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (GOOD + "colour: red\n", "colour"),
        (GOOD.replace('"%Y-%m-%d %H:%M:%S"', '"%Y-%Q"'), "formats.read"),
        (GOOD.replace('"%Y-%m-%d %H:%M:%S"', '"%Y-%m-%d %H:%M:%S %z"'), "formats.read"),
        (GOOD + "time_basis: GMT\n", "time_basis"),
        (GOOD + "time_basis: Mars/Olympus\n", "time_basis"),
        (GOOD + "encoding: base64\n", "encoding"),
        (GOOD + 'delimiter: "a"\n', "delimiter"),
        (GOOD.replace("  vrm: Plate\n", ""), "columns must map vrm"),
        (GOOD.replace("  camera_id: Camera\n", ""), "columns must map camera_id"),
        (GOOD.replace("  read: When\n", "  read_date: Day\n"), "read_date and read_time"),
        (GOOD.replace("columns:\n", "columns:\n  read_date: Day\n"), "not both"),
        (GOOD.replace("columns:\n", "columns:\n  latitude: Lat\n"), "latitude and longitude"),
        (GOOD.replace("columns:\n", "columns:\n  speed: Speed\n"), "columns.speed"),
        (GOOD + "directions:\n  Up: north\n", "directions.Up"),
        (GOOD + "directions:\n  N B: N\n  nb: S\n", "the same value"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, change: str, key: str) -> None:
    path = mapping(tmp_path, change)
    with pytest.raises(ConfigError) as caught:
        load_profile_file(path)
    assert str(path) in str(caught.value)
    assert key in str(caught.value)


def test_unreadable_mapping_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_profile_file(latin)
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile_file(mapping(tmp_path, "name: [unclosed\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_profile_file(tmp_path / "absent.yaml")


def test_a_missing_mapping_file_is_refused_at_parse(tmp_path: Path) -> None:
    from collect_sink import CollectSink

    ctx = ParseContext(
        exhibit=ExhibitFacts(exhibit_id="e1", reference="JB/1"),
        parser_ref=AnprParser.info.ref,
        options=IngestOptions(mapping=tmp_path / "absent.yaml"),
        sink=CollectSink(),
    )
    with pytest.raises(ConfigError, match=r"absent\.yaml"):
        AnprParser().parse(FIXTURES / "nas-style.csv", ctx)
    assert ctx.row_counts == {}


def test_layout_directions_extend_the_compass() -> None:
    table = builtin_profile("back-office-a").direction_table()
    assert (table["IN"], table["OUT"], table["NORTHBOUND"], table["SW"]) == (
        "towards",
        "away",
        "N",
        "SW",
    )
    assert direction_key(" north-east  bound ") == "NORTHEASTBOUND"
    assert COMPASS["NORTHEASTBOUND"] == "NE"
    assert COMPASS["SOUTHWEST"] == "SW"
    assert len(set(COMPASS.values())) == 8


# ---------------------------------------------------------------------------------------------
# documentation kept in step with the code


def test_every_mapping_key_and_field_is_documented() -> None:
    doc = DOC.read_text("utf-8")
    for key in AnprProfile.model_fields:
        assert f"`{key}`" in doc, f"mapping key {key} is not documented in {DOC.name}"
    annotation: Any = AnprProfile.model_fields["columns"].annotation
    for field in annotation.__args__[0].__args__:
        assert f"`{field}`" in doc, f"canonical field {field} is not documented"
    for profile in builtin_profiles():
        assert f"`{profile.name}`" in doc
