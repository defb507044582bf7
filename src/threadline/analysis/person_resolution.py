"""Person resolution: which records across the exhibits may describe one person, and why.

The same person turns up in many rows: saved as "Tomek boss" in one phone and "Tomek" in
another, as the recorded owner of a handset, as a WhatsApp account. This analysis links such
**person records** (:mod:`threadline.analysis.person_records`: every contacts, devices and
accounts row with something to compare) by probabilistic record linkage in the Fellegi-Sunter
model, with Splink on DuckDB, and shows the match weights behind every proposed link.

**Comparisons** (each gives a level, and each level a match weight, the log2 of its Bayes factor
``m / u``: ``m`` the chance of the level for two records of one person, ``u`` for two records of
different people):

* **name**, normalised (case, accents, punctuation folded; role words such as *boss* left out;
  words sorted for the exact level): the same (m 0.50, u 0.002: +7.97); Jaro-Winkler similarity
  0.92 or more (0.15, 0.004: +5.23); all the words of one in the other, "Tomek" in "Tomek
  Nowak" (0.15, 0.01: +3.91); Jaro-Winkler 0.80 or more (0.05, 0.02: +1.32); otherwise
  (0.15, 0.964: -2.68). Saved names are often nicknames, so names that differ count against a
  link only mildly.
* **number** (E.164): the same (0.70, 0.002: +8.45); different (0.30, 0.998: -1.73; people use
  several numbers).
* **e-mail** (lower case): the same (0.80, 0.0005: +10.64); different (0.20, 0.9995: -2.32).
* **user name** (an app account's user name, lower case): the same
  (0.80, 0.0005: +10.64); different (0.20, 0.9995: -2.32).
* **IMEI** key (device records): the same (0.80, 0.001: +9.64); different (0.20, 0.999:
  -2.32).

A comparison where either record has no value weighs 0 (no evidence either way). The **prior**
is that 1 in 1,000 pairs of records are one person (match weight log2(0.001 / 0.999) = -9.96).
A pair's match weight is the prior plus the comparisons' weights, its Bayes factor
``2 ** (weight - prior)`` and its match probability ``2 ** weight / (1 + 2 ** weight)``.
Worked through: the same name and number give -9.96 + 7.97 + 8.45 = +6.45, probability 0.989;
the same number with names that differ, -4.20, 0.052 (a number passed between people, or a
shared line, is not one person).

**Fixed priors, not training.** The m and u values above are fixed, documented priors. Splink
can estimate them by expectation-maximisation, but a case holds hundreds to a few thousand person
records, most compared pairs share the number they were blocked on, and EM on so few and so
skewed pairs does not give stable values; fixed values also make every run deterministic and the
weights the same from case to case, so an analyst can learn what they mean. They are a model's
assumptions, stated so that they can be challenged.

**Blocking.** Only pairs that share a number, an e-mail address, a user name, an IMEI key, a
name key, the same first word of the name, or the same initial and last word of a name of two or
more words ("t nowak") are compared; others are not proposed at all.

**Persons and judgements.** Pairs at or above ``threshold`` (match probability, default 0.9) are
linked into persons (connected components, as Splink's own clustering). Analysts' judgements in
force (:attr:`threadline.analysis.evidence.Evidence.judgements`) are respected, as constraints:

* judged **the same** (``person:<row_id>`` for a record, ``number:<e164>`` for every record
  with that number): the records are always joined, first, whatever their score;
* judged **not the same**: model links are then added strongest first (ties by record id), and
  a link that would put two subjects judged not the same into one person is refused. Cutting
  direct links after clustering would not be enough: the two could still be joined through a
  third record; refusing the merge keeps them apart however they are connected, the stronger
  links winning.
* **unsure**: joins and separates nothing; it is shown with the pair.

A same-judgement that joins subjects judged not the same (conflicting judgements) is applied
and the conflict reported in the person's finding for an analyst to settle.

**Findings.** One ``proposed_link`` per pair at or above ``review_threshold`` (default 0.5):
the two records, the level and match weight of each comparison in figures and words, the prior,
the total weight, the Bayes factor and the probability, and what became of it (joined, already
joined, refused by a judgement, or below the threshold for an analyst to review). One ``person``
per resolved group of two or more records: its names, numbers, e-mail addresses, user names and
records, the links and judgements that join it; its score is its weakest link's probability (a
judgement counts 1).

How far it goes (requirement 44): a proposed link and a proposed person are leads for an analyst
to confirm or reject by recording a judgement, never an identification; saved names are what
handset users chose to call someone. The model knows nothing of diminutives ("Tomek" for
"Tomasz") or transliterations beyond string similarity, nor how common a name is. A link resting
on a judgement says so (requirement 7). A proposed person is not a person record and carries no
data-subject category: that is for the analyst who creates one (requirement 39).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import duckdb
import pyarrow as pa
from pydantic import Field, model_validator
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import SplinkException

from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.person_records import PersonRecord, person_records
from threadline.errors import StoreError
from threadline.model.finding import Basis, Finding
from threadline.model.judgement import Judgement, Verdict

__all__ = [
    "COMPARISONS",
    "PRIOR",
    "PersonResolution",
    "PersonResolutionParameters",
    "factor_words",
    "match_weight",
]

#: Prior probability that two records chosen at random are one person.
PRIOR: Final = 0.001
#: How many records a person's explanation names (the detail lists them all).
_NAMED: Final = 10


def factor_words(value: float) -> str:
    """A Bayes factor to four significant figures, without exponents: ``87,500``, ``0.0544``."""
    return format(float(f"{value:.4g}"), ",.10g")


def match_weight(probability: float) -> float:
    """A probability as a match weight, ``log2(p / (1 - p))``."""
    return math.log2(probability / (1 - probability))


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a comparison.

    Attributes:
        label: short name (``exact``, ``jaro_winkler_0.92``...).
        sql: its condition on the two records' columns (``name_l``, ``name_r``...).
        m: chance of this level for two records of one person (``None`` for the null level).
        u: chance of this level for two records of different people.
        words: the level in words, with ``{l}``, ``{r}`` and ``{similarity}`` filled in.
    """

    label: str
    sql: str
    m: float | None
    u: float | None
    words: str

    @property
    def weight(self) -> float:
        """The level's match weight, ``log2(m / u)``; 0 for the null level."""
        if self.m is None or self.u is None:
            return 0.0
        return math.log2(self.m / self.u)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison: a column and its levels, null level first, else level last."""

    column: str
    title: str
    levels: tuple[Level, ...]

    def level(self, gamma: int) -> Level:
        """The level Splink numbers ``gamma`` (-1 null, then the last level 0, counting up)."""
        if gamma == -1:
            return self.levels[0]
        return self.levels[len(self.levels) - 1 - gamma]

    def splink(self) -> dict[str, Any]:
        """The comparison as a Splink settings entry, with its fixed m and u."""
        levels: list[dict[str, Any]] = []
        for level in self.levels:
            entry: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
            if level.m is None:
                entry["is_null_level"] = True
            else:
                entry |= {
                    "m_probability": level.m,
                    "u_probability": level.u,
                    "fix_m_probability": True,
                    "fix_u_probability": True,
                }
            levels.append(entry)
        return {
            "output_column_name": self.column,
            "comparison_description": self.title,
            "comparison_levels": levels,
        }


def _null(column: str, words: str) -> Level:
    return Level("null", f"{column}_l IS NULL OR {column}_r IS NULL", None, None, words)


def _exact_else(
    column: str, title: str, same: tuple[float, float], words: tuple[str, str, str]
) -> Comparison:
    m, u = same
    return Comparison(
        column,
        title,
        (
            _null(column, words[0]),
            Level("exact", f"{column}_l = {column}_r", m, u, words[1]),
            Level("else", "ELSE", 1 - m, round(1 - u, 6), words[2]),
        ),
    )


_SUBSET: Final = (
    "list_has_all(string_split(name_l, ' '), string_split(name_r, ' ')) "
    "OR list_has_all(string_split(name_r, ' '), string_split(name_l, ' '))"
)

#: The model's comparisons, levels and fixed m and u (see the module docstring).
COMPARISONS: Final = (
    Comparison(
        "name",
        "name",
        (
            _null("name", "a name on one record only"),
            Level(
                "exact",
                "name_key_l = name_key_r",
                0.50,
                0.002,
                "names the same once normalised ('{l}')",
            ),
            Level(
                "jaro_winkler_0.92",
                "jaro_winkler_similarity(name_l, name_r) >= 0.92",
                0.15,
                0.004,
                "names agree closely ('{l}', '{r}': Jaro-Winkler {similarity:.2f})",
            ),
            Level(
                "words_within",
                _SUBSET,
                0.15,
                0.01,
                "one name's words all in the other ('{l}', '{r}')",
            ),
            Level(
                "jaro_winkler_0.80",
                "jaro_winkler_similarity(name_l, name_r) >= 0.80",
                0.05,
                0.02,
                "names alike ('{l}', '{r}': Jaro-Winkler {similarity:.2f})",
            ),
            Level(
                "else",
                "ELSE",
                0.15,
                0.964,
                "names differ ('{l}', '{r}': Jaro-Winkler {similarity:.2f})",
            ),
        ),
    ),
    _exact_else(
        "number",
        "number",
        (0.70, 0.002),
        ("a number on one record only", "same number ({l})", "different numbers ({l}, {r})"),
    ),
    _exact_else(
        "email",
        "e-mail",
        (0.80, 0.0005),
        (
            "an e-mail address on one record only",
            "same e-mail address ({l})",
            "different e-mail addresses ({l}, {r})",
        ),
    ),
    _exact_else(
        "username",
        "user name",
        (0.80, 0.0005),
        (
            "a user name on one record only",
            "same user name ({l})",
            "different user names ({l}, {r})",
        ),
    ),
    _exact_else(
        "imei_key",
        "IMEI",
        (0.80, 0.001),
        (
            "an IMEI on one record only",
            "same handset (IMEI key {l})",
            "different handsets (IMEI keys {l}, {r})",
        ),
    ),
)

_BLOCKING: Final = (
    "l.number = r.number",
    "l.email = r.email",
    "l.username = r.username",
    "l.imei_key = r.imei_key",
    "l.name_key = r.name_key",
    "l.first_word = r.first_word",
    "l.name_block = r.name_block",
)

_SCHEMA: Final = pa.schema(
    [
        (name, pa.string())
        for name in (
            "record_id",
            "name",
            "name_key",
            "first_word",
            "name_block",
            "number",
            "email",
            "username",
            "imei_key",
        )
    ]
)


class PersonResolutionParameters(Parameters):
    """Parameters of :class:`PersonResolution`.

    Attributes:
        threshold: the match probability at or above which two records are linked into one
            proposed person.
        review_threshold: the match probability from which a pair is reported as a proposed
            link (those below ``threshold`` for an analyst to review, not joined).
    """

    threshold: float = Field(default=0.9, gt=0, lt=1)
    review_threshold: float = Field(default=0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> PersonResolutionParameters:
        if self.review_threshold > self.threshold:
            raise ValueError("review_threshold must not be above threshold")
        return self


@dataclass
class _Edge:
    first: str
    second: str
    probability: float | None  # None for a judgement
    judgement: Judgement | None = None


@dataclass
class _Groups:
    """Union-find over records, each group with its subjects (its records' ``person:`` and
    ``number:`` subjects) so that a merge can be tested against not-the-same judgements."""

    parent: dict[str, str]
    subjects: dict[str, set[str]]
    not_same: list[Judgement]
    edges: list[_Edge] = field(default_factory=list)
    conflicts: list[Judgement] = field(default_factory=list)

    def root(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def refusal(self, a: str, b: str) -> list[Judgement]:
        """The not-the-same judgements that forbid joining the groups of ``a`` and ``b``."""
        left, right = self.subjects[self.root(a)], self.subjects[self.root(b)]
        return [
            j
            for j in self.not_same
            if (j.first in left and j.second in right) or (j.first in right and j.second in left)
        ]

    def model_links(self) -> set[frozenset[str]]:
        """The pairs of records joined directly by a model link."""
        return {frozenset((e.first, e.second)) for e in self.edges if e.probability is not None}

    def join(self, edge: _Edge) -> None:
        a, b = self.root(edge.first), self.root(edge.second)
        if a == b:
            return
        keep, gone = min(a, b), max(a, b)
        self.parent[gone] = keep
        self.subjects[keep] |= self.subjects.pop(gone)
        self.edges.append(edge)


def _subjects(record: PersonRecord) -> set[str]:
    out = {f"person:{record.record_id}"}
    if record.number:
        out.add(f"number:{record.number}")
    return out


class PersonResolution:
    """Probabilistic linkage of person records with Splink (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="person_resolution",
        version="1.0.0",
        title="Person resolution",
        summary="Links the person records of the evidence (saved contacts, handset owners, app "
        "accounts) that may describe one person, by probabilistic record linkage (Splink on "
        "DuckDB, fixed documented priors) on name, number, e-mail, user name and IMEI, with "
        "the match weight of every comparison; respects analysts' same / not the same "
        "judgements. Proposed links and persons are leads, never identifications.",
        tables=("contacts", "devices", "accounts"),
        parameters=PersonResolutionParameters,
        requirements=(7, 39, 44, 59),
    )

    def run(self, evidence: Evidence, parameters: PersonResolutionParameters) -> list[Finding]:
        """The proposed persons (largest first), then the proposed links (strongest first).

        Raises:
            StoreError: the evidence could not be read, or the linkage engine failed.
        """
        records = {r.record_id: r for r in person_records(evidence)}
        pairs = _score_pairs(list(records.values()), parameters.review_threshold)
        groups = _resolve(records, pairs, parameters.threshold, evidence.judgements)
        persons = _persons(records, groups, parameters, evidence)
        links = [_link(pair, records, groups, parameters, evidence) for pair in pairs]
        persons.sort(key=lambda f: (-len(f.subjects), f.subjects))
        links.sort(key=lambda f: (-(f.score or 0.0), f.subjects))
        return persons + links


def _input_rows(records: list[PersonRecord]) -> pa.Table:
    rows: list[dict[str, str | None]] = []
    for record in records:
        name = record.comparable_name
        words = name.words if name else ()
        rows.append(
            {
                "record_id": record.record_id,
                "name": name.written if name else None,
                "name_key": name.key if name else None,
                "first_word": words[0] if words else None,
                "name_block": f"{words[0][0]} {words[-1]}" if len(words) > 1 else None,
                "number": record.number,
                "email": record.email,
                "username": record.username,
                "imei_key": record.imei_key,
            }
        )
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


def _score_pairs(records: list[PersonRecord], review_threshold: float) -> list[dict[str, Any]]:
    """Splink's scored pairs at or above ``review_threshold``, by record ids."""
    if len(records) < 2:
        return []
    settings: dict[str, Any] = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_id",
        "probability_two_random_records_match": PRIOR,
        "blocking_rules_to_generate_predictions": list(_BLOCKING),
        "comparisons": [c.splink() for c in COMPARISONS],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }
    # Splink works in a connection of its own: the evidence is only read, never written to.
    con = duckdb.connect(":memory:")
    try:
        api = DuckDBAPI(con)
        table = api.register(_input_rows(records), table_name="person_records")
        linker = Linker(table, settings, log_level=None)
        # a hair below the threshold's weight, so that a pair exactly at it is not lost to
        # rounding; the exact test is made below
        predictions = linker.inference.predict(
            threshold_match_weight=match_weight(review_threshold) - 1e-9,
            warning_mode="never",
        )
        rows: list[dict[str, Any]] = (
            con.execute(
                f"SELECT *, jaro_winkler_similarity(name_l, name_r) AS name_similarity "
                f"FROM {predictions.physical_name} ORDER BY record_id_l, record_id_r"
            )
            .to_arrow_table()
            .to_pylist()
        )
    except (duckdb.Error, SplinkException) as exc:
        raise StoreError(f"person resolution: the record linkage engine failed: {exc}") from exc
    finally:
        con.close()
    return [r for r in rows if r["match_probability"] >= review_threshold]


def _expand(subject: str, records: dict[str, PersonRecord]) -> list[str]:
    """The records a judgement subject names: a record, or every record with a number."""
    kind, _sep, key = subject.partition(":")
    if kind == "person":
        return [key] if key in records else []
    if kind == "number":
        return sorted(r.record_id for r in records.values() if r.number == key)
    return []


def _resolve(
    records: dict[str, PersonRecord],
    pairs: list[dict[str, Any]],
    threshold: float,
    judgements: tuple[Judgement, ...],
) -> _Groups:
    """Records grouped into persons: same-judgements first, then model links strongest first,
    each refused where it would join subjects judged not the same."""
    groups = _Groups(
        parent={r: r for r in records},
        subjects={r: _subjects(records[r]) for r in records},
        not_same=sorted(
            (j for j in judgements if j.verdict is Verdict.NOT_SAME), key=lambda j: j.judgement_id
        ),
    )
    for judgement in sorted(judgements, key=lambda j: j.judgement_id):
        if judgement.verdict is not Verdict.SAME:
            continue
        first, second = _expand(judgement.first, records), _expand(judgement.second, records)
        if not first or not second:
            continue
        anchor = first[0]
        for other in first[1:] + second:
            groups.join(_Edge(anchor, other, None, judgement))
    for root in {groups.root(r) for r in records}:
        subjects = groups.subjects[root]
        groups.conflicts += [
            j for j in groups.not_same if j.first in subjects and j.second in subjects
        ]
    ranked = sorted(
        (p for p in pairs if p["match_probability"] >= threshold),
        key=lambda p: (-p["match_probability"], p["record_id_l"], p["record_id_r"]),
    )
    for pair in ranked:
        a, b = pair["record_id_l"], pair["record_id_r"]
        if groups.root(a) != groups.root(b) and not groups.refusal(a, b):
            groups.join(_Edge(a, b, pair["match_probability"]))
    return groups


def _judgement_words(judgement: Judgement) -> str:
    verdict = {
        Verdict.SAME: "judged the same",
        Verdict.NOT_SAME: "judged not the same",
        Verdict.UNSURE: "marked unsure",
    }[judgement.verdict]
    return (
        f"{judgement.first} and {judgement.second} {verdict} "
        f"by {judgement.by} on {judgement.at:%Y-%m-%d} ('{judgement.reason}')"
    )


def _judgement_detail(judgement: Judgement) -> dict[str, Any]:
    return {
        "judgement_id": judgement.judgement_id,
        "first": judgement.first,
        "second": judgement.second,
        "verdict": judgement.verdict.value,
        "reason": judgement.reason,
        "by": judgement.by,
        "at": judgement.at.isoformat(),
    }


def _record_detail(record: PersonRecord, evidence: Evidence) -> dict[str, Any]:
    return {
        "record": f"person:{record.record_id}",
        "row_id": record.record_id,
        "source": record.source,
        "exhibit": evidence.reference(record.exhibit_id),
        "name": record.name,
        "normalised_name": record.parts.written if record.parts else None,
        "qualifiers": list(record.parts.qualifiers) if record.parts else [],
        "number": record.number,
        "email": record.email,
        "username": record.username,
        "imei_key": record.imei_key,
        "service": record.service,
        "deleted_state": record.deleted_state,
    }


def _comparisons(pair: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Each comparison's level and weight, its phrase (compared values) and the comparisons
    not made for want of a value on both records."""
    detail: dict[str, Any] = {}
    phrases: list[str] = []
    missing: list[str] = []
    for comparison in COMPARISONS:
        column = comparison.column
        level = comparison.level(pair[f"gamma_{column}"])
        weight = pair[f"mw_{column}"]
        left, right = pair[f"{column}_l"], pair[f"{column}_r"]
        entry: dict[str, Any] = {
            "level": level.label,
            "match_weight": round(weight, 4),
            "bayes_factor": float(f"{2**weight:.4g}"),
            "left": left,
            "right": right,
        }
        if column == "name" and pair["name_similarity"] is not None:
            entry["jaro_winkler"] = round(pair["name_similarity"], 4)
        detail[column] = entry
        if level.m is None:
            missing.append(comparison.title)
            continue
        words = level.words.format(l=left, r=right, similarity=pair["name_similarity"] or 0.0)
        phrases.append(f"{words}: {weight:+.2f}")
    return detail, phrases, missing


def _pair_judgements(
    first: PersonRecord, second: PersonRecord, judgements: tuple[Judgement, ...]
) -> list[Judgement]:
    """Judgements between the two records' subjects (either record, either number)."""
    a, b = _subjects(first), _subjects(second)
    return sorted(
        (
            j
            for j in judgements
            if (j.first in a and j.second in b) or (j.first in b and j.second in a)
        ),
        key=lambda j: j.judgement_id,
    )


def _link(
    pair: dict[str, Any],
    records: dict[str, PersonRecord],
    groups: _Groups,
    parameters: PersonResolutionParameters,
    evidence: Evidence,
) -> Finding:
    first, second = records[pair["record_id_l"]], records[pair["record_id_r"]]
    probability = pair["match_probability"]
    weight = pair["match_weight"]
    prior = match_weight(PRIOR)
    bayes = 2 ** (weight - prior)
    comparisons, phrases, missing = _comparisons(pair)
    judged = _pair_judgements(first, second, evidence.judgements)
    same_person = groups.root(first.record_id) == groups.root(second.record_id)
    direct = frozenset((first.record_id, second.record_id)) in groups.model_links()
    refused = [] if same_person else groups.refusal(first.record_id, second.record_id)
    if probability < parameters.threshold:
        outcome = "below_threshold"
        said = (
            f"Below the linking threshold ({parameters.threshold:g}): for an analyst to review; "
            "the link is not used."
        )
    elif direct:
        outcome = "joined"
        said = f"At or above the linking threshold ({parameters.threshold:g}): the two are joined."
    elif same_person:
        outcome = "already_joined"
        said = (
            f"At or above the linking threshold ({parameters.threshold:g}); the two were already "
            "in one proposed person through stronger links or a judgement."
        )
    else:
        outcome = "refused"
        said = "The link is refused: " + "; ".join(_judgement_words(j) for j in refused) + "."
    if same_person and outcome == "below_threshold":
        said += " They are in one proposed person through other links or a judgement."
    for judgement in judged:
        if judgement not in refused:
            said += f" Judgement on record: {_judgement_words(judgement)}."
    missing_words = (
        f"; not compared for want of a value on both records: {', '.join(missing)} (0)"
        if missing
        else ""
    )
    explanation = (
        f"{first.describe(evidence.reference(first.exhibit_id))} and "
        f"{second.describe(evidence.reference(second.exhibit_id))} may be one person: match "
        f"probability {probability:.3f}. Match weights (log2 Bayes factors from fixed priors, "
        f"not trained on this case): {'; '.join(phrases) or 'nothing compared'}{missing_words}; "
        f"with the prior {prior:+.2f} (1 in {round(1 / PRIOR):,} pairs of records one person), "
        f"a match weight of {weight:+.2f} (Bayes factor {factor_words(bayes)}). {said} A "
        "proposed link is a lead for an analyst to confirm or reject by recording a judgement, "
        "not an identification."
    )
    return Finding(
        kind="proposed_link",
        subjects=(f"person:{first.record_id}", f"person:{second.record_id}"),
        explanation=explanation,
        derived_from=tuple(sorted((first.record_id, second.record_id))),
        score=round(probability, 4),
        detail={
            "records": [_record_detail(r, evidence) for r in (first, second)],
            "comparisons": comparisons,
            "prior_match_weight": round(prior, 4),
            "match_weight": round(weight, 4),
            "bayes_factor": float(f"{bayes:.4g}"),
            "match_probability": round(probability, 6),
            "threshold": parameters.threshold,
            "outcome": outcome,
            "same_person": same_person,
            "refused_by": [j.judgement_id for j in refused] if outcome == "refused" else [],
            "judgements": [_judgement_detail(j) for j in judged],
        },
    )


def _persons(
    records: dict[str, PersonRecord],
    groups: _Groups,
    parameters: PersonResolutionParameters,
    evidence: Evidence,
) -> list[Finding]:
    members: dict[str, list[str]] = defaultdict(list)
    for record_id in sorted(records):
        members[groups.root(record_id)].append(record_id)
    edges: dict[str, list[_Edge]] = defaultdict(list)
    for edge in groups.edges:
        edges[groups.root(edge.first)].append(edge)
    findings: list[Finding] = []
    for root, ids in members.items():
        if len(ids) < 2:
            continue
        group = [records[i] for i in ids]
        subjects = groups.subjects[root]
        conflicts = [j for j in groups.conflicts if j.first in subjects and j.second in subjects]
        findings.append(_person(group, edges[root], conflicts, parameters, evidence))
    return findings


def _values(group: list[PersonRecord], attribute: str) -> list[str]:
    return sorted({v for r in group if (v := getattr(r, attribute))})


def _person(
    group: list[PersonRecord],
    edges: list[_Edge],
    conflicts: list[Judgement],
    parameters: PersonResolutionParameters,
    evidence: Evidence,
) -> Finding:
    model = [e for e in edges if e.probability is not None]
    judged = [e for e in edges if e.judgement is not None]
    judgements = sorted(
        {e.judgement.judgement_id: e.judgement for e in judged if e.judgement}.values(),
        key=lambda j: j.judgement_id,
    )
    weakest = min((e.probability for e in model if e.probability is not None), default=1.0)
    names = _values(group, "name")
    numbers = _values(group, "number")
    emails = _values(group, "email")
    usernames = _values(group, "username")
    described = [r.describe(evidence.reference(r.exhibit_id)) for r in group]
    listing = "; ".join(described[:_NAMED]) + (
        f"; and {len(described) - _NAMED} more" if len(described) > _NAMED else ""
    )
    identifiers = [f"names {', '.join(repr(n) for n in names) or 'none'}"]
    identifiers.append(f"numbers {', '.join(numbers)}" if numbers else "no number")
    if emails:
        identifiers.append(f"e-mail {', '.join(emails)}")
    if usernames:
        identifiers.append(f"user names {', '.join(usernames)}")
    joined = []
    if model:
        joined.append(
            f"{len(model)} proposed link(s) at or above {parameters.threshold:g} (the weakest "
            f"{weakest:.3f})"
        )
    if judgements:
        joined.append(
            f"{len(judgements)} analyst judgement(s) that records are the same ("
            + "; ".join(_judgement_words(j) for j in judgements)
            + ")"
        )
    explanation = (
        f"{len(group)} records may describe one person: {'; '.join(identifiers)}. Joined by "
        f"{' and '.join(joined)}. Records: {listing}."
    )
    if conflicts:
        explanation += (
            " The judgements conflict: "
            + "; ".join(_judgement_words(j) for j in conflicts)
            + ", yet judgements that they are the same join them; the same-judgements are "
            "applied and the conflict is for an analyst to settle."
        )
    explanation += (
        " A proposed person is built from links between records, each a lead for an analyst, "
        "not an identification; it is not a person record and has no data-subject category "
        "until an analyst creates one."
    )
    return Finding(
        kind="person",
        subjects=tuple(f"person:{r.record_id}" for r in group),
        explanation=explanation,
        derived_from=tuple(sorted(r.record_id for r in group)),
        score=round(weakest, 4),
        detail={
            "records": [_record_detail(r, evidence) for r in group],
            "names": names,
            "numbers": numbers,
            "emails": emails,
            "usernames": usernames,
            "imei_keys": _values(group, "imei_key"),
            "links": [
                {
                    "first": f"person:{min(e.first, e.second)}",
                    "second": f"person:{max(e.first, e.second)}",
                    "basis": "judgement" if e.judgement else "model",
                    "match_probability": round(e.probability, 6)
                    if e.probability is not None
                    else None,
                    "judgement_id": e.judgement.judgement_id if e.judgement else None,
                }
                for e in edges
            ],
            "judgements": [_judgement_detail(j) for j in judgements],
            "conflicting_judgements": [_judgement_detail(j) for j in conflicts],
            "data_subject_category": None,
        },
        basis=Basis.JUDGEMENT if judgements else Basis.EVIDENCED,
    )
