"""DuckDB runs offline: no extension is installed or loaded from a repository at run time
(design.md "Storage"; closed police networks)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from threadline.errors import PermissionDenied, StoreError
from threadline.ingest.arrow_schema import arrow_schema
from threadline.model.evidence_schema import SOURCE_ROWS
from threadline.store.evidence_store import EvidenceStore


def test_built_in_extensions_are_statically_linked() -> None:
    """What the evidence and ingest connections use (JSON, Parquet, ICU) ships in the wheel."""
    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        rows = con.execute(
            "SELECT extension_name, install_mode FROM duckdb_extensions() WHERE loaded"
        ).fetchall()
    finally:
        con.close()
    loaded = dict(rows)
    assert {"json", "parquet"} <= set(loaded)
    assert set(loaded.values()) == {"STATICALLY_LINKED"}


def test_query_connection_cannot_install_load_or_reach_files(tmp_path: Path) -> None:
    con = EvidenceStore(tmp_path).connect({})
    try:
        settings = con.query(
            "SELECT current_setting('autoinstall_known_extensions') AS install, "
            "current_setting('autoload_known_extensions') AS load, "
            "current_setting('enable_external_access') AS files"
        ).to_pylist()
        assert settings == [{"install": False, "load": False, "files": False}]
        with pytest.raises(PermissionDenied):
            con.query("INSTALL spatial")
        with pytest.raises(StoreError, match="disabled by configuration"):
            con.query("SELECT * FROM read_csv('/etc/hostname')")
    finally:
        con.close()


def test_user_sql_reaches_only_the_case_files(tmp_path: Path) -> None:
    """Another case's Parquet and a partial run sit under the same evidence root."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = EvidenceStore(tmp_path)
    mine = tmp_path / "case-a" / "ex-1" / "run-1"
    other = tmp_path / "case-b" / "ex-2" / "run-2"
    partial = tmp_path / "case-a" / "ex-1" / "run-3.partial"
    schema = arrow_schema(SOURCE_ROWS)
    for folder, value in ((mine, "mine"), (other, "theirs"), (partial, "unfinished")):
        folder.mkdir(parents=True)
        row = {name: [value if name == "raw" else "x"] for name in schema.names}
        pq.write_table(pa.table(row, schema=schema), folder / "source_rows.parquet")
    con = store.connect({"source_rows": ["case-a/ex-1/run-1/source_rows.parquet"]})
    try:
        assert con.query("SELECT raw FROM source_rows").to_pylist() == [{"raw": "mine"}]
        for path in (other, partial):
            with pytest.raises(StoreError, match="disabled by configuration"):
                con.query(f"SELECT * FROM read_parquet('{path / 'source_rows.parquet'}')")
        with pytest.raises(StoreError, match="disabled by configuration"):
            con.query(f"SELECT * FROM glob('{tmp_path}/**')")
    finally:
        con.close()
