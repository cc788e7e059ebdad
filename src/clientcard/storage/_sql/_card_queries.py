"""The statements that list and count a business's cards by a :class:`CardQuery`.

:func:`card_filter` turns a query into a parameterised ``WHERE`` clause with the
semantics of :func:`clientcard.storage.memory.matches`; listings page by keyset on
``(sort_key, id)``, and a lookup by phone or e-mail alone takes a shorter path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import attrs

from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import card_from_dict
from clientcard.errors import FieldIssue, ValidationError
from clientcard.storage._search import SearchPlan, plan, prefix_end, rank
from clientcard.storage._sql._common import marks, matchable, select_among
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.protocol import CardQuery, Page, SearchTerms, encode_cursor

__all__ = ["card_filter", "count_cards", "search_cards", "select_cards"]

# The custom-field key rule of clientcard.cards.schema, restated here because the key ends up
# inside a JSON path: the store must not depend on a looser rule elsewhere to stay safe.
_CUSTOM_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")


def card_filter(
    dialect: Dialect, business_id: str, query: CardQuery | None
) -> tuple[str, list[object]]:
    """Return the ``WHERE`` condition on ``cards AS c`` for ``query``, and its parameters.

    The semantics are :func:`clientcard.storage.memory.matches`; every value is a bound
    parameter and every pattern matches its text literally.
    """
    if not matchable(business_id):
        return "1 = 0", []
    clauses = ["c.business_id = ?"]
    params: list[object] = [business_id]
    if query is None:
        return clauses[0], params

    def require(sql: str, *values: object) -> None:
        if not all(matchable(value) for value in values):
            sql, values = "1 = 0", ()
        clauses.append(sql)
        params.extend(values)

    if query.search is not None:
        sql, values = _search_condition(dialect, business_id, query.search)
        clauses.append(sql)
        params.extend(values)
    if query.email is not None:
        require("c.email_key = ?", query.email)
    if query.phone is not None:
        require(_child("card_phones", "x.number = ?"), business_id, query.phone)
    if query.group is not None:
        require("c.client_group = ?", query.group)
    if query.guardian_id is not None:
        require("c.guardian_id = ?", query.guardian_id)
    if query.id_prefix is not None:
        # substr, not LIKE or a range: exact on every collation, with no pattern
        # characters to escape; the business's rows are already narrowed by the index.
        require(f"substr(c.id, 1, {len(query.id_prefix)}) = ?", query.id_prefix)
    if query.id_suffix is not None:
        # Two-argument substr from a computed start: SQLite and PostgreSQL agree on it
        # (negative starts and right() are each one dialect's).
        length = len(query.id_suffix)
        require(f"substr(c.id, length(c.id) - {length} + 1) = ?", query.id_suffix)
    if query.source is not None:
        require("c.referral_source = ?", query.source)
    if query.tag is not None:
        require(_child("card_tags", "x.tag = ?"), business_id, query.tag)
    if query.status is not None:
        require("c.status = ?", query.status.value)
    if query.custom_field is not None and query.custom_value is not None:
        if _CUSTOM_KEY.fullmatch(query.custom_field):
            sql, values = dialect.custom_equals(query.custom_field, query.custom_value)
            clauses.append(sql)
            params.extend(values)
        else:
            # No card has a custom field by a name no schema allows.
            clauses.append("1 = 0")
    if query.contactable is not None:
        purpose, channel = query.contactable
        require(
            _child("card_permissions", "x.purpose = ? AND x.channel = ?"),
            business_id,
            purpose,
            channel,
        )
    return " AND ".join(clauses), params


def _child(table: str, condition: str) -> str:
    # IN over the child table, not a correlated EXISTS: the planner then starts from the
    # child's (business_id, value) index and fetches the few matching cards by key,
    # instead of walking every card of the business in sort order.
    return (
        # Only constant SQL is spliced in: the callers pass literal names and conditions.
        f"c.id IN (SELECT x.card_id FROM {table} AS x"  # noqa: S608
        f" WHERE x.business_id = ? AND {condition})"
    )


_WITH_PREFIX: Final = (
    "SELECT card_id FROM card_search WHERE business_id = ? AND token >= ? AND token < ?"
)


def _search_condition(
    dialect: Dialect, business_id: str, terms: SearchTerms
) -> tuple[str, list[object]]:
    """The filter form of a search: the cards of one set of token index range scans.

    The name words' sets are intersected, then the phone's and e-mail's added: INTERSECT
    before UNION reads the same in both databases (SQLite applies compound operators left
    to right, PostgreSQL binds INTERSECT tighter). One ``IN`` on the card key lets the
    planner fetch the few cards found by key instead of testing every card.
    """
    wanted = _plan(terms)
    params: list[object] = []
    for word in wanted.words:
        params.extend((business_id, word, prefix_end(word)))
    compound = " INTERSECT ".join([_WITH_PREFIX] * len(wanted.words))
    parts = [compound] if compound else []
    for prefix in (wanted.phone, wanted.email):
        if prefix is not None:
            parts.append(_WITH_PREFIX)
            params.extend((business_id, prefix, prefix_end(prefix)))
    if not parts:
        return "1 = 0", []
    return f"c.id IN ({' UNION '.join(parts)})", params


def _plan(terms: SearchTerms) -> SearchPlan:
    """The search's token prefixes, leaving out any no stored token could hold."""
    wanted = plan(terms)
    if wanted.email is not None and not matchable(wanted.email):
        wanted = attrs.evolve(wanted, email=None)
    return wanted


# The ranked search reads no more of the index than it must. Each alternative (the name
# words, the phone, the e-mail) is one statement that returns its best few rows in rank
# order -- the token table carries each card's sort key, so the order needs no card --
# and the lists are merged here. A card's rank in the merge is the best any list gave it;
# each list's rank is at most the card's true one and equals it in the list that found
# the card by its name, so the merged first ``limit`` are exactly the true first ``limit``
# (a list that cut a card off holds ``limit`` cards ranked above it). The one component a
# list can't know alone, "the phone or e-mail typed is exactly the card's", is settled
# for the few cards that have such a token by reading their tokens.
_RANGE: Final = "x.business_id = ? AND x.token >= ? AND x.token < ?"
_HAS_WORD: Final = (
    "EXISTS (SELECT 1 FROM card_search AS y WHERE y.business_id = x.business_id"
    " AND y.card_id = x.card_id AND y.token >= ? AND y.token < ?)"
)
_WHOLE_WORD: Final = (
    "CASE WHEN EXISTS (SELECT 1 FROM card_search AS y WHERE y.business_id = x.business_id"
    " AND y.card_id = x.card_id AND y.token = ?) THEN 1 ELSE 0 END"
)
# How many rows of a range are counted to pick the one that drives a search by words.
_COUNT_CAP: Final = 20_000
# Up to how many cards found by several words are ranked here from their tokens.
_FEW: Final = 500
_IN_CHUNK: Final = 500
_Ranked = tuple[int, int, str, str]  # (exact, whole, sort key, card id)


def search_cards(
    session: Session, dialect: Dialect, business_id: str, terms: SearchTerms, limit: int
) -> list[ClientCard]:
    """Return up to ``limit`` cards matching ``terms``, best first (see ``ClientStore.search``)."""
    wanted = _plan(terms)
    if wanted.is_empty() or limit <= 0 or not matchable(business_id):
        return []
    best: dict[str, _Ranked] = {}

    def keep(found: list[_Ranked]) -> None:
        for entry in found:
            card_id = entry[3]
            known = best.get(card_id)
            best[card_id] = entry if known is None else _higher(known, entry)

    if len(wanted.words) > 1:
        keep(_by_all_words(session, dialect, business_id, wanted, limit))
    elif wanted.words:
        keep(_by_words(session, business_id, wanted.words, limit))
    for prefix in (wanted.phone, wanted.email):
        if prefix is not None:
            keep(_by_prefix(session, business_id, prefix, limit))
    keep(_exactly(session, dialect, business_id, wanted))
    chosen = sorted(best.values(), key=lambda entry: (-entry[0], -entry[1], entry[2], entry[3]))
    ids = [entry[3] for entry in chosen[:limit]]
    if not ids:
        return []
    docs: dict[str, object] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        docs.update(
            session.fetch(
                *select_among(dialect, "cards", ("id", "doc"), business_id, chunk, key="id")
            )
        )
    return [
        card_from_dict(dialect.decode_card(docs[card_id])) for card_id in ids if card_id in docs
    ]


def _higher(one: _Ranked, other: _Ranked) -> _Ranked:
    return (max(one[0], other[0]), max(one[1], other[1]), one[2], one[3])


def _first_distinct(
    session: Session,
    statement: str,
    params: list[object],
    limit: int,
    row: Callable[[tuple[Any, ...]], _Ranked],
) -> list[_Ranked]:
    """The first ``limit`` distinct cards of an ordered statement ending in ``LIMIT ?``.

    A card may own several tokens in one range ("mar": Maria Marini); its first row is
    its best, and more rows are read while repeats leave the page short.
    """
    want = limit * 4 + 8
    while True:
        rows = session.fetch(statement, [*params, want])
        seen: dict[str, _Ranked] = {}
        for each in rows:
            entry = row(each)
            seen.setdefault(entry[3], entry)
        if len(seen) >= limit or len(rows) < want:
            return list(seen.values())[:limit]
        want *= 4


def _by_all_words(
    session: Session, dialect: Dialect, business_id: str, wanted: SearchPlan, limit: int
) -> list[_Ranked]:
    """The cards found by several words: the few found first, then ranked here.

    Words typed together ("giu ro") each match many cards and all of them few. The
    word with the fewest rows drives and the others are probes of each card's own tokens;
    only when many cards match every word are the rows walked in rank order
    (:func:`_by_words`).
    """
    words = _rarest_first(session, business_id, wanted.words)
    driver, others = words[0], words[1:]
    where = " AND ".join([_RANGE, *[_HAS_WORD] * len(others)])
    params: list[object] = [business_id, driver, prefix_end(driver)]
    for word in others:
        params.extend((word, prefix_end(word)))
    ids = session.fetch(
        # Only constant SQL is spliced in: every value is bound.
        f"SELECT DISTINCT x.card_id FROM card_search AS x WHERE {where} LIMIT ?",  # noqa: S608
        [*params, _FEW + 1],
    )
    if len(ids) > _FEW:
        return _by_words(session, business_id, words, limit)
    only_names = SearchPlan(words=wanted.words)
    return _ranked_here(session, dialect, business_id, [str(row[0]) for row in ids], only_names)


def _rarest_first(session: Session, business_id: str, words: tuple[str, ...]) -> tuple[str, ...]:
    """The words ordered by how many rows their ranges hold (counted up to a cap)."""
    sizes = [_range_size(session, business_id, word) for word in words]
    return tuple(word for _, word in sorted(zip(sizes, words, strict=True)))


def _by_words(
    session: Session, business_id: str, words: tuple[str, ...], limit: int
) -> list[_Ranked]:
    """The best cards having a token starting with every word, by whole words then name."""
    # The caller put the range with the fewest rows first: it drives, and the others
    # are probes of the card's own tokens (the (business_id, card_id, token) index).
    driver, others = words[0], words[1:]
    whole = " + ".join(["CASE WHEN x.token = ? THEN 1 ELSE 0 END", *[_WHOLE_WORD] * len(others)])
    where = " AND ".join([_RANGE, *[_HAS_WORD] * len(others)])
    statement = (
        # Only constant SQL is spliced in: every value is bound.
        f"SELECT x.card_id, {whole} AS whole, x.sort_key FROM card_search AS x"  # noqa: S608
        f" WHERE {where} ORDER BY whole DESC, x.sort_key, x.card_id LIMIT ?"
    )
    params: list[object] = [driver, *others, business_id, driver, prefix_end(driver)]
    for word in others:
        params.extend((word, prefix_end(word)))
    return _first_distinct(
        session, statement, params, limit, lambda row: (0, int(row[1]), str(row[2]), str(row[0]))
    )


_RANGE_SIZE: Final = (
    "SELECT count(*) FROM (SELECT 1 FROM card_search AS x"
    " WHERE x.business_id = ? AND x.token >= ? AND x.token < ? LIMIT ?) AS counted"
)


def _range_size(session: Session, business_id: str, prefix: str) -> int:
    rows = session.fetch(_RANGE_SIZE, (business_id, prefix, prefix_end(prefix), _COUNT_CAP))
    return int(rows[0][0])


def _by_prefix(session: Session, business_id: str, prefix: str, limit: int) -> list[_Ranked]:
    """The first cards by name having a token starting with ``prefix`` (a phone, an e-mail)."""
    statement = (
        f"SELECT x.card_id, x.sort_key FROM card_search AS x WHERE {_RANGE}"  # noqa: S608
        " ORDER BY x.sort_key, x.card_id LIMIT ?"
    )
    return _first_distinct(
        session,
        statement,
        [business_id, prefix, prefix_end(prefix)],
        limit,
        lambda row: (0, 0, str(row[1]), str(row[0])),
    )


def _exactly(
    session: Session, dialect: Dialect, business_id: str, wanted: SearchPlan
) -> list[_Ranked]:
    """The cards whose phone or e-mail is exactly what was typed, fully ranked."""
    exact = [token for token in (wanted.phone, wanted.email) if token is not None]
    if not exact:
        return []
    owners = session.fetch(
        # Only placeholders are spliced in.
        "SELECT DISTINCT card_id FROM card_search"  # noqa: S608
        f" WHERE business_id = ? AND token IN ({marks(exact)})",
        [business_id, *exact],
    )
    return _ranked_here(session, dialect, business_id, [str(row[0]) for row in owners], wanted)


def _tokens_of_cards(
    dialect: Dialect, business_id: str, ids: list[str]
) -> tuple[str, list[object]]:
    """The statement reading the tokens of the cards ``ids``, and its parameters."""
    if dialect.name == "postgresql":
        # One index probe per card, whatever the plan: PostgreSQL's generic plan for
        # "business_id = $1 AND card_id IN (...)" can walk every token of a business by
        # its primary key (seconds for a business of 100,000 cards among 10,000 small
        # ones); see select_among.
        columns = ("card_id", "token", "sort_key")
        return select_among(dialect, "card_search", columns, business_id, ids, key="card_id")
    # SQLite plans from average rows per business; for one business far above the
    # average it would rather read all of that business's tokens than probe a few
    # hundred cards, so the index is named.
    statement = (
        # Only placeholders are spliced in.
        "SELECT card_id, token, sort_key FROM card_search INDEXED BY card_search_by_card"  # noqa: S608
        f" WHERE business_id = ? AND card_id IN ({marks(ids)})"
    )
    return statement, [business_id, *ids]


def _ranked_here(
    session: Session, dialect: Dialect, business_id: str, ids: list[str], wanted: SearchPlan
) -> list[_Ranked]:
    """Rank a few cards by reading their tokens (the reference rule, applied here)."""
    tokens: dict[str, set[str]] = {}
    keys: dict[str, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        for card_id, token, key in session.fetch(*_tokens_of_cards(dialect, business_id, chunk)):
            tokens.setdefault(str(card_id), set()).add(str(token))
            keys[str(card_id)] = str(key)
    found: list[_Ranked] = []
    for card_id, owned in tokens.items():
        ranked = rank(frozenset(owned), wanted)
        if ranked is not None:
            found.append((*ranked, keys[card_id], card_id))
    return found


def select_cards(
    session: Session,
    dialect: Dialect,
    business_id: str,
    query: CardQuery | None,
    *,
    limit: int,
    after: tuple[str, str] | None,
) -> Page[ClientCard]:
    """Return up to ``limit`` matching cards after the ``(sort_key, id)`` in ``after``."""
    if after is None and query is not None:
        found = _select_by_key(session, dialect, business_id, query, limit)
        if found is not None:
            return found
    where, params = card_filter(dialect, business_id, query)
    if after is not None:
        if not all(matchable(part) for part in after):
            raise ValidationError(
                [FieldIssue("cursor", "query.cursor_invalid", "not a cursor this store made")]
            )
        where += " AND (c.sort_key, c.id) > (?, ?)"
        params.extend(after)
    # Only constant SQL is spliced in: card_filter binds every value.
    statement = f"SELECT c.doc, c.sort_key, c.id FROM cards AS c WHERE {where}"  # noqa: S608
    # One row more than asked tells whether another page follows.
    rows = session.fetch(f"{statement} ORDER BY c.sort_key, c.id LIMIT ?", [*params, limit + 1])
    page = rows[:limit]
    cards = tuple(card_from_dict(dialect.decode_card(row[0])) for row in page)
    more = len(rows) > limit
    return Page(items=cards, next_cursor=encode_cursor(page[-1][1], page[-1][2]) if more else None)


# A lookup by phone or e-mail matches the few cards sharing that key. Ordering them in
# SQL costs more than the lookup itself (SQLite answers the ordered IN form in about
# twice the time of this join), so they are read unordered and sorted here -- by code
# point, as both databases order sort_key and id (SQLite's BINARY, PostgreSQL's "C").
_BY_PHONE: Final = (
    "SELECT c.doc, c.sort_key, c.id FROM card_phones AS x JOIN cards AS c"
    " ON c.business_id = x.business_id AND c.id = x.card_id"
    " WHERE x.business_id = ? AND x.number = ? LIMIT ?"
)
_QUERY_FIELDS: Final = tuple(field.name for field in attrs.fields(CardQuery))
_BY_EMAIL: Final = (
    "SELECT c.doc, c.sort_key, c.id FROM cards AS c"
    " WHERE c.business_id = ? AND c.email_key = ? LIMIT ?"
)
# A guardian's wards, read the same way. Ordered in SQL, SQLite's planner (whose
# statistics see most cards with no guardian, so an unselective index) walked the
# whole business in sort order instead: every change of a card read every card.
_BY_GUARDIAN: Final = (
    "SELECT c.doc, c.sort_key, c.id FROM cards AS c"
    " WHERE c.business_id = ? AND c.guardian_id = ? LIMIT ?"
)


def _select_by_key(
    session: Session, dialect: Dialect, business_id: str, query: CardQuery, limit: int
) -> Page[ClientCard] | None:
    """The first page of a lookup by phone, e-mail or guardian alone; ``None`` otherwise.

    ``None`` too when more cards match than one page holds: only an ordered query can
    tell which come first, and the caller runs it.
    """
    # Read from the query's fields, so a filter added to CardQuery later is never missed.
    given = [name for name in _QUERY_FIELDS if getattr(query, name) is not None]
    if given == ["phone"] and query.phone is not None:
        statement, key = _BY_PHONE, query.phone
    elif given == ["email"] and query.email is not None:
        statement, key = _BY_EMAIL, query.email
    elif given == ["guardian_id"] and query.guardian_id is not None:
        statement, key = _BY_GUARDIAN, query.guardian_id
    else:
        return None
    if not matchable(business_id) or not matchable(key):
        return Page(items=())
    # One row more than a page: with it, the matches overflow the page.
    rows = session.fetch(statement, (business_id, key, limit + 1))
    if len(rows) > limit:
        return None
    if len(rows) > 1:
        rows.sort(key=lambda row: (row[1], row[2]))
    return Page(items=tuple(card_from_dict(dialect.decode_card(row[0])) for row in rows))


def _only_contactable(query: CardQuery) -> bool:
    return attrs.evolve(query, contactable=None) == CardQuery()


def count_cards(
    session: Session, dialect: Dialect, business_id: str, query: CardQuery | None
) -> int:
    """Count the cards of ``business_id`` matching ``query``."""
    if query is not None and query.contactable is not None and _only_contactable(query):
        # An audience count alone reads the permissions' covering index: a permission
        # row exists only for a card of the business (it is deleted with the card).
        purpose, channel = query.contactable
        if not all(matchable(value) for value in (business_id, purpose, channel)):
            return 0
        rows = session.fetch(
            "SELECT count(*) FROM card_permissions"
            " WHERE business_id = ? AND purpose = ? AND channel = ?",
            (business_id, purpose, channel),
        )
        return int(rows[0][0])
    where, params = card_filter(dialect, business_id, query)
    # Only constant SQL is spliced in: card_filter binds every value.
    rows = session.fetch(f"SELECT count(*) FROM cards AS c WHERE {where}", params)  # noqa: S608
    return int(rows[0][0])
