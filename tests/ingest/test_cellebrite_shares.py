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

from threadline.ingest import context as context_module
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


def _sms(n: int, sender: str, model: str = "SMS", source: str | None = None) -> str:
    source_field = (
        f'<field name="Source" type="String"><value type="String">{source}</value></field>'
        if source
        else ""
    )
    return (
        f'<model type="{model}" id="a{n:07d}-0000-4000-8000-000000000000" '
        'deleted_state="Intact">'
        '<field name="Body" type="String"><value type="String">hi</value></field>'
        f"{source_field}"
        '<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp">'
        f"2026-06-01T10:{n // 60 % 60:02d}:{n % 60:02d}.000+00:00</value></field>"
        '<multiModelField name="Parties" type="Party"><model type="Party" id="">'
        f'<field name="Identifier" type="String"><value type="String">{sender}</value></field>'
        '<field name="Role" type="PartyRole"><value type="PartyRole">From</value></field>'
        "</model></multiModelField></model>\n"
    )


def test_invalid_numbers_repeated_across_shares_are_raised_as_by_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty invalid numbers, each sent from twice (the second time in reverse order, so
    each number's two records fall in different shares), one of them also as a Telegram
    sender, with only five issues of a code kept: one process warns once per number (30 in
    all, the first five in reading order kept); two must say the same."""
    numbers = [f"+44{n:02d}" for n in range(10, 40)]
    models = [_sms(n, number) for n, number in enumerate(numbers)]
    models += [_sms(100 + n, number) for n, number in enumerate(reversed(numbers))]
    models.append(_sms(200, numbers[0], "InstantMessage", "Telegram"))
    report = tmp_path / "report.xml"
    report.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<project xmlns="http://pa.cellebrite.com/report/2.0" reportVersion="7.60">\n'
        '<decodedData><modelType type="SMS">\n' + "".join(models[:-1]) + "</modelType>"
        '<modelType type="InstantMessage">' + models[-1] + "</modelType></decodedData>"
        "</project>\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(cellebrite, "SHARE_MIN_BYTES", 0)
    monkeypatch.setattr(cellebrite, "SHARE_CHUNK", 1)
    monkeypatch.setattr(context_module, "ISSUES_KEPT_PER_CODE", 5)
    one, one_ctx, _ = read(report, tmp_path / "one", workers=1)
    two, two_ctx, names = read(report, tmp_path / "two", workers=2)
    assert any(".part1." in name for name in names)
    invalid = [i for i in one_ctx.all_issues() if i.code == "phone.invalid"]
    assert [i.value for i in invalid[:5]] == numbers[:5]
    assert "(30 in all)" in invalid[5].message
    assert two_ctx.all_issues() == one_ctx.all_issues()
    assert two == one


def test_a_small_report_is_read_in_one_process(tmp_path: Path) -> None:
    """Below SHARE_MIN_BYTES starting a process costs more than it saves."""
    _tables, _ctx, names = read(FIXTURES / "synthetic.ufdr", tmp_path, workers=2)
    assert not any(".part" in name for name in names)
