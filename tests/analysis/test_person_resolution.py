"""Person resolution with Splink over hand-made records; weights worked out by hand below.

The model's fixed priors (see :mod:`threadline.analysis.person_resolution`) give these match
weights, log2(m / u):

* prior: log2(0.001 / 0.999) = -9.96434
* name the same: log2(0.50 / 0.002) = log2(250) = +7.96578; Jaro-Winkler >= 0.92:
  log2(0.15 / 0.004) = log2(37.5) = +5.22882; words within: log2(0.15 / 0.01) = log2(15) =
  +3.90689; names differ: log2(0.15 / 0.964) = -2.68407
* number the same: log2(0.70 / 0.002) = log2(350) = +8.45121; different: log2(0.30 / 0.998) =
  -1.73408
* e-mail the same: log2(0.80 / 0.0005) = log2(1600) = +10.64386
* IMEI the same: log2(0.80 / 0.001) = log2(800) = +9.64386
* a comparison with a value missing on either side: 0

So:

* the same name and number: -9.96434 + 7.96578 + 8.45121 = +6.45265; Bayes factor 250 x 350 =
  87,500; odds 87,500 x 0.001 / 0.999 = 87.5876, probability 87.5876 / 88.5876 = 0.98871.
* "Kasia Lis" and "Kasia Liss" on one number (Jaro-Winkler 0.98): -9.96434 + 5.22882 + 8.45121
  = +3.71569; Bayes factor 37.5 x 350 = 13,125; odds 13.1381, probability 0.92927.
* "Kasia" and "Kasia Lis" on one number: -9.96434 + 3.90689 + 8.45121 = +2.39376; Bayes factor
  15 x 350 = 5,250; odds 5.25526, probability 0.84013 (below 0.9: for review, not joined).
* "Ola" and "Kasia Lis" on one number: -9.96434 - 2.68407 + 8.45121 = -4.1972; Bayes factor
  0.155602 x 350 = 54.461; odds 0.054515, probability 0.051697.
* "Mum" twice on one number: "Mum" is a description, not a name, so only the number counts:
  -9.96434 + 8.45121 = -1.51313; odds 350 x 0.001 / 0.999 = 0.35035, probability 0.25945
  (not reported at 0.5).
* the same name, different numbers, the same e-mail: -9.96434 + 7.96578 - 1.73408 + 10.64386 =
  +6.91122, probability 0.99176.
* the same owner name and IMEI, one number missing: -9.96434 + 7.96578 + 9.64386 = +7.6453,
  probability 0.99503.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from people_rows import IMEI_A, account, contact, device, judgement, people_evidence, person

from threadline.analysis.person_resolution import (
    COMPARISONS,
    PersonResolution,
    PersonResolutionParameters,
)
from threadline.model.finding import Basis, Finding
from threadline.model.judgement import Judgement

X, Y, Z = "+447700900201", "+447700900202", "+447700900203"
REFERENCES = {f"e{i}": f"JB/{i}" for i in range(1, 8)}
PRIOR = math.log2(0.001 / 0.999)


def run(
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    judgements: Sequence[Judgement] = (),
    **parameters: Any,
) -> list[Finding]:
    evidence = people_evidence(tables, exhibits=REFERENCES, judgements=judgements)
    return PersonResolution().run(evidence, PersonResolutionParameters(**parameters))


def kinds(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def says_either(text: str, template: str, one: str, other: str) -> bool:
    """Whether ``text`` holds ``template`` with the two values in either order (a link's
    records are ordered by row id, which is arbitrary here)."""
    return template.format(one, other) in text or template.format(other, one) in text


def probability(weight: float) -> float:
    return 2**weight / (1 + 2**weight)


def test_the_fixed_weights_are_those_worked_out_by_hand() -> None:
    name, number, email, username, imei = COMPARISONS
    assert [round(level.weight, 5) for level in name.levels] == [
        0.0,
        7.96578,
        5.22882,
        3.90689,
        1.32193,
        -2.68407,
    ]
    assert [round(level.weight, 5) for level in number.levels] == [0.0, 8.45121, -1.73408]
    assert round(email.levels[1].weight, 5) == round(username.levels[1].weight, 5) == 10.64386
    assert round(imei.levels[1].weight, 5) == 9.64386
    for comparison in COMPARISONS:  # m and u each sum to 1 over the non-null levels
        assert sum(lv.m or 0 for lv in comparison.levels) == pytest.approx(1)
        assert sum(lv.u or 0 for lv in comparison.levels) == pytest.approx(1)


def test_identical_name_and_number_records_link_with_their_weights() -> None:
    a, b = contact("e1", 1, "Kasia Lis", X), contact("e2", 1, "KASIA LIS (work)", X)
    (found, link) = run({"contacts": [a, b]})
    assert found.kind == "person"
    assert set(found.subjects) == {person(a), person(b)}
    assert found.basis is Basis.EVIDENCED
    assert found.detail["numbers"] == [X]
    assert found.detail["names"] == ["KASIA LIS (work)", "Kasia Lis"]
    assert found.detail["data_subject_category"] is None
    assert found.score == pytest.approx(0.9887, abs=1e-4)

    assert link.kind == "proposed_link"
    assert link.subjects == tuple(sorted((person(a), person(b))))
    assert link.derived_from == tuple(sorted((a["row_id"], b["row_id"])))
    assert link.score == pytest.approx(0.9887, abs=1e-4)
    weights = {k: v["match_weight"] for k, v in link.detail["comparisons"].items()}
    assert weights == pytest.approx(
        {"name": 7.96578, "number": 8.45121, "email": 0, "username": 0, "imei_key": 0}, abs=1e-4
    )
    assert link.detail["comparisons"]["name"]["level"] == "exact"
    assert link.detail["prior_match_weight"] == pytest.approx(PRIOR, abs=1e-4)
    assert link.detail["match_weight"] == pytest.approx(6.45265, abs=1e-4)
    assert link.detail["bayes_factor"] == pytest.approx(87500)
    assert link.detail["match_probability"] == pytest.approx(0.98871, abs=1e-5)
    assert link.detail["outcome"] == "joined"
    assert (
        "names the same once normalised ('kasia lis'): +7.97; same number (+447700900201): "
        "+8.45; not compared for want of a value on both records: e-mail, user name, IMEI (0); "
        "with the prior -9.96 (1 in 1,000 pairs of records one person), a match weight of "
        "+6.45 (Bayes factor 87,500)"
    ) in link.explanation
    assert "not an identification" in link.explanation


def test_weights_have_the_sign_of_the_evidence_and_levels_below_the_threshold() -> None:
    rows = [
        contact("e1", 1, "Kasia Lis", X),
        contact("e2", 1, "Kasia Liss", X),
        contact("e3", 1, "Kasia", X),
        contact("e4", 1, "Ola", X),
    ]
    findings = run({"contacts": rows}, review_threshold=0.01)
    links = {frozenset(f.subjects): f for f in kinds(findings, "proposed_link")}

    def between(i: int, j: int) -> Finding:
        return links[frozenset((person(rows[i]), person(rows[j])))]

    close = between(0, 1)
    assert close.detail["comparisons"]["name"]["level"] == "jaro_winkler_0.92"
    assert close.detail["comparisons"]["name"]["jaro_winkler"] == pytest.approx(0.98)
    assert close.score == pytest.approx(0.9293, abs=1e-4)
    phrase = "names agree closely ('{}', '{}': Jaro-Winkler 0.98): +5.23"
    assert says_either(close.explanation, phrase, "kasia lis", "kasia liss")

    part = between(0, 2)
    assert part.detail["comparisons"]["name"]["level"] == "words_within"
    assert part.detail["match_probability"] == pytest.approx(0.84013, abs=1e-5)
    assert part.detail["outcome"] == "below_threshold"
    assert part.detail["same_person"] is False  # "Kasia" is below 0.9 with both the others

    differ = between(0, 3)
    name, number = differ.detail["comparisons"]["name"], differ.detail["comparisons"]["number"]
    assert (name["level"], number["level"]) == ("else", "exact")
    assert name["match_weight"] < 0 < number["match_weight"]
    assert name["match_weight"] == pytest.approx(-2.68407, abs=1e-4)
    assert differ.detail["match_probability"] == pytest.approx(probability(-4.1972), abs=1e-5)
    phrase = "names differ ('{}', '{}': Jaro-Winkler 0.48): -2.68"
    assert says_either(differ.explanation, phrase, "kasia lis", "ola")

    # "Kasia Lis" ~ "Kasia Liss" (0.929) joins; "Kasia" is words_within both (0.840) and "Ola"
    # differs from all (0.0517): those two stay apart.
    (found,) = kinds(findings, "person")
    assert set(found.subjects) == {person(rows[0]), person(rows[1])}


def test_descriptions_are_not_compared_as_names() -> None:
    rows = [contact("e1", 1, "Mum", Y), contact("e2", 1, "mum", Y)]
    assert run({"contacts": rows}) == []
    (link,) = run({"contacts": rows}, review_threshold=0.1)
    assert link.detail["comparisons"]["name"]["level"] == "null"
    assert link.score == pytest.approx(0.25945, abs=1e-4)


def test_device_and_account_records_link_on_imei_and_email() -> None:
    phone = device("e5", 1, X, "Kasia Lis", IMEI_A)
    again = device("e6", 1, None, "Kasia Lis", IMEI_A)  # a second extraction of one handset
    mail_x = account("e5", 2, "Mail", X, display_name="Kasia Lis", email="k.lis@example.org")
    mail_y = account("e7", 1, "Mail", Y, display_name="Kasia Lis", email="K.Lis@example.org")
    findings = run({"devices": [phone, again], "accounts": [mail_x, mail_y]})
    links = {frozenset(f.subjects): f for f in kinds(findings, "proposed_link")}
    handset = links[frozenset((person(phone), person(again)))]
    assert handset.detail["comparisons"]["imei_key"]["match_weight"] == pytest.approx(
        9.64386, abs=1e-4
    )
    assert handset.detail["match_probability"] == pytest.approx(probability(7.6453), abs=1e-5)
    mails = links[frozenset((person(mail_x), person(mail_y)))]
    assert mails.detail["comparisons"]["email"]["level"] == "exact"
    assert mails.detail["comparisons"]["number"]["match_weight"] == pytest.approx(
        -1.73408, abs=1e-4
    )
    assert mails.detail["match_probability"] == pytest.approx(probability(6.91122), abs=1e-5)
    (found,) = kinds(findings, "person")
    assert len(found.subjects) == 4
    assert found.detail["numbers"] == [X, Y]
    assert found.detail["emails"] == ["k.lis@example.org"]


def test_user_names_compare_without_case_or_at_sign() -> None:
    """ "Kasia Lis" and "Kasia" (words within, +3.90689) with one user name (+10.64386), no
    number: -9.96434 + 3.90689 + 10.64386 = +4.58641, probability 0.96004."""
    one = account("e6", 3, "Instagram", None, display_name="Kasia Lis", username="@Kasia_L")
    two = account("e7", 2, "Snapchat", None, display_name="Kasia", username="kasia_l")
    (found, link) = run({"accounts": [one, two]})
    assert link.detail["comparisons"]["username"]["level"] == "exact"
    assert link.detail["comparisons"]["username"]["left"] == "kasia_l"
    assert link.detail["match_probability"] == pytest.approx(0.96004, abs=1e-5)
    assert found.detail["usernames"] == ["kasia_l"]


def test_a_pair_judged_not_the_same_never_links_even_when_identical() -> None:
    a, b = contact("e1", 1, "Kasia Lis", X), contact("e2", 1, "Kasia Lis", X)
    apart = judgement(person(a), person(b), "not_same", "two sisters share the phone")
    (link,) = run({"contacts": [a, b]}, judgements=[apart])  # no person
    assert link.score == pytest.approx(0.9887, abs=1e-4)
    assert link.detail["outcome"] == "refused"
    assert link.detail["same_person"] is False
    assert link.detail["refused_by"] == [apart.judgement_id]
    assert "The link is refused:" in link.explanation
    assert "judged not the same by DC Anwen Prys on 2026-11-20" in link.explanation


def test_not_the_same_holds_through_a_third_record() -> None:
    """A, B and C are identical; A and B are judged not the same. Whichever of the three equal
    links comes first, C joins one of them and the other stays alone."""
    a, b, c = (contact(f"e{i}", 1, "Kasia Lis", X) for i in (1, 2, 3))
    findings = run(
        {"contacts": [a, b, c]}, judgements=[judgement(person(a), person(b), "not_same")]
    )
    (found,) = kinds(findings, "person")
    assert person(c) in found.subjects
    assert len(found.subjects) == 2
    outcomes = sorted(f.detail["outcome"] for f in kinds(findings, "proposed_link"))
    assert outcomes == ["joined", "refused", "refused"]


def test_numbers_judged_not_the_same_keep_their_records_apart() -> None:
    mail_x = account("e5", 2, "Mail", X, display_name="Kasia Lis", email="k.lis@example.org")
    mail_y = account("e7", 1, "Mail", Y, display_name="Kasia Lis", email="k.lis@example.org")
    tables = {"accounts": [mail_x, mail_y]}
    assert len(kinds(run(tables), "person")) == 1
    apart = judgement(f"number:{X}", f"number:{Y}", "not_same")
    (link,) = run(tables, judgements=[apart])
    assert link.detail["outcome"] == "refused"
    assert link.detail["judgements"][0]["verdict"] == "not_same"


def test_a_pair_judged_the_same_always_links() -> None:
    a, b = contact("e1", 1, "Kasia Lis", X), contact("e3", 1, "Bogna", Z)  # nothing in common
    assert run({"contacts": [a, b]}) == []
    same = judgement(person(a), person(b), "same", "same phone seized from her")
    (found,) = run({"contacts": [a, b]}, judgements=[same])
    assert set(found.subjects) == {person(a), person(b)}
    assert found.basis is Basis.JUDGEMENT
    assert found.score == 1.0
    assert found.detail["links"] == [
        {
            "first": min(person(a), person(b)),
            "second": max(person(a), person(b)),
            "basis": "judgement",
            "match_probability": None,
            "judgement_id": same.judgement_id,
        }
    ]
    assert "1 analyst judgement(s) that records are the same" in found.explanation


def test_unsure_neither_joins_nor_separates_and_is_shown() -> None:
    a, b = contact("e1", 1, "Kasia Lis", X), contact("e2", 1, "Kasia Lis", X)
    c = contact("e3", 1, "Bogna", Z)
    unsure = [judgement(person(a), person(b), "unsure"), judgement(person(a), person(c), "unsure")]
    (found, link) = run({"contacts": [a, b, c]}, judgements=unsure)
    assert set(found.subjects) == {person(a), person(b)}  # as without the judgements
    assert found.basis is Basis.EVIDENCED
    assert link.detail["outcome"] == "joined"
    assert [j["verdict"] for j in link.detail["judgements"]] == ["unsure"]
    assert "marked unsure by DC Anwen Prys" in link.explanation


def test_numbers_judged_the_same_join_every_record_of_both() -> None:
    rows = [contact("e1", 1, "Kasia Lis", X), contact("e2", 1, "Ola", X), contact("e3", 1, "K", Z)]
    same = judgement(f"number:{X}", f"number:{Z}", "same")
    (found,) = run({"contacts": rows}, judgements=[same])
    assert set(found.subjects) == {person(r) for r in rows}
    assert found.detail["numbers"] == [X, Z]


def test_conflicting_judgements_are_applied_and_reported() -> None:
    a, b = contact("e1", 1, "Kasia Lis", X), contact("e2", 1, "Kasia Lis", X)
    judgements = [
        judgement(person(a), person(b), "same"),
        judgement(f"number:{X}", person(b), "not_same"),
    ]
    found = kinds(run({"contacts": [a, b]}, judgements=judgements), "person")
    assert len(found) == 1
    assert len(found[0].detail["conflicting_judgements"]) == 1
    assert "The judgements conflict" in found[0].explanation


def test_two_runs_give_identical_findings() -> None:
    rows = {
        "contacts": [
            contact("e1", 1, "Kasia Lis", X),
            contact("e2", 1, "Kasia Liss", X),
            contact("e3", 1, "Kasia", X),
            contact("e4", 1, "Kasia Lis", Y),
        ],
        "devices": [device("e5", 1, X, "Katarzyna Lis", IMEI_A)],
    }
    first, second = run(rows, review_threshold=0.05), run(rows, review_threshold=0.05)
    assert first == second
    assert first  # something to compare


def test_nothing_to_link() -> None:
    assert run({}) == []
    assert run({"contacts": [contact("e1", 1, "Kasia Lis", X)]}) == []


def test_thresholds_are_ordered() -> None:
    with pytest.raises(ValueError, match="review_threshold must not be above threshold"):
        PersonResolutionParameters(threshold=0.8, review_threshold=0.9)
