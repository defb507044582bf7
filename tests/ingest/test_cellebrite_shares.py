"""A Cellebrite report read in two processes gives exactly what one process gives.

Every fixture the golden tests check by hand (the synthetic UFDR, its bare report.xml, IPED's two
fragments) is read once in one process and again in two, with units dealt one or two at a time
so that the processes alternate as often as the report allows: every table's rows (sorted by
row id, as the files of two processes interleave them), every issue in order (duplicates across
a chat and a stand-alone message, unknown fields, invalid numbers, summaries with their first
locator) and every detected fact must be equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.parsers.cellebrite import parser as cellebrite
from threadline.store.evidence_store import EvidenceWriter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cellebrite"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mobile" / "cellebrite_ufed_xml"


def read(path: Path, root: Path, workers: int) -> tuple[dict[str, list[Any]], ParseContext, Any]:
    writer = EvidenceWriter(root, Path(f"case/exhibit/run-{workers}"))
    ctx = ParseContext(
        exhibit=ExhibitFacts("e1", "JB/2"),
        parser_ref="cellebrite@1.0.0",
        options=IngestOptions(),
        sink=writer,
        workers=workers,
    )
    cellebrite.CellebriteParser().parse(path, ctx)
    files = writer.commit()
    tables: dict[str, list[Any]] = {}
    for written in files:
        rows = pq.read_table(root / written.path).to_pylist()
        tables.setdefault(written.table, []).extend(rows)
    for rows in tables.values():
        rows.sort(key=lambda row: (row["row_id"], row["locator"]))
    return tables, ctx, sorted(Path(f.path).name for f in files)


@pytest.mark.parametrize("chunk", [1, 2])
@pytest.mark.parametrize(
    ("path", "shared"),
    [
        (FIXTURES / "synthetic.ufdr", True),
        (FIXTURES / "report.xml", True),
        (SHARED / "ufed-model-chat.xml", False),
        (SHARED / "ufed-model-useraccount.xml", False),
    ],
    ids=["ufdr", "bare-report", "iped-chat", "iped-accounts"],
)
def test_two_processes_read_what_one_reads(
    path: Path, shared: bool, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cellebrite, "SHARE_MIN_BYTES", 0)
    monkeypatch.setattr(cellebrite, "SHARE_CHUNK", chunk)
    one, one_ctx, _ = read(path, tmp_path, workers=1)
    two, two_ctx, names = read(path, tmp_path, workers=2)
    if shared:  # the second process wrote files of its own (the reading was shared)
        assert any(".part1." in name for name in names), names
    assert sorted(two) == sorted(one)
    for table in one:
        assert two[table] == one[table], table
    assert two_ctx.all_issues() == one_ctx.all_issues()
    assert two_ctx.row_counts == one_ctx.row_counts
    assert two_ctx.detected == one_ctx.detected


def test_a_small_report_is_read_in_one_process(tmp_path: Path) -> None:
    """Below SHARE_MIN_BYTES starting a process costs more than it saves."""
    _tables, _ctx, names = read(FIXTURES / "synthetic.ufdr", tmp_path, workers=2)
    assert not any(".part" in name for name in names)
