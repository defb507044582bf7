"""The Android address book: ``raw_contacts``, ``data`` and ``mimetypes`` of ``contacts2.db``
(formats.md §4b), and the sync accounts in its ``accounts`` table.

A *raw contact* is one address-book entry of one account (the phone itself, a Google account,
WhatsApp ...); its details are rows of ``data`` whose ``mimetype_id`` names the kind in
``mimetypes``: ``vnd.android.cursor.item/phone_v2`` (``data1`` the number as typed),
``.../email_v2`` (``data1`` the address), ``.../name`` (``data1`` the display name).

One ``contacts`` row is written per number and per e-mail address, at the ``data`` row's locator,
with the entry's name; an entry with neither gives one row with its name at the ``raw_contacts``
locator. ``raw_contacts.deleted = 1`` (an entry the user deleted, kept until the next sync) gives
``deleted_state`` ``deleted``. The account type (``com.google``...) gives ``source_app``, the
account name ``account``.
"""

from __future__ import annotations

import json
import sqlite3
from types import MappingProxyType
from typing import Any, Final

from threadline.ingest.parsers.android.table_rows import ANDROID
from threadline.ingest.rows import RowWriter, raw_value
from threadline.ingest.sqlite_rows import Row

__all__ = ["ACCOUNT_APPS", "read_accounts", "read_contacts"]

PHONE: Final = "vnd.android.cursor.item/phone_v2"
EMAIL: Final = "vnd.android.cursor.item/email_v2"
NAME: Final = "vnd.android.cursor.item/name"

#: Account types -> the application a user knows; other types are shown as written.
ACCOUNT_APPS: Final = MappingProxyType(
    {
        "com.google": "Google",
        "com.whatsapp": "WhatsApp",
        "com.whatsapp.w4b": "WhatsApp Business",
        "org.telegram.messenger": "Telegram",
        "com.viber.voip": "Viber",
        "com.skype.raider": "Skype",
        "com.facebook.auth.login": "Facebook",
        "com.microsoft.office.outlook.USER_ACCOUNT": "Outlook",
        "vnd.sec.contact.phone": "Contacts",
        "vnd.sec.contact.sim": "SIM",
        "com.android.localphone": "Contacts",
        "com.android.sim": "SIM",
    }
)
#: ``source_app`` of an entry kept on the phone with no account.
LOCAL_APP: Final = "Contacts"


def _app(account_type: str | None) -> str:
    if account_type is None:
        return LOCAL_APP
    return ACCOUNT_APPS.get(account_type, account_type)


def _accounts_by_id(con: sqlite3.Connection, place: str, writer: RowWriter) -> dict[Any, Row]:
    if not ANDROID.has_table(con, place, "accounts"):
        return {}
    return {row.key: row for row in ANDROID.rows(con, place, "accounts", writer)}


def read_accounts(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read the sync accounts set up on the handset (``accounts``) into ``accounts``."""
    if not ANDROID.has_table(con, place, "accounts"):
        return
    for row in ANDROID.rows(
        con, place, "accounts", writer, expected=("account_name", "account_type")
    ):
        name = row.text("account_name")
        if name is None:
            continue
        writer.add(
            "accounts",
            row.locator,
            {
                "service": _app(row.text("account_type")),
                "account_id": name,
                "email": name if "@" in name else None,
            },
            raw=row.raw,
        )


def read_contacts(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read the address book into ``contacts`` (see the module docstring)."""
    mimetypes = {
        row.key: row.text("mimetype")
        for row in ANDROID.rows(con, place, "mimetypes", writer, expected=("mimetype",))
    }
    accounts = _accounts_by_id(con, place, writer)
    entries = {
        row.key: row
        for row in ANDROID.rows(
            con, place, "raw_contacts", writer, expected=("deleted", "display_name")
        )
    }
    names: dict[Any, str] = {}
    details: list[tuple[Row, str]] = []
    for row in ANDROID.rows(
        con, place, "data", writer, expected=("mimetype_id", "raw_contact_id", "data1")
    ):
        kind = mimetypes.get(row.get("mimetype_id"))
        owner = row.get("raw_contact_id")
        if kind == NAME and row.text("data1") is not None:
            names.setdefault(owner, row.verbatim("data1") or "")
        elif kind in (PHONE, EMAIL) and row.text("data1") is not None:
            details.append((row, kind))
    described: set[Any] = set()
    for row, kind in details:
        owner = row.get("raw_contact_id")
        entry = entries.get(owner)
        described.add(owner)
        value = row.verbatim("data1")
        extra = {**writer.party("number", value)} if kind == PHONE else {"email": row.text("data1")}
        writer.add(
            "contacts",
            row.locator,
            {**_entry_columns(entry, accounts, names.get(owner)), **extra},
            raw={**row.raw, "mimetype": kind, "raw_contact": _raw_json(entry)},
        )
    for key, entry in entries.items():
        if key in described:
            continue
        columns = _entry_columns(entry, accounts, names.get(key))
        if columns.get("name") is None:
            continue
        writer.add("contacts", entry.locator, columns, raw=entry.raw)


def _raw_json(entry: Row | None) -> str | None:
    if entry is None:
        return None
    return json.dumps({k: raw_value(v) for k, v in entry.raw.items()}, ensure_ascii=False)


def _entry_columns(entry: Row | None, accounts: dict[Any, Row], name: str | None) -> dict[str, Any]:
    if entry is None:
        return {"name": name, "source_app": LOCAL_APP, "deleted_state": "unknown"}
    account_type = entry.text("account_type")
    account_name = entry.text("account_name")
    account = accounts.get(entry.get("account_id"))
    if account is not None:
        account_type = account.text("account_type")
        account_name = account.text("account_name")
    deleted = entry.integer("deleted")
    return {
        "name": entry.verbatim("display_name") or name,
        "account": account_name,
        "source_app": _app(account_type),
        "deleted_state": "deleted" if deleted == 1 else "intact" if deleted == 0 else "unknown",
    }
