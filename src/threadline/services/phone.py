"""Phone downloads: one exhibit's handset data as an examiner reads it.

A phone download (a Cellebrite report, an XRY export, a handset database, a file-system
extraction) fills the canonical tables with the handset's devices, contacts, calls, messages,
locations and media. This module reads one exhibit's rows back for the web views: the device
summary, paged lists of each table, messages grouped into conversations, and the media files,
whose bytes it serves from the preserved exhibit only when a user asks to see one (examiner
welfare: nothing is shown until it is revealed).

Rules every view keeps:

* **Provenance one step away** (requirements 20, 23): every row carries its ``row_id`` and
  locator, so a page links it to the record view with its exhibit, parser and raw source row.
* **Times are never guessed** (requirement 22): each time is an :class:`EventTime`; a wall-clock
  time with no zone (``zone_unknown``) keeps its range and is placed by its earliest reading, as
  on the timeline. A conversation's first and last times are exact times only; messages whose
  time is not exact are counted, with the whole range they could fall in.
* **Every view is a consultation** (requirement 15): each call logs the rows it returned; each
  reveal of a media file logs that record.
* **The original is never changed** (requirement 16): a media file is read from the preserved
  exhibit (through :func:`threadline.ingest.containers.open_container`, which refuses traversal
  and bombs), and its SHA-256 must equal the one its row records before a byte is served.

The evidence is read with DuckDB over the case's files of each table, filtered on the exhibit,
so the evidence store's read copy serves the query when it is current.
"""

from __future__ import annotations

import contextlib
import hashlib
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final

from sqlalchemy import select

from threadline.errors import ConfigError, HostileInput, IntegrityError, NotFound
from threadline.ingest.containers import (
    ContainerLimits,
    is_tar,
    open_container,
    safe_member_name,
)
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import EVENT_TIMES
from threadline.services.cases import find_case
from threadline.services.entities import (
    CaseEvidence,
    EventTime,
    event_time,
    read_case_evidence,
    run_select,
    time_select,
)
from threadline.services.exhibits import find_exhibit, preserved_path
from threadline.services.workspace import Workspace
from threadline.store.tables import IngestRunRow

__all__ = [
    "DEVICE_TABLES",
    "LIST_TABLES",
    "MAX_LIMIT",
    "PHONE_TABLES",
    "Attachment",
    "ConversationMessage",
    "ConversationPage",
    "MediaContent",
    "MediaItem",
    "MediaPage",
    "PhoneRow",
    "PhoneSummary",
    "RowsPage",
    "Thread",
    "ThreadsPage",
    "conversation",
    "is_phone_download",
    "list_media",
    "list_rows",
    "list_threads",
    "phone_counts",
    "phone_summary",
    "reveal_media",
    "served_type",
]

#: The canonical tables a phone download fills, as the views show them.
PHONE_TABLES: Final = ("devices", "contacts", "calls", "messages", "locations", "media")

#: Tables only a handset (or a contact card) fills: an exhibit with rows in one of them, or read
#: by a parser that declares one, is a phone download. Calls and messages alone are not: a
#: network return has those too.
DEVICE_TABLES: Final = frozenset({"devices", "contacts", "media", "accounts"})

#: Tables listed as plain paged tables (messages and media have views of their own).
LIST_TABLES: Final = ("devices", "contacts", "calls", "locations")

#: The most rows one page may hold.
MAX_LIMIT: Final = 500

#: Media types a browser is allowed to show inline; anything else is sent as a download.
_INLINE_PREFIXES: Final = ("image/", "video/", "audio/")

#: Inline types refused all the same: a browser runs scripts inside SVG and XML documents.
_NEVER_INLINE: Final = ("image/svg+xml",)

#: Bytes of a media file kept in memory while it is hashed before serving; more spill to disk.
_SPOOL_BYTES: Final = 8 * 1024 * 1024
_CHUNK: Final = 1024 * 1024

#: Columns of each listed table (beyond provenance and time), as (key, SQL expression).
_COLUMNS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "devices": (
        ("manufacturer", "manufacturer"),
        ("model", "model"),
        ("os", "os"),
        ("imei", "coalesce(imei, imei_original)"),
        ("imsi", "coalesce(imsi, imsi_original)"),
        ("iccid", "iccid"),
        ("msisdn", "coalesce(msisdn, msisdn_original)"),
        ("owner_name", "owner_name"),
        ("extraction", "extraction"),
    ),
    "contacts": (
        ("name", "name"),
        ("number", "coalesce(number, number_original)"),
        ("email", "email"),
        ("account", "account"),
        ("source_app", "source_app"),
        ("deleted_state", "deleted_state"),
    ),
    "calls": (
        ("direction", "direction"),
        ("a_party", "coalesce(a_party, a_party_original)"),
        ("b_party", "coalesce(b_party, b_party_original)"),
        ("duration_s", "duration_s"),
        ("source_app", "source_app"),
        ("deleted_state", "deleted_state"),
    ),
    "locations": (
        ("latitude", "latitude"),
        ("longitude", "longitude"),
        ("accuracy_m", "accuracy_m"),
        ("source_app", "source_app"),
        ("deleted_state", "deleted_state"),
    ),
}

#: How each listed table is ordered: by time where it has one, else as written.
_ORDER: Final[dict[str, str]] = {
    "devices": "locator, row_id",
    "contacts": "name NULLS LAST, locator, row_id",
    "calls": "t_earliest NULLS LAST, locator, row_id",
    "locations": "t_earliest NULLS LAST, locator, row_id",
}

_SEPARATOR: Final = "; "


# --- what the views return --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ExhibitView:
    """What every view names first: the case and the exhibit it read.

    Attributes:
        case: the case reference.
        exhibit_id: the exhibit's id.
        exhibit: its reference.
    """

    case: str
    exhibit_id: str
    exhibit: str

    def _head(self) -> dict[str, Any]:
        """The first keys of every view's JSON output."""
        return {"case": self.case, "exhibit_id": self.exhibit_id, "exhibit": self.exhibit}


@dataclass(frozen=True, slots=True)
class _Listing(_ExhibitView):
    """A page of a list whose length is known: its total and the page's place in it."""

    total: int
    offset: int
    limit: int

    def _head(self) -> dict[str, Any]:
        """The first keys of the page's JSON output."""
        # not super(): a slotted dataclass is a new class, which zero-argument super() misses
        return {
            **_ExhibitView._head(self),
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
        }


@dataclass(frozen=True, slots=True)
class PhoneRow:
    """One row of a listed table.

    Attributes:
        row_id: the row's id (opens the record view: exhibit, locator, parser, source row).
        locator: where in the exhibit.
        values: the table's shown columns (see :data:`_COLUMNS`), by name; evidence text.
        time: the row's event time, for tables that have one.
    """

    row_id: str
    locator: str
    values: dict[str, Any]
    time: EventTime | None

    @property
    def deleted(self) -> bool:
        """Whether the extraction reported the row deleted."""
        return self.values.get("deleted_state") == "deleted"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "locator": self.locator,
            "values": self.values,
            "time": None if self.time is None else self.time.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class PhoneSummary(_ExhibitView):
    """The handset and what its download holds.

    Attributes:
        devices: the ``devices`` rows (handsets and SIMs described).
        counts: rows per table of :data:`PHONE_TABLES`, as the case store records them.
        threads: how many conversations the messages form.
    """

    devices: tuple[PhoneRow, ...]
    counts: dict[str, int]
    threads: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            **self._head(),
            "devices": [d.to_dict() for d in self.devices],
            "counts": dict(self.counts),
            "threads": self.threads,
        }


@dataclass(frozen=True, slots=True)
class RowsPage(_ExhibitView):
    """A page of one listed table of the exhibit (the table is named before the page)."""

    table: str
    total: int
    offset: int
    limit: int
    rows: tuple[PhoneRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            **self._head(),
            "table": self.table,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class Thread:
    """One conversation: the messages sharing a source thread (or, where the source records
    none, the same other party), within one app.

    Attributes:
        thread_id: an opaque id for addresses (a hash: the thread's key may hold numbers).
        source_app: the app the messages came from.
        thread: the source's conversation identifier, if it gave one.
        name: the conversation's name as the source shows it (latest given), if any.
        participants: everyone in it as the source wrote them (latest given), if recorded.
        counterpart: the other party, for a conversation keyed by party.
        messages: how many messages.
        deleted: how many of them the extraction reported deleted.
        first_utc: the earliest exact message time.
        last_utc: the latest exact message time.
        inexact: messages whose time is not exact (zone unknown, ambiguous, unreadable).
        earliest_utc: the earliest any message could have been sent (all messages).
        latest_utc: the latest any message could have been sent.
    """

    thread_id: str
    source_app: str | None
    thread: str | None
    name: str | None
    participants: str | None
    counterpart: str | None
    messages: int
    deleted: int
    first_utc: datetime | None
    last_utc: datetime | None
    inexact: int
    earliest_utc: datetime | None
    latest_utc: datetime | None

    @property
    def label(self) -> str:
        """How the conversation is named on a page."""
        return (
            self.name
            or self.participants
            or self.counterpart
            or self.thread
            or "(no conversation recorded)"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "thread_id": self.thread_id,
            "label": self.label,
            "source_app": self.source_app,
            "thread": self.thread,
            "name": self.name,
            "participants": self.participants,
            "counterpart": self.counterpart,
            "messages": self.messages,
            "deleted": self.deleted,
            "first_utc": _iso(self.first_utc),
            "last_utc": _iso(self.last_utc),
            "inexact": self.inexact,
            "earliest_utc": _iso(self.earliest_utc),
            "latest_utc": _iso(self.latest_utc),
        }


@dataclass(frozen=True, slots=True)
class ThreadsPage(_Listing):
    """A page of the exhibit's conversations, most recent first."""

    threads: tuple[Thread, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {**self._head(), "threads": [t.to_dict() for t in self.threads]}


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One media file, described without showing it.

    Attributes:
        row_id: the media row's id.
        locator: where in the exhibit the row came from.
        path: the file's path inside the exhibit (what a reveal reads).
        original_path: its path on the device.
        file_name: its name.
        size_bytes: its size.
        sha256: SHA-256 of its bytes (hex); a reveal serves only bytes that match it.
        md5: MD5 of its bytes (hex), for hash sets.
        mime_type: the type read from its content.
        time: when its metadata says it was taken.
        latitude: EXIF latitude.
        longitude: EXIF longitude.
        camera: camera make and model.
        deleted_state: intact, deleted or unknown.
    """

    row_id: str
    locator: str
    path: str | None
    original_path: str | None
    file_name: str | None
    size_bytes: int | None
    sha256: str | None
    md5: str | None
    mime_type: str | None
    time: EventTime
    latitude: float | None
    longitude: float | None
    camera: str | None
    deleted_state: str | None

    @property
    def kind(self) -> str:
        """``image``, ``video``, ``audio`` or ``other``: how a reveal shows it."""
        served = served_type(self.mime_type)
        return served.split("/", 1)[0] if served != "application/octet-stream" else "other"

    @property
    def deleted(self) -> bool:
        """Whether the extraction reported the file deleted."""
        return self.deleted_state == "deleted"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "locator": self.locator,
            "path": self.path,
            "original_path": self.original_path,
            "file_name": self.file_name,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "md5": self.md5,
            "mime_type": self.mime_type,
            "kind": self.kind,
            "time": self.time.to_dict(),
            "latitude": self.latitude,
            "longitude": self.longitude,
            "camera": self.camera,
            "deleted_state": self.deleted_state,
        }


@dataclass(frozen=True, slots=True)
class MediaPage(_Listing):
    """A page of the exhibit's media files."""

    items: tuple[MediaItem, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {**self._head(), "items": [i.to_dict() for i in self.items]}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message names: its path inside the exhibit, and its media row if there is one."""

    path: str
    media: MediaItem | None

    @property
    def file_name(self) -> str:
        """The last part of the path."""
        return PurePosixPath(self.path.replace("\\", "/")).name or self.path

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "path": self.path,
            "file_name": self.file_name,
            "media": None if self.media is None else self.media.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ConversationMessage:
    """One message of a conversation.

    Attributes:
        row_id: the message row's id.
        locator: where in the exhibit.
        outgoing: whether the handset's owner sent it (``target_role`` ``a``, or direction
            outgoing where no role is recorded).
        direction: outgoing, incoming or unknown, as recorded.
        sender_name: the sender's name as the source shows it.
        sender: the sender's number (E.164) or identifier as written.
        recipient: the recipient's number or identifier as written.
        body: the text.
        time: when it was sent.
        deleted_state: intact, deleted or unknown.
        message_type: sms, mms or im.
        attachments: the files it names.
    """

    row_id: str
    locator: str
    outgoing: bool
    direction: str | None
    sender_name: str | None
    sender: str | None
    recipient: str | None
    body: str | None
    time: EventTime
    deleted_state: str | None
    message_type: str | None
    attachments: tuple[Attachment, ...]

    @property
    def deleted(self) -> bool:
        """Whether the extraction reported the message deleted."""
        return self.deleted_state == "deleted"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "locator": self.locator,
            "outgoing": self.outgoing,
            "direction": self.direction,
            "sender_name": self.sender_name,
            "sender": self.sender,
            "recipient": self.recipient,
            "body": self.body,
            "time": self.time.to_dict(),
            "deleted_state": self.deleted_state,
            "message_type": self.message_type,
            "attachments": [a.to_dict() for a in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class ConversationPage(_ExhibitView):
    """A page of one conversation's messages, in time order (the thread gives the total)."""

    thread: Thread
    offset: int
    limit: int
    messages: tuple[ConversationMessage, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            **self._head(),
            "thread": self.thread.to_dict(),
            "total": self.thread.messages,
            "offset": self.offset,
            "limit": self.limit,
            "messages": [m.to_dict() for m in self.messages],
        }


@dataclass
class MediaContent:
    """A media file's verified bytes, ready to send; close it when sent.

    Attributes:
        data: the bytes, positioned at their start (a spooled temporary file).
        size: how many.
        content_type: the type to send them as (:func:`served_type`).
        inline: whether a browser may show them (image, video, audio), else a download.
        file_name: the name to offer.
        sha256: their SHA-256, equal to the media row's.
    """

    data: IO[bytes]
    size: int
    content_type: str
    inline: bool
    file_name: str
    sha256: str

    def chunks(self) -> Iterator[bytes]:
        """The bytes in chunks, closing the file at the end."""
        try:
            while block := self.data.read(_CHUNK):
                yield block
        finally:
            self.data.close()

    def close(self) -> None:
        """Release the temporary file."""
        self.data.close()


def served_type(mime_type: str | None) -> str:
    """The Content-Type a media file is served with: its own when it is an image, video or
    audio type a browser shows without running anything, else ``application/octet-stream``."""
    value = (mime_type or "").strip().lower()
    if (
        value.startswith(_INLINE_PREFIXES)
        and value not in _NEVER_INLINE
        and "xml" not in value
        and all(c.isalnum() or c in "/.+-" for c in value)
    ):
        return value
    return "application/octet-stream"


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Exhibit:
    evidence: CaseEvidence
    exhibit_id: str
    reference: str
    parser: str | None

    def head(self) -> tuple[str, str, str]:
        """The case reference, exhibit id and exhibit reference every view starts with."""
        return self.evidence.case_reference, self.exhibit_id, self.reference

    def count(self, table: str) -> int:
        """Rows of ``table`` in the exhibit's current ingest, as the case store records them."""
        return self.evidence.rows(table, [self.exhibit_id])

    def counts(self) -> dict[str, int]:
        """Rows per table of :data:`PHONE_TABLES`."""
        return {t: self.count(t) for t in PHONE_TABLES}


def _load(ws: Workspace, case_reference: str, exhibit_reference: str) -> _Exhibit:
    """The case's evidence files and the exhibit, in one short transaction.

    Raises:
        NotFound: no such case or exhibit.
    """
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
        row = find_exhibit(session, find_case(session, case_reference), exhibit_reference)
        parser = session.execute(
            select(IngestRunRow.parser)
            .where(IngestRunRow.exhibit_id == row.id, IngestRunRow.status == "complete")
            .order_by(IngestRunRow.finished_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _Exhibit(evidence, str(row.id), str(row.reference), parser)


def _consult(
    ws: Workspace, case_reference: str, exhibit_reference: str, justification: str | None
) -> _Exhibit:
    """The exhibit, once a consultation of it is allowed (a justification, where required, is
    checked before anything is read).

    Raises:
        NotFound: no such case or exhibit.
        PermissionDenied: a justification is required and missing.
    """
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    return _load(ws, case_reference, exhibit_reference)


def _declared_tables(ws: Workspace, parser_ref: str | None) -> frozenset[str]:
    """The tables the parser of the exhibit's ingest declares (none if it is not installed)."""
    if not parser_ref:
        return frozenset()
    try:
        return frozenset(ws.registry.get(parser_ref.split("@", 1)[0]).info.tables)
    except NotFound:
        return frozenset()


def is_phone_download(ws: Workspace, case_reference: str, exhibit_reference: str) -> bool:
    """Whether the exhibit's current ingest is a phone download (see :data:`DEVICE_TABLES`).

    Reads only the case store (which tables the ingest wrote), so it is not a consultation.

    Raises:
        NotFound: no such case or exhibit.
    """
    exhibit = _load(ws, case_reference, exhibit_reference)
    written = {table for table in DEVICE_TABLES if exhibit.count(table) > 0}
    return bool(written or DEVICE_TABLES & _declared_tables(ws, exhibit.parser))


def phone_counts(ws: Workspace, case_reference: str, exhibit_reference: str) -> dict[str, int]:
    """Rows per table of :data:`PHONE_TABLES` in the exhibit's current ingest, as the case store
    records them (counts only: not a consultation of evidence).

    Raises:
        NotFound: no such case or exhibit.
    """
    return _load(ws, case_reference, exhibit_reference).counts()


def _check_page(offset: int, limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be from 1 to {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise ConfigError(f"offset must not be negative, not {offset}")


def _check_hex_id(value: str, refusal: str) -> None:
    """Refuse (as not found) an id that is not 32 lower-case hex digits, before any read."""
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        raise NotFound(refusal)


def _select(
    ws: Workspace, exhibit: _Exhibit, tables: tuple[str, ...], sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run ``sql`` over the case's files of ``tables`` with ``$exhibit`` bound; [] without files.

    The case's files of each table are named whole (not the exhibit's alone) so that the read
    copy, made of all of them, serves the query when it is current; the exhibit filter prunes
    the other exhibits' Parquet files by their statistics otherwise.
    """
    files = exhibit.evidence.paths(tables)
    if tables[0] not in files:
        return []
    con = ws.evidence.connect(files)
    try:
        return run_select(con, sql, {"exhibit": exhibit.exhibit_id, **params})
    finally:
        con.close()


def _count(ws: Workspace, exhibit: _Exhibit, sql: str) -> int:
    """The ``n`` that ``sql`` (a count over the exhibit's messages) gives; 0 without messages."""
    found = _select(ws, exhibit, ("messages",), sql, {})
    return int(found[0]["n"]) if found else 0


def _time(r: dict[str, Any]) -> EventTime:
    return event_time(
        r["t_status"], r["t_utc"], r["t_earliest"], r["t_latest"], r["t_original"], r["time_basis"]
    )


def _rows(ws: Workspace, exhibit: _Exhibit, table: str, offset: int, limit: int) -> list[PhoneRow]:
    columns = ", ".join(f"{expr} AS {key}" for key, expr in _COLUMNS[table])
    timed = table in EVENT_TIMES
    sql = (
        f"SELECT row_id, locator, {columns}"
        + (f", {time_select(table)}" if timed else "")
        + f" FROM {table} WHERE exhibit_id = $exhibit ORDER BY {_ORDER[table]}"
        + " LIMIT $limit OFFSET $offset"
    )
    found = _select(ws, exhibit, (table,), sql, {"limit": limit, "offset": offset})
    return [
        PhoneRow(
            row_id=r["row_id"],
            locator=r["locator"],
            values={key: r[key] for key, _ in _COLUMNS[table]},
            time=_time(r) if timed else None,
        )
        for r in found
    ]


def _audit(
    ws: Workspace,
    exhibit: _Exhibit,
    action: str,
    detail: dict[str, Any],
    justification: str | None,
    *,
    object_type: str = "exhibit",
    object_id: str | None = None,
) -> None:
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            action,
            case_id=exhibit.evidence.case_id,
            object_type=object_type,
            object_id=object_id or exhibit.exhibit_id,
            detail={"exhibit": exhibit.reference, **detail},
            justification=justification,
        )


def phone_summary(
    ws: Workspace, case_reference: str, exhibit_reference: str, *, justification: str | None = None
) -> PhoneSummary:
    """The exhibit's device rows and how many rows each phone table holds; logged as a
    consultation of the device rows.

    Raises:
        NotFound: no such case or exhibit.
        PermissionDenied: a justification is required and missing (checked before reading).
        StoreError: the evidence cannot be read.
    """
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    devices = _rows(ws, exhibit, "devices", 0, MAX_LIMIT)
    counts = exhibit.counts()
    threads = 0
    if counts["messages"]:
        threads = _count(
            ws,
            exhibit,
            f"SELECT count(DISTINCT {_thread_key()}) AS n FROM messages "
            "WHERE exhibit_id = $exhibit",
        )
    _audit(ws, exhibit, "phone.summary", {"row_ids": [d.row_id for d in devices]}, justification)
    return PhoneSummary(*exhibit.head(), tuple(devices), counts, threads)


def list_rows(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    table: str,
    *,
    offset: int = 0,
    limit: int = 100,
    justification: str | None = None,
) -> RowsPage:
    """A page of one of the exhibit's :data:`LIST_TABLES`; logged as a consultation of the rows.

    Contacts are in name order; calls and locations in time order (exact time or earliest
    reading; untimed last); devices as the exhibit lists them.

    Raises:
        ConfigError: not a listed table, or the page is out of range.
        NotFound: no such case or exhibit.
        PermissionDenied: a justification is required and missing.
        StoreError: the evidence cannot be read.
    """
    if table not in LIST_TABLES:
        raise ConfigError(f"{table!r} is not listed here; tables: {', '.join(LIST_TABLES)}")
    _check_page(offset, limit)
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    rows = _rows(ws, exhibit, table, offset, limit)
    _audit(
        ws,
        exhibit,
        "phone.rows",
        {"table": table, "offset": offset, "row_ids": [r.row_id for r in rows]},
        justification,
    )
    return RowsPage(*exhibit.head(), table, exhibit.count(table), offset, limit, tuple(rows))


# --- conversations --------------------------------------------------------------------------------


def _written(column: str) -> str:
    return f"coalesce({column}, nullif(trim({column}_original), ''))"


def _other_party() -> str:
    """SQL for the message's other party: the one that is not the handset's owner."""
    return (
        f"CASE WHEN target_role = 'a' THEN {_written('b_party')} "
        f"WHEN target_role = 'b' THEN {_written('a_party')} "
        f"WHEN direction = 'outgoing' THEN {_written('b_party')} "
        f"WHEN direction = 'incoming' THEN {_written('a_party')} END"
    )


def _thread_key() -> str:
    """SQL for the key that groups a message into its conversation.

    The source's thread identifier where it gives one; otherwise the other party; otherwise
    one group of messages with no conversation recorded. Always within the app, so that an
    SMS thread 1 and a WhatsApp thread 1 stay apart.
    """
    return (
        "concat_ws(chr(31), coalesce(source_app, ''), CASE "
        "WHEN nullif(trim(thread), '') IS NOT NULL THEN 'thread:' || thread "
        f"WHEN ({_other_party()}) IS NOT NULL THEN 'party:' || ({_other_party()}) "
        "ELSE 'none' END)"
    )


def _sort_time() -> str:
    return "coalesce(sent_utc, sent_earliest_utc)"


def _threads_sql(where: str) -> str:
    key = _thread_key()
    return (
        f"WITH m AS (SELECT *, {key} AS thread_key, {_other_party()} AS other, "
        f"{_sort_time()} AS sort_time FROM messages WHERE exhibit_id = $exhibit) "
        "SELECT md5(thread_key) AS thread_id, any_value(source_app) AS source_app, "
        "max(nullif(trim(thread), '')) AS thread, "
        "max_by(thread_name, sort_time) FILTER (WHERE nullif(trim(thread_name), '') IS NOT NULL)"
        " AS name, "
        "max_by(participants, sort_time) "
        "FILTER (WHERE nullif(trim(participants), '') IS NOT NULL) AS participants, "
        "CASE WHEN max(nullif(trim(thread), '')) IS NULL THEN max(other) END AS counterpart, "
        "count(*) AS messages, "
        "count(*) FILTER (WHERE deleted_state = 'deleted') AS deleted, "
        "min(sent_utc) FILTER (WHERE sent_status = 'exact') AS first_utc, "
        "max(sent_utc) FILTER (WHERE sent_status = 'exact') AS last_utc, "
        "count(*) FILTER (WHERE sent_status IS DISTINCT FROM 'exact') AS inexact, "
        "min(sent_earliest_utc) AS earliest_utc, max(sent_latest_utc) AS latest_utc, "
        "max(coalesce(sent_utc, sent_latest_utc)) AS recent "
        f"FROM m GROUP BY thread_key{where}"
    )


def _thread(r: dict[str, Any]) -> Thread:
    return Thread(
        thread_id=r["thread_id"],
        source_app=r["source_app"],
        thread=r["thread"],
        name=r["name"],
        participants=r["participants"],
        counterpart=r["counterpart"],
        messages=int(r["messages"]),
        deleted=int(r["deleted"]),
        first_utc=r["first_utc"],
        last_utc=r["last_utc"],
        inexact=int(r["inexact"]),
        earliest_utc=r["earliest_utc"],
        latest_utc=r["latest_utc"],
    )


def list_threads(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    *,
    offset: int = 0,
    limit: int = 100,
    justification: str | None = None,
) -> ThreadsPage:
    """A page of the exhibit's conversations, the most recently active first; logged as a
    consultation (the conversations' ids).

    Raises:
        ConfigError: the page is out of range.
        NotFound: no such case or exhibit.
        PermissionDenied: a justification is required and missing.
        StoreError: the evidence cannot be read.
    """
    _check_page(offset, limit)
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    sql = (
        f"SELECT *, count(*) OVER () AS total FROM ({_threads_sql('')}) "
        "ORDER BY recent DESC NULLS LAST, thread_id LIMIT $limit OFFSET $offset"
    )
    found = _select(ws, exhibit, ("messages",), sql, {"limit": limit, "offset": offset})
    total = int(found[0]["total"]) if found else 0
    if not found and offset:
        # past the end: the total still tells the page how many there are
        total = _count(ws, exhibit, f"SELECT count(*) AS n FROM ({_threads_sql('')})")
    threads = tuple(_thread(r) for r in found)
    _audit(
        ws,
        exhibit,
        "phone.threads",
        {"offset": offset, "threads": [t.thread_id for t in threads]},
        justification,
    )
    return ThreadsPage(*exhibit.head(), total, offset, limit, threads)


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def conversation(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    thread_id: str,
    *,
    offset: int = 0,
    limit: int = 200,
    justification: str | None = None,
) -> ConversationPage:
    """A page of one conversation's messages in time order (exact time or earliest reading,
    then locator); logged as a consultation of the messages shown.

    Attachments are matched to the exhibit's media rows by their path inside the exhibit.

    Raises:
        ConfigError: the page is out of range.
        NotFound: no such case, exhibit or conversation (a malformed id included).
        PermissionDenied: a justification is required and missing.
        StoreError: the evidence cannot be read.
    """
    _check_page(offset, limit)
    _check_hex_id(thread_id, "no such conversation: a conversation id is 32 hex digits")
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    heads = _select(
        ws,
        exhibit,
        ("messages",),
        f"SELECT * FROM ({_threads_sql('')}) WHERE thread_id = $thread",
        {"thread": thread_id},
    )
    if not heads:
        raise NotFound(f"no such conversation in exhibit {exhibit.reference}")
    thread = _thread(heads[0])
    sql = (
        "SELECT row_id, locator, direction, target_role, a_party_name, "
        f"{_written('a_party')} AS sender, {_written('b_party')} AS recipient, body, "
        f"deleted_state, message_type, attachments, {time_select('messages')} "
        f"FROM messages WHERE exhibit_id = $exhibit AND md5({_thread_key()}) = $thread "
        "ORDER BY t_earliest NULLS LAST, locator, row_id LIMIT $limit OFFSET $offset"
    )
    found = _select(
        ws, exhibit, ("messages",), sql, {"thread": thread_id, "limit": limit, "offset": offset}
    )
    paths = sorted({p for r in found for p in _split(r["attachments"])})
    media = _media_by_path(ws, exhibit, paths)
    messages = tuple(
        ConversationMessage(
            row_id=r["row_id"],
            locator=r["locator"],
            outgoing=r["target_role"] == "a"
            or (r["target_role"] not in ("a", "b") and r["direction"] == "outgoing"),
            direction=r["direction"],
            sender_name=r["a_party_name"],
            sender=r["sender"],
            recipient=r["recipient"],
            body=r["body"],
            time=_time(r),
            deleted_state=r["deleted_state"],
            message_type=r["message_type"],
            attachments=tuple(Attachment(p, media.get(p)) for p in _split(r["attachments"])),
        )
        for r in found
    )
    _audit(
        ws,
        exhibit,
        "phone.conversation",
        {
            "thread": thread_id,
            "offset": offset,
            "row_ids": [m.row_id for m in messages],
        },
        justification,
    )
    return ConversationPage(*exhibit.head(), thread, offset, limit, messages)


# --- media ----------------------------------------------------------------------------------------


_MEDIA_SELECT: Final = (
    "SELECT row_id, locator, path, original_path, file_name, size_bytes, sha256, md5, mime_type, "
    "latitude, longitude, nullif(concat_ws(' ', camera_make, camera_model), '') AS camera, "
    f"deleted_state, {time_select('media')} FROM media WHERE exhibit_id = $exhibit"
)


def _media_item(r: dict[str, Any]) -> MediaItem:
    return MediaItem(
        row_id=r["row_id"],
        locator=r["locator"],
        path=r["path"],
        original_path=r["original_path"],
        file_name=r["file_name"],
        size_bytes=r["size_bytes"],
        sha256=r["sha256"],
        md5=r["md5"],
        mime_type=r["mime_type"],
        time=_time(r),
        latitude=r["latitude"],
        longitude=r["longitude"],
        camera=r["camera"],
        deleted_state=r["deleted_state"],
    )


def _media_by_path(ws: Workspace, exhibit: _Exhibit, paths: list[str]) -> dict[str, MediaItem]:
    if not paths or not exhibit.count("media"):
        return {}
    found = _select(
        ws,
        exhibit,
        ("media",),
        _MEDIA_SELECT + " AND list_contains($paths, path) ORDER BY locator",
        {"paths": paths},
    )
    out: dict[str, MediaItem] = {}
    for r in found:
        out.setdefault(r["path"], _media_item(r))
    return out


def list_media(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    *,
    offset: int = 0,
    limit: int = 48,
    justification: str | None = None,
) -> MediaPage:
    """A page of the exhibit's media files, described but not shown, in the order they were
    taken (undated last, then by path); logged as a consultation of the rows.

    Raises:
        ConfigError: the page is out of range.
        NotFound: no such case or exhibit.
        PermissionDenied: a justification is required and missing.
        StoreError: the evidence cannot be read.
    """
    _check_page(offset, limit)
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    found = _select(
        ws,
        exhibit,
        ("media",),
        _MEDIA_SELECT + " ORDER BY t_earliest NULLS LAST, path, row_id LIMIT $limit OFFSET $offset",
        {"limit": limit, "offset": offset},
    )
    items = tuple(_media_item(r) for r in found)
    _audit(
        ws,
        exhibit,
        "phone.media",
        {"offset": offset, "row_ids": [i.row_id for i in items]},
        justification,
    )
    return MediaPage(*exhibit.head(), exhibit.count("media"), offset, limit, items)


def _limits(ws: Workspace) -> ContainerLimits:
    return ContainerLimits(
        max_total_bytes=ws.settings.container_max_bytes,
        max_member_bytes=ws.settings.container_max_bytes,
        max_ratio=ws.settings.container_max_ratio,
    )


def _folder_file(root: Path, name: str, reference: str) -> Path:
    """The regular file ``name`` inside the folder exhibit, no link followed on the way.

    Raises:
        HostileInput: a part of the path is a symbolic link.
        NotFound: there is no such regular file.
    """
    current = root
    for part in PurePosixPath(name).parts:
        current = current / part
        try:
            mode = current.lstat().st_mode
        except OSError as exc:
            raise NotFound(f"exhibit {reference} holds no file {name!r}") from exc
        if stat.S_ISLNK(mode):
            raise HostileInput(
                "the path passes through a symbolic link; refused", path=reference, locator=name
            )
    if not stat.S_ISREG(current.lstat().st_mode):
        raise NotFound(f"exhibit {reference} holds no file {name!r}")
    return current


@dataclass(frozen=True, slots=True)
class _Preserved:
    """Where an exhibit's preserved copy is and what it is."""

    root: Path
    kind: str
    original_name: str
    reference: str


@contextlib.contextmanager
def _open_member(ws: Workspace, row: _Preserved, name: str) -> Iterator[IO[bytes]]:
    """The bytes of the file ``name`` inside the preserved exhibit (or of the exhibit itself
    when it is that one file).

    Raises:
        HostileInput: the name, or the container, is refused (traversal, bomb, link).
        NotFound: the exhibit holds no such file.
    """
    member_name = safe_member_name(name, container=row.reference)
    root = row.root
    if row.kind == "folder":
        with _folder_file(root, member_name, row.reference).open("rb") as handle:
            yield handle
        return
    is_container = zipfile.is_zipfile(root)
    if not is_container:
        # guarded against extended headers tarfile would take hours to parse
        is_container = is_tar(root, row.reference)
    if not is_container:
        if member_name != row.original_name:
            raise NotFound(f"exhibit {row.reference} is one file, not {name!r}")
        with root.open("rb") as handle:
            yield handle
        return
    container = open_container(root, row.original_name, _limits(ws))
    try:
        member = next((m for m in container.members() if m.name == member_name), None)
        if member is None:
            raise NotFound(f"exhibit {row.reference} holds no file {name!r}")
        with container.open(member) as handle:
            yield handle
    finally:
        container.close()


def reveal_media(
    ws: Workspace,
    case_reference: str,
    exhibit_reference: str,
    row_id: str,
    *,
    justification: str | None = None,
) -> MediaContent:
    """A media file's bytes from the preserved exhibit, verified against the SHA-256 its row
    records; logged as a consultation of the media record (the reveal) before it is returned.

    The bytes are copied into a temporary file while they are hashed (the exhibit is never
    written), and only bytes whose hash matches are handed back.

    Raises:
        NotFound: no such case, exhibit, media row, or file in the exhibit.
        HostileInput: the row's path, or the exhibit container, is refused.
        IntegrityError: the row records no SHA-256, or the bytes do not match it.
        PermissionDenied: a justification is required and missing.
        StoreError: the evidence cannot be read.
    """
    _check_hex_id(row_id, "no such media file: a record id is 32 hex digits")
    exhibit = _consult(ws, case_reference, exhibit_reference, justification)
    found = _select(
        ws, exhibit, ("media",), _MEDIA_SELECT + " AND row_id = $row LIMIT 1", {"row": row_id}
    )
    if not found:
        raise NotFound(f"no media file {row_id} in exhibit {exhibit.reference}")
    item = _media_item(found[0])
    expected = (item.sha256 or "").strip().lower()
    if len(expected) != 64:
        raise IntegrityError(
            f"media record {row_id} records no SHA-256, so its bytes cannot be verified; "
            "it is not shown"
        )
    if not item.path:
        raise NotFound(f"media record {row_id} names no file inside exhibit {exhibit.reference}")
    with ws.session() as session:
        found_row = find_exhibit(session, find_case(session, case_reference), exhibit.reference)
        row = _Preserved(
            preserved_path(ws, found_row),
            found_row.kind,
            found_row.original_name,
            found_row.reference,
        )
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - handed back
    try:
        digest = hashlib.sha256()
        size = 0
        limit = item.size_bytes if item.size_bytes is not None else None
        with _open_member(ws, row, item.path) as source:
            while block := source.read(_CHUNK):
                size += len(block)
                if limit is not None and size > limit:
                    raise IntegrityError(
                        f"media file {item.path!r} is larger than its record says "
                        f"({limit} bytes); it is not shown"
                    )
                digest.update(block)
                spool.write(block)
        actual = digest.hexdigest()
        if actual != expected:
            raise IntegrityError(
                f"media file {item.path!r} has SHA-256 {actual}, not the {expected} its record "
                "holds; it is not shown"
            )
        spool.seek(0)
        _audit(
            ws,
            exhibit,
            "media.reveal",
            {"table": "media", "locator": item.locator, "sha256": actual, "size": size},
            justification,
            object_type="record",
            object_id=item.row_id,
        )
    except BaseException:
        spool.close()
        raise
    served = served_type(item.mime_type)
    name = item.file_name or PurePosixPath(item.path).name or "media"
    return MediaContent(
        data=spool,
        size=size,
        content_type=served,
        inline=served != "application/octet-stream",
        file_name=name,
        sha256=actual,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
