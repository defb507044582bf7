"""The fictional town of Hollowmere, its masts and cells on four fictional networks.

Cell-site evidence needs cells with plausible positions, so the generator sites masts around an
invented town in the English Midlands (52.40–52.50 N, 1.45–1.60 W). Each of the four fictional
networks has its own masts, three sectors per mast, and its own cell identity scheme:

========== ===== ============ =========================================================
layout     MNC   technology   cell identity
========== ===== ============ =========================================================
network-a  30    GSM/UMTS     LAC and 5-digit CI, e.g. ``234-30-1201-30011``
network-b  15    GSM/UMTS     LAC and 5-digit CI, written ``LAC/CI`` in the CDR
network-c  10    LTE          TAC and 28-bit ECI (eNodeB × 256 + sector)
network-d  20    LTE/NR       TAC and ECI (LTE) or 36-bit NCI (gNodeB × 4096 + sector)
========== ===== ============ =========================================================

A device is served by a sector of the nearest mast of its network (sometimes the second nearest,
as happens in reality), the sector being the one whose azimuth points most nearly at the device.
Mast positions depend on the seed; cell numbers depend only on the mast's index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "NETWORKS",
    "Cell",
    "Geography",
    "NetworkInfo",
    "Place",
    "make_postcode",
]

TOWN = "Hollowmere"
LAT_MIN, LAT_MAX = 52.40, 52.50
LON_MIN, LON_MAX = -1.60, -1.45
SITES_PER_NETWORK = 24
SECTORS = 3

#: Letters allowed in the inward code of a postcode (not C, I, K, M, O, V).
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

_AREA_NAMES = (
    "Quarry Hill",
    "Brackenfold",
    "Tanners Green",
    "Wexley Park",
    "Saltings",
    "Market Wend",
    "Orrin Heath",
    "Corvel",
    "Dunmore",
    "Ashgrove",
    "Fennimore",
    "Lattice End",
    "Kestrel Moor",
    "Millbeck",
    "Ravenholt",
    "Stoat Lane",
    "Harrowgate Cross",
    "Pellam",
    "Thornby Vale",
    "Gorsefield",
    "Wyvern Bank",
    "Cobble End",
    "Marrow Green",
    "Linnet Rise",
)

_SITE_SPOTS = (
    "rooftop, {n} {area} Road",
    "lattice mast, {area} Lane",
    "monopole, rear of {n} {area} Street",
    "rooftop, {area} House",
    "streetworks pole, {area} Way",
)


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """A fictional network: its layout name, MNC and what its cells are."""

    layout: str
    mnc: int
    label: str


NETWORKS: tuple[NetworkInfo, ...] = (
    NetworkInfo("network-a", 30, "Network A (fictional operator)"),
    NetworkInfo("network-b", 15, "Network B (fictional operator)"),
    NetworkInfo("network-c", 10, "Network C (fictional operator)"),
    NetworkInfo("network-d", 20, "Network D (fictional operator)"),
)


@dataclass(frozen=True, slots=True)
class Place:
    """A point people spend time at."""

    key: str
    label: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Cell:
    """One sector of one mast of one network."""

    network: int
    """Index into :data:`NETWORKS`."""
    site: int
    sector: int
    area_code: int
    """LAC (GSM/UMTS) or TAC (LTE/NR)."""
    cell_id: int
    """CI, ECI or NCI."""
    technology: str
    latitude: float
    longitude: float
    azimuth: int
    beamwidth: int
    site_name: str
    address: str
    postcode: str

    @property
    def cgi(self) -> str:
        """The cell global identity, ``234-MNC-LAC-CI`` in decimal."""
        return f"234-{NETWORKS[self.network].mnc:02d}-{self.area_code}-{self.cell_id}"


def make_postcode(rng: np.random.Generator, district: int | None = None) -> str:
    """Return a postcode in the invented ``ZY`` area (well formed, not a UK postcode area)."""
    number = int(rng.integers(1, 10)) if district is None else district
    letters = "".join(_INWARD_LETTERS[int(i)] for i in rng.integers(0, len(_INWARD_LETTERS), 2))
    return f"ZY{number} {int(rng.integers(1, 10))}{letters}"


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    mean = math.radians((lat1 + lat2) / 2)
    dy = (lat2 - lat1) * 111.2
    dx = (lon2 - lon1) * 111.2 * math.cos(mean)
    return math.hypot(dx, dy)


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    mean = math.radians((lat1 + lat2) / 2)
    dy = lat2 - lat1
    dx = (lon2 - lon1) * math.cos(mean)
    return math.degrees(math.atan2(dx, dy)) % 360


def _cell_identity(network: int, site: int, sector: int, technology: str) -> tuple[int, int]:
    if network == 0:
        return 1201 + site // 6, 30000 + site * 10 + sector + 1
    if network == 1:
        return 2101 + site // 8, 10000 + site * 10 + sector + 1
    if network == 2:
        return 4101 + site // 8, (100200 + site) * 256 + sector + 1
    if technology == "NR":
        return 5201 + site // 8, (3000000 + site) * 4096 + sector + 1
    return 5201 + site // 8, (120300 + site) * 256 + sector + 1


@dataclass(frozen=True, slots=True)
class Geography:
    """The town's places and every network's cells."""

    places: tuple[Place, ...]
    cells: tuple[Cell, ...]

    @classmethod
    def build(cls, rng: np.random.Generator, places: tuple[Place, ...]) -> Geography:
        """Site masts for every network: some near the given places, the rest spread about."""
        cells: list[Cell] = []
        for network_index in range(len(NETWORKS)):
            for site in range(SITES_PER_NETWORK):
                if site < len(places):
                    anchor = places[site]
                    lat = anchor.latitude + float(rng.normal(0, 0.004))
                    lon = anchor.longitude + float(rng.normal(0, 0.006))
                else:
                    lat = float(rng.uniform(LAT_MIN, LAT_MAX))
                    lon = float(rng.uniform(LON_MIN, LON_MAX))
                lat = min(max(lat, LAT_MIN), LAT_MAX)
                lon = min(max(lon, LON_MIN), LON_MAX)
                technology = _site_technology(network_index, rng)
                area = _AREA_NAMES[(site + 5 * network_index) % len(_AREA_NAMES)]
                spot = _SITE_SPOTS[int(rng.integers(0, len(_SITE_SPOTS)))]
                address = spot.format(n=int(rng.integers(1, 90)), area=area) + f", {TOWN}"
                postcode = make_postcode(rng)
                first_azimuth = int(rng.integers(0, 120))
                beamwidth = 120 if technology in ("GSM", "UMTS") else 65
                for sector in range(SECTORS):
                    area_code, cell_id = _cell_identity(network_index, site, sector, technology)
                    cells.append(
                        Cell(
                            network=network_index,
                            site=site,
                            sector=sector,
                            area_code=area_code,
                            cell_id=cell_id,
                            technology=technology,
                            latitude=round(lat, 6),
                            longitude=round(lon, 6),
                            azimuth=(first_azimuth + 120 * sector) % 360,
                            beamwidth=beamwidth,
                            site_name=f"{area.upper()} {site + 1:02d}",
                            address=address,
                            postcode=postcode,
                        )
                    )
        return cls(places, tuple(cells))

    def serving_cell(self, network: int, latitude: float, longitude: float, rank: int = 0) -> int:
        """Return the cell serving a point: a sector of the ``rank``-th nearest mast."""
        base = network * SITES_PER_NETWORK * SECTORS
        sites = sorted(
            range(SITES_PER_NETWORK),
            key=lambda s: (
                _distance_km(
                    self.cells[base + s * SECTORS].latitude,
                    self.cells[base + s * SECTORS].longitude,
                    latitude,
                    longitude,
                ),
                s,
            ),
        )
        site = sites[min(rank, len(sites) - 1)]
        first = base + site * SECTORS
        mast = self.cells[first]
        bearing = _bearing(mast.latitude, mast.longitude, latitude, longitude)

        def off_axis(index: int) -> float:
            difference = abs(self.cells[index].azimuth - bearing) % 360
            return min(difference, 360 - difference)

        return min(range(first, first + SECTORS), key=off_axis)

    def place_cells(self, network: int, place: Place) -> tuple[int, int]:
        """Return the usual and the neighbouring serving cell of a place on a network."""
        return (
            self.serving_cell(network, place.latitude, place.longitude, 0),
            self.serving_cell(network, place.latitude, place.longitude, 1),
        )


def _site_technology(network: int, rng: np.random.Generator) -> str:
    draw = float(rng.random())
    if network in (0, 1):
        return "UMTS" if draw < 0.7 else "GSM"
    if network == 2:
        return "LTE"
    return "NR" if draw < 0.3 else "LTE"
