"""Case search: identifiers in any written form, names, VRMs, message text and media files (by
name, path, camera, or exactly by MD5 or SHA-256), across a case.

The search text is read into identifier keys and words (:mod:`threadline.model.search_query`) and
looked up in the case's search index (:mod:`threadline.store.search_index`), a derived artefact
of the evidence store that is built on demand and rebuilt whenever the case's evidence changes.
Results are grouped by evidence table; each hit names its row, exhibit and locator, so it opens
its source record (:func:`threadline.services.records.open_record`).

Every search is logged as a consultation of every record it returned, with the search text and
how it was read (requirements 15 and 35). Hits are ordered newest first: a search is most often
asked about current activity (is this number still in use, when was the vehicle last seen), and
with thousands of rows for a target number the newest are the ones a page can usefully show;
``newest_first=False`` gives first sightings, and the timeline gives the full chronology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from threadline.errors import ConfigError, NotFound
from threadline.model.audit import AuditOperation
from threadline.model.entity_keys import EntityKind
from threadline.model.search_query import MAX_QUERY_LENGTH, SearchQuery, interpret_query
from threadline.services.cases import find_case
from threadline.services.query import evidence_files, exhibit_references
from threadline.services.workspace import Workspace
from threadline.store.search_index import (
    INDEXED_TABLES,
    EntityDoc,
    SearchIndex,
    current_index,
    ensure_index,
    hash_term,
    index_fingerprint,
    key_term,
)
from threadline.store.tables import CaseRow, EvidenceFileRow, ExhibitRow, IngestRunRow

__all__ = [
    "MAX_LIMIT",
    "TABLE_TITLES",
    "EntityMatch",
    "IndexInfo",
    "SearchGroup",
    "SearchHit",
    "SearchResults",
    "build_search_index",
    "current_search_index",
    "describe_entity",
    "evidence_fingerprint",
    "resolve_entity",
    "search_case",
]

#: Most hits returned per table in one search.
MAX_LIMIT = 500

#: Most matching entities listed with the results.
ENTITY_LIMIT = 20

#: What each indexed table is called on a results page.
TABLE_TITLES: dict[str, str] = {
    "calls": "Calls",
    "messages": "Messages",
    "data_sessions": "Data sessions",
    "contacts": "Contacts",
    "devices": "Devices",
    "accounts": "Accounts",
    "media": "Media files",
    "anpr_reads": "ANPR reads",
    "cell_sites": "Cell sites",
}

_ENTITY_ID = re.compile(r"^[0-9a-f]{32}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """A case's search index.

    Attributes:
        case: the case reference.
        fingerprint: the hash of the evidence it indexes.
        path: its folder.
        rows: evidence rows indexed.
        entities: distinct identifier-keyed entities indexed.
        built: whether this call built it (``False``: it was already current).
        seconds: how long the build took (when it was built, by whichever call).
    """

    case: str
    fingerprint: str
    path: str
    rows: int
    entities: int
    built: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "fingerprint": self.fingerprint,
            "path": self.path,
            "rows": self.rows,
            "entities": self.entities,
            "built": self.built,
            "seconds": self.seconds,
        }


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """An identifier-keyed entity the search names.

    Attributes:
        entity_id: the entity's id (for URLs: no personal data).
        kind: the kind of entity.
        key: the normalised key (E.164 number, 14-digit IMEI key, IMSI, VRM, casefolded name).
        display: how to show it (a name in its most used spelling).
        rows: evidence rows in the case that name it.
    """

    entity_id: str
    kind: EntityKind
    key: str
    display: str
    rows: int

    @property
    def kind_label(self) -> str:
        """The kind in words (``Telephone number``)."""
        return self.kind.label

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "entity_id": self.entity_id,
            "kind": self.kind.value,
            "kind_label": self.kind_label,
            "key": self.key,
            "display": self.display,
            "rows": self.rows,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One evidence row found.

    Attributes:
        row_id: the row's id; :func:`threadline.services.records.open_record` opens it.
        table: its canonical table.
        exhibit_id: its exhibit's id.
        exhibit: its exhibit's reference (``JB/1``).
        locator: where in the exhibit (``row=1842``).
        time: the row's time in UTC, ISO 8601, exact or the earliest reading of an ambiguous
            local time (``summary["time"]`` says which); ``None`` for rows without a time.
        summary: the row in brief: ``time`` (``original``, ``status``, ``utc`` or
            ``earliest_utc``/``latest_utc``) and the table's main columns (parties, direction,
            duration, cell, a body snippet, name, VRM, ...); values absent from the row are left
            out. Values are evidence text: render them as text, never as markup.
    """

    row_id: str
    table: str
    exhibit_id: str
    exhibit: str
    locator: str
    time: str | None
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "row_id": self.row_id,
            "table": self.table,
            "exhibit_id": self.exhibit_id,
            "exhibit": self.exhibit,
            "locator": self.locator,
            "time": self.time,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class SearchGroup:
    """The hits in one table.

    Attributes:
        table: the canonical table.
        title: what the table is called on a page.
        total: how many rows of the table match in all.
        offset: rows skipped before ``hits`` (paging).
        hits: up to the limit of them, in the results' order.
    """

    table: str
    title: str
    total: int
    offset: int
    hits: tuple[SearchHit, ...]

    @property
    def more(self) -> bool:
        """Whether rows beyond these match (another page)."""
        return self.offset + len(self.hits) < self.total

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "table": self.table,
            "title": self.title,
            "total": self.total,
            "offset": self.offset,
            "more": self.more,
            "hits": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True, slots=True)
class SearchResults:
    """What a search found.

    Attributes:
        case: the case reference.
        query: the text and how it was read (:class:`SearchQuery`: ``terms``, ``words``,
            ``description``).
        entities: entities whose key the text names, or whose recorded name holds all its words
            (most rows first, at most :data:`ENTITY_LIMIT`).
        entities_total: how many entities match in all.
        groups: one per table with matches, in :data:`INDEXED_TABLES` order.
        newest_first: the order of hits within each group (rows without a time last).
        limit: most hits per group.
    """

    case: str
    query: SearchQuery
    entities: tuple[EntityMatch, ...]
    entities_total: int
    groups: tuple[SearchGroup, ...]
    newest_first: bool
    limit: int

    @property
    def interpretation(self) -> str:
        """How the text was read, in words."""
        return self.query.description

    @property
    def total(self) -> int:
        """Rows matching in all tables."""
        return sum(group.total for group in self.groups)

    @property
    def row_ids(self) -> list[str]:
        """The ids of the rows returned, group by group."""
        return [hit.row_id for group in self.groups for hit in group.hits]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "case": self.case,
            "query": self.query.to_dict(),
            "interpretation": self.interpretation,
            "order": "newest first" if self.newest_first else "oldest first",
            "limit": self.limit,
            "total": self.total,
            "entities_total": self.entities_total,
            "entities": [entity.to_dict() for entity in self.entities],
            "groups": [group.to_dict() for group in self.groups],
        }


@dataclass(frozen=True, slots=True)
class _CaseEvidence:
    case_id: str
    reference: str
    files: dict[str, list[str]]
    fingerprint: str
    exhibits: dict[str, str]


def evidence_fingerprint(session: Session, case: CaseRow) -> str:
    """The fingerprint of the case's evidence: what its current search index is built from.

    A hash of the SHA-256s of the evidence files of the case's complete ingest runs, so any
    ingest (or supersession) changes it.
    """
    hashes = session.execute(
        select(EvidenceFileRow.sha256)
        .join(IngestRunRow, IngestRunRow.id == EvidenceFileRow.run_id)
        .join(ExhibitRow, ExhibitRow.id == IngestRunRow.exhibit_id)
        .where(ExhibitRow.case_id == case.id, IngestRunRow.status == "complete")
    ).scalars()
    return index_fingerprint(list(hashes))


def current_search_index(ws: Workspace, case_id: str, fingerprint: str) -> SearchIndex | None:
    """The case's search index for ``fingerprint`` if it is already built (never builds one).

    Raises:
        StoreError: the index exists but cannot be opened.
    """
    path = current_index(_index_root(ws), case_id, fingerprint)
    return None if path is None else SearchIndex.open(path)


def _case_evidence(ws: Workspace, case_reference: str) -> _CaseEvidence:
    """The case's evidence files and their fingerprint, read in one short transaction."""
    with ws.session() as session:
        case = find_case(session, case_reference)
        return _CaseEvidence(
            case_id=case.id,
            reference=case.reference,
            files=evidence_files(session, case),
            fingerprint=evidence_fingerprint(session, case),
            exhibits=exhibit_references(session, case),
        )


def _index_root(ws: Workspace) -> Path:
    return ws.settings.home / "index"


def _open_index(ws: Workspace, evidence: _CaseEvidence) -> tuple[SearchIndex, bool]:
    """The case's current index, built first if missing or stale (outside any transaction)."""
    path, _stats, built = ensure_index(
        _index_root(ws), evidence.case_id, evidence.fingerprint, ws.evidence, evidence.files
    )
    if built:
        # evidence ingested from the command line: bring the read copy up to date as well
        ws.evidence.make_read_copy(evidence.files)
    return SearchIndex.open(path), built


def build_search_index(ws: Workspace, case_reference: str) -> IndexInfo:
    """Build the case's search index unless it is current; quick when it is.

    Call after ingest (and the demo) so the first search does not wait for the build; searching
    builds it anyway when it is missing or stale. The evidence store's read copy of the case is
    made at the same time (:meth:`EvidenceStore.make_read_copy`). Both are derived from the
    evidence and hold nothing new, so building them is not itself logged.

    Raises:
        NotFound: no such case.
        StoreError: the index cannot be built.
    """
    evidence = _case_evidence(ws, case_reference)
    path, stats, built = ensure_index(
        _index_root(ws), evidence.case_id, evidence.fingerprint, ws.evidence, evidence.files
    )
    # the evidence store's read copy serves the interactive pages (entity profiles) quickly
    ws.evidence.make_read_copy(evidence.files)
    return IndexInfo(
        case=evidence.reference,
        fingerprint=evidence.fingerprint,
        path=str(path),
        rows=stats.rows,
        entities=stats.entities,
        built=built,
        seconds=stats.seconds,
    )


def _match(entity: EntityDoc) -> EntityMatch:
    return EntityMatch(entity.entity_id, entity.kind, entity.key, entity.display, entity.rows)


def _iso_utc(micros: int | None) -> str | None:
    if micros is None:
        return None
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.isoformat().replace("+00:00", "Z")


def _check_text(text: str) -> None:
    if not text.strip():
        raise ConfigError("the search text is empty: type a number, IMEI, name, VRM or words")
    if len(text) > MAX_QUERY_LENGTH:
        raise ConfigError(
            f"the search text is {len(text)} characters long; at most {MAX_QUERY_LENGTH}"
        )


def search_case(
    ws: Workspace,
    case_reference: str,
    text: str,
    *,
    limit: int = 50,
    offset: int = 0,
    table: str | None = None,
    newest_first: bool = True,
    justification: str | None = None,
) -> SearchResults:
    """Search the case's evidence; logged as a consultation of every row returned.

    Args:
        ws: the workspace.
        case_reference: the case.
        text: what the user typed (see :mod:`threadline.model.search_query` for how it is read;
            query syntax characters are ordinary characters).
        limit: most hits per table (1 to :data:`MAX_LIMIT`).
        offset: hits skipped per table, for the next page of one table.
        table: search only this table (one of :data:`TABLE_TITLES`), for paging through it.
        newest_first: order of hits within each table (rows without a time come last).
        justification: why the user is searching (mandatory under force policy).

    Returns:
        The :class:`SearchResults`.

    Raises:
        ConfigError: the text is empty or too long, ``limit``/``offset`` are out of range, or
            ``table`` is not a searchable table.
        PermissionDenied: a justification is required and missing (checked before searching).
        NotFound: no such case.
        StoreError: the index cannot be built or read.
    """
    _check_text(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be from 1 to {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise ConfigError(f"offset must not be negative, not {offset}")
    if table is not None and table not in INDEXED_TABLES:
        raise ConfigError(
            f"{table!r} is not a searchable table; tables: {', '.join(INDEXED_TABLES)}"
        )
    ws.check_justification(AuditOperation.CONSULTATION, justification)
    query = interpret_query(text)
    evidence = _case_evidence(ws, case_reference)
    index, _built = _open_index(ws, evidence)
    keys = [key_term(term.kind, term.key) for term in query.terms]
    found = index.search_rows(
        [*keys, *(hash_term(value) for value in query.hashes)],
        query.words,
        tables=INDEXED_TABLES if table is None else (table,),
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )
    entities, entities_total = index.match_entities(keys, query.words, limit=ENTITY_LIMIT)
    groups = tuple(
        SearchGroup(
            table=hits.table,
            title=TABLE_TITLES[hits.table],
            total=hits.total,
            offset=offset,
            hits=tuple(
                SearchHit(
                    row_id=hit.row_id,
                    table=hit.table,
                    exhibit_id=hit.exhibit_id,
                    exhibit=evidence.exhibits.get(hit.exhibit_id, hit.exhibit_id),
                    locator=hit.locator,
                    time=_iso_utc(hit.time_us),
                    summary=hit.summary,
                )
                for hit in hits.hits
            ),
        )
        for hits in found
    )
    results = SearchResults(
        case=evidence.reference,
        query=query,
        entities=tuple(_match(entity) for entity in entities),
        entities_total=entities_total,
        groups=groups,
        newest_first=newest_first,
        limit=limit,
    )
    with ws.session() as session:
        ws.audit(
            session,
            AuditOperation.CONSULTATION,
            "evidence.search",
            case_id=evidence.case_id,
            object_type="search",
            detail={
                "text": text,
                "interpretation": query.description,
                "terms": [term.to_dict() for term in query.terms],
                "words": list(query.words),
                "hashes": list(query.hashes),
                "table": table,
                "limit": limit,
                "offset": offset,
                "order": "newest first" if newest_first else "oldest first",
                "totals": {group.table: group.total for group in groups},
                "entities": [entity.entity_id for entity in results.entities],
                "row_ids": results.row_ids,
            },
            justification=justification,
        )
    return results


def describe_entity(ws: Workspace, case_reference: str, entity_id: str) -> EntityMatch:
    """The entity an id names in this case: kind, key, display form and rows naming it.

    Resolving an id is not itself a consultation of evidence; the page that then shows the
    entity's rows logs those.

    Raises:
        NotFound: no such case, or the case's evidence names no entity with this id (ids that
            are not 32 lower-case hex digits included).
        StoreError: the index cannot be built or read.
    """
    if not _ENTITY_ID.match(entity_id):
        raise NotFound(f"no such entity in case {case_reference}: an entity id is 32 hex digits")
    evidence = _case_evidence(ws, case_reference)
    index, _built = _open_index(ws, evidence)
    entity = index.entity(entity_id)
    if entity is None:
        raise NotFound(f"no entity {entity_id} in case {evidence.reference}")
    return _match(entity)


def resolve_entity(ws: Workspace, case_reference: str, entity_id: str) -> tuple[EntityKind, str]:
    """The kind and normalised key of the entity an id names in this case.

    Raises:
        NotFound: as :func:`describe_entity`.
        StoreError: the index cannot be built or read.
    """
    entity = describe_entity(ws, case_reference, entity_id)
    return entity.kind, entity.key
