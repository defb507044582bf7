"""The time encodings of the apps' databases, read into UTC without rounding up.

* Burner, Viber and Tango (Android) write **milliseconds since 1970** as integers.
* Kik (iOS, Core Data) writes **real seconds since 2001-01-01** ("Cocoa" time) as a floating-point
  number such as ``457273571.584834``. The stored binary value is not exactly the decimal shown
  (here 457273571.5848339796...); it is cut, not rounded, to the microsecond, so the time never
  lies after the instant the value records and agrees with plaso's reading to the microsecond
  (2015-06-29T12:26:11.584833Z).
* imo (iOS) writes **nanoseconds since 1970** as integers (``ZTS``); cut to the microsecond.

``0`` or empty means "not recorded" and gives no time; a value that is not a number is kept as
written with the status ``unparsed`` (requirement 22), never guessed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Final

from threadline.ingest.sqlite_rows import as_int, as_text
from threadline.model.device_time import COCOA_EPOCH, DeviceTime, from_unix_ms, unparsed
from threadline.model.time_basis import PLAUSIBLE_YEARS, TimeStatus

__all__ = ["cocoa_seconds", "unix_ms", "unix_ns"]

_UNIX_EPOCH: Final = datetime.fromtimestamp(0, COCOA_EPOCH.tzinfo)
_MICRO: Final = Decimal(1_000_000)
#: seconds beyond any calendar date (about 31 700 years): refused before turning into an integer
_FAR: Final = Decimal(10**12)


def _original(value: Any) -> str:
    return repr(value) if isinstance(value, float) else (as_text(value) or repr(value))


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip() == "0"
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _after(epoch: datetime, microseconds: int, original: str) -> DeviceTime:
    try:
        moment = epoch + timedelta(microseconds=microseconds)
    except OverflowError:
        return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, "UTC")
    if not PLAUSIBLE_YEARS[0] <= moment.year <= PLAUSIBLE_YEARS[1]:
        return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, "UTC")
    return DeviceTime(moment, moment, moment, TimeStatus.EXACT, original, "UTC")


def unix_ms(value: Any) -> DeviceTime | None:
    """Milliseconds since 1970 UTC, an integer; ``0`` or empty give no time."""
    if _empty(value):
        return None
    number = as_int(value)
    if number is None:
        return unparsed(_original(value), "UTC")
    return from_unix_ms(number)


def unix_ns(value: Any) -> DeviceTime | None:
    """Nanoseconds since 1970 UTC (imo ``ZTS``), cut to the microsecond; ``0`` or empty give no
    time."""
    if _empty(value):
        return None
    number = as_int(value)
    if number is None:
        return unparsed(_original(value), "UTC")
    return _after(_UNIX_EPOCH, number // 1000, _original(value))


def cocoa_seconds(value: Any) -> DeviceTime | None:
    """Real seconds since 2001-01-01 UTC (Kik), cut to the microsecond from the exact stored
    value; ``0`` or empty give no time."""
    if _empty(value):
        return None
    original = _original(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return unparsed(original, "UTC")
    if isinstance(value, float) and not math.isfinite(value):
        return unparsed(original, "UTC")
    try:
        # Decimal(float) is the exact binary value, so the cut is exact too
        exact = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
        if not exact.is_finite():
            return unparsed(original, "UTC")
        if abs(exact) > _FAR:
            return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, "UTC")
        microseconds = int((exact * _MICRO).to_integral_value(rounding=ROUND_FLOOR))
    except (InvalidOperation, ValueError, OverflowError):
        return unparsed(original, "UTC")
    return _after(COCOA_EPOCH, microseconds, original)
