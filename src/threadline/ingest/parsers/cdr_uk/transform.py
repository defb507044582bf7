"""Vectorised normalisation of CDR rows into the canonical tables, chunk by chunk.

Each chunk of source rows (text, as read) is normalised with DuckDB SQL over Arrow. Work that needs
Python libraries (phone numbers, IMEIs, cells, local-time resolution) is done once per *distinct*
value and cached for the whole file, then joined back: a CDR of ten million rows has far fewer
distinct numbers, handsets, cells and minutes than rows.

Problems become ingest issues, never silent changes (requirements 22, 24, 37, 59):

* per row (with its locator): malformed record, unparsed or ambiguous or nonexistent time, a row
  outside the authorised window, an unparsed duration or number;
* per distinct value (count and first locator): unknown record type, invalid number, IMEI failing
  Luhn, unparseable cell;
* per kind, once (count and first locator): notes such as leading zeros restored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.profile import CanonicalField, Profile
from threadline.ingest.sql import row_id_sql, sql_literal, whole_number_sql
from threadline.ingest.tabular import TabularChunk
from threadline.model.cell_id import parse_cell_id
from threadline.model.evidence_schema import CALLS, DATA_SESSIONS, MESSAGES, SOURCE_ROWS, Table
from threadline.model.imei import ImeiKind, normalise_imei
from threadline.model.imsi import normalise_imsi
from threadline.model.phone import PhoneKind, normalise_phone
from threadline.model.time_basis import TimeBasis, offsets_for_local

#: Per-row issues fetched from one chunk for each issue kind; the rest are only counted.
ROW_ISSUES_PER_CHUNK = 1000


@dataclass
class _Tally:
    """Occurrences of one problem value across the whole file."""

    count: int = 0
    first_row: int | None = None

    def add(self, count: int, first_row: int) -> None:
        self.count += count
        if self.first_row is None or first_row < self.first_row:
            self.first_row = first_row


@dataclass
class CdrTransform:
    """Normalises the chunks of one CDR file (state: caches and tallies for this file only)."""

    profile: Profile
    headers: list[str]
    basis: TimeBasis
    ctx: ParseContext
    con: duckdb.DuckDBPyConnection = field(init=False)
    _phones: dict[str, tuple[str | None, bool, str, str | None]] = field(default_factory=dict)
    _imeis: dict[str, tuple[str | None, str | None, str | None, Severity | None]] = field(
        default_factory=dict
    )
    _imsis: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    _cells: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    _minutes: dict[datetime, tuple[int, int, str]] = field(default_factory=dict)
    _value_tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    _value_meta: dict[tuple[str, str], tuple[Severity, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.con = duckdb.connect(
            ":memory:",
            config={
                "threads": 2,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            },
        )
        self.con.execute("SET TimeZone = 'UTC'")
        self._fixed_offset = self._constant_offset()
        rts = self.profile.record_types
        self.con.register(
            "rt",
            pa.table(
                {
                    "match": [r.match.upper() for r in rts],
                    "tbl": [r.table for r in rts],
                    "direction": [r.direction for r in rts],
                    "message_type": [r.message_type for r in rts],
                }
            ),
        )

    def close(self) -> None:
        """Release the DuckDB connection."""
        self.con.close()

    # -----------------------------------------------------------------------------------------
    # column expressions

    def _col(self, name: CanonicalField) -> str:
        """SQL for a canonical field's source text (NULL when blank or unmapped)."""
        headers = self.profile.source_headers(name)
        if not headers:
            return "NULL::VARCHAR"
        refs = [f"trim(src.c{self._index(h)})" for h in headers]
        joined = refs[0] if len(refs) == 1 else f"concat_ws(' ', {', '.join(refs)})"
        return f"nullif(trim({joined}), '')"

    def _index(self, header: str) -> int:
        from threadline.ingest.parsers.cdr_uk.profile import fold_header

        folded = [fold_header(h) for h in self.headers]
        return folded.index(fold_header(header))

    def _time_text(
        self, single: CanonicalField, date: CanonicalField, clock: CanonicalField
    ) -> str:
        if self.profile.source_headers(single):
            return self._col(single)
        if self.profile.source_headers(date) and self.profile.source_headers(clock):
            return f"nullif(trim(concat_ws(' ', {self._col(date)}, {self._col(clock)})), '')"
        return "NULL::VARCHAR"

    def _constant_offset(self) -> int | None:
        """The basis's UTC offset in seconds if it never changes (UTC, fixed offsets)."""
        zone = self.basis.zone
        if isinstance(zone, timezone):
            offset = zone.utcoffset(None)
            return int(offset.total_seconds())
        return None

    # -----------------------------------------------------------------------------------------
    # distinct-value lookups

    def _phone_table(self, values: list[str]) -> pa.Table:
        raws, e164s = [], []
        for raw in values:
            hit = self._phones.get(raw)
            if hit is None:
                number = normalise_phone(raw)
                hit = (number.e164, number.valid, number.kind.value, number.note)
                self._phones[raw] = hit
            raws.append(raw)
            e164s.append(hit[0])
        return pa.table({"raw": pa.array(raws, pa.string()), "e164": pa.array(e164s, pa.string())})

    def _imei_table(self, values: list[str]) -> pa.Table:
        cols: dict[str, list[str | None]] = {"raw": [], "imei": [], "imei_key": []}
        for raw in values:
            hit = self._imeis.get(raw)
            if hit is None:
                imei = normalise_imei(raw)
                severity: Severity | None = None
                if imei.kind is ImeiKind.INVALID:
                    severity = Severity.WARNING
                elif imei.luhn_ok is False:
                    padded = imei.value is not None and imei.value.endswith("0")
                    severity = Severity.INFO if padded else Severity.WARNING
                hit = (imei.value, imei.key, imei.note, severity)
                self._imeis[raw] = hit
            cols["raw"].append(raw)
            cols["imei"].append(hit[0])
            cols["imei_key"].append(hit[1])
        return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})

    def _imsi_table(self, values: list[str]) -> pa.Table:
        raws, out = [], []
        for raw in values:
            hit = self._imsis.get(raw)
            if hit is None:
                imsi = normalise_imsi(raw)
                hit = (imsi.value if imsi.valid else None, None if imsi.valid else imsi.note)
                self._imsis[raw] = hit
            raws.append(raw)
            out.append(hit[0])
        return pa.table({"raw": pa.array(raws, pa.string()), "imsi": pa.array(out, pa.string())})

    def _cell_table(self, values: list[str]) -> pa.Table:
        raws, keys = [], []
        for raw in values:
            hit = self._cells.get(raw)
            if hit is None:
                try:
                    cell = parse_cell_id(raw, mcc=self.profile.cell_mcc, mnc=self.profile.cell_mnc)
                    hit = (cell.key if cell else None, None)
                except ValueError as exc:
                    hit = (None, str(exc))
                self._cells[raw] = hit
            raws.append(raw)
            keys.append(hit[0])
        return pa.table({"raw": pa.array(raws, pa.string()), "key": pa.array(keys, pa.string())})

    def _minute_table(self, minutes: list[datetime]) -> pa.Table:
        rows: dict[str, list[object]] = {"minute": [], "off_e": [], "off_l": [], "status": []}
        for minute in minutes:
            hit = self._minutes.get(minute)
            if hit is None:
                off_e, off_l, status = offsets_for_local(minute, self.basis)
                hit = (int(off_e.total_seconds()), int(off_l.total_seconds()), status.value)
                self._minutes[minute] = hit
            rows["minute"].append(minute)
            rows["off_e"].append(hit[0])
            rows["off_l"].append(hit[1])
            rows["status"].append(hit[2])
        return pa.table(
            {
                "minute": pa.array(rows["minute"], pa.timestamp("us")),
                "off_e": pa.array(rows["off_e"], pa.int64()),
                "off_l": pa.array(rows["off_l"], pa.int64()),
                "status": pa.array(rows["status"], pa.string()),
            }
        )

    # -----------------------------------------------------------------------------------------
    # the chunk pipeline

    def process(self, chunk: TabularChunk) -> None:
        """Normalise one chunk and emit its rows to the canonical tables."""
        batch = chunk.batch.append_column("rn", pa.array(chunk.rows, pa.int64()))
        # one copy into DuckDB's own format: every later scan of the chunk is then native
        self.con.register("src_arrow", batch)
        # pyarrow reads a blank line as a record of empty fields: flag it so it is reported as
        # a blank row, not mistaken for a record with a missing type
        blank = " AND ".join(f"c{i} = ''" for i in range(len(self.headers)))
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE src AS SELECT *, {self._row_id_sql()} AS row_id, "
            f"({blank}) AS blank FROM src_arrow"
        )
        self.con.unregister("src_arrow")
        self._register_lookups(batch)
        self._stage_out()
        self._issues_for_chunk()
        for table in (CALLS, MESSAGES, DATA_SESSIONS):
            self._emit(table)
        self._emit_source_rows()

    def _base_sql(self) -> str:
        """SELECT of the source text of each canonical field, and the record type's meaning."""
        p = self.profile
        rt = self._col("record_type")
        if p.parties == "a_b":
            a_raw, b_raw, c_raw = self._col("a_party"), self._col("b_party"), self._col("c_party")
        else:
            target, other = self._col("target"), self._col("other_party")
            a_raw = f"CASE WHEN rt.direction = 'incoming' THEN {other} ELSE {target} END"
            b_raw = (
                f"CASE WHEN rt.tbl = 'data_sessions' THEN NULL "
                f"WHEN rt.direction = 'incoming' THEN {target} ELSE {other} END"
            )
            c_raw = "NULL::VARCHAR"
        start_text = self._time_text("start", "start_date", "start_time")
        end_text = self._time_text("end", "end_date", "end_time")
        start_fmt = sql_literal(p.formats.start)
        end_fmt = sql_literal(p.formats.end) if p.formats.end else "NULL"
        return f"""
            SELECT
              src.rn AS rn,
              src.row_id AS row_id,
              src.blank AS blank,
              'row=' || src.rn AS locator,
              {rt} AS record_type_original,
              rt.tbl AS tbl, rt.direction AS direction, rt.message_type AS message_type,
              {a_raw} AS a_raw, {b_raw} AS b_raw, {c_raw} AS c_raw,
              {start_text} AS start_original,
              try_strptime({start_text}, {start_fmt}) AS start_local,
              {end_text} AS end_original,
              try_strptime({end_text}, {end_fmt}) AS end_local,
              {self._col("duration")} AS duration_original,
              {self._col("imei")} AS imei_original,
              {self._col("imsi")} AS imsi_original,
              {self._col("start_cell")} AS start_cell_original,
              {self._col("end_cell")} AS end_cell_original,
              {self._col("apn")} AS apn,
              {self._col("bytes_up")} AS bytes_up_original,
              {self._col("bytes_down")} AS bytes_down_original,
              {self._col("charging_id")} AS charging_id
            FROM src LEFT JOIN rt ON upper({rt}) = rt.match
            """

    def _uniques(self, batch: pa.RecordBatch, fields: list[CanonicalField]) -> list[str]:
        """Distinct non-blank values (stripped) of the source columns behind ``fields``."""
        values: set[str] = set()
        for field_name in fields:
            for header in self.profile.source_headers(field_name):
                column = batch.column(self._index(header))
                values.update(v.strip() for v in pc.unique(column).to_pylist() if v)
        values.discard("")
        return sorted(values)

    def _register_lookups(self, batch: pa.RecordBatch) -> None:
        """Normalise this chunk's distinct identifiers and local minutes (cached across chunks)
        and register them as lookup tables for the join."""
        parties: list[CanonicalField] = ["a_party", "b_party", "c_party", "target", "other_party"]
        self.con.register("ph", self._phone_table(self._uniques(batch, parties)))
        self.con.register("im", self._imei_table(self._uniques(batch, ["imei"])))
        self.con.register("ims", self._imsi_table(self._uniques(batch, ["imsi"])))
        self.con.register("cl", self._cell_table(self._uniques(batch, ["start_cell", "end_cell"])))
        if self._fixed_offset is None:
            p = self.profile
            parts = [(self._time_text("start", "start_date", "start_time"), p.formats.start)]
            if p.formats.end:
                parts.append((self._time_text("end", "end_date", "end_time"), p.formats.end))
            union = " UNION ALL ".join(
                f"SELECT date_trunc('minute', try_strptime({text}, {sql_literal(fmt)})) AS m "
                "FROM src"
                for text, fmt in parts
            )
            rows = self.con.execute(
                f"SELECT DISTINCT m FROM ({union}) WHERE m IS NOT NULL"
            ).fetchall()
            self.con.register("tz", self._minute_table([r[0] for r in rows]))

    def _time_sql(self, prefix: str) -> str:
        local, original = f"b.{prefix}_local", f"b.{prefix}_original"
        if self._fixed_offset is not None:
            shifted = f"({local} - INTERVAL ({self._fixed_offset}) SECOND)"
            return f"""
              CASE WHEN {local} IS NOT NULL THEN {shifted} END AS {prefix}_utc,
              {shifted} AS {prefix}_earliest_utc,
              {shifted} AS {prefix}_latest_utc,
              CASE WHEN {local} IS NOT NULL THEN 'exact'
                   WHEN {original} IS NOT NULL THEN 'unparsed' END AS {prefix}_status"""
        z = f"tz_{prefix}"
        return f"""
              CASE WHEN {z}.status = 'exact'
                   THEN {local} - INTERVAL ({z}.off_e) SECOND END AS {prefix}_utc,
              {local} - INTERVAL ({z}.off_e) SECOND AS {prefix}_earliest_utc,
              {local} - INTERVAL ({z}.off_l) SECOND AS {prefix}_latest_utc,
              CASE WHEN {local} IS NOT NULL THEN {z}.status
                   WHEN {original} IS NOT NULL THEN 'unparsed' END AS {prefix}_status"""

    def _duration_sql(self) -> str:
        d = "b.duration_original"
        if self.profile.duration == "seconds":
            return whole_number_sql(d)
        if self.profile.duration == "hms":
            return f"""CASE
              WHEN regexp_full_match({d}, '\\d+:\\d{{1,2}}:\\d{{1,2}}')
                THEN split_part({d}, ':', 1)::BIGINT * 3600 + split_part({d}, ':', 2)::BIGINT * 60
                     + split_part({d}, ':', 3)::BIGINT
              WHEN regexp_full_match({d}, '\\d+:\\d{{1,2}}')
                THEN split_part({d}, ':', 1)::BIGINT * 60 + split_part({d}, ':', 2)::BIGINT
              END"""
        return (
            "CASE WHEN start_status = 'exact' AND end_status = 'exact' AND end_utc >= start_utc "
            "THEN CAST(epoch(end_utc) - epoch(start_utc) AS BIGINT) END"
        )

    def _stage_out(self) -> None:
        tz_joins = ""
        if self._fixed_offset is None:
            tz_joins = (
                "LEFT JOIN tz tz_start ON tz_start.minute = date_trunc('minute', b.start_local) "
                "LEFT JOIN tz tz_end ON tz_end.minute = date_trunc('minute', b.end_local)"
            )
        target = self.ctx.exhibit.target_number
        target_sql = sql_literal(target) if target else "NULL"
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE out AS
            WITH base AS ({self._base_sql()}),
            timed AS (
            SELECT b.*,
              pa.e164 AS a_party, pb.e164 AS b_party, pc.e164 AS c_party,
              im.imei AS imei, im.imei_key AS imei_key, ims.imsi AS imsi,
              cs.key AS start_cell, ce.key AS end_cell,
              {self._time_sql("start")},
              {self._time_sql("end")}
            FROM base b
            LEFT JOIN ph pa ON pa.raw = b.a_raw
            LEFT JOIN ph pb ON pb.raw = b.b_raw
            LEFT JOIN ph pc ON pc.raw = b.c_raw
            LEFT JOIN im ON im.raw = b.imei_original
            LEFT JOIN ims ON ims.raw = b.imsi_original
            LEFT JOIN cl cs ON cs.raw = b.start_cell_original
            LEFT JOIN cl ce ON ce.raw = b.end_cell_original
            {tz_joins}
            )
            SELECT t.*,
              {self._duration_sql().replace("b.duration_original", "t.duration_original")}
                AS duration_s,
              {whole_number_sql("t.bytes_up_original")} AS bytes_up,
              {whole_number_sql("t.bytes_down_original")} AS bytes_down,
              CASE WHEN {target_sql} IS NULL THEN NULL
                   WHEN t.a_party = {target_sql} THEN 'a'
                   WHEN t.b_party = {target_sql} THEN 'b'
                   WHEN t.c_party = {target_sql} THEN 'c' END AS target_role
            FROM timed t
            """
        )

    # -----------------------------------------------------------------------------------------
    # issues

    def _row_issues(
        self, where: str, code: str, severity: Severity, message_sql: str, count: int
    ) -> None:
        if count == 0:
            return
        rows = self.con.execute(
            f"SELECT rn, {message_sql} FROM out WHERE {where} ORDER BY rn "
            f"LIMIT {ROW_ISSUES_PER_CHUNK}"
        ).fetchall()
        for rn, detail in rows:
            self.ctx.issue(severity, code, detail["m"], locator=f"row={rn}", value=detail["v"])
        if count > len(rows):
            self.ctx.tally(severity, code, rows[0][1]["m"], count - len(rows))

    def _value_tally(
        self, column: str, bad: set[str], code: str, severity: Severity, text: str
    ) -> None:
        if not bad:
            return
        self.con.register("bad", pa.table({"v": pa.array(sorted(bad), pa.string())}))
        rows = self.con.execute(
            f"SELECT {column}, count(*), min(rn) FROM out JOIN bad ON bad.v = {column} "
            f"GROUP BY {column}"
        ).fetchall()
        self.con.unregister("bad")
        for value, count, first in rows:
            key = (code, value)
            self._value_tallies.setdefault(key, _Tally()).add(int(count), int(first))
            self._value_meta[key] = (severity, text)

    def _row_issue_specs(self) -> list[tuple[str, str, Severity, str]]:
        """(condition, code, severity, message SQL) for every per-row issue kind."""
        specs: list[tuple[str, str, Severity, str]] = [
            ("blank", "row.blank", Severity.INFO, "struct_pack(m := 'blank row', v := NULL)")
        ]
        for prefix, what in (("start", "start time"), ("end", "end time")):
            status = f"{prefix}_status"
            fmt = sql_literal(self._format_for(prefix))[1:-1]
            specs.append(
                (
                    f"{status} = 'unparsed'",
                    f"time.unparsed.{prefix}",
                    Severity.WARNING,
                    f"struct_pack(m := 'the {what} does not match the format {fmt}', "
                    f"v := {prefix}_original)",
                )
            )
            specs.append(
                (
                    f"{status} = 'ambiguous'",
                    "time.ambiguous",
                    Severity.WARNING,
                    f"struct_pack(m := 'the {what} falls in the repeated hour when clocks go "
                    f"back in {self.basis.name}: it could be ' || strftime({prefix}_earliest_utc, "
                    f"'%H:%M:%S') || ' or ' || strftime({prefix}_latest_utc, '%H:%M:%S') || "
                    f"' UTC; both are kept, neither is chosen', v := {prefix}_original)",
                )
            )
            specs.append(
                (
                    f"{status} = 'nonexistent'",
                    "time.nonexistent",
                    Severity.WARNING,
                    f"struct_pack(m := 'the {what} does not exist in {self.basis.name} (clocks "
                    f"went forward); it is kept as the range ' || strftime({prefix}_earliest_utc, "
                    f"'%H:%M:%S') || '–' || strftime({prefix}_latest_utc, '%H:%M:%S') || ' UTC', "
                    f"v := {prefix}_original)",
                )
            )
        specs.append(
            (
                "start_status = 'exact' AND end_status = 'exact' AND end_utc < start_utc",
                "time.end_before_start",
                Severity.WARNING,
                "struct_pack(m := 'the end time is before the start time; no duration is derived',"
                " v := end_original)",
            )
        )
        specs.append(
            (
                "tbl IS NOT NULL AND duration_original IS NOT NULL AND duration_s IS NULL",
                "duration.unparsed",
                Severity.WARNING,
                "struct_pack(m := 'the duration could not be read', v := duration_original)",
            )
        )
        for col in ("bytes_up", "bytes_down"):
            specs.append(
                (
                    f"{col}_original IS NOT NULL AND {col} IS NULL",
                    f"{col}.unparsed",
                    Severity.WARNING,
                    f"struct_pack(m := 'the {col.replace('_', ' ')} value is not a whole number', "
                    f"v := {col}_original)",
                )
            )
        facts = self.ctx.exhibit
        conds = []
        if facts.authorised_from is not None:
            conds.append(f"start_latest_utc < {self._ts_literal(facts.authorised_from)}")
        if facts.authorised_to is not None:
            conds.append(f"start_earliest_utc > {self._ts_literal(facts.authorised_to)}")
        if conds:
            specs.append(
                (
                    " OR ".join(f"({c})" for c in conds),
                    "window.outside",
                    Severity.WARNING,
                    "struct_pack(m := 'the event falls outside the authorised window "
                    f"{self._window_text()} (requirement 37)', v := start_original)",
                )
            )
        return specs

    def _issues_for_chunk(self) -> None:
        specs = self._row_issue_specs()
        counts_sql = ", ".join(f"count(*) FILTER (WHERE {where})" for where, *_ in specs)
        counted = self.con.execute(
            f"SELECT {counts_sql}, "
            "count(*) FILTER (WHERE tbl IS NULL AND record_type_original IS NOT NULL), "
            "count(*) FILTER (WHERE record_type_original IS NULL AND NOT blank) FROM out"
        ).fetchone()
        assert counted is not None
        for (where, code, severity, message), count in zip(specs, counted, strict=False):
            self._row_issues(where, code, severity, message, int(count))
        unknown_count, missing_count = int(counted[-2]), int(counted[-1])
        if unknown_count:
            unknown = {
                r[0]
                for r in self.con.execute(
                    "SELECT DISTINCT record_type_original FROM out WHERE tbl IS NULL "
                    "AND record_type_original IS NOT NULL"
                ).fetchall()
            }
            self._value_tally(
                "record_type_original",
                unknown,
                "record_type.unknown",
                Severity.WARNING,
                f"record type not in profile {self.profile.name}: such rows are kept as source "
                "rows only; map it in a mapping file to ingest them",
            )
        if missing_count:
            self._value_tally(
                "CASE WHEN blank THEN NULL ELSE coalesce(record_type_original, '') END",
                {""},
                "record_type.missing",
                Severity.WARNING,
                "the record type is blank: such rows are kept as source rows only",
            )
        self._tally_lookup_notes()

    def _tally_lookup_notes(self) -> None:
        invalid: dict[str, set[str]] = {}
        unnumbered: set[str] = set()
        for raw, (_e164, _valid, kind, note) in self._phones.items():
            if kind == PhoneKind.INVALID.value:
                invalid.setdefault(note or "not a valid telephone number", set()).add(raw)
            elif kind in (PhoneKind.SHORT_CODE.value, PhoneKind.ALPHANUMERIC.value):
                unnumbered.add(raw)
        restored = {r for r, h in self._phones.items() if h[3] and "leading zero" in h[3]}
        for col in ("a_raw", "b_raw", "c_raw"):
            for note, raws in sorted(invalid.items()):
                self._value_tally(
                    col,
                    raws,
                    "phone.invalid",
                    Severity.WARNING,
                    f"not a valid telephone number ({note}); the original is kept",
                )
            self._value_tally(
                col,
                unnumbered,
                "phone.short_code_or_sender",
                Severity.INFO,
                "short codes and alphanumeric sender names have no E.164 form; they are kept as "
                "written in the *_original columns",
            )
            self._value_tally(
                col,
                restored,
                "phone.leading_zero_restored",
                Severity.INFO,
                "the number had lost its leading zero (a spreadsheet quirk); it was restored",
            )
        imei_warn = {r for r, h in self._imeis.items() if h[3] is Severity.WARNING}
        imei_info = {r for r, h in self._imeis.items() if h[3] is Severity.INFO}
        self._value_tally(
            "imei_original",
            imei_warn,
            "imei.luhn",
            Severity.WARNING,
            "IMEI fails the Luhn check or is malformed: matched on its first 14 digits; a failure "
            "is a warning, not proof of a false device (requirement 24)",
        )
        self._value_tally(
            "imei_original",
            imei_info,
            "imei.padded",
            Severity.INFO,
            "IMEI ends in a padding 0 instead of its check digit (networks do not send it)",
        )
        bad_imsi = {r for r, h in self._imsis.items() if h[0] is None}
        self._value_tally(
            "imsi_original", bad_imsi, "imsi.invalid", Severity.WARNING, "not a valid IMSI"
        )
        bad_cell = {r for r, h in self._cells.items() if h[1] is not None}
        for col in ("start_cell_original", "end_cell_original"):
            self._value_tally(
                col,
                bad_cell,
                "cell.unparsed",
                Severity.WARNING,
                "the cell identity could not be read; the original is kept",
            )

    def _format_for(self, prefix: str) -> str:
        fmt = self.profile.formats.start if prefix == "start" else self.profile.formats.end
        return fmt or ""

    def _window_text(self) -> str:
        f, t = self.ctx.exhibit.authorised_from, self.ctx.exhibit.authorised_to
        return f"{f.isoformat() if f else '…'} to {t.isoformat() if t else '…'}"

    @staticmethod
    def _ts_literal(moment: datetime) -> str:
        utc = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        return f"TIMESTAMP '{utc.isoformat(sep=' ')}'"

    def finish(self) -> None:
        """Emit the per-value issues gathered over the whole file."""
        by_kind: dict[str, list[tuple[str, _Tally]]] = {}
        for (code, value), tally in sorted(self._value_tallies.items()):
            by_kind.setdefault(code, []).append((value, tally))
        for code, items in by_kind.items():
            severity, text = self._value_meta[(code, items[0][0])]
            if severity is Severity.INFO:
                rows = sum(t.count for _, t in items)
                first = min(t.first_row or 0 for _, t in items)
                self.ctx.issue(
                    severity,
                    code,
                    f"{text}: {len(items)} distinct value(s) in {rows} row(s)",
                    locator=f"row={first}",
                    value=items[0][0],
                    count=rows,
                )
                continue
            for value, tally in items:
                self.ctx.issue(
                    severity,
                    code,
                    f"{self._value_meta[(code, value)][1]} ({tally.count} row(s), first at row "
                    f"{tally.first_row})",
                    locator=f"row={tally.first_row}",
                    value=value,
                    count=tally.count,
                )

    # -----------------------------------------------------------------------------------------
    # emitting

    def _row_id_sql(self) -> str:
        """SQL computing :func:`threadline.model.ids.row_id` from the row number ``rn``."""
        return row_id_sql(self.ctx.exhibit.exhibit_id, "'row=' || rn")

    def _emit(self, table: Table) -> None:
        exprs = self._expressions(table)
        select = ", ".join(f"{exprs.get(c, 'NULL')} AS {c}" for c in table.column_names)
        data = self.con.execute(
            f"SELECT {select} FROM out WHERE tbl = {sql_literal(table.name)} ORDER BY rn"
        ).to_arrow_table()
        if data.num_rows:
            self.ctx.emit(table.name, conform(table, data))

    def _emit_source_rows(self) -> None:
        exprs = self._common(SOURCE_ROWS)
        exprs["locator"] = "'row=' || rn"
        pairs = ", ".join(f"{sql_literal(h)}, c{i}" for i, h in enumerate(self.headers))
        exprs["raw"] = f"json_object({pairs})::VARCHAR"
        select = ", ".join(f"{exprs[c]} AS {c}" for c in SOURCE_ROWS.column_names)
        data = self.con.execute(
            f"SELECT {select} FROM src WHERE NOT blank ORDER BY rn"
        ).to_arrow_table()
        if data.num_rows:
            self.ctx.emit(SOURCE_ROWS.name, conform(SOURCE_ROWS, data))

    def _common(self, table: Table) -> dict[str, str]:
        return {
            "row_id": "row_id",
            "exhibit_id": sql_literal(self.ctx.exhibit.exhibit_id),
            "locator": "locator",
            "parser": sql_literal(self.ctx.parser_ref),
            "time_basis": sql_literal(self.basis.name),
        }

    def _expressions(self, table: Table) -> dict[str, str]:
        exprs = self._common(table)
        same = [
            "record_type_original",
            "direction",
            "imei",
            "imei_key",
            "imei_original",
            "imsi",
            "imsi_original",
            "start_cell",
            "start_cell_original",
            "end_cell",
            "end_cell_original",
            "duration_s",
            "duration_original",
            "apn",
            "bytes_up",
            "bytes_down",
            "charging_id",
            "target_role",
            "message_type",
        ]
        for name in same:
            exprs[name] = name
        for prefix in ("start", "end"):
            for suffix in ("utc", "earliest_utc", "latest_utc", "status", "original"):
                exprs[f"{prefix}_{suffix}"] = f"{prefix}_{suffix}"
        for party in ("a", "b", "c"):
            exprs[f"{party}_party"] = f"{party}_party"
            exprs[f"{party}_party_original"] = f"{party}_raw"
        exprs["duration_basis"] = sql_literal(self.profile.duration_basis)
        if table is MESSAGES:
            for suffix in ("utc", "earliest_utc", "latest_utc", "status", "original"):
                exprs[f"sent_{suffix}"] = f"start_{suffix}"
            exprs["cell"] = "start_cell"
            exprs["cell_original"] = "start_cell_original"
        if table is DATA_SESSIONS:
            exprs["party"] = "a_party"
            exprs["party_original"] = "a_raw"
        return exprs


def raw_json(headers: list[str], values: list[str]) -> str:
    """The JSON text of a raw source row, as the SQL ``json_object`` writes it (for tests)."""
    return json.dumps(
        dict(zip(headers, values, strict=True)), ensure_ascii=False, separators=(",", ":")
    )
