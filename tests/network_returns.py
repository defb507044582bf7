"""Test support: network call-data returns registered and ingested as a user would add them.

The analysis, network and judgement tests build small cases from a few rows of a network return
in the ``network-a`` layout (times declared UTC at ingest), one return per target number.

:data:`ASH_RETURNS` is the case several of them share (Operation Ash, times UTC): JB/1, target
T1's return: T1 -> X 09:00 (60 s), X -> T1 10:00 (30 s); JB/2, T2's: T2 -> X 12:00 (45 s),
T2 -> T1 12:30 (20 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from threadline.ingest.context import IngestOptions
from threadline.services import cases, exhibits, ingest
from threadline.services.exhibits import CommsData
from threadline.services.workspace import Workspace

#: The ``network-a`` header the returns' rows follow.
HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)

#: T1, T2 and X of :data:`ASH_RETURNS`.
T1, T2, X = "+447700900001", "+447700900002", "+447700900100"

#: Operation Ash's two returns (reference -> (target number, rows)); see the module docstring.
ASH_RETURNS: Mapping[str, tuple[str, str]] = {
    "JB/1": (
        T1,
        "MOC,447700900001,447700900100,,01/06/2026,09:00:00,60,,,,\n"
        "MTC,447700900100,447700900001,,01/06/2026,10:00:00,30,,,,\n",
    ),
    "JB/2": (
        T2,
        "MOC,447700900002,447700900100,,01/06/2026,12:00:00,45,,,,\n"
        "MOC,447700900002,447700900001,,01/06/2026,12:30:00,20,,,,\n",
    ),
}


def ingest_returns(
    ws: Workspace, case: str, returns: Mapping[str, tuple[str, str]], folder: Path
) -> None:
    """Write each return (reference -> (target number, rows after :data:`HEADER`)) into
    ``folder``, register it on ``case`` as a communications data exhibit of its target, and
    ingest it with its times declared UTC."""
    for reference, (target, rows) in returns.items():
        source = folder / f"{reference.replace('/', '-')}.csv"
        source.write_text(HEADER + rows, encoding="utf-8")
        exhibits.add_exhibit(
            ws,
            case,
            reference,
            source,
            producer="DC Test",
            description="network return",
            comms=CommsData(provider="Network", target_number=target, authorisation="URN-1"),
        )
        ingest.ingest_exhibit(ws, case, reference, options=IngestOptions(time_basis="utc"))


def ingest_ash(ws: Workspace, folder: Path, references: tuple[str, ...] = ("JB/1", "JB/2")) -> None:
    """Ingest these of :data:`ASH_RETURNS` into case OP-ASH (made first if there is none)."""
    if not cases.list_cases(ws):
        cases.create_case(ws, "OP-ASH", "Operation Ash")
    ingest_returns(ws, "OP-ASH", {r: ASH_RETURNS[r] for r in references}, folder)
