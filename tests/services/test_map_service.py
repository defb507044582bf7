"""The case map service and the TopoJSON basemap decoder.

The case OP-ELM holds one hand-made exhibit (ingested by the test-only json_rows parser). T is the
subscriber (+447700900001), O the other party of its calls (+447700900002). Cells:

* C1 and C2: operator cells on one mast (same position) -> one site S1;
* C3: a crowd-sourced estimate -> its own, approximate site;
* C4: listed without a position; C9: not listed -> both unplaced.

T's rows on 1 June 2026 (UTC), worked out by hand:

=====  ==========================  ======================
row    cells named                  counted on
=====  ==========================  ======================
r0     call start C1, end C1        C1 (one record)
r1     call start C1, end C2        C1 and C2
r2     call O->T (T is 'b') C3      C3
r3     call C4                      unplaced C4
r4     call C9                      unplaced C9
r5     call C1 on 2 June            outside the period
m0     SMS cell C3                  C3
d0     data start C2, end C3        C2 and C3
=====  ==========================  ======================

So C1 = 2, C2 = 2, site S1 = 3 distinct records (r0, r1, d0), C3 = 3 (r2, m0, d0). O is only
ever the other party: mapped alone, no cell counts anything.

ANPR: CAM1 and CAM2 listed; CAM3 not listed but its reads give a position; CAM4 has no position.
Reads of AB12CDE: CAM1 twice, CAM3 once, CAM4 once; of XY99ZZZ: CAM1 and CAM2 once each. For
AB12CDE: CAM1 = 2, CAM2 = 0, CAM3 = 1 (placed from its reads), CAM4 unplaced with 1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from json_rows_parser import with_json_rows

from threadline.analysis.cell_wording import CROWD_SOURCED_CAVEAT, forbidden_phrases
from threadline.errors import ConfigError, ParseError
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.ids import row_id
from threadline.services import cases, exhibits, ingest
from threadline.services.map import BasemapCache, basemap, case_map, decode_topojson
from threadline.services.workspace import Workspace
from threadline.settings import Settings
from threadline.store import audit_log

CASE = "OP-ELM"
T, OTHER = "+447700900001", "+447700900002"
C1, C2, C3, C4, C9 = (f"234-30-100-{n}" for n in (1, 2, 3, 4, 9))
SHARED_BASEMAP = (
    Path(__file__).resolve().parents[3]
    / "shared/data/reference/uk_geography/uk_geojson_martinjc/gb_topo_lad.json"
)


def _call(
    target: str, a: str, b: str, start: str | None, end: str | None, at: str
) -> dict[str, Any]:
    return {
        "direction": "outgoing" if target == "a" else "incoming",
        "target_role": target,
        "a_party": a,
        "b_party": b,
        "start_cell": start,
        "end_cell": end,
        "start_utc": at,
        "duration_s": 60,
    }


EVIDENCE: dict[str, Any] = {
    "format": "json_rows",
    "calls": [
        _call("a", T, OTHER, C1, C1, "2026-06-01T09:00:00+00:00"),
        _call("a", T, OTHER, C1, C2, "2026-06-01T10:00:00+00:00"),
        _call("b", OTHER, T, C3, None, "2026-06-01T11:00:00+00:00"),
        _call("a", T, OTHER, C4, None, "2026-06-01T14:00:00+00:00"),
        _call("a", T, OTHER, C9, None, "2026-06-01T15:00:00+00:00"),
        _call("a", T, OTHER, C1, None, "2026-06-02T09:00:00+00:00"),
    ],
    "messages": [
        {
            "direction": "outgoing",
            "message_type": "sms",
            "target_role": "a",
            "a_party": T,
            "b_party": OTHER,
            "cell": C3,
            "sent_utc": "2026-06-01T12:00:00+00:00",
        }
    ],
    "data_sessions": [
        {"party": T, "start_cell": C2, "end_cell": C3, "start_utc": "2026-06-01T13:00:00+00:00"}
    ],
    "cell_sites": [
        {
            "cell_id": C1,
            "mcc": "234",
            "mnc": "30",
            "site_name": "Quay Mast",
            "address": "1 Quay Street",
            "postcode": "EX1 1AA",
            "latitude": 51.5,
            "longitude": -0.1,
            "position_basis": "operator",
        },
        {
            "cell_id": C2,
            "mcc": "234",
            "mnc": "30",
            "site_name": "Quay Mast",
            "latitude": 51.5,
            "longitude": -0.1,
            "position_basis": "operator",
        },
        {
            "cell_id": C3,
            "latitude": 51.6,
            "longitude": -0.2,
            "position_basis": "crowd-sourced-approximate",
        },
        {"cell_id": C4, "site_name": "Hill Farm", "position_basis": "operator"},
    ],
    "anpr_cameras": [
        {
            "camera_id": "CAM1",
            "site_name": "A1 North",
            "road": "A1",
            "latitude": 51.45,
            "longitude": -0.05,
        },
        {
            "camera_id": "CAM2",
            "site_name": "A1 South",
            "road": "A1",
            "latitude": 51.46,
            "longitude": -0.06,
        },
    ],
    "anpr_reads": [
        {"vrm": "AB12CDE", "camera_id": "CAM1", "read_utc": "2026-06-01T09:00:00+00:00"},
        {"vrm": "AB12CDE", "camera_id": "CAM1", "read_utc": "2026-06-01T09:30:00+00:00"},
        {
            "vrm": "AB12CDE",
            "camera_id": "CAM3",
            "read_utc": "2026-06-01T10:00:00+00:00",
            "latitude": 51.47,
            "longitude": -0.07,
            "camera_name": "Lay-by",
        },
        {"vrm": "AB12CDE", "camera_id": "CAM4", "read_utc": "2026-06-01T11:00:00+00:00"},
        {"vrm": "XY99ZZZ", "camera_id": "CAM1", "read_utc": "2026-06-01T09:10:00+00:00"},
        {"vrm": "XY99ZZZ", "camera_id": "CAM2", "read_utc": "2026-06-01T09:20:00+00:00"},
    ],
}

START, END = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)


@pytest.fixture
def elm(workspace: Workspace, tmp_path: Path) -> tuple[Workspace, str]:
    """OP-ELM with its one exhibit ingested; and the exhibit's id."""
    ws = with_json_rows(workspace)
    cases.create_case(ws, CASE, "Operation Elm")
    source = tmp_path / "elm.json"
    source.write_text(json.dumps(EVIDENCE), encoding="utf-8")
    info = exhibits.add_exhibit(
        ws, CASE, "EX/1", source, producer="DC Test", description="hand-made rows"
    )
    ingest.ingest_exhibit(ws, CASE, "EX/1", parser="json_rows")
    return ws, info.id


def _row(exhibit: str, table: str, index: int) -> str:
    return row_id(exhibit, f"$.{table}[{index}]")


def test_cell_counts_per_cell_and_site_on_the_subscribers_own_cells(
    elm: tuple[Workspace, str],
) -> None:
    ws, exhibit = elm
    drawn = case_map(ws, CASE, numbers=["07700 900001"], since=START, until=END)
    assert drawn.numbers == (T,)
    by_key = {s.site_key: s for s in drawn.sites}
    assert set(by_key) == {"position:5150000,-10000", C3}
    mast = by_key["position:5150000,-10000"]
    assert mast.records == 3
    assert [(c["cell"], c["records"]) for c in mast.cells] == [(C1, 2), (C2, 2)]
    assert (mast.position_basis, mast.approximate) == ("operator", False)
    assert (mast.site_name, mast.address) == ("Quay Mast", "1 Quay Street, EX1 1AA")
    assert mast.by_subject == {T: 3}
    call = "calls"
    assert [r.row_id for r in mast.rows] == [
        _row(exhibit, call, 0),
        _row(exhibit, call, 1),
        _row(exhibit, "data_sessions", 0),
    ]
    assert mast.rows[0].phases == ("start", "end")  # one record, both its cells on C1
    crowd = by_key[C3]
    assert (crowd.records, crowd.approximate) == (3, True)
    assert {r.row_id for r in crowd.rows} == {
        _row(exhibit, call, 2),
        _row(exhibit, "messages", 0),
        _row(exhibit, "data_sessions", 0),
    }
    assert [r.kind for r in crowd.rows] == ["call", "sms", "data"]
    assert drawn.sites[0].records == 3
    assert [(c["cell"], c["records"]) for c in drawn.unplaced_cells] == [(C4, 1), (C9, 1)]
    assert drawn.caveats[-1] == CROWD_SOURCED_CAVEAT  # a crowd-sourced site is on the map
    assert not forbidden_phrases(json.dumps(drawn.to_dict()))


def test_without_a_period_every_record_counts(elm: tuple[Workspace, str]) -> None:
    ws, _ = elm
    drawn = case_map(ws, CASE, numbers=[T])
    assert {s.site_key: s.records for s in drawn.sites}["position:5150000,-10000"] == 4


def test_the_other_party_of_a_call_is_never_placed(elm: tuple[Workspace, str]) -> None:
    ws, _ = elm
    drawn = case_map(ws, CASE, numbers=[OTHER])
    assert [s.records for s in drawn.sites] == [0, 0]
    assert drawn.unplaced_cells == ()
    assert drawn.row_ids == []


def test_anpr_reads_counted_per_camera(elm: tuple[Workspace, str]) -> None:
    ws, exhibit = elm
    drawn = case_map(ws, CASE, vrms=["ab12 cde"])
    cameras = {c.camera_id: c for c in drawn.cameras}
    assert {k: c.reads for k, c in cameras.items()} == {"CAM1": 2, "CAM2": 0, "CAM3": 1}
    assert (cameras["CAM1"].position_source, cameras["CAM1"].road) == ("camera list", "A1")
    assert (cameras["CAM3"].position_source, cameras["CAM3"].latitude) == ("reads", 51.47)
    assert [r.row_id for r in cameras["CAM1"].rows] == [
        _row(exhibit, "anpr_reads", 0),
        _row(exhibit, "anpr_reads", 1),
    ]
    assert drawn.unplaced_cameras == ({"camera_id": "CAM4", "reads": 1},)
    assert [s.records for s in drawn.sites] == [0, 0]  # no numbers chosen


def test_the_map_is_logged_as_a_consultation_without_the_values(
    elm: tuple[Workspace, str],
) -> None:
    ws, _ = elm
    drawn = case_map(ws, CASE, numbers=[T], vrms=["AB12CDE"], since=START, until=END)
    with ws.session() as session:
        last = list(audit_log.entries(session))[-1]
    assert (last.operation, last.action) == ("consultation", "map.view")
    assert last.detail["numbers"] == [entity_id(EntityKind.NUMBER, T)]
    assert last.detail["vehicles"] == [entity_id(EntityKind.VEHICLE, "AB12CDE")]
    assert last.detail["row_ids"] == drawn.row_ids
    # r0, r1, r2, m0, d0 on placed sites (d0 on both), and the 3 reads at placed cameras
    assert len(drawn.row_ids) == 5 + 3
    assert T not in json.dumps(last.detail)


def test_bad_subjects_and_periods_are_refused(elm: tuple[Workspace, str]) -> None:
    ws, _ = elm
    with pytest.raises(ConfigError, match="telephone number"):
        case_map(ws, CASE, numbers=["not a number"])
    with pytest.raises(ConfigError, match="end after it starts"):
        case_map(ws, CASE, since=END, until=START)
    with pytest.raises(ConfigError, match="offset"):
        case_map(ws, CASE, since=datetime(2026, 6, 1))


# --- the TopoJSON decoder --------------------------------------------------------------------

#: Two quantised arcs (scale 0.5 x 0.25, translate -1, 50). Arc 0 decodes to (-1,50) (0,50)
#: (0,51); arc 1 to (0,51) (-1,51) (-1,50). Ring [0, 1] joins them dropping arc 1's first
#: position; ring [~1, ~0] = [-2, -1] is both reversed.
TINY: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [-1, 50]},
    "arcs": [[[0, 0], [2, 0], [0, 4]], [[2, 4], [-2, 0], [0, -4]]],
    "objects": {
        "areas": {
            "type": "GeometryCollection",
            "geometries": [
                {
                    "type": "Polygon",
                    "arcs": [[0, 1]],
                    "properties": {"LAD13CD": "X1", "LAD13NM": "Square"},
                },
                {"type": "MultiPolygon", "arcs": [[[-2, -1]]], "id": "X2"},
                {"type": "Point", "coordinates": [0, 0]},
            ],
        }
    },
}


def test_decoder_reads_quantised_delta_arcs_and_reversed_arcs() -> None:
    decoded = decode_topojson(TINY)
    assert [(o.code, o.name) for o in decoded.outlines] == [("X1", "Square"), ("X2", None)]
    assert decoded.outlines[0].rings == (((-1, 50), (0, 50), (0, 51), (-1, 51), (-1, 50)),)
    assert decoded.outlines[1].rings == (((-1, 50), (-1, 51), (0, 51), (0, 50), (-1, 50)),)
    assert decoded.bounds == (-1, 50, 0, 51)


def test_decoder_simplifies_and_keeps_arc_ends() -> None:
    plain = {
        "type": "Topology",
        "arcs": [[[0, 0], [1, 0.001], [2, 0], [2, 2], [0, 2], [0, 0]]],
        "objects": {"a": {"type": "Polygon", "arcs": [[0]]}},
    }
    decoded = decode_topojson(plain, tolerance=0.01)
    assert decoded.outlines[0].rings == (((0, 0), (2, 0), (2, 2), (0, 2), (0, 0)),)


@pytest.mark.parametrize(
    ("bad", "place"),
    [
        ({"type": "FeatureCollection"}, "t.json, \\$"),
        ({**TINY, "arcs": [[[0, 0], ["x", 1]]]}, r"\$.arcs\[0\]\[1\]\[0\]"),
        (
            {**TINY, "objects": {"a": {"type": "Polygon", "arcs": [[5]]}}},
            r"\$.objects.a.geometries\[0\].arcs\[0\]\[0\]\[0\]",
        ),
    ],
)
def test_decoder_refuses_bad_topologies_naming_the_place(bad: dict[str, Any], place: str) -> None:
    with pytest.raises(ParseError, match=place):
        decode_topojson(bad, source="t.json")


def test_no_basemap_configured(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, basemap_path=None)
    assert basemap(settings) is None
    assert BasemapCache().get(settings)["available"] is False


def test_a_broken_basemap_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ParseError, match=r"broken\.json"):
        BasemapCache().get(Settings(home=tmp_path, basemap_path=broken))


@pytest.mark.skipif(not SHARED_BASEMAP.is_file(), reason="shared reference data not present")
def test_the_shared_gb_districts_decode_once_per_cache(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, basemap_path=SHARED_BASEMAP)
    cache = BasemapCache()
    first = cache.get(settings)
    assert cache.get(settings) is first  # decoded once, kept
    assert len(first["outlines"]) == 380  # formats.md: 380 LADs
    hartlepool = next(o for o in first["outlines"] if o["code"] == "E06000001")
    assert hartlepool["name"] == "Hartlepool"
    west, south, east, north = first["bounds"]
    # GB from the Scillies and St Kilda (8.6 W, 49.9 N) to Shetland (1.8 E, 60.9 N)
    assert (round(west), round(south), round(east), round(north)) == (-9, 50, 2, 61)
    # Hartlepool (about 54.7 N, 1.2 W) lies inside its own outline's box
    xs = [x for ring in hartlepool["rings"] for x, _ in ring]
    ys = [y for ring in hartlepool["rings"] for _, y in ring]
    assert min(xs) < -1.2 < max(xs)
    assert min(ys) < 54.68 < max(ys)
    assert "CC BY 4.0" in first["attribution"]
    assert "Crown copyright" in first["attribution"]
