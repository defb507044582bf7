"""Analysts' judgements through the service, on SQLite and PostgreSQL: recorded with reason,
user and time, audited as alterations, reversible without deleting, the latest per pair in
force, handed to analyses, and a change makes the next analysis run a new run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from threadline.errors import ConfigError, NotFound
from threadline.ingest.context import IngestOptions
from threadline.model.judgement import Verdict
from threadline.services import analyse, cases, exhibits, ingest, judgements
from threadline.services.exhibits import CommsData
from threadline.services.workspace import Workspace
from threadline.store.tables import AuditEntryRow

A, B = "+447700900001", "+447700900002"
PERSON = "0123456789abcdef0123456789abcdef"


def test_subjects_are_normalised_or_refused() -> None:
    assert judgements.normalise_subject("07700 900001") == f"number:{A}"
    assert judgements.normalise_subject("number:+44 7700 900001") == f"number:{A}"
    assert judgements.normalise_subject("imei:35-209900-176148-1") == "imei:35209900176148"
    assert judgements.normalise_subject("vrm:ut73 fke") == "vrm:UT73FKE"
    assert judgements.normalise_subject(f"person:{PERSON}") == f"person:{PERSON}"
    for bad, message in (
        ("bob", "kind:key"),
        ("number:bob", "not a telephone number"),
        ("person:42", "row id"),
        ("colour:red", "unknown kind"),
    ):
        with pytest.raises(ConfigError, match=message):
            judgements.normalise_subject(bad)


def test_judgements_are_recorded_reversed_and_in_force(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-ELM", "Operation Elm")
    first = judgements.record_judgement(
        workspace, "OP-ELM", "07700900002", "07700900001", "same", "same handset, same contacts"
    )
    assert (first.first, first.second, first.verdict) == (f"number:{A}", f"number:{B}", "same")
    assert first.made_by == "analyst.test"
    later = judgements.record_judgement(
        workspace, "OP-ELM", f"number:{A}", f"number:{B}", "not same", "two users seen at once"
    )
    listed = judgements.list_judgements(workspace, "OP-ELM")
    assert [(j.judgement_id, j.in_force) for j in listed] == [
        (later.judgement_id, True),
        (first.judgement_id, False),  # superseded by the later judgement on the same pair
    ]
    with workspace.session() as session:
        in_force = judgements.judgements_in_force(session, cases_row(workspace, session))
    assert [(j.judgement_id, j.verdict) for j in in_force] == [
        (later.judgement_id, Verdict.NOT_SAME)
    ]
    reversed_ = judgements.reverse_judgement(
        workspace, "OP-ELM", later.judgement_id, "entered on the wrong pair"
    )
    assert reversed_.reversed_by == "analyst.test"
    # the earlier judgement is in force again; the reversed one stays on record
    assert [j.judgement_id for j in judgements.list_judgements(workspace, "OP-ELM")] == [
        first.judgement_id
    ]
    everything = judgements.list_judgements(workspace, "OP-ELM", include_reversed=True)
    assert [(j.judgement_id, j.in_force) for j in everything] == [
        (later.judgement_id, False),
        (first.judgement_id, True),
    ]
    with workspace.session() as session:
        audited = session.execute(
            select(AuditEntryRow.operation, AuditEntryRow.action).where(
                AuditEntryRow.action.like("judgement.%")
            )
        ).all()
    assert [tuple(a) for a in audited] == [
        ("alteration", "judgement.record"),
        ("alteration", "judgement.record"),
        ("alteration", "judgement.reverse"),
    ]
    with pytest.raises(ConfigError, match="already reversed"):
        judgements.reverse_judgement(workspace, "OP-ELM", later.judgement_id, "again")
    with pytest.raises(NotFound):
        judgements.reverse_judgement(workspace, "OP-ELM", "0" * 32, "no such")
    with pytest.raises(ConfigError, match="reason"):
        judgements.record_judgement(workspace, "OP-ELM", A, B, "same", "  ")
    with pytest.raises(ConfigError, match="two different subjects"):
        judgements.record_judgement(workspace, "OP-ELM", A, "07700 900001", "same", "r")
    with pytest.raises(ConfigError, match="same, not_same or unsure"):
        judgements.record_judgement(workspace, "OP-ELM", A, B, "maybe", "r")


def cases_row(workspace: Workspace, session: object) -> object:
    from threadline.services.cases import find_case

    return find_case(session, "OP-ELM")  # type: ignore[arg-type]


def test_a_new_judgement_makes_a_new_analysis_run(workspace: Workspace, tmp_path: Path) -> None:
    cases.create_case(workspace, "OP-ELM", "Operation Elm")
    source = tmp_path / "cdr.csv"
    source.write_text(
        "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
        "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
        "MOC,447700900001,447700900002,,01/06/2026,09:00:00,60,,,,\n",
        encoding="utf-8",
    )
    exhibits.add_exhibit(
        workspace,
        "OP-ELM",
        "JB/1",
        source,
        producer="DC Test",
        description="return",
        comms=CommsData(provider="Network", target_number=A, authorisation="URN-1"),
    )
    ingest.ingest_exhibit(workspace, "OP-ELM", "JB/1", options=IngestOptions(time_basis="utc"))
    before = analyse.run_analysis(workspace, "OP-ELM", "contact_profile", {})
    assert analyse.run_analysis(workspace, "OP-ELM", "contact_profile", {}).already_done
    judgements.record_judgement(workspace, "OP-ELM", A, B, "unsure", "one user or two?")
    after = analyse.run_analysis(workspace, "OP-ELM", "contact_profile", {})
    assert not after.already_done
    assert after.run_id != before.run_id
