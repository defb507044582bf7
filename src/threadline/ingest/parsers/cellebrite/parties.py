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
from typing import Any

from threadline.ingest.parsers.cellebrite.elements import ModelView, read_model

__all__ = ["Party", "identifiers", "read_parties"]


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
        role = fields.get("Role")
        if role is not None:
            role = role.strip()
        if not role or role == "General":
            role = holder
        found.append(
            Party(view.text("Identifier"), view.text("Name"), role, view.flag("IsPhoneOwner"), view)
        )
    return found


def identifiers(parties: Iterable[Party]) -> list[str]:
    """Each party's identifier (its name when it has none), in order, without repeats."""
    seen: dict[str, None] = {}
    for party in parties:
        label = party.identifier or party.name
        if label:
            seen.setdefault(label, None)
    return list(seen)
