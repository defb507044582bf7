"""Decoded Cellebrite records into canonical rows: calls, messages, contacts, accounts, locations.

Each top-level ``<model>`` of ``<decodedData>`` (and each message of a chat) is handed to a
:class:`RecordMapper` method, which writes its rows through the parse's
:class:`~threadline.ingest.rows.RowWriter` with the record's XML, exactly as read, kept in
``source_rows`` (requirement 23). Locators are ``report.xml#line=N;model=GUID`` (the line of the
model's start tag, the model's ``id``); a contact or account row per entry adds ``;entry=GUID``
(requirement 20).

* **Times** (``TimeStamp``) are ISO 8601 with an offset and read with
  :func:`~threadline.model.device_time.from_iso8601`, the text kept exactly as written
  (requirement 22).
* **Numbers** go to E.164 with their original (requirement 59) where the identifier is a
  telephone number: the handset's own calls and SMS, a ``+`` number, a WhatsApp JID, or an app
  known to use telephone numbers as user ids. Other apps' user ids (Telegram, Instagram...) are
  kept only as written, never read as numbers.
* **Owner** (``IsPhoneOwner``) decides ``target_role`` and, without a ``Direction``, the
  direction (see :mod:`threadline.ingest.parsers.cellebrite.parties`).
* **Deleted state** is kept per record; a message of a deleted chat is deleted.
* A message met twice (inside its chat and again as a stand-alone ``InstantMessage``) is written
  once, the first time, and the repeat counted as an issue: Cellebrite writes both, and counting
  both would double the traffic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from types import MappingProxyType
from typing import Any, Final

from lxml import etree

from threadline.ingest.context import ParseContext
from threadline.ingest.issue import Severity
from threadline.ingest.parsers.cellebrite.elements import ModelView, read_model
from threadline.ingest.parsers.cellebrite.parties import Party, identifiers, read_parties
from threadline.ingest.parsers.cellebrite.vocabulary import (
    KNOWN_FIELDS,
    MESSAGE_TYPES,
    PHONE_APPS,
    TELEPHONY_SOURCES,
)
from threadline.ingest.rows import RowWriter, jid_number
from threadline.model.device_time import DeviceTime, from_iso8601, offset_name
from threadline.model.time_basis import PLAUSIBLE_YEARS, TimeStatus

__all__ = [
    "ChatContext",
    "RecordMapper",
    "SummaryTallies",
    "Tally",
    "attachment_path",
    "merge_tallies",
    "raise_summaries",
    "report_time",
    "timespan_seconds",
]

_TIMESPAN: Final = re.compile(r"^\s*(?:(\d+)[.:])?(\d+):(\d{2}):(\d{2})(?:[.,]\d+)?\s*$")
_INT64_MAX: Final = 2**63 - 1
_MISSED: Final = frozenset({"missed", "rejected", "unanswered", "declined", "blocked"})
_OUTGOING: Final = frozenset({"outgoing", "sent", "outbox"})
_INCOMING: Final = frozenset({"incoming", "inbox", "received"})
#: Party normalisations remembered per parse: identifiers repeat (few correspondents, many
#: messages), and E.164 normalisation is the costliest step of a row.
_CACHE_LIMIT: Final = 200_000
_NICKNAME: Final = re.compile(r"nick", re.IGNORECASE)
_USERNAME: Final = re.compile(r"user\s*name|username|handle|screen\s*name", re.IGNORECASE)
_NAME_LIKE: Final = re.compile(r"name", re.IGNORECASE)


_WIDEST_OFFSET: Final = timedelta(hours=14)
_EMBEDDED: Final = "EmbeddedInstantMessage"
#: The JSON encoder's string escaper (C), as ``json.dumps(..., ensure_ascii=False)`` uses it.
_json_text: Final = encode_basestring


def _xml_json(xml: str) -> bytes:
    """Serialised XML as the inside of a JSON string, UTF-8: the same text as the JSON
    encoder's escaper gives (without its quotes).

    That escaper writes ``\\``, ``"`` and every character below U+0020 as escapes. XML 1.0
    admits only three of those (tab, line feed, carriage return), and libxml2 refuses any other
    in the document, literal or as a character reference, so the serialisation of a parsed
    element holds no other: five byte-wise replacements (a memory scan each, a copy only where
    the character occurs) give the escaper's text at a fraction of its cost, on kilobytes of
    XML per record.
    """
    return (
        xml.encode()
        .replace(b"\\", b"\\\\")
        .replace(b'"', b'\\"')
        .replace(b"\n", b"\\n")
        .replace(b"\t", b"\\t")
        .replace(b"\r", b"\\r")
    )


def _text(fields: dict[str, str | None], name: str) -> str | None:
    """:meth:`ModelView.text` on a model's fields (a call fewer on the hot path)."""
    value = fields.get(name)
    if value is None:
        return None
    return value.strip() or None


def report_time(text: str | None) -> DeviceTime | None:
    """A report's ``TimeStamp`` text as a :class:`DeviceTime`, exactly as
    :func:`~threadline.model.device_time.from_iso8601` reads it.

    Cellebrite writes every time in one form (``2024-09-28T14:59:35.230+00:00``); that form is
    read with Python's own ISO parser, which is several times quicker on a report of millions of
    records. Any other text, or a value outside the plausible years or offsets, goes to
    ``from_iso8601``, which decides.
    """
    if text is None:
        return None
    if len(text) != 29 or text[10] != "T" or text[23] not in "+-":
        return from_iso8601(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return from_iso8601(text)
    offset = moment.utcoffset()
    if offset is None or abs(offset) > _WIDEST_OFFSET:
        return from_iso8601(text)
    utc = moment.astimezone(UTC)
    if not PLAUSIBLE_YEARS[0] <= utc.year <= PLAUSIBLE_YEARS[1]:
        return from_iso8601(text)
    return DeviceTime(utc, utc, utc, TimeStatus.EXACT, text, offset_name(offset))


def timespan_seconds(text: str | None) -> int | None:
    """Whole seconds of a .NET ``TimeSpan`` (``hh:mm:ss``, ``d.hh:mm:ss``, with or without a
    fraction, which is dropped); ``None`` when empty or not a time span."""
    if text is None:
        return None
    match = _TIMESPAN.match(text)
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if minutes > 59 or seconds > 59 or total > _INT64_MAX:
        return None
    return total


def attachment_path(view: ModelView, files: dict[str, str]) -> str | None:
    """Where an ``Attachment``'s file is: its extracted path inside the report folder (``\\``
    read as ``/``), else the Local Path of the tagged file it names (``file_id``), else its file
    name as the report gives it."""
    extracted = view.text("attachment_extracted_path")
    if extracted:
        return extracted.replace("\\", "/")
    file_id = view.element.get("file_id")
    if file_id and file_id in files:
        return files[file_id]
    return view.text("Filename")


def _direction_word(*values: str | None) -> str | None:
    """``outgoing``/``incoming`` from the first value that says so (Direction, Folder, Type)."""
    for value in values:
        if value is None:
            continue
        lowered = value.strip().lower()
        if lowered in _OUTGOING:
            return "outgoing"
        if lowered in _INCOMING:
            return "incoming"
    return None


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What a chat tells each of its messages.

    Attributes:
        model_id: the chat model's ``id``.
        thread: the chat's ``Id`` (a JID, a group id), else its model id.
        name: the chat's ``Name``.
        source: the chat's ``Source`` (the app).
        deleted: the chat's deleted state (a deleted chat's messages are deleted).
        participants: the chat's participants.
    """

    model_id: str
    thread: str | None
    name: str | None
    source: str | None
    deleted: str
    participants: tuple[Party, ...]
    participant_list: str | None

    @classmethod
    def of(cls, element: Any) -> ChatContext:
        """The context of a ``<model type="Chat">`` from the children read so far."""
        view = read_model(element)
        participants = tuple(read_parties(view.models.get("Participants", ()), "Participants"))
        return cls(
            view.id,
            view.text("Id") or view.id or None,
            view.text("Name"),
            view.text("Source"),
            view.deleted,
            participants,
            "; ".join(identifiers(participants)) or None,
        )

    @property
    def owner(self) -> Party | None:
        """The participant marked as the phone's owner, if exactly one is."""
        owners = [p for p in self.participants if p.owner]
        return owners[0] if len(owners) == 1 else None


@dataclass
class Tally:
    """Occurrences of a summary issue: how many, and the first one's locator and position
    (:attr:`~threadline.ingest.context.ParseContext.position`: with the work shared between
    processes, the first in reading order is the one with the lowest)."""

    count: int = 0
    locator: str | None = None
    position: int = 0

    def merge(self, other: Tally) -> None:
        """Add another process's occurrences of the same issue."""
        if other.count and (not self.count or other.position < self.position):
            self.locator, self.position = other.locator, other.position
        self.count += other.count


def merge_tallies(into: dict[Any, Tally], other: dict[Any, Tally]) -> None:
    """Add another process's tallies, key by key."""
    for key, tally in other.items():
        mine = into.get(key)
        if mine is None:
            into[key] = Tally(tally.count, tally.locator, tally.position)
        else:
            mine.merge(tally)


@dataclass
class SummaryTallies:
    """The summary issues a reading counts, raised once for the whole report
    (:func:`raise_summaries`).

    Attributes:
        unknown_fields: (model type, field name) not read into a column.
        counts: issue code -> occurrences (duplicates, Base64 kept, unreadable values...).
    """

    unknown_fields: dict[tuple[str, str], Tally] = field(default_factory=dict)
    counts: dict[str, Tally] = field(default_factory=dict)

    def merge(self, other: SummaryTallies) -> None:
        """Add another process's tallies."""
        merge_tallies(self.unknown_fields, other.unknown_fields)
        merge_tallies(self.counts, other.counts)


_SUMMARIES: Final = MappingProxyType(
    {
        "cellebrite.duplicate_message": "a message appears twice (in its chat and as a "
        "stand-alone message); it is written once",
        "cellebrite.base64_kept": "a Base64 value does not decode to printable text; it is "
        "kept as written",
        "cellebrite.chat_without_messages": "a chat holds no messages; it is kept only in the "
        "report (no canonical row)",
        "cellebrite.duration_unread": "a call duration is not a time span (hh:mm:ss); the "
        "duration is left empty",
        "cellebrite.position_unread": "a location has no readable latitude and longitude",
    }
)


def raise_summaries(ctx: ParseContext, tallies: SummaryTallies) -> None:
    """Raise the summary issues counted during the parse."""
    for (model_type, name), tally in sorted(tallies.unknown_fields.items()):
        ctx.issue(
            Severity.INFO,
            "cellebrite.unknown_field",
            f"{model_type} field {name!r} is not read into a canonical column; it is kept in "
            f"the raw record ({tally.count} record(s))",
            locator=tally.locator,
            value=f"{model_type}.{name}",
            count=tally.count,
        )
    for code, tally in sorted(tallies.counts.items()):
        ctx.issue(
            Severity.WARNING if code.endswith("_unread") else Severity.INFO,
            code,
            f"{_SUMMARIES.get(code, code)} ({tally.count} occurrence(s), first shown)",
            locator=tally.locator,
            count=tally.count,
        )


@dataclass
class RecordMapper:
    """Writes the canonical rows of decoded records (see the module docstring).

    Attributes:
        ctx: the parse context (issues).
        writer: the row writer of the parse.
        name: the report's path inside the exhibit, the locator prefix.
        files: tagged file id -> its path inside the exhibit (for attachments).
    """

    ctx: ParseContext
    writer: RowWriter
    name: str
    files: dict[str, str] = field(default_factory=dict)
    _numbers: dict[tuple[str, bool], str | None] = field(default_factory=dict)
    _seen_messages: set[int | str] = field(default_factory=set)
    tallies: SummaryTallies = field(default_factory=SummaryTallies)

    # -- shared helpers -----------------------------------------------------------------------

    def locator(self, view: ModelView, entry: str | None = None) -> str:
        """``<report>#line=N;model=GUID`` (``;entry=GUID`` for one entry of a record)."""
        place = f"{self.name}#line={view.line};model={view.id}"
        return place if entry is None else f"{place};entry={entry}"

    def raw_text(self, view: ModelView, chat: ChatContext | None = None) -> bytes:
        """The record exactly as read, as kept in ``source_rows`` (requirement 23): its type, id,
        the chat it sits in, and its XML, as UTF-8 JSON text.

        The text is :func:`~threadline.ingest.rows.raw_json` of ``{"model": .., "id": ..,
        ["chat": ..,] "xml": ..}``, written directly: once per record (however many rows it
        gives), with a few memory scans instead of the encoder's walk over kilobytes of XML.
        """
        xml = _xml_json(etree.tostring(view.element, encoding="unicode", with_tail=False))
        if chat is None:
            head = f'{{"model": {_json_text(view.type)}, "id": {_json_text(view.id)}, "xml": "'
        else:
            head = (
                f'{{"model": {_json_text(view.type)}, "id": {_json_text(view.id)}, '
                f'"chat": {_json_text(chat.model_id)}, "xml": "'
            )
        return b"".join((head.encode(), xml, b'"}'))

    def count(self, code: str, locator: str) -> None:
        """Count one occurrence of a summary issue (raised once, with its total, at the end)."""
        counts = self.tallies.counts
        tally = counts.get(code)
        if tally is None:
            tally = counts[code] = Tally(locator=locator, position=self.ctx.position)
        tally.count += 1

    def check_fields(self, view: ModelView, locator: str) -> None:
        """Tally fields this parser does not know for the model's type, and Base64 values kept
        as written."""
        known = KNOWN_FIELDS.get(view.type)
        if known is not None:
            for name in view.names:
                if name not in known:
                    unknown = self.tallies.unknown_fields
                    tally = unknown.get((view.type, name))
                    if tally is None:
                        tally = unknown[(view.type, name)] = Tally(
                            locator=locator, position=self.ctx.position
                        )
                    tally.count += 1
        if view.undecoded:
            self.count("cellebrite.base64_kept", locator)

    def number(self, raw: str | None, phone_like: bool) -> str | None:
        """E.164 for an identifier that is a telephone number (see the module docstring)."""
        if raw is None:
            return None
        key = (raw, phone_like)
        if key in self._numbers:
            return self._numbers[key]
        e164 = None
        if phone_like or raw.lstrip().startswith("+") or jid_number(raw) is not None:
            # one warning per invalid value for the whole report, however many processes
            # read it and however often the cache below is cleared
            e164 = self.writer.party("p", raw, once=True)["p"]
        if len(self._numbers) >= _CACHE_LIMIT:
            self._numbers.clear()
        self._numbers[key] = e164
        return e164

    def _party_columns(self, prefix: str, party: Party | None, phone_like: bool) -> dict[str, Any]:
        if party is None or party.identifier is None:
            return {}
        return {
            prefix: self.number(party.identifier, phone_like),
            f"{prefix}_original": party.identifier,
        }

    @staticmethod
    def phone_like(model_type: str, source: str | None) -> bool:
        """Whether the record's party identifiers are telephone numbers."""
        lowered = (source or "").strip().lower()
        if model_type in ("SMS", "MMS") or lowered in TELEPHONY_SOURCES:
            return True
        return any(app in lowered for app in PHONE_APPS)

    def note_message(self, model_id: str | None) -> None:
        """Remember a message another process writes, so that its duplicate is known here
        (messages are written once, at their first appearance in the report)."""
        key = _message_key(model_id or "")
        if key is not None:
            self._seen_messages.add(key)

    # -- calls --------------------------------------------------------------------------------

    def call(self, view: ModelView) -> None:
        """One ``Call``: parties, direction (missed when Type/Status says so), start, duration."""
        locator = self.locator(view)
        self.check_fields(view, locator)
        parties = read_parties(view.models.get("Parties", ()), "Parties")
        for party in parties:
            self.check_fields(party.view, locator)
        direction_text, type_text, status = (
            view.text("Direction"),
            view.text("Type"),
            view.text("Status"),
        )
        direction = _direction_word(direction_text, type_text)
        senders = [p for p in parties if p.role == "From"]
        receivers = [p for p in parties if p.role == "To"]
        unplaced = [p for p in parties if p.role not in ("From", "To")]
        target = None
        if any(p.owner for p in senders):
            target = "a"
        elif any(p.owner for p in receivers):
            target = "b"
        if direction is None and target is not None:
            direction = "outgoing" if target == "a" else "incoming"
        # decided before the owner's side and the far end are placed: a missed call is always a
        # call to the handset, whether or not the report gives its direction
        missed = any(v is not None and v.lower() in _MISSED for v in (type_text, status))
        if missed and direction != "outgoing":
            direction = "missed"
        if target is None and direction is not None:
            target = "a" if direction == "outgoing" else "b"
        # a party with no role is the far end: the caller of a call to the handset, else the callee
        (senders if direction in ("incoming", "missed") else receivers).extend(unplaced)
        source = view.text("Source")
        phone_like = self.phone_like(view.type, source)
        duration_text = view.text("Duration")
        duration = timespan_seconds(duration_text)
        if duration_text is not None and duration is None:
            self.count("cellebrite.duration_unread", locator)
        labels = [
            f"{name}={value}"
            for name, value in (
                ("Direction", direction_text),
                ("Type", type_text),
                ("Status", status),
                ("VideoCall", view.text("VideoCall")),
            )
            if value is not None
        ]
        values: dict[str, Any] = {
            "record_type_original": "; ".join(labels) or view.type,
            "direction": direction or "unknown",
            **self._party_columns("a_party", senders[0] if senders else None, phone_like),
            **self._party_columns("b_party", receivers[0] if receivers else None, phone_like),
            "target_role": target,
            "duration_s": duration,
            "duration_original": duration_text,
            "duration_basis": "call duration as the handset logged it" if duration_text else None,
            "source_app": source,
            "deleted_state": view.deleted,
        }
        values.update(self.writer.time("start", report_time(view.text("TimeStamp")), locator))
        self.writer.add("calls", locator, values, raw_text=self.raw_text(view))

    # -- messages -----------------------------------------------------------------------------

    def message(self, view: ModelView, chat: ChatContext | None = None) -> None:
        """One message (``InstantMessage``, ``SMS``, ``MMS``), alone or in its chat."""
        # the hot path of a report (most of its records are messages): parties and columns are
        # read with plain look-ups rather than the helpers the rarer records use
        locator = f"{self.name}#line={view.line};model={view.id}"
        key = _message_key(view.id)
        if key is not None:
            if key in self._seen_messages:
                self.count("cellebrite.duplicate_message", locator)
                return
            self._seen_messages.add(key)
        self.check_fields(view, locator)
        models = view.models
        fields = view.fields
        senders = read_parties(models["From"], "From") if "From" in models else []
        receivers = read_parties(models["To"], "To") if "To" in models else []
        if "Parties" in models:
            for party in read_parties(models["Parties"], "Parties"):
                (senders if party.role == "From" else receivers).append(party)
        for party in senders:
            self.check_fields(party.view, locator)
        for party in receivers:
            self.check_fields(party.view, locator)
        sender = senders[0] if senders else None
        target = None
        if sender is not None and sender.owner:
            target = "a"
        elif any(p.owner for p in receivers):
            target = "b"
        direction = _direction_word(_text(fields, "Direction"), _text(fields, "Folder"))
        if target is None and sender is not None and sender.owner is False:
            target = "b"  # held on the owner's phone and not sent by the owner: received
        if direction is None and target is not None:
            direction = "outgoing" if target == "a" else "incoming"
        if target is None and direction is not None:
            target = "a" if direction == "outgoing" else "b"
        receiver = receivers[0] if receivers else None
        if receiver is None and chat is not None:
            receiver = _implied_receiver(chat, sender, target)
        source = _text(fields, "Source") or _text(fields, "SourceApplication")
        if source is None and chat is not None:
            source = chat.source
        if source is None and view.type in ("SMS", "MMS"):
            source = view.type
        phone_like = self.phone_like(view.type, source)
        values: dict[str, Any] = {
            "record_type_original": view.type,
            "message_type": MESSAGE_TYPES.get(view.type, "im"),
            "direction": direction or "unknown",
            "a_party_name": sender.name if sender is not None else None,
            "target_role": target,
            "body": fields.get("Body") or None,
            "attachments": "; ".join(self._attachments(view)) or None,
            "source_app": source,
        }
        if sender is not None and sender.identifier is not None:
            values["a_party"] = self.number(sender.identifier, phone_like)
            values["a_party_original"] = sender.identifier
        if receiver is not None and receiver.identifier is not None:
            values["b_party"] = self.number(receiver.identifier, phone_like)
            values["b_party_original"] = receiver.identifier
        if chat is not None:
            values["thread"] = chat.thread
            values["thread_name"] = chat.name
            values["participants"] = chat.participant_list
            values["deleted_state"] = "deleted" if chat.deleted == "deleted" else view.deleted
        else:
            values["thread"] = _text(fields, "ChatId")
            values["thread_name"] = None
            values["participants"] = "; ".join(identifiers(senders + receivers)) or None
            values["deleted_state"] = view.deleted
        values.update(self.writer.time("sent", report_time(_text(fields, "TimeStamp")), locator))
        self.writer.add("messages", locator, values, raw_text=self.raw_text(view, chat))
        # a contact card sent in the message is a contact the phone holds
        for card in models.get("SharedContacts", ()):
            self.contact(read_model(card))

    def chat_without_messages(self, view: ModelView) -> None:
        """Count a chat that held no message (nothing to write but its raw record)."""
        self.count("cellebrite.chat_without_messages", self.locator(view))

    def keep(self, view: ModelView, chat: ChatContext | None = None) -> None:
        """Keep a record that gives no canonical row (a chat's own fields, a record type not
        read) in ``source_rows`` only, so that nothing of the report is lost (requirement 23)."""
        self.writer.add("source_rows", self.locator(view), {"raw": self.raw_text(view, chat)})

    def _attachments(self, view: ModelView) -> list[str]:
        """Paths of the message's attachments and of those of the messages it embeds (a
        forwarded message carries its content as an embedded message); quoted replies are not
        the message's own content and are left out."""
        models = view.models
        if not ("Attachment" in models or "Attachments" in models or _EMBEDDED in models):
            return []  # most messages: text alone
        found: dict[str, None] = {}
        seen_ids: set[str] = set()
        pending = [view]
        while pending:
            current = pending.pop(0)
            for name in ("Attachment", "Attachments"):
                for element in current.models.get(name, ()):
                    attachment = read_model(element)
                    if attachment.id and attachment.id in seen_ids:
                        continue
                    seen_ids.add(attachment.id)
                    path = attachment_path(attachment, self.files)
                    if path:
                        found.setdefault(path, None)
            pending.extend(current.nested(_EMBEDDED))
        return list(found)

    # -- contacts and accounts ----------------------------------------------------------------

    def contact(self, view: ModelView) -> None:
        """One ``Contact``: a row per phone number, e-mail address and user id it holds."""
        locator = self.locator(view)
        self.check_fields(view, locator)
        entries = view.nested("Entries")
        name = view.text("Name")
        nickname = next(
            (e.text("Value") for e in entries if _NICKNAME.search(_entry_kind(e))),
            None,
        )
        if nickname and name and nickname != name:
            name = f"{name} ({nickname})"
        elif nickname and not name:
            name = nickname
        source = view.text("Source")
        common = {"name": name, "source_app": source, "deleted_state": view.deleted}
        raw = self.raw_text(view)  # one record, kept for each of its rows
        written = False
        used: set[str] = set()
        for index, entry in enumerate(entries):
            value = entry.text("Value")
            if value is None:
                continue
            columns: dict[str, Any]
            if entry.type == "PhoneNumber":
                columns = {"number": self.number(value, True), "number_original": value}
            elif entry.type == "EmailAddress":
                columns = {"email": value}
            elif entry.type == "UserID" and not _NAME_LIKE.search(_entry_kind(entry)):
                columns = {"account": value}
                if jid_number(value) is not None:
                    columns.update(number=self.number(value, True), number_original=value)
            else:
                continue
            place = self.locator(view, _entry_place(entry, index, used))
            self.writer.add("contacts", place, {**common, **columns}, raw_text=raw)
            written = True
        if not written:
            self.writer.add("contacts", locator, common, raw_text=raw)

    def account(self, view: ModelView) -> None:
        """One ``UserAccount``: service, names and identifiers; a further row for each further
        phone number, e-mail address or user id."""
        locator = self.locator(view)
        self.check_fields(view, locator)
        service = view.text("Source")
        base: dict[str, Any] = {"service": service, "display_name": view.text("Name")}
        username = view.text("Username")
        used: set[str] = set()
        identifiers_found: list[tuple[ModelView, str, dict[str, Any]]] = []
        for index, entry in enumerate(view.nested("Entries")):
            value = entry.text("Value")
            if value is None:
                continue
            kind = _entry_kind(entry)
            place = _entry_place(entry, index, used)
            if entry.type == "PhoneNumber":
                columns = {"number": self.number(value, True), "number_original": value}
            elif entry.type == "EmailAddress":
                columns = {"email": value}
            elif entry.type == "UserID" and _USERNAME.search(kind):
                username = username or value
                continue
            elif entry.type == "UserID" and not _NAME_LIKE.search(kind):
                columns = {"account_id": value}
                if jid_number(value) is not None:
                    columns.update(number=self.number(value, True), number_original=value)
            else:
                continue
            identifiers_found.append((entry, place, columns))
        base["username"] = username
        first: dict[str, Any] = {}
        extra: list[tuple[str, dict[str, Any]]] = []
        for _entry, place, columns in identifiers_found:
            if all(first.get(k) is None for k in columns):
                first.update(columns)
            else:
                extra.append((place, columns))
        raw = self.raw_text(view)  # one record, kept for each of its rows
        self.writer.add("accounts", locator, {**base, **first}, raw_text=raw)
        for place, columns in extra:
            self.writer.add(
                "accounts", self.locator(view, place), {**base, **columns}, raw_text=raw
            )

    # -- locations ----------------------------------------------------------------------------

    def location(self, view: ModelView) -> None:
        """One ``Location``: its ``Position`` coordinate, time, accuracy and source."""
        locator = self.locator(view)
        self.check_fields(view, locator)
        position = view.first("Position")
        latitude = longitude = None
        if position is not None:
            latitude = _coordinate(position.text("Latitude"), 90.0)
            longitude = _coordinate(position.text("Longitude"), 180.0)
        if latitude is None or longitude is None:
            latitude = longitude = None
            self.count("cellebrite.position_unread", locator)
        accuracy = _coordinate(view.text("GpsHorizontalAccuracy"), float("inf"))
        values: dict[str, Any] = {
            "latitude": latitude,
            "longitude": longitude,
            "accuracy_m": accuracy if accuracy is not None and accuracy >= 0 else None,
            "source_app": view.text("Source"),
            "deleted_state": view.deleted,
        }
        values.update(self.writer.time("at", report_time(view.text("TimeStamp")), locator))
        self.writer.add("locations", locator, values, raw_text=self.raw_text(view))


def _message_key(model_id: str) -> int | str | None:
    """A compact key for a message id (a GUID as a 128-bit number), for the repeat check."""
    if not model_id:
        return None
    try:
        return int(model_id.replace("-", ""), 16)
    except ValueError:
        return model_id


def _implied_receiver(chat: ChatContext, sender: Party | None, target: str | None) -> Party | None:
    """The receiver a chat implies when the message names none: the owner for a received
    message; for a sent one in a two-person chat, the other participant."""
    if target == "b":
        return chat.owner
    if target == "a" and len(chat.participants) == 2:
        others = [
            p
            for p in chat.participants
            if not p.owner and (sender is None or p.identifier != sender.identifier)
        ]
        return others[0] if len(others) == 1 else None
    return None


def _entry_place(entry: ModelView, index: int, used: set[str]) -> str:
    """An entry's place in its record's locator: its id, or its position when it has none or
    shares it with an earlier entry (locators of one table must differ)."""
    place = entry.id if entry.id and entry.id not in used else f"#{index}"
    used.add(place)
    return place


def _entry_kind(entry: ModelView) -> str:
    """An entry's Category and Domain, for telling names from identifiers."""
    return f"{entry.text('Category') or ''} {entry.text('Domain') or ''}"


def _coordinate(text: str | None, limit: float) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return value
