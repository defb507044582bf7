"""Handset and SIM history: which numbers, handsets (IMEI) and SIMs (IMSI) were used together, when.

Telephone analysis asks which handset a number was used in and which SIMs a handset carried
(domain.md §6.2: handset and SIM changes). The answer rests on **sightings**: evidence rows where
identifiers are seen together *as one subscriber's*:

* a network return's call or message row: its IMEI and IMSI are the **target's** (the party
  ``target_role`` names), never the other party's. The other party's number is on the row, but
  the handset and SIM are not theirs, so they are not paired with it. A row whose target is not
  recorded (``target_role`` empty) still pairs its IMEI with its IMSI, without a number;
* a data session (``data_sessions``): the subscriber (``party``) with the IMEI and IMSI;
* a phone download's device record (``devices``): the handset's IMEI with the SIM's IMSI and
  number as the extraction paired them. It has no time of its own.

A sighting needs at least two of number, IMEI and IMSI. Handsets are matched on the IMEI key, the
first 14 digits (requirement 24), so a 15-digit IMEI, the same with the network's padding ``0``
and a 16-digit IMEISV are one handset; the spellings seen are kept in the finding.

Findings:

* ``identifier_pairing``, one per (number, IMEI key, IMSI) seen together: how many records, in
  which exhibits, first and last seen (exact times only; rows without an exact time and undated
  device records are counted apart);
* ``handset_swap``, a number seen in another handset: per (number, old IMEI key, new IMEI key),
  each occasion with the number's last record in the old handset and its first in the new one,
  so the change happened between those two times (not necessarily at either);
* ``sim_swap``, a handset seen with another SIM: per (IMEI key, old and new IMSI and/or number),
  occasions as above.

Changes are read from rows with exact times, in time order (row id breaking ties); a row whose
time is not exact cannot be placed and does not take part. What the evidence shows is identifiers
used together, not who held the handset or why it changed (attribution is a separate question);
and a change seen only at the edge of an exhibit's period may be an artefact of the periods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import instant_phrase, period_phrase
from threadline.model.finding import Finding

__all__ = [
    "HandsetHistory",
    "HandsetHistoryParameters",
    "subscriber_numbers_sql",
    "subscriber_sightings_sql",
]

#: Each table's rows as sightings. A call's or message's number is the party that
#: ``target_role`` names: the handset and SIM on the row are that party's.
_SIGHTINGS: Final = """
    SELECT row_id, exhibit_id, locator, 'calls' AS source,
           CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party
                            WHEN 'c' THEN c_party END AS number,
           imei, imei_key, imsi,
           start_utc AS at_utc,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc
    FROM calls
    WHERE imei_key IS NOT NULL OR imsi IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, locator, 'messages' AS source,
           CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party END AS number,
           imei, imei_key, imsi,
           sent_utc AS at_utc,
           COALESCE(sent_utc, sent_earliest_utc) AS earliest_utc,
           COALESCE(sent_utc, sent_latest_utc) AS latest_utc
    FROM messages
    WHERE imei_key IS NOT NULL OR imsi IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, locator, 'data_sessions' AS source, party AS number,
           imei, imei_key, imsi,
           start_utc AS at_utc,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc
    FROM data_sessions
    WHERE imei_key IS NOT NULL OR imsi IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, locator, 'devices' AS source, msisdn AS number,
           imei, imei_key, imsi,
           CAST(NULL AS TIMESTAMPTZ) AS at_utc,
           CAST(NULL AS TIMESTAMPTZ) AS earliest_utc,
           CAST(NULL AS TIMESTAMPTZ) AS latest_utc
    FROM devices
    WHERE imei_key IS NOT NULL OR imsi IS NOT NULL
"""


def subscriber_sightings_sql() -> str:
    """A query of sightings (see the module docstring): one per evidence row in which at least
    two of the subscriber's number, IMEI key and IMSI are seen together.

    Columns: ``row_id, exhibit_id, locator, source, number, imei, imei_key, imsi, at_utc``
    (exact time or ``NULL``), ``earliest_utc, latest_utc`` (``NULL`` for an undated device
    record). ``$since`` and ``$until`` (instants or ``NULL``) apply as for contact records; an
    undated row is kept only when neither is given, since it cannot be placed in a window.
    """
    present = (
        "CASE WHEN number IS NULL THEN 0 ELSE 1 END + CASE WHEN imei_key IS NULL THEN 0 ELSE 1 END"
        " + CASE WHEN imsi IS NULL THEN 0 ELSE 1 END"
    )
    return f"""
    SELECT * FROM ({_SIGHTINGS}) AS sighting
    WHERE {present} >= 2
      AND (
          (earliest_utc IS NULL AND $since IS NULL AND $until IS NULL)
          OR (earliest_utc IS NOT NULL
              AND ($since IS NULL OR latest_utc >= $since)
              AND ($until IS NULL OR earliest_utc < $until))
      )
    """


def subscriber_numbers_sql() -> str:
    """A query of the numbers whose own records the evidence holds (column ``number``, once
    each): the party ``target_role`` names on a call or message, a data session's subscriber,
    a downloaded handset's number. For any other number only its contact with these is seen."""
    return """
    SELECT DISTINCT number FROM (
        SELECT CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party
                                WHEN 'c' THEN c_party END AS number
        FROM calls
        UNION ALL
        SELECT CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party END AS number
        FROM messages
        UNION ALL
        SELECT party AS number FROM data_sessions
        UNION ALL
        SELECT msisdn AS number FROM devices
    ) AS subscriber
    WHERE number IS NOT NULL
    """


def _scoped_sql() -> str:
    """Sightings, narrowed to ``$numbers`` and the handsets and SIMs seen with them (one hop)
    when ``$numbers`` is not empty."""
    return f"""
    WITH sightings AS ({subscriber_sightings_sql()}),
    linked AS (
        SELECT DISTINCT imei_key, imsi FROM sightings WHERE list_contains($numbers, number)
    ),
    scoped AS (
        SELECT * FROM sightings
        WHERE len($numbers) = 0
           OR list_contains($numbers, number)
           OR imei_key IN (SELECT imei_key FROM linked WHERE imei_key IS NOT NULL)
           OR imsi IN (SELECT imsi FROM linked WHERE imsi IS NOT NULL)
    )
    """


_STEP_COLUMNS: Final = """
    row_id, exhibit_id, locator, at_utc,
    LAG(value) OVER w AS previous_value,
    LAG(alongside) OVER w AS previous_alongside,
    LAG(row_id) OVER w AS previous_row,
    LAG(exhibit_id) OVER w AS previous_exhibit,
    LAG(locator) OVER w AS previous_locator,
    LAG(at_utc) OVER w AS previous_at
"""


class HandsetHistoryParameters(Parameters):
    """Parameters of :class:`HandsetHistory`.

    Attributes:
        numbers: the numbers to follow (any written form), with the handsets and SIMs seen with
            them; empty for every number, handset and SIM in the evidence.
        since: only rows from this instant (UTC).
        until: only rows before this instant (UTC).
    """

    numbers: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class HandsetHistory:
    """Number, handset and SIM pairings over time, with handset and SIM swaps (see the module
    docstring)."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="handset_history",
        version="1.0.0",
        title="Handset and SIM history",
        summary="Which numbers, handsets (IMEI, matched on 14 digits) and SIMs (IMSI) were seen "
        "together as one subscriber's, first and last seen; a number seen in a new handset "
        "(handset swap) and a handset seen with a new SIM or number (SIM swap), with the last "
        "record before and the first after each change.",
        tables=("calls", "messages", "data_sessions", "devices"),
        parameters=HandsetHistoryParameters,
        requirements=(20, 22, 24),
    )

    def run(self, evidence: Evidence, parameters: HandsetHistoryParameters) -> list[Finding]:
        """Handset swaps, then SIM swaps, then the pairings."""
        bound = {
            "numbers": parameters.numbers,
            "since": parameters.since,
            "until": parameters.until,
        }
        pairings = evidence.rows(
            f"""
            {_scoped_sql()}
            SELECT number, imei_key, imsi,
                   COUNT(*) AS records,
                   COUNT(*) FILTER (WHERE at_utc IS NULL AND earliest_utc IS NOT NULL)
                       AS inexact,
                   COUNT(*) FILTER (WHERE earliest_utc IS NULL) AS undated,
                   MIN(at_utc) AS first_utc,
                   MAX(at_utc) AS last_utc,
                   LIST(DISTINCT imei ORDER BY imei) FILTER (WHERE imei IS NOT NULL) AS imeis,
                   LIST(DISTINCT source ORDER BY source) AS sources,
                   LIST(row_id ORDER BY row_id) AS row_ids,
                   LIST(DISTINCT exhibit_id ORDER BY exhibit_id) AS exhibit_ids
            FROM scoped
            GROUP BY number, imei_key, imsi
            ORDER BY number NULLS LAST, first_utc NULLS LAST, imei_key NULLS LAST,
                     imsi NULLS LAST
            """,
            bound,
        )
        steps = evidence.rows(
            f"""
            {_scoped_sql()},
            timed AS (SELECT * FROM scoped WHERE at_utc IS NOT NULL),
            sequences AS (
                SELECT 'handset' AS change, number AS holder, imei_key AS value,
                       imsi AS alongside, row_id, exhibit_id, locator, at_utc
                FROM timed WHERE number IS NOT NULL AND imei_key IS NOT NULL
                UNION ALL
                SELECT 'imsi' AS change, imei_key AS holder, imsi AS value,
                       number AS alongside, row_id, exhibit_id, locator, at_utc
                FROM timed WHERE imei_key IS NOT NULL AND imsi IS NOT NULL
                UNION ALL
                SELECT 'number' AS change, imei_key AS holder, number AS value,
                       imsi AS alongside, row_id, exhibit_id, locator, at_utc
                FROM timed WHERE imei_key IS NOT NULL AND number IS NOT NULL
            ),
            changing AS (
                -- only a holder seen with two values can change: the rest skip the sort
                SELECT change AS changing_change, holder AS changing_holder
                FROM sequences
                GROUP BY change, holder
                HAVING COUNT(DISTINCT value) > 1
            ),
            steps AS (
                SELECT change, holder, value, alongside, {_STEP_COLUMNS}
                FROM sequences
                JOIN changing ON changing_change = change AND changing_holder = holder
                WINDOW w AS (PARTITION BY change, holder ORDER BY at_utc, row_id)
            )
            SELECT * FROM steps
            WHERE previous_value IS NOT NULL AND previous_value <> value
            ORDER BY change, holder, at_utc, row_id
            """,
            bound,
        )
        numbers = set(parameters.numbers)
        linked = {p["imei_key"] for p in pairings if p["number"] in numbers and p["imei_key"]}
        handset_steps = [
            s for s in steps if s["change"] == "handset" and (not numbers or s["holder"] in numbers)
        ]
        sim_steps = [
            s for s in steps if s["change"] != "handset" and (not numbers or s["holder"] in linked)
        ]
        return [
            *_handset_swaps(handset_steps, evidence),
            *_sim_swaps(sim_steps, evidence),
            *(_pairing(p, evidence) for p in pairings),
        ]


# --- pairings ---------------------------------------------------------------------------------


def _pairing(row: dict[str, Any], evidence: Evidence) -> Finding:
    number, key, imsi = row["number"], row["imei_key"], row["imsi"]
    references = sorted(evidence.reference(e) for e in row["exhibit_ids"])
    parts = []
    if number:
        parts.append(f"the number {number}")
    if key:
        spellings = ", ".join(row["imeis"] or [])
        parts.append(
            f"the handset with IMEI key {key}" + (f" (IMEI {spellings})" if spellings else "")
        )
    if imsi:
        parts.append(f"the SIM with IMSI {imsi}")
    missing = [
        name for name, value in (("number", number), ("IMEI", key), ("IMSI", imsi)) if not value
    ]
    explanation = (
        f"{_sentence(_join(parts))} were seen together as one subscriber's in "
        f"{row['records']} record(s) ({', '.join(row['sources'])}) in {len(references)} "
        f"exhibit(s) ({', '.join(references)}), {period_phrase(row['first_utc'], row['last_utc'])}."
    )
    if missing:
        explanation += f" No {' or '.join(missing)} is recorded on these rows."
    if row["inexact"]:
        explanation += (
            f" {row['inexact']} of the records have no exact time and are left out of first and "
            "last seen."
        )
    if row["undated"]:
        explanation += (
            f" {row['undated']} of the records are device records of a phone download, which "
            "carry no time."
        )
    explanation += (
        " A record's handset and SIM are its subscriber's; this shows the identifiers used "
        "together, not who used them."
    )
    return Finding(
        kind="identifier_pairing",
        subjects=tuple(v for v in (number, key, imsi) if v),
        explanation=explanation,
        derived_from=tuple(row["row_ids"]),
        detail={
            "number": number,
            "imei_key": key,
            "imeis": list(row["imeis"] or []),
            "imsi": imsi,
            "records": row["records"],
            "inexact_records": row["inexact"],
            "undated_records": row["undated"],
            "sources": list(row["sources"]),
            "exhibits": references,
        },
        first_utc=row["first_utc"],
        last_utc=row["last_utc"],
    )


# --- swaps ------------------------------------------------------------------------------------


def _occasion(step: dict[str, Any], evidence: Evidence) -> dict[str, Any]:
    """One change: the last record with the old identifier and the first with the new."""
    return {
        "last_old": {
            "row_id": step["previous_row"],
            "exhibit": evidence.reference(step["previous_exhibit"]),
            "locator": step["previous_locator"],
            "at_utc": step["previous_at"].isoformat(),
        },
        "first_new": {
            "row_id": step["row_id"],
            "exhibit": evidence.reference(step["exhibit_id"]),
            "locator": step["locator"],
            "at_utc": step["at_utc"].isoformat(),
        },
    }


def _where(step: dict[str, Any], prefix: str, evidence: Evidence) -> str:
    exhibit = step[f"{prefix}exhibit" if prefix else "exhibit_id"]
    at = step[f"{prefix}at" if prefix else "at_utc"]
    return f"{instant_phrase(at)} ({evidence.reference(exhibit)} {step[f'{prefix}locator']})"


def _returned(steps: Iterable[dict[str, Any]]) -> dict[int, bool]:
    """Per step (by position, steps of one holder in time order): whether its new value had
    been seen with the holder before (the holder's first value, or one it changed to earlier)."""
    seen: dict[str, set[str]] = {}
    out: dict[int, bool] = {}
    for index, step in enumerate(steps):
        values = seen.setdefault(step["holder"], {step["previous_value"]})
        out[index] = step["value"] in values
        values.add(step["value"])
    return out


def _handset_swaps(steps: list[dict[str, Any]], evidence: Evidence) -> list[Finding]:
    returned = _returned(steps)
    grouped: dict[tuple[str, str, str], list[tuple[dict[str, Any], bool]]] = defaultdict(list)
    for index, step in enumerate(steps):
        grouped[(step["holder"], step["previous_value"], step["value"])].append(
            (step, returned[index])
        )
    findings = []
    for (number, old, new), occasions in grouped.items():
        first, back = occasions[0]
        explanation = (
            f"{number} was seen in another handset: its last record with IMEI key {old} is on "
            f"{_where(first, 'previous_', evidence)} and its first with IMEI key {new} on "
            f"{_where(first, '', evidence)}, so the change happened between those times."
        )
        before, after = first["previous_alongside"], first["alongside"]
        if before and after and before != after:
            explanation += (
                f" The IMSI changed at the same point ({before} to {after}): the number moved to "
                "another SIM as well."
            )
        elif before and before == after:
            explanation += f" The IMSI stayed {before}: the same SIM in another handset."
        if back:
            explanation += f" {number} had been seen with IMEI key {new} before."
        explanation += _more(occasions)
        explanation += (
            " The records show which handset the number was used in, not who used it or why it "
            "changed."
        )
        findings.append(
            Finding(
                kind="handset_swap",
                subjects=(number, old, new),
                explanation=explanation,
                derived_from=_boundary_rows(s for s, _ in occasions),
                detail={
                    "number": number,
                    "old_imei_key": old,
                    "new_imei_key": new,
                    "occasions": [
                        {
                            **_occasion(s, evidence),
                            "imsi_before": s["previous_alongside"],
                            "imsi_after": s["alongside"],
                            "seen_before": b,
                        }
                        for s, b in occasions
                    ],
                },
                first_utc=first["previous_at"],
                last_utc=occasions[-1][0]["at_utc"],
            )
        )
    return findings


def _sim_swaps(steps: list[dict[str, Any]], evidence: Evidence) -> list[Finding]:
    """SIM swaps: IMSI changes and number changes in a handset, one occasion where both change
    between the same two rows."""
    imsi_steps = [s for s in steps if s["change"] == "imsi"]
    number_steps = [s for s in steps if s["change"] == "number"]
    returned_imsi = _returned(imsi_steps)
    returned_number = _returned(number_steps)
    by_rows = {(s["previous_row"], s["row_id"]): i for i, s in enumerate(number_steps)}
    merged: set[int] = set()
    occasions: list[dict[str, Any]] = []
    for index, step in enumerate(imsi_steps):
        partner = by_rows.get((step["previous_row"], step["row_id"]))
        occasion = {
            "step": step,
            "old_imsi": step["previous_value"],
            "new_imsi": step["value"],
            "old_number": step["previous_alongside"],
            "new_number": step["alongside"],
            "number_changed": False,
            "seen_before": returned_imsi[index],
        }
        if partner is not None and number_steps[partner]["holder"] == step["holder"]:
            merged.add(partner)
            occasion["number_changed"] = True
            occasion["seen_before"] = returned_imsi[index] and returned_number[partner]
        occasions.append(occasion)
    for index, step in enumerate(number_steps):
        if index in merged:
            continue
        occasions.append(
            {
                "step": step,
                "old_imsi": step["previous_alongside"],
                "new_imsi": step["alongside"],
                "old_number": step["previous_value"],
                "new_number": step["value"],
                "number_changed": True,
                "seen_before": returned_number[index],
                "imsi_unchanged": True,
            }
        )
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for occasion in sorted(
        occasions, key=lambda o: (o["step"]["holder"], o["step"]["at_utc"], o["step"]["row_id"])
    ):
        step = occasion["step"]
        imsi_changed = not occasion.get("imsi_unchanged", False)
        key = (
            step["holder"],
            occasion["old_imsi"] if imsi_changed else None,
            occasion["new_imsi"] if imsi_changed else None,
            occasion["old_number"] if occasion["number_changed"] else None,
            occasion["new_number"] if occasion["number_changed"] else None,
        )
        grouped[key].append(occasion)
    return [_sim_swap(key, group, evidence) for key, group in grouped.items()]


def _sim_swap(key: tuple[Any, ...], group: list[dict[str, Any]], evidence: Evidence) -> Finding:
    handset, old_imsi, new_imsi, old_number, new_number = key
    first = group[0]
    step = first["step"]

    def describe(imsi: str | None, number: str | None) -> str:
        if imsi and number:
            return f"IMSI {imsi} (number {number})"
        return f"IMSI {imsi}" if imsi else f"number {number}"

    if old_imsi:
        old_text = describe(old_imsi, old_number)
        new_text = describe(new_imsi, new_number)
    else:
        old_text, new_text = describe(None, old_number), describe(None, new_number)
    explanation = (
        f"The handset with IMEI key {handset} was seen with another SIM: its last record with "
        f"{old_text} is on {_where(step, 'previous_', evidence)} and its first with {new_text} "
        f"on {_where(step, '', evidence)}, so the change happened between those times."
    )
    if old_imsi and not old_number:
        same = first["old_number"]
        if same and same == first["new_number"]:
            explanation += f" The number stayed {same}: a replacement SIM for the same number."
    if old_number and not old_imsi:
        same = first["old_imsi"]
        if same and same == first["new_imsi"]:
            explanation += f" The IMSI stayed {same}: the number changed on the same SIM."
    if first["seen_before"]:
        explanation += " The handset had been seen with that SIM before."
    explanation += _more([(o["step"], o["seen_before"]) for o in group])
    explanation += (
        " The records show which SIM the handset carried, not who used it or why it changed."
    )
    return Finding(
        kind="sim_swap",
        subjects=tuple(
            v for v in (handset, old_imsi, new_imsi, old_number, new_number) if v is not None
        ),
        explanation=explanation,
        derived_from=_boundary_rows(o["step"] for o in group),
        detail={
            "imei_key": handset,
            "old_imsi": old_imsi,
            "new_imsi": new_imsi,
            "old_number": old_number,
            "new_number": new_number,
            "occasions": [
                {
                    **_occasion(o["step"], evidence),
                    "imsi_before": o["old_imsi"],
                    "imsi_after": o["new_imsi"],
                    "number_before": o["old_number"],
                    "number_after": o["new_number"],
                    "seen_before": o["seen_before"],
                }
                for o in group
            ],
        },
        first_utc=step["previous_at"],
        last_utc=group[-1]["step"]["at_utc"],
    )


def _more(occasions: list[tuple[dict[str, Any], bool]]) -> str:
    if len(occasions) == 1:
        return ""
    last = occasions[-1][0]
    return (
        f" The same change shows {len(occasions)} times in all; the latest between "
        f"{instant_phrase(last['previous_at'])} and {instant_phrase(last['at_utc'])}."
    )


def _boundary_rows(steps: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    rows: set[str] = set()
    for step in steps:
        rows.update((step["previous_row"], step["row_id"]))
    return tuple(sorted(rows))


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
