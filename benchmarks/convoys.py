"""Benchmark: the ``convoys`` analysis against the bare DuckDB self-join it is built on.

Synthetic ANPR reads (``--reads``, default 5,000,000) over ``--cameras`` cameras (default 500)
and ``--days`` days are written once to a DuckDB file in the canonical ``anpr_reads`` and
``anpr_cameras`` layouts (reused on the next run). Traffic: ``--vehicles`` vehicles (default
100,000) each read at random times, cameras chosen with a skew (camera k's share falls like
1/sqrt(k): a few motorway-busy cameras, many quiet ones), a direction N or S at random. Planted
in it:

* ``--convoys`` pairs (default 5) that drive one route of five quiet cameras together on three
  days, 5-45 s apart, either of them ahead;
* one **busy-road pair**: two vehicles read together at the five busiest cameras on one day, as
  two strangers in motorway traffic would be.

Then, ``--repeat`` times (default 3), each in a fresh subprocess so that peak memory (ru_maxrss)
is its own, over the same file attached read-only as a case's read copy is:

* **bare**: the self-join alone, as an analyst would write it in DuckDB: reads joined to reads on
  camera and a one-window time bucket (the same bucket and the next), the exact gap and the
  direction filtered, grouped by pair, pairs at ``--min-cameras`` distinct cameras kept;
* **convoys**: ``Convoys().run`` with the same window and minimum: camera rates, scores, the
  ``--top`` pairs with every occasion, camera-list rows, finding records and explanations.

It prints each run's seconds and peak RSS, the medians and their ratio, and whether every planted
convoy was found (and where the busy-road pair ranked). Figures, not a timed test::

    .venv/bin/python benchmarks/convoys.py
    .venv/bin/python benchmarks/convoys.py --reads 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = datetime(2026, 5, 4, tzinfo=UTC)  # a Monday
# 23 letters: no I, Q or Z, as in current-format random letters (and memory tags)
LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
BUSY_PAIR = ("TV26BSY", "UV26BSY")

BARE_SQL = """
WITH reads AS (
    SELECT vrm, camera_id, NULLIF(direction, '') AS direction, epoch(read_utc) AS t,
           CAST(FLOOR(epoch(read_utc) / $window) AS BIGINT) AS bucket
    FROM anpr_reads
    WHERE vrm <> '' AND read_utc IS NOT NULL
),
pairs AS (
    SELECT x.vrm AS vrm1, y.vrm AS vrm2, x.camera_id
    FROM reads AS x JOIN reads AS y
      ON y.camera_id = x.camera_id AND y.bucket = x.bucket AND x.vrm < y.vrm
    WHERE ABS(y.t - x.t) <= $window
      AND (x.direction IS NULL OR y.direction IS NULL OR x.direction = y.direction)
    UNION ALL
    SELECT LEAST(x.vrm, y.vrm), GREATEST(x.vrm, y.vrm), x.camera_id
    FROM reads AS x JOIN reads AS y
      ON y.camera_id = x.camera_id AND y.bucket = x.bucket + 1 AND x.vrm <> y.vrm
    WHERE y.t - x.t <= $window
      AND (x.direction IS NULL OR y.direction IS NULL OR x.direction = y.direction)
)
SELECT vrm1, vrm2, COUNT(DISTINCT camera_id) AS cameras
FROM pairs
GROUP BY vrm1, vrm2
HAVING COUNT(DISTINCT camera_id) >= $min_cameras
"""


def _mark(prefix: str, n: int) -> str:
    """A fictional current-format mark: memory tag T or U (assigned to no DVLA region)."""
    return f"{prefix}{LETTERS[n % 23]}{10 + n // 23 % 90}{LETTERS[n // 2070 % 23]}CV"


def _planted(cameras: int, days: int, convoys: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The planted reads (row dictionaries) and the planted pairs as ``vrm1|vrm2``."""
    rng = random.Random(20260504)
    rows: list[dict[str, Any]] = []
    pairs: list[str] = []
    quiet = list(range(cameras * 3 // 5, cameras))  # the quieter two fifths
    for k in range(convoys):
        one, two = sorted((_mark("T", k), _mark("U", k)))
        pairs.append(f"{one}|{two}")
        route = rng.sample(quiet, 5)
        for trip in range(3):
            at = START + timedelta(days=(k + 7 * trip) % days, hours=rng.randint(7, 20))
            for camera in route:
                at += timedelta(seconds=rng.randint(120, 900))
                gap = timedelta(seconds=rng.randint(5, 45) * rng.choice((-1, 1)))
                direction = rng.choice("NS")
                rows.append({"vrm": one, "camera": camera, "at": at, "direction": direction})
                rows.append({"vrm": two, "camera": camera, "at": at + gap, "direction": direction})
    at = START + timedelta(days=1, hours=8)
    for camera in range(5):  # the busiest cameras
        at += timedelta(seconds=rng.randint(120, 600))
        for n, vrm in enumerate(BUSY_PAIR):
            rows.append(
                {
                    "vrm": vrm,
                    "camera": camera,
                    "at": at + timedelta(seconds=12 * n),
                    "direction": "N",
                }
            )
    return rows, pairs


def generate(path: Path, reads: int, cameras: int, vehicles: int, days: int, convoys: int) -> None:
    """Write the synthetic evidence (canonical columns and types) to a DuckDB file."""
    import duckdb

    from threadline.model.evidence_schema import table

    types = {"string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "bool": "BOOLEAN"}
    types["timestamp"] = "TIMESTAMPTZ"
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial), config={"threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    for name in ("anpr_reads", "anpr_cameras"):
        columns = ", ".join(f"{c.name} {types[str(c.type)]}" for c in table(name).columns)
        con.execute(f"CREATE TABLE {name} ({columns})")
    con.execute("SELECT setseed(0.5)")
    mark = (
        "CASE WHEN v % 2 = 0 THEN 'T' ELSE 'U' END"
        " || substr($letters, CAST(v // 2 % 23 AS INT) + 1, 1)"
        " || CAST(10 + v // 46 % 90 AS VARCHAR)"
        " || substr($letters, CAST(v // 4140 % 23 AS INT) + 1, 1)"
        " || substr($letters, CAST(v // 95220 % 23 AS INT) + 1, 1) || 'B'"
    )
    con.execute(
        f"""
        INSERT INTO anpr_reads BY NAME
        SELECT md5(CAST(i AS VARCHAR)) AS row_id, 'bm-reads' AS exhibit_id,
               'row=' || CAST(i + 2 AS VARCHAR) AS locator, 'anpr@1.0.0' AS parser,
               {mark} AS vrm, {mark} AS vrm_original, 'current' AS vrm_format,
               read_utc, read_utc AS read_earliest_utc, read_utc AS read_latest_utc,
               'exact' AS read_status, 'CAM' || CAST(10000 + c AS VARCHAR) AS camera_id,
               'Site ' || CAST(c AS VARCHAR) AS camera_name, direction,
               direction AS direction_original, 'UTC' AS time_basis
        FROM (
            SELECT i, CAST(FLOOR(random() * $vehicles) AS BIGINT) AS v,
                   CAST(FLOOR(POW(random(), 2) * $cameras) AS BIGINT) AS c,
                   make_timestamptz(CAST($start_us + FLOOR(random() * $days * 86400) * 1000000
                                         AS BIGINT)) AS read_utc,
                   CASE WHEN random() < 0.5 THEN 'N' ELSE 'S' END AS direction
            FROM range($reads) AS r(i)
        ) AS drawn
        """,
        {
            "letters": LETTERS,
            "vehicles": vehicles,
            "cameras": cameras,
            "days": days,
            "reads": reads,
            "start_us": int(START.timestamp() * 1_000_000),
        },
    )
    planted, pairs = _planted(cameras, days, convoys)
    con.executemany(
        "INSERT INTO anpr_reads (row_id, exhibit_id, locator, vrm, camera_id, camera_name, "
        "read_utc, read_earliest_utc, read_latest_utc, read_status, direction) "
        "VALUES (?, 'bm-planted', ?, ?, ?, ?, ?, ?, ?, 'exact', ?)",
        [
            (
                f"planted-{n}",
                f"row={n + 2}",
                r["vrm"],
                f"CAM{10000 + r['camera']}",
                f"Site {r['camera']}",
                r["at"],
                r["at"],
                r["at"],
                r["direction"],
            )
            for n, r in enumerate(planted)
        ],
    )
    con.execute(
        """
        INSERT INTO anpr_cameras BY NAME
        SELECT md5('camera' || CAST(c AS VARCHAR)) AS row_id, 'bm-cameras' AS exhibit_id,
               'row=' || CAST(c + 2 AS VARCHAR) AS locator,
               'CAM' || CAST(10000 + c AS VARCHAR) AS camera_id,
               'Site ' || CAST(c AS VARCHAR) AS site_name,
               CASE WHEN c < 25 THEN 'M99' ELSE 'B' || CAST(9000 + c // 10 AS VARCHAR) END
                   AS road,
               52.0 + c / 1000.0 AS latitude, -1.5 - c / 1000.0 AS longitude
        FROM range($cameras) AS r(c)
        """,
        {"cameras": cameras},
    )
    con.execute("CHECKPOINT")
    con.close()
    partial.rename(path)
    path.with_suffix(".json").write_text(json.dumps({"planted": pairs}), encoding="utf-8")
    print(f"generated {reads:,} reads in {time.perf_counter() - started:.1f} s", flush=True)


def _connect(path: Path) -> Any:
    import duckdb

    con = duckdb.connect(":memory:", config={"threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{path}' AS readcopy (READ_ONLY)")
    for name in ("anpr_reads", "anpr_cameras"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM readcopy.{name}")
    return con


def phase(name: str, path: Path, window: int, min_cameras: int, top: int) -> dict[str, Any]:
    """One measurement (in a child process): seconds, peak RSS and what was found."""
    con = _connect(path)
    if name == "bare":
        started = time.perf_counter()
        rows = con.execute(BARE_SQL, {"window": window, "min_cameras": min_cameras}).fetchall()
        seconds = time.perf_counter() - started
        found = [f"{r[0]}|{r[1]}" for r in rows]
        scores: list[float] = []
    else:
        from threadline.analysis.convoys import Convoys, ConvoysParameters
        from threadline.analysis.evidence import Evidence

        parameters = ConvoysParameters(window_seconds=window, min_cameras=min_cameras, top=top)
        started = time.perf_counter()
        findings = Convoys().run(Evidence(con), parameters)
        seconds = time.perf_counter() - started
        found = ["|".join(f.subjects) for f in findings]
        scores = [float(f.score or 0.0) for f in findings]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss_mb, "found": found, "scores": scores}


def _child(name: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--db",
        str(path),
        "--window",
        str(args.window),
        "--min-cameras",
        str(args.min_cameras),
        "--top",
        str(args.top),
    ]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Parse arguments and run the benchmark (or one measurement, in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=5_000_000)
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--convoys", type=int, default=5)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--min-cameras", type=int, default=3)
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--phase", choices=["bare", "convoys"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.db, args.window, args.min_cameras, args.top)))
        return
    if args.cameras < 10 or args.days < 15 or args.vehicles > 2_000_000:
        parser.error("at least 10 cameras and 15 days, at most 2,000,000 vehicles")
    stem = f"convoys-{args.reads}-{args.cameras}-{args.vehicles}-{args.days}-{args.convoys}"
    path = args.out / f"{stem}.duckdb"
    if not path.exists():
        generate(path, args.reads, args.cameras, args.vehicles, args.days, args.convoys)
    planted = json.loads(path.with_suffix(".json").read_text("utf-8"))["planted"]
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "convoys": []}
    for n in range(args.repeat):
        for name in runs:
            result = _child(name, path, args)
            runs[name].append(result)
            print(
                f"run {n + 1} {name:8} {result['seconds']:6.2f} s  peak RSS "
                f"{result['rss_mb']:6.0f} MB  {len(result['found'])} pairs",
                flush=True,
            )
    medians = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    rss = {k: max(r["rss_mb"] for r in v) for k, v in runs.items()}
    print(f"{args.reads:,} reads, {args.cameras} cameras, window {args.window} s:")
    for name in runs:
        print(f"  {name:8} median {medians[name]:.2f} s, peak RSS {rss[name]:.0f} MB")
    print(f"  ratio convoys / bare: {medians['convoys'] / medians['bare']:.2f}")
    found = runs["convoys"][-1]["found"]
    scores = runs["convoys"][-1]["scores"]
    hits = [p for p in planted if p in found]
    print(
        f"  planted convoys found: {len(hits)} of {len(planted)} (bare query: "
        f"{sum(p in runs['bare'][-1]['found'] for p in planted)} of {len(planted)})"
    )
    for pair in planted:
        if pair in found:
            rank = found.index(pair)
            print(f"    {pair}: rank {rank + 1}, score {scores[rank]:.2f}")
        else:
            print(f"    {pair}: NOT FOUND")
    busy = "|".join(BUSY_PAIR)
    if busy in found:
        rank = found.index(busy)
        print(f"  busy-road pair {busy}: rank {rank + 1} of {len(found)}, score {scores[rank]:.4f}")
    else:
        print(f"  busy-road pair {busy}: not among the top {args.top}")
    if len(hits) < len(planted):
        sys.exit(1)


if __name__ == "__main__":
    main()
