"""How iOS databases are read: :data:`IOS` for the shared table reader.

The reading itself (missing columns as issues, damage as :class:`~threadline.errors.ParseError`,
locators and raw records) is :mod:`threadline.ingest.sqlite_rows`, shared with Android. What is
iOS's own: rows are named by SQLite's ``ROWID`` (``sms.db``, the address book) or by Core Data's
``Z_PK`` where the reader says so (requirement 20); text that is not valid UTF-8 is kept as its
bytes, so the raw record holds it exactly (requirement 23), and a table or column name that is
not valid UTF-8 is read the same way, so it only fails to match what a reader looks for; and
every table the readers ask for is one their store always has, so its absence is damage, not a
version difference.
"""

from __future__ import annotations

from typing import Final

from threadline.ingest.sqlite_rows import HandsetTables

__all__ = ["IOS", "text_or_bytes"]


def text_or_bytes(data: bytes) -> str | bytes:
    """SQLite text as ``str``; text that is not valid UTF-8 (a damaged or odd record) as its
    bytes, so the raw record keeps it exactly and one bad value does not stop the ingest."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


#: iOS's tables: keyed by ``ROWID`` unless a reader names ``Z_PK``, undecodable text kept as
#: bytes (in the schema too, so a garbled name only matches nothing), an absent table raised as
#: damage.
IOS: Final = HandsetTables(
    platform="ios",
    name="iOS",
    decode=text_or_bytes,
    lenient_schema=True,
    key="ROWID",
    absent_is_damage=True,
)
