"""Party columns for app identifiers that are not phone numbers.

Apps name people by user names (Kik ``ken.doh``), account ids (Tango ``sw9dX9KKt9JIhOxd2Kkv9Q``)
or numeric user ids (imo ``2000810370507916``). These are kept only as originals: read as phone
numbers they would give false E.164 forms (a 16-digit imo id is not a UK number), and a false
number is worse than none (requirement 59). Real phone numbers go through
:meth:`~threadline.ingest.rows.RowWriter.party`.
"""

from __future__ import annotations

from typing import Any

from threadline.ingest.rows import RowWriter
from threadline.model.phone import normalise_phone

__all__ = ["number_party", "user_party"]


def user_party(prefix: str, identifier: str | None) -> dict[str, Any]:
    """``<prefix>`` empty and ``<prefix>_original`` the identifier as the app wrote it."""
    return {prefix: None, f"{prefix}_original": identifier or None}


def number_party(
    writer: RowWriter, prefix: str, original: str | None, e164: str | None = None
) -> dict[str, Any]:
    """A phone number: ``<prefix>_original`` as displayed, ``<prefix>`` its E.164 form.

    ``e164`` is the app's own international form of the same number (Viber's
    ``canonized_number``); it is preferred for the E.164 column because a national form is
    otherwise read in the exhibit's default numbering plan.
    """
    if e164 is not None and e164.strip().startswith("+"):
        parsed = normalise_phone(e164, writer.region)
        if parsed.e164 is not None:
            return {prefix: parsed.e164, f"{prefix}_original": original or e164}
    return writer.party(prefix, original)
