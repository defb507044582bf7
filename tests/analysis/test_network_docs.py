"""docs/analysis-network.md documents every parameter of the network analyses (docs enforced by
tests, examples.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadline.analysis.brokers import Brokers
from threadline.analysis.communities import Communities
from threadline.analysis.contract import Analysis
from threadline.analysis.key_players import KeyPlayers
from threadline.analysis.network_metrics import Measure

DOC = Path(__file__).resolve().parents[2] / "docs" / "analysis-network.md"


@pytest.mark.parametrize("analysis", [KeyPlayers, Communities, Brokers])
def test_every_parameter_is_documented(analysis: type[Analysis]) -> None:
    doc = DOC.read_text("utf-8")
    assert f"## `{analysis.info.name}`" in doc
    for name in analysis.info.parameters.model_fields:
        assert f"`{name}`" in doc, f"{analysis.info.name}: parameter {name} is not documented"


def test_every_measure_is_documented() -> None:
    doc = DOC.read_text("utf-8")
    for measure in Measure:
        assert f"`{measure.value}`" in doc
