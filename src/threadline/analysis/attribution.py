"""Attribution: the names a number goes by across the seized handsets, with how far each goes.

Who uses a number is a question every product must answer separately and with its evidence
(domain.md §3.4: a call schedule states "attribution of each number (who is said to use it, and
on what evidence)"). Seized handsets answer part of it: the controller is "Tomek boss" in three
phones and "T" in a fourth. This analysis gathers, for each number, every name the evidence gives
it, groups the names and weighs them.

**Sources of a name** (every row cited):

* **saved contacts** (``contacts``): what each handset's user saved the number as. A handset is
  an exhibit; a name counts once per handset however many entries hold it there. Weight 1 per
  handset.
* **the handset's owner** (``devices``): the owner name the extraction recorded for a handset
  whose own number (MSISDN) this is, usually the phone's account. Weight 2 per handset: it is the
  handset's own account, not somebody else's label for the number.
* **accounts** (``accounts``): the display name (the user name where there is none) of an app
  account tied to the number. Weight 1 per account (service and account id).
* **message senders** (``messages.a_party_name``): the name a handset shows as the sender of
  messages from the number. Weight 0.5 per handset, and none on a handset whose contacts already
  give the number that name (a handset usually shows its own saved name, which is then counted
  once). Names a handset shows for its own user ("Me", "You", "Owner") are not names.

**Grouping.** Names are grouped on their key (:func:`threadline.analysis.person_records.
normalise_name`: case and accents folded, punctuation dropped, role and relationship words such as
*boss*, *work*, *new*, *old* noted as qualifiers and left out of the key, words sorted), so
"Tomek boss", "TOMEK (work)" and "Tomék" are one candidate, ``tomek``, with every original
spelling and the qualifiers kept in the detail. Where one candidate is an initial ("T") or a part
("Tomek") of another ("Tomek Nowak") the finding notes it; it does not merge them.

**Score.** For a candidate whose sources weigh ``w`` together, out of ``W`` for all the names
the number goes by:

* the **share**, ``w / W``: how consistently the evidence names it (1 when no other name is
  given);
* the **strength**, ``w / (w + 1)``: how much evidence there is (one handset 0.5, three 0.75,
  an owner record 0.67);
* the **score**, share times strength, from 0 to 1. "Tomek boss" on three of four handsets and
  "T" on the fourth: ``tomek`` scores 3/4 x 3/4 = 0.5625, ``t`` 1/4 x 1/2 = 0.125.

In words, a score of 0.7 or more is *strong*, 0.4 or more *moderate*, less *weak*; each
candidate's confidence says what it rests on ("named consistently on 3 of 3 handsets that hold the
number"). The finding's score is its best candidate's.

How far it goes (requirement 44): a saved name is what a handset's user chose to call the number,
not proof of who uses it; an owner name is what the extraction recorded for the handset's account,
not a verified identity; one person may be saved under several names, and one number used by
several people. Attribution is for an analyst to weigh with subscriber checks, intelligence and
the content of communications; every finding is evidenced (requirement 7) and cites its rows.
Numbers are E.164 (requirement 59). Nothing here assigns a person record or its data-subject
category (requirement 39).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.person_records import SELF_MARKERS, NameParts, normalise_name
from threadline.model.finding import Finding

__all__ = ["Attribution", "AttributionParameters", "confidence_tier"]

#: Weight of each kind of source (see the module docstring).
WEIGHTS: Final = {"contact": 1.0, "device_owner": 2.0, "account": 1.0, "message_sender": 0.5}
#: How many candidates an explanation names (the detail lists them all).
_NAMED: Final = 5

_SQL: Final = """
WITH counts AS (
    SELECT number, COUNT(DISTINCT exhibit_id) AS handsets
    FROM contacts WHERE number IS NOT NULL GROUP BY number
),
scope AS (
    SELECT number FROM counts WHERE len(CAST($numbers AS VARCHAR[])) = 0
    UNION
    SELECT UNNEST(CAST($numbers AS VARCHAR[])) AS number
),
wanted AS (
    SELECT scope.number, COALESCE(counts.handsets, 0) AS handsets
    FROM scope LEFT JOIN counts ON counts.number = scope.number
    WHERE COALESCE(counts.handsets, 0) >= $min_handsets
)
SELECT 'contact' AS source, w.number, w.handsets, c.exhibit_id, [c.row_id] AS row_ids,
       c.name, CAST(NULL AS VARCHAR) AS service, CAST(NULL AS VARCHAR) AS account_id,
       c.deleted_state
FROM wanted w JOIN contacts c ON c.number = w.number
UNION ALL
SELECT 'device_owner', w.number, w.handsets, d.exhibit_id, [d.row_id], d.owner_name,
       NULL, NULL, NULL
FROM wanted w JOIN devices d ON d.msisdn = w.number
UNION ALL
SELECT 'account', w.number, w.handsets, a.exhibit_id, [a.row_id],
       COALESCE(NULLIF(TRIM(a.display_name), ''), a.username), a.service,
       COALESCE(a.account_id, a.row_id), NULL
FROM wanted w JOIN accounts a ON a.number = w.number
UNION ALL
-- one row per handset and sender name, however many messages show it
SELECT 'message_sender', w.number, w.handsets, m.exhibit_id, LIST(m.row_id ORDER BY m.row_id),
       m.a_party_name, NULL, NULL, NULL
FROM wanted w JOIN messages m ON m.a_party = w.number
WHERE m.a_party_name IS NOT NULL AND TRIM(m.a_party_name) <> ''
GROUP BY w.number, w.handsets, m.exhibit_id, m.a_party_name
ORDER BY 2, 1, 4, 6, 5
"""


class AttributionParameters(Parameters):
    """Parameters of :class:`Attribution`.

    Attributes:
        numbers: the numbers to attribute (any written form); empty for every number saved in
            the seized handsets' contacts.
        min_handsets: only numbers saved in the contacts of at least this many handsets
            (0 reports a given number even when no handset saves it, from its other sources).
    """

    numbers: list[str] = Field(default_factory=list)
    min_handsets: int = Field(default=1, ge=0)

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


def confidence_tier(score: float) -> str:
    """``strong`` (0.7 or more), ``moderate`` (0.4 or more) or ``weak``."""
    if score >= 0.7:
        return "strong"
    if score >= 0.4:
        return "moderate"
    return "weak"


@dataclass
class _Source:
    """One counted source of a name: a handset's contacts, a handset's owner record, an account
    or a handset's message senders."""

    kind: str
    exhibit_ids: set[str] = field(default_factory=set)
    row_ids: set[str] = field(default_factory=set)
    spellings: set[str] = field(default_factory=set)
    service: str | None = None
    deleted: int = 0
    counted: bool = True


@dataclass
class _Candidate:
    key: str
    descriptor_only: bool
    words: tuple[str, ...]
    qualifiers: dict[str, None] = field(default_factory=dict)
    spellings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sources: dict[tuple[str, str], _Source] = field(default_factory=dict)

    def weight(self) -> float:
        return sum(WEIGHTS[s.kind] for s in self.sources.values() if s.counted)

    def exhibits(self, kind: str) -> set[str]:
        return {e for s in self.sources.values() if s.kind == kind for e in s.exhibit_ids}


class Attribution:
    """The names each number goes by, ranked with their evidence (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="attribution",
        version="1.0.0",
        title="Attribution of numbers",
        summary="For each number, the names it is saved under in the seized handsets' "
        "contacts (counted per handset), the owner recorded for a handset whose own number it "
        "is, app accounts tied to it and the sender names messages show, grouped and ranked "
        "with a confidence in words. A saved name is what a handset's user chose to call the "
        "number, not proof of who uses it.",
        tables=("contacts", "devices", "accounts", "messages"),
        parameters=AttributionParameters,
        requirements=(7, 44, 59),
        interactive=True,
    )

    def run(self, evidence: Evidence, parameters: AttributionParameters) -> list[Finding]:
        """One finding per number with at least one name, best-attributed first.

        Raises:
            StoreError: the evidence could not be read.
        """
        rows = evidence.rows(
            _SQL, {"numbers": parameters.numbers, "min_handsets": parameters.min_handsets}
        )
        by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_number[row["number"]].append(row)
        findings = [
            finding
            for number, parts in by_number.items()
            if (finding := _finding(number, parts, evidence)) is not None
        ]
        findings.sort(key=lambda f: (-(f.score or 0.0), f.subjects))
        return findings


def _candidates(rows: list[dict[str, Any]]) -> tuple[dict[str, _Candidate], int]:
    """The number's candidates by key, and how many names could not be read."""
    candidates: dict[str, _Candidate] = {}
    unreadable = 0
    for row in rows:
        parts = normalise_name(row["name"])
        if parts is None:
            unreadable += 1
            continue
        if row["source"] == "message_sender" and _is_self(parts):
            continue
        candidate = candidates.get(parts.key)
        if candidate is None:
            candidate = _Candidate(parts.key, parts.descriptor_only, tuple(sorted(parts.words)))
            candidates[parts.key] = candidate
        candidate.qualifiers.update(dict.fromkeys(parts.qualifiers))
        candidate.spellings[row["name"]] += len(row["row_ids"])
        group = row["account_id"] if row["source"] == "account" else row["exhibit_id"]
        source = candidate.sources.setdefault(
            (row["source"], group), _Source(row["source"], service=row["service"])
        )
        source.exhibit_ids.add(row["exhibit_id"])
        source.row_ids.update(row["row_ids"])
        source.spellings.add(row["name"])
        source.deleted += row["deleted_state"] == "deleted"
    # a handset's own saved name shown as a message sender is not counted twice
    for candidate in candidates.values():
        saved = candidate.exhibits("contact")
        for source in candidate.sources.values():
            if source.kind == "message_sender" and source.exhibit_ids <= saved:
                source.counted = False
    return candidates, unreadable


def _is_self(parts: NameParts) -> bool:
    return parts.written in SELF_MARKERS


def _fits(candidate: _Candidate, other: _Candidate) -> str | None:
    """How ``candidate`` fits ``other``: an initial of one of its words, or a part of it."""
    if candidate.descriptor_only or other.descriptor_only or candidate.key == other.key:
        return None
    words = candidate.words
    if len(words) == 1 and len(words[0]) == 1:
        if any(w.startswith(words[0]) for w in other.words if len(w) > 1):
            return "an initial"
        return None
    if set(words) < set(other.words):
        return "a part"
    return None


def _confidence(
    candidate: _Candidate,
    score: float,
    handsets: int,
    others_saved: bool,
    evidence: Evidence,
) -> str:
    """What the candidate rests on, in words, led by its tier."""
    phrases: list[str] = []
    saved = len(candidate.exhibits("contact"))
    if saved:
        if handsets == 1:
            phrases.append("saved under this name on the only handset that holds the number")
        elif saved == handsets and not others_saved:
            phrases.append(
                f"named consistently on {saved} of {handsets} handsets that hold the number"
            )
        else:
            phrases.append(
                f"saved under this name on {saved} of the {handsets} handsets that hold the number"
            )
    owned = sorted(evidence.reference(e) for e in candidate.exhibits("device_owner"))
    if owned:
        phrases.append(
            f"the owner recorded for handset {', '.join(owned)}, whose own number this is"
        )
    accounts = [s for s in candidate.sources.values() if s.kind == "account"]
    if accounts:
        services = ", ".join(sorted({s.service or "app" for s in accounts}))
        phrases.append(f"the name on {len(accounts)} account(s) tied to the number ({services})")
    senders = [s for s in candidate.sources.values() if s.kind == "message_sender"]
    if senders:
        shown = sorted(evidence.reference(e) for s in senders for e in s.exhibit_ids)
        counted = sum(s.counted for s in senders)
        phrase = f"the sender's name on messages in {len(shown)} handset(s) ({', '.join(shown)})"
        if counted < len(senders):
            phrase += ", not counted again where the handset saves the number under this name"
        phrases.append(phrase)
    return f"{confidence_tier(score)}: " + "; ".join(phrases)


def _finding(number: str, rows: list[dict[str, Any]], evidence: Evidence) -> Finding | None:
    candidates, unreadable = _candidates(rows)
    if not candidates:
        return None
    handsets = rows[0]["handsets"]
    holders = sorted(
        {evidence.reference(r["exhibit_id"]) for r in rows if r["source"] == "contact"}
    )
    total = sum(c.weight() for c in candidates.values())
    ranked: list[tuple[float, _Candidate]] = []
    for candidate in candidates.values():
        w = candidate.weight()
        share = w / total if total else 0.0
        ranked.append((round(share * (w / (w + 1)), 4), candidate))
    ranked.sort(key=lambda item: (-item[0], -item[1].weight(), item[1].key))
    details: list[dict[str, Any]] = []
    for score, candidate in ranked:
        others_saved = any(
            c.exhibits("contact") for c in candidates.values() if c.key != candidate.key
        )
        fits = {
            other.key: how
            for other in candidates.values()
            if (how := _fits(candidate, other)) is not None
        }
        details.append(
            {
                "name": candidate.key,
                "descriptor_only": candidate.descriptor_only,
                "spellings": dict(sorted(candidate.spellings.items())),
                "qualifiers": sorted(candidate.qualifiers),
                "score": score,
                "weight": candidate.weight(),
                "handsets": len(candidate.exhibits("contact")),
                "confidence": _confidence(candidate, score, handsets, others_saved, evidence),
                "fits": dict(sorted(fits.items())),
                "sources": [
                    _source_detail(s, evidence) for _key, s in sorted(candidate.sources.items())
                ],
            }
        )
    row_ids = sorted(
        {r for c in candidates.values() for s in c.sources.values() for r in s.row_ids}
    )
    own = sorted(
        {evidence.reference(r["exhibit_id"]) for r in rows if r["source"] == "device_owner"}
    )
    return Finding(
        kind="attribution",
        subjects=(number,),
        explanation=_explanation(number, handsets, holders, details),
        derived_from=tuple(row_ids),
        score=details[0]["score"],
        detail={
            "number": number,
            "handsets": handsets,
            "handset_exhibits": holders,
            "own_number_of": own,
            "candidates": details,
            "unreadable_names": unreadable,
        },
    )


def _source_detail(source: _Source, evidence: Evidence) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": source.kind,
        "exhibits": sorted(evidence.reference(e) for e in source.exhibit_ids),
        "names": sorted(source.spellings),
        "row_ids": sorted(source.row_ids),
        "weight": WEIGHTS[source.kind] if source.counted else 0.0,
    }
    if source.service is not None:
        out["service"] = source.service
    if source.deleted:
        out["deleted_entries"] = source.deleted
    return out


def _explanation(
    number: str, handsets: int, holders: list[str], details: list[dict[str, Any]]
) -> str:
    if handsets:
        opening = (
            f"{number} is saved in the contacts of {handsets} handset(s) ({', '.join(holders)})."
        )
    else:
        opening = f"{number} is saved in no handset's contacts."
    named: list[str] = []
    for detail in details[:_NAMED]:
        spellings = ", ".join(f"'{s}'" for s in detail["spellings"])
        text = (
            f"'{detail['name']}' (as {spellings}; score {detail['score']:.2f}, "
            f"{detail['confidence']}"
        )
        if detail["qualifiers"]:
            text += f"; words noted: {', '.join(detail['qualifiers'])}"
        if detail["descriptor_only"]:
            text += "; a description rather than a name"
        for other, how in detail["fits"].items():
            text += f"; {how} that fits '{other}'"
        named.append(text + ")")
    more = len(details) - _NAMED
    listing = "; ".join(named) + (f"; and {more} more" if more > 0 else "")
    return (
        f"{opening} Names it goes by, strongest first: {listing}. A saved name is what a "
        "handset's user chose to call the number, not proof of who uses it, and an owner name "
        "is what the extraction recorded for the handset's account, not a verified identity; "
        "attribution is for an analyst to weigh with subscriber checks and other evidence."
    )
