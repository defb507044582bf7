"""Directions of travel as ANPR exports and camera lists write them, read into one vocabulary.

Exports say which way a vehicle was going in many ways: compass codes (``N``, ``SW``), words
(``Northbound``, ``South West``), or only relative to the camera (``Towards``, ``Away``); camera
lists say which carriageway a camera watches, sometimes ``Both``. Analyses compare directions, so
each is read into a small canonical vocabulary and the text as written is kept beside it
(``direction_original``). A value outside the vocabulary is never guessed: the canonical column is
left empty and an issue names the value; a mapping file can say what a layout's own codes mean
(``directions:``, see ``docs/parsers/anpr.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CAMERA_DIRECTIONS",
    "COMPASS",
    "READ_DIRECTIONS",
    "Direction",
    "direction_key",
]

#: The canonical directions: the eight compass points, movement relative to the camera, and (for
#: a camera's carriageway) both ways.
Direction = Literal["N", "NE", "E", "SE", "S", "SW", "W", "NW", "towards", "away", "both"]

_FOLD: Final = re.compile(r"[\s\-_.]+")

_POINTS: Final[tuple[tuple[Direction, str], ...]] = (
    ("N", "NORTH"),
    ("NE", "NORTHEAST"),
    ("E", "EAST"),
    ("SE", "SOUTHEAST"),
    ("S", "SOUTH"),
    ("SW", "SOUTHWEST"),
    ("W", "WEST"),
    ("NW", "NORTHWEST"),
)


def direction_key(text: str) -> str:
    """The form directions are looked up in: upper case without spaces, hyphens, underscores or
    dots (``north-east bound`` -> ``NORTHEASTBOUND``)."""
    return _FOLD.sub("", text).upper()


def _compass() -> dict[str, Direction]:
    out: dict[str, Direction] = {}
    for code, word in _POINTS:
        for spelling in (code, f"{code}B", word, f"{word}BOUND"):
            out[spelling] = code
    return out


#: Compass codes and words (``N``, ``NB``, ``North``, ``Northbound``; ``NE``, ``North East``...),
#: keyed by :func:`direction_key`.
COMPASS: Final[Mapping[str, Direction]] = MappingProxyType(_compass())

#: What a read's direction may say without a mapping: a compass point, or towards or away from the
#: camera.
READ_DIRECTIONS: Final[Mapping[str, Direction]] = MappingProxyType(
    {
        **COMPASS,
        "TOWARDS": "towards",
        "TOWARDSCAMERA": "towards",
        "APPROACHING": "towards",
        "AWAY": "away",
        "AWAYFROMCAMERA": "away",
        "RECEDING": "away",
    }
)

#: What a camera list's carriageway direction may say: a compass point, or both ways.
CAMERA_DIRECTIONS: Final[Mapping[str, Direction]] = MappingProxyType(
    {**COMPASS, "BOTH": "both", "BOTHWAYS": "both", "BIDIRECTIONAL": "both"}
)
