"""Words the network analyses share: ordinals, lists of exhibits and the missing-data caveat.

Requirement 56: every key-player ranking shows where its data came from and that data are
missing; requirement 44: a network score is decision support with its reasons, never a label.
The caveat is written once here so that every network finding says it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["listing", "missing_data_caveat", "ordinal", "sources_phrase"]

_CAVEAT: Final = (
    "The network is only what the {exhibits} analysed {hold} ({references}): numbers and "
    "handsets that were not seized, or whose communications data were not requested, are "
    "missing, and contact with them would change every figure here. Centrality, brokerage and "
    "group membership are leads for an analyst, never evidence of anyone's role."
)


def missing_data_caveat(references: Sequence[str]) -> str:
    """The caveat that ends every network finding's explanation (requirements 44 and 56;
    domain.md §6.2), naming the exhibits the whole network was built from."""
    one = len(references) == 1
    return _CAVEAT.format(
        exhibits="exhibit" if one else f"{len(references)} exhibits",
        hold="holds" if one else "hold",
        references=listing(sorted(references), most=20),
    )


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``, ``112th``."""
    if n % 100 in (11, 12, 13):
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def listing(items: Sequence[str], *, most: int = 10) -> str:
    """``a, b, c`` (at most ``most`` named, then ``and 4 more``)."""
    if len(items) <= most:
        return ", ".join(items)
    return f"{', '.join(items[:most])} and {len(items) - most} more"


def sources_phrase(records: int, references: Sequence[str]) -> str:
    """``412 record(s) in 3 exhibit(s) (JB/1, JB/2, JB/3)``: where a figure comes from."""
    return (
        f"{records} record(s) in {len(references)} exhibit(s) "
        f"({listing(sorted(references), most=20)})"
    )
