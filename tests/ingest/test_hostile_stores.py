"""Hostile inputs that cost time or memory rather than break the format: a handset database
whose schema runs away, a Cellebrite report padded with unknown elements, a vCard line folded
without end and an XRY text export with one endless line. Each must be refused or read within
bounded time and memory."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from collect_sink import run_parser

from threadline.errors import ParseError
from threadline.ingest import sqlite_copy
from threadline.ingest.parsers import vcard_lines
from threadline.ingest.parsers.android.parser import AndroidDbParser
from threadline.ingest.parsers.xry import entities
from threadline.ingest.parsers.xry.entities import decoded_lines
from threadline.ingest.sqlite_copy import RUNAWAY_MESSAGE, open_sqlite_copy

FIXTURES = Path(__file__).parent.parent / "fixtures"
ANDROID = FIXTURES / "android"
REPORT = FIXTURES / "cellebrite" / "report.xml"
ENDLESS = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c)"


def _android(path: Path) -> tuple[object, object]:
    return run_parser(AndroidDbParser(), path, exhibit_id="EX-1", reference="JB/1")


# -- SQLite ------------------------------------------------------------------------------------


def test_view_in_place_of_a_table_is_not_run(tmp_path: Path) -> None:
    """``addr`` replaced by a view whose recursive query never ends: the view is not a table, so
    the MMS reader reads the messages without it, at once (it used to hang)."""
    path = tmp_path / "mmssms.db"
    shutil.copyfile(ANDROID / "mmssms_mms.db", path)
    with sqlite3.connect(path) as con:
        names = [r[1] for r in con.execute("PRAGMA table_info(addr)")]
        con.execute("DROP TABLE addr")
        chosen = ", ".join(f"n AS {n}" for n in names)
        con.execute(f"CREATE VIEW addr AS {ENDLESS} SELECT {chosen} FROM c WHERE n < 0")
    con.close()
    started = time.monotonic()
    _ctx, sink = _android(path)
    assert time.monotonic() - started < 10
    # the fixture's SMS/MMS store holds five messages (tests/fixtures/android/README.md)
    assert len(sink.rows("messages")) == 5  # type: ignore[attr-defined]


def test_view_named_like_the_only_table_is_refused(tmp_path: Path) -> None:
    """A database whose ``calls`` is a never-ending view holds no call log: refused at once."""
    path = tmp_path / "calllog.db"
    with sqlite3.connect(path) as con:
        con.execute(f"CREATE VIEW calls AS {ENDLESS} SELECT n AS _id, n AS number FROM c")
    con.close()
    started = time.monotonic()
    with pytest.raises(ParseError) as refused:
        _android(path)
    assert time.monotonic() - started < 10
    assert refused.value.path == "calllog.db"


@pytest.mark.parametrize("width", [50_000_000, 100_000_000])
def test_computed_column_is_refused(tmp_path: Path, width: int) -> None:
    """A virtual generated column building a value of ``width`` bytes on every read: refused,
    naming the file and the table, before any of it is built (it used to take 1.1 GB)."""
    path = tmp_path / "calllog.db"
    shutil.copyfile(ANDROID / "calllog.db", path)
    with sqlite3.connect(path) as con:
        con.execute(
            "ALTER TABLE calls ADD COLUMN bomb TEXT GENERATED ALWAYS AS "
            f"(printf('%.*c', {width}, 'x')) VIRTUAL"
        )
    con.close()
    started = time.monotonic()
    with pytest.raises(ParseError) as refused:
        _android(path)
    assert time.monotonic() - started < 10
    assert refused.value.path == "calllog.db"
    assert refused.value.locator == "calls"
    assert "crafted schema" in str(refused.value)


def test_value_longer_than_the_limit_is_not_built(tmp_path: Path) -> None:
    """SQLite builds no value over MAX_VALUE_BYTES on the copy (printf gives NULL instead)."""
    path = tmp_path / "any.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a)")
    con.close()
    over = sqlite_copy.MAX_VALUE_BYTES + 1
    with open_sqlite_copy(path, name="any.db") as copy:
        built = copy.execute("SELECT length(printf('%.*c', ?, 'x'))", (over,)).fetchone()[0]
    assert built is None


def test_runaway_query_is_stopped_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement past the step budget is stopped, and the error names the file, whatever the
    reader made of the interruption."""
    monkeypatch.setattr(sqlite_copy, "QUERY_STEP_BUDGET", 1_000_000)
    path = tmp_path / "any.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a)")
    con.close()
    started = time.monotonic()
    with (
        pytest.raises(ParseError) as refused,
        open_sqlite_copy(path, name="any.db") as copy,
        # a reader that swallows the error is still stopped on leaving
        contextlib.suppress(sqlite3.OperationalError),
    ):
        copy.execute(f"{ENDLESS} SELECT n FROM c WHERE n < 0").fetchall()
    assert time.monotonic() - started < 10
    assert refused.value.path == "any.db"
    assert RUNAWAY_MESSAGE in str(refused.value)


def test_budget_is_per_statement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many small statements, together far over the budget, each within it: all run."""
    monkeypatch.setattr(sqlite_copy, "QUERY_STEP_BUDGET", 400_000)
    path = tmp_path / "any.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a)")
    con.close()
    with open_sqlite_copy(path, name="any.db") as copy:
        # about 170,000 steps each (a recursive count to 10,000), 50 of them
        count = (
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10000) "
            "SELECT count(*) FROM c"
        )
        totals = [copy.execute(count).fetchone()[0] for _ in range(50)]
    assert totals == [10000] * 50


# -- Cellebrite --------------------------------------------------------------------------------

_MEASURE = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from collect_sink import run_parser
from threadline.ingest.parsers.cellebrite.parser import CellebriteParser
def peak_kb():
    # VmHWM, not ru_maxrss: the latter carries the parent's peak across exec
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
before = peak_kb()
ctx, sink = run_parser(CellebriteParser(), Path({path!r}), exhibit_id="EX-1", reference="JB/1")
print(peak_kb() - before, len(sink.rows("calls")), len(sink.rows("contacts")))
"""


def test_report_padded_with_unknown_elements_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """800,000 ``<x/>`` in eight runs of 100,000 (under the root, and under decodedData between
    model types): only one run is held at a time. Before, all were held to the end (about 75 MB
    more than an unpadded report; now under 20 MB more)."""
    text = REPORT.read_text(encoding="utf-8")
    pad = "<x/>" * 100_000
    text = text.replace("<taggedFiles>", pad + "<taggedFiles>", 1)
    text = text.replace("<decodedData>", pad + "<decodedData>", 1)
    for kind in ("Contact", "Call", "Chat", "InstantMessage", "SMS", "Location"):
        opening = f'<modelType type="{kind}">'
        assert opening in text
        text = text.replace(opening, pad + opening, 1)
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    script = _MEASURE.format(tests=str(Path(__file__).parent), path=str(path))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    grown_kb, calls, contacts = (int(v) for v in done.stdout.split())
    # the fixture report holds four calls and five contacts (tests/fixtures/cellebrite/README.md)
    assert (calls, contacts) == (4, 5)
    assert grown_kb < 40_000, grown_kb


# -- vCard -------------------------------------------------------------------------------------


def test_folds_adding_nothing_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line folded over 5,000 lines of one space (each adds nothing to the value) is given up
    at the physical-line limit, as an over-long line is, holding one line, not 5,000."""
    monkeypatch.setattr(vcard_lines, "MAX_PHYSICAL_LINES", 1_000)
    line = vcard_lines.ContentLine(1, bytearray(b"NOTE:x"), [b"NOTE:x"])
    for _ in range(5_000):
        line.extend(b" ", "4.0", vcard_lines.MAX_LINE_BYTES)
    assert line.dropped == "the line is folded over more than 1000 physical lines"
    assert len(line.physical) == 1
    assert line.size() <= len(b"NOTE:x")


def test_folds_under_the_cap_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vcard_lines, "MAX_PHYSICAL_LINES", 1_000)
    line = vcard_lines.ContentLine(1, bytearray(b"NOTE:a"), [b"NOTE:a"])
    for piece in (b" b", b" c"):
        line.extend(piece, "4.0", vcard_lines.MAX_LINE_BYTES)
    assert line.dropped is None
    assert bytes(line.data) == b"NOTE:abc"
    assert line.physical == [b"NOTE:a", b" b", b" c"]


# -- XRY text ----------------------------------------------------------------------------------


def _utf16(text: str) -> io.BytesIO:
    return io.BytesIO(b"\xff\xfe" + text.encode("utf-16-le"))


def test_endless_line_is_refused_naming_its_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entities, "MAX_LINE_CHARS", 100_000)
    stream = _utf16("XRY Export\r\nName: " + "A" * 300_000 + "\r\n")
    with pytest.raises(ParseError) as refused:
        list(decoded_lines(stream, "calls.txt"))
    assert refused.value.path == "calls.txt"
    assert refused.value.locator == "line=2"


def test_long_line_is_read_in_linear_time() -> None:
    """A 4-million-character line (64 read chunks) is read whole and quickly; splitting the
    whole buffer again at each chunk took minutes."""
    long = "B" * 4_000_000
    stream = _utf16("XRY Export\r\n" + long + "\r\nlast")
    started = time.monotonic()
    lines = list(decoded_lines(stream, "calls.txt"))
    assert time.monotonic() - started < 10
    assert [n for n, _ in lines] == [1, 2, 3]
    assert lines[0][1] == "XRY Export"
    assert lines[1][1] == long
    assert lines[2][1] == "last"


def test_lines_across_chunk_boundaries_are_whole() -> None:
    """Lines of every length around the 32,768-character chunk come out exactly as written."""
    written = [f"{i}:" + "x" * (32_760 + i) for i in range(20)]
    stream = _utf16("\r\n".join(written) + "\r\n")
    assert [t for _, t in decoded_lines(stream, "calls.txt")] == written
