"""Common contacts over a hand-made case; every expected figure is counted by hand below.

Targets T1, T2, T3. Exhibits: JB/1 (T1's network return), JB/2 (T2's), JB/3 (X's handset),
JB/4 (T3's).

* X called by T1 at 09:00:00 (JB/1 row 1 and, 4 s later, JB/3 row 1: one call, two records),
  X called T1 at 10:00 (JB/1 row 2), T2 called X at 12:00:00 (JB/2 row 1) and JB/3 row 2 holds
  a T2 -> X call at 12:00:30: 30 s apart, so with the default 10 s two events, with 60 s one.
  X: targets T1, T2; 4 call events (3 with 60 s) from 5 records in JB/1, JB/2, JB/3.
* Y had one SMS from T1: one target only.
* Z: a call from T1 (JB/1 row 4), a call from T2 (JB/2 row 2), two SMS to T3 two seconds apart
  in one exhibit (two texts, not one), and a T3 -> Z call in the repeated autumn hour (no exact
  time). Z: all three targets; 3 calls and 2 SMS, 5 records, 1 event without an exact time.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from evidence_factory import call, make_evidence, message, utc

from threadline.analysis.common_contacts import CommonContacts, CommonContactsParameters
from threadline.errors import ConfigError

T1, T2, T3 = "+447700900001", "+447700900002", "+447700900003"
X, Y, Z = "+447700900100", "+447700900200", "+447700900300"
E1, E2, E3, E4 = "e1", "e2", "e3", "e4"
REFERENCES = {E1: "JB/1", E2: "JB/2", E3: "JB/3", E4: "JB/4"}

CALLS = [
    call(E1, 1, T1, X, "2024-06-01 09:00:00"),
    call(E1, 2, X, T1, "2024-06-01 10:00:00", direction="incoming"),
    call(E1, 4, T1, Z, "2024-06-02 08:00:00"),
    call(E2, 1, T2, X, "2024-06-01 12:00:00"),
    call(E2, 2, T2, Z, "2024-06-02 09:00:00"),
    call(E3, 1, T1, X, "2024-06-01 09:00:04", direction="incoming"),
    call(E3, 2, T2, X, "2024-06-01 12:00:30", direction="incoming"),
    call(
        E4,
        3,
        T3,
        Z,
        None,
        start_earliest_utc=utc("2024-10-27 00:30:00"),
        start_latest_utc=utc("2024-10-27 01:30:00"),
    ),
]
MESSAGES = [
    message(E1, 3, T1, Y, "2024-06-01 11:00:00"),
    message(E4, 1, Z, T3, "2024-06-03 07:00:00", direction="incoming"),
    message(E4, 2, Z, T3, "2024-06-03 07:00:02", direction="incoming"),
]


def run(**parameters: object) -> list:  # type: ignore[type-arg]
    evidence = make_evidence(
        {"calls": CALLS, "messages": MESSAGES}, exhibits=REFERENCES, targets=(T3, T1, T2)
    )
    return CommonContacts().run(evidence, CommonContactsParameters(**parameters))  # type: ignore[arg-type]


def test_common_contacts_with_their_events_records_and_rows() -> None:
    z, x = run(targets=["07700 900001", "+44 7700 900002", "447700900003"])
    assert z.kind == "common_contact"
    assert z.subjects == (Z, T1, T2, T3)
    assert z.score == 1.0
    assert z.detail["events_by_medium"] == {"call": 3, "sms": 2}
    assert z.detail["events_by_target"] == {
        T1: {"call": 1},
        T2: {"call": 1},
        T3: {"call": 1, "sms": 2},
    }
    assert (z.detail["events"], z.detail["records"], z.detail["inexact_events"]) == (5, 5, 1)
    assert z.detail["exhibits"] == ["JB/1", "JB/2", "JB/4"]
    assert set(z.derived_from) == {
        CALLS[2]["row_id"],
        CALLS[4]["row_id"],
        CALLS[7]["row_id"],
        MESSAGES[1]["row_id"],
        MESSAGES[2]["row_id"],
    }
    assert z.first_utc == utc("2024-06-02 08:00:00")
    assert z.last_utc == utc("2024-10-27 01:30:00")  # the latest reading of the inexact call

    assert x.subjects == (X, T1, T2)
    assert x.score == pytest.approx(0.6667)
    assert x.detail["events_by_target"] == {T1: {"call": 2}, T2: {"call": 2}}
    assert (x.detail["events"], x.detail["records"]) == (4, 5)
    assert list(x.derived_from) == sorted(CALLS[i]["row_id"] for i in (0, 1, 3, 5, 6))
    assert x.explanation.startswith(
        f"{X} was in contact with 2 of the 3 target numbers ({T1}, {T2}): 4 calls, 5 record(s) "
        "in 3 exhibit(s) (JB/1, JB/2, JB/3), between 2024-06-01 09:00:00 UTC and "
        "2024-06-01 12:00:30 UTC."
    )
    assert "says nothing of who used either handset" in x.explanation


def test_records_further_apart_than_the_tolerance_are_separate_events() -> None:
    _z, x = run(same_event_seconds=60)
    assert x.detail["events_by_target"] == {T1: {"call": 2}, T2: {"call": 1}}
    assert (x.detail["events"], x.detail["records"]) == (3, 5)


def test_k_and_the_case_targets() -> None:
    everyone = run(k=1)  # the case's own targets (T1, T2, T3) by default
    assert [f.subjects[0] for f in everyone] == [Z, X, Y]
    (y,) = [f for f in everyone if f.subjects[0] == Y]
    assert y.score == pytest.approx(1 / 3, abs=1e-4)
    assert y.detail["events_by_medium"] == {"sms": 1}
    assert [f.subjects[0] for f in run(k=3)] == [Z]


def test_a_window_keeps_contact_whose_possible_times_overlap_it() -> None:
    (x,) = run(since=utc("2024-06-01 00:00:00"), until=utc("2024-06-02 00:00:00"))
    assert x.subjects == (X, T1, T2)
    # from 2 June: Z's calls and SMS and the autumn call (its range overlaps); X's are earlier
    (z,) = run(since=utc("2024-06-02 00:00:00"))
    assert z.detail["events"] == 5
    assert run(since=utc("2024-10-27 02:00:00")) == []


def test_no_targets_is_an_error_naming_what_to_do() -> None:
    evidence = make_evidence({"calls": CALLS})
    with pytest.raises(ConfigError, match="no target numbers"):
        CommonContacts().run(evidence, CommonContactsParameters())


def test_a_target_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a telephone number"):
        CommonContactsParameters(targets=["bob"])


def test_typed_instants_are_uk_local_unless_they_say_otherwise() -> None:
    # 1 June is BST: local midnight is 23:00 UTC the day before
    summer = CommonContactsParameters(since="2024-06-01T00:00:00", until="2024-06-02")  # type: ignore[arg-type]
    assert summer.since == utc("2024-05-31 23:00:00")
    # a date alone as `until` is the whole of that day: its last microsecond, local
    assert summer.until == utc("2024-06-02 22:59:59.999999")
    assert CommonContactsParameters(since="2024-01-15T09:00:00Z").since == utc(  # type: ignore[arg-type]
        "2024-01-15 09:00:00"
    )
    # a datetime handed over by code without a zone is UTC
    assert CommonContactsParameters(since=datetime(2024, 6, 1)).since == utc("2024-06-01 00:00:00")
    with pytest.raises(ConfigError, match="since"):
        CommonContactsParameters(since="2024-10-27T01:30:00")  # type: ignore[arg-type]
