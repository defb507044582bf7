"""The iOS handset databases Threadline reads, as shared store readers.

The ``ios_db`` parser (one database as an exhibit) and the full file-system extraction parser
(``phone_fs``) both use :data:`IOS_READERS` (iOS's own stores) and :data:`IOS_APP_READERS` (the
Kik and imo apps' databases, :mod:`threadline.ingest.parsers.apps`), so a database gives the same
rows by either route (see :mod:`threadline.ingest.phone_store`). CommCenter plists are not SQLite
and are read by :func:`threadline.ingest.parsers.ios.commcenter.read_commcenter` instead.
"""

from __future__ import annotations

from typing import Final

from threadline.ingest.parsers.apps.stores import IOS_APP_READERS
from threadline.ingest.parsers.ios.address_book import ADDRESS_BOOK_READER
from threadline.ingest.parsers.ios.call_history import CALL_HISTORY_READER
from threadline.ingest.parsers.ios.commcenter import COMMCENTER_PATH_PATTERNS, read_commcenter
from threadline.ingest.parsers.ios.sms import SMS_READER
from threadline.ingest.parsers.ios.whatsapp import WHATSAPP_READER
from threadline.ingest.phone_store import StoreReader

__all__ = ["COMMCENTER_PATH_PATTERNS", "IOS_APP_READERS", "IOS_READERS", "read_commcenter"]

IOS_READERS: Final[tuple[StoreReader, ...]] = (
    SMS_READER,
    CALL_HISTORY_READER,
    ADDRESS_BOOK_READER,
    WHATSAPP_READER,
)
