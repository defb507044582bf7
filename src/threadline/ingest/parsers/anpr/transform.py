"""Normalisation of ANPR read rows into ``anpr_reads``, chunk by chunk, in DuckDB.

Each chunk of source rows (text, as read by :mod:`threadline.ingest.tabular`) is staged in one
DuckDB query: trimmed texts, the raw row's JSON, strictly parsed local read times
(``try_strptime`` refuses 29 February 2026 where a looser parser would roll it into March),
decimals for position and confidence, and row identifiers (SHA-256 of the same key material as
:func:`threadline.model.ids.row_id`). Work that needs Python is done once per *distinct* value and
joined back: registration marks through :func:`threadline.model.vrm.normalise_vrm` (requirement
61) and directions through the layout's vocabulary; an export of millions of reads has far fewer
distinct marks than rows. Local read times are placed in UTC through the time basis's segments
(:func:`threadline.model.time_basis.local_segments`) with an ASOF join, so a time in the repeated
autumn hour keeps both readings and one in the spring gap keeps its range, flagged and never
guessed (requirements 21, 22).

Problems become ingest issues, never silent changes:

* per row (with its locator, the first :data:`ROW_ISSUES_PER_CHUNK` of a kind in each chunk,
  the rest counted): blank row; missing, unparsed, out-of-range, ambiguous or nonexistent read
  time; no VRM; no camera; a confidence that is not a number from 0 to 100;
* per distinct value (count and first row): text that cannot be a registration mark, a direction
  the layout does not know, an unusable position, a position outside the UK;
* per kind, once: marks in no UK format (foreign plates, misreads), as a note.

No fuzzy matching is done here: ``AB12CDE`` and ``AB12CDF`` stay two marks (requirement 61).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ISSUES_KEPT_PER_CODE, ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.mapping_file import fold_header
from threadline.ingest.parsers.anpr.directions import direction_key
from threadline.ingest.parsers.anpr.profile import AnprField, AnprProfile
from threadline.ingest.parsers.cell_list import _DECIMAL, UK_BOX
from threadline.ingest.sql import connect_offline, row_id_sql, sql_literal
from threadline.ingest.tabular import TabularChunk
from threadline.ingest.tabular_run import ValueCount, issue_value_counts
from threadline.model.evidence_schema import ANPR_READS, SOURCE_ROWS, Table
from threadline.model.time_basis import PLAUSIBLE_YEARS, TimeBasis, local_segments
from threadline.model.vrm import normalise_vrm

__all__ = ["ROW_ISSUES_PER_CHUNK", "ReadsTransform", "raw_keys"]

#: Per-row issues kept from one chunk for each issue kind; the rest are only counted.
ROW_ISSUES_PER_CHUNK = 1000

#: Earliest segment start written to DuckDB (the model's first segment starts at datetime.min,
#: which no plausible time precedes).
_SEGMENT_FLOOR = datetime(1800, 1, 1)


def raw_keys(headers: list[str]) -> list[str]:
    """The keys of a raw source row: each header as written, a nameless column ``(column N)``
    so that two of them cannot collapse into one JSON key."""
    return [h if h else f"(column {i + 1})" for i, h in enumerate(headers)]


@dataclass
class _Tally:
    """Occurrences of one problem value across the whole file."""

    count: int = 0
    first_row: int = 0

    def add(self, count: int, first_row: int) -> None:
        self.first_row = first_row if self.count == 0 else min(self.first_row, first_row)
        self.count += count


@dataclass
class ReadsTransform:
    """Normalises the chunks of one ANPR read export (state: the DuckDB connection, the
    distinct-value look-ups and the problem tallies of this file only)."""

    profile: AnprProfile
    headers: list[str]
    basis: TimeBasis
    ctx: ParseContext
    con: duckdb.DuckDBPyConnection = field(init=False)
    _years: tuple[int, int] | None = None
    _tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    _distinct: dict[str, int] = field(default_factory=dict)
    _overflow: dict[str, int] = field(default_factory=dict)
    _meta: dict[str, tuple[Severity, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.con = connect_offline()
        folded = [fold_header(h) for h in self.headers]
        self._positions = {name: i for i, name in reversed(list(enumerate(folded)))}
        self._directions = self.profile.direction_table()
        self.con.execute("CREATE TEMP TABLE vrms (original VARCHAR, vrm VARCHAR, fmt VARCHAR)")
        self.con.execute("CREATE TEMP TABLE dirs (original VARCHAR, direction VARCHAR)")

    def close(self) -> None:
        """Release the DuckDB connection."""
        self.con.close()

    # -----------------------------------------------------------------------------------------
    # staging

    def _text(self, name: AnprField) -> str:
        """SQL for a canonical field's trimmed source text (NULL when blank or unmapped)."""
        header = self.profile.source_header(name)
        if header is None:
            return "CAST(NULL AS VARCHAR)"
        return f"nullif(src.t{self._positions[fold_header(header)]}, '')"

    def _read_text(self) -> str:
        """SQL for the read time as written: one column, or date and time joined by a space
        (whichever of the two is present when the other is blank, so it shows as unparsed)."""
        if self.profile.source_header("read") is not None:
            return self._text("read")
        day, clock = self._text("read_date"), self._text("read_time")
        return f"nullif(concat_ws(' ', {day}, {clock}), '')"

    def _stage(self) -> None:
        """Stage the chunk registered as ``src`` (source text ``c0``.., the same trimmed
        ``t0``.., row numbers ``rn``) into the table ``base``."""
        decimal = sql_literal(_DECIMAL.pattern)
        columns = range(len(self.headers))
        blank = " AND ".join(f"src.t{i} = ''" for i in columns)
        raw = ", ".join(f"{sql_literal(k)}, src.c{i}" for i, k in enumerate(raw_keys(self.headers)))
        texts = ", ".join(
            f"{self._text(name)} AS {name}_t"
            for name in (
                "vrm",
                "camera_id",
                "camera_name",
                "latitude",
                "longitude",
                "direction",
                "lane",
                "confidence",
            )
        )
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE base AS
            SELECT *,
              try_strptime(read_original, {sql_literal(self.profile.formats.read)}) AS read_local,
              CASE WHEN regexp_full_match(latitude_t, {decimal})
                   THEN CAST(latitude_t AS DOUBLE) END AS lat_d,
              CASE WHEN regexp_full_match(longitude_t, {decimal})
                   THEN CAST(longitude_t AS DOUBLE) END AS lon_d,
              CASE WHEN regexp_full_match(confidence_t, {decimal})
                   THEN CAST(confidence_t AS DOUBLE) END AS conf_d
            FROM (
              SELECT src.rn AS rn, 'row=' || src.rn AS locator, ({blank}) AS blank,
                {self._read_text()} AS read_original, {texts},
                json_object({raw})::VARCHAR AS raw
              FROM src
            )
            """
        )

    # -----------------------------------------------------------------------------------------
    # distinct-value look-ups

    def _new_values(self, column: str, lookup: str) -> list[str]:
        rows = self.con.execute(
            f"SELECT DISTINCT {column} FROM base WHERE {column} IS NOT NULL "
            f"AND {column} NOT IN (SELECT original FROM {lookup})"
        ).fetchall()
        return [str(value) for (value,) in rows]

    def _learn(self) -> None:
        """Normalise the marks and directions this chunk shows for the first time."""
        marks = self._new_values("vrm_t", "vrms")
        if marks:
            found = [normalise_vrm(m) for m in marks]
            self._insert(
                "vrms",
                {
                    "original": marks,
                    "vrm": [v.value if v else None for v in found],
                    "fmt": [v.format.value if v else None for v in found],
                },
            )
        directions = self._new_values("direction_t", "dirs")
        if directions:
            self._insert(
                "dirs",
                {
                    "original": directions,
                    "direction": [self._directions.get(direction_key(d)) for d in directions],
                },
            )

    def _insert(self, table: str, columns: Mapping[str, Sequence[str | None]]) -> None:
        self.con.register(
            "fresh", pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
        )
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM fresh")
        finally:
            self.con.unregister("fresh")

    # -----------------------------------------------------------------------------------------
    # times

    def _cover_years(self) -> None:
        """Make sure the segments table covers every plausible year this chunk shows."""
        low, high = PLAUSIBLE_YEARS
        found = self.con.execute(
            f"SELECT min(year(read_local)), max(year(read_local)) FROM base "
            f"WHERE year(read_local) BETWEEN {low} AND {high}"
        ).fetchone()
        if found is None or found[0] is None:
            if self._years is None:
                self._segments(low, low)  # the table must exist for the join
            return
        years = (int(found[0]), int(found[1]))
        if self._years is not None:
            if self._years[0] <= years[0] and years[1] <= self._years[1]:
                return
            years = (min(years[0], self._years[0]), max(years[1], self._years[1]))
        self._segments(*years)

    def _segments(self, first: int, last: int) -> None:
        segments = local_segments(self.basis, first, last)
        micro = timedelta(microseconds=1)
        table = pa.table(
            {
                "seg_start": pa.array(
                    [max(s.start, _SEGMENT_FLOOR) for s in segments], pa.timestamp("us")
                ),
                "early_us": pa.array([s.earliest_offset // micro for s in segments], pa.int64()),
                "late_us": pa.array([s.latest_offset // micro for s in segments], pa.int64()),
                "status": pa.array([s.status.value for s in segments], pa.string()),
            }
        )
        self.con.register("segments_arrow", table)
        try:
            self.con.execute("CREATE OR REPLACE TEMP TABLE segs AS SELECT * FROM segments_arrow")
        finally:
            self.con.unregister("segments_arrow")
        self._years = (first, last)

    # -----------------------------------------------------------------------------------------
    # the chunk pipeline

    def process(self, chunk: TabularChunk) -> None:
        """Normalise one chunk, record its issues and emit its reads and raw source rows."""
        batch = chunk.batch
        # trimmed in Arrow (Unicode white space, vectorised); the raw row keeps the text as read
        src = pa.table(
            {
                **{f"c{i}": batch.column(i) for i in range(batch.num_columns)},
                **{
                    f"t{i}": pc.utf8_trim_whitespace(batch.column(i))
                    for i in range(batch.num_columns)
                },
                "rn": pa.array(chunk.rows, pa.int64()),
            }
        )
        self.con.register("src", src)
        try:
            self._stage()
        finally:
            self.con.unregister("src")
        self._learn()
        self._cover_years()
        low, high = PLAUSIBLE_YEARS
        south, north, west, east = UK_BOX
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE out AS
            WITH timed AS (
              SELECT b.rn,
                CASE WHEN b.read_original IS NULL THEN NULL
                     WHEN b.read_local IS NULL THEN 'unparsed'
                     WHEN year(b.read_local) NOT BETWEEN {low} AND {high} THEN 'out_of_range'
                     ELSE s.status END AS read_status,
                CASE WHEN year(b.read_local) BETWEEN {low} AND {high}
                     THEN b.read_local - to_microseconds(s.early_us) END AS read_earliest_utc,
                CASE WHEN year(b.read_local) BETWEEN {low} AND {high}
                     THEN b.read_local - to_microseconds(s.late_us) END AS read_latest_utc
              FROM base b ASOF LEFT JOIN segs s ON b.read_local >= s.seg_start
            )
            SELECT b.*, v.vrm, v.fmt AS vrm_format, d.direction,
              t.read_status, t.read_earliest_utc, t.read_latest_utc,
              CASE WHEN t.read_status = 'exact' THEN t.read_earliest_utc END AS read_utc,
              (b.latitude_t IS NOT NULL OR b.longitude_t IS NOT NULL) AS pos_given,
              coalesce(b.lat_d BETWEEN -90 AND 90 AND b.lon_d BETWEEN -180 AND 180, false)
                AS pos_ok,
              coalesce(b.lat_d BETWEEN {south} AND {north} AND b.lon_d BETWEEN {west} AND {east},
                false) AS in_uk,
              coalesce(b.conf_d BETWEEN 0 AND 100, false) AS conf_ok
            FROM base b
            JOIN timed t ON t.rn = b.rn
            LEFT JOIN vrms v ON v.original = b.vrm_t
            LEFT JOIN dirs d ON d.original = b.direction_t
            """
        )
        self._row_issues()
        self._value_issues()
        self._emit(ANPR_READS, "NOT blank")
        self._emit(SOURCE_ROWS, "NOT blank")

    # -----------------------------------------------------------------------------------------
    # issues

    def _row_issue_specs(self) -> list[tuple[str, str, Severity, str, str]]:
        """(condition, code, severity, message SQL, value SQL) for every per-row issue kind."""

        def text(message: str) -> str:
            return sql_literal(message)

        basis = self.basis.name
        fmt = self.profile.formats.read
        return [
            ("blank", "row.blank", Severity.INFO, text("blank row"), "NULL"),
            (
                "NOT blank AND read_original IS NULL",
                "time.missing",
                Severity.WARNING,
                text("the read has no time; it is kept, but cannot be placed in time"),
                "NULL",
            ),
            (
                "read_status = 'unparsed'",
                "time.unparsed.read",
                Severity.WARNING,
                text(f"the read time does not match the format {fmt}; it is kept as written"),
                "read_original",
            ),
            (
                "read_status = 'out_of_range'",
                "time.out_of_range",
                Severity.WARNING,
                text(
                    f"the read time has a year outside {PLAUSIBLE_YEARS[0]}–{PLAUSIBLE_YEARS[1]}: "
                    "taken as a placeholder, kept as written and not placed in UTC"
                ),
                "read_original",
            ),
            (
                "read_status = 'ambiguous'",
                "time.ambiguous",
                Severity.WARNING,
                f"'the read time falls in the repeated hour when clocks go back in {basis}: it "
                "could be ' || strftime(read_earliest_utc, '%H:%M:%S') || ' or ' || "
                "strftime(read_latest_utc, '%H:%M:%S') || ' UTC; both are kept, neither is "
                "chosen'",
                "read_original",
            ),
            (
                "read_status = 'nonexistent'",
                "time.nonexistent",
                Severity.WARNING,
                f"'the read time does not exist in {basis} (clocks went forward); it is kept as "
                "the range ' || strftime(read_earliest_utc, '%H:%M:%S') || '–' || "
                "strftime(read_latest_utc, '%H:%M:%S') || ' UTC'",
                "read_original",
            ),
            (
                "NOT blank AND vrm_t IS NULL",
                "vrm.missing",
                Severity.WARNING,
                text("the read has no VRM; it is kept, but matches no vehicle"),
                "NULL",
            ),
            (
                "NOT blank AND camera_id_t IS NULL",
                "camera.missing",
                Severity.WARNING,
                text("the read names no camera; it is kept, but cannot be placed"),
                "NULL",
            ),
            (
                "confidence_t IS NOT NULL AND NOT conf_ok",
                "confidence.invalid",
                Severity.WARNING,
                text("the confidence is not a number from 0 to 100; it is left empty"),
                "confidence_t",
            ),
        ]

    def _row_issues(self) -> None:
        specs = self._row_issue_specs()
        counts_sql = ", ".join(f"count(*) FILTER (WHERE {where})" for where, *_ in specs)
        counted = self.con.execute(f"SELECT {counts_sql} FROM out").fetchone()
        assert counted is not None
        for (where, code, severity, message, value), count in zip(specs, counted, strict=True):
            if not count:
                continue
            rows = self.con.execute(
                f"SELECT rn, {message}, {value} FROM out WHERE {where} ORDER BY rn "
                f"LIMIT {ROW_ISSUES_PER_CHUNK}"
            ).fetchall()
            for rn, text, original in rows:
                self.ctx.issue(severity, code, text, locator=f"row={rn}", value=original)
            if count > len(rows):
                self.ctx.tally(severity, code, rows[0][1], int(count) - len(rows))

    def _value_issue_specs(self) -> list[tuple[str, str, Severity, str, str]]:
        """(condition, code, severity, message, value SQL) for every per-value issue kind."""
        return [
            (
                "vrm_t IS NOT NULL AND vrm IS NULL",
                "vrm.invalid",
                Severity.WARNING,
                "the text read is not a registration mark (blank after removing spaces, longer "
                "than 10 characters, or not letters and digits); vrm is left empty, the original "
                "kept",
                "vrm_t",
            ),
            (
                "vrm_format = 'unknown'",
                "vrm.format_unknown",
                Severity.INFO,
                "marks in no UK format (foreign plates, misreads): kept as read, normalised, "
                "matched only exactly",
                "vrm",
            ),
            (
                "direction_t IS NOT NULL AND direction IS NULL",
                "direction.unknown",
                Severity.WARNING,
                f"direction not understood by profile {self.profile.name}; direction is left "
                "empty, the original kept (map it under 'directions' in a mapping file)",
                "direction_t",
            ),
            (
                "pos_given AND NOT pos_ok",
                "position.invalid",
                Severity.WARNING,
                "the latitude/longitude is incomplete, not a decimal number or out of range; "
                "the read has no position",
                "coalesce(latitude_t, '') || ',' || coalesce(longitude_t, '')",
            ),
            (
                "pos_ok AND NOT in_uk",
                "position.outside_uk",
                Severity.WARNING,
                "the camera position is outside the UK and Crown Dependencies; it is kept as given",
                "latitude_t || ',' || longitude_t",
            ),
        ]

    def _value_issues(self) -> None:
        for where, code, severity, message, value in self._value_issue_specs():
            found = self.con.execute(
                f"SELECT {value} AS v, count(*), min(rn) FROM out WHERE {where} GROUP BY v"
            ).fetchall()
            if found:
                self._meta[code] = (severity, message)
            for text, count, first in found:
                self._tally(code, str(text), int(count), int(first))

    def _tally(self, code: str, value: str, count: int, first: int) -> None:
        """Add occurrences of a problem value; past :data:`ISSUES_KEPT_PER_CODE` distinct values
        of a code only their number of rows is kept (memory stays bounded on hostile input)."""
        key = (code, value)
        tally = self._tallies.get(key)
        if tally is None:
            if self._distinct.get(code, 0) >= ISSUES_KEPT_PER_CODE:
                self._overflow[code] = self._overflow.get(code, 0) + count
                return
            self._distinct[code] = self._distinct.get(code, 0) + 1
            tally = self._tallies[key] = _Tally()
        tally.add(count, first)

    def finish(self) -> None:
        """Emit the per-value issues gathered over the whole file: one per distinct value (a
        note's values in one summary), in order of first appearance."""
        by_code: dict[str, list[tuple[str, _Tally]]] = {}
        for (code, value), tally in self._tallies.items():
            by_code.setdefault(code, []).append((value, tally))
        for code, items in by_code.items():
            severity, message = self._meta[code]
            items.sort(key=lambda item: (item[1].first_row, item[0]))
            issue_value_counts(
                self.ctx,
                severity,
                code,
                [ValueCount(v, message, t.count, t.first_row) for v, t in items],
                summary=message,
                extra_rows=self._overflow.get(code, 0),
            )
            # a summary already counts the overflow; one issue per value cannot, so it is tallied
            if severity is not Severity.INFO and self._overflow.get(code):
                self.ctx.tally(severity, code, message, self._overflow[code])

    # -----------------------------------------------------------------------------------------
    # emitting

    def _emit(self, table: Table, where: str) -> None:
        exhibit = self.ctx.exhibit.exhibit_id
        exprs = {
            "row_id": row_id_sql(exhibit, "locator"),
            "exhibit_id": sql_literal(exhibit),
            "locator": "locator",
            "parser": sql_literal(self.ctx.parser_ref),
            "raw": "raw",
            "vrm": "vrm",
            "vrm_original": "vrm_t",
            "vrm_format": "vrm_format",
            "read_utc": "read_utc",
            "read_earliest_utc": "read_earliest_utc",
            "read_latest_utc": "read_latest_utc",
            "read_status": "read_status",
            "read_original": "read_original",
            "camera_id": "camera_id_t",
            "camera_name": "camera_name_t",
            "latitude": "CASE WHEN pos_ok THEN lat_d END",
            "longitude": "CASE WHEN pos_ok THEN lon_d END",
            "direction": "direction",
            "direction_original": "direction_t",
            "lane": "lane_t",
            "confidence": "CASE WHEN conf_ok THEN conf_d END",
            "time_basis": sql_literal(self.basis.name),
        }
        select = ", ".join(f"{exprs[c]} AS {c}" for c in table.column_names)
        data = self.con.execute(
            f"SELECT {select} FROM out WHERE {where} ORDER BY rn"
        ).to_arrow_table()
        if data.num_rows:
            self.ctx.emit(table.name, conform(table, data))
