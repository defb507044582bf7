"""Device time decoders: expected instants worked out by hand or taken from plaso's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from threadline.model.device_time import (
    from_cocoa,
    from_iso8601,
    from_unix_ms,
    from_unix_s,
    from_wall_clock,
)
from threadline.model.time_basis import TimeStatus


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_unix_milliseconds_match_plaso_android_call_oracle() -> None:
    # android__contacts2.db calls.date of the first call; plaso expects 2013-11-06T21:17:16.690Z
    decoded = from_unix_ms(1383772636690)
    assert decoded is not None
    assert decoded.utc == _utc(2013, 11, 6, 21, 17, 16, 690000)
    assert decoded.earliest == decoded.latest == decoded.utc
    assert decoded.status is TimeStatus.EXACT
    assert decoded.original == "1383772636690"
    assert decoded.basis == "UTC"


def test_unix_zero_and_none_mean_no_time() -> None:
    assert from_unix_ms(0) is None
    assert from_unix_ms(None) is None
    assert from_unix_s("0") is None


def test_unix_seconds() -> None:
    # 1,000,000,000 s after 1970 is 2001-09-09T01:46:40Z (the "billennium")
    decoded = from_unix_s(1_000_000_000)
    assert decoded is not None
    assert decoded.utc == _utc(2001, 9, 9, 1, 46, 40)


def test_cocoa_seconds_and_nanoseconds_give_the_same_instant() -> None:
    # 978307200 + 469908586 = 1448215786 s since 1970 = 16761 days + 65386 s = 2015-11-22 18:09:46
    seconds = from_cocoa(469908586)
    nanoseconds = from_cocoa(469908586 * 10**9)
    assert seconds is not None
    assert nanoseconds is not None
    assert seconds.utc == _utc(2015, 11, 22, 18, 9, 46)
    assert nanoseconds.utc == seconds.utc
    assert nanoseconds.original == "469908586000000000"


def test_cocoa_real_seconds_keep_the_fraction() -> None:
    decoded = from_cocoa(0.5 + 86400)
    assert decoded is not None
    assert decoded.utc == _utc(2001, 1, 2, 0, 0, 0, 500000)


def test_iso8601_with_offsets() -> None:
    utc = from_iso8601("2024-09-28T14:59:35.230+00:00")
    plus_two = from_iso8601("2024-09-28T14:59:35.230+02:00")
    assert utc is not None
    assert plus_two is not None
    assert utc.utc == _utc(2024, 9, 28, 14, 59, 35, 230000)
    assert utc.basis == "UTC"
    assert plus_two.utc == _utc(2024, 9, 28, 12, 59, 35, 230000)
    assert plus_two.basis == "UTC+02:00"
    assert plus_two.original == "2024-09-28T14:59:35.230+02:00"


def test_iso8601_without_offset_is_never_read_as_utc() -> None:
    decoded = from_iso8601("2024-09-28T14:59:35")
    assert decoded is not None
    assert decoded.utc is None
    assert decoded.status is TimeStatus.ZONE_UNKNOWN
    # UTC+14 puts the instant 14 h earlier, UTC-12 12 h later
    assert decoded.earliest == _utc(2024, 9, 28, 0, 59, 35)
    assert decoded.latest == _utc(2024, 9, 29, 2, 59, 35)
    assert decoded.basis == "unknown"


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", "2024-09-28T14:59+15:00"])
def test_iso8601_unreadable(text: str) -> None:
    decoded = from_iso8601(text)
    assert decoded is not None
    assert decoded.status is TimeStatus.UNPARSED
    assert decoded.utc is None
    assert decoded.earliest is None
    assert decoded.original == text


def test_placeholder_years_are_out_of_range() -> None:
    decoded = from_iso8601("0001-01-01T00:00:00Z")
    assert decoded is not None
    assert decoded.status is TimeStatus.OUT_OF_RANGE
    huge = from_unix_ms(10**17)  # about the year 5,000,000
    assert huge is not None
    assert huge.status is TimeStatus.OUT_OF_RANGE


def test_wall_clock_with_an_offset_is_exact() -> None:
    decoded = from_wall_clock(
        datetime(1990, 1, 3, 1, 23, 54), "1/3/1990 1:23:54 AM UTC+4", timedelta(hours=4)
    )
    assert decoded.utc == _utc(1990, 1, 2, 21, 23, 54)
    assert decoded.basis == "UTC+04:00"


@pytest.mark.parametrize("offset", [timedelta(hours=99, minutes=99), timedelta(hours=-24)])
def test_wall_clock_with_an_impossible_offset_is_unparsed(offset: timedelta) -> None:
    decoded = from_wall_clock(datetime(2026, 3, 1, 14, 5, 6), "2026:03:01 14:05:06 +99:99", offset)
    assert decoded.status is TimeStatus.UNPARSED
    assert decoded.utc is None
    assert decoded.earliest is None
    assert decoded.original == "2026:03:01 14:05:06 +99:99"


def test_columns_name_the_five_time_columns() -> None:
    decoded = from_unix_s(1_000_000_000)
    assert decoded is not None
    assert decoded.columns("sent") == {
        "sent_utc": _utc(2001, 9, 9, 1, 46, 40),
        "sent_earliest_utc": _utc(2001, 9, 9, 1, 46, 40),
        "sent_latest_utc": _utc(2001, 9, 9, 1, 46, 40),
        "sent_status": "exact",
        "sent_original": "1000000000",
    }


@pytest.mark.parametrize("value", [float("inf"), "inf", float("nan"), "-inf"])
def test_infinite_and_not_a_number_counts_are_unparsed(value: float | str) -> None:
    for decode in (from_cocoa, from_unix_ms, from_unix_s):
        decoded = decode(value)
        assert decoded is not None
        assert decoded.status is TimeStatus.UNPARSED
