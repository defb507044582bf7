"""The Android call log: table ``calls`` of ``calllog.db`` (current) or ``contacts2.db`` (before
Android 7) (formats.md §4b).

``number`` is the other party; ``date`` (ms since 1970, UTC) is when the call started;
``duration`` is in seconds; ``type`` is 1 incoming, 2 outgoing, 3 missed, 4 voicemail,
5 rejected, 6 blocked, 7 answered on another device. Only 1 and 2 say for certain who called
whom; 3 to 7 are calls *to* the handset, so they are read as incoming (missed for 3) with the
code kept in ``record_type_original``. The owner's side is left empty; ``target_role`` marks it.

``countryiso`` is the country the handset was in when it made or took the call (Android's
``CallLog.Calls.COUNTRY_ISO``); a number dialled in national form (``5404561685``) is read in that
country's numbering plan, so it becomes ``+15404561685`` rather than a meaningless UK form
(requirement 59). Without it the exhibit default (GB) applies. The end time is left empty: the
log records a start and a duration, and an end worked out from them would be our inference, not
the handset's record.
"""

from __future__ import annotations

import re
import sqlite3
from types import MappingProxyType
from typing import Any, Final

from threadline.ingest.parsers.android.table_rows import ANDROID, direction_of, time_ms
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import Row
from threadline.model.phone import normalise_phone

__all__ = ["CALL_DIRECTIONS", "DURATION_BASIS", "read_calls"]

#: ``calls.type`` -> direction.
CALL_DIRECTIONS: Final = MappingProxyType(
    {
        1: "incoming",
        2: "outgoing",
        3: "missed",
        4: "incoming",  # voicemail left by the caller
        5: "incoming",  # rejected by the owner
        6: "incoming",  # blocked
        7: "incoming",  # answered on another device
    }
)

#: What ``duration_s`` measures for a handset call log.
DURATION_BASIS: Final = "handset call log"

_COLUMNS: Final = ("number", "date", "duration", "type")
_COUNTRY: Final = re.compile(r"^[A-Za-z]{2}$")


def _party(writer: RowWriter, prefix: str, number: str | None, country: str | None) -> Any:
    if number is None or country is None or not _COUNTRY.match(country) or "@" in number:
        return writer.party(prefix, number)
    return {
        prefix: normalise_phone(number, country.upper()).e164,
        f"{prefix}_original": number,
    }


def read_calls(
    con: sqlite3.Connection, place: str, writer: RowWriter, *, table: str = "calls"
) -> None:
    """Read every row of the call log into ``calls`` (source_app ``Phone``)."""
    for row in ANDROID.rows(con, place, table, writer, expected=_COLUMNS):
        writer.add("calls", row.locator, _call(writer, row), raw=row.raw)


def _call(writer: RowWriter, row: Row) -> dict[str, Any]:
    direction = direction_of(writer, row, CALL_DIRECTIONS, "calllog.type_unknown", "a call")
    number = row.text("number")
    country = row.text("countryiso")
    if direction == "outgoing":
        parties = {**_party(writer, "b_party", number, country), "target_role": "a"}
    elif direction in ("incoming", "missed"):
        parties = {**_party(writer, "a_party", number, country), "target_role": "b"}
    else:
        parties = _party(writer, "b_party", number, country)
    duration = row.integer("duration")
    return {
        "record_type_original": row.text("type"),
        "direction": direction,
        **parties,
        **writer.time("start", time_ms(row.get("date")), row.locator),
        "duration_s": duration if duration is not None and duration >= 0 else None,
        "duration_original": row.text("duration") if row.get("duration") is not None else None,
        "duration_basis": DURATION_BASIS,
        "source_app": "Phone",
        "deleted_state": "intact",
    }
