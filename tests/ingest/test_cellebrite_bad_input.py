"""Hostile and broken Cellebrite exhibits, through the real ingest service: each is refused with
an error naming the file and the place, the run is recorded as failed and no evidence row
becomes visible. Then a bounded fuzz of the parser's entry point over mutated fixture bytes."""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from collect_sink import run_parser
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from phone_support import fuzz_settings
from sqlalchemy import select

from threadline.errors import HostileInput, IngestError, ParseError
from threadline.ingest.parsers.cellebrite.parser import CellebriteParser
from threadline.services import cases, exhibits, ingest, query
from threadline.services.workspace import Workspace, open_workspace
from threadline.settings import Settings
from threadline.store.tables import IngestRunRow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cellebrite"
UFDR = FIXTURES / "synthetic.ufdr"
REPORT = FIXTURES / "report.xml"
NS = "http://pa.cellebrite.com/report/2.0"
TABLES = ("calls", "messages", "contacts", "devices", "accounts", "locations", "media")

XXE = f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<project xmlns="{NS}" reportVersion="7.60"><decodedData><modelType type="SMS">
<model type="SMS" id="x1"><field name="Body"><value>&secret;</value></field></model>
</modelType></decodedData></project>
"""

LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<project xmlns="{NS}"><decodedData><modelType type="SMS">
<model type="SMS" id="x1"><field name="Body"><value>&lol9;</value></field></model>
</modelType></decodedData></project>
"""


@pytest.fixture
def make_workspace(tmp_path: Path) -> Iterator[Callable[..., Workspace]]:
    """A factory of SQLite workspaces with chosen container limits (closed afterwards)."""
    opened: list[Workspace] = []

    def make(**limits: float) -> Workspace:
        home = tmp_path / f"home{len(opened)}"
        ws = open_workspace(Settings(home=home, user="analyst.test", **limits))
        cases.create_case(ws, "OP-CEDAR", "Operation Cedar")
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


def _ufdr(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _refused(ws: Workspace, source: Path, error: type[IngestError]) -> IngestError:
    """Register and ingest ``source``; check the refusal left a failed run and no rows."""
    exhibits.add_exhibit(ws, "OP-CEDAR", "JB/9", source, producer="P", description="handset")
    with pytest.raises(error) as caught:
        ingest.ingest_exhibit(ws, "OP-CEDAR", "JB/9", parser="cellebrite")
    with ws.session() as session:
        runs = session.execute(select(IngestRunRow)).scalars().all()
        assert [(r.parser, r.status) for r in runs] == [("cellebrite@1.0.0", "failed")]
        assert runs[0].error
    for table in TABLES:
        counted = query.run_sql(ws, "OP-CEDAR", f"SELECT count(*) AS n FROM {table}")
        assert counted.to_pylist() == [{"n": 0}], table
    assert not list(ws.evidence.root.rglob("*.parquet"))
    return caught.value


def test_external_entity_in_a_bare_report_is_hostile(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    source = tmp_path / "report.xml"
    source.write_text(XXE, encoding="utf-8")
    refused = _refused(make_workspace(), source, HostileInput)
    assert refused.path == "report.xml"
    assert "DOCTYPE" in str(refused)


def test_billion_laughs_inside_a_ufdr_is_hostile(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    source = _ufdr(tmp_path / "laughs.ufdr", {"report.xml": LAUGHS.encode()})
    refused = _refused(make_workspace(), source, HostileInput)
    assert refused.path == "report.xml"


def test_path_traversal_member_is_hostile(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    source = _ufdr(
        tmp_path / "climb.ufdr",
        {"report.xml": REPORT.read_bytes(), "../../etc/cron.d/evil": b"* * * * * root true\n"},
    )
    refused = _refused(make_workspace(), source, HostileInput)
    assert refused.path == "climb.ufdr"
    assert "../../etc/cron.d/evil" in (refused.locator or "")


def test_zip_bomb_by_ratio_is_hostile(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    # 8 MiB of spaces inside a valid report compresses about 1000:1 (the default limit is 200)
    padded = REPORT.read_bytes().replace(b"<decodedData>", b"<decodedData>" + b" " * 8 * 1024**2)
    source = _ufdr(tmp_path / "bomb.ufdr", {"report.xml": padded})
    refused = _refused(make_workspace(), source, HostileInput)
    assert "expands" in str(refused)
    assert "report.xml" in (refused.locator or "")


def test_zip_bomb_by_lowered_ratio_setting(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    # 2 MiB of repeated report text compresses well beyond 5:1
    report = REPORT.read_bytes()
    source = _ufdr(tmp_path / "big.ufdr", {"report.xml": report, "files/pad.txt": report * 60})
    refused = _refused(make_workspace(container_max_ratio=5.0), source, HostileInput)
    assert "files/pad.txt" in (refused.locator or "")


def test_zip_bomb_by_lowered_size_setting(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    source = _ufdr(tmp_path / "large.ufdr", {"report.xml": REPORT.read_bytes()})
    refused = _refused(make_workspace(container_max_bytes=10_000), source, HostileInput)
    assert "THREADLINE_CONTAINER_MAX_BYTES" in str(refused)


def test_truncated_report_fails_with_line_and_column(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    data = REPORT.read_bytes()
    cut = data.index(b'<model type="SMS"')  # part-way through the file
    source = tmp_path / "report.xml"
    source.write_bytes(data[: cut + 40])
    refused = _refused(make_workspace(), source, ParseError)
    assert refused.path == "report.xml"
    locator = refused.locator or ""
    assert locator.startswith("line=")
    assert ", column=" in locator
    line = int(locator.split(",")[0].removeprefix("line="))
    assert line >= data[:cut].count(b"\n") + 1


def test_truncated_report_inside_a_ufdr_fails(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    data = REPORT.read_bytes()
    source = _ufdr(tmp_path / "cut.ufdr", {"report.xml": data[: len(data) // 2]})
    refused = _refused(make_workspace(), source, ParseError)
    assert refused.path == "report.xml"
    assert "line=" in (refused.locator or "")


def test_ufdr_without_report_fails(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    source = _ufdr(tmp_path / "empty.ufdr", {"files/Image/a.jpg": b"\xff\xd8\xff"})
    refused = _refused(make_workspace(), source, ParseError)
    assert "no report.xml" in str(refused)


def test_corrupt_report_member_is_a_parse_error(tmp_path: Path) -> None:
    data = bytearray(UFDR.read_bytes())
    with zipfile.ZipFile(UFDR) as archive:
        info = archive.getinfo("report.xml")
    # flip a byte inside the compressed report (after its 30-byte local header and name)
    start = info.header_offset + 30 + len("report.xml")
    data[start + info.compress_size // 2] ^= 0xFF
    broken = tmp_path / "broken.ufdr"
    broken.write_bytes(bytes(data))
    with pytest.raises(ParseError) as caught:
        run_parser(CellebriteParser(), broken, exhibit_id="e1", reference="JB/2")
    # inflating fails (the UFDR and member are named) or gives bytes that are not XML (the
    # report, line and column are named)
    assert (caught.value.path, caught.value.locator) in {
        ("broken.ufdr", "member='report.xml'"),
    } or (caught.value.path == "report.xml" and "line=" in (caught.value.locator or ""))


# -- fuzz -------------------------------------------------------------------------------------

_SEEDS = {"report.xml": REPORT.read_bytes(), "synthetic.ufdr": UFDR.read_bytes()}


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(_SEEDS)))
    data = bytearray(_SEEDS[name])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=24))
        elif data:
            del data[at : at + draw(st.integers(1, 64))]
    return name, bytes(data)


@fuzz_settings(100, HealthCheck.data_too_large)
@given(_mutated())
def test_fuzz_parse_raises_only_ingest_errors(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with contextlib.suppress(IngestError):
            run_parser(CellebriteParser(), path, exhibit_id="e1", reference="JB/2")
