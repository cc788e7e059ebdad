"""The words a card is found by, and how typed search terms match and rank them.

A card is indexed under a set of *tokens*: each word of its first and last names
(folded: accent- and case-insensitive), each name part with its words run together
("De Luca" also as "deluca"), the digits of each phone number with and without its
country code, and its case-folded e-mail address. Every token starts with a kind
(``n:`` name, ``p:`` phone, ``e:`` e-mail) so a name never matches a phone.

A search matches a token by *prefix*, so the SQL stores keep the tokens in a table
``card_search (business_id, token, card_id)`` and answer each typed word with one range
scan of its primary key, ``token >= word AND token < next(word)``; the memory store reads
the same tokens off its cards. The rules, which every store follows:

* a card matches the **name** when every typed word starts one of its name tokens
  ("de lu" finds "De Luca"; "ross" finds "Rossi" and "Rossini");
* it matches the **phone** digits when they start one of its phone tokens -- the whole
  number with its country code, or the national number ("06 1234" finds +31 6 1234 …);
* it matches the **e-mail** when the typed text starts its address;
* the terms are alternatives: a card matching any one is found.

Ranking (:func:`rank`): an exact phone number or exact e-mail address first, then the
cards where more typed words are whole words of the name, then by name
(:func:`~clientcard.storage.protocol.sort_key`) and id, so the order is stable.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import attrs
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from clientcard.cards.card import ClientCard
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.storage.protocol import SearchTerms

__all__ = [
    "EMAIL",
    "MAX_WORDS",
    "NAME",
    "PHONE",
    "SearchPlan",
    "card_tokens",
    "name_words",
    "plan",
    "prefix_end",
    "rank",
    "tokens_of",
]

NAME: Final = "n:"
"""The kind that starts a name token."""
PHONE: Final = "p:"
"""The kind that starts a phone token."""
EMAIL: Final = "e:"
"""The kind that starts an e-mail token."""

MAX_WORDS: Final = 8
"""How many distinct typed words a name search matches by; later ones are ignored.

A front desk types two or three; the cap keeps one search at a bounded number of range
scans whatever is pasted into the box.
"""

# A word is a run of letters and digits; anything else (spaces, hyphens, apostrophes,
# dots) separates words. \w without the underscore, so "_" separates too.
_WORD: Final = re.compile(r"[^\W_]+")
_MAX_CODE_DIGITS: Final = 3
_SURROGATES: Final = range(0xD800, 0xE000)


def name_words(text: str) -> list[str]:
    """Return the folded words of ``text``, in order, each once.

    >>> name_words("Maria-José  D'Ángelo")
    ['maria', 'jose', 'd', 'angelo']
    """
    return list(dict.fromkeys(_WORD.findall(fold(text))))


def _national(digits: str) -> str | None:
    """The digits after the country code of an E.164 number's digits, if one is known."""
    # Country codes are prefix-free, so at most one of the first 1-3 digits is one.
    for length in range(1, _MAX_CODE_DIGITS + 1):
        if int(digits[:length] or 0) in COUNTRY_CODE_TO_REGION_CODE:
            return digits[length:] or None
    return None


def tokens_of(
    first_name: str, last_name: str, phones: Iterable[str], email: str | None
) -> frozenset[str]:
    """Return the tokens a card with these names, phones and e-mail is indexed under."""
    tokens: set[str] = set()
    for part in (first_name, last_name):
        words = name_words(part)
        tokens.update(NAME + word for word in words)
        if len(words) > 1:
            tokens.add(NAME + "".join(words))
    for number in phones:
        digits = "".join(ch for ch in number if ch in "0123456789")
        if not digits:
            continue
        tokens.add(PHONE + digits)
        national = _national(digits)
        if national is not None:
            tokens.add(PHONE + national)
    if email:
        tokens.add(EMAIL + lookup_key(email))
    return frozenset(tokens)


def card_tokens(card: ClientCard) -> frozenset[str]:
    """Return the tokens ``card`` is indexed under (see the module docstring)."""
    return tokens_of(card.first_name, card.last_name, card.phones, card.email)


@attrs.frozen
class SearchPlan:
    """What a store looks up for one search: token prefixes, and the exact tokens.

    A card matches when it has a token starting with *every* prefix of ``words``, or one
    starting with ``phone``, or one starting with ``email`` (each ``None`` when not
    searched). ``words`` are name prefixes with their kind (``"n:ross"``).
    """

    # What a front desk typed: parts of a client's name, phone or e-mail.
    words: tuple[str, ...] = attrs.field(default=(), repr=False)
    phone: str | None = attrs.field(default=None, repr=False)
    email: str | None = attrs.field(default=None, repr=False)

    def is_empty(self) -> bool:
        """Tell whether nothing is looked up (such a search matches nothing)."""
        return not (self.words or self.phone or self.email)


def plan(terms: SearchTerms) -> SearchPlan:
    """Turn normalised search terms into the token prefixes a store looks up."""
    words = tuple(NAME + word for word in name_words(terms.name or ""))[:MAX_WORDS]
    return SearchPlan(
        words=words,
        phone=PHONE + terms.phone_digits if terms.phone_digits else None,
        email=EMAIL + terms.email if terms.email else None,
    )


def rank(tokens: frozenset[str], search: SearchPlan) -> tuple[int, int] | None:
    """Return how well a card with ``tokens`` matches: ``None`` when it doesn't at all.

    Otherwise ``(exact, whole)``, both counted higher-is-better: ``exact`` is 1 when the
    phone or e-mail typed is exactly one of the card's; ``whole`` how many typed words
    are whole words of its name (0 when the name did not match). Stores order by
    ``exact`` and ``whole`` descending, then by sort key and id.
    """
    found = False
    exact = 0
    whole = 0
    if search.words and all(
        any(token.startswith(word) for token in tokens) for word in search.words
    ):
        found = True
        whole = sum(1 for word in search.words if word in tokens)
    for wanted in (search.phone, search.email):
        if wanted is not None and any(token.startswith(wanted) for token in tokens):
            found = True
            exact = max(exact, int(wanted in tokens))
    return (exact, whole) if found else None


def prefix_end(prefix: str) -> str:
    """Return the least string greater than every string starting with ``prefix``.

    ``token >= prefix AND token < prefix_end(prefix)`` is then a range scan of an index
    ordered by code point (SQLite's BINARY collation, PostgreSQL's ``"C"``), with no
    pattern characters to escape.

    >>> prefix_end("n:ros")
    'n:rot'
    """
    head = prefix.rstrip("\U0010ffff")
    if not head:
        raise ValueError("a prefix needs a character below U+10FFFF")
    following = ord(head[-1]) + 1
    if following in _SURROGATES:
        # Surrogates can't be encoded; every character past them is above them.
        following = _SURROGATES.stop
    return head[:-1] + chr(following)
