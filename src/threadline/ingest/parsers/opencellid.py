"""The OpenCelliD cell export parser: crowd-sourced, approximate cell positions (formats.md §7b).

OpenCelliD (and the retired Mozilla Location Service, which used the same layout) publish one row
per cell::

    radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal

The per-country download (``234.csv.gz`` for the UK) has no header row; the world file has one.
Both are read, gzip-compressed (``.gz``) or plain. Each row becomes a ``cell_sites`` row keyed
``MCC-MNC-AREA-CELL`` (the MNC zero-padded to two digits, as
:attr:`threadline.model.cell_id.CellId.key`), with the technology, the estimated position, its
range in metres and the number of samples behind it; every record is also kept, as read, in
``source_rows`` (so ``unit``, ``changeable``, ``created``, ``updated`` and ``averageSignal`` are not
lost).

**These positions are not mast positions.** They are centroids of measurements that phones
reported, often hundreds of metres from the mast. Every row is marked
``position_basis = "crowd-sourced-approximate"`` and each ingest records one INFO issue saying so,
with the licence (OpenCelliD: CC BY-SA 4.0, attribution "OpenCelliD Project"), because a cell site
map for court must plot operator data and must not present these as masts (requirement 25;
domain.md §3.4).

Rows are located as ``row=N``, N counting the file's lines with the header (if any) as line 1;
OpenCelliD never quotes a value, so records and lines coincide. A row with a missing or invalid
position (not a number, out of range, or the 0,0 placeholder) keeps empty coordinates and raises a
warning, as does a cell identity that is not numeric or exceeds 3GPP's ranges.

The work is vectorised: the file is streamed as text with
:func:`threadline.ingest.tabular.read_csv_chunks` and each chunk is normalised by one DuckDB query
over Arrow, row identifiers included (SHA-256 of the same key material as
:func:`threadline.model.ids.row_id`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

import duckdb
import pyarrow as pa

from threadline.errors import IngestError, NotThisFormat
from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ParseContext
from threadline.ingest.contract import Confidence, ParserInfo, SourceProbe
from threadline.ingest.issue import Severity
from threadline.ingest.sql import connect_offline, row_id_sql, sql_literal
from threadline.ingest.tabular import TabularChunk, TabularLayout, read_csv_chunks
from threadline.model.cell_id import MAX_AREA, MAX_CELL
from threadline.model.evidence_schema import CELL_SITES, SOURCE_ROWS, Table

__all__ = ["COLUMNS", "CROWD_SOURCED_NOTICE", "OpenCellIdParser"]

#: The export's columns, in the order OpenCelliD writes them.
COLUMNS: tuple[str, ...] = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)

#: The position basis of every row.
POSITION_BASIS = "crowd-sourced-approximate"

#: Radio words a data row may start with (the sniffer's test).
RADIO_WORDS = frozenset({"GSM", "UMTS", "LTE", "NR", "CDMA"})

#: The INFO issue recorded once per ingest (requirement 25).
CROWD_SOURCED_NOTICE = (
    "positions in this file are crowd-sourced centroids from OpenCelliD (CC BY-SA 4.0, "
    'attribution "OpenCelliD Project"; the retired Mozilla Location Service used the same '
    "layout), estimated from measurements phones reported: they are approximate, are not "
    "operator mast locations and must not be presented as such (requirement 25); plot masts "
    "from the operator's cell list"
)

#: Per-row issues fetched from one chunk for each issue kind; the rest are only counted.
ROW_ISSUES_PER_CHUNK = 1000

_GZIP_MAGIC = b"\x1f\x8b"
#: Longest first line read to find a header.
_FIRST_LINE_BYTES = 64 * 1024


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


@contextmanager
def _open_bytes(path: Path, gz: bool) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed if it is gzip."""
    if gz:
        with gzip.open(path, "rb") as handle:
            yield handle  # type: ignore[misc]
    else:
        with path.open("rb") as handle:
            yield handle


def _first_line(path: Path, gz: bool) -> str:
    """The first line, decoded strictly (UTF-8, BOM allowed), without its line end.

    Raises:
        IngestError: the file (or the compressed stream) is empty, is not valid gzip, or its
            first line is not UTF-8.
    """
    try:
        with _open_bytes(path, gz) as handle:
            raw = handle.readline(_FIRST_LINE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"the gzip stream cannot be read: {exc}", path=path.name) from exc
    if not raw:
        raise IngestError("the file is empty", path=path.name)
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"the file is not valid UTF-8: first bad byte at offset {exc.start}",
            path=path.name,
            locator="line=1",
        ) from exc


def _locate_bad_utf8(path: Path, gz: bool) -> tuple[int, int] | None:
    """(line, byte offset in the decompressed text) of the first byte that is not UTF-8, or
    ``None`` if the whole file decodes. Only called when reading has already failed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with _open_bytes(path, gz) as handle:
            for line, raw in enumerate(iter(handle.readline, b""), start=1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as exc:
                    return line, offset + exc.start
                offset += len(raw)
    except (OSError, EOFError, zlib.error):
        return None  # the stream itself is damaged: the original error stands
    return None


def _sniff_line(head: bytes) -> str | None:
    """The first line of a probe, decompressing a gzip probe as far as its bytes go."""
    if head.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return None
    if b"\x00" in head[:4096]:
        return None
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    return lines[0] if lines else ""


class OpenCellIdParser:
    """Reads an OpenCelliD / Mozilla Location Service cell export into ``cell_sites``."""

    info: ClassVar[ParserInfo] = ParserInfo(
        name="opencellid",
        version="1.0.0",
        title="OpenCelliD / Mozilla Location Service cell export (crowd-sourced positions)",
        formats=("csv", "csv.gz"),
        tables=("cell_sites", "source_rows"),
        references=(
            "formats.md §7b (Mozilla Ichnaea docs/import_export.rst; OpenCelliD downloads)",
            "domain.md §3.4 and requirement 25 (crowd-sourced positions are not masts)",
            "3GPP TS 23.003 via threadline.model.cell_id (area and cell ranges)",
        ),
        fixtures=(
            "fixtures/opencellid/uk-cells.csv",
            "fixtures/opencellid/world-cells.csv.gz",
            "fixtures/opencellid/problems.csv",
            "fixtures/opencellid/latin1.csv.gz",
            "fixtures/opencellid/empty.csv",
        ),
    )

    def sniff(self, probe: SourceProbe) -> Confidence:
        """CERTAIN when the first line (decompressed if gzip) has 14 comma-separated fields and
        starts with a radio word (GSM, UMTS, LTE, NR, CDMA) or the header word ``radio``."""
        line = _sniff_line(probe.head)
        if line is None:
            return Confidence.NO
        fields = line.split(",")
        first = fields[0].strip()
        if len(fields) == len(COLUMNS) and (
            first.upper() in RADIO_WORDS or first.casefold() == "radio"
        ):
            return Confidence.CERTAIN
        return Confidence.NO

    def parse(self, path: Path, ctx: ParseContext) -> None:
        """Normalise the export into cell sites, and keep every source row as read.

        Raises:
            IngestError: the file is empty, its compression does not match its name, or it is not
                UTF-8 (naming the line).
            NotThisFormat: the first line is neither the export's header nor a 14-field row.
        """
        gz = _is_gzip(path)
        named_gz = path.name.lower().endswith(".gz")
        if gz != named_gz:
            raise IngestError(
                "the file is gzip-compressed but its name does not end in .gz; rename it"
                if gz
                else "the file's name ends in .gz but it is not gzip-compressed",
                path=path.name,
            )
        header, names = self._layout(path, _first_line(path, gz))
        ctx.detected.update(
            {"header": "present" if header else "absent", "compression": "gzip" if gz else "none"}
        )
        ctx.issue(Severity.INFO, "position.crowd_sourced", CROWD_SOURCED_NOTICE)

        def malformed(row: int, text: str) -> None:
            ctx.issue(
                Severity.ERROR,
                "row.malformed",
                f"the record does not have the {len(COLUMNS)} columns of the export; it is not "
                "ingested and its raw text is kept in this issue",
                locator=f"row={row}" if row > 0 else None,
                value=text[:2000],
            )

        layout = TabularLayout(format="csv", header_row=1 if header else 0)
        transform = _Transform(ctx=ctx, names=names)
        done = 0
        try:
            for chunk in read_csv_chunks(path, layout, len(COLUMNS), malformed):
                transform.process(chunk)
                done += chunk.batch.num_rows
                ctx.progress(done, None)
        except OSError as exc:  # pyarrow's own error for a truncated or corrupt gzip stream
            raise IngestError(
                f"the file cannot be read to the end ({exc}); it may be truncated or corrupt",
                path=path.name,
            ) from exc
        except IngestError as exc:
            place = _locate_bad_utf8(path, gz)
            if place is None:
                raise
            raise IngestError(
                f"the file is not valid UTF-8: first bad byte at offset {place[1]}"
                + (" of the decompressed text" if gz else ""),
                path=path.name,
                locator=f"line={place[0]}",
            ) from exc
        finally:
            transform.close()
        if done == 0:
            ctx.issue(Severity.WARNING, "file.no_rows", "the file has no data rows")

    @staticmethod
    def _layout(path: Path, first: str) -> tuple[bool, list[str]]:
        """Whether the first line is a header, and the column names in file order.

        Raises:
            NotThisFormat: the header is not the export's, or a headerless first row does not
                have 14 fields.
        """
        fields = next(csv.reader([first]), [])
        if fields and fields[0].strip().casefold() == "radio":
            names = [f.strip() for f in fields]
            expected = {c.casefold() for c in COLUMNS}
            if len(names) != len(COLUMNS) or {n.casefold() for n in names} != expected:
                raise NotThisFormat(
                    f"the header is not the OpenCelliD export's ({','.join(COLUMNS)}); "
                    f"it is {first!r}",
                    path=path.name,
                    locator="row=1",
                )
            return True, names
        if len(fields) != len(COLUMNS):
            raise NotThisFormat(
                f"the first row has {len(fields)} fields, not the {len(COLUMNS)} of an "
                f"OpenCelliD export ({','.join(COLUMNS)})",
                path=path.name,
                locator="row=1",
            )
        return False, list(COLUMNS)


@dataclass
class _Transform:
    """Normalises the chunks of one export with DuckDB (state: the connection, for one file)."""

    ctx: ParseContext
    names: list[str]
    con: duckdb.DuckDBPyConnection = field(init=False)

    def __post_init__(self) -> None:
        self.con = connect_offline()

    def close(self) -> None:
        """Release the DuckDB connection."""
        self.con.close()

    def _src(self, column: str) -> str:
        """SQL for the source text of a named export column (as read)."""
        folded = [n.casefold() for n in self.names]
        return f"src.c{folded.index(column.casefold())}"

    def _text(self, column: str) -> str:
        """SQL for a column's trimmed text, NULL when blank."""
        return f"nullif(trim({self._src(column)}), '')"

    def process(self, chunk: TabularChunk) -> None:
        """Normalise one chunk, record its issues and emit its rows."""
        src = chunk.batch.append_column("rn", pa.array(chunk.rows, pa.int64()))
        self.con.register("src", src)
        try:
            self._stage()
            self._issues()
            self._emit(CELL_SITES, "NOT blank")
            self._emit(SOURCE_ROWS, "true")
        finally:
            self.con.unregister("src")

    def _stage(self) -> None:
        t = self._text
        blank = " AND ".join(f"{t(c)} IS NULL" for c in COLUMNS)
        raw = ", ".join(f"{sql_literal(n)}, src.c{i}" for i, n in enumerate(self.names))
        cell_parts = ", ".join(self._src(c) for c in ("mcc", "net", "area", "cell"))
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE base AS
            SELECT
              src.rn AS rn,
              'row=' || src.rn AS locator,
              ({blank}) AS blank,
              {t("radio")} AS radio,
              {t("mcc")} AS mcc_t, {t("net")} AS net_t, {t("area")} AS area_t,
              {t("cell")} AS cell_t,
              CASE WHEN coalesce({t("mcc")}, {t("net")}, {t("area")}, {t("cell")}) IS NOT NULL
                   THEN concat_ws(',', {cell_parts}) END AS cell_id_original,
              {t("lat")} AS lat_t, {t("lon")} AS lon_t,
              try_cast({t("lat")} AS DOUBLE) AS lat_d, try_cast({t("lon")} AS DOUBLE) AS lon_d,
              {t("range")} AS range_t, try_cast({t("range")} AS DOUBLE) AS range_d,
              {t("samples")} AS samples_t,
              CASE WHEN regexp_full_match(coalesce({t("samples")}, ''), '\\d{{1,18}}')
                   THEN CAST({t("samples")} AS BIGINT) END AS samples_i,
              json_object({raw})::VARCHAR AS raw
            FROM src
            """
        )
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE out AS
            SELECT b.*,
              CASE upper(radio) WHEN 'GSM' THEN 'GSM' WHEN 'UMTS' THEN 'UMTS'
                   WHEN 'LTE' THEN 'LTE' WHEN 'NR' THEN 'NR' ELSE radio END AS technology,
              cell_ok,
              CASE WHEN cell_ok THEN mcc_t END AS mcc,
              CASE WHEN cell_ok THEN mnc_padded END AS mnc,
              CASE WHEN cell_ok THEN CAST(area_t AS BIGINT) END AS area,
              CASE WHEN cell_ok THEN CAST(cell_t AS BIGINT) END AS cell,
              CASE WHEN cell_ok THEN mcc_t || '-' || mnc_padded || '-' || CAST(area_t AS BIGINT)
                   || '-' || CAST(cell_t AS BIGINT) END AS cell_id,
              pos_ok,
              CASE WHEN pos_ok THEN lat_d END AS latitude,
              CASE WHEN pos_ok THEN lon_d END AS longitude,
              CASE WHEN range_ok THEN range_d END AS range_m,
              range_ok,
              samples_i AS samples,
              (samples_t IS NULL OR samples_i IS NOT NULL) AS samples_ok
            FROM (
              SELECT *,
                -- MNC zero-padded to two digits, a three-digit MNC kept (as CellId.mnc)
                CASE WHEN length(net_t) = 1 THEN '0' || net_t ELSE net_t END AS mnc_padded,
                coalesce(
                  regexp_full_match(mcc_t, '\\d{{3}}') AND regexp_full_match(net_t, '\\d{{1,3}}')
                  AND regexp_full_match(area_t, '\\d{{1,8}}')
                  AND regexp_full_match(cell_t, '\\d{{1,11}}')
                  AND CAST(CASE WHEN regexp_full_match(area_t, '\\d{{1,8}}') THEN area_t END
                           AS BIGINT) <= {MAX_AREA}
                  AND CAST(CASE WHEN regexp_full_match(cell_t, '\\d{{1,11}}') THEN cell_t END
                           AS BIGINT) <= {MAX_CELL},
                  false) AS cell_ok,
                coalesce(
                  isfinite(lat_d) AND isfinite(lon_d) AND lat_d BETWEEN -90 AND 90
                  AND lon_d BETWEEN -180 AND 180 AND NOT (lat_d = 0 AND lon_d = 0),
                  false) AS pos_ok,
                (range_t IS NULL OR coalesce(isfinite(range_d) AND range_d >= 0, false))
                  AS range_ok
              FROM base
            ) b
            """
        )

    def _row_issues(self, where: str, code: str, message: str, value_sql: str) -> None:
        """Raise a warning for each row matching ``where`` (the first few per chunk kept)."""
        total = self.con.execute(f"SELECT count(*) FROM out WHERE {where}").fetchone()
        count = int(total[0]) if total else 0
        if count == 0:
            return
        rows = self.con.execute(
            f"SELECT rn, {value_sql} FROM out WHERE {where} ORDER BY rn "
            f"LIMIT {ROW_ISSUES_PER_CHUNK}"
        ).fetchall()
        for rn, value in rows:
            self.ctx.issue(Severity.WARNING, code, message, locator=f"row={rn}", value=value)
        if count > len(rows):
            self.ctx.tally(Severity.WARNING, code, message, count - len(rows))

    def _issues(self) -> None:
        blank = self.con.execute("SELECT rn FROM out WHERE blank ORDER BY rn").fetchall()
        for (rn,) in blank:
            self.ctx.issue(Severity.INFO, "row.blank", "blank row", locator=f"row={rn}")
        self._row_issues(
            "NOT blank AND NOT cell_ok",
            "cell.unparsed",
            "the cell identity (mcc,net,area,cell) is not numeric or is out of range (MCC 3 "
            "digits, MNC 1 to 3, area up to 24 bits, cell up to 36 bits); cell_id is left empty",
            "coalesce(cell_id_original, '')",
        )
        self._row_issues(
            "NOT blank AND NOT pos_ok",
            "position.invalid",
            "the latitude/longitude is missing, not a number, out of range or the 0,0 "
            "placeholder; the row has no position",
            "coalesce(lat_t, '') || ',' || coalesce(lon_t, '')",
        )
        self._row_issues(
            "NOT blank AND NOT range_ok",
            "range.invalid",
            "the range is not a non-negative number of metres; it is left empty",
            "range_t",
        )
        self._row_issues(
            "NOT blank AND NOT samples_ok",
            "samples.invalid",
            "the sample count is not a whole number; it is left empty",
            "samples_t",
        )

    def _row_id_sql(self) -> str:
        """SQL for :func:`threadline.model.ids.row_id` of each row's locator (one id per source
        record: its cell site and its source row share it)."""
        return row_id_sql(self.ctx.exhibit.exhibit_id, "locator")

    def _emit(self, table: Table, where: str) -> None:
        exprs = {
            "row_id": self._row_id_sql(),
            "exhibit_id": sql_literal(self.ctx.exhibit.exhibit_id),
            "locator": "locator",
            "parser": sql_literal(self.ctx.parser_ref),
            "position_basis": sql_literal(POSITION_BASIS),
        }
        for name in (
            "cell_id", "cell_id_original", "mcc", "mnc", "area", "cell", "technology",
            "latitude", "longitude", "range_m", "samples", "raw",
        ):  # fmt: skip
            exprs[name] = name
        select = ", ".join(f"{exprs.get(c, 'NULL')} AS {c}" for c in table.column_names)
        data = self.con.execute(
            f"SELECT {select} FROM out WHERE {where} ORDER BY rn"
        ).to_arrow_table()
        if data.num_rows:
            self.ctx.emit(table.name, conform(table, data))
