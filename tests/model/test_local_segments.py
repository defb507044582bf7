"""The vectorised reading of local times (segments) agrees with the row-by-row one."""

from __future__ import annotations

import bisect
import functools
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadline.model.time_basis import (
    LocalSegment,
    TimeStatus,
    local_segments,
    offsets_for_local,
    parse_time_basis,
)

ZONES = ["europe-london", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC+04:00"]


@functools.cache
def _segments(zone: str) -> tuple[LocalSegment, ...]:
    return local_segments(parse_time_basis(zone), 2024, 2027)


def _segment_for(segments: tuple[LocalSegment, ...], local: datetime) -> LocalSegment:
    starts = [s.start for s in segments]
    return segments[bisect.bisect_right(starts, local) - 1]


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=300, deadline=None)
@given(minute=st.integers(min_value=0, max_value=4 * 366 * 24 * 60))
def test_segments_agree_with_offsets_for_local(zone: str, minute: int) -> None:
    basis = parse_time_basis(zone)
    segments = _segments(zone)
    local = datetime(2024, 1, 1) + timedelta(minutes=minute)
    expected = offsets_for_local(local, basis)
    got = _segment_for(segments, local)
    assert (got.earliest_offset, got.latest_offset, got.status) == expected


def test_uk_2026_changes_by_hand() -> None:
    """Clocks go forward 29 March 2026 at 01:00 UTC and back 25 October 2026 at 01:00 UTC."""
    segments = local_segments(parse_time_basis("europe-london"), 2026, 2026)
    special = [s for s in segments if s.status is not TimeStatus.EXACT]
    hour = timedelta(hours=1)
    # the gap starts at 01:00 local (GMT) and the repeated hour at 01:00 local (after falling
    # back from 02:00 BST); in both the earliest reading uses BST (+1h) and the latest GMT
    assert [(s.start, s.earliest_offset, s.latest_offset, s.status) for s in special] == [
        (datetime(2026, 3, 29, 1), hour, timedelta(0), TimeStatus.NONEXISTENT),
        (datetime(2026, 10, 25, 1), hour, timedelta(0), TimeStatus.AMBIGUOUS),
    ]
    after_gap = _segment_for(segments, datetime(2026, 3, 29, 2))
    assert (after_gap.start, after_gap.earliest_offset) == (datetime(2026, 3, 29, 2), hour)
    after_fold = _segment_for(segments, datetime(2026, 10, 25, 2))
    assert after_fold.start == datetime(2026, 10, 25, 2)
    assert after_fold.earliest_offset == timedelta(0)
