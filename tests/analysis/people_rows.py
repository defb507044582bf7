"""Test support: hand-made rows of the tables that describe people (contacts, devices,
accounts), and analysts' judgements, for the attribution and person resolution tests.

Rows carry only the columns that matter; :func:`evidence_factory.make_evidence` fills the rest
with nulls. Names are invented; numbers are Ofcom drama numbers; IMEIs are made up with valid
Luhn check digits (353456789012348, 358765432109870, 860123456789014).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from evidence_factory import make_evidence, utc

from threadline.analysis.evidence import Evidence
from threadline.model.ids import row_id
from threadline.model.judgement import Judgement, Verdict

IMEI_A = "353456789012348"
IMEI_B = "358765432109870"
IMEI_C = "860123456789014"


def _provenance(exhibit: str, n: int) -> dict[str, Any]:
    return {"row_id": row_id(exhibit, f"row={n}"), "exhibit_id": exhibit, "locator": f"row={n}"}


def contact(
    exhibit: str, n: int, name: str | None, number: str | None, **extra: Any
) -> dict[str, Any]:
    """A contacts row: handset ``exhibit`` saves ``number`` (E.164) as ``name``."""
    row = _provenance(exhibit, n) | {
        "name": name,
        "number": number,
        "number_original": number,
        "deleted_state": extra.pop("deleted_state", "intact"),
    }
    row.update(extra)
    return row


def device(
    exhibit: str,
    n: int,
    msisdn: str | None,
    owner_name: str | None,
    imei: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A devices row: the handset downloaded as ``exhibit``, its own number and recorded owner."""
    row = _provenance(exhibit, n) | {
        "msisdn": msisdn,
        "msisdn_original": msisdn,
        "owner_name": owner_name,
        "imei": imei,
        "imei_key": imei[:14] if imei else None,
        "imei_original": imei,
    }
    row.update(extra)
    return row


def account(
    exhibit: str,
    n: int,
    service: str,
    number: str | None,
    display_name: str | None = None,
    username: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An accounts row: an app account found on ``exhibit``, tied to ``number``."""
    row = _provenance(exhibit, n) | {
        "service": service,
        "account_id": extra.pop("account_id", f"{service.lower()}:{number or username}"),
        "username": username,
        "display_name": display_name,
        "number": number,
        "number_original": number,
    }
    row.update(extra)
    return row


def judgement(first: str, second: str, verdict: str, reason: str = "checked") -> Judgement:
    """A judgement in force between two subjects (``person:<row_id>``, ``number:<e164>``)."""
    a, b = sorted((first, second))
    return Judgement(
        judgement_id=f"j-{a}-{b}",
        first=a,
        second=b,
        verdict=Verdict(verdict),
        reason=reason,
        by="DC Anwen Prys",
        at=utc("2026-11-20 10:00:00"),
    )


def people_evidence(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    exhibits: Mapping[str, str] | None = None,
    judgements: Sequence[Judgement] = (),
) -> Evidence:
    """Evidence of the rows given, with the analysts' judgements in force."""
    evidence = make_evidence(tables, exhibits=exhibits)
    return dataclasses.replace(evidence, judgements=tuple(judgements))


def person(row: Mapping[str, Any]) -> str:
    """The judgement subject of a row's person record."""
    return f"person:{row['row_id']}"
