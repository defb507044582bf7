"""Synthetic case generator: Operation Cedar, a fictional modern-slavery investigation.

It writes realistic exhibits (call data returns in four fictional UK network layouts, among them
the victims' phones and a driver's phone that follows the vehicle he drives, an operator
cell list, the downloads of five seized handsets: Cellebrite UFDRs, an XRY text export and an
Android full file-system extraction, and ANPR evidence: a camera list and read exports in the
nas-style and back-office-a layouts) with fictional identifiers only (requirement 66), and the
ground truth they were drawn from, so that ``threadline demo``, tests and benchmarks all work from
the same known case.

Public API::

    generate_case(out_dir, *, seed=20261122, scale=None) -> GroundTruth
    generate_cdr_file(path, layout, rows, *, seed=20261122, chunk_rows=500_000) -> CdrFileSummary
    GroundTruth.to_json() / GroundTruth.from_json(text)

The package imports only :mod:`threadline.model` and :mod:`threadline.errors` from the project.
The phone downloads are described in ``docs/demo-phone-downloads.md``, the ANPR evidence in
``docs/demo-anpr.md``.
"""

from threadline.scenario.generator import (
    DEFAULT_SEED,
    CdrFileSummary,
    generate_case,
    generate_cdr_file,
)
from threadline.scenario.layouts import CELL_LIST_HEADER, HEADERS, Layout
from threadline.scenario.truth import (
    AnomalyLocators,
    AnprCameraTruth,
    AnprJourneyTruth,
    AnprReadTruth,
    AnprTruth,
    ExhibitCounts,
    ExhibitTruth,
    GroundTruth,
    PhoneContactTruth,
    PhoneDownloadTruth,
    PhoneThreadTruth,
    TransportRun,
    VehiclePhoneRun,
    VehiclePhoneTruth,
)

__all__ = [
    "CELL_LIST_HEADER",
    "DEFAULT_SEED",
    "HEADERS",
    "AnomalyLocators",
    "AnprCameraTruth",
    "AnprJourneyTruth",
    "AnprReadTruth",
    "AnprTruth",
    "CdrFileSummary",
    "ExhibitCounts",
    "ExhibitTruth",
    "GroundTruth",
    "Layout",
    "PhoneContactTruth",
    "PhoneDownloadTruth",
    "PhoneThreadTruth",
    "TransportRun",
    "VehiclePhoneRun",
    "VehiclePhoneTruth",
    "generate_case",
    "generate_cdr_file",
]
