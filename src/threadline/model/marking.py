"""Government Security Classifications markings (domain.md §1.8; requirements 8–10).

A case, exhibit and product each carry a marking. OFFICIAL-SENSITIVE is the default for
intelligence and victim data. SECRET and above are refused unless the deployment is accredited for
them (requirement 10).
"""

from __future__ import annotations

from enum import StrEnum

from threadline.errors import ConfigError, PermissionDenied


class Marking(StrEnum):
    """A GSC marking, ordered from least to most sensitive."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
    SECRET = "SECRET"
    TOP_SECRET = "TOP SECRET"

    @property
    def rank(self) -> int:
        """Position in the sensitivity order (0 is least sensitive)."""
        return list(Marking).index(self)


DEFAULT_MARKING = Marking.OFFICIAL_SENSITIVE


def parse_marking(text: str, *, accredited_above_official: bool = False) -> Marking:
    """Return the marking spelt by ``text`` (case and separators are forgiven).

    Args:
        text: for example ``OFFICIAL-SENSITIVE``, ``official sensitive``.
        accredited_above_official: whether this deployment may hold SECRET material.

    Raises:
        ConfigError: the text names no GSC marking (legacy GPMS markings such as RESTRICTED are
            not relabelled silently; they must be mapped by a person).
        PermissionDenied: SECRET or TOP SECRET on a deployment not accredited for it.
    """
    folded = " ".join(text.replace("-", " ").replace("_", " ").upper().split())
    by_folded = {m.value.replace("-", " "): m for m in Marking}
    marking = by_folded.get(folded)
    if marking is None:
        choices = ", ".join(m.value for m in Marking)
        raise ConfigError(f"unknown marking {text!r}: expected one of {choices}")
    if marking.rank >= Marking.SECRET.rank and not accredited_above_official:
        raise PermissionDenied(
            f"{marking.value} material is refused: this deployment is not accredited above "
            "OFFICIAL (requirement 10)"
        )
    return marking
