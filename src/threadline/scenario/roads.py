"""The roads of Hollowmere as the story drives them: the ANPR cameras and the routes past them.

Cameras are placed from the story's own places (:mod:`threadline.scenario.cast`): along the roads
from House 1 (A1) to the food factory (W3) and to the hand car wash (W1), from House 3 (A3) to the
factory, and on busy roads elsewhere. A route is the cameras passed between two places, each at a
share of the journey's driving time.

Two parts of the generator use them: :mod:`threadline.scenario.anpr_plan` reads the vehicles at
the cameras, and :mod:`threadline.scenario.story` places the phones of the people in a vehicle on
the cells along its route (:func:`position_on_route`), so that the call data and the ANPR reads
tell one story. This module imports only the cast, so both can use it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from threadline.scenario.cast import ADDRESSES, GENERIC_PLACES

__all__ = [
    "CAMERAS",
    "CAMERA_INDEX",
    "DIRECTIONS",
    "NAS",
    "ROUTES",
    "SITE",
    "Camera",
    "Passing",
    "place_position",
    "position_on_route",
    "readable",
    "reverse",
    "route",
]

#: The system a camera reports to: the National ANPR Service, or the estates' site back office.
NAS, SITE = "nas", "site"

#: Canonical directions of travel: compass points, or towards and away from a gate camera.
DIRECTIONS: tuple[str, ...] = ("N", "NE", "E", "SE", "S", "SW", "W", "NW", "towards", "away")
_OPPOSITE = MappingProxyType(
    {
        "N": "S",
        "NE": "SW",
        "E": "W",
        "SE": "NW",
        "S": "N",
        "SW": "NE",
        "W": "E",
        "NW": "SE",
        "towards": "away",
        "away": "towards",
    }
)


@dataclass(frozen=True, slots=True)
class Camera:
    """One ANPR camera: where it stands, what it watches and who holds its reads."""

    camera_id: str
    site_name: str
    road: str
    carriageway: str
    """The direction of the carriageway watched, as the camera list writes it."""
    watches: tuple[str, ...]
    """Directions of travel the camera reads (canonical, see :data:`DIRECTIONS`)."""
    latitude: float
    longitude: float
    traffic: str
    """``busy``, ``moderate``, ``quiet`` or ``site``."""
    profile: str
    """Hourly pattern of ordinary traffic (``road``, ``factory``, ``estate``), also the key of
    a site camera's daily read rate in :mod:`threadline.scenario.anpr_plan`."""
    system: str
    """:data:`NAS` or :data:`SITE`."""
    lanes: int


def place_position(key: str) -> tuple[float, float]:
    """Latitude and longitude of a place of the story (an address or a generic place).

    Raises:
        KeyError: the story has no place with this key.
    """
    for address in ADDRESSES:
        if address.id == key:
            return address.latitude, address.longitude
    for place in GENERIC_PLACES:
        if place.key == key:
            return place.latitude, place.longitude
    raise KeyError(key)


def _position(
    start: str,
    end: str | None = None,
    share: float = 0.0,
    north_m: float = 0.0,
    east_m: float = 0.0,
) -> tuple[float, float]:
    """A point ``share`` of the way from place ``start`` to ``end``, moved by metres north/east."""
    lat, lon = place_position(start)
    if end is not None:
        lat_b, lon_b = place_position(end)
        lat, lon = lat + (lat_b - lat) * share, lon + (lon_b - lon) * share
    lat += north_m / 111_200
    lon += east_m / (111_200 * math.cos(math.radians(lat)))
    return round(lat, 6), round(lon, 6)


def _camera(
    camera_id: str,
    site_name: str,
    road: str,
    carriageway: str,
    watches: tuple[str, ...],
    at: tuple[float, float],
    traffic: str,
    lanes: int = 1,
) -> Camera:
    system = SITE if traffic in ("factory", "estate") else NAS
    return Camera(
        camera_id=camera_id,
        site_name=site_name,
        road=road,
        carriageway=carriageway,
        watches=watches,
        latitude=at[0],
        longitude=at[1],
        traffic="site" if system == SITE else traffic,
        profile=traffic if system == SITE else "road",
        system=system,
        lanes=lanes,
    )


def _cameras() -> tuple[Camera, ...]:
    both_ns, both_ew, gate = ("N", "S"), ("E", "W"), ("towards", "away")
    ring = "Hollowmere Ring Road"
    return (
        # House 1 to the food factory
        _camera("HMR-101", "Kestrel Road, Quillon Street junction", "Kestrel Road", "Both",
                ("SE", "NW"), _position("A1", "W3", 0.12), "moderate"),
        _camera("HMR-102", "Ring Road East, Kestrel Roundabout", ring, "Both", both_ns,
                _position("A1", "W3", 0.33, east_m=350), "busy", 2),
        _camera("HMR-103", "Ring Road East, Tanners Green", ring, "Both", both_ns,
                _position("A1", "W3", 0.65, east_m=250), "busy", 2),
        _camera("HMR-104", "Saltings Way west", "Saltings Way", "Eastbound", ("E",),
                _position("A1", "W3", 0.9), "moderate"),
        _camera("TWG-1", "Tallow Works gate (Hollowmere Fresh Foods)", "Saltings Way", "Both",
                gate, _position("W3", north_m=-40, east_m=-30), "factory"),
        # House 1 to the hand car wash
        _camera("HMR-105", "Mill Road west", "Mill Road", "Both", both_ew,
                _position("A1", "W1", 0.18), "quiet"),
        _camera("HMR-106", "Ring Road North, Brackenfold Roundabout", ring, "Both", both_ew,
                _position("A1", "W1", 0.58, north_m=150), "busy", 2),
        _camera("HMR-107", "Brackenfold Road", "Brackenfold Road", "Both", both_ew,
                _position("A1", "W1", 0.84), "moderate"),
        _camera("BFE-1", "Brackenfold Trading Estate entrance", "Brackenfold Road", "Both",
                gate, _position("W1", east_m=80), "estate"),
        # busy roads elsewhere, and House 2's and House 3's streets
        _camera("HMR-108", "Market Wend, town centre", "Market Wend", "Both", both_ns,
                _position("T1", north_m=60), "busy"),
        _camera("HMR-109", "Station Approach", "Station Approach", "Both", both_ew,
                _position("T3", east_m=90), "busy"),
        _camera("HMR-110", "Ring Road South, Gorsefield", ring, "Both", both_ew,
                _position("T2", north_m=150), "busy", 2),
        _camera("HMR-111", "Thornby Vale Road, services junction", "Thornby Vale Road", "Both",
                ("NE", "SW"), _position("T5", east_m=200), "busy", 2),
        _camera("HMR-112", "Ring Road West, Fennimore", ring, "Northbound", ("N",),
                _position("A2", east_m=-300), "moderate", 2),
        _camera("HMR-113", "Lattice Lane", "Lattice Lane", "Both", both_ns,
                _position("A3", north_m=-120), "quiet"),
    )  # fmt: skip


#: Every camera of the case, NAS road cameras and site cameras.
CAMERAS: tuple[Camera, ...] = _cameras()
CAMERA_INDEX = MappingProxyType({c.camera_id: i for i, c in enumerate(CAMERAS)})


@dataclass(frozen=True, slots=True)
class Passing:
    """A camera on a route: its id, the direction of travel past it, and when (a share of the
    journey's driving time)."""

    camera: str
    direction: str
    at: float


#: The case's routes between places, in the direction driven; the way back is the reverse.
ROUTES: Mapping[tuple[str, str], tuple[Passing, ...]] = MappingProxyType(
    {
        ("A1", "W3"): (
            Passing("HMR-101", "SE", 0.10),
            Passing("HMR-102", "S", 0.32),
            Passing("HMR-103", "S", 0.58),
            Passing("HMR-104", "E", 0.86),
            Passing("TWG-1", "towards", 0.97),
        ),
        ("A1", "W1"): (
            Passing("HMR-105", "W", 0.12),
            Passing("HMR-106", "W", 0.45),
            Passing("HMR-107", "W", 0.78),
            Passing("BFE-1", "towards", 0.96),
        ),
        ("A3", "W3"): (
            Passing("HMR-113", "S", 0.08),
            Passing("HMR-103", "S", 0.45),
            Passing("HMR-104", "E", 0.82),
            Passing("TWG-1", "towards", 0.96),
        ),
    }
)


def route(origin: str, destination: str) -> tuple[Passing, ...]:
    """The cameras passed driving from ``origin`` to ``destination`` that read that direction.

    Raises:
        KeyError: the case has no route between the two places.
    """
    return readable(_passings(origin, destination))


def _passings(origin: str, destination: str) -> tuple[Passing, ...]:
    """Every passing from ``origin`` to ``destination`` (one-way cameras included): the route
    as listed, or the listed route back driven the other way."""
    if (origin, destination) in ROUTES:
        return tuple(ROUTES[(origin, destination)])
    return reverse(ROUTES[(destination, origin)])


def reverse(passings: Sequence[Passing]) -> tuple[Passing, ...]:
    """The same passings driven the other way: last first, directions opposite."""
    return tuple(Passing(p.camera, _OPPOSITE[p.direction], 1.0 - p.at) for p in reversed(passings))


def readable(passings: Sequence[Passing]) -> tuple[Passing, ...]:
    """The passings whose camera reads the direction travelled (one-way cameras miss the rest)."""
    return tuple(p for p in passings if p.direction in CAMERAS[CAMERA_INDEX[p.camera]].watches)


def position_on_route(origin: str, destination: str, share: float) -> tuple[float, float]:
    """Where a vehicle driving from ``origin`` to ``destination`` is ``share`` of the way through
    its driving time (0 at the origin, 1 at the destination).

    The road is taken as straight between the origin, every camera on the route (one-way cameras
    included: the vehicle passes them even where they do not read it) and the destination, each
    reached at its passing's share of the time.

    Raises:
        KeyError: the case has no route between the two places.
    """
    passings = _passings(origin, destination)
    points = [(0.0, place_position(origin))]
    for passing in passings:
        camera = CAMERAS[CAMERA_INDEX[passing.camera]]
        points.append((passing.at, (camera.latitude, camera.longitude)))
    points.append((1.0, place_position(destination)))
    share = min(max(share, 0.0), 1.0)
    for (at_a, (lat_a, lon_a)), (at_b, (lat_b, lon_b)) in itertools.pairwise(points):
        if share <= at_b:
            part = 0.0 if at_b <= at_a else (share - at_a) / (at_b - at_a)
            return lat_a + (lat_b - lat_a) * part, lon_a + (lon_b - lon_a) * part
    return points[-1][1]
