"""Opening the case store: engine, migrations to the current schema, sessions.

SQLite (a file in the workspace) by default; PostgreSQL by URL (``THREADLINE_DATABASE_URL``). The
same models and migrations serve both, and every store test runs on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from threadline.errors import StoreError


@dataclass(frozen=True)
class CaseStore:
    """An open case store: its engine and a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock at once, so concurrent audit appends serialise
    # instead of failing on lock upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("threadline.store").joinpath("migrations"))
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_case_store(url: str) -> CaseStore:
    """Open (and migrate) the case store at ``url``.

    Raises:
        StoreError: the database cannot be reached or migrated; the message names the URL
            without its password.
    """
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, future=True, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        # pysqlite's own transaction handling would issue BEGIN itself; turn it off.
        event.listen(engine, "connect", lambda conn, _rec: setattr(conn, "isolation_level", None))
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        safe = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot open the case store at {safe}: {exc.orig}") from exc
    return CaseStore(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
