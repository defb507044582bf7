"""Parties of a Cellebrite record, and what they say about the handset's owner.

A call, message or chat names its people as ``Party`` models: ``Identifier`` (a number, a
WhatsApp JID, an app's user id), ``Name``, ``Role`` (``From``, ``To``, ``Parties``, ``General``)
and ``IsPhoneOwner``. The phone's owner is marked *only* by ``IsPhoneOwner`` (formats.md §1), so
it is what tells which side of a record is the target (``target_role``, ``a`` when the owner sent
or called, ``b`` when the owner received) and, where the record has no ``Direction``, whether it
was outgoing or incoming.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from threadline.ingest.parsers.cellebrite.elements import ModelView, read_model

__all__ = ["Party", "identifiers", "read_parties"]

#: Boolean field values (lower case) as :meth:`ModelView.flag` reads them.
_FLAGS: Final = MappingProxyType({"true": True, "false": False})


@dataclass(frozen=True, slots=True)
class Party:
    """One party as the report gives it.

    Attributes:
        identifier: ``Identifier`` as written (``None`` when empty).
        name: ``Name`` as written.
        role: ``Role`` (``From``/``To``...), or the name of the field holding the party when the
            role is absent or ``General`` (IPED's rule).
        owner: ``IsPhoneOwner`` (``None`` when the report does not say).
        view: the party's model, for the unknown-field tally.
    """

    identifier: str | None
    name: str | None
    role: str
    owner: bool | None
    view: ModelView


def read_parties(elements: Iterable[Any], holder: str) -> list[Party]:
    """The parties among ``elements`` (nested ``<model>`` elements of field ``holder``)."""
    found = []
    for element in elements:
        view = read_model(element)
        fields = view.fields
        # ModelView.text and .flag, written out: a message names one or two parties, and a
        # report holds millions of messages
        role = fields.get("Role")
        if role is not None:
            role = role.strip()
        if not role or role == "General":
            role = holder
        identifier = fields.get("Identifier")
        if identifier is not None:
            identifier = identifier.strip() or None
        name = fields.get("Name")
        if name is not None:
            name = name.strip() or None
        flag = fields.get("IsPhoneOwner")
        owner = None if flag is None else _FLAGS.get(flag.strip().lower())
        found.append(Party(identifier, name, role, owner, view))
    return found


def identifiers(parties: Iterable[Party]) -> list[str]:
    """Each party's identifier (its name when it has none), in order, without repeats."""
    seen: dict[str, None] = {}
    for party in parties:
        label = party.identifier or party.name
        if label:
            seen.setdefault(label, None)
    return list(seen)
