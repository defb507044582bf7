"""The case's network for the link chart: nodes, evidenced links, communities and key players.

The web application's network view (issue 5, "In the web application") draws the case's
contact network as an interactive link chart. This service builds what it draws, reusing the
network analyses' own pieces rather than a second implementation:

* the links are :func:`threadline.analysis.network_graph.load_edges` over the case's evidence
  (contact events between numbers, and with ``handset`` among the kinds, numbers to the handsets
  they were used in), for the window asked for;
* each node's degree, ranks, connected-component size and community are computed here, on the
  same window, with :mod:`threadline.analysis.network_metrics` (``network_metrics`` and
  ``leiden_communities`` with the analyses' default seed, resolution and iterations). The stored
  ``communities`` and ``key_players`` findings are *not* used: they were computed for whatever
  window and parameters their run had, while the chart follows the filters, so it computes its
  own and says so (``method``);
* a chart link is one **pair** of nodes and one link kind: the directed edges A->B and B->A are
  drawn as one line, its ``weight`` their sum, with the count in each direction kept
  (``forward``, ``backward``).

Every link here is **evidenced**: it rests on rows of the exhibits, listed (capped) with their
count. Intelligence links do not exist yet; when they do they must be drawn dashed and kept
out of the evidential version of a chart (requirements 7, 30, 31). Every figure carries the
missing-data caveat naming the exhibits the network was built from (requirements 44, 56), and
every link opens its rows (requirement 20): :func:`link_evidence`.

Nodes are named by their entity id (a hash; :func:`threadline.model.entity_keys.entity_id`), so
addresses and logs never carry a number, and a node opens its entity profile. Drawing the chart
is logged as a consultation (``network.view``), opening a link's rows as a consultation of every
row returned (``network.link``; requirement 15).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from threadline.analysis.network_graph import (
    LinkKind,
    NetworkWindow,
    NodeKind,
    edge_list,
    load_edges,
    split_node,
)
from threadline.analysis.network_metrics import (
    DEFAULT_SEED,
    ENGINE,
    Measure,
    leiden_communities,
    network_metrics,
)
from threadline.analysis.network_wording import missing_data_caveat
from threadline.errors import ConfigError, NotFound
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import EntityKind, entity_id
from threadline.model.ids import make_id
from threadline.services.entities import (
    case_evidence_open,
    natural_key,
    read_case_evidence,
    run_select,
)
from threadline.services.workspace import Workspace

__all__ = [
    "DEFAULT_KINDS",
    "KEY_PLAYER_MEASURES",
    "MAX_LINK_ROWS",
    "MAX_NODES",
    "ROW_IDS_SHOWN",
    "CaseNetwork",
    "LinkEvidence",
    "LinkRow",
    "NetworkLink",
    "NetworkNode",
    "case_network",
    "link_evidence",
]

#: The node kinds drawn unless asked otherwise.
DEFAULT_KINDS: Final = (NodeKind.NUMBER.value, NodeKind.HANDSET.value)

#: The measures a key player is ranked by (its key-player rank is its best rank among them;
#: k-core is left out for the reason :mod:`threadline.analysis.key_players` gives).
KEY_PLAYER_MEASURES: Final = (
    Measure.DEGREE,
    Measure.WEIGHTED_DEGREE,
    Measure.BETWEENNESS,
    Measure.EIGENVECTOR,
)

#: How many nodes the chart draws at most (the busiest by weighted degree): a link chart of
#: more is unreadable and slow in a browser; the answer says when nodes were left out.
MAX_NODES: Final = 600

#: How many row ids each link lists in the chart's answer (all are counted; the link's own
#: answer, :func:`link_evidence`, lists up to :data:`MAX_LINK_ROWS`).
ROW_IDS_SHOWN: Final = 20

#: How many rows one link's evidence lists at most.
MAX_LINK_ROWS: Final = 1000

#: Above this many nodes betweenness is estimated from a sample of sources (stated in the
#: answer), so that the chart answers in about a second however large the case.
_EXACT_BETWEENNESS_NODES: Final = 5000
_BETWEENNESS_SAMPLE: Final = 100

_ENTITY_KINDS: Final = {NodeKind.NUMBER: EntityKind.NUMBER, NodeKind.HANDSET: EntityKind.HANDSET}

#: The chart's name for each link kind.
_LINK_NAMES: Final = {LinkKind.CONTACT.value: "communications", LinkKind.HANDSET.value: "handset"}


@dataclass(frozen=True, slots=True)
class NetworkNode:
    """One node of the chart.

    Attributes:
        id: its entity id (a hash; the address of its profile).
        kind: ``number`` or ``handset``.
        label: the identifier (E.164 number, IMEI key): evidence text, shown as text.
        degree: how many other nodes of the chart's window it is linked with.
        weighted_degree: contact events and handset records on its links.
        community: its Leiden community (1 the largest).
        component_size: how many nodes its connected part of the graph has.
        ranks: its competition rank by each key-player measure.
        key_rank: its best rank among them.
        key_player: whether ``key_rank`` is within the ``top`` asked for.
    """

    id: str
    kind: str
    label: str
    degree: int
    weighted_degree: float
    community: int
    component_size: int
    ranks: dict[str, int]
    key_rank: int
    key_player: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "degree": self.degree,
            "weighted_degree": self.weighted_degree,
            "community": self.community,
            "component_size": self.component_size,
            "ranks": dict(self.ranks),
            "key_rank": self.key_rank,
            "key_player": self.key_player,
        }


@dataclass(frozen=True, slots=True)
class NetworkLink:
    """One line of the chart: a pair of nodes and a link kind, with what it rests on.

    Attributes:
        source: the entity id of the pair's first node (numbers before handsets, then by
            identifier).
        target: the other node's entity id.
        kind: ``communications`` (number to number) or ``handset`` (number to handset).
        basis: ``evidenced``: every link here rests on exhibit rows (requirement 31: drawn
            solid).
        weight: contact events (or handset records) either way.
        forward: of which from ``source`` to ``target`` (caller or sender first).
        backward: of which the other way.
        inexact: contact events without an exact time.
        first_utc: the earliest possible time of its events.
        last_utc: the latest.
        rows: how many evidence rows it rests on.
        row_ids: the first :data:`ROW_IDS_SHOWN` of them, sorted.
        exhibits: the references of the exhibits they are in.
    """

    source: str
    target: str
    kind: str
    weight: int
    forward: int
    backward: int
    inexact: int
    first_utc: datetime | None
    last_utc: datetime | None
    rows: int
    row_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    basis: str = "evidenced"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "basis": self.basis,
            "weight": self.weight,
            "forward": self.forward,
            "backward": self.backward,
            "inexact": self.inexact,
            "first_utc": _iso(self.first_utc),
            "last_utc": _iso(self.last_utc),
            "rows": self.rows,
            "row_ids": list(self.row_ids),
            "exhibits": list(self.exhibits),
        }


@dataclass(frozen=True, slots=True)
class CaseNetwork:
    """The chart of one case for one window.

    Attributes:
        case: the case reference.
        since: the window's start, if any.
        until: its end, if any.
        kinds: the node kinds drawn.
        nodes: the nodes, by community then key-player rank.
        links: the links.
        total_nodes: nodes in the window before :data:`MAX_NODES` was applied.
        total_links: links in the window before it was.
        communities: community number to member count (drawn nodes only).
        exhibits: references of every exhibit the window's links come from.
        caveat: the missing-data caveat (requirement 56).
        method: how degree, ranks and communities were computed, in words.
        estimated: measures that are estimates (betweenness on a large graph).
    """

    case: str
    since: datetime | None
    until: datetime | None
    kinds: tuple[str, ...]
    nodes: list[NetworkNode]
    links: list[NetworkLink]
    total_nodes: int
    total_links: int
    communities: dict[int, int]
    exhibits: tuple[str, ...]
    caveat: str
    method: str
    estimated: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "kinds": list(self.kinds),
            "nodes": [n.to_dict() for n in self.nodes],
            "links": [e.to_dict() for e in self.links],
            "total_nodes": self.total_nodes,
            "total_links": self.total_links,
            "truncated": self.total_nodes > len(self.nodes),
            "communities": {str(k): v for k, v in self.communities.items()},
            "exhibits": list(self.exhibits),
            "caveat": self.caveat,
            "method": self.method,
            "estimated": list(self.estimated),
            "basis_note": "Every link shown is evidenced (it rests on exhibit rows) and is "
            "drawn solid. Intelligence links are not held yet; when they are they will be "
            "drawn dashed and kept out of the evidential chart.",
        }


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One evidence row behind a link.

    Attributes:
        row_id: the row (opens at ``/cases/{id}/records/{row_id}``).
        table: ``calls``, ``messages`` or ``data_sessions``.
        exhibit: the exhibit's reference.
        locator: where in the exhibit.
        event: the row's record type as the source wrote it (``MOC``, ``SMS``...), if any.
        a_party: the calling or sending number (the subscriber, for a data session).
        b_party: the called or receiving number, if any.
        imei_key: the handset key, if the row has one.
        earliest_utc: the earliest possible time of the event.
        latest_utc: the latest (equal to ``earliest_utc`` when exact).
        exact: whether the time is exact.
    """

    row_id: str
    table: str
    exhibit: str
    locator: str
    event: str | None
    a_party: str | None
    b_party: str | None
    imei_key: str | None
    earliest_utc: datetime | None
    latest_utc: datetime | None
    exact: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "exhibit": self.exhibit,
            "locator": self.locator,
            "event": self.event,
            "a_party": self.a_party,
            "b_party": self.b_party,
            "imei_key": self.imei_key,
            "earliest_utc": _iso(self.earliest_utc),
            "latest_utc": _iso(self.latest_utc),
            "exact": self.exact,
        }


@dataclass(frozen=True, slots=True)
class LinkEvidence:
    """The rows one link of the chart rests on.

    Attributes:
        link: the link.
        source_label: its first node's identifier.
        target_label: the other's.
        rows: the rows (at most ``limit``), in time order (one instant's by exhibit and
            place).
    """

    link: NetworkLink
    source_label: str
    target_label: str
    rows: list[LinkRow]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "link": self.link.to_dict(),
            "source_label": self.source_label,
            "target_label": self.target_label,
            "rows": [r.to_dict() for r in self.rows],
            "shown": len(self.rows),
        }


# --- building -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _kinds(kinds: Collection[str]) -> tuple[str, ...]:
    """The node kinds asked for, checked and in canonical order."""
    known = {k.value for k in NodeKind}
    wanted = {k.strip().lower() for k in kinds if k.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise ConfigError(
            f"unknown node kind(s) {', '.join(unknown)}: give {' or '.join(sorted(known))}"
        )
    if NodeKind.NUMBER.value not in wanted:
        raise ConfigError(
            "the network is made of numbers (a handset is linked only to the numbers used in "
            "it): the kinds must include number"
        )
    return tuple(k.value for k in NodeKind if k.value in wanted)


def _window(since: datetime | None, until: datetime | None) -> NetworkWindow:
    if since is not None and until is not None and until <= since:
        raise ConfigError("the window's end (until) must be after its start (since)")
    return NetworkWindow(since=since, until=until)


def _node_id(name: str) -> tuple[str, str, str]:
    """A node name's entity id, kind and identifier."""
    kind, identifier = split_node(name)
    return entity_id(_ENTITY_KINDS[kind], identifier), kind.value, identifier


def _node_order(name: str) -> tuple[int, str]:
    kind, identifier = split_node(name)
    return (0 if kind is NodeKind.NUMBER else 1, identifier)


def _pairs(edges: pa.Table) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The directed edge table folded into one entry per (first, second, link) pair."""
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for edge in edges.to_pylist():
        source, target = edge["source"], edge["target"]
        if source == target:
            continue  # a number's contact with itself draws no line (as the measures ignore it)
        first, second = sorted((source, target), key=_node_order)
        entry = pairs.setdefault(
            (first, second, edge["link"]),
            {"forward": 0, "backward": 0, "inexact": 0, "rows": set(), "exhibits": set(),
             "first": [], "last": []},
        )  # fmt: skip
        entry["forward" if source == first else "backward"] += int(edge["weight"])
        entry["inexact"] += int(edge["inexact"])
        entry["rows"].update(edge["row_ids"])
        entry["exhibits"].update(edge["exhibit_ids"])
        if edge["first_utc"] is not None:
            entry["first"].append(edge["first_utc"])
        if edge["last_utc"] is not None:
            entry["last"].append(edge["last_utc"])
    return pairs


def _link(
    first: str, second: str, link: str, entry: dict[str, Any], exhibits: dict[str, str]
) -> NetworkLink:
    rows = sorted(entry["rows"])
    return NetworkLink(
        source=_node_id(first)[0],
        target=_node_id(second)[0],
        kind=_LINK_NAMES[link],
        weight=entry["forward"] + entry["backward"],
        forward=entry["forward"],
        backward=entry["backward"],
        inexact=entry["inexact"],
        first_utc=min(entry["first"]) if entry["first"] else None,
        last_utc=max(entry["last"]) if entry["last"] else None,
        rows=len(rows),
        row_ids=tuple(rows[:ROW_IDS_SHOWN]),
        exhibits=tuple(sorted({exhibits.get(e, e) for e in entry["exhibits"]}, key=natural_key)),
    )


def _load(
    ws: Workspace, case_reference: str, window: NetworkWindow, handsets: bool
) -> tuple[str, str, dict[str, str], pa.Table]:
    """The case's id, reference, exhibit references and the window's edge table."""
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    with case_evidence_open(ws, evidence) as (_con, read):
        edges = load_edges(read, window, handsets=handsets)
    return evidence.case_id, evidence.case_reference, evidence.exhibits, edges


def case_network(
    ws: Workspace,
    case_reference: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Collection[str] = DEFAULT_KINDS,
    top: int = 5,
    justification: str | None = None,
) -> CaseNetwork:
    """The case's link chart for a window (see the module docstring).

    Args:
        ws: the workspace.
        case_reference: the case.
        since: only links whose possible times reach this instant or later.
        until: only links whose possible times start before this instant.
        kinds: the node kinds to draw: ``number`` (always needed) and ``handset``.
        top: a node ranked this high or higher by any key-player measure is a key player.
        justification: why the evidence is consulted (mandatory under force policy).

    Raises:
        ConfigError: an unknown kind, no numbers, a window that ends before it starts, or
            ``top`` below 1.
        PermissionDenied: a justification is required and missing.
        NotFound: no such case.
        StoreError: the evidence could not be read.
    """
    chosen = _kinds(kinds)
    window = _window(since, until)
    if top < 1:
        raise ConfigError("top must be at least 1")
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    handsets = NodeKind.HANDSET.value in chosen
    case_id, reference, exhibits, edges = _load(ws, case_reference, window, handsets)
    edges = edges.filter(pc.not_equal(edges.column("source"), edges.column("target")))
    exhibit_refs = tuple(
        sorted(
            {exhibits.get(e, e) for ids in edges.column("exhibit_ids").to_pylist() for e in ids},
            key=natural_key,
        )
    )
    network = _build(reference, window, chosen, edges, exhibits, exhibit_refs, top)
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "network.view",
            case_id=case_id,
            object_type="case",
            object_id=case_id,
            detail={
                "since": _iso(since),
                "until": _iso(until),
                "kinds": list(chosen),
                "nodes": len(network.nodes),
                "links": len(network.links),
                "rows": sum(link.rows for link in network.links),
            },
            justification=justification,
        )
    return network


def _build(
    reference: str,
    window: NetworkWindow,
    kinds: tuple[str, ...],
    edges: pa.Table,
    exhibits: dict[str, str],
    exhibit_refs: tuple[str, ...],
    top: int,
) -> CaseNetwork:
    caveat = missing_data_caveat(list(exhibit_refs)) if exhibit_refs else (
        "No exhibit of the case holds a link in this window. " + missing_data_caveat(["none"])
    )  # fmt: skip
    method = (
        f"Degree, ranks and Leiden communities computed for this window on the undirected "
        f"graph (a pair's links summed; {ENGINE}, seed {DEFAULT_SEED}); key players are the "
        f"nodes ranked {top} or higher by degree, weighted degree, betweenness or eigenvector "
        "centrality. The stored findings of the communities and key-players analyses may "
        "differ: they were computed for their own window and parameters."
    )
    if edges.num_rows == 0:
        return CaseNetwork(
            reference, window.since, window.until, kinds, [], [], 0, 0, {}, exhibit_refs,
            caveat, method,
        )  # fmt: skip
    listed = edge_list(edges)
    size = len(set(listed.source.to_pylist()) | set(listed.target.to_pylist()))
    sample = _BETWEENNESS_SAMPLE if size > _EXACT_BETWEENNESS_NODES else None
    metrics = network_metrics(
        listed, measures=KEY_PLAYER_MEASURES, betweenness_sample=sample, seed=DEFAULT_SEED
    )
    partition = leiden_communities(listed, seed=DEFAULT_SEED)
    community = partition.of()
    names = metrics.names
    busiest = sorted(
        range(len(names)),
        key=lambda i: (-metrics.values[Measure.WEIGHTED_DEGREE][i], _node_order(names[i])),
    )
    kept = {names[i] for i in busiest[:MAX_NODES]}
    nodes: list[NetworkNode] = []
    for i, name in enumerate(names):
        if name not in kept:
            continue
        node_id, kind, label = _node_id(name)
        ranks = {m.value: metrics.ranks[m][i] for m in KEY_PLAYER_MEASURES}
        best = min(ranks.values())
        nodes.append(
            NetworkNode(
                id=node_id,
                kind=kind,
                label=label,
                degree=int(metrics.values[Measure.DEGREE][i]),
                weighted_degree=float(metrics.values[Measure.WEIGHTED_DEGREE][i]),
                community=community[name],
                component_size=metrics.component_sizes[i] if metrics.component_sizes else 0,
                ranks=ranks,
                key_rank=best,
                key_player=best <= top,
            )
        )
    nodes.sort(key=lambda n: (n.community, n.key_rank, n.kind != "number", n.label))
    pairs = _pairs(edges)
    links = [
        _link(first, second, link, entry, exhibits)
        for (first, second, link), entry in sorted(pairs.items())
        if first in kept and second in kept
    ]
    communities: dict[int, int] = {}
    for node in nodes:
        communities[node.community] = communities.get(node.community, 0) + 1
    return CaseNetwork(
        case=reference,
        since=window.since,
        until=window.until,
        kinds=kinds,
        nodes=nodes,
        links=links,
        total_nodes=len(names),
        total_links=len(pairs),
        communities=dict(sorted(communities.items())),
        exhibits=exhibit_refs,
        caveat=caveat,
        method=method,
        estimated=tuple(sorted(m.value for m in metrics.estimated)),
    )


# --- one link's evidence ----------------------------------------------------------------------

_LINK_ROWS_SQL: Final = """
    SELECT row_id, 'calls' AS "table", exhibit_id, locator, record_type_original AS event,
           a_party, b_party, imei_key,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           start_utc IS NOT NULL AS exact
    FROM calls WHERE list_contains($ids, row_id)
    UNION ALL
    SELECT row_id, 'messages', exhibit_id, locator, COALESCE(record_type_original, message_type),
           a_party, b_party, imei_key,
           COALESCE(sent_utc, sent_earliest_utc), COALESCE(sent_utc, sent_latest_utc),
           sent_utc IS NOT NULL
    FROM messages WHERE list_contains($ids, row_id)
    UNION ALL
    SELECT row_id, 'data_sessions', exhibit_id, locator, record_type_original,
           party, NULL, imei_key,
           COALESCE(start_utc, start_earliest_utc), COALESCE(start_utc, start_latest_utc),
           start_utc IS NOT NULL
    FROM data_sessions WHERE list_contains($ids, row_id)
    ORDER BY earliest_utc NULLS LAST, row_id
    LIMIT $limit
"""


def link_evidence(
    ws: Workspace,
    case_reference: str,
    source: str,
    target: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Collection[str] = DEFAULT_KINDS,
    limit: int = MAX_LINK_ROWS,
    justification: str | None = None,
) -> list[LinkEvidence]:
    """The rows behind the chart's links between two nodes (entity ids, either order), for
    the same window and kinds as the chart; one entry per link kind between them (a pair of
    numbers has at most one; a number and a handset at most one).

    Logged as a consultation of every row returned (requirement 15).

    Raises:
        ConfigError: bad kinds or window, or ``limit`` out of range.
        PermissionDenied: a justification is required and missing.
        NotFound: no such case, or no link between the two nodes in the window.
        StoreError: the evidence could not be read.
    """
    chosen = _kinds(kinds)
    window = _window(since, until)
    if not 1 <= limit <= MAX_LINK_ROWS:
        raise ConfigError(f"limit must be from 1 to {MAX_LINK_ROWS}")
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    with ws.session() as session:
        evidence = read_case_evidence(session, case_reference)
    with case_evidence_open(ws, evidence) as (con, read):
        edges = load_edges(read, window, handsets=NodeKind.HANDSET.value in chosen)
        wanted = {source, target}
        found: list[tuple[str, str, str, dict[str, Any]]] = [
            (first, second, link, entry)
            for (first, second, link), entry in sorted(_pairs(edges).items())
            if {_node_id(first)[0], _node_id(second)[0]} == wanted and len(wanted) == 2
        ]
        if not found:
            raise NotFound("no link between these two nodes in the chart's window")
        out: list[LinkEvidence] = []
        for first, second, link, entry in found:
            rows = run_select(con, _LINK_ROWS_SQL, {"ids": sorted(entry["rows"]), "limit": limit})
            out.append(
                LinkEvidence(
                    link=_link(first, second, link, entry, evidence.exhibits),
                    source_label=_node_id(first)[2],
                    target_label=_node_id(second)[2],
                    rows=sorted((_row(r, evidence.exhibits) for r in rows), key=_row_order),
                )
            )
    returned = [r.row_id for e in out for r in e.rows]
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "network.link",
            case_id=evidence.case_id,
            object_type="link",
            object_id=make_id("network-link", *sorted(wanted)),
            detail={"rows": len(returned), "row_ids": returned},
            justification=justification,
        )
    return out


def _row_order(row: LinkRow) -> tuple[Any, ...]:
    """Time order; rows of one instant by exhibit reference, then place in the exhibit."""
    earliest = row.earliest_utc
    return (
        earliest is None,
        earliest or datetime.min.replace(tzinfo=UTC),
        natural_key(row.exhibit),
        natural_key(row.locator),
    )


def _row(row: dict[str, Any], exhibits: dict[str, str]) -> LinkRow:
    return LinkRow(
        row_id=row["row_id"],
        table=row["table"],
        exhibit=exhibits.get(row["exhibit_id"], row["exhibit_id"]),
        locator=row["locator"],
        event=row["event"],
        a_party=row["a_party"],
        b_party=row["b_party"],
        imei_key=row["imei_key"],
        earliest_utc=row["earliest_utc"],
        latest_utc=row["latest_utc"],
        exact=bool(row["exact"]),
    )
