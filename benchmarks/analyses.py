"""Benchmark: the analyses at scale, each beside the bare DuckDB query or igraph call it rests on.

Issue 5's benchmark: with the demo generator at ``--rows`` CDR rows (default 10,000,000) and
``--reads`` ANPR reads (default 5,000,000), the time and peak memory of common contacts,
co-location, a contact profile, convoy detection, successor detection, communities and key
players, each measured beside the same question answered bare, in the same run. Goals (the
2-core machine): each analysis within 1.5x of its bare counterpart, findings and explanations
included; the interactive ones (common contacts, co-location among targets, a profile) under
1 s.

The evidence (made once, reused from ``--out``, default ``benchmarks/out/``, gitignored):

* **CDRs**: the demo generator's scaled Operation Cedar (``generate_case(scale=rows)``, as
  ``benchmarks/ingest_cdr.py`` makes it: the five core returns plus one bulk target line per
  ~25,000 rows, :mod:`threadline.scenario.bulk`) and its operator cell list, ingested by
  Threadline itself (``ingest_many``, two jobs) into a benchmark workspace, so the Parquet files
  are exactly the canonical ``calls``, ``messages``, ``data_sessions`` and ``cell_sites`` the
  store holds for a real case (one file per table per exhibit);
* **ANPR**: ``benchmarks/convoys.py``'s synthetic reads (5 planted convoys, one busy-road pair),
  written by it to a DuckDB file and copied here to Parquet in the canonical ``anpr_reads`` and
  ``anpr_cameras`` layouts beside the CDR files.

Every measurement opens the evidence as the analyse service does (``EvidenceStore.connect``: an
in-memory DuckDB, two threads, one view per canonical table over the Parquet files, locked
down), in a fresh subprocess so that its peak RSS (``ru_maxrss``) is its own, and times only the
work (``time.perf_counter``), not the interpreter's start or the views. With ``--store
readcopy`` the views read the case's DuckDB read copy instead (what the web application and the
analyse service use once ``threadline demo`` or the search index has made one).

Each analysis, bare and Threadline:

=================  ==============================================  ==============================
analysis           bare (DuckDB SQL / igraph)                      Threadline
=================  ==============================================  ==============================
common_contacts    calls+messages rows touching 10 targets,        ``CommonContacts`` (k=2)
                   numbers with >= 2 distinct targets
co_location        start-cell placements of the 10 targets, self-  ``CoLocation`` (cell, 15 min,
                   join on cell and 15-minute time bucket (the     30 min data look-back)
                   same or the next), gap <= 15 min, pairs >= 2
contact_profile    one number's rows by medium, role, weekday and  ``ContactProfile`` (the busiest
                   hour; counterparts (grouping sets)              target)
co_location_all    as co_location over every target's placements   ``CoLocation``, every target
convoys            ``convoys.BARE_SQL`` (the reads self-join)      ``Convoys`` (60 s, 3 cameras)
successor_numbers  quiet gaps >= 14 days, numbers first seen       ``SuccessorNumbers`` (defaults)
                   within 14 days after, >= 2 shared counterparts
communities        contact pairs aggregated in DuckDB, igraph      ``Communities`` (defaults)
                   ``community_leiden`` (modularity, 2 iterations)
key_players        the same graph, igraph degree, strength,        ``KeyPlayers`` (defaults: all
                   betweenness, harmonic closeness, eigenvector,   measures, exact)
                   coreness, components
=================  ==============================================  ==============================

The bare forms answer the same question as an analyst would write it: records rather than
contact events (no cross-exhibit de-duplication), no rarity weights, no row ids, no finding
records or words. For each Threadline run the child also reports where its time went: SQL
(DuckDB to Arrow), Arrow to Python rows, the igraph algorithm (communities, key players), and the
rest (finding construction and explanations). A measurement still running after ``--timeout``
seconds is stopped and reported as longer than that, with its peak memory so far (``VmHWM``).
The evidence is made in a child process as well, so that this one stays small: Linux carries a
parent's peak RSS at the fork into the child's ``ru_maxrss``. Figures, not a timed test::

    .venv/bin/python benchmarks/analyses.py --rows 1000000 --reads 500000
    .venv/bin/python benchmarks/analyses.py --timeout 900        # 10M rows, 5M reads
    .venv/bin/python benchmarks/analyses.py --only co_location --repeat 5
    .venv/bin/python benchmarks/analyses.py --only successor_numbers --cprofile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import convoys as convoys_benchmark
import ingest_cdr

HERE = Path(__file__).resolve().parent
CASE = "OP-BENCH-ANALYSES"
#: How many target numbers the interactive analyses are asked about.
TARGETS = 10
#: ``benchmarks/convoys.py``'s defaults for everything but the number of reads.
ANPR_SHAPE = {"cameras": 500, "vehicles": 100_000, "days": 28, "convoys": 5}
INTERACTIVE = frozenset({"common_contacts", "co_location", "contact_profile"})
RATIO_GOAL = 1.5
INTERACTIVE_GOAL_S = 1.0


# ---------------------------------------------------------------------------------------------
# the bare queries

_CONTACTS = """
    SELECT a_party, b_party, 'call' AS medium, direction, start_utc AS t, duration_s
    FROM calls WHERE a_party IS NOT NULL AND b_party IS NOT NULL AND a_party <> b_party
    UNION ALL
    SELECT a_party, b_party, COALESCE(message_type, 'message'), direction, sent_utc, NULL
    FROM messages WHERE a_party IS NOT NULL AND b_party IS NOT NULL AND a_party <> b_party
"""

BARE_COMMON_CONTACTS = f"""
WITH contacts AS ({_CONTACTS}),
ends AS (
    SELECT a_party AS target, b_party AS other FROM contacts
    WHERE list_contains($targets, a_party)
    UNION ALL
    SELECT b_party AS target, a_party AS other FROM contacts
    WHERE list_contains($targets, b_party)
)
SELECT other, LIST(DISTINCT target) AS targets, COUNT(*) AS records
FROM ends
GROUP BY other
HAVING COUNT(DISTINCT target) >= $k
"""

BARE_CONTACT_PROFILE = f"""
WITH contacts AS ({_CONTACTS}),
mine AS (
    SELECT medium, direction, duration_s, t,
           CASE WHEN a_party = $number THEN 'made' ELSE 'received' END AS role,
           CASE WHEN a_party = $number THEN b_party ELSE a_party END AS other
    FROM contacts WHERE a_party = $number OR b_party = $number
)
SELECT medium, role, other,
       isodow(timezone('Europe/London', t)) AS weekday,
       hour(timezone('Europe/London', t)) AS hour,
       COUNT(*) AS records,
       COUNT(*) FILTER (WHERE direction = 'missed') AS missed,
       SUM(duration_s) AS seconds,
       MIN(t) AS first_utc, MAX(t) AS last_utc
FROM mine
GROUP BY GROUPING SETS ((medium, role), (weekday, hour), (other))
"""

_PLACEMENTS = """
    SELECT CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party
                            WHEN 'c' THEN c_party END AS number,
           start_cell AS cell, epoch(start_utc) AS t
    FROM calls WHERE start_cell IS NOT NULL AND start_utc IS NOT NULL
    UNION ALL
    SELECT CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party END,
           cell, epoch(sent_utc)
    FROM messages WHERE cell IS NOT NULL AND sent_utc IS NOT NULL
    UNION ALL
    SELECT party, start_cell, epoch(start_utc)
    FROM data_sessions WHERE start_cell IS NOT NULL AND start_utc IS NOT NULL
"""

BARE_CO_LOCATION = f"""
WITH placed AS (
    SELECT *, CAST(FLOOR(t / $window) AS BIGINT) AS bucket FROM ({_PLACEMENTS}) AS p
    WHERE number IS NOT NULL AND (len($numbers) = 0 OR list_contains($numbers, number))
),
-- each placement probes its own time bucket and the two beside it, so that the join is on
-- (cell, bucket) equality and the window is checked only within a bucket's neighbours
probes AS (SELECT placed.*, bucket + d AS probe FROM placed, (VALUES (-1), (0), (1)) AS o(d))
SELECT x.number AS number1, y.number AS number2, COUNT(*) AS occasions,
       COUNT(DISTINCT x.cell) AS cells
FROM probes AS x
JOIN placed AS y
  ON y.cell = x.cell AND y.bucket = x.probe AND x.number < y.number
 AND ABS(y.t - x.t) <= $window
GROUP BY x.number, y.number
HAVING COUNT(*) >= $min_occasions
"""

BARE_SUCCESSORS = f"""
WITH contacts AS ({_CONTACTS}),
ends AS (
    SELECT a_party AS number, b_party AS other, t FROM contacts WHERE t IS NOT NULL
    UNION ALL
    SELECT b_party, a_party, t FROM contacts WHERE t IS NOT NULL
),
bounds AS (SELECT MAX(t) AS end_at FROM ends),
steps AS (
    SELECT number, t,
           LEAD(t) OVER (PARTITION BY number ORDER BY t) AS next_t,
           ROW_NUMBER() OVER (PARTITION BY number ORDER BY t) AS n
    FROM ends
),
quiet AS (
    SELECT s.number AS old, s.t AS quiet_at
    FROM steps AS s CROSS JOIN bounds AS b
    WHERE epoch(COALESCE(s.next_t, b.end_at)) - epoch(s.t) >= $quiet_seconds
      AND s.n >= $min_events
),
firsts AS (SELECT number, MIN(t) AS first_at FROM ends GROUP BY number),
candidates AS (
    SELECT q.old, q.quiet_at, f.number AS candidate
    FROM quiet AS q JOIN firsts AS f
      ON f.first_at > q.quiet_at AND f.first_at <= q.quiet_at + to_seconds($window_seconds)
     AND f.number <> q.old
),
old_links AS (
    SELECT DISTINCT q.old, q.quiet_at, e.other
    FROM quiet AS q JOIN ends AS e ON e.number = q.old AND e.t <= q.quiet_at
),
new_links AS (
    SELECT DISTINCT e.number AS candidate, e.other
    FROM ends AS e WHERE e.number IN (SELECT candidate FROM candidates)
),
shared AS (
    SELECT c.old, c.quiet_at, c.candidate, COUNT(*) AS shared
    FROM candidates AS c
    JOIN old_links AS o ON o.old = c.old AND o.quiet_at = c.quiet_at AND o.other <> c.candidate
    JOIN new_links AS n ON n.candidate = c.candidate AND n.other = o.other
    GROUP BY c.old, c.quiet_at, c.candidate
    HAVING COUNT(*) >= $min_shared
),
sizes AS (
    SELECT s.*,
           (SELECT COUNT(*) FROM old_links AS o
            WHERE o.old = s.old AND o.quiet_at = s.quiet_at) AS old_n,
           (SELECT COUNT(*) FROM new_links AS n
            WHERE n.candidate = s.candidate AND n.other <> s.old) AS new_n
    FROM shared AS s
)
SELECT *, CAST(shared AS DOUBLE) / (old_n + new_n - shared) AS jaccard
FROM sizes
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY old, quiet_at ORDER BY shared DESC, candidate) <= $top
"""

BARE_GRAPH = f"""
WITH contacts AS ({_CONTACTS}),
pairs AS (
    SELECT LEAST(a_party, b_party) AS u, GREATEST(a_party, b_party) AS v, COUNT(*) AS w
    FROM contacts GROUP BY 1, 2
),
nodes AS (
    SELECT n, ROW_NUMBER() OVER (ORDER BY n) - 1 AS id
    FROM (SELECT u AS n FROM pairs UNION SELECT v FROM pairs) AS names
)
SELECT nu.id AS u, nv.id AS v, w, (SELECT COUNT(*) FROM nodes) AS nodes
FROM pairs JOIN nodes AS nu ON nu.n = pairs.u JOIN nodes AS nv ON nv.n = pairs.v
"""


def _fetch(con: Any, sql: str, parameters: Mapping[str, Any]) -> Any:
    """Run a bare query as the analyses do (bound parameters, the result as Arrow)."""
    return con.execute(sql, dict(parameters)).to_arrow_table()


def _bare_graph(con: Any, detail: dict[str, float]) -> Any:
    """The aggregated undirected contact graph as an igraph graph (weights on ``weight``)."""
    import igraph
    import numpy as np

    started = time.perf_counter()
    table = _fetch(con, BARE_GRAPH, {})
    detail["sql"] = time.perf_counter() - started
    started = time.perf_counter()
    nodes = table.column("nodes")[0].as_py() if table.num_rows else 0
    ends = [table.column("u").to_numpy(), table.column("v").to_numpy()]
    edges = np.column_stack(ends).astype(np.int64)
    graph = igraph.Graph(n=nodes, edges=edges, directed=False)
    graph.es["weight"] = table.column("w").to_numpy().astype(np.float64).tolist()
    detail["graph"] = time.perf_counter() - started
    return graph


def bare_communities(con: Any, context: Mapping[str, Any], detail: dict[str, float]) -> int:
    """igraph's built-in Leiden (modularity, weighted, 2 iterations, seeded) on the graph."""
    import igraph

    graph = _bare_graph(con, detail)
    started = time.perf_counter()
    igraph.set_random_number_generator(random.Random(1))
    try:
        clustering = graph.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=2
        )
    finally:
        igraph.set_random_number_generator(random)
    detail["algorithm"] = time.perf_counter() - started
    sizes = clustering.sizes()
    return sum(1 for s in sizes if s >= 3)


def bare_key_players(con: Any, context: Mapping[str, Any], detail: dict[str, float]) -> int:
    """The same measures as ``KeyPlayers`` (exact), by igraph, and each one's top 10."""
    import numpy as np

    graph = _bare_graph(con, detail)
    started = time.perf_counter()
    values = [
        graph.degree(),
        graph.strength(weights="weight"),
        graph.betweenness(directed=False),
        graph.harmonic_centrality(normalized=True),
        graph.eigenvector_centrality(scale=True, weights=None),
    ]
    graph.coreness()  # computed and reported, but (as in KeyPlayers) it chooses no one
    graph.connected_components()
    chosen = {int(i) for v in values for i in np.argsort(-np.asarray(v), kind="stable")[:10]}
    detail["algorithm"] = time.perf_counter() - started
    return len(chosen)


def _bare_sql(sql: str, parameters: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Any:
    def run(con: Any, context: Mapping[str, Any], detail: dict[str, float]) -> int:
        table = _fetch(con, sql, parameters(context))
        return int(table.num_rows)

    return run


# ---------------------------------------------------------------------------------------------
# the analyses


@dataclass(frozen=True)
class Spec:
    """One row of the table: how to run it bare and how to run the analysis.

    Attributes:
        name: the row's name.
        bare: the bare run: (connection, context, detail) -> result count.
        analysis: the analysis's registered name.
        parameters: the analysis's parameters from the context.
        algorithms: (module, function) pairs whose time is reported as the algorithm's.
    """

    name: str
    bare: Callable[[Any, Mapping[str, Any], dict[str, float]], int]
    analysis: str
    parameters: Callable[[Mapping[str, Any]], dict[str, Any]]
    algorithms: tuple[tuple[str, str], ...] = ()


SPECS: tuple[Spec, ...] = (
    Spec(
        "common_contacts",
        _bare_sql(BARE_COMMON_CONTACTS, lambda c: {"targets": c["targets"], "k": 2}),
        "common_contacts",
        lambda c: {"targets": c["targets"], "k": 2},
    ),
    Spec(
        "co_location",
        _bare_sql(
            BARE_CO_LOCATION,
            lambda c: {"numbers": c["targets"], "window": 900, "min_occasions": 2},
        ),
        "co_location",
        lambda c: {"numbers": c["targets"]},
    ),
    Spec(
        "contact_profile",
        _bare_sql(BARE_CONTACT_PROFILE, lambda c: {"number": c["profile"]}),
        "contact_profile",
        lambda c: {"numbers": [c["profile"]]},
    ),
    Spec(
        "co_location_all",
        _bare_sql(BARE_CO_LOCATION, lambda c: {"numbers": [], "window": 900, "min_occasions": 2}),
        "co_location",
        lambda c: {},
    ),
    Spec(
        "convoys",
        _bare_sql(convoys_benchmark.BARE_SQL, lambda c: {"window": 60, "min_cameras": 3}),
        "convoys",
        lambda c: {"window_seconds": 60, "min_cameras": 3, "top": 100},
    ),
    Spec(
        "successor_numbers",
        _bare_sql(
            BARE_SUCCESSORS,
            lambda c: {
                "quiet_seconds": 14 * 86400,
                "window_seconds": 14 * 86400,
                "min_events": 5,
                "min_shared": 2,
                "top": 5,
            },
        ),
        "successor_numbers",
        lambda c: {},
    ),
    Spec(
        "communities",
        bare_communities,
        "communities",
        lambda c: {},
        (("threadline.analysis.communities", "detect_communities"),),
    ),
    Spec(
        "key_players",
        bare_key_players,
        "key_players",
        lambda c: {},
        (("threadline.analysis.key_players", "network_metrics"),),
    ),
)
NAMES = tuple(s.name for s in SPECS)


# ---------------------------------------------------------------------------------------------
# the evidence


def _anpr_stem(reads: int) -> str:
    """The name ``benchmarks/convoys.py`` gives its evidence of ``reads`` reads."""
    return "-".join(str(v) for v in (reads, *ANPR_SHAPE.values()))


def _anpr_parquet(evidence_root: Path, case_id: str, reads: int, out: Path) -> dict[str, str]:
    """``benchmarks/convoys.py``'s synthetic ANPR evidence as Parquet beside the case's files
    (made once); table name -> path relative to the evidence root."""
    import duckdb

    stem = _anpr_stem(reads)
    database = out / f"convoys-{stem}.duckdb"
    if not database.exists():
        convoys_benchmark.generate(database, reads, **ANPR_SHAPE)
    folder = Path(case_id) / f"bm-anpr-{stem}" / "run"
    relative = {t: (folder / f"{t}.parquet").as_posix() for t in ("anpr_reads", "anpr_cameras")}
    if all((evidence_root / p).exists() for p in relative.values()):
        return relative
    (evidence_root / folder).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={"threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{database}' AS source (READ_ONLY)")
    for table, path in relative.items():
        target = evidence_root / path
        partial = target.with_suffix(".partial")
        # as the store writes: zstd level 1, no dictionary pages, row groups of 1M rows
        con.execute(
            f"COPY (SELECT * FROM source.{table}) TO '{partial}' (FORMAT parquet, "
            "COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 1000000, "
            "DICTIONARY_SIZE_LIMIT 0)"
        )
        partial.rename(target)
    con.close()
    return relative


def prepare(rows: int, reads: int, out: Path) -> Path:
    """Make (or reuse) the evidence of ``rows`` CDR rows and ``reads`` ANPR reads; return the
    path of its manifest (files, exhibits, targets, what to ask about, ground truth)."""
    folder = out / f"analyses-{rows}"
    manifest = folder / f"evidence-{reads}.json"
    if manifest.exists():
        return manifest
    cdr = folder / "cdr.json"
    if not cdr.exists():
        _ingest_cdrs(rows, out, folder, cdr)
    described = json.loads(cdr.read_text("utf-8"))
    evidence_root = Path(described["evidence_root"])
    anpr = _anpr_parquet(evidence_root, described["case_id"], reads, out)
    files = {**described["files"], **{t: [p] for t, p in anpr.items()}}
    planted_path = out / f"convoys-{_anpr_stem(reads)}.json"
    planted = json.loads(planted_path.read_text("utf-8"))["planted"]
    manifest.write_text(
        json.dumps({**described, "files": files, "planted_convoys": planted}, indent=1), "utf-8"
    )
    return manifest


def _ingest_cdrs(rows: int, out: Path, folder: Path, cdr: Path) -> None:
    """Generate the scaled demo case and ingest its returns and cell list with Threadline."""
    from datetime import datetime

    from threadline.ingest.context import IngestOptions
    from threadline.services import cases, exhibits, ingest
    from threadline.services.cases import find_case
    from threadline.services.query import evidence_files, exhibit_references
    from threadline.services.workspace import open_workspace
    from threadline.settings import Settings

    source = ingest_cdr.generate(rows, out)
    truth = json.loads((source / "ground_truth.json").read_text("utf-8"))
    home = folder / "home"
    ingest_cdr.remove_tree(home)
    ws = open_workspace(Settings(home=home, user="benchmark"))
    cases.create_case(ws, CASE, "Analyses benchmark")
    items = [e for e in truth["exhibits"] if e["kind"] in ("cdr", "cell-list")]
    for item in items:
        comms = None
        if item["kind"] == "cdr":
            comms = exhibits.CommsData(
                provider=str(item["provider"]),
                target_number=str(item["target_msisdn"]),
                authorisation=str(item["authorisation"]),
                authorised_from=datetime.fromisoformat(str(item["window_start"])),
                authorised_to=datetime.fromisoformat(str(item["window_end"])),
            )
        exhibits.add_exhibit(
            ws,
            CASE,
            str(item["reference"]),
            source / str(item["filename"]),
            producer="benchmark",
            description=str(item["description"]),
            comms=comms,
        )
    started = time.perf_counter()
    returns = [e for e in items if e["kind"] == "cdr"]
    options = {str(e["reference"]): IngestOptions(profile=str(e["layout"])) for e in returns}
    outcomes = ingest.ingest_many(ws, CASE, list(options), jobs=2, parser="cdr_uk", options=options)
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"ingest failed: {failed[:3]}")
    for item in items:
        if item["kind"] == "cell-list":
            ingest.ingest_exhibit(ws, CASE, str(item["reference"]), parser="cell_list")
    print(f"ingested {rows:,} CDR rows in {time.perf_counter() - started:.1f} s", flush=True)
    with ws.session() as session:
        case = find_case(session, CASE)
        files = evidence_files(session, case)
        references = exhibit_references(session, case)
    ws.close()
    core = [e for e in returns if "bulk" not in str(e["description"])]
    bulk = [e for e in returns if "bulk" in str(e["description"])]
    chosen = [str(e["target_msisdn"]) for e in core + bulk][:TARGETS]
    busiest = max(returns, key=lambda e: int(e["rows"]))
    described = {
        "rows": rows,
        "case_id": Path(next(iter(files.values()))[0]).parts[0],
        "evidence_root": str(home / "evidence"),
        "files": files,
        "exhibits": references,
        "case_targets": sorted({str(e["target_msisdn"]) for e in returns}),
        "targets": sorted(set(chosen)),
        "profile": str(busiest["target_msisdn"]),
        "successor": [truth["successor"]["old_msisdn"], truth["successor"]["new_msisdn"]],
        "distinct_numbers": truth["totals"]["distinct_numbers"],
    }
    cdr.write_text(json.dumps(described, indent=1), "utf-8")


def _read_copy_root(manifest: Mapping[str, Any], folder: Path) -> Path:
    """A second evidence root whose case folder links to the Parquet one and which holds the
    case's read copy, so that the Parquet root never has a copy to prefer (made once)."""
    from threadline.services.derived import read_copy_tables
    from threadline.store.evidence_store import EvidenceStore

    root = folder / f"readcopy-{Path(manifest['files']['anpr_reads'][0]).parent.parent.name}"
    root.mkdir(parents=True, exist_ok=True)
    link = root / manifest["case_id"]
    if not link.exists():
        link.symlink_to(Path(manifest["evidence_root"]) / manifest["case_id"])
    store = EvidenceStore(root)
    # a no-op when the copy of these files and derived tables exists; otherwise (made once,
    # or again when a derived table's SQL has changed) it is timed: ingest pays for it
    started = time.perf_counter()
    store.make_read_copy(manifest["files"], read_copy_tables())
    if time.perf_counter() - started > 1:
        print(f"made the read copy in {time.perf_counter() - started:.1f} s", flush=True)
    return root


# ---------------------------------------------------------------------------------------------
# one measurement, in a child process


@dataclass
class _Clock:
    """Seconds spent in each part of an analysis run."""

    parts: dict[str, float] = field(default_factory=dict)

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds


def _timed_evidence(clock: _Clock) -> type:
    """An :class:`Evidence` that times its queries (SQL to Arrow) and the Arrow to Python rows."""
    from threadline.analysis.evidence import Evidence

    class TimedEvidence(Evidence):
        def arrow(self, sql: str, parameters: Any = ()) -> Any:
            started = time.perf_counter()
            try:
                return super().arrow(sql, parameters)
            finally:
                clock.add("sql", time.perf_counter() - started)

        def rows(self, sql: str, parameters: Any = ()) -> list[dict[str, Any]]:
            table = self.arrow(sql, parameters)
            started = time.perf_counter()
            out: list[dict[str, Any]] = table.to_pylist()
            clock.add("to_python", time.perf_counter() - started)
            return out

    return TimedEvidence


def _time_algorithms(spec: Spec, clock: _Clock) -> None:
    """Wrap the analysis's igraph step so its time is reported apart."""
    import importlib

    for module_name, function_name in spec.algorithms:
        module = importlib.import_module(module_name)
        original = getattr(module, function_name)

        def timed(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                clock.add("algorithm", time.perf_counter() - started)

        setattr(module, function_name, timed)


def phase(manifest_path: Path, name: str, engine: str, store: str, profile: bool) -> dict[str, Any]:
    """One measurement: seconds, peak RSS, the result's size and where the time went."""
    from threadline.analysis.registry import AnalysisRegistry
    from threadline.store.evidence_store import EvidenceStore

    manifest = json.loads(manifest_path.read_text("utf-8"))
    spec = next(s for s in SPECS if s.name == name)
    root = Path(manifest["evidence_root"])
    if store == "readcopy":
        root = _read_copy_root(manifest, manifest_path.parent)
    connection = EvidenceStore(root).connect(manifest["files"])
    con = connection.con
    context = {
        "targets": manifest["targets"],
        "profile": manifest["profile"],
    }
    clock = _Clock()
    detail: dict[str, Any] = {}
    # imported before the clock starts, as the analyses' modules import them
    import igraph  # noqa: F401
    import numpy  # noqa: F401

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    profiler = cProfile.Profile() if profile else None
    if engine == "bare":
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        count = spec.bare(con, context, clock.parts)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    else:
        analysis = AnalysisRegistry.from_entry_points().get(spec.analysis)
        parameters = analysis.info.parameters.model_validate(spec.parameters(context))
        evidence = _timed_evidence(clock)(
            con, manifest["exhibits"], tuple(manifest["case_targets"]), (), connection.derived
        )
        _time_algorithms(spec, clock)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        findings = analysis.run(evidence, parameters)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        count = len(findings)
        clock.add("rest", seconds - sum(clock.parts.values()))
        detail["words"] = sum(len(f.explanation) for f in findings)
        detail["cited"] = sum(f.rows_cited for f in findings)
        detail["subjects"] = [list(f.subjects) for f in findings[:200]]
    out: dict[str, Any] = {
        "seconds": seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_mb": baseline,
        "count": count,
        "parts": clock.parts,
        **detail,
    }
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        out["profile"] = text.getvalue()
    return out


def _child(manifest: Path, name: str, engine: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--phase",
        engine,
        "--only",
        name,
        "--manifest",
        str(manifest),
        "--store",
        args.store,
    ]
    if args.cprofile:
        command.append("--cprofile")
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = child.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        # its peak so far, from the kernel's high-water mark, before it is stopped
        peak = _high_water_mb(child.pid)
        child.kill()
        child.communicate()
        return {"seconds": float(args.timeout), "timed_out": True, "rss_mb": peak,
                "baseline_mb": float("nan"), "count": -1, "parts": {}}  # fmt: skip
    if child.returncode != 0:
        # reported in the table, and the benchmark goes on to the other analyses
        print(f"{name} ({engine}) failed:\n{stderr[-4000:]}", file=sys.stderr, flush=True)
        lines = [line for line in stderr.splitlines() if line.strip()]
        return {"seconds": float("nan"), "failed": (lines or ["no message"])[-1][:160],
                "rss_mb": float("nan"), "baseline_mb": float("nan"), "count": -1,
                "parts": {}}  # fmt: skip
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _high_water_mb(pid: int) -> float:
    """A running process's peak resident memory (``VmHWM``), in MB; NaN where unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text("utf-8")
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------------------------
# the table


def _split(parts: Mapping[str, float]) -> str:
    names = {
        "sql": "SQL",
        "to_python": "to-py",
        "graph": "graph",
        "algorithm": "igraph",
        "rest": "findings",
    }
    return " ".join(f"{names.get(k, k)} {v:.2f}" for k, v in parts.items() if v >= 0.005)


def _goal(name: str, ratio: float, seconds: float) -> str:
    met = [f"ratio {'met' if ratio <= RATIO_GOAL else 'MISSED'}"]
    if name in INTERACTIVE:
        met.append(f"<1 s {'met' if seconds < INTERACTIVE_GOAL_S else 'MISSED'}")
    return ", ".join(met)


def _checks(manifest: Mapping[str, Any], runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the findings say about the planted truths (a sanity check of the run)."""
    lines = []
    successor = runs.get("successor_numbers", {}).get("threadline")
    if successor:
        old, new = manifest["successor"]
        found_pairs = [tuple(s) for s in successor[-1]["subjects"]]
        found = (old, new) in found_pairs
        rank = found_pairs.index((old, new)) + 1 if found else None
        lines.append(
            f"successor {old} -> {new}: "
            + (f"finding {rank} of {successor[-1]['count']}" if found else "NOT FOUND")
        )
    convoy = runs.get("convoys", {}).get("threadline")
    if convoy:
        found_convoys = ["|".join(s) for s in convoy[-1]["subjects"]]
        planted = manifest["planted_convoys"]
        hits = sum(p in found_convoys for p in planted)
        lines.append(f"planted convoys found: {hits} of {len(planted)}")
    return lines


def _seconds(runs: Sequence[Mapping[str, Any]]) -> tuple[float, str]:
    """The median seconds of runs, and ``>`` if that median is a run stopped at the timeout."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = ordered[len(ordered) // 2]
    return statistics.median(r["seconds"] for r in runs), ">" if middle.get("timed_out") else ""


def _report(
    manifest: Mapping[str, Any], runs: Mapping[str, Mapping[str, list[dict[str, Any]]]]
) -> None:
    header = (
        f"{'analysis':<18} {'bare s':>8} {'TL s':>9} {'ratio':>7} {'bare MB':>8} "
        f"{'TL MB':>7} {'bare n':>7} {'TL n':>6}  goal; Threadline's time by part (s)"
    )
    print()
    print(header)
    print("-" * len(header))
    for name, engines in runs.items():
        bare, ours = engines["bare"], engines["threadline"]
        failed = [f"{engine} {r['failed']}" for engine, rs in engines.items() for r in rs
                  if "failed" in r]  # fmt: skip
        if failed:
            print(f"{name:<18} FAILED: {'; '.join(failed)}")
            continue
        b, b_more = _seconds(bare)
        t, t_more = _seconds(ours)
        ratio_more = ">" if t_more and not b_more else ""
        median_run = sorted(ours, key=lambda r: r["seconds"])[len(ours) // 2]
        print(
            f"{name:<18} {b_more + f'{b:.2f}':>8} {t_more + f'{t:.2f}':>9} "
            f"{ratio_more + f'{t / b:.2f}':>7} "
            f"{max(r['rss_mb'] for r in bare):>8.0f} {max(r['rss_mb'] for r in ours):>7.0f} "
            f"{bare[-1]['count']:>7} {ours[-1]['count']:>6}  {_goal(name, t / b, t)}; "
            f"{_split(median_run['parts'])}"
        )
        if bare[-1]["parts"]:
            print(f"{'':<18} bare by part: {_split(bare[-1]['parts'])}")
    print()
    for line in _checks(manifest, runs):
        print(line)


def main() -> None:
    """Parse arguments and run the benchmark (or one measurement, in a child process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="CDR rows")
    parser.add_argument("--reads", type=int, default=5_000_000, help="ANPR reads")
    parser.add_argument("--only", choices=NAMES, action="append", help="this analysis (repeat)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument(
        "--store",
        choices=("parquet", "readcopy"),
        default="parquet",
        help="read the Parquet files (default) or the case's DuckDB read copy",
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="print each run's top functions (cProfile)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200.0,
        help="stop a measurement after this many seconds and report it as longer (default 1200)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--phase", choices=("prepare", "bare", "threadline"), help=argparse.SUPPRESS
    )
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "prepare":
        manifest_path = prepare(args.rows, args.reads, args.out)
        if args.store == "readcopy":
            _read_copy_root(json.loads(manifest_path.read_text("utf-8")), manifest_path.parent)
        print(manifest_path)
        return
    if args.phase:
        result = phase(args.manifest, args.only[0], args.phase, args.store, args.cprofile)
        print(json.dumps(result, default=str))
        return
    if args.repeat < 1 or args.rows < 100_000 or args.reads < 100_000:
        parser.error("--repeat at least 1; --rows and --reads at least 100,000")
    print(f"load average before: {os.getloadavg()}", flush=True)
    # the evidence is made in a child too: a child's ru_maxrss starts from its parent's peak
    # at the fork (Linux keeps the larger across exec), so this process must stay small
    made = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            "prepare",
            "--rows",
            str(args.rows),
            "--reads",
            str(args.reads),
            "--out",
            str(args.out),
            "--store",
            args.store,
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = made.stdout.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    manifest_path = Path(lines[-1])
    manifest = json.loads(manifest_path.read_text("utf-8"))
    print(
        f"{args.rows:,} CDR rows ({manifest['distinct_numbers']:,} distinct numbers, "
        f"{len(manifest['case_targets'])} target lines), {args.reads:,} ANPR reads; "
        f"store: {args.store}; {len(manifest['targets'])} targets asked about, profile of "
        f"{manifest['profile']}",
        flush=True,
    )
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    chosen: Sequence[str] = args.only or NAMES
    for n in range(args.repeat):
        for name in chosen:
            for engine in ("bare", "threadline"):
                if any("failed" in r for r in runs.get(name, {}).get(engine, [])):
                    continue  # it failed once: the same run would fail again
                result = _child(manifest_path, name, engine, args)
                runs.setdefault(name, {}).setdefault(engine, []).append(result)
                stopped = " (stopped: timeout)" if result.get("timed_out") else ""
                stopped += " (failed)" if "failed" in result else ""
                print(
                    f"run {n + 1} {name:<18} {engine:<10} {result['seconds']:7.2f} s{stopped}  "
                    f"peak RSS "
                    f"{result['rss_mb']:6.0f} MB (at start {result['baseline_mb']:.0f})  "
                    f"n={result['count']}  {_split(result['parts'])}",
                    flush=True,
                )
                if "profile" in result:
                    print(result["profile"])
    _report(manifest, runs)
    print(f"\nload average after: {os.getloadavg()}")
    if any("failed" in r for engines in runs.values() for rs in engines.values() for r in rs):
        raise SystemExit("a measurement failed (above)")


if __name__ == "__main__":
    main()
