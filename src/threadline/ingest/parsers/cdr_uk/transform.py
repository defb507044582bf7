"""Vectorised normalisation of CDR rows into the canonical tables, chunk by chunk.

Each chunk of source rows (text, as read) is normalised column by column with Arrow compute.
Work that needs Python libraries (phone numbers, IMEIs, IMSIs, cells) is done once per *distinct*
value, cached for the whole file, and mapped back onto the rows with a hash lookup: a CDR of ten
million rows has far fewer distinct numbers, handsets and cells than rows. Local times are read
through the time basis's segments (:func:`threadline.model.time_basis.local_segments`) with one
sorted search. DuckDB does what it does best in one pass over the chunk: strict date parsing
(``try_strptime`` refuses 29 February 2026, where Arrow's ``strptime`` rolls it into March),
row identifiers (SHA-256) and the raw row's JSON.

Problems become ingest issues, never silent changes (requirements 22, 24, 37, 59):

* per row (with its locator): blank row, unparsed or ambiguous or nonexistent time, end before
  start, a row outside the authorised window, an unparsed duration or byte count;
* per distinct value (count and first locator): unknown record type, invalid number, IMEI failing
  Luhn, invalid IMSI, unparseable cell;
* per kind, once (count and first locator): notes such as leading zeros restored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from threadline.ingest.arrow_schema import conform
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cdr_uk.profile import CanonicalField, Profile, fold_header
from threadline.ingest.sql import connect_offline, row_id_sql, sql_literal
from threadline.ingest.tabular import TabularChunk
from threadline.ingest.tabular_run import ValueCount, issue_value_counts
from threadline.model.cell_id import parse_cell_id
from threadline.model.evidence_schema import CALLS, DATA_SESSIONS, MESSAGES, SOURCE_ROWS, Table
from threadline.model.imei import ImeiKind, normalise_imei
from threadline.model.imsi import normalise_imsi
from threadline.model.phone import PhoneKind, normalise_phone
from threadline.model.time_basis import PLAUSIBLE_YEARS, TimeBasis, TimeStatus, local_segments

#: Per-row issues fetched from one chunk for each issue kind; the rest are only counted.
ROW_ISSUES_PER_CHUNK = 1000
_WHOLE = r"^[0-9]{1,18}$"
_HMS = r"^(?P<h>[0-9]{1,6}):(?P<m>[0-5]?[0-9]):(?P<s>[0-5]?[0-9])$"
_MS = r"^(?P<m>[0-9]{1,6}):(?P<s>[0-5]?[0-9])$"
_US = 1_000_000

#: A distinct value's normalised outputs (one entry per output column) and, where it is a
#: problem, the issue it raises: (code, severity, message) or None.
Normalised = tuple[tuple[str | None, ...], tuple[str, Severity, str] | None]


@dataclass
class _Tally:
    """Occurrences of one problem value across the whole file."""

    count: int = 0
    first_row: int | None = None

    def add(self, count: int, first_row: int) -> None:
        self.count += count
        if self.first_row is None or first_row < self.first_row:
            self.first_row = first_row


def _first_rows(
    values: pa.Array | pa.ChunkedArray, rows: pa.Array | pa.ChunkedArray
) -> list[tuple[str, int, int]]:
    """(value, occurrences, first row number) for each distinct value."""
    grouped = (
        pa.table({"v": values, "rn": rows})
        .group_by("v")
        .aggregate([("rn", "count"), ("rn", "min")])
    )
    return [
        (str(value), int(count), int(first))
        for value, count, first in zip(
            grouped.column("v").to_pylist(),
            grouped.column("rn_count").to_pylist(),
            grouped.column("rn_min").to_pylist(),
            strict=True,
        )
    ]


def _phone(raw: str) -> Normalised:
    number = normalise_phone(raw)
    problem: tuple[str, Severity, str] | None = None
    if number.kind is PhoneKind.INVALID:
        reason = number.note or "not a valid telephone number"
        problem = (
            "phone.invalid",
            Severity.WARNING,
            f"not a valid telephone number ({reason}); the original is kept",
        )
    elif number.kind in (PhoneKind.SHORT_CODE, PhoneKind.ALPHANUMERIC):
        problem = (
            "phone.short_code_or_sender",
            Severity.INFO,
            "short codes and alphanumeric sender names have no E.164 form; they are kept as "
            "written in the *_original columns",
        )
    elif number.note and "leading zero" in number.note:
        problem = (
            "phone.leading_zero_restored",
            Severity.INFO,
            "the number had lost its leading zero (a spreadsheet quirk); it was restored",
        )
    return (number.e164,), problem


def _imei(raw: str) -> Normalised:
    imei = normalise_imei(raw)
    problem: tuple[str, Severity, str] | None = None
    if imei.kind is ImeiKind.INVALID or imei.luhn_ok is False:
        padded = imei.kind is not ImeiKind.INVALID and (imei.value or "").endswith("0")
        problem = (
            (
                "imei.padded",
                Severity.INFO,
                "IMEI ends in a padding 0 instead of its check digit (networks do not send it)",
            )
            if padded
            else (
                "imei.luhn",
                Severity.WARNING,
                "IMEI fails the Luhn check or is malformed: matched on its first 14 digits; a "
                "failure is a warning, not proof of a false device (requirement 24)",
            )
        )
    return (imei.value, imei.key), problem


def _imsi(raw: str) -> Normalised:
    imsi = normalise_imsi(raw)
    if imsi.valid:
        return (imsi.value,), None
    return (None,), ("imsi.invalid", Severity.WARNING, f"not a valid IMSI ({imsi.note})")


@dataclass
class CdrTransform:
    """Normalises the chunks of one CDR file (state: caches and tallies for this file only)."""

    profile: Profile
    headers: list[str]
    basis: TimeBasis
    ctx: ParseContext
    con: duckdb.DuckDBPyConnection = field(init=False)
    _caches: dict[str, dict[str, Normalised]] = field(default_factory=dict)
    _segment_years: tuple[int, int] | None = None
    _segment_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _segment_offsets: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    _segment_status: np.ndarray = field(default_factory=lambda: np.zeros(0, object))
    _value_tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    _value_meta: dict[tuple[str, str], tuple[Severity, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.con = connect_offline()
        folded = [fold_header(h) for h in self.headers]
        self._positions = {name: i for i, name in reversed(list(enumerate(folded)))}
        matches = [r.match.upper() for r in self.profile.record_types]
        self._rt_keys = pa.array(matches, pa.string())
        self._rt_tables = pa.array([r.table for r in self.profile.record_types], pa.string())
        self._rt_directions = pa.array(
            [r.direction for r in self.profile.record_types], pa.string()
        )
        self._rt_messages = pa.array(
            [r.message_type for r in self.profile.record_types], pa.string()
        )

    def close(self) -> None:
        """Release the DuckDB connection."""
        self.con.close()

    # -----------------------------------------------------------------------------------------
    # source text

    def _column(self, batch: pa.RecordBatch, header: str) -> pa.Array:
        return batch.column(self._positions[fold_header(header)])

    def _text(self, batch: pa.RecordBatch, name: CanonicalField) -> pa.Array:
        """A canonical field's source text, trimmed; null when blank or unmapped."""
        headers = self.profile.source_headers(name)
        if not headers:
            return pa.nulls(batch.num_rows, pa.string())
        parts = [pc.utf8_trim_whitespace(self._column(batch, h)) for h in headers]
        if len(parts) == 1:
            joined = parts[0]
        else:
            # not trimmed again: a blank part stays visible (" MO" is not "MO "), so a row
            # missing one of its type columns matches no record type instead of a wrong one
            joined = pc.binary_join_element_wise(*parts, " ")
            blank = pc.equal(pc.utf8_trim_whitespace(joined), "")
            joined = pc.if_else(blank, "", joined)
        return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)

    def _time_text(
        self,
        batch: pa.RecordBatch,
        single: CanonicalField,
        day: CanonicalField,
        clock: CanonicalField,
    ) -> pa.Array:
        if self.profile.source_headers(single):
            return self._text(batch, single)
        if self.profile.source_headers(day) and self.profile.source_headers(clock):
            return pc.binary_join_element_wise(
                self._text(batch, day), self._text(batch, clock), " "
            )
        return pa.nulls(batch.num_rows, pa.string())

    # -----------------------------------------------------------------------------------------
    # distinct-value lookups

    def _lookup(
        self,
        kind: str,
        values: pa.Array,
        rows: pa.Array,
        normalise: Callable[[str], Normalised],
        width: int,
    ) -> list[pa.Array]:
        """Map each value to its normalised outputs, normalising each distinct value once, and
        tally the problem values (count and first row) for the file's issues."""
        cache = self._caches.setdefault(kind, {})
        distinct = pc.unique(values.drop_null()) if values.null_count < len(values) else None
        if distinct is None or len(distinct) == 0:
            return [pa.nulls(len(values), pa.string()) for _ in range(width)]
        keys: list[str] = distinct.to_pylist()
        results = []
        for key in keys:
            hit = cache.get(key)
            if hit is None:
                hit = normalise(key)
                cache[key] = hit
            results.append(hit)
        index = pc.index_in(values, value_set=distinct)
        outputs = [
            pc.take(pa.array([r[0][i] for r in results], pa.string()), index) for i in range(width)
        ]
        problems = [k for k, r in zip(keys, results, strict=True) if r[1] is not None]
        if problems:
            self._tally_values(values, rows, pa.array(problems, pa.string()), cache)
        return outputs

    def _tally_values(
        self, values: pa.Array, rows: pa.Array, bad: pa.Array, cache: dict[str, Normalised]
    ) -> None:
        mask = pc.is_in(values, value_set=bad)
        for value, count, first in _first_rows(values.filter(mask), rows.filter(mask)):
            problem = cache[value][1]
            if problem is None:  # pragma: no cover - only problem values are tallied
                continue
            code, severity, message = problem
            self._tally(code, value, severity, message, count, first)

    def _tally(
        self, code: str, value: str, severity: Severity, message: str, count: int, first: int
    ) -> None:
        """Add occurrences of a problem value to the file's tallies."""
        key = (code, value)
        self._value_tallies.setdefault(key, _Tally()).add(count, first)
        self._value_meta[key] = (severity, message)

    def _cells(self, values: pa.Array, rows: pa.Array) -> pa.Array:
        def normalise(raw: str) -> Normalised:
            try:
                cell = parse_cell_id(raw, mcc=self.profile.cell_mcc, mnc=self.profile.cell_mnc)
            except ValueError as exc:
                return (None,), (
                    "cell.unparsed",
                    Severity.WARNING,
                    f"the cell identity could not be read ({exc}); the original is kept",
                )
            return (cell.key if cell else None,), None

        return self._lookup("cell", values, rows, normalise, 1)[0]

    # -----------------------------------------------------------------------------------------
    # times

    def _segments_for(self, years: tuple[int, int]) -> None:
        """Make sure the time basis's segments cover the years seen."""
        if self._segment_years is not None:
            low, high = self._segment_years
            if low <= years[0] and years[1] <= high:
                return
            years = (min(low, years[0]), max(high, years[1]))
        segments = local_segments(self.basis, years[0], years[1])
        epoch = datetime(1970, 1, 1)
        starts = [
            np.iinfo(np.int64).min
            if s.start == datetime.min
            else (s.start - epoch) // timedelta(microseconds=1)
            for s in segments
        ]
        self._segment_starts = np.asarray(starts, dtype=np.int64)
        self._segment_offsets = np.asarray(
            [
                (
                    s.earliest_offset // timedelta(microseconds=1),
                    s.latest_offset // timedelta(microseconds=1),
                )
                for s in segments
            ],
            dtype=np.int64,
        )
        self._segment_status = np.asarray([s.status.value for s in segments], dtype=object)
        self._segment_years = years

    def _resolve(self, local: pa.Array, original: pa.Array) -> dict[str, pa.Array]:
        """UTC readings and status of local times (microsecond timestamps, null if unparsed)."""
        micros = pc.cast(local, pa.int64())
        parsed = pc.is_valid(micros).to_numpy(zero_copy_only=False)
        low, high = PLAUSIBLE_YEARS
        year = pc.year(local)
        plausible = pc.and_(pc.greater_equal(year, low), pc.less_equal(year, high))
        valid = plausible.fill_null(False).to_numpy(zero_copy_only=False)
        implausible = parsed & ~valid
        values = micros.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        n = len(values)
        earliest: npt.NDArray[np.int64]
        latest: npt.NDArray[np.int64]
        status: npt.NDArray[np.object_]
        if valid.any():
            years = pc.filter(year, pa.array(valid))
            self._segments_for((pc.min(years).as_py(), pc.max(years).as_py()))
            slot = np.searchsorted(self._segment_starts, values, side="right") - 1
            slot = np.clip(slot, 0, len(self._segment_starts) - 1)
            earliest = values - self._segment_offsets[slot, 0]
            latest = values - self._segment_offsets[slot, 1]
            status = self._segment_status[slot]
        else:
            earliest = np.zeros(n, np.int64)
            latest = np.zeros(n, np.int64)
            status = np.full(n, TimeStatus.EXACT.value, dtype=object)
        unparsed = pc.is_valid(original).to_numpy(zero_copy_only=False) & ~valid
        fallback = np.full(n, None, dtype=object)
        fallback[unparsed] = TimeStatus.UNPARSED.value
        fallback[implausible] = TimeStatus.OUT_OF_RANGE.value
        status = np.where(valid, status, fallback)
        mask = ~valid
        exact = valid & np.equal(status, TimeStatus.EXACT.value)
        stamp = pa.timestamp("us")
        return {
            "utc": pa.array(earliest, stamp, mask=~exact),
            "earliest_utc": pa.array(earliest, stamp, mask=mask),
            "latest_utc": pa.array(latest, stamp, mask=mask),
            "status": pa.array(status.tolist(), pa.string()),
        }

    # -----------------------------------------------------------------------------------------
    # numbers

    @staticmethod
    def _whole(text: pa.Array) -> pa.Array:
        """Non-negative whole numbers; anything else (``-1``, ``12.5``, ``1e3``) is null."""
        ok = pc.match_substring_regex(text, _WHOLE).fill_null(False)
        return pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.int64())

    def _duration(
        self, text: pa.Array, start: dict[str, pa.Array], end: dict[str, pa.Array]
    ) -> pa.Array:
        if self.profile.duration == "seconds":
            return self._whole(text)
        if self.profile.duration == "hms":
            out = pa.nulls(len(text), pa.int64())
            for pattern, has_hours in ((_HMS, True), (_MS, False)):
                parts = pc.extract_regex(text, pattern)
                minutes = pc.cast(pc.struct_field(parts, "m"), pa.int64())
                seconds = pc.cast(pc.struct_field(parts, "s"), pa.int64())
                total = pc.add(pc.multiply(minutes, 60), seconds)
                if has_hours:
                    hours = pc.cast(pc.struct_field(parts, "h"), pa.int64())
                    total = pc.add(pc.multiply(hours, 3600), total)
                out = pc.coalesce(out, total)
            return out
        exact = pc.and_(
            pc.equal(start["status"], TimeStatus.EXACT.value),
            pc.equal(end["status"], TimeStatus.EXACT.value),
        ).fill_null(False)
        span = pc.divide(
            pc.subtract(pc.cast(end["utc"], pa.int64()), pc.cast(start["utc"], pa.int64())),
            _US,
        )
        keep = pc.and_(exact, pc.greater_equal(span, 0).fill_null(False))
        return pc.if_else(keep, span, pa.scalar(None, pa.int64()))

    # -----------------------------------------------------------------------------------------
    # the chunk pipeline

    def process(self, chunk: TabularChunk) -> None:
        """Normalise one chunk, record its issues and emit its rows to the canonical tables."""
        batch = chunk.batch
        n = batch.num_rows
        rows = pa.array(chunk.rows, pa.int64())
        p = self.profile
        cols: dict[str, pa.Array] = {"rn": rows}
        cols["locator"] = pc.binary_join_element_wise("row=", pc.cast(rows, pa.string()), "")

        record_type = self._text(batch, "record_type")
        cols["record_type_original"] = record_type
        slot = pc.index_in(pc.utf8_upper(record_type), value_set=self._rt_keys)
        cols["tbl"] = pc.take(self._rt_tables, slot)
        cols["direction"] = pc.take(self._rt_directions, slot)
        cols["message_type"] = pc.take(self._rt_messages, slot)

        if p.parties == "a_b":
            raws = {
                "a": self._text(batch, "a_party"),
                "b": self._text(batch, "b_party"),
                "c": self._text(batch, "c_party"),
            }
        else:
            target, other = self._text(batch, "target"), self._text(batch, "other_party")
            outgoing = pc.equal(cols["direction"], "outgoing").fill_null(False)
            incoming = pc.equal(cols["direction"], "incoming").fill_null(False)
            data = pc.equal(cols["tbl"], "data_sessions").fill_null(False)
            none = pa.scalar(None, pa.string())
            # who called whom follows only from a known direction; otherwise nothing is guessed
            # (the target and other party stay in the raw source row)
            raws = {
                "a": pc.if_else(pc.or_(data, outgoing), target, pc.if_else(incoming, other, none)),
                "b": pc.if_else(
                    data, none, pc.if_else(outgoing, other, pc.if_else(incoming, target, none))
                ),
                "c": pa.nulls(n, pa.string()),
            }
        for party, raw in raws.items():
            cols[f"{party}_raw"] = raw
            cols[f"{party}_party"] = self._lookup("phone", raw, rows, _phone, 1)[0]

        originals: tuple[CanonicalField, ...] = (
            "imei",
            "imsi",
            "start_cell",
            "end_cell",
            "duration",
        )
        for name in originals:
            cols[f"{name}_original"] = self._text(batch, name)
        cols["imei"], cols["imei_key"] = self._lookup("imei", cols["imei_original"], rows, _imei, 2)
        cols["imsi"] = self._lookup("imsi", cols["imsi_original"], rows, _imsi, 1)[0]
        cols["start_cell"] = self._cells(cols["start_cell_original"], rows)
        cols["end_cell"] = self._cells(cols["end_cell_original"], rows)
        cols["apn"] = self._text(batch, "apn")
        cols["charging_id"] = self._text(batch, "charging_id")
        volumes: tuple[CanonicalField, ...] = ("bytes_up", "bytes_down")
        for name in volumes:
            text = self._text(batch, name)
            cols[f"{name}_original"] = text
            cols[name] = self._whole(text)

        start_text = self._time_text(batch, "start", "start_date", "start_time")
        end_text = self._time_text(batch, "end", "end_date", "end_time")
        parsed = self._duckdb_pass(batch, rows, start_text, end_text)
        cols["row_id"] = parsed.column("row_id")
        cols["blank"] = parsed.column("blank")
        times = {}
        for prefix, text in (("start", start_text), ("end", end_text)):
            cols[f"{prefix}_original"] = text
            times[prefix] = self._resolve(parsed.column(f"{prefix}_local"), text)
            for suffix, array in times[prefix].items():
                cols[f"{prefix}_{suffix}"] = array
        cols["duration_s"] = self._duration(cols["duration_original"], times["start"], times["end"])
        cols["target_role"] = self._target_role(cols, n)

        out = pa.table(cols)
        self._issues_for_chunk(out)
        for table in (CALLS, MESSAGES, DATA_SESSIONS):
            self._emit(table, out)
        keep = pc.invert(parsed.column("blank"))
        source = pa.table(
            {
                "row_id": parsed.column("row_id"),
                "exhibit_id": pa.repeat(self.ctx.exhibit.exhibit_id, n),
                "locator": cols["locator"],
                "parser": pa.repeat(self.ctx.parser_ref, n),
                "raw": parsed.column("raw"),
            }
        ).filter(keep)
        if source.num_rows:
            self.ctx.emit(SOURCE_ROWS.name, conform(SOURCE_ROWS, source))

    def _duckdb_pass(
        self, batch: pa.RecordBatch, rows: pa.Array, start_text: pa.Array, end_text: pa.Array
    ) -> pa.Table:
        """Row ids, raw JSON, blank-row flags and strictly parsed local times, in row order.

        A plain projection keeps the scan's order: DuckDB's ``preserve_insertion_order`` is on
        by default and this connection never turns it off (a test checks the order on a chunk
        large enough to be scanned by both threads).
        """
        p = self.profile
        src = pa.table(
            {
                **{f"c{i}": batch.column(i) for i in range(batch.num_columns)},
                "rn": rows,
                "start_text": start_text,
                "end_text": end_text,
            }
        )
        pairs = ", ".join(f"{sql_literal(h)}, c{i}" for i, h in enumerate(self.headers))
        blank = " AND ".join(f"c{i} = ''" for i in range(len(self.headers)))
        end_fmt = sql_literal(p.formats.end) if p.formats.end else "NULL"
        self.con.register("src", src)
        try:
            return self.con.execute(
                f"""
                SELECT {row_id_sql(self.ctx.exhibit.exhibit_id, "'row=' || rn")} AS row_id,
                  json_object({pairs})::VARCHAR AS raw,
                  ({blank}) AS blank,
                  try_strptime(start_text, {sql_literal(p.formats.start)}) AS start_local,
                  try_strptime(end_text, {end_fmt}) AS end_local
                FROM src
                """
            ).to_arrow_table()
        finally:
            self.con.unregister("src")

    def _target_role(self, cols: dict[str, pa.Array], n: int) -> pa.Array:
        target = self.ctx.exhibit.target_number
        if target is None:
            return pa.nulls(n, pa.string())
        role = pa.nulls(n, pa.string())
        for party in ("c", "b", "a"):  # a wins over b wins over c
            match = pc.equal(cols[f"{party}_party"], target).fill_null(False)
            role = pc.if_else(match, party, role)
        return role

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
                    f"{status} = 'out_of_range'",
                    "time.out_of_range",
                    Severity.WARNING,
                    f"struct_pack(m := 'the {what} has a year outside {PLAUSIBLE_YEARS[0]}–"
                    f"{PLAUSIBLE_YEARS[1]}: taken as a placeholder, kept as written and not "
                    f"placed in UTC', v := {prefix}_original)",
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

    def _issues_for_chunk(self, out: pa.Table) -> None:
        specs = self._row_issue_specs()
        counts_sql = ", ".join(f"count(*) FILTER (WHERE {where})" for where, *_ in specs)
        self.con.register("out", out)
        try:
            counted = self.con.execute(f"SELECT {counts_sql} FROM out").fetchone()
            assert counted is not None
            for (where, code, severity, message), count in zip(specs, counted, strict=True):
                self._row_issues(where, code, severity, message, int(count))
        finally:
            self.con.unregister("out")
        rows = out.column("rn")
        unknown = pc.and_(
            pc.is_null(out.column("tbl")), pc.is_valid(out.column("record_type_original"))
        )
        if pc.any(unknown).as_py():
            values = out.column("record_type_original")
            self._tally_fixed(
                values.filter(unknown),
                rows.filter(unknown),
                "record_type.unknown",
                Severity.WARNING,
                f"record type not in profile {self.profile.name}: such rows are kept as source "
                "rows only; map it in a mapping file to ingest them",
            )
        missing = pc.and_(
            pc.is_null(out.column("record_type_original")), pc.invert(out.column("blank"))
        )
        if pc.any(missing).as_py():
            count = int(pc.sum(missing).as_py())
            self._tally_fixed(
                pa.array([""] * count, pa.string()),
                rows.filter(missing),
                "record_type.missing",
                Severity.WARNING,
                "the record type is blank: such rows are kept as source rows only",
            )

    def _tally_fixed(
        self,
        values: pa.Array | pa.ChunkedArray,
        rows: pa.Array | pa.ChunkedArray,
        code: str,
        severity: Severity,
        message: str,
    ) -> None:
        for value, count, first in _first_rows(values, rows):
            self._tally(code, value, severity, message, count, first)

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
            issue_value_counts(
                self.ctx,
                severity,
                code,
                [
                    ValueCount(v, self._value_meta[(code, v)][1], t.count, t.first_row or 0)
                    for v, t in items
                ],
                summary=text,
            )

    # -----------------------------------------------------------------------------------------
    # emitting

    def _emit(self, table: Table, out: pa.Table) -> None:
        rows = out.filter(pc.equal(out.column("tbl"), table.name).fill_null(False))
        n = rows.num_rows
        if n == 0:
            return
        sources = self._sources(table)
        constants = {
            "exhibit_id": self.ctx.exhibit.exhibit_id,
            "parser": self.ctx.parser_ref,
            "time_basis": self.basis.name,
            "duration_basis": self.profile.duration_basis,
        }
        columns: dict[str, pa.Array | pa.ChunkedArray] = {}
        for name in table.column_names:
            if name in constants:
                columns[name] = pa.repeat(constants[name], n)
            elif name in sources:
                columns[name] = rows.column(sources[name])
            else:
                columns[name] = pa.nulls(n)
        self.ctx.emit(table.name, conform(table, pa.table(columns)))

    @staticmethod
    def _sources(table: Table) -> dict[str, str]:
        """Canonical column -> column of the normalised chunk, for one table."""
        same = [
            "row_id",
            "locator",
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
        sources = {name: name for name in same}
        for prefix in ("start", "end"):
            for suffix in ("utc", "earliest_utc", "latest_utc", "status", "original"):
                sources[f"{prefix}_{suffix}"] = f"{prefix}_{suffix}"
        for party in ("a", "b", "c"):
            sources[f"{party}_party"] = f"{party}_party"
            sources[f"{party}_party_original"] = f"{party}_raw"
        if table is MESSAGES:
            for suffix in ("utc", "earliest_utc", "latest_utc", "status", "original"):
                sources[f"sent_{suffix}"] = f"start_{suffix}"
            sources["cell"] = "start_cell"
            sources["cell_original"] = "start_cell_original"
        if table is DATA_SESSIONS:
            sources["party"] = "a_party"
            sources["party_original"] = "a_raw"
        return sources


def raw_json(headers: list[str], values: list[str]) -> str:
    """The JSON text of a raw source row, as the SQL ``json_object`` writes it (for tests)."""
    return json.dumps(
        dict(zip(headers, values, strict=True)), ensure_ascii=False, separators=(",", ":")
    )
