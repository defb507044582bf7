"""Write ANPR exhibits in the layouts the ``anpr`` and ``anpr_cameras`` parsers read.

Three files, each in a layout described in ``docs/parsers/anpr.md``:

* the **camera list** (``Camera ID, Site Name, Road, Carriageway Direction, Latitude,
  Longitude``), UTF-8, read by ``anpr_cameras``;
* a **nas-style** read export (``Read ID, VRM, Read Date Time, Camera ID, Camera Name, Latitude,
  Longitude, Direction, Lane, Confidence``), UTF-8 with a byte-order mark as spreadsheet tools
  write it, times ``YYYY-MM-DD HH:MM:SS`` in UTC with no zone written (so the time basis is
  declared at ingest), compass directions, confidence with one decimal;
* a **back-office-a** read export (``Plate, Date (UK local), Time (UK local), Camera, Location,
  Travel Direction, Lane No, Read Confidence (%)``), UTF-8, wall-clock UK local time (GMT or BST),
  ``In``/``Out`` at gate cameras, whole-number confidence, no camera position.

Rows are given in file order by the caller; times are formatted for all rows at once with numpy.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from threadline.scenario.anpr_plan import CAMERAS, DIRECTIONS, AnprPlan, Camera
from threadline.scenario.timebase import uk_offset

__all__ = [
    "BACK_OFFICE_HEADER",
    "CAMERA_LIST_HEADER",
    "NAS_HEADER",
    "back_office_confidence",
    "nas_confidence",
    "write_back_office_reads",
    "write_camera_list",
    "write_nas_reads",
]

CAMERA_LIST_HEADER = (
    "Camera ID",
    "Site Name",
    "Road",
    "Carriageway Direction",
    "Latitude",
    "Longitude",
)
NAS_HEADER = (
    "Read ID",
    "VRM",
    "Read Date Time",
    "Camera ID",
    "Camera Name",
    "Latitude",
    "Longitude",
    "Direction",
    "Lane",
    "Confidence",
)
BACK_OFFICE_HEADER = (
    "Plate",
    "Date (UK local)",
    "Time (UK local)",
    "Camera",
    "Location",
    "Travel Direction",
    "Lane No",
    "Read Confidence (%)",
)

#: How the back office writes a direction of travel (a gate camera: In = entering the site).
_BACK_OFFICE_WORDS = {
    "N": "Northbound",
    "NE": "North East",
    "E": "Eastbound",
    "SE": "South East",
    "S": "Southbound",
    "SW": "South West",
    "W": "Westbound",
    "NW": "North West",
    "towards": "In",
    "away": "Out",
}


def _iso_seconds(seconds: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """``YYYY-MM-DDTHH:MM:SS`` for epoch(-like) seconds."""
    return np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")


def nas_confidence(tenths: int) -> float:
    """The confidence a nas-style export writes for a confidence in tenths of a percent."""
    return tenths / 10


def back_office_confidence(tenths: int) -> float:
    """The confidence the back office writes (a whole percent, halves rounded up)."""
    return float((tenths + 5) // 10)


def write_camera_list(path: Path, cameras: Sequence[Camera]) -> int:
    """Write the camera list; return its data rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CAMERA_LIST_HEADER)
        for camera in cameras:
            writer.writerow(
                (
                    camera.camera_id,
                    camera.site_name,
                    camera.road,
                    camera.carriageway,
                    f"{camera.latitude:.6f}",
                    f"{camera.longitude:.6f}",
                )
            )
    return len(cameras)


def write_nas_reads(
    path: Path, plan: AnprPlan, rows: npt.NDArray[np.intp], first_read_id: int
) -> None:
    """Write the reads ``rows`` of ``plan`` (in file order) as a nas-style export, in UTC."""
    stamps = _iso_seconds(plan.utc[rows])
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(NAS_HEADER)
        for k, row in enumerate(rows.tolist()):
            camera = CAMERAS[int(plan.camera[row])]
            writer.writerow(
                (
                    f"NAS{first_read_id + k:09d}",
                    plan.marks[int(plan.vrm_read[row])],
                    str(stamps[k]).replace("T", " "),
                    camera.camera_id,
                    camera.site_name,
                    f"{camera.latitude:.6f}",
                    f"{camera.longitude:.6f}",
                    DIRECTIONS[int(plan.direction[row])],
                    int(plan.lane[row]),
                    f"{nas_confidence(int(plan.confidence[row])):.1f}",
                )
            )


def write_back_office_reads(path: Path, plan: AnprPlan, rows: npt.NDArray[np.intp]) -> None:
    """Write the reads ``rows`` of ``plan`` (in file order) as a back-office-a export, in UK
    local wall-clock time (BST in summer, GMT in winter; the repeated autumn hour written twice
    the same way, as such systems do)."""
    utc = plan.utc[rows]
    stamps = _iso_seconds(utc + uk_offset(utc))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BACK_OFFICE_HEADER)
        for k, row in enumerate(rows.tolist()):
            camera = CAMERAS[int(plan.camera[row])]
            stamp = str(stamps[k])
            writer.writerow(
                (
                    plan.marks[int(plan.vrm_read[row])],
                    f"{stamp[8:10]}/{stamp[5:7]}/{stamp[0:4]}",
                    stamp[11:19],
                    camera.camera_id,
                    camera.site_name,
                    _BACK_OFFICE_WORDS[DIRECTIONS[int(plan.direction[row])]],
                    int(plan.lane[row]),
                    f"{back_office_confidence(int(plan.confidence[row])):.0f}",
                )
            )
