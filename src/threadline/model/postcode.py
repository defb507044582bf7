"""UK postcodes: format validation and normalisation to ``OUTWARD INWARD`` (domain.md §7.6;
requirement 62).

The outward code is an area (one or two letters), a district digit and an optional sub-district
character; the inward code is a sector digit and two unit letters, never C, I, K, M, O or V.
``GIR 0AA`` is the one historic exception. Shaped like a postcode is not the same as existing:
existence needs a lookup in open postcode data, which is not done here.
"""

from __future__ import annotations

import re

_POSTCODE = re.compile(
    r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})$|^GIR0AA$"
)


def normalise_postcode(text: str) -> str | None:
    """Return a UK postcode as ``OUTWARD INWARD`` (``zy1  2ab`` → ``ZY1 2AB``), or ``None``.

    Spaces are removed and one is put back before the last three characters (ONSPD's ``pcds``
    form, formats.md §12). ``None`` means the text is not shaped like a postcode.
    """
    compact = "".join(text.split()).upper()
    if _POSTCODE.match(compact) is None:
        return None
    return f"{compact[:-3]} {compact[-3:]}"
