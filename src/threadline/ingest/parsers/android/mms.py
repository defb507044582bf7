"""Android multimedia messages: ``pdu``, ``addr`` and ``part`` of ``mmssms.db`` (formats.md §4a).

An MMS is one row of ``pdu`` (``date`` in **seconds** since 1970, UTC; ``msg_box`` 1 inbox,
2 sent, 3 draft, 4 outbox, 5 failed), its addresses in ``addr`` (``type`` 137 FROM, 151 TO,
130 CC, 129 BCC; a sent message's FROM is the placeholder ``insert-address-token``, the owner)
and its parts in ``part`` (``text/plain`` parts hold the text, ``application/smil`` the layout,
other parts the attached pictures, audio, video or vCards, as a file under ``app_parts`` named in
``_data``).

Delivery and read reports are PDUs too (``m_type`` 134 delivery report, 135 notify response,
136 read report): they are not messages and are counted, not read, matching the message counts
Android itself keeps (its ``threads`` trigger counts only ``m_type`` 128, 130 and 132).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.parsers.android.table_rows import ANDROID, time_s
from threadline.ingest.rows import RowWriter, raw_value
from threadline.ingest.sqlite_rows import Row, as_int

__all__ = ["ADDRESS_TYPES", "read_mms"]

#: ``addr.type`` (MMS header field codes, X-Mms encapsulation) -> role.
ADDRESS_TYPES: Final = MappingProxyType({137: "from", 151: "to", 130: "cc", 129: "bcc"})

#: ``pdu.msg_box`` -> direction (drafts, outbox and failed were written on the handset).
_BOX_DIRECTIONS: Final = MappingProxyType(
    {1: "incoming", 2: "outgoing", 3: "outgoing", 4: "outgoing", 5: "outgoing"}
)
#: ``pdu.m_type`` of reports, which are not messages.
_REPORT_TYPES: Final = frozenset({134, 135, 136})
#: The placeholder Android writes for the handset's own address.
_OWN_ADDRESS: Final = "insert-address-token"
_LAYOUT: Final = "application/smil"


def _grouped(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.get(key), []).append(row)
    return groups


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _json(rows: list[Row]) -> str:
    return json.dumps([{k: raw_value(v) for k, v in r.raw.items()} for r in rows])


def read_mms(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read every message PDU into ``messages`` (message_type ``mms``, source_app ``SMS``):
    body from the text parts, attachments from the other parts, parties from ``addr``."""
    addresses = _grouped(
        ANDROID.rows(con, place, "addr", writer, expected=("msg_id", "address", "type")), "msg_id"
    )
    parts = _grouped(
        ANDROID.rows(con, place, "part", writer, expected=("mid", "ct", "text", "_data")), "mid"
    )
    reports = 0
    for pdu in ANDROID.rows(con, place, "pdu", writer, expected=("date", "msg_box", "thread_id")):
        if pdu.integer("m_type") in _REPORT_TYPES:
            reports += 1
            continue
        own_addresses = addresses.get(pdu.key, [])
        own_parts = sorted(
            parts.get(pdu.key, []), key=lambda p: (p.integer("seq") or 0, as_int(p.key) or 0)
        )
        writer.add(
            "messages",
            pdu.locator,
            _message(writer, pdu, own_addresses, own_parts),
            raw={**pdu.raw, "addr": _json(own_addresses), "part": _json(own_parts)},
        )
    if reports:
        writer.ctx.issue(
            Severity.INFO,
            "mms.reports_skipped",
            f"{reports} MMS delivery or read report(s) are not messages and were not read",
            locator=f"{place}#pdu",
            count=reports,
        )


def _message(writer: RowWriter, pdu: Row, addresses: list[Row], parts: list[Row]) -> dict[str, Any]:
    box = pdu.integer("msg_box")
    direction = _BOX_DIRECTIONS.get(box, "unknown") if box is not None else "unknown"
    by_role: dict[str, list[str]] = {}
    everyone: list[str] = []
    for addr in addresses:
        address = addr.text("address")
        role = ADDRESS_TYPES.get(addr.integer("type") or 0)
        if address is None or role is None or address == _OWN_ADDRESS:
            continue
        by_role.setdefault(role, []).append(address)
        if address not in everyone:
            everyone.append(address)
    recipients = by_role.get("to", []) + by_role.get("cc", []) + by_role.get("bcc", [])
    sender = _first(by_role.get("from", []))
    recipient = _first(recipients)
    if direction == "incoming":
        parties = {**writer.party("a_party", sender), "target_role": "b"}
    elif direction == "outgoing":
        parties = {**writer.party("b_party", recipient), "target_role": "a"}
    else:
        parties = {**writer.party("a_party", sender), **writer.party("b_party", recipient)}
    texts = [
        text
        for part in parts
        if (part.text("ct") or "").lower() == "text/plain"
        and (text := part.verbatim("text")) is not None
    ]
    files = [
        name
        for part in parts
        if (part.text("ct") or "").lower() not in ("text/plain", _LAYOUT)
        and (name := part.text("_data") or part.text("cl") or part.text("name")) is not None
    ]
    return {
        "record_type_original": pdu.text("msg_box"),
        "message_type": "mms",
        "direction": direction,
        **parties,
        **writer.time("sent", time_s(pdu.get("date")), pdu.locator),
        "body": "\n".join(texts) or None,
        "thread": pdu.text("thread_id"),
        "source_app": "SMS",
        "deleted_state": "intact",
        "participants": "; ".join(everyone) or None,
        "attachments": "; ".join(files) or None,
    }
