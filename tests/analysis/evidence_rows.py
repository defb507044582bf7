"""Test support beside :mod:`evidence_factory`: data session and device rows, handset columns,
and an independent Luhn check for the made-up IMEIs the tests use.

The rows follow the same conventions as :func:`evidence_factory.call`: only the columns that
matter, row ``n`` of exhibit ``exhibit``, times given as UTC text (``None`` for an undated row).
"""

from __future__ import annotations

from typing import Any

from evidence_factory import utc

from threadline.model.ids import row_id


def handset(imei: str | None = None, imsi: str | None = None) -> dict[str, Any]:
    """The handset columns of a row: ``imei`` as written, ``imei_key`` its first 14 digits
    (requirement 24) and ``imsi``; pass as keyword arguments to ``call``/``message``."""
    return {
        "imei": imei,
        "imei_key": imei[:14] if imei else None,
        "imei_original": imei,
        "imsi": imsi,
        "imsi_original": imsi,
    }


def data_session(exhibit: str, n: int, party: str, at: str | None, **extra: Any) -> dict[str, Any]:
    """A ``data_sessions`` row: the subscriber ``party`` used data at ``at`` (UTC)."""
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "party": party,
        "start_utc": utc(at) if at else None,
        "start_earliest_utc": utc(at) if at else None,
        "start_latest_utc": utc(at) if at else None,
        "start_status": "exact" if at else "unparsed",
    }
    row.update(extra)
    return row


def device(exhibit: str, n: int, **extra: Any) -> dict[str, Any]:
    """A ``devices`` row of a phone download (no time of its own): ``msisdn``, ``iccid``...
    and the handset columns (see :func:`handset`) as keyword arguments."""
    row = {
        "row_id": row_id(exhibit, f"device={n}"),
        "exhibit_id": exhibit,
        "locator": f"device={n}",
    }
    row.update(extra)
    return row


def luhn_valid(digits: str) -> bool:
    """Whether a 15-digit IMEI's last digit is the Luhn check digit of the 14 before it,
    computed as domain.md §7.2 states it (double positions 2, 4, ..., 14 from the left), kept
    apart from :mod:`threadline.model.imei` so the test data is checked independently."""
    body, check = digits[:14], int(digits[14])
    total = 0
    for position, char in enumerate(body, start=1):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return len(digits) == 15 and (10 - total % 10) % 10 == check
