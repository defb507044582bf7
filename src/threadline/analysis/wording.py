"""Words that findings share: counts by medium and periods, written the same way everywhere.

Times in explanations are UTC and say so (requirement 22: every displayed time names its basis).
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final

__all__ = ["count_phrase", "instant_phrase", "period_phrase"]

_MEDIA: Final = MappingProxyType(
    {
        "call": ("call", "calls"),
        "sms": ("SMS", "SMS"),
        "mms": ("MMS", "MMS"),
        "im": ("instant message", "instant messages"),
        "message": ("message", "messages"),
    }
)


def count_phrase(count: int, medium: str) -> str:
    """``3 calls``, ``1 SMS``, ``2 instant messages``."""
    one, many = _MEDIA.get(medium, (medium, medium))
    return f"{count} {one if count == 1 else many}"


def instant_phrase(moment: datetime) -> str:
    """``2024-06-01 09:12:05 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def period_phrase(first: datetime | None, last: datetime | None) -> str:
    """``between 2024-06-01 09:12:05 UTC and 2024-06-03 18:40:00 UTC`` (``on`` one instant)."""
    if first is None or last is None:
        return "at times not known exactly"
    if first == last:
        return f"on {instant_phrase(first)}"
    return f"between {instant_phrase(first)} and {instant_phrase(last)}"
