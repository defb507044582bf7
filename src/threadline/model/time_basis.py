"""The declared time basis of a source, and local-to-UTC conversion that never guesses.

Some operators supply call data in UTC, others in UK local time, and roaming records may use the
serving network's local time or a fixed UTC offset (domain brief §7.8). Each file therefore carries
a declared *time basis* (requirement 21), and every timestamp is stored in UTC beside its original
string (requirement 22).

Converting local wall-clock time to UTC is not always possible exactly. In the UK, clocks go forward
at 01:00 UTC on the last Sunday in March, so local times from 01:00 to 01:59 that day never happen
(the *gap*), and back at 01:00 UTC on the last Sunday in October, so 01:00 to 01:59 local happens
twice (the *repeated hour*). Requirement 22 says these MUST be handled and flagged, never guessed
silently, so :func:`resolve_local` returns both candidate instants and a :class:`TimeStatus`
instead of choosing one:

* repeated hour, e.g. 2026-10-25 01:30 local: earliest 00:30 UTC (read as BST), latest 01:30 UTC
  (read as GMT), status ambiguous;
* gap, e.g. 2026-03-29 01:30 local: earliest 00:30 UTC (read as BST), latest 01:30 UTC (read as
  GMT), status nonexistent.

:func:`offsets_for_local` exposes the same decision as a pair of UTC offsets, so a vectorised
caller can decide once per distinct local minute and apply the offsets to many rows.
:func:`uk_local` turns a UTC instant back into UK wall-clock time labelled GMT or BST, for displays.

Zone rules come from :mod:`zoneinfo` (the ``tzdata`` package supplies them where the system has
none). This module is pure: no I/O beyond reading zone rules, no mutable module state.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Final

from threadline.errors import ConfigError

__all__ = [
    "LONDON",
    "ResolvedInstant",
    "TimeBasis",
    "TimeStatus",
    "offsets_for_local",
    "parse_time_basis",
    "resolve_local",
    "uk_local",
]

#: The UK's zone: GMT in winter, BST (UTC+1) in summer.
LONDON: Final = zoneinfo.ZoneInfo("Europe/London")

#: Spellings of UTC and of UK local time (compared in lower case).
_UTC_NAMES: Final = frozenset({"utc", "z", "etc/utc", "zulu"})
_LONDON_NAMES: Final = frozenset({"europe-london", "europe/london"})

#: Names refused because they are ambiguous in UK usage: "GMT" is often written for UK local
#: time (GMT in winter, BST in summer), "BST" names a season, not a basis, and "local" does not
#: say where.
_AMBIGUOUS_NAMES: Final = frozenset({"gmt", "bst", "local"})

#: Fixed offsets: ``utc+4``, ``UTC+04:00``, ``+01:00``, ``+0100``, ``GMT-7``.
_FIXED_OFFSET: Final = re.compile(
    r"^(?:(?:utc|gmt)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE | re.ASCII
)

_MAX_OFFSET: Final = timedelta(hours=14)

_ACCEPTED_FORMS: Final = (
    "accepted forms: 'UTC' (or 'Z'); 'europe-london' for UK local time (GMT/BST); an IANA zone "
    "name such as 'Europe/Paris'; a fixed offset such as 'UTC+4', 'UTC+04:00', '+01:00' or "
    "'GMT-7'"
)


@dataclass(frozen=True, slots=True)
class TimeBasis:
    """The time basis a source's timestamps are written in.

    Attributes:
        name: the canonical name: ``UTC``, an IANA zone name (``Europe/London``) or a fixed offset
            (``UTC+04:00``).
        zone: the :class:`datetime.tzinfo` that applies the basis.
    """

    name: str
    zone: tzinfo

    @property
    def is_utc(self) -> bool:
        """Whether timestamps on this basis are already UTC."""
        return self.name == "UTC"


#: Years a source's timestamps may plausibly carry; outside them a date is a placeholder.
PLAUSIBLE_YEARS: Final = (1900, 2099)


class TimeStatus(StrEnum):
    """How exactly a timestamp could be placed in UTC."""

    EXACT = "exact"
    """One instant: the local time occurs exactly once."""

    AMBIGUOUS = "ambiguous"
    """The local time occurs twice: the repeated hour when clocks go back."""

    NONEXISTENT = "nonexistent"
    """The local time never occurs: the gap when clocks go forward."""

    UNPARSED = "unparsed"
    """The original string could not be read as a date and time (set by parsers, not here)."""

    OUT_OF_RANGE = "out_of_range"
    """The text parsed, but the year is outside :data:`PLAUSIBLE_YEARS`: a placeholder such as
    01/01/0001 or 31/12/9999, kept as written and never placed in UTC."""

    ZONE_UNKNOWN = "zone_unknown"
    """A wall-clock time whose source gives no zone (an XRY time without ``UTC+n``, a photo's
    EXIF time): the range spans every zone in use, UTC-12 to UTC+14, and no instant is chosen."""


@dataclass(frozen=True, slots=True)
class ResolvedInstant:
    """The UTC instant, or the two candidate instants, for one local timestamp.

    Attributes:
        earliest: the earliest UTC instant the local time can mean (aware, in UTC).
        latest: the latest UTC instant it can mean (aware, in UTC); equal to ``earliest`` when
            exact.
        status: exact, ambiguous or nonexistent.
    """

    earliest: datetime
    latest: datetime
    status: TimeStatus

    @property
    def utc(self) -> datetime | None:
        """The UTC instant when exact, otherwise ``None`` (the caller must not pick one)."""
        return self.earliest if self.status is TimeStatus.EXACT else None


def _format_offset(offset: timedelta) -> str:
    total_minutes = int(offset.total_seconds()) // 60
    sign = "+" if total_minutes >= 0 else "-"
    hours, minutes = divmod(abs(total_minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _fixed_offset(match: re.Match[str], text: str) -> TimeBasis:
    sign, hours_text, minutes_text = match.groups()
    hours = int(hours_text)
    minutes = int(minutes_text) if minutes_text else 0
    if minutes >= 60:
        raise ConfigError(f"time basis {text!r}: minutes must be below 60; {_ACCEPTED_FORMS}")
    offset = timedelta(hours=hours, minutes=minutes)
    if offset > _MAX_OFFSET:
        raise ConfigError(f"time basis {text!r}: offsets run from -14:00 to +14:00")
    if sign == "-":
        offset = -offset
    if not offset:
        return TimeBasis("UTC", UTC)
    name = _format_offset(offset)
    return TimeBasis(name, timezone(offset, name))


def _iana_zone(text: str) -> TimeBasis | None:
    """Find an IANA zone by exact name, else by case-insensitive name; ``None`` if none."""
    try:
        return TimeBasis(text, zoneinfo.ZoneInfo(text))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    wanted = text.casefold()
    for name in zoneinfo.available_timezones():
        if name.casefold() == wanted:
            return TimeBasis(name, zoneinfo.ZoneInfo(name))
    return None


def parse_time_basis(text: str) -> TimeBasis:
    """Read a declared time basis.

    Args:
        text: ``UTC``/``utc``/``Z``; ``europe-london`` (UK local time, GMT in winter and BST in
            summer); any IANA zone name (``Europe/Paris``, matched case-insensitively); or a fixed
            offset (``utc+4``, ``UTC+04:00``, ``+01:00``, ``+0100``, ``GMT-7``).

    Returns:
        The :class:`TimeBasis`. Zero offsets (``UTC+0``, ``+00:00``) give the ``UTC`` basis.

    Raises:
        ConfigError: if the text is not one of the accepted forms, or is bare ``GMT``/``BST``,
            which UK sources use loosely for local time and so must be declared explicitly.
    """
    cleaned = text.strip()
    lowered = cleaned.lower()
    if lowered in _UTC_NAMES:
        return TimeBasis("UTC", UTC)
    if lowered in _LONDON_NAMES:
        return TimeBasis("Europe/London", LONDON)
    if lowered in _AMBIGUOUS_NAMES:
        raise ConfigError(
            f"time basis {text!r} is ambiguous (UK sources write it for local time): declare "
            f"'UTC' or 'europe-london'; {_ACCEPTED_FORMS}"
        )
    fixed = _FIXED_OFFSET.match(cleaned)
    if fixed:
        return _fixed_offset(fixed, text)
    if cleaned and not cleaned.startswith(("+", "-")):
        basis = _iana_zone(cleaned)
        if basis is not None:
            return basis
    raise ConfigError(f"unknown time basis {text!r}; {_ACCEPTED_FORMS}")


def offsets_for_local(naive: datetime, basis: TimeBasis) -> tuple[timedelta, timedelta, TimeStatus]:
    """Return the UTC offsets giving the earliest and latest instants for a local time.

    The earliest instant is ``naive - earliest_offset`` and the latest ``naive - latest_offset``.
    The offsets depend only on the wall-clock time, so a caller converting many rows can compute
    them once per distinct local minute.

    Args:
        naive: the wall-clock time as written in the source, without a time zone.
        basis: the source's declared time basis.

    Returns:
        ``(earliest_offset, latest_offset, status)``; the two offsets are equal when exact.

    Raises:
        ValueError: if ``naive`` carries a time zone already.
    """
    if naive.tzinfo is not None:
        raise ValueError(f"expected a naive local time, got {naive.isoformat()}")
    first = naive.replace(tzinfo=basis.zone, fold=0)
    second = naive.replace(tzinfo=basis.zone, fold=1)
    first_offset = first.utcoffset()
    second_offset = second.utcoffset()
    if first_offset is None or second_offset is None:
        raise ValueError(f"time basis {basis.name} gives no UTC offset for {naive.isoformat()}")
    if first_offset == second_offset:
        return first_offset, first_offset, TimeStatus.EXACT
    # The larger offset gives the earlier UTC instant. In the repeated hour both readings happen;
    # in the gap neither does, which a round trip through UTC reveals (the wall time moves).
    earliest_offset = max(first_offset, second_offset)
    latest_offset = min(first_offset, second_offset)
    round_trip = (naive - first_offset).replace(tzinfo=UTC).astimezone(basis.zone)
    exists = round_trip.replace(tzinfo=None, fold=0) == naive
    status = TimeStatus.AMBIGUOUS if exists else TimeStatus.NONEXISTENT
    return earliest_offset, latest_offset, status


def resolve_local(naive: datetime, basis: TimeBasis) -> ResolvedInstant:
    """Place a local wall-clock time in UTC, flagging the gap and the repeated hour.

    Args:
        naive: the wall-clock time as written in the source, without a time zone.
        basis: the source's declared time basis.

    Returns:
        A :class:`ResolvedInstant` with aware UTC ``earliest`` and ``latest``. For the UK repeated
        hour (2026-10-25 01:30 local) these are 00:30 UTC (BST) and 01:30 UTC (GMT), status
        ambiguous; for the gap (2026-03-29 01:30 local) 00:30 UTC and 01:30 UTC, status
        nonexistent.

    Raises:
        ValueError: if ``naive`` carries a time zone already.
    """
    earliest_offset, latest_offset, status = offsets_for_local(naive, basis)
    earliest = (naive - earliest_offset).replace(tzinfo=UTC)
    latest = (naive - latest_offset).replace(tzinfo=UTC)
    return ResolvedInstant(earliest, latest, status)


def uk_local(utc: datetime) -> tuple[datetime, str]:
    """Return UK wall-clock time for a UTC instant, with its label ``GMT`` or ``BST``.

    Args:
        utc: an aware instant (any zone; normally UTC).

    Returns:
        ``(local, label)``: the aware Europe/London time and ``"BST"`` when summer time applies,
        otherwise ``"GMT"``. In the repeated hour the GMT reading has ``fold=1``; note that Python
        (PEP 495) then treats it as unequal to every instant in another zone, so compare
        instants in UTC, not the returned local value.

    Raises:
        ValueError: if ``utc`` is naive: a naive value's zone would have to be guessed.
    """
    if utc.tzinfo is None or utc.utcoffset() is None:
        raise ValueError(f"expected an aware instant, got naive {utc.isoformat()}")
    local = utc.astimezone(LONDON)
    summer = local.dst()
    return local, "BST" if summer else "GMT"


@dataclass(frozen=True, slots=True)
class LocalSegment:
    """A stretch of local wall-clock time with one way of reading it.

    From ``start`` (naive local time, inclusive) until the next segment's start, a local time
    ``t`` reads as ``t - earliest_offset`` .. ``t - latest_offset`` in UTC, with ``status``.
    """

    start: datetime
    earliest_offset: timedelta
    latest_offset: timedelta
    status: TimeStatus


def _transitions(
    zone: tzinfo, begin: datetime, end: datetime
) -> list[tuple[datetime, timedelta, timedelta]]:
    """UTC instants in [begin, end) where the zone's offset changes: (instant, before, after).

    Scans hour by hour and narrows each change to the second; every real-world transition is at
    least a day from the next, so no change is missed.
    """
    found: list[tuple[datetime, timedelta, timedelta]] = []
    step = timedelta(hours=1)

    def offset(moment: datetime) -> timedelta:
        value = moment.astimezone(zone).utcoffset()
        if value is None:  # pragma: no cover - every tzinfo here gives offsets
            raise ValueError("time zone gives no UTC offset")
        return value

    moment = begin
    current = offset(moment)
    while moment < end:
        following = moment + step
        after = offset(following)
        if after != current:
            low, high = moment, following  # offset(low) == current, offset(high) == after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            found.append((high, current, after))
            current = after
        moment = following
    return found


@functools.lru_cache(maxsize=32)
def local_segments(basis: TimeBasis, first_year: int, last_year: int) -> tuple[LocalSegment, ...]:
    """Every way of reading local times from ``first_year`` to ``last_year``, as segments.

    A vectorised caller converts many local times by finding each one's segment (a sorted
    search on ``start``) instead of asking the zone row by row; :func:`offsets_for_local` gives
    the same answer for a single time, and tests check the two agree.

    For a change at UTC instant T from offset o1 to o2: if clocks go forward (o2 > o1), local
    times in [T+o1, T+o2) do not exist and read as ``t - o2`` .. ``t - o1``; if clocks go back
    (o2 < o1), local times in [T+o2, T+o1) happen twice and read as ``t - o1`` .. ``t - o2``.
    """
    low, high = PLAUSIBLE_YEARS
    if not (low <= first_year <= last_year <= high):
        raise ValueError(f"years {first_year}–{last_year} are outside {low}–{high}")
    begin = datetime(first_year - 1, 12, 31, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 2, tzinfo=UTC)
    first_offset = begin.astimezone(basis.zone).utcoffset()
    if first_offset is None:  # pragma: no cover - every tzinfo here gives offsets
        raise ValueError(f"time basis {basis.name} gives no UTC offset")
    segments = [LocalSegment(datetime.min, first_offset, first_offset, TimeStatus.EXACT)]
    for instant, before, after in _transitions(basis.zone, begin, end):
        at = instant.replace(tzinfo=None)
        if after > before:
            segments.append(LocalSegment(at + before, after, before, TimeStatus.NONEXISTENT))
        else:
            segments.append(LocalSegment(at + after, before, after, TimeStatus.AMBIGUOUS))
        segments.append(LocalSegment(at + max(before, after), after, after, TimeStatus.EXACT))
    # a pure function of immutable inputs, so its result is memoised and returned as a tuple
    return tuple(segments)


#: UK local time (GMT/BST), the basis dates and times typed by people are read in.
UK_LOCAL = TimeBasis("Europe/London", LONDON)


def uk_instant(text: str, option: str, *, end_of_day: bool = False) -> datetime:
    """Read an ISO date or date-time a person typed (command line, web form) as a UTC instant.

    A date alone is a whole day of UK local time: its start, or with ``end_of_day`` its last
    microsecond, so ``--authorised-to 2026-11-15`` covers every event on the 15th. A date-time
    without an offset is UK local time too (GMT or BST as the date requires), as investigators
    and authorisations write it; ``Z`` or an offset such as ``+01:00`` is honoured as given.

    Args:
        text: what was typed.
        option: the option or field it was typed into, named in an error.
        end_of_day: a date alone means its last microsecond rather than its first.

    Raises:
        ConfigError: the text is not an ISO date or date-time, or names a UK local time that
            occurs twice (clocks going back) or never (clocks going forward).
    """
    cleaned = text.strip()
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        day = None
    if day is not None:
        local = datetime.combine(day, time.max if end_of_day else time.min)
    else:
        try:
            moment = datetime.fromisoformat(cleaned)
        except ValueError as exc:
            raise ConfigError(
                f"{option}: {text!r} is not an ISO date or date-time (e.g. 2026-06-01 or "
                "2026-06-01T14:30, UK local time, or 2026-06-01T13:30Z)"
            ) from exc
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
        local = moment
    resolved = resolve_local(local, UK_LOCAL)
    if resolved.utc is None:
        happens = "twice" if resolved.status is TimeStatus.AMBIGUOUS else "never"
        raise ConfigError(
            f"{option}: {text!r} happens {happens} in UK local time (the clocks change then); "
            "give an offset, e.g. +01:00 for BST or Z for GMT"
        )
    return resolved.utc
