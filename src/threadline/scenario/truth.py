"""The ground truth of a generated case: what really happened, for tests, demos and benchmarks.

:func:`threadline.scenario.generate_case` writes exhibits that look like what a force receives, and
beside them ``ground_truth.json``: who the people are, which numbers, handsets and SIMs they used,
the successor number, the vehicles, their convoy trips and the victims' other transport runs, and
for every exhibit its expected row counts and the 1-based spreadsheet row (header counted) of every
deliberate anomaly, and for every seized handset's download its owner, contacts (the nicknames that
link people across handsets) and conversations (which are deleted, in which language), and for the
ANPR evidence its cameras, the journeys as the cameras read them, the misreads and the ordinary
vehicles that happen to pass together, and which phones travelled in which vehicle (the call data
rows of a number on the cells along a vehicle's route). Ingest and analysis tests check
themselves against it, so it is plain frozen data with a stable JSON form.

JSON conventions: instants are ISO 8601 UTC strings ending in ``Z``; dates are ``YYYY-MM-DD``;
tuples become lists; field names are the attribute names. :meth:`GroundTruth.from_json` reads back
exactly what :meth:`GroundTruth.to_json` wrote (``from_json(t.to_json()) == t``).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Union

__all__ = [
    "AddressTruth",
    "AnomalyDetail",
    "AnomalyLocators",
    "AnprCameraTruth",
    "AnprJourneyTruth",
    "AnprReadTruth",
    "AnprTruth",
    "CaseTruth",
    "ConvoyTrip",
    "ExhibitCounts",
    "ExhibitTruth",
    "ExtensionTruth",
    "GroundTruth",
    "HandsetTruth",
    "NumberTruth",
    "PairCount",
    "PersonTruth",
    "PhoneContactTruth",
    "PhoneDownloadTruth",
    "PhoneThreadTruth",
    "ServiceTruth",
    "SimTruth",
    "SuccessorTruth",
    "Totals",
    "TransportRun",
    "VehiclePhoneRun",
    "VehiclePhoneTruth",
    "VehicleTruth",
]

SCHEMA_VERSION = 4
"""Version 2 added :attr:`GroundTruth.phone_downloads` (the seized handsets' downloads); version 3
added :attr:`GroundTruth.transport_runs`, :attr:`GroundTruth.anpr` and the ANPR exhibits
(``anpr-cameras`` and ``anpr-reads`` kinds in :attr:`GroundTruth.exhibits`); version 4 added
:attr:`GroundTruth.vehicle_phones` (and the returns DC/7 and DC/8 of the victims' phones, with
``SH`` as the shared phone's ``target_person``)."""


@dataclass(frozen=True, slots=True)
class CaseTruth:
    """The operation: reference, name, marking, offence tags and the period events span."""

    reference: str
    name: str
    marking: str
    offences: tuple[str, ...]
    period_start: datetime
    period_end: datetime
    """Last second of the period (inclusive), UTC."""
    town: str
    producer: str
    synthetic_notice: str


@dataclass(frozen=True, slots=True)
class PersonTruth:
    """A person in the story. ``role`` is the story's truth, never something software asserts."""

    id: str
    name: str
    role: str
    aliases: tuple[str, ...]
    nationality: str
    home_address: str | None


@dataclass(frozen=True, slots=True)
class AddressTruth:
    """An invented address: a house of multiple occupation, a work site or a home."""

    id: str
    label: str
    kind: str
    line1: str
    town: str
    postcode: str
    latitude: float
    longitude: float
    occupants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NumberTruth:
    """A telephone number, who used it and when (``user`` is ``None`` for background numbers)."""

    msisdn: str
    """E.164, e.g. ``+447700900123``."""
    user: str | None
    shared_by: tuple[str, ...]
    network: str | None
    """Layout name of the network the line is on (``network-a`` …) for people's lines."""
    in_use_from: datetime | None
    in_use_to: datetime | None
    label: str


@dataclass(frozen=True, slots=True)
class ServiceTruth:
    """A short code or alphanumeric SMS sender that appears in the data."""

    value: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class HandsetTruth:
    """A handset: its 15-digit IMEI (correct Luhn digit), user and the numbers used in it."""

    imei: str
    user: str | None
    model: str
    in_use_from: datetime
    in_use_to: datetime
    msisdns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SimTruth:
    """A SIM: IMSI on the test network and the number it carries."""

    imsi: str
    msisdn: str
    network: str


@dataclass(frozen=True, slots=True)
class SuccessorTruth:
    """A number dropped and replaced by another in the same handset, keeping its contacts."""

    person: str
    old_msisdn: str
    new_msisdn: str
    switch_date: date
    last_old_event: datetime
    first_new_event: datetime
    imei: str


@dataclass(frozen=True, slots=True)
class VehicleTruth:
    """A vehicle (fictional VRM) and its usual driver."""

    vrm: str
    user: str
    description: str


@dataclass(frozen=True, slots=True)
class ConvoyTrip:
    """Two vehicles driving together from a house to a work site, carrying its occupants.

    The ANPR exports read every trip at every camera on its route (:class:`AnprJourneyTruth`).
    """

    date: date
    lead_vrm: str
    follow_vrm: str
    depart: datetime
    arrive: datetime
    gap_seconds: int
    """How far the second vehicle trails the first at every point of the route."""
    from_address: str
    to_address: str


@dataclass(frozen=True, slots=True)
class TransportRun:
    """One vehicle carrying victims between a house and a work site, apart from the convoy.

    The people carrier brings the workers back to House 1 late on every convoy day, and the van
    takes House 3's occupants to a night shift at the food factory on Saturday nights and back on
    Sunday mornings.
    """

    date: date
    """Local (UK) date of departure."""
    vrm: str
    driver: str
    """Person id of the vehicle's usual driver."""
    purpose: str
    depart: datetime
    arrive: datetime
    from_address: str
    to_address: str
    passengers: tuple[str, ...]
    """Person ids of the victims carried."""


@dataclass(frozen=True, slots=True)
class ExhibitCounts:
    """Expected rows per canonical table: ``calls`` counts voice rows including forwarded calls."""

    calls: int
    messages: int
    data_sessions: int


@dataclass(frozen=True, slots=True)
class AnomalyLocators:
    """1-based spreadsheet row numbers (header row counted) of rows an ingest must flag, by kind.

    In the core case these are exactly the deliberate anomalies. A bulk network-b return may
    also hold ordinary events that happen to fall in the repeated hour of 25 October; they are
    listed under ``ambiguous_time`` too, because an ingest must flag them all the same.
    """

    ambiguous_time: tuple[int, ...] = ()
    nonexistent_time: tuple[int, ...] = ()
    outside_window: tuple[int, ...] = ()
    luhn_failure: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AnomalyDetail:
    """One anomalous row explained: what is wrong, and the true UTC instant of the event."""

    kind: str
    row: int
    true_start: datetime
    written: str
    note: str


@dataclass(frozen=True, slots=True)
class ExhibitTruth:
    """One exhibit file and what an ingest of it must find."""

    reference: str
    filename: str
    kind: str
    """``cdr``, ``cell-list``, ``anpr-cameras`` (a camera list) or ``anpr-reads`` (an ANPR read
    export, whose ``layout`` is the ``anpr`` parser's profile)."""
    layout: str
    provider: str
    producer: str
    description: str
    target_msisdn: str | None
    target_person: str | None
    """Person id of the target line's user; ``SH`` for the victims' shared phone; ``None`` for
    the bulk lines of a scale extension and for lists and ANPR exhibits."""
    authorisation: str | None
    window_start: datetime | None
    window_end: datetime | None
    """Last authorised second (inclusive), UTC."""
    time_basis: str
    """``UTC``, ``UK local`` (GMT in winter, BST in summer) or ``none`` (lists)."""
    rows: int
    """Data rows, header and preamble excluded."""
    first_data_row: int
    """1-based spreadsheet row of the first data row (2 for CSV, 5 for network-c)."""
    counts: ExhibitCounts
    anomalies: AnomalyLocators
    anomaly_details: tuple[AnomalyDetail, ...]
    sha256: str


@dataclass(frozen=True, slots=True)
class PairCount:
    """Communications between two people seen in at least one CDR exhibit.

    ``calls`` and ``messages`` count distinct communications (a call between two target lines
    appears in both returns but counts once); ``call_rows`` and ``message_rows`` count exhibit rows.
    Forwarded calls are not counted.
    """

    person_a: str
    person_b: str
    calls: int
    messages: int
    call_rows: int
    message_rows: int


@dataclass(frozen=True, slots=True)
class ExtensionTruth:
    """The background network added when ``scale`` is given, in summary."""

    target_lines: int
    rows: int
    first_reference: str
    last_reference: str


@dataclass(frozen=True, slots=True)
class PhoneContactTruth:
    """An address-book entry on a seized handset: the name as saved and whose number it is.

    The same person saved under different names on different handsets (the controller is
    "Avi boss" on three and "A" / "A old" on a fourth) is what link analysis must recover.
    """

    name: str
    msisdns: tuple[str, ...]
    """E.164 numbers of the entry, in the order saved."""
    person: str | None
    """Person id (``SH`` for the victims' shared phone); ``None`` for family and businesses."""


@dataclass(frozen=True, slots=True)
class PhoneThreadTruth:
    """A conversation on a seized handset."""

    key: str
    """The same on every handset holding the conversation (``sms-P01-P02``, ``wa-P02-P04``)."""
    app: str
    """``SMS`` or ``WhatsApp``."""
    counterpart: str
    counterpart_msisdn: str
    own_msisdn: str
    language: str
    deleted: bool
    deleted_how: str
    """How the deletion shows in the download; empty when the thread is intact."""
    messages: int
    first: datetime
    last: datetime
    bodies: tuple[str, ...]
    """Message texts in time order."""


@dataclass(frozen=True, slots=True)
class PhoneDownloadTruth:
    """A seized handset's download: what it is, whose it was, and what an ingest must find.

    ``calls`` counts call-log entries; every one is a story call also present in the network
    return of that number when a return covers it. ``messages`` counts every message (SMS and
    WhatsApp), deleted ones included; ``deleted_messages`` those of deleted threads.
    """

    reference: str
    filename: str
    file_format: str
    """``ufdr``, ``xry_text`` or ``phone_fs``."""
    parser: str
    title: str
    description: str
    producer: str
    owner: str
    owner_role: str
    imei: str
    manufacturer: str
    model: str
    os: str
    msisdn: str
    imsi: str
    seized_at: datetime
    seized_from: str
    """Address id."""
    extracted_at: datetime
    tool: str
    calls: int
    messages: int
    deleted_messages: int
    contacts: tuple[PhoneContactTruth, ...]
    threads: tuple[PhoneThreadTruth, ...]
    media: tuple[str, ...]
    """Paths inside the download of the photo files."""
    sha256: str


@dataclass(frozen=True, slots=True)
class AnprCameraTruth:
    """An ANPR camera of the case, as the camera list gives it, and how many reads it made."""

    camera_id: str
    site_name: str
    road: str
    direction: str
    """The carriageway direction as the camera list writes it (``Both``, ``Eastbound`` ...)."""
    latitude: float
    longitude: float
    traffic: str
    """``busy``, ``moderate`` or ``quiet`` road, or ``site`` (an estate's gate camera)."""
    exhibit: str
    """Reference of the read export holding this camera's reads."""
    reads: int


@dataclass(frozen=True, slots=True)
class AnprJourneyTruth:
    """A journey as the cameras read it: which cameras, in order, and when.

    ``kind`` is ``convoy`` (the two vehicles of a :class:`ConvoyTrip`), ``transport`` (a
    :class:`TransportRun`) or ``background-pair`` (two ordinary vehicles that happen to pass two
    busy cameras together on one day). ``times`` are the first vehicle's reads; each later vehicle
    was read ``gap_seconds`` after it at every camera.
    """

    kind: str
    label: str
    date: date
    """Local (UK) date of the journey."""
    vrms: tuple[str, ...]
    """The marks on the vehicles (the lead first); a read may misread them (see misreads)."""
    gap_seconds: int
    from_address: str | None
    to_address: str | None
    cameras: tuple[str, ...]
    times: tuple[datetime, ...]


@dataclass(frozen=True, slots=True)
class AnprReadTruth:
    """One ANPR read singled out: a misread mark or a low OCR confidence."""

    exhibit: str
    row: int
    """1-based spreadsheet row, header counted."""
    camera_id: str
    vrm: str
    """The mark on the vehicle."""
    vrm_read: str
    """The mark as the camera read it and the export writes it."""
    read_utc: datetime
    confidence: float


@dataclass(frozen=True, slots=True)
class AnprTruth:
    """The case's ANPR evidence: cameras, journeys as read, misreads and the traffic around them."""

    producer: str
    cameras: tuple[AnprCameraTruth, ...]
    journeys: tuple[AnprJourneyTruth, ...]
    """Convoy trips, transport runs and background pairs as read, in time order."""
    misreads: tuple[AnprReadTruth, ...]
    low_confidence: tuple[AnprReadTruth, ...]
    """Reads of the case's vehicles with a correct mark and a low OCR confidence."""
    background_vehicles: int
    """Distinct marks of ordinary traffic read (misreads not counted)."""
    reads: int
    """Reads in all the read exports."""


@dataclass(frozen=True, slots=True)
class VehiclePhoneRun:
    """One run of a vehicle on which a phone in it has records in a network return."""

    date: date
    """Local (UK) date of departure."""
    kind: str
    """``convoy`` (a :class:`ConvoyTrip`) or ``transport`` (a :class:`TransportRun`)."""
    depart: datetime
    arrive: datetime
    cameras: tuple[str, ...]
    """The cameras that read the vehicle on the run, in order (see :attr:`AnprTruth.journeys`)."""
    rows: tuple[int, ...]
    """1-based spreadsheet rows (header counted) of the return's records that started during the
    drive; each names the cells serving the point of the route the vehicle had reached."""
    starts: tuple[datetime, ...]
    """When each of those records started (UTC), in row order."""


@dataclass(frozen=True, slots=True)
class VehiclePhoneTruth:
    """A phone that travelled in a vehicle: a number whose network return places it on the cells
    along the vehicle's route while the cameras read the vehicle.

    The driver P04's number moves with the people carrier he drives on every convoy morning and
    evening return (DC/5's window, June to September): on each drive his phone has three or four
    short data sessions, each within about 90 seconds of the carrier passing a camera, on a cell of
    the mast nearest the road there (sometimes the second nearest). The van follows the carrier on
    convoy mornings only, so it passes the same cameras then but never on the evening returns.
    A passenger's phone (V03's, in DC/8) is listed for the runs on which it happened to make a
    record during the drive.
    """

    vrm: str
    msisdn: str
    person: str
    role: str
    """``driver`` or ``passenger``."""
    exhibit: str
    """Reference of the return holding the records (e.g. ``DC/5``)."""
    runs: tuple[VehiclePhoneRun, ...]
    """In time order: only runs inside the return's window with at least one such record."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Sizes of the whole generated data set."""

    cdr_exhibits: int
    cdr_rows: int
    distinct_numbers: int
    distinct_imeis: int
    cells: int


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Everything the generator knows about the case it wrote."""

    schema_version: int
    generator: str
    seed: int
    scale: int | None
    case: CaseTruth
    people: tuple[PersonTruth, ...]
    addresses: tuple[AddressTruth, ...]
    numbers: tuple[NumberTruth, ...]
    services: tuple[ServiceTruth, ...]
    handsets: tuple[HandsetTruth, ...]
    sims: tuple[SimTruth, ...]
    successor: SuccessorTruth
    vehicles: tuple[VehicleTruth, ...]
    convoy_trips: tuple[ConvoyTrip, ...]
    exhibits: tuple[ExhibitTruth, ...]
    contacts: tuple[PairCount, ...]
    extension: ExtensionTruth | None
    totals: Totals
    phone_downloads: tuple[PhoneDownloadTruth, ...]
    transport_runs: tuple[TransportRun, ...]
    anpr: AnprTruth
    vehicle_phones: tuple[VehiclePhoneTruth, ...]
    """Which numbers moved with which vehicle, and on which runs, as the returns show it."""

    def exhibit(self, reference: str) -> ExhibitTruth:
        """Return the exhibit with this reference (e.g. ``DC/3``)."""
        for item in self.exhibits:
            if item.reference == reference:
                return item
        raise KeyError(reference)

    def phone_download(self, reference: str) -> PhoneDownloadTruth:
        """Return the handset download with this reference (e.g. ``MC/1``)."""
        for item in self.phone_downloads:
            if item.reference == reference:
                return item
        raise KeyError(reference)

    def person(self, person_id: str) -> PersonTruth:
        """Return the person with this id (e.g. ``P01``)."""
        for item in self.people:
            if item.id == person_id:
                return item
        raise KeyError(person_id)

    def to_json(self) -> str:
        """Return the ground truth as indented JSON text (stable: same truth, same text)."""
        return json.dumps(_encode(self), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> GroundTruth:
        """Read ground truth written by :meth:`to_json`.

        Raises:
            ValueError: the text is not ground truth of this schema version.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not ground truth of schema version {SCHEMA_VERSION}")
        result = _decode(cls, data)
        assert isinstance(result, GroundTruth)
        return result


def _encode(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(annotation: Any, data: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return None if data is None else _decode(options[0], data)
    if origin is tuple:
        item_type = typing.get_args(annotation)[0]
        return tuple(_decode(item_type, item) for item in data)
    if annotation is datetime:
        return datetime.strptime(data, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if annotation is date:
        return date.fromisoformat(data)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        hints = typing.get_type_hints(annotation)
        kwargs = {
            f.name: _decode(hints[f.name], data[f.name]) for f in dataclasses.fields(annotation)
        }
        return annotation(**kwargs)
    if annotation is float and isinstance(data, int):
        return float(data)
    return data
