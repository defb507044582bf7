"""The ANPR camera list as one reference row per camera.

A case may hold several camera lists (a force's and a partner's, or one supplied twice), so a
camera can have several rows. Every analysis and page that places a camera uses the same row: the
first with a position, then the lowest exhibit id and row id (as
:func:`threadline.analysis.cell_site.sites_sql` chooses a cell's). Its ``row_id`` is what a
finding or a map marker cites for the camera's position.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CAMERAS_SQL"]

#: One row per camera of the ``anpr_cameras`` table: camera_id, site_name, road, direction,
#: latitude, longitude, row_id.
CAMERAS_SQL: Final = """
    SELECT camera_id, site_name, road, direction, latitude, longitude, row_id
    FROM (
        SELECT *, ROW_NUMBER() OVER (
            PARTITION BY camera_id
            ORDER BY CASE WHEN latitude IS NULL OR longitude IS NULL THEN 1 ELSE 0 END,
                     exhibit_id, row_id
        ) AS nth
        FROM anpr_cameras
        WHERE camera_id IS NOT NULL AND camera_id <> ''
    ) AS listed
    WHERE nth = 1
"""
