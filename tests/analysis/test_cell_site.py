"""Cell-site events over a hand-made case; every expected figure is worked out by hand below.

Numbers: T = 07700 900101 (the target), P = 07700 900102 (the other party of T's calls).
Cells: C1 = 234-30-1201-30451 and C2 = 234-30-1201-30452, two sectors of the operator site
"Riverside Exchange", 1 Quay Street, Exampleton, EX1 1AA; C3 = 234-15-2210-11021, known only from a
crowd-sourced file; C4 = 234-30-1300-40001, in no reference data.

Exhibits:

* JB/1 (e1), T's voice and SMS return:
  row 1  T -> P call 2024-06-01 09:12:00, 300 s, start C1, end C2 (target_role a);
  row 2  P -> T call 10:00:00, 60 s, start and end C1 (target_role b: the cells are T's, and P
         must not be placed anywhere);
  row 3  T -> P SMS 11:00:00 on C3;
  row 4  T -> P call in the repeated autumn hour (2024-10-27 00:30-01:30 UTC) on C4;
  row 5  a call P -> T on C1 with no target_role: whose cell it is cannot be told, so it is left
         out.
* JB/2 (e2), T's data return: row 1, a data record 12:00:00-13:00:00, start C1, end C2.
* JB/3 (e3), a re-supplied voice return: row 1 holds row 1's call again at 09:12:04 (300 s,
  C1 -> C2): 4 s from JB/1's record, in another exhibit, so the same event.
* JB/9 (e9), the operator cell list (C1, C2); JB/8 (e8), a crowd-sourced file (C3, and C1 again:
  the operator's listing of C1 is used, "listed 2 times").

Expected, T's findings in order of first use:

* C1: the 09:12 call (2 records: its start), the 10:00 call (start and end), the 12:00 data
  record (its start): 3 events (2 calls, 1 data record) from 4 records in JB/1, JB/2, JB/3,
  09:12:00 to 12:00:00; cites the 4 rows and JB/9 row 1.
* C2: the 09:12 call's end (09:17:00 and 09:17:04: one event) and the data record's end
  (13:00:00): 2 events, 3 records, 09:17:00 to 13:00:00.
* C3: the SMS, 1 event at 11:00:00, crowd-sourced: the crowd-sourced caveat is added.
* C4: the autumn call: 1 event, no exact time (no first or last), not in the reference data.

P: nothing. With a 2 s tolerance the 09:12:00 and 09:12:04 records are two events (C1: 4).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from evidence_factory import call, make_evidence, message, utc
from location_rows import cell_site, data_session

from threadline.analysis.cell_site import CellSiteEvents, CellSiteEventsParameters
from threadline.analysis.cell_wording import (
    CELL_SITE_CAVEATS,
    CO_LOCATION_CAVEAT,
    CROWD_SOURCED_CAVEAT,
    forbidden_phrases,
)
from threadline.errors import ConfigError
from threadline.model.finding import Finding

T, P = "+447700900101", "+447700900102"
C1, C2, C3, C4 = "234-30-1201-30451", "234-30-1201-30452", "234-15-2210-11021", "234-30-1300-40001"
REFERENCES = {"e1": "JB/1", "e2": "JB/2", "e3": "JB/3", "e8": "JB/8", "e9": "JB/9"}
RIVERSIDE = ("Riverside Exchange", "1 Quay Street, Exampleton", "EX1 1AA", 51.5, -0.1)

AUTUMN = {
    "start_earliest_utc": utc("2024-10-27 00:30:00"),
    "start_latest_utc": utc("2024-10-27 01:30:00"),
}
CALLS = [
    call(
        "e1",
        1,
        T,
        P,
        "2024-06-01 09:12:00",
        duration_s=300,
        start_cell=C1,
        end_cell=C2,
        target_role="a",
    ),
    call(
        "e1",
        2,
        P,
        T,
        "2024-06-01 10:00:00",
        duration_s=60,
        start_cell=C1,
        end_cell=C1,
        target_role="b",
        direction="incoming",
    ),
    call("e1", 4, T, P, None, start_cell=C4, target_role="a", **AUTUMN),
    call("e1", 5, P, T, "2024-06-01 14:00:00", start_cell=C1),
    call(
        "e3",
        1,
        T,
        P,
        "2024-06-01 09:12:04",
        duration_s=300,
        start_cell=C1,
        end_cell=C2,
        target_role="a",
    ),
]
MESSAGES = [message("e1", 3, T, P, "2024-06-01 11:00:00", cell=C3, target_role="a")]
DATA = [data_session("e2", 1, T, "2024-06-01 12:00:00", C1, end="2024-06-01 13:00:00", end_cell=C2)]
CROWD = "crowd-sourced-approximate"
SITES = [
    cell_site("e9", 1, C1, *RIVERSIDE, azimuth=120.0, beamwidth=65.0),
    cell_site("e9", 2, C2, *RIVERSIDE, azimuth=240.0, beamwidth=65.0),
    cell_site("e8", 1, C3, None, None, None, 51.6, -0.2, position_basis=CROWD),
    cell_site("e8", 2, C1, None, None, None, 51.501, -0.102, position_basis=CROWD),
]


def rid(rows: list[dict[str, Any]], i: int) -> str:
    return str(rows[i]["row_id"])


def run(**parameters: Any) -> list[Finding]:
    evidence = make_evidence(
        {"calls": CALLS, "messages": MESSAGES, "data_sessions": DATA, "cell_sites": SITES},
        exhibits=REFERENCES,
        targets=(T,),
    )
    return CellSiteEvents().run(evidence, CellSiteEventsParameters(**parameters))


def test_each_cell_of_the_target_with_its_events_and_rows() -> None:
    c1, c2, c3, c4 = run()
    assert [f.subjects for f in (c1, c2, c3, c4)] == [(T, C1), (T, C2), (T, C3), (T, C4)]
    assert {f.kind for f in (c1, c2, c3, c4)} == {"cell_use"}

    assert (c1.detail["events"], c1.detail["records"]) == (3, 4)
    assert c1.detail["events_by_medium"] == {"call": 2, "data": 1}
    assert c1.detail["exhibits"] == ["JB/1", "JB/2", "JB/3"]
    assert (c1.first_utc, c1.last_utc) == (utc("2024-06-01 09:12:00"), utc("2024-06-01 12:00:00"))
    assert set(c1.derived_from) == {
        rid(CALLS, 0), rid(CALLS, 1), rid(CALLS, 4), rid(DATA, 0), rid(SITES, 0)
    }  # fmt: skip
    assert [(e["medium"], e["phases"], e["rows"]) for e in c1.detail["event_list"]] == [
        ("call", ["start"], sorted([rid(CALLS, 0), rid(CALLS, 4)])),
        ("call", ["start", "end"], [rid(CALLS, 1)]),
        ("data", ["start"], [rid(DATA, 0)]),
    ]
    site = c1.detail["site"]
    assert (site["site_name"], site["position_basis"], site["listings"], site["azimuth"]) == (
        "Riverside Exchange",
        "operator",
        2,
        120.0,
    )

    assert (c2.detail["events"], c2.detail["records"]) == (2, 3)
    assert c2.detail["events_by_medium"] == {"call": 1, "data": 1}
    assert (c2.first_utc, c2.last_utc) == (utc("2024-06-01 09:17:00"), utc("2024-06-01 13:00:00"))

    assert c3.detail["events_by_medium"] == {"sms": 1}
    assert c3.first_utc == c3.last_utc == utc("2024-06-01 11:00:00")

    assert (c4.detail["events"], c4.detail["inexact_events"]) == (1, 1)
    assert (c4.first_utc, c4.last_utc) == (None, None)
    assert c4.detail["site"]["listed"] is False
    assert c4.derived_from == (rid(CALLS, 2),)


def test_the_words_for_calls_messages_and_data_records() -> None:
    c1, c2, c3, c4 = run()
    label = "cell 234-30-1201-30451 (Riverside Exchange, 1 Quay Street, Exampleton, EX1 1AA)"
    assert [e["words"] for e in c1.detail["event_list"]] == [
        f"the phone used {label} for the call at 2024-06-01 09:12:00 UTC (at its start)",
        f"the phone used {label} for the call at 2024-06-01 10:00:00 UTC (at its start and its "
        "end)",
        f"the device used {label} at or before the start time of the data record, "
        "2024-06-01 12:00:00 UTC",
    ]
    label2 = label.replace("30451", "30452")
    assert [e["words"] for e in c2.detail["event_list"]] == [
        f"the phone used {label2} for the call at 2024-06-01 09:12:00 UTC (at its end, "
        "2024-06-01 09:17:00 UTC)",
        f"the device used {label2} at or before the end time of the data record, "
        "2024-06-01 13:00:00 UTC (the record started at 2024-06-01 12:00:00 UTC)",
    ]
    assert c3.detail["event_list"][0]["words"] == (
        "the phone used cell 234-15-2210-11021 for the SMS at 2024-06-01 11:00:00 UTC"
    )
    assert c4.detail["event_list"][0]["words"] == (
        "the phone used cell 234-30-1300-40001 for the call at a time between "
        "2024-10-27 00:30:00 UTC and 2024-10-27 01:30:00 UTC (not known exactly) (at its start)"
    )
    assert c1.explanation.startswith(
        f"{T}: {label} appears in 3 event(s) from 4 record(s) in 3 exhibit(s) (JB/1, JB/2, "
        "JB/3), between 2024-06-01 09:12:00 UTC and 2024-06-01 12:00:00 UTC: the phone used the "
        "cell for 2 calls; the device used it at or before the start or end time of 1 data "
        "record(s). This is consistent with the phone being in the area the cell served"
    )
    assert "listed 2 times in the cell reference data; the operator listing from exhibit JB/9" in (
        c1.explanation
    )
    assert "crowd-sourced approximation" in c3.explanation
    assert "not in the cell reference data" in c4.explanation
    assert "no exact time" in c4.explanation


def test_no_words_say_or_imply_a_phone_was_at_a_place() -> None:
    """Requirement 27: no explanation, event sentence or caveat says "was at" or "at the
    location"; every one naming a place says "consistent with"."""
    findings = run()
    texts = [f.explanation for f in findings]
    texts += [e["words"] for f in findings for e in f.detail["event_list"]]
    texts += [*CELL_SITE_CAVEATS, CROWD_SOURCED_CAVEAT, CO_LOCATION_CAVEAT]
    for text in texts:
        assert "was at" not in text.lower()
        assert "at the location" not in text.lower()
        assert forbidden_phrases(text) == ()
    for finding in findings:
        assert "consistent with" in finding.explanation
    assert forbidden_phrases("The phone was at the location") == ("was at", "at the location")


def test_the_caveats_go_with_every_finding_and_crowd_sourcing_is_said() -> None:
    c1, _c2, c3, _c4 = run()
    assert c1.detail["caveats"] == list(CELL_SITE_CAVEATS)
    assert c3.detail["caveats"] == [*CELL_SITE_CAVEATS, CROWD_SOURCED_CAVEAT]
    assert c1.detail["time_basis"] == "UTC"
    joined = " ".join(CELL_SITE_CAVEATS)
    for words in (
        "serves an area, not a point",
        "not always the nearest mast",
        "Networks change over time",
        "Absence of events is not absence of the phone",
        "Data records and calls behave differently",
        "Wi-Fi calling may record no cell",
        "Attribution is a separate question",
        "Times are UTC",
    ):
        assert words in joined


def test_the_other_party_is_never_placed_at_the_targets_cell() -> None:
    # P is the other party of rows 1-4 (and the unattributed row 5): none of its cells are known
    assert run(numbers=["07700 900102"]) == []
    # the row without target_role is cited by no finding
    assert all(rid(CALLS, 3) not in f.derived_from for f in run(numbers=[T, P]))


def test_a_period_and_the_same_event_tolerance() -> None:
    # from 11:30: the data record on C1 and C2, and the autumn call (its range overlaps)
    c1, c2, c4 = run(since=utc("2024-06-01 11:30:00"))
    assert [f.subjects[1] for f in (c1, c2, c4)] == [C1, C2, C4]
    assert c1.detail["events_by_medium"] == {"data": 1}
    assert c2.detail["events"] == 1
    assert run(since=utc("2024-10-28 00:00:00")) == []
    # 09:12:00 and 09:12:04 are 4 s apart: two events with a 2 s tolerance
    assert run(same_event_seconds=2)[0].detail["events"] == 4


def test_details_are_json_for_the_case_store() -> None:
    for finding in run():
        assert json.loads(json.dumps(finding.detail))["cell"] == finding.subjects[1]


def test_no_numbers_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no numbers"):
        CellSiteEvents().run(make_evidence({}), CellSiteEventsParameters())
