"""The rows behind a finding, on SQLite and PostgreSQL: listed rows paged, a community's link
citation resolved to exactly its rows (from the files and from the read copy), limited to the
exhibits its run read, a change in what it selects shown, and every page audited.

The case (times UTC): JB/1, target T1's return: T1 -> X 09:00, X -> T1 10:00. JB/2, T2's:
T2 -> X 12:00, T2 -> T1 12:30. By hand: with JB/1 alone the contact graph is the pair T1-X (a
community of two, resting on JB/1's two rows); with both, T1, T2 and X all called each other
(one community of three resting on all four rows). X is in contact with both targets through
3 rows (common contacts, k = 2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from network_returns import T1, T2, X, ingest_ash, ingest_returns
from threadline.errors import ConfigError, NotFound
from threadline.services import analyse, cases, search
from threadline.services.finding_rows import finding_rows
from threadline.services.workspace import Workspace
from threadline.store.tables import AuditEntryRow, FindingRow


def _all_rows(ws: Workspace) -> dict[str, str]:
    """Every call row of the case: row id -> exhibit reference (from the listed citation of a
    contact profile of T1 and X, which rests on every one of the four calls)."""
    outcome = analyse.run_analysis(ws, "OP-ASH", "contact_profile", {"numbers": [T1, T2, X]})
    out: dict[str, str] = {}
    for finding in outcome.findings:
        page = finding_rows(ws, "OP-ASH", finding.finding_id, run_id=finding.run_id, limit=10)
        out.update({r.row_id: r.exhibit for r in page.rows})
    return out


def test_listed_rows_come_a_page_at_a_time_and_each_page_is_audited(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest_ash(
        workspace,
        tmp_path,
        (
            "JB/1",
            "JB/2",
        ),
    )
    (finding,) = analyse.run_analysis(workspace, "OP-ASH", "common_contacts", {"k": 2}).findings
    whole = finding_rows(workspace, "OP-ASH", finding.finding_id)
    assert whole.total == 3
    assert [r.row_id for r in whole.rows] == finding.derived_from
    # JB/1's two calls (its rows 2 and 3, after the header) and JB/2's call to X (row 2)
    assert sorted((r.exhibit, r.locator) for r in whole.rows) == [
        ("JB/1", "row=2"),
        ("JB/1", "row=3"),
        ("JB/2", "row=2"),
    ]
    assert {r.table for r in whole.rows} == {"calls"}
    second = finding_rows(workspace, "OP-ASH", finding.finding_id, offset=1, limit=1)
    assert (second.total, [r.row_id for r in second.rows]) == (3, finding.derived_from[1:2])
    assert not second.changed
    with workspace.session() as session:
        audited = session.execute(
            select(AuditEntryRow.operation, AuditEntryRow.detail).where(
                AuditEntryRow.action == "analysis.finding_rows"
            )
        ).all()
    assert [operation for operation, _detail in audited] == ["consultation", "consultation"]
    assert audited[1][1]["row_ids"] == finding.derived_from[1:2]
    with pytest.raises(ConfigError, match="1 to 1000 rows"):
        finding_rows(workspace, "OP-ASH", finding.finding_id, limit=0)
    with pytest.raises(NotFound, match="no such finding"):
        finding_rows(workspace, "OP-ASH", "0" * 32)


def test_a_communitys_links_name_the_rows_of_the_exhibits_its_run_read(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest_ash(workspace, tmp_path, ("JB/1",))
    (pair,) = analyse.run_analysis(workspace, "OP-ASH", "communities", {"min_size": 2}).findings
    assert pair.derived_from == []
    assert pair.derived_links is not None
    assert (pair.derived_links.rows, pair.rows_cited) == (2, 2)
    before = finding_rows(workspace, "OP-ASH", pair.finding_id)
    assert (before.total, before.changed) == (2, False)

    # JB/2 adds two more calls among the same numbers, and the read copy is made
    ingest_ash(workspace, tmp_path, ("JB/2",))
    search.build_search_index(workspace, "OP-ASH")
    rows = _all_rows(workspace)
    jb1 = sorted(r for r, exhibit in rows.items() if exhibit == "JB/1")
    assert len(rows) == 4
    assert len(jb1) == 2
    old = finding_rows(workspace, "OP-ASH", pair.finding_id, run_id=pair.run_id)
    assert [r.row_id for r in old.rows] == jb1 == [r.row_id for r in before.rows]
    assert (old.total, old.changed) == (2, False)

    (group,) = analyse.run_analysis(workspace, "OP-ASH", "communities", {"min_size": 2}).findings
    assert group.subjects == [T1, T2, X]
    assert group.derived_links is not None
    assert group.derived_links.rows == 4
    now = finding_rows(workspace, "OP-ASH", group.finding_id)
    assert [r.row_id for r in now.rows] == sorted(rows)
    assert (now.total, now.changed) == (4, False)


def test_a_citation_that_selects_other_rows_than_when_it_ran_says_so(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Exhibit rows never change, so the store is altered by hand to stand for it: the finding
    says it rested on 5 rows where its links now select 4."""
    ingest_ash(
        workspace,
        tmp_path,
        (
            "JB/1",
            "JB/2",
        ),
    )
    (group,) = analyse.run_analysis(workspace, "OP-ASH", "communities", {}).findings
    assert group.derived_links is not None
    with workspace.session() as session:
        session.execute(
            update(FindingRow)
            .where(FindingRow.finding_id == group.finding_id)
            .values(derived_links={**group.derived_links.to_dict(), "rows": 5})
        )
    page = finding_rows(workspace, "OP-ASH", group.finding_id)
    assert (page.total, page.changed) == (4, True)


def test_a_windowed_citation_names_the_rows_of_its_run_after_a_later_exhibit(
    workspace: Workspace, tmp_path: Path
) -> None:
    """From 10:00:05: T1's return (JB/5) holds T1 -> X at 10:00:05 and 10:30:00, a community
    of two resting on both rows. X's return (JB/6), added later, records the first call at
    10:00:00; with it the call is one event of 10:00:00, before the window, so a resolution
    over all the evidence would drop the JB/5 row. Resolved over JB/5 alone, as the analysis
    read it, the citation still names both rows, and nothing has changed."""
    cases.create_case(workspace, "OP-ELM", "Operation Elm")
    first_return = {
        "JB/5": (
            T1,
            "MOC,447700900001,447700900100,,01/06/2026,10:00:05,60,,,,\n"
            "MOC,447700900001,447700900100,,01/06/2026,10:30:00,30,,,,\n",
        )
    }
    ingest_returns(workspace, "OP-ELM", first_return, tmp_path)
    window = {"min_size": 2, "since": "2026-06-01T10:00:05Z"}
    (pair,) = analyse.run_analysis(workspace, "OP-ELM", "communities", window).findings
    before = finding_rows(workspace, "OP-ELM", pair.finding_id)
    assert (before.total, before.changed) == (2, False)
    later = {"JB/6": (X, "MTC,447700900001,447700900100,,01/06/2026,10:00:00,60,,,,\n")}
    ingest_returns(workspace, "OP-ELM", later, tmp_path)
    (rerun,) = analyse.run_analysis(workspace, "OP-ELM", "communities", window).findings
    assert rerun.rows_cited == 1  # the new run: only the 10:30 call is in the window
    old = finding_rows(workspace, "OP-ELM", pair.finding_id, run_id=pair.run_id)
    assert [r.row_id for r in old.rows] == [r.row_id for r in before.rows]
    assert (old.total, old.changed) == (2, False)
