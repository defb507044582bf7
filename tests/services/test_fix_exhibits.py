"""Exhibit registration and verification: review fixes, on SQLite and PostgreSQL.

Verification hashes outside any case-store transaction; a source named ``..`` or ``.`` is
preserved under its real name; the whole preserved tree, the exhibit's own folder included, is
read-only; a registration never removes another registration's preserved copy, and a failed one
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from threadline.errors import Conflict
from threadline.model.ids import make_id
from threadline.services import cases, exhibits
from threadline.services.workspace import Workspace

WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _case(ws: Workspace) -> str:
    return cases.create_case(ws, "OP-ELM", "Operation Elm").id


def _download(tmp_path: Path) -> Path:
    """A folder exhibit: two files, one in a sub-folder."""
    folder = tmp_path / "download"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"alpha")
    (folder / "sub" / "b.txt").write_bytes(b"bravo")
    return folder


def _manifest_sha(files: dict[str, bytes]) -> str:
    """The folder hash worked out by hand: sorted '<sha256>  <path>\\n' lines, hashed."""
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {rel}\n" for rel, data in files.items())
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


DOWNLOAD_SHA = _manifest_sha({"a.txt": b"alpha", "sub/b.txt": b"bravo"})


def test_verify_hashes_outside_any_transaction(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case(workspace)
    source = tmp_path / "cdr.csv"
    source.write_bytes(b"a,b\n1,2\n")
    exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")

    open_sessions = 0
    seen_while_hashing: list[int] = []
    real_session = workspace.session

    @contextmanager
    def counting_session() -> Iterator[Session]:
        nonlocal open_sessions
        open_sessions += 1
        try:
            with real_session() as session:
                yield session
        finally:
            open_sessions -= 1

    real_hash = exhibits.hash_preserved

    def watched_hash(path: Path) -> str:
        seen_while_hashing.append(open_sessions)
        return real_hash(path)

    monkeypatch.setattr(workspace, "session", counting_session)
    monkeypatch.setattr(exhibits, "hash_preserved", watched_hash)
    result = exhibits.verify_exhibit(workspace, "OP-ELM", "jb/1")

    assert seen_while_hashing == [0]
    assert result.ok
    assert result.reference == "JB/1"
    assert result.actual == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    shown = exhibits.show_exhibit(workspace, "OP-ELM", "JB/1")
    assert [c.action for c in shown.continuity] == ["registered", "verified"]
    assert shown.continuity[1].detail == f"SHA-256 {result.actual}"


def test_verify_records_a_mismatch_after_hashing(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case(workspace)
    source = tmp_path / "cdr.csv"
    source.write_bytes(b"original")
    info = exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")
    monkeypatch.setattr(exhibits, "hash_preserved", lambda _path: "f" * 64)
    result = exhibits.verify_exhibit(workspace, "OP-ELM", "JB/1")
    assert not result.ok
    shown = exhibits.show_exhibit(workspace, "OP-ELM", "JB/1")
    assert shown.continuity[-1].action == "verification failed"
    assert shown.continuity[-1].detail == (
        f"SHA-256 {'f' * 64} does not match the registered {info.sha256}"
    )


def test_parent_reference_keeps_the_real_folder_name(workspace: Workspace, tmp_path: Path) -> None:
    case_id = _case(workspace)
    folder = _download(tmp_path)
    info = exhibits.add_exhibit(
        workspace, "OP-ELM", "JB/1", folder / "sub" / "..", producer="P", description="D"
    )
    assert info.original_name == "download"
    assert info.kind == "folder"
    assert info.sha256 == DOWNLOAD_SHA
    copy = workspace.exhibits_dir / case_id / info.id / "download"
    assert (copy / "a.txt").read_bytes() == b"alpha"
    assert (copy / "sub" / "b.txt").read_bytes() == b"bravo"
    # nothing was written beside the case folder or above the exhibit's folder
    assert sorted(p.name for p in (workspace.exhibits_dir / case_id).iterdir()) == [info.id]
    assert sorted(p.name for p in (workspace.exhibits_dir / case_id / info.id).iterdir()) == [
        "download"
    ]
    assert exhibits.verify_exhibit(workspace, "OP-ELM", "JB/1").ok


def test_current_folder_keeps_its_real_name(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _case(workspace)
    folder = _download(tmp_path)
    monkeypatch.chdir(folder)
    info = exhibits.add_exhibit(
        workspace, "OP-ELM", "JB/2", Path("."), producer="P", description="D"
    )
    assert info.original_name == "download"
    assert info.sha256 == DOWNLOAD_SHA
    assert (workspace.exhibits_dir / case_id / info.id / "download" / "a.txt").is_file()


def test_whole_preserved_tree_is_read_only(workspace: Workspace, tmp_path: Path) -> None:
    case_id = _case(workspace)
    info = exhibits.add_exhibit(
        workspace, "OP-ELM", "JB/1", _download(tmp_path), producer="P", description="D"
    )
    exhibit_dir = workspace.exhibits_dir / case_id / info.id
    tree = [exhibit_dir, *exhibit_dir.rglob("*")]
    # the exhibit folder, download/, download/sub/ and the two files
    assert len(tree) == 5
    for item in tree:
        assert item.stat().st_mode & WRITE_BITS == 0, item
    assert exhibit_dir.stat().st_mode & 0o777 == 0o555
    assert (exhibit_dir / "download" / "a.txt").stat().st_mode & 0o777 == 0o444
    # the case folder stays writable: later exhibits go in it
    assert (workspace.exhibits_dir / case_id).stat().st_mode & stat.S_IWUSR


def test_single_file_exhibit_folder_is_read_only(workspace: Workspace, tmp_path: Path) -> None:
    case_id = _case(workspace)
    source = tmp_path / "cdr.csv"
    source.write_bytes(b"x")
    info = exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")
    exhibit_dir = workspace.exhibits_dir / case_id / info.id
    assert exhibit_dir.stat().st_mode & 0o777 == 0o555
    assert (exhibit_dir / "cdr.csv").stat().st_mode & 0o777 == 0o444


def test_registration_committed_meanwhile_is_never_removed(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B passes the first duplicate check, then A registers the same reference while B is
    copying: B must be refused and A's preserved copy left exactly as it was."""
    case_id = _case(workspace)
    first = tmp_path / "first.csv"
    first.write_bytes(b"first exhibit")
    second = tmp_path / "second.csv"
    second.write_bytes(b"second exhibit")
    real_preserve = exhibits._preserve
    calls = 0

    def preserve_while_another_registers(source: Path, target: Path) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # B's copy: A registers and commits meanwhile
            exhibits.add_exhibit(
                workspace, "OP-ELM", "JB/1", first, producer="A", description="first"
            )
        return real_preserve(source, target)

    monkeypatch.setattr(exhibits, "_preserve", preserve_while_another_registers)
    with pytest.raises(Conflict, match="already has an exhibit 'JB/1'"):
        exhibits.add_exhibit(
            workspace, "OP-ELM", "JB/1", second, producer="B", description="second"
        )

    listed = exhibits.list_exhibits(workspace, "OP-ELM")
    assert [(e.reference, e.producer, e.original_name) for e in listed] == [
        ("JB/1", "A", "first.csv")
    ]
    exhibit_id = make_id("exhibit", case_id, "JB/1")
    assert listed[0].id == exhibit_id
    case_dir = workspace.exhibits_dir / case_id
    assert sorted(p.name for p in case_dir.iterdir()) == [exhibit_id]  # B's staging is gone
    assert (case_dir / exhibit_id / "first.csv").read_bytes() == b"first exhibit"
    assert exhibits.verify_exhibit(workspace, "OP-ELM", "JB/1").ok


def test_folder_left_by_an_unfinished_registration_is_replaced(
    workspace: Workspace, tmp_path: Path
) -> None:
    case_id = _case(workspace)
    exhibit_id = make_id("exhibit", case_id, "JB/1")
    stale = workspace.exhibits_dir / case_id / exhibit_id
    (stale / "old").mkdir(parents=True)
    (stale / "old" / "left.csv").write_bytes(b"left over")
    (stale / "old" / "left.csv").chmod(0o444)
    (stale / "old").chmod(0o555)
    stale.chmod(0o555)
    source = tmp_path / "cdr.csv"
    source.write_bytes(b"new")

    info = exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")
    assert info.id == exhibit_id
    assert sorted(p.name for p in stale.iterdir()) == ["cdr.csv"]
    assert exhibits.verify_exhibit(workspace, "OP-ELM", "JB/1").ok


def test_failure_after_the_folder_is_placed_leaves_nothing(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _case(workspace)
    source = _download(tmp_path)
    real_audit = workspace.audit

    def failing_audit(session: Session, operation: Any, action: str, **kwargs: Any) -> None:
        if action == "exhibit.add":
            # by now the exhibit folder is in place and read-only
            placed = workspace.exhibits_dir / case_id / make_id("exhibit", case_id, "JB/1")
            assert placed.stat().st_mode & WRITE_BITS == 0
            raise RuntimeError("audit store unavailable")
        real_audit(session, operation, action, **kwargs)

    monkeypatch.setattr(workspace, "audit", failing_audit)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")
    assert list((workspace.exhibits_dir / case_id).iterdir()) == []
    assert exhibits.list_exhibits(workspace, "OP-ELM") == []

    monkeypatch.setattr(workspace, "audit", real_audit)
    info = exhibits.add_exhibit(workspace, "OP-ELM", "JB/1", source, producer="P", description="D")
    assert info.sha256 == DOWNLOAD_SHA
