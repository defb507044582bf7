"""Test support: network call-data returns registered and ingested as a user would add them.

The analysis, network and judgement tests build small cases from a few rows of a network return
in the ``network-a`` layout (times declared UTC at ingest), one return per target number.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from threadline.ingest.context import IngestOptions
from threadline.services import exhibits, ingest
from threadline.services.exhibits import CommsData
from threadline.services.workspace import Workspace

#: The ``network-a`` header the returns' rows follow.
HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)


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
