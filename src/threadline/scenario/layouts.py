"""The four fictional UK network CDR layouts and the cell list, written exactly as specified.

No UK operator publishes its disclosure layout (formats.md §7a), so these four are ours, modelled on
what operators return; the CDR ingest profiles read exactly these. Every CDR file is one return for
one target number.

``network-a`` — CSV, UTF-8, comma, CRLF line ends, header on row 1::

    Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,
    Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID

  Call Type ``MOC``/``MTC``/``SMS-MO``/``SMS-MT``/``GPRS``/``CFW`` (forwarded: Forwarded Number
  filled). Numbers ``447700900123``. Date ``dd/mm/yyyy`` and time ``HH:MM:SS``, both UTC. Duration
  whole seconds (0 for SMS). IMEI as networks send it: 14 digits and a padding ``0``. Cells
  ``234-30-LAC-CI``; End Cell ID blank for SMS; Terminating Number blank for GPRS.

``network-b`` — CSV, UTF-8 with BOM, comma, CRLF line ends::

    Record Type,A Party,B Party,C Party,Start Date Time,End Date Time,A IMEI,A IMSI,First Cell,
    Last Cell

  Record Type ``Voice Outgoing``/``Voice Incoming``/``SMS Outgoing``/``SMS Incoming``/``Data``/
  ``Voice Forwarded``. Numbers national with the usual spacing: ``07700 900123``,
  ``01632 960123``, ``020 7946 0123``, ``0113 496 0123``. Start and end ``dd/mm/yyyy HH:MM:SS`` in
  UK local time (GMT or BST); SMS end = start. ``A IMEI``/``A IMSI`` are the target's handset and
  SIM on every row, incoming ones included. IMEI 15 digits with a correct Luhn digit. Cells
  ``LAC/CI`` (the profile supplies MCC 234 MNC 15); Last Cell blank for SMS.

``network-c`` — XLSX, sheet ``Call Data``; row 1 ``Disclosure of communications data``, row 2
  ``Target: +447700900123  Ref: <authorisation>``, row 3 blank, header on row 4::

    Event,Calling Party,Called Party,Diverted To,Date (UTC),Time (UTC),Duration,Handset IMEI,
    Subscriber IMSI,Cell Start,Cell End

  Event ``Call Originating``/``Call Terminating``/``SMS Originating``/``SMS Terminating``/
  ``Data``/``Call Diverted``. Numbers ``+447700900123``. Date a real Excel date (format
  ``dd/mm/yyyy``), time text ``HH:MM:SS``, duration text ``h:mm:ss``. Cells ``234-10-TAC-ECI``;
  Cell End blank for SMS; Called Party blank for data. Blank cells are simply not written, so a
  reader may see a row shorter than the header.

``network-d`` — CSV, UTF-8, semicolon, LF line ends::

    Target MSISDN;Direction;Service;Other Party;Start (UTC);End (UTC);Duration (s);IMEI;IMSI;
    Serving Cell;APN;Bytes Up;Bytes Down;Charging ID

  Direction ``IN``/``OUT`` (data sessions are ``OUT``); Service ``VOICE``/``SMS``/``DATA``.
  Numbers with the leading zero lost: ``7700900123``. Times ISO ``2026-06-01T13:45:10Z``. Data
  rows: Other Party blank, APN, bytes and a Charging ID that partial records of one long session
  share. The layout has no way to show a diverted call, so none is generated for it. Cells
  ``234-20-TAC-ECI``.

Short codes and alphanumeric senders are written as they are in every layout (no country code).

Writing is vectorised: each column is an Arrow array taken from small pre-rendered tables (numbers,
IMEIs, cells, days, the 86,400 times of day), written by Arrow's streaming CSV writer.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from threadline.scenario.geography import NETWORKS, Cell
from threadline.scenario.identifiers import Notation, NumberBook
from threadline.scenario.rows import DATA, FORWARDED, SMS, VOICE, RowBatch
from threadline.scenario.timebase import uk_offset

__all__ = [
    "CELL_LIST_HEADER",
    "HEADERS",
    "Layout",
    "RenderTables",
    "write_cell_list",
    "write_csv_return",
    "write_xlsx_return",
]


class Layout(StrEnum):
    """The four fictional provider layouts."""

    NETWORK_A = "network-a"
    NETWORK_B = "network-b"
    NETWORK_C = "network-c"
    NETWORK_D = "network-d"

    @property
    def network_index(self) -> int:
        """Index of this layout's network in :data:`~threadline.scenario.geography.NETWORKS`."""
        return [n.layout for n in NETWORKS].index(self.value)

    @property
    def is_csv(self) -> bool:
        """Whether the layout is a CSV file (all but network-c)."""
        return self is not Layout.NETWORK_C

    @property
    def suffix(self) -> str:
        """File name extension."""
        return ".csv" if self.is_csv else ".xlsx"

    @property
    def first_data_row(self) -> int:
        """1-based spreadsheet row of the first data row."""
        return 2 if self.is_csv else 5

    @property
    def time_basis(self) -> str:
        """``UK local`` for network-b, ``UTC`` for the others."""
        return "UK local" if self is Layout.NETWORK_B else "UTC"


HEADERS: MappingProxyType[Layout, tuple[str, ...]] = MappingProxyType(
    {
        Layout.NETWORK_A: (
            "Call Type",
            "Originating Number",
            "Terminating Number",
            "Forwarded Number",
            "Call Date",
            "Call Time",
            "Duration (secs)",
            "IMEI",
            "IMSI",
            "Start Cell ID",
            "End Cell ID",
        ),
        Layout.NETWORK_B: (
            "Record Type",
            "A Party",
            "B Party",
            "C Party",
            "Start Date Time",
            "End Date Time",
            "A IMEI",
            "A IMSI",
            "First Cell",
            "Last Cell",
        ),
        Layout.NETWORK_C: (
            "Event",
            "Calling Party",
            "Called Party",
            "Diverted To",
            "Date (UTC)",
            "Time (UTC)",
            "Duration",
            "Handset IMEI",
            "Subscriber IMSI",
            "Cell Start",
            "Cell End",
        ),
        Layout.NETWORK_D: (
            "Target MSISDN",
            "Direction",
            "Service",
            "Other Party",
            "Start (UTC)",
            "End (UTC)",
            "Duration (s)",
            "IMEI",
            "IMSI",
            "Serving Cell",
            "APN",
            "Bytes Up",
            "Bytes Down",
            "Charging ID",
        ),
    }
)

CELL_LIST_HEADER: tuple[str, ...] = (
    "CGI",
    "Site Name",
    "Address",
    "Postcode",
    "Latitude",
    "Longitude",
    "Easting",
    "Northing",
    "Azimuth",
    "Beamwidth",
    "Technology",
)

#: Event words by code: voice out, voice in, SMS out, SMS in, data, forwarded.
_EVENT_WORDS: MappingProxyType[Layout, tuple[str, ...]] = MappingProxyType(
    {
        Layout.NETWORK_A: ("MOC", "MTC", "SMS-MO", "SMS-MT", "GPRS", "CFW"),
        Layout.NETWORK_B: (
            "Voice Outgoing",
            "Voice Incoming",
            "SMS Outgoing",
            "SMS Incoming",
            "Data",
            "Voice Forwarded",
        ),
        Layout.NETWORK_C: (
            "Call Originating",
            "Call Terminating",
            "SMS Originating",
            "SMS Terminating",
            "Data",
            "Call Diverted",
        ),
    }
)

_NOTATION: MappingProxyType[Layout, Notation] = MappingProxyType(
    {
        Layout.NETWORK_A: Notation.INTERNATIONAL,
        Layout.NETWORK_B: Notation.NATIONAL_SPACED,
        Layout.NETWORK_C: Notation.E164,
        Layout.NETWORK_D: Notation.NO_LEADING_ZERO,
    }
)

_DELIMITER = MappingProxyType({Layout.NETWORK_A: ",", Layout.NETWORK_B: ",", Layout.NETWORK_D: ";"})
_EOL = MappingProxyType(
    {Layout.NETWORK_A: "\r\n", Layout.NETWORK_B: "\r\n", Layout.NETWORK_D: "\n"}
)
_BOM = b"\xef\xbb\xbf"
APN = "mobile.example"

#: Fixed timestamps for the XLSX package, so the same data gives the same bytes.
_XLSX_STAMP = datetime(2026, 11, 22, 9, 0, 0)
_ZIP_STAMP = (2026, 11, 22, 9, 0, 0)

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RenderTables:
    """Pre-rendered strings that columns are taken from: numbers, IMEIs, IMSIs, cells, times."""

    numbers: dict[Notation, pa.StringArray]
    imeis: tuple[str, ...]
    """15-digit IMEIs as the handset reports them (some deliberately corrupted)."""
    imsis: tuple[str, ...]
    cells: tuple[Cell, ...]
    first_day: int
    """Epoch day of the first entry of the day tables."""
    days_dmy: pa.StringArray
    days_iso: pa.StringArray
    times: pa.StringArray
    """``HH:MM:SS`` for every second of a day."""
    imei_columns: dict[Layout, pa.StringArray]
    imsi_column: pa.StringArray
    cell_columns: dict[Layout, pa.StringArray]

    @classmethod
    def build(
        cls,
        book: NumberBook,
        imeis: Iterable[str],
        imsis: Iterable[str],
        cells: tuple[Cell, ...],
        first_day: date,
        last_day: date,
    ) -> RenderTables:
        """Render every table once; ``first_day``–``last_day`` must cover all rows to be written."""
        imei_list = tuple(imeis)
        imsi_list = tuple(imsis)
        day0 = (first_day - date(1970, 1, 1)).days
        count = (last_day - first_day).days + 1
        days = [first_day + timedelta(days=i) for i in range(count)]
        times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        return cls(
            numbers={notation: book.column(notation) for notation in Notation},
            imeis=imei_list,
            imsis=imsi_list,
            cells=cells,
            first_day=day0,
            days_dmy=pa.array([d.strftime("%d/%m/%Y") for d in days], pa.string()),
            days_iso=pa.array([d.isoformat() for d in days], pa.string()),
            times=pa.array(times, pa.string()),
            imei_columns={
                Layout.NETWORK_A: pa.array([i[:14] + "0" for i in imei_list], pa.string()),
                Layout.NETWORK_B: pa.array(imei_list, pa.string()),
                Layout.NETWORK_C: pa.array(imei_list, pa.string()),
                Layout.NETWORK_D: pa.array(imei_list, pa.string()),
            },
            imsi_column=pa.array(imsi_list, pa.string()),
            cell_columns={
                layout: pa.array([render_cell(layout, c) for c in cells], pa.string())
                for layout in Layout
            },
        )

    def day_index(self, seconds: I64) -> pa.Array:
        """Indices into the day tables for epoch seconds (raises if outside the tables)."""
        index = seconds // 86400 - self.first_day
        if index.size and (index.min() < 0 or index.max() >= len(self.days_dmy)):
            raise ValueError("a row falls outside the days the render tables cover")
        return pa.array(index)


def render_cell(layout: Layout, cell: Cell) -> str:
    """Write a cell identity as ``layout`` does (``LAC/CI`` for network-b, else the CGI)."""
    if layout is Layout.NETWORK_B:
        return f"{cell.area_code}/{cell.cell_id}"
    return cell.cgi


def _take(table: pa.Array, index: npt.NDArray[np.integer]) -> pa.Array:
    """Take ``table[index]``, giving null wherever ``index`` is negative."""
    mask = index < 0
    if mask.any():
        return pc.take(table, pa.array(np.where(mask, 0, index), mask=mask))
    return pc.take(table, pa.array(index))


def _event_code(batch: RowBatch) -> npt.NDArray[np.int8]:
    code = np.where(batch.outgoing, 0, 1).astype(np.int8)
    code = np.where(batch.kind == SMS, code + 2, code)
    code = np.where(batch.kind == DATA, 4, code)
    return np.where(batch.kind == FORWARDED, 5, code).astype(np.int8)


def _parties(batch: RowBatch, target: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Number-book indices of the A (originating) and B (terminating) parties."""
    originated = batch.outgoing | (batch.kind == DATA)
    a_party = np.where(originated, target, batch.other).astype(np.int32)
    b_party = np.where(originated, batch.other, target).astype(np.int32)
    b_party = np.where(batch.kind == DATA, -1, b_party).astype(np.int32)
    return a_party, b_party


def _stamp(tables: RenderTables, seconds: I64, days: pa.StringArray, sep: str) -> pa.Array:
    day = pc.take(days, tables.day_index(seconds))
    time = pc.take(tables.times, pa.array(seconds % 86400))
    return pc.binary_join_element_wise(day, time, sep)


def _ints(values: I64, blank: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    array = pa.array(values, mask=blank) if blank is not None and blank.any() else pa.array(values)
    return pc.cast(array, pa.string())


def _columns(layout: Layout, batch: RowBatch, target: int, tables: RenderTables) -> list[pa.Array]:
    n = len(batch)
    numbers = tables.numbers[_NOTATION[layout]]
    a_party, b_party = _parties(batch, target)
    imei = _take(tables.imei_columns[layout], batch.handset)
    imsi = _take(tables.imsi_column, batch.sim)
    cells = tables.cell_columns[layout]
    end = batch.start + batch.duration
    if layout is Layout.NETWORK_A:
        return [
            pc.take(pa.array(_EVENT_WORDS[layout]), pa.array(_event_code(batch))),
            _take(numbers, a_party),
            _take(numbers, b_party),
            _take(numbers, batch.forwarded),
            pc.take(tables.days_dmy, tables.day_index(batch.start)),
            pc.take(tables.times, pa.array(batch.start % 86400)),
            _ints(batch.duration),
            imei,
            imsi,
            _take(cells, batch.cell_start),
            _take(cells, batch.cell_end),
        ]
    if layout is Layout.NETWORK_B:
        local_start = batch.start + uk_offset(batch.start) + batch.clock_shift
        local_end = end + uk_offset(end) + batch.clock_shift
        return [
            pc.take(pa.array(_EVENT_WORDS[layout]), pa.array(_event_code(batch))),
            _take(numbers, a_party),
            _take(numbers, b_party),
            _take(numbers, batch.forwarded),
            _stamp(tables, local_start, tables.days_dmy, " "),
            _stamp(tables, local_end, tables.days_dmy, " "),
            imei,
            imsi,
            _take(cells, batch.cell_start),
            _take(cells, batch.cell_end),
        ]
    if layout is Layout.NETWORK_D:
        if bool((batch.kind == FORWARDED).any()):
            raise ValueError("network-d cannot show a forwarded call")
        not_data = batch.kind != DATA
        service = pc.take(pa.array(["VOICE", "SMS", "DATA"]), pa.array(batch.kind.astype(np.int64)))
        direction = pc.take(pa.array(["IN", "OUT"]), pa.array(batch.outgoing.astype(np.int64)))
        return [
            pc.take(numbers, pa.array(np.full(n, target, np.int32))),
            direction,
            service,
            _take(numbers, batch.other),
            pc.binary_join_element_wise(_stamp(tables, batch.start, tables.days_iso, "T"), "Z", ""),
            pc.binary_join_element_wise(_stamp(tables, end, tables.days_iso, "T"), "Z", ""),
            _ints(batch.duration),
            imei,
            imsi,
            _take(cells, batch.cell_start),
            _take(pa.array([APN]), np.where(not_data, -1, 0)),
            _ints(batch.bytes_up, not_data),
            _ints(batch.bytes_down, not_data),
            _ints(batch.charging, not_data),
        ]
    raise ValueError(f"{layout} is not a CSV layout")


def write_csv_return(
    path: Path,
    layout: Layout,
    target: int,
    batches: Iterable[RowBatch],
    tables: RenderTables,
) -> int:
    """Write one CDR return in a CSV layout, batch by batch; return the number of data rows.

    Args:
        path: the file to create.
        layout: network-a, network-b or network-d.
        target: number-book index of the target line.
        batches: the rows, already in the order they are to appear.
        tables: the render tables.
    """
    if not layout.is_csv:
        raise ValueError(f"{layout} is not a CSV layout")
    delimiter = _DELIMITER[layout]
    eol = _EOL[layout]
    header = delimiter.join(HEADERS[layout]) + eol
    schema = pa.schema([(name, pa.string()) for name in HEADERS[layout]])
    options = pacsv.WriteOptions(
        include_header=False, delimiter=delimiter, quoting_style="none", eol=eol
    )
    written = 0
    with pa.OSFile(str(path), "wb") as sink:
        if layout is Layout.NETWORK_B:
            sink.write(_BOM)
        sink.write(header.encode("utf-8"))
        with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
            for batch in batches:
                if len(batch) == 0:
                    continue
                columns = _columns(layout, batch, target, tables)
                writer.write_table(pa.Table.from_arrays(columns, schema=schema))
                written += len(batch)
    return written


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def write_xlsx_return(
    path: Path,
    target: int,
    batch: RowBatch,
    tables: RenderTables,
    authorisation: str,
) -> int:
    """Write one CDR return in the network-c XLSX layout; return the number of data rows.

    The workbook's created and modified properties and every ZIP entry's timestamp are fixed, so
    the same rows always give the same bytes.
    """
    layout = Layout.NETWORK_C
    numbers = tables.numbers[Notation.E164]
    a_party, b_party = _parties(batch, target)
    words = [_EVENT_WORDS[layout][c] for c in _event_code(batch).tolist()]
    calling = _take(numbers, a_party).to_pylist()
    called = _take(numbers, b_party).to_pylist()
    diverted = _take(numbers, batch.forwarded).to_pylist()
    imeis = _take(tables.imei_columns[layout], batch.handset).to_pylist()
    imsis = _take(tables.imsi_column, batch.sim).to_pylist()
    cell_start = _take(tables.cell_columns[layout], batch.cell_start).to_pylist()
    cell_end = _take(tables.cell_columns[layout], batch.cell_end).to_pylist()
    target_e164 = numbers[target].as_py()

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Call Data")
    sheet.append(["Disclosure of communications data"])
    sheet.append([f"Target: {target_e164}  Ref: {authorisation}"])
    sheet.append([])
    sheet.append(list(HEADERS[layout]))
    epoch_day = datetime(1970, 1, 1)
    for i, start in enumerate(batch.start.tolist()):
        day_cell = WriteOnlyCell(sheet, value=epoch_day + timedelta(days=start // 86400))
        day_cell.number_format = "dd/mm/yyyy"
        sheet.append(
            [
                words[i],
                calling[i],
                called[i],
                diverted[i],
                day_cell,
                tables.times[start % 86400].as_py(),
                _hms(int(batch.duration[i])),
                imeis[i],
                imsis[i],
                cell_start[i],
                cell_end[i],
            ]
        )
    workbook.properties.creator = "Network C disclosure system (fictional)"
    workbook.properties.created = _XLSX_STAMP
    workbook.properties.modified = _XLSX_STAMP
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    path.write_bytes(_stable_zip(raw.getvalue()))
    return len(batch)


def _stable_zip(data: bytes) -> bytes:
    """Repack a ZIP with fixed entry timestamps so its bytes depend only on its contents."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_cell_list(path: Path, cells: Iterable[Cell]) -> int:
    """Write the operator cell list (CSV, UTF-8, comma); return the number of data rows."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(CELL_LIST_HEADER)
        for cell in cells:
            writer.writerow(
                [
                    cell.cgi,
                    cell.site_name,
                    cell.address,
                    cell.postcode,
                    f"{cell.latitude:.6f}",
                    f"{cell.longitude:.6f}",
                    "",
                    "",
                    cell.azimuth,
                    cell.beamwidth,
                    cell.technology,
                ]
            )
            rows += 1
    return rows


def event_counts(batch: RowBatch) -> tuple[int, int, int]:
    """Return (calls including forwarded, messages, data rows) in a batch."""
    kinds = np.bincount(batch.kind.astype(np.int64), minlength=4)
    return int(kinds[VOICE] + kinds[FORWARDED]), int(kinds[SMS]), int(kinds[DATA])
