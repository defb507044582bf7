"""Benchmark: web search and entity-profile latency under a bounded concurrent load.

Builds the demo case at ``--scale`` CDR rows (once; reused), starts ``threadline serve`` on
127.0.0.1 in its own process, signs in, and then drives it from this process with
``--concurrency`` simultaneous clients over the loopback: search requests (numbers written in
several forms, IMEIs, words) and entity-profile requests for the busiest numbers and handsets.
Every request is a full round trip through sign-in session, CSRF, the case-access check, the
service and its consultation entry in the audit log. It prints median, p95 and max latency and
throughput for each kind. Figures, not a timed test::

    .venv/bin/python benchmarks/web_latency.py --scale 1000000 --requests 400 --concurrency 4
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
THREADLINE = Path(sys.executable).with_name("threadline")


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def build(home: Path, scale: int) -> str:
    """Build (or reuse) the scaled demo case; return its reference."""
    env = {**os.environ, "THREADLINE_HOME": str(home)}
    started = time.perf_counter()
    out = subprocess.run(
        [str(THREADLINE), "demo", "--scale", str(scale), "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    summary = json.loads(out.stdout)
    rows = sum(e["rows"] for e in summary["exhibits"])
    print(
        f"demo case {summary['case']}: {rows:,} CDR rows, search index "
        f"{summary['search_index_rows']:,} rows, ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return str(summary["case"])


def sql(home: Path, case: str, query: str) -> list[dict[str, Any]]:
    """Rows of a read-only query over the case's evidence (to choose what to ask for)."""
    env = {**os.environ, "THREADLINE_HOME": str(home)}
    out = subprocess.run(
        [str(THREADLINE), "sql", "--case", case, query, "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows: list[dict[str, Any]] = json.loads(out.stdout)["data"]
    return rows


def serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start the web application and wait until it answers."""
    env = {**os.environ, "THREADLINE_HOME": str(home)}
    process = subprocess.Popen(
        [
            str(THREADLINE),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def sign_in(base: str, username: str, password: str) -> tuple[httpx.Client, str]:
    """A client signed in as the user, and its CSRF token."""
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    home = client.get("/").text
    meta = re.search(r'name="csrf-token" content="([^"]+)"', home)
    if meta is None:
        raise SystemExit("sign-in failed")
    return client, meta.group(1)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def run_load(
    name: str,
    requests: list[tuple[str, str, dict[str, Any] | None]],
    clients: list[tuple[httpx.Client, str]],
) -> dict[str, Any]:
    """Send the requests with one thread per client; return latency figures in ms."""
    latencies: list[float] = []
    failures = 0

    def worker(index: int) -> tuple[list[float], int]:
        client, token = clients[index]
        mine: list[float] = []
        bad = 0
        for number, (method, url, body) in enumerate(requests):
            if number % len(clients) != index:
                continue
            started = time.perf_counter()
            if method == "POST":
                response = client.post(url, json=body, headers={"X-CSRF-Token": token})
            else:
                response = client.get(url)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                bad += 1
        return mine, bad

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        for mine, bad in pool.map(worker, range(len(clients))):
            latencies.extend(mine)
            failures += bad
    elapsed = time.perf_counter() - started
    figures = {
        "requests": len(latencies),
        "failures": failures,
        "median_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
        "per_second": len(latencies) / elapsed,
    }
    print(
        f"{name:15s} {figures['requests']:5d} requests  median {figures['median_ms']:6.1f} ms  "
        f"p95 {figures['p95_ms']:6.1f} ms  max {figures['max_ms']:6.1f} ms  "
        f"{figures['per_second']:6.1f}/s  failures {failures}",
        flush=True,
    )
    return figures


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400, help="per kind")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--home", type=Path, default=HERE / ".work" / "web")
    args = parser.parse_args()

    args.home.mkdir(parents=True, exist_ok=True)
    case = build(args.home, args.scale)
    busiest = sql(
        args.home,
        case,
        "SELECT a_party AS n, count(*) AS c FROM calls WHERE a_party IS NOT NULL "
        "GROUP BY 1 ORDER BY c DESC LIMIT 20",
    )
    handsets = sql(
        args.home,
        case,
        "SELECT imei AS i, count(*) AS c FROM calls WHERE imei IS NOT NULL "
        "GROUP BY 1 ORDER BY c DESC LIMIT 10",
    )
    numbers = [str(r["n"]) for r in busiest]
    print(f"busiest number has {busiest[0]['c']:,} calls made", flush=True)

    port = free_port()
    server = serve(args.home, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        clients = [sign_in(base, "demo", "cedar-demo-2026") for _ in range(args.concurrency)]
        client, token = clients[0]
        cases = client.get("/api/cases").json()
        case_id = next(c["id"] for c in cases if c["reference"] == case)

        def written_forms(e164: str) -> list[str]:
            national = "0" + e164[3:]
            return [national, f"{national[:5]} {national[5:]}", e164, e164[1:]]

        queries = [form for n in numbers for form in written_forms(n)]
        queries += [str(h["i"]) for h in handsets] + ["no such words here"]
        search_url = f"/api/cases/{case_id}/search"
        searches = [
            ("POST", search_url, {"q": queries[i % len(queries)], "limit": 50})
            for i in range(args.requests)
        ]
        entity_ids = []
        for number in numbers + [str(h["i"]) for h in handsets]:
            found = client.post(
                search_url, json={"q": number, "limit": 1}, headers={"X-CSRF-Token": token}
            ).json()
            entity_ids.extend(e["entity_id"] for e in found["entities"][:1])
        profiles = [
            ("GET", f"/api/cases/{case_id}/entities/{entity_ids[i % len(entity_ids)]}", None)
            for i in range(args.requests)
        ]
        # warm both paths once (index open, first DuckDB connection) before measuring
        run_load("warm-up", searches[:8] + profiles[:8], clients)
        print(
            f"\n{args.scale:,}-row demo, {args.concurrency} concurrent clients, "
            f"{args.workers} server workers, loopback",
            flush=True,
        )
        results = {
            "search": run_load("search", searches, clients),
            "entity profile": run_load("entity profile", profiles, clients),
        }
        print(json.dumps(results, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
