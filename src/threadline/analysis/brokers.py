"""Brokers: numbers that sit on the path between others, by Gould–Fernandez brokerage role.

Gould and Fernandez (1989, "Structures of mediation", *Sociological Methodology* 19) define
brokerage on a directed network: node *v* brokers for the ordered pair (*a*, *c*) of distinct
other nodes when *a* → *v* → *c* and there is no arc *a* → *c* (a tie *c* → *a* does not
stop it: the flow from *a* to *c* still needs *v*; this is the definition ``sna::brokerage``
implements). Given a partition of the nodes into groups, each such **two-path** is one of five
roles, by the groups of *a*, *v* and *c*:

============== ==================== ==================================================
role           groups (a → v → c)   the broker...
============== ==================== ==================================================
coordinator    A → A → A            mediates within its own group
itinerant      A → B → A            mediates within a group it is not in (consultant)
gatekeeper     A → B → B            lets contact from outside into its group
representative A → A → B            carries contact from its group out to another
liaison        A → B → C            mediates between two groups, neither its own
============== ==================== ==================================================

A broker's count in a role is the number of such two-paths through it (each pair (*a*, *c*)
counted once per broker; arcs are binary, however many contacts they carry). Arcs are the
contact links of the window (:mod:`threadline.analysis.network_graph`) from the A party
(caller, sender) to the B party. The groups are the Leiden communities of the same window
(:mod:`threadline.analysis.communities`, the same options give the same numbers) or groups the
analyst gives (``groups``: ``label:number`` entries; numbers not listed form one further group,
"outside the groups given").

A two-path shows that contact *could* have been relayed, not that it was, nor what passed; and a
number missing from the exhibits can hide a direct tie (making a broker) or a path (requirement
44, 56).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.communities import LeidenOptions, detect_communities, partition_phrase
from threadline.analysis.contract import AnalysisInfo
from threadline.analysis.evidence import Evidence
from threadline.analysis.network_graph import (
    NetworkWindow,
    NodeKind,
    edge_list,
    load_edges,
    node_name,
    split_node,
)
from threadline.analysis.network_metrics import competition_ranks, index_edges
from threadline.analysis.network_wording import missing_data_caveat, sources_phrase
from threadline.analysis.wording import period_phrase
from threadline.model.finding import Finding

__all__ = [
    "ROLES",
    "BrokerageCensus",
    "Brokers",
    "BrokersParameters",
    "role_of",
]

#: The five roles, in the order findings list them.
ROLES: Final = ("coordinator", "itinerant", "gatekeeper", "representative", "liaison")

_ROLE_WORDS: Final = MappingProxyType(
    {
        "coordinator": "as coordinator (all three in its group)",
        "itinerant": "as itinerant broker (between two members of a group it is not in)",
        "gatekeeper": "as gatekeeper (from outside into its group)",
        "representative": "as representative (from its group out to another)",
        "liaison": "as liaison (between two other groups)",
    }
)

#: The group of a number the analyst's groups do not list.
OUTSIDE: Final = "outside the groups given"


def role_of(source_group: Hashable, broker_group: Hashable, target_group: Hashable) -> str:
    """The Gould–Fernandez role of a two-path source → broker → target, by their groups."""
    if source_group == broker_group:
        return "coordinator" if target_group == broker_group else "representative"
    if target_group == broker_group:
        return "gatekeeper"
    return "itinerant" if target_group == source_group else "liaison"


@dataclass(frozen=True, slots=True)
class Brokerage:
    """One broker's two-paths.

    Attributes:
        counts: two-paths through it, by role (every role present, 0 where none).
        sources: the nodes *a* of its two-paths (arcs a → it that take part).
        targets: the nodes *c* of its two-paths (arcs it → c that take part).
    """

    counts: Mapping[str, int]
    sources: frozenset[str]
    targets: frozenset[str]

    @property
    def total(self) -> int:
        """Two-paths through it in any role."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class BrokerageCensus:
    """The Gould–Fernandez census of a directed graph under a partition (module docstring).

    Nodes are numbered (``names``) and the adjacency is kept as sets of numbers, so that the
    census of a graph of 850,000 arcs is a few seconds of set intersections.

    Attributes:
        names: the nodes, sorted; a node's number is its position.
        out: each node's out-neighbours.
        into: each node's in-neighbours.
        groups: each node's group number.
        labels: each group number's label (``None`` for nodes the partition does not place).
    """

    names: tuple[str, ...]
    out: tuple[frozenset[int], ...]
    into: tuple[frozenset[int], ...]
    groups: tuple[int, ...]
    labels: tuple[Hashable, ...]
    positions: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions", {n: i for i, n in enumerate(self.names)})

    @classmethod
    def of(
        cls, arcs: Iterable[tuple[str, str]], group_of: Mapping[str, Hashable]
    ) -> BrokerageCensus:
        """The census of ``arcs`` (source, target; repeats and self-loops ignored); a node
        ``group_of`` does not place is in the group ``None``."""
        listed = list(arcs)
        names = tuple(sorted({a for a, _ in listed} | {b for _, b in listed}))
        number = {n: i for i, n in enumerate(names)}
        return cls.from_indices(
            names,
            np.array([number[a] for a, _ in listed], dtype=np.int64),
            np.array([number[b] for _, b in listed], dtype=np.int64),
            [group_of.get(n) for n in names],
        )

    @classmethod
    def from_indices(
        cls,
        names: tuple[str, ...],
        source: np.ndarray[Any, np.dtype[np.int64]],
        target: np.ndarray[Any, np.dtype[np.int64]],
        group_labels: Sequence[Hashable],
    ) -> BrokerageCensus:
        """The census of arcs given as node numbers into ``names``, each node's group label
        in ``group_labels``."""
        keep = source != target
        keys = np.unique(source[keep] * len(names) + target[keep])
        heads, tails = keys // len(names), keys % len(names)
        out = _adjacency(heads, tails, len(names))
        order = np.argsort(tails, kind="stable")
        into = _adjacency(tails[order], heads[order], len(names))
        label_number: dict[Hashable, int] = {}
        groups = tuple(label_number.setdefault(g, len(label_number)) for g in group_labels)
        labels = tuple(label_number)
        return cls(names, out, into, groups, labels)

    def group(self, node: str) -> Hashable:
        """A node's group label."""
        return self.labels[self.groups[self.positions[node]]]

    def counts(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Every node's two-paths by role: one row per node (``names`` order), one column per
        role (:data:`ROLES` order).

        For broker *v* and each in-neighbour *a*, the targets are *v*'s out-neighbours less
        *a* itself and less those *a* reaches directly (``out(v) & out(a)``); counting them
        by group needs only *v*'s out-neighbours tallied by group once, then the few excluded
        ones taken off, so the cost is one set intersection per arc, not per two-path.
        """
        out, into, grp = self.out, self.into, self.groups
        result = np.zeros((len(self.names), len(ROLES)), dtype=np.int64)
        for v in range(len(self.names)):
            ins, outs = into[v], out[v]
            if not ins or not outs:
                continue
            gv = grp[v]
            by_group: dict[int, int] = {}
            for c in outs:
                by_group[grp[c]] = by_group.get(grp[c], 0) + 1
            coordinator = itinerant = gatekeeper = representative = liaison = 0
            for a in ins:
                ga = grp[a]
                reciprocal = 1 if a in outs else 0
                closed = outs & out[a]
                total = len(outs) - reciprocal - len(closed)
                if total <= 0:
                    continue
                closed_v = sum(1 for c in closed if grp[c] == gv)
                if ga == gv:
                    in_v = by_group.get(gv, 0) - closed_v - reciprocal
                    coordinator += in_v
                    representative += total - in_v
                else:
                    in_v = by_group.get(gv, 0) - closed_v
                    closed_a = sum(1 for c in closed if grp[c] == ga)
                    in_a = by_group.get(ga, 0) - closed_a - reciprocal
                    gatekeeper += in_v
                    itinerant += in_a
                    liaison += total - in_v - in_a
            result[v] = (coordinator, itinerant, gatekeeper, representative, liaison)
        return result

    def brokerage(self, node: str) -> Brokerage:
        """One node's two-paths by role, and the arcs that take part in them."""
        v = self.positions[node]
        outs, ins, grp = self.out[v], self.into[v], self.groups
        counts = dict.fromkeys(ROLES, 0)
        sources: set[int] = set()
        closed_to: dict[int, int] = {}
        for a in ins:
            closed = outs & self.out[a]
            for c in closed:
                closed_to[c] = closed_to.get(c, 0) + 1
            for c in outs - closed - {a}:
                counts[role_of(grp[a], grp[v], grp[c])] += 1
                sources.add(a)
        # v -> c takes part when some a -> v has a != c and no arc a -> c
        targets = {c for c in outs if len(ins) - (c in ins) - closed_to.get(c, 0) > 0}
        return Brokerage(
            counts,
            frozenset(self.names[a] for a in sources),
            frozenset(self.names[c] for c in targets),
        )

    def roles(self) -> dict[str, Brokerage]:
        """Every node with at least one two-path through it (for small graphs and tests)."""
        totals = self.counts().sum(axis=1)
        return {self.names[v]: self.brokerage(self.names[v]) for v in np.flatnonzero(totals)}

    def examples(self, node: str, per_role: int = 3, budget: int = 20_000) -> dict[str, list[str]]:
        """Up to ``per_role`` two-paths (``a -> v -> c``) through ``node`` for each of its
        roles, the first in name order, looking at no more than ``budget`` pairs."""
        v = self.positions[node]
        found: dict[str, list[str]] = {r: [] for r in ROLES}
        looked = 0
        outs = sorted(self.out[v])  # numbers follow name order
        for a in sorted(self.into[v]):
            reach = self.out[a]
            for c in outs:
                looked += 1
                if looked > budget:
                    return {r: e for r, e in found.items() if e}
                if c == a or c in reach:
                    continue
                role = role_of(self.groups[a], self.groups[v], self.groups[c])
                if len(found[role]) < per_role:
                    found[role].append(f"{self.names[a]} -> {node} -> {self.names[c]}")
        return {r: e for r, e in found.items() if e}


def _adjacency(
    heads: np.ndarray[Any, np.dtype[np.int64]],
    tails: np.ndarray[Any, np.dtype[np.int64]],
    n: int,
) -> tuple[frozenset[int], ...]:
    """Each node's neighbours from arcs sorted by ``heads``."""
    bounds = np.searchsorted(heads, np.arange(n + 1))
    listed = tails.tolist()
    return tuple(
        frozenset(listed[bounds[i] : bounds[i + 1]]) if bounds[i + 1] > bounds[i] else _EMPTY
        for i in range(n)
    )


_EMPTY: Final[frozenset[int]] = frozenset()


class BrokersParameters(NetworkWindow, LeidenOptions):
    """Parameters of :class:`Brokers`.

    Attributes:
        top: report the brokers ranked this high or higher by their number of two-paths
            (ties included).
        groups: the analyst's groups as ``label:number`` entries (``OCG A:07700900123``); empty
            for the Leiden communities (with the Leiden options given).
    """

    top: int = Field(default=20, ge=1, le=1000)
    groups: list[str] = Field(default_factory=list)

    @field_validator("groups", mode="after")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        placed: dict[str, str] = {}
        for entry in value:
            label, sep, number = entry.rpartition(":")
            label = label.strip()
            if not sep or not label:
                raise ValueError(f"{entry!r}: write a group as label:number")
            (e164,) = normalise_numbers([number])
            if placed.get(e164, label) != label:
                raise ValueError(f"{e164} is in two groups ({placed[e164]!r}, {label!r})")
            placed[e164] = label
        return sorted(f"{label}:{number}" for number, label in placed.items())


class Brokers:
    """Gould–Fernandez brokerage roles per number (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="brokers",
        version="1.1.0",
        title="Brokers",
        summary="Numbers on the path between others who have no direct contact (A contacted "
        "it, it contacted C), counted by Gould–Fernandez role (coordinator, itinerant, "
        "gatekeeper, representative, liaison) over the Leiden communities or the analyst's "
        "groups. A lead, never evidence of a role.",
        tables=("calls", "messages"),
        parameters=BrokersParameters,
        requirements=(20, 44, 56),
    )

    def run(self, evidence: Evidence, parameters: BrokersParameters) -> list[Finding]:
        """The brokers with the most two-paths, most first.

        Raises:
            StoreError: the evidence could not be read.
        """
        edges = load_edges(evidence, parameters)
        if edges.num_rows == 0:
            return []
        indexed = index_edges(edge_list(edges))
        if parameters.groups:
            given: dict[str, Hashable] = {}
            for entry in parameters.groups:
                label, _, number = entry.rpartition(":")
                given[node_name(NodeKind.NUMBER, number)] = label
            labels: list[Hashable] = [given.get(n) for n in indexed.names]
            method = "the groups given"
        else:
            partition = detect_communities(edges, parameters)
            community = partition.of()
            labels = [community[n] for n in indexed.names]
            method = f"the communities found by {partition_phrase(partition, parameters.weighted)}"
        sizes = Counter(labels)
        census = BrokerageCensus.from_indices(indexed.names, indexed.source, indexed.target, labels)
        totals = census.counts().sum(axis=1)
        ranks = competition_ranks(totals.tolist())
        chosen = [
            (census.names[v], ranks[v])
            for v in np.flatnonzero(totals)
            if ranks[v] <= parameters.top
        ]
        if not chosen:
            return []
        references = sorted(
            evidence.reference(e)
            for e in pc.unique(pc.list_flatten(edges.column("exhibit_ids"))).to_pylist()
        )
        findings = [
            _finding(
                b, census.brokerage(b), rank, census, edges, sizes, method, references,
                evidence, bool(parameters.groups),
            )
            for b, rank in chosen
        ]  # fmt: skip
        findings.sort(key=lambda f: (-(f.score or 0.0), f.subjects))
        return findings


def _finding(
    broker: str,
    brokerage: Brokerage,
    rank: int,
    census: BrokerageCensus,
    edges: pa.Table,
    sizes: Mapping[Hashable, int],
    method: str,
    references: Sequence[str],
    evidence: Evidence,
    given: bool,
) -> Finding:
    identifier = split_node(broker)[1]
    arcs = {(a, broker) for a in brokerage.sources} | {(broker, c) for c in brokerage.targets}
    taking_part = edges.filter(
        pc.or_(pc.equal(edges.column("source"), broker), pc.equal(edges.column("target"), broker))
    ).to_pylist()
    row_ids: set[str] = set()
    exhibit_ids: set[str] = set()
    firsts, lasts = [], []
    for edge in taking_part:
        if (edge["source"], edge["target"]) not in arcs:
            continue
        row_ids.update(edge["row_ids"])
        exhibit_ids.update(edge["exhibit_ids"])
        if edge["first_utc"] is not None:
            firsts.append(edge["first_utc"])
        if edge["last_utc"] is not None:
            lasts.append(edge["last_utc"])
    first, last = (min(firsts) if firsts else None), (max(lasts) if lasts else None)
    exhibits = sorted(evidence.reference(e) for e in exhibit_ids)
    group = census.group(broker)
    group_label = _group_label(group, given)
    examples = {
        role: [_plain(path) for path in paths] for role, paths in census.examples(broker).items()
    }
    counted = [f"{n} {_ROLE_WORDS[r]}" for r, n in brokerage.counts.items() if n]
    example_words = "; ".join(f"{paths[0]} ({role})" for role, paths in examples.items())
    explanation = (
        f"{identifier} brokered {brokerage.total} two-step contact(s) (A contacted it and it "
        f"contacted C, with no direct contact recorded from A to C), between "
        f"{len(brokerage.sources)} source(s) and {len(brokerage.targets)} target(s): "
        f"{'; '.join(counted)}. Groups: {method}; it is in {group_label} "
        f"({sizes.get(group, 1)} member(s)). "
    )
    if example_words:
        explanation += f"For example: {example_words}. "
    explanation += (
        f"The contact behind these rests on {sources_phrase(len(row_ids), exhibits)}, "
        f"{period_phrase(first, last)}. Its score, {brokerage.total}, is the number of two-step "
        "contacts. Direction is who called or messaged whom, not who passed what on: a two-step "
        "contact shows that something could have been relayed, not that it was. "
        + missing_data_caveat(references)
    )
    detail: dict[str, Any] = {
        "node": identifier,
        "group": group_label,
        "group_size": sizes.get(group, 1),
        "roles": dict(brokerage.counts),
        "total": brokerage.total,
        "rank": rank,
        "sources": sorted(split_node(a)[1] for a in brokerage.sources),
        "targets": sorted(split_node(c)[1] for c in brokerage.targets),
        "examples": examples,
        "partition": method,
        "exhibits": exhibits,
        "network_exhibits": list(references),
    }
    return Finding(
        kind="broker",
        subjects=(identifier,),
        explanation=explanation,
        derived_from=tuple(sorted(row_ids)),
        score=float(brokerage.total),
        detail=detail,
        first_utc=first,
        last_utc=last,
    )


def _group_label(group: Hashable, given: bool) -> str:
    if given:
        return f"group '{group}'" if group is not None else OUTSIDE
    return f"community {group}"


def _plain(path: str) -> str:
    """``number:+44.. -> number:+44..`` as ``+44.. -> +44..``."""
    return " -> ".join(split_node(p)[1] for p in path.split(" -> "))
