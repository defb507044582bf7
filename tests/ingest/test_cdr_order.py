"""Row order and row identity survive chunks large enough to be processed in parallel.

The CDR transform relies on DuckDB keeping a projection's rows in scan order (its
``preserve_insertion_order`` default) and on the CSV reader numbering records across blocks. A
file of 300,000 rows spans several of DuckDB's 122,880-row groups and is checked row by row: each
row's duration was written as its own spreadsheet row number, so any reordering shows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from threadline.ingest.context import ParseContext
from threadline.ingest.parsers.cdr_uk.parser import CdrUkParser
from threadline.model.ids import row_id

ROWS = 300_000
HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)


def test_rows_keep_their_order_and_identity(
    tmp_path: Path, make_ctx: Callable[..., ParseContext]
) -> None:
    path = tmp_path / "big.csv"
    lines = []
    for i in range(ROWS):
        row = i + 2  # spreadsheet row: the header is row 1
        minute, second = divmod(i % 3600, 60)
        lines.append(
            f"MOC,4477009{i % 1000:05d},447700900999,,01/06/2026,12:{minute:02d}:{second:02d},"
            f"{row},490154203237510,001010123456789,234-30-1201-{30000 + i % 7},\n"
        )
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    ctx = make_ctx(exhibit_id="e1", profile="network-a")
    CdrUkParser().parse(path, ctx)
    calls = ctx.sink.table("calls")  # type: ignore[attr-defined]
    assert calls is not None
    assert calls.num_rows == ROWS
    locators = calls.column("locator").to_pylist()
    durations = calls.column("duration_s").to_pylist()
    assert locators == [f"row={i + 2}" for i in range(ROWS)]
    assert durations == [i + 2 for i in range(ROWS)]
    parties = calls.column("a_party").to_pylist()
    assert parties[:3] == ["+447700900000", "+447700900001", "+447700900002"]
    assert parties[123_456] == f"+4477009{123_456 % 1000:05d}"
    ids = calls.column("row_id").to_pylist()
    for i in (0, 122_879, 122_880, 299_999):
        assert ids[i] == row_id("e1", f"row={i + 2}")
