"""Contact profile of one number over a hand-made case; figures counted by hand below.

N is the target. JB/1 is N's return: N calls A on Monday 15 January 2024 at 08:30:00 UTC
(60 s), A's call to N at 08:45 is missed, N texts B on Tuesday at 22:10, and a call N -> A in
the repeated autumn hour has no exact time (30 s). JB/2 is A's return, holding N's 08:30 call
again at 08:30:02 (59 s): the same event. January is GMT, so UK local time equals UTC.

Expected: 4 events (3 calls: 2 made, 1 received and missed; 1 SMS made), 5 records, counterparts
A (3 events) and B (1), call time 60 + 0 + 30 = 90 s (the longer of the two records of one
call), heat map Mon 08h: 2, Tue 22h: 1; one event without an exact time.
"""

from __future__ import annotations

import pytest
from evidence_factory import call, make_evidence, message, utc

from threadline.analysis.contact_profile import ContactProfile, ContactProfileParameters
from threadline.errors import ConfigError

N, A, B = "+447700900500", "+447700900600", "+447700900700"

CALLS = [
    call("e1", 1, N, A, "2024-01-15 08:30:00", duration_s=60),
    call("e1", 2, A, N, "2024-01-15 08:45:00", duration_s=0, direction="missed"),
    call(
        "e1",
        4,
        N,
        A,
        None,
        duration_s=30,
        start_earliest_utc=utc("2024-10-27 00:30:00"),
        start_latest_utc=utc("2024-10-27 01:30:00"),
    ),
    call("e2", 1, N, A, "2024-01-15 08:30:02", duration_s=59, direction="incoming"),
]
MESSAGES = [message("e1", 3, N, B, "2024-01-16 22:10:00")]


def test_profile_counts_roles_call_time_and_the_heat_map() -> None:
    evidence = make_evidence(
        {"calls": CALLS, "messages": MESSAGES}, exhibits={"e1": "JB/1", "e2": "JB/2"}
    )
    (profile,) = ContactProfile().run(evidence, ContactProfileParameters(numbers=["07700900500"]))
    detail = profile.detail
    assert profile.subjects == (N,)
    assert detail["events_by_medium"] == {
        "call": {"made": 2, "received": 1},
        "sms": {"made": 1, "received": 0},
    }
    assert (detail["events"], detail["records"], detail["inexact_events"]) == (4, 5, 1)
    assert (detail["missed_calls"], detail["call_seconds"]) == (1, 90)
    assert detail["busiest_counterparts"] == [
        {"number": A, "events": 3},
        {"number": B, "events": 1},
    ]
    heat = detail["heat_map"]["events"]
    assert heat[0][8] == 2
    assert heat[1][22] == 1
    assert sum(map(sum, heat)) == 3
    assert detail["heat_map"]["zone"] == "Europe/London"
    assert (profile.first_utc, profile.last_utc) == (
        utc("2024-01-15 08:30:00"),
        utc("2024-01-16 22:10:00"),
    )
    assert len(profile.derived_from) == 5
    assert "Busiest hour (UK local time): Mon 08:00-08:59 with 2 event(s)." in profile.explanation
    assert "Calls lasted 90 s in all; 1 were missed." in profile.explanation


def test_the_heat_map_is_in_uk_local_time() -> None:
    # 23:30 UTC on Saturday 1 June 2024 is 00:30 BST on Sunday
    evidence = make_evidence({"calls": [call("e1", 1, N, A, "2024-06-01 23:30:00")]})
    (profile,) = ContactProfile().run(evidence, ContactProfileParameters(numbers=[N]))
    heat = profile.detail["heat_map"]["events"]
    assert heat[6][0] == 1
    assert sum(map(sum, heat)) == 1


def test_numbers_default_to_the_case_targets_and_are_required() -> None:
    evidence = make_evidence({"calls": CALLS}, targets=(N,))
    assert [p.subjects for p in ContactProfile().run(evidence, ContactProfileParameters())] == [
        (N,)
    ]
    with pytest.raises(ConfigError):
        ContactProfile().run(make_evidence({}), ContactProfileParameters())
