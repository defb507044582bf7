"""Findings: what an analysis concludes, with the rows it came from and words to explain it.

A finding is the step between evidence rows and a product element (design.md "Identity and
provenance"): an analysis (``method@version``, run with stated parameters) reads the evidence
tables and says something about one or more subjects, such as "+44 7700 900999 was in contact
with three of the four target numbers". Every finding

* cites the ``row_id`` of each evidence row it rests on (``derived_from``), so a chart element
  or a report sentence built on it leads back to the exhibit rows (requirement 20) — or, for a
  finding about a whole group whose rows may run to millions (a community), names them by the
  links among its nodes (``derived_links``, a :class:`LinkCitation`): every row of contact
  between two of the nodes in the window, in the exhibits read. Resolved over those exhibits'
  rows alone, which never change once ingested, the rule selects the same rows whenever it is
  resolved (over more exhibits it might not: events formed with a later exhibit's records
  could move an old record across the window's edge), and the number it selected when the
  analysis ran is recorded with it to show that it still does;
* says in plain words what was found and how far it goes (``explanation``), so an analyst can put
  it in a report without reading code, and indicator-like scores are decision support with
  their reasons, never a label (requirement 44);
* records whether it is evidenced, rests on intelligence, or is an analyst's judgement
  (``basis``; requirement 7);
* has a deterministic identity from the method, its parameters, its kind and its subjects, so a
  re-run over the same evidence finds the same findings.

This module is pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from threadline.model.ids import make_id

__all__ = ["Basis", "Finding", "LinkCitation", "canonical_parameters", "rows_cited"]


class Basis(StrEnum):
    """What a finding or link rests on (requirement 7)."""

    EVIDENCED = "evidenced"  # evidence rows (exhibits) alone
    INTELLIGENCE = "intelligence"  # graded intelligence, at least in part
    JUDGEMENT = "judgement"  # an analyst's recorded judgement


def canonical_parameters(parameters: Mapping[str, Any]) -> str:
    """Parameters as one canonical text (sorted keys, no spaces): what a run is keyed on and
    what a finding's identity includes, so that the same question gives the same identity."""
    return json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class LinkCitation:
    """The rows a finding rests on, named by the links among its nodes rather than listed.

    It selects every contact record (and every handset record, with ``handsets``) whose two
    ends are both among ``nodes``, of a contact event in the window ``since``..``until``
    (events formed with ``same_event_seconds``, as the network analyses form them), in the
    exhibits ``exhibit_ids``. A community of forty numbers may rest on three million records;
    listing them would cost more than finding the community and make a finding of 100 MB, while
    the rule is exact, small and resolved when someone asks to see the rows.

    Attributes:
        nodes: the network's node names (``number:+447700900123``, ``handset:35...``), sorted.
        exhibit_ids: the exhibits the analysis read, sorted; rows of exhibits added later are
            not cited.
        since: the window's start (``None``: from the first record).
        until: its end (``None``: to the last).
        handsets: whether handset records (a number used in a handset) are cited too.
        same_event_seconds: the matching interval the contact events were formed with.
        rows: how many distinct rows the rule selected when the analysis ran.
    """

    nodes: tuple[str, ...]
    exhibit_ids: tuple[str, ...]
    since: datetime | None
    until: datetime | None
    handsets: bool
    same_event_seconds: float
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (instants as ISO 8601 text)."""
        return {
            "nodes": list(self.nodes),
            "exhibit_ids": list(self.exhibit_ids),
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "handsets": self.handsets,
            "same_event_seconds": self.same_event_seconds,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkCitation:
        """The citation :meth:`to_dict` wrote."""
        return cls(
            nodes=tuple(data["nodes"]),
            exhibit_ids=tuple(data["exhibit_ids"]),
            since=None if data["since"] is None else datetime.fromisoformat(data["since"]),
            until=None if data["until"] is None else datetime.fromisoformat(data["until"]),
            handsets=bool(data["handsets"]),
            same_event_seconds=float(data["same_event_seconds"]),
            rows=int(data["rows"]),
        )


def rows_cited(derived_from: Sequence[str], derived_links: LinkCitation | None) -> int:
    """How many rows a finding (or a stored one) rests on: its citation's count when its rows
    are named by links, else how many it lists."""
    return len(derived_from) if derived_links is None else derived_links.rows


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion of an analysis.

    Attributes:
        kind: what sort of finding (``common_contact``, ``call_chain``, ``contact_profile``...).
        subjects: the identifiers it is about (normalised: E.164 numbers, IMEI keys, VRMs), in
            the order the kind gives them meaning (a call chain's A, B, C).
        explanation: what was found, in words for a report.
        derived_from: the ``row_id`` of every evidence row it rests on, sorted; empty when
            ``derived_links`` names them instead.
        score: how strong, on the kind's own scale (stated in its explanation); ``None`` when a
            finding is a fact rather than a measure.
        detail: the figures behind the explanation (JSON-able: counts, per-subject breakdowns,
            a heat map's cells).
        basis: evidenced, intelligence or judgement.
        first_utc: the earliest event it rests on, where it has a time.
        last_utc: the latest.
        derived_links: the rows it rests on named by the links among its nodes, for a
            finding about a whole group (``derived_from`` is then empty).
    """

    kind: str
    subjects: tuple[str, ...]
    explanation: str
    derived_from: tuple[str, ...]
    score: float | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    basis: Basis = Basis.EVIDENCED
    first_utc: datetime | None = None
    last_utc: datetime | None = None
    derived_links: LinkCitation | None = None

    @property
    def rows_cited(self) -> int:
        """How many rows it rests on, listed or named by its links."""
        return rows_cited(self.derived_from, self.derived_links)

    def identity(self, method: str, parameters: str) -> str:
        """The finding's identifier for a run of ``method`` (``name@version``) with
        ``parameters`` (:func:`canonical_parameters`)."""
        return make_id("finding", method, parameters, self.kind, *self.subjects)
