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

The SQL is standard (window functions, ``LAG`` and running sums) so that it runs unchanged on
another engine; parameters are named and bound (``$name``), never pasted into the text.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EVENTS_COLUMNS", "contact_events_sql", "contact_records_sql"]

#: The columns of the events relation :func:`contact_events_sql` defines.
EVENTS_COLUMNS: Final = (
    "a_party, b_party, medium, at_utc, earliest_utc, latest_utc, exact, duration_s, "
    "records, exhibits, row_ids, exhibit_ids, directions"
)

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


def contact_records_sql(where: str = "TRUE") -> str:
    """A query of contact records (one per evidence row), filtered by ``where``.

    ``where`` is SQL written by an analysis (never user text) over the record columns
    ``a_party``, ``b_party``, ``medium``, ``earliest_utc``, ``latest_utc`` with bound
    parameters; ``$since`` and ``$until`` (instants or ``NULL``) always apply: a record is in
    the window when its possible times overlap it.
    """
    return f"""
    SELECT * FROM ({_RECORDS}) AS contact
    WHERE ($since IS NULL OR latest_utc >= $since)
      AND ($until IS NULL OR earliest_utc < $until)
      AND ({where})
    """


def contact_events_sql(where: str = "TRUE") -> str:
    """A query of contact events (see the module docstring) over the records ``where``
    selects; parameters ``$since``, ``$until`` and ``$same_event_seconds``.

    A filter on the parties keeps every record between the same two numbers together, so
    grouping after it is the same as grouping all records and then filtering.
    """
    return f"""
    WITH records AS ({contact_records_sql(where)}),
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
                      OR epoch(at_utc) - epoch(previous_at) > $same_event_seconds
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
