"""Write Operation Cedar's exhibits and ground truth; write single large CDR files for benchmarks.

:func:`generate_case` is what ``threadline demo``, the tests and the benchmarks call: it writes the
case's CDR returns in the four provider layouts, the operator cell list, the seized handsets'
downloads, the ANPR camera list and read exports, and ``ground_truth.json`` into a folder, and
returns the :class:`~threadline.scenario.truth.GroundTruth`. The same seed always gives the same
bytes. With ``scale`` it adds bulk target lines (CSV layouts only) until the
CDR exhibits hold about that many rows in all.

:func:`generate_cdr_file` writes one return of any size in one layout, streaming in slices of at
most ``chunk_rows`` rows, for ingest benchmarks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from threadline.errors import ConfigError
from threadline.scenario.anpr_exhibits import write_anpr
from threadline.scenario.bulk import BulkPlan, bulk_rows, plan_bulk
from threadline.scenario.cast import ADDRESSES, GENERIC_PLACES, PEOPLE, VEHICLES
from threadline.scenario.geography import NETWORKS, Geography
from threadline.scenario.identifiers import NumberBook, rng_stream
from threadline.scenario.layouts import (
    Layout,
    RenderTables,
    event_counts,
    write_cell_list,
    write_csv_return,
    write_xlsx_return,
)
from threadline.scenario.phone_exhibits import write_phone_downloads
from threadline.scenario.roads import route
from threadline.scenario.rows import SMS, VOICE, RowBatch
from threadline.scenario.story import (
    PERIOD_END,
    PERIOD_START,
    SWITCH_AT,
    CoreCase,
    CoreExhibit,
    build_core,
)
from threadline.scenario.timebase import bst_bounds, uk_offset
from threadline.scenario.truth import (
    SCHEMA_VERSION,
    AddressTruth,
    AnomalyDetail,
    AnomalyLocators,
    CaseTruth,
    ExhibitCounts,
    ExhibitTruth,
    ExtensionTruth,
    GroundTruth,
    HandsetTruth,
    NumberTruth,
    PairCount,
    PersonTruth,
    ServiceTruth,
    SimTruth,
    SuccessorTruth,
    Totals,
    VehiclePhoneRun,
    VehiclePhoneTruth,
    VehicleTruth,
)

__all__ = ["DEFAULT_SEED", "CdrFileSummary", "generate_case", "generate_cdr_file"]

DEFAULT_SEED = 20261122
GENERATOR = "threadline.scenario/1"
PRODUCER = "DC Dana Colbeck (fictional)"
GROUND_TRUTH_FILE = "ground_truth.json"
CELL_LIST_FILE = "cell_list.csv"
CELL_LIST_REFERENCE = "DC/6"
#: The core case's returns are DC/1-DC/5, DC/7 and DC/8 (DC/6 is the cell list); bulk lines follow.
FIRST_BULK_EXHIBIT = 9
SYNTHETIC_NOTICE = (
    "SYNTHETIC TEST DATA. Operation Cedar is fictional: every person, address, business, "
    "telephone number (Ofcom drama ranges), IMSI (test network 001-01), IMEI, vehicle "
    "registration and cell in it is invented."
)
_RENDER_FIRST_DAY = date(2026, 2, 27)
_RENDER_LAST_DAY = date(2026, 11, 18)
_PROVIDERS = MappingProxyType(
    {
        Layout.NETWORK_A: "Network A (fictional UK operator, MNC 30): CSV return",
        Layout.NETWORK_B: "Network B (fictional UK operator, MNC 15): CSV return, UK local time",
        Layout.NETWORK_C: "Network C (fictional UK operator, MNC 10): XLSX return",
        Layout.NETWORK_D: "Network D (fictional UK operator, MNC 20): semicolon CSV return",
    }
)


@dataclass(frozen=True, slots=True)
class CdrFileSummary:
    """What :func:`generate_cdr_file` wrote."""

    path: Path
    layout: str
    target_msisdn: str
    rows: int
    counts: ExhibitCounts
    distinct_numbers: int


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clock_change_hours(first: int, last: int) -> tuple[list[int], list[int]]:
    """Local wall-clock starts (as epoch-like seconds) of the repeated and the missing hours."""
    repeated: list[int] = []
    missing: list[int] = []
    for year in range(_utc(first).year, _utc(last).year + 1):
        start, end = bst_bounds(year)
        missing.append(start)
        repeated.append(end)
    return repeated, missing


def _in_hours(values: npt.NDArray[np.int64], starts: Sequence[int]) -> npt.NDArray[np.bool_]:
    hit = np.zeros(values.shape[0], np.bool_)
    for start in starts:
        hit |= (values >= start) & (values < start + 3600)
    return hit


def _written_time(layout: Layout, seconds: int) -> str:
    moment = _utc(seconds)
    if layout is Layout.NETWORK_D:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%d/%m/%Y %H:%M:%S")


def _anomalies(
    batch: RowBatch,
    layout: Layout,
    window: tuple[int, int] | None,
    imei_table: Sequence[str],
    corrupt_from: int,
) -> tuple[AnomalyLocators, tuple[AnomalyDetail, ...]]:
    """Find every row an ingest must flag, and say why (rows are 1-based, header counted)."""
    first_row = layout.first_data_row
    details: list[AnomalyDetail] = []
    found: dict[str, list[int]] = {
        "ambiguous_time": [],
        "nonexistent_time": [],
        "outside_window": [],
        "luhn_failure": [],
    }

    def record(kind: str, rows: npt.NDArray[np.intp], note: str, written: Sequence[str]) -> None:
        for row, text in zip(rows.tolist(), written, strict=True):
            found[kind].append(row + first_row)
            details.append(
                AnomalyDetail(kind, row + first_row, _utc(int(batch.start[row])), text, note)
            )

    if len(batch) == 0:
        return AnomalyLocators(), ()
    if layout is Layout.NETWORK_B:
        end = batch.start + batch.duration
        local_start = batch.start + uk_offset(batch.start) + batch.clock_shift
        local_end = end + uk_offset(end) + batch.clock_shift
        repeated, missing = _clock_change_hours(int(batch.start.min()), int(end.max()))
        gap_rows = np.flatnonzero(_in_hours(local_start, missing) | _in_hours(local_end, missing))
        record(
            "nonexistent_time",
            gap_rows,
            "local time written falls in the hour skipped when clocks went forward",
            [_written_time(layout, int(local_start[r])) for r in gap_rows.tolist()],
        )
        twice = _in_hours(local_start, repeated) | _in_hours(local_end, repeated)
        twice_rows = np.flatnonzero(twice)
        record(
            "ambiguous_time",
            twice_rows,
            "local time written falls in the hour that happens twice when clocks go back",
            [_written_time(layout, int(local_start[r])) for r in twice_rows.tolist()],
        )
    if window is not None:
        outside = np.flatnonzero((batch.start < window[0]) | (batch.start > window[1]))
        record(
            "outside_window",
            outside,
            "event outside the authorised window",
            [_written_time(layout, int(batch.start[r])) for r in outside.tolist()],
        )
    if layout is not Layout.NETWORK_A:
        corrupt = np.flatnonzero(batch.handset >= corrupt_from)
        record(
            "luhn_failure",
            corrupt,
            "IMEI check digit fails Luhn (provider transcription error)",
            [imei_table[int(batch.handset[r])] for r in corrupt.tolist()],
        )
    details.sort(key=lambda d: (d.row, d.kind))
    locators = AnomalyLocators(**{kind: tuple(sorted(rows)) for kind, rows in found.items()})
    return locators, tuple(details)


@dataclass(slots=True)
class _Tally:
    """Running totals over every CDR exhibit written (local to one generation run)."""

    numbers: npt.NDArray[np.bool_]
    handsets: set[int]
    cells: set[int]
    rows: int = 0
    exhibits: int = 0

    def add(self, batch: RowBatch, target: int) -> None:
        self.numbers[target] = True
        self.numbers[batch.other[batch.other >= 0]] = True
        self.numbers[batch.forwarded[batch.forwarded >= 0]] = True
        self.handsets.update(np.unique(batch.handset).tolist())
        used = np.concatenate([batch.cell_start, batch.cell_end[batch.cell_end >= 0]])
        self.cells.update(np.unique(used).tolist())
        self.rows += len(batch)
        self.exhibits += 1


def _write_return(
    path: Path,
    layout: Layout,
    target: int,
    batch: RowBatch,
    tables: RenderTables,
    authorisation: str,
) -> None:
    if layout.is_csv:
        write_csv_return(path, layout, target, [batch], tables)
    else:
        write_xlsx_return(path, target, batch, tables, authorisation)


def _core_exhibit_truth(
    core: CoreCase,
    exhibit: CoreExhibit,
    path: Path,
    imei_table: Sequence[str],
) -> ExhibitTruth:
    calls, messages, data = event_counts(exhibit.batch)
    locators, details = _anomalies(
        exhibit.batch,
        exhibit.layout,
        (exhibit.window_start, exhibit.window_end),
        imei_table,
        len(core.handsets),
    )
    return ExhibitTruth(
        reference=exhibit.reference,
        filename=path.name,
        kind="cdr",
        layout=exhibit.layout.value,
        provider=_PROVIDERS[exhibit.layout],
        producer=PRODUCER,
        description=exhibit.description,
        target_msisdn=core.book.e164(exhibit.line.number),
        target_person=exhibit.person,
        authorisation=exhibit.authorisation,
        window_start=_utc(exhibit.window_start),
        window_end=_utc(exhibit.window_end),
        time_basis=exhibit.layout.time_basis,
        rows=len(exhibit.batch),
        first_data_row=exhibit.layout.first_data_row,
        counts=ExhibitCounts(calls, messages, data),
        anomalies=locators,
        anomaly_details=details,
        sha256=_sha256(path),
    )


def _pair_counts(core: CoreCase) -> tuple[PairCount, ...]:
    person_of = core.person_of_number()
    comms: dict[tuple[str, str, int], set[int]] = {}
    rows: dict[tuple[str, str, int], int] = {}
    for exhibit in core.exhibits:
        if exhibit.line.user is None:
            continue  # the victims' shared phone is no one person's
        batch = exhibit.batch
        talk = np.flatnonzero((batch.kind == VOICE) | (batch.kind == SMS))
        for index in talk.tolist():
            other = person_of.get(int(batch.other[index]))
            if other is None or other == exhibit.person:
                continue
            low, high = sorted((exhibit.person, other))
            key = (low, high, int(batch.kind[index]))
            comms.setdefault(key, set()).add(int(batch.comm[index]))
            rows[key] = rows.get(key, 0) + 1
    pairs = sorted({(low, high) for low, high, _ in comms})
    return tuple(
        PairCount(
            person_a=low,
            person_b=high,
            calls=len(comms.get((low, high, VOICE), set())),
            messages=len(comms.get((low, high, SMS), set())),
            call_rows=rows.get((low, high, VOICE), 0),
            message_rows=rows.get((low, high, SMS), 0),
        )
        for low, high in pairs
    )


def _vehicle_phones(core: CoreCase) -> tuple[VehiclePhoneTruth, ...]:
    """Every (vehicle, return) whose target was in the vehicle and whose return holds records
    that started while it was driven, with those runs (see :class:`VehiclePhoneTruth`)."""
    found: list[VehiclePhoneTruth] = []
    for vehicle in VEHICLES:
        for exhibit in core.exhibits:
            person = exhibit.person
            runs: list[VehiclePhoneRun] = []
            role = "driver"
            for drive in core.drives:
                if drive.vrm != vehicle.vrm or drive.depart < exhibit.window_start:
                    continue
                if drive.arrive > exhibit.window_end:
                    continue
                if person == drive.driver:
                    role = "driver"
                elif person in drive.passengers:
                    role = "passenger"
                else:
                    continue
                start = exhibit.batch.start
                rows = np.flatnonzero((start >= drive.depart) & (start <= drive.arrive))
                if rows.shape[0] == 0:
                    continue
                runs.append(
                    VehiclePhoneRun(
                        date=drive.day,
                        kind=drive.kind,
                        depart=_utc(drive.depart),
                        arrive=_utc(drive.arrive),
                        cameras=tuple(p.camera for p in route(drive.origin, drive.destination)),
                        rows=tuple(int(r) + exhibit.layout.first_data_row for r in rows.tolist()),
                        starts=tuple(_utc(int(start[r])) for r in rows.tolist()),
                    )
                )
            if runs:
                found.append(
                    VehiclePhoneTruth(
                        vrm=vehicle.vrm,
                        msisdn=core.book.e164(exhibit.line.number),
                        person=person,
                        role=role,
                        exhibit=exhibit.reference,
                        runs=tuple(runs),
                    )
                )
    return tuple(found)


def _people_truth() -> tuple[PersonTruth, ...]:
    return tuple(
        PersonTruth(p.id, p.name, p.role, p.aliases, p.nationality, p.home) for p in PEOPLE
    )


def _address_truth() -> tuple[AddressTruth, ...]:
    return tuple(
        AddressTruth(
            id=a.id,
            label=a.label,
            kind=a.kind,
            line1=a.line1,
            town="Hollowmere",
            postcode=a.postcode,
            latitude=a.latitude,
            longitude=a.longitude,
            occupants=tuple(p.id for p in PEOPLE if p.home == a.id),
        )
        for a in ADDRESSES
    )


def _number_truth(core: CoreCase, plan: BulkPlan | None) -> tuple[NumberTruth, ...]:
    book = core.book
    numbers = [
        NumberTruth(
            msisdn=book.e164(line.number),
            user=line.user,
            shared_by=line.shared_by,
            network=NETWORKS[line.network].layout,
            in_use_from=_utc(line.in_use_from),
            in_use_to=_utc(line.in_use_to),
            label=line.label,
        )
        for line in core.lines
    ]
    numbers += [
        NumberTruth(book.e164(index), None, (), None, None, None, label)
        for index, label in core.background
    ]
    if plan is not None:
        numbers += [
            NumberTruth(
                msisdn=book.e164(line.number),
                user=None,
                shared_by=(),
                network=line.layout.value,
                in_use_from=_utc(plan.window_start),
                in_use_to=_utc(plan.window_end),
                label="bulk target line (scale extension)",
            )
            for line in plan.lines
        ]
    return tuple(numbers)


def _handset_truth(core: CoreCase, plan: BulkPlan | None) -> tuple[HandsetTruth, ...]:
    book = core.book
    by_key = {line.key: line for line in core.lines}
    handsets = [
        HandsetTruth(
            imei=h.imei,
            user=h.user,
            model=h.model,
            in_use_from=_utc(h.in_use_from),
            in_use_to=_utc(h.in_use_to),
            msisdns=tuple(book.e164(by_key[key].number) for key in h.lines),
        )
        for h in core.handsets
    ]
    if plan is not None:
        base = len(core.imei_table)
        for line in plan.lines:
            for position, (since, index) in enumerate(line.handsets):
                until = (
                    line.handsets[position + 1][0] - 1
                    if position + 1 < len(line.handsets)
                    else plan.window_end
                )
                handsets.append(
                    HandsetTruth(
                        imei=plan.imeis[index - base],
                        user=None,
                        model=plan.handset_models[index - base],
                        in_use_from=_utc(since),
                        in_use_to=_utc(until),
                        msisdns=(book.e164(line.number),),
                    )
                )
    return tuple(handsets)


def _sim_truth(core: CoreCase, plan: BulkPlan | None) -> tuple[SimTruth, ...]:
    book = core.book
    sims = [
        SimTruth(core.imsis[line.sim], book.e164(line.number), NETWORKS[line.network].layout)
        for line in core.lines
    ]
    if plan is not None:
        base = len(core.imsis)
        sims += [
            SimTruth(plan.imsis[line.sim - base], book.e164(line.number), line.layout.value)
            for line in plan.lines
        ]
    return tuple(sims)


def generate_case(
    out_dir: Path, *, seed: int = DEFAULT_SEED, scale: int | None = None
) -> GroundTruth:
    """Write Operation Cedar's exhibits and ``ground_truth.json`` into ``out_dir``.

    Files written (references are producer initials and a sequence number):

    * ``DC_1_network-a.csv`` — DC/1, the controller's first number;
    * ``DC_2_network-d.csv`` — DC/2, the controller's successor number (same handset);
    * ``DC_3_network-b.csv`` — DC/3, a lieutenant (UK local time; clock-change anomalies and one
      IMEI failing Luhn);
    * ``DC_4_network-c.xlsx`` — DC/4, the money handler (a few rows outside the window);
    * ``DC_5_network-a.csv`` — DC/5, a driver (who changes handset; his phone follows the people
      carrier he drives: see :class:`~threadline.scenario.truth.VehiclePhoneTruth`);
    * ``cell_list.csv`` — DC/6, every cell any return uses;
    * ``DC_7_network-b.csv`` — DC/7, the victims' shared phone kept at House 2;
    * ``DC_8_network-c.xlsx`` — DC/8, the phone of V03, a House 1 occupant;
    * with ``scale``: ``DC_9_network-a.csv``, ``DC_10_network-b.csv``, … one per bulk line;
    * the seized handsets' downloads (see :mod:`threadline.scenario.phone_exhibits`):
      ``MC_1_controller.ufdr``, ``MC_2_lieutenant.ufdr``, ``MC_3_money_handler.ufdr`` (Cellebrite),
      ``MC_4_house_manager_xry.zip`` (XRY text export) and ``MC_5_driver_fs.tar`` (Android full
      file-system extraction);
    * the ANPR evidence (see :mod:`threadline.scenario.anpr_exhibits`): ``AR_1_anpr_cameras.csv``
      (AR/1, the camera list), ``AR_2_anpr_nas.csv`` (AR/2, NAS road cameras, nas-style, UTC) and
      ``AR_3_anpr_site_back_office.csv`` (AR/3, site cameras, back-office-a, UK local time);
    * ``ground_truth.json``.

    Args:
        out_dir: folder to write into (created if missing; files of the same names are replaced).
        seed: the random seed; the same seed gives byte-identical files.
        scale: if given, the total CDR data rows wanted (all exhibits together); the result is
            within 1% (exact when bulk lines are added). Must be at least the core case's rows.

    Returns:
        The ground truth, as also written to ``ground_truth.json``.

    Raises:
        ConfigError: ``scale`` is smaller than the core case.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    core = build_core(seed)
    core_rows = sum(len(e.batch) for e in core.exhibits)
    plan: BulkPlan | None = None
    if scale is not None:
        if scale < core_rows * 0.99:
            raise ConfigError(
                f"scale {scale} is below the {core_rows} rows of the core case; "
                f"use at least {core_rows} or leave scale unset"
            )
        if scale > core_rows:
            plan = plan_bulk(
                seed,
                core.book,
                core.geography,
                scale - core_rows,
                (int(PERIOD_START.timestamp()), int(PERIOD_END.timestamp())),
                handset_base=len(core.imei_table),
                sim_base=len(core.imsis),
            )
    imei_table = core.imei_table + (plan.imeis if plan is not None else ())
    tables = RenderTables.build(
        core.book,
        imei_table,
        core.imsis + (plan.imsis if plan is not None else ()),
        core.geography.cells,
        _RENDER_FIRST_DAY,
        _RENDER_LAST_DAY,
    )
    tally = _Tally(np.zeros(len(core.book), np.bool_), set(), set())
    returns: list[ExhibitTruth] = []
    for exhibit in core.exhibits:
        number = exhibit.reference.split("/")[1]
        path = out_dir / f"DC_{number}_{exhibit.layout.value}{exhibit.layout.suffix}"
        _write_return(
            path, exhibit.layout, exhibit.line.number, exhibit.batch, tables, exhibit.authorisation
        )
        tally.add(exhibit.batch, exhibit.line.number)
        returns.append(_core_exhibit_truth(core, exhibit, path, imei_table))

    bulk_exhibits: list[ExhibitTruth] = []
    if plan is not None:
        bulk_exhibits = _write_bulk(out_dir, core, plan, tables, tally, imei_table)

    cells = [core.geography.cells[i] for i in sorted(tally.cells)]
    cell_path = out_dir / CELL_LIST_FILE
    cell_rows = write_cell_list(cell_path, cells)
    before_list = [e for e in returns if int(e.reference.split("/")[1]) < 6]
    cell_list = ExhibitTruth(
        reference=CELL_LIST_REFERENCE,
        filename=CELL_LIST_FILE,
        kind="cell-list",
        layout="cell-list",
        provider="Networks A–D (fictional UK operators): cell list for the returns",
        producer=PRODUCER,
        description="Operator cell list: every cell in the call data returns",
        target_msisdn=None,
        target_person=None,
        authorisation=None,
        window_start=None,
        window_end=None,
        time_basis="none",
        rows=cell_rows,
        first_data_row=2,
        counts=ExhibitCounts(0, 0, 0),
        anomalies=AnomalyLocators(),
        anomaly_details=(),
        sha256=_sha256(cell_path),
    )
    # in reference order: DC/1-DC/5, the cell list DC/6, then DC/7 and DC/8
    exhibits = [*before_list, cell_list, *(e for e in returns if e not in before_list)]
    exhibits += bulk_exhibits
    anpr_exhibits, anpr = write_anpr(out_dir, seed, core)
    exhibits += anpr_exhibits

    phone_downloads = write_phone_downloads(out_dir, core)
    old, new = core.line("P01-old"), core.line("P01-new")
    truth = GroundTruth(
        schema_version=SCHEMA_VERSION,
        generator=GENERATOR,
        seed=seed,
        scale=scale,
        case=CaseTruth(
            reference="OP-CEDAR",
            name="Operation Cedar",
            marking="OFFICIAL-SENSITIVE",
            offences=("MSA2015-s1", "MSA2015-s2"),
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            town="Hollowmere (fictional town in the English Midlands)",
            producer=PRODUCER,
            synthetic_notice=SYNTHETIC_NOTICE,
        ),
        people=_people_truth(),
        addresses=_address_truth(),
        numbers=_number_truth(core, plan),
        services=tuple(ServiceTruth(v, k, label) for v, k, label in core.services),
        handsets=_handset_truth(core, plan),
        sims=_sim_truth(core, plan),
        successor=SuccessorTruth(
            person="P01",
            old_msisdn=core.book.e164(old.number),
            new_msisdn=core.book.e164(new.number),
            switch_date=SWITCH_AT.date(),
            last_old_event=_utc(core.last_old_event),
            first_new_event=_utc(core.first_new_event),
            imei=core.handsets[old.handsets[0][1]].imei,
        ),
        vehicles=tuple(VehicleTruth(v.vrm, v.user, v.description) for v in VEHICLES),
        convoy_trips=core.convoy_trips,
        exhibits=tuple(exhibits),
        contacts=_pair_counts(core),
        extension=(
            ExtensionTruth(
                target_lines=len(plan.lines),
                rows=sum(line.rows for line in plan.lines),
                first_reference=bulk_exhibits[0].reference,
                last_reference=bulk_exhibits[-1].reference,
            )
            if plan is not None
            else None
        ),
        totals=Totals(
            cdr_exhibits=tally.exhibits,
            cdr_rows=tally.rows,
            distinct_numbers=int(tally.numbers.sum()),
            distinct_imeis=len({imei_table[i][:14] for i in tally.handsets}),
            cells=len(cells),
        ),
        phone_downloads=phone_downloads,
        transport_runs=core.transport_runs,
        anpr=anpr,
        vehicle_phones=_vehicle_phones(core),
    )
    (out_dir / GROUND_TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8")
    return truth


def _write_bulk(
    out_dir: Path,
    core: CoreCase,
    plan: BulkPlan,
    tables: RenderTables,
    tally: _Tally,
    imei_table: Sequence[str],
) -> list[ExhibitTruth]:
    exhibits: list[ExhibitTruth] = []
    window = (plan.window_start, plan.window_end)
    for index, line in enumerate(plan.lines):
        number = FIRST_BULK_EXHIBIT + index
        reference = f"DC/{number}"
        path = out_dir / f"DC_{number}_{line.layout.value}{line.layout.suffix}"
        batch = bulk_rows(plan, index, core.voicemail[line.layout.network_index])
        write_csv_return(path, line.layout, line.number, [batch], tables)
        tally.add(batch, line.number)
        calls, messages, data = event_counts(batch)
        locators, details = _anomalies(batch, line.layout, window, imei_table, len(imei_table))
        exhibits.append(
            ExhibitTruth(
                reference=reference,
                filename=path.name,
                kind="cdr",
                layout=line.layout.value,
                provider=_PROVIDERS[line.layout],
                producer=PRODUCER,
                description=f"Call data, bulk target line {index + 1} (scale extension)",
                target_msisdn=core.book.e164(line.number),
                target_person=None,
                authorisation=f"OCDA-2026-{1000 + index:06d}",
                window_start=_utc(window[0]),
                window_end=_utc(window[1]),
                time_basis=line.layout.time_basis,
                rows=len(batch),
                first_data_row=line.layout.first_data_row,
                counts=ExhibitCounts(calls, messages, data),
                anomalies=locators,
                anomaly_details=details,
                sha256=_sha256(path),
            )
        )
    return exhibits


def generate_cdr_file(
    path: Path,
    layout: Layout | str,
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = 500_000,
) -> CdrFileSummary:
    """Write one CDR return of ``rows`` rows in ``layout`` (for ingest benchmarks).

    The return is for one bulk target line over the case period (2026-03-01 to 2026-11-15), drawn
    and written in time slices of at most ``chunk_rows`` rows, so memory stays bounded whatever the
    size. network-c (XLSX) is supported but is written row by row by openpyxl: keep it to a few
    hundred thousand rows.

    Args:
        path: the file to create.
        layout: ``network-a``, ``network-b``, ``network-c`` or ``network-d``.
        rows: exact number of data rows.
        seed: the random seed; the same seed gives the same bytes.
        chunk_rows: rows drawn and written at a time.

    Raises:
        ConfigError: ``layout`` is not one of the four, or ``rows`` is not positive.
    """
    try:
        chosen = Layout(layout)
    except ValueError as error:
        raise ConfigError(f"unknown CDR layout {layout!r}") from error
    if rows <= 0:
        raise ConfigError(f"rows must be positive, got {rows}")
    book = NumberBook.build()
    places = tuple(a.place() for a in ADDRESSES) + GENERIC_PLACES
    geography = Geography.build(rng_stream(seed, "masts"), places)
    window = (int(PERIOD_START.timestamp()), int(PERIOD_END.timestamp()))
    plan = plan_bulk(
        seed, book, geography, rows, window, handset_base=0, sim_base=0, layouts=(chosen,), lines=1
    )
    tables = RenderTables.build(
        book, plan.imeis, plan.imsis, geography.cells, _RENDER_FIRST_DAY, _RENDER_LAST_DAY
    )
    voicemail = book.index("mobile", 198)
    slices = max(1, -(-rows // chunk_rows))
    span = window[1] - window[0] + 1
    bounds = [window[0] + span * k // slices for k in range(slices + 1)]
    per_slice = [rows // slices + (1 if k < rows % slices else 0) for k in range(slices)]
    counts = np.zeros(3, np.int64)
    seen = np.zeros(len(book), np.bool_)
    target = plan.lines[0].number

    def batches() -> Iterator[RowBatch]:
        for k in range(slices):
            batch = bulk_rows(
                plan,
                0,
                voicemail,
                rows=per_slice[k],
                window=(bounds[k], bounds[k + 1] - 1),
                chunk=k,
            )
            counts[:] += np.asarray(event_counts(batch))
            seen[batch.other[batch.other >= 0]] = True
            seen[batch.forwarded[batch.forwarded >= 0]] = True
            yield batch

    if chosen.is_csv:
        written = write_csv_return(path, chosen, target, batches(), tables)
    else:
        written = write_xlsx_return(
            path, target, RowBatch.concat(list(batches())), tables, "OCDA-2026-999999"
        )
    seen[target] = True
    return CdrFileSummary(
        path=path,
        layout=chosen.value,
        target_msisdn=book.e164(target),
        rows=written,
        counts=ExhibitCounts(int(counts[0]), int(counts[1]), int(counts[2])),
        distinct_numbers=int(seen.sum()),
    )
