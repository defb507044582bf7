"""Convoys over a hand-made set of ANPR reads; every occasion, rate and score is worked out below.

Marks are fictional (memory tags T and U, tests/fixtures/anpr/README.md); cameras are invented.
All times UTC; the reads are on Monday 1 and Tuesday 2 June 2026. Defaults: window 60 s, at
least 3 cameras, 1 day, same direction.

The model: a camera's rate r = n / T (n its reads with an exact time, of any mark; T from its
first read to its last, at least 1 h); x = r * 2 * window; p = 1 - e^-x; weight w = -ln p; a
pair's score is the sum of w over the distinct cameras where it was read together.

Cameras, traffic and weights (window 60 s, so 2 * window = 120 s = 1/30 h):

* QA1, QA2, QA3 (quiet; QA1-QA3 in the camera list "c1", QA4 not): background reads at 08:00:00
  and 18:00:00, and the convoy's two: n = 4, T = 10 h, r = 0.4 an hour, x = 0.4 / 30 =
  0.0133333, p = 0.0132448, w = 4.3241474. QA4 the same (a background pair, TN24 HXR and the
  misread mark).
* QB1, QB2, QB3 (quiet): background 08:00, 13:00, 18:00 and the Z pair: n = 5, T = 10 h,
  r = 0.5, x = 0.0166667, p = 0.0165285, w = 4.1026663.
* MB1-MB4 (a motorway, busy): background every 30 s from 08:00:00 to 09:00:00 (121 reads) and
  the Y pair: n = 123, T = 1 h, r = 123, x = 4.1, p = 0.9834273, w = 0.0167115.
* QC1, QC2, QC3: only the E pair's two reads, 60 or 61 s apart: T floored to 1 h, r = 2,
  x = 0.0666667, p = 0.0644930, w = 2.7411984. With a 61 s window: x = 2 * 122 / 3600 =
  0.0677778, w = 2.7252184.

Pairs:

* X: TN24 HXR and UA74 ROV, a convoy at quiet cameras, direction N. QA1: 09:00:00 / 09:00:20
  (gap 20, the same 60 s slot). QA2: UA74 ROV first at 09:09:50 with no direction (pairs with
  either), TN24 HXR 09:10:20 (gap 30, adjacent slots, the higher mark ahead). QA3: 09:24:50 /
  09:25:35 (gap 45, adjacent slots). QA4: TN24 HXR 09:40:00 and UA74 R0V (zero for O: a misread)
  09:40:10: another mark, never matched to UA74 ROV, so X has 3 cameras, not 4. The rows are
  given newest first. Score 3 * 4.3241474 = 12.9724421; exp(12.9724) = 4.3 x 10^5.
* Y: TB25 MWY and UB25 MWY, together at the four busy cameras, direction S: MB1 08:10:05 /
  08:10:15, MB2 08:20:05 / 08:20:25, MB3 08:30:05 / 08:30:35, MB4 08:40:05 / 08:40:45. More
  cameras than X, yet score 4 * 0.0167115 = 0.0668462.
* Z: TC23 DRV and UC23 DRV: QB1 11:00:00 / 11:00:30 E/E, QB2 11:15:00 / 11:15:40 E/E, QB3
  11:30:00 E / 11:30:10 W (opposite ways). Same direction: 2 cameras, below the default 3;
  with min_cameras 2, score 2 * 4.1026663 = 8.2053326; ignoring direction, 3 cameras,
  12.3079990.
* E (the window's edge): TD24 EDG and UD24 EDG. QC1 1 June 12:00:00 / 12:01:00 (gap 60 =
  window: included). QC2 2 June UD24 EDG 12:00:30 / TD24 EDG 12:01:30 (gap 60, adjacent slots:
  included). QC3 2 June 13:00:00 / 13:01:01 (gap 61 = window + 1: excluded). So 2 cameras on
  2 days, score 2 * 2.7411984 = 5.4823967; with a 61 s window 3 cameras, 3 * 2.7252184 =
  8.1756552.

Background marks (T-tagged, one per read) pair with Y's reads and each other at one camera only.

Expected, defaults: X 12.9724, Y 0.0668. min_cameras 2: X, Z 8.2053, E 5.4824, Y. min_cameras
4: Y only. min_cameras 2 and min_days 2: E only. until 2 June 00:00 with min_cameras 2: X, Z, Y
(E keeps 1 camera; rates are from the whole evidence, so the scores do not change).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from anpr_rows import anpr_camera, anpr_read
from evidence_factory import make_evidence, utc
from pydantic import ValidationError

from threadline.analysis.convoys import CONVOY_CAVEATS, Convoys, ConvoysParameters
from threadline.model.finding import Finding

X1, X2, MISREAD = "TN24HXR", "UA74ROV", "UA74R0V"
Y1, Y2 = "TB25MWY", "UB25MWY"
Z1, Z2 = "TC23DRV", "UC23DRV"
E1, E2 = "TD24EDG", "UD24EDG"
DAY1, DAY2 = "2026-06-01", "2026-06-02"


def _weight(reads: int, span_hours: float, window: float = 60) -> float:
    """The hand formula of the docstring, independent of the analysis's SQL."""
    x = reads / (span_hours * 3600) * 2 * window
    return -math.log(1 - math.exp(-x))


W_QA, W_QB, W_MB, W_QC = 4.3241474, 4.1026663, 0.0167115, 2.7411984
W_QC_61 = 2.7252184


class _Rows:
    """Row numbers in one exhibit ("r1"), in the order rows are added."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, mark: str, camera: str, at: str, direction: str | None = None) -> str:
        row = anpr_read("r1", len(self.rows) + 2, mark, camera, at, direction)
        self.rows.append(row)
        return str(row["row_id"])


def _background_mark(i: int) -> str:
    # TW + two digits + three letters: current format, memory tag T (fictional), unique per i
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    return f"TW{10 + i // len(letters) ** 2}{letters[i // len(letters) % len(letters)]}" + (
        f"{letters[i % len(letters)]}X"
    )


def _build() -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    rows = _Rows()
    ids: dict[str, list[str]] = {"X": [], "Y": [], "Z": [], "E": [], "misread": []}
    convoy = [  # X, listed newest first ("reads in the wrong time order")
        ("misread", MISREAD, "QA4", "09:40:10", "N"),
        ("misread", X1, "QA4", "09:40:00", "N"),
        ("X", X2, "QA3", "09:25:35", "N"),
        ("X", X1, "QA3", "09:24:50", "N"),
        ("X", X1, "QA2", "09:10:20", "N"),
        ("X", X2, "QA2", "09:09:50", None),
        ("X", X2, "QA1", "09:00:20", "N"),
        ("X", X1, "QA1", "09:00:00", "N"),
    ]
    for key, mark, camera, at, direction in convoy:
        ids[key].append(rows.add(mark, camera, f"{DAY1} {at}", direction))
    for camera, start, end in (("MB1", 10, 15), ("MB2", 20, 25), ("MB3", 30, 35), ("MB4", 40, 45)):
        ids["Y"].append(rows.add(Y1, camera, f"{DAY1} 08:{start}:05", "S"))
        ids["Y"].append(rows.add(Y2, camera, f"{DAY1} 08:{end - 5}:{end}", "S"))
    for camera, at1, at2, d2 in (
        ("QB1", "11:00:00", "11:00:30", "E"),
        ("QB2", "11:15:00", "11:15:40", "E"),
        ("QB3", "11:30:00", "11:30:10", "W"),
    ):
        ids["Z"].append(rows.add(Z1, camera, f"{DAY1} {at1}", "E"))
        ids["Z"].append(rows.add(Z2, camera, f"{DAY1} {at2}", d2))
    ids["E"].append(rows.add(E1, "QC1", f"{DAY1} 12:00:00"))
    ids["E"].append(rows.add(E2, "QC1", f"{DAY1} 12:01:00"))
    ids["E"].append(rows.add(E2, "QC2", f"{DAY2} 12:00:30"))
    ids["E"].append(rows.add(E1, "QC2", f"{DAY2} 12:01:30"))
    ids["E_out"] = [
        rows.add(E1, "QC3", f"{DAY2} 13:00:00"),
        rows.add(E2, "QC3", f"{DAY2} 13:01:01"),
    ]
    background = 0
    for camera, times in [
        *((c, ("08:00:00", "18:00:00")) for c in ("QA1", "QA2", "QA3", "QA4")),
        *((c, ("08:00:00", "13:00:00", "18:00:00")) for c in ("QB1", "QB2", "QB3")),
        *(
            (c, tuple(f"{8 + s // 120:02d}:{s // 2 % 60:02d}:{s % 2 * 30:02d}" for s in range(121)))
            for c in ("MB1", "MB2", "MB3", "MB4")
        ),
    ]:
        for at in times:
            rows.add(_background_mark(background), camera, f"{DAY1} {at}")
            background += 1
    return rows.rows, ids


READS, IDS = _build()
CAMERAS = [
    anpr_camera("c1", 2, "QA1", "Mill Lane", "B9001", 52.61, -1.92),
    anpr_camera("c1", 3, "QA2", "Church Street, Hollowmere", "B9001", 52.62, -1.93),
    anpr_camera("c1", 4, "QA3", "Hollowmere Road", "B9002", 52.63, -1.94),
    anpr_camera("c1", 5, "MB1", "M99 J1", "M99", 52.70, -1.80),
]


def run(**parameters: Any) -> list[Finding]:
    evidence = make_evidence({"anpr_reads": READS, "anpr_cameras": CAMERAS})
    return Convoys().run(evidence, ConvoysParameters(**parameters))


def by_pair(findings: list[Finding]) -> dict[tuple[str, ...], Finding]:
    return {f.subjects: f for f in findings}


def test_the_hand_formula_gives_the_docstring_figures() -> None:
    """The constants the tests use are the docstring's, from its formula."""
    assert _weight(4, 10) == pytest.approx(W_QA, abs=1e-7)
    assert _weight(5, 10) == pytest.approx(W_QB, abs=1e-7)
    assert _weight(123, 1) == pytest.approx(W_MB, abs=1e-7)
    assert _weight(2, 1) == pytest.approx(W_QC, abs=1e-7)
    assert _weight(2, 1, 61) == pytest.approx(W_QC_61, abs=1e-7)
    assert len(READS) == 8 + 8 + 6 + 6 + 4 * 2 + 3 * 3 + 4 * 121


def test_a_convoy_at_quiet_cameras_outscores_a_pair_on_busy_roads() -> None:
    x, y = run()
    assert (x.kind, x.subjects, y.subjects) == ("convoy", (X1, X2), (Y1, Y2))
    assert x.score == pytest.approx(round(3 * W_QA, 4))  # 12.9724
    assert y.score == pytest.approx(round(4 * W_MB, 4))  # 0.0668
    assert (x.detail["cameras"], y.detail["cameras"]) == (3, 4)
    quiet = {c["camera_id"]: c for c in x.detail["camera_list"]}
    busy = {c["camera_id"]: c for c in y.detail["camera_list"]}
    assert (quiet["QA1"]["reads"], quiet["QA1"]["span_hours"]) == (4, 10.0)
    assert quiet["QA1"]["reads_per_hour"] == pytest.approx(0.4)
    assert quiet["QA1"]["p_coincidence"] == pytest.approx(0.0132448, abs=1e-7)
    assert quiet["QA1"]["weight"] == pytest.approx(round(W_QA, 4))
    assert (busy["MB3"]["reads"], busy["MB3"]["span_hours"]) == (123, 1.0)
    assert busy["MB3"]["p_coincidence"] == pytest.approx(0.9834273, abs=1e-7)
    assert busy["MB3"]["weight"] == pytest.approx(round(W_MB, 4))
    assert "about 1 in 4.3 x 10^5" in x.explanation


def test_occasions_listed_with_sites_gaps_and_rows() -> None:
    """Either vehicle may be ahead; a read without a direction pairs; the rows are given newest
    first; the cited rows are both marks' reads and the camera-list rows naming the sites."""
    x = by_pair(run())[(X1, X2)]
    assert [
        (o["camera_id"], o["time_1"][11:19], o["time_2"][11:19], o["gap_seconds"], o["ahead"])
        for o in x.detail["occasion_list"]
    ] == [
        ("QA1", "09:00:00", "09:00:20", 20.0, X1),
        ("QA2", "09:10:20", "09:09:50", 30.0, X2),
        ("QA3", "09:24:50", "09:25:35", 45.0, X1),
    ]
    qa2 = x.detail["occasion_list"][1]
    assert (qa2["site"], qa2["road"], qa2["direction_1"], qa2["direction_2"]) == (
        "Church Street, Hollowmere",
        "B9001",
        "N",
        None,
    )
    assert set(x.derived_from) == {*IDS["X"], *(str(c["row_id"]) for c in CAMERAS[:3])}
    assert (x.first_utc, x.last_utc) == (utc(f"{DAY1} 09:00:00"), utc(f"{DAY1} 09:25:35"))
    assert (x.detail["days"], x.detail["occasions"]) == (1, 3)


def test_a_misread_mark_is_another_mark() -> None:
    """UA74 R0V at QA4 is not UA74 ROV (requirement 61): X stays at three cameras, and the
    misread's pair with TN24 HXR (one camera) is no finding."""
    findings = run(min_cameras=2)
    x = by_pair(findings)[(X1, X2)]
    assert "QA4" not in {c["camera_id"] for c in x.detail["camera_list"]}
    assert all(MISREAD not in f.subjects for f in findings)
    assert not set(IDS["misread"]) & {r for f in findings for r in f.derived_from}


def test_the_explanation_ends_with_the_caveats() -> None:
    x, _y = run()
    assert x.explanation.endswith(" ".join(CONVOY_CAVEATS))
    assert "A read is of a plate, not of a vehicle or its driver" in x.explanation
    assert "consistent with travelling together, not proof" in x.explanation
    assert "misread plate splits one vehicle into two marks" in x.explanation
    assert x.detail["caveats"] == list(CONVOY_CAVEATS)


def test_pairs_below_min_cameras_are_not_reported() -> None:
    assert [f.subjects for f in run()] == [(X1, X2), (Y1, Y2)]
    findings = run(min_cameras=2)
    assert [f.subjects for f in findings] == [(X1, X2), (Z1, Z2), (E1, E2), (Y1, Y2)]
    scores = [f.score for f in findings]
    assert scores == pytest.approx([round(v, 4) for v in (3 * W_QA, 2 * W_QB, 2 * W_QC, 4 * W_MB)])
    assert [f.subjects for f in run(min_cameras=4)] == [(Y1, Y2)]


def test_opposite_directions_do_not_pair() -> None:
    z = by_pair(run(min_cameras=2))[(Z1, Z2)]
    assert [c["camera_id"] for c in z.detail["camera_list"]] == ["QB1", "QB2"]
    assert (Z1, Z2) not in by_pair(run())
    z_any = by_pair(run(same_direction=False))[(Z1, Z2)]
    assert z_any.detail["cameras"] == 3
    assert z_any.score == pytest.approx(round(3 * W_QB, 4))  # 12.3080
    assert z_any.detail["occasion_list"][2]["direction_2"] == "W"


def test_the_window_includes_its_edge_and_not_a_second_more() -> None:
    """Gap 60 (= window) is included, in one slot or across two; gap 61 is not."""
    e = by_pair(run(min_cameras=2))[(E1, E2)]
    assert [(o["camera_id"], o["gap_seconds"]) for o in e.detail["occasion_list"]] == [
        ("QC1", 60.0),
        ("QC2", 60.0),
    ]
    assert (e.detail["cameras"], e.detail["days"]) == (2, 2)
    assert e.score == pytest.approx(round(2 * W_QC, 4))  # 5.4824
    assert e.detail["camera_list"][0]["span_hours"] == 1.0  # 60 s of reads, floored to 1 h
    assert set(e.derived_from) == set(IDS["E"])  # QC cameras are in no camera list
    wider = by_pair(run(window_seconds=61))[(E1, E2)]
    assert wider.detail["cameras"] == 3
    assert wider.score == pytest.approx(round(3 * W_QC_61, 4))  # 8.1757
    assert set(wider.derived_from) == {*IDS["E"], *IDS["E_out"]}


def test_min_days_and_the_period() -> None:
    assert [f.subjects for f in run(min_cameras=2, min_days=2)] == [(E1, E2)]
    until = run(min_cameras=2, until="2026-06-02T00:00:00Z")
    assert [f.subjects for f in until] == [(X1, X2), (Z1, Z2), (Y1, Y2)]
    assert by_pair(until)[(X1, X2)].score == pytest.approx(round(3 * W_QA, 4))
    # from 2 June with a 61 s window: E's QC2 and QC3 (both 2 June), not QC1 (1 June)
    (e,) = run(min_cameras=2, since="2026-06-02T00:00:00Z", window_seconds=61)
    assert [c["camera_id"] for c in e.detail["camera_list"]] == ["QC2", "QC3"]
    assert (e.subjects, e.detail["days"]) == ((E1, E2), 1)
    assert e.score == pytest.approx(round(2 * W_QC_61, 4))  # 5.4504
    assert run(min_cameras=2, min_days=2, since="2026-06-02T00:00:00Z") == []


def test_the_focus_marks() -> None:
    """Only pairs involving the marks given, in any written form."""
    assert [f.subjects for f in run(vrms=["tn24 hxr"])] == [(X1, X2)]
    assert [f.subjects for f in run(vrms=["UB25-MWY"], min_cameras=2)] == [(Y1, Y2)]
    assert [f.subjects for f in run(vrms=["ua74 rov", "TD24 EDG"], min_cameras=2)] == [
        (X1, X2),
        (E1, E2),
    ]
    assert run(vrms=[MISREAD], min_cameras=2) == []
    assert ConvoysParameters(vrms=["ub25 mwy", "UB25MWY"]).vrms == [Y2]
    with pytest.raises(ValidationError, match="not a vehicle registration mark"):
        ConvoysParameters(vrms=["TN24 HX*"])


def test_top_and_bounds() -> None:
    assert [f.subjects for f in run(min_cameras=2, top=2)] == [(X1, X2), (Z1, Z2)]
    for bad in ({"window_seconds": 0}, {"min_cameras": 1}, {"top": 0}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            ConvoysParameters(**bad)


def test_reads_without_an_exact_time_or_a_mark_do_not_pair() -> None:
    """An ambiguous time (the autumn repeated hour) or an unreadable plate takes no part."""
    extra = [
        anpr_read("r2", 2, "TN24 HXR", "QA4", None, "N"),
        anpr_read("r2", 3, "=HYPERLINK(1)", "QA1", f"{DAY1} 09:00:10", "N"),
    ]
    extra[0]["read_earliest_utc"] = utc(f"{DAY1} 09:40:05")
    extra[0]["read_latest_utc"] = utc(f"{DAY1} 10:40:05")
    evidence = make_evidence({"anpr_reads": [*READS, *extra], "anpr_cameras": CAMERAS})
    x, _y = Convoys().run(evidence, ConvoysParameters())
    # the unreadable plate still counts as traffic at QA1: n = 5, r = 0.5, w = W_QB
    assert x.score == pytest.approx(round(2 * W_QA + W_QB, 4))
    assert {c["camera_id"]: c["reads"] for c in x.detail["camera_list"]}["QA1"] == 5


def test_a_read_held_in_two_exhibits_is_one_read_with_two_rows() -> None:
    """A re-supplied copy of X's QA1 reads (exhibit r3) adds no occasion, and is cited."""
    copies = [
        anpr_read("r3", 2, "TN24 HXR", "QA1", f"{DAY1} 09:00:00", "N"),
        anpr_read("r3", 3, "UA74 ROV", "QA1", f"{DAY1} 09:00:20", "N"),
    ]
    evidence = make_evidence({"anpr_reads": [*READS, *copies], "anpr_cameras": CAMERAS})
    x, _y = Convoys().run(evidence, ConvoysParameters())
    assert (x.detail["occasions"], x.detail["cameras"]) == (3, 3)
    qa1 = x.detail["occasion_list"][0]
    assert qa1["rows_1"] == sorted([IDS["X"][5], str(copies[0]["row_id"])])
    assert qa1["rows_2"] == sorted([IDS["X"][4], str(copies[1]["row_id"])])
    # the copies count in QA1's traffic (conservative): 6 reads over 10 h, r = 0.6, x = 0.02,
    # w = -ln(1 - e^-0.02) = 3.9220063
    assert x.score == pytest.approx(round(2 * W_QA + 3.9220063, 4))
