"""One XRY record as a list of fields, the shape both XRY exports are read into.

An XRY text export entity is a list of ``Key: Value`` lines, some qualified by a preceding
namespace line (``From``, ``To``, ``Participant``); an XRY XML item is a list of ``<property
type="...">`` values. Both become :class:`Field` values with a normalised key, so one mapping
(:mod:`threadline.ingest.parsers.xry.records`) turns either into canonical rows.

Pure: no I/O, no mutable module state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["NAMESPACES", "Field", "normalise_key"]

#: Namespace lines of older XRY versions: they qualify the ``Tel:``/``Number:``/``Name:`` lines
#: that follow them (formats.md §2a).
NAMESPACES: Final = frozenset({"from", "to", "participant"})


def normalise_key(label: str) -> str:
    """A key as compared: lower case, ``_`` read as a space, runs of spaces made one.

    ``Name (Matched)`` -> ``name (matched)``; ``CASE_REFERENCE`` -> ``case reference``.
    """
    return " ".join(label.replace("_", " ").lower().split())


@dataclass(frozen=True, slots=True)
class Field:
    """One value of a record.

    Attributes:
        key: the normalised key (:func:`normalise_key`).
        label: the key exactly as written, for issues.
        value: the value as written (the text after the key's separator).
        namespace: ``from``, ``to``, ``participant`` or empty.
    """

    key: str
    label: str
    value: str
    namespace: str = ""
