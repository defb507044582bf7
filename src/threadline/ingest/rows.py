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
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

import pyarrow as pa

from threadline.ingest.arrow_schema import arrow_schema
from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.model.device_time import DeviceTime
from threadline.model.evidence_schema import SOURCE_ROWS, Table
from threadline.model.evidence_schema import table as canonical_table
from threadline.model.ids import ID_HEX_LENGTH, key_material
from threadline.model.imei import normalise_imei
from threadline.model.phone import normalise_phone
from threadline.model.time_basis import TimeStatus

__all__ = ["BATCH_ROWS", "RowWriter", "jid_number", "raw_value"]

#: Rows buffered per table before a batch goes to the store.
BATCH_ROWS: Final = 20_000

_PROVENANCE_ORDER: Final = ("row_id", "exhibit_id", "locator", "parser")
_PROVENANCE: Final = frozenset(_PROVENANCE_ORDER)
_JID: Final = re.compile(r"^\+?(\d{6,15})(?:[:.]\d+)?@(?:s\.whatsapp\.net|c\.us)$", re.IGNORECASE)
_IMSI: Final = re.compile(r"^\d{6,15}$")


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


class _Buffer:
    """Rows of one table, kept as dictionaries until Arrow converts them in one call (faster
    than appending to a list per column, which costs a Python step per column per row)."""

    def __init__(self, spec: Table) -> None:
        self.spec = spec
        self.schema = arrow_schema(spec)
        self._names = frozenset(spec.column_names) - _PROVENANCE
        self._rows: list[dict[str, Any]] = []

    @property
    def rows(self) -> int:
        return len(self._rows)

    def add(self, provenance: tuple[str, str, str, str], values: Mapping[str, Any]) -> None:
        if not self._names.issuperset(values):
            unknown = sorted(set(values) - self._names)
            raise KeyError(f"no column(s) {unknown} in table {self.spec.name}")
        row = dict(zip(_PROVENANCE_ORDER, provenance, strict=True))
        row.update(values)
        self._rows.append(row)

    def take(self) -> pa.Table:
        batch = pa.Table.from_pylist(self._rows, schema=self.schema)
        self._rows = []
        return batch


class RowWriter:
    """Buffers the canonical rows of one parse and emits them in batches (see module docstring).

    Use as a context manager, or call :meth:`close` at the end: buffered rows are emitted then.
    """

    def __init__(self, ctx: ParseContext, *, batch_rows: int = BATCH_ROWS, region: str = "GB"):
        self.ctx = ctx
        self.batch_rows = batch_rows
        self.region = region
        self._buffers: dict[str, _Buffer] = {}
        self._raw_seen: set[str] = set()
        self._id_prefix = key_material("row", ctx.exhibit.exhibit_id)
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
    ) -> str:
        """Add one row of ``table`` found at ``locator``; returns its ``row_id``.

        Args:
            table: the canonical table.
            locator: where the record is in the exhibit (see the module docstring). Two rows of
                different tables may share a locator (one record read as a message and a media
                file); two rows of one table must not.
            values: the non-provenance columns wanted; the rest are empty.
            raw: the record exactly as read, kept once per locator in ``source_rows``.

        Raises:
            KeyError: a column is not in the table (a parser bug, not bad input).
        """
        if not _PROVENANCE.isdisjoint(values):
            raise KeyError(f"provenance columns are filled by the writer, not given: {table}")
        # row_id(exhibit_id, locator), with the exhibit's part of the key material made once
        identifier = hashlib.sha256(
            f"{self._id_prefix}{len(locator)}:{locator}".encode()
        ).hexdigest()[:ID_HEX_LENGTH]
        if self.tracked is not None:
            self.tracked.add((table, locator))
        buffer = self._buffers.get(table)
        if buffer is None:
            buffer = self._buffers[table] = _Buffer(canonical_table(table))
        provenance = (identifier, self.ctx.exhibit.exhibit_id, locator, self.ctx.parser_ref)
        buffer.add(provenance, values)
        if raw is not None and locator not in self._raw_seen:
            self._raw_seen.add(locator)
            text = json.dumps({k: raw_value(v) for k, v in raw.items()}, ensure_ascii=False)
            raws = self._buffers.get(SOURCE_ROWS.name)
            if raws is None:
                raws = self._buffers[SOURCE_ROWS.name] = _Buffer(SOURCE_ROWS)
            raws.add(provenance, {"raw": text})
            if raws.rows >= self.batch_rows:
                self._flush(SOURCE_ROWS.name)
        if buffer.rows >= self.batch_rows:
            self._flush(table)
        if table != SOURCE_ROWS.name:
            self.rows_done += 1
            if self.rows_done % self.batch_rows == 0:
                self.ctx.progress(self.rows_done)
        return identifier

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

    def party(self, prefix: str, raw: str | None) -> dict[str, Any]:
        """``<prefix>`` (E.164 where it normalises) and ``<prefix>_original`` for an identifier.

        A WhatsApp user JID gives the number it carries; e-mail addresses, group JIDs, user names
        and sender ids keep only their original.
        """
        if raw is None or not str(raw).strip():
            return {prefix: None, f"{prefix}_original": raw or None}
        text = str(raw)
        number = jid_number(text)
        if number is None and "@" in text:
            return {prefix: None, f"{prefix}_original": text}
        parsed = normalise_phone(number or text, self.region)
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
