"""A party's columns when the source says which country a number was dialled in.

iOS call history records the ISO country code of the network at the time of the call
(``ZISO_COUNTRY_CODE``). A number written in national form (``9195550123``) is read in that
country, not in the exhibit's default region, so it normalises to the right E.164 number
(requirement 59); the original is always kept beside it.
"""

from __future__ import annotations

import re
from typing import Any, Final

from threadline.ingest.rows import RowWriter
from threadline.model.phone import normalise_phone

__all__ = ["party_in_country"]

_REGION: Final = re.compile(r"^[A-Za-z]{2}$")


def party_in_country(
    writer: RowWriter, prefix: str, raw: str | None, country: str | None
) -> dict[str, Any]:
    """``<prefix>`` and ``<prefix>_original`` for ``raw``, read in ``country`` when it is an ISO
    3166 alpha-2 code; e-mail addresses and other identifiers as :meth:`RowWriter.party`."""
    if raw is None or not raw.strip() or "@" in raw or country is None:
        return writer.party(prefix, raw)
    if not _REGION.match(country.strip()):
        return writer.party(prefix, raw)
    parsed = normalise_phone(raw, country.strip().upper())
    if parsed.e164 is None:
        # a code the number library does not know: fall back to the exhibit's region
        return writer.party(prefix, raw)
    return {prefix: parsed.e164, f"{prefix}_original": raw}
