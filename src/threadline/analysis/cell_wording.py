"""The words Threadline uses about cells: one place, so every finding, map and product agrees.

Cell-site evidence goes wrong in court through its words (domain.md §3.4). A mast standing near a
place was once treated as if the cell served that place, and a conviction was quashed (*R v
Calland*). So this module is the only place that phrases what a record says about a cell, and it
follows three rules:

* **Never "was at".** A record shows that a phone *used a cell*; it never states or implies that a
  phone was at a place (requirement 27). Where a place is named (a site name, an address), the
  words are "consistent with" the phone being in the area the cell served, and the place is
  called where the mast stands, not where the phone was. :data:`FORBIDDEN_PHRASES` lists the
  phrases no template may produce; tests (and other modules' tests) check them with
  :func:`forbidden_phrases`.
* **Data records are "at or before".** One data record can cover a long session, so the cell it
  names was used *at or before* the record's start time (its start cell) or end time (its end
  cell), not at it (requirement 26, the College of Policing wording).
* **The standard caveats go with it.** :data:`CELL_SITE_CAVEATS` is the list a product must carry
  (requirement 25), with :data:`CROWD_SOURCED_CAVEAT` added whenever a position is crowd-sourced
  (:func:`caveats`), and :data:`CO_LOCATION_CAVEAT` for any statement that two numbers shared a
  cell.

Times are UTC and labelled (requirement 22). This module is pure: no I/O, no mutable state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from threadline.analysis.wording import instant_phrase

__all__ = [
    "CELL_SITE_CAVEATS",
    "CO_LOCATION_CAVEAT",
    "CROWD_SOURCED",
    "CROWD_SOURCED_CAVEAT",
    "FORBIDDEN_PHRASES",
    "OPERATOR",
    "area_phrase",
    "caveats",
    "cell_label",
    "event_sentence",
    "forbidden_phrases",
    "time_phrase",
]

#: ``cell_sites.position_basis`` of an operator's cell list: the mast's position, a fact.
OPERATOR: Final = "operator"
#: ``cell_sites.position_basis`` of crowd-sourced data: an estimate, never a mast position.
CROWD_SOURCED: Final = "crowd-sourced-approximate"

#: Phrases that state or imply a phone was at a place (requirement 27); no template produces them.
FORBIDDEN_PHRASES: Final = (
    "was at",
    "were at",
    "at the location",
    "was located",
    "was present",
    "was in the vicinity",
)

#: The standard cell-site caveats (domain.md §3.4; requirement 25), in the order a product prints
#: them. Maps, schedules and reports reuse this list as it stands.
CELL_SITE_CAVEATS: Final = (
    "A cell serves an area, not a point: a phone using a cell may have been anywhere in the area "
    "that cell served, which can reach well beyond the mast and overlap other cells' areas.",
    "The best-serving cell is not always the nearest mast: terrain, buildings, antenna direction "
    "and network load decide which cell serves a phone.",
    "Networks change over time: cells are added, moved, re-tuned and renamed, so the cell "
    "reference data and any survey must be compared with the dates of the events.",
    "Absence of events is not absence of the phone: a phone that made no call, message or data "
    "use left no cell in the records.",
    "Data records and calls behave differently: a data record gives a cell used at or before its "
    "start (or end) time and may cover a long session; a call or message gives the cell that "
    "served it.",
    "Wi-Fi calling may record no cell, or a last-known cell, for a call or message.",
    "Attribution is a separate question: these records show the use of a number or handset, not "
    "who used it.",
    "Times are UTC, converted from each record's stated time basis; UK local time is one hour "
    "ahead of UTC during British Summer Time.",
    "Plotting a mast's position is fact; whether a phone was served from a particular place is "
    "opinion that needs coverage evidence (a radio survey) and an expert (R v Calland).",
    "Providers' record formats differ, including which cell (first or last) a record names.",
)

#: Added to the caveats whenever a cell's position is crowd-sourced.
CROWD_SOURCED_CAVEAT: Final = (
    "Crowd-sourced cell positions are approximate: they are centres of measurements made by "
    "volunteers' phones, not mast positions, and are not fit for court; use the operator's cell "
    "data."
)

#: For every statement that two numbers used the same cell or site.
CO_LOCATION_CAVEAT: Final = (
    "Being served by the same cell is consistent with being in the same area, not proof of "
    "being together: one cell can serve a wide area, and the two phones may have been far apart "
    "within it."
)


def forbidden_phrases(text: str) -> tuple[str, ...]:
    """The :data:`FORBIDDEN_PHRASES` found in ``text`` (case-insensitive); empty when none."""
    lowered = text.lower()
    return tuple(phrase for phrase in FORBIDDEN_PHRASES if phrase in lowered)


def caveats(crowd_sourced: bool) -> list[str]:
    """The standard caveats, with :data:`CROWD_SOURCED_CAVEAT` when a position is crowd-sourced."""
    out = list(CELL_SITE_CAVEATS)
    if crowd_sourced:
        out.append(CROWD_SOURCED_CAVEAT)
    return out


def cell_label(
    cell: str,
    site_name: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
) -> str:
    """``cell 234-30-1201-30451 (Riverside Exchange, 1 Quay Street, EX1 1AA)``; the bare cell
    when the reference data does not describe it."""
    parts = [p for p in (site_name, address, postcode) if p]
    return f"cell {cell} ({', '.join(parts)})" if parts else f"cell {cell}"


def area_phrase(position_basis: str | None, listed: bool) -> str:
    """What the cell's listed place means, in "consistent with" words (requirement 27).

    ``listed`` says whether the cell is in the cell reference data at all.
    """
    if not listed:
        return (
            "The cell is not in the cell reference data, so no site is named for it; the records "
            "are consistent with the phone being in the area the cell served, wherever that was."
        )
    if position_basis == CROWD_SOURCED:
        return (
            "This is consistent with the phone being in the area the cell served. The cell's "
            "position is a crowd-sourced approximation, not the operator's mast position."
        )
    return (
        "This is consistent with the phone being in the area the cell served; the site named is "
        "where the mast stands, not a position of the phone."
    )


def time_phrase(at: datetime | None, earliest: datetime | None, latest: datetime | None) -> str:
    """``2024-06-01 09:12:00 UTC``, or for a time not known exactly ``a time between A and B
    (not known exactly)`` (requirement 22: the time is never guessed)."""
    if at is not None:
        return instant_phrase(at)
    if earliest is not None and latest is not None:
        return (
            f"a time between {instant_phrase(earliest)} and {instant_phrase(latest)} "
            "(not known exactly)"
        )
    return "a time not recorded"


_MESSAGE_WORDS: Final = {"sms": "the SMS", "mms": "the MMS", "im": "the instant message"}


def event_sentence(
    medium: str,
    phases: Sequence[str],
    label: str,
    start: str,
    end: str | None = None,
) -> str:
    """One record's use of a cell in the approved words.

    Args:
        medium: ``call``, ``sms``, ``mms``, ``im``, ``message`` or ``data``.
        phases: which of the record's cells this is: ``start`` and/or ``end`` (calls and data),
            ``sent`` (messages).
        label: the cell as :func:`cell_label` writes it.
        start: the record's start (or send) time, as :func:`time_phrase` writes it.
        end: its end time, where known (calls and data records).

    Calls and messages: "the phone used cell X (...) for the call at T". Data records: "the
    device used cell X (...) at or before the start time of the record, T" (requirement 26).
    """
    has_start = "start" in phases
    has_end = "end" in phases
    if medium == "data":
        if has_start and has_end:
            return (
                f"the device used {label} at or before the start time of the data record, "
                f"{start}, and at or before its end time, {end or 'not recorded'}"
            )
        if has_end:
            return (
                f"the device used {label} at or before the end time of the data record, "
                f"{end or 'not recorded'} (the record started at {start})"
            )
        return f"the device used {label} at or before the start time of the data record, {start}"
    if medium == "call":
        if has_start and has_end:
            return f"the phone used {label} for the call at {start} (at its start and its end)"
        if has_end:
            return (
                f"the phone used {label} for the call at {start} (at its end, "
                f"{end or 'time not recorded'})"
            )
        return f"the phone used {label} for the call at {start} (at its start)"
    what = _MESSAGE_WORDS.get(medium, "the message")
    return f"the phone used {label} for {what} at {start}"
