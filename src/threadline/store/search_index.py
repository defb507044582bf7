"""The case search index: a tantivy index over a case's evidence rows and identifier entities.

The index is a *derived* artefact of the evidence store (design.md "Search"): rebuildable at any
time, never the record. A search finds rows here and shows them from the summary stored beside
each document; opening a record reads the evidence itself.

Documents:

* one per evidence row of each table in :data:`INDEXED_TABLES` (tables that hold identifiers or
  searchable text; ``source_rows`` and ``locations`` hold neither), with the row's identifier
  keys as exact terms (``number:+447700900123``, ``handset:<14 digits>``, ``sim:<imsi>``,
  ``vehicle:<VRM>``, ``person:<casefolded name>``), read from
  :data:`threadline.model.entity_keys.IDENTIFIER_COLUMNS`, the one map of where identifiers sit;
  its searchable text (names, message bodies, e-mail addresses, user names, and identifier values
  that did not normalise, such as ``Withheld`` or a sender name); a media file's SHA-256 and MD5
  as exact terms (``hash:<lower-case hex>``, :func:`hash_term`; a SHA-256 is longer than any word
  the text analyzer keeps); a sortable time (epoch
  microseconds of the exact time, or of the earliest reading when the time is ambiguous:
  :data:`threadline.model.entity_keys.EVENT_TIMES`); and a stored payload with the row's
  provenance (row id, exhibit id, locator) and a compact summary for a results page;
* one per distinct entity (kind and key), with its entity id, the rows naming it and its display
  form, so an entity id from a URL resolves back to its kind and key.

Where it lives: ``<root>/<case_id>/<fingerprint>/``, the fingerprint being a hash of the sorted
SHA-256s of the evidence files of the case's complete ingest runs (and :data:`INDEX_FORMAT`). A new
ingest changes the fingerprint, so a stale index is never opened. An index is built into a
temporary folder and renamed into place, under an advisory lock so that two processes do not build
the same one; older fingerprints are removed afterwards.

The evidence is read with DuckDB in record batches, each document assembled as JSON by DuckDB
itself, so memory stays bounded and Python does little per row, at millions of rows.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import duckdb.func
import pyarrow as pa
import tantivy

from threadline.errors import StoreError
from threadline.model.entity_keys import (
    EVENT_TIMES,
    IDENTIFIER_COLUMNS,
    EntityKind,
    columns_for,
    entity_id,
)
from threadline.model.evidence_schema import table as canonical_table
from threadline.model.ids import make_id
from threadline.model.search_query import person_key
from threadline.store.evidence_store import EvidenceStore

__all__ = [
    "INDEXED_TABLES",
    "INDEX_FORMAT",
    "EntityDoc",
    "IndexStats",
    "RowHit",
    "SearchIndex",
    "TableHits",
    "current_index",
    "ensure_index",
    "hash_term",
    "index_fingerprint",
    "key_term",
]

#: Version of the index's layout; part of the fingerprint, so a changed layout is rebuilt.
INDEX_FORMAT = "3"

#: Rows read from DuckDB at a time while building.
BATCH_ROWS = 20_000

#: Memory the index writer may use before it flushes a segment (bytes).
WRITER_HEAP = 64_000_000

#: The name the index's text analyzer is registered under.
TEXT_ANALYZER = "folded"

#: Longest token kept in the text field; longer runs of characters are not words.
MAX_TOKEN_LENGTH = 40

#: Length of a message body kept in a result summary.
SNIPPET_CHARS = 200

_META = "threadline-index.json"
_LOCK = ".lock"
_PARTIAL = ".partial"


def key_term(kind: EntityKind, key: str) -> str:
    """The exact term an identifier is indexed under: ``<kind>:<key>``."""
    return f"{kind.value}:{key}"


def hash_term(value: str) -> str:
    """The exact term a file hash (MD5 or SHA-256 hex) is indexed under: ``hash:<lower hex>``.

    Not an entity: a hash finds the rows of the files that have it, nothing more.
    """
    return f"hash:{value.strip().lower()}"


def index_fingerprint(file_hashes: Sequence[str]) -> str:
    """The fingerprint of a case's evidence: a hash of its evidence files' SHA-256s, sorted."""
    return make_id("search-index", INDEX_FORMAT, *sorted(file_hashes))


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one table is indexed: its searchable text columns, its result summary, and the
    columns holding file hashes (indexed as exact terms, see :func:`hash_term`)."""

    text: tuple[str, ...]
    summary: tuple[tuple[str, str], ...]
    hashes: tuple[str, ...] = ()


def _party(column: str) -> str:
    return f"coalesce({column}, {column}_original)"


#: The tables indexed, in the order results are grouped, and how. Summary entries are
#: (key, SQL expression over the table's columns); NULL values are left out of the summary.
_SPECS: dict[str, _Spec] = {
    "calls": _Spec(
        text=(),
        summary=(
            ("direction", "direction"),
            ("record_type", "record_type_original"),
            ("a_party", _party("a_party")),
            ("b_party", _party("b_party")),
            ("c_party", _party("c_party")),
            ("duration_s", "duration_s"),
            ("start_cell", _party("start_cell")),
            ("imei", _party("imei")),
            ("imsi", _party("imsi")),
        ),
    ),
    "messages": _Spec(
        text=("body", "a_party_name", "thread_name"),
        summary=(
            ("direction", "direction"),
            ("message_type", "message_type"),
            ("source_app", "source_app"),
            ("a_party", _party("a_party")),
            ("sender_name", "a_party_name"),
            ("b_party", _party("b_party")),
            ("thread_name", "thread_name"),
            ("body", f"left(body, {SNIPPET_CHARS})"),
            ("cell", _party("cell")),
            ("imei", _party("imei")),
            ("imsi", _party("imsi")),
        ),
    ),
    "data_sessions": _Spec(
        text=(),
        summary=(
            ("party", _party("party")),
            ("duration_s", "duration_s"),
            ("start_cell", _party("start_cell")),
            ("apn", "apn"),
            ("bytes_up", "bytes_up"),
            ("bytes_down", "bytes_down"),
            ("imei", _party("imei")),
            ("imsi", _party("imsi")),
        ),
    ),
    "contacts": _Spec(
        text=("name", "email", "account"),
        summary=(
            ("name", "name"),
            ("number", _party("number")),
            ("email", "email"),
            ("account", "account"),
            ("source_app", "source_app"),
        ),
    ),
    "devices": _Spec(
        text=("manufacturer", "model", "iccid", "owner_name"),
        summary=(
            ("imei", _party("imei")),
            ("imsi", _party("imsi")),
            ("iccid", "iccid"),
            ("msisdn", _party("msisdn")),
            ("manufacturer", "manufacturer"),
            ("model", "model"),
            ("owner_name", "owner_name"),
        ),
    ),
    "accounts": _Spec(
        text=("service", "account_id", "username", "display_name", "email"),
        summary=(
            ("service", "service"),
            ("account_id", "account_id"),
            ("username", "username"),
            ("display_name", "display_name"),
            ("number", _party("number")),
            ("email", "email"),
        ),
    ),
    "media": _Spec(
        text=("file_name", "path", "original_path", "camera_make", "camera_model"),
        summary=(
            ("file_name", "file_name"),
            ("path", "path"),
            ("mime_type", "mime_type"),
            ("size_bytes", "size_bytes"),
            ("camera", "nullif(concat_ws(' ', camera_make, camera_model), '')"),
            ("sha256", "sha256"),
            ("md5", "md5"),
            ("deleted_state", "deleted_state"),
        ),
        hashes=("sha256", "md5"),
    ),
    "anpr_reads": _Spec(
        text=("camera_name",),
        summary=(
            ("vrm", _party("vrm")),
            ("camera_id", "camera_id"),
            ("camera_name", "camera_name"),
            ("direction", "direction"),
            ("lane", "lane"),
        ),
    ),
    "cell_sites": _Spec(
        text=("cell_id", "site_name", "address", "postcode"),
        summary=(
            ("cell_id", _party("cell_id")),
            ("site_name", "site_name"),
            ("address", "address"),
            ("postcode", "postcode"),
            ("technology", "technology"),
        ),
    ),
}

#: The canonical tables the index holds rows of, in the order results are grouped.
INDEXED_TABLES: tuple[str, ...] = tuple(_SPECS)


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What an index holds.

    Attributes:
        rows: row documents.
        entities: entity documents.
        seconds: how long the build took.
    """

    rows: int
    entities: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RowHit:
    """One evidence row found.

    Attributes:
        table: the canonical table.
        row_id: the row's id (the same in ``source_rows``).
        exhibit_id: the exhibit it came from.
        locator: where in the exhibit.
        time_us: the row's time (exact, or earliest reading) in epoch microseconds, if it has one.
        summary: the compact summary stored at build time (see :data:`_SPECS`); ``time`` in it
            holds ``original``, ``status`` and the UTC reading(s).
    """

    table: str
    row_id: str
    exhibit_id: str
    locator: str
    time_us: int | None
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TableHits:
    """The rows of one table that match, and how many there are in all."""

    table: str
    total: int
    hits: tuple[RowHit, ...]


@dataclass(frozen=True, slots=True)
class EntityDoc:
    """One identifier-keyed entity the case's evidence names.

    Attributes:
        entity_id: :func:`threadline.model.entity_keys.entity_id` of kind and key.
        kind: the kind of entity.
        key: the normalised key (a person's is casefolded, spacing collapsed).
        display: the key as shown: for a person, the spelling most rows use.
        rows: evidence rows that name it.
    """

    entity_id: str
    kind: EntityKind
    key: str
    display: str
    rows: int


# --- building -------------------------------------------------------------------------------


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("doc", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("table", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("entity", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("row_id", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("keys", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", tokenizer_name=TEXT_ANALYZER, index_option="position")
    builder.add_integer_field("time", fast=True)
    builder.add_integer_field("rows", fast=True)
    builder.add_bytes_field("payload", stored=True)
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    """Words: runs of letters and digits, lower-cased and folded to ASCII (``José`` → ``jose``)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_object(members: Sequence[tuple[str, str, bool]]) -> str:
    """SQL for the text of a JSON object, leaving out members whose value is NULL.

    Args:
        members: (key, SQL expression, whether the expression is already JSON text).
    """
    parts = []
    for key, expression, is_json in members:
        value = f"({expression})" if is_json else f"to_json({expression})"
        parts.append(f"coalesce({_sql_string(',' + json.dumps(key) + ':')} || {value}, '')")
    return "('{' || ltrim(" + " || ".join(parts) + ", ',') || '}')"


def _iso(column: str) -> str:
    """SQL for a UTC timestamp as ISO 8601 text with a Z (fractions only when present)."""
    return f"(replace(CAST(CAST({column} AS TIMESTAMP) AS VARCHAR), ' ', 'T') || 'Z')"


def _time_json(prefix: str) -> str:
    return _json_object(
        (
            ("original", f"{prefix}_original", False),
            ("status", f"{prefix}_status", False),
            ("utc", _iso(f"{prefix}_utc"), False),
            (
                "earliest_utc",
                f"CASE WHEN {prefix}_utc IS NULL THEN {_iso(f'{prefix}_earliest_utc')} END",
                False,
            ),
            (
                "latest_utc",
                f"CASE WHEN {prefix}_utc IS NULL THEN {_iso(f'{prefix}_latest_utc')} END",
                False,
            ),
        )
    )


def _original_column(table: str, column: str) -> str | None:
    """The column keeping the source's spelling of an identifier column, if the table has one."""
    names = canonical_table(table).column_names
    for candidate in (f"{column}_original", f"{column.removesuffix('_key')}_original"):
        if candidate in names:
            return candidate
    return None


def _key_expression(kind: EntityKind, column: str) -> str:
    if kind is EntityKind.PERSON:
        return f"nullif(person_key({column}), '')"
    return column


def _row_sql(table: str) -> str:
    """SQL producing one JSON document per row of ``table``."""
    spec = _SPECS[table]
    unread = []
    for kind in EntityKind:
        for column in columns_for(kind, table):
            original = _original_column(table, column.column)
            if original is not None:
                # identifiers that did not normalise stay findable by their text
                unread.append(f"CASE WHEN {column.column} IS NULL THEN {original} END")
    text_columns = [*spec.text, *unread]
    text = f"nullif(concat_ws(' ', {', '.join(text_columns)}), '')" if text_columns else "NULL"
    summary: list[tuple[str, str, bool]] = []
    time_expression = "NULL"
    prefix = EVENT_TIMES.get(table)
    if prefix is not None:
        summary.append(("time", _time_json(prefix), True))
        time_expression = f"epoch_us(coalesce({prefix}_utc, {prefix}_earliest_utc))"
    summary += [(key, expression, False) for key, expression in spec.summary]
    payload = _json_object(
        (
            ("row_id", "row_id", False),
            ("table", _sql_string(table), False),
            ("exhibit_id", "exhibit_id", False),
            ("locator", "locator", False),
            ("summary", _json_object(summary), True),
        )
    )
    document = _json_object(
        (
            ("doc", "'row'", False),
            ("table", _sql_string(table), False),
            ("row_id", "row_id", False),
            ("keys", _row_keys(table), False),
            ("text", text, False),
            ("time", time_expression, False),
            ("payload", f"to_base64(encode({payload}))", False),
        )
    )
    return f"SELECT {document} AS document FROM {table}"


def _key_list(table: str) -> str:
    """SQL for the list of a row's identifier terms (``<kind>:<key>``), NULLs left out."""
    keys = [
        f"{_sql_string(kind.value + ':')} || {_key_expression(kind, column.column)}"
        for kind in EntityKind
        for column in columns_for(kind, table)
    ]
    return f"list_filter([{', '.join(keys)}], k -> k IS NOT NULL)" if keys else "[]"


def _row_keys(table: str) -> str:
    """SQL for a row document's exact terms: its identifier terms and its file hashes."""
    hashes = _SPECS[table].hashes
    if not hashes:
        return _key_list(table)
    terms = ", ".join(f"'hash:' || lower(nullif(trim({column}), ''))" for column in hashes)
    return f"list_concat({_key_list(table)}, list_filter([{terms}], k -> k IS NOT NULL))"


def _entity_sql() -> str:
    """SQL listing every distinct entity term with the number of rows that hold it.

    Each row's terms are de-duplicated before counting (a number that is both parties of a call
    counts the call once), so the aggregation holds only the distinct terms, not row ids.
    """
    tables = sorted({column.table for columns in IDENTIFIER_COLUMNS.values() for column in columns})
    union = "\nUNION ALL\n".join(
        f"SELECT unnest(list_distinct({_key_list(table)})) AS term FROM {table}" for table in tables
    )
    return f"SELECT term, count(*) AS rows FROM ({union}) GROUP BY term"


def _person_display_sql() -> str:
    """SQL choosing each name's display spelling: the one most rows use (ties: first in order)."""
    key = _key_expression
    selects = [
        f"SELECT {key(EntityKind.PERSON, c.column)} AS key, trim({c.column}) AS display "
        f"FROM {c.table}"
        for c in IDENTIFIER_COLUMNS[EntityKind.PERSON]
    ]
    union = "\nUNION ALL\n".join(selects)
    return (
        "SELECT key, first(display ORDER BY n DESC, display) FROM ("
        f"SELECT key, display, count(*) AS n FROM ({union}) WHERE key IS NOT NULL "
        "GROUP BY key, display) GROUP BY key"
    )


def _person_key_udf(values: pa.Array) -> pa.Array:
    """DuckDB function: person keys computed by the model's own rule, so keys always agree."""
    return pa.array(
        [None if value is None else person_key(value) for value in values.to_pylist()],
        type=pa.string(),
    )


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.RecordBatch]:
    yield from con.execute(sql).to_arrow_reader(BATCH_ROWS)


def _build(target: Path, evidence: EvidenceStore, files: dict[str, list[str]]) -> IndexStats:
    """Write a complete index of the given evidence files into the empty folder ``target``."""
    started = time.monotonic()
    index = tantivy.Index(_schema(), path=str(target), reuse=False)
    index.register_tokenizer(TEXT_ANALYZER, _analyzer())
    writer = index.writer(heap_size=WRITER_HEAP)
    query = evidence.connect(files)
    con = query.con
    con.create_function(
        "person_key",
        _person_key_udf,
        ["varchar"],
        "varchar",
        type=duckdb.func.PythonUDFType.ARROW,
    )
    rows = 0
    entities = 0
    try:
        for table in INDEXED_TABLES:
            if not files.get(table):
                continue
            for batch in _batches(con, _row_sql(table)):
                for document in batch.column(0).to_pylist():
                    writer.add_json(document)
                rows += batch.num_rows
        names = dict(con.execute(_person_display_sql()).fetchall())
        for batch in _batches(con, _entity_sql()):
            for term, count in zip(*(batch.column(i).to_pylist() for i in range(2)), strict=True):
                kind_text, _, key = term.partition(":")
                kind = EntityKind(kind_text)
                display = names.get(key, key) if kind is EntityKind.PERSON else key
                writer.add_json(_entity_document(kind, key, display, count))
                entities += 1
        writer.commit()
        writer.wait_merging_threads()
    finally:
        query.close()
    stats = IndexStats(rows=rows, entities=entities, seconds=round(time.monotonic() - started, 3))
    meta = target / _META
    meta.write_text(
        json.dumps(
            {"format": INDEX_FORMAT, "rows": rows, "entities": entities, "seconds": stats.seconds}
        ),
        encoding="utf-8",
    )
    return stats


def _entity_document(kind: EntityKind, key: str, display: str, rows: int) -> str:
    payload = {
        "entity_id": entity_id(kind, key),
        "kind": kind.value,
        "key": key,
        "display": display,
        "rows": rows,
    }
    document: dict[str, Any] = {
        "doc": "entity",
        "entity": payload["entity_id"],
        "keys": [key_term(kind, key)],
        "rows": rows,
        "payload": base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii"),
    }
    if kind is EntityKind.PERSON:
        document["text"] = display
    return json.dumps(document)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the case's index lock; a second builder waits, then finds the index built."""
    with (folder / _LOCK).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_stats(path: Path) -> IndexStats:
    try:
        meta = json.loads((path / _META).read_text(encoding="utf-8"))
        return IndexStats(int(meta["rows"]), int(meta["entities"]), float(meta["seconds"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"search index {path} is unreadable ({exc}); delete it to rebuild"
        ) from exc


def current_index(root: Path, case_id: str, fingerprint: str) -> Path | None:
    """The folder of the case's index for ``fingerprint`` if it is built, else ``None``."""
    final = root / case_id / fingerprint
    return final if (final / _META).is_file() else None


def ensure_index(
    root: Path,
    case_id: str,
    fingerprint: str,
    evidence: EvidenceStore,
    files: dict[str, list[str]],
) -> tuple[Path, IndexStats, bool]:
    """Make sure the case's index for ``fingerprint`` exists, building it if not.

    The index is built into a temporary folder beside its place and renamed into place, so a
    reader never sees half an index and a killed build leaves only a temporary folder, removed by
    the next build. The build holds the case's index lock; other fingerprints' folders (stale
    indexes, abandoned temporary folders) are removed under the same lock once the index is in
    place.

    Args:
        root: the folder holding every case's indexes (``<home>/index``).
        case_id: the case.
        fingerprint: :func:`index_fingerprint` of the case's evidence files.
        evidence: the evidence store the files are in.
        files: table name to the evidence files (relative to the evidence root).

    Returns:
        The index's folder, what it holds, and whether it was built by this call.

    Raises:
        StoreError: the index cannot be built or written.
    """
    folder = root / case_id
    final = folder / fingerprint
    if (final / _META).is_file():
        return final, _read_stats(final), False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            built = False
            if (final / _META).is_file():
                stats = _read_stats(final)
            else:
                staging = Path(
                    tempfile.mkdtemp(prefix=f"{fingerprint}.", suffix=_PARTIAL, dir=folder)
                )
                try:
                    stats = _build(staging, evidence, files)
                    if final.exists():  # a folder without its metadata: an unfinished copy
                        shutil.rmtree(final)
                    os.replace(staging, final)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                built = True
            for child in folder.iterdir():
                if child.name not in (fingerprint, _LOCK):
                    shutil.rmtree(child, ignore_errors=True)
    except (OSError, ValueError, duckdb.Error) as exc:
        raise StoreError(f"cannot build the search index for case {case_id}: {exc}") from exc
    return final, stats, built


# --- searching ------------------------------------------------------------------------------


def _decode(document: tantivy.Document) -> dict[str, Any]:
    raw = document.get_first("payload")
    try:
        data = json.loads(raw if isinstance(raw, bytes) else base64.b64decode(str(raw)))
    except (ValueError, binascii.Error) as exc:
        raise StoreError(f"a search index document is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise StoreError("a search index document is unreadable: payload is not an object")
    return data


@dataclass(frozen=True)
class SearchIndex:
    """An open case index; searches build their queries from terms, never from query syntax."""

    path: Path
    index: tantivy.Index
    stats: IndexStats
    analyzer: tantivy.TextAnalyzer

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """Open a built index.

        Raises:
            StoreError: the folder holds no readable index.
        """
        stats = _read_stats(path)
        try:
            index = tantivy.Index.open(str(path))
        except ValueError as exc:
            raise StoreError(f"cannot open the search index {path}: {exc}") from exc
        analyzer = _analyzer()
        index.register_tokenizer(TEXT_ANALYZER, analyzer)
        return cls(path, index, stats, analyzer)

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.index.schema, field, value)

    def _matching(self, doc: str, keys: Sequence[str], words: Sequence[str]) -> tantivy.Query:
        """Documents of type ``doc`` holding any of ``keys``, or every one of ``words``."""
        either: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if keys:
            either.append(
                (
                    tantivy.Occur.Should,
                    tantivy.Query.term_set_query(self.index.schema, "keys", list(keys)),
                )
            )
        tokens = list(dict.fromkeys(t for w in words for t in self.analyzer.analyze(w)))
        if tokens:
            every = [(tantivy.Occur.Must, self._term("text", token)) for token in tokens]
            either.append((tantivy.Occur.Should, tantivy.Query.boolean_query(every)))
        if not either:
            return tantivy.Query.empty_query()
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._term("doc", doc)),
                (tantivy.Occur.Must, tantivy.Query.boolean_query(either)),
            ]
        )

    def search_rows(
        self,
        keys: Sequence[str],
        words: Sequence[str],
        *,
        tables: Sequence[str] = INDEXED_TABLES,
        limit: int,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[TableHits]:
        """Rows holding any of ``keys`` (exact terms, see :func:`key_term`) or all of ``words``.

        Args:
            keys: identifier terms.
            words: words to find in row text; each is split and folded as the text was.
            tables: the tables to search, in the order wanted.
            limit: most rows returned per table.
            offset: rows skipped per table (paging).
            newest_first: order by time, newest first (else oldest first); rows without a time
                come last either way.

        Returns:
            One :class:`TableHits` per table with at least one match, in ``tables`` order.
        """
        matching = self._matching("row", keys, words)
        searcher = self.index.searcher()
        order = tantivy.Order.Desc if newest_first else tantivy.Order.Asc
        found = []
        for table in tables:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, matching), (tantivy.Occur.Must, self._term("table", table))]
            )
            result = searcher.search(
                query, limit, count=True, order_by_field="time", offset=offset, order=order
            )
            total = _count(result)
            if total == 0:
                continue
            hits = []
            for sort_value, address in result.hits:
                data = _decode(searcher.doc(address))
                hits.append(
                    RowHit(
                        table=table,
                        row_id=str(data["row_id"]),
                        exhibit_id=str(data["exhibit_id"]),
                        locator=str(data["locator"]),
                        time_us=None if sort_value is None else int(sort_value),
                        summary=dict(data.get("summary") or {}),
                    )
                )
            found.append(TableHits(table, total, tuple(hits)))
        return found

    def match_entities(
        self, keys: Sequence[str], words: Sequence[str], *, limit: int
    ) -> tuple[list[EntityDoc], int]:
        """Entities whose key is one of ``keys`` or whose name holds all of ``words``.

        Returns:
            Up to ``limit`` entities, those named by most rows first, and how many match in all.
        """
        searcher = self.index.searcher()
        result = searcher.search(
            self._matching("entity", keys, words), limit, count=True, order_by_field="rows"
        )
        found = [_entity(_decode(searcher.doc(address))) for _, address in result.hits]
        return found, _count(result)

    def locate(self, row_id: str) -> tuple[str, str] | None:
        """The table and exhibit id of an indexed row, or ``None`` if the index has no such row.

        Only narrows where to read a record from: the record itself is read from the evidence.
        """
        searcher = self.index.searcher()
        result = searcher.search(self._term("row_id", row_id), 1)
        for _, address in result.hits:
            data = _decode(searcher.doc(address))
            return str(data["table"]), str(data["exhibit_id"])
        return None

    def entity(self, entity_id: str) -> EntityDoc | None:
        """The entity with this id, or ``None`` if the case's evidence names none."""
        searcher = self.index.searcher()
        result = searcher.search(self._term("entity", entity_id), 1)
        for _, address in result.hits:
            return _entity(_decode(searcher.doc(address)))
        return None


def _count(result: tantivy.SearchResult) -> int:
    """The number of matches of a search run with ``count=True`` (not in tantivy's stubs)."""
    return int(getattr(result, "count", 0) or 0)


def _entity(data: dict[str, Any]) -> EntityDoc:
    return EntityDoc(
        entity_id=str(data["entity_id"]),
        kind=EntityKind(data["kind"]),
        key=str(data["key"]),
        display=str(data["display"]),
        rows=int(data["rows"]),
    )
