"""Running analyses through the service, on SQLite and PostgreSQL: findings stored with their
run, method@version and parameters; a repeat over the same evidence is not re-run; a newer run
supersedes the older; runs are audited as combinations; bad parameters are named.

The case: two network returns (times declared UTC), target T1's and target T2's.
T1's: T1 -> X 09:00 (60 s), X -> T1 10:00 (30 s). T2's: T2 -> X 12:00 (45 s), T2 -> T1 12:30.
By hand: X is the one number in contact with both targets (3 calls, 3 records); T1 and T2 are
each in contact with one target only (the other), so with k = 2 nothing else is found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from network_returns import T1, T2, X, ingest_ash
from threadline.analysis.contact_events import ENDS_TABLE
from threadline.analysis.evidence import Evidence
from threadline.errors import ConfigError
from threadline.services import analyse, search
from threadline.services.workspace import Workspace
from threadline.store.tables import AnalysisRunRow, AuditEntryRow


def test_findings_are_stored_with_their_run_and_repeat_runs_are_not_redone(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest_ash(workspace, tmp_path)
    first = analyse.run_analysis(workspace, "OP-ASH", "common-contacts", {"k": "2"})
    assert first.method == "common_contacts@1.1.0"
    assert first.parameters["k"] == 2
    assert not first.already_done
    (finding,) = first.findings
    assert finding.subjects == [X, T1, T2]
    assert finding.score == 1.0
    assert finding.detail["events_by_medium"] == {"call": 3}
    assert finding.detail["exhibits"] == ["JB/1", "JB/2"]
    assert len(finding.derived_from) == 3

    again = analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 2})
    assert again.already_done
    assert again.run_id == first.run_id
    assert again.findings == first.findings

    forced = analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 2}, force=True)
    assert forced.run_id != first.run_id
    # the same question over the same evidence: the same finding identity
    assert forced.findings[0].finding_id == finding.finding_id
    with workspace.session() as session:
        statuses = dict(session.execute(select(AnalysisRunRow.id, AnalysisRunRow.status)).all())
        audited = session.execute(
            select(AuditEntryRow.operation).where(AuditEntryRow.action == "analysis.run")
        ).scalars()
        assert list(audited) == ["combination", "combination"]
    assert statuses == {first.run_id: "superseded", forced.run_id: "complete"}
    current = analyse.case_findings(workspace, "OP-ASH")
    assert [f.run_id for f in current] == [forced.run_id]
    assert [f.subjects for f in analyse.case_findings(workspace, "OP-ASH", subject=T1)] == [
        [X, T1, T2]
    ]
    assert analyse.case_findings(workspace, "OP-ASH", subject="+447700900999") == []


def test_new_evidence_means_a_new_run(workspace: Workspace, tmp_path: Path) -> None:
    ingest_ash(workspace, tmp_path, ("JB/1",))
    before = analyse.run_analysis(workspace, "OP-ASH", "contact_profile", {"numbers": [T1]})
    (profile,) = before.findings
    assert profile.detail["events_by_medium"] == {"call": {"made": 1, "received": 1}}
    ingest_ash(workspace, tmp_path, ("JB/2",))
    after = analyse.run_analysis(workspace, "OP-ASH", "contact_profile", {"numbers": [T1]})
    assert not after.already_done
    (profile,) = after.findings
    assert profile.detail["events_by_medium"] == {"call": {"made": 1, "received": 2}}
    assert profile.detail["call_seconds"] == 60 + 30 + 20


def test_analyses_read_the_contact_events_of_the_read_copy(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the read copy is made (after ingest, with the search index), the analyses are
    offered its contact-event table, and the finding is the one worked out above."""
    ingest_ash(workspace, tmp_path)
    offered: list[frozenset[str]] = []

    class Recording(Evidence):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            offered.append(self.derived)

    monkeypatch.setattr(analyse, "Evidence", Recording)
    formed = analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 2})
    search.build_search_index(workspace, "OP-ASH")
    read = analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 2}, force=True)
    assert ENDS_TABLE not in offered[0]
    assert ENDS_TABLE in offered[1]
    (finding,) = read.findings
    assert finding.subjects == [X, T1, T2]
    assert len(finding.derived_from) == 3
    assert [f.finding_id for f in read.findings] == [f.finding_id for f in formed.findings]


def test_bad_parameters_are_named(workspace: Workspace, tmp_path: Path) -> None:
    ingest_ash(workspace, tmp_path, ("JB/1",))
    with pytest.raises(ConfigError, match="common_contacts: k: Input should be greater"):
        analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 0})
    with pytest.raises(ConfigError, match="colour: Extra inputs are not permitted"):
        analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"colour": "red"})
    with pytest.raises(ConfigError, match="targets: Value error, 'bob' is not a telephone"):
        analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"targets": ["bob"]})


def test_parameters_from_the_command_line() -> None:
    (info,) = [i for i in analyse.available_analyses() if i.name == "common_contacts"]
    assert analyse.parameters_from_pairs(info, ["targets=07700900001, 07700900002", "k=3"]) == {
        "targets": ["07700900001", "07700900002"],
        "k": "3",
    }
    with pytest.raises(ConfigError, match="has no parameter 'colour'"):
        analyse.parameters_from_pairs(info, ["colour=red"])
    with pytest.raises(ConfigError, match="write name=value"):
        analyse.parameters_from_pairs(info, ["k"])
