"""Contact events formed on the fly and read from the read copy's table give the same findings.

The read copy holds the case's contact events, formed once
(:func:`threadline.analysis.contact_events.ends_table_sql`); analyses read that table when their
evidence offers it and form the same events themselves when it does not. These tests check the
table against hand-counted events, that a period keeps or drops an event whole, that the table
is never read for another matching interval, and that every analysis built on contact events
gives equal findings either way over randomly made evidence (many seeds: records mirrored
between exhibits within and beyond the matching interval, two records of one exhibit, times
that are not exact, handsets).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from evidence_factory import call, make_evidence, message, utc, with_contact_events
from evidence_rows import data_session, handset

from threadline.analysis.brokers import Brokers, BrokersParameters
from threadline.analysis.burner_indicators import BurnerIndicators, BurnerIndicatorsParameters
from threadline.analysis.call_chains import CallChains, CallChainsParameters
from threadline.analysis.common_contacts import CommonContacts, CommonContactsParameters
from threadline.analysis.communities import Communities, CommunitiesParameters
from threadline.analysis.contact_events import (
    DEFAULT_SAME_EVENT_SECONDS,
    ENDS_TABLE,
    contact_ends_sql,
    contact_events_sql,
    precomputed,
)
from threadline.analysis.contact_profile import ContactProfile, ContactProfileParameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.key_players import KeyPlayers, KeyPlayersParameters
from threadline.analysis.network_graph import cited_row_ids, load_edges
from threadline.analysis.successor_numbers import SuccessorNumbers, SuccessorNumbersParameters

A, B, C = "+447700900001", "+447700900002", "+447700900003"


def _window(**values: Any) -> dict[str, Any]:
    return {
        "since": None,
        "until": None,
        "same_event_seconds": DEFAULT_SAME_EVENT_SECONDS,
        **values,
    }


def _straddling() -> Evidence:
    """A calls B at 09:59:58 in e1 (A's return) and e2 holds it at 10:00:03 (5 s later: one
    event); A calls C at 10:30 (e1 only); B texts A twice at 11:00:00 and 11:00:02 in e2 (two
    texts: one exhibit never makes one event of two records)."""
    return make_evidence(
        {
            "calls": [
                call("e1", 1, A, B, "2024-06-01 09:59:58"),
                call("e2", 1, A, B, "2024-06-01 10:00:03", direction="incoming"),
                call("e1", 2, A, C, "2024-06-01 10:30:00"),
            ],
            "messages": [
                message("e2", 2, B, A, "2024-06-01 11:00:00"),
                message("e2", 3, B, A, "2024-06-01 11:00:02"),
            ],
        }
    )


@pytest.mark.parametrize("from_table", [False, True])
def test_the_table_holds_each_event_once_for_each_of_its_numbers(from_table: bool) -> None:
    """Events by hand: A->B call (2 records), A->C call, B->A SMS, B->A SMS: 4 events, so 8
    ends; A's ends: 2 made calls and 2 received texts."""
    evidence = _straddling()
    if from_table:
        evidence = with_contact_events(evidence)
    assert precomputed(evidence, DEFAULT_SAME_EVENT_SECONDS) is from_table
    ends = evidence.rows(
        f"SELECT number, other, role, medium, records FROM ({contact_ends_sql()}) AS e "
        "ORDER BY number, role, other, medium",
        _window(),
    )
    assert len(ends) == 8
    of_a = [(e["other"], e["role"], e["medium"], e["records"]) for e in ends if e["number"] == A]
    assert of_a == [
        (B, "made", "call", 2),
        (C, "made", "call", 1),
        (B, "received", "sms", 1),
        (B, "received", "sms", 1),
    ]
    chosen = evidence.rows(
        f"SELECT number FROM ({contact_ends_sql('$numbers', from_table=from_table)}) AS e",
        {**_window(), "numbers": [C]},
    )
    assert chosen == [{"number": C}]


@pytest.mark.parametrize("from_table", [False, True])
def test_a_period_keeps_or_drops_an_event_whole(from_table: bool) -> None:
    """The A->B call began at 09:59:58 (its earliest record): from 10:00 it is out, with both
    its records; until 10:00 it is in, with both (its 10:00:03 record included)."""
    evidence = _straddling()
    if from_table:
        evidence = with_contact_events(evidence)
    sql = f"SELECT a_party, b_party, row_ids FROM ({contact_events_sql(from_table=from_table)})"
    later = evidence.rows(sql, _window(since=utc("2024-06-01 10:00:00")))
    assert {(r["a_party"], r["b_party"]) for r in later} == {(A, C), (B, A)}
    earlier = evidence.rows(sql, _window(until=utc("2024-06-01 10:00:00")))
    assert [(r["a_party"], r["b_party"], len(r["row_ids"])) for r in earlier] == [(A, B, 2)]


def test_the_table_is_never_read_for_another_interval() -> None:
    """With 60 s the analyses form their events; the table's query, asked for 60 s, gives
    nothing rather than events matched within 10 s."""
    evidence = with_contact_events(_straddling())
    assert not precomputed(evidence, 60.0)
    table = f"SELECT * FROM ({contact_events_sql(from_table=True)})"
    assert evidence.rows(table, _window(same_event_seconds=60.0)) == []
    assert len(evidence.rows(table, _window())) == 4
    assert ENDS_TABLE in evidence.derived


# --- every analysis on contact events: the same findings either way ---------------------------

NUMBERS = [f"+4477009000{n:02d}" for n in range(10, 26)]
EXHIBITS = ["e1", "e2", "e3", "e4"]
START = utc("2024-03-01 00:00:00")
IMEIS = ["35209900176148", "35209900176155", "35209900176163"]


def _random_tables(seed: int) -> dict[str, list[dict[str, Any]]]:
    """About 400 contact events among 16 numbers over 120 days (each number active for part
    of it, so some go quiet and others start up), each in one to three exhibits with 0-15 s
    between copies, some copies twice in one exhibit, 1 in 20 without an exact time, and
    handset columns on some of the caller's own records."""
    rng = random.Random(seed)
    active = {}
    for number in NUMBERS:
        first = rng.randrange(0, 80)
        active[number] = (first, rng.randrange(first + 20, 121))
    counters = dict.fromkeys(EXHIBITS, 0)
    calls: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []

    def next_row(exhibit: str) -> int:
        counters[exhibit] += 1
        return counters[exhibit]

    for _ in range(400):
        day = rng.randrange(0, 120)
        live = [n for n, (s, e) in active.items() if s <= day <= e]
        if len(live) < 2:
            continue
        a, b = rng.sample(live, 2)
        at = START + timedelta(days=day, seconds=rng.randrange(0, 86400))
        maker = call if rng.random() < 0.6 else message
        exact = rng.random() >= 0.05
        copies = rng.sample(EXHIBITS, rng.choice([1, 1, 2, 3]))
        if rng.random() < 0.1:
            copies.append(copies[0])
        for i, exhibit in enumerate(copies):
            when = at + timedelta(seconds=0 if i == 0 else rng.randrange(0, 16))
            extra: dict[str, Any] = {}
            if exhibit == "e1" and rng.random() < 0.3:
                extra = {"target_role": "a", **handset(rng.choice(IMEIS) + "0")}
            if not exact:
                span = {"start_earliest_utc": when, "start_latest_utc": when + timedelta(hours=1)}
                if maker is message:
                    span = {"sent_earliest_utc": when, "sent_latest_utc": when + timedelta(hours=1)}
                extra.update(span)
            text = when.strftime("%Y-%m-%d %H:%M:%S") if exact else None
            row = maker(exhibit, next_row(exhibit), a, b, text, **extra)
            (calls if maker is call else messages).append(row)
        if rng.random() < 0.1:
            data.append(
                data_session(
                    "e1",
                    next_row("e1"),
                    a,
                    at.strftime("%Y-%m-%d %H:%M:%S"),
                    **handset(rng.choice(IMEIS) + "0"),
                )
            )
    return {"calls": calls, "messages": messages, "data_sessions": data}


_ANALYSES: list[tuple[Any, Any, dict[str, Any]]] = [
    (CommonContacts(), CommonContactsParameters, {"k": 2}),
    (ContactProfile(), ContactProfileParameters, {"top": 3}),
    (CallChains(), CallChainsParameters, {"window_minutes": 24 * 60, "min_occasions": 1}),
    (BurnerIndicators(), BurnerIndicatorsParameters, {"min_indicators": 1, "min_events": 1}),
    (SuccessorNumbers(), SuccessorNumbersParameters, {"time_of_day": True, "quiet_days": 7}),
    (KeyPlayers(), KeyPlayersParameters, {"slices": 3}),
    (Communities(), CommunitiesParameters, {"min_size": 2}),
    (Brokers(), BrokersParameters, {}),
]
_PERIODS = [{}, {"since": "2024-03-20T00:00:00Z", "until": "2024-06-10T12:00:00Z"}]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("period", _PERIODS, ids=["all", "period"])
@pytest.mark.parametrize(
    ("analysis", "parameters", "values"), _ANALYSES, ids=[a.info.name for a, _p, _v in _ANALYSES]
)
def test_findings_are_the_same_from_the_table_and_formed(
    analysis: Any, parameters: Any, values: dict[str, Any], period: dict[str, Any], seed: int
) -> None:
    tables = _random_tables(seed)
    targets = tuple(NUMBERS[:4])
    formed = make_evidence(tables, targets=targets)
    read = with_contact_events(make_evidence(tables, targets=targets))
    chosen = parameters.model_validate({**values, **period})
    expected = analysis.run(formed, chosen)
    assert expected or analysis.info.name in {"call_chains", "burner_indicators"}
    assert analysis.run(read, chosen) == expected


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("period", _PERIODS, ids=["all", "period"])
@pytest.mark.parametrize("handsets", [False, True], ids=["numbers", "handsets"])
def test_a_communitys_link_citation_names_the_rows_of_its_internal_links(
    period: dict[str, Any], seed: int, handsets: bool
) -> None:
    """Each community's citation, resolved from the table and formed, names exactly the
    distinct rows of the links both of whose ends are members (what version 1.1 listed), and
    as many as it recorded (a record behind a contact link and a handset link counted once)."""
    tables = _random_tables(seed)
    chosen = CommunitiesParameters.model_validate(
        {"min_size": 2, "include_handsets": handsets, **period}
    )
    formed = make_evidence(tables)
    read = with_contact_events(make_evidence(tables))
    edges = load_edges(formed, chosen, handsets=handsets).to_pylist()
    findings = Communities().run(formed, chosen)
    assert findings
    for finding in findings:
        citation = finding.derived_links
        assert citation is not None
        assert finding.derived_from == ()
        members = set(citation.nodes)
        expected = sorted(
            {
                row
                for edge in edges
                if edge["source"] in members and edge["target"] in members
                for row in edge["row_ids"]
            }
        )
        assert citation.rows == len(expected)
        assert list(cited_row_ids(formed, citation)) == expected
        assert list(cited_row_ids(read, citation)) == expected
