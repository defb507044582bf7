"""Contact between two numbers, as records and as events: the base of communications analysis.

A **contact record** is one evidence row of a call or a message between two numbers: a row of
``calls`` or ``messages`` whose calling (A) and called (B) parties both normalised to E.164.
Identifiers that are not numbers (an app user name, an e-mail address) and rows with one party
missing (a withheld caller) are not contact between numbers and are left out; so is a number's
contact with itself.

One call often has several records: the caller's network return, the called party's return and
both handsets' logs each hold it, from different exhibits. Counting records would count that call
up to four times, so records are grouped into **events**: records of the same medium from A to
B, from *different* exhibits, whose times are within ``same_event_seconds`` of the previous
record of the group. Two records in one exhibit are never one event (two texts a second apart
are two texts). A record whose time is not exact (the repeated autumn hour, a handset time
without a zone) cannot be matched and is an event of its own. Every event keeps all its records'
row ids, so a finding built on events still cites every row.

Events are formed from all the records between two numbers, then a period (``since``, ``until``)
keeps the events whose possible times overlap it: an event never changes with the period asked
about (a call whose records straddle the period's start is in it or not as a whole).

Contact events are the base of most communications analyses, and at scale forming them is most
of their work (sorting every record in windows and gathering row ids). So the case's read copy
holds them, formed once with the default matching interval
(:data:`DEFAULT_SAME_EVENT_SECONDS`), as the derived table :data:`ENDS_TABLE`: every event
twice, once for each of its numbers (``number``, ``other``, ``role`` 'made' or 'received'),
sorted by a hash of the number, so that one number's events are one run of rows. An analysis asks
:func:`precomputed` whether its evidence offers that table for its interval and reads it; where it
does not (the Parquet files alone, another interval) the same events are formed on the fly by
the same SQL, so results never depend on which was read.

The SQL is standard (window functions, ``LAG`` and running sums) so that it runs unchanged on
another engine; parameters are named and bound (``$name``), never pasted into the text.
"""

from __future__ import annotations

from typing import Final

from threadline.analysis.evidence import Evidence
from threadline.analysis.number_runs import NUMBER_KEY, in_runs

__all__ = [
    "DEFAULT_SAME_EVENT_SECONDS",
    "ENDS_COLUMNS",
    "ENDS_TABLE",
    "EVENTS_COLUMNS",
    "EVENT_TABLES",
    "TABLE_INTERVAL",
    "contact_ends_sql",
    "contact_events_sql",
    "contact_records_sql",
    "ends_table_sql",
    "precomputed",
]

#: The columns of the events relation :func:`contact_events_sql` defines.
EVENTS_COLUMNS: Final = (
    "a_party, b_party, medium, at_utc, earliest_utc, latest_utc, exact, duration_s, "
    "records, exhibits, row_ids, exhibit_ids, directions"
)

#: The columns of the ends relation :func:`contact_ends_sql` defines: one of the event's
#: numbers, the other, whether that number made or received it, then the event's own columns.
ENDS_COLUMNS: Final = f"number, other, role, {EVENTS_COLUMNS}"

#: The read copy's derived table of contact events, one row per end (see the module docstring).
ENDS_TABLE: Final = "contact_event_ends"

#: The matching interval of the derived table: every analysis's default ``same_event_seconds``.
DEFAULT_SAME_EVENT_SECONDS: Final = 10.0

#: The canonical tables the events are formed from.
EVENT_TABLES: Final = ("calls", "messages")

_RECORDS: Final = """
    SELECT row_id, exhibit_id, 'call' AS medium, direction, a_party, b_party,
           start_utc AS at_utc,
           COALESCE(start_utc, start_earliest_utc) AS earliest_utc,
           COALESCE(start_utc, start_latest_utc) AS latest_utc,
           duration_s
    FROM calls
    WHERE a_party IS NOT NULL AND b_party IS NOT NULL AND a_party <> b_party
    UNION ALL
    SELECT row_id, exhibit_id, COALESCE(message_type, 'message') AS medium, direction,
           a_party, b_party,
           sent_utc AS at_utc,
           COALESCE(sent_utc, sent_earliest_utc) AS earliest_utc,
           COALESCE(sent_utc, sent_latest_utc) AS latest_utc,
           CAST(NULL AS BIGINT) AS duration_s
    FROM messages
    WHERE a_party IS NOT NULL AND b_party IS NOT NULL AND a_party <> b_party
"""

_IN_PERIOD: Final = (
    "($since IS NULL OR latest_utc >= $since) AND ($until IS NULL OR earliest_utc < $until)"
)

#: A filter on the bound ``$same_event_seconds`` for a query of a table formed with the default
#: interval: asked for another, it returns nothing rather than wrong events (callers ask
#: :func:`precomputed` first).
TABLE_INTERVAL: Final = f"CAST($same_event_seconds AS DOUBLE) = {DEFAULT_SAME_EVENT_SECONDS!r}"


def precomputed(evidence: Evidence, same_event_seconds: float) -> bool:
    """Whether ``evidence`` offers the read copy's events formed with ``same_event_seconds``."""
    return ENDS_TABLE in evidence.derived and same_event_seconds == DEFAULT_SAME_EVENT_SECONDS


def contact_records_sql(where: str = "TRUE") -> str:
    """A query of contact records (one per evidence row), filtered by ``where``.

    ``where`` is SQL written by an analysis (never user text) over the record columns
    ``a_party``, ``b_party``, ``medium``, ``earliest_utc``, ``latest_utc`` with bound
    parameters; ``$since`` and ``$until`` (instants or ``NULL``) always apply: a record is in
    the window when its possible times overlap it.
    """
    return f"""
    SELECT * FROM ({_RECORDS}) AS contact
    WHERE {_IN_PERIOD} AND ({where})
    """


def _formed_sql(where: str, seconds: str) -> str:
    """Events formed from the records ``where`` selects (any period), matching records of
    different exhibits within ``seconds`` (a bound parameter or a literal)."""
    return f"""
    WITH records AS (SELECT * FROM ({_RECORDS}) AS contact WHERE {where}),
    ordered AS (
        SELECT *,
               LAG(at_utc) OVER pair AS previous_at,
               LAG(exhibit_id) OVER pair AS previous_exhibit
        FROM records
        WHERE at_utc IS NOT NULL
        WINDOW pair AS (PARTITION BY a_party, b_party, medium ORDER BY at_utc, exhibit_id, row_id)
    ),
    marked AS (
        SELECT *,
               CASE WHEN previous_at IS NULL
                      OR previous_exhibit = exhibit_id
                      OR epoch(at_utc) - epoch(previous_at) > {seconds}
                    THEN 1 ELSE 0 END AS starts
        FROM ordered
    ),
    numbered AS (
        SELECT *,
               SUM(starts) OVER (
                   PARTITION BY a_party, b_party, medium
                   ORDER BY at_utc, exhibit_id, row_id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
               ) AS event_number
        FROM marked
    ),
    exact_events AS (
        SELECT a_party, b_party, medium,
               MIN(at_utc) AS at_utc, MIN(at_utc) AS earliest_utc, MIN(at_utc) AS latest_utc,
               TRUE AS exact,
               MAX(duration_s) AS duration_s,
               COUNT(*) AS records,
               COUNT(DISTINCT exhibit_id) AS exhibits,
               LIST(row_id ORDER BY row_id) AS row_ids,
               LIST(DISTINCT exhibit_id ORDER BY exhibit_id) AS exhibit_ids,
               LIST(DISTINCT direction ORDER BY direction) AS directions
        FROM numbered
        GROUP BY a_party, b_party, medium, event_number
    ),
    inexact_events AS (
        SELECT a_party, b_party, medium,
               CAST(NULL AS TIMESTAMPTZ) AS at_utc, earliest_utc, latest_utc,
               FALSE AS exact,
               duration_s,
               1 AS records,
               1 AS exhibits,
               [row_id] AS row_ids,
               [exhibit_id] AS exhibit_ids,
               [direction] AS directions
        FROM records
        WHERE at_utc IS NULL
    )
    SELECT {EVENTS_COLUMNS} FROM exact_events
    UNION ALL
    SELECT {EVENTS_COLUMNS} FROM inexact_events
    """


def _both_ends(events: str) -> str:
    return f"""
    WITH both_ends AS MATERIALIZED ({events})
    SELECT a_party AS number, b_party AS other, 'made' AS role, {EVENTS_COLUMNS}
    FROM both_ends
    UNION ALL
    SELECT b_party AS number, a_party AS other, 'received' AS role, {EVENTS_COLUMNS}
    FROM both_ends
    """


def contact_events_sql(where: str = "TRUE", *, from_table: bool = False) -> str:
    """A query of contact events (see the module docstring) between the numbers ``where``
    selects, in the period; parameters ``$since``, ``$until`` and ``$same_event_seconds``.

    ``where`` is SQL written by an analysis (never user text) over ``a_party``, ``b_party`` and
    ``medium`` only: a filter on the parties keeps every record between the same two numbers
    together, so forming events after it is the same as forming them all and then filtering.
    With ``from_table`` (when :func:`precomputed` says so) the events are read from the read
    copy's :data:`ENDS_TABLE` instead of being formed.
    """
    if from_table:
        return f"""
        SELECT {EVENTS_COLUMNS} FROM {ENDS_TABLE}
        WHERE role = 'made' AND {TABLE_INTERVAL} AND {_IN_PERIOD} AND ({where})
        """
    return f"""
    SELECT * FROM ({_formed_sql(where, "$same_event_seconds")}) AS formed
    WHERE {_IN_PERIOD}
    """


def contact_ends_sql(numbers: str | None = None, *, from_table: bool = False) -> str:
    """A query of the ends of contact events in the period (columns :data:`ENDS_COLUMNS`):
    each event once for each of its numbers, or, with ``numbers`` (the name of a bound list
    parameter, ``$numbers``), once for each of its numbers in that list. Parameters as
    :func:`contact_events_sql`.
    """
    if from_table:
        chosen = "TRUE" if numbers is None else in_runs(numbers)
        return f"""
        SELECT {ENDS_COLUMNS} FROM {ENDS_TABLE}
        WHERE {TABLE_INTERVAL} AND {_IN_PERIOD} AND {chosen}
        """
    if numbers is None:
        return _both_ends(contact_events_sql())
    touching = f"list_contains({numbers}, a_party) OR list_contains({numbers}, b_party)"
    return f"""
    SELECT * FROM ({_both_ends(contact_events_sql(touching))}) AS ends
    WHERE list_contains({numbers}, number)
    """


def ends_table_sql() -> str:
    """The SELECT that fills the read copy's :data:`ENDS_TABLE`: every event's two ends,
    formed with :data:`DEFAULT_SAME_EVENT_SECONDS` over all records, sorted by ``number_key``
    (a hash of the number) so that one number's events are one run of rows."""
    formed = _formed_sql("TRUE", repr(DEFAULT_SAME_EVENT_SECONDS))
    return f"""
    SELECT {NUMBER_KEY}, * FROM ({_both_ends(formed)}) AS ends
    ORDER BY number_key, earliest_utc, other
    """
