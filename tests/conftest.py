"""Shared fixtures: the case-store backends every store test runs on, and workspaces.

Each store test runs on SQLite and on PostgreSQL (design.md "Storage"). PostgreSQL is reached at
``THREADLINE_TEST_DATABASE_URL`` (scripts/test sets the local server); each test gets a schema of
its own, dropped afterwards, so tests never see each other's rows. Without a server the
PostgreSQL variants are skipped, except under ``CI=true``, where a missing server fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _postgres_base_url() -> str | None:
    return os.environ.get("THREADLINE_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty case-store URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'case.db'}"
        return
    base = _postgres_base_url()
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not base:
        if in_ci:
            pytest.fail("CI=true but THREADLINE_TEST_DATABASE_URL is not set")
        pytest.skip("no PostgreSQL configured (THREADLINE_TEST_DATABASE_URL)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        if in_ci:
            pytest.fail(f"CI=true but PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class StepClock:
    """A deterministic clock: each call is one second after the last."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> StepClock:
    """A clock starting at 2026-06-01 09:00 UTC."""
    return StepClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def workspace(tmp_path: Path, database_url: str, clock: StepClock) -> Iterator[Workspace]:
    """A workspace in a temporary folder, on each case-store backend."""
    settings = Settings(home=tmp_path / "home", database_url=database_url, user="analyst.test")
    ws = open_workspace(settings, clock=clock)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path, clock: StepClock) -> Iterator[Workspace]:
    """A workspace on SQLite only, for tests that are not about the case store."""
    settings = Settings(home=tmp_path / "home", user="analyst.test")
    ws = open_workspace(settings, clock=clock)
    try:
        yield ws
    finally:
        ws.close()
