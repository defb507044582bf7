"""iOS contacts: ``AddressBook.sqlitedb`` into canonical contacts.

Schema (formats.md §5; iLEAPP ``addressBook.py``): ``ABPerson`` holds one row per person
(``ROWID``, ``First``, ``Last``, ``Nickname``, ``Organization`` ...); ``ABMultiValue`` their
numbers, addresses and other values (``record_id`` -> ``ABPerson.ROWID``, ``property`` 3 = phone,
4 = e-mail, ``value``, ``label`` -> ``ABMultiValueLabel.ROWID``, whose ``value`` is a label such
as ``_$!<Mobile>!$_``).

One contact row per phone number or e-mail address (locator ``#ABMultiValue/ROWID=<n>``), so every
number is searchable; a person with neither gives one row with the name only (locator
``#ABPerson/ROWID=<n>``). The name is ``First Last``, with the nickname in brackets after it
(``Jo Bloggs (Jojo)``); the organisation when there is no personal name. The label is kept in the
raw record.

The newest contacts may be only in the write-ahead log (``AddressBook.sqlitedb-wal``); the
database is opened with its WAL applied (:func:`~threadline.ingest.sqlite_copy.open_sqlite_copy`).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from threadline.ingest.parsers.ios.tables import IOS
from threadline.ingest.parsers.ios.values import text
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter

__all__ = ["ADDRESS_BOOK_READER", "contact_name", "read_address_book"]

PHONE: Final = 3
EMAIL: Final = 4
_PERSON_COLUMNS: Final = ("First", "Last", "Nickname", "Organization")
_VALUE_COLUMNS: Final = ("record_id", "property", "value", "label")


def contact_name(
    first: str | None, last: str | None, nickname: str | None, organisation: str | None
) -> str | None:
    """The display name: ``First Last (Nickname)``; the organisation when no personal name."""
    personal = " ".join(part for part in (first, last) if part)
    if personal and nickname:
        return f"{personal} ({nickname})"
    return personal or nickname or organisation


def _clean_label(label: str | None) -> str | None:
    """``_$!<Mobile>!$_`` (a built-in label) -> ``Mobile``; custom labels as written."""
    if label is None:
        return None
    if label.startswith("_$!<") and label.endswith(">!$_"):
        return label[4:-4]
    return label


def read_address_book(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read ``ABPerson`` and its numbers and e-mail addresses into ``contacts``."""
    people: dict[int, tuple[str | None, dict[str, Any]]] = {}
    for person in IOS.rows(con, place, "ABPerson", writer, expected=_PERSON_COLUMNS):
        name = contact_name(
            text(person.get("First")),
            text(person.get("Last")),
            text(person.get("Nickname")),
            text(person.get("Organization")),
        )
        people[person.key] = (name, person.raw)
    labels: dict[int, str] = {}
    if "abmultivaluelabel" in IOS.tables(con):
        rows = IOS.lookup(
            con,
            place,
            "ABMultiValueLabel",
            "SELECT rowid, value FROM ABMultiValueLabel",
            writer,
            "labels",
        )
        labels = {k: t for k, v in rows if isinstance(k, int) and (t := text(v)) is not None}
    listed: set[int] = set()
    for item in IOS.rows(con, place, "ABMultiValue", writer, expected=_VALUE_COLUMNS):
        kind = item.get("property")
        if kind not in (PHONE, EMAIL):
            continue
        value = text(item.get("value"))
        owner = item.get("record_id")
        name, person_raw = people.get(owner, (None, {})) if isinstance(owner, int) else (None, {})
        if isinstance(owner, int):
            listed.add(owner)
        label_id = item.get("label")
        label = labels.get(label_id) if isinstance(label_id, int) else None
        columns = writer.party("number", value) if kind == PHONE else {"email": value}
        writer.add(
            "contacts",
            item.locator,
            {"name": name, **columns, "source_app": "Contacts", "deleted_state": "intact"},
            raw={
                **item.raw,
                "label_text": _clean_label(label),
                **{f"ABPerson.{k}": v for k, v in person_raw.items()},
            },
        )
    for rowid, (name, person_raw) in people.items():
        if rowid in listed:
            continue
        writer.add(
            "contacts",
            f"{place}#ABPerson/ROWID={rowid}",
            {"name": name, "source_app": "Contacts", "deleted_state": "intact"},
            raw=person_raw,
        )


ADDRESS_BOOK_READER: Final = StoreReader(
    name="ios_address_book",
    title="iOS contacts (AddressBook.sqlitedb)",
    path_patterns=("*/library/addressbook/addressbook.sqlitedb",),
    required_tables=frozenset({"abperson", "abmultivalue"}),
    read=read_address_book,
)
