"""``threadline demo`` never adds its fictional exhibits to a real case that happens to have the
demo's reference, on SQLite and PostgreSQL.

The demo case is OP-CEDAR, "Operation Cedar", with exhibits DC/1 to DC/8 (DC/6 the cell list),
AR/1 to AR/3 and MC/1 to MC/5. An existing OP-CEDAR is reused only if it has that name and holds
none but those exhibits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from threadline.errors import Conflict
from threadline.services import cases, demo, exhibits
from threadline.services.workspace import Workspace

#: The network returns and cell list (DC/6 between DC/5 and the victims' phones' DC/7 and DC/8),
#: the ANPR exhibits, then the seized handsets' downloads.
DEMO_EXHIBITS = [
    *(f"DC/{n}" for n in range(1, 9)),
    "AR/1",
    "AR/2",
    "AR/3",
    *(f"MC/{n}" for n in range(1, 6)),
]


def _real_exhibit(ws: Workspace, tmp_path: Path, reference: str) -> None:
    source = tmp_path / f"{reference.replace('/', '-')}.csv"
    source.write_bytes(b"real evidence")
    exhibits.add_exhibit(
        ws, "OP-CEDAR", reference, source, producer="DC Real", description="a real return"
    )


def test_refuses_a_case_of_another_name(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar (Thames Valley)")
    with pytest.raises(Conflict) as caught:
        demo.build_demo(workspace)
    assert str(caught.value).startswith(
        "case OP-CEDAR exists and is not the demo case: it is called "
        "'Operation Cedar (Thames Valley)', not 'Operation Cedar'."
    )
    assert exhibits.list_exhibits(workspace, "OP-CEDAR") == []


def test_refuses_a_case_holding_other_exhibits(workspace: Workspace, tmp_path: Path) -> None:
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")
    _real_exhibit(workspace, tmp_path, "JB/1")
    with pytest.raises(Conflict) as caught:
        demo.build_demo(workspace)
    assert str(caught.value).startswith(
        "case OP-CEDAR exists and holds exhibits the demo did not register (JB/1)."
    )
    listed = exhibits.list_exhibits(workspace, "OP-CEDAR")
    assert [(e.reference, e.producer) for e in listed] == [("JB/1", "DC Real")]


def test_refuses_a_case_holding_demo_and_other_exhibits(
    workspace: Workspace, tmp_path: Path
) -> None:
    """One foreign exhibit among the demo's is enough to refuse."""
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")
    _real_exhibit(workspace, tmp_path, "DC/1")  # a demo reference
    _real_exhibit(workspace, tmp_path, "XY/9")
    with pytest.raises(Conflict, match=r"did not register \(XY/9\)"):
        demo.build_demo(workspace)
    assert [e.reference for e in exhibits.list_exhibits(workspace, "OP-CEDAR")] == [
        "DC/1",
        "XY/9",
    ]


def test_names_at_most_five_foreign_exhibits(workspace: Workspace, tmp_path: Path) -> None:
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")
    for n in range(1, 8):
        _real_exhibit(workspace, tmp_path, f"JB/{n}")
    with pytest.raises(Conflict, match=r"\(JB/1, JB/2, JB/3, JB/4, JB/5 and 2 more\)"):
        demo.build_demo(workspace)


def test_reuses_its_own_case_and_runs_again(workspace: Workspace) -> None:
    cases.create_case(workspace, "OP-CEDAR", "Operation Cedar")  # e.g. an interrupted demo
    first = demo.build_demo(workspace)
    assert [e["reference"] for e in first["exhibits"]] == DEMO_EXHIBITS  # type: ignore[index]
    again = demo.build_demo(workspace)  # everything is the demo's now: reused, not refused
    assert again["case"] == "OP-CEDAR"
    # listed in reference order (AR, DC, MC); ingested in the order above
    assert [e.reference for e in exhibits.list_exhibits(workspace, "OP-CEDAR")] == sorted(
        DEMO_EXHIBITS
    )
