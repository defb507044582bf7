"""Common contacts: numbers in contact with at least *k* of the target numbers.

Telephone analysis's first question (domain.md §6.2): which numbers do the targets have in
common? A number that two or three targets all call is a lead: a shared associate, a controller,
a driver, a victim. For each such number the finding gives which targets it was in contact with,
how often (contact *events*, a call seen in several exhibits counted once; see
:mod:`threadline.analysis.contact_events`) by medium and per target, first and last contact, and
the row id of every record, so each figure can be read back from the exhibits (requirement 20).

The score is the share of the targets the number was in contact with (3 of 4 gives 0.75). It is
a lead for an analyst, never evidence of a role (requirement 44): contact says nothing of who held
either handset (attribution is a separate question) nor of what was said, and numbers absent from
the exhibits (other networks, other handsets, encrypted apps) are not seen at all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from threadline.analysis.contact_events import contact_ends_sql, precomputed
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import count_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding
from threadline.model.phone import normalise_phone

__all__ = ["CommonContacts", "CommonContactsParameters", "normalise_numbers"]


def normalise_numbers(values: list[str]) -> list[str]:
    """Numbers as given by a user (any UK or international form) in E.164, sorted, once each.

    Raises:
        ValueError: a value is not a telephone number (pydantic reports it with its field).
    """
    out = set()
    for value in values:
        parsed = normalise_phone(value)
        if parsed.e164 is None:
            raise ValueError(f"{value!r} is not a telephone number")
        out.add(parsed.e164)
    return sorted(out)


class CommonContactsParameters(Parameters):
    """Parameters of :class:`CommonContacts`.

    Attributes:
        targets: the target numbers (any written form); empty means the numbers named in the
            case's communications data authorisations.
        k: the fewest targets a number must have been in contact with.
        since: only contact from this instant (UTC).
        until: only contact before this instant (UTC).
        same_event_seconds: records of one call or message in different exhibits are matched
            within this many seconds.
    """

    targets: list[str] = Field(default_factory=list)
    k: int = Field(default=2, ge=1)
    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("targets", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class CommonContacts:
    """Numbers in contact with at least k of the targets (see the module docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="common_contacts",
        version="1.1.0",
        title="Common contacts",
        summary="Numbers in contact (calls and messages, each event counted once however many "
        "exhibits hold it) with at least k of the target numbers, with the records behind "
        "each.",
        tables=("calls", "messages"),
        parameters=CommonContactsParameters,
        requirements=(20, 44),
        interactive=True,
    )

    def run(self, evidence: Evidence, parameters: CommonContactsParameters) -> list[Finding]:
        """The common contacts, most targets first.

        Raises:
            ConfigError: no targets were given and the case names none.
        """
        targets = parameters.targets or sorted(set(evidence.targets))
        if not targets:
            raise ConfigError(
                "no target numbers: give them (targets) or record the target number of each "
                "communications data exhibit"
            )
        ends = contact_ends_sql(
            "$targets", from_table=precomputed(evidence, parameters.same_event_seconds)
        )
        sql = f"""
        WITH ends AS (
            SELECT number AS target, * EXCLUDE (number) FROM ({ends}) AS touching
        ),
        common AS (
            SELECT other FROM ends GROUP BY other HAVING COUNT(DISTINCT target) >= $k
        )
        SELECT ends.other, ends.target, ends.medium,
               COUNT(*) AS events,
               CAST(SUM(ends.records) AS BIGINT) AS records,
               COUNT(*) FILTER (WHERE NOT ends.exact) AS inexact,
               MIN(ends.earliest_utc) AS first_utc,
               MAX(ends.latest_utc) AS last_utc,
               FLATTEN(LIST(ends.row_ids)) AS row_ids,
               FLATTEN(LIST(ends.exhibit_ids)) AS exhibit_ids
        FROM ends JOIN common ON common.other = ends.other
        GROUP BY ends.other, ends.target, ends.medium
        ORDER BY ends.other, ends.target, ends.medium
        """
        rows = evidence.rows(
            sql,
            {
                "targets": targets,
                "k": parameters.k,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
            },
        )
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            grouped[row["other"]].append(row)
        findings = [_finding(other, parts, targets, evidence) for other, parts in grouped.items()]
        findings.sort(key=lambda f: (-(f.score or 0.0), f.subjects))
        return findings


def _finding(
    other: str, parts: list[dict[str, Any]], targets: list[str], evidence: Evidence
) -> Finding:
    touched = sorted({p["target"] for p in parts})
    per_target: dict[str, dict[str, int]] = {t: {} for t in touched}
    media: dict[str, int] = defaultdict(int)
    for part in parts:
        per_target[part["target"]][part["medium"]] = part["events"]
        media[part["medium"]] += part["events"]
    row_ids = sorted({r for p in parts for r in p["row_ids"]})
    exhibit_ids = sorted({e for p in parts for e in p["exhibit_ids"]})
    events = sum(p["events"] for p in parts)
    records = sum(p["records"] for p in parts)
    inexact = sum(p["inexact"] for p in parts)
    first = min(p["first_utc"] for p in parts)
    last = max(p["last_utc"] for p in parts)
    references = sorted(evidence.reference(e) for e in exhibit_ids)
    breakdown = ", ".join(count_phrase(n, m) for m, n in sorted(media.items()))
    explanation = (
        f"{other} was in contact with {len(touched)} of the {len(targets)} target numbers "
        f"({', '.join(touched)}): {breakdown}, {records} record(s) in "
        f"{len(references)} exhibit(s) ({', '.join(references)}), {period_phrase(first, last)}."
    )
    if inexact:
        explanation += (
            f" {inexact} of the events have no exact time (a repeated clock hour or a time "
            "without its zone) and are counted as they stand."
        )
    explanation += (
        " Contact between numbers says nothing of who used either handset or what was said."
    )
    return Finding(
        kind="common_contact",
        subjects=(other, *touched),
        explanation=explanation,
        derived_from=tuple(row_ids),
        score=round(len(touched) / len(targets), 4),
        detail={
            "number": other,
            "targets": touched,
            "targets_given": len(targets),
            "events": events,
            "records": records,
            "events_by_medium": dict(sorted(media.items())),
            "events_by_target": per_target,
            "exhibits": references,
            "inexact_events": inexact,
        },
        first_utc=first,
        last_utc=last,
    )
