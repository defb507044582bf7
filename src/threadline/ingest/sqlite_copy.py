"""Reading a handset's SQLite database without changing the exhibit, with its WAL applied.

Android and iOS keep messages, calls and contacts in SQLite. The newest changes may be only in
the write-ahead log (``<db>-wal``) beside the database (formats.md §5: an address book whose recent
contacts are only in the WAL), and opening a database with SQLite writes to it (it checkpoints the
WAL, creates ``-shm``). So the database and its WAL are copied to a scratch folder and the copy is
opened; the exhibit is never opened for writing (ACPO principle 1, requirement 16).

Encrypted WhatsApp backups (``msgstore.db.crypt12/14/15``) are recognised by name and header and
reported as encrypted; a file that is not SQLite, or is damaged, raises
:class:`~threadline.errors.ParseError` naming it.

An exhibit's database is hostile input: its schema is code that SQLite runs. A view named like a
table a reader expects can hold a recursive query that never ends, and a generated column can
build a value of any size from a few bytes. The copy is therefore opened with limits: no text or
blob longer than :data:`MAX_VALUE_BYTES`, and no statement running more than
:data:`QUERY_STEP_BUDGET` virtual-machine steps. Steps rather than seconds, so that the same file
gives the same result on a busy machine as on an idle one (requirement 17). A statement stopped
by the budget raises :class:`~threadline.errors.ParseError` naming the file.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from threadline.errors import ParseError

__all__ = [
    "MAX_VALUE_BYTES",
    "QUERY_STEP_BUDGET",
    "RUNAWAY_MESSAGE",
    "SQLITE_HEADER",
    "columns",
    "is_encrypted_backup",
    "is_sqlite",
    "open_sqlite_copy",
    "schema_text",
    "tables",
]

SQLITE_HEADER = b"SQLite format 3\x00"
_CRYPT_NAME = re.compile(r"\.crypt\d+$", re.IGNORECASE)

#: The longest text or blob SQLite may build or return from an exhibit's database: far above any
#: message body or thumbnail a handset stores, far below what exhausts memory.
MAX_VALUE_BYTES = 64 * 2**20
#: Virtual-machine steps one statement may run (about 20 seconds of SQLite work): reading every
#: row of a table of millions takes a fraction of it; a query that never ends meets it.
QUERY_STEP_BUDGET = 2**31
#: Steps between two checks of the budget.
_CHECK_EVERY = 10_000
RUNAWAY_MESSAGE = "the database's queries run away: a crafted schema?"


class _QueryBudget:
    """Counts the steps of the statement running on one connection, and stops it past the
    budget; restarted as each statement starts."""

    def __init__(self, con: sqlite3.Connection, budget: int) -> None:
        self.checks_left = self.allowed = max(1, budget // _CHECK_EVERY)
        self.exceeded = False
        con.set_trace_callback(self._statement_starts)
        con.set_progress_handler(self._check, _CHECK_EVERY)

    def _statement_starts(self, _sql: str) -> None:
        self.checks_left = self.allowed

    def _check(self) -> int:
        self.checks_left -= 1
        if self.checks_left > 0:
            return 0
        self.exceeded = True
        return 1  # SQLite stops the statement with "interrupted"


def is_sqlite(head: bytes) -> bool:
    """Whether the first bytes are an SQLite 3 database header."""
    return head.startswith(SQLITE_HEADER)


def is_encrypted_backup(name: str) -> bool:
    """Whether a file name is an encrypted WhatsApp backup (``msgstore.db.crypt14`` ...)."""
    return _CRYPT_NAME.search(name) is not None


def refuse_encrypted(name: str) -> None:
    """Raise the error for an encrypted WhatsApp backup.

    Raises:
        ParseError: always, naming the file.
    """
    raise ParseError(
        "this is an encrypted WhatsApp backup (crypt12/14/15); it cannot be read without the "
        "key from the handset (files/key). Supply the decrypted msgstore.db instead",
        path=name,
    )


@contextmanager
def open_sqlite_copy(
    path: Path, *, name: str, wal: Path | None = None, apply_wal: bool = True
) -> Iterator[sqlite3.Connection]:
    """Open a scratch copy of the database at ``path`` (with its WAL applied) for reading.

    Args:
        path: the database file (in the exhibit or a container's scratch copy).
        name: its path inside the exhibit, for messages.
        wal: its write-ahead log; by default ``<path>-wal`` if it exists.
        apply_wal: ``False`` to read the database file alone, as at its last checkpoint.

    Raises:
        ParseError: the file is an encrypted backup, is not SQLite, or is damaged.
    """
    if is_encrypted_backup(name):
        refuse_encrypted(name)
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if not is_sqlite(head):
        raise ParseError("not an SQLite database (no 'SQLite format 3' header)", path=name)
    wal = wal if wal is not None else path.with_name(path.name + "-wal")
    with tempfile.TemporaryDirectory(prefix="threadline-sqlite-") as scratch:
        copy = Path(scratch) / "db.sqlite"
        shutil.copyfile(path, copy)
        if apply_wal and wal.is_file():
            shutil.copyfile(wal, Path(scratch) / "db.sqlite-wal")
        try:
            con = sqlite3.connect(copy)
        except sqlite3.Error as exc:  # pragma: no cover - connect is lazy in practice
            raise ParseError(f"the database cannot be opened: {exc}", path=name) from exc
        try:
            con.row_factory = sqlite3.Row
            con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
            budget = _QueryBudget(con, QUERY_STEP_BUDGET)
            try:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            # a damaged schema's error message can carry bytes that are not UTF-8, which the
            # sqlite3 module raises as UnicodeDecodeError instead of DatabaseError
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                raise ParseError(f"the database is damaged or encrypted: {exc}", path=name) from exc
            try:
                yield con
            except Exception as exc:
                # readers turn the interruption into their own "damaged?" error, or carry on
                # after it; whatever came of it, the file is named as the cause
                if budget.exceeded:
                    raise ParseError(RUNAWAY_MESSAGE, path=name) from exc
                raise
            if budget.exceeded:
                raise ParseError(RUNAWAY_MESSAGE, path=name)
        finally:
            con.close()


def tables(con: sqlite3.Connection) -> frozenset[str]:
    """The names of the database's tables, lower case."""
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return frozenset(str(r[0]).lower() for r in rows)


def columns(con: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The column names of ``table``, lower case (empty when there is no such table).

    Raises:
        sqlite3.DatabaseError: the table has a virtual generated column.

    Only a table counts: a view of the same name is a query the exhibit brings with it, which
    may never finish or may make up rows, so it is read as absent.
    """
    found = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)",
        (table,),
    ).fetchone()
    if found is None:
        return ()
    quoted = '"' + table.replace('"', '""') + '"'
    info = con.execute(f"PRAGMA table_xinfo({quoted})").fetchall()
    # hidden 2: a virtual generated column, computed on every read from an expression the
    # exhibit supplies; no handset store has one, and a few bytes of it can build gigabytes
    if any(r[6] == 2 for r in info):
        raise sqlite3.DatabaseError(
            f"table {table} has a computed (virtual generated) column: a crafted schema?"
        )
    return tuple(str(r[1]).lower() for r in info if r[6] == 0)


def schema_text(path: Path) -> bytes | None:
    """The ``CREATE`` statements of the database at ``path``, for recognising it; ``None`` when
    it cannot be read.

    A parser's sniff sees the first 64 KB of a file, but a database's schema can sit further in
    (an imo store's message table is defined 180 KB in). Opening it read-only and *immutable*
    reads the schema without taking a lock, looking for a WAL or writing anything beside the file,
    so the exhibit is untouched; any failure just means "not recognised by schema".
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return None
    try:
        con.text_factory = bytes
        rows = con.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    except (sqlite3.Error, UnicodeDecodeError, ValueError):
        return None
    finally:
        con.close()
    return b";\n".join(bytes(r[0]) for r in rows)
