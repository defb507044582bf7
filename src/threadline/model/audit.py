"""The vocabulary of the audit log (DPA 2018 s62; domain.md §4.2; requirements 12–15)."""

from __future__ import annotations

from enum import StrEnum


class AuditOperation(StrEnum):
    """The six kinds of processing s62 requires a log of."""

    COLLECTION = "collection"
    CONSULTATION = "consultation"
    ALTERATION = "alteration"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


#: Operations for which a justification may be made mandatory by force policy (requirement 13).
JUSTIFIABLE = frozenset({AuditOperation.CONSULTATION, AuditOperation.DISCLOSURE})
