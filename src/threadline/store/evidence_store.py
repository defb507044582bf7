"""The evidence store: each exhibit's normalised rows as Parquet files, queried with DuckDB.

Layout under the evidence root::

    <case_id>/<exhibit_id>/<run_id>/<table>.parquet       a completed ingest run
    <case_id>/<exhibit_id>/<run_id>/<table>.partN.parquet  the share another process wrote of
                                                          a large exhibit (ingest.shares)
    <case_id>/<exhibit_id>/<run_id>.partial/...           a run being written (never read)

Writing is atomic per exhibit (design.md "Storage"): a run writes into ``<run_id>.partial``, closes
and hashes every file, then renames the folder to ``<run_id>``. Only runs the case store records as
complete are ever queried, so a killed ingest leaves nothing visible; its partial folder is removed
by the next ingest of that exhibit (:meth:`EvidenceStore.sweep`).

Queries run in an in-memory DuckDB whose views name the canonical tables over exactly the files
of the case's complete runs; file access is then limited to those files, the configuration locked,
and only SELECT statements are accepted, so user SQL cannot read another case's evidence, a run
still being written, or any other file, and cannot write anything.

A case's whole evidence may also be kept as one *read copy*, a DuckDB database under
``_readcopy/`` named by the hash of the exact set of Parquet files it was made from
(:meth:`EvidenceStore.make_read_copy`). It holds nothing the Parquet files do not and is never
the record: a new run changes the file set, so a stale copy is never used, and the Parquet files
are read whenever no copy matches. It exists for speed: interactive pages (entity profiles) read
one native DuckDB table per canonical table instead of opening every run's files on each request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from threadline.errors import Conflict, PermissionDenied, StoreError
from threadline.model.evidence_schema import TABLES, ColumnType, Table

PARTIAL_SUFFIX = ".partial"
#: How many shared query databases a server keeps open (see ``share_connections``).
_SHARED_LIMIT = 16

#: Folder (under the evidence root) holding the cases' read copies.
READ_COPY_DIR = "_readcopy"


def _case_of(paths: list[str]) -> str:
    """The case id of evidence files (the first folder of their paths under the root)."""
    return Path(paths[0]).parts[0]


def _quoted(text: str) -> str:
    """Text for inside a single-quoted SQL literal."""
    return text.replace("'", "''")


_PLAIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class DerivedTable:
    """A table computed from the canonical tables when a read copy is made, e.g. every
    occurrence of an identifier kind sorted by key, so a page reads one run of rows instead of
    scanning every identifier column.

    Attributes:
        sql: the SELECT over the canonical tables that fills it.
        reads: the canonical tables it reads; a connection offers it only when it reads exactly
            the copy's files of each of these.
    """

    sql: str
    reads: tuple[str, ...]


_DUCKDB_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INT64: "BIGINT",
    ColumnType.FLOAT64: "DOUBLE",
    ColumnType.BOOL: "BOOLEAN",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
}


def sha256_file(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    """Stream a file through SHA-256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _file_name(table: str, part: int) -> str:
    """A run's file of ``table``: ``calls.parquet``, or ``calls.part1.parquet`` for a share
    written by a helper process."""
    return f"{table}.parquet" if part == 0 else f"{table}.part{part}.parquet"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """One Parquet file a run wrote: its table, path relative to the evidence root, hash, rows."""

    table: str
    path: str
    sha256: str
    rows: int


@dataclass
class EvidenceWriter:
    """Writes one ingest run's tables; a :class:`threadline.ingest.context.BatchSink`."""

    root: Path
    relative_dir: Path
    #: which share of the run this writer writes (0: the run's own; see ingest.shares)
    part: int = 0
    _writers: dict[str, pq.ParquetWriter] = field(default_factory=dict)
    _rows: dict[str, int] = field(default_factory=dict)
    # Parquet encoding runs on one background thread (it releases the GIL), so the parser
    # normalises the next chunk meanwhile; one thread keeps every file's rows in order.
    _pool: ThreadPoolExecutor | None = None
    _pending: list[Future[None]] = field(default_factory=list)
    _shares: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def partial_dir(self) -> Path:
        """Where the run writes until it commits."""
        return self.root / self.relative_dir.with_name(self.relative_dir.name + PARTIAL_SUFFIX)

    @property
    def final_dir(self) -> Path:
        """Where the run's files live once committed."""
        return self.root / self.relative_dir

    def write(self, table: str, batch: pa.Table | pa.RecordBatch) -> None:
        """Queue rows for the table's Parquet file (opened on first use)."""
        rows = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        self._rows[table] = self._rows.get(table, 0) + rows.num_rows
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self._pending.append(self._pool.submit(self._write_now, table, rows))
        # back-pressure: at most a few chunks' worth of rows wait in memory
        while len(self._pending) > 4:
            self._pending.pop(0).result()

    def _write_now(self, table: str, rows: pa.Table) -> None:
        writer = self._writers.get(table)
        if writer is None:
            self.partial_dir.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                self.partial_dir / _file_name(table, self.part),
                rows.schema,
                compression="zstd",
                compression_level=1,
                # dictionary pages cost more to build than they save here: zstd already folds
                # the repeated provenance values, and the files come out smaller without them
                use_dictionary=False,
            )
            self._writers[table] = writer
        writer.write_table(rows, row_group_size=1_000_000)

    def _drain(self) -> None:
        """Wait for every queued write; re-raise the first failure."""
        pending, self._pending = self._pending, []
        try:
            for future in pending:
                future.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def commit(self) -> list[WrittenFile]:
        """Close, sync and hash every file, then make the run's folder visible in one rename."""
        self._drain()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        written = []
        parts = {self.part: self._rows, **self._shares}
        for table, part, rows in sorted(
            (table, part, rows) for part, files in parts.items() for table, rows in files.items()
        ):
            path = self.partial_dir / _file_name(table, part)
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            rel = (self.relative_dir / path.name).as_posix()
            written.append(WrittenFile(table, rel, sha256_file(path), rows))
        if self.final_dir.exists():
            shutil.rmtree(self.final_dir)
        os.replace(self.partial_dir, self.final_dir)
        # make the rename itself durable before the case store says the run is complete
        descriptor = os.open(self.final_dir.parent, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return written

    def share(self, index: int) -> EvidenceWriter:
        """A writer for share ``index`` of this run, to be used in another process: its files
        go into the same folder, named ``<table>.part<index>.parquet``."""
        return EvidenceWriter(self.root, self.relative_dir, part=index)

    def close_share(self) -> dict[str, int]:
        """Finish a share's files (without committing the run); returns rows per table."""
        self._drain()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        return dict(self._rows)

    def adopt(self, index: int, rows: dict[str, int]) -> None:
        """Count share ``index``'s finished files in this run's commit."""
        self._shares[index] = dict(rows)

    def abort(self) -> None:
        """Discard everything written so far."""
        with contextlib.suppress(Exception):  # the write that failed is why we are aborting
            self._drain()
        for writer in self._writers.values():
            with contextlib.suppress(OSError):  # closing a broken file on an error path
                writer.close()
        self._writers.clear()
        shutil.rmtree(self.partial_dir, ignore_errors=True)


def _sql_digest(sql: str) -> str:
    """What a read copy's manifest records of the SQL that made a derived table."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class EvidenceStore:
    """The evidence root and the operations on it.

    Attributes:
        root: the evidence folder.
        query_threads: DuckDB threads per query connection. Two suit one person's analytic
            queries; a web server answering many requests at once serves more of them per
            second with one each (measured: benchmarks/web_latency.py).
        share_connections: keep each set of files' locked-down database open and hand out a
            cursor of it per query (a long-running server), instead of building the views for
            every query (a command); the shared databases are read-only views, so sharing
            them shares no state between requests.
        derived: the derived tables this release makes, by name: a read copy's derived table
            is offered only if the same SQL made it, so a copy made by an earlier release
            offers none of the tables that have changed since (their readers form the same
            rows from the canonical tables until the copy is made again). ``None`` offers
            whatever the copy holds.
    """

    root: Path
    query_threads: int = 2
    share_connections: bool = False
    derived: Mapping[str, DerivedTable] | None = field(default=None, compare=False)
    _shared: dict[str, tuple[duckdb.DuckDBPyConnection, frozenset[str]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _shared_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    def writer(self, case_id: str, exhibit_id: str, run_id: str) -> EvidenceWriter:
        """A writer for a new run of an exhibit."""
        return EvidenceWriter(self.root, Path(case_id) / exhibit_id / run_id)

    def sweep(self, case_id: str, exhibit_id: str, keep: set[str]) -> None:
        """Remove every run folder of the exhibit (partial or not) except the runs in ``keep``."""
        folder = self.root / case_id / exhibit_id
        if not folder.is_dir():
            return
        for child in folder.iterdir():
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def discard(self, case_id: str, exhibit_id: str, run_id: str) -> None:
        """Remove a run's folder, whether partial or already renamed into place."""
        folder = self.root / case_id / exhibit_id
        for name in (run_id, run_id + PARTIAL_SUFFIX):
            shutil.rmtree(folder / name, ignore_errors=True)

    @contextlib.contextmanager
    def exhibit_lock(self, case_id: str, exhibit_id: str, reference: str) -> Iterator[None]:
        """Hold the exhibit's ingest lock (an advisory lock file beside its run folders).

        Raises:
            Conflict: another process holds it: that exhibit is being ingested now.
        """
        folder = self.root / case_id
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{exhibit_id}.lock").open("a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise Conflict(
                    f"exhibit {reference} is being ingested by another process; try again when "
                    "it has finished"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def path(self, relative: str) -> Path:
        """Absolute path of a file recorded relative to the root."""
        return self.root / relative

    def _read_copy_name(
        self, files: dict[str, list[str]], derived: Mapping[str, DerivedTable] | None = None
    ) -> tuple[str, str] | None:
        """The case id and the file name of the read copy of exactly these files (and derived
        tables), or ``None`` for no files."""
        paths = sorted(p for paths in files.values() for p in paths)
        if not paths:
            return None
        described = [*paths, *(f"{n}:{d.sql}" for n, d in sorted((derived or {}).items()))]
        digest = hashlib.sha256("\n".join(described).encode("utf-8")).hexdigest()[:32]
        case_id = _case_of(paths)
        return case_id, f"{case_id}-{digest}.duckdb"

    def make_read_copy(
        self, files: dict[str, list[str]], derived: Mapping[str, DerivedTable] | None = None
    ) -> Path | None:
        """Make (unless it exists) the read copy of a case's complete files, and remove the
        case's older copies. The copy is built under a temporary name and renamed into place,
        then the case's manifest (``<case_id>.json``: the copy's name and the files of each
        table) is replaced, all under a lock, so a reader never opens a half-built copy.

        Args:
            files: table name to file paths (relative to the root) of all the case's complete
                runs.
            derived: tables to compute into the copy as well, by name (by default the
                store's own :attr:`derived`, the tables it offers).

        Raises:
            StoreError: the copy cannot be written, or a derived table's SQL fails.
        """
        derived = dict((self.derived if derived is None else derived) or {})
        for name in derived:
            if not _PLAIN_NAME.match(name) or name in {t.name for t in TABLES}:
                raise StoreError(f"derived table name {name!r} is not usable")
        named = self._read_copy_name(files, derived)
        if named is None:
            return None
        case_id, name = named
        folder = self.root / READ_COPY_DIR
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot make the evidence read-copy folder {folder}: {exc}") from exc
        target = folder / name
        with (folder / f"{case_id}.lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if not target.exists():
                    self._write_read_copy(files, derived, target)
                manifest = {
                    "copy": name,
                    "tables": {t: sorted(p) for t, p in files.items()},
                    "derived": {n: list(d.reads) for n, d in derived.items()},
                    "derived_sql": {n: _sql_digest(d.sql) for n, d in derived.items()},
                }
                staged = folder / f"{case_id}.json.partial"
                staged.write_text(json.dumps(manifest), "utf-8")
                os.replace(staged, folder / f"{case_id}.json")
                for older in folder.glob(f"{case_id}-*.duckdb*"):
                    if older != target:
                        older.unlink(missing_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot write the evidence read copy {name}: {exc}") from exc
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        return target

    def _matching_copy(self, files: dict[str, list[str]]) -> tuple[Path, frozenset[str]] | None:
        """The read copy holding exactly ``files`` for each table named, if there is one, and
        the derived tables in it that read only tables ``files`` names."""
        paths = [p for paths in files.values() for p in paths]
        if not paths:
            return None
        folder = self.root / READ_COPY_DIR
        try:
            manifest = json.loads((folder / f"{_case_of(paths)}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        tables = manifest.get("tables", {})
        if any(sorted(paths) != tables.get(table, []) for table, paths in files.items() if paths):
            return None
        made_by = manifest.get("derived_sql", {})
        usable = frozenset(
            name
            for name, reads in manifest.get("derived", {}).items()
            if all(files.get(table) or not tables.get(table) for table in reads)
            and (
                self.derived is None
                or (
                    name in self.derived
                    and made_by.get(name) == _sql_digest(self.derived[name].sql)
                )
            )
        )
        return folder / str(manifest.get("copy", "")), usable

    def _write_read_copy(
        self, files: dict[str, list[str]], derived: Mapping[str, DerivedTable], target: Path
    ) -> None:
        temporary = target.with_name(target.name + ".partial")
        temporary.unlink(missing_ok=True)
        try:
            con = duckdb.connect(
                str(temporary),
                config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                },
            )
            # DuckDB would draw a progress bar on standard output (breaking --json)
            con.execute("SET enable_progress_bar = false")
            try:
                con.execute("SET TimeZone = 'UTC'")
                for table in TABLES:
                    paths = [str(self.path(p)) for p in files.get(table.name, [])]
                    con.execute(f"CREATE TABLE {table.name} AS {self._view_sql(table, paths)}")
                for name, table_sql in derived.items():
                    con.execute(f"CREATE TABLE {name} AS {table_sql.sql}")
            finally:
                con.close()
            os.replace(temporary, target)
        except (duckdb.Error, OSError) as exc:
            temporary.unlink(missing_ok=True)
            raise StoreError(f"cannot write the evidence read copy {target.name}: {exc}") from exc

    def connect(self, files: dict[str, list[str]]) -> QueryConnection:
        """A locked-down DuckDB with one view per canonical table over the given files.

        When a read copy of exactly these files exists, the views read it instead of the
        Parquet files (the same rows; see the module docstring).

        Args:
            files: table name to file paths (relative to the root) of completed runs.
        """
        if not self.share_connections:
            con, derived = self._open(files)
            return QueryConnection(con, derived)
        matched = self._matching_copy(files)
        key = json.dumps([sorted((t, sorted(p)) for t, p in files.items()), str(matched)])
        with self._shared_lock:
            shared = self._shared.get(key)
            if shared is None:
                shared = self._open(files)
                self._shared[key] = shared
                while len(self._shared) > _SHARED_LIMIT:
                    # the oldest is forgotten, not closed: closing would close the cursors a
                    # query may still be using; DuckDB frees it when its last cursor closes
                    self._shared.pop(next(iter(self._shared)))
            return QueryConnection(shared[0].cursor(), shared[1])

    def _open(
        self, files: dict[str, list[str]]
    ) -> tuple[duckdb.DuckDBPyConnection, frozenset[str]]:
        """Open the locked-down database over ``files`` (see :meth:`connect`)."""
        con = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": self.query_threads,
            },
        )
        con.execute("SET enable_progress_bar = false")
        # global, so that every cursor of a shared connection reads times in UTC too
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        matched = self._matching_copy(files)
        copy, derived = matched if matched is not None else (None, frozenset[str]())
        if copy is not None and copy.exists():
            try:
                con.execute(f"ATTACH '{_quoted(str(copy))}' AS readcopy (READ_ONLY)")
            except duckdb.Error:
                copy = None  # removed meanwhile by a newer copy: read the files instead
        else:
            copy = None
        if copy is None:
            derived = frozenset()
        for name in sorted(derived):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM readcopy.{name}")
        for table in TABLES:
            if copy is not None and files.get(table.name):
                con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM readcopy.{table.name}")
                continue
            paths = [str(self.path(p)) for p in files.get(table.name, [])]
            con.execute(f"CREATE VIEW {table.name} AS {self._view_sql(table, paths)}")
        # exactly the files of this case's complete runs, not the evidence folder: user SQL
        # must not reach another case's rows or a run still being written (tables read from
        # the read copy need no file access at all)
        allowed = ", ".join(
            "'" + _quoted(str(self.path(p).resolve())) + "'"
            for paths in files.values()
            if copy is None
            for p in paths
        )
        con.execute(f"SET allowed_paths = [{allowed}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return con, derived

    @staticmethod
    def _view_sql(table: Table, paths: list[str]) -> str:
        columns = ", ".join(
            f"CAST({c.name} AS {_DUCKDB_TYPES[c.type]}) AS {c.name}" for c in table.columns
        )
        if not paths:
            nulls = ", ".join(
                f"CAST(NULL AS {_DUCKDB_TYPES[c.type]}) AS {c.name}" for c in table.columns
            )
            return f"SELECT {nulls} WHERE false"
        quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        return f"SELECT {columns} FROM read_parquet([{quoted}], union_by_name = true)"


@dataclass(frozen=True)
class QueryConnection:
    """A read-only query connection over the evidence tables.

    Attributes:
        con: the DuckDB connection.
        derived: the read copy's derived tables this connection offers (empty when it reads
            the Parquet files).
    """

    con: duckdb.DuckDBPyConnection
    derived: frozenset[str] = frozenset()

    def query(self, sql: str) -> pa.Table:
        """Run one read-only statement and return its result.

        Raises:
            PermissionDenied: the text holds anything but SELECT statements.
            StoreError: DuckDB rejects the query (the message says why).
        """
        try:
            statements = self.con.extract_statements(sql)
        except duckdb.Error as exc:
            raise StoreError(f"the query cannot be parsed: {exc}") from exc
        if len(statements) != 1:
            raise PermissionDenied("give exactly one SELECT statement")
        if statements[0].type != duckdb.StatementType.SELECT:
            raise PermissionDenied(
                "only SELECT queries are allowed: the evidence store is read-only"
            )
        try:
            return self.con.execute(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self.con.close()
