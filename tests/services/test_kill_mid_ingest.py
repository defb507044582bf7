"""Kill the process in the middle of an ingest: nothing half-written is visible, and running the
ingest again completes it (issue 2, "Writing is atomic")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from threadline.services import cases, exhibits, ingest, query
from threadline.services.workspace import open_workspace
from threadline.settings import Settings

ROWS = 400_000
HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from threadline.services import ingest
    from threadline.services.workspace import open_workspace
    from threadline.settings import Settings

    marker = Path(sys.argv[2])
    ws = open_workspace(Settings(home=Path(sys.argv[1]), user="analyst.test"))

    def tick(done, total):
        if done and not marker.exists():
            # written whole, then renamed: the parent never reads a half-written marker
            partial = marker.with_suffix(".tmp")
            partial.write_text(str(done))
            partial.replace(marker)

    ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1", on_progress=tick)
    """
)


def test_sigkill_mid_ingest_leaves_nothing_visible(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, user="analyst.test")
    source = tmp_path / "big.csv"
    source.write_text(
        HEADER
        + "".join(
            f"MOC,447700900123,4477009{i % 1000:05d},,01/06/2026,13:45:10,{i % 600},"
            "490154203237510,001010123456789,234-30-1201-30451,\n"
            for i in range(ROWS)
        ),
        encoding="utf-8",
    )
    ws = open_workspace(settings)
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
    exhibits.add_exhibit(ws, "OP-CEDAR", "JB/1", source, producer="P", description="D")
    ws.close()

    marker = tmp_path / "started"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(marker)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, "the ingest finished or failed before it could be killed"
        assert time.monotonic() < deadline, "the ingest never reported progress"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert int(marker.read_text()) < ROWS  # it really was stopped part-way

    ws = open_workspace(settings)
    try:
        visible = query.run_sql(ws, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist()
        assert visible == [{"n": 0}]
        result = ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1")
        assert result.status == "complete"
        assert result.row_counts["calls"] == ROWS
        assert not list(ws.evidence.root.rglob("*.partial"))
        done = query.run_sql(ws, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist()
        assert done == [{"n": ROWS}]
    finally:
        ws.close()
