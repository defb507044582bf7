"""Write a handset download as a Cellebrite UFDR: a ZIP with ``report.xml`` and the files it names.

The structure follows formats.md §1 (written from IPED's and UFEDLib's readers and IPED's report
fragments): root ``<project>`` in the namespace ``http://pa.cellebrite.com/report/2.0``, with
``sourceExtractions``, ``caseInformation``, the ``Device Info`` metadata section, ``taggedFiles``
(each with its ``Local Path`` inside the ZIP) and ``decodedData`` holding ``modelType`` groups of
``model`` elements (``Contact``, ``Call``, ``SMS``, ``Chat`` with ``InstantMessage``). Times are
ISO 8601 with milliseconds and an explicit offset; a report can be written in UTC or in the
handset's UK local time (``+01:00`` in summer), both as real reports are. A deleted thread's
models carry ``deleted_state="Deleted"``.

The same download always gives the same bytes: model ids are name-based UUIDs and the ZIP entries
carry the extraction's date.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from threadline.scenario.cast import PEOPLE
from threadline.scenario.identifiers import Notation, NumberBook
from threadline.scenario.phone_downloads import (
    HandsetDownload,
    PhoneMessage,
    PhonePhoto,
    PhoneThread,
    uk_offset_at,
)
from threadline.scenario.photos import make_jpeg

__all__ = ["NAMESPACE", "build_report", "local_path", "owner_name", "photo_bytes", "write_ufdr"]

NAMESPACE = "http://pa.cellebrite.com/report/2.0"
_ID_ROOT = uuid.UUID("4f1d9a52-2c55-4c1e-9a87-6f0d2b7c3e10")


def photo_bytes(photo: PhonePhoto) -> bytes:
    """The photo's JPEG bytes (EXIF only on a camera original)."""
    if not photo.exif:
        return make_jpeg(photo.colour, size=(48, 36))
    return make_jpeg(
        photo.colour,
        taken_utc=datetime.fromtimestamp(photo.taken, tz=UTC),
        offset_seconds=uk_offset_at(photo.taken),
        position=photo.position,
        camera=photo.camera,
    )


def owner_name(download: HandsetDownload) -> str:
    """The owner's name as a smartphone's account records it; empty for a basic phone."""
    if not download.is_smartphone:
        return ""
    name = next(p.name for p in PEOPLE if p.id == download.owner)
    given, family = name.rsplit(" ", 1)
    return f"{given} {family.title()}"


def local_path(photo: PhonePhoto) -> str:
    """Where the report keeps the photo (Windows separators, as Cellebrite writes them)."""
    return "files\\Image\\" + photo.file_name


class _Report:
    """Builds one report's XML (local to :func:`write_ufdr`)."""

    def __init__(self, download: HandsetDownload, book: NumberBook, local_time: bool) -> None:
        self.download = download
        self.book = book
        self.local_time = local_time
        self.serial = 0
        self.source_index = 1000

    def uid(self) -> str:
        self.serial += 1
        return str(uuid.uuid5(_ID_ROOT, f"{self.download.reference}/{self.serial}"))

    def stamp(self, seconds: int) -> tuple[str, str]:
        """(value with milliseconds, formattedTimestamp) for an instant."""
        offset = uk_offset_at(seconds) if self.local_time else 0
        moment = datetime.fromtimestamp(seconds + offset, tz=UTC)
        zone = "+01:00" if offset else "+00:00"
        return (
            moment.strftime("%Y-%m-%dT%H:%M:%S") + ".000" + zone,
            moment.strftime("%Y-%m-%dT%H:%M:%S") + zone,
        )

    def model(self, parent: etree._Element, kind: str, deleted: bool = False) -> etree._Element:
        self.source_index += 1
        return etree.SubElement(
            parent,
            "model",
            type=kind,
            id=self.uid(),
            deleted_state="Deleted" if deleted else "Intact",
            decoding_confidence="High",
            isrelated="False",
            source_index=str(self.source_index),
            extractionId="0",
        )

    def field(self, parent: etree._Element, name: str, kind: str, value: str | None) -> None:
        element = etree.SubElement(parent, "field", name=name, type=kind)
        if value is None:
            etree.SubElement(element, "empty")
            return
        etree.SubElement(element, "value", type=kind).text = etree.CDATA(value)

    def time_field(self, parent: etree._Element, name: str, seconds: int) -> None:
        value, formatted = self.stamp(seconds)
        element = etree.SubElement(parent, "field", name=name, type="TimeStamp")
        etree.SubElement(
            element,
            "value",
            type="TimeStamp",
            format="TimeStampKnown",
            formattedTimestamp=formatted,
        ).text = value

    def party(
        self, parent: etree._Element, number: int, name: str | None, role: str, owner: bool
    ) -> None:
        party = self.model(parent, "Party")
        self.field(party, "Identifier", "String", self.book.e164(number))
        self.field(party, "Role", "PartyRole", role)
        self.field(party, "Name", "String", name)
        self.field(party, "IsPhoneOwner", "Boolean", "True" if owner else "False")

    def whatsapp_party(
        self, parent: etree._Element, number: int, name: str | None, role: str, owner: bool
    ) -> None:
        party = self.model(parent, "Party")
        self.field(party, "Identifier", "String", self.jid(number))
        self.field(party, "Role", "PartyRole", role)
        self.field(party, "Name", "String", name)
        self.field(party, "IsPhoneOwner", "Boolean", "True" if owner else "False")

    def jid(self, number: int) -> str:
        return self.book.render(number, Notation.INTERNATIONAL) + "@s.whatsapp.net"


def _names(download: HandsetDownload) -> dict[int, str]:
    """Contact name by number, as the handset would show a caller."""
    names: dict[int, str] = {}
    for contact in download.contacts:
        for number in contact.numbers:
            names.setdefault(number, contact.name)
    return names


def _device_info(report: _Report, project: etree._Element) -> None:
    download, book = report.download, report.book
    section = etree.SubElement(project, "metadata", section="Device Info")
    items = (
        ("DeviceInfoDetectedPhoneVendor", download.manufacturer),
        ("DeviceInfoDetectedPhoneModel", download.model),
        ("DeviceInfoOSVersion", download.os),
        ("IMEI", download.handset.imei),
        ("IMSI", download.imsi),
        ("MSISDN", book.e164(download.msisdn)),
        ("DeviceInfoOwnerName", owner_name(download)),
        ("DeviceInfoTimeZone", "Europe/London"),
    )
    for name, value in items:
        if not value:
            continue
        item = etree.SubElement(section, "item", id=report.uid(), name=name, sourceExtraction="0")
        item.text = etree.CDATA(value)


def _contacts(report: _Report, decoded: etree._Element) -> None:
    group = etree.SubElement(decoded, "modelType", type="Contact")
    for contact in report.download.contacts:
        model = report.model(group, "Contact")
        report.field(model, "Source", "String", "Phone")
        report.field(model, "Name", "String", contact.name)
        entries = etree.SubElement(model, "multiModelField", name="Entries", type="ContactEntry")
        for position, number in enumerate(contact.numbers):
            entry = report.model(entries, "PhoneNumber")
            report.field(entry, "Category", "String", "Mobile" if position == 0 else "Mobile 2")
            report.field(
                entry, "Value", "String", report.book.render(number, Notation.NATIONAL_SPACED)
            )
            report.field(entry, "Domain", "String", "Phone")


def _calls(report: _Report, decoded: etree._Element, names: dict[int, str]) -> None:
    group = etree.SubElement(decoded, "modelType", type="Call")
    for call in report.download.calls:
        model = report.model(group, "Call")
        report.field(model, "Source", "String", "Phone")
        direction = "Outgoing" if call.outgoing else "Incoming"
        kind = "Missed" if call.missed else direction
        report.field(model, "Direction", "CallDirection", direction)
        report.field(model, "Type", "CallType", kind)
        report.field(model, "Status", "CallStatus", "Missed" if call.missed else "Established")
        report.time_field(model, "TimeStamp", call.start)
        hours, rest = divmod(call.duration, 3600)
        report.field(model, "Duration", "TimeSpan", f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}")
        report.field(model, "VideoCall", "Boolean", "False")
        parties = etree.SubElement(model, "multiModelField", name="Parties", type="Party")
        own_role, other_role = ("From", "To") if call.outgoing else ("To", "From")
        report.party(parties, call.own, None, own_role, True)
        report.party(parties, call.other, names.get(call.other), other_role, False)


def _sms(
    report: _Report, group: etree._Element, thread: PhoneThread, names: dict[int, str]
) -> None:
    for message in thread.messages:
        model = report.model(group, "SMS", thread.deleted)
        report.field(model, "Source", "String", None)
        report.time_field(model, "TimeStamp", message.start)
        parties = etree.SubElement(model, "multiModelField", name="Parties", type="Party")
        if message.outgoing:
            report.party(parties, thread.own, None, "From", True)
            report.party(parties, thread.other, names.get(thread.other), "To", False)
        else:
            report.party(parties, thread.other, names.get(thread.other), "From", False)
            report.party(parties, thread.own, None, "To", True)
        report.field(model, "Body", "String", message.body)
        report.field(model, "Folder", "String", "Sent" if message.outgoing else "Inbox")
        report.field(model, "Status", "MessageStatus", "Sent" if message.outgoing else "Read")


def _chat(
    report: _Report,
    group: etree._Element,
    thread: PhoneThread,
    names: dict[int, str],
    files: dict[str, tuple[str, PhonePhoto]],
) -> None:
    chat = report.model(group, "Chat", thread.deleted)
    report.field(chat, "Source", "String", "WhatsApp")
    report.field(chat, "Id", "String", report.jid(thread.other))
    report.field(chat, "Name", "String", None)
    report.time_field(chat, "StartTime", thread.messages[0].start)
    report.time_field(chat, "LastActivity", thread.messages[-1].start)
    participants = etree.SubElement(chat, "multiModelField", name="Participants", type="Party")
    report.whatsapp_party(participants, thread.other, names.get(thread.other), "General", False)
    report.whatsapp_party(participants, thread.own, None, "General", True)
    messages = etree.SubElement(chat, "multiModelField", name="Messages", type="InstantMessage")
    for message in thread.messages:
        _instant_message(report, messages, thread, message, names, files)


def _instant_message(
    report: _Report,
    parent: etree._Element,
    thread: PhoneThread,
    message: PhoneMessage,
    names: dict[int, str],
    files: dict[str, tuple[str, PhonePhoto]],
) -> None:
    model = report.model(parent, "InstantMessage", thread.deleted)
    report.field(model, "Source", "String", "WhatsApp")
    sender = etree.SubElement(model, "modelField", name="From", type="Party")
    to = etree.SubElement(model, "multiModelField", name="To", type="Party")
    if message.outgoing:
        report.whatsapp_party(sender, thread.own, None, "From", True)
        report.whatsapp_party(to, thread.other, names.get(thread.other), "To", False)
    else:
        report.whatsapp_party(sender, thread.other, names.get(thread.other), "From", False)
        report.whatsapp_party(to, thread.own, None, "To", True)
    report.field(model, "Body", "String", message.body)
    report.field(model, "Identifier", "String", report.uid().replace("-", "").upper())
    report.time_field(model, "TimeStamp", message.start)
    attachments = etree.SubElement(model, "multiModelField", name="Attachments", type="Attachment")
    jump: str | None = None
    if message.photo is not None and message.photo in files:
        file_id, photo = files[message.photo]
        attachment = report.model(attachments, "Attachment", thread.deleted)
        attachment.set("file_id", file_id)
        report.field(attachment, "Filename", "String", photo.file_name)
        report.field(attachment, "ContentType", "String", "image/jpeg")
        report.field(attachment, "attachment_extracted_path", "String", local_path(photo))
        jump = file_id
    report.field(model, "Status", "MessageStatus", "Sent" if message.outgoing else "Read")
    report.field(model, "Platform", "Platform", "Mobile")
    report.field(model, "Type", "InstantMessageType", "AppMessage")
    report.field(model, "SourceApplication", "String", "WhatsApp")
    if jump is not None:
        targets = etree.SubElement(model, "jumptargets", name="")
        etree.SubElement(targets, "targetid", ismodel="false").text = etree.CDATA(jump)


def _tagged_files(
    report: _Report, project: etree._Element, blobs: dict[str, bytes]
) -> dict[str, tuple[str, PhonePhoto]]:
    tagged = etree.SubElement(project, "taggedFiles")
    files: dict[str, tuple[str, PhonePhoto]] = {}
    for photo in report.download.photos:
        data = blobs[photo.key]
        file_id = report.uid()
        files[photo.key] = (file_id, photo)
        element = etree.SubElement(
            tagged,
            "file",
            fs="Data",
            fsid="0",
            path=photo.device_path,
            size=str(len(data)),
            id=file_id,
            extractionId="0",
            deleted="intact",
            embedded="false",
            isrelated="False",
        )
        metadata = etree.SubElement(element, "metadata", section="File")
        for name, value in (
            ("Local Path", local_path(photo)),
            ("SHA256", hashlib.sha256(data).hexdigest()),
            ("MD5", hashlib.md5(data, usedforsecurity=False).hexdigest()),
        ):
            etree.SubElement(metadata, "item", name=name).text = etree.CDATA(value)
        value, _ = report.stamp(photo.taken)
        etree.SubElement(element, "timestamp", name="CreationTime").text = value
        etree.SubElement(element, "timestamp", name="ModifyTime").text = value
    return files


def build_report(download: HandsetDownload, book: NumberBook, *, local_time: bool) -> bytes:
    """Return ``report.xml`` for the download (UTF-8, with XML declaration)."""
    report = _Report(download, book, local_time)
    blobs = {photo.key: photo_bytes(photo) for photo in download.photos}
    project = etree.Element(
        "project",
        id=report.uid(),
        name=f"{download.reference} {download.model}",
        reportVersion="7.69.0.112",
        licenseID="0000000000",
        containsGarbage="False",
        extractionType=download.tool.rsplit("; ", 1)[-1].replace(" ", ""),
    )
    sources = etree.SubElement(project, "sourceExtractions")
    etree.SubElement(
        sources,
        "extractionInfo",
        id="0",
        name=download.tool.rsplit("; ", 1)[-1],
        isCustomName="False",
        type=download.tool.rsplit("; ", 1)[-1].replace(" ", ""),
        deviceName=f"{download.manufacturer} {download.model}",
        fullName=f"{download.manufacturer} {download.model}",
        index="0",
        IsPartialData="False",
    )
    case = etree.SubElement(project, "caseInformation")
    for name, value in (
        ("Case Number", "OP-CEDAR"),
        ("Evidence Number", download.reference),
        ("Examiner Name", "Morgan Castell (fictional)"),
        ("Notes", "SYNTHETIC TEST DATA: Operation Cedar is fictional."),
    ):
        etree.SubElement(case, "field", name=name, isSystem="True", fieldType=name).text = value
    extraction = etree.SubElement(project, "metadata", section="Extraction Data")
    started = download.extracted_at.strftime("%d/%m/%Y %H:%M:%S") + " (UTC)"
    etree.SubElement(
        extraction, "item", name="DeviceInfoExtractionStartDateTime", sourceExtraction="0"
    ).text = etree.CDATA(started)
    _device_info(report, project)
    files = _tagged_files(report, project, blobs)
    decoded = etree.SubElement(project, "decodedData")
    names = _names(download)
    _contacts(report, decoded)
    _calls(report, decoded, names)
    sms = [t for t in download.threads if t.app == "SMS"]
    if sms:
        group = etree.SubElement(decoded, "modelType", type="SMS")
        for thread in sms:
            _sms(report, group, thread, names)
    chats = [t for t in download.threads if t.app == "WhatsApp"]
    if chats:
        group = etree.SubElement(decoded, "modelType", type="Chat")
        for thread in chats:
            _chat(report, group, thread, names, files)
    text = etree.tostring(project, xml_declaration=True, encoding="utf-8", pretty_print=True)
    # Every element is in the report namespace; declaring it once as the root's default namespace
    # (as Cellebrite does) is simpler than qualifying each of the thousands of names built above.
    return text.replace(b"<project ", f'<project xmlns="{NAMESPACE}" '.encode(), 1)


def _members(
    download: HandsetDownload, book: NumberBook, local_time: bool
) -> Iterator[tuple[str, bytes]]:
    yield "report.xml", build_report(download, book, local_time=local_time)
    for photo in download.photos:
        yield local_path(photo).replace("\\", "/"), photo_bytes(photo)


def write_ufdr(
    path: Path, download: HandsetDownload, book: NumberBook, *, local_time: bool
) -> None:
    """Write the download as a ``.ufdr`` ZIP at ``path`` (same download, same bytes)."""
    stamp = download.extracted_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _members(download, book, local_time):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
