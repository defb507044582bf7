"""Writing canonical rows one record at a time, for parsers of phone downloads.

Tabular parsers normalise whole columns with DuckDB; parsers of extraction reports and handset
databases meet one record at a time (a ``<model>`` in a report, a row of ``sms``). They hand each
record to a :class:`RowWriter`, which

* fills the provenance columns (``row_id`` from the exhibit and the locator, ``exhibit_id``,
  ``locator``, ``parser``; requirement 17 and 20),
* normalises identifiers with the model's rules and keeps every original beside its normalised
  value (phone numbers to E.164, requirement 59; IMEIs keyed on 14 digits, requirement 24;
  WhatsApp JIDs read as the number they carry),
* writes the five time columns from a :class:`~threadline.model.device_time.DeviceTime` and raises
  an issue for a time that could not be read (requirement 22),
* keeps the record exactly as read in ``source_rows`` (requirement 23), and
* sends the rows to the parse context in Arrow batches, so memory stays bounded however large the
  download.

**Locators** say where in the exhibit a record is, so that every row leads back to it:
``<file>#<place>`` with ``<file>`` the path inside the exhibit (the exhibit's own name for a bare
file) and ``<place>`` the record's place in it, e.g. ``report.xml#line=1842;model=6c0f...``,
``data/data/com.android.providers.telephony/databases/mmssms.db#sms/_id=12``,
``Calls.txt#line=40;entity=3``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from itertools import repeat
from json.encoder import encode_basestring
from typing import Any, Final

import pyarrow as pa

from threadline.ingest.arrow_schema import arrow_schema
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.model.device_time import DeviceTime
from threadline.model.evidence_schema import SOURCE_ROWS, Table
from threadline.model.evidence_schema import table as canonical_table
from threadline.model.ids import row_ids_for
from threadline.model.imei import normalise_imei
from threadline.model.phone import PhoneKind, normalise_phone
from threadline.model.time_basis import TimeStatus

__all__ = ["BATCH_ROWS", "RowWriter", "jid_number", "raw_json", "raw_value"]

#: Rows buffered per table before a batch goes to the store.
BATCH_ROWS: Final = 20_000

#: Raw records converted to Arrow at a time (see :meth:`_RawBuffer.take`).
_RAW_CHUNK: Final = 500
_PROVENANCE_ORDER: Final = ("row_id", "exhibit_id", "locator", "parser")
_PROVENANCE: Final = frozenset(_PROVENANCE_ORDER)
_JID: Final = re.compile(r"^\+?(\d{6,15})(?:[:.]\d+)?@(?:s\.whatsapp\.net|c\.us)$", re.IGNORECASE)
_IMSI: Final = re.compile(r"^\d{6,15}$")
#: The JSON encoder's string escaper (C), as ``json.dumps(..., ensure_ascii=False)`` uses it.
_encode: Final = encode_basestring


def jid_number(identifier: str) -> str | None:
    """The phone number a WhatsApp user JID carries (``447700900123@s.whatsapp.net`` ->
    ``+447700900123``); ``None`` for group, broadcast and other identifiers."""
    match = _JID.match(identifier.strip())
    return f"+{match.group(1)}" if match else None


def raw_value(value: Any) -> Any:
    """A value as it may be kept in ``source_rows``' JSON: bytes as base64 (marked), the rest as
    JSON-able text or numbers."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def raw_json(raw: Mapping[str, Any]) -> str:
    """A raw record as ``source_rows`` keeps it: ``json.dumps`` (``ensure_ascii=False``) of
    each value as :func:`raw_value` gives it.

    A record of text values (a report's XML record, most database rows' text) is written with
    the JSON encoder's own string escaper, piece by piece: the same text as ``json.dumps``,
    without its per-call set-up, which counts over millions of records.
    """
    parts = []
    for key, value in raw.items():
        if type(key) is not str:
            break
        if type(value) is str:
            parts.append(f"{_encode(key)}: {_encode(value)}")
        elif value is None:
            parts.append(f"{_encode(key)}: null")
        else:
            break
    else:
        return "{" + ", ".join(parts) + "}"
    return json.dumps({k: raw_value(v) for k, v in raw.items()}, ensure_ascii=False)


class _Buffer:
    """Rows of one table, kept as dictionaries (one step per row, however many columns) and
    turned into Arrow columns when the batch is taken.

    The provenance columns a writer gives every row alike (``exhibit_id``, ``parser``) are
    added then, column by column, rather than to every row.
    """

    def __init__(self, spec: Table, exhibit_id: str, parser: str) -> None:
        self.spec = spec
        self.schema = arrow_schema(spec)
        #: the columns a row may be given (checked by the writer)
        self.names = frozenset(spec.column_names) - _PROVENANCE
        self._constant = {"exhibit_id": exhibit_id, "parser": parser}
        self._rows: list[dict[str, Any]] = []

    @property
    def rows(self) -> int:
        return len(self._rows)

    def add(self, row_id: str, locator: str, values: Mapping[str, Any]) -> None:
        self._rows.append({"row_id": row_id, "locator": locator, **values})

    def take(self) -> pa.Table:
        rows, self._rows = self._rows, []
        count = len(rows)
        given = set().union(*rows)  # most tables leave many columns empty in every row
        columns: list[list[Any]] = []
        for name in self.schema.names:
            constant = self._constant.get(name)
            if constant is not None:
                columns.append([constant] * count)
            elif name in given:
                columns.append(list(map(dict.get, rows, repeat(name, count))))
            else:
                columns.append([None] * count)
        return pa.Table.from_arrays(columns, schema=self.schema)


class _RawBuffer:
    """``source_rows`` of one parse, kept column by column: every row has the same five
    columns, so three lists (row id, locator, raw text) hold a batch."""

    def __init__(self, exhibit_id: str, parser: str) -> None:
        self.schema = arrow_schema(SOURCE_ROWS)
        #: the columns a row may be given (checked by the writer)
        self.names = frozenset({"raw"})
        self._constant = {"exhibit_id": exhibit_id, "parser": parser}
        self._row_ids: list[str] = []
        self._locators: list[str] = []
        self._raws: list[Any] = []

    @property
    def rows(self) -> int:
        return len(self._row_ids)

    def add(self, row_id: str, locator: str, values: Mapping[str, Any]) -> None:
        self._row_ids.append(row_id)
        self._locators.append(locator)
        self._raws.append(values.get("raw"))

    def take(self) -> pa.Table:
        count = len(self._row_ids)
        raws = self._raws
        # records run to kilobytes: converted a few megabytes at a time, the text column is
        # built in memory already at hand instead of one buffer grown (and copied) to the
        # batch's whole size, several times quicker on a large report
        raw = pa.chunked_array(
            [pa.array(raws[i : i + _RAW_CHUNK], pa.string()) for i in range(0, count, _RAW_CHUNK)],
            pa.string(),
        )
        given: dict[str, Any] = {"row_id": self._row_ids, "locator": self._locators, "raw": raw}
        columns = [
            given[name] if name in given else [self._constant[name]] * count
            for name in self.schema.names
        ]
        self._row_ids, self._locators, self._raws = [], [], []
        return pa.Table.from_arrays(columns, schema=self.schema)


class RowWriter:
    """Buffers the canonical rows of one parse and emits them in batches (see module docstring).

    Use as a context manager, or call :meth:`close` at the end: buffered rows are emitted then.
    """

    def __init__(self, ctx: ParseContext, *, batch_rows: int = BATCH_ROWS, region: str = "GB"):
        self.ctx = ctx
        self.batch_rows = batch_rows
        self.region = region
        self._buffers: dict[str, _Buffer | _RawBuffer] = {}
        self._raw_seen: set[str] = set()
        self._row_id = row_ids_for(ctx.exhibit.exhibit_id)
        self.rows_done = 0
        #: (table, locator) of every row added while not ``None`` (see :meth:`track`)
        self.tracked: set[tuple[str, str]] | None = None

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()

    def add(
        self,
        table: str,
        locator: str,
        values: Mapping[str, Any],
        *,
        raw: Mapping[str, Any] | None = None,
        raw_text: str | bytes | None = None,
    ) -> str:
        """Add one row of ``table`` found at ``locator``; returns its ``row_id``.

        Args:
            table: the canonical table.
            locator: where the record is in the exhibit (see the module docstring). Two rows of
                different tables may share a locator (one record read as a message and a media
                file); two rows of one table must not.
            values: the non-provenance columns wanted; the rest are empty.
            raw: the record exactly as read, kept once per locator in ``source_rows`` (as
                :func:`raw_json` writes it).
            raw_text: instead of ``raw``, the record already written as that JSON text, or as
                its UTF-8 bytes (a parser that writes it directly, once for a record giving
                several rows).

        Raises:
            KeyError: a column is not in the table (a parser bug, not bad input).
        """
        buffer = self._buffers.get(table)
        if buffer is None:
            buffer = self._buffers[table] = self._buffer(table)
        if not buffer.names.issuperset(values):
            if not _PROVENANCE.isdisjoint(values):
                raise KeyError(f"provenance columns are filled by the writer, not given: {table}")
            unknown = sorted(set(values) - buffer.names)
            raise KeyError(f"no column(s) {unknown} in table {table}")
        identifier = self._row_id(locator)
        if self.tracked is not None:
            self.tracked.add((table, locator))
        buffer.add(identifier, locator, values)
        if (raw is not None or raw_text is not None) and locator not in self._raw_seen:
            self._raw_seen.add(locator)
            if raw_text is None:
                raw_text = raw_json(raw or {})
            raws = self._buffers.get(SOURCE_ROWS.name)
            if raws is None:
                raws = self._buffers[SOURCE_ROWS.name] = self._buffer(SOURCE_ROWS.name)
            raws.add(identifier, locator, {"raw": raw_text})
            if raws.rows >= self.batch_rows:
                self._flush(SOURCE_ROWS.name)
        if buffer.rows >= self.batch_rows:
            self._flush(table)
        if table != SOURCE_ROWS.name:
            self.rows_done += 1
            if self.rows_done % self.batch_rows == 0:
                self.ctx.progress(self.rows_done)
        return identifier

    def _buffer(self, table: str) -> _Buffer | _RawBuffer:
        exhibit_id, parser = self.ctx.exhibit.exhibit_id, self.ctx.parser_ref
        if table == SOURCE_ROWS.name:
            return _RawBuffer(exhibit_id, parser)
        return _Buffer(canonical_table(table), exhibit_id, parser)

    def _flush(self, table: str) -> None:
        buffer = self._buffers[table]
        if buffer.rows:
            self.ctx.emit(table, buffer.take())

    def close(self) -> None:
        """Emit every buffered row."""
        for table in list(self._buffers):
            self._flush(table)
        self._raw_seen.clear()
        self.ctx.progress(self.rows_done)

    # -- column helpers -------------------------------------------------------------------

    def party(
        self,
        prefix: str,
        raw: str | None,
        *,
        locator: str | None = None,
        once: bool = False,
    ) -> dict[str, Any]:
        """``<prefix>`` (E.164 where it normalises) and ``<prefix>_original`` for an identifier.

        A WhatsApp user JID gives the number it carries; e-mail addresses, group JIDs, user names
        and sender ids keep only their original. A number that is not valid (a foreign number
        written without its country code reads as an invalid UK one) keeps its best-effort E.164
        form, as network returns do, and raises a ``phone.invalid`` warning (requirement 59), at
        ``locator`` when the caller gives it; with ``once``, one warning per distinct value for
        the whole reading (for a parser that normalises each value once, wherever it recurs).
        """
        if raw is None or not str(raw).strip():
            return {prefix: None, f"{prefix}_original": raw or None}
        text = str(raw)
        number = jid_number(text)
        if number is None and "@" in text:
            return {prefix: None, f"{prefix}_original": text}
        parsed = normalise_phone(number or text, self.region)
        if parsed.kind is PhoneKind.INVALID:
            self.ctx.issue(
                Severity.WARNING,
                "phone.invalid",
                f"not a valid telephone number ({parsed.note or 'unreadable'}); its E.164 form "
                "is a best effort and the original is kept",
                locator=locator,
                value=text,
                once=("phone.invalid", text) if once else None,
            )
        return {prefix: parsed.e164, f"{prefix}_original": text}

    def handset(self, imei: str | None = None, imsi: str | None = None) -> dict[str, Any]:
        """The IMEI and IMSI columns (``imei``, ``imei_key``, ``imei_original``, ``imsi``,
        ``imsi_original``) for values as the source wrote them."""
        values: dict[str, Any] = {}
        if imei is not None and imei.strip():
            parsed = normalise_imei(imei)
            values.update(imei=parsed.value, imei_key=parsed.key, imei_original=imei)
        if imsi is not None and imsi.strip():
            digits = re.sub(r"[\s-]", "", imsi)
            values.update(imsi=digits if _IMSI.match(digits) else None, imsi_original=imsi)
        return values

    def time(self, prefix: str, value: DeviceTime | None, locator: str) -> dict[str, Any]:
        """The five time columns (and ``time_basis``) for ``value``; an issue if unreadable."""
        if value is None:
            return {}
        if value.status is TimeStatus.ZONE_UNKNOWN:
            self.ctx.issue(
                Severity.INFO,
                "time.zone_unknown",
                "the source gives this time without a zone; it is kept as a range spanning "
                "UTC-12 to UTC+14, not read as UTC",
                locator=locator,
                value=value.original,
            )
        elif value.status in (TimeStatus.UNPARSED, TimeStatus.OUT_OF_RANGE):
            self.ctx.issue(
                Severity.WARNING,
                f"time.{value.status.value}",
                "a time could not be placed in UTC; it is kept as written",
                locator=locator,
                value=value.original,
            )
        return {**value.columns(prefix), "time_basis": value.basis}
