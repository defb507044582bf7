"""Analysts' judgements: recording, reversing and listing them (threadline.model.judgement).

A judgement says two subjects (numbers, handsets, vehicles, person records) are the same, not the
same, or that the analyst is unsure, with a reason. It is derived data about the evidence, never
a change to it: recording or reversing one is logged as an **alteration** (DPA 2018 s62;
requirement 19) with the reason, and nothing is ever deleted (a reversal is recorded on the
judgement, which stays on record). For each pair of subjects the latest judgement not reversed is
**in force**; the analyse service hands those to every analysis, and a change in them makes the
next run of any analysis a new run (requirement 7: a link resting on a judgement says so).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, NotFound
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.model.imei import normalise_imei
from threadline.model.judgement import Judgement, Verdict
from threadline.model.phone import normalise_phone
from threadline.model.vrm import normalise_vrm
from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.tables import CaseRow, JudgementRow, stored_instant, text_for_store

__all__ = [
    "JudgementView",
    "judgements_in_force",
    "list_judgements",
    "normalise_subject",
    "record_judgement",
    "reverse_judgement",
]

_ROW_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class JudgementView:
    """A judgement as recorded, reversed or not."""

    judgement_id: str
    first: str
    second: str
    verdict: str
    reason: str
    made_by: str
    made_at: datetime
    in_force: bool
    reversed_by: str | None
    reversed_at: datetime | None
    reversal_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (instants as ISO 8601 text)."""
        data = asdict(self)
        for key in ("made_at", "reversed_at"):
            data[key] = data[key].isoformat() if data[key] is not None else None
        return data


def normalise_subject(text: str) -> str:
    """A subject as judgements hold it, ``kind:key`` with the key normalised as the evidence
    holds it. ``number:``, ``imei:``, ``vrm:`` and ``person:`` (a record's row id) are known; a
    bare value is read as a number when it is one (``07700 900123``), else as given.

    Raises:
        ConfigError: an unknown kind, or a key that is not one of its kind.
    """
    value = text.strip()
    kind, sep, key = value.partition(":")
    if not sep:
        number = normalise_phone(value).e164
        if number is None:
            raise ConfigError(f"{text!r}: write the subject as kind:key (number:, imei:, vrm:)")
        return f"number:{number}"
    kind, key = kind.strip().lower(), key.strip()
    if kind == "number":
        e164 = normalise_phone(key).e164
        if e164 is None:
            raise ConfigError(f"{text!r}: not a telephone number")
        return f"number:{e164}"
    if kind == "imei":
        imei = normalise_imei(key)
        if imei.key is None:
            raise ConfigError(f"{text!r}: not an IMEI")
        return f"imei:{imei.key}"
    if kind == "vrm":
        vrm = normalise_vrm(key)
        if vrm is None:
            raise ConfigError(f"{text!r}: not a registration mark")
        return f"vrm:{vrm.value}"
    if kind == "person":
        if not _ROW_ID.match(key):
            raise ConfigError(f"{text!r}: a person record is named by its row id (32 hex digits)")
        return f"person:{key}"
    raise ConfigError(f"{text!r}: unknown kind {kind!r} (number, imei, vrm, person)")


def record_judgement(
    ws: Workspace,
    case_reference: str,
    first: str,
    second: str,
    verdict: str,
    reason: str,
) -> JudgementView:
    """Record that ``first`` and ``second`` are the same, not the same, or unsure.

    Raises:
        NotFound: no such case.
        ConfigError: a subject is not valid, the two are one subject, the verdict is unknown,
            or no reason is given.
    """
    a, b = sorted((normalise_subject(first), normalise_subject(second)))
    if a == b:
        raise ConfigError("a judgement is about two different subjects")
    try:
        chosen = Verdict(verdict.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise ConfigError(f"verdict {verdict!r}: same, not_same or unsure") from None
    if not reason.strip():
        raise ConfigError("give the reason for the judgement (it is kept and audited)")
    with ws.session() as session:
        case = find_case(session, case_reference)
        at = ws.clock()
        row = JudgementRow(
            id=make_id("judgement", case.id, a, b, at.isoformat(), ws.user),
            case_id=case.id,
            first=a,
            second=b,
            verdict=chosen.value,
            reason=text_for_store(reason.strip()) or "",
            made_by=ws.user,
            made_at=at,
        )
        session.add(row)
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "judgement.record",
            case_id=case.id,
            object_type="judgement",
            object_id=row.id,
            detail={"verdict": chosen.value, "reason": row.reason},
        )
        session.flush()
        return _view(row, in_force=True)


def reverse_judgement(
    ws: Workspace, case_reference: str, judgement_id: str, reason: str
) -> JudgementView:
    """Reverse a judgement (it stays on record, no longer in force).

    Raises:
        NotFound: no such case, or no such judgement in it.
        ConfigError: no reason given, or it is already reversed.
    """
    if not reason.strip():
        raise ConfigError("give the reason for reversing the judgement (it is kept and audited)")
    with ws.session() as session:
        case = find_case(session, case_reference)
        row = session.get(JudgementRow, judgement_id)
        if row is None or row.case_id != case.id:
            raise NotFound(f"no judgement {judgement_id} in {case.reference}")
        if row.reversed_at is not None:
            raise ConfigError(f"judgement {judgement_id} was already reversed")
        row.reversed_by = ws.user
        row.reversed_at = ws.clock()
        row.reversal_reason = text_for_store(reason.strip())
        ws.audit(
            session,
            AuditOperation.ALTERATION,
            "judgement.reverse",
            case_id=case.id,
            object_type="judgement",
            object_id=row.id,
            detail={"reason": row.reversal_reason},
        )
        session.flush()
        return _view(row, in_force=False)


def list_judgements(
    ws: Workspace, case_reference: str, *, include_reversed: bool = False
) -> list[JudgementView]:
    """The case's judgements, newest first (reversed ones too when asked).

    Raises:
        NotFound: no such case.
    """
    with ws.session() as session:
        case = find_case(session, case_reference)
        rows = _rows(session, case)
        force = {j.judgement_id for j in _in_force(rows)}
        return [
            _view(r, in_force=r.id in force)
            for r in reversed(rows)
            if include_reversed or r.reversed_at is None
        ]


def judgements_in_force(session: Session, case: CaseRow) -> tuple[Judgement, ...]:
    """For each pair of subjects, the latest judgement not reversed (what analyses respect)."""
    return tuple(_in_force(_rows(session, case)))


def _rows(session: Session, case: CaseRow) -> list[JudgementRow]:
    return list(
        session.execute(
            select(JudgementRow)
            .where(JudgementRow.case_id == case.id)
            .order_by(JudgementRow.made_at, JudgementRow.id)
        ).scalars()
    )


def _in_force(rows: list[JudgementRow]) -> list[Judgement]:
    latest: dict[tuple[str, str], JudgementRow] = {}
    for row in rows:
        if row.reversed_at is None:
            latest[(row.first, row.second)] = row
    return [
        Judgement(
            row.id,
            row.first,
            row.second,
            Verdict(row.verdict),
            row.reason,
            row.made_by,
            stored_instant(row.made_at),
        )
        for _pair, row in sorted(latest.items())
    ]


def _view(row: JudgementRow, *, in_force: bool) -> JudgementView:
    return JudgementView(
        row.id,
        row.first,
        row.second,
        row.verdict,
        row.reason,
        row.made_by,
        stored_instant(row.made_at),
        in_force,
        row.reversed_by,
        stored_instant(row.reversed_at),
        row.reversal_reason,
    )
