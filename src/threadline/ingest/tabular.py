"""Streaming readers for tabular exhibits (CSV and XLSX) that remember where each row came from.

Both readers yield :class:`TabularChunk` objects: a batch of rows as text, exactly as read, with the
spreadsheet row number of every row (the header row counted, as Excel numbers rows, so a locator
``row=1842`` can be found by a person opening the file). Malformed records are handed to a callback
with their row number and raw text, never dropped silently.

Hostile input is refused before it is parsed: XLSX files are ZIP containers, checked for
decompression bombs, path-traversal member names and XML document type declarations (entity
expansion).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from defusedxml.common import DefusedXmlException

from threadline.errors import HostileInput, IngestError, ThreadlineError

#: Rows per XLSX chunk; CSV chunks follow pyarrow's block size.
XLSX_CHUNK_ROWS = 50_000
CSV_BLOCK_BYTES = 16 * 1024 * 1024  # ~130k CDR rows: measured fastest, with the lowest peak memory
#: Limits for XLSX containers: total uncompressed bytes and compression ratio per member.
XLSX_MAX_UNCOMPRESSED = 4 * 1024**3
XLSX_MAX_RATIO = 200
XLSX_MAX_MEMBERS = 10_000

MalformedHandler = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class TabularChunk:
    """A batch of source rows.

    Attributes:
        batch: one string column per source column, named ``c0``, ``c1``... in source order.
        rows: spreadsheet row number of each row in ``batch``.
    """

    batch: pa.RecordBatch
    rows: np.ndarray


@dataclass(frozen=True, slots=True)
class TabularLayout:
    """How to read a tabular file: what the mapping profile declares about it."""

    format: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 1
    sheet: str | None = None


def column_positions(
    path: Path, headers: list[str], fold: Callable[[str], str], header_row: int
) -> dict[str, int]:
    """Folded header name to column position (0-based); a repeated header is refused.

    Raises:
        IngestError: two columns fold to the same name, so which to read would be a guess.
    """
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        name = fold(header)
        if name and name in seen:
            raise IngestError(
                f"the column {header!r} appears twice (columns {seen[name] + 1} and {i + 1}); "
                "which one to read would be a guess",
                path=path.name,
                locator=f"row={header_row}",
            )
        seen[name] = i
    return seen


def positional_names(count: int) -> list[str]:
    """The internal column names ``c0``.. used in chunks (source headers may repeat)."""
    return [f"c{i}" for i in range(count)]


# ---------------------------------------------------------------------------------------------
# CSV


def _decoded_lines(path: Path, layout: TabularLayout, limit: int) -> list[list[str]]:
    """Read the first ``limit`` records with the standard library (for headers and sniffing).

    Only the bytes of those lines are decoded, so a bad byte further down the file is reported
    where it is, by the full reader, not blamed on the header.
    """
    encoding = layout.encoding.lower().replace("_", "-")
    if encoding in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    wide = encoding.startswith(("utf-16", "utf-32"))
    raw_lines: list[bytes] = []
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        if wide:
            # line breaks are multi-byte here: decode a bounded prefix instead
            data = handle.read(256 * 1024)
            raw_lines = [data]
        else:
            for _ in range(limit):
                line = handle.readline(1024 * 1024)
                if not line:
                    break
                raw_lines.append(line)
    try:
        text = b"".join(raw_lines).decode(encoding, errors="strict" if not wide else "ignore")
    except UnicodeDecodeError as exc:
        line_no = b"".join(raw_lines)[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"the file is not valid {layout.encoding} (byte {exc.start}): check the file's "
            "encoding",
            path=path.name,
            locator=f"line={line_no}",
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    out: list[list[str]] = []
    for record in reader:
        out.append(record)
        if len(out) >= limit:
            break
    return out


def read_header(path: Path, layout: TabularLayout) -> list[str]:
    """Return the header names of a tabular file (stripped), from ``layout.header_row``.

    Raises:
        IngestError: the file is empty, has fewer rows than the header row, or cannot be decoded.
    """
    if path.stat().st_size == 0:
        raise IngestError("the file is empty", path=path.name)
    if layout.format == "xlsx":
        return _xlsx_header(path, layout)
    records = _decoded_lines(path, layout, layout.header_row)
    if len(records) < layout.header_row:
        raise IngestError(f"there is no header on row {layout.header_row}", path=path.name)
    return [name.strip() for name in records[layout.header_row - 1]]


def _locate_undecodable(path: Path, encoding: str) -> tuple[int, int]:
    """Find the first undecodable byte: (1-based line number, byte offset). Error path only."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    with path.open("rb") as handle:
        for raw in iter(lambda: handle.readline(), b""):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as exc:
                return line, offset + exc.start
            offset += len(raw)
            line += 1
    return line, offset


def read_csv_chunks(
    path: Path, layout: TabularLayout, column_count: int, on_malformed: MalformedHandler
) -> Iterator[TabularChunk]:
    """Stream a CSV file's data rows as text, with their row numbers.

    Args:
        path: the file.
        layout: encoding, delimiter and header row.
        column_count: number of columns in the header; records of another width are malformed.
        on_malformed: called with (row number, raw text) for each malformed record; the record is
            then skipped and the rest of the file is read.

    Raises:
        IngestError: the file cannot be decoded in the declared encoding (names line and byte).
    """
    if len(_decoded_lines(path, layout, layout.header_row + 1)) <= layout.header_row:
        return  # a header and nothing else (pyarrow refuses to skip past the end)
    names = positional_names(column_count)
    skipped: list[int] = []

    def handler(row: pacsv.InvalidRow) -> str:
        number = row.number if row.number is not None and row.number >= 0 else -1
        skipped.append(number)
        on_malformed(number, row.text)
        return "skip"

    encoding = layout.encoding.lower().replace("_", "-")
    read_options = pacsv.ReadOptions(
        use_threads=False,  # record numbers are only known to a single-threaded reader
        block_size=CSV_BLOCK_BYTES,
        skip_rows=layout.header_row,
        column_names=names,
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig", "utf8") else layout.encoding,
    )
    parse_options = pacsv.ParseOptions(
        delimiter=layout.delimiter,
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=handler,
    )
    convert_options = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    next_row = layout.header_row + 1
    try:
        reader = pacsv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        for batch in reader:
            count = batch.num_rows
            if count == 0:
                continue
            # Good rows are consecutive record numbers except the malformed ones already seen.
            ahead = sorted(n for n in skipped if n >= next_row)
            candidates = np.arange(next_row, next_row + count + len(ahead), dtype=np.int64)
            if ahead:
                candidates = candidates[~np.isin(candidates, np.asarray(ahead, dtype=np.int64))]
            rows = candidates[:count]
            next_row = int(rows[-1]) + 1
            yield TabularChunk(batch=batch, rows=rows)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            line, offset = _locate_undecodable(path, "utf-8")
            raise IngestError(
                f"the file is not valid {layout.encoding}: first bad byte at offset {offset} "
                "(check the file's encoding)",
                path=path.name,
                locator=f"line={line}",
            ) from exc
        raise IngestError(f"the CSV cannot be read: {exc}", path=path.name) from exc
    except UnicodeDecodeError as exc:
        line, offset = _locate_undecodable(path, layout.encoding)
        raise IngestError(
            f"the file is not valid {layout.encoding}: first bad byte at offset {offset}",
            path=path.name,
            locator=f"line={line}",
        ) from exc


# ---------------------------------------------------------------------------------------------
# XLSX


def check_zip_container(path: Path) -> None:
    """Refuse a ZIP-based file that is hostile: too big unpacked, bomb ratios, traversal, DTDs.

    Raises:
        HostileInput: naming the file and the member at fault.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise IngestError("the file is not a valid XLSX (ZIP) container", path=path.name) from exc
    with archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise HostileInput(f"{len(members)} members in the container", path=path.name)
        total = 0
        for info in members:
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
                raise HostileInput(
                    "member name would escape the container (path traversal)",
                    path=path.name,
                    locator=f"member={info.filename}",
                )
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1024 * 1024 and ratio > XLSX_MAX_RATIO:
                raise HostileInput(
                    f"member expands {ratio:.0f}-fold (zip bomb refused)",
                    path=path.name,
                    locator=f"member={info.filename}",
                )
            if total > XLSX_MAX_UNCOMPRESSED:
                raise HostileInput("the container unpacks to more than 4 GiB", path=path.name)
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                with archive.open(info) as member:
                    hostile = _declares_dtd(member)
                if hostile:
                    raise HostileInput(
                        "XML document type declarations are refused (entity expansion)",
                        path=path.name,
                        locator=f"member={info.filename}",
                    )


_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(r"<[A-Za-z_]")


def _declares_dtd(member: IO[bytes]) -> bool:
    """Whether an XML member declares a DTD or entity before its root element.

    The member is read in chunks and decoded by its byte-order mark (UTF-8 or UTF-16), so neither
    a long comment before the declaration nor a wide encoding hides it.
    """
    head = member.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(b"<\x00"):
        encoding = "utf-16-le"
    elif head.startswith(b"\x00<"):
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    window = decoder.decode(head)
    while True:
        if _DTD.search(window):
            return True
        if _ROOT.search(window):
            return False
        chunk = member.read(64 * 1024)
        if not chunk:
            return bool(_DTD.search(window + decoder.decode(b"", final=True)))
        # keep a tail so a declaration split across chunks is still seen
        window = window[-32:] + decoder.decode(chunk)


def _cell_text(value: object) -> tuple[str, bool]:
    """Text of an XLSX cell as a person sees it, and whether it was a formula."""
    if value is None:
        return "", False
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%d/%m/%Y"), False
        return value.strftime("%d/%m/%Y %H:%M:%S"), False
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y"), False
    if isinstance(value, time):
        return value.strftime("%H:%M:%S"), False
    if isinstance(value, float) and value.is_integer():
        return str(int(value)), False
    text = str(value)
    return text, text.startswith("=")


def _open_sheet(path: Path, layout: TabularLayout):  # type: ignore[no-untyped-def]
    """Open the workbook read-only and return it with the sheet the layout names (else the
    first worksheet).

    Raises:
        HostileInput: the workbook's XML is unsafe.
        IngestError: the workbook cannot be read (any error openpyxl raises on a broken
            workbook is reported so, naming the file), has no worksheet, or lacks the sheet.
    """
    import openpyxl  # deferred: only XLSX ingest pays for it

    check_zip_container(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except DefusedXmlException as exc:
        raise HostileInput(f"unsafe XML refused: {exc}", path=path.name) from exc
    except Exception as exc:  # a broken workbook fails in openpyxl in many ways
        raise IngestError(
            f"the workbook cannot be read: {type(exc).__name__}: {exc}", path=path.name
        ) from exc
    if not workbook.worksheets:
        workbook.close()
        raise IngestError(
            "the workbook has no worksheet (it may be damaged, or hold only charts)",
            path=path.name,
        )
    if layout.sheet is None:
        return workbook, workbook.worksheets[0]
    if layout.sheet not in workbook.sheetnames:
        workbook.close()
        raise IngestError(
            f"no sheet called {layout.sheet!r}; sheets: {', '.join(workbook.sheetnames)}",
            path=path.name,
        )
    return workbook, workbook[layout.sheet]


def _sheet_rows(path: Path, sheet: Any) -> Iterator[tuple[int, tuple[object, ...]]]:
    """The sheet's rows numbered from 1.

    Whatever goes wrong while openpyxl streams the sheet (malformed XML, a shared-string index
    out of range, a cell it cannot convert) becomes an :class:`IngestError` naming the file and
    the row it was reading, the one after the last row it returned, never a bare traceback.
    Only errors raised by the reading itself are caught: the caller's own code runs outside
    this generator.

    Raises:
        HostileInput: unsafe XML met while streaming.
        IngestError: the sheet cannot be read at ``row=N``.
    """
    number = 0
    try:
        for values in sheet.iter_rows(values_only=True):
            number += 1
            yield number, values
    except ThreadlineError:
        raise
    except DefusedXmlException as exc:
        raise HostileInput(
            f"unsafe XML refused: {exc}", path=path.name, locator=f"row={number + 1}"
        ) from exc
    except Exception as exc:
        raise IngestError(
            f"the sheet cannot be read: {type(exc).__name__}: {exc}",
            path=path.name,
            locator=f"row={number + 1}",
        ) from exc


def _xlsx_header(path: Path, layout: TabularLayout) -> list[str]:
    workbook, sheet = _open_sheet(path, layout)
    try:
        for number, values in _sheet_rows(path, sheet):
            if number == layout.header_row:
                names = [_cell_text(v)[0].strip() for v in values]
                # read-only sheets pad every row to the sheet's widest; the header ends at its
                # last named cell, so wider data rows are reported as malformed
                while names and names[-1] == "":
                    names.pop()
                return names
        raise IngestError(f"there is no header on row {layout.header_row}", path=path.name)
    finally:
        workbook.close()


def read_xlsx_chunks(
    path: Path,
    layout: TabularLayout,
    column_count: int,
    on_malformed: MalformedHandler,
    on_formula: Callable[[int, str], None],
) -> Iterator[TabularChunk]:
    """Stream an XLSX sheet's data rows as text, with their row numbers.

    Formulas are never evaluated: the formula text is kept as the value and reported through
    ``on_formula`` (row number, formula). Rows wider than the header are malformed; entirely
    blank rows are reported as malformed too so nothing disappears without a trace.
    """
    names = positional_names(column_count)
    workbook, sheet = _open_sheet(path, layout)
    try:
        columns: list[list[str]] = [[] for _ in names]
        rows: list[int] = []
        for number, values in _sheet_rows(path, sheet):
            if number <= layout.header_row:
                continue
            texts: list[str] = []
            for value in values:
                text, formula = _cell_text(value)
                if formula:
                    on_formula(number, text)
                texts.append(text)
            while len(texts) > column_count and texts[-1] == "":
                texts.pop()
            if len(texts) > column_count or not any(t.strip() for t in texts):
                on_malformed(number, ",".join(texts))
                continue
            texts.extend([""] * (column_count - len(texts)))
            for i, text in enumerate(texts):
                columns[i].append(text)
            rows.append(number)
            if len(rows) >= XLSX_CHUNK_ROWS:
                yield _chunk(names, columns, rows)
                columns = [[] for _ in names]
                rows = []
        if rows:
            yield _chunk(names, columns, rows)
    finally:
        workbook.close()


def _chunk(names: list[str], columns: list[list[str]], rows: list[int]) -> TabularChunk:
    arrays = [pa.array(col, type=pa.string()) for col in columns]
    return TabularChunk(
        batch=pa.RecordBatch.from_arrays(arrays, names=names),
        rows=np.asarray(rows, dtype=np.int64),
    )


_DONE = object()


def prefetched(chunks: Iterator[TabularChunk], depth: int = 1) -> Iterator[TabularChunk]:
    """Read ``chunks`` on a background thread, ``depth`` ahead of the consumer.

    Parsing CSV in Arrow releases the GIL, so the next chunk is read while this one is
    normalised. Errors from the reader are raised in the consumer, in order; if the consumer
    stops early, the reader is told to stop and its file is closed.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        handoff.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            handoff.put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=produce, name="tabular-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, TabularChunk)
            yield item
    finally:
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)


def read_chunks(
    path: Path,
    layout: TabularLayout,
    column_count: int,
    on_malformed: MalformedHandler,
    on_formula: Callable[[int, str], None],
) -> Iterator[TabularChunk]:
    """Stream a tabular file of either format (see the two readers)."""
    if layout.format == "xlsx":
        return read_xlsx_chunks(path, layout, column_count, on_malformed, on_formula)
    return read_csv_chunks(path, layout, column_count, on_malformed)


def sniff_text(head: bytes) -> str | None:
    """Decode a probe's first bytes as text if it looks like text (BOMs honoured), else None."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")):
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore")
    if b"\x00" in head[:4096]:
        return None
    return io.TextIOWrapper(io.BytesIO(head), encoding="utf-8", errors="replace").read()
