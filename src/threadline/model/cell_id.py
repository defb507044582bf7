"""Cell global identities, as call data records name the serving cell.

A cell is identified worldwide by the network (MCC and MNC), an *area* and a *cell* number:

* **area** is the Location Area Code (LAC, 16-bit) on 2G/3G or the Tracking Area Code (TAC, 16-bit
  on 4G, 24-bit on 5G);
* **cell** is the Cell Identity (CI, 16-bit) on 2G, the UTRAN cell id (28-bit, RNC id + CI) on 3G,
  the E-UTRAN Cell Identifier (ECI, 28-bit) on 4G or the NR Cell Identity (NCI, 36-bit) on 5G
  (3GPP TS 23.003; domain brief §7.8).

Operators write these in many ways (``234-30-1201-30451``, ``234/30/1201/30451``, or only
``1201/30451`` in a file whose network is known), so they are parsed into one value with a single
canonical :attr:`CellId.key` used to join events to a cell list.

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_AREA", "MAX_CELL", "CellId", "parse_cell_id"]

#: The largest area code: a 24-bit 5G TAC (LAC and 4G TAC are 16-bit).
MAX_AREA = (1 << 24) - 1

#: The largest cell number: a 36-bit 5G NR Cell Identity (ECI and UTRAN ids are 28-bit).
MAX_CELL = (1 << 36) - 1

#: Separators accepted between the parts; one kind is used throughout a value.
_SEP = r"\s*([-/:]|\s)\s*"

#: ``mcc SEP mnc SEP area SEP cell`` with the same separator each time.
_FOUR_PARTS = re.compile(rf"^(\d{{3}}){_SEP}(\d{{1,3}})\s*\2\s*(\d+)\s*\2\s*(\d+)$", re.ASCII)

#: ``area SEP cell``, allowed only when the caller supplies the network.
_TWO_PARTS = re.compile(rf"^(\d+){_SEP}(\d+)$", re.ASCII)

_MCC = re.compile(r"^\d{3}$", re.ASCII)
_MNC = re.compile(r"^\d{1,3}$", re.ASCII)

_ACCEPTED = (
    "expected 'MCC-MNC-AREA-CELL' (separated by '-', '/', ':' or spaces, e.g. "
    "'234-30-1201-30451'), or 'AREA-CELL' when the file's network is known"
)


@dataclass(frozen=True, slots=True)
class CellId:
    """A cell global identity (CGI, eCGI or NCGI).

    Attributes:
        original: the value exactly as supplied.
        mcc: the 3-digit Mobile Country Code.
        mnc: the Mobile Network Code, zero-padded to at least 2 digits (3-digit MNCs kept as
            given).
        area: the LAC (2G/3G) or TAC (4G/5G), as a decimal integer.
        cell: the CI, UTRAN cell id, ECI (28-bit) or NCI (36-bit), as a decimal integer.
    """

    original: str
    mcc: str
    mnc: str
    area: int
    cell: int

    @property
    def key(self) -> str:
        """The canonical join key ``mcc-mnc-area-cell``, e.g. ``234-30-1201-30451``."""
        return f"{self.mcc}-{self.mnc}-{self.area}-{self.cell}"


def _network(mcc: str, mnc: str) -> tuple[str, str]:
    mcc = mcc.strip()
    mnc = mnc.strip()
    if not _MCC.match(mcc):
        raise ValueError(f"cell id: MCC must be 3 digits, got {mcc!r}")
    if not _MNC.match(mnc):
        raise ValueError(f"cell id: MNC must be 1 to 3 digits, got {mnc!r}")
    return mcc, mnc.zfill(2)


def _numbers(raw: str, area_text: str, cell_text: str) -> tuple[int, int]:
    area = int(area_text)
    cell = int(cell_text)
    if area > MAX_AREA:
        raise ValueError(f"cell id {raw!r}: area {area} exceeds the 24-bit maximum {MAX_AREA}")
    if cell > MAX_CELL:
        raise ValueError(f"cell id {raw!r}: cell {cell} exceeds the 36-bit maximum {MAX_CELL}")
    return area, cell


def parse_cell_id(raw: str, *, mcc: str | None = None, mnc: str | None = None) -> CellId | None:
    """Parse a cell identity written as four parts, or as two when the network is known.

    Accepted forms: ``234-30-1201-30451``, ``234/30/1201/30451``, ``234:30:1201:30451`` and
    ``234 30 1201 30451`` (one kind of separator throughout); and ``1201/30451`` or
    ``1201-30451`` (also ``:`` or a space) when both ``mcc`` and ``mnc`` are given. Area and cell
    are decimal; hexadecimal values must be converted by the caller, which knows the source's
    convention.

    Args:
        raw: the value as supplied.
        mcc: the network's MCC to use for two-part values (3 digits).
        mnc: the network's MNC to use for two-part values (1 to 3 digits).

    Returns:
        The parsed :class:`CellId`, or ``None`` when ``raw`` is blank (no cell recorded, as with
        some Wi-Fi calls).

    Raises:
        ValueError: when ``raw`` is not blank and is not in an accepted form, or a number is out
            of range; the message says what was expected. Ingest turns it into an issue.
    """
    text = raw.strip()
    if not text:
        return None
    four = _FOUR_PARTS.match(text)
    if four:
        net_mcc, net_mnc = _network(four.group(1), four.group(3))
        area, cell = _numbers(raw, four.group(4), four.group(5))
        return CellId(raw, net_mcc, net_mnc, area, cell)
    two = _TWO_PARTS.match(text)
    if two:
        if mcc is None or mnc is None:
            raise ValueError(
                f"cell id {raw!r} has only area and cell: the file's MCC and MNC must be declared"
            )
        net_mcc, net_mnc = _network(mcc, mnc)
        area, cell = _numbers(raw, two.group(1), two.group(3))
        return CellId(raw, net_mcc, net_mnc, area, cell)
    raise ValueError(f"cell id {raw!r} not understood: {_ACCEPTED}")
