"""How Android databases are read: :data:`ANDROID` for the shared table reader, and the time
encodings and type codes their tables use.

The reading itself (missing columns as issues, damage as :class:`~threadline.errors.ParseError`,
locators and raw records) is :mod:`threadline.ingest.sqlite_rows`, shared with iOS. What is
Android's own: rows are named by their ``_id`` column (``<place>#<table>/_id=<n>``, or
``rowid=<n>`` for a table with no ``_id``; requirement 20); text that is not valid UTF-8 is read
with the bad bytes replaced (U+FFFD) so that one damaged or app-encoded value does not stop the
table, while a table or column name that is not valid UTF-8 is damage; and a table the database
lacks is one an older Android or app version never had, so it gives no rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from threadline.ingest.issue import Severity
from threadline.ingest.rows import RowWriter
from threadline.ingest.sqlite_rows import HandsetTables, Row, as_int, as_text
from threadline.model.device_time import DeviceTime, from_unix_ms, from_unix_s, unparsed

__all__ = ["ANDROID", "direction_of", "time_ms", "time_s"]


def _decode(data: bytes) -> str:
    # a damaged or app-encoded text value must not stop the whole table: undecodable bytes are
    # replaced (U+FFFD) and the row is still read
    return data.decode("utf-8", "replace")


#: Android's tables: keyed by ``_id``, undecodable text replaced (a schema that is not valid UTF-8
#: is damage), absent tables read as empty.
ANDROID: Final = HandsetTables(
    platform="android",
    name="Android",
    decode=_decode,
    lenient_schema=False,
    key="_id",
    absent_is_damage=False,
)


def _time(value: Any, decode: Callable[[int], DeviceTime | None]) -> DeviceTime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = as_int(value)
    if number is None:
        # a value that is not a whole count (text, a blob, a fraction) is kept as written
        return unparsed(as_text(value) or repr(value), "UTC")
    return decode(number)


def time_ms(value: Any) -> DeviceTime | None:
    """Milliseconds since 1970 UTC (``sms.date``, ``calls.date``, WhatsApp ``timestamp``);
    ``0`` or empty give no time."""
    return _time(value, from_unix_ms)


def time_s(value: Any) -> DeviceTime | None:
    """Seconds since 1970 UTC (MMS ``pdu.date``); ``0`` or empty give no time."""
    return _time(value, from_unix_s)


def direction_of(
    writer: RowWriter, row: Row, directions: Mapping[int, str], code: str, what: str
) -> str:
    """The direction the row's ``type`` code gives in ``directions``; ``unknown`` for a code
    Android does not document, raised as the INFO issue ``code`` (``what``: ``a call``)."""
    number = row.integer("type")
    direction = directions.get(number, "unknown") if number is not None else "unknown"
    if direction == "unknown":
        writer.ctx.issue(
            Severity.INFO,
            code,
            f"{what} has a type code not documented for Android; its direction is unknown",
            locator=row.locator,
            value=row.text("type"),
        )
    return direction
