"""Network measures over an edge list: centralities, k-cores and Leiden communities.

These are pure functions of an :class:`EdgeList` (source, target, weight), with no evidence
tables behind them, so that they can be checked on published networks such as CAVIAR as well
as on a case's contact graph (:mod:`threadline.analysis.network_graph`). igraph does the work;
this module is the only one that touches it.

Every measure is computed on the **undirected simple graph**: one link per pair of nodes that were
in contact either way, its weight the sum of the edges' weights (contact events). Who called whom
matters for brokerage (:mod:`threadline.analysis.brokers`), not for how central a node is. The
measures (domain.md §6.2; requirement 56):

* ``degree``: how many distinct nodes it is linked with (contacts);
* ``weighted_degree``: the sum of its links' weights (contact events);
* ``betweenness``: for every pair of other nodes, the share of the shortest paths between them
  that pass through it, summed (Brandes; unweighted paths). Exact by default; on a large graph
  ``betweenness_cutoff`` (only paths up to that many links) or ``betweenness_sample`` (paths
  from that many source nodes drawn with the seed, scaled up by n/k) gives an estimate;
* ``closeness``: *harmonic* closeness, the mean over all other nodes of 1/distance (an unreachable
  node adds 0). Classic closeness is undefined, or misleading, on a graph in several pieces (a
  pair in contact only with each other would score the highest possible), and contact graphs are
  always in pieces; ``closeness_cutoff`` ignores nodes further than that many links;
* ``eigenvector``: eigenvector centrality of the unweighted graph, scaled so that the highest is
  1 (linked to well-linked nodes). It concentrates on the largest connected part: a node in a
  small separate piece scores near 0;
* ``coreness``: the largest k such that the node is in the k-core (the largest part of the graph
  in which every node has at least k links inside it).

Ranks are competition ranks, highest value first: nodes with equal values (to 9 decimal places)
share a rank and the next rank is skipped (1, 2, 2, 4).
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, cast

import igraph
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_SEED",
    "ENGINE",
    "EdgeList",
    "IndexedEdges",
    "Measure",
    "NodeMetrics",
    "Partition",
    "competition_ranks",
    "index_edges",
    "leiden_communities",
    "network_metrics",
    "simple_links",
]

#: The seed of every random choice (Leiden's node order, betweenness sampling) unless given:
#: the same seed, graph and igraph version give the same result.
DEFAULT_SEED: Final = 1

#: The library and version that compute the measures, for findings to record.
ENGINE: Final = f"igraph {igraph.__version__}"

#: Values equal to this many decimal places share a rank (floating point noise is not a rank).
_RANK_DECIMALS: Final = 9


class Measure(StrEnum):
    """A node measure (see the module docstring)."""

    DEGREE = "degree"
    WEIGHTED_DEGREE = "weighted_degree"
    BETWEENNESS = "betweenness"
    CLOSENESS = "closeness"
    EIGENVECTOR = "eigenvector"
    CORENESS = "coreness"


@dataclass(frozen=True, slots=True)
class EdgeList:
    """Directed, weighted edges between named nodes, as Arrow arrays.

    Attributes:
        source: the edges' source node names.
        target: their target node names (a node's edge to itself is ignored).
        weight: their weights (contact events; positive).
        nodes: nodes to include even if no edge touches them (isolates).
    """

    source: pa.Array
    target: pa.Array
    weight: pa.Array
    nodes: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))

    @classmethod
    def of(
        cls,
        edges: Iterable[tuple[str, str, float]],
        nodes: Sequence[str] = (),
    ) -> EdgeList:
        """An edge list from ``(source, target, weight)`` triples."""
        listed = list(edges)
        return cls(
            pa.array([e[0] for e in listed], pa.string()),
            pa.array([e[1] for e in listed], pa.string()),
            pa.array([float(e[2]) for e in listed], pa.float64()),
            pa.array(list(nodes), pa.string()),
        )

    @classmethod
    def from_arrow(cls, table: pa.Table) -> EdgeList:
        """An edge list from a table with ``source``, ``target`` and ``weight`` columns."""
        return cls(
            _array(table.column("source")).cast(pa.string()),
            _array(table.column("target")).cast(pa.string()),
            _array(table.column("weight")).cast(pa.float64()),
        )

    def __post_init__(self) -> None:
        if not len(self.source) == len(self.target) == len(self.weight):
            raise ValueError("an edge list's source, target and weight differ in length")
        if self.source.null_count or self.target.null_count or self.weight.null_count:
            raise ValueError("an edge list has an edge without its source, target or weight")


@dataclass(frozen=True, slots=True)
class SimpleLinks:
    """The undirected simple graph of an :class:`EdgeList` (see :func:`simple_links`).

    Attributes:
        names: node names, sorted; a node's index is its position.
        pairs: one row per linked pair of node indices (smaller index first).
        weights: each pair's summed weight.
    """

    names: tuple[str, ...]
    pairs: np.ndarray[Any, np.dtype[np.int64]]
    weights: np.ndarray[Any, np.dtype[np.float64]]

    def graph(self) -> Any:
        """The igraph graph (undirected; edge attribute ``weight``)."""
        graph = igraph.Graph(n=len(self.names), edges=self.pairs, directed=False)
        graph.es["weight"] = self.weights.tolist()
        return graph


@dataclass(frozen=True, slots=True)
class IndexedEdges:
    """An edge list with its nodes numbered (see :func:`index_edges`).

    Attributes:
        names: node names, sorted; a node's index is its position.
        source: each edge's source index.
        target: each edge's target index.
        weight: each edge's weight.
    """

    names: tuple[str, ...]
    source: np.ndarray[Any, np.dtype[np.int64]]
    target: np.ndarray[Any, np.dtype[np.int64]]
    weight: np.ndarray[Any, np.dtype[np.float64]]


def index_edges(edges: EdgeList) -> IndexedEdges:
    """Number the nodes of ``edges`` in name order (so the same nodes always get the same
    numbers, whatever order the edges come in)."""
    names_array = pc.unique(pa.concat_arrays([edges.source, edges.target, edges.nodes]))
    names_array = names_array.take(pc.sort_indices(names_array))
    return IndexedEdges(
        tuple(cast(list[str], names_array.to_pylist())),
        pc.index_in(edges.source, value_set=names_array).to_numpy().astype(np.int64),
        pc.index_in(edges.target, value_set=names_array).to_numpy().astype(np.int64),
        edges.weight.to_numpy(zero_copy_only=False).astype(np.float64),
    )


def simple_links(edges: EdgeList) -> SimpleLinks:
    """The undirected simple graph: every node of ``edges``, one link per pair of distinct nodes
    with an edge either way, weighted by the sum of their edges' weights."""
    indexed = index_edges(edges)
    names, source, target = indexed.names, indexed.source, indexed.target
    keep = source != target
    low = np.minimum(source[keep], target[keep])
    high = np.maximum(source[keep], target[keep])
    if len(low) == 0:
        return SimpleLinks(names, np.zeros((0, 2), np.int64), np.zeros(0, np.float64))
    # one key per unordered pair, then the weights summed per key
    keys = low * len(names) + high
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = np.bincount(inverse, weights=indexed.weight[keep]).astype(np.float64)
    pairs = np.column_stack([unique // len(names), unique % len(names)]).astype(np.int64)
    return SimpleLinks(names, pairs, summed)


@dataclass(frozen=True, slots=True)
class NodeMetrics:
    """Node measures and ranks.

    Attributes:
        names: node names, sorted; a node's index is its position.
        values: per measure, every node's value (in ``names`` order).
        ranks: per measure, every node's competition rank (1 = highest).
        links: links (pairs of nodes in contact) in the graph.
        component_sizes: for every node, how many nodes its connected component has (the
            part of the graph it can reach at all; requirement 56).
        estimated: the measures that are estimates (a cutoff or a sample was given).
    """

    names: tuple[str, ...]
    values: Mapping[Measure, tuple[float, ...]]
    ranks: Mapping[Measure, tuple[int, ...]]
    links: int
    component_sizes: tuple[int, ...] = ()
    estimated: frozenset[Measure] = frozenset()
    positions: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", {n: i for i, n in enumerate(self.names)})

    def index(self, name: str) -> int:
        """A node's index; KeyError if it is not in the graph."""
        return self.positions[name]

    def value(self, name: str, measure: Measure) -> float:
        """A node's value of a measure."""
        return self.values[measure][self.index(name)]

    def rank(self, name: str, measure: Measure) -> int:
        """A node's rank by a measure."""
        return self.ranks[measure][self.index(name)]

    def tied(self, name: str, measure: Measure) -> int:
        """How many *other* nodes share the node's rank by a measure."""
        ranks = self.ranks[measure]
        return ranks.count(ranks[self.index(name)]) - 1

    def top(self, measure: Measure, n: int) -> list[str]:
        """The nodes ranked ``n`` or better by a measure (ties at the cut included), best
        first, ties by name."""
        ranks = self.ranks[measure]
        chosen = [i for i, r in enumerate(ranks) if r <= n]
        chosen.sort(key=lambda i: (ranks[i], self.names[i]))
        return [self.names[i] for i in chosen]


def competition_ranks(values: Sequence[float]) -> tuple[int, ...]:
    """Competition ranks, highest first: ``[5, 7, 7, 1]`` ranks ``(3, 1, 1, 4)``."""
    rounded = np.round(np.asarray(values, dtype=np.float64), _RANK_DECIMALS)
    descending = np.sort(-rounded)
    ranks = np.searchsorted(descending, -rounded, side="left") + 1
    return tuple(int(r) for r in ranks)


def network_metrics(
    edges: EdgeList,
    *,
    measures: Iterable[Measure] = tuple(Measure),
    betweenness_cutoff: int | None = None,
    betweenness_sample: int | None = None,
    closeness_cutoff: int | None = None,
    seed: int = DEFAULT_SEED,
) -> NodeMetrics:
    """The measures asked for, for every node of ``edges`` (see the module docstring).

    Args:
        edges: the edges; direction is ignored and a pair's weights are summed.
        measures: which measures to compute (each costs time: betweenness and closeness are
            the dear ones, a breadth-first search from every node).
        betweenness_cutoff: count only shortest paths of at most this many links.
        betweenness_sample: count only shortest paths from this many source nodes, drawn with
            ``seed``, and scale by n/k (an unbiased estimate); ``None`` or at least the number
            of nodes for the exact figure. igraph's sampled betweenness costs about 0.1 s per
            source on a graph of 200,000 nodes and 900,000 links, so a sample of 50 to 100 is
            the useful range there.
        closeness_cutoff: ignore nodes further away than this many links.
        seed: the seed of the betweenness sample.
    """
    links = simple_links(edges)
    graph = links.graph()
    n = len(links.names)
    wanted = list(dict.fromkeys(measures))
    values: dict[Measure, tuple[float, ...]] = {}
    estimated: set[Measure] = set()
    for measure in wanted:
        if measure is Measure.DEGREE:
            result: Sequence[float] = _floats(graph.degree())
        elif measure is Measure.WEIGHTED_DEGREE:
            result = _floats(graph.strength(weights="weight"))
        elif measure is Measure.BETWEENNESS:
            result = _betweenness(graph, n, betweenness_cutoff, betweenness_sample, seed)
            if betweenness_cutoff is not None or (
                betweenness_sample is not None and betweenness_sample < n
            ):
                estimated.add(measure)
        elif measure is Measure.CLOSENESS:
            result = (
                _floats(graph.harmonic_centrality(cutoff=closeness_cutoff, normalized=True))
                if n > 1
                else [0.0] * n
            )
            if closeness_cutoff is not None:
                estimated.add(measure)
        elif measure is Measure.EIGENVECTOR:
            result = _eigenvector(graph)
        else:
            result = _floats(graph.coreness())
        values[measure] = tuple(result)
    membership = [int(c) for c in graph.connected_components().membership]
    sizes = Counter(membership)
    return NodeMetrics(
        names=links.names,
        values=values,
        ranks={m: competition_ranks(v) for m, v in values.items()},
        links=len(links.weights),
        component_sizes=tuple(sizes[c] for c in membership),
        estimated=frozenset(estimated),
    )


def _betweenness(
    graph: Any, n: int, cutoff: int | None, sample: int | None, seed: int
) -> list[float]:
    if sample is None or sample >= n:
        return _floats(graph.betweenness(directed=False, cutoff=cutoff))
    sources = sorted(random.Random(seed).sample(range(n), sample))  # noqa: S311 - a seeded sample, not a secret
    partial = _floats(graph.betweenness(directed=False, cutoff=cutoff, sources=sources))
    # igraph counts each pair from a sampled source once (half the undirected pair's count in
    # the exact figure, which sums both orders and halves): n/k scales it to the estimate.
    return [v * n / sample for v in partial]


def _eigenvector(graph: Any) -> list[float]:
    if graph.ecount() == 0:
        return [0.0] * graph.vcount()
    with warnings.catch_warnings():
        # igraph warns whenever the graph is in pieces; the module docstring says what that
        # means for the scores (small separate pieces score near 0).
        warnings.simplefilter("ignore", RuntimeWarning)
        scores = graph.eigenvector_centrality(scale=True, weights=None)
    return [abs(float(s)) for s in scores]


def _floats(values: Iterable[Any]) -> list[float]:
    return [float(v) for v in values]


def _array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


@dataclass(frozen=True, slots=True)
class Partition:
    """Communities found by Leiden.

    Attributes:
        names: node names, sorted (as in :class:`NodeMetrics`).
        membership: each node's community number (1 is the largest; equal sizes by their
            first member's name).
        modularity: the partition's modularity (at resolution 1; weighted when Leiden was).
        seed: the seed Leiden ran with.
        resolution: the resolution it ran with.
        iterations: how many Leiden iterations it ran.
    """

    names: tuple[str, ...]
    membership: tuple[int, ...]
    modularity: float
    seed: int
    resolution: float
    iterations: int

    def members(self) -> dict[int, list[str]]:
        """Each community's members, sorted, by community number."""
        out: dict[int, list[str]] = {}
        for name, community in zip(self.names, self.membership, strict=True):
            out.setdefault(community, []).append(name)
        return dict(sorted(out.items()))

    def of(self) -> dict[str, int]:
        """Each node's community number, by name."""
        return dict(zip(self.names, self.membership, strict=True))


def leiden_communities(
    edges: EdgeList,
    *,
    resolution: float = 1.0,
    seed: int = DEFAULT_SEED,
    iterations: int = 2,
    weighted: bool = True,
) -> Partition:
    """Communities by igraph's built-in Leiden algorithm (Traag, Waltman & van Eck 2019) with
    the modularity objective on the undirected simple graph, weighted by contact events unless
    ``weighted`` is false.

    Leiden visits nodes in a random order. igraph draws its random numbers through a Python
    generator object that it holds process-wide (by default the ``random`` module); for the
    call only, it is given a ``random.Random(seed)`` of its own and then handed back the
    ``random`` module, so the same seed, graph and igraph version give the same communities and
    nobody else's random state is touched. (Two Leiden runs started at the same instant in two
    threads of one process could share a generator; runs are one per process here.)
    """
    links = simple_links(edges)
    graph = links.graph()
    if graph.vcount() == 0:
        return Partition((), (), 0.0, seed, resolution, iterations)
    igraph.set_random_number_generator(random.Random(seed))  # noqa: S311 - reproducible, not secret
    try:
        clustering = graph.community_leiden(
            objective_function="modularity",
            weights="weight" if weighted else None,
            resolution=resolution,
            n_iterations=iterations,
        )
    finally:
        igraph.set_random_number_generator(random)
    raw = [int(m) for m in clustering.membership]
    modularity = float(graph.modularity(raw, weights="weight" if weighted else None))
    return Partition(
        links.names, _renumbered(raw, links.names), modularity, seed, resolution, iterations
    )


def _renumbered(raw: Sequence[int], names: Sequence[str]) -> tuple[int, ...]:
    """Community numbers by size (1 the largest), equal sizes by their first member's name:
    the same partition always gets the same numbers, whatever Leiden's labels."""
    first: dict[int, str] = {}
    size: dict[int, int] = {}
    for label, name in zip(raw, names, strict=True):
        size[label] = size.get(label, 0) + 1
        first.setdefault(label, name)  # names are sorted: the first seen is the smallest
    order = sorted(size, key=lambda label: (-size[label], first[label]))
    number = {label: i + 1 for i, label in enumerate(order)}
    return tuple(number[label] for label in raw)
