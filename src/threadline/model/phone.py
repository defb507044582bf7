"""Telephone number normalisation to E.164, with UK ranges classified the way investigators need.

Call data, handset extractions and statements write the same number in many ways: ``07700 900123``,
``+44 (0)7700 900123``, ``00447700900123``, ``447700900123`` or, after a spreadsheet has eaten the
leading zero, ``7700900123``. Matching needs one form, E.164 (``+447700900123``), with the original
kept beside it (requirement 59). Parsing and validation are done by the ``phonenumbers`` library;
this module adds what it does not know or what investigators need said differently:

* **Classification of UK ranges** (domain brief §7.1): 070 is *personal numbering*, not a mobile;
  07624 (and the other Isle of Man mobile ranges) is :attr:`PhoneKind.ISLE_OF_MAN_MOBILE`; 076 is
  pagers. These are enforced here whatever the library's metadata says.
* **Ofcom drama numbers** (:data:`DRAMA_RANGES`): ranges Ofcom reserves for TV and radio drama and
  never allocates. ``phonenumbers`` reports them as invalid, but every synthetic fixture uses them
  (requirement 66), so they are recognised from the table as valid and ``fictional``.
* **Values that are not numbers**: withheld/private markers, alphanumeric SMS sender ids
  (``CoopMobile``), short codes (999, 112, 101, 111, 116xxx, other 3–6 digit codes) and network
  service codes (``*100#``). These get a kind and no E.164 form.
* **Spreadsheet damage**: a 10-digit value starting 7, or a 9- or 10-digit value starting 1 or 2,
  is a UK number that lost its leading zero; the zero is restored and the fact noted. Other
  first digits are left alone rather than guessed at.

:func:`normalise_phone` is called once per *distinct* value during ingest (hundreds of thousands of
times), so everything that can be prepared once is prepared at import: compiled patterns and
immutable tables. UK numbers are checked against the drama table and the library's metadata
without re-parsing text.

This module is pure: no I/O, no mutable module state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

__all__ = [
    "DRAMA_RANGES",
    "NOTE_FICTIONAL",
    "NOTE_LEADING_ZERO",
    "NOTE_TRUNK_ZERO",
    "PhoneKind",
    "PhoneNumber",
    "normalise_phone",
]


class PhoneKind(StrEnum):
    """What kind of number (or non-number) a value is."""

    MOBILE = "mobile"
    FIXED = "fixed"
    PERSONAL = "personal"
    """UK 070 personal numbering: a forwarding service, NOT a mobile (requirement 59)."""
    PAGER = "pager"
    ISLE_OF_MAN_MOBILE = "isle_of_man_mobile"
    """Isle of Man mobiles (07624 and the other Manx ranges), on +44."""
    FREEPHONE = "freephone"
    PREMIUM = "premium"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    UAN = "uan"
    """Universal access / non-geographic numbers at geographic rates (UK 03)."""
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"
    """An SMS sender id made of letters (``CoopMobile``); not dialable."""
    WITHHELD = "withheld"
    """No number: withheld, private, unknown, anonymous or empty."""
    INVALID = "invalid"
    OTHER = "other"
    """A valid number of a type not listed (voicemail access, fixed-or-mobile abroad, …)."""


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A normalised telephone number or telephone-number field.

    Attributes:
        original: the value exactly as supplied.
        e164: the E.164 form (``+447700900123``); ``None`` for withheld values, sender ids, short
            codes and values with no usable digits. Invalid numbers keep a best-effort E.164 form
            when their digits parse, so they can still be matched.
        kind: what the value is; :attr:`PhoneKind.INVALID` for numbers that are not valid.
        region: the ISO 3166 region (``GB``, ``IM``, ``JE``, ``FR``…), ``None`` when unknown or
            not applicable.
        valid: whether ``e164`` is a valid, allocated number, or an Ofcom drama number. Always
            ``False`` when ``e164`` is ``None``: ``kind`` then says what the value is.
        fictional: whether the number is in an Ofcom drama range.
        note: what was done to the value or why it is suspect, for a person; ``None`` when
            nothing to say. Several notes are joined with ``"; "``.
    """

    original: str
    e164: str | None
    kind: PhoneKind
    region: str | None
    valid: bool
    fictional: bool
    note: str | None


def _drama_table() -> MappingProxyType[str, PhoneKind]:
    """Build the Ofcom drama-range table, keyed by the first 7 digits of a 10-digit UK NSN."""
    kinds = {
        # Mobile 07700 900000–900999.
        "7700900": PhoneKind.MOBILE,
        # Fictional area code 01632 960000–960999.
        "1632960": PhoneKind.FIXED,
        # City ranges 0113 496 0xxx … 0161 496 0xxx.
        "1134960": PhoneKind.FIXED,  # Leeds
        "1144960": PhoneKind.FIXED,  # Sheffield
        "1154960": PhoneKind.FIXED,  # Nottingham
        "1164960": PhoneKind.FIXED,  # Leicester
        "1174960": PhoneKind.FIXED,  # Bristol
        "1184960": PhoneKind.FIXED,  # Reading
        "1214960": PhoneKind.FIXED,  # Birmingham
        "1314960": PhoneKind.FIXED,  # Edinburgh
        "1414960": PhoneKind.FIXED,  # Glasgow
        "1514960": PhoneKind.FIXED,  # Liverpool
        "1614960": PhoneKind.FIXED,  # Manchester
        "2079460": PhoneKind.FIXED,  # London 020 7946 0xxx
        "2896496": PhoneKind.FIXED,  # Belfast 028 9649 6xxx
        "2920180": PhoneKind.FIXED,  # Cardiff 029 2018 0xxx
        "1914980": PhoneKind.FIXED,  # Tyneside 0191 498 0xxx
        "8081570": PhoneKind.FREEPHONE,  # 0808 157 0xxx
        "9098790": PhoneKind.PREMIUM,  # 0909 879 0xxx
        "3069990": PhoneKind.UAN,  # 03069 990xxx
    }
    return MappingProxyType(kinds)


#: Ofcom "numbers reserved for TV and radio drama": never allocated, used by every synthetic
#: fixture (requirement 66). Each range is 1,000 numbers and every one is a 10-digit national
#: significant number (NSN, the digits after +44 or the leading 0), so the table is keyed by the
#: first 7 digits of the NSN:
#:
#: ========================= ==================== ==========
#: National format            Key (NSN prefix)     Kind
#: ========================= ==================== ==========
#: 07700 900000–900999        7700900              mobile
#: 01632 960000–960999        1632960              fixed
#: 0113 496 0000–0999         1134960              fixed
#: 0114/0115/0116/0117/0118   11x4960              fixed
#: 0121/0131/0141/0151/0161   1x14960              fixed
#: 020 7946 0000–0999         2079460              fixed
#: 028 9649 6000–6999         2896496              fixed
#: 029 2018 0000–0999         2920180              fixed
#: 0191 498 0000–0999         1914980              fixed
#: 0808 157 0000–0999         8081570              freephone
#: 0909 879 0000–0999         9098790              premium
#: 03069 990000–990999        3069990              uan
#: ========================= ==================== ==========
DRAMA_RANGES: Final[MappingProxyType[str, PhoneKind]] = _drama_table()

_DRAMA_NSN_LENGTH = 10
_DRAMA_PREFIX_LENGTH = 7

#: Words (letters only, lower case) that mean the caller's number was not presented.
_WITHHELD_WORDS: Final = frozenset(
    {
        "withheld",
        "numberwithheld",
        "callerwithheld",
        "private",
        "privatenumber",
        "unknown",
        "unknownnumber",
        "anonymous",
        "restricted",
        "presentationrestricted",
        "unavailable",
        "notavailable",
        "hidden",
        "blocked",
        "nocallerid",
        "noclid",
    }
)

#: Placeholders meaning "no value" (compared after lower-casing and trimming).
_EMPTY_MARKERS: Final = frozenset({"", "-", "--", "n/a", "na", "null", "none", "nil"})

_NON_LETTERS = re.compile(r"[^a-z]+")
_HAS_LETTER = re.compile(r"[A-Za-z]")

#: GSM alphanumeric sender ids: up to 11 characters, letters, digits, spaces and a little
#: punctuation (3GPP TS 23.040 TP-OA).
_SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &'._+\-!]{0,10}$")

#: Tolerated punctuation inside a number: spaces, dashes, dots, brackets, slashes, NBSP.
_PUNCTUATION = re.compile(r"[\s\-.()\[\]/\u00a0]+")

#: The "(0)" that people write after a country code: ``+44 (0)7700 900123``. Only removed after a
#: digit, so a national ``(0)7700 900123`` keeps its trunk zero.
_BRACKETED_TRUNK_ZERO = re.compile(r"(?<=\d)\s*\(\s*0\s*\)")

#: A "tel:" URI prefix, as found in some exports and vCards.
_TEL_PREFIX = re.compile(r"^tel:", re.IGNORECASE)

#: Network service codes dialled on a handset: ``*100#``, ``#31#``, ``*#06#``.
_SERVICE_CODE = re.compile(r"^[*#][0-9*#]+$")

_MIN_SHORT_CODE = 3
_MAX_SHORT_CODE = 6

#: Well-known UK short codes, for the note.
_SHORT_CODE_NAMES: Final = MappingProxyType(
    {
        "999": "emergency",
        "112": "emergency",
        "101": "police non-emergency",
        "111": "NHS non-emergency",
        "105": "power cut",
        "159": "bank fraud line",
        "7726": "spam reporting (SPAM)",
        "1571": "voicemail",
        "123": "speaking clock",
    }
)

_UK_COUNTRY_CODE = 44
_UK_CC_TEXT = "44"
_UK_INTERNATIONAL_LENGTH = 12  # "44" followed by a 10-digit NSN

#: Number of digits a UK NSN may have, by first digit; anything else is "wrong length".
_UK_NSN_LENGTHS: Final = MappingProxyType(
    {
        "1": (9, 10),
        "2": (10,),
        "3": (10,),
        "5": (10,),
        "7": (10,),
        "8": (9, 10),
        "9": (10,),
    }
)

_TYPE_TO_KIND: Final = MappingProxyType(
    {
        PhoneNumberType.FIXED_LINE: PhoneKind.FIXED,
        PhoneNumberType.MOBILE: PhoneKind.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneKind.OTHER,
        PhoneNumberType.TOLL_FREE: PhoneKind.FREEPHONE,
        PhoneNumberType.PREMIUM_RATE: PhoneKind.PREMIUM,
        PhoneNumberType.SHARED_COST: PhoneKind.SHARED_COST,
        PhoneNumberType.VOIP: PhoneKind.VOIP,
        PhoneNumberType.PERSONAL_NUMBER: PhoneKind.PERSONAL,
        PhoneNumberType.PAGER: PhoneKind.PAGER,
        PhoneNumberType.UAN: PhoneKind.UAN,
        PhoneNumberType.VOICEMAIL: PhoneKind.OTHER,
    }
)

_POSSIBILITY_REASONS: Final = MappingProxyType(
    {
        ValidationResult.TOO_SHORT: "too short",
        ValidationResult.TOO_LONG: "too long",
        ValidationResult.INVALID_LENGTH: "wrong length",
        ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "local number without its area code",
    }
)

#: phonenumbers' pseudo-regions that are not ISO 3166 regions.
_NOT_REGIONS: Final = frozenset({"001", "ZZ"})

#: Reasons ``phonenumbers.parse`` gives up, by its error type.
_PARSE_FAILURES: Final = MappingProxyType(
    {
        NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        NumberParseException.NOT_A_NUMBER: "not a phone number",
        NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
        NumberParseException.TOO_SHORT_NSN: "too short",
        NumberParseException.TOO_LONG: "too long",
    }
)

NOTE_LEADING_ZERO = "leading zero restored"
NOTE_TRUNK_ZERO = "0 after the country code removed"
NOTE_FICTIONAL = "Ofcom drama number (fictional)"


def _join(*notes: str | None) -> str | None:
    parts = [note for note in notes if note]
    return "; ".join(parts) if parts else None


def _uk_kind_for_valid(nsn: str, number_type: int, region: str | None) -> PhoneKind:
    """Classify a valid UK (+44) number, enforcing the ranges requirement 59 names."""
    if nsn.startswith("70"):
        return PhoneKind.PERSONAL
    if nsn.startswith("7624") or (region == "IM" and number_type == PhoneNumberType.MOBILE):
        return PhoneKind.ISLE_OF_MAN_MOBILE
    if nsn.startswith("76"):
        return PhoneKind.PAGER
    return _TYPE_TO_KIND.get(number_type, PhoneKind.OTHER)


def _uk_number(raw: str, nsn: str, note: str | None) -> PhoneNumber:
    """Normalise a UK national significant number (the digits after +44 or the leading 0)."""
    if not nsn or nsn[0] == "0":
        problem = "no digits after the UK prefix" if not nsn else "unexpected 0 after the UK prefix"
        return PhoneNumber(raw, None, PhoneKind.INVALID, "GB", False, False, _join(note, problem))
    e164 = f"+{_UK_CC_TEXT}{nsn}"
    if len(nsn) == _DRAMA_NSN_LENGTH:
        drama_kind = DRAMA_RANGES.get(nsn[:_DRAMA_PREFIX_LENGTH])
        if drama_kind is not None:
            return PhoneNumber(raw, e164, drama_kind, "GB", True, True, _join(note, NOTE_FICTIONAL))
    number = phonenumbers.PhoneNumber(country_code=_UK_COUNTRY_CODE, national_number=int(nsn))
    number_type = phonenumbers.number_type(number)
    if number_type != PhoneNumberType.UNKNOWN:
        region = phonenumbers.region_code_for_number(number)
        kind = _uk_kind_for_valid(nsn, number_type, region)
        return PhoneNumber(raw, e164, kind, region, True, False, note)
    lengths = _UK_NSN_LENGTHS.get(nsn[0])
    if lengths is None:
        reason = f"no UK numbers start 0{nsn[0]}"
    elif len(nsn) in lengths:
        reason = "number range not allocated"
    elif len(nsn) < min(lengths):
        reason = "wrong length (too short)"
    else:
        reason = "wrong length (too long)"
    return PhoneNumber(
        raw,
        e164,
        PhoneKind.INVALID,
        "GB",
        False,
        False,
        _join(note, f"not a valid UK number: {reason}"),
    )


def _region_name(region: str | None) -> str | None:
    return None if region is None or region in _NOT_REGIONS else region


def _parsed_number(raw: str, text: str, region: str | None, note: str | None) -> PhoneNumber:
    """Normalise any other number with ``phonenumbers`` (international, or national elsewhere)."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return PhoneNumber(
            raw,
            None,
            PhoneKind.INVALID,
            None,
            False,
            False,
            _join(
                note, f"not a valid number: {_PARSE_FAILURES.get(error.error_type, 'unreadable')}"
            ),
        )
    country_code = number.country_code or 0
    if country_code == _UK_COUNTRY_CODE:
        # Send UK numbers through the UK path so drama ranges and UK kinds apply.
        nsn = phonenumbers.national_significant_number(number)
        return _uk_number(raw, nsn, note)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    number_type = phonenumbers.number_type(number)
    if number_type != PhoneNumberType.UNKNOWN:
        region_code = _region_name(phonenumbers.region_code_for_number(number))
        kind = _TYPE_TO_KIND.get(number_type, PhoneKind.OTHER)
        return PhoneNumber(raw, e164, kind, region_code, True, False, note)
    region_code = _region_name(phonenumbers.region_code_for_country_code(country_code))
    possibility = phonenumbers.is_possible_number_with_reason(number)
    reason = _POSSIBILITY_REASONS.get(possibility, "number range not allocated")
    where = f"for {region_code}" if region_code else f"for +{country_code}"
    return PhoneNumber(
        raw,
        e164,
        PhoneKind.INVALID,
        region_code,
        False,
        False,
        _join(note, f"not a valid number {where}: {reason}"),
    )


def _not_a_number(raw: str, text: str) -> PhoneNumber:
    """Classify a value containing letters: withheld marker, sender id or junk."""
    words = _NON_LETTERS.sub("", text.lower())
    if words in _WITHHELD_WORDS:
        return PhoneNumber(raw, None, PhoneKind.WITHHELD, None, False, False, "number withheld")
    if _SENDER_ID.match(text):
        return PhoneNumber(
            raw, None, PhoneKind.ALPHANUMERIC, None, False, False, "alphanumeric sender id"
        )
    return PhoneNumber(
        raw, None, PhoneKind.INVALID, None, False, False, "not a phone number: contains letters"
    )


def _short_code(raw: str, digits: str, region: str) -> PhoneNumber:
    name = _SHORT_CODE_NAMES.get(digits)
    if name is None and digits.startswith("116") and len(digits) == _MAX_SHORT_CODE:
        name = "harmonised service of social value"
    label = f"short code {digits}" + (f" ({name})" if name else "")
    return PhoneNumber(raw, None, PhoneKind.SHORT_CODE, region, False, False, label)


def _restores_leading_zero(digits: str) -> bool:
    """Whether ``digits`` look like a UK national number whose leading zero a spreadsheet ate."""
    first = digits[0]
    if first == "7":
        return len(digits) == 10
    return first in "12" and len(digits) in (9, 10)


def normalise_phone(raw: str, default_region: str = "GB") -> PhoneNumber:
    """Normalise a telephone number field to E.164 and classify it.

    Handles spaces, dashes, brackets and dots; ``+44 (0)7700 900123``; ``0044…`` and 12-digit
    ``44…``; a leading zero lost in a spreadsheet (10 digits starting 7, or 9–10 digits starting 1
    or 2, when ``default_region`` is GB); withheld markers and empty values; alphanumeric SMS sender
    ids; short codes (3–6 digits) and service codes (``*100#``); foreign numbers; and the Ofcom
    drama ranges (:data:`DRAMA_RANGES`), which are valid and fictional.

    Args:
        raw: the value as supplied.
        default_region: the region whose national format applies to numbers without an
            international prefix (ISO 3166 alpha-2, e.g. ``GB``).

    Returns:
        The normalised :class:`PhoneNumber`; never raises for bad input.
    """
    text = raw.strip()
    if text.lower() in _EMPTY_MARKERS:
        return PhoneNumber(raw, None, PhoneKind.WITHHELD, None, False, False, "no number supplied")
    text = _TEL_PREFIX.sub("", text)
    if _HAS_LETTER.search(text):
        return _not_a_number(raw, text)
    text = _BRACKETED_TRUNK_ZERO.sub("", text)
    plus = text.startswith("+")
    digits = _PUNCTUATION.sub("", text[1:] if plus else text)
    if not digits.isascii() or not digits.isdigit():
        if digits and _SERVICE_CODE.match(digits):
            return PhoneNumber(
                raw,
                None,
                PhoneKind.SHORT_CODE,
                default_region,
                False,
                False,
                f"network service code {digits}",
            )
        return PhoneNumber(
            raw,
            None,
            PhoneKind.INVALID,
            None,
            False,
            False,
            "not a phone number: unexpected characters",
        )
    if not plus:
        if digits.startswith("00"):
            plus, digits = True, digits[2:]
        elif len(digits) == _UK_INTERNATIONAL_LENGTH and digits.startswith(_UK_CC_TEXT):
            plus = True
    if plus:
        if digits.startswith(_UK_CC_TEXT):
            nsn = digits[2:]
            if nsn.startswith("0"):
                return _uk_number(raw, nsn[1:], NOTE_TRUNK_ZERO)
            return _uk_number(raw, nsn, None)
        return _parsed_number(raw, f"+{digits}", None, None)
    if digits.startswith("0"):
        if default_region == "GB":
            return _uk_number(raw, digits[1:], None)
        return _parsed_number(raw, digits, default_region, None)
    if len(digits) < _MIN_SHORT_CODE:
        return PhoneNumber(
            raw, None, PhoneKind.INVALID, None, False, False, "too short to be a phone number"
        )
    if len(digits) <= _MAX_SHORT_CODE:
        return _short_code(raw, digits, default_region)
    if default_region == "GB" and _restores_leading_zero(digits):
        return _uk_number(raw, digits, NOTE_LEADING_ZERO)
    return _parsed_number(raw, digits, default_region, None)
