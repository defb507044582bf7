"""Write the demo's handset downloads and describe them for the ground truth.

:func:`write_phone_downloads` plans the five downloads from the core story
(:mod:`threadline.scenario.phone_downloads`), writes each in its format (Cellebrite UFDR, XRY text
export, Android full file-system extraction) and returns what an ingest and an analysis must find
in it, for ``ground_truth.json``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from threadline.scenario.cast import PEOPLE
from threadline.scenario.fs_writer import write_android_fs
from threadline.scenario.identifiers import NumberBook
from threadline.scenario.phone_downloads import (
    EXAMINER,
    SEIZED_AT,
    HandsetDownload,
    PhoneThread,
    plan_downloads,
)
from threadline.scenario.story import CoreCase
from threadline.scenario.truth import PhoneContactTruth, PhoneDownloadTruth, PhoneThreadTruth
from threadline.scenario.ufdr_writer import local_path, write_ufdr
from threadline.scenario.xry_writer import write_xry

__all__ = ["LOCAL_TIME_REPORTS", "write_phone_downloads"]

#: Cellebrite reports written in the handset's UK local time (the others are in UTC).
LOCAL_TIME_REPORTS = frozenset({"MC/2"})

_DELETED_HOW = MappingProxyType(
    {
        "ufdr": 'report.xml: the thread\'s models have deleted_state="Deleted"',
        "xry_text": "Messages-SMS.txt: Deleted: Yes",
        "phone_fs": (
            "mmssms.db: the rows are in the database file; mmssms.db-wal holds the committed "
            "transaction that deletes them"
        ),
    }
)


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _thread_truth(
    download: HandsetDownload, thread: PhoneThread, book: NumberBook
) -> PhoneThreadTruth:
    return PhoneThreadTruth(
        key=thread.key,
        app=thread.app,
        counterpart=thread.counterpart,
        counterpart_msisdn=book.e164(thread.other),
        own_msisdn=book.e164(thread.own),
        language=thread.language,
        deleted=thread.deleted,
        deleted_how=_DELETED_HOW[download.file_format] if thread.deleted else "",
        messages=len(thread.messages),
        first=_utc(thread.messages[0].start),
        last=_utc(thread.messages[-1].start),
        bodies=tuple(m.body for m in thread.messages),
    )


def _media_paths(download: HandsetDownload) -> tuple[str, ...]:
    if download.file_format == "ufdr":
        return tuple(local_path(p).replace("\\", "/") for p in download.photos)
    if download.file_format == "phone_fs":
        return tuple(
            "data/media/0/" + p.device_path.removeprefix("/storage/emulated/0/")
            for p in download.photos
        )
    return ()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_phone_downloads(out_dir: Path, core: CoreCase) -> tuple[PhoneDownloadTruth, ...]:
    """Write every handset download into ``out_dir``; return their ground truth."""
    book = core.book
    roles = {p.id: p.role for p in PEOPLE}
    truths = []
    for download in plan_downloads(core):
        path = out_dir / download.filename
        if download.file_format == "ufdr":
            write_ufdr(path, download, book, local_time=download.reference in LOCAL_TIME_REPORTS)
        elif download.file_format == "xry_text":
            write_xry(path, download, book)
        else:
            write_android_fs(path, download, book)
        threads = tuple(_thread_truth(download, t, book) for t in download.threads)
        truths.append(
            PhoneDownloadTruth(
                reference=download.reference,
                filename=download.filename,
                file_format=download.file_format,
                parser=download.parser,
                title=download.title,
                description=download.description,
                producer=EXAMINER,
                owner=download.owner,
                owner_role=roles[download.owner],
                imei=download.handset.imei,
                manufacturer=download.manufacturer,
                model=download.model,
                os=download.os,
                msisdn=book.e164(download.msisdn),
                imsi=download.imsi,
                seized_at=SEIZED_AT,
                seized_from=download.seized_from,
                extracted_at=download.extracted_at,
                tool=download.tool,
                calls=len(download.calls),
                messages=sum(t.messages for t in threads),
                deleted_messages=sum(t.messages for t in threads if t.deleted),
                contacts=tuple(
                    PhoneContactTruth(
                        name=c.name,
                        msisdns=tuple(book.e164(n) for n in c.numbers),
                        person=c.person,
                    )
                    for c in download.contacts
                ),
                threads=threads,
                media=_media_paths(download),
                sha256=_sha256(path),
            )
        )
    return tuple(truths)
