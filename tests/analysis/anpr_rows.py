"""Test support: hand-written ``anpr_reads`` and ``anpr_cameras`` rows for the ANPR analyses.

Companions of :mod:`evidence_factory`'s ``call`` and ``message``: only the columns that matter are
filled, in the forms the ``anpr`` and ``anpr_cameras`` parsers write (marks normalised by
:func:`threadline.model.vrm.normalise_vrm`, UTC instants, compass directions). Marks must be
fictional: current-format marks whose memory tag begins with T or U, which DVLA assigns to no
region (tests/fixtures/anpr/README.md).
"""

from __future__ import annotations

from typing import Any

from evidence_factory import utc

from threadline.model.ids import row_id
from threadline.model.vrm import normalise_vrm


def anpr_read(
    exhibit: str,
    n: int,
    mark: str,
    camera_id: str,
    at: str | None,
    direction: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An anpr_reads row from exhibit ``exhibit``, row ``n``: camera ``camera_id`` read ``mark``
    (as written; normalised here as the parser would) at ``at`` (UTC; ``None`` for a time that
    is not exact, given by ``read_earliest_utc``/``read_latest_utc``) travelling
    ``direction``."""
    vrm = normalise_vrm(mark)
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "vrm": vrm.value if vrm else "",
        "vrm_original": mark,
        "vrm_format": str(vrm.format) if vrm else None,
        "read_utc": utc(at) if at else None,
        "read_earliest_utc": utc(at) if at else None,
        "read_latest_utc": utc(at) if at else None,
        "read_status": "exact" if at else "ambiguous",
        "read_original": at,
        "camera_id": camera_id,
        "direction": direction,
        "direction_original": direction,
        "time_basis": "UTC",
    }
    row.update(extra)
    return row


def anpr_camera(
    exhibit: str,
    n: int,
    camera_id: str,
    site_name: str | None,
    road: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    *,
    direction: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An anpr_cameras row: ``camera_id`` listed at ``site_name`` on ``road``."""
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "camera_id": camera_id,
        "site_name": site_name,
        "road": road,
        "direction": direction,
        "direction_original": direction,
        "latitude": latitude,
        "longitude": longitude,
    }
    row.update(extra)
    return row
