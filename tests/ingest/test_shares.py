"""Reading one exhibit in several processes (``threadline.ingest.shares``): who owns which unit,
how the issues of several processes merge into those of one reading, how a helper's failure
reaches the ingest, and how the evidence writer commits the files of every share.

Expected orders and counts are worked out by hand in each test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from threadline.errors import IngestError, ParseError
from threadline.ingest import context as context_module
from threadline.ingest.context import ExhibitFacts, IngestOptions, ParseContext
from threadline.ingest.issue import IngestIssue, Severity
from threadline.ingest.shares import Share, read_in_shares
from threadline.store.evidence_store import EvidenceWriter

SCHEMA = pa.schema([("row_id", pa.string())])


def test_units_are_dealt_in_chunks_round_the_processes() -> None:
    first, second = Share(0, 2, chunk=2), Share(1, 2, chunk=2)
    assert [u for u in range(1, 10) if first.owns(u)] == [1, 2, 5, 6, 9]
    assert [u for u in range(1, 10) if second.owns(u)] == [3, 4, 7, 8]
    assert all(Share().owns(u) for u in range(1, 10))
    three = [Share(i, 3, chunk=1) for i in range(3)]
    assert [[u for u in range(1, 7) if s.owns(u)] for s in three] == [[1, 4], [2, 5], [3, 6]]


def _ctx(writer: EvidenceWriter | None = None, **kwargs: object) -> ParseContext:
    return ParseContext(
        exhibit=ExhibitFacts("e1", "JB/1"),
        parser_ref="test@1",
        options=IngestOptions(),
        sink=writer or EvidenceWriter(Path("/nonexistent"), Path("run")),
        **kwargs,  # type: ignore[arg-type]
    )


def _raise(ctx: ParseContext, position: int, code: str, locator: str | None, value: str) -> None:
    ctx.position = position
    ctx.issue(Severity.WARNING, code, "m", locator=locator, value=value)


def test_merged_issues_are_in_reading_order_across_processes() -> None:
    main, helper = _ctx(), _ctx()
    _raise(main, 1, "a", "r#1", "v1")
    _raise(helper, 2, "a", "r#2", "v2")
    _raise(main, 3, "b", "r#3", "v3")
    _raise(helper, 4, "a", "r#4", "v4")
    _raise(main, 5, "a", "r#5", "v5")
    main.absorb(helper.issue_state())
    assert [i.value for i in main.issues] == ["v1", "v2", "v3", "v4", "v5"]
    assert [i.value for i in main.all_issues()] == ["v1", "v2", "v3", "v4", "v5"]


def test_merged_issues_keep_the_first_of_each_code_in_reading_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(context_module, "ISSUES_KEPT_PER_CODE", 2)
    main, helper = _ctx(), _ctx()
    for position in (1, 4, 6):  # main keeps 1 and 4, counts 6
        _raise(main, position, "a", f"r#{position}", f"v{position}")
    for position in (2, 3, 5):  # the helper keeps 2 and 3, counts 5
        _raise(helper, position, "a", f"r#{position}", f"v{position}")
    main.absorb(helper.issue_state())
    issues = main.all_issues()
    # one process would have kept positions 1 and 2 and counted the other four
    assert [i.value for i in issues[:2]] == ["v1", "v2"]
    (summary,) = issues[2:]
    assert summary.count == 4
    assert "(6 in all)" in summary.message


def _once(ctx: ParseContext, position: int, value: str) -> None:
    ctx.position = position
    ctx.issue(Severity.WARNING, "phone.invalid", "m", value=value, once=("phone", value))


def test_an_issue_raised_once_is_raised_once_in_a_reading() -> None:
    ctx = _ctx()
    _once(ctx, 1, "+999")
    _once(ctx, 2, "+999")
    _raise(ctx, 3, "phone.invalid", "r#3", "+999")  # no key: an occurrence of its own
    assert [(i.value, i.locator) for i in ctx.all_issues()] == [("+999", None), ("+999", "r#3")]


def test_an_issue_raised_once_by_both_processes_is_kept_where_first_raised() -> None:
    main, helper = _ctx(), _ctx()
    _once(main, 5, "+999")
    _once(helper, 2, "+999")  # the first in reading order
    _once(helper, 3, "+888")
    _once(main, 7, "+777")
    main.absorb(helper.issue_state())
    assert [i.value for i in main.all_issues()] == ["+999", "+888", "+777"]
    assert main.issue_state().totals == {"phone.invalid": 3}


def test_a_duplicate_beyond_the_kept_issues_is_not_counted_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(context_module, "ISSUES_KEPT_PER_CODE", 1)
    main, helper = _ctx(), _ctx()
    _once(main, 5, "k1")  # kept here
    _once(main, 6, "k2")  # counted only
    _once(helper, 2, "k2")  # kept there, and the first k2 in reading order
    _once(helper, 3, "k3")  # counted only
    main.absorb(helper.issue_state())
    # one process: k2 (2) kept; k3 (3) and k1 (5) counted; k2 again (6) never raised
    issues = main.all_issues()
    assert [i.value for i in issues[:1]] == ["k2"]
    assert issues[1].count == 2
    assert "(3 in all)" in issues[1].message


def test_a_helper_is_quiet_about_the_preamble_every_process_reads() -> None:
    helper = _ctx(quiet_before_units=True)
    _raise(helper, 0, "container.skipped", "x", "link")
    helper.tally(Severity.INFO, "container.skipped", "m", 1)
    _raise(helper, 1, "a", "r#1", "v1")
    state = helper.issue_state()
    assert [i.code for i in state.issues] == ["a"]
    assert state.totals == {"a": 1}


# -- processes -------------------------------------------------------------------------------


def test_shares_write_files_of_their_own_that_commit_together(tmp_path: Path) -> None:
    writer = EvidenceWriter(tmp_path, Path("case/exhibit/run"))
    ctx = _ctx(writer, workers=2)
    extras = read_in_shares(_write_rows_via_sink, tmp_path / "ok", ctx, chunk=3)
    # chunks of three units: process 0 has 1-3 and 7-9, process 1 has 4-6 and 10
    assert extras == [1 + 2 + 3 + 7 + 8 + 9, 4 + 5 + 6 + 10]
    files = writer.commit()
    by_name = {Path(f.path).name: f for f in files}
    assert sorted(by_name) == ["source_rows.parquet", "source_rows.part1.parquet"]
    first = pq.read_table(tmp_path / by_name["source_rows.parquet"].path).column(0).to_pylist()
    second = pq.read_table(tmp_path / by_name["source_rows.part1.parquet"].path)
    assert first == ["1", "2", "3", "7", "8", "9"]
    assert second.column(0).to_pylist() == ["4", "5", "6", "10"]
    assert by_name["source_rows.part1.parquet"].rows == 4
    assert ctx.row_counts == {"source_rows": 10}
    assert [i.locator for i in ctx.all_issues()] == [f"unit={u}" for u in range(1, 11)]


def _write_rows_via_sink(path: Path, ctx: ParseContext, share: Share) -> int:
    """Each share writes its units' numbers (1-10) as rows and raises an issue at each."""
    units = [u for u in range(1, 11) if share.owns(u)]
    for unit in units:
        ctx.position = unit
        ctx.issue(Severity.INFO, "unit.read", "read", locator=f"unit={unit}")
    ctx.sink.write("source_rows", pa.table({"row_id": [str(u) for u in units]}))
    ctx.row_counts["source_rows"] = ctx.row_counts.get("source_rows", 0) + len(units)
    return sum(units)


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        ("helper-fails", ParseError, "report.xml, line=40: unit 4 is damaged"),
        ("helper-dies", IngestError, "reading process 1 stopped without a result (exit code 3)"),
    ],
)
def test_a_helper_failure_fails_the_reading(
    tmp_path: Path, name: str, error: type[Exception], text: str
) -> None:
    writer = EvidenceWriter(tmp_path, Path("case/exhibit/run"))
    ctx = _ctx(writer, workers=2)
    with pytest.raises(error) as caught:
        read_in_shares(_fail_in_helper, tmp_path / name, ctx)
    assert text in str(caught.value)
    if isinstance(caught.value, ParseError):
        assert caught.value.path == "report.xml"
        assert caught.value.locator == "line=40"
        # the helper's own traceback comes with it
        assert "in the reading process" in str(caught.value.__cause__)
        assert "_fail_in_helper" in str(caught.value.__cause__)
    writer.abort()
    assert not writer.partial_dir.exists()


class _TwoPartError(Exception):
    """An error that pickles but cannot be rebuilt from its arguments alone."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def test_an_error_that_cannot_be_rebuilt_arrives_as_its_text(tmp_path: Path) -> None:
    ctx = _ctx(EvidenceWriter(tmp_path, Path("case/exhibit/run")), workers=2)
    with pytest.raises(IngestError, match="reading process 1 failed: _TwoPartError: one and two"):
        read_in_shares(_fail_oddly, tmp_path / "x", ctx)


def _fail_oddly(path: Path, ctx: ParseContext, share: Share) -> int:
    if share.index == 1:
        raise _TwoPartError("one", "two")
    return 0


def test_a_helper_failure_stops_the_first_process_early(tmp_path: Path) -> None:
    """Process 0's share would take a minute; the helper fails at once. Process 0 stops at its
    next check rather than reading its whole share (its 'finished' mark is never written)."""
    ctx = _ctx(EvidenceWriter(tmp_path, Path("case/exhibit/run")), workers=2)
    with pytest.raises(ParseError, match="unit 4 is damaged"):
        read_in_shares(_slow_first_fast_failure, tmp_path / "slow", ctx)
    assert not (tmp_path / "finished").exists()


def _slow_first_fast_failure(path: Path, ctx: ParseContext, share: Share) -> int:
    if share.index == 1:
        raise ParseError("unit 4 is damaged", path="report.xml", locator="line=40")
    for _ in range(1200):
        time.sleep(0.05)
        ctx.check_abandoned()
    (path.parent / "finished").write_text("read the whole share")
    return 0


def read_until_killed(folder: str) -> None:
    """Run by a separate Python process in the test below: a shared reading that never ends."""
    root = Path(folder)
    ctx = _ctx(EvidenceWriter(root, Path("case/exhibit/run")), workers=2)
    read_in_shares(_sleep_forever, root / "x", ctx)


def _sleep_forever(path: Path, ctx: ParseContext, share: Share) -> int:
    if share.index == 1:
        (path.parent / "helper.pid").write_text(str(os.getpid()))
    time.sleep(600)
    return 0


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


def test_helpers_end_when_the_first_process_is_killed(tmp_path: Path) -> None:
    here = Path(__file__).resolve().parent
    script = (
        f"import sys; sys.path[:0] = [{str(here)!r}]\n"
        f"from test_shares import read_until_killed\nread_until_killed({str(tmp_path)!r})\n"
    )
    first = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if (tmp_path / "helper.pid").exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        helper = int((tmp_path / "helper.pid").read_text())
        assert _running(helper)
    finally:
        first.kill()
        first.wait()
    for _ in range(200):
        if not _running(helper):
            break
        time.sleep(0.1)
    assert not _running(helper), "the helper outlived the process that started it"


def _fail_in_helper(path: Path, ctx: ParseContext, share: Share) -> int:
    if share.index == 1 and path.name == "helper-fails":
        raise ParseError("unit 4 is damaged", path="report.xml", locator="line=40")
    if share.index == 1 and path.name == "helper-dies":
        os._exit(3)
    ctx.sink.write("source_rows", pa.table({"row_id": ["x"]}))
    return 0


def test_one_worker_reads_here_alone(tmp_path: Path) -> None:
    ctx = _ctx()
    pid = read_in_shares(_process_id, tmp_path / "ok", ctx, workers=1)
    assert pid == [os.getpid()]
    two = _ctx(workers=2)
    assert read_in_shares(_process_id, tmp_path / "ok", two, workers=1) == [os.getpid()]


def _process_id(path: Path, ctx: ParseContext, share: Share) -> int:
    assert share == Share(0, 1, 64)
    return os.getpid()


def test_issue_merging_keeps_the_kept_issues_with_their_positions() -> None:
    main = _ctx()
    _raise(main, 7, "a", "r#7", "v7")
    state = main.issue_state()
    assert state.positions == [7]
    assert state.issues == [IngestIssue(Severity.WARNING, "a", "m", "r#7", "v7")]
