"""Case-store text columns: no length limit that only PostgreSQL enforces, NUL made storable,
and the initial migration in step with the table models. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Text, select

from threadline.model.audit import AuditOperation
from threadline.services import cases, exhibits
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings
from threadline.store.tables import (
    AuditEntryRow,
    Base,
    CaseRow,
    ContinuityRow,
    EvidenceFileRow,
    ExhibitRow,
    IngestIssueRow,
    IngestRunRow,
    text_for_store,
)

# longer than every limit the columns had (100, 200, 500 and 1000 characters)
LONG_USER = "DC " + "u" * 150
LONG_NAME = "Operation " + "n" * 290
LONG_PRODUCER = "DC Jo Bloggs, " + "p" * 286
LONG_LOCATOR = "sheet=" + "s" * 300 + "!row=2"
LONG_OBJECT = "o" * 250
LONG_PATH = "evidence/" + "/".join(["d" * 99] * 15) + "/calls.parquet"
FILE_NAME = "f" * 240 + ".csv"  # under the 255-byte file-name limit, over the old 200


def test_text_for_store_escapes_nul_only() -> None:
    assert text_for_store(None) is None
    assert text_for_store("") == ""
    assert text_for_store("plain £ text") == "plain £ text"
    # each NUL becomes the four visible characters backslash, x, 0, 0
    assert text_for_store("a\x00b") == "a" + "\\" + "x00" + "b"
    assert text_for_store("\x00\x00") == "\\x00\\x00"
    assert len(text_for_store("\x00") or "") == 4


FREE_TEXT = {
    "cases": {"name", "created_by"},
    "exhibits": {"producer", "original_name", "stored_path", "registered_by"},
    "continuity": {"actor"},
    "ingest_runs": {"started_by"},
    "audit_log": {"actor", "object_id"},
    "ingest_issues": {"locator"},
    "evidence_files": {"path"},
}


def test_free_text_columns_are_text() -> None:
    for table, columns in FREE_TEXT.items():
        for column in columns:
            kind = Base.metadata.tables[table].c[column].type
            assert isinstance(kind, Text), f"{table}.{column} is {kind}"
    # references are validated to 64 characters by the services and keep their limit
    assert Base.metadata.tables["cases"].c["reference"].type.length == 64  # type: ignore[attr-defined]
    assert Base.metadata.tables["exhibits"].c["reference"].type.length == 64  # type: ignore[attr-defined]


def test_migration_matches_the_table_models(workspace: Workspace) -> None:
    with workspace.cases.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture
def long_user_ws(tmp_path: Path, database_url: str) -> Iterator[Workspace]:
    settings = Settings(home=tmp_path / "long", database_url=database_url, user=LONG_USER)
    ws = open_workspace(settings)
    try:
        yield ws
    finally:
        ws.close()


def test_long_free_text_round_trips(long_user_ws: Workspace, tmp_path: Path) -> None:
    ws = long_user_ws
    case = cases.create_case(ws, "OP-LONG", LONG_NAME)
    source = tmp_path / FILE_NAME
    source.write_bytes(b"x")
    info = exhibits.add_exhibit(
        ws, "OP-LONG", "JB/1", source, producer=LONG_PRODUCER, description="long names"
    )
    with ws.session() as session:
        session.add(
            IngestRunRow(
                id="r" * 32,
                exhibit_id=info.id,
                parser="cdr_uk@1.0.0",
                parameters={},
                fingerprint="f" * 32,
                status="complete",
                started_at=ws.clock(),
                started_by=ws.user,
            )
        )
        session.flush()
        session.add(
            EvidenceFileRow(
                run_id="r" * 32, table_name="calls", path=LONG_PATH, sha256="0" * 64, rows=1
            )
        )
        session.add(
            IngestIssueRow(
                run_id="r" * 32,
                severity="error",
                code="row.malformed",
                message="m",
                locator=LONG_LOCATOR,
                value=None,
                count=1,
            )
        )
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "test.long",
            case_id=case.id,
            object_type="exhibit",
            object_id=LONG_OBJECT,
        )

    with ws.session() as session:
        case_row = session.execute(select(CaseRow)).scalar_one()
        assert (case_row.name, case_row.created_by) == (LONG_NAME, LONG_USER)
        exhibit = session.execute(select(ExhibitRow)).scalar_one()
        assert exhibit.producer == LONG_PRODUCER
        assert exhibit.original_name == FILE_NAME
        assert exhibit.stored_path == f"{case.id}/{info.id}/{FILE_NAME}"
        assert exhibit.registered_by == LONG_USER
        assert session.execute(select(ContinuityRow.actor)).scalar_one() == LONG_USER
        run = session.execute(select(IngestRunRow)).scalar_one()
        assert run.started_by == LONG_USER
        assert session.execute(select(EvidenceFileRow.path)).scalar_one() == LONG_PATH
        assert session.execute(select(IngestIssueRow.locator)).scalar_one() == LONG_LOCATOR
        last = session.execute(
            select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)
        ).scalar_one()
        assert (last.actor, last.object_id) == (LONG_USER, LONG_OBJECT)


def test_issue_with_escaped_nul_round_trips(workspace: Workspace, tmp_path: Path) -> None:
    cases.create_case(workspace, "OP-NUL", "Operation Nul")
    source = tmp_path / "cdr.csv"
    source.write_bytes(b"x")
    info = exhibits.add_exhibit(workspace, "OP-NUL", "JB/1", source, producer="P", description="D")
    raw_value = "MOC,4477\x00,end"
    raw_message = "bad record\x00"
    with workspace.session() as session:
        session.add(
            IngestRunRow(
                id="n" * 32,
                exhibit_id=info.id,
                parser="cdr_uk@1.0.0",
                parameters={},
                fingerprint="f" * 32,
                status="complete",
                started_at=workspace.clock(),
                started_by=workspace.user,
            )
        )
        session.flush()
        session.add(
            IngestIssueRow(
                run_id="n" * 32,
                severity="error",
                code="row.malformed",
                message=text_for_store(raw_message),
                locator=text_for_store("row=7"),
                value=text_for_store(raw_value),
                count=1,
            )
        )
    with workspace.session() as session:
        stored = session.execute(select(IngestIssueRow)).scalar_one()
        assert stored.value == "MOC,4477\\x00,end"
        assert stored.message == "bad record\\x00"
        assert stored.locator == "row=7"
