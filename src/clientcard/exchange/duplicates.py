"""Likely duplicates: cards that seem to be one client, with a score and the reasons.

Two cards are compared on what identifies a client: the e-mail address (case-folded),
the phone numbers (E.164), the name (folded: no accents or case, word order ignored) and
the birth date. :func:`match` scores a pair from 0 to 1:

========================================================  ======
evidence                                                   score
========================================================  ======
identical cards (every value the same)                     1.00
same name and same e-mail                                  1.00
same name and a shared phone                               0.97
a similar name (a typo) and the same e-mail                0.90
a similar name and a shared phone                          0.80
same e-mail, one card without a name                       0.80
same name, nothing else shared (0.85 with the birth date)  0.60
a similar name, nothing else (0.75 with the birth date)    0.50
a shared phone, one card without a name                    0.40
a shared phone or e-mail but different names (a family)    0.30
========================================================  ======

Different birth dates cap the score at 0.3, and a child and the guardian it is linked to
are never duplicates. A phone shared by a family -- a parent booking for their child --
is the known case the table keeps below every threshold: a shared phone alone never
makes a duplicate.

:meth:`~clientcard.exchange.service.ExchangeService.find_duplicates` lists the pairs of a
business scoring at least ``min_score`` (:data:`POSSIBLE` by default), with a
:class:`DuplicateIndex` of its cards. It compares only cards that share a block -- an
e-mail, a phone, the same name, or the same last name and first initial (or first name
and last initial) -- so a book of 100,000 cards is scanned in seconds; name blocks larger
than :data:`MAX_BLOCK` (very common names) are compared on contact data only.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

import attrs

from clientcard.cards.card import BirthDate, ClientCard
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold

__all__ = [
    "LIKELY",
    "MAX_BLOCK",
    "POSSIBLE",
    "SAME",
    "DuplicateIndex",
    "DuplicatePair",
    "Match",
    "Profile",
    "match",
]

SAME: Final = 0.95
"""From this score two cards are taken as one client: an import skips the row."""
LIKELY: Final = 0.75
"""From this score a pair is a likely duplicate."""
POSSIBLE: Final = 0.5
"""From this score a pair is worth a look."""
MAX_BLOCK: Final = 200
"""Name blocks with more cards than this are not compared by name."""

_CONTACT_BLOCKS: Final = frozenset({"email", "phone", "digest"})
_SIMILAR: Final = 0.85
_SIMILAR_FIRST: Final = 0.8


@attrs.frozen
class Profile:
    """What a card is compared on, folded once (a few short strings per card).

    .. versionadded:: 0.1.0
    """

    card_id: str
    # Client data stays out of repr: the card id says whose profile it is.
    first: str = attrs.field(repr=False)
    last: str = attrs.field(repr=False)
    email: str | None = attrs.field(repr=False)
    phones: tuple[str, ...] = attrs.field(repr=False)
    birth: str | None = attrs.field(repr=False)
    guardian_id: str | None
    digest: int = attrs.field(default=0, repr=False)
    """A hash of every value of the card: equal for cards that hold the same data."""

    @classmethod
    def of(cls, card: ClientCard) -> Profile:
        """The profile of ``card``."""
        return cls(
            card_id=card.id,
            first=fold(card.first_name).strip(),
            last=fold(card.last_name).strip(),
            email=lookup_key(card.email) if card.email else None,
            phones=card.phones,
            birth=card.birth_date.iso() if card.birth_date is not None else None,
            guardian_id=card.guardian_id,
            digest=_digest(sorted((key, _plain(value)) for key, value in card.values().items())),
        )

    def __reduce__(self) -> tuple[type[Profile], tuple[object, ...]]:
        """Pickle as plain values: an import builds profiles in worker processes.

        attrs' own pickling goes attribute by attribute in Python, three times slower.
        """
        return Profile, _PROFILE_FIELDS(self)

    @functools.cached_property
    def name(self) -> str:
        """The folded name, words sorted, so "Rossi Anna" equals "Anna Rossi"."""
        return " ".join(sorted(f"{self.first} {self.last}".split()))

    def blocks(self, *, fuzzy: bool = True) -> Iterator[tuple[str, str]]:
        """The blocks this card falls in; only cards sharing one are compared.

        Without ``fuzzy`` the name blocks that catch typos (same last name and first
        initial, ...) are left out: what remains finds every pair scoring
        :data:`LIKELY` or more, which is all an import asks.
        """
        if self.digest:
            yield ("digest", str(self.digest))
        if self.email:
            yield ("email", self.email)
        for number in self.phones:
            yield ("phone", number)
        if self.name:
            yield ("name", self.name)
        if fuzzy and self.first and self.last:
            yield ("last+initial", f"{self.last} {self.first[0]}")
            yield ("first+initial", f"{self.first} {self.last[0]}")


_PROFILE_FIELDS: Final = operator.attrgetter(*(field.name for field in attrs.fields(Profile)))


def _digest(pairs: list[tuple[str, str]]) -> int:
    # Not hash(): a str's hash differs from one process to the next, and an import
    # builds profiles in worker processes to compare with those built here.
    text = repr(pairs).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") or 1


def _plain(value: object) -> str:
    # repr() masks birth dates (and would make every one alike); their ISO form doesn't.
    return value.iso() if isinstance(value, BirthDate) else repr(value)


@attrs.frozen
class Match:
    """How alike two cards are: a score from 0 to 1 and the reasons behind it.

    Reasons are machine codes: ``identical``, ``same_email``, ``shared_phone``, ``same_name``,
    ``similar_name``, ``same_birth_date``, ``different_names``,
    ``different_birth_dates``, ``guardian_link``, ``no_name``.

    .. versionadded:: 0.1.0
    """

    score: float
    reasons: tuple[str, ...]


def _ratio(left: str, right: str) -> float:
    if left == right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right).ratio()


def match(left: Profile | ClientCard, right: Profile | ClientCard) -> Match:
    """Score how likely two cards are one client (see the module docs for the table).

    .. versionadded:: 0.1.0
    """
    a = left if isinstance(left, Profile) else Profile.of(left)
    b = right if isinstance(right, Profile) else Profile.of(right)
    if b.card_id in (a.card_id, a.guardian_id) or a.card_id == b.guardian_id:
        return Match(0.0, ("guardian_link",) if a.card_id != b.card_id else ())
    if a.digest and a.digest == b.digest:
        return Match(1.0, ("identical",))
    reasons: list[str] = []
    same_email = a.email is not None and a.email == b.email
    shared_phone = bool(set(a.phones) & set(b.phones))
    if same_email:
        reasons.append("same_email")
    if shared_phone:
        reasons.append("shared_phone")
    contact = same_email or shared_phone
    if not a.name or not b.name:
        reasons.append("no_name")
        score = 0.8 if same_email else (0.4 if shared_phone else 0.0)
    else:
        exact = a.name == b.name
        similar = exact or (
            _ratio(a.name, b.name) >= _SIMILAR and _ratio(a.first, b.first) >= _SIMILAR_FIRST
        )
        if exact:
            reasons.append("same_name")
            score = 1.0 if same_email else (0.97 if shared_phone else 0.6)
        elif similar:
            reasons.append("similar_name")
            score = 0.9 if same_email else (0.8 if shared_phone else 0.5)
        else:
            reasons.append("different_names")
            score = 0.3 if contact else 0.0
        if similar and not contact and a.birth is not None and a.birth == b.birth:
            reasons.append("same_birth_date")
            score += 0.25
    if a.birth is not None and b.birth is not None and a.birth != b.birth:
        reasons.append("different_birth_dates")
        score = min(score, 0.3)
    return Match(round(score, 2), tuple(reasons))


@attrs.frozen
class DuplicatePair:
    """Two cards that seem to be one client.

    .. versionadded:: 0.1.0
    """

    card_ids: tuple[str, str]
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (ids, score and reason codes: no personal data)."""
        return {"card_ids": list(self.card_ids), "score": self.score, "reasons": list(self.reasons)}


class DuplicateIndex:
    """Profiles of a business's cards by block, to find a card's likely twins fast.

    Holds a few short strings per card, never whole cards. An import adds each card it
    takes, so a row repeated later in the file is found too.

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, fuzzy: bool = True) -> None:
        self._fuzzy = fuzzy
        # Kind, then key: the members of a block, bare while there is one (as most are).
        # An import indexes every card of the book and the file; a tuple key and a list
        # per block were two thirds of the index's memory.
        self._blocks: dict[str, dict[str, Profile | list[Profile]]] = {}

    @classmethod
    def of_cards(cls, cards: Iterable[ClientCard], *, fuzzy: bool = True) -> DuplicateIndex:
        """Index ``cards`` (every card of a business, read a page at a time, say).

        Only each card's profile is kept, so ``cards`` may be a generator over any number.
        ``fuzzy=False`` indexes for pairs of :data:`LIKELY` and up only (see
        :meth:`Profile.blocks`), which keeps an import's comparisons few.
        """
        index = cls(fuzzy=fuzzy)
        for card in cards:
            index.add(Profile.of(card))
        return index

    def add(self, profile: Profile) -> None:
        """Index one more card."""
        for kind, key in profile.blocks(fuzzy=self._fuzzy):
            blocks = self._blocks.setdefault(kind, {})
            found = blocks.get(key)
            if found is None:
                blocks[key] = profile
            elif isinstance(found, list):
                found.append(profile)
            else:
                blocks[key] = [found, profile]

    def candidates(self, profile: Profile) -> Iterator[Profile]:
        """Yield the indexed profiles sharing a block with ``profile``, each once."""
        seen = {profile.card_id}
        for kind, key in profile.blocks(fuzzy=self._fuzzy):
            members = _members(self._blocks.get(kind, {}).get(key))
            if kind not in _CONTACT_BLOCKS and len(members) > MAX_BLOCK:
                continue
            for other in members:
                if other.card_id not in seen:
                    seen.add(other.card_id)
                    yield other

    def best(self, profile: Profile) -> tuple[str, Match] | None:
        """The indexed card most like ``profile`` and how alike they are, if any."""
        found: tuple[str, Match] | None = None
        for other in self.candidates(profile):
            result = match(profile, other)
            if result.score > 0 and (found is None or result.score > found[1].score):
                found = (other.card_id, result)
        return found

    def pairs(self, min_score: float) -> Iterator[DuplicatePair]:
        """Yield every indexed pair scoring at least ``min_score``, each pair once."""
        done: set[tuple[str, str]] = set()
        every = (
            (kind, _members(found)) for kind, b in self._blocks.items() for found in b.values()
        )
        for kind, members in every:
            if kind not in _CONTACT_BLOCKS and len(members) > MAX_BLOCK:
                continue
            for i, left in enumerate(members):
                for right in members[i + 1 :]:
                    ids = tuple(sorted((left.card_id, right.card_id)))
                    if ids in done or ids[0] == ids[1]:
                        continue
                    done.add(ids)  # type: ignore[arg-type]
                    result = match(left, right)
                    if result.score >= min_score:
                        yield DuplicatePair(ids, result.score, result.reasons)  # type: ignore[arg-type]


def _members(found: Profile | list[Profile] | None) -> Sequence[Profile]:
    if found is None:
        return ()
    return found if isinstance(found, list) else (found,)
