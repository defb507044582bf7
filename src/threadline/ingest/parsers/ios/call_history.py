"""iOS call history: ``CallHistory.storedata`` (Core Data) into canonical calls.

Schema (formats.md §5; iLEAPP ``callHistory.py``): ``ZCALLRECORD`` holds one row per call:
``Z_PK``, ``ZADDRESS`` (the other party; text, or a blob of UTF-8 text), ``ZDATE`` (Cocoa
seconds, real), ``ZDURATION`` (seconds, real), ``ZORIGINATED`` (1 outgoing, 0 incoming),
``ZANSWERED``, ``ZCALLTYPE`` (0 third-party app, 1 phone, 8 FaceTime video, 16 FaceTime audio),
``ZSERVICE_PROVIDER`` (the app's bundle id, e.g. ``net.whatsapp.WhatsApp``: VoIP apps using
CallKit log here too), ``ZISO_COUNTRY_CODE`` and ``ZLOCATION``.

An incoming call that was not answered is ``missed``. The handset owner's side is left empty;
``target_role`` says which party the owner is (``a`` when the owner called).
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any, Final

from threadline.ingest.parsers.ios.parties import party_in_country
from threadline.ingest.parsers.ios.tables import IOS
from threadline.ingest.parsers.ios.values import cocoa_time, text
from threadline.ingest.phone_store import StoreReader
from threadline.ingest.rows import RowWriter

__all__ = ["CALL_HISTORY_READER", "read_call_history"]

_COLUMNS: Final = ("Z_PK", "ZADDRESS", "ZDATE", "ZDURATION", "ZORIGINATED", "ZANSWERED")

#: bundle ids of the apps that log calls here, as a user names them
_APPS: Final = {
    "com.apple.telephony": "Phone",
    "com.apple.facetime": "FaceTime",
    "net.whatsapp.whatsapp": "WhatsApp",
    "org.whispersystems.signal": "Signal",
    "ph.telegra.telegraph": "Telegram",
}
_CALL_TYPES: Final = {1: "Phone", 8: "FaceTime", 16: "FaceTime"}

DURATION_BASIS: Final = "handset call log (ZDURATION), rounded to the nearest second"


def _app(provider: Any, call_type: Any) -> str | None:
    if isinstance(provider, str) and provider.strip():
        return _APPS.get(provider.strip().lower(), provider.strip())
    return _CALL_TYPES.get(call_type) if isinstance(call_type, int) else None


def _duration(value: Any) -> tuple[int | None, str | None]:
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return None, text(value)
    if value < 0 or math.isinf(value):
        return None, repr(value)
    return math.floor(value + 0.5), repr(value)


def read_call_history(con: sqlite3.Connection, place: str, writer: RowWriter) -> None:
    """Read ``ZCALLRECORD`` into ``calls`` (locator ``<place>#ZCALLRECORD/Z_PK=<n>``)."""
    for record in IOS.rows(con, place, "ZCALLRECORD", writer, expected=_COLUMNS, key="Z_PK"):
        locator = record.locator
        other = text(record.get("ZADDRESS"))
        country = record.get("ZISO_COUNTRY_CODE")
        country = country if isinstance(country, str) else None
        originated, answered = record.get("ZORIGINATED"), record.get("ZANSWERED")
        if originated == 1:
            direction, role = "outgoing", "a"
            parties = {
                **writer.party("a_party", None),
                **party_in_country(writer, "b_party", other, country),
            }
        else:
            if originated == 0:
                direction, role = ("incoming" if answered == 1 else "missed"), "b"
            else:
                direction, role = "unknown", None
            parties = {
                **party_in_country(writer, "a_party", other, country),
                **writer.party("b_party", None),
            }
        seconds, original = _duration(record.get("ZDURATION"))
        call_type = record.get("ZCALLTYPE")
        writer.add(
            "calls",
            locator,
            {
                "record_type_original": text(call_type),
                "direction": direction,
                **parties,
                "target_role": role,
                **writer.time("start", cocoa_time(record.get("ZDATE")), locator),
                "duration_s": seconds,
                "duration_original": original,
                "duration_basis": DURATION_BASIS if seconds is not None else None,
                "source_app": _app(record.get("ZSERVICE_PROVIDER"), call_type),
                "deleted_state": "intact",
            },
            raw=record.raw,
        )


CALL_HISTORY_READER: Final = StoreReader(
    name="ios_call_history",
    title="iOS call history (CallHistory.storedata)",
    path_patterns=("*/library/callhistorydb/callhistory.storedata",),
    required_tables=frozenset({"zcallrecord"}),
    read=read_call_history,
)
