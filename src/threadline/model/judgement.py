"""Analysts' judgements on whether two things are one: the record every analysis respects.

Resolution proposes; an analyst decides. When record linkage proposes that two records are one
person, or a successor analysis that one number replaced another, the analyst records a
**judgement**: the two subjects are the *same*, *not the same*, or the analyst is *unsure*, with
a reason. Judgements are kept with who made them and when, audited as alterations of derived
data (requirement 19: the evidence rows never change), reversible (a reversal is a later record,
the earlier kept), and handed to every analysis run after them (requirement 7: a link that rests
on a judgement says so).

Subjects are written ``<kind>:<key>`` with the key normalised as the evidence holds it:
``number:+447700900123``, ``imei:35209900176148``, ``vrm:AB12CDE``, ``person:<record id>``.

This module is pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Judgement", "Verdict", "same_groups", "subject"]


class Verdict(StrEnum):
    """What the analyst decided about two subjects."""

    SAME = "same"
    NOT_SAME = "not_same"
    UNSURE = "unsure"


def subject(kind: str, key: str) -> str:
    """A judgement's subject: ``number:+447700900123``.

    Raises:
        ValueError: the kind or key is empty, or the kind holds a colon.
    """
    if not kind or not key or ":" in kind:
        raise ValueError(f"a subject is kind:key, not {kind!r}:{key!r}")
    return f"{kind}:{key}"


@dataclass(frozen=True, slots=True)
class Judgement:
    """One analyst's judgement in force (a reversed one is not handed to analyses).

    Attributes:
        judgement_id: its identifier.
        first: one subject (``kind:key``), the lesser of the two in text order.
        second: the other subject.
        verdict: same, not the same, or unsure.
        reason: why, in the analyst's words.
        by: who recorded it.
        at: when (UTC).
    """

    judgement_id: str
    first: str
    second: str
    verdict: Verdict
    reason: str
    by: str
    at: datetime


def same_groups(judgements: tuple[Judgement, ...] | list[Judgement]) -> list[frozenset[str]]:
    """The subjects judged the same, as groups (judged-same is transitive: A same as B and B
    same as C puts A, B and C in one group); groups of two or more, sorted by their least
    member. Not-the-same and unsure judgements do not join anything."""
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for judgement in judgements:
        if judgement.verdict is Verdict.SAME:
            a, b = root(judgement.first), root(judgement.second)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, set[str]] = {}
    for item in parent:
        groups.setdefault(root(item), set()).add(item)
    return sorted((frozenset(g) for g in groups.values() if len(g) > 1), key=min)
