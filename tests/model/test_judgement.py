"""Judgement subjects and the groups judged the same (worked by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from threadline.model.judgement import Judgement, Verdict, same_groups, subject

AT = datetime(2026, 6, 1, tzinfo=UTC)


def _j(a: str, b: str, verdict: Verdict) -> Judgement:
    first, second = sorted((a, b))
    return Judgement(f"{a}-{b}", first, second, verdict, "reason", "ann", AT)


def test_subjects_are_kind_and_key() -> None:
    assert subject("number", "+447700900123") == "number:+447700900123"
    with pytest.raises(ValueError, match="kind:key"):
        subject("", "x")
    with pytest.raises(ValueError, match="kind:key"):
        subject("a:b", "x")


def test_same_is_transitive_and_other_verdicts_join_nothing() -> None:
    judgements = [
        _j("n:3", "n:2", Verdict.SAME),
        _j("n:2", "n:1", Verdict.SAME),
        _j("n:5", "n:4", Verdict.SAME),
        _j("n:1", "n:4", Verdict.NOT_SAME),
        _j("n:6", "n:7", Verdict.UNSURE),
    ]
    assert same_groups(judgements) == [
        frozenset({"n:1", "n:2", "n:3"}),
        frozenset({"n:4", "n:5"}),
    ]
    assert same_groups([]) == []
