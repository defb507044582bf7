"""Write the demo's ANPR exhibits and describe them for the ground truth.

:func:`write_anpr` draws every read (:mod:`threadline.scenario.anpr_plan`), writes the three
exhibits produced by the force's ANPR bureau (:mod:`threadline.scenario.anpr_writer`) and returns
their :class:`~threadline.scenario.truth.ExhibitTruth` and the case's
:class:`~threadline.scenario.truth.AnprTruth`:

* ``AR/1`` ``AR_1_anpr_cameras.csv``: the camera list (every NAS and site camera);
* ``AR/2`` ``AR_2_anpr_nas.csv``: the NAS road cameras' reads, nas-style, times in UTC;
* ``AR/3`` ``AR_3_anpr_site_back_office.csv``: the estates' site cameras' reads, back-office-a,
  times in UK local time (the reads in the repeated hour of 25 October are the exhibit's
  ``ambiguous_time`` anomalies).

Both read exports span the story's period (1 March to 15 November 2026). AR/2 writes UTC without
saying so and AR/3 UK wall-clock time, so each exhibit's truth records its time basis, which the
demo declares at ingest (requirements 21 and 22).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from threadline.scenario.anpr_plan import CAMERAS, NAS, SITE, AnprPlan, plan_anpr
from threadline.scenario.anpr_writer import (
    back_office_confidence,
    nas_confidence,
    write_back_office_reads,
    write_camera_list,
    write_nas_reads,
)
from threadline.scenario.story import PERIOD_END, PERIOD_START, CoreCase
from threadline.scenario.timebase import bst_bounds, uk_offset
from threadline.scenario.truth import (
    AnomalyDetail,
    AnomalyLocators,
    AnprCameraTruth,
    AnprJourneyTruth,
    AnprReadTruth,
    AnprTruth,
    ExhibitCounts,
    ExhibitTruth,
)

__all__ = [
    "ANPR_PRODUCER",
    "BACK_OFFICE_FILE",
    "CAMERA_LIST_FILE",
    "NAS_FILE",
    "write_anpr",
]

ANPR_PRODUCER = "ANPR bureau officer Alys Rennard (fictional)"
CAMERA_LIST_FILE = "AR_1_anpr_cameras.csv"
NAS_FILE = "AR_2_anpr_nas.csv"
BACK_OFFICE_FILE = "AR_3_anpr_site_back_office.csv"
#: Read IDs of the NAS export start here (a capture identifier, kept in the raw row only).
_FIRST_READ_ID = 260_300_001
_SPAN = "1 March to 15 November 2026"


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_order(plan: AnprPlan, system: str) -> npt.NDArray[np.intp]:
    """The reads of one system's cameras in the order the export lists them: by time, then
    camera, then mark."""
    on = np.asarray([c.system == system for c in CAMERAS])[plan.camera]
    chosen = np.flatnonzero(on)
    order = np.lexsort((plan.vrm_read[chosen], plan.camera[chosen], plan.utc[chosen]))
    return chosen[order]


def _repeated_hour_rows(plan: AnprPlan, rows: npt.NDArray[np.intp]) -> list[tuple[int, int, str]]:
    """(row, UTC instant, written text) of reads whose UK local time falls in the hour that
    happens twice when the clocks go back (1-based rows, header counted)."""
    utc = plan.utc[rows]
    local = utc + uk_offset(utc)
    found = []
    for year in range(PERIOD_START.year, PERIOD_END.year + 1):
        repeated = bst_bounds(year)[1]  # 01:00 UTC on the day, and 01:00 as written
        hit = np.flatnonzero((local >= repeated) & (local < repeated + 3600))
        for k in hit.tolist():
            written = datetime.fromtimestamp(int(local[k]), tz=UTC).strftime("%d/%m/%Y %H:%M:%S")
            found.append((k + 2, int(utc[k]), written))
    return sorted(found)


def _exhibit(
    reference: str,
    path: Path,
    kind: str,
    layout: str,
    provider: str,
    description: str,
    time_basis: str,
    rows: int,
    anomalies: list[tuple[int, int, str]] | None = None,
) -> ExhibitTruth:
    details = tuple(
        AnomalyDetail(
            kind="ambiguous_time",
            row=row,
            true_start=_utc(instant),
            written=written,
            note="UK local time written falls in the hour that happens twice when clocks go back",
        )
        for row, instant, written in anomalies or ()
    )
    return ExhibitTruth(
        reference=reference,
        filename=path.name,
        kind=kind,
        layout=layout,
        provider=provider,
        producer=ANPR_PRODUCER,
        description=description,
        target_msisdn=None,
        target_person=None,
        authorisation=None,
        window_start=None,
        window_end=None,
        time_basis=time_basis,
        rows=rows,
        first_data_row=2,
        counts=ExhibitCounts(0, 0, 0),
        anomalies=AnomalyLocators(ambiguous_time=tuple(d.row for d in details)),
        anomaly_details=details,
        sha256=_sha256(path),
    )


def write_anpr(
    out_dir: Path, seed: int, core: CoreCase
) -> tuple[tuple[ExhibitTruth, ...], AnprTruth]:
    """Write the camera list and both read exports into ``out_dir``; return their truth."""
    plan = plan_anpr(seed, core)
    cameras_path = out_dir / CAMERA_LIST_FILE
    camera_rows = write_camera_list(cameras_path, CAMERAS)
    nas_rows = _file_order(plan, NAS)
    site_rows = _file_order(plan, SITE)
    nas_path, site_path = out_dir / NAS_FILE, out_dir / BACK_OFFICE_FILE
    write_nas_reads(nas_path, plan, nas_rows, _FIRST_READ_ID)
    write_back_office_reads(site_path, plan, site_rows)
    nas_cameras = sum(1 for c in CAMERAS if c.system == NAS)
    exhibits = (
        _exhibit(
            "AR/1",
            cameras_path,
            "anpr-cameras",
            "anpr-cameras",
            "Force ANPR bureau (fictional): camera list",
            f"ANPR camera list: {nas_cameras} NAS road cameras in Hollowmere and "
            f"{camera_rows - nas_cameras} site cameras at Brackenfold Trading Estate and "
            "Tallow Works",
            "none",
            camera_rows,
        ),
        _exhibit(
            "AR/2",
            nas_path,
            "anpr-reads",
            "nas-style",
            "National ANPR Service (fictional data), via the force ANPR bureau: nas-style CSV "
            "export, times in UTC",
            f"ANPR reads, NAS road cameras in Hollowmere, {_SPAN} (times in UTC)",
            "UTC",
            int(nas_rows.shape[0]),
        ),
        _exhibit(
            "AR/3",
            site_path,
            "anpr-reads",
            "back-office-a",
            "Hollowmere Estates Management Ltd (fictional): site ANPR back office export, "
            "UK local time",
            f"ANPR reads, site cameras at Brackenfold Trading Estate and Tallow Works, {_SPAN} "
            "(UK local time)",
            "UK local",
            int(site_rows.shape[0]),
            _repeated_hour_rows(plan, site_rows),
        ),
    )
    return exhibits, _anpr_truth(plan, {"AR/2": nas_rows, "AR/3": site_rows})


def _anpr_truth(plan: AnprPlan, files: dict[str, npt.NDArray[np.intp]]) -> AnprTruth:
    where: dict[int, tuple[str, int]] = {}
    for reference, rows in files.items():
        where.update({int(read): (reference, k + 2) for k, read in enumerate(rows.tolist())})
    counts = np.bincount(plan.camera, minlength=len(CAMERAS))

    def read_truth(read: int) -> AnprReadTruth:
        reference, row = where[read]
        tenths = int(plan.confidence[read])
        return AnprReadTruth(
            exhibit=reference,
            row=row,
            camera_id=CAMERAS[int(plan.camera[read])].camera_id,
            vrm=plan.marks[int(plan.vrm[read])],
            vrm_read=plan.marks[int(plan.vrm_read[read])],
            read_utc=_utc(int(plan.utc[read])),
            confidence=nas_confidence(tenths)
            if reference == "AR/2"
            else back_office_confidence(tenths),
        )

    misread = np.flatnonzero(plan.vrm_read != plan.vrm).tolist()
    return AnprTruth(
        producer=ANPR_PRODUCER,
        cameras=tuple(
            AnprCameraTruth(
                camera_id=c.camera_id,
                site_name=c.site_name,
                road=c.road,
                direction=c.carriageway,
                latitude=c.latitude,
                longitude=c.longitude,
                traffic=c.traffic,
                exhibit="AR/2" if c.system == NAS else "AR/3",
                reads=int(counts[i]),
            )
            for i, c in enumerate(CAMERAS)
        ),
        journeys=tuple(
            AnprJourneyTruth(
                kind=j.kind,
                label=j.label,
                date=j.day,
                vrms=j.vrms,
                gap_seconds=j.gap_seconds,
                from_address=j.origin,
                to_address=j.destination,
                cameras=j.cameras,
                times=tuple(_utc(t) for t in j.times),
            )
            for j in sorted(plan.journeys, key=lambda j: (j.times[0], j.kind))
        ),
        misreads=tuple(sorted((read_truth(r) for r in misread), key=lambda t: (t.exhibit, t.row))),
        low_confidence=tuple(
            sorted((read_truth(r) for r in plan.low_confidence), key=lambda t: (t.exhibit, t.row))
        ),
        background_vehicles=plan.background_vehicles,
        reads=int(plan.utc.shape[0]),
    )
