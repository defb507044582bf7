"""Failures after parsing (while committing or recording a run) leave nothing visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadline.services import cases, exhibits, ingest, query
from threadline.services.workspace import Workspace

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)
ROW = (
    "MOC,447700900123,447700900456,,01/06/2026,13:45:10,65,490154203237510,001010123456789,"
    "234-30-1201-30451,234-30-1201-30452\n"
)


def _case(ws: Workspace) -> None:
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")


def _cdr(tmp_path: Path) -> Path:
    path = tmp_path / "cdr.csv"
    path.write_text(HEADER + ROW * 3, encoding="utf-8")
    return path


def test_failure_while_recording_a_run_leaves_nothing_visible(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threadline.services import ingest as ingest_module

    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full while recording")

    monkeypatch.setattr(ingest_module, "_complete", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert not [p for p in workspace.evidence.root.rglob("*") if p.suffix == ".parquet"]
    assert query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist() == [
        {"n": 0}
    ]
    monkeypatch.undo()
    assert ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1").row_counts["calls"] == 3
