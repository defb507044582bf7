"""The analyse and judge commands end to end, with --json: a return ingested, an analysis run
and repeated, a judgement recorded and reversed, errors named.

T1's return (times UTC): T1 -> X 09:00 (60 s), X -> T1 10:00 (30 s). By hand: T1's profile has
2 call events (1 made, 1 received), 90 s of calls, one counterpart (X).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threadline.cli.main import main

HEADER = (
    "Call Type,Originating Number,Terminating Number,Forwarded Number,Call Date,Call Time,"
    "Duration (secs),IMEI,IMSI,Start Cell ID,End Cell ID\n"
)
ROWS = (
    "MOC,447700900001,447700900100,,01/06/2026,09:00:00,60,,,,\n"
    "MTC,447700900100,447700900001,,01/06/2026,10:00:00,30,,,,\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_analyse_and_judge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    cdr = tmp_path / "cdr.csv"
    cdr.write_text(HEADER + ROWS, encoding="utf-8")
    run_json(capsys, "case", "new", "--ref", "OP-OAK", "--name", "Operation Oak", "--home", home)
    run_json(
        capsys,
        "exhibit",
        "add",
        str(cdr),
        "--case",
        "OP-OAK",
        "--ref",
        "JB/1",
        "--producer",
        "DC Test",
        "--description",
        "return",
        "--home",
        home,
    )
    run_json(capsys, "ingest", "JB/1", "--case", "OP-OAK", "--time-basis", "utc", "--home", home)
    listed = run_json(capsys, "analyse", "--list", "--home", home)
    assert isinstance(listed, list)
    assert "common_contacts" in {a["name"] for a in listed}

    args = ("analyse", "contact-profile", "--case", "OP-OAK", "-p", "numbers=07700 900001")
    first = run_json(capsys, *args, "--home", home)
    assert isinstance(first, dict)
    assert first["method"] == "contact_profile@1.1.0"
    assert first["parameters"]["numbers"] == ["+447700900001"]
    (profile,) = first["findings"]
    assert profile["detail"]["events_by_medium"] == {"call": {"made": 1, "received": 1}}
    assert profile["detail"]["call_seconds"] == 90
    again = run_json(capsys, *args, "--home", home)
    assert isinstance(again, dict)
    assert again["already_done"] is True

    code, out, _err = run(capsys, *args, "--home", home)
    assert code == 0
    assert "already done" in out
    assert "+447700900001: 2 contact event(s)" in out
    profile_id = profile["finding_id"]
    assert f"finding {profile_id}, 2 row(s)" in out

    # T1 and X form a community of two; its two rows are named by its links and listed here
    ran = run_json(
        capsys, "analyse", "communities", "--case", "OP-OAK", "-p", "min_size=2", "--home", home
    )
    assert isinstance(ran, dict)
    (pair,) = ran["findings"]
    assert (pair["derived_from"], pair["rows_cited"]) == ([], 2)
    rows = run_json(
        capsys, "finding", "rows", pair["finding_id"], "--case", "OP-OAK", "--home", home
    )
    assert isinstance(rows, dict)
    assert (rows["total"], rows["changed"]) == (2, False)
    assert [r["exhibit"] for r in rows["rows"]] == ["JB/1", "JB/1"]
    assert sorted(r["row_id"] for r in rows["rows"]) == sorted(profile["derived_from"])
    code, out, _err = run(
        capsys, "finding", "rows", pair["finding_id"], "--case", "OP-OAK", "--home", home
    )
    assert code == 0
    assert "2 row(s), named by the links among 2 nodes; 2 when the analysis ran" in out
    code, _out, err = run(capsys, "finding", "rows", "0" * 32, "--case", "OP-OAK", "--home", home)
    assert code != 0
    assert "no such finding in case OP-OAK" in err

    judged = run_json(
        capsys,
        "judge",
        "07700900001",
        "number:07700900100",
        "--same",
        "--reason",
        "one handset throughout",
        "--case",
        "OP-OAK",
        "--home",
        home,
    )
    assert isinstance(judged, dict)
    assert (judged["first"], judged["verdict"]) == ("number:+447700900001", "same")
    # the judgement changes what the analysis reads: a new run
    after = run_json(capsys, *args, "--home", home)
    assert isinstance(after, dict)
    assert after["already_done"] is False
    reversed_ = run_json(
        capsys,
        "judge",
        "--reverse",
        judged["judgement_id"],
        "--reason",
        "wrong pair",
        "--case",
        "OP-OAK",
        "--home",
        home,
    )
    assert isinstance(reversed_, dict)
    assert reversed_["in_force"] is False
    assert run_json(capsys, "judgements", "--case", "OP-OAK", "--home", home) == []

    code, _out, err = run(
        capsys, "analyse", "common_contacts", "--case", "OP-OAK", "-p", "k=0", "--home", home
    )
    assert code == 2
    assert "k: Input should be greater than or equal to 1" in err
    code, _out, err = run(capsys, "judge", "a", "b", "--case", "OP-OAK", "--home", home)
    assert code == 2
    assert "exactly one of --same, --not-same, --unsure" in err
