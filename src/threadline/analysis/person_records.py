"""Names and person records: what attribution and person resolution read from the evidence.

Handsets name the people their users deal with in their own way: "Tomek boss" on one phone,
"TOMEK (work)" on another, "Tomék" on a third, "T" on a fourth. Both analyses that ask who is
who (:mod:`threadline.analysis.attribution`, :mod:`threadline.analysis.person_resolution`)
compare such names after one normalisation, defined here so that they agree:

1. **Folding.** Unicode compatibility decomposition, accents and other combining marks dropped
   (``é`` to ``e``), the letters that do not decompose written in Latin (``ł`` to ``l``,
   ``ø`` to ``o``, ``ß`` to ``ss``, ``æ`` to ``ae``, ``œ`` to ``oe``, ``đ`` to ``d``, ``ı`` to
   ``i``, ``þ`` to ``th``), then case folded. Apostrophes are dropped (``O'Neil`` to ``oneil``);
   every other character that is not a letter or digit (spaces, punctuation, brackets, emoji)
   separates words.
2. **Qualifiers.** Words that describe the person's role, the line or the relationship rather
   than name them (:data:`QUALIFIER_WORDS`: ``boss``, ``work``, ``new``, ``old``, ``mum``,
   ``big``, ``driver``...) and words made only of digits (``Tomek 2``) are **noted** as
   qualifiers and left out of the name's key, so "Tomek boss" and "TOMEK (work)" have one key,
   ``tomek``. They are kept: every original spelling stays with the finding, and the qualifiers
   are listed beside the key. A name made of nothing but qualifiers ("Boss", "Mum") keeps those
   words as its key and is marked *descriptor only*: attribution still reports it (three phones
   saving one number as "Boss" says something) but person resolution does not compare it as a
   name.
3. **Key.** The remaining words sorted, so that "Nowak Tomasz" and "Tomasz Nowak" have one key
   (``nowak tomasz``); the words in written order are kept too (``written``).

Nothing else is equated: diminutives ("Tomek" for "Tomasz"), transliterations and misspellings
are different keys. Person resolution measures how alike two keys are (Jaro-Winkler); attribution
notes where one name is an initial or a part of another.

A **person record** is one row of the evidence that describes a person: a saved contact (its
name, number and e-mail), a handset's device information (the owner name the extraction
recorded, the handset's own number, its IMEI key) or an app account (display name, user name,
number, e-mail). A contact's ``account`` column is not used: extractions fill it with the address
book the entry came from ("phone") or an app identifier built from the number
(``447700900123@s.whatsapp.net``), neither of which says anything the number does not. A
record's identifier is the evidence row's ``row_id``, so analysts' judgements about it are
written ``person:<row_id>`` (:mod:`threadline.model.judgement`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from threadline.analysis.evidence import Evidence

__all__ = [
    "QUALIFIER_WORDS",
    "SELF_MARKERS",
    "NameParts",
    "PersonRecord",
    "fold_text",
    "normalise_name",
    "person_records",
]

#: Words that qualify a saved name rather than name anyone: roles, the line, kinship, epithets
#: and titles. English, with the commonest words of the languages in the case data (Polish,
#: Romanian, Albanian) where they are short and unambiguous.
QUALIFIER_WORDS: Final = frozenset(
    {
        # the role or trade the user saved the number for
        "boss", "work", "office", "business", "biz", "taxi", "cab", "driver", "van",
        "landlord", "shop", "garage", "plug",
        # the line itself
        "new", "old", "mob", "mobile", "cell", "phone", "tel", "telefon", "home", "house",
        "flat", "casa", "landline", "personal", "private", "spare", "other", "second",
        "backup", "burner", "number", "no", "whatsapp", "wa",
        # kinship and endearment
        "mum", "mom", "mam", "mama", "mamma", "dad", "tata", "bro", "brother", "sis", "sister",
        "wife", "husband", "cuz", "cousin", "uncle", "auntie", "aunt", "nan", "gran",
        # epithets and titles
        "big", "lil", "little", "the", "mr", "mrs", "ms", "miss", "dr",
    }
)  # fmt: skip

#: Sender names a handset shows for its own user's messages: not a name for the number.
SELF_MARKERS: Final = frozenset({"me", "you", "self", "owner", "myself", "unknown"})

_LATIN: Final = MappingProxyType(
    {
        "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
        "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
    }
)  # fmt: skip
_APOSTROPHES: Final = frozenset("'’`´ʼ")


def fold_text(text: str) -> str:
    """``text`` folded for comparison: accents dropped, letters that do not decompose written
    in Latin, case folded, apostrophes removed and every other non-alphanumeric character a
    space (runs of spaces kept as they fall; :func:`normalise_name` splits on them)."""
    decomposed = unicodedata.normalize("NFKD", text)
    out: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _APOSTROPHES:
            continue
        char = _LATIN.get(char, char)
        out.append(char if char.isalnum() else " ")
    return "".join(out).casefold()


@dataclass(frozen=True, slots=True)
class NameParts:
    """A name as written and as compared.

    Attributes:
        original: the name exactly as the source wrote it.
        words: the folded words that name someone, in written order; for a descriptor-only
            name, its qualifier words.
        qualifiers: the qualifier words noted (written order, once each).
        descriptor_only: the name is made only of qualifiers ("Boss", "Mum").
    """

    original: str
    words: tuple[str, ...]
    qualifiers: tuple[str, ...]
    descriptor_only: bool

    @property
    def key(self) -> str:
        """The words sorted and joined: what names are grouped on."""
        return " ".join(sorted(self.words))

    @property
    def written(self) -> str:
        """The words in written order, joined."""
        return " ".join(self.words)


def normalise_name(text: str | None) -> NameParts | None:
    """A name's parts (see the module docstring); ``None`` when nothing in it is a letter or
    digit (empty, punctuation, emoji only)."""
    if text is None:
        return None
    words = fold_text(text).split()
    if not words:
        return None
    qualifiers = tuple(dict.fromkeys(w for w in words if w in QUALIFIER_WORDS or w.isdigit()))
    kept = tuple(w for w in words if w not in QUALIFIER_WORDS and not w.isdigit())
    if kept:
        return NameParts(text, kept, qualifiers, descriptor_only=False)
    return NameParts(text, tuple(words), qualifiers, descriptor_only=True)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One evidence row that describes a person.

    Attributes:
        record_id: the evidence row's ``row_id`` (judgements name it ``person:<record_id>``).
        source: ``contact``, ``device`` or ``account``.
        exhibit_id: the exhibit the row came from.
        name: the name as the source wrote it (saved name, owner name, display name).
        parts: the name's parts, ``None`` when it has none.
        number: the number (E.164) tied to it: the contact's number, the handset's own number,
            the account's number.
        email: e-mail address, lower case.
        username: an account's user name, lower case without a leading ``@``.
        imei_key: the handset's IMEI key (device records only).
        service: the app or service of an account (WhatsApp...).
        deleted_state: a saved contact's deleted state, as the extraction reported it.
    """

    record_id: str
    source: str
    exhibit_id: str
    name: str | None
    parts: NameParts | None
    number: str | None
    email: str | None
    username: str | None
    imei_key: str | None
    service: str | None
    deleted_state: str | None

    @property
    def comparable_name(self) -> NameParts | None:
        """The name as person resolution compares it: none for a descriptor-only name."""
        if self.parts is None or self.parts.descriptor_only:
            return None
        return self.parts

    @property
    def identifying(self) -> bool:
        """Whether the record holds anything to compare (a name, number, e-mail, user name or
        IMEI); one without is not a person record."""
        return any((self.comparable_name, self.number, self.email, self.username, self.imei_key))

    def describe(self, reference: str) -> str:
        """The record in words: ``contact 'Tomek boss' saved on JB/1``."""
        name = f"'{self.name}'" if self.name else "(no name)"
        if self.source == "contact":
            return f"contact {name} saved on {reference}"
        if self.source == "device":
            return f"owner {name} of handset {reference}"
        service = self.service or "app"
        return f"{service} account {name} on {reference}"


_RECORDS_SQL: Final = """
SELECT row_id, exhibit_id, 'contact' AS source, name, number, email,
       CAST(NULL AS VARCHAR) AS username, CAST(NULL AS VARCHAR) AS imei_key,
       CAST(NULL AS VARCHAR) AS service, deleted_state
FROM contacts
UNION ALL
SELECT row_id, exhibit_id, 'device', owner_name, msisdn, CAST(NULL AS VARCHAR),
       CAST(NULL AS VARCHAR), imei_key, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)
FROM devices
UNION ALL
SELECT row_id, exhibit_id, 'account', display_name, number, email, username,
       CAST(NULL AS VARCHAR), service, CAST(NULL AS VARCHAR)
FROM accounts
ORDER BY row_id
"""


def _clean(value: str | None, *, strip_at: bool = False) -> str | None:
    if value is None:
        return None
    text = value.strip().casefold()
    if strip_at:
        text = text.lstrip("@")
    return text or None


def person_records(evidence: Evidence) -> list[PersonRecord]:
    """Every person record in the evidence (contacts, devices, accounts), by ``row_id``; rows
    with nothing to compare are left out.

    Raises:
        StoreError: the evidence could not be read.
    """
    out: list[PersonRecord] = []
    for row in evidence.rows(_RECORDS_SQL):
        name = row["name"] if row["name"] and row["name"].strip() else None
        record = PersonRecord(
            record_id=row["row_id"],
            source=row["source"],
            exhibit_id=row["exhibit_id"],
            name=name,
            parts=normalise_name(name),
            number=row["number"] or None,
            email=_clean(row["email"]),
            username=_clean(row["username"], strip_at=True),
            imei_key=row["imei_key"] or None,
            service=row["service"] or None,
            deleted_state=row["deleted_state"] or None,
        )
        if record.identifying:
            out.append(record)
    return out
