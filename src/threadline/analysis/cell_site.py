"""Cell-site events: each call, message and data record of a number placed at its serving cell.

The first step of cell-site analysis (domain.md §3.4) is a schedule of the cells a number's
records name, each joined to the cell reference data for the site's name, address and position.
For each number asked about, one finding per cell it used summarises the events on that cell:
how many by medium, first and last, every record (and the cell-site row) cited, and one sentence
per event in the approved words of :mod:`threadline.analysis.cell_wording`.

Whose cell it is
    A network return's cells are its **target's** (the subscriber's): the party ``target_role``
    names for calls and messages, the ``party`` of a data record. The other party of a call was
    served by a cell on their own network that this record does not name, so a record never
    places the other party anywhere. A call or message row without a ``target_role`` (or whose
    target's number did not normalise) cannot be placed and is left out.

Which cells
    A call has a start cell and an end cell, a message one cell, a data record a start and an end
    cell. A record whose two cells are the same is one event on that cell ("at its start and its
    end"); one whose cells differ is an event on each.

When
    Calls and messages: the cell served the event at its start (or end, or send) time. Data
    records: the device used the start cell **at or before** the record's start time and the end
    cell at or before its end time (requirement 26); one record may cover a long session. A call's
    end time is its recorded end, else its start plus its duration. Times not known exactly (the
    repeated autumn hour, a handset time without its zone) are given as their range and left out
    of first and last.

Events, not records
    As in :mod:`threadline.analysis.contact_events`, records of the same number, medium and cell
    from *different* exhibits within ``same_event_seconds`` of each other are one event (a call
    supplied twice, in an original and a re-supplied return); two records in one exhibit are two
    events.

Which reference row
    A cell listed more than once in the reference data (an operator list and a crowd-sourced
    file, or two operator lists of different dates) is described from one row: the operator's
    before a crowd-sourced one, then the lowest exhibit id and row id. The finding says how many
    listings there were and cites the one used.

Nothing here says a phone "was at" a place (requirement 27): words name the cell and the area
it served, "consistent with", and every finding carries the standard caveats (requirement 25).
The SQL is standard (window functions, ``LAG``, running sums) with bound parameters only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, ClassVar, Final

from pydantic import Field, field_validator

from threadline.analysis.cell_wording import (
    CROWD_SOURCED,
    area_phrase,
    caveats,
    cell_label,
    event_sentence,
    time_phrase,
)
from threadline.analysis.common_contacts import normalise_numbers
from threadline.analysis.contract import AnalysisInfo, Parameters
from threadline.analysis.evidence import Evidence
from threadline.analysis.wording import count_phrase, period_phrase
from threadline.errors import ConfigError
from threadline.model.finding import Finding

__all__ = [
    "TIME_FILTER",
    "CellSiteEvents",
    "CellSiteEventsParameters",
    "placements_sql",
    "sites_sql",
]

#: A placement is in ``[$since, $until)`` when its possible times overlap it.
TIME_FILTER: Final = (
    "($since IS NULL OR latest_utc >= $since) AND ($until IS NULL OR earliest_utc < $until)"
)


def _plus_duration(instant: str) -> str:
    # ``instant`` plus ``duration_s`` seconds, in whole microseconds: DuckDB adds a per-row
    # interval to a zoned timestamp slowly (calendar arithmetic in the session's zone), and UTC
    # instants need none. Spark spells it timestamp_micros(unix_micros(...) + ...).
    return f"make_timestamptz(epoch_us({instant}) + duration_s * 1000000)"


# A call's (or data record's) end: its recorded end, else its start plus its duration.
_CALL_END: Final = f"COALESCE(end_utc, {_plus_duration('start_utc')})"
_CALL_END_EARLIEST: Final = (
    f"COALESCE(end_utc, {_plus_duration('start_utc')}, end_earliest_utc, "
    f"{_plus_duration('start_earliest_utc')}, start_earliest_utc)"
)
_CALL_END_LATEST: Final = (
    f"COALESCE(end_utc, {_plus_duration('start_utc')}, end_latest_utc, "
    f"{_plus_duration('start_latest_utc')}, start_latest_utc)"
)
_RECORD_START: Final = """
    start_utc AS record_start_utc,
    COALESCE(start_utc, start_earliest_utc) AS record_start_earliest_utc,
    COALESCE(start_utc, start_latest_utc) AS record_start_latest_utc
"""
_TARGET: Final = (
    "CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party WHEN 'c' THEN c_party END"
)

_PLACEMENTS: Final = f"""
    SELECT row_id, exhibit_id, 'call' AS medium, direction, {_TARGET} AS number,
           'start' AS phase, start_cell AS cell,
           start_utc AS at_utc,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           {_RECORD_START}, {_CALL_END} AS record_end_utc
    FROM calls WHERE start_cell IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, 'call' AS medium, direction, {_TARGET} AS number,
           'end' AS phase, end_cell AS cell,
           {_CALL_END} AS at_utc, {_CALL_END_EARLIEST} AS earliest_utc,
           {_CALL_END_LATEST} AS latest_utc,
           {_RECORD_START}, {_CALL_END} AS record_end_utc
    FROM calls WHERE end_cell IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, COALESCE(message_type, 'message') AS medium, direction,
           CASE target_role WHEN 'a' THEN a_party WHEN 'b' THEN b_party END AS number,
           'sent' AS phase, cell,
           sent_utc AS at_utc,
           COALESCE(sent_utc, sent_earliest_utc) AS earliest_utc,
           COALESCE(sent_utc, sent_latest_utc) AS latest_utc,
           sent_utc AS record_start_utc,
           COALESCE(sent_utc, sent_earliest_utc) AS record_start_earliest_utc,
           COALESCE(sent_utc, sent_latest_utc) AS record_start_latest_utc,
           CAST(NULL AS TIMESTAMPTZ) AS record_end_utc
    FROM messages WHERE cell IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, 'data' AS medium, CAST(NULL AS VARCHAR) AS direction,
           party AS number, 'start' AS phase, start_cell AS cell,
           start_utc AS at_utc,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           {_RECORD_START}, {_CALL_END} AS record_end_utc
    FROM data_sessions WHERE start_cell IS NOT NULL
    UNION ALL
    SELECT row_id, exhibit_id, 'data' AS medium, CAST(NULL AS VARCHAR) AS direction,
           party AS number, 'end' AS phase, end_cell AS cell,
           {_CALL_END} AS at_utc, {_CALL_END_EARLIEST} AS earliest_utc,
           {_CALL_END_LATEST} AS latest_utc,
           {_RECORD_START}, {_CALL_END} AS record_end_utc
    FROM data_sessions WHERE end_cell IS NOT NULL
"""


def placements_sql(where: str = "TRUE") -> str:
    """A query of **placements**: one row per record and cell phase (a call's start or end
    cell, a message's cell, a data record's start or end cell) of a number, with no time filter.

    Columns: ``row_id, exhibit_id, medium`` (``call``, ``sms``/``mms``/``im``/``message``,
    ``data``), ``direction, number`` (the subscriber: see the module docstring), ``phase``
    (``start``, ``end``, ``sent``), ``cell``, ``at_utc`` (the phase's time when exact, else
    ``NULL``), ``earliest_utc``/``latest_utc`` (its possible range), and the record's own
    ``record_start_utc``, ``record_start_earliest_utc``, ``record_start_latest_utc`` and
    ``record_end_utc`` for the words. For a data record the time is the one the cell was used
    *at or before*.

    ``where`` is SQL written by an analysis (never user text) over those columns, with bound
    parameters; add :data:`TIME_FILTER` for a period.
    """
    return f"""
    SELECT * FROM ({_PLACEMENTS}) AS placement
    WHERE number IS NOT NULL AND cell IS NOT NULL AND ({where})
    """


def sites_sql() -> str:
    """A query of one reference row per cell from ``cell_sites`` (the operator's listing
    before a crowd-sourced one, then the lowest exhibit id and row id), with ``listings`` (how
    many rows list the cell) and ``site_key``, what "the same site" means:

    * an operator row with a position: the position to five decimal places (about a metre),
      so every cell on one mast, whatever its network, is one site;
    * an operator row without one: its network and site name;
    * a crowd-sourced row: the cell id itself (crowd-sourced positions are estimates per
      cell, so two equal ones do not show a shared mast).

    The prefixes (``position:``, ``name:``) keep the three kinds apart; a cell id has none.
    """
    return """
    SELECT cell_id, site_name, address, postcode, latitude, longitude, azimuth, beamwidth,
           technology, position_basis, site_row_id, site_exhibit_id, listings,
           CASE
             WHEN position_basis = 'operator' AND latitude IS NOT NULL
                  AND longitude IS NOT NULL
               THEN 'position:' || CAST(CAST(ROUND(latitude * 100000) AS BIGINT) AS VARCHAR)
                    || ',' || CAST(CAST(ROUND(longitude * 100000) AS BIGINT) AS VARCHAR)
             WHEN position_basis = 'operator' AND site_name IS NOT NULL
               THEN 'name:' || COALESCE(mcc, '') || '-' || COALESCE(mnc, '') || ':'
                    || UPPER(TRIM(site_name))
             ELSE cell_id
           END AS site_key
    FROM (
        SELECT cell_id, site_name, address, postcode, latitude, longitude, azimuth, beamwidth,
               technology, position_basis, mcc, mnc,
               row_id AS site_row_id, exhibit_id AS site_exhibit_id,
               ROW_NUMBER() OVER (
                   PARTITION BY cell_id
                   ORDER BY CASE WHEN position_basis = 'operator' THEN 0 ELSE 1 END,
                            exhibit_id, row_id
               ) AS nth,
               COUNT(*) OVER (PARTITION BY cell_id) AS listings
        FROM cell_sites
        WHERE cell_id IS NOT NULL
    ) AS listed
    WHERE nth = 1
    """


class CellSiteEventsParameters(Parameters):
    """Parameters of :class:`CellSiteEvents`.

    Attributes:
        numbers: the numbers whose records to place (any written form); empty means the
            numbers named in the case's communications data authorisations.
        since: only events from this instant (UTC).
        until: only events before this instant (UTC).
        same_event_seconds: records of one event in different exhibits are matched within this.
    """

    numbers: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    same_event_seconds: float = Field(default=10.0, ge=0, le=3600)

    @field_validator("numbers", mode="after")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return normalise_numbers(value)


class CellSiteEvents:
    """Each number's events at their serving cells, one finding per cell (see the module
    docstring). Requirements 20, 22, 25, 26, 27."""

    info: ClassVar[AnalysisInfo] = AnalysisInfo(
        name="cell_site_events",
        version="1.0.0",
        title="Cell-site events",
        summary="For each number, the cells its calls, messages and data records used (the "
        "subscriber's own cells, never the other party's), joined to the cell reference data, "
        "one finding per cell with every event in court-safe words and the standard caveats.",
        tables=("calls", "messages", "data_sessions", "cell_sites"),
        parameters=CellSiteEventsParameters,
        requirements=(20, 22, 25, 26, 27),
        interactive=True,
    )

    def run(self, evidence: Evidence, parameters: CellSiteEventsParameters) -> list[Finding]:
        """One ``cell_use`` finding per (number, cell), by number then first use.

        Raises:
            ConfigError: no numbers were given and the case names no targets.
        """
        numbers = parameters.numbers or sorted(set(evidence.targets))
        if not numbers:
            raise ConfigError("no numbers: give them (numbers) or record the case's targets")
        placements = placements_sql(f"number IN (SELECT UNNEST($numbers)) AND {TIME_FILTER}")
        sql = f"""
        WITH placements AS ({placements}),
        on_cell AS (
            SELECT row_id, exhibit_id, medium, direction, number, cell,
                   LIST(phase ORDER BY phase DESC) AS phases,
                   MIN(at_utc) AS at_utc,
                   COUNT(*) = COUNT(at_utc) AS exact,
                   MIN(earliest_utc) AS earliest_utc,
                   MAX(latest_utc) AS latest_utc,
                   MIN(record_start_utc) AS record_start_utc,
                   MIN(record_start_earliest_utc) AS record_start_earliest_utc,
                   MAX(record_start_latest_utc) AS record_start_latest_utc,
                   MIN(record_end_utc) AS record_end_utc
            FROM placements
            GROUP BY row_id, exhibit_id, medium, direction, number, cell
        ),
        ordered AS (
            SELECT *,
                   LAG(at_utc) OVER same_use AS previous_at,
                   LAG(exhibit_id) OVER same_use AS previous_exhibit
            FROM on_cell
            WHERE exact
            WINDOW same_use AS (
                PARTITION BY number, cell, medium ORDER BY at_utc, exhibit_id, row_id
            )
        ),
        marked AS (
            SELECT *,
                   CASE WHEN previous_at IS NULL
                          OR previous_exhibit = exhibit_id
                          OR epoch(at_utc) - epoch(previous_at) > $same_event_seconds
                        THEN 1 ELSE 0 END AS starts
            FROM ordered
        ),
        numbered AS (
            SELECT * EXCLUDE (previous_at, previous_exhibit, starts),
                   SUM(starts) OVER (
                       PARTITION BY number, cell, medium
                       ORDER BY at_utc, exhibit_id, row_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                   ) AS event_number
            FROM marked
            UNION ALL
            SELECT *, CAST(NULL AS BIGINT) AS event_number FROM on_cell WHERE NOT exact
        ),
        sites AS ({sites_sql()})
        SELECT numbered.*, sites.* EXCLUDE (cell_id)
        FROM numbered LEFT JOIN sites ON sites.cell_id = numbered.cell
        ORDER BY number, cell, earliest_utc, exhibit_id, row_id
        """
        rows = evidence.rows(
            sql,
            {
                "numbers": numbers,
                "since": parameters.since,
                "until": parameters.until,
                "same_event_seconds": parameters.same_event_seconds,
            },
        )
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            grouped[(row["number"], row["cell"])].append(row)
        findings = [
            _finding(number, cell, records, evidence) for (number, cell), records in grouped.items()
        ]
        findings.sort(key=lambda f: (f.subjects[0], f.first_utc is None, f.first_utc, f.subjects))
        return findings


def _iso(moment: datetime | None) -> str | None:
    """An instant as ISO 8601 text (finding details are stored as JSON)."""
    return moment.isoformat() if moment is not None else None


def _events(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records grouped into events: exact ones by their event number, others alone."""
    events: dict[tuple[str, int] | str, list[dict[str, Any]]] = {}
    for record in records:
        key: tuple[str, int] | str = (
            (record["medium"], record["event_number"])
            if record["event_number"] is not None
            else record["row_id"]
        )
        events.setdefault(key, []).append(record)
    return sorted(events.values(), key=lambda rs: (rs[0]["earliest_utc"], rs[0]["row_id"]))


def _finding(number: str, cell: str, records: list[dict[str, Any]], evidence: Evidence) -> Finding:
    site = records[0]
    listed = site["site_row_id"] is not None
    label = cell_label(cell, site["site_name"], site["address"], site["postcode"])
    events = _events(records)
    by_medium: dict[str, int] = defaultdict(int)
    event_details = []
    inexact = 0
    for event in events:
        first = event[0]
        by_medium[first["medium"]] += 1
        inexact += 0 if first["exact"] else 1
        start = time_phrase(
            first["record_start_utc"],
            first["record_start_earliest_utc"],
            first["record_start_latest_utc"],
        )
        end = time_phrase(first["record_end_utc"], None, None) if first["record_end_utc"] else None
        event_details.append(
            {
                "medium": first["medium"],
                "phases": list(first["phases"]),
                "direction": first["direction"],
                "at_utc": _iso(first["at_utc"]),
                "earliest_utc": _iso(first["earliest_utc"]),
                "latest_utc": _iso(first["latest_utc"]),
                "exact": first["exact"],
                "words": event_sentence(first["medium"], first["phases"], label, start, end),
                "rows": sorted(r["row_id"] for r in event),
                "exhibits": sorted({evidence.reference(r["exhibit_id"]) for r in event}),
            }
        )
    row_ids = {r["row_id"] for r in records}
    if listed:
        row_ids.add(site["site_row_id"])
    exact_times = [r["at_utc"] for r in records if r["exact"]]
    first_utc = min(exact_times) if exact_times else None
    last_utc = max(exact_times) if exact_times else None
    references = sorted({evidence.reference(r["exhibit_id"]) for r in records})
    crowd = site["position_basis"] == CROWD_SOURCED
    data = by_medium.pop("data", 0)
    uses = [count_phrase(n, m) for m, n in sorted(by_medium.items())]
    parts = []
    if uses:
        parts.append(f"the phone used the cell for {' and '.join(uses)}")
    if data:
        parts.append(
            f"the device used it at or before the start or end time of {data} data record(s)"
        )
    explanation = (
        f"{number}: {label} appears in {len(events)} event(s) from {len(records)} record(s) in "
        f"{len(references)} exhibit(s) ({', '.join(references)}), "
        f"{period_phrase(first_utc, last_utc)}: {'; '.join(parts)}. "
        f"{area_phrase(site['position_basis'], listed)}"
    )
    if listed and site["listings"] > 1:
        explanation += (
            f" The cell is listed {site['listings']} times in the cell reference data; the "
            f"{site['position_basis'] or 'unstated'} listing from exhibit "
            f"{evidence.reference(site['site_exhibit_id'])} is used."
        )
    if inexact:
        explanation += (
            f" {inexact} event(s) have no exact time (a repeated clock hour or a time without its "
            "zone) and are left out of the first and last times."
        )
    explanation += " The standard cell-site caveats apply and are listed with this finding."
    if data:
        by_medium["data"] = data
    return Finding(
        kind="cell_use",
        subjects=(number, cell),
        explanation=explanation,
        derived_from=tuple(sorted(row_ids)),
        detail={
            "number": number,
            "cell": cell,
            "site": {
                "listed": listed,
                "site_name": site["site_name"],
                "address": site["address"],
                "postcode": site["postcode"],
                "latitude": site["latitude"],
                "longitude": site["longitude"],
                "azimuth": site["azimuth"],
                "beamwidth": site["beamwidth"],
                "technology": site["technology"],
                "position_basis": site["position_basis"],
                "listings": site["listings"] or 0,
                "row": site["site_row_id"],
            },
            "events": len(events),
            "records": len(records),
            "events_by_medium": dict(sorted(by_medium.items())),
            "inexact_events": inexact,
            "exhibits": references,
            "event_list": event_details,
            "time_basis": "UTC",
            "caveats": caveats(crowd),
        },
        first_utc=first_utc,
        last_utc=last_utc,
    )
