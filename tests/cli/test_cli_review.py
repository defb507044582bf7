"""Review fixes at the command-line boundary: evidence printed as written, last-resort errors,
UK-local authorised windows, exports refused before they disclose, a missing audit head.

Expected values are worked out by hand in the comments (BST is UTC+1 from 29 March to
25 October 2026; GMT is UTC+0 outside it).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from threadline.cli import main as cli_main
from threadline.cli.main import main
from threadline.services import cases as case_service

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)


def _row(b_party: str, day: str, at: str) -> str:
    return (
        f"MOC,447700900123,{b_party},,{day},{at},5,490154203237510,001010123456789,"
        "234-30-1201-30451,\n"
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def _new_case(capsys: pytest.CaptureFixture[str], home: str, ref: str = "OP-X") -> None:
    code, _, err = run(capsys, "case", "new", "--ref", ref, "--name", "X", "--home", home)
    assert code == 0, err


def _add_exhibit(
    capsys: pytest.CaptureFixture[str], home: str, source: Path, *extra: str
) -> dict[str, object]:
    data = run_json(
        capsys,
        "exhibit",
        "add",
        str(source),
        "--case",
        "OP-X",
        "--ref",
        "JB/1",
        "--producer",
        "DC Jo Bloggs",
        "--description",
        "Network A CDR",
        "--home",
        home,
        *extra,
    )
    assert isinstance(data, dict)
    return data


def _audit_entries(capsys: pytest.CaptureFixture[str], home: str) -> int:
    data = run_json(capsys, "audit", "verify", "--home", home)
    assert isinstance(data, dict)
    entries = data["entries"]
    assert isinstance(entries, int)
    return entries


# ---------------------------------------------------------------------------------------------
# 1. evidence and user text are never Rich markup


def test_markup_in_evidence_prints_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # wide enough that no cell is folded across lines (the console may have fixed its width
    # from the environment when it was created, so set it on the console itself)
    monkeypatch.setattr(cli_main.out, "_width", 250)
    home = str(tmp_path / "home")
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(
        HEADER
        + _row("07700[bold]900123", "01/06/2026", "13:45:10")
        + _row("[/x]", "01/06/2026", "13:50:00"),
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, "case", "new", "--ref", "OP-X", "--name", "Op [/x] [bold]Y", "--home", home
    )
    assert code == 0, err
    assert "Created case OP-X: Op [/x] [bold]Y [OFFICIAL-SENSITIVE]" in out
    _add_exhibit(capsys, home, cdr)
    assert run(capsys, "ingest", "JB/1", "--case", "OP-X", "--home", home)[0] == 0

    code, out, err = run(
        capsys, "sql", "SELECT b_party_original FROM calls", "--case", "OP-X", "--home", home
    )
    assert code == 0, err
    assert "07700[bold]900123" in out
    assert "[/x]" in out

    code, out, err = run(capsys, "issues", "--case", "OP-X", "--home", home)
    assert code == 0, err
    # both numbers are invalid (they hold letters), so each is quoted in a phone.invalid issue
    invalid = [line for line in out.splitlines() if "phone.invalid" in line]
    assert len(invalid) == 2
    assert "07700[bold]900123" in invalid[0]
    assert "[/x]" in invalid[1]


def test_markup_in_an_error_message_prints_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "case", "show", "[/x]", "--home", str(tmp_path))
    assert code == 3
    assert "no case with reference '[/x]'" in err


# ---------------------------------------------------------------------------------------------
# 2. the last-resort error handler


def test_unexpected_exception_is_one_line_naming_a_defect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("wheel fell off [/x]\nsecond line")

    monkeypatch.setattr(case_service, "list_cases", broken)
    code, out, err = run(capsys, "case", "list", "--home", str(tmp_path))
    assert code == 70
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "RuntimeError: wheel fell off [/x] second line" in lines[0]
    assert "defect" in lines[0]


def test_database_refusal_is_a_store_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object, **_kwargs: object) -> None:
        raise OperationalError(
            "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(case_service, "list_cases", locked)
    code, _, err = run(capsys, "case", "list", "--home", str(tmp_path))
    assert code == 8
    assert "Traceback" not in err
    assert "database is locked" in err
    assert "try again" in err


# ---------------------------------------------------------------------------------------------
# 3. authorised windows and dates in UK local time


def test_date_only_window_covers_whole_bst_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    cdr = tmp_path / "cdr.csv"
    # Network A writes UTC. Window 2026-06-01..2026-06-30 in BST is
    # 2026-05-31 23:00Z .. 2026-06-30 22:59:59.999999Z.
    cdr.write_text(
        HEADER
        + _row("447700900456", "30/06/2026", "21:30:00")  # 22:30 BST on the 30th: inside
        + _row("447700900456", "30/06/2026", "23:30:00")  # 00:30 BST on 1 July: outside
        + _row("447700900456", "31/05/2026", "22:30:00")  # 23:30 BST on 31 May: outside
        + _row("447700900456", "31/05/2026", "23:30:00"),  # 00:30 BST on 1 June: inside
        encoding="utf-8",
    )
    exhibit = _add_exhibit(
        capsys,
        home,
        cdr,
        "--target",
        "07700900123",
        "--authorisation",
        "OCDA-2026-1",
        "--authorised-from",
        "2026-06-01",
        "--authorised-to",
        "2026-06-30",
    )
    comms = exhibit["comms_data"]
    assert isinstance(comms, dict)
    assert comms["authorised_from"] == "2026-05-31T23:00:00+00:00"
    assert comms["authorised_to"] == "2026-06-30T22:59:59.999999+00:00"

    assert run(capsys, "ingest", "JB/1", "--case", "OP-X", "--home", home)[0] == 0
    issues = run_json(capsys, "issues", "--case", "OP-X", "--home", home)
    assert isinstance(issues, list)
    outside = sorted(i["locator"] for i in issues if i["code"] == "window.outside")
    assert outside == ["row=3", "row=4"]


def test_date_only_window_in_winter_is_gmt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(HEADER + _row("447700900456", "01/12/2026", "10:00:00"), encoding="utf-8")
    exhibit = _add_exhibit(
        capsys,
        home,
        cdr,
        "--authorised-from",
        "2026-12-01",
        "--authorised-to",
        "2026-12-01",
        "--date-produced",
        "2026-12-02",
    )
    comms = exhibit["comms_data"]
    assert isinstance(comms, dict)
    assert comms["authorised_from"] == "2026-12-01T00:00:00+00:00"
    assert comms["authorised_to"] == "2026-12-01T23:59:59.999999+00:00"
    date_produced = exhibit["date_produced"]
    assert isinstance(date_produced, str)
    # GMT: the start of the UK day is midnight UTC (SQLite returns it without the offset)
    assert date_produced.startswith("2026-12-02T00:00:00")


@pytest.mark.parametrize(
    ("given", "expected_from"),
    [
        # no offset: UK local time, BST in July, so one hour earlier in UTC
        ("2026-07-01T10:00", "2026-07-01T09:00:00+00:00"),
        # explicit Z and offsets are honoured, then written in UTC
        ("2026-07-01T10:00Z", "2026-07-01T10:00:00+00:00"),
        ("2026-07-01T10:00+02:00", "2026-07-01T08:00:00+00:00"),
        # no offset in winter: GMT, the same as UTC
        ("2026-01-15T10:00:00", "2026-01-15T10:00:00+00:00"),
    ],
)
def test_date_times_are_uk_local_unless_they_carry_an_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, expected_from: str
) -> None:
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(HEADER, encoding="utf-8")
    # a date-time given for the end is taken as written: no end-of-day extension
    exhibit = _add_exhibit(capsys, home, cdr, "--authorised-from", given, "--authorised-to", given)
    comms = exhibit["comms_data"]
    assert isinstance(comms, dict)
    assert comms["authorised_from"] == expected_from
    assert comms["authorised_to"] == expected_from


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("2026-10-25T01:30", "happens twice"),  # clocks go back at 02:00 BST
        ("2026-03-29T01:30", "happens never"),  # clocks go forward at 01:00 GMT
        ("1 June 2026", "is not an ISO date or date-time"),
    ],
)
def test_unplaceable_window_times_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, words: str
) -> None:
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(HEADER, encoding="utf-8")
    code, _, err = run(
        capsys,
        "exhibit",
        "add",
        str(cdr),
        "--case",
        "OP-X",
        "--ref",
        "JB/1",
        "--producer",
        "P",
        "--description",
        "D",
        "--authorised-from",
        given,
        "--home",
        home,
    )
    assert code == 2
    assert "--authorised-from" in err
    assert words in err


# ---------------------------------------------------------------------------------------------
# 4. exports: policy before disclosure, never into the workspace


def test_export_refused_without_justification_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    before = _audit_entries(capsys, home)
    monkeypatch.setenv("THREADLINE_JUSTIFICATION_REQUIRED", "true")
    outdir = tmp_path / "out"
    outdir.mkdir()
    code, _, err = run(capsys, "audit", "export", str(outdir / "audit.jsonl"), "--home", home)
    assert code == 5
    assert "justification is required for disclosure" in err
    code, _, err = run(
        capsys,
        "sql",
        "SELECT 1 AS one",
        "--case",
        "OP-X",
        "--csv",
        str(outdir / "one.csv"),
        "--home",
        home,
    )
    assert code == 5
    assert "justification is required" in err
    assert list(outdir.iterdir()) == []
    monkeypatch.delenv("THREADLINE_JUSTIFICATION_REQUIRED")
    assert _audit_entries(capsys, home) == before


def test_export_into_the_workspace_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home_dir = tmp_path / "home"
    home = str(home_dir)
    _new_case(capsys, home)
    database = home_dir / "threadline.db"
    original = database.read_bytes()
    before = _audit_entries(capsys, home)
    code, _, err = run(capsys, "audit", "export", str(database), "--home", home)
    assert code == 5
    assert "inside the workspace" in err
    code, _, err = run(
        capsys,
        "sql",
        "SELECT 1 AS one",
        "--case",
        "OP-X",
        "--csv",
        str(home_dir / "evidence" / "one.csv"),
        "--home",
        home,
    )
    assert code == 5
    assert "inside the workspace" in err
    assert not (home_dir / "evidence" / "one.csv").exists()
    assert database.read_bytes() == original
    # refused before the query ran: not even the consultation is logged
    assert _audit_entries(capsys, home) == before


# ---------------------------------------------------------------------------------------------
# 6. a deleted audit head


def test_audit_verify_reports_a_missing_head(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THREADLINE_DATABASE_URL", database_url)
    home = str(tmp_path / "home")
    _new_case(capsys, home)
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_head"))
    finally:
        engine.dispose()
    code, _, err = run(capsys, "audit", "verify", "--home", home)
    assert code == 7
    assert "BROKEN: 1 problem(s)" in err
    assert "entry 1: the head row is missing" in err
    # nothing more can be logged, so nothing more is done
    code, _, err = run(capsys, "case", "new", "--ref", "OP-Y", "--name", "Y", "--home", home)
    assert code == 8
    assert "head row is missing" in err
    outdir = tmp_path / "out"
    outdir.mkdir()
    code, _, err = run(capsys, "audit", "export", str(outdir / "a.jsonl"), "--home", home)
    assert code == 8
    assert list(outdir.iterdir()) == []
