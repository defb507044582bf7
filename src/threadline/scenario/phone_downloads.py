"""What Operation Cedar's seized handsets hold: contacts, call logs, conversations and photos.

Five handsets are seized on the morning of 16 November 2026 and downloaded by the force's digital
forensics unit (examiner "MC", fictional). Their content is derived from the story so that it
agrees with the network returns:

* **Call logs** are the story's own voice calls of the handset's numbers (the last
  :data:`CALL_LOG_SIZE` before seizure, while that handset was in use), so every call in a handset
  log is in the network return of that number whenever a return covers it. Calls the network
  diverted to voicemail are not in handset logs.
* **Text messages** between two people whose lines are both in the story are pinned to the
  story's own SMS events between them (``network`` timing): the script's lines are laid on those
  events in order, each on the next event sent by the line's speaker. Conversations with no such
  events (``scripted`` timing) are placed only where no network return covers either number, which
  :func:`plan_downloads` checks, so no return ever lacks a text a handset holds.
* **WhatsApp** messages are app traffic, never in a call data return.

The people save each other under nicknames that link them across handsets (the controller is
"Avi boss" on three phones and "A" / "A old" on the lieutenant's, with his first and successor
numbers), and two threads were deleted by their owner: the controller's texts with the recruiter
(reported ``Deleted`` in his Cellebrite report) and the driver's texts with the recruiter (still
in the database file of his full file-system extraction, deleted in its write-ahead log). Messages
are in English, Albanian, Romanian, Polish and Vietnamese; they are factual and non-graphic
(shifts, pickups, money, documents, accommodation). Every name and number is fictional
(requirement 66).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import numpy as np

from threadline.scenario.cast import ADDRESSES, PEOPLE
from threadline.scenario.rows import SMS, VOICE
from threadline.scenario.story import PERIOD_END, CoreCase, HandsetInfo, Line
from threadline.scenario.timebase import epoch, local_to_utc, uk_offset

__all__ = [
    "CALL_LOG_SIZE",
    "EXAMINER",
    "SEIZED_AT",
    "HandsetDownload",
    "PhoneCall",
    "PhoneContact",
    "PhoneMessage",
    "PhonePhoto",
    "PhoneThread",
    "plan_downloads",
    "uk_offset_at",
]

#: Most recent calls a handset's log keeps (Android keeps 500; fewer keeps the demo quick).
CALL_LOG_SIZE = 150
#: The handsets are seized at this instant (arrest day, early morning).
SEIZED_AT = datetime(2026, 11, 16, 6, 10, tzinfo=UTC)
EXAMINER = "DFU examiner Morgan Castell (fictional)"


@dataclass(frozen=True, slots=True)
class PhoneContact:
    """An address-book entry: the name as saved and its numbers (number-book indices)."""

    name: str
    numbers: tuple[int, ...]
    person: str | None
    """Whose number it is: a person id, ``SH`` for the victims' shared phone, ``None`` otherwise."""


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """A call in a handset's log, from the handset's point of view."""

    comm: int
    """Story communication id: the same call in a network return has it too."""
    start: int
    """UTC epoch seconds."""
    duration: int
    outgoing: bool
    own: int
    """The handset's number used (number-book index)."""
    other: int

    @property
    def missed(self) -> bool:
        """An incoming call nobody answered."""
        return not self.outgoing and self.duration == 0


@dataclass(frozen=True, slots=True)
class PhoneMessage:
    """One message of a thread, from the handset's point of view."""

    start: int
    outgoing: bool
    body: str
    comm: int
    """Story communication id of the SMS event, or -1 (WhatsApp, or scripted timing)."""
    photo: str | None = None
    """Key of the attached photo (see :class:`PhonePhoto`)."""


@dataclass(frozen=True, slots=True)
class PhoneThread:
    """A conversation as one handset holds it."""

    key: str
    """Conversation key, the same on every handset holding it (e.g. ``sms-P01-P02``)."""
    app: str
    """``SMS`` or ``WhatsApp``."""
    own: int
    other: int
    counterpart: str
    """Person id of the other party (``SH`` for the shared phone)."""
    language: str
    deleted: bool
    messages: tuple[PhoneMessage, ...]


@dataclass(frozen=True, slots=True)
class PhonePhoto:
    """A photo file on a handset (flat colour; see :mod:`threadline.scenario.photos`)."""

    key: str
    file_name: str
    device_path: str
    """Absolute path on the handset."""
    taken: int
    """UTC epoch seconds (camera) or the time the copy was saved (WhatsApp)."""
    colour: tuple[int, int, int]
    exif: bool
    """Camera original with EXIF; ``False`` for a WhatsApp copy (stripped, re-encoded)."""
    position: tuple[float, float] | None
    camera: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class HandsetDownload:
    """One seized handset and everything its download holds."""

    reference: str
    file_format: str
    """``ufdr``, ``xry_text`` or ``phone_fs``."""
    parser: str
    filename: str
    owner: str
    handset: HandsetInfo
    imsi: str
    msisdn: int
    """The number of the SIM in the handset at seizure (number-book index)."""
    manufacturer: str
    model: str
    os: str
    seized_from: str
    """Address id where it was seized."""
    extracted_at: datetime
    tool: str
    title: str
    description: str
    contacts: tuple[PhoneContact, ...]
    calls: tuple[PhoneCall, ...]
    threads: tuple[PhoneThread, ...]
    photos: tuple[PhonePhoto, ...]

    @property
    def is_smartphone(self) -> bool:
        """Whether the handset runs apps (WhatsApp, a camera): not a basic phone."""
        return "basic phone" not in self.handset.model


def uk_offset_at(seconds: int) -> int:
    """UK offset from UTC (0 or 3600) at one instant."""
    return int(uk_offset(np.asarray([seconds], np.int64))[0])


@dataclass(frozen=True, slots=True)
class _Script:
    """A conversation between two people, with its lines and how its times are found."""

    key: str
    app: str
    a: str
    b: str
    language: str
    lines: tuple[tuple[str, str], ...]
    """(speaker, text) in order."""
    since_days: int = 0
    """``network`` timing: use the story's SMS events from this many days before seizure."""
    start_local: datetime | None = None
    """``scripted`` timing: UK wall-clock time of the first line (naive)."""
    gaps: tuple[int, ...] = ()
    """``scripted`` timing: minutes after the previous line, for lines 2 onwards."""
    deleted_on: tuple[str, ...] = ()
    """Owners whose copy of the conversation is deleted."""
    photos: tuple[tuple[int, str], ...] = ()
    """(line index, photo key) of lines carrying a photo."""


_SCRIPTS: tuple[_Script, ...] = (
    _Script(
        "sms-P01-P02", "SMS", "P01", "P02", "Albanian",
        (
            ("P01", "Besi, sa punëtorë janë nesër në lavazh?"),
            ("P02", "Gjashtë. Dy të rinj fillojnë të hënën."),
            ("P01", "Mirë. Paratë e javës m'i sill të dielën."),
            ("P02", "Po, i kam gati. 2.300 nga lavazhi."),
            ("P01", "Makina e Gigit duhet në servis. Fol me të."),
            ("P02", "Në rregull, e rregulloj sot."),
            ("P02", "Shtëpia 2 ka nevojë për qiranë këtë javë."),
            ("P01", "Ia jap Lorit të enjten."),
        ),
        since_days=42,
    ),
    _Script(
        "sms-P01-P08", "SMS", "P08", "P01", "English",
        (
            ("P08", "Total this week 4,850. Car wash 2,300, nails 1,350, factory 1,200."),
            ("P01", "ok. send 3,000 to the usual account tomorrow"),
            ("P08", "Will do. SwiftRemit receipt to follow."),
            ("P08", "Rent for House 1 and 3 paid. House 2 landlord wants cash Friday."),
            ("P01", "Besi brings cash Fri"),
            ("P08", "This week 5,120. Factory agency paid late, in on Tuesday."),
            ("P08", "Need the new starters' bank cards back from Lori to pay wages in."),
        ),
        since_days=70,
    ),
    _Script(
        "sms-P01-P09", "SMS", "P09", "P01", "English",
        (
            ("P09", "Two more coming Thursday on the coach from Bucharest. Names sent to Lori."),
            ("P01", "Did they bring documents? ID cards go to Lori."),
            ("P09", "Next two on the coach Monday. ID cards with them, I keep copies."),
            ("P01", "House 3 has beds for them."),
            ("P09", "They were told the factory job pays 9 an hour."),
            ("P01", "Fine. Delete these messages."),
        ),
        since_days=120,
        deleted_on=("P01",),
    ),
    _Script(
        "sms-P10-P02", "SMS", "P10", "P02", "English",
        (
            ("P10", "Tomorrow 5 for car wash, Marius is sick"),
            ("P02", "He goes anyway. Van at 6:40"),
            ("P10", "Ok. House 2 need gas money, 60"),
            ("P02", "I bring Friday"),
            ("P10", "Room ready in House 3 for the two new ones"),
            ("P02", "Good. Pickup from coach station Thursday 7am"),
        ),
        since_days=42,
    ),
    _Script(
        "sms-P10-P04", "SMS", "P10", "P04", "Romanian",
        (
            ("P10", "Gigi, mâine plecăm la 6:40 de la casa 1. Opt persoane."),
            ("P04", "Bine. Duc patru la fabrică și patru la spălătorie."),
            ("P10", "Ia-i și pe cei doi noi de la casa 3."),
            ("P04", "Nu am loc. Îl sun pe Deano să ia duba."),
            ("P10", "Banii de benzină îi primești vineri de la Besi."),
            ("P04", "Mulțumesc. La ce oră îi aduc înapoi?"),
            ("P10", "La 18:30. Nu opri pe drum."),
        ),
        start_local=datetime(2026, 10, 20, 19, 5),
        gaps=(4, 3, 6, 11, 2, 5),
    ),
    _Script(
        "sms-P10-SH", "SMS", "P10", "SH", "Polish",
        (
            ("P10", "Ewelina, jutro praca w salonie paznokci od 8 do 18."),
            ("SH", "Dobrze. Czy dostanę wypłatę w piątek?"),
            ("P10", "Pieniądze za pokój i jedzenie są odjęte. Reszta w piątek."),
            ("SH", "Potrzebuję mój dowód osobisty, żeby iść do lekarza."),
            ("P10", "Zapytam szefa."),
        ),
        start_local=datetime(2026, 10, 27, 20, 10),
        gaps=(7, 3, 9, 15),
    ),
    _Script(
        "sms-P10-V03", "SMS", "P10", "V03", "Vietnamese",
        (
            ("P10", "Lan, ngày mai xe đón lúc 6 giờ 40 ở nhà số 1."),
            ("V03", "Vâng. Tôi làm ở nhà máy đến mấy giờ?"),
            ("P10", "Đến 18 giờ. Tiền nhà trừ vào lương."),
            ("V03", "Tôi muốn gửi tiền về cho mẹ."),
            ("P10", "Chủ nhật nói chuyện với Priya."),
        ),
        start_local=datetime(2026, 11, 3, 19, 40),
        gaps=(6, 4, 12, 8),
    ),
    _Script(
        "sms-P04-P09", "SMS", "P09", "P04", "Romanian",
        (
            ("P09", "Gigi, joi la 7 dimineața la autogară. Doi oameni, de la București."),
            ("P04", "Bine. Unde îi duc?"),
            ("P09", "La casa 3. Lori le ia actele."),
            ("P04", "Am înțeles."),
            ("P09", "Șterge mesajele."),
        ),
        start_local=datetime(2026, 10, 14, 21, 15),
        gaps=(3, 2, 1, 1),
        deleted_on=("P04",),
    ),
    _Script(
        "wa-P02-P04", "WhatsApp", "P02", "P04", "English",
        (
            ("P02", "Gigi tomorrow you do factory run first then car wash"),
            ("P04", "ok boss. people carrier has problem with tyre"),
            ("P02", "Kestrel tyres Saturday. I pay"),
            ("P04", "this is the parking at factory, ok to wait here?"),
            ("P02", "yes. dont go inside"),
        ),
        start_local=datetime(2026, 10, 18, 20, 30),
        gaps=(9, 4, 637, 3),
        photos=((3, "factory-parking"),),
    ),
    _Script(
        "wa-P08-P12", "WhatsApp", "P12", "P08", "English",
        (
            ("P12", "Priya, receipt from SwiftRemit for Tuesday"),
            ("P08", "Got it. How much from the nail bar this week?"),
            ("P12", "1,350. Two girls off sick Wednesday. Cảm ơn chị."),
            ("P08", "Ok. I'll tell A."),
        ),
        start_local=datetime(2026, 11, 10, 10, 5),
        gaps=(12, 5, 2),
        photos=((0, "receipt"),),
    ),
)  # fmt: skip

#: Contacts each owner saved: (name as saved, numbers as line keys or ``bg:`` label prefixes).
_CONTACTS: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = MappingProxyType(
    {
        "P01": (
            ("Besi", ("P02",)),
            ("Tami", ("P03",)),
            ("P money", ("P08",)),
            ("Lori house", ("P10",)),
            ("Mia", ("P09",)),
            ("Gigi", ("P04",)),
            ("JQ", ("P11",)),
            ("Minh", ("P12",)),
            ("Mama", ("bg:mother of P01",)),
            ("Dritan", ("bg:brother of P01",)),
            ("Elira", ("bg:partner of P01",)),
            ("Golden Lantern", ("bg:takeaway: Golden Lantern",)),
            ("Mere Cars", ("bg:taxi: Mere Cars",)),
            ("Thamesgate Legal", ("bg:solicitor: Thamesgate",)),
        ),
        "P02": (
            ("A", ("P01-new",)),
            ("A old", ("P01-old",)),
            ("Tami", ("P03",)),
            ("Priya", ("P08",)),
            ("Lori", ("P10",)),
            ("Gigi driver", ("P04",)),
            ("Deano van", ("P05",)),
            ("Kamil", ("P06",)),
            ("Em", ("P07",)),
            ("JQ", ("P11",)),
            ("Zana", ("bg:wife of P02",)),
            ("Arben", ("bg:cousin of P02",)),
        ),
        "P08": (
            ("Avi boss", ("P01-old", "P01-new")),
            ("Besi", ("P02",)),
            ("Minh", ("P12",)),
            ("Rob", ("bg:husband of P08",)),
            ("Mum", ("bg:mother of P08",)),
            ("Anya", ("bg:daughter of P08",)),
            ("SwiftRemit", ("bg:money transfer: SwiftRemit",)),
        ),
        "P10": (
            ("Avi boss", ("P01-old", "P01-new")),
            ("Besnik", ("P02",)),
            ("Gigi", ("P04",)),
            ("Deano", ("P05",)),
            ("Kamil", ("P06",)),
            ("Emeka", ("P07",)),
            ("Mihaela", ("P09",)),
            ("Lan", ("V03",)),
            ("Casa 2 telefon", ("SH",)),
        ),
        "P04": (
            ("Avi boss", ("P01-new",)),
            ("B", ("P02",)),
            ("Mama L", ("P10",)),
            ("Mia", ("P09",)),
            ("Deano", ("P05",)),
            ("Ana", ("bg:wife of P04",)),
            ("Corina", ("bg:sister of P04",)),
        ),
    }
)


@dataclass(frozen=True, slots=True)
class _Plan:
    reference: str
    owner: str
    file_format: str
    parser: str
    filename: str
    tool: str
    extracted: datetime
    os: str


_PLANS: tuple[_Plan, ...] = (
    _Plan("MC/1", "P01", "ufdr", "cellebrite", "MC_1_controller.ufdr",
          "Cellebrite UFED 7.69 (fictional report); Logical", datetime(2026, 11, 17, 10, 12,
          tzinfo=UTC), "Fictional feature-phone OS 3.2"),
    _Plan("MC/2", "P02", "ufdr", "cellebrite", "MC_2_lieutenant.ufdr",
          "Cellebrite UFED 7.69 (fictional report); Advanced Logical", datetime(2026, 11, 17,
          14, 40, tzinfo=UTC), "Android 14"),
    _Plan("MC/3", "P08", "ufdr", "cellebrite", "MC_3_money_handler.ufdr",
          "Cellebrite UFED 7.69 (fictional report); Advanced Logical", datetime(2026, 11, 18,
          9, 55, tzinfo=UTC), "Android 13"),
    _Plan("MC/4", "P10", "xry_text", "xry_text", "MC_4_house_manager_xry.zip",
          "MSAB XRY 10.8 (fictional export); Logical", datetime(2026, 11, 18, 13, 20,
          tzinfo=UTC), "Fictional feature-phone OS 3.2"),
    _Plan("MC/5", "P04", "phone_fs", "phone_fs", "MC_5_driver_fs.tar",
          "Full file system extraction (fictional tool); Android FFS", datetime(2026, 11, 19,
          11, 5, tzinfo=UTC), "Android 14"),
)  # fmt: skip

_FORMAT_WORDS = MappingProxyType(
    {
        "ufdr": "Cellebrite UFDR",
        "xry_text": "XRY text export",
        "phone_fs": "full file-system extraction",
    }
)


def _split_model(model: str) -> tuple[str, str]:
    """(manufacturer, model) of a story model name such as 'Fictional handset model Alder 5'."""
    for marker in ("handset model ", "basic phone "):
        if marker in model:
            return "Fictional Handsets Ltd", model.split(marker, 1)[1]
    return "Fictional Handsets Ltd", model


@dataclass(frozen=True, slots=True)
class _World:
    """Look-ups over the core case used while planning (local to :func:`plan_downloads`)."""

    core: CoreCase
    lines: Mapping[str, tuple[Line, ...]]
    """Lines by owner: person id, or ``SH``."""

    def number_at(self, owner: str, at: int) -> int:
        for line in self.lines[owner]:
            if line.in_use_from <= at <= line.in_use_to:
                return line.number
        raise ValueError(f"{owner} has no line in use at {at}")

    def numbers(self, owner: str) -> tuple[int, ...]:
        return tuple(line.number for line in self.lines[owner])

    def covered(self, number: int, at: int) -> bool:
        """Whether a network return of the core case covers this number at this instant."""
        return any(
            e.line.number == number and e.window_start <= at <= e.window_end
            for e in self.core.exhibits
        )

    def resolve(self, ref: str) -> tuple[int, str | None]:
        if ref.startswith("bg:"):
            prefix = ref[3:]
            for number, label in self.core.background:
                if label.startswith(prefix):
                    return number, None
            raise KeyError(ref)
        line = self.core.line(ref)
        return line.number, line.user if line.user is not None else line.key


def _world(core: CoreCase) -> _World:
    owners: dict[str, list[Line]] = {}
    for line in core.lines:
        owners.setdefault(line.user if line.user is not None else line.key, []).append(line)
    return _World(core, {k: tuple(v) for k, v in owners.items()})


def _handset_span(world: _World, owner: str) -> tuple[HandsetInfo, int, int]:
    """The handset the owner used at seizure, and since when it was in use."""
    line = world.lines[owner][-1]
    since, index = line.handsets[-1]
    return world.core.handsets[index], since, epoch(PERIOD_END)


def _calls(world: _World, owner: str, since: int, until: int) -> tuple[PhoneCall, ...]:
    comms = world.core.comms
    own = np.asarray(world.numbers(owner), np.int64)
    mask = (comms.kind == VOICE) & (comms.start >= since) & (comms.start <= until)
    mask &= np.isin(comms.a, own) | np.isin(comms.b, own)
    chosen = np.flatnonzero(mask)[-CALL_LOG_SIZE:]
    calls = []
    for index in chosen.tolist():
        a, b = int(comms.a[index]), int(comms.b[index])
        outgoing = a in own
        calls.append(
            PhoneCall(
                comm=index,
                start=int(comms.start[index]),
                duration=int(comms.duration[index]),
                outgoing=outgoing,
                own=a if outgoing else b,
                other=b if outgoing else a,
            )
        )
    return tuple(calls)


@dataclass(frozen=True, slots=True)
class _Line:
    """A conversation line placed in time: sender, numbers, text."""

    start: int
    sender: str
    sender_number: int
    recipient_number: int
    body: str
    comm: int
    photo: str | None


def _network_lines(world: _World, script: _Script) -> tuple[_Line, ...]:
    """Lay the script on the story's SMS events between the two, in order, by sender."""
    comms = world.core.comms
    until = epoch(PERIOD_END)
    since = epoch(SEIZED_AT - timedelta(days=script.since_days))
    numbers = {script.a: world.numbers(script.a), script.b: world.numbers(script.b)}
    mask = (comms.kind == SMS) & (comms.start >= since) & (comms.start <= until)
    a_side = np.isin(comms.a, numbers[script.a]) & np.isin(comms.b, numbers[script.b])
    b_side = np.isin(comms.a, numbers[script.b]) & np.isin(comms.b, numbers[script.a])
    events = np.flatnonzero(mask & (a_side | b_side)).tolist()
    photos = dict(script.photos)
    placed: list[_Line] = []
    position = 0
    for number, (speaker, text) in enumerate(script.lines):
        while position < len(events) and int(comms.a[events[position]]) not in numbers[speaker]:
            position += 1
        if position == len(events):
            break  # the story has too few texts in the window: the thread ends early
        event = events[position]
        position += 1
        placed.append(
            _Line(
                start=int(comms.start[event]),
                sender=speaker,
                sender_number=int(comms.a[event]),
                recipient_number=int(comms.b[event]),
                body=text,
                comm=event,
                photo=photos.get(number),
            )
        )
    return tuple(placed)


def _scripted_lines(world: _World, script: _Script) -> tuple[_Line, ...]:
    """Place the script at its wall-clock times; refuse times a network return covers."""
    if script.start_local is None:
        raise ValueError(f"{script.key}: scripted timing needs start_local")
    local = epoch(script.start_local.replace(tzinfo=UTC))
    first = int(local_to_utc(np.asarray([local], np.int64))[0])
    offsets = np.cumsum([0, *script.gaps]) * 60
    photos = dict(script.photos)
    placed: list[_Line] = []
    for number, ((speaker, text), offset) in enumerate(
        zip(script.lines, offsets.tolist(), strict=True)
    ):
        at = first + int(offset)
        other = script.b if speaker == script.a else script.a
        sender_number, recipient_number = world.number_at(speaker, at), world.number_at(other, at)
        if script.app == "SMS" and (
            world.covered(sender_number, at) or world.covered(recipient_number, at)
        ):
            raise ValueError(f"{script.key}: a scripted text at {at} falls in a network return")
        placed.append(
            _Line(at, speaker, sender_number, recipient_number, text, -1, photos.get(number))
        )
    return tuple(placed)


def _thread(script: _Script, placed: Sequence[_Line], owner: str) -> PhoneThread:
    other = script.b if owner == script.a else script.a
    first = placed[0]
    own = first.sender_number if first.sender == owner else first.recipient_number
    counterpart = first.recipient_number if first.sender == owner else first.sender_number
    return PhoneThread(
        key=script.key,
        app=script.app,
        own=own,
        other=counterpart,
        counterpart=other,
        language=script.language,
        deleted=owner in script.deleted_on,
        messages=tuple(
            PhoneMessage(
                start=line.start,
                outgoing=line.sender == owner,
                body=line.body,
                comm=line.comm,
                photo=line.photo,
            )
            for line in placed
        ),
    )


def _photos(owner: str, model: str, placed: Mapping[str, tuple[_Line, ...]]) -> list[PhonePhoto]:
    """The driver's camera photos and the WhatsApp copies that travelled between handsets."""
    sdcard = "/storage/emulated/0"
    wa_media = f"{sdcard}/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images"
    photos: list[PhonePhoto] = []
    parking = next(line for line in placed["wa-P02-P04"] if line.photo == "factory-parking")
    factory = next(a for a in ADDRESSES if a.id == "W3")
    house = next(a for a in ADDRESSES if a.id == "A1")
    camera = _split_model(model)
    wa_name = "IMG-" + _stamp(parking.start, "%Y%m%d") + "-WA0001.jpg"
    if owner == "P04":
        taken = parking.start - 95
        photos.append(
            PhonePhoto(
                "factory-parking-camera",
                f"IMG_{_stamp(taken, '%Y%m%d_%H%M%S')}.jpg",
                f"{sdcard}/DCIM/Camera/IMG_{_stamp(taken, '%Y%m%d_%H%M%S')}.jpg",
                taken,
                (128, 136, 142),
                True,
                (factory.latitude + 0.0004, factory.longitude - 0.0006),
                camera,
            )
        )
        morning = epoch(datetime(2026, 10, 19, 5, 25, 12, tzinfo=UTC))
        photos.append(
            PhonePhoto(
                "house-1-morning",
                f"IMG_{_stamp(morning, '%Y%m%d_%H%M%S')}.jpg",
                f"{sdcard}/DCIM/Camera/IMG_{_stamp(morning, '%Y%m%d_%H%M%S')}.jpg",
                morning,
                (70, 84, 104),
                True,
                (house.latitude + 0.0002, house.longitude + 0.0003),
                camera,
            )
        )
        photos.append(
            PhonePhoto(
                "factory-parking",
                wa_name,
                f"{wa_media}/Sent/{wa_name}",
                parking.start,
                (128, 136, 142),
                False,
                None,
                None,
            )
        )
    if owner == "P02":
        photos.append(
            PhonePhoto(
                "factory-parking",
                wa_name,
                f"{wa_media}/{wa_name}",
                parking.start,
                (128, 136, 142),
                False,
                None,
                None,
            )
        )
    if owner == "P08":
        receipt = next(line for line in placed["wa-P08-P12"] if line.photo == "receipt")
        name = "IMG-" + _stamp(receipt.start, "%Y%m%d") + "-WA0002.jpg"
        photos.append(
            PhonePhoto(
                "receipt",
                name,
                f"{wa_media}/{name}",
                receipt.start,
                (236, 234, 226),
                False,
                None,
                None,
            )
        )
    return photos


def _stamp(seconds: int, pattern: str) -> str:
    """A handset's own file-name stamp: UK wall-clock time."""
    local = datetime.fromtimestamp(seconds + uk_offset_at(seconds), tz=UTC)
    return local.strftime(pattern)


def _role(owner: str) -> str:
    return next(p.role for p in PEOPLE if p.id == owner)


def plan_downloads(core: CoreCase) -> tuple[HandsetDownload, ...]:
    """Derive the five handset downloads of the demo from the core story.

    Raises:
        ValueError: a scripted text would fall inside a network return's window (a story edit
            broke the rule that keeps handsets and returns consistent).
    """
    world = _world(core)
    placed: dict[str, tuple[_Line, ...]] = {}
    for script in _SCRIPTS:
        timing = _network_lines if script.start_local is None else _scripted_lines
        placed[script.key] = timing(world, script)
    homes = {p.id: p.home for p in PEOPLE}
    downloads = []
    for plan in _PLANS:
        handset, since, until = _handset_span(world, plan.owner)
        line = world.lines[plan.owner][-1]
        manufacturer, model = _split_model(handset.model)
        smart = "basic phone" not in handset.model
        threads = tuple(
            _thread(script, placed[script.key], plan.owner)
            for script in _SCRIPTS
            if plan.owner in (script.a, script.b)
            and placed[script.key]
            and (smart or script.app == "SMS")
            and placed[script.key][0].start >= since
        )
        contacts = []
        for name, refs in _CONTACTS[plan.owner]:
            resolved = [world.resolve(ref) for ref in refs]
            contacts.append(PhoneContact(name, tuple(n for n, _ in resolved), resolved[0][1]))
        role = _role(plan.owner)
        word = _FORMAT_WORDS[plan.file_format]
        seized_from = homes[plan.owner] or "A1"
        address = next(a for a in ADDRESSES if a.id == seized_from)
        downloads.append(
            HandsetDownload(
                reference=plan.reference,
                file_format=plan.file_format,
                parser=plan.parser,
                filename=plan.filename,
                owner=plan.owner,
                handset=handset,
                imsi=core.imsis[line.sim],
                msisdn=line.number,
                manufacturer=manufacturer,
                model=model,
                os=plan.os,
                seized_from=seized_from,
                extracted_at=plan.extracted,
                tool=plan.tool,
                title=f"Handset download — {word} of the {role}'s {model}",
                description=(
                    f"Handset download — {word} of the {role}'s {model} (IMEI {handset.imei}), "
                    f"seized from {address.line1}, {address.postcode} on "
                    f"{SEIZED_AT:%Y-%m-%d} at {SEIZED_AT:%H:%M} UTC; examined by {EXAMINER}"
                ),
                contacts=tuple(contacts),
                calls=_calls(world, plan.owner, since, until),
                threads=threads,
                photos=tuple(_photos(plan.owner, handset.model, placed)) if smart else (),
            )
        )
    return tuple(downloads)
