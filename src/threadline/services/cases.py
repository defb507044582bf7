"""Cases (operations): create, list and show. A case carries its GSC marking and offence tags
(requirements 8, 53)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, Conflict, NotFound
from threadline.model.access import Membership
from threadline.model.audit import AuditOperation
from threadline.model.ids import make_id
from threadline.model.marking import DEFAULT_MARKING, parse_marking
from threadline.model.offence import load_offence_catalogue
from threadline.services.workspace import Workspace
from threadline.store.tables import (
    CaseMemberRow,
    CaseOffenceRow,
    CaseRow,
    ExhibitRow,
    stored_instant,
)

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,63}$")


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """A case as shown to a user."""

    id: str
    reference: str
    name: str
    marking: str
    offences: tuple[str, ...]
    created_at: str
    created_by: str
    exhibits: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def case_info(session: Session, row: CaseRow) -> CaseInfo:
    """The case as shown to a user."""
    offences = tuple(
        session.execute(
            select(CaseOffenceRow.code)
            .where(CaseOffenceRow.case_id == row.id)
            .order_by(CaseOffenceRow.code)
        ).scalars()
    )
    exhibits = session.execute(
        select(func.count()).select_from(ExhibitRow).where(ExhibitRow.case_id == row.id)
    ).scalar_one()
    return CaseInfo(
        id=row.id,
        reference=row.reference,
        name=row.name,
        marking=row.marking,
        offences=offences,
        created_at=stored_instant(row.created_at).isoformat(),
        created_by=row.created_by,
        exhibits=int(exhibits),
    )


def find_case(session: Session, reference: str) -> CaseRow:
    """The case with this reference (case-insensitive).

    Raises:
        NotFound: no such case.
    """
    row = session.execute(
        select(CaseRow).where(func.upper(CaseRow.reference) == reference.strip().upper())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no case with reference {reference!r}: 'threadline case list' shows them")
    return row


def create_case(
    ws: Workspace,
    reference: str,
    name: str,
    *,
    marking: str | None = None,
    offences: tuple[str, ...] = (),
    owner_id: str | None = None,
) -> CaseInfo:
    """Create a case; ``owner_id`` (a signed-in creator) becomes its owner in the same
    transaction, so a case made on the web is never without someone who can manage it.

    Raises:
        ConfigError: bad reference, marking or offence tag.
        PermissionDenied: SECRET or above on a deployment not accredited for it.
        Conflict: a case with this reference exists.
    """
    reference = reference.strip()
    if not _REFERENCE.match(reference):
        raise ConfigError(
            f"case reference {reference!r} must be 1–64 letters, digits, '-', '_', '/' or '.'"
        )
    if not name.strip():
        raise ConfigError("a case needs a name")
    chosen = (
        parse_marking(marking, accredited_above_official=ws.settings.accredited_above_official)
        if marking
        else DEFAULT_MARKING
    )
    catalogue = load_offence_catalogue()
    codes = sorted({catalogue.get(code).code for code in offences})
    case_id = make_id("case", reference.upper())
    try:
        with ws.session() as session:
            existing = session.execute(
                select(CaseRow.id).where(func.upper(CaseRow.reference) == reference.upper())
            ).first()
            if existing is not None:
                raise Conflict(f"a case with reference {reference!r} already exists")
            row = CaseRow(
                id=case_id,
                reference=reference,
                name=name.strip(),
                marking=chosen.value,
                created_at=ws.clock(),
                created_by=ws.user,
            )
            session.add(row)
            session.flush()  # the case row must exist before rows that refer to it
            session.add_all(CaseOffenceRow(case_id=case_id, code=code) for code in codes)
            if owner_id is not None:
                session.add(
                    CaseMemberRow(
                        case_id=case_id,
                        user_id=owner_id,
                        membership=Membership.OWNER.value,
                        added_at=ws.clock(),
                        added_by=ws.user,
                    )
                )
            ws.audit(
                session,
                AuditOperation.COLLECTION,
                "case.create",
                case_id=case_id,
                object_type="case",
                object_id=case_id,
                detail={"reference": reference, "marking": chosen.value, "offences": codes},
            )
            session.flush()
            return case_info(session, row)
    except SqlIntegrityError as exc:
        raise Conflict(f"a case with reference {reference!r} already exists") from exc


def list_cases(ws: Workspace) -> list[CaseInfo]:
    """Every case, by reference."""
    with ws.session() as session:
        rows = session.execute(select(CaseRow).order_by(CaseRow.reference)).scalars().all()
        return [case_info(session, row) for row in rows]


def show_case(ws: Workspace, reference: str, *, justification: str | None = None) -> CaseInfo:
    """One case; logged as a consultation (requirement 15)."""
    with ws.session() as session:
        row = find_case(session, reference)
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "case.show",
            case_id=row.id,
            object_type="case",
            object_id=row.id,
            justification=justification,
        )
        return case_info(session, row)
