"""Exhibits and ingest through the services, on SQLite and PostgreSQL.

Registration hashes and preserves; verification catches change; ingest is atomic, idempotent and
refuses a changed exhibit; bad input leaves what was stored untouched.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from threadline.errors import Conflict, IntegrityError, NoMatchingProfile
from threadline.ingest.context import IngestOptions
from threadline.services import cases, exhibits, ingest, query
from threadline.services.workspace import Workspace

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)
ROW = (
    "MOC,447700900123,447700900456,,01/06/2026,13:45:10,65,490154203237510,001010123456789,"
    "234-30-1201-30451,234-30-1201-30452\n"
)


def _cdr(tmp_path: Path, rows: int = 3, name: str = "cdr.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + ROW * rows, encoding="utf-8")
    return path


def _case(ws: Workspace) -> None:
    cases.create_case(ws, "OP-CEDAR", "Operation Cedar", offences=("MSA2015-s2",))


def test_register_preserves_and_hashes(workspace: Workspace, tmp_path: Path) -> None:
    _case(workspace)
    source = _cdr(tmp_path)
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    info = exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", source, producer="DC Jo Bloggs", description="CDR"
    )
    assert info.sha256 == expected
    assert info.size_bytes == source.stat().st_size
    stored = workspace.exhibits_dir / f"{info.id[:0]}"  # root of preserved copies
    copies = list(stored.rglob("cdr.csv"))
    assert len(copies) == 1
    assert copies[0].read_bytes() == source.read_bytes()
    assert not os.access(copies[0], os.W_OK) or os.geteuid() == 0
    assert not (copies[0].stat().st_mode & stat.S_IWUSR)
    shown = exhibits.show_exhibit(workspace, "OP-CEDAR", "jb/1")
    assert [c.action for c in shown.continuity] == ["registered"]
    assert shown.continuity[0].actor == "analyst.test"


def test_duplicate_reference_is_refused_and_nothing_lost(
    workspace: Workspace, tmp_path: Path
) -> None:
    _case(workspace)
    first = exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    other = _cdr(tmp_path, rows=5, name="other.csv")
    with pytest.raises(Conflict, match="already has an exhibit 'JB/1'"):
        exhibits.add_exhibit(workspace, "OP-CEDAR", "JB/1", other, producer="P", description="D")
    listed = exhibits.list_exhibits(workspace, "OP-CEDAR")
    assert [(e.reference, e.sha256) for e in listed] == [("JB/1", first.sha256)]
    assert exhibits.verify_exhibit(workspace, "OP-CEDAR", "JB/1").ok


def test_folder_exhibit_hash_is_manifest_hash(workspace: Workspace, tmp_path: Path) -> None:
    _case(workspace)
    folder = tmp_path / "download"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"alpha")
    (folder / "sub" / "b.txt").write_bytes(b"beta")
    manifest = (
        f"{hashlib.sha256(b'alpha').hexdigest()}  a.txt\n"
        f"{hashlib.sha256(b'beta').hexdigest()}  sub/b.txt\n"
    )
    info = exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/2", folder, producer="P", description="phone download"
    )
    assert info.kind == "folder"
    assert info.sha256 == hashlib.sha256(manifest.encode()).hexdigest()
    assert exhibits.verify_exhibit(workspace, "OP-CEDAR", "JB/2").ok


def _preserved(ws: Workspace) -> Path:
    return next(ws.exhibits_dir.rglob("cdr.csv"))


def test_changed_exhibit_fails_verify_and_ingest_refuses(
    workspace: Workspace, tmp_path: Path
) -> None:
    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    copy = _preserved(workspace)
    copy.chmod(0o644)
    copy.write_text(HEADER + ROW * 4, encoding="utf-8")
    result = exhibits.verify_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert not result.ok
    with pytest.raises(IntegrityError, match="has changed since registration"):
        ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    actions = [c.action for c in exhibits.show_exhibit(workspace, "OP-CEDAR", "JB/1").continuity]
    assert actions == ["registered", "verification failed", "verification failed"]


def test_ingest_is_idempotent_and_queryable(workspace: Workspace, tmp_path: Path) -> None:
    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    first = ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert first.row_counts == {"calls": 3, "source_rows": 3}
    assert first.parameters["profile"] == "network-a"
    again = ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert again.already_done
    assert again.run_id == first.run_id
    forced = ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1", force=True)
    assert forced.run_id != first.run_id
    table = query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls")
    assert table.to_pylist() == [{"n": 3}]  # the superseded run is not visible
    runs = list((workspace.evidence.root).rglob("calls.parquet"))
    assert len(runs) == 1


def test_interrupted_ingest_leaves_nothing_visible_and_rerun_completes(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path, rows=10), producer="P", description="D"
    )
    from threadline.ingest.parsers.cdr_uk.transform import CdrTransform

    original = CdrTransform.finish

    def crash(self: CdrTransform) -> None:
        raise KeyboardInterrupt  # as if the process were stopped mid-ingest

    monkeypatch.setattr(CdrTransform, "finish", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist() == [
        {"n": 0}
    ]
    assert not list(workspace.evidence.root.rglob("*.partial"))
    monkeypatch.setattr(CdrTransform, "finish", original)
    done = ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert done.row_counts["calls"] == 10
    assert query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist() == [
        {"n": 10}
    ]


def test_killed_run_left_running_is_swept(workspace: Workspace, tmp_path: Path) -> None:
    """A partial folder and a 'running' run from a killed process are cleaned by the next run."""
    _case(workspace)
    info = exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    case_id = cases.show_case(workspace, "OP-CEDAR").id
    partial = workspace.evidence.root / case_id / info.id / "deadbeef.partial"
    partial.mkdir(parents=True)
    (partial / "calls.parquet").write_bytes(b"half-written")
    done = ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert done.status == "complete"
    assert not partial.exists()


def test_unmatched_layout_fails_cleanly_keeping_earlier_ingest(
    workspace: Workspace, tmp_path: Path
) -> None:
    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    odd = tmp_path / "odd.csv"
    odd.write_text("When,Who,What\n01/06/2026,x,y\n", encoding="utf-8")
    exhibits.add_exhibit(workspace, "OP-CEDAR", "JB/2", odd, producer="P", description="D")
    with pytest.raises(NoMatchingProfile) as caught:
        ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/2", parser="cdr_uk")
    message = str(caught.value)
    assert message.startswith("odd.csv:")
    for name in ("network-a", "network-b", "network-c", "network-d", "--mapping"):
        assert name in message
    assert query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist() == [
        {"n": 3}
    ]


def test_rows_outside_authorised_window_are_flagged(workspace: Workspace, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    _case(workspace)
    comms = exhibits.CommsData(
        provider="Network A",
        target_number="07700 900123",
        authorisation="OCDA-2026-000001",
        authorised_from=datetime(2026, 6, 2, tzinfo=UTC),
        authorised_to=datetime(2026, 6, 30, tzinfo=UTC),
        data_type="events",
    )
    exhibits.add_exhibit(
        workspace,
        "OP-CEDAR",
        "JB/1",
        _cdr(tmp_path, rows=2),
        producer="P",
        description="D",
        comms=comms,
    )
    ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1", options=IngestOptions())
    found = query.list_issues(workspace, "OP-CEDAR", "JB/1")
    outside = [i for i in found if i.code == "window.outside"]
    assert [i.locator for i in outside] == ["row=2", "row=3"]
    assert "comms.unrecorded" not in {i.code for i in found}
    roles = query.run_sql(workspace, "OP-CEDAR", "SELECT DISTINCT target_role FROM calls")
    assert roles.to_pylist() == [{"target_role": "a"}]


def test_failure_while_recording_a_run_leaves_nothing_visible(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threadline.services import ingest as ingest_module

    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full while recording")

    monkeypatch.setattr(ingest_module, "_complete", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    assert not [p for p in workspace.evidence.root.rglob("*") if p.suffix == ".parquet"]
    assert query.run_sql(workspace, "OP-CEDAR", "SELECT count(*) AS n FROM calls").to_pylist() == [
        {"n": 0}
    ]
    monkeypatch.undo()
    assert ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1").row_counts["calls"] == 3


def test_unrecorded_authorisation_is_flagged_for_network_returns_only(
    workspace: Workspace, tmp_path: Path
) -> None:
    """A network return without its authorisation is flagged (requirements 21, 37); a seized
    handset's download is not communications data and is not."""
    _case(workspace)
    exhibits.add_exhibit(
        workspace, "OP-CEDAR", "JB/1", _cdr(tmp_path), producer="P", description="D"
    )
    vcard = tmp_path / "contacts.vcf"
    vcard.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tomek boss\r\nTEL:07700 900123\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    exhibits.add_exhibit(workspace, "OP-CEDAR", "JB/2", vcard, producer="P", description="D")
    ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/1")
    ingest.ingest_exhibit(workspace, "OP-CEDAR", "JB/2")
    network = {i.code for i in query.list_issues(workspace, "OP-CEDAR", "JB/1")}
    handset = {i.code for i in query.list_issues(workspace, "OP-CEDAR", "JB/2")}
    assert "comms.unrecorded" in network
    assert "comms.unrecorded" not in handset
