"""Times as phones and extraction tools write them, read into UTC without guessing.

Handsets and their extraction reports write times in many encodings (formats.md §0): Unix
milliseconds (Android), Unix seconds (Android MMS), seconds or nanoseconds since 2001-01-01 (iOS
"Cocoa" time), ISO 8601 text with an offset (Cellebrite), US-style text with or without an offset
(XRY), and EXIF wall-clock text with no zone at all (photographs). Each decoder here returns a
:class:`DeviceTime`: the UTC instant when the encoding fixes it, the original value exactly as
written, and the *basis* saying how the zone was known.

When the source gives a wall-clock time with no zone (an XRY time without ``UTC+n``, an EXIF time
without ``OffsetTimeOriginal``), the instant is not known: it is some time within the span of every
zone in use, UTC-12 to UTC+14. Such a time keeps that span as its earliest and latest readings and
the status :attr:`~threadline.model.time_basis.TimeStatus.ZONE_UNKNOWN`; it is never silently read
as UTC (requirement 22; formats.md §0 "never guess a zone silently").

Pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from threadline.model.time_basis import PLAUSIBLE_YEARS, TimeStatus

__all__ = [
    "COCOA_EPOCH",
    "DeviceTime",
    "from_cocoa",
    "from_iso8601",
    "from_unix_ms",
    "from_unix_s",
    "from_wall_clock",
    "unparsed",
]

#: 2001-01-01T00:00:00Z, the epoch of Apple's Core Data ("Cocoa"/Mac absolute) times.
COCOA_EPOCH: Final = datetime(2001, 1, 1, tzinfo=UTC)

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

#: A Cocoa value above this is in nanoseconds, not seconds (iOS 11 and later; iLEAPP's rule).
_COCOA_NANOSECONDS_ABOVE: Final = 10**15

#: The widest offsets in use: a wall-clock time of unknown zone is within these of UTC.
_EARLIEST_OFFSET: Final = timedelta(hours=14)  # UTC+14 (Kiribati): UTC is 14 h earlier
_LATEST_OFFSET: Final = timedelta(hours=12)  # UTC-12: UTC is 12 h later

_ISO: Final = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True, slots=True)
class DeviceTime:
    """One time from a device or an extraction report.

    Attributes:
        utc: the instant in UTC when the encoding fixes it; ``None`` otherwise.
        earliest: the earliest UTC instant it can mean (``None`` when unparsed).
        latest: the latest UTC instant it can mean (``None`` when unparsed).
        status: exact, zone_unknown, unparsed or out_of_range.
        original: the value exactly as the source wrote it (numbers as their decimal text).
        basis: how the zone was known, recorded as the row's ``time_basis``: ``UTC`` for epoch
            counts, the offset written (``UTC+04:00``) for text with one, ``unknown`` for a
            wall-clock time with none.
    """

    utc: datetime | None
    earliest: datetime | None
    latest: datetime | None
    status: TimeStatus
    original: str
    basis: str

    def columns(self, prefix: str) -> dict[str, object]:
        """The five canonical time columns for ``prefix`` (``sent`` -> ``sent_utc`` ...)."""
        return {
            f"{prefix}_utc": self.utc,
            f"{prefix}_earliest_utc": self.earliest,
            f"{prefix}_latest_utc": self.latest,
            f"{prefix}_status": self.status.value,
            f"{prefix}_original": self.original,
        }


def unparsed(original: str, basis: str = "unknown") -> DeviceTime:
    """A value that could not be read as a time: kept as written, never placed."""
    return DeviceTime(None, None, None, TimeStatus.UNPARSED, original, basis)


def _exact(moment: datetime, original: str, basis: str) -> DeviceTime:
    if not PLAUSIBLE_YEARS[0] <= moment.year <= PLAUSIBLE_YEARS[1]:
        return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, basis)
    return DeviceTime(moment, moment, moment, TimeStatus.EXACT, original, basis)


def _number_text(value: int | float | str) -> str:
    return value if isinstance(value, str) else repr(value)


def _after(epoch: datetime, microseconds: int | float, original: str) -> DeviceTime:
    """``epoch`` plus a count of microseconds; out of range when the sum leaves the calendar."""
    if not math.isfinite(microseconds):
        return unparsed(original, "UTC")
    try:
        return _exact(epoch + timedelta(microseconds=microseconds), original, "UTC")
    except OverflowError:
        return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, "UTC")


def from_unix_ms(value: int | float | str | None) -> DeviceTime | None:
    """Milliseconds since 1970-01-01 UTC (Android ``sms.date``, call log, WhatsApp).

    ``None`` or ``0`` (Android writes 0 for "not recorded", e.g. ``date_sent`` of sent items)
    give ``None``: there is no time, rather than a time of 1970.
    """
    if value is None or value in (0, "0", ""):
        return None
    original = _number_text(value)
    try:
        number = int(value) if not isinstance(value, float) else value
    except ValueError:
        return unparsed(original, "UTC")
    # integer arithmetic keeps the millisecond exact
    return _after(_UNIX_EPOCH, number * 1000, original)


def from_unix_s(value: int | float | str | None) -> DeviceTime | None:
    """Seconds since 1970-01-01 UTC (Android MMS ``pdu.date``); ``None``/``0`` give ``None``."""
    if value is None or value in (0, "0", ""):
        return None
    original = _number_text(value)
    try:
        number = float(value) if isinstance(value, float) else int(value)
    except ValueError:
        return unparsed(original, "UTC")
    return _after(_UNIX_EPOCH, number * 1_000_000, original)


def from_cocoa(value: int | float | str | None) -> DeviceTime | None:
    """Seconds since 2001-01-01 UTC, or nanoseconds when the value exceeds 10^15 (iOS 11+).

    Core Data stores (``CallHistory.storedata``, WhatsApp ``ChatStorage.sqlite``) write real
    seconds; ``sms.db`` writes whole seconds before iOS 11 and nanoseconds from it (formats.md §0).
    ``None``/``0`` give ``None``.
    """
    if value is None or value in (0, 0.0, "0", ""):
        return None
    original = _number_text(value)
    try:
        number: int | float = float(value) if isinstance(value, float) else int(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            return unparsed(original, "UTC")
    if not math.isfinite(number):
        return unparsed(original, "UTC")
    if abs(number) > _COCOA_NANOSECONDS_ABOVE:
        # nanoseconds: integer division keeps precision down to the microsecond
        return _after(COCOA_EPOCH, int(number) // 1000, original)
    return _after(COCOA_EPOCH, number * 1_000_000, original)


def _offset(text: str) -> timedelta:
    if text.upper() == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))


def offset_name(offset: timedelta) -> str:
    """``UTC``, or ``UTC+04:00`` / ``UTC-07:00`` for a fixed offset."""
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def from_iso8601(text: str | None) -> DeviceTime | None:
    """ISO 8601 text such as Cellebrite's ``2024-09-28T14:59:35.230+00:00``.

    With an offset (or ``Z``) the instant is exact; without one the zone is unknown and the time
    keeps the span of every zone (see the module docstring). Empty text gives ``None``.
    """
    if text is None or not text.strip():
        return None
    match = _ISO.match(text)
    if match is None:
        return unparsed(text)
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    try:
        naive = datetime(year, month, day, hour, minute, second, int(fraction))
    except ValueError:
        return unparsed(text)
    zone = match.group(8)
    if zone is None:
        return from_wall_clock(naive, text)
    offset = _offset(zone)
    if abs(offset) > _EARLIEST_OFFSET:
        return unparsed(text)
    return _exact(naive.replace(tzinfo=timezone(offset)).astimezone(UTC), text, offset_name(offset))


def from_wall_clock(naive: datetime, original: str, offset: timedelta | None = None) -> DeviceTime:
    """A wall-clock time: exact with its ``offset``, else the span of every zone (zone unknown).

    An ``offset`` of a day or more is no zone at all (``timezone`` refuses it): the time is kept as
    written, unparsed, rather than raising.
    """
    if offset is not None and abs(offset) >= timedelta(hours=24):
        return unparsed(original)
    if not PLAUSIBLE_YEARS[0] <= naive.year <= PLAUSIBLE_YEARS[1]:
        basis = "unknown" if offset is None else offset_name(offset)
        return DeviceTime(None, None, None, TimeStatus.OUT_OF_RANGE, original, basis)
    if offset is not None:
        moment = naive.replace(tzinfo=timezone(offset)).astimezone(UTC)
        return _exact(moment, original, offset_name(offset))
    as_utc = naive.replace(tzinfo=UTC)
    return DeviceTime(
        None,
        as_utc - _EARLIEST_OFFSET,
        as_utc + _LATEST_OFFSET,
        TimeStatus.ZONE_UNKNOWN,
        original,
        "unknown",
    )
