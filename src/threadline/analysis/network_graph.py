"""The case's network as edges: who was in contact with whom, and which number used which handset.

The network analyses (key players, communities, brokers; issue 5 "Network", domain.md §6.2)
read the evidence into one **edge table** and hand its edge list to the pure measures of
:mod:`threadline.analysis.network_metrics`. Nodes are typed: a node's name is
``<kind>:<identifier>`` (``number:+447700900123``, ``handset:35209900176148``), so that kinds
added later (people, vehicles, addresses, accounts: the issue's typed multigraph) cannot collide
with each other. Two kinds of link are built now, both evidenced (rows in exhibits; intelligence
links are for later and will be kept distinct by their ``link`` kind):

* ``contact``: number A to number B, weighted by contact *events* (a call held in several
  exhibits counted once; :mod:`threadline.analysis.contact_events`), directed as A (caller,
  sender) to B;
* ``handset`` (only when asked for): number to handset (IMEI key), weighted by records, from
  ``calls``, ``messages`` and ``data_sessions`` rows that carry an IMEI key where the number is
  the subscriber: the party ``target_role`` names in calls and messages (the exhibit's target, or
  a download's owner), the ``party`` of a data session. The other party's handset is never
  recorded, so no link is made for it.

Each edge keeps every row id it rests on and the exhibits they came from, in the edge table
(Arrow, beside the graph rather than inside igraph's attributes, so that a graph of 850,000 edges
does not carry millions of Python strings through igraph). A window (``since``, ``until``) keeps
links whose possible times overlap it; :func:`load_sliced_edges` cuts it into equal time slices.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from threadline.analysis.contact_events import (
    ENDS_TABLE,
    TABLE_INTERVAL,
    contact_events_sql,
    contact_records_sql,
    precomputed,
)
from threadline.analysis.contract import Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.network_metrics import EdgeList
from threadline.model.finding import LinkCitation

__all__ = [
    "EDGES_TABLE",
    "LinkKind",
    "NetworkParameters",
    "NetworkWindow",
    "NodeEvidence",
    "NodeKind",
    "TimeSlice",
    "cited_row_ids",
    "cited_rows_sql",
    "contact_edges",
    "edge_list",
    "edges_table_sql",
    "load_edges",
    "load_sliced_edges",
    "node_evidence",
    "node_name",
    "split_node",
]


class NodeKind(StrEnum):
    """What a node is."""

    NUMBER = "number"
    HANDSET = "handset"


class LinkKind(StrEnum):
    """What a link is."""

    CONTACT = "contact"  # number -> number, weighted by contact events
    HANDSET = "handset"  # number -> handset it was used in, weighted by records


def node_name(kind: NodeKind, identifier: str) -> str:
    """A node's name in the graph: ``number:+447700900123``."""
    return f"{kind.value}:{identifier}"


def split_node(name: str) -> tuple[NodeKind, str]:
    """A node name's kind and identifier.

    Raises:
        ValueError: not a node name.
    """
    kind, sep, identifier = name.partition(":")
    if not sep or not identifier:
        raise ValueError(f"{name!r} is not a node name")
    return NodeKind(kind), identifier


class NetworkWindow(Parameters):
    """The period every network analysis reads.

    Attributes:
        since: only links from this instant (UTC).
        until: only links before this instant (UTC).
        same_event_seconds: records of one call or message in different exhibits are matched
            within this many seconds.
    """

    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)


class NetworkParameters(NetworkWindow):
    """A period and the kinds of node.

    Attributes:
        include_handsets: add handsets (IMEI keys) as nodes, linked to the numbers used in
            them.
    """

    include_handsets: bool = False


@dataclass(frozen=True, slots=True)
class TimeSlice:
    """One of equal time slices: ``start`` up to (not including) ``end``, numbered from 1."""

    number: int
    start: datetime
    end: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for a finding's detail."""
        return {"slice": self.number, "start": self.start.isoformat(), "end": self.end.isoformat()}


_HANDSET_USES: Final = """
    SELECT row_id, exhibit_id,
           CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party
                            WHEN 'c' THEN c_party END AS number,
           imei_key,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           start_utc IS NOT NULL AS exact
    FROM calls
    WHERE imei_key IS NOT NULL AND target_role IN ('a', 'b', 'c')
    UNION ALL
    SELECT row_id, exhibit_id,
           CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party END AS number,
           imei_key,
           COALESCE(sent_utc, sent_earliest_utc) AS earliest_utc,
           COALESCE(sent_utc, sent_latest_utc) AS latest_utc,
           sent_utc IS NOT NULL AS exact
    FROM messages
    WHERE imei_key IS NOT NULL AND target_role IN ('a', 'b')
    UNION ALL
    SELECT row_id, exhibit_id, party AS number, imei_key,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           start_utc IS NOT NULL AS exact
    FROM data_sessions
    WHERE imei_key IS NOT NULL
"""

_IN_WINDOW: Final = (
    "($since IS NULL OR latest_utc >= $since) AND ($until IS NULL OR earliest_utc < $until)"
)


def _contact_links_sql(events: str) -> str:
    """One row per contact event of the query ``events``: source, target, link, earliest_utc,
    latest_utc, exact, row_ids, exhibit_ids."""
    return f"""
        SELECT '{NodeKind.NUMBER.value}:' || a_party AS source,
               '{NodeKind.NUMBER.value}:' || b_party AS target,
               '{LinkKind.CONTACT.value}' AS link,
               earliest_utc, latest_utc, exact, row_ids, exhibit_ids
        FROM ({events}) AS events
    """


_HANDSET_LINKS: Final = f"""
        SELECT '{NodeKind.NUMBER.value}:' || number AS source,
               '{NodeKind.HANDSET.value}:' || imei_key AS target,
               '{LinkKind.HANDSET.value}' AS link,
               earliest_utc, latest_utc, exact, [row_id] AS row_ids, [exhibit_id] AS exhibit_ids
        FROM ({_HANDSET_USES}) AS uses
        WHERE number IS NOT NULL AND {_IN_WINDOW}
"""

# Links grouped into edges. A record is in one event and one handset link at most, so an
# edge's row ids need sorting but no de-duplication.
_GROUPED: Final = """
    SELECT source, target, link, {slice} AS slice,
           COUNT(*) AS weight,
           COUNT(*) FILTER (WHERE NOT exact) AS inexact,
           list_sort(flatten(LIST(row_ids))) AS row_ids,
           CAST(SUM(len(row_ids)) AS BIGINT) AS rows,
           list_sort(list_distinct(flatten(LIST(exhibit_ids)))) AS exhibit_ids,
           MIN(earliest_utc) AS first_utc,
           MAX(latest_utc) AS last_utc
    FROM ({links}) AS links
    WHERE {slice} IS NOT NULL
    GROUP BY source, target, link, {slice}
"""

_EDGE_COLUMNS: Final = (
    "source, target, link, slice, weight, inexact, row_ids, rows, exhibit_ids, first_utc, last_utc"
)

#: The read copy's derived table of the contact edges of all the evidence (no window, the
#: default matching interval), grouped once from its contact events.
EDGES_TABLE: Final = "contact_edges"


def edges_table_sql() -> str:
    """The SELECT that fills the read copy's :data:`EDGES_TABLE` from its contact-event table
    (:data:`threadline.analysis.contact_events.ENDS_TABLE`, made first), each event once."""
    links = _contact_links_sql(f"SELECT * FROM {ENDS_TABLE} WHERE role = 'made'")
    return f"{_GROUPED.format(links=links, slice='CAST(0 AS BIGINT)')} ORDER BY source, target"


def _edges_sql(
    handsets: bool,
    slice_expression: str,
    from_table: bool,
    whole_edges: bool = False,
    row_ids: bool = True,
    ordered: bool = True,
) -> str:
    """The edge table's query. With ``whole_edges`` (no window, no slices, and the read copy
    offers :data:`EDGES_TABLE`) the contact edges are read as they were grouped. Without
    ``row_ids`` an edge has only ``rows``, how many rows it rests on, not their ids. Without
    ``ordered`` the edges come in no set order, for a query that filters them: the sort would
    otherwise run on every edge with its row ids first (0.36 s against 0.21 s to resolve a
    community's citation at 10 million rows)."""
    if whole_edges:
        # the parameters are compared so that the table is read only for the question it
        # answers (and every bound parameter is used)
        contact = f"""
            SELECT {_EDGE_COLUMNS} FROM {EDGES_TABLE}
            WHERE $since IS NULL AND $until IS NULL AND {TABLE_INTERVAL}
        """
    else:
        contact = _GROUPED.format(
            links=_contact_links_sql(contact_events_sql(from_table=from_table)),
            slice=slice_expression,
        )
    parts = [contact]
    if handsets:
        parts.append(_GROUPED.format(links=_HANDSET_LINKS, slice=slice_expression))
    union = " UNION ALL ".join(f"SELECT {_EDGE_COLUMNS} FROM ({p}) AS part" for p in parts)
    columns = "*" if row_ids else "* EXCLUDE (row_ids)"
    order = " ORDER BY slice, source, target, link" if ordered else ""
    return f"SELECT {columns} FROM ({union}) AS edges{order}"


def _window(parameters: NetworkWindow) -> dict[str, Any]:
    return {
        "since": parameters.since,
        "until": parameters.until,
        "same_event_seconds": parameters.same_event_seconds,
    }


def _from_table(evidence: Evidence, parameters: NetworkWindow) -> bool:
    return precomputed(evidence, parameters.same_event_seconds)


def load_edges(
    evidence: Evidence,
    parameters: NetworkWindow,
    *,
    handsets: bool = False,
    row_ids: bool = True,
) -> pa.Table:
    """The edge table of the window: one row per (source, target, link) with its ``weight``
    (contact events, or handset records), ``inexact`` (how many of them have no exact time),
    ``row_ids``, ``rows`` (how many), ``exhibit_ids``, ``first_utc`` and ``last_utc``; ``slice``
    is 0. Handset links are included when ``handsets`` is true. Without ``row_ids`` the ids are
    left out: a finding that names its rows by links (:class:`LinkCitation`) needs only the
    count, and at 10 million rows reading the ids costs more than the whole analysis.

    Raises:
        StoreError: the evidence could not be read.
    """
    return evidence.arrow(
        _window_edges_sql(evidence, parameters, handsets, row_ids=row_ids), _window(parameters)
    )


def _window_edges_sql(
    evidence: Evidence,
    window: NetworkWindow,
    handsets: bool,
    *,
    row_ids: bool = True,
    ordered: bool = True,
) -> str:
    """The edge query of a window in one slice, from the read copy's edge table when it
    answers the question (no window and the default matching interval)."""
    from_table = _from_table(evidence, window)
    whole = (
        from_table
        and EDGES_TABLE in evidence.derived
        and window.since is None
        and window.until is None
    )
    return _edges_sql(
        handsets,
        "CAST(0 AS BIGINT)",
        from_table,
        whole_edges=whole,
        row_ids=row_ids,
        ordered=ordered,
    )


#: Each contact record's exhibit, for a citation limited to the exhibits an analysis read.
_ROW_EXHIBITS: Final = """
    SELECT row_id, exhibit_id FROM calls
    UNION ALL SELECT row_id, exhibit_id FROM messages
    UNION ALL SELECT row_id, exhibit_id FROM data_sessions
"""


def cited_rows_sql(evidence: Evidence, citation: LinkCitation) -> tuple[str, dict[str, Any]]:
    """A query of the distinct ``row_id`` the citation names, and its parameters: the rows of
    every link of the citation's window (and handset links, with ``handsets``) whose two ends
    are both among its nodes, in its exhibits. The links are the ones :func:`load_edges`
    makes, so the rows are those an analysis reading the same edges counted. A link whose
    exhibits are all cited gives all its rows; only a link resting in part on an exhibit added
    since is checked row by row. To name exactly the rows the analysis counted, resolve it
    over the cited exhibits' evidence alone (as :mod:`threadline.services.finding_rows`
    does): events formed with a later exhibit's records could move a cited record across the
    window's edge.
    """
    window = NetworkWindow(
        since=citation.since,
        until=citation.until,
        same_event_seconds=citation.same_event_seconds,
    )
    edges = _window_edges_sql(evidence, window, citation.handsets, ordered=False)
    # the CTEs are materialised so that the exhibit check runs on the chosen links only:
    # DuckDB otherwise pushes it below the node filter, onto every link of the case (1.8 s
    # for 117,000 links against 400 exhibits)
    sql = f"""
        WITH among AS MATERIALIZED (
            SELECT row_ids, exhibit_ids FROM ({edges}) AS edges
            WHERE source IN (SELECT unnest($nodes)) AND target IN (SELECT unnest($nodes))
        ),
        chosen AS MATERIALIZED (
            SELECT row_ids, list_has_all($exhibits, exhibit_ids) AS all_cited FROM among
        )
        SELECT unnest(row_ids) AS row_id FROM chosen WHERE all_cited
        UNION
        SELECT row_id FROM (
            SELECT unnest(row_ids) AS row_id FROM chosen WHERE NOT all_cited
        ) AS mixed
        WHERE row_id IN (
            SELECT row_id FROM ({_ROW_EXHIBITS}) AS rows WHERE list_contains($exhibits, exhibit_id)
        )
    """
    return sql, {
        **_window(window),
        "nodes": list(citation.nodes),
        "exhibits": list(citation.exhibit_ids),
    }


def cited_row_ids(evidence: Evidence, citation: LinkCitation) -> tuple[str, ...]:
    """The ``row_id`` the citation names, sorted (:func:`cited_rows_sql`).

    Raises:
        StoreError: the evidence could not be read.
    """
    sql, parameters = cited_rows_sql(evidence, citation)
    ids = evidence.arrow(f"SELECT row_id FROM ({sql}) AS cited ORDER BY row_id", parameters)
    return tuple(ids.column("row_id").to_pylist())


def load_sliced_edges(
    evidence: Evidence, parameters: NetworkWindow, slices: int, *, handsets: bool = False
) -> tuple[tuple[TimeSlice, ...], pa.Table]:
    """The window cut into ``slices`` equal time slices, and the edge table of each (its
    ``slice`` column numbering them from 1).

    The window runs from ``since`` (or the earliest link) to ``until`` (or the latest). A link
    whose time is not exact is placed in a slice only if the whole of its possible range falls
    in it; one straddling a boundary is left out of the slices (and counted in the whole
    window's figures). No links: no slices.

    Raises:
        ValueError: ``slices`` is less than 1.
        StoreError: the evidence could not be read.
    """
    if slices < 1:
        raise ValueError("there must be at least one time slice")
    window = _window(parameters)
    sources = [f"SELECT earliest_utc, latest_utc FROM ({contact_records_sql()}) AS records"]
    if handsets:
        sources.append(
            f"SELECT earliest_utc, latest_utc FROM ({_HANDSET_USES}) AS uses "
            f"WHERE number IS NOT NULL AND {_IN_WINDOW}"
        )
    bounds = evidence.rows(
        f"SELECT MIN(earliest_utc) AS first, MAX(latest_utc) AS last "
        f"FROM ({' UNION ALL '.join(sources)}) AS times",
        {"since": parameters.since, "until": parameters.until},
    )[0]
    start = parameters.since or bounds["first"]
    end = parameters.until or bounds["last"]
    if start is None or end is None or end <= start:
        return (), evidence.arrow(
            _edges_sql(handsets, "CAST(NULL AS BIGINT)", _from_table(evidence, parameters)),
            window,
        )
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    width = (end - start).total_seconds() / slices
    cut = "LEAST(CAST(FLOOR((epoch({t}) - $start) / $width) AS BIGINT), CAST($last AS BIGINT))"
    first, last = cut.format(t="earliest_utc"), cut.format(t="latest_utc")
    expression = f"CASE WHEN {first} = {last} AND {first} >= 0 THEN {first} + 1 END"
    table = evidence.arrow(
        _edges_sql(handsets, expression, _from_table(evidence, parameters)),
        {**window, "start": start.timestamp(), "width": width, "last": slices - 1},
    )
    bounds_of = tuple(
        TimeSlice(
            i + 1,
            start + timedelta(seconds=width * i),
            end if i == slices - 1 else start + timedelta(seconds=width * (i + 1)),
        )
        for i in range(slices)
    )
    return bounds_of, table


def contact_edges(edges: pa.Table) -> pa.Table:
    """Only the contact links of an edge table."""
    return edges.filter(pc.equal(edges.column("link"), LinkKind.CONTACT.value))


def edge_list(edges: pa.Table) -> EdgeList:
    """An edge table's edge list, for the measures."""
    return EdgeList.from_arrow(edges.select(["source", "target", "weight"]))


@dataclass(frozen=True, slots=True)
class NodeEvidence:
    """What a node's links rest on.

    Attributes:
        name: the node's name.
        contacts: the numbers it has a contact link with.
        handsets: the handsets (or, for a handset, the numbers) it has a handset link with.
        events: contact events on its links.
        inexact: of which without an exact time.
        row_ids: every row its links rest on, sorted.
        exhibit_ids: the exhibits they are in, sorted.
        first_utc: its earliest link.
        last_utc: its latest.
    """

    name: str
    contacts: frozenset[str]
    handsets: frozenset[str]
    events: int
    inexact: int
    row_ids: tuple[str, ...]
    exhibit_ids: tuple[str, ...]
    first_utc: datetime | None
    last_utc: datetime | None


def node_evidence(edges: pa.Table, names: Collection[str]) -> dict[str, NodeEvidence]:
    """The evidence behind the links of each of ``names`` (nodes without links are left out)."""
    wanted = pa.array(sorted(set(names)), pa.string())
    touching = edges.filter(
        pc.or_(
            pc.is_in(edges.column("source"), value_set=wanted),
            pc.is_in(edges.column("target"), value_set=wanted),
        )
    )
    gathered: dict[str, dict[str, Any]] = {}
    chosen = set(names)
    for edge in touching.to_pylist():
        for me, other in ((edge["source"], edge["target"]), (edge["target"], edge["source"])):
            if me not in chosen:
                continue
            into = gathered.setdefault(
                me,
                {"contacts": set(), "handsets": set(), "events": 0, "inexact": 0,
                 "rows": set(), "exhibits": set(), "first": [], "last": []},
            )  # fmt: skip
            if edge["link"] == LinkKind.CONTACT.value:
                into["contacts"].add(other)
                into["events"] += edge["weight"]
                into["inexact"] += edge["inexact"]
            else:
                into["handsets"].add(other)
            into["rows"].update(edge["row_ids"])
            into["exhibits"].update(edge["exhibit_ids"])
            if edge["first_utc"] is not None:
                into["first"].append(edge["first_utc"])
            if edge["last_utc"] is not None:
                into["last"].append(edge["last_utc"])
    return {
        name: NodeEvidence(
            name=name,
            contacts=frozenset(g["contacts"]),
            handsets=frozenset(g["handsets"]),
            events=g["events"],
            inexact=g["inexact"],
            row_ids=tuple(sorted(g["rows"])),
            exhibit_ids=tuple(sorted(g["exhibits"])),
            first_utc=min(g["first"]) if g["first"] else None,
            last_utc=max(g["last"]) if g["last"] else None,
        )
        for name, g in gathered.items()
    }
