"""Attribution over a hand-made case; every expected figure is worked out by hand below.

Handsets JB/1 to JB/4 are seized phones; JB/5 is the handset whose own number is X; JB/6 a phone
that does not save X but holds a message from it; JB/7 is W's handset.

X (+447700900101) is saved as "Tomek boss" and "tomek" (two entries, one handset) on JB/1,
"TOMEK (work)" on JB/2, "Tomék" on JB/3 and "T" on JB/4: 4 handsets hold it. JB/5's extraction
records its owner as "Tomasz Nowak" and a WhatsApp account "Tomek" tied to X; JB/4 shows "T" as
the sender of a message from X (its own saved name: not counted again), JB/6 shows "Tomek" on
two messages (one handset: counted once), and JB/5 shows "Me" (the handset's own user: not a
name).

* ``tomek``: contacts on JB/1, JB/2, JB/3 (3 x 1), the account (1), JB/6's sender name (0.5):
  w = 4.5.
* ``nowak tomasz``: JB/5's owner record: w = 2.
* ``t``: the contact on JB/4: w = 1 (JB/4's sender name 0).
* W = 7.5. Scores (share x w/(w+1)): tomek 4.5/7.5 x 4.5/5.5 = 0.6 x 0.81818 = 0.49091
  (moderate); nowak tomasz 2/7.5 x 2/3 = 0.17778 (weak); t 1/7.5 x 1/2 = 0.06667 (weak), an
  initial that fits both others.

V (+447700900102) is saved as "Dario", "dario" and "DARIO 2" on JB/1, JB/2, JB/3: one name,
w = 3, share 1, score 3/4 = 0.75 (strong), "named consistently on 3 of 3 handsets".

Y (+447700900103) is "Mum" on JB/1 and an emoji on JB/2 (no readable name): 2 handsets hold it;
``mum`` w = 1, share 1, score 0.5 (moderate), a description rather than a name.

W (+447700900104) is in no contacts; JB/7's owner record names "Ewa Kowal": w = 2, score
1 x 2/3 = 0.66667.
"""

from __future__ import annotations

from typing import Any

import pytest
from evidence_factory import message
from people_rows import account, contact, device, people_evidence

from threadline.analysis.attribution import Attribution, AttributionParameters, confidence_tier
from threadline.analysis.person_records import normalise_name
from threadline.model.finding import Finding

X, V, Y, W = "+447700900101", "+447700900102", "+447700900103", "+447700900104"
OTHER = "+447700900199"
REFERENCES = {f"e{i}": f"JB/{i}" for i in range(1, 8)}

CONTACTS = [
    contact("e1", 1, "Tomek boss", X),
    contact("e1", 2, "tomek", X),
    contact("e2", 1, "TOMEK (work)", X),
    contact("e3", 1, "Tomék", X),
    contact("e4", 1, "T", X),
    contact("e1", 3, "Dario", V),
    contact("e2", 2, "dario", V),
    contact("e3", 2, "DARIO 2", V, deleted_state="deleted"),
    contact("e1", 4, "Mum", Y),
    contact("e2", 3, "\U0001f600", Y),
]
DEVICES = [device("e5", 1, X, "Tomasz Nowak"), device("e7", 1, W, "Ewa Kowal")]
ACCOUNTS = [account("e5", 2, "WhatsApp", X, display_name="Tomek")]
MESSAGES = [
    message("e4", 20, X, OTHER, "2026-11-01 09:00:00", direction="incoming", a_party_name="T"),
    message("e6", 20, X, OTHER, "2026-11-01 09:05:00", direction="incoming", a_party_name="Tomek"),
    message("e6", 21, X, OTHER, "2026-11-01 09:06:00", direction="incoming", a_party_name="Tomek"),
    message("e5", 20, X, OTHER, "2026-11-01 09:10:00", a_party_name="Me"),
]


def run(**parameters: Any) -> list[Finding]:
    evidence = people_evidence(
        {"contacts": CONTACTS, "devices": DEVICES, "accounts": ACCOUNTS, "messages": MESSAGES},
        exhibits=REFERENCES,
    )
    return Attribution().run(evidence, AttributionParameters(**parameters))


def test_names_are_grouped_weighed_and_ranked_with_their_sources() -> None:
    v, y, x = run()
    assert (x.kind, x.subjects) == ("attribution", (X,))
    assert x.score == pytest.approx(0.4909)
    tomek, nowak, t = x.detail["candidates"]
    assert [c["name"] for c in (tomek, nowak, t)] == ["tomek", "nowak tomasz", "t"]
    assert [c["weight"] for c in (tomek, nowak, t)] == [4.5, 2.0, 1.0]
    assert [c["score"] for c in (tomek, nowak, t)] == [0.4909, 0.1778, 0.0667]
    assert tomek["spellings"] == {
        "TOMEK (work)": 1,
        "Tomek": 3,  # the account and two messages
        "Tomek boss": 1,
        "Tomék": 1,
        "tomek": 1,
    }
    assert tomek["qualifiers"] == ["boss", "work"]
    assert tomek["handsets"] == 3
    assert tomek["confidence"] == (
        "moderate: saved under this name on 3 of the 4 handsets that hold the number; the "
        "name on 1 account(s) tied to the number (WhatsApp); the sender's name on messages in "
        "1 handset(s) (JB/6)"
    )
    jb1 = next(s for s in tomek["sources"] if s["exhibits"] == ["JB/1"])
    assert jb1["names"] == ["Tomek boss", "tomek"]  # two entries on one handset count once
    assert jb1["weight"] == 1.0
    assert sorted(jb1["row_ids"]) == sorted(CONTACTS[i]["row_id"] for i in (0, 1))
    assert nowak["confidence"] == (
        "weak: the owner recorded for handset JB/5, whose own number this is"
    )
    assert t["fits"] == {"nowak tomasz": "an initial", "tomek": "an initial"}
    shown = next(s for s in t["sources"] if s["source"] == "message_sender")
    assert shown["weight"] == 0.0  # JB/4 shows its own saved name: not counted again
    assert x.detail["handsets"] == 4
    assert x.detail["own_number_of"] == ["JB/5"]
    # every row behind a name, and none other (the "Me" message is not a name for X)
    assert set(x.derived_from) == {
        *(CONTACTS[i]["row_id"] for i in range(5)),
        DEVICES[0]["row_id"],
        ACCOUNTS[0]["row_id"],
        MESSAGES[0]["row_id"],
        MESSAGES[1]["row_id"],
        MESSAGES[2]["row_id"],
    }
    assert x.explanation.startswith(
        f"{X} is saved in the contacts of 4 handset(s) (JB/1, JB/2, JB/3, JB/4). Names it goes "
        "by, strongest first: 'tomek' (as 'TOMEK (work)', 'Tomek', 'Tomek boss', 'Tomék', "
        "'tomek'; score 0.49, moderate:"
    )
    assert "a saved name is what a handset's user chose to call the number" in x.explanation.lower()
    assert "not proof of who uses it" in x.explanation

    assert v.score == 0.75
    (dario,) = v.detail["candidates"]
    assert (
        dario["confidence"] == "strong: named consistently on 3 of 3 handsets that hold the number"
    )
    assert dario["qualifiers"] == ["2"]
    assert next(s for s in dario["sources"] if s["exhibits"] == ["JB/3"])["deleted_entries"] == 1

    assert y.score == 0.5
    (mum,) = y.detail["candidates"]
    assert mum["descriptor_only"] is True
    assert mum["confidence"] == (
        "moderate: saved under this name on 1 of the 2 handsets that hold the number"
    )
    assert y.detail["unreadable_names"] == 1
    assert "a description rather than a name" in y.explanation


def test_min_handsets_and_given_numbers() -> None:
    assert [f.subjects[0] for f in run(min_handsets=3)] == [V, X]  # by score
    assert run(numbers=["07700 900104"]) == []  # saved on no handset: below min_handsets 1
    (w,) = run(numbers=["07700 900104"], min_handsets=0)
    assert w.score == pytest.approx(0.6667)
    assert w.detail["candidates"][0]["name"] == "ewa kowal"
    assert w.explanation.startswith(f"{W} is saved in no handset's contacts.")
    (y,) = run(numbers=["+44 7700 900103"])
    assert y.subjects == (Y,)


def test_names_are_normalised_with_qualifiers_noted() -> None:
    tomek = normalise_name("TOMEK (work)")
    assert tomek is not None
    assert (tomek.key, tomek.qualifiers, tomek.descriptor_only) == ("tomek", ("work",), False)
    one, other = normalise_name("Nowak Tomasz"), normalise_name("Tomasz  Nowak!")
    assert one is not None
    assert other is not None
    assert one.key == other.key == "nowak tomasz"
    assert other.written == "tomasz nowak"
    polish = normalise_name("Łukasz Wróbel-Żak")
    assert polish is not None
    assert polish.written == "lukasz wrobel zak"
    apostrophe = normalise_name("Liam O'Neil")
    assert apostrophe is not None
    assert apostrophe.key == "liam oneil"
    boss = normalise_name("Boss")
    assert boss is not None
    assert (boss.key, boss.descriptor_only) == ("boss", True)
    numbered = normalise_name("Dario 2 new")
    assert numbered is not None
    assert numbered.qualifiers == ("2", "new")
    assert normalise_name("\U0001f600 !!") is None
    assert normalise_name(None) is None


def test_confidence_tiers() -> None:
    assert [confidence_tier(s) for s in (0.75, 0.7, 0.69, 0.4, 0.39)] == [
        "strong",
        "strong",
        "moderate",
        "moderate",
        "weak",
    ]


def test_a_number_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a telephone number"):
        AttributionParameters(numbers=["Tomek"])
