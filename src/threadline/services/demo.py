"""The demo case: generate Operation Cedar, register its exhibits and ingest them.

The exhibits are the network returns (DC/1–DC/5, DC/7 and DC/8; see docs/demo-call-data.md),
the operator cell list (DC/6), the ANPR camera list and read exports (AR/1–AR/3; see
docs/demo-anpr.md) and the five seized handsets' downloads (MC/1–MC/5: three Cellebrite
UFDRs, an XRY text export and an Android full file-system extraction; see
docs/demo-phone-downloads.md), each ingested with its parser. Each ANPR read
export is ingested with the time basis its ground truth records (requirement 21): the nas-style
export does not say in which zone it wrote its times.

Running it again is safe: an existing case and identical exhibits are reused and ingest is
idempotent. An existing case that is not the demo's (another name, or exhibits the demo did not
register) is refused, never filled with fictional data. ``scale`` builds a separate, larger case
(``OP-CEDAR-S<rows>``) for benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from threadline.errors import Conflict
from threadline.ingest.context import IngestOptions
from threadline.model.access import Membership, Role
from threadline.scenario import ExhibitTruth, generate_case
from threadline.services import access, cases, exhibits, ingest, search, users
from threadline.services.cases import find_case
from threadline.services.workspace import Workspace
from threadline.store.tables import ExhibitRow

DEMO_SEED = 20261122

#: The ingest time basis for each time basis the ground truth records of an exhibit.
_TIME_BASES = MappingProxyType({"UTC": "utc", "UK local": "europe-london"})
#: Exhibit kinds that are ANPR evidence (left out with ``anpr=False``).
_ANPR_KINDS = frozenset({"anpr-cameras", "anpr-reads"})

#: The demo's web sign-ins: fictional people for a fictional case, printed by ``threadline demo``.
#: They exist only in a workspace the demo builds (``scripts/start`` uses its own folder).
DEMO_USERS = (
    ("demo", "DC Dana Demo", Role.INVESTIGATOR, "cedar-demo-2026", Membership.OWNER),
    ("analyst", "Alex Analyst", Role.ANALYST, "cedar-analyst-2026", Membership.MEMBER),
    ("admin", "Demo Administrator", Role.ADMINISTRATOR, "cedar-admin-2026", None),
)


def _demo_users(ws: Workspace, reference: str) -> list[dict[str, str]]:
    """Create the demo's users if missing and make the investigators members of the case."""
    existing = {u.username for u in users.list_users(ws)}
    shown = []
    for username, name, role, password, membership in DEMO_USERS:
        if username not in existing:
            users.add_user(ws, username, display_name=name, role=role, password=password)
        if membership is not None:
            access.set_member(ws, reference, username, membership)
        shown.append({"username": username, "password": password, "role": role.value})
    return shown


def _refuse_foreign_case(ws: Workspace, reference: str, name: str, demo_refs: set[str]) -> None:
    """Refuse to add the fictional exhibits to an existing case that is not the demo's.

    A real case may happen to have the demo's reference (``OP-CEDAR``); adding invented call
    data to it would mix fiction into evidence. The existing case is taken to be the demo's only
    if it has the demo case's name and every exhibit in it has one of the demo's references.

    Raises:
        Conflict: the case's name differs, or it holds an exhibit the demo did not register.
    """
    with ws.session() as session:
        case = find_case(session, reference)
        case_name = case.name
        held = session.execute(
            select(ExhibitRow.reference)
            .where(ExhibitRow.case_id == case.id)
            .order_by(ExhibitRow.reference)
        ).scalars()
        ours = {ref.upper() for ref in demo_refs}
        foreign = [ref for ref in held if ref.upper() not in ours]
    if case_name != name:
        raise Conflict(
            f"case {reference} exists and is not the demo case: it is called {case_name!r}, "
            f"not {name!r}. The fictional demo exhibits will not be added to it; run the demo "
            "in another workspace (--home DIR)"
        )
    if foreign:
        shown = ", ".join(foreign[:5])
        if len(foreign) > 5:
            shown += f" and {len(foreign) - 5} more"
        raise Conflict(
            f"case {reference} exists and holds exhibits the demo did not register ({shown}). "
            "The fictional demo exhibits will not be added to it; run the demo in another "
            "workspace (--home DIR)"
        )


def _parser_and_options(item: ExhibitTruth) -> tuple[str | None, IngestOptions]:
    """The parser and ingest options for one of the demo's exhibits, from its kind and layout."""
    if item.kind == "cdr":
        return "cdr_uk", IngestOptions(profile=item.layout)
    if item.kind == "anpr-cameras":
        return "anpr_cameras", IngestOptions()
    if item.kind == "anpr-reads":
        return "anpr", IngestOptions(profile=item.layout, time_basis=_TIME_BASES[item.time_basis])
    return None, IngestOptions()


def build_demo(
    ws: Workspace,
    *,
    scale: int | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    phone_downloads: bool = True,
    anpr: bool | None = None,
) -> dict[str, Any]:
    """Generate, register and ingest the demo case; return a summary for printing.

    ``phone_downloads=False`` leaves the seized handsets' downloads (MC/1–MC/5) out of the case:
    for checks whose independent oracle reads only the network returns. ``anpr=False`` leaves
    the ANPR exhibits (AR/1–AR/3) out; by default they follow ``phone_downloads``, so that such
    a check gets the network returns and cell list only.
    """
    with_anpr = phone_downloads if anpr is None else anpr
    source = ws.settings.home / "demo-source" / (f"scale-{scale}" if scale else "standard")
    source.mkdir(parents=True, exist_ok=True)
    truth = generate_case(source, seed=DEMO_SEED, scale=scale)
    reference = truth.case.reference if scale is None else f"{truth.case.reference}-S{scale}"
    name = truth.case.name if scale is None else f"{truth.case.name} (scale {scale:,})"
    try:
        cases.create_case(
            ws,
            reference,
            name,
            marking=truth.case.marking,
            offences=tuple(truth.case.offences),
        )
    except Conflict:  # a case with this reference exists: reuse it only if it is the demo's
        demo_refs = {item.reference for item in truth.exhibits}
        demo_refs |= {item.reference for item in truth.phone_downloads}
        _refuse_foreign_case(ws, reference, name, demo_refs)
    existing = {e.reference: e for e in exhibits.list_exhibits(ws, reference)}
    summary_exhibits = []
    done_rows = 0
    for item in truth.exhibits:
        if item.kind in _ANPR_KINDS and not with_anpr:
            continue
        path: Path = source / item.filename
        if item.reference not in existing:
            comms = None
            if item.kind == "cdr":
                comms = exhibits.CommsData(
                    provider=item.provider,
                    target_number=item.target_msisdn,
                    authorisation=item.authorisation,
                    authorised_from=item.window_start,
                    authorised_to=item.window_end,
                    data_type="events",
                    authoriser="OCDA",
                )
            exhibits.add_exhibit(
                ws,
                reference,
                item.reference,
                path,
                producer=item.producer,
                description=item.description,
                comms=comms,
            )
        base = done_rows

        def tick(done: int, _total: int | None, base: int = base) -> None:
            if on_progress is not None:
                on_progress(base + done, None)

        parser, options = _parser_and_options(item)
        result = ingest.ingest_exhibit(
            ws, reference, item.reference, parser=parser, options=options, on_progress=tick
        )
        rows = result.row_counts.get("source_rows", sum(result.row_counts.values()))
        done_rows += rows
        summary_exhibits.append(
            {
                "reference": item.reference,
                "description": item.description,
                "parser": result.parser,
                "rows": rows,
                "row_counts": result.row_counts,
                "issues": result.issues,
            }
        )
    for phone in truth.phone_downloads if phone_downloads else ():
        if phone.reference not in existing:
            exhibits.add_exhibit(
                ws,
                reference,
                phone.reference,
                source / phone.filename,
                producer=phone.producer,
                description=phone.description,
            )
        result = ingest.ingest_exhibit(ws, reference, phone.reference, parser=phone.parser)
        rows = result.row_counts.get("source_rows", sum(result.row_counts.values()))
        summary_exhibits.append(
            {
                "reference": phone.reference,
                "description": phone.title,
                "parser": result.parser,
                "rows": rows,
                "row_counts": result.row_counts,
                "issues": result.issues,
            }
        )
    sign_ins = _demo_users(ws, reference)
    index = search.build_search_index(ws, reference)
    return {
        "case": reference,
        "sign_ins": sign_ins,
        "search_index_rows": index.rows,
        "name": truth.case.name,
        "marking": truth.case.marking,
        "exhibits": summary_exhibits,
        "home": str(ws.settings.home),
        "evidence": str(ws.evidence.root),
        "database": ws.settings.resolved_database_url().split("@")[-1],
        "ground_truth": str(source / "ground_truth.json"),
    }
