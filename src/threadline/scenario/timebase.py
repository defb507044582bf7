"""UK civil time for the synthetic case: the BST rule, vectorised, without a time-zone database.

The generator writes one layout (``network-b``) in UK local time, so it must turn UTC instants into
the wall-clock time a UK operator's system would print, for millions of rows at once. UK clocks go
forward at 01:00 UTC on the last Sunday in March and back at 01:00 UTC on the last Sunday in
October (domain brief §7.8); that rule is computed here directly, so generation needs neither a
time-zone database nor a Python loop per row. In 2026 the changes fall on 29 March and 25 October.

All instants are integer seconds since 1970-01-01T00:00:00Z ("epoch seconds").
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

__all__ = [
    "BST_OFFSET",
    "bst_bounds",
    "epoch",
    "local_to_utc",
    "uk_offset",
]

#: Offset of British Summer Time from UTC, in seconds.
BST_OFFSET = 3600


def epoch(moment: datetime | date) -> int:
    """Return epoch seconds for a UTC datetime, or for midnight UTC at the start of a date."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
        return calendar.timegm(moment.astimezone(UTC).timetuple())
    return calendar.timegm(moment.timetuple())


def _last_sunday(year: int, month: int) -> date:
    last_day = calendar.monthrange(year, month)[1]
    last = date(year, month, last_day)
    return date(year, month, last_day - (last.weekday() + 1) % 7)


def bst_bounds(year: int) -> tuple[int, int]:
    """Return the epoch seconds at which BST starts and ends in ``year``.

    Both changes happen at 01:00 UTC: on the last Sunday in March (clocks go forward, local
    01:00–01:59 does not exist) and on the last Sunday in October (clocks go back, local
    01:00–01:59 happens twice).
    """
    start = epoch(_last_sunday(year, 3)) + 3600
    end = epoch(_last_sunday(year, 10)) + 3600
    return start, end


def _bounds_array(low: int, high: int) -> npt.NDArray[np.int64]:
    first = datetime.fromtimestamp(low - 86400 * 366, tz=UTC).year
    last = datetime.fromtimestamp(high + 86400 * 366, tz=UTC).year
    flat = [edge for year in range(first, last + 1) for edge in bst_bounds(year)]
    return np.asarray(flat, dtype=np.int64)


def uk_offset(utc: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the UK offset from UTC (0 or 3600 seconds) in force at each UTC instant."""
    if utc.size == 0:
        return np.zeros(0, dtype=np.int64)
    bounds = _bounds_array(int(utc.min()), int(utc.max()))
    position = np.searchsorted(bounds, utc, side="right")
    return np.where(position % 2 == 1, BST_OFFSET, 0).astype(np.int64)


def local_to_utc(local: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Turn naive UK wall-clock times (as epoch-like seconds) into UTC instants.

    Used only to place story events at plausible local hours. A wall-clock time in the repeated
    hour resolves to its first occurrence (BST); one in the spring gap resolves an hour later than
    written, as a clock that had not yet gone forward would place it. Neither ever reaches an
    exhibit as written: exhibits are always rendered from the UTC instant.
    """
    guess = local - BST_OFFSET
    return np.where(uk_offset(guess) == BST_OFFSET, guess, local).astype(np.int64)
