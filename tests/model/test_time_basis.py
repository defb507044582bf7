"""Tests for declared time bases and local-to-UTC conversion (domain brief §7.8, requirement 22).

UK clocks in 2026 go forward at 01:00 UTC on Sunday 29 March (local 01:00–01:59 does not exist) and
back at 01:00 UTC on Sunday 25 October (local 01:00–01:59 happens twice).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadline.errors import ConfigError
from threadline.model.time_basis import (
    LONDON,
    ResolvedInstant,
    TimeBasis,
    TimeStatus,
    offsets_for_local,
    parse_time_basis,
    resolve_local,
    uk_local,
)

UK = parse_time_basis("europe-london")
HOUR = timedelta(hours=1)
ZERO = timedelta(0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["utc", "UTC", "Z", "z", " UTC ", "Etc/UTC", "UTC+0", "+00:00"])
def test_utc_spellings(text: str) -> None:
    basis = parse_time_basis(text)
    assert basis == TimeBasis("UTC", UTC)
    assert basis.is_utc


@pytest.mark.parametrize("text", ["europe-london", "Europe-London", "Europe/London"])
def test_uk_local(text: str) -> None:
    basis = parse_time_basis(text)
    assert basis.name == "Europe/London"
    assert basis.zone is LONDON
    assert not basis.is_utc


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("Asia/Dubai", "Asia/Dubai"),
    ],
)
def test_iana_names(text: str, name: str) -> None:
    assert parse_time_basis(text).name == name


@pytest.mark.parametrize(
    ("text", "name", "offset"),
    [
        ("utc+4", "UTC+04:00", timedelta(hours=4)),
        ("UTC+04:00", "UTC+04:00", timedelta(hours=4)),
        ("+01:00", "UTC+01:00", timedelta(hours=1)),
        ("+0100", "UTC+01:00", timedelta(hours=1)),
        ("GMT-7", "UTC-07:00", timedelta(hours=-7)),
        ("UTC+05:30", "UTC+05:30", timedelta(hours=5, minutes=30)),
        ("utc-09:30", "UTC-09:30", timedelta(hours=-9, minutes=-30)),
        ("UTC+14", "UTC+14:00", timedelta(hours=14)),
    ],
)
def test_fixed_offsets(text: str, name: str, offset: timedelta) -> None:
    basis = parse_time_basis(text)
    assert basis.name == name
    assert basis.zone.utcoffset(None) == offset
    assert basis.zone == timezone(offset)


@pytest.mark.parametrize("text", ["nowhere", "", "Mars/Olympus", "utc+", "+1:5", "../etc/passwd"])
def test_unknown_bases_list_the_accepted_forms(text: str) -> None:
    with pytest.raises(ConfigError, match="accepted forms") as caught:
        parse_time_basis(text)
    assert "europe-london" in str(caught.value)
    assert "UTC+04:00" in str(caught.value)


@pytest.mark.parametrize("text", ["GMT", "gmt", "BST", "local"])
def test_ambiguous_bases_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="ambiguous"):
        parse_time_basis(text)


@pytest.mark.parametrize("text", ["utc+15", "-14:30", "+01:60"])
def test_out_of_range_offsets(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_time_basis(text)


# Resolving ----------------------------------------------------------------------------------


def test_repeated_hour_2026() -> None:
    resolved = resolve_local(datetime(2026, 10, 25, 1, 30), UK)
    assert resolved == ResolvedInstant(
        earliest=utc(2026, 10, 25, 0, 30),  # read as BST (UTC+1)
        latest=utc(2026, 10, 25, 1, 30),  # read as GMT
        status=TimeStatus.AMBIGUOUS,
    )
    assert resolved.utc is None


def test_gap_2026() -> None:
    resolved = resolve_local(datetime(2026, 3, 29, 1, 30), UK)
    assert resolved == ResolvedInstant(
        earliest=utc(2026, 3, 29, 0, 30),  # read as BST
        latest=utc(2026, 3, 29, 1, 30),  # read as GMT
        status=TimeStatus.NONEXISTENT,
    )
    assert resolved.utc is None


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 3, 29, 0, 59), utc(2026, 3, 29, 0, 59)),  # last GMT minute
        (datetime(2026, 3, 29, 2, 0), utc(2026, 3, 29, 1, 0)),  # first BST minute
        (datetime(2026, 10, 25, 0, 59), utc(2026, 10, 24, 23, 59)),  # still BST
        (datetime(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 0)),  # GMT again
        (datetime(2026, 7, 1, 12, 0), utc(2026, 7, 1, 11, 0)),
        (datetime(2026, 1, 15, 9, 0), utc(2026, 1, 15, 9, 0)),
    ],
)
def test_exact_instants_either_side_of_the_changes(local: datetime, expected: datetime) -> None:
    resolved = resolve_local(local, UK)
    assert resolved.status is TimeStatus.EXACT
    assert resolved.utc == expected
    assert resolved.earliest == resolved.latest == expected
    assert resolved.earliest.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (datetime(2026, 3, 29), TimeStatus.NONEXISTENT),
        (datetime(2026, 10, 25), TimeStatus.AMBIGUOUS),
    ],
)
def test_exactly_one_hour_is_flagged_on_each_change_day(day: datetime, status: TimeStatus) -> None:
    flagged = [
        minute
        for minute in (day + timedelta(minutes=m) for m in range(24 * 60))
        if resolve_local(minute, UK).status is not TimeStatus.EXACT
    ]
    assert len(flagged) == 60
    assert flagged[0] == day.replace(hour=1)
    assert flagged[-1] == day.replace(hour=1, minute=59)
    assert all(resolve_local(minute, UK).status is status for minute in flagged)


def test_offsets_for_local() -> None:
    assert offsets_for_local(datetime(2026, 10, 25, 1, 0), UK) == (HOUR, ZERO, TimeStatus.AMBIGUOUS)
    assert offsets_for_local(datetime(2026, 3, 29, 1, 0), UK) == (
        HOUR,
        ZERO,
        TimeStatus.NONEXISTENT,
    )
    assert offsets_for_local(datetime(2026, 6, 1), UK) == (HOUR, HOUR, TimeStatus.EXACT)
    assert offsets_for_local(datetime(2026, 12, 1), UK) == (ZERO, ZERO, TimeStatus.EXACT)


def test_other_zones_have_their_own_changes() -> None:
    paris = parse_time_basis("Europe/Paris")
    # Paris changes at the same UTC instant, 02:00 -> 03:00 local.
    assert resolve_local(datetime(2026, 3, 29, 1, 30), paris).utc == utc(2026, 3, 29, 0, 30)
    gap = resolve_local(datetime(2026, 3, 29, 2, 30), paris)
    assert gap.status is TimeStatus.NONEXISTENT
    assert (gap.earliest, gap.latest) == (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("utc+4", utc(2026, 3, 29, 21, 30)),
        ("GMT-7", utc(2026, 3, 30, 8, 30)),
        ("UTC+05:30", utc(2026, 3, 29, 20, 0)),
        ("UTC", utc(2026, 3, 30, 1, 30)),
    ],
)
def test_fixed_offset_bases_are_always_exact(text: str, expected: datetime) -> None:
    resolved = resolve_local(datetime(2026, 3, 30, 1, 30), parse_time_basis(text))
    assert resolved.status is TimeStatus.EXACT
    assert resolved.utc == expected


def test_aware_input_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_local(utc(2026, 1, 1), UK)


def test_unparsed_status_exists_for_parsers() -> None:
    assert TimeStatus("unparsed") is TimeStatus.UNPARSED
    assert [status.value for status in TimeStatus] == [
        "exact",
        "ambiguous",
        "nonexistent",
        "unparsed",
        "out_of_range",
        "zone_unknown",
    ]


# Display ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "wall", "label"),
    [
        (utc(2026, 1, 15, 12, 0), datetime(2026, 1, 15, 12, 0), "GMT"),
        (utc(2026, 7, 1, 12, 0), datetime(2026, 7, 1, 13, 0), "BST"),
        (utc(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 0, 59), "GMT"),
        (utc(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 2, 0), "BST"),
        (utc(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 30), "BST"),
        (utc(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 1, 30), "GMT"),
    ],
)
def test_uk_local_labels_gmt_and_bst(instant: datetime, wall: datetime, label: str) -> None:
    local, got_label = uk_local(instant)
    assert local.replace(tzinfo=None) == wall
    assert got_label == label
    # Compare in UTC: PEP 495 makes inter-zone comparisons involving fold=1 times unequal.
    assert local.astimezone(UTC) == instant


def test_uk_local_refuses_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        uk_local(datetime(2026, 1, 1))


# Properties ---------------------------------------------------------------------------------

_START_2026 = datetime(2026, 1, 1)
_MINUTES_2026 = 365 * 24 * 60


@given(st.integers(min_value=0, max_value=_MINUTES_2026 - 1))
def test_exact_times_round_trip_across_2026(minute: int) -> None:
    naive = _START_2026 + timedelta(minutes=minute)
    resolved = resolve_local(naive, UK)
    if resolved.status is TimeStatus.EXACT:
        assert resolved.utc is not None
        assert resolved.utc.astimezone(LONDON).replace(tzinfo=None) == naive
        assert uk_local(resolved.utc)[0].replace(tzinfo=None) == naive
    else:
        assert naive.date() in (datetime(2026, 3, 29).date(), datetime(2026, 10, 25).date())
        assert naive.hour == 1
        assert resolved.latest - resolved.earliest == HOUR


@given(
    st.integers(min_value=0, max_value=_MINUTES_2026 - 1),
    st.integers(min_value=-12 * 4, max_value=14 * 4),
)
def test_fixed_offsets_round_trip(minute: int, quarter_hours: int) -> None:
    offset = timedelta(minutes=15 * quarter_hours)
    sign = "-" if offset < ZERO else "+"
    hours, minutes = divmod(abs(quarter_hours) * 15, 60)
    basis = parse_time_basis(f"UTC{sign}{hours:02d}:{minutes:02d}")
    naive = _START_2026 + timedelta(minutes=minute)
    resolved = resolve_local(naive, basis)
    assert resolved.utc == (naive - offset).replace(tzinfo=UTC)
