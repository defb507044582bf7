"""The parser registry: every parser loads through its entry point, has fixtures and a golden
test (design.md "Extension points")."""

from __future__ import annotations

from pathlib import Path

from threadline.ingest.registry import Registry

TESTS = Path(__file__).resolve().parent


def test_builtin_parsers_load_with_unique_names() -> None:
    registry = Registry.from_entry_points()
    names = [p.info.name for p in registry.parsers]
    assert "cdr_uk" in names
    assert len(names) == len(set(names))


def test_every_parser_has_fixtures_and_a_golden_test() -> None:
    for parser in Registry.from_entry_points().parsers:
        info = parser.info
        assert info.fixtures, f"{info.name} declares no fixtures"
        for fixture in info.fixtures:
            path = TESTS / fixture
            # binary fixtures (XLSX) may be built by the golden test itself
            assert path.exists() or path.suffix == ".xlsx", f"{info.name}: missing {fixture}"
        golden = list(TESTS.rglob(f"test_{info.name}.py"))
        assert golden, f"{info.name} has no golden test file tests/**/test_{info.name}.py"
        text = golden[0].read_text("utf-8")
        assert "locator" in text, f"{info.name}'s golden test asserts no locator"
