"""Test support: hand-written ``data_sessions`` and ``cell_sites`` rows for the location analyses.

Companions of :mod:`evidence_factory`'s ``call`` and ``message``: only the columns that matter are
filled, in the canonical forms the parsers write (E.164 numbers, cells ``MCC-MNC-AREA-CELL``,
UTC instants).
"""

from __future__ import annotations

from typing import Any

from evidence_factory import utc

from threadline.model.ids import row_id


def data_session(
    exhibit: str,
    n: int,
    party: str,
    start: str,
    start_cell: str | None,
    *,
    end: str | None = None,
    end_cell: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A data_sessions row from exhibit ``exhibit``, row ``n``: ``party``'s data record starting
    at ``start`` (UTC) on ``start_cell``, ending at ``end`` on ``end_cell`` where given."""
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "party": party,
        "start_utc": utc(start),
        "start_earliest_utc": utc(start),
        "start_latest_utc": utc(start),
        "start_status": "exact",
        "end_utc": utc(end) if end else None,
        "end_earliest_utc": utc(end) if end else None,
        "end_latest_utc": utc(end) if end else None,
        "end_status": "exact" if end else None,
        "start_cell": start_cell,
        "end_cell": end_cell,
    }
    row.update(extra)
    return row


def cell_site(
    exhibit: str,
    n: int,
    cell_id: str,
    site_name: str | None,
    address: str | None,
    postcode: str | None,
    latitude: float | None,
    longitude: float | None,
    *,
    position_basis: str = "operator",
    **extra: Any,
) -> dict[str, Any]:
    """A cell_sites row: ``cell_id`` (``234-30-1201-30451``) listed at a site, its network and
    numbers filled from the id."""
    mcc, mnc, area, cell = cell_id.split("-")
    row = {
        "row_id": row_id(exhibit, f"row={n}"),
        "exhibit_id": exhibit,
        "locator": f"row={n}",
        "cell_id": cell_id,
        "mcc": mcc,
        "mnc": mnc,
        "area": int(area),
        "cell": int(cell),
        "site_name": site_name,
        "address": address,
        "postcode": postcode,
        "latitude": latitude,
        "longitude": longitude,
        "position_basis": position_basis,
    }
    row.update(extra)
    return row
