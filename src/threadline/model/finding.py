"""Findings: what an analysis concludes, with the rows it came from and words to explain it.

A finding is the step between evidence rows and a product element (design.md "Identity and
provenance"): an analysis (``method@version``, run with stated parameters) reads the evidence
tables and says something about one or more subjects, such as "+44 7700 900999 was in contact
with three of the four target numbers". Every finding

* cites the ``row_id`` of each evidence row it rests on (``derived_from``), so a chart element
  or a report sentence built on it leads back to the exhibit rows (requirement 20);
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from threadline.model.ids import make_id

__all__ = ["Basis", "Finding", "canonical_parameters"]


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
class Finding:
    """One conclusion of an analysis.

    Attributes:
        kind: what sort of finding (``common_contact``, ``call_chain``, ``contact_profile``...).
        subjects: the identifiers it is about (normalised: E.164 numbers, IMEI keys, VRMs), in
            the order the kind gives them meaning (a call chain's A, B, C).
        explanation: what was found, in words for a report.
        derived_from: the ``row_id`` of every evidence row it rests on, sorted.
        score: how strong, on the kind's own scale (stated in its explanation); ``None`` when a
            finding is a fact rather than a measure.
        detail: the figures behind the explanation (JSON-able: counts, per-subject breakdowns,
            a heat map's cells).
        basis: evidenced, intelligence or judgement.
        first_utc: the earliest event it rests on, where it has a time.
        last_utc: the latest.
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

    def identity(self, method: str, parameters: str) -> str:
        """The finding's identifier for a run of ``method`` (``name@version``) with
        ``parameters`` (:func:`canonical_parameters`)."""
        return make_id("finding", method, parameters, self.kind, *self.subjects)
