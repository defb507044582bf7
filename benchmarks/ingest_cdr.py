"""Benchmark: Threadline's CDR ingest against DuckDB's own CSV → Parquet of the same files.

For each size asked for, the demo generator writes a scaled Operation Cedar (CSV layouts), then
two measurements run, each in a fresh subprocess so peak memory (ru_maxrss) is its own:

* **threadline** — ``ingest_many`` of every CDR exhibit, one at a time and then two at a time
  (``threadline ingest --all --jobs 2``), as a user ingests a batch of returns: profile mapping,
  E.164 numbers, IMEI keys, cells, UTC times with gap/overlap detection, authorised-window
  checks, raw source rows, provenance columns and row ids, atomic Parquet write;
* **duckdb** — ``COPY (SELECT ... FROM read_csv(...)) TO 'x.parquet'`` with a vectorised E.164
  rewrite of the number columns: the raw conversion the issue calibrates against.

It prints rows, seconds, rows/s and peak RSS for each, and the ratio. Figures, not a timed test::

    .venv/bin/python benchmarks/ingest_cdr.py --rows 1000000 --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def remove_tree(folder: Path) -> None:
    """Delete a benchmark workspace, whose preserved exhibits are read-only by design."""
    if not folder.exists():
        return
    for item in [folder, *folder.rglob("*")]:
        if not item.is_symlink():
            item.chmod(item.stat().st_mode | 0o700)
    shutil.rmtree(folder)


def generate(rows: int, out: Path) -> Path:
    """Generate the scaled demo case once (reused if already there)."""
    from threadline.scenario import generate_case

    folder = out / f"scale-{rows}"
    if not (folder / "ground_truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        generate_case(folder, scale=rows)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def generate_single(rows: int, layout: str, out: Path) -> Path:
    """Generate one return of ``rows`` rows in one layout, with a manifest like ground truth."""
    from threadline.scenario import generate_cdr_file

    folder = out / f"single-{layout}-{rows}"
    if not (folder / "ground_truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        started = time.perf_counter()
        summary = generate_cdr_file(folder / f"{layout}.csv", layout, rows)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        manifest = {
            "exhibits": [
                {
                    "reference": "BM/1",
                    "filename": summary.path.name,
                    "kind": "cdr",
                    "layout": layout,
                    "provider": f"Fictional network ({layout})",
                    "target_msisdn": summary.target_msisdn,
                    "authorisation": "OCDA-2026-BENCH",
                    "window_start": "2026-03-01T00:00:00+00:00",
                    "window_end": "2026-11-15T23:59:59+00:00",
                }
            ]
        }
        (folder / "ground_truth.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _cdr_exhibits(folder: Path) -> list[dict[str, object]]:
    truth = json.loads((folder / "ground_truth.json").read_text("utf-8"))
    # CSV returns only: DuckDB's read_csv has no XLSX twin to compare with
    return [
        e for e in truth["exhibits"] if e["kind"] == "cdr" and str(e["filename"]).endswith(".csv")
    ]


def phase_threadline(folder: Path, work: Path, jobs: int = 1) -> dict[str, float]:
    """Register then ingest every CDR exhibit (``jobs`` at a time); time the ingest only."""
    from datetime import datetime

    from threadline.ingest.context import IngestOptions
    from threadline.services import cases, exhibits, ingest
    from threadline.services.workspace import open_workspace
    from threadline.settings import Settings

    remove_tree(work)
    ws = open_workspace(Settings(home=work, user="benchmark"))
    cases.create_case(ws, "OP-BENCH", "Benchmark")
    items = _cdr_exhibits(folder)
    for item in items:
        comms = exhibits.CommsData(
            provider=str(item["provider"]),
            target_number=str(item["target_msisdn"]),
            authorisation=str(item["authorisation"]),
            authorised_from=datetime.fromisoformat(str(item["window_start"])),
            authorised_to=datetime.fromisoformat(str(item["window_end"])),
        )
        exhibits.add_exhibit(
            ws,
            "OP-BENCH",
            str(item["reference"]),
            folder / str(item["filename"]),
            producer="benchmark",
            description="benchmark",
            comms=comms,
        )
    options = {str(i["reference"]): IngestOptions(profile=str(i["layout"])) for i in items}
    started = time.perf_counter()
    outcomes = ingest.ingest_many(
        ws, "OP-BENCH", list(options), jobs=jobs, parser="cdr_uk", options=options
    )
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise RuntimeError(f"ingest failed: {failed[:3]}")
    rows = sum(o.result.row_counts.get("source_rows", 0) for o in outcomes if o.result)
    seconds = time.perf_counter() - started
    ws.close()
    return {"rows": rows, "seconds": seconds}


def phase_duckdb(folder: Path, work: Path) -> dict[str, float]:
    """DuckDB read_csv → Parquet with a vectorised E.164 rewrite, per CDR file."""
    import duckdb

    from threadline.ingest.parsers.cdr_uk.profile import builtin_profile

    remove_tree(work)
    work.mkdir(parents=True)
    con = duckdb.connect(config={"threads": 2})
    rows = 0
    started = time.perf_counter()
    for n, item in enumerate(_cdr_exhibits(folder)):
        profile = builtin_profile(str(item["layout"]))
        numbers = [
            h
            for f in ("a_party", "b_party", "c_party", "target", "other_party")
            for h in profile.source_headers(f)  # type: ignore[arg-type]
        ]
        rewrites = ", ".join(
            f"""CASE WHEN regexp_replace("{h}", '[^0-9+]', '', 'g') LIKE '0%'
                  THEN '+44' || substr(regexp_replace("{h}", '[^0-9]', '', 'g'), 2)
                  WHEN regexp_replace("{h}", '[^0-9+]', '', 'g') LIKE '+%'
                  THEN regexp_replace("{h}", '[^0-9+]', '', 'g')
                  ELSE '+' || regexp_replace("{h}", '[^0-9]', '', 'g') END AS "{h} e164" """
            for h in numbers
        )
        path = folder / str(item["filename"])
        delim = profile.delimiter.replace("'", "''")
        con.execute(
            f"""COPY (SELECT *, {rewrites} FROM read_csv('{path}', all_varchar = true,
                 header = true, delim = '{delim}'))
                TO '{work / f"{n}.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
        )
        count = con.execute(f"SELECT count(*) FROM '{work / f'{n}.parquet'}'").fetchone()
        rows += int(count[0]) if count else 0
    return {"rows": rows, "seconds": time.perf_counter() - started}


def _child(phase: str, folder: Path, work: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, str(folder), str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Parse arguments and run the benchmark (or one phase, in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, action="append", help="CDR rows (repeat)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--single",
        metavar="LAYOUT",
        help="one return of --rows rows in this layout (network-a, -b or -d) instead of the "
        "demo case's many returns",
    )
    parser.add_argument(
        "--phase", choices=["threadline", "threadline2", "duckdb"], help=argparse.SUPPRESS
    )
    parser.add_argument("paths", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        folder, work = args.paths
        if args.phase == "duckdb":
            figures = phase_duckdb(folder, work)
        else:
            figures = phase_threadline(folder, work, jobs=2 if args.phase == "threadline2" else 1)
        # the largest single process: this one, or (with jobs) its biggest worker
        peak = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        figures["peak_rss_mb"] = peak / 1024
        print(json.dumps(figures))
        return
    sizes = args.rows or [1_000_000]
    print(f"{'rows':>12} {'engine':>10} {'seconds':>9} {'rows/s':>12} {'peak MB':>9}")
    for size in sizes:
        folder = (
            generate_single(size, args.single, args.out)
            if args.single
            else generate(size, args.out)
        )
        duck = _child("duckdb", folder, args.out / f"duckdb-{size}")
        ours = _child("threadline", folder, args.out / f"threadline-{size}")
        # with one return there is nothing to share between two jobs
        ours2 = ours if args.single else _child("threadline2", folder, args.out / f"tl2-{size}")
        runs = [("duckdb", duck), ("threadline", ours)]
        if not args.single:
            runs.append(("2 jobs", ours2))
        for name, fig in runs:
            rate = fig["rows"] / fig["seconds"]
            print(
                f"{int(fig['rows']):>12,} {name:>10} {fig['seconds']:>9.1f} {rate:>12,.0f} "
                f"{fig['peak_rss_mb']:>9.0f}"
            )
        print(
            f"{'':>12} {'ratio':>10} {ours['seconds'] / duck['seconds']:>9.2f}x "
            f"(2 jobs: {ours2['seconds'] / duck['seconds']:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    main()
