"""Key players: the nodes that rank highest by centrality in the case's contact network.

Social network analysis's first question of a network (domain.md §6.2): who is most active
(degree), who sits between others (betweenness), who is nearest to everyone (closeness), who is
linked to the well-linked (eigenvector), who is in its densest core (k-core)? The measures
(requirement 56; :mod:`threadline.analysis.network_metrics`) are computed on the undirected
contact graph of the window (:mod:`threadline.analysis.network_graph`): one finding per node
ranked in the top ``top`` by at least one measure, with every measure's rank and value. k-core
is reported for each of them but does not choose them unless it is the only measure asked for,
because a whole core shares one value and would all be "joint 1st".

With ``slices``, the window is cut into equal time slices and each player's rank in each
slice is given as well: a node that leads in every slice is an enduring figure, one that leads
in one slice a temporary contributor, and a rise after an arrest or seizure can be seen
(domain.md §6.2).

Every explanation names the exhibits the node's links come from and ends with the missing-data
caveat (requirement 56): the network is only what the exhibits hold, and a rank is a lead for
an analyst, never evidence of a role (requirement 44).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Final

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from threadline.analysis.contract import AnalysisInfo
from threadline.analysis.evidence import Evidence
from threadline.analysis.network_graph import (
    NetworkParameters,
    NodeEvidence,
    NodeKind,
    TimeSlice,
    edge_list,
    load_edges,
    load_sliced_edges,
    node_evidence,
    split_node,
)
from threadline.analysis.network_metrics import DEFAULT_SEED, Measure, NodeMetrics, network_metrics
from threadline.analysis.network_wording import missing_data_caveat, ordinal, sources_phrase
from threadline.analysis.wording import period_phrase
from threadline.model.finding import Finding

__all__ = ["KeyPlayers", "KeyPlayersParameters"]

_MEASURE_WORDS: Final = MappingProxyType(
    {
        Measure.DEGREE: "degree",
        Measure.WEIGHTED_DEGREE: "weighted degree",
        Measure.BETWEENNESS: "betweenness",
        Measure.CLOSENESS: "closeness",
        Measure.EIGENVECTOR: "eigenvector centrality",
        Measure.CORENESS: "k-core",
    }
)


class KeyPlayersParameters(NetworkParameters):
    """Parameters of :class:`KeyPlayers`.

    Attributes:
        top: report the nodes ranked this high or higher by any measure (ties included).
        measures: the measures to compute and rank by (all by default).
        slices: cut the window into this many equal time slices and give each player's rank
            in each (0 for none).
        betweenness_cutoff: betweenness counts only shortest paths of at most this many links
            (an estimate; for a large graph).
        betweenness_sample: betweenness counts only shortest paths from this many source
            nodes drawn with ``seed``, scaled up (an estimate; for a large graph).
        closeness_cutoff: closeness ignores nodes further than this many links (an estimate).
        seed: the seed of the betweenness sample.
    """

    top: int = Field(default=10, ge=1, le=1000)
    measures: list[Measure] = Field(default_factory=lambda: list(Measure))
    slices: int = Field(default=0, ge=0, le=100)
    betweenness_cutoff: int | None = Field(default=None, ge=1)
    betweenness_sample: int | None = Field(default=None, ge=2)
    closeness_cutoff: int | None = Field(default=None, ge=1)
    seed: int = DEFAULT_SEED

    @field_validator("measures", mode="after")
    @classmethod
    def _measures(cls, value: list[Measure]) -> list[Measure]:
        if not value:
            raise ValueError("give at least one measure")
        return [m for m in Measure if m in value]  # canonical order, once each


class KeyPlayers:
    """The nodes ranked highest by centrality (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="key_players",
        version="1.1.0",
        title="Key players",
        summary="The numbers ranked highest in the contact network by degree, weighted degree, "
        "betweenness, closeness, eigenvector centrality and k-core, optionally in each of "
        "equal time slices, with the exhibits behind each and the missing-data caveat. A "
        "rank is a lead, never evidence of a role.",
        tables=("calls", "messages", "data_sessions"),
        parameters=KeyPlayersParameters,
        requirements=(20, 44, 56),
    )

    def run(self, evidence: Evidence, parameters: KeyPlayersParameters) -> list[Finding]:
        """The key players, best ranked first.

        Raises:
            StoreError: the evidence could not be read.
        """
        edges = load_edges(evidence, parameters, handsets=parameters.include_handsets)
        if edges.num_rows == 0:
            return []
        metrics = _metrics(edges, parameters)
        choosing: list[Measure] = [m for m in parameters.measures if m is not Measure.CORENESS] or [
            Measure.CORENESS
        ]
        chosen = sorted({n for m in choosing for n in metrics.top(m, parameters.top)})
        behind = node_evidence(edges, chosen)
        slices: tuple[TimeSlice, ...] = ()
        per_slice: list[NodeMetrics | None] = []
        if parameters.slices:
            slices, sliced = load_sliced_edges(
                evidence, parameters, parameters.slices, handsets=parameters.include_handsets
            )
            for time_slice in slices:
                part = sliced.filter(pc.equal(sliced.column("slice"), time_slice.number))
                per_slice.append(_metrics(part, parameters) if part.num_rows else None)
        references = sorted(
            evidence.reference(e)
            for e in pc.unique(pc.list_flatten(edges.column("exhibit_ids"))).to_pylist()
        )
        findings = [
            _finding(
                name, metrics, behind[name], parameters, choosing, slices, per_slice,
                references, evidence,
            )
            for name in chosen
        ]  # fmt: skip
        findings.sort(key=lambda f: (-(f.score or 0.0), _rank_sum(f), f.subjects))
        return findings


def _metrics(edges: pa.Table, parameters: KeyPlayersParameters) -> NodeMetrics:
    return network_metrics(
        edge_list(edges),
        measures=parameters.measures,
        betweenness_cutoff=parameters.betweenness_cutoff,
        betweenness_sample=parameters.betweenness_sample,
        closeness_cutoff=parameters.closeness_cutoff,
        seed=parameters.seed,
    )


def _rank_sum(finding: Finding) -> int:
    return sum(finding.detail["ranks"].values())


def _finding(
    name: str,
    metrics: NodeMetrics,
    behind: NodeEvidence,
    parameters: KeyPlayersParameters,
    choosing: Sequence[Measure],
    slices: Sequence[TimeSlice],
    per_slice: Sequence[NodeMetrics | None],
    references: Sequence[str],
    evidence: Evidence,
) -> Finding:
    kind, identifier = split_node(name)
    ranks = {m.value: metrics.rank(name, m) for m in parameters.measures}
    values = {m.value: round(metrics.value(name, m), 6) for m in parameters.measures}
    tied = {m.value: metrics.tied(name, m) for m in parameters.measures}
    best = min(metrics.rank(name, m) for m in choosing)
    phrases = [
        f"{'joint ' if tied[m.value] else ''}{ordinal(ranks[m.value])} by "
        f"{_MEASURE_WORDS[m]} ({_value_phrase(m, metrics.value(name, m), behind, metrics)})"
        for m in parameters.measures
    ]
    counts = _kind_counts(metrics.names)
    component = metrics.component_sizes[metrics.index(name)]
    explanation = (
        f"{identifier} ({_kind_word(kind)}) ranked {_and(phrases)} among the "
        f"{_nodes_phrase(counts)} of the network ({metrics.links} links); the connected part "
        f"it is in has {component} of them."
    )
    slice_detail: list[dict[str, Any]] = []
    if slices:
        slice_detail = [
            _slice_detail(name, time_slice, part, parameters.measures)
            for time_slice, part in zip(slices, per_slice, strict=True)
        ]
        explanation += " " + _slices_phrase(slices, slice_detail, parameters.measures)
    exhibits = sorted(evidence.reference(e) for e in behind.exhibit_ids)
    explanation += (
        f" Its links rest on {sources_phrase(len(behind.row_ids), exhibits)}, "
        f"{period_phrase(behind.first_utc, behind.last_utc)}."
    )
    if behind.inexact:
        explanation += (
            f" {behind.inexact} of its contact events have no exact time and are counted as "
            "they stand."
        )
    estimated = sorted(m.value for m in metrics.estimated if m in parameters.measures)
    if estimated:
        explanation += f" Estimated, not exact: {', '.join(estimated)} (a cutoff or sample)."
    explanation += (
        f" Its score, {1 / best:.2f}, is 1 divided by its best rank. "
        + missing_data_caveat(references)
    )
    return Finding(
        kind="key_player",
        subjects=(identifier,),
        explanation=explanation,
        derived_from=behind.row_ids,
        score=round(1 / best, 4),
        detail={
            "node": identifier,
            "node_type": kind.value,
            "ranks": ranks,
            "values": values,
            "tied_with": tied,
            "estimated": estimated,
            "best_rank": best,
            "contacts": len(behind.contacts),
            "handsets": len(behind.handsets),
            "events": behind.events,
            "records": len(behind.row_ids),
            "exhibits": exhibits,
            "component_size": component,
            "network": {
                "nodes": len(metrics.names),
                "nodes_by_type": counts,
                "links": metrics.links,
                "exhibits": list(references),
            },
            "slices": slice_detail,
        },
        first_utc=behind.first_utc,
        last_utc=behind.last_utc,
    )


def _value_phrase(
    measure: Measure, value: float, behind: NodeEvidence, metrics: NodeMetrics
) -> str:
    if measure is Measure.DEGREE:
        kind, _ = split_node(behind.name)
        if kind is NodeKind.HANDSET:
            return f"{len(behind.handsets)} number(s) used in it"
        words = f"{len(behind.contacts)} contacts"
        if behind.handsets:
            words += f" and {len(behind.handsets)} handset(s)"
        return words
    if measure is Measure.WEIGHTED_DEGREE:
        handset_records = round(value) - behind.events
        words = f"{behind.events} contact events"
        if handset_records:
            words += f" and {handset_records} handset record(s)"
        return words
    if measure is Measure.BETWEENNESS:
        return f"{value:.1f}: shortest paths between other pairs through it, shares summed"
    if measure is Measure.CLOSENESS:
        return f"{value:.3f}: mean of 1/distance to every other node"
    if measure is Measure.EIGENVECTOR:
        return f"{value:.3f} of the highest"
    return f"in the {round(value)}-core"


def _kind_word(kind: NodeKind) -> str:
    return "a handset, IMEI key" if kind is NodeKind.HANDSET else "a number"


def _kind_counts(names: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        kind = split_node(name)[0].value
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def _nodes_phrase(counts: dict[str, int]) -> str:
    words = {
        NodeKind.NUMBER.value: ("number", "numbers"),
        NodeKind.HANDSET.value: ("handset", "handsets"),
    }
    parts = [
        f"{n} {words[kind][0] if n == 1 else words[kind][1]}"
        for kind, n in sorted(counts.items(), key=lambda kv: kv[0] != NodeKind.NUMBER.value)
    ]
    return " and ".join(parts)


def _and(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _slice_detail(
    name: str, time_slice: TimeSlice, part: NodeMetrics | None, measures: Sequence[Measure]
) -> dict[str, Any]:
    present = part is not None and name in part.positions
    out = time_slice.to_dict()
    out["present"] = present
    out["nodes"] = len(part.names) if part is not None else 0
    if part is not None and present:
        out["ranks"] = {m.value: part.rank(name, m) for m in measures}
        out["values"] = {m.value: round(part.value(name, m), 6) for m in measures}
        out["tied_with"] = {m.value: part.tied(name, m) for m in measures}
    else:
        out["ranks"] = {m.value: None for m in measures}
        out["values"] = {m.value: None for m in measures}
        out["tied_with"] = {m.value: None for m in measures}
    return out


def _slices_phrase(
    slices: Sequence[TimeSlice], detail: Sequence[dict[str, Any]], measures: Sequence[Measure]
) -> str:
    shown: list[Measure] = [m for m in measures if m is not Measure.CORENESS] or list(measures)
    parts = []
    for measure in shown:
        ranks = [
            f"{'joint ' if d['tied_with'][measure.value] else ''}"
            f"{ordinal(d['ranks'][measure.value])}"
            if d["present"]
            else "not present"
            for d in detail
        ]
        parts.append(f"by {_MEASURE_WORDS[measure]}: {', '.join(ranks)}")
    return (
        f"In {len(slices)} equal time slices {period_phrase(slices[0].start, slices[-1].end)} "
        f"it ranked {'; '.join(parts)}."
    )
