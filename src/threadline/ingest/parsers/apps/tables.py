"""How the messaging apps' databases are read: :data:`APPS` for the shared table reader.

The reading itself (missing columns as issues, damage as :class:`~threadline.errors.ParseError`,
locators and raw records) is :mod:`threadline.ingest.sqlite_rows`, shared with the Android and iOS
readers. What is the apps' own: their issues are ``apps.column_missing`` whichever platform the
app runs on (the same app changes its schema between its own versions, not the handset's); each
reader names the column that keys its rows (``_id``, ``msg_id``, ``itemUserId``, Core Data's
``Z_PK``), so locators are ``<place>#<table>/<key>=<value>`` (requirement 20); text that is not
valid UTF-8 is read with the bad bytes replaced (U+FFFD), so one damaged value does not lose the
row, while a table or column name that is not valid UTF-8 is damage; and a table the database
lacks is one this version of the app never had, so it gives no rows.
"""

from __future__ import annotations

from typing import Final

from threadline.ingest.sqlite_rows import HandsetTables

__all__ = ["APPS"]


def _decode(data: bytes) -> str:
    # an app-encoded or damaged text value must not stop the table: undecodable bytes are
    # replaced and the row is still read
    return data.decode("utf-8", "replace")


#: The apps' tables: issues ``apps.*``, keyed by ``_id`` unless a reader names its key,
#: undecodable text replaced, absent tables read as empty.
APPS: Final = HandsetTables(
    platform="apps",
    name="messaging app",
    decode=_decode,
    lenient_schema=False,
    key="_id",
    absent_is_damage=False,
)
