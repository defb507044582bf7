"""The analysis registry: every analysis loads through its entry point with a valid description,
has a test module of its own, and is described in the analysis docs (design.md "Extension
points")."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from threadline.analysis.contract import Parameters
from threadline.analysis.registry import AnalysisRegistry
from threadline.errors import NotFound

TESTS = Path(__file__).resolve().parents[1]
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_analyses_load_with_unique_names_and_parameters() -> None:
    registry = AnalysisRegistry.from_entry_points()
    names = [a.info.name for a in registry.analyses]
    assert {"common_contacts", "contact_profile", "call_chains"} <= set(names)
    assert len(names) == len(set(names))
    for analysis in registry.analyses:
        assert issubclass(analysis.info.parameters, Parameters), analysis.info.name
        analysis.info.parameters()  # every parameter has a default
    assert registry.get("common-contacts").info.name == "common_contacts"
    with pytest.raises(NotFound, match="no analysis called 'nothing'"):
        registry.get("nothing")


def test_every_analysis_has_tests_and_docs() -> None:
    docs = "\n".join(p.read_text("utf-8") for p in DOCS.glob("analysis*.md"))
    for analysis in AnalysisRegistry.from_entry_points().analyses:
        module = Path(inspect.getfile(type(analysis))).stem
        tests = list(TESTS.rglob(f"test_{module}.py")) + list(
            TESTS.rglob(f"test_{analysis.info.name}.py")
        )
        assert tests, f"{analysis.info.name} has no test module test_{module}.py"
        assert f"`{analysis.info.name}`" in docs, (
            f"{analysis.info.name} is not in docs/analysis*.md"
        )
