"""Write a handset download as an MSAB XRY text export: UTF-16LE ``.txt`` files in a ZIP.

The structure follows formats.md §2a (from Autopsy's XRY readers): one file per report type,
UTF-16LE with a byte-order mark, a five-line header beginning ``XRY Export`` whose third line names
the report type (``Calls``, ``Contacts/Contacts``, ``Messages/SMS``, ``Device/General
Information``), then entities separated by blank lines. An entity starts with a title line
(``Calls #<tab>1``) followed by ``Key:<tab>Value`` lines; a line holding only ``From`` or ``To`` is
a namespace for the ``Tel:`` and ``Name (Matched):`` lines after it. Device information is
``Data:`` / ``Attribute:`` pairs. Times are US-style wall-clock times in UK local time with the
offset and ``(Device)``, e.g. ``10/20/2026 7:05:00 PM UTC+1 (Device)``. Lines end in CR LF, as
the Windows tool writes them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from threadline.scenario.identifiers import Notation, NumberBook
from threadline.scenario.phone_downloads import EXAMINER, HandsetDownload, uk_offset_at

__all__ = ["XRY_FILES", "build_files", "write_xry", "xry_time"]

#: File name and report type (header line 3) of each file of the export.
XRY_FILES: tuple[tuple[str, str], ...] = (
    ("Calls.txt", "Calls"),
    ("Contacts-Contacts.txt", "Contacts/Contacts"),
    ("Messages-SMS.txt", "Messages/SMS"),
    ("Device-General Information.txt", "Device/General Information"),
)


def xry_time(seconds: int) -> str:
    """An instant as XRY writes a handset time: UK wall clock, US order, offset, ``(Device)``."""
    offset = uk_offset_at(seconds)
    local = datetime.fromtimestamp(seconds + offset, tz=UTC)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{local.month}/{local.day}/{local.year} {hour}:{local.minute:02d}:{local.second:02d} "
        f"{half} UTC+{offset // 3600} (Device)"
    )


def _document(report_type: str, download: HandsetDownload, entities: Sequence[str]) -> bytes:
    header = [
        "XRY Export",
        f"Operation Cedar (fictional) - exhibit {download.reference}",
        report_type,
        f"Examiner: {EXAMINER}",
        f"Extraction: {download.tool}",
    ]
    text = "\r\n".join(header) + "\r\n\r\n" + "\r\n\r\n".join(entities) + "\r\n"
    return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")


def _lines(title: str, index: int, pairs: Iterable[tuple[str, str] | str]) -> str:
    rows = [f"{title} #\t{index}"]
    for pair in pairs:
        rows.append(pair if isinstance(pair, str) else f"{pair[0]}:\t{pair[1]}")
    return "\r\n".join(rows)


def build_files(download: HandsetDownload, book: NumberBook) -> dict[str, bytes]:
    """Return the export's files by name (each UTF-16LE with BOM)."""
    names: dict[int, str] = {}
    for contact in download.contacts:
        for number in contact.numbers:
            names.setdefault(number, contact.name)

    def party(namespace: str, number: int, own: bool) -> list[tuple[str, str] | str]:
        rows: list[tuple[str, str] | str] = [namespace, ("Tel", book.e164(number))]
        # the handset matches a caller to its address book; its own number has no entry
        if not own and number in names:
            rows.append(("Name (Matched)", names[number]))
        return rows

    calls = []
    for index, call in enumerate(reversed(download.calls), start=1):
        kind = "Dialed" if call.outgoing else "Missed" if call.missed else "Received"
        hours, rest = divmod(call.duration, 3600)
        calls.append(
            _lines(
                "Calls",
                index,
                [
                    ("Call Type", kind),
                    ("Time", xry_time(call.start)),
                    ("Duration", f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"),
                    *party("To" if call.outgoing else "From", call.other, False),
                    ("Storage", "Phone"),
                    ("Index", str(index)),
                ],
            )
        )
    contacts = []
    for index, contact in enumerate(download.contacts, start=1):
        contacts.append(
            _lines(
                "Contacts",
                index,
                [
                    ("Name", contact.name),
                    *(("Tel", book.render(n, Notation.NATIONAL_SPACED)) for n in contact.numbers),
                    ("Storage", "Phone"),
                    ("Index", str(index)),
                ],
            )
        )
    messages = []
    index = 0
    for thread in download.threads:
        if thread.app != "SMS":
            continue
        for message in thread.messages:
            index += 1
            own_name, other_name = ("From", "To") if message.outgoing else ("To", "From")
            own_rows = party(own_name, thread.own, True)
            other_rows = party(other_name, thread.other, False)
            sender, recipient = (
                (own_rows, other_rows) if message.outgoing else (other_rows, own_rows)
            )
            messages.append(
                _lines(
                    "SMS",
                    index,
                    [
                        ("Text", message.body),
                        ("Time", xry_time(message.start)),
                        ("Type", "Submit" if message.outgoing else "Deliver"),
                        ("Direction", "Outgoing" if message.outgoing else "Incoming"),
                        ("Status", "Sent" if message.outgoing else "Read"),
                        ("Folder", "Sent" if message.outgoing else "Inbox"),
                        *sender,
                        *recipient,
                        ("Deleted", "Yes" if thread.deleted else "No"),
                        ("Storage", "Phone"),
                        ("Index", str(index)),
                    ],
                )
            )
    info = [
        (download.model, "Device Name"),
        (download.manufacturer, "Manufacturer"),
        (download.model, "Model"),
        (download.handset.imei, "Mobile Id (IMEI)"),
        (download.imsi, "Subscriber Id (IMSI)"),
        (book.e164(download.msisdn), "MSISDN"),
        (download.os, "Revision"),
    ]
    general = [
        _lines(
            "General Information",
            1,
            [
                pair
                for data, attribute in info
                for pair in (("Data", data), ("Attribute", attribute))
            ],
        )
    ]
    bodies = {"Calls": calls, "Contacts/Contacts": contacts, "Messages/SMS": messages}
    bodies["Device/General Information"] = general
    return {name: _document(kind, download, bodies[kind]) for name, kind in XRY_FILES}


def write_xry(path: Path, download: HandsetDownload, book: NumberBook) -> None:
    """Write the export as a ZIP of its ``.txt`` files at ``path`` (same download, same bytes)."""
    stamp = download.extracted_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in build_files(download, book).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
