"""The statements that write and read single cards, with their phones and tags.

A card's derived columns (sort key, folded names, e-mail lookup key ...) are computed
here from the card, as :func:`clientcard.storage.memory.matches` reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import _timestamp_text, card_from_dict, card_to_dict
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.errors import DuplicateError, NotFoundError, VersionConflictError
from clientcard.storage._search import card_tokens
from clientcard.storage._sql._common import (
    among,
    check_version,
    insert_rows,
    locked_version,
    matchable,
    refuse_taken,
    select_among,
)
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.bulk import GroupChange
from clientcard.storage.protocol import sort_key

__all__ = [
    "insert_card",
    "insert_cards",
    "insert_tokens",
    "remove_card",
    "replace_card",
    "replace_cards",
    "select_card",
    "select_cards_by_id",
    "set_group",
]

_INSERT_CARD: Final = (
    "INSERT INTO cards (business_id, id, version, sort_key, name_fold, name_fold_reversed,"
    " email_key, status, client_group, guardian_id, referral_source, doc)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_TOKEN_COLUMNS: Final = ("business_id", "token", "card_id", "sort_key")
_DELETE_TOKENS: Final = "DELETE FROM card_search WHERE business_id = ? AND card_id = ?"
_CARD_COLUMNS: Final = (
    "business_id",
    "id",
    "version",
    "sort_key",
    "name_fold",
    "name_fold_reversed",
    "email_key",
    "status",
    "client_group",
    "guardian_id",
    "referral_source",
    "doc",
)
_UPDATE_CARD: Final = (
    "UPDATE cards SET version = ?, sort_key = ?, name_fold = ?, name_fold_reversed = ?,"
    " email_key = ?, status = ?, client_group = ?, guardian_id = ?, referral_source = ?,"
    " doc = ?"
    " WHERE business_id = ? AND id = ?"
)


def _derived(card: ClientCard, dialect: Dialect) -> tuple[object, ...]:
    """The columns after ``business_id, id`` in ``cards``, as matches() reads the card."""
    return (
        card.version,
        sort_key(card),
        fold(f"{card.first_name} {card.last_name}"),
        fold(f"{card.last_name} {card.first_name}"),
        lookup_key(card.email) if card.email is not None else None,
        card.status.value,
        card.client_group,
        card.guardian_id,
        card.referral_source,
        dialect.encode_card(card_to_dict(card)),
    )


def _write_children(session: Session, card: ClientCard) -> None:
    _write_phones(session, card)
    _write_tags(session, card)


def _write_phones(session: Session, card: ClientCard) -> None:
    owner = (card.business_id, card.id)
    # A card's phones are unique when built through the schema, but the key must hold
    # whatever card a host constructs itself.
    phones = [(*owner, number) for number in dict.fromkeys(card.phones)]
    if phones:
        session.execute_many(
            "INSERT INTO card_phones (business_id, card_id, number) VALUES (?, ?, ?)", phones
        )


def _write_tags(session: Session, card: ClientCard) -> None:
    owner = (card.business_id, card.id)
    if card.tags:
        session.execute_many(
            "INSERT INTO card_tags (business_id, card_id, tag) VALUES (?, ?, ?)",
            [(*owner, tag) for tag in card.tags],
        )


def insert_tokens(session: Session, dialect: Dialect, rows: Sequence[tuple[object, ...]]) -> None:
    """Index cards for search: insert ``(business_id, token, card_id, sort_key)`` rows.

    The tokens are :func:`clientcard.storage._search.card_tokens`'s; they are written in
    the unit of work that writes the card, and deleted with it.
    """
    insert_rows(session, dialect, "card_search", _TOKEN_COLUMNS, rows)


def _token_rows(cards: Sequence[ClientCard]) -> list[tuple[object, ...]]:
    # Sorted, so rows go into the index in its order.
    return [
        (card.business_id, token, card.id, key)
        for card, key in ((card, sort_key(card)) for card in cards)
        for token in sorted(card_tokens(card))
    ]


def insert_card(session: Session, dialect: Dialect, card: ClientCard) -> None:
    """Insert a new card with its phones, tags and search tokens.

    :raises DuplicateError: the id is taken.
    """
    if not session.fetch("SELECT 1 FROM businesses WHERE id = ?", (card.business_id,)):
        raise NotFoundError("business", card.business_id)
    if not session.execute(_INSERT_CARD, (card.business_id, card.id, *_derived(card, dialect))):
        raise DuplicateError("card", card.id)
    _write_children(session, card)
    insert_tokens(session, dialect, _token_rows([card]))


_CHUNK: Final = 500


def insert_cards(
    session: Session,
    dialect: Dialect,
    cards: Sequence[ClientCard],
    permissions: Mapping[str, frozenset[tuple[str, str]]],
) -> None:
    """Insert new cards of one business with their phones, tags and permissions, in batches.

    Ids are checked first, so a taken or repeated id is reported by name and nothing is
    written; the inserts then go out in bulk
    (:func:`~clientcard.storage._sql._common.insert_rows`).
    """
    business_id = cards[0].business_id
    if not session.fetch("SELECT 1 FROM businesses WHERE id = ?", (business_id,)):
        raise NotFoundError("business", business_id)
    seen: set[str] = set()
    for card in cards:
        if card.id in seen:
            raise DuplicateError("card", card.id)
        seen.add(card.id)
    ids = [card.id for card in cards]
    refuse_taken(session, dialect, "cards", business_id, ids, key="id", kind="card")
    insert_rows(
        session,
        dialect,
        "cards",
        _CARD_COLUMNS,
        [(card.business_id, card.id, *_derived(card, dialect)) for card in cards],
    )
    insert_rows(
        session,
        dialect,
        "card_phones",
        ("business_id", "card_id", "number"),
        [(card.business_id, card.id, n) for card in cards for n in dict.fromkeys(card.phones)],
    )
    insert_rows(
        session,
        dialect,
        "card_tags",
        ("business_id", "card_id", "tag"),
        [(card.business_id, card.id, tag) for card in cards for tag in card.tags],
    )
    insert_tokens(session, dialect, _token_rows(cards))
    insert_rows(
        session,
        dialect,
        "card_permissions",
        ("business_id", "card_id", "purpose", "channel"),
        [
            (business_id, card.id, purpose, channel)
            for card in cards
            for purpose, channel in sorted(permissions.get(card.id, ()))
        ],
    )


def select_card(session: Session, dialect: Dialect, business_id: str, card_id: str) -> ClientCard:
    """Read a card of ``business_id``. :raises NotFoundError: no such card there."""
    if not matchable(business_id) or not matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(
        "SELECT doc FROM cards WHERE business_id = ? AND id = ?", (business_id, card_id)
    )
    if not rows:
        raise NotFoundError("card", card_id)
    return card_from_dict(dialect.decode_card(rows[0][0]))


def select_cards_by_id(
    session: Session, dialect: Dialect, business_id: str, card_ids: Sequence[str]
) -> dict[str, ClientCard]:
    """Read the cards of ``business_id`` among ``card_ids``, a chunk of ids a statement."""
    if not matchable(business_id):
        return {}
    ids = [card_id for card_id in dict.fromkeys(card_ids) if matchable(card_id)]
    found: dict[str, ClientCard] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.fetch(
            *select_among(dialect, "cards", ("id", "doc"), business_id, chunk, key="id")
        )
        for card_id, doc in rows:
            found[str(card_id)] = card_from_dict(dialect.decode_card(doc))
    return {card_id: found[card_id] for card_id in ids if card_id in found}


def _children(
    session: Session,
    dialect: Dialect,
    table: str,
    business_id: str,
    chunk: Sequence[str],
    *,
    column: str,
) -> dict[str, set[str]]:
    rows = session.fetch(
        *select_among(dialect, table, ("card_id", column), business_id, chunk, key="card_id")
    )
    held: dict[str, set[str]] = {}
    for card_id, value in rows:
        held.setdefault(str(card_id), set()).add(str(value))
    return held


def _rewrite_tokens(
    session: Session, dialect: Dialect, business_id: str, cards: Sequence[ClientCard]
) -> None:
    """Rewrite the search tokens of those of ``cards`` whose tokens or sort key changed.

    One read for the chunk; a group move or a note changes no token, so it writes none.
    """
    rows = session.fetch(
        *select_among(
            dialect,
            "card_search",
            ("card_id", "token", "sort_key"),
            business_id,
            [card.id for card in cards],
            key="card_id",
        )
    )
    held: dict[str, set[tuple[str, str]]] = {}
    for card_id, token, key in rows:
        held.setdefault(str(card_id), set()).add((str(token), str(key)))
    changed = [
        card
        for card in cards
        if held.get(card.id, set()) != {(row[1], row[3]) for row in _token_rows([card])}
    ]
    for card in changed:
        session.execute(_DELETE_TOKENS, (business_id, card.id))
    insert_tokens(session, dialect, _token_rows(changed))


def replace_cards(
    session: Session,
    dialect: Dialect,
    cards: Sequence[ClientCard],
    expected_versions: Mapping[str, int],
) -> None:
    """Replace cards of one business, each at its expected version, a chunk at a time.

    Every version is checked (under lock on PostgreSQL) before anything is written, so
    a refused batch leaves nothing behind. Phones and tags are rewritten only for the
    cards whose phones or tags changed: a group move touches the card rows alone.
    """
    business_id = cards[0].business_id
    by_id = {card.id: card for card in cards}
    ids = list(by_id)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        if not all(matchable(card_id) for card_id in (business_id, *chunk)):
            raise NotFoundError("card", next(i for i in chunk if not matchable(i)))
        rows = session.fetch(
            *select_among(
                dialect, "cards", ("id", "version"), business_id, chunk, key="id", lock=True
            )
        )
        stored = {str(card_id): int(version) for card_id, version in rows}
        for card_id in chunk:
            if card_id not in stored:
                raise NotFoundError("card", card_id)
            if stored[card_id] != expected_versions[card_id]:
                raise VersionConflictError(card_id, expected_versions[card_id], stored[card_id])
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute_many(
            _UPDATE_CARD,
            [(*_derived(by_id[card_id], dialect), business_id, card_id) for card_id in chunk],
        )
        phones = _children(session, dialect, "card_phones", business_id, chunk, column="number")
        tags = _children(session, dialect, "card_tags", business_id, chunk, column="tag")
        _rewrite_tokens(session, dialect, business_id, [by_id[card_id] for card_id in chunk])
        for card_id in chunk:
            card = by_id[card_id]
            if phones.get(card_id, set()) != set(card.phones):
                session.execute(
                    "DELETE FROM card_phones WHERE business_id = ? AND card_id = ?",
                    (business_id, card_id),
                )
                _write_phones(session, card)
            if tags.get(card_id, set()) != set(card.tags):
                session.execute(
                    "DELETE FROM card_tags WHERE business_id = ? AND card_id = ?",
                    (business_id, card_id),
                )
                _write_tags(session, card)


def set_group(
    session: Session,
    dialect: Dialect,
    business_id: str,
    expected_versions: Mapping[str, int],
    group: str | None,
    *,
    at: dt.datetime,
) -> GroupChange:
    """Move cards into ``group`` in the database: one read and one ``UPDATE`` per chunk.

    The card documents are rewritten in place (``client_group``, ``version``,
    ``updated_at``), as ``ClientCard.apply`` and :func:`card_to_dict` would write them,
    without decoding a card in Python: the rest of each document stays as it was.
    """
    outcome: dict[str, list[str]] = {"moved": [], "unchanged": [], "conflicts": [], "missing": []}
    ids = list(expected_versions)
    stamp = _timestamp_text(at)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        readable = [card_id for card_id in chunk if matchable(card_id)]
        stored: dict[str, tuple[int, object]] = {}
        if matchable(business_id) and readable:
            rows = session.fetch(
                *select_among(
                    dialect,
                    "cards",
                    ("id", "version", "client_group"),
                    business_id,
                    readable,
                    key="id",
                    lock=True,
                )
            )
            stored = {str(card_id): (int(version), held) for card_id, version, held in rows}
        moving = []
        for card_id in chunk:
            if card_id not in stored:
                outcome["missing"].append(card_id)
            elif stored[card_id][0] != expected_versions[card_id]:
                outcome["conflicts"].append(card_id)
            elif stored[card_id][1] == group:
                outcome["unchanged"].append(card_id)
            else:
                moving.append(card_id)
        if moving:
            condition, keys = among(dialect, "cards", "id", business_id, moving)
            session.execute(
                # Only constant expressions and placeholders are spliced in.
                "UPDATE cards SET client_group = ?, version = version + 1,"  # noqa: S608
                f" doc = {dialect.set_group_doc} WHERE business_id = ? AND {condition}",
                (group, group, stamp, business_id, *keys),
            )
        outcome["moved"].extend(moving)
    return GroupChange(**{name: tuple(found) for name, found in outcome.items()})


def replace_card(
    session: Session, dialect: Dialect, card: ClientCard, expected_version: int
) -> None:
    """Replace a card at ``expected_version``, with its phones and tags."""
    owner = (card.business_id, card.id)
    check_version(card.id, expected_version, locked_version(session, dialect, *owner))
    session.execute(_UPDATE_CARD, (*_derived(card, dialect), *owner))
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    session.execute(_DELETE_TOKENS, owner)
    _write_children(session, card)
    insert_tokens(session, dialect, _token_rows([card]))


def remove_card(
    session: Session, dialect: Dialect, business_id: str, card_id: str, expected_version: int
) -> None:
    """Delete a card at ``expected_version`` with everything recorded about it."""
    owner = (business_id, card_id)
    check_version(card_id, expected_version, locked_version(session, dialect, *owner))
    # Deleted explicitly rather than left to ON DELETE CASCADE, so permissions go even
    # if a connection was opened without foreign key enforcement.
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM consent_events WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM sends WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM records WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    session.execute(_DELETE_TOKENS, owner)
    session.execute("DELETE FROM cards WHERE business_id = ? AND id = ?", owner)
