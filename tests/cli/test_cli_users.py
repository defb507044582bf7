"""The command line's user and case-membership commands, and the first-run administrator."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from threadline.cli.main import main
from threadline.errors import PermissionDenied
from threadline.services import users
from threadline.services.workspace import open_workspace
from threadline.settings import Settings


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_users_and_members_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = str(tmp_path / "home")
    assert _run(capsys, "case", "new", "--ref", "OP-ASH", "--name", "Ash", "--home", home)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("willow-larch-2026\n"))
    code, out, err = _run(
        capsys,
        "user", "add", "jbloggs", "--name", "DC Jo Bloggs", "--role", "Investigator",
        "--password-stdin", "--home", home, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["role"] == "investigator"
    assert "willow" not in out

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _out, err = _run(
        capsys, "user", "add", "kb", "--name", "K", "--role", "analyst", "--password-stdin",
        "--home", home,
    )  # fmt: skip
    assert code == 2
    assert "at least 12 characters" in err
    assert (
        _run(capsys, "user", "add", "x1", "--name", "X", "--role", "chief", "--home", home)[0] == 2
    )

    code, out, _err = _run(capsys, "case", "member", "add", "jbloggs", "--case", "OP-ASH",
                           "--owner", "--home", home, "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["membership"] == "owner"
    code, out, _err = _run(capsys, "case", "member", "list", "--case", "OP-ASH", "--home", home,
                           "--json")  # fmt: skip
    assert [(m["username"], m["membership"]) for m in json.loads(out)] == [("jbloggs", "owner")]
    # the last owner cannot be removed
    code, _out, err = _run(capsys, "case", "member", "remove", "jbloggs", "--case", "OP-ASH",
                           "--home", home)  # fmt: skip
    assert code == 2
    assert "last owner" in err

    assert _run(capsys, "user", "disable", "jbloggs", "--home", home)[0] == 0
    code, out, _err = _run(capsys, "user", "list", "--home", home, "--json")
    assert [(u["username"], u["disabled"]) for u in json.loads(out)] == [("jbloggs", True)]
    ws = open_workspace(Settings(home=Path(home)))
    try:
        with pytest.raises(PermissionDenied):
            users.authenticate(ws, "jbloggs", "willow-larch-2026")
    finally:
        ws.close()
    assert _run(capsys, "user", "enable", "jbloggs", "--home", home)[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("rowan-hazel-2026\n"))
    assert _run(capsys, "user", "password", "jbloggs", "--password-stdin", "--home", home)[0] == 0
    ws = open_workspace(Settings(home=Path(home)))
    try:
        assert users.authenticate(ws, "jbloggs", "rowan-hazel-2026").username == "jbloggs"
    finally:
        ws.close()


def test_the_first_administrator_is_made_once(tmp_path: Path) -> None:
    ws = open_workspace(Settings(home=tmp_path))
    try:
        password = users.ensure_first_administrator(ws)
        assert password is not None
        assert len(password) >= users.MIN_PASSWORD_LENGTH
        signed = users.authenticate(ws, "admin", password)
        assert signed.role.value == "administrator"
        assert users.ensure_first_administrator(ws) is None
        assert [u.username for u in users.list_users(ws)] == ["admin"]
    finally:
        ws.close()
