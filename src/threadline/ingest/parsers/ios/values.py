"""Reading single SQLite values as the readers need them, whatever type the column holds.

SQLite does not enforce column types: a damaged or unusual store can hold a blob where a number
is expected. These helpers turn any value into the text or time the canonical columns take, so a
strange value is kept (as its original) rather than crashing the ingest.
"""

from __future__ import annotations

from typing import Any

from threadline.model.device_time import DeviceTime, from_cocoa, unparsed

__all__ = ["cocoa_time", "text"]


def text(value: Any) -> str | None:
    """Non-blank text for a value (a blob read as UTF-8), else ``None``."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    result = str(value)
    return result if result.strip() else None


def cocoa_time(value: Any) -> DeviceTime | None:
    """A Cocoa time (seconds, or nanoseconds from iOS 11, since 2001 UTC) from any value; a
    value that is not a number is kept unparsed."""
    if value is None or (isinstance(value, int | float | str) and not isinstance(value, bool)):
        try:
            return from_cocoa(value)
        except (OverflowError, ValueError):
            # from_cocoa raises for infinity ("inf" as text too); keep it as written instead
            return unparsed(value if isinstance(value, str) else repr(value), "UTC")
    return unparsed(repr(value), "UTC")
