"""Communities: groups of numbers more in contact with each other than with the rest.

An organised crime network shows in call data as a cluster: numbers that call each other far
more than they call anyone else. Leiden community detection (Traag, Waltman & van Eck 2019;
igraph's built-in implementation) splits the contact graph of the window
(:mod:`threadline.analysis.network_graph`; undirected, weighted by contact events) into the
groups that maximise modularity, and each group of at least ``min_size`` is one finding: a
*candidate* network, with its members, how densely they are linked, how much of their contact
stays inside the group, its most central members and the rows behind its internal links
(domain.md §6.2; issue 5 "Network").

A community's rows are named by its links (:class:`~threadline.model.finding.LinkCitation`):
every contact record between two of its members in the window, in the exhibits read, rather
than listed. A community of a 10-million-row case rests on millions of rows; listing them cost
five times as long as finding the communities and made findings of 100 MB that no one could
read, while the rule is exact and is resolved when someone opens the rows (requirement 20).

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
from threadline.model.finding import Finding, LinkCitation

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
        rows: how many rows its internal links rest on.
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
    rows: int
    exhibit_ids: list[str]
    first_utc: datetime | None
    last_utc: datetime | None


class Communities:
    """Candidate networks by Leiden community detection (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="communities",
        version="1.2.0",
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
        handsets = parameters.include_handsets
        # a record may be behind a contact link and a handset link: with handsets the rows
        # are counted from their ids, without them from each link's count
        edges = load_edges(evidence, parameters, handsets=handsets, row_ids=handsets)
        if edges.num_rows == 0:
            return []
        partition = detect_communities(edges, parameters)
        read = tuple(sorted(pc.unique(pc.list_flatten(edges.column("exhibit_ids"))).to_pylist()))
        references = sorted(evidence.reference(e) for e in read)
        groups = _groups(edges, partition, parameters.min_size, parameters.central_members)
        return [
            _finding(group, partition, parameters, references, read, evidence) for group in groups
        ]


def _groups(
    edges: pa.Table, partition: Partition, min_size: int, central_members: int
) -> list[_Group]:
    """Each reported community's figures, worked out for all communities at once: every edge
    gets its community (0 when it crosses between two) and every figure is an array sum by
    community or by node, rather than a loop over the edges in Python (a graph may have
    850,000 of them)."""
    names = pa.array(partition.names, pa.string())
    size = len(names)
    membership = np.asarray(partition.membership, dtype=np.int64)
    count = int(membership.max()) + 1
    source = pc.index_in(edges.column("source"), value_set=names).to_numpy().astype(np.int64)
    target = pc.index_in(edges.column("target"), value_set=names).to_numpy().astype(np.int64)
    weight = edges.column("weight").to_numpy().astype(np.int64)
    inexact = edges.column("inexact").to_numpy().astype(np.int64)
    contact = pc.equal(edges.column("link"), LinkKind.CONTACT.value).to_numpy(zero_copy_only=False)
    side_a, side_b = membership[source], membership[target]
    crossing = side_a != side_b
    internal = ~crossing
    inside = np.where(crossing, 0, side_a)

    def by_community(where: np.ndarray[Any, Any], values: np.ndarray[Any, Any]) -> Any:
        return np.bincount(inside[where], weights=values[where], minlength=count)

    boundary = np.bincount(side_a[crossing], weights=weight[crossing], minlength=count)
    boundary += np.bincount(side_b[crossing], weights=weight[crossing], minlength=count)
    events = by_community(internal & contact, weight)
    handset_records = by_community(internal & ~contact, weight)
    inexact_events = by_community(internal & contact, inexact)
    rows = _rows_by_community(edges, inside, internal, count)
    exhibits = _exhibits_by_community(edges.column("exhibit_ids"), inside, internal)
    first = _instants_by_community(edges.column("first_utc"), inside, internal, count, np.minimum)
    last = _instants_by_community(edges.column("last_utc"), inside, internal, count, np.maximum)
    # the pairs of members linked either way, and how many each member is linked with
    pairs = np.unique(
        np.minimum(source, target)[internal] * size + np.maximum(source, target)[internal]
    )
    links = np.bincount(membership[pairs // size], minlength=count)
    linked = np.bincount(np.concatenate([pairs // size, pairs % size]), minlength=size)
    touching = internal & contact
    node_events = np.bincount(
        np.concatenate([source[touching], target[touching]]),
        weights=np.concatenate([weight[touching], weight[touching]]),
        minlength=size,
    ).astype(np.int64)
    # members of each community, numbers before handsets, then by name; and each community's
    # most central: most members linked with, then most contact events inside, then by name
    number_first = np.array([not n.startswith("number:") for n in partition.names])
    by_member = np.lexsort((np.arange(size), number_first, membership))
    member_bounds = np.searchsorted(membership[by_member], np.arange(count + 1))
    name_rank = np.empty(size, dtype=np.int64)
    name_rank[pc.sort_indices(names).to_numpy()] = np.arange(size)
    by_centrality = np.lexsort((name_rank, -node_events, -linked, membership))
    out = []
    for number in range(1, count):
        lo, hi = int(member_bounds[number]), int(member_bounds[number + 1])
        if hi - lo < min_size:
            continue
        ranked = by_centrality[lo : min(hi, lo + central_members)].tolist()
        out.append(
            _Group(
                number=number,
                members=[partition.names[m] for m in by_member[lo:hi].tolist()],
                links=int(links[number]),
                events=int(events[number]),
                handset_records=int(handset_records[number]),
                inexact=int(inexact_events[number]),
                boundary_weight=float(boundary[number]),
                central=[(partition.names[m], int(linked[m]), int(node_events[m])) for m in ranked],
                rows=int(rows[number]),
                exhibit_ids=exhibits.get(number, []),
                first_utc=first[number],
                last_utc=last[number],
            )
        )
    return out


def _rows_by_community(
    edges: pa.Table, inside: np.ndarray[Any, Any], internal: np.ndarray[Any, Any], count: int
) -> Any:
    """How many distinct rows each community's internal links rest on: the sum of the links'
    counts when the edges carry counts (each record is behind one contact link), the distinct
    ids otherwise (a record may be behind a contact link and a handset link)."""
    if "row_ids" not in edges.column_names:
        counts = edges.column("rows").to_numpy().astype(np.int64)
        return np.bincount(inside[internal], weights=counts[internal], minlength=count)
    (communities, _codes), _values = _codes_by_community(edges.column("row_ids"), inside, internal)
    return np.bincount(communities, minlength=count)


def _exhibits_by_community(
    lists: pa.ChunkedArray, inside: np.ndarray[Any, Any], internal: np.ndarray[Any, Any]
) -> dict[int, list[str]]:
    """Each community's exhibit ids (of its internal links), sorted."""
    (communities, codes), values = _codes_by_community(lists, inside, internal)
    out: dict[int, list[str]] = {}
    for community, value in zip(communities.tolist(), values.take(codes).to_pylist(), strict=True):
        out.setdefault(community, []).append(value)
    return {community: sorted(ids) for community, ids in out.items()}


def _codes_by_community(
    lists: pa.ChunkedArray, inside: np.ndarray[Any, Any], internal: np.ndarray[Any, Any]
) -> tuple[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]], pa.Array]:
    """The distinct (community, value) pairs of a list column's values on internal links, as
    community numbers and codes into the distinct values (returned with them)."""
    column = lists.combine_chunks()
    parents = pc.list_parent_indices(column).to_numpy()
    encoded = pc.dictionary_encode(pc.list_flatten(column))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    keep = internal[parents]
    distinct = len(encoded.dictionary)
    keys = np.unique(inside[parents[keep]] * distinct + codes[keep])
    return (keys // distinct, keys % distinct), encoded.dictionary


def _instants_by_community(
    column: pa.ChunkedArray,
    inside: np.ndarray[Any, Any],
    internal: np.ndarray[Any, Any],
    count: int,
    reduce: np.ufunc,
) -> list[datetime | None]:
    """Each community's earliest (``np.minimum``) or latest (``np.maximum``) instant of a
    timestamp column over its internal links; ``None`` where none has one."""
    empty = np.iinfo(np.int64).max if reduce is np.minimum else np.iinfo(np.int64).min
    # an instant left empty is the reduction's identity, so it changes nothing
    values = pc.fill_null(pc.cast(column, pa.int64()), empty).to_numpy()
    out = np.full(count, empty, dtype=np.int64)
    reduce.at(out, inside[internal], values[internal])
    found = [None if v == empty else v for v in out.tolist()]
    instants: list[datetime | None] = pa.array(found, pa.int64()).cast(column.type).to_pylist()
    return instants


def _finding(
    group: _Group,
    partition: Partition,
    parameters: CommunitiesParameters,
    references: Sequence[str],
    read: tuple[str, ...],
    evidence: Evidence,
) -> Finding:
    """The finding of one community; ``read`` are the ids of the exhibits the network rests
    on, which its link citation is limited to."""
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
        f"on {sources_phrase(group.rows, exhibits)}, "
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
        derived_from=(),
        score=round(cohesion, 4),
        detail=detail,
        first_utc=group.first_utc,
        last_utc=group.last_utc,
        derived_links=LinkCitation(
            nodes=tuple(sorted(group.members)),
            exhibit_ids=read,
            since=parameters.since,
            until=parameters.until,
            handsets=parameters.include_handsets,
            same_event_seconds=parameters.same_event_seconds,
            rows=group.rows,
        ),
    )
