"""Review findings on the CDR transform: placeholder years, unknown directions, h:mm:ss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from collect_sink import Parsed

HEADER_A = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)


def _row(date: str) -> str:
    return (
        f"MOC,447700900123,447700900456,,{date},13:45:10,65,490154203237510,001010123456789,"
        "234-30-1201-30451,\n"
    )


def test_placeholder_years_are_kept_and_flagged_not_placed(
    tmp_path: Path, parse_file: Callable[..., Parsed]
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        HEADER_A + _row("01/01/0001") + _row("31/12/9999") + _row("01/06/2026"),
        encoding="utf-8",
    )
    parsed = parse_file(path, profile="network-a", time_basis="europe-london")
    rows = parsed.rows("calls")
    assert [r["start_status"] for r in rows] == ["out_of_range", "out_of_range", "exact"]
    assert [r["start_original"] for r in rows[:2]] == [
        "01/01/0001 13:45:10",
        "31/12/9999 13:45:10",
    ]
    assert all(r["start_utc"] is None and r["start_earliest_utc"] is None for r in rows[:2])
    # 13:45:10 BST on 1 June 2026 is 12:45:10 UTC
    assert rows[2]["start_utc"].isoformat() == "2026-06-01T12:45:10+00:00"
    flagged = parsed.issues_with("time.out_of_range")
    assert [i.locator for i in flagged] == ["row=2", "row=3"]


HEADER_E = "Kind,Way,Target,Other,When,Secs\n"
MAPPING_E = """
name: network-e
title: "Network E: target and other party"
time_basis: utc
parties: target_other
columns:
  record_type: [Kind, Way]
  target: Target
  other_party: Other
  start: When
  duration: Secs
formats:
  start: "%Y-%m-%d %H:%M:%S"
duration: hms
record_types:
  - {match: CALL OUT, table: calls, direction: outgoing}
  - {match: CALL IN, table: calls, direction: incoming}
  - {match: CALL FWD, table: calls, direction: forwarded}
  - {match: CALL UNK, table: calls, direction: unknown}
"""


def test_target_other_without_a_direction_leaves_the_parties_unassigned(
    tmp_path: Path, parse_file: Callable[..., Parsed]
) -> None:
    mapping = tmp_path / "network-e.yaml"
    mapping.write_text(MAPPING_E, encoding="utf-8")
    path = tmp_path / "e.csv"
    path.write_text(
        HEADER_E
        + "CALL,OUT,07700900123,07700900456,2026-06-01 10:00:00,0:01:05\n"
        + "CALL,IN,07700900123,07700900456,2026-06-01 10:05:00,1:00:00\n"
        + "CALL,UNK,07700900123,07700900456,2026-06-01 10:10:00,0:75:99\n"
        + "CALL,FWD,07700900123,07700900456,2026-06-01 10:15:00,12:30\n",
        encoding="utf-8",
    )
    parsed = parse_file(path, mapping=mapping)
    rows = {r["locator"]: r for r in parsed.rows("calls")}
    assert (rows["row=2"]["a_party"], rows["row=2"]["b_party"]) == (
        "+447700900123",
        "+447700900456",
    )
    assert (rows["row=3"]["a_party"], rows["row=3"]["b_party"]) == (
        "+447700900456",
        "+447700900123",
    )
    for locator in ("row=4", "row=5"):
        # which party called is not known: nothing is guessed, the originals stay
        assert rows[locator]["a_party"] is None
        assert rows[locator]["b_party"] is None
        assert rows[locator]["a_party_original"] is None
    assert [rows[k]["duration_s"] for k in ("row=2", "row=3", "row=4", "row=5")] == [
        65,
        3600,
        None,  # 75 minutes and 99 seconds are not a clock reading
        750,
    ]
    assert [i.locator for i in parsed.issues_with("duration.unparsed")] == ["row=4"]


def test_a_blank_part_of_a_combined_record_type_matches_nothing(
    tmp_path: Path, parse_file: Callable[..., Parsed]
) -> None:
    mapping = tmp_path / "network-e.yaml"
    mapping.write_text(MAPPING_E, encoding="utf-8")
    path = tmp_path / "e.csv"
    path.write_text(
        HEADER_E
        + "CALL,OUT,07700900123,07700900456,2026-06-01 10:00:00,0:01:05\n"
        + ",OUT,07700900123,07700900456,2026-06-01 10:05:00,0:01:05\n"
        + "CALL,,07700900123,07700900456,2026-06-01 10:10:00,0:01:05\n",
        encoding="utf-8",
    )
    parsed = parse_file(path, mapping=mapping)
    assert parsed.locators("calls") == ["row=2"]
    unknown = parsed.issues_with("record_type.unknown")
    assert sorted((i.value, i.locator) for i in unknown) == [(" OUT", "row=3"), ("CALL ", "row=4")]
