"""The canonical evidence schema: the tables every parser writes into.

Each exhibit's normalised rows are written once, per canonical table, to the evidence store
(design.md "Storage"). This module declares those tables as data: names, column types and what
each column means. The store turns the declaration into Parquet/Arrow schemas;
``docs/evidence-schema.md`` is generated from it by :func:`render_markdown` (a test keeps the two
in step).

Rules every table follows:

* Provenance columns first: ``row_id`` (deterministic, see :func:`threadline.model.ids.row_id`),
  ``exhibit_id``, ``locator`` (the place in the exhibit, e.g. ``row=1842``) and ``parser``
  (``name@version``). Every row traces back to its exhibit (requirement 20).
* Anything normalised keeps its original beside it as ``<column>_original`` (requirement 22 for
  times, 59 for numbers, 24 for IMEIs). Nothing is dropped silently: a value that cannot be
  normalised leaves the normalised column empty, keeps the original and raises an ingest issue.
* Times are UTC. Because a local time in the repeated hour has two readings and one in the
  spring gap has none, each time is five columns: ``<t>_utc`` (set only when exact),
  ``<t>_earliest_utc`` and ``<t>_latest_utc`` (the possible range, equal when exact),
  ``<t>_status`` (:class:`threadline.model.time_basis.TimeStatus`) and ``<t>_original``; plus the
  row's declared ``time_basis``. The time is never guessed (requirement 22).

Phone downloads fill contacts, devices, accounts, locations and media as well as calls and
messages; the ANPR parsers fill ANPR reads and the camera list (issue 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """The logical type of an evidence column."""

    STRING = "string"
    INT64 = "int64"
    FLOAT64 = "float64"
    BOOL = "bool"
    TIMESTAMP = "timestamp"  # UTC instant, microsecond precision


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: ColumnType
    doc: str


@dataclass(frozen=True, slots=True)
class Table:
    """One canonical evidence table."""

    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the named column; KeyError if the table has none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name}")


S, I, F, B, T = (  # noqa: E741 - short names keep the table declarations readable
    ColumnType.STRING,
    ColumnType.INT64,
    ColumnType.FLOAT64,
    ColumnType.BOOL,
    ColumnType.TIMESTAMP,
)


def _provenance() -> tuple[Column, ...]:
    return (
        Column(
            "row_id",
            S,
            "Identifier of the source record: hash of exhibit and locator (the same in "
            "source_rows).",
        ),
        Column("exhibit_id", S, "Identifier of the exhibit the row came from."),
        Column("locator", S, "Where in the exhibit: 'row=N' (spreadsheet row, header counted)."),
        Column("parser", S, "Parser and version that produced the row, 'name@version'."),
    )


def _time(prefix: str, what: str) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_utc", T, f"{what} in UTC; empty unless the time is exact."),
        Column(f"{prefix}_earliest_utc", T, f"Earliest possible UTC reading of the {what}."),
        Column(f"{prefix}_latest_utc", T, f"Latest possible UTC reading of the {what}."),
        Column(
            f"{prefix}_status",
            S,
            "exact, ambiguous (repeated hour), nonexistent (spring gap), zone_unknown (a "
            "wall-clock time with no zone: the range spans UTC-12 to UTC+14), unparsed or "
            "out_of_range (a placeholder year such as 0001 or 9999).",
        ),
        Column(f"{prefix}_original", S, f"The {what} exactly as the source wrote it."),
    )


def _party(prefix: str, what: str) -> tuple[Column, ...]:
    return (
        Column(prefix, S, f"{what}, E.164 (+44...) where it normalises; else empty."),
        Column(f"{prefix}_original", S, f"{what} exactly as the source wrote it."),
    )


def _handset() -> tuple[Column, ...]:
    return (
        Column("imei", S, "IMEI digits as given (14, 15 or 16 for IMEISV), separators removed."),
        Column("imei_key", S, "First 14 digits of the IMEI: the key devices match on (req. 24)."),
        Column("imei_original", S, "IMEI exactly as the source wrote it."),
        Column("imsi", S, "IMSI digits (MCC+MNC+MSIN)."),
        Column("imsi_original", S, "IMSI exactly as the source wrote it."),
    )


def _cells() -> tuple[Column, ...]:
    return (
        Column("start_cell", S, "Cell at the start, 'MCC-MNC-LAC/TAC-CI' (CGI/ECGI/NCGI)."),
        Column("start_cell_original", S, "Start cell exactly as the source wrote it."),
        Column("end_cell", S, "Cell at the end, same form as start_cell."),
        Column("end_cell_original", S, "End cell exactly as the source wrote it."),
    )


def _device_state() -> tuple[Column, ...]:
    return (
        Column("source_app", S, "Application that held the record (phone downloads)."),
        Column("deleted_state", S, "intact, deleted or unknown, as the extraction reported."),
    )


CALLS = Table(
    "calls",
    "Voice calls: network CDR voice records and handset call logs.",
    (
        *_provenance(),
        Column("record_type_original", S, "Record or event type code exactly as given (MOC...)."),
        Column("direction", S, "outgoing, incoming, forwarded, missed or unknown."),
        *_party("a_party", "Calling party (A)"),
        *_party("b_party", "Called party (B)"),
        *_party("c_party", "Forwarded-to or dialled party (C)"),
        Column(
            "target_role",
            S,
            "Which party is the exhibit's target number (for a phone download, the handset's "
            "owner): a, b, c or empty.",
        ),
        *_time("start", "start time"),
        *_time("end", "end time"),
        Column("duration_s", I, "Duration in seconds (see duration_basis)."),
        Column("duration_original", S, "Duration exactly as the source wrote it."),
        Column("duration_basis", S, "What the duration measures, as the profile declares it."),
        *_handset(),
        *_cells(),
        Column("time_basis", S, "The time basis the source's times were declared in."),
        *_device_state(),
    ),
)

MESSAGES = Table(
    "messages",
    "SMS, MMS and instant messages: network CDR SMS records and handset messages.",
    (
        *_provenance(),
        Column("record_type_original", S, "Record or event type code exactly as given."),
        Column("message_type", S, "sms, mms or im."),
        Column("direction", S, "outgoing, incoming or unknown."),
        *_party("a_party", "Sender (A)"),
        *_party("b_party", "Recipient (B)"),
        Column(
            "target_role",
            S,
            "Which party is the exhibit's target number (for a phone download, the handset's "
            "owner): a, b or empty.",
        ),
        *_time("sent", "send time"),
        Column("body", S, "Message text where the source holds it (never in CDRs)."),
        *_handset(),
        Column("cell", S, "Serving cell, 'MCC-MNC-LAC/TAC-CI'."),
        Column("cell_original", S, "Serving cell exactly as the source wrote it."),
        Column("thread", S, "Conversation or chat identifier in the source."),
        Column("time_basis", S, "The time basis the source's times were declared in."),
        *_device_state(),
        Column("a_party_name", S, "Sender's name as the source shows it (phone downloads)."),
        Column("thread_name", S, "Conversation or group name as the source shows it."),
        Column(
            "participants",
            S,
            "Everyone in the conversation, identifiers as the source wrote them, '; '-separated.",
        ),
        Column(
            "attachments",
            S,
            "Attached files: paths inside the exhibit (see media), '; '-separated.",
        ),
    ),
)

DATA_SESSIONS = Table(
    "data_sessions",
    "Mobile data (GPRS/3G/4G/5G) records. The device used the cell at or before the record time "
    "(requirement 26).",
    (
        *_provenance(),
        Column("record_type_original", S, "Record or event type code exactly as given."),
        *_party("party", "The subscriber's number"),
        *_time("start", "session start"),
        *_time("end", "session end"),
        Column("duration_s", I, "Duration in seconds."),
        Column("duration_original", S, "Duration exactly as the source wrote it."),
        *_handset(),
        *_cells(),
        Column("apn", S, "Access point name."),
        Column("bytes_up", I, "Bytes sent by the device."),
        Column("bytes_down", I, "Bytes received by the device."),
        Column("charging_id", S, "Charging ID: partial records of one session share it."),
        Column("time_basis", S, "The time basis the source's times were declared in."),
    ),
)

CONTACTS = Table(
    "contacts",
    "Address-book entries from handsets and vCards.",
    (
        *_provenance(),
        Column("name", S, "Display name as stored."),
        *_party("number", "Phone number"),
        Column("email", S, "E-mail address."),
        Column("account", S, "Account identifier for app contacts."),
        *_device_state(),
    ),
)

DEVICES = Table(
    "devices",
    "Handsets and SIMs described by an exhibit (device information, SIM data).",
    (
        *_provenance(),
        *_handset(),
        Column("iccid", S, "SIM serial (ICCID)."),
        *_party("msisdn", "Subscriber number"),
        Column("manufacturer", S, "Handset manufacturer."),
        Column("model", S, "Handset model."),
        Column("os", S, "Operating system and version."),
        Column(
            "extraction",
            S,
            "How the data was extracted: tool, version and type (e.g. 'UFED 7.60; Physical').",
        ),
        Column("owner_name", S, "The device owner's name as the extraction recorded it."),
    ),
)

ACCOUNTS = Table(
    "accounts",
    "User accounts found on a device or in a return (messaging apps, e-mail, social media).",
    (
        *_provenance(),
        Column("service", S, "Service or application (e.g. WhatsApp)."),
        Column("account_id", S, "Identifier within the service."),
        Column("username", S, "User name."),
        Column("display_name", S, "Display name."),
        *_party("number", "Phone number tied to the account"),
        Column("email", S, "E-mail address tied to the account."),
    ),
)

LOCATIONS = Table(
    "locations",
    "Positions recorded by a device or a service.",
    (
        *_provenance(),
        *_time("at", "time of the fix"),
        Column("latitude", F, "WGS84 latitude."),
        Column("longitude", F, "WGS84 longitude."),
        Column("accuracy_m", F, "Stated accuracy in metres."),
        Column("source_app", S, "Application or service that recorded it."),
        Column("time_basis", S, "The time basis the source's times were declared in."),
        Column("deleted_state", S, "intact, deleted or unknown, as the extraction reported."),
    ),
)

MEDIA = Table(
    "media",
    "Files from a phone download (photos, videos, audio, documents): hashes, type read from the "
    "content, and the time, place and camera the file's own metadata records. Shown blurred "
    "until the user reveals it (examiner welfare).",
    (
        *_provenance(),
        Column("path", S, "Path of the file inside the exhibit (report folder or extraction)."),
        Column("original_path", S, "Path on the device, as the extraction recorded it."),
        Column("file_name", S, "File name."),
        Column("size_bytes", I, "Size in bytes."),
        Column("sha256", S, "SHA-256 of the file's bytes (hex)."),
        Column("md5", S, "MD5 of the file's bytes (hex), for hash-set matching."),
        Column("mime_type", S, "Type read from the file's content, not its name."),
        *_time("taken", "time the file's metadata records (EXIF original time)"),
        Column("latitude", F, "WGS84 latitude from the file's metadata (EXIF GPS)."),
        Column("longitude", F, "WGS84 longitude from the file's metadata (EXIF GPS)."),
        Column("camera_make", S, "Camera or handset make (EXIF)."),
        Column("camera_model", S, "Camera or handset model (EXIF)."),
        Column("time_basis", S, "How the zone of the taken time was known."),
        *_device_state(),
    ),
)

CELL_SITES = Table(
    "cell_sites",
    "Cell reference data: operator cell lists (mast positions, azimuths) and crowd-sourced "
    "approximations. Plotting a mast is fact; saying a phone was served from a place is opinion "
    "(requirement 25).",
    (
        *_provenance(),
        Column("cell_id", S, "Cell, 'MCC-MNC-LAC/TAC-CI'."),
        Column("cell_id_original", S, "Cell exactly as the source wrote it."),
        Column("mcc", S, "Mobile country code."),
        Column("mnc", S, "Mobile network code."),
        Column("area", I, "LAC (2G/3G) or TAC (4G/5G)."),
        Column("cell", I, "Cell identity (CI, UTRAN cell id, ECI or NCI)."),
        Column("technology", S, "GSM, UMTS, LTE or NR."),
        Column("site_name", S, "Operator site name."),
        Column("address", S, "Site address."),
        Column("postcode", S, "Site postcode, 'OUTWARD INWARD'."),
        Column("postcode_original", S, "Site postcode exactly as the source wrote it."),
        Column("latitude", F, "WGS84 latitude of the site or estimate."),
        Column("longitude", F, "WGS84 longitude of the site or estimate."),
        Column("easting", F, "British National Grid easting, where given."),
        Column("northing", F, "British National Grid northing, where given."),
        Column("azimuth", F, "Antenna bearing in degrees from north."),
        Column("beamwidth", F, "Horizontal beamwidth in degrees."),
        Column("range_m", F, "Estimated range in metres (crowd-sourced data)."),
        Column("samples", I, "Number of measurements behind a crowd-sourced estimate."),
        Column(
            "position_basis",
            S,
            "operator (mast position from the network) or crowd-sourced-approximate.",
        ),
    ),
)

ANPR_READS = Table(
    "anpr_reads",
    "ANPR camera reads of vehicle registration marks. A read is of a plate, not of a vehicle or "
    "its driver: plates are misread (0/O, 1/I) and cloned, so a read says a camera read this "
    "text at this time, no more.",
    (
        *_provenance(),
        Column(
            "vrm",
            S,
            "VRM normalised: upper case, no spaces, hyphens or dots (requirement 61); empty when "
            "the text read cannot be a registration mark. Never fuzzy-matched.",
        ),
        Column("vrm_original", S, "VRM exactly as read."),
        Column(
            "vrm_format",
            S,
            "Format of the mark: current, prefix, suffix, q_plate, dateless, northern_ireland, "
            "diplomatic, or unknown (foreign plates, misreads, private shapes).",
        ),
        *_time("read", "read time"),
        Column(
            "camera_id",
            S,
            "Camera identifier as the export gives it (joins anpr_cameras.camera_id).",
        ),
        Column("camera_name", S, "Camera site description."),
        Column("latitude", F, "WGS84 latitude of the camera, where the export gives it."),
        Column("longitude", F, "WGS84 longitude of the camera, where the export gives it."),
        Column(
            "direction",
            S,
            "Direction of travel: N, NE, E, SE, S, SW, W or NW, or towards/away (relative to "
            "the camera); empty when not given or not understood.",
        ),
        Column("direction_original", S, "Direction exactly as the source wrote it."),
        Column("lane", S, "Lane."),
        Column("confidence", F, "OCR confidence of the read, 0 to 100, as the export gives it."),
        Column("time_basis", S, "The time basis the source's times were declared in."),
    ),
)

ANPR_CAMERAS = Table(
    "anpr_cameras",
    "ANPR camera reference data: where each camera stands and which carriageway it watches. "
    "Plotting a camera is fact; a read at it shows the camera read a plate there, not that a "
    "given vehicle or driver was there.",
    (
        *_provenance(),
        Column("camera_id", S, "Camera identifier as the list gives it (reads join on it)."),
        Column("site_name", S, "Camera or site name."),
        Column("road", S, "Road the camera watches."),
        Column(
            "direction",
            S,
            "Direction of the carriageway watched: N, NE, E, SE, S, SW, W or NW, or both; "
            "empty when not given or not understood.",
        ),
        Column("direction_original", S, "Direction exactly as the source wrote it."),
        Column(
            "latitude",
            F,
            "WGS84 latitude of the camera (converted from the grid reference when only that "
            "is usable).",
        ),
        Column("longitude", F, "WGS84 longitude of the camera."),
        Column("easting", F, "British National Grid easting, where given."),
        Column("northing", F, "British National Grid northing, where given."),
    ),
)

SOURCE_ROWS = Table(
    "source_rows",
    "Every source record of a tabular exhibit, exactly as read: the raw row (requirement 23).",
    (
        *_provenance(),
        Column("raw", S, "JSON object of source column name to the text as read."),
    ),
)

TABLES: tuple[Table, ...] = (
    CALLS,
    MESSAGES,
    DATA_SESSIONS,
    CONTACTS,
    DEVICES,
    ACCOUNTS,
    LOCATIONS,
    MEDIA,
    CELL_SITES,
    ANPR_READS,
    ANPR_CAMERAS,
    SOURCE_ROWS,
)

#: Version of the evidence schema; bump when a table or column changes meaning.
SCHEMA_VERSION = "3"


def table(name: str) -> Table:
    """Return the canonical table called ``name``.

    Raises:
        KeyError: there is no such table; the message lists them.
    """
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no evidence table {name!r}; tables: {', '.join(t.name for t in TABLES)}")


def render_markdown() -> str:
    """The evidence schema as Markdown: the text of ``docs/evidence-schema.md``."""
    lines = [
        "# Evidence tables",
        "",
        "Generated from `threadline.model.evidence_schema` (schema version "
        f"{SCHEMA_VERSION}); do not edit by hand. Query them with "
        '`threadline sql --case REF "SELECT ..."` (read-only; logged as a consultation).',
        "",
        "Every row carries its provenance: `row_id`, `exhibit_id`, `locator` and `parser`. Times "
        "are UTC; a time that cannot be resolved exactly keeps its possible range "
        "(`*_earliest_utc`, `*_latest_utc`) and its `*_status`. Anything normalised keeps its "
        "original in `*_original`.",
        "",
    ]
    for t in TABLES:
        lines += [f"## `{t.name}`", "", t.doc, "", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type.value} | {c.doc} |" for c in t.columns]
        lines.append("")
    return "\n".join(lines)
