"""The evidence read copy: used only for exactly the files it was made from, and giving the same
rows as the Parquet files it copies."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from threadline.errors import PermissionDenied, StoreError
from threadline.ingest.arrow_schema import arrow_schema
from threadline.model.evidence_schema import SOURCE_ROWS, TABLES
from threadline.store.evidence_store import READ_COPY_DIR, DerivedTable, EvidenceStore

CALLS = next(t for t in TABLES if t.name == "calls")


def _write(root: Path, relative: str, table_schema: object, rows: list[dict[str, str]]) -> str:
    schema = arrow_schema(table_schema)  # type: ignore[arg-type]
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), path)
    return relative


@pytest.fixture
def case_files(tmp_path: Path) -> dict[str, list[str]]:
    """Two exhibits of case-a: three calls and two source rows."""
    return {
        "calls": [
            _write(
                tmp_path,
                "case-a/ex-1/run-1/calls.parquet",
                CALLS,
                [
                    {"row_id": "r1", "a_party": "+447700900001"},
                    {"row_id": "r2", "a_party": "+447700900002"},
                ],
            ),
            _write(
                tmp_path,
                "case-a/ex-2/run-2/calls.parquet",
                CALLS,
                [{"row_id": "r3", "a_party": "+447700900001"}],
            ),
        ],
        "source_rows": [
            _write(
                tmp_path,
                "case-a/ex-1/run-1/source_rows.parquet",
                SOURCE_ROWS,
                [{"row_id": "r1", "raw": "{}"}, {"row_id": "r2", "raw": "{}"}],
            )
        ],
    }


def _rows(store: EvidenceStore, files: dict[str, list[str]], sql: str) -> list[dict[str, object]]:
    con = store.connect(files)
    try:
        return con.query(sql).to_pylist()
    finally:
        con.close()


def _uses_copy(store: EvidenceStore, files: dict[str, list[str]]) -> bool:
    con = store.connect(files)
    try:
        return bool(
            con.con.execute(
                "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'readcopy'"
            ).fetchone()[0]  # type: ignore[index]
        )
    finally:
        con.close()


QUERY = "SELECT a_party, count(*) AS n FROM calls GROUP BY 1 ORDER BY 1"


def test_the_copy_answers_as_the_files_do(tmp_path: Path, case_files: dict[str, list[str]]) -> None:
    store = EvidenceStore(tmp_path)
    before = _rows(store, case_files, QUERY)
    assert before == [{"a_party": "+447700900001", "n": 2}, {"a_party": "+447700900002", "n": 1}]
    assert not _uses_copy(store, case_files)
    copy = store.make_read_copy(case_files)
    assert copy is not None
    assert copy.exists()
    assert _uses_copy(store, case_files)
    assert _rows(store, case_files, QUERY) == before
    # making it again reuses it
    assert store.make_read_copy(case_files) == copy


def test_a_subset_of_tables_uses_the_copy_and_sees_no_other_table(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    store = EvidenceStore(tmp_path)
    store.make_read_copy(case_files)
    only_calls = {"calls": case_files["calls"]}
    assert _uses_copy(store, only_calls)
    assert _rows(store, only_calls, "SELECT count(*) AS n FROM source_rows") == [{"n": 0}]
    assert _rows(store, only_calls, "SELECT count(*) AS n FROM calls") == [{"n": 3}]


def test_other_files_never_read_the_copy(tmp_path: Path, case_files: dict[str, list[str]]) -> None:
    """One exhibit's files, or a newer run's, are read from Parquet, not from the copy."""
    store = EvidenceStore(tmp_path)
    store.make_read_copy(case_files)
    one_exhibit = {"calls": [case_files["calls"][0]]}
    assert not _uses_copy(store, one_exhibit)
    assert _rows(store, one_exhibit, QUERY) == [
        {"a_party": "+447700900001", "n": 1},
        {"a_party": "+447700900002", "n": 1},
    ]
    newer = dict(case_files)
    newer["calls"] = [
        case_files["calls"][0],
        _write(
            tmp_path,
            "case-a/ex-2/run-9/calls.parquet",
            CALLS,
            [{"row_id": "r9", "a_party": "+447700900009"}],
        ),
    ]
    assert not _uses_copy(store, newer)
    assert [r["a_party"] for r in _rows(store, newer, QUERY)] == [
        "+447700900001",
        "+447700900002",
        "+447700900009",
    ]


def test_a_new_copy_replaces_the_old(tmp_path: Path, case_files: dict[str, list[str]]) -> None:
    store = EvidenceStore(tmp_path)
    first = store.make_read_copy(case_files)
    fewer = {"calls": case_files["calls"][:1]}
    second = store.make_read_copy(fewer)
    assert first is not None
    assert second is not None
    assert first != second
    assert not first.exists()
    assert second.exists()
    assert not _uses_copy(store, case_files)
    assert _rows(store, case_files, "SELECT count(*) AS n FROM calls") == [{"n": 3}]
    assert sorted(p.name for p in (tmp_path / READ_COPY_DIR).glob("*.duckdb")) == [second.name]


def test_no_files_no_copy(tmp_path: Path) -> None:
    assert EvidenceStore(tmp_path).make_read_copy({}) is None


def test_an_unwritable_copy_is_a_store_error(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    (tmp_path / READ_COPY_DIR).write_text("not a folder")
    with pytest.raises(StoreError, match="read-copy folder"):
        EvidenceStore(tmp_path).make_read_copy(case_files)


def test_user_sql_through_the_copy_reaches_no_file(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    store = EvidenceStore(tmp_path)
    store.make_read_copy(case_files)
    con = store.connect(case_files)
    try:
        with pytest.raises(StoreError, match="disabled by configuration"):
            con.query(f"SELECT * FROM read_parquet('{tmp_path / case_files['calls'][0]}')")
        with pytest.raises(PermissionDenied, match="only SELECT"):
            con.query("ATTACH '/tmp/elsewhere.duckdb' AS other")
    finally:
        con.close()


def test_shared_connections_hand_out_independent_locked_down_cursors(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    """A server's store keeps the views open and gives each query its own cursor: registered
    results do not leak between queries, times read in UTC, and files stay out of reach."""
    store = EvidenceStore(tmp_path, query_threads=1, share_connections=True)
    store.make_read_copy(case_files)
    first, second = store.connect(case_files), store.connect(case_files)
    try:
        first.con.register("hits", pa.table({"x": [1, 2, 3]}))
        second.con.register("hits", pa.table({"x": [10]}))
        assert first.con.execute("SELECT sum(x) FROM hits").fetchone() == (6,)
        assert second.con.execute("SELECT sum(x) FROM hits").fetchone() == (10,)
        assert first.query(QUERY).to_pylist() == _rows(EvidenceStore(tmp_path), case_files, QUERY)
        assert second.query("SELECT current_setting('TimeZone') AS tz").to_pylist() == [
            {"tz": "UTC"}
        ]
        with pytest.raises(StoreError, match="disabled by configuration"):
            second.query(f"SELECT * FROM read_parquet('{tmp_path / case_files['calls'][0]}')")
    finally:
        first.close()
        second.close()
    again = store.connect(case_files)
    try:
        assert again.query("SELECT count(*) AS n FROM calls").to_pylist() == [{"n": 3}]
    finally:
        again.close()


def test_a_forgotten_shared_connection_still_serves_the_query_using_it(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    """More file sets than the store keeps open: the oldest is forgotten, and a cursor taken
    from it before keeps working."""
    store = EvidenceStore(tmp_path, query_threads=1, share_connections=True)
    first = store.connect(case_files)
    try:
        for n in range(20):
            extra = _write(
                tmp_path, f"case-a/ex-9/run-{n}/calls.parquet", CALLS, [{"row_id": f"x{n}"}]
            )
            store.connect({"calls": [extra]}).close()
        assert first.query("SELECT count(*) AS n FROM calls").to_pylist() == [{"n": 3}]
    finally:
        first.close()


def _offered(store: EvidenceStore, files: dict[str, list[str]]) -> frozenset[str]:
    con = store.connect(files)
    try:
        return con.derived
    finally:
        con.close()


def test_a_derived_table_is_offered_only_if_the_same_sql_made_it(
    tmp_path: Path, case_files: dict[str, list[str]]
) -> None:
    """A copy made by an earlier release (another SQL for a derived table, or a manifest that
    records none) offers none of the tables that changed; a store told nothing of the
    definitions offers what the copy holds."""
    made = {
        "counts": DerivedTable(
            sql="SELECT a_party, count(*) AS n FROM calls GROUP BY 1", reads=("calls",)
        ),
        "firsts": DerivedTable(sql="SELECT min(row_id) AS first FROM calls", reads=("calls",)),
    }
    EvidenceStore(tmp_path).make_read_copy(case_files, made)
    assert _offered(EvidenceStore(tmp_path, derived=made), case_files) == {"counts", "firsts"}
    assert _offered(EvidenceStore(tmp_path), case_files) == {"counts", "firsts"}
    changed = {
        "counts": DerivedTable(
            sql="SELECT a_party, count(*) AS calls FROM calls GROUP BY 1", reads=("calls",)
        ),
        "firsts": made["firsts"],
    }
    assert _offered(EvidenceStore(tmp_path, derived=changed), case_files) == {"firsts"}
    # a table this release no longer makes is not offered either
    assert _offered(EvidenceStore(tmp_path, derived={"firsts": made["firsts"]}), case_files) == {
        "firsts"
    }
    manifest_path = tmp_path / READ_COPY_DIR / "case-a.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    del manifest["derived_sql"]  # as the previous release wrote it
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    assert _offered(EvidenceStore(tmp_path, derived=made), case_files) == frozenset()
    assert _uses_copy(EvidenceStore(tmp_path, derived=made), case_files)
