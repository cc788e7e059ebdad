"""The statements that list and count a business's cards by a :class:`CardQuery`.

:func:`card_filter` turns a query into a parameterised ``WHERE`` clause with the
semantics of :func:`clientcard.storage.memory.matches`; listings page by keyset on
``(sort_key, id)``, and a lookup by phone or e-mail alone takes a shorter path.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import card_from_dict
from clientcard.errors import FieldIssue, ValidationError
from clientcard.storage._sql._common import matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.protocol import CardQuery, Page, SearchTerms, encode_cursor

__all__ = ["card_filter", "count_cards", "select_cards"]

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


def _search_condition(
    dialect: Dialect, business_id: str, terms: SearchTerms
) -> tuple[str, list[object]]:
    alternatives: list[str] = []
    params: list[object] = []
    if terms.name is not None and matchable(terms.name):
        for column in ("c.name_fold", "c.name_fold_reversed"):
            sql, pattern = dialect.text_match(column, terms.name)
            alternatives.append(sql)
            params.append(pattern)
    if terms.phone_digits is not None:
        sql, pattern = dialect.text_match("x.number", terms.phone_digits)
        alternatives.append(_child("card_phones", sql))
        params.extend((business_id, pattern))
    if terms.email is not None and matchable(terms.email):
        sql, pattern = dialect.text_match("c.email_key", terms.email, prefix=True)
        alternatives.append(sql)
        params.append(pattern)
    if not alternatives:
        return "1 = 0", []
    return "(" + " OR ".join(alternatives) + ")", params


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
