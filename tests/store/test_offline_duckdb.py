"""DuckDB runs offline: no extension is installed or loaded from a repository at run time
(design.md "Storage"; closed police networks)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from threadline.errors import PermissionDenied, StoreError
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
