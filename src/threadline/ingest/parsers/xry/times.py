"""Times and durations as MSAB XRY writes them, read without guessing a zone.

XRY's text export writes times US-style, ``M/D/YYYY h:mm:ss AM/PM``, optionally followed by the
offset the device or network reported (``UTC+4``, ``GMT-7``, ``UTC``) and by the clock the time
came from, ``(Device)`` or ``(Network)`` (formats.md §0 and §2a). With an offset the instant is
exact; without one the zone is unknown and the time keeps the span of every zone in use
(UTC-12 to UTC+14): it is never read as UTC, which is what Autopsy's reader assumes
(requirement 22). The original text is always kept whole, clock suffix included.

The XRY XML export's only documented time is the report's creation time, ``DD/MM/YYYY HH:MM:SS``
(day first, 24-hour clock, no zone; formats.md §2b). :func:`parse_xml_time` reads that form, the
text export's form (told apart by its AM/PM) and ISO 8601.

Pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from threadline.model.device_time import (
    DeviceTime,
    from_iso8601,
    from_wall_clock,
    unparsed,
)

__all__ = ["parse_duration", "parse_text_time", "parse_xml_time"]

_MAX_OFFSET: Final = timedelta(hours=14)

_TEXT_TIME: Final = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?"
    r"\s*(?:(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?)?"
    r"\s*(?:\((?:Device|Network)\))?\s*$",
    re.IGNORECASE | re.ASCII,
)
_ZONE_WRITTEN: Final = re.compile(r"(?:UTC|GMT)", re.IGNORECASE)

_DAY_FIRST: Final = re.compile(
    r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$", re.ASCII
)

_CLOCK_DURATION: Final = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})\s*$", re.ASCII)
_SECONDS_DURATION: Final = re.compile(r"^\s*(\d+)\s*(?:s|sec|secs|seconds)?\s*$", re.IGNORECASE)


def _hour(hour: int, meridiem: str | None) -> int | None:
    if meridiem is None:
        return hour if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    if meridiem.upper() == "AM":
        return 0 if hour == 12 else hour
    return 12 if hour == 12 else hour + 12


def parse_text_time(text: str | None) -> DeviceTime | None:
    """An XRY text export time (see the module docstring); ``None`` for empty text.

    ``1/3/2024 1:23:54 PM UTC+4 (Device)`` is exact (09:23:54 UTC); ``1/3/2024 1:23:54 PM
    (Network)`` has an unknown zone. Text that does not match is kept as written, unparsed.
    """
    if text is None or not text.strip():
        return None
    original = text.strip()
    match = _TEXT_TIME.match(original)
    if match is None:
        return unparsed(original)
    month, day, year, hour_text, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    hour = _hour(hour_text, match.group(7))
    if hour is None:
        return unparsed(original)
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return unparsed(original)
    offset: timedelta | None = None
    if match.group(8) is not None:
        sign = -1 if match.group(8) == "-" else 1
        offset = sign * timedelta(hours=int(match.group(9)), minutes=int(match.group(10) or 0))
        if abs(offset) > _MAX_OFFSET:
            return unparsed(original)
    elif _ZONE_WRITTEN.search(original):
        offset = timedelta(0)  # a bare "UTC" or "GMT": the offset is zero
    return from_wall_clock(naive, original, offset)


def parse_xml_time(text: str | None) -> DeviceTime | None:
    """A time from an XRY XML export; ``None`` for empty text.

    With AM/PM it is the text export's month-first form; a 24-hour ``DD/MM/YYYY HH:MM:SS`` is
    day first (the form the XML's creation time is documented in); ``2024-03-01T10:00:00Z`` is
    ISO 8601. Anything else is kept as written, unparsed.
    """
    if text is None or not text.strip():
        return None
    original = text.strip()
    if original[:4].isdigit() and "-" in original[:8]:
        return from_iso8601(original)
    day_first = _DAY_FIRST.match(original)
    if day_first is None:
        return parse_text_time(original)
    day, month, year, hour, minute = (int(day_first.group(i)) for i in range(1, 6))
    second = int(day_first.group(6) or 0)
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return unparsed(original)
    return from_wall_clock(naive, original)


def parse_duration(text: str | None) -> int | None:
    """Seconds from ``hh:mm:ss``, ``mm:ss`` or a plain count of seconds; ``None`` otherwise."""
    if text is None:
        return None
    clock = _CLOCK_DURATION.match(text)
    if clock is not None:
        hours = int(clock.group(1) or 0)
        minutes, seconds = int(clock.group(2)), int(clock.group(3))
        if seconds > 59 or (clock.group(1) is not None and minutes > 59):
            return None
        return hours * 3600 + minutes * 60 + seconds
    plain = _SECONDS_DURATION.match(text)
    return int(plain.group(1)) if plain is not None else None
