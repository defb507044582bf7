"""The SIM an iPhone used: CommCenter preferences (``com.apple.commcenter*.plist``) into devices.

CommCenter, iOS's telephony daemon, keeps what it knows of the SIM in property lists under
``wireless/Library/Preferences/`` (formats.md §5; iLEAPP ``celWireless.py``): the last SIM's serial
(``LastKnownICCID``), the number the network reported (``ReportedPhoneNumber``), the handset's
``imei``; newer iOS keeps, in ``com.apple.commcenter.data.plist``, a ``PersonalWallet`` of SIMs
keyed by ICCID, each with its number (``info`` -> ``mdn``). That ties the handset to a SIM and a
number, the link between a phone download and call data records.

These are property lists (binary ``bplist00`` or XML), not SQLite, so they are not a
:class:`~threadline.ingest.phone_store.StoreReader`: :func:`read_commcenter` reads the bytes and
the ``ios_db`` parser and the file-system parser both call it. Each SIM gives one ``devices``
row; the top-level keys and a ``PersonalWallet`` entry for the same ICCID make one row.
Carrier names and other keys have no canonical column and stay in the raw record.
"""

from __future__ import annotations

import fnmatch
import plistlib
from collections.abc import Mapping
from typing import Any, Final

from threadline.errors import HostileInput, ParseError
from threadline.ingest.issue import Severity
from threadline.ingest.rows import RowWriter

__all__ = [
    "COMMCENTER_PATH_PATTERNS",
    "MAX_PLIST_BYTES",
    "is_plist",
    "looks_like_commcenter",
    "read_commcenter",
]

#: where CommCenter keeps its preferences in a file-system extraction (lower case)
COMMCENTER_PATH_PATTERNS: Final = (
    "*/library/preferences/com.apple.commcenter*.plist",
    "com.apple.commcenter*.plist",
)
#: CommCenter plists are a few kilobytes; anything far larger is not one
MAX_PLIST_BYTES: Final = 16 * 1024 * 1024

_MARKERS: Final = (
    b"PersonalWallet",
    b"LastKnownICCID",
    b"ReportedPhoneNumber",
    b"CDMANetworkPhoneNumberICCID",
)
_ICCID_KEYS: Final = ("lastknowniccid", "iccid", "cdmanetworkphonenumbericcid")
_NUMBER_KEYS: Final = ("reportedphonenumber", "phonenumber", "simphonenumber", "mdn")
_IMSI_KEYS: Final = ("imsi", "lastknownimsi", "subscriberimsi")
_IMEI_KEYS: Final = ("imei",)
_XML_STARTS: Final = (b"<?xml", b"<!DOCTYPE", b"<plist")
#: how deep and how far the raw record's walk through nested dictionaries goes
_FLAT_MAX_DEPTH: Final = 8
_FLAT_MAX_VISITS: Final = 1000
_TRUNCATED_KEY: Final = "_truncated"


def is_plist(head: bytes) -> bool:
    """Whether the first bytes are a binary or XML property list."""
    if head.startswith(b"bplist00"):
        return True
    start = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(_XML_STARTS) and b"<plist" in start


def looks_like_commcenter(head: bytes, name: str) -> bool:
    """Whether a file is a CommCenter plist: a plist named ``com.apple.commcenter*.plist`` or
    holding one of its keys in its first bytes."""
    if not is_plist(head):
        return False
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return fnmatch.fnmatchcase(base, "com.apple.commcenter*.plist") or any(
        marker in head for marker in _MARKERS
    )


def _load(data: bytes, place: str) -> dict[str, Any]:
    if len(data) > MAX_PLIST_BYTES:
        raise ParseError(
            f"the property list is {len(data)} bytes, far larger than any CommCenter plist",
            path=place,
        )
    if b"<!ENTITY" in data:
        raise HostileInput("the XML property list declares entities; refused", path=place)
    try:
        loaded = plistlib.loads(data)
    except plistlib.InvalidFileException as exc:
        raise ParseError(f"not a readable property list: {exc}", path=place) from exc
    except Exception as exc:
        # damaged binary plists make plistlib raise many kinds of error (struct, index,
        # overflow, recursion on reference cycles); all mean the same to the analyst
        raise ParseError(f"the property list is damaged: {exc!r}", path=place) from exc
    if not isinstance(loaded, dict):
        raise ParseError("the property list's top level is not a dictionary", path=place)
    return loaded


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def _first(values: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).lower(): v for k, v in values.items()}
    for key in keys:
        found = _scalar(lowered.get(key))
        if found is not None:
            return found
    return None


def _item_text(value: Any) -> str:
    # a nested container is named by its size: str() of a plist whose containers share
    # references would walk every path through them (exponential)
    if isinstance(value, dict):
        return f"{{dictionary of {len(value)} keys}}"
    if isinstance(value, list):
        return f"[list of {len(value)} items]"
    return str(value)


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar values of a (nested) dictionary, keys joined with ``/``, for the raw record.

    A binary plist may make many dictionaries refer to the same one, so a naive walk can be
    exponential in the nesting: the walk stops at :data:`_FLAT_MAX_DEPTH` levels and after
    :data:`_FLAT_MAX_VISITS` values, and says so under the key ``_truncated`` (requirement 23:
    the raw record is kept, but not at any price).
    """
    flat: dict[str, Any] = {}
    budget = [_FLAT_MAX_VISITS]
    if _flat_into(flat, values, prefix, 1, budget):
        flat[_TRUNCATED_KEY] = (
            f"the raw record stops at {_FLAT_MAX_DEPTH} levels of nesting and "
            f"{_FLAT_MAX_VISITS} values"
        )
    return flat


def _flat_into(
    flat: dict[str, Any], values: Mapping[str, Any], prefix: str, depth: int, budget: list[int]
) -> bool:
    """Add ``values`` to ``flat``; whether the walk was cut short."""
    truncated = False
    for key, value in values.items():
        if budget[0] <= 0:
            return True
        budget[0] -= 1
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth >= _FLAT_MAX_DEPTH:
                flat[name] = _item_text(value)
                truncated = truncated or bool(value)
            elif _flat_into(flat, value, f"{name}/", depth + 1, budget):
                return True
        elif isinstance(value, list):
            flat[name] = "; ".join(_item_text(v) for v in value)
        else:
            flat[name] = value
    return truncated


def _top_level(plist: Mapping[str, Any]) -> dict[str, Any]:
    """The plist's top-level keys (the wallet apart), flattened for the raw record."""
    return _flat({k: v for k, v in plist.items() if k != "PersonalWallet"})


def _row(
    writer: RowWriter,
    locator: str,
    *,
    iccid: str | None,
    number: str | None,
    imsi: str | None,
    imei: str | None,
    raw: dict[str, Any],
) -> None:
    writer.add(
        "devices",
        locator,
        {
            **writer.handset(imei=imei, imsi=imsi),
            "iccid": iccid,
            **writer.party("msisdn", number),
        },
        raw=raw,
    )


def read_commcenter(data: bytes, place: str, writer: RowWriter) -> None:
    """Read a CommCenter plist's SIM facts into ``devices``.

    Locators: ``<place>#plist/root`` for the top-level keys, ``<place>#plist/PersonalWallet/
    <iccid>`` for each SIM in the wallet (merged into the top-level row when the ICCIDs agree).

    Raises:
        ParseError: the bytes are not a readable property list with a dictionary at the top.
        HostileInput: an XML plist declares entities.
    """
    plist = _load(data, place)
    root_iccid = _first(plist, _ICCID_KEYS)
    root_number = _first(plist, _NUMBER_KEYS)
    root_imsi = _first(plist, _IMSI_KEYS)
    imei = _first(plist, _IMEI_KEYS)
    wallet = plist.get("PersonalWallet")
    wallet = wallet if isinstance(wallet, dict) else {}
    written = 0
    for iccid, entry in wallet.items():
        info = entry.get("info") if isinstance(entry, dict) else None
        info = info if isinstance(info, dict) else {}
        number = _first(info, _NUMBER_KEYS)
        imsi = _first(info, _IMSI_KEYS)
        raw = {"PersonalWallet": str(iccid), **_flat(info, "info/")}
        locator, sim_imei = f"{place}#plist/PersonalWallet/{iccid}", None
        if str(iccid) == root_iccid:
            # the same SIM: one row with the top-level facts as well
            number, imsi = number or root_number, imsi or root_imsi
            raw = {**_top_level(plist), **raw}
            root_iccid = root_number = root_imsi = None
            locator, sim_imei, imei = f"{place}#plist/root", imei, None
        _row(writer, locator, iccid=str(iccid), number=number, imsi=imsi, imei=sim_imei, raw=raw)
        written += 1
    if any(v is not None for v in (root_iccid, root_number, root_imsi, imei)):
        _row(
            writer,
            f"{place}#plist/root",
            iccid=root_iccid,
            number=root_number,
            imsi=root_imsi,
            imei=imei,
            raw=_top_level(plist),
        )
        written += 1
    if not written:
        writer.ctx.issue(
            Severity.WARNING,
            "ios.commcenter.no_sim",
            "the CommCenter plist holds no ICCID, IMSI, IMEI or phone number key this reader "
            "knows; nothing was read from it",
            locator=f"{place}#plist/root",
            value=", ".join(sorted(str(k) for k in plist)[:20]),
        )
