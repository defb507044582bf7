"""Operation Cedar's cast, places and vehicles: the fixed part of the fictional story.

Every name, address, business and plate here is invented (requirement 66). The network is an
organised crime group of twelve (a controller, two lieutenants, four drivers, a money handler, a
recruiter, a house manager and two associates) exploiting ten people housed at three addresses in
the fictional Midlands town of Hollowmere and driven each working morning to a hand car wash, a
nail bar and a food factory. What the people do, and when, is in :mod:`threadline.scenario.story`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from threadline.scenario.geography import Place

__all__ = [
    "ADDRESSES",
    "GENERIC_PLACES",
    "HANDSET_MODELS",
    "PEOPLE",
    "SCHEDULES",
    "SHARED_PHONE_USERS",
    "VEHICLES",
    "AddressSpec",
    "PersonSpec",
    "Schedule",
    "VehicleSpec",
]


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """A person in the story and, if they have a phone line of their own, its network."""

    id: str
    name: str
    role: str
    aliases: tuple[str, ...]
    nationality: str
    home: str | None
    """Address id, or ``None`` when the story does not say where they live."""
    network: str | None
    """Layout name of their own line's network; ``None`` for people without a phone of their own."""


@dataclass(frozen=True, slots=True)
class AddressSpec:
    """An invented address."""

    id: str
    label: str
    kind: str
    line1: str
    postcode: str
    latitude: float
    longitude: float

    def place(self) -> Place:
        """The address as a place people spend time at."""
        return Place(self.id, self.label, self.latitude, self.longitude)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Where a line's user usually is: night, working hours (local) and the places they roam to."""

    night: str
    day: str
    day_from: int
    day_to: int
    roam: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """A vehicle with a fictional registration mark and its usual driver."""

    vrm: str
    user: str
    description: str


PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec(
        "P01",
        "Arvid KORVASH",
        "controller",
        ("Avi", "the Landlord"),
        "Albanian",
        "H01",
        "network-a",
    ),
    PersonSpec("P02", "Besnik ZOLAREN", "lieutenant", ("Besi",), "Albanian", "H02", "network-b"),
    PersonSpec("P03", "Tamara VELNICZ", "lieutenant", ("Tami",), "Polish", "H03", "network-c"),
    PersonSpec("P04", "Gheorghe PLOSKIRA", "driver", ("Gigi",), "Romanian", "H04", "network-a"),
    PersonSpec("P05", "Dean MARLOWFIELD", "driver", ("Deano",), "British", None, "network-b"),
    PersonSpec("P06", "Kamil BRZANOWY", "driver", (), "Polish", None, "network-d"),
    PersonSpec("P07", "Emeka OKONDARA-VALE", "driver", ("Em",), "Nigerian", None, "network-c"),
    PersonSpec("P08", "Priya SANTHAVEL", "money handler", ("P",), "British", "H08", "network-c"),
    PersonSpec("P09", "Mihaela DOROVAN", "recruiter", ("Mia",), "Romanian", None, "network-d"),
    PersonSpec(
        "P10",
        "Loredana CRISTEAVU",
        "house manager",
        ("Lori", "Mama L"),
        "Romanian",
        "A1",
        "network-a",
    ),
    PersonSpec("P11", "Jordan QUILLBY", "associate", ("JQ",), "British", None, "network-b"),
    PersonSpec("P12", "Vu Minh THORACK", "associate", ("Minh",), "Vietnamese", None, "network-d"),
    PersonSpec("V01", "Ionut FARCASELU", "victim", (), "Romanian", "A1", None),
    PersonSpec("V02", "Marius DOBRENCO", "victim", (), "Romanian", "A1", None),
    PersonSpec("V03", "Nguyen Thi LANVO", "victim", (), "Vietnamese", "A1", "network-c"),
    PersonSpec("V04", "Tesfay ABRAHALEN", "victim", (), "Eritrean", "A1", None),
    PersonSpec("V05", "Pavol HRUSTAK", "victim", (), "Slovak", "A2", None),
    PersonSpec("V06", "Andrei COSTINELU", "victim", (), "Romanian", "A2", None),
    PersonSpec("V07", "Ewelina KOSZTRAN", "victim", (), "Polish", "A2", None),
    PersonSpec("V08", "Bashir OMARDEEN", "victim", (), "Sudanese", "A3", None),
    PersonSpec("V09", "Florin MATRESCOU", "victim", (), "Romanian", "A3", None),
    PersonSpec("V10", "Tran Thi MAIVONG", "victim", (), "Vietnamese", "A3", None),
)

#: Victims who share one handset and number (kept at House 2).
SHARED_PHONE_USERS: tuple[str, ...] = ("V05", "V06", "V07")

ADDRESSES: tuple[AddressSpec, ...] = (
    AddressSpec(
        "A1",
        "House 1",
        "house of multiple occupation",
        "14 Quillon Street",
        "ZY4 7PN",
        52.461,
        -1.508,
    ),
    AddressSpec(
        "A2",
        "House 2",
        "house of multiple occupation",
        "7 Fennimore Row",
        "ZY4 2JT",
        52.438,
        -1.541,
    ),
    AddressSpec(
        "A3",
        "House 3",
        "house of multiple occupation",
        "22 Lattice Lane",
        "ZY6 3DW",
        52.447,
        -1.497,
    ),
    AddressSpec(
        "W1",
        "Gleam Team Hand Car Wash",
        "work site: hand car wash",
        "Unit 2, Brackenfold Trading Estate",
        "ZY2 8HL",
        52.472,
        -1.556,
    ),
    AddressSpec(
        "W2",
        "Polished Nail Studio",
        "work site: nail bar",
        "41 Market Wend",
        "ZY1 1BX",
        52.453,
        -1.521,
    ),
    AddressSpec(
        "W3",
        "Hollowmere Fresh Foods Ltd",
        "work site: food factory",
        "Tallow Works, Saltings Way",
        "ZY7 5RS",
        52.418,
        -1.482,
    ),
    AddressSpec(
        "H01", "Home of P01", "home", "The Larches, 3 Orrin Close", "ZY3 9AE", 52.486, -1.585
    ),
    AddressSpec(
        "H02",
        "Home of P02",
        "home",
        "Flat 6, Corvel Court, Dunmore Rise",
        "ZY5 4GQ",
        52.433,
        -1.512,
    ),
    AddressSpec("H03", "Home of P03", "home", "9 Pellam Gardens", "ZY3 2LU", 52.466, -1.533),
    AddressSpec("H04", "Home of P04", "home", "31 Stoat Lane", "ZY6 8WB", 52.426, -1.549),
    AddressSpec("H08", "Home of P08", "home", "58 Ashgrove Parade", "ZY1 6NU", 52.491, -1.470),
)

#: Places that are not addresses in the case but where people are seen.
GENERIC_PLACES: tuple[Place, ...] = (
    Place("T1", "Hollowmere town centre", 52.451, -1.524),
    Place("T2", "Gorsefield Retail Park", 52.409, -1.531),
    Place("T3", "Hollowmere railway station", 52.444, -1.517),
    Place("T4", "Kestrel Moor leisure centre", 52.476, -1.499),
    Place("T5", "Thornby Vale services", 52.497, -1.592),
)

#: Where each line's user usually is (only lines that may be CDR targets need one). Days on which
#: a line's user travels in one of the case's vehicles override this (``story.py``).
SCHEDULES: MappingProxyType[str, Schedule] = MappingProxyType(
    {
        "P01": Schedule("H01", "T1", 10, 18, ("T1", "T2", "T4", "A1", "W1", "W2")),
        "P02": Schedule("H02", "W1", 8, 18, ("A1", "A2", "T1", "W3", "W2")),
        "P03": Schedule("H03", "W2", 8, 18, ("A3", "T1", "T4")),
        "P04": Schedule("H04", "W3", 7, 16, ("A1", "T2", "T5")),
        "P05": Schedule("A2", "W2", 7, 16, ("A2", "T2")),
        "P06": Schedule("A3", "W1", 7, 16, ("A3", "T1")),
        "P07": Schedule("T3", "W3", 7, 16, ("A1", "T2")),
        "P08": Schedule("H08", "T1", 9, 17, ("T2", "T3", "T4")),
        "P09": Schedule("T3", "T1", 10, 19, ("T5", "T4")),
        "P10": Schedule("A1", "A1", 8, 20, ("A2", "A3", "T2")),
        "P11": Schedule("T4", "T1", 10, 20, ("T2",)),
        "P12": Schedule("T2", "W2", 9, 19, ("T1",)),
        # V03 is at House 1 unless the people carrier takes her to work: the story places her
        # phone at the work site and on the road from the convoy and transport runs.
        "V03": Schedule("A1", "A1", 7, 18, ()),
        # The shared phone is kept at House 2 (its users take turns with it there).
        "SH": Schedule("A2", "A2", 7, 18, ()),
    }
)

VEHICLES: tuple[VehicleSpec, ...] = (
    VehicleSpec("UT73 FKE", "P04", "silver seven-seat people carrier"),
    VehicleSpec("TU24 BWX", "P05", "white panel van"),
)

#: Fictional handset models by TAC (reporting body 00: no real handset here).
HANDSET_MODELS: tuple[tuple[str, str], ...] = (
    ("00445101", "Fictional handset model Alder 5"),
    ("00445207", "Fictional handset model Birch X"),
    ("00446033", "Fictional handset model Cobalt Lite"),
    ("00447712", "Fictional basic phone Dunlin 100"),
    ("00448890", "Fictional handset model Ember Pro"),
)
