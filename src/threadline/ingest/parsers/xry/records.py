"""XRY records (calls, messages, contacts, device facts, accounts) mapped to canonical rows.

Both XRY exports (text and XML) hand their records here as lists of
:class:`~threadline.ingest.parsers.xry.fields.Field`. The key vocabulary is the one Autopsy's XRY
reader knows (formats.md §2a; sleuthkit/autopsy ``datasourceprocessors/xry``), plus the keys the
brief names (``Mobile``/``Home``/``Work`` numbers, ``Email``, ``Related Application``).

How a record is placed, and why:

* **Direction** comes from ``Direction``, ``Call Type`` or ``Type`` (``Incoming``, ``Outgoing``,
  ``Missed``, ``Dialed``, ``Received``; for messages ``Deliver``/``Submit``, the GSM names for
  received and sent). A message with none of them takes its direction from ``Status``
  (``Sent``/``Unsent``/``Sending failed`` are outgoing, ``Read``/``Unread`` incoming) or
  ``Folder`` (``Inbox``/``Sent``/``Outbox``). The values as written are kept in
  ``record_type_original``.
* **Parties**: a number under the ``From`` namespace (or a ``From:`` key, newer XRY) is the
  A party, under ``To`` the B party; a number with no namespace (or under ``Participant``) is
  the other party of the handset's owner, placed by the direction. The owner's own side is left
  empty (the download does not say the owner's number on each record) and ``target_role`` names
  it: ``b`` for incoming and missed, ``a`` for outgoing. Numbers are kept as written and in E.164
  where they normalise (requirement 59).
* **Deleted**: ``Deleted: Yes`` or ``Status: Deleted`` give ``deleted``, ``Deleted: No``
  ``intact``; a record that says nothing is ``unknown`` (the export does not say it is intact).
* **Names**: ``Name``/``Name (Matched)`` (the address-book name XRY matched to the number) of the
  sender goes to ``a_party_name`` on messages; calls have no name column, so the name stays in the
  raw record (requirement 23), as do ``Storage``, ``Index``, ``Service Center`` and ``Folder``.

A key not in the vocabulary raises an issue with the key as its value; the row is kept and the
whole record is in ``source_rows`` (requirement 23).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.xry.fields import Field
from threadline.ingest.parsers.xry.times import parse_duration
from threadline.ingest.rows import RowWriter
from threadline.model.device_time import DeviceTime

__all__ = [
    "CALL_KEYS",
    "CONTACT_KEYS",
    "MESSAGE_KEYS",
    "META_KEYS",
    "RecordMapper",
    "device_column",
]

#: Keys of concatenated-SMS bookkeeping (formats.md §2a): read by the text parser, not mapped.
META_KEYS: Final = frozenset({"reference number", "segments", "segment number"})

_PARTY_KEYS: Final = frozenset({"tel", "number", "from", "to"})
_NAME_KEYS: Final = frozenset({"name", "name (matched)"})

CALL_KEYS: Final = frozenset(
    {
        *_PARTY_KEYS,
        *_NAME_KEYS,
        "time",
        "direction",
        "call type",
        "type",
        "deleted",
        "duration",
        "storage",
        "index",
        "related application",
    }
)

MESSAGE_KEYS: Final = frozenset(
    {
        *_PARTY_KEYS,
        *_NAME_KEYS,
        *META_KEYS,
        "deleted",
        "direction",
        "message",
        "text",
        "time",
        "service center",
        "storage",
        "type",
        "folder",
        "index",
        "status",
        "related application",
    }
)

_CONTACT_NUMBER_KEYS: Final = frozenset(
    {"tel", "number", "mobile", "home", "work", "phone", "tel mobile", "tel home", "tel work"}
)
_CONTACT_EMAIL_KEYS: Final = frozenset({"email", "email home", "email work", "e-mail"})
CONTACT_KEYS: Final = frozenset(
    {
        *_CONTACT_NUMBER_KEYS,
        *_CONTACT_EMAIL_KEYS,
        "name",
        "first name",
        "last name",
        "related application",
        "account name",
        "address home",
        "address work",
        "deleted",
        "storage",
        "other",
        "picture",
        "index",
        "note",
        "organisation",
        "organization",
    }
)

_ACCOUNT_COLUMNS: Final[Mapping[str, str]] = {
    "related application": "service",
    "application": "service",
    "service": "service",
    "account id": "account_id",
    "user id": "account_id",
    "id": "account_id",
    "user name": "username",
    "username": "username",
    "account name": "username",
    "display name": "display_name",
    "name": "display_name",
    "tel": "number",
    "number": "number",
    "phone number": "number",
    "email": "email",
    "e-mail": "email",
}
_ACCOUNT_RAW_ONLY: Final = frozenset({"deleted", "index", "storage", "password", "created"})

_CALL_DIRECTIONS: Final[Mapping[str, str]] = {
    "incoming": "incoming",
    "received": "incoming",
    "answered": "incoming",
    "outgoing": "outgoing",
    "dialed": "outgoing",
    "dialled": "outgoing",
    "missed": "missed",
    "forwarded": "forwarded",
}
_MESSAGE_DIRECTIONS: Final[Mapping[str, str]] = {
    "incoming": "incoming",
    "received": "incoming",
    "deliver": "incoming",
    "status report": "incoming",  # a delivery report the handset received
    "outgoing": "outgoing",
    "sent": "outgoing",
    "submit": "outgoing",
}
_STATUS_HINTS: Final[Mapping[str, str]] = {
    "sent": "outgoing",
    "unsent": "outgoing",
    "sending failed": "outgoing",
    "read": "incoming",
    "unread": "incoming",
}
_FOLDER_HINTS: Final[Mapping[str, str]] = {
    "inbox": "incoming",
    "sent": "outgoing",
    "sent items": "outgoing",
    "outbox": "outgoing",
}
_DELETED_WORDS: Final = frozenset({"yes", "true", "deleted", "1", "y"})
_INTACT_WORDS: Final = frozenset({"no", "false", "intact", "0", "n", "not deleted", "active"})

_DEVICE_EXACT: Final[Mapping[str, str]] = {
    "manufacturer": "manufacturer",
    "make": "manufacturer",
    "device manufacturer": "manufacturer",
    "model": "model",
    "device model": "model",
    "os": "os",
    "operating system": "os",
    "os version": "os",
    "software version": "os",
    "firmware version": "os",
    "owner": "owner_name",
    "owner name": "owner_name",
    "device owner": "owner_name",
    "own number": "msisdn",
    "subscriber number": "msisdn",
    "phone number": "msisdn",
    "sim serial number": "iccid",
    "xry version": "extraction",
    "extraction type": "extraction",
    "creation time": "extraction",
}
_DEVICE_RAW_ONLY: Final = frozenset(
    {
        "device name",
        "device type",
        "device family",
        "revision",
        "baseband version",
        "device clock",
        "pc clock",
        "sim status",
        "device status",
        "security code",
        "unlock code",
        "advertising id",
        "wifi address",
        "bluetooth address",
        "serial number",
        "case reference",
        "case operator",
        "examiner",
        "case notes",
        "evidence number",
    }
)
_DEVICE_CONTAINS: Final = (("imei", "imei"), ("imsi", "imsi"), ("iccid", "iccid"))


def device_column(key: str) -> str | None:
    """The devices column a device-information key fills, ``""`` for a key kept only in the raw
    record, ``None`` for a key not known."""
    for needle, column in _DEVICE_CONTAINS:
        if needle in key:
            return column
    if "msisdn" in key:
        return "msisdn"
    if key in _DEVICE_EXACT:
        return _DEVICE_EXACT[key]
    return "" if key in _DEVICE_RAW_ONLY else None


def _deleted_state(fields: Sequence[Field]) -> tuple[str, str | None]:
    """``(state, unreadable value)``: the deleted state and a value that could not be read."""
    state = "unknown"
    for item in fields:
        word = item.value.strip().lower()
        if item.key == "status" and word == "deleted":
            return "deleted", None
        if item.key != "deleted":
            continue
        if word in _DELETED_WORDS:
            return "deleted", None
        if word in _INTACT_WORDS:
            state = "intact"
        else:
            return "unknown", item.value
    return state, None


@dataclass
class _Parties:
    """Identifiers gathered from a record, by side."""

    a: list[str] = field(default_factory=list)
    b: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    a_name: str | None = None
    other_name: str | None = None


def _gather_parties(fields: Sequence[Field]) -> _Parties:
    found = _Parties()
    for item in fields:
        value = item.value.strip()
        if not value:
            continue
        if item.key in ("tel", "number"):
            side = {"from": found.a, "to": found.b}.get(item.namespace, found.other)
            side.append(value)
        elif item.key == "from":
            found.a.append(value)
        elif item.key == "to":
            found.b.append(value)
        elif item.key in _NAME_KEYS:
            if item.namespace == "from":
                found.a_name = found.a_name or value
            elif item.namespace != "to":
                found.other_name = found.other_name or value
    return found


@dataclass(frozen=True, slots=True)
class _Placed:
    a: list[str]
    b: list[str]
    target_role: str | None
    side_unknown: bool


def _place(parties: _Parties, direction: str) -> _Placed:
    """Put the owner's counterpart on its side and name the owner's side (module docstring)."""
    a, b = list(parties.a), list(parties.b)
    side_unknown = False
    if direction in ("incoming", "missed", "forwarded"):
        a.extend(parties.other)
        role: str | None = "b"
    elif direction == "outgoing":
        b.extend(parties.other)
        role = "a"
    else:
        side_unknown = bool(parties.other)
        b.extend(parties.other)
        role = None
        if parties.a and not parties.b and not parties.other:
            role = "b"
        elif parties.b and not parties.a and not parties.other:
            role = "a"
    return _Placed(a, b, role, side_unknown)


def _first(fields: Sequence[Field], *keys: str) -> str | None:
    for item in fields:
        if item.key in keys and item.value.strip():
            return item.value.strip()
    return None


class RecordMapper:
    """Turns XRY records into canonical rows through a :class:`RowWriter`.

    Args:
        writer: where rows go (it fills provenance, normalises numbers, keeps the raw record).
        parse_time: the export's time reader (text or XML form).
        unknown_code: the issue code for a key not in the vocabulary.
    """

    def __init__(
        self,
        writer: RowWriter,
        parse_time: Callable[[str | None], DeviceTime | None],
        unknown_code: str,
    ) -> None:
        self.writer = writer
        self.parse_time = parse_time
        self.unknown_code = unknown_code

    # -- issues ---------------------------------------------------------------------------

    def _issue(
        self, severity: Severity, code: str, message: str, locator: str, value: str | None
    ) -> None:
        self.writer.ctx.issue(severity, code, message, locator=locator, value=value)

    def check_keys(self, fields: Sequence[Field], known: frozenset[str], locator: str) -> None:
        """Raise an issue for each key not in ``known`` (the row is still kept)."""
        for item in fields:
            if item.key not in known:
                self._issue(
                    Severity.WARNING,
                    self.unknown_code,
                    f"the key {item.label!r} is not one this parser knows; it is kept in the raw "
                    "record only",
                    locator,
                    item.label,
                )

    def _deleted(self, fields: Sequence[Field], locator: str) -> str:
        state, unreadable = _deleted_state(fields)
        if unreadable is not None:
            self._issue(
                Severity.WARNING,
                "xry.deleted_unreadable",
                "the Deleted value is neither yes nor no; the deleted state is left unknown",
                locator,
                unreadable,
            )
        return state

    def _direction(
        self, values: list[str], table: Mapping[str, str], locator: str
    ) -> tuple[str, str | None]:
        """``(direction, record_type_original)`` from the direction-like values as written."""
        found: list[str] = []
        for value in values:
            word = value.strip().lower()
            if word in table:
                found.append(table[word])
            else:
                self._issue(
                    Severity.WARNING,
                    "xry.direction_unknown",
                    "a direction or type value this parser does not know; the direction is "
                    "taken from the record's other values or left unknown",
                    locator,
                    value,
                )
        original = "; ".join(v.strip() for v in values if v.strip()) or None
        if "missed" in found:
            return "missed", original
        return (found[0] if found else "unknown"), original

    def _time(self, fields: Sequence[Field], prefix: str, locator: str) -> dict[str, Any]:
        moment = self.parse_time(_first(fields, "time"))
        return self.writer.time(prefix, moment, locator)

    def _parties(
        self, placed: _Placed, locator: str, *, extra_ok: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """Party columns, and the identifiers that did not fit one column per side."""
        if placed.side_unknown:
            self._issue(
                Severity.INFO,
                "xry.party_side_unknown",
                "the record gives a number but no direction; it is put as the B party and the "
                "owner's side is left unnamed",
                locator,
                None,
            )
        extra = placed.a[1:] + placed.b[1:]
        if extra and not extra_ok:
            self._issue(
                Severity.WARNING,
                "xry.party_extra",
                "the record names more than one number on a side; the first is used, the rest "
                "are in the raw record",
                locator,
                "; ".join(extra),
            )
        values = {
            **self.writer.party("a_party", placed.a[0] if placed.a else None),
            **self.writer.party("b_party", placed.b[0] if placed.b else None),
            "target_role": placed.target_role,
        }
        return values, extra

    # -- tables ---------------------------------------------------------------------------

    def call(self, fields: Sequence[Field], locator: str, raw: Mapping[str, Any]) -> None:
        """One ``calls`` row from a call record."""
        self.check_keys(fields, CALL_KEYS, locator)
        kinds = [f.value for f in fields if f.key in ("direction", "call type", "type")]
        direction, record_type = self._direction(kinds, _CALL_DIRECTIONS, locator)
        placed = _place(_gather_parties(fields), direction)
        parties, _ = self._parties(placed, locator, extra_ok=False)
        duration_text = _first(fields, "duration")
        duration = parse_duration(duration_text)
        if duration_text is not None and duration is None:
            self._issue(
                Severity.WARNING,
                "xry.duration_unreadable",
                "the duration is neither hh:mm:ss nor a number of seconds; it is kept as written",
                locator,
                duration_text,
            )
        values = {
            "record_type_original": record_type,
            "direction": direction,
            **parties,
            **self._time(fields, "start", locator),
            "duration_s": duration,
            "duration_original": duration_text,
            "duration_basis": "call duration as the handset recorded it" if duration_text else None,
            "source_app": _first(fields, "related application"),
            "deleted_state": self._deleted(fields, locator),
        }
        self.writer.add("calls", locator, values, raw=raw)

    def message(
        self,
        fields: Sequence[Field],
        locator: str,
        raw: Mapping[str, Any],
        *,
        body: str | None = None,
    ) -> None:
        """One ``messages`` row; ``body`` overrides the record's text (rejoined segments)."""
        self.check_keys(fields, MESSAGE_KEYS, locator)
        kinds = [f.value for f in fields if f.key in ("direction", "type")]
        direction, record_type = self._direction(kinds, _MESSAGE_DIRECTIONS, locator)
        if direction == "unknown":
            status = (_first(fields, "status") or "").lower()
            folder = (_first(fields, "folder") or "").lower()
            direction = _STATUS_HINTS.get(status) or _FOLDER_HINTS.get(folder) or "unknown"
        parties_found = _gather_parties(fields)
        placed = _place(parties_found, direction)
        parties, extra = self._parties(placed, locator, extra_ok=True)
        sender_name = parties_found.a_name
        if sender_name is None and direction == "incoming":
            sender_name = parties_found.other_name
        application = _first(fields, "related application")
        kind = "sms"
        if application is not None and application.strip().lower() not in ("sms", "messages"):
            kind = "mms" if application.strip().lower() == "mms" else "im"
        text = body if body is not None else _first_raw(fields, "text", "message")
        values = {
            "record_type_original": record_type,
            "message_type": kind,
            "direction": direction,
            **parties,
            **self._time(fields, "sent", locator),
            "body": text,
            "source_app": application or "SMS",
            "deleted_state": self._deleted(fields, locator),
            "a_party_name": sender_name,
            "participants": "; ".join(placed.a + placed.b) if extra else None,
        }
        self.writer.add("messages", locator, values, raw=raw)

    def contacts(self, fields: Sequence[Field], locator: str, raw: Mapping[str, Any]) -> None:
        """``contacts`` rows: one per number (and per further e-mail address)."""
        self.check_keys(fields, CONTACT_KEYS, locator)
        name = _first(fields, "name")
        if name is None:
            parts = [_first(fields, "first name"), _first(fields, "last name")]
            name = " ".join(p for p in parts if p) or None
        numbers = [f.value.strip() for f in fields if f.key in _CONTACT_NUMBER_KEYS]
        numbers = [n for n in numbers if n]
        emails = [
            f.value.strip() for f in fields if f.key in _CONTACT_EMAIL_KEYS and f.value.strip()
        ]
        common = {
            "name": name,
            "account": _first(fields, "account name"),
            "source_app": _first(fields, "related application"),
            "deleted_state": self._deleted(fields, locator),
        }
        rows: list[dict[str, Any]] = [
            {
                **common,
                **self.writer.party("number", number),
                "email": emails[0] if emails else None,
            }
            for number in numbers
        ]
        rest = emails[1:] if numbers else emails
        rows.extend({**common, "email": email} for email in rest)
        if not rows:
            rows.append({**common, "email": None})
        for index, values in enumerate(rows, start=1):
            place = locator if index == 1 else f"{locator};part={index}"
            self.writer.add("contacts", place, values, raw=raw)

    def device(
        self,
        fields: Sequence[Field],
        locator: str,
        raw: Mapping[str, Any],
        *,
        tool: str,
    ) -> None:
        """One ``devices`` row from device facts (``tool`` starts the ``extraction`` column)."""
        found: dict[str, list[str]] = {}
        for item in fields:
            column = device_column(item.key)
            value = item.value.strip()
            if column is None:
                self.check_keys([item], frozenset(), locator)
            elif column and value:
                if column == "extraction":
                    value = f"{item.label.strip()}: {value}"
                found.setdefault(column, []).append(value)
        single: dict[str, str | None] = {}
        for column, given in found.items():
            distinct = list(dict.fromkeys(given))
            if column in ("os", "extraction"):
                single[column] = "; ".join(distinct)
                continue
            single[column] = distinct[0]
            if len(distinct) > 1:
                self._issue(
                    Severity.WARNING,
                    "xry.device_value_repeated",
                    f"the device information gives more than one {column}; the first is used, "
                    "the others are in the raw record",
                    locator,
                    "; ".join(distinct[1:]),
                )
        extraction = "; ".join(p for p in (tool, single.get("extraction")) if p)
        values = {
            **self.writer.handset(single.get("imei"), single.get("imsi")),
            "iccid": single.get("iccid"),
            **self.writer.party("msisdn", single.get("msisdn")),
            "manufacturer": single.get("manufacturer"),
            "model": single.get("model"),
            "os": single.get("os"),
            "extraction": extraction,
            "owner_name": single.get("owner_name"),
        }
        self.writer.add("devices", locator, values, raw=raw)

    def account(self, fields: Sequence[Field], locator: str, raw: Mapping[str, Any]) -> None:
        """One ``accounts`` row from an account record."""
        known = frozenset(_ACCOUNT_COLUMNS) | _ACCOUNT_RAW_ONLY
        self.check_keys(fields, known, locator)
        columns: dict[str, str] = {}
        for item in fields:
            column = _ACCOUNT_COLUMNS.get(item.key)
            if column is not None and item.value.strip():
                columns.setdefault(column, item.value.strip())
        number = columns.pop("number", None)
        self.writer.add(
            "accounts", locator, {**columns, **self.writer.party("number", number)}, raw=raw
        )


def _first_raw(fields: Sequence[Field], *keys: str) -> str | None:
    """The first value of ``keys`` exactly as written (message text keeps its spacing)."""
    for item in fields:
        if item.key in keys and item.value:
            return item.value
    return None
