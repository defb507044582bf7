"""The handset a Cellebrite report describes: ``devices`` rows from Device Info and extractions.

The report's ``<metadata section="Device Info">`` lists ``<item name="IMEI">…</item>`` rows (IMEI,
IMSI, ICCID, MSISDN, model, vendor, OS…); ``<sourceExtractions>`` lists each extraction
(``<extractionInfo name="Logical" type="…"/>``); ``<project reportVersion="…">`` gives the
report's version. They become one ``devices`` row: the first value of each identifier, the
handset's model, manufacturer and OS, the owner's name where recorded, and ``extraction`` saying
how the data was obtained (``Cellebrite UFED report 7.60.0.123; Logical (AdvancedLogical)``).
A dual-SIM handset lists an identifier more than once; each further value gets a row of its own
(with the handset's model), so no identifier is lost and none is paired with a SIM the report did
not pair it with. IMEIs keep their 15 digits and are keyed on 14 (requirement 24); the MSISDN
goes to E.164 with its original (requirement 59).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from threadline.ingest.parsers.cellebrite.vocabulary import DEVICE_INFO, OWNER_NAMES, device_key
from threadline.ingest.rows import RowWriter

__all__ = ["DeviceFacts", "write_devices"]


@dataclass
class DeviceFacts:
    """What the report says about the handset, gathered as the report is read.

    Attributes:
        project: the ``<project>`` element's attributes.
        extractions: each ``<extractionInfo>``'s attributes, in order.
        items: Device Info items as (name, value, line).
        section_line: the line of the Device Info section.
    """

    project: dict[str, str] = field(default_factory=dict)
    extractions: list[dict[str, str]] = field(default_factory=list)
    items: list[tuple[str, str, int]] = field(default_factory=list)
    section_line: int | None = None

    def extraction_text(self) -> str | None:
        """How the data was extracted: report version and each extraction's name and type."""
        parts = []
        version = self.project.get("reportVersion")
        if version:
            parts.append(f"Cellebrite UFED report {version}")
        for info in self.extractions:
            label = info.get("name") or info.get("type") or info.get("id") or "extraction"
            kind = info.get("type")
            parts.append(f"{label} ({kind})" if kind and kind != label else label)
        return "; ".join(parts) or None

    def raw(self) -> dict[str, Any]:
        """The Device Info items, extractions and report attributes as read."""
        record: dict[str, Any] = {f"project.{k}": v for k, v in self.project.items()}
        for index, info in enumerate(self.extractions):
            record[f"extractionInfo[{index}]"] = "; ".join(f"{k}={v}" for k, v in info.items())
        counts: dict[str, int] = {}
        for name, value, _line in self.items:
            counts[name] = counts.get(name, 0) + 1
            key = name if counts[name] == 1 else f"{name} [{counts[name]}]"
            record[key] = value
        return record


def write_devices(writer: RowWriter, report: str, facts: DeviceFacts) -> list[str]:
    """Write the ``devices`` rows; returns the Device Info names not read into a column."""
    firsts: dict[str, tuple[str, int]] = {}
    further: list[tuple[str, str, str, int]] = []
    unread: list[str] = []
    owner = None
    for name, value, line in facts.items:
        key = device_key(name)
        column = DEVICE_INFO.get(key)
        if key in OWNER_NAMES:
            owner = owner or value
        elif column is None:
            unread.append(name)
        elif column not in firsts:
            firsts[column] = (value, line)
        elif column in ("imei", "imsi", "iccid", "msisdn") and value != firsts[column][0]:
            further.append((column, name, value, line))
    extraction = facts.extraction_text()
    if not firsts and owner is None and extraction is None:
        return unread
    handset = {
        "manufacturer": _first(firsts, "manufacturer"),
        "model": _first(firsts, "model"),
        "extraction": extraction,
    }
    values: dict[str, Any] = {
        **handset,
        "os": _first(firsts, "os"),
        "owner_name": owner,
        **_identifier_columns(writer, "imei", _first(firsts, "imei")),
        **_identifier_columns(writer, "imsi", _first(firsts, "imsi")),
        **_identifier_columns(writer, "iccid", _first(firsts, "iccid")),
        **_identifier_columns(writer, "msisdn", _first(firsts, "msisdn")),
    }
    line = facts.section_line or 1
    raw = facts.raw()
    writer.add("devices", f"{report}#line={line};section=Device Info", values, raw=raw)
    for column, name, value, item_line in further:
        writer.add(
            "devices",
            f"{report}#line={item_line};item={name}",
            {**handset, **_identifier_columns(writer, column, value)},
            raw=raw,
        )
    return unread


def _first(firsts: dict[str, tuple[str, int]], column: str) -> str | None:
    found = firsts.get(column)
    return found[0] if found else None


def _identifier_columns(writer: RowWriter, column: str, value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    if column == "imei":
        return writer.handset(imei=value)
    if column == "imsi":
        return writer.handset(imsi=value)
    if column == "msisdn":
        return writer.party("msisdn", value)
    return {"iccid": "".join(value.split())}
