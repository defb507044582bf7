"""Communities: groups of numbers more in contact with each other than with the rest.

An organised crime network shows in call data as a cluster: numbers that call each other far
more than they call anyone else. Leiden community detection (Traag, Waltman & van Eck 2019;
igraph's built-in implementation) splits the contact graph of the window
(:mod:`threadline.analysis.network_graph`; undirected, weighted by contact events) into the
groups that maximise modularity, and each group of at least ``min_size`` is one finding: a
*candidate* network, with its members, how densely they are linked, how much of their contact
stays inside the group, its most central members and every row behind its internal links
(domain.md §6.2; issue 5 "Network").

Leiden visits nodes in a random order, so it runs with a fixed seed (``seed``, 1 unless given):
the same evidence, parameters and igraph version give the same groups, and the finding records
all three. Community numbers are by size (1 the largest), so they too are reproducible.

A community is a pattern of contact, not proof that its members know each other or act
together; every node is placed in some group; and numbers missing from the exhibits can split a
real group or join two (requirement 44, 56).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.network_graph import (
    LinkKind,
    NetworkParameters,
    NodeKind,
    edge_list,
    load_edges,
    split_node,
)
from threadline.analysis.network_metrics import (
    DEFAULT_SEED,
    ENGINE,
    Partition,
    leiden_communities,
)
from threadline.analysis.network_wording import listing, missing_data_caveat, sources_phrase
from threadline.analysis.wording import period_phrase
from threadline.model.finding import Finding

__all__ = [
    "Communities",
    "CommunitiesParameters",
    "LeidenOptions",
    "detect_communities",
    "partition_phrase",
]


class LeidenOptions(Parameters):
    """How Leiden runs (shared with the brokers analysis, which groups nodes the same way).

    Attributes:
        resolution: higher gives more, smaller communities; 1 is classic modularity.
        seed: the seed of Leiden's random node order (stated in every finding).
        iterations: Leiden iterations (2, igraph's default, is near the optimum at a fraction
            of the time of iterating until nothing changes).
        weighted: weight links by contact events (otherwise every pair in contact counts 1).
    """

    resolution: float = Field(default=1.0, gt=0, le=100)
    seed: int = DEFAULT_SEED
    iterations: int = Field(default=2, ge=1, le=100)
    weighted: bool = True


class CommunitiesParameters(NetworkParameters, LeidenOptions):
    """Parameters of :class:`Communities`.

    Attributes:
        min_size: report communities of at least this many nodes.
        central_members: how many of each community's most central members to name.
    """

    min_size: int = Field(default=3, ge=1)
    central_members: int = Field(default=5, ge=1, le=100)


def detect_communities(edges: pa.Table, options: LeidenOptions) -> Partition:
    """Leiden communities of an edge table (:func:`network_graph.load_edges`)."""
    return leiden_communities(
        edge_list(edges),
        resolution=options.resolution,
        seed=options.seed,
        iterations=options.iterations,
        weighted=options.weighted,
    )


def partition_phrase(partition: Partition, weighted: bool) -> str:
    """How the communities were found, in words: ``Leiden community detection (modularity,
    resolution 1, seed 1, 2 iterations, weighted by contact events; igraph 1.0.0)``."""
    weights = "weighted by contact events" if weighted else "unweighted"
    return (
        f"Leiden community detection (modularity, resolution {partition.resolution:g}, seed "
        f"{partition.seed}, {partition.iterations} iterations, {weights}; {ENGINE})"
    )


@dataclass(frozen=True, slots=True)
class _Group:
    """One community, its figures worked out from its internal edges.

    Attributes:
        number: its number (1 the largest).
        members: its members' node names, numbers first.
        links: pairs of members linked either way.
        events: contact events on its internal links.
        handset_records: handset records on its internal handset links.
        inexact: internal contact events without an exact time.
        boundary_weight: the weight of links between a member and a non-member.
        central: its most central members: (name, members linked with, contact events inside).
        row_ids: the rows of its internal links, sorted.
        exhibit_ids: their exhibits, sorted.
        first_utc: its earliest internal link.
        last_utc: its latest.
    """

    number: int
    members: list[str]
    links: int
    events: int
    handset_records: int
    inexact: int
    boundary_weight: float
    central: list[tuple[str, int, int]]
    row_ids: tuple[str, ...]
    exhibit_ids: list[str]
    first_utc: datetime | None
    last_utc: datetime | None


class Communities:
    """Candidate networks by Leiden community detection (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="communities",
        version="1.1.0",
        title="Communities",
        summary="Groups of numbers in more contact with each other than with the rest "
        "(Leiden, modularity, fixed seed) as candidate networks: members, density, how much "
        "of their contact stays inside, the most central members and the records behind "
        "each. A group is a lead, never evidence of an association.",
        tables=("calls", "messages", "data_sessions"),
        parameters=CommunitiesParameters,
        requirements=(20, 44, 56),
    )

    def run(self, evidence: Evidence, parameters: CommunitiesParameters) -> list[Finding]:
        """The communities of at least ``min_size`` nodes, largest first.

        Raises:
            StoreError: the evidence could not be read.
        """
        edges = load_edges(evidence, parameters, handsets=parameters.include_handsets)
        if edges.num_rows == 0:
            return []
        partition = detect_communities(edges, parameters)
        references = sorted(
            evidence.reference(e)
            for e in pc.unique(pc.list_flatten(edges.column("exhibit_ids"))).to_pylist()
        )
        groups = _groups(edges, partition, parameters.min_size, parameters.central_members)
        return [_finding(group, partition, parameters, references, evidence) for group in groups]


def _groups(
    edges: pa.Table, partition: Partition, min_size: int, central_members: int
) -> list[_Group]:
    """Each reported community's figures, found in one pass over the edges: every edge gets
    its community (0 when it crosses between two), the edges are sorted by it and each
    community's are one contiguous run, whose figures are array sums rather than a loop over
    the edges in Python (a graph may have 850,000 of them)."""
    names = pa.array(partition.names, pa.string())
    membership = np.asarray(partition.membership, dtype=np.int64)
    source = pc.index_in(edges.column("source"), value_set=names).to_numpy().astype(np.int64)
    target = pc.index_in(edges.column("target"), value_set=names).to_numpy().astype(np.int64)
    weight = edges.column("weight").to_numpy().astype(np.int64)
    inexact = edges.column("inexact").to_numpy().astype(np.int64)
    contact = pc.equal(edges.column("link"), LinkKind.CONTACT.value).to_numpy(zero_copy_only=False)
    side_a, side_b = membership[source], membership[target]
    inside = np.where(side_a == side_b, side_a, 0)
    crossing = side_a != side_b
    count = int(membership.max()) + 1
    boundary = np.bincount(side_a[crossing], weights=weight[crossing], minlength=count)
    boundary += np.bincount(side_b[crossing], weights=weight[crossing], minlength=count)
    order = np.argsort(inside, kind="stable")
    ordered = edges.take(pa.array(order))
    source, target, weight, inexact, contact = (
        source[order], target[order], weight[order], inexact[order], contact[order]
    )  # fmt: skip
    bounds = np.searchsorted(inside[order], np.arange(count + 1))
    # members of each community, numbers before handsets, then by name
    number_first = np.array([not n.startswith("number:") for n in partition.names])
    by_community = np.lexsort((np.arange(len(names)), number_first, membership))
    member_bounds = np.searchsorted(membership[by_community], np.arange(count + 1))
    out = []
    for number in range(1, count):
        members = by_community[member_bounds[number] : member_bounds[number + 1]]
        if len(members) < min_size:
            continue
        lo, hi = int(bounds[number]), int(bounds[number + 1])
        part = ordered.slice(lo, hi - lo)
        a, b, w, c = source[lo:hi], target[lo:hi], weight[lo:hi], contact[lo:hi]
        pairs = np.unique(np.minimum(a, b) * len(names) + np.maximum(a, b))
        ends = np.concatenate([pairs // len(names), pairs % len(names)])
        linked_nodes, linked = np.unique(ends, return_counts=True)
        linked_of = dict(zip(linked_nodes.tolist(), linked.tolist(), strict=True))
        touching = np.concatenate([a[c], b[c]])
        event_nodes, event_sums = (
            np.unique(touching, return_inverse=True) if len(touching) else (touching, touching)
        )
        events_of = dict(
            zip(
                event_nodes.tolist(),
                np.bincount(event_sums, weights=np.concatenate([w[c], w[c]])).tolist()
                if len(touching)
                else [],
                strict=True,
            )
        )
        ranked = sorted(
            members.tolist(),
            key=lambda m: (-linked_of.get(m, 0), -events_of.get(m, 0), partition.names[m]),
        )[:central_members]
        first = pc.min(part.column("first_utc")).as_py() if hi > lo else None
        last = pc.max(part.column("last_utc")).as_py() if hi > lo else None
        out.append(
            _Group(
                number=number,
                members=[partition.names[m] for m in members.tolist()],
                links=len(pairs),
                events=int(w[c].sum()),
                handset_records=int(w[~c].sum()),
                inexact=int(inexact[lo:hi][c].sum()),
                boundary_weight=float(boundary[number]),
                central=[
                    (partition.names[m], linked_of.get(m, 0), int(events_of.get(m, 0)))
                    for m in ranked
                ],
                row_ids=_sorted_unique(part.column("row_ids")),
                exhibit_ids=sorted(
                    pc.unique(pc.list_flatten(part.column("exhibit_ids"))).to_pylist()
                ),
                first_utc=first,
                last_utc=last,
            )
        )
    return out


def _finding(
    group: _Group,
    partition: Partition,
    parameters: CommunitiesParameters,
    references: Sequence[str],
    evidence: Evidence,
) -> Finding:
    size = len(group.members)
    possible = size * (size - 1) // 2
    density = group.links / possible if possible else 0.0
    inside_weight = group.events + group.handset_records
    total = inside_weight + group.boundary_weight
    cohesion = inside_weight / total if total else 0.0
    nodes = [split_node(m) for m in group.members]
    identifiers = [identifier for _kind, identifier in nodes]
    kinds = sorted({kind.value for kind, _identifier in nodes})
    exhibits = sorted(evidence.reference(e) for e in group.exhibit_ids)
    what = "numbers" if kinds == [NodeKind.NUMBER.value] else "nodes (numbers and handsets)"
    central_words = [
        f"{split_node(m)[1]} (linked with {linked} of the {size - 1} others, "
        f"{events} contact events inside)"
        for m, linked, events in group.central
    ]
    handset_words = (
        f" and {group.handset_records} handset record(s)" if group.handset_records else ""
    )
    explanation = (
        f"Candidate network {group.number}: {size} {what} ({listing(identifiers)}) placed "
        f"together by {partition_phrase(partition, parameters.weighted)}. {group.links} of "
        f"the {possible} possible pairs among them are linked (density {density:.2f}), with "
        f"{group.events} contact events{handset_words} between them; {cohesion:.0%} of the "
        f"weight on its members' links stays inside the group (cohesion {cohesion:.2f}, the "
        f"score). Most central inside it: {'; '.join(central_words)}. Its internal links rest "
        f"on {sources_phrase(len(group.row_ids), exhibits)}, "
        f"{period_phrase(group.first_utc, group.last_utc)}."
    )
    if group.inexact:
        explanation += (
            f" {group.inexact} of the contact events have no exact time and are counted as "
            "they stand."
        )
    explanation += (
        " A community is a pattern of contact, not proof that its members know each other or "
        "act together, and every number is placed in some group. " + missing_data_caveat(references)
    )
    detail: dict[str, Any] = {
        "community": group.number,
        "members": identifiers,
        "member_types": {k: sum(1 for kind, _i in nodes if kind.value == k) for k in kinds},
        "size": size,
        "links": group.links,
        "possible_pairs": possible,
        "density": round(density, 6),
        "events": group.events,
        "handset_records": group.handset_records,
        "boundary_weight": group.boundary_weight,
        "cohesion": round(cohesion, 6),
        "central_members": [
            {
                "node": split_node(m)[1],
                "node_type": split_node(m)[0].value,
                "linked_inside": linked,
                "events_inside": events,
            }
            for m, linked, events in group.central
        ],
        "exhibits": exhibits,
        "method": {
            "algorithm": "leiden",
            "objective": "modularity",
            "resolution": partition.resolution,
            "seed": partition.seed,
            "iterations": partition.iterations,
            "weighted": parameters.weighted,
            "engine": ENGINE,
        },
        "modularity": round(partition.modularity, 6),
        "communities": len(set(partition.membership)),
        "network_exhibits": list(references),
    }
    return Finding(
        kind="community",
        subjects=tuple(identifiers),
        explanation=explanation,
        derived_from=group.row_ids,
        score=round(cohesion, 4),
        detail=detail,
        first_utc=group.first_utc,
        last_utc=group.last_utc,
    )


def _sorted_unique(lists: pa.ChunkedArray) -> tuple[str, ...]:
    """The distinct strings of a column of lists, sorted by Arrow (byte order, which is code
    point order: the order :func:`sorted` gives) before they become Python strings."""
    distinct = pc.unique(pc.list_flatten(lists))
    return tuple(distinct.take(pc.sort_indices(distinct)).to_pylist())
