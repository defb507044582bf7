"""Identifier-keyed entities and where their identifiers sit in the evidence tables.

An entity that an identifier names (a number, a handset, a SIM, a vehicle) is the same entity in
every exhibit that holds the identifier, so its id is a hash of its kind and normalised key
(design.md "Identity and provenance"): the same handset in two exhibits is one node, and URLs and
logs carry the hash, never the number itself. A *person* here is a name as an exhibit records it
(a contact entry, an account's display name); resolving names into people is analysis, with
recorded judgements (issue 5), not something the key does.

:data:`IDENTIFIER_COLUMNS` says which columns of which canonical tables hold each kind, and in
what role (calling party, called party, ...). Search, entity profiles and the timeline all read
it, so "where does this number appear" has one answer. :data:`EVENT_TIMES` names each event
table's principal time (requirement 22: the five time columns of :mod:`evidence_schema`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from threadline.model.ids import make_id


class EntityKind(StrEnum):
    """The kinds of identifier-keyed entity."""

    NUMBER = "number"  # telephone number, E.164 where it normalises (requirement 59)
    HANDSET = "handset"  # IMEI, keyed on its first 14 digits (requirement 24)
    SIM = "sim"  # IMSI digits
    VEHICLE = "vehicle"  # VRM, upper case without spaces (requirement 61)
    PERSON = "person"  # a name as recorded in an exhibit

    @property
    def label(self) -> str:
        """The word a user reads for this kind."""
        return _LABELS[self]


_LABELS = MappingProxyType(
    {
        EntityKind.NUMBER: "Telephone number",
        EntityKind.HANDSET: "Handset (IMEI)",
        EntityKind.SIM: "SIM (IMSI)",
        EntityKind.VEHICLE: "Vehicle (VRM)",
        EntityKind.PERSON: "Name as recorded",
    }
)


def entity_id(kind: EntityKind, key: str) -> str:
    """The entity's id: a hash of its kind and normalised key (32 hex digits).

    A person's key is compared without regard to case or surrounding space, so ``"Ana Pop"`` and
    ``"ANA POP "`` are one name as recorded.
    """
    if kind is EntityKind.PERSON:
        key = " ".join(key.split()).casefold()
    return make_id("entity", kind.value, key)


@dataclass(frozen=True, slots=True)
class IdentifierColumn:
    """A column of a canonical table that holds an identifier of one entity kind.

    Attributes:
        table: the canonical table.
        column: the normalised column (``<column>_original`` keeps the source's spelling, where
            the table has one).
        role: what the entity is to the row, as a user reads it (``"calling party"``).
    """

    table: str
    column: str
    role: str


IDENTIFIER_COLUMNS: MappingProxyType[EntityKind, tuple[IdentifierColumn, ...]] = MappingProxyType(
    {
        EntityKind.NUMBER: (
            IdentifierColumn("calls", "a_party", "calling party"),
            IdentifierColumn("calls", "b_party", "called party"),
            IdentifierColumn("calls", "c_party", "forwarded-to party"),
            IdentifierColumn("messages", "a_party", "sender"),
            IdentifierColumn("messages", "b_party", "recipient"),
            IdentifierColumn("data_sessions", "party", "subscriber"),
            IdentifierColumn("contacts", "number", "contact number"),
            IdentifierColumn("devices", "msisdn", "subscriber number"),
            IdentifierColumn("accounts", "number", "account number"),
        ),
        EntityKind.HANDSET: (
            IdentifierColumn("calls", "imei_key", "handset"),
            IdentifierColumn("messages", "imei_key", "handset"),
            IdentifierColumn("data_sessions", "imei_key", "handset"),
            IdentifierColumn("devices", "imei_key", "handset"),
        ),
        EntityKind.SIM: (
            IdentifierColumn("calls", "imsi", "SIM"),
            IdentifierColumn("messages", "imsi", "SIM"),
            IdentifierColumn("data_sessions", "imsi", "SIM"),
            IdentifierColumn("devices", "imsi", "SIM"),
        ),
        EntityKind.VEHICLE: (IdentifierColumn("anpr_reads", "vrm", "vehicle read"),),
        EntityKind.PERSON: (
            IdentifierColumn("contacts", "name", "contact name"),
            IdentifierColumn("accounts", "display_name", "account display name"),
        ),
    }
)


#: Each event table's principal time, as the prefix of its five time columns
#: (``<prefix>_utc``, ``_earliest_utc``, ``_latest_utc``, ``_status``, ``_original``). A media
#: file's is the time its own metadata says it was taken (EXIF), so photographs take their place
#: in the timeline.
EVENT_TIMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "calls": "start",
        "messages": "sent",
        "data_sessions": "start",
        "locations": "at",
        "media": "taken",
        "anpr_reads": "read",
    }
)


def columns_for(kind: EntityKind, table: str) -> tuple[IdentifierColumn, ...]:
    """The columns of ``table`` that hold identifiers of ``kind`` (possibly none)."""
    return tuple(c for c in IDENTIFIER_COLUMNS[kind] if c.table == table)
