"""The command line end to end: case, exhibit, ingest, issues, sql, audit, with --json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from threadline.cli.main import main

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)
ROWS = (
    "MOC,447700900123,447700900456,,01/06/2026,13:45:10,65,490154203237510,001010123456789,"
    "234-30-1201-30451,234-30-1201-30452\n"
    'SMS-MO,447700900123,=HYPERLINK("http://x"),,01/06/2026,13:50:00,0,490154203237510,'
    "001010123456789,234-30-1201-30451,\n"
)


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_cli_journey(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(HEADER + ROWS, encoding="utf-8")
    case = run_json(
        capsys,
        "case",
        "new",
        "--ref",
        "OP-CEDAR",
        "--name",
        "Operation Cedar",
        "--offence",
        "MSA2015-s2",
        "--offence",
        "MSA2015-s1",
        "--home",
        home,
    )
    assert isinstance(case, dict)
    assert case["marking"] == "OFFICIAL-SENSITIVE"
    assert case["offences"] == ["MSA2015-s1", "MSA2015-s2"]
    exhibit = run_json(
        capsys,
        "exhibit",
        "add",
        str(cdr),
        "--case",
        "OP-CEDAR",
        "--ref",
        "JB/1",
        "--producer",
        "DC Jo Bloggs",
        "--description",
        "Network A CDR",
        "--target",
        "07700900123",
        "--authorisation",
        "OCDA-2026-1",
        "--home",
        home,
    )
    assert isinstance(exhibit, dict)
    assert exhibit["comms_data"]["target_number"] == "+447700900123"
    result = run_json(capsys, "ingest", "JB/1", "--case", "OP-CEDAR", "--home", home)
    assert isinstance(result, dict)
    assert result["row_counts"] == {"calls": 1, "messages": 1, "source_rows": 2}
    issues = run_json(capsys, "issues", "--case", "OP-CEDAR", "--home", home)
    assert isinstance(issues, list)
    codes = {i["code"]: i for i in issues}
    assert codes["phone.invalid"]["locator"] == "row=3"
    rows = run_json(
        capsys,
        "sql",
        "SELECT locator, b_party_original FROM messages",
        "--case",
        "OP-CEDAR",
        "--home",
        home,
    )
    assert isinstance(rows, dict)
    assert rows["data"] == [{"locator": "row=3", "b_party_original": '=HYPERLINK("http://x")'}]
    out = tmp_path / "out.csv"
    run_json(
        capsys,
        "sql",
        "SELECT b_party_original FROM messages",
        "--case",
        "OP-CEDAR",
        "--csv",
        str(out),
        "--home",
        home,
    )
    with out.open(encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))
    assert written == [["b_party_original"], ['\'=HYPERLINK("http://x")']]
    verify = run_json(capsys, "audit", "verify", "--home", home)
    assert isinstance(verify, dict)
    assert verify["intact"] is True
    # case.new, exhibit.add, ingest, issues, sql, sql + export
    assert verify["entries"] == 7


def test_sql_refuses_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    assert main(["case", "new", "--ref", "OP-X", "--name", "X", "--home", home]) == 0
    code = main(["sql", "COPY calls TO '/tmp/x.csv'", "--case", "OP-X", "--home", home])
    assert code == 5
    assert "only SELECT" in capsys.readouterr().err
    code = main(["sql", "SELECT * FROM read_csv('/etc/passwd')", "--case", "OP-X", "--home", home])
    assert code == 8


def test_unknown_case_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["case", "show", "OP-NONE", "--home", str(tmp_path)])
    assert code == 3
    assert "no case with reference 'OP-NONE'" in capsys.readouterr().err


def test_secret_marking_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "case",
            "new",
            "--ref",
            "OP-S",
            "--name",
            "S",
            "--marking",
            "SECRET",
            "--home",
            str(tmp_path),
        ]
    )
    assert code == 5
    assert "requirement 10" in capsys.readouterr().err


def test_profiles_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "profiles", "list")
    assert isinstance(data, list)
    assert [p["name"] for p in data] == ["network-a", "network-b", "network-c", "network-d"]
