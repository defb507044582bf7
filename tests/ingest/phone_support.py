"""Test support shared by the phone-download parser tests (Cellebrite, XRY, Android, iOS, full
file system, vCard): the shared-sample check, the sniffing probe, time and column helpers, the
bounded fuzz harness, small hand-made SQLite files, the store readers' path check and the
end-to-end route through the ingest service.

Kept apart from :mod:`collect_sink` (which every parser test uses) because these helpers reach the
services and hypothesis, which the tabular parser tests do not need.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadline.errors import IngestError
from threadline.ingest.contract import SourceProbe
from threadline.ingest.phone_store import StoreReader, match_path
from threadline.services import cases, exhibits, ingest
from threadline.services.ingest import IngestResult
from threadline.services.workspace import Workspace

#: the offence every end-to-end test case is opened under
OFFENCES = ("MSA2015-s2",)


def shared_sample(path: Path) -> Path:
    """``path`` when the shared third-party sample data holds it (read in place, never copied).

    Without it the test is skipped, except under ``CI=true``, where a missing sample fails: CI
    must run the golden tests against the real files.
    """
    if not path.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the shared sample is missing: {path}")
        pytest.skip(f"shared sample not present: {path}")
    return path


def probe(path: Path, data: bytes | None = None) -> SourceProbe:
    """What the registry shows a parser's ``sniff``: the first 64 KiB and the size of ``path``
    (or of ``data``, when the bytes are already in hand); a folder shows no bytes."""
    if data is None:
        data = path.read_bytes() if path.is_file() else b""
    return SourceProbe(path=path, head=data[:65536], size=len(data))


def utc(*parts: int) -> datetime:
    """``datetime(*parts)`` in UTC (year, month, day, then optionally down to microseconds): an
    expected time written out by hand."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def pick(row: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named columns of ``row``, to compare a few columns at once."""
    return {name: row[name] for name in names}


def fuzz_settings(max_examples: int = 100, *also: HealthCheck) -> settings:
    """Hypothesis settings for a bounded fuzz run: no deadline (a parse may take a while), and
    no health-check failure for slow inputs, function-scoped fixtures (``tmp_path``) or ``also``."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, *also],
    )


def flip_and_cut_fuzz(seed: bytes, name: str, parse: Callable[[Path], Any]) -> Callable[..., None]:
    """A fuzz test of a parser's entry point: ``seed`` with up to 12 bytes overwritten, cut at a
    random length, written as ``name`` and parsed; anything but an
    :class:`~threadline.errors.IngestError` (a crash, a KeyError...) fails the test.

    Assign the result to a ``test_...`` name in the test module for pytest to collect it.
    """

    @fuzz_settings()
    @given(
        cut=st.integers(min_value=0, max_value=len(seed)),
        flips=st.lists(st.tuples(st.integers(0, len(seed) - 1), st.integers(0, 255)), max_size=12),
    )
    def fuzz(tmp_path: Path, cut: int, flips: list[tuple[int, int]]) -> None:
        data = bytearray(seed)
        for position, value in flips:
            data[position] = value
        path = tmp_path / name
        path.write_bytes(bytes(data[:cut]))
        with contextlib.suppress(IngestError):
            parse(path)

    return fuzz


def ingest_new_exhibit(
    ws: Workspace,
    case: str,
    title: str,
    reference: str,
    source: Path,
    *,
    producer: str,
    description: str,
    parser: str | None = None,
) -> IngestResult:
    """End to end: open ``case``, register ``source`` as its exhibit ``reference`` and ingest it
    through the ingest service with ``parser`` (by default the one detection chooses); returns
    the ingest result."""
    cases.create_case(ws, case, title, offences=OFFENCES)
    exhibits.add_exhibit(ws, case, reference, source, producer=producer, description=description)
    return ingest.ingest_exhibit(ws, case, reference, parser=parser)


def sqlite_file(path: Path, *statements: str) -> Path:
    """Run ``statements`` on the SQLite database at ``path`` (created if absent) and commit:
    a small hand-made or hand-damaged database for a bad-input test."""
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()
    return path


def assert_readers_match(readers: tuple[StoreReader, ...], names: dict[str, str]) -> None:
    """Each path inside an extraction is claimed by the store reader named beside it."""
    for path, name in names.items():
        found = match_path(readers, path)
        assert found is not None, path
        assert found.name == name, path
