"""The case search index as a store: built from evidence Parquet, found by terms, never stale.

These tests write evidence files with the evidence store's own writer and need no case store.
Expected hits are worked out by hand from the rows written here.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from threadline.ingest.arrow_schema import arrow_schema
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.evidence_schema import table as canonical_table
from threadline.model.ids import row_id
from threadline.store.evidence_store import EvidenceStore
from threadline.store.search_index import (
    INDEXED_TABLES,
    SearchIndex,
    current_index,
    ensure_index,
    index_fingerprint,
    key_term,
)

CASE_ID = "c" * 32
EXHIBIT_ID = "e" * 32


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 6, day, hour, tzinfo=UTC)


def _time(prefix: str, moment: datetime, *, latest: datetime | None = None) -> dict[str, Any]:
    """The five time columns: exact, or ambiguous between ``moment`` and ``latest``."""
    return {
        f"{prefix}_utc": None if latest else moment,
        f"{prefix}_earliest_utc": moment,
        f"{prefix}_latest_utc": latest or moment,
        f"{prefix}_status": "ambiguous" if latest else "exact",
        f"{prefix}_original": moment.strftime("%d/%m/%Y %H:%M"),
    }


ROWS: dict[str, list[dict[str, Any]]] = {
    "calls": [
        {"a_party": "+447700900123", "b_party": "+447700900456", **_time("start", _at(1, 9))},
        # ambiguous (repeated hour): sorted by its earliest reading, 2 June 01:00
        {
            "a_party": "+447700900456",
            "b_party": "+447700900123",
            **_time("start", _at(2, 1), latest=_at(2, 2)),
        },
        {"a_party_original": "Withheld", "b_party": "+447700900123"},  # no time: sorts last
        {"a_party": "+447700900123", "c_party": "+447700900123", **_time("start", _at(3, 9))},
    ],
    "contacts": [
        {"name": "Ana  Pop", "number": "+447700900123"},
        {"name": "ana pop", "email": "ana@example.org"},
        {"name": "ANA POP"},
    ],
    "devices": [{"imei": "356938035643809", "imei_key": "35693803564380", "model": "Galaxy"}],
    "locations": [{"latitude": 53.4, "longitude": -2.2, **_time("at", _at(1, 9))}],
}


def _write(root: Path, rows: dict[str, list[dict[str, Any]]], *, run: str = "r" * 32) -> Any:
    """Write ``rows`` as one ingest run; table name to files, and every file's SHA-256."""
    store = EvidenceStore(root)
    writer = store.writer(CASE_ID, EXHIBIT_ID, run)
    raws = []
    for name, given in rows.items():
        spec = canonical_table(name)
        records = []
        for index, row in enumerate(given):
            locator = f"{name}[{index}]"
            provenance = {
                "row_id": row_id(EXHIBIT_ID, locator),
                "exhibit_id": EXHIBIT_ID,
                "locator": locator,
                "parser": "test@1.0.0",
            }
            records.append({**row, **provenance})
            raws.append({**provenance, "raw": "{}"})
        writer.write(name, pa.Table.from_pylist(records, schema=arrow_schema(spec)))
    writer.write(
        "source_rows",
        pa.Table.from_pylist(raws, schema=arrow_schema(canonical_table("source_rows"))),
    )
    written = writer.commit()
    files: dict[str, list[str]] = {}
    for item in written:
        files.setdefault(item.table, []).append(item.path)
    return store, files, [item.sha256 for item in written]


@pytest.fixture
def built(tmp_path: Path) -> tuple[SearchIndex, Path]:
    store, files, hashes = _write(tmp_path / "evidence", ROWS)
    path, stats, was_built = ensure_index(
        tmp_path / "index", CASE_ID, index_fingerprint(hashes), store, files
    )
    assert was_built
    # rows: calls 4 + contacts 3 + devices 1; locations hold no identifiers or text.
    # entities: numbers +447700900123 and +447700900456, the name "ana pop", handset 35693803564380
    assert (stats.rows, stats.entities) == (8, 4)
    return SearchIndex.open(path), tmp_path


def _locators(index: SearchIndex, keys: list[str], words: list[str], **kw: Any) -> list[Any]:
    return [
        (hits.table, hits.total, [hit.locator for hit in hits.hits])
        for hits in index.search_rows(keys, words, limit=kw.pop("limit", 10), **kw)
    ]


def test_rows_found_by_key_newest_first_untimed_last(built: tuple[SearchIndex, Path]) -> None:
    index, _ = built
    number = key_term(EntityKind.NUMBER, "+447700900123")
    assert _locators(index, [number], []) == [
        ("calls", 4, ["calls[3]", "calls[1]", "calls[0]", "calls[2]"]),
        ("contacts", 1, ["contacts[0]"]),
    ]
    assert _locators(index, [number], [], newest_first=False) == [
        ("calls", 4, ["calls[0]", "calls[1]", "calls[3]", "calls[2]"]),
        ("contacts", 1, ["contacts[0]"]),
    ]
    assert _locators(index, [number], [], tables=("calls",), limit=1, offset=1) == [
        ("calls", 4, ["calls[1]"])
    ]


def test_hit_carries_provenance_time_and_summary(built: tuple[SearchIndex, Path]) -> None:
    index, _ = built
    (calls,) = index.search_rows(
        [key_term(EntityKind.NUMBER, "+447700900456")], [], tables=("calls",), limit=10
    )
    ambiguous = calls.hits[0]
    assert (ambiguous.row_id, ambiguous.exhibit_id, ambiguous.locator) == (
        row_id(EXHIBIT_ID, "calls[1]"),
        EXHIBIT_ID,
        "calls[1]",
    )
    assert ambiguous.time_us == int(_at(2, 1).timestamp()) * 1_000_000
    assert ambiguous.summary == {
        "time": {
            "original": "02/06/2026 01:00",
            "status": "ambiguous",
            "earliest_utc": "2026-06-02T01:00:00Z",
            "latest_utc": "2026-06-02T02:00:00Z",
        },
        "a_party": "+447700900456",
        "b_party": "+447700900123",
    }


def test_words_are_folded_and_all_required(built: tuple[SearchIndex, Path]) -> None:
    index, _ = built
    assert _locators(index, [], ["withheld"]) == [("calls", 1, ["calls[2]"])]
    assert _locators(index, [], ["ANA", "pop"]) == [
        ("contacts", 3, ["contacts[0]", "contacts[1]", "contacts[2]"])
    ]
    assert _locators(index, [], ["ana", "example"]) == [("contacts", 1, ["contacts[1]"])]
    assert _locators(index, [], ["ana", "nobody"]) == []
    assert _locators(index, [], ["x" * 41]) == []  # longer than any indexed word
    assert _locators(index, [], []) == []


def test_entities_counted_per_row_and_resolved(built: tuple[SearchIndex, Path]) -> None:
    index, _ = built
    number_id = entity_id(EntityKind.NUMBER, "+447700900123")
    number = index.entity(number_id)
    assert number is not None
    # calls 0, 1, 2 and 3 (3 names it twice: counted once) and contact 0
    assert (number.kind, number.key, number.display, number.rows) == (
        EntityKind.NUMBER,
        "+447700900123",
        "+447700900123",
        5,
    )
    person = index.entity(entity_id(EntityKind.PERSON, "ana pop"))
    assert person is not None
    # three spellings, one row each: the display is the one that sorts first
    assert (person.key, person.display, person.rows) == ("ana pop", "ANA POP", 3)
    assert index.entity(entity_id(EntityKind.NUMBER, "+447700900999")) is None
    found, total = index.match_entities([], ["pop"], limit=10)
    assert ([e.entity_id for e in found], total) == ([person.entity_id], 1)
    found, total = index.match_entities(
        [
            key_term(EntityKind.HANDSET, "35693803564380"),
            key_term(EntityKind.NUMBER, "+447700900999"),
        ],
        [],
        limit=10,
    )
    assert [(e.kind, e.key, e.rows) for e in found] == [(EntityKind.HANDSET, "35693803564380", 1)]
    assert total == 1


def test_locate(built: tuple[SearchIndex, Path]) -> None:
    index, _ = built
    assert index.locate(row_id(EXHIBIT_ID, "contacts[2]")) == ("contacts", EXHIBIT_ID)
    assert index.locate(row_id(EXHIBIT_ID, "locations[0]")) is None  # not an indexed table
    assert index.locate("0" * 32) is None


@pytest.mark.parametrize(
    "word", ["a:b", "*", "(", '"', "doc:row", "keys:number:+447700900123", "\\", "[1 TO 2]"]
)
def test_query_syntax_is_never_parsed(built: tuple[SearchIndex, Path], word: str) -> None:
    index, _ = built
    assert index.search_rows([word], [word], limit=5) == []


def test_index_is_reused_replaced_when_stale_and_cleaned(tmp_path: Path) -> None:
    store, files, hashes = _write(tmp_path / "evidence", ROWS)
    root = tmp_path / "index"
    first = index_fingerprint(hashes)
    assert current_index(root, CASE_ID, first) is None
    path, _, built = ensure_index(root, CASE_ID, first, store, files)
    assert built
    assert current_index(root, CASE_ID, first) == path
    _, _, built = ensure_index(root, CASE_ID, first, store, files)
    assert not built
    # a killed build's leftovers and a folder without its metadata are swept by the next build
    (root / CASE_ID / "deadbeef.partial").mkdir()
    more = {"contacts": [{"name": "Bogdan Ilie"}]}
    store2, files2, hashes2 = _write(tmp_path / "evidence", more, run="s" * 32)
    for table, paths in files2.items():
        files.setdefault(table, []).extend(paths)
    second = index_fingerprint(hashes + hashes2)
    assert second != first
    (root / CASE_ID / second).mkdir()
    path2, stats2, built = ensure_index(root, CASE_ID, second, store2, files)
    assert built
    assert stats2.rows == 9
    assert sorted(p.name for p in (root / CASE_ID).iterdir()) == [".lock", second]
    assert _locators(SearchIndex.open(path2), [], ["bogdan"]) == [("contacts", 1, ["contacts[0]"])]


def test_fingerprint_ignores_order_and_sees_every_file() -> None:
    assert index_fingerprint(["b", "a"]) == index_fingerprint(["a", "b"])
    assert index_fingerprint(["a", "b"]) != index_fingerprint(["a"])
    assert index_fingerprint([]) != index_fingerprint(["a"])


def test_two_builders_build_once(tmp_path: Path) -> None:
    store, files, hashes = _write(tmp_path / "evidence", ROWS)
    fingerprint = index_fingerprint(hashes)
    outcomes: list[bool] = []
    start = threading.Barrier(2)

    def build() -> None:
        start.wait()
        outcomes.append(ensure_index(tmp_path / "index", CASE_ID, fingerprint, store, files)[2])

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]


def test_a_case_without_evidence_has_an_empty_index(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    path, stats, _ = ensure_index(tmp_path / "index", CASE_ID, index_fingerprint([]), store, {})
    assert (stats.rows, stats.entities) == (0, 0)
    index = SearchIndex.open(path)
    assert index.search_rows([key_term(EntityKind.NUMBER, "+447700900123")], ["a"], limit=5) == []
    assert INDEXED_TABLES[0] == "calls"
