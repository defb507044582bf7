"""Bulk ingest: several exhibits at once, each atomic; one failure does not stop the rest."""

from __future__ import annotations

from pathlib import Path

from threadline.services import cases, exhibits, ingest, query
from threadline.services.workspace import Workspace

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)


def _cdr(path: Path, rows: int) -> Path:
    body = "".join(
        f"MOC,447700900123,4477009004{i % 100:02d},,01/06/2026,13:45:10,{i},490154203237510,"
        "001010123456789,234-30-1201-30451,\n"
        for i in range(rows)
    )
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_two_jobs_ingest_every_exhibit_and_report_failures(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
    sizes = {"JB/1": 5, "JB/2": 7, "JB/3": 11}
    for ref, rows in sizes.items():
        source = _cdr(tmp_path / f"{ref.replace('/', '_')}.csv", rows)
        exhibits.add_exhibit(ws, "OP-CEDAR", ref, source, producer="P", description="D")
    odd = tmp_path / "odd.csv"
    odd.write_text("Who,When\nx,y\n", encoding="utf-8")
    exhibits.add_exhibit(ws, "OP-CEDAR", "JB/4", odd, producer="P", description="D")
    seen: list[str] = []
    outcomes = ingest.ingest_many(
        ws,
        "OP-CEDAR",
        ["JB/1", "JB/2", "JB/3", "JB/4"],
        jobs=2,
        parser="cdr_uk",
        on_done=lambda o: seen.append(o.exhibit),
    )
    assert [o.exhibit for o in outcomes] == ["JB/1", "JB/2", "JB/3", "JB/4"]
    assert sorted(seen) == ["JB/1", "JB/2", "JB/3", "JB/4"]
    for outcome in outcomes[:3]:
        assert outcome.error is None
        assert outcome.result is not None
        assert outcome.result.row_counts["calls"] == sizes[outcome.exhibit]
    assert outcomes[3].result is None
    assert outcomes[3].error is not None
    assert "match no CDR profile" in outcomes[3].error
    total = query.run_sql(ws, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist()
    assert total == [{"n": 5 + 7 + 11}]


def test_the_same_exhibit_named_twice_is_ingested_once(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    ws = sqlite_workspace
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
    exhibits.add_exhibit(
        ws, "OP-CEDAR", "JB/1", _cdr(tmp_path / "a.csv", 4), producer="P", description="D"
    )
    outcomes = ingest.ingest_many(ws, "OP-CEDAR", ["JB/1", "jb/1", "JB/1"], jobs=2)
    assert [o.exhibit for o in outcomes] == ["JB/1"]
    total = query.run_sql(ws, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist()
    assert total == [{"n": 4}]


def test_a_second_concurrent_ingest_of_one_exhibit_is_refused(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    import pytest

    from threadline.errors import Conflict

    ws = sqlite_workspace
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
    info = exhibits.add_exhibit(
        ws, "OP-CEDAR", "JB/1", _cdr(tmp_path / "a.csv", 4), producer="P", description="D"
    )
    case_id = cases.show_case(ws, "OP-CEDAR").id
    with (
        ws.evidence.exhibit_lock(case_id, info.id, "JB/1"),
        pytest.raises(Conflict, match="being ingested by another process"),
    ):
        ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1")
    assert ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1").status == "complete"


def test_force_logs_the_supersession_and_the_erasure(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    from threadline.store import audit_log

    ws = sqlite_workspace
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
    exhibits.add_exhibit(
        ws, "OP-CEDAR", "JB/1", _cdr(tmp_path / "a.csv", 4), producer="P", description="D"
    )
    first = ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1")
    second = ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/1", force=True)
    with ws.session() as session:
        tail = [(e.operation, e.action, e.detail) for e in audit_log.entries(session)][-3:]
    assert tail == [
        ("alteration", "ingest.supersede", {"superseded": [first.run_id], "by": second.run_id}),
        ("collection", "exhibit.ingest", tail[1][2]),
        (
            "erasure",
            "evidence.erase",
            {"runs": [first.run_id], "reason": f"superseded by run {second.run_id}"},
        ),
    ]
    assert tail[1][2]["run"] == second.run_id
