"""The statements behind every store operation, each run on a given session."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

from clientcard.business import Business
from clientcard.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.contact.email import lookup_key
from clientcard.contact.name import fold
from clientcard.errors import (
    DuplicateError,
    FieldIssue,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import DomainEvent
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.serialization import (
    business_from_dict,
    business_to_dict,
    card_from_dict,
    card_to_dict,
    consent_event_from_dict,
    consent_event_to_dict,
    event_from_dict,
    event_to_dict,
    send_from_dict,
    send_to_dict,
)
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.protocol import (
    CardQuery,
    Page,
    SearchTerms,
    encode_cursor,
    sort_key,
)
from clientcard.storage.records import Record, RecordQuery, encode_record_cursor

# The custom-field key rule of clientcard.schema, restated here because the key ends up
# inside a JSON path: the store must not depend on a looser rule elsewhere to stay safe.
_CUSTOM_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")

_KNOWN_BUSINESSES: Final = 256

# -- rows ---------------------------------------------------------------------------------

_INSERT_CARD: Final = (
    "INSERT INTO cards (business_id, id, version, sort_key, name_fold, name_fold_reversed,"
    " email_key, status, client_group, guardian_id, doc)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)
_UPDATE_CARD: Final = (
    "UPDATE cards SET version = ?, sort_key = ?, name_fold = ?, name_fold_reversed = ?,"
    " email_key = ?, status = ?, client_group = ?, guardian_id = ?, doc = ?"
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
        dialect.encode_card(card_to_dict(card)),
    )


def _write_children(session: Session, card: ClientCard) -> None:
    owner = (card.business_id, card.id)
    # A card's phones are unique when built through the schema, but the key must hold
    # whatever card a host constructs itself.
    phones = [(*owner, number) for number in dict.fromkeys(card.phones)]
    if phones:
        session.execute_many(
            "INSERT INTO card_phones (business_id, card_id, number) VALUES (?, ?, ?)", phones
        )
    if card.tags:
        session.execute_many(
            "INSERT INTO card_tags (business_id, card_id, tag) VALUES (?, ?, ?)",
            [(*owner, tag) for tag in card.tags],
        )


def _locked_version(session: Session, dialect: Dialect, business_id: str, card_id: str) -> int:
    if not _matchable(business_id) or not _matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(dialect.lock_card, (business_id, card_id))
    if not rows:
        raise NotFoundError("card", card_id)
    return int(rows[0][0])


def _check_version(card_id: str, expected: int, actual: int) -> None:
    if actual != expected:
        raise VersionConflictError(card_id, expected, actual)


# -- operations ---------------------------------------------------------------------------
# Each takes the session of the transaction it runs in; SQLStore decides which that is.


def insert_business(session: Session, dialect: Dialect, business: Business) -> None:
    """Insert a new business. :raises DuplicateError: the id is taken."""
    inserted = session.execute(
        "INSERT INTO businesses (id, revision, doc) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (business.id, business.schema.revision, dialect.encode_doc(business_to_dict(business))),
    )
    if not inserted:
        raise DuplicateError("business", business.id)


def select_business(
    session: Session,
    dialect: Dialect,
    business_id: str,
    known: dict[str, tuple[object, Business]] | None = None,
) -> Business:
    """Read a business. :raises NotFoundError: no such business.

    ``known`` maps ids to the stored document and the business read from it: a
    business whose stored document is unchanged is not decoded again (its schema is
    the costly part, and every lookup by phone needs the business's region).
    """
    if not _matchable(business_id):
        raise NotFoundError("business", business_id)
    rows = session.fetch("SELECT doc FROM businesses WHERE id = ?", (business_id,))
    if not rows:
        raise NotFoundError("business", business_id)
    stored = rows[0][0]
    if known is not None:
        cached = known.get(business_id)
        if cached is not None and cached[0] == stored:
            return cached[1]
    business = business_from_dict(dialect.decode_doc(stored))
    if known is not None:
        if len(known) >= _KNOWN_BUSINESSES:
            known.clear()
        known[business_id] = (stored, business)
    return business


def replace_business(
    session: Session, dialect: Dialect, business: Business, expected_revision: int
) -> None:
    """Replace a business whose stored schema revision is ``expected_revision``."""
    rows = session.fetch(dialect.lock_business, (business.id,))
    if not rows:
        raise NotFoundError("business", business.id)
    actual = int(rows[0][0])
    if actual != expected_revision:
        raise VersionConflictError(business.id, expected_revision, actual)
    session.execute(
        "UPDATE businesses SET revision = ?, doc = ? WHERE id = ?",
        (business.schema.revision, dialect.encode_doc(business_to_dict(business)), business.id),
    )


def insert_card(session: Session, dialect: Dialect, card: ClientCard) -> None:
    """Insert a new card with its phones and tags. :raises DuplicateError: the id is taken."""
    if not session.fetch("SELECT 1 FROM businesses WHERE id = ?", (card.business_id,)):
        raise NotFoundError("business", card.business_id)
    if not session.execute(_INSERT_CARD, (card.business_id, card.id, *_derived(card, dialect))):
        raise DuplicateError("card", card.id)
    _write_children(session, card)


_CHUNK: Final = 500


def insert_cards(
    session: Session,
    dialect: Dialect,
    cards: Sequence[ClientCard],
    permissions: Mapping[str, frozenset[tuple[str, str]]],
) -> None:
    """Insert new cards of one business with their phones, tags and permissions, in batches.

    Ids are checked first, so a taken or repeated id is reported by name and nothing is
    written; the inserts then go out in bulk (see :func:`_insert_rows`).
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
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        taken = session.fetch(
            # Only placeholders are spliced in.
            f"SELECT id FROM cards WHERE business_id = ? AND id IN ({_marks(chunk)})",  # noqa: S608
            (business_id, *chunk),
        )
        if taken:
            raise DuplicateError("card", str(taken[0][0]))
    _insert_rows(
        session,
        dialect,
        _INSERT_CARD.split(" VALUES ")[0],
        [(card.business_id, card.id, *_derived(card, dialect)) for card in cards],
    )
    _insert_rows(
        session,
        dialect,
        "INSERT INTO card_phones (business_id, card_id, number)",
        [(card.business_id, card.id, n) for card in cards for n in dict.fromkeys(card.phones)],
    )
    _insert_rows(
        session,
        dialect,
        "INSERT INTO card_tags (business_id, card_id, tag)",
        [(card.business_id, card.id, tag) for card in cards for tag in card.tags],
    )
    _insert_rows(
        session,
        dialect,
        "INSERT INTO card_permissions (business_id, card_id, purpose, channel)",
        [
            (business_id, card.id, purpose, channel)
            for card in cards
            for purpose, channel in sorted(permissions.get(card.id, ()))
        ],
    )


def _insert_rows(
    session: Session, dialect: Dialect, head: str, rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert ``rows`` in bulk, as suits the database (:attr:`Dialect.rows_per_insert`).

    PostgreSQL gets multi-row ``VALUES`` lists of 200 rows a statement, SQLite one
    prepared statement run per row. This is what makes
    :meth:`~clientcard.storage.protocol.ClientStore.add_many` a bulk path.
    """
    if not rows:
        return
    width = len(rows[0])
    marks = "(" + ", ".join("?" * width) + ")"
    step = dialect.rows_per_insert
    if step == 1:
        # Only placeholders are spliced in; the head is one of the constants above.
        session.execute_many(f"{head} VALUES {marks}", rows)
        return
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        statement = f"{head} VALUES {', '.join([marks] * len(chunk))}"
        session.execute(statement, [value for row in chunk for value in row])


def select_card(session: Session, dialect: Dialect, business_id: str, card_id: str) -> ClientCard:
    """Read a card of ``business_id``. :raises NotFoundError: no such card there."""
    if not _matchable(business_id) or not _matchable(card_id):
        raise NotFoundError("card", card_id)
    rows = session.fetch(
        "SELECT doc FROM cards WHERE business_id = ? AND id = ?", (business_id, card_id)
    )
    if not rows:
        raise NotFoundError("card", card_id)
    return card_from_dict(dialect.decode_card(rows[0][0]))


def replace_card(
    session: Session, dialect: Dialect, card: ClientCard, expected_version: int
) -> None:
    """Replace a card at ``expected_version``, with its phones and tags."""
    owner = (card.business_id, card.id)
    _check_version(card.id, expected_version, _locked_version(session, dialect, *owner))
    session.execute(_UPDATE_CARD, (*_derived(card, dialect), *owner))
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    _write_children(session, card)


def remove_card(
    session: Session, dialect: Dialect, business_id: str, card_id: str, expected_version: int
) -> None:
    """Delete a card at ``expected_version`` with everything recorded about it."""
    owner = (business_id, card_id)
    _check_version(card_id, expected_version, _locked_version(session, dialect, *owner))
    # Deleted explicitly rather than left to ON DELETE CASCADE, so permissions go even
    # if a connection was opened without foreign key enforcement.
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM consent_events WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM sends WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM records WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_phones WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM card_tags WHERE business_id = ? AND card_id = ?", owner)
    session.execute("DELETE FROM cards WHERE business_id = ? AND id = ?", owner)


def card_filter(
    dialect: Dialect, business_id: str, query: CardQuery | None
) -> tuple[str, list[object]]:
    """Return the ``WHERE`` condition on ``cards AS c`` for ``query``, and its parameters.

    The semantics are :func:`clientcard.storage.memory.matches`; every value is a bound
    parameter and every pattern matches its text literally.
    """
    if not _matchable(business_id):
        return "1 = 0", []
    clauses = ["c.business_id = ?"]
    params: list[object] = [business_id]
    if query is None:
        return clauses[0], params

    def require(sql: str, *values: object) -> None:
        if not all(_matchable(value) for value in values):
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


def _matchable(value: object) -> bool:
    """Tell whether ``value`` can be looked up: no stored key or column holds U+0000.

    Validated values never hold one, PostgreSQL refuses to bind one and SQLite's GLOB
    stops at one, so a value with U+0000 matches nothing, in both databases alike.
    """
    return not (isinstance(value, str) and "\x00" in value)


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
    if terms.name is not None and _matchable(terms.name):
        for column in ("c.name_fold", "c.name_fold_reversed"):
            sql, pattern = dialect.text_match(column, terms.name)
            alternatives.append(sql)
            params.append(pattern)
    if terms.phone_digits is not None:
        sql, pattern = dialect.text_match("x.number", terms.phone_digits)
        alternatives.append(_child("card_phones", sql))
        params.extend((business_id, pattern))
    if terms.email is not None and _matchable(terms.email):
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
        if not all(_matchable(part) for part in after):
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


def _select_by_key(
    session: Session, dialect: Dialect, business_id: str, query: CardQuery, limit: int
) -> Page[ClientCard] | None:
    """The first page of a lookup by phone or e-mail alone; ``None`` for any other query.

    ``None`` too when more cards match than one page holds: only an ordered query can
    tell which come first, and the caller runs it.
    """
    # Read from the query's fields, so a filter added to CardQuery later is never missed.
    given = [name for name in _QUERY_FIELDS if getattr(query, name) is not None]
    if given == ["phone"] and query.phone is not None:
        statement, key = _BY_PHONE, query.phone
    elif given == ["email"] and query.email is not None:
        statement, key = _BY_EMAIL, query.email
    else:
        return None
    if not _matchable(business_id) or not _matchable(key):
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
        if not all(_matchable(value) for value in (business_id, purpose, channel)):
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


def replace_permissions(
    session: Session,
    dialect: Dialect,
    business_id: str,
    card_id: str,
    permissions: frozenset[tuple[str, str]],
) -> None:
    """Replace the recorded ``(purpose, channel)`` pairs of a card."""
    owner = (business_id, card_id)
    # Locking the card row queues concurrent replacements of the same card's pairs, so
    # one never adds to what the other just deleted.
    _locked_version(session, dialect, *owner)
    session.execute("DELETE FROM card_permissions WHERE business_id = ? AND card_id = ?", owner)
    if permissions:
        session.execute_many(
            "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
            " VALUES (?, ?, ?, ?)",
            [(*owner, purpose, channel) for purpose, channel in sorted(permissions)],
        )


def select_permissions(
    session: Session, business_id: str, card_id: str
) -> frozenset[tuple[str, str]]:
    """Read the recorded ``(purpose, channel)`` pairs of a card."""
    if not _matchable(business_id) or not _matchable(card_id):
        return frozenset()
    rows = session.fetch(
        "SELECT purpose, channel FROM card_permissions WHERE business_id = ? AND card_id = ?",
        (business_id, card_id),
    )
    return frozenset((str(purpose), str(channel)) for purpose, channel in rows)


def insert_consent(session: Session, dialect: Dialect, events: Sequence[ConsentEvent]) -> None:
    """Append events to their cards' consent ledgers (each card must exist)."""
    for event in events:
        # Reading the card under lock also keeps it from being deleted meanwhile.
        _locked_version(session, dialect, event.business_id, event.card_id)
        inserted = session.execute(
            "INSERT INTO consent_events (event_id, business_id, card_id, doc)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                event.event_id,
                event.business_id,
                event.card_id,
                dialect.encode_doc(consent_event_to_dict(event)),
            ),
        )
        if not inserted:
            raise DuplicateError("consent event", event.event_id)


def select_consent(
    session: Session, dialect: Dialect, business_id: str, card_id: str
) -> list[ConsentEvent]:
    """Read a card's consent ledger in the order it was appended."""
    if not _matchable(business_id) or not _matchable(card_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM consent_events WHERE business_id = ? AND card_id = ? ORDER BY seq",
        (business_id, card_id),
    )
    return [consent_event_from_dict(dialect.decode_doc(row[0])) for row in rows]


def insert_sends(session: Session, dialect: Dialect, sends: Sequence[Send]) -> int:
    """Record queued sends, leaving out ids and dedupe keys already there; count the new."""
    added = 0
    for send in sends:
        added += session.execute(
            "INSERT INTO sends (send_id, business_id, batch_id, card_id, template_key, channel,"
            " status, queued_at, updated_at, not_before, dedupe_key, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (
                send.send_id,
                send.business_id,
                send.batch_id,
                send.card_id,
                send.template_key,
                send.channel.value,
                send.status.value,
                dialect.timestamp(send.queued_at),
                dialect.timestamp(send.updated_at),
                _maybe_timestamp(dialect, send.not_before),
                send.dedupe_key,
                dialect.encode_doc(send_to_dict(send)),
            ),
        )
    return added


def _maybe_timestamp(dialect: Dialect, value: dt.datetime | None) -> object:
    return None if value is None else dialect.timestamp(value)


def _write_send(session: Session, dialect: Dialect, send: Send) -> int:
    return session.execute(
        "UPDATE sends SET status = ?, updated_at = ?, not_before = ?, doc = ? WHERE send_id = ?",
        (
            send.status.value,
            dialect.timestamp(send.updated_at),
            _maybe_timestamp(dialect, send.not_before),
            dialect.encode_doc(send_to_dict(send)),
            send.send_id,
        ),
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def claim_sends(
    session: Session,
    dialect: Dialect,
    *,
    now: dt.datetime,
    stale_before: dt.datetime,
    limit: int,
    scope: SendScope,
) -> list[Send]:
    """Mark up to ``limit`` queued or stale sends in ``scope`` as being sent; return them."""
    templates = sorted(scope.template_keys)
    channels = sorted(channel.value for channel in scope.channels)
    if not templates or not channels:
        return []
    # Only placeholders and the dialect's constant locking clause are spliced in.
    rows = session.fetch(
        "SELECT doc FROM sends"  # noqa: S608
        " WHERE ((status = 'queued' AND (not_before IS NULL OR not_before <= ?))"
        " OR (status = 'sending' AND updated_at < ?))"
        f" AND template_key IN ({_marks(templates)}) AND channel IN ({_marks(channels)})"
        + ("" if scope.business_id is None else " AND business_id = ?")
        + f" ORDER BY queued_at, send_id LIMIT ?{dialect.skip_locked}",
        (
            dialect.timestamp(now),
            dialect.timestamp(stale_before),
            *templates,
            *channels,
            *(() if scope.business_id is None else (scope.business_id,)),
            limit,
        ),
    )
    claimed = []
    for row in rows:
        send = send_from_dict(dialect.decode_doc(row[0]))
        send = attrs.evolve(
            send, status=SendStatus.SENDING, updated_at=now, attempts=send.attempts + 1
        )
        _write_send(session, dialect, send)
        claimed.append(send)
    return claimed


def update_send(session: Session, dialect: Dialect, send: Send) -> None:
    """Store a send's new state. :raises NotFoundError: no such send."""
    if not _matchable(send.send_id) or not _write_send(session, dialect, send):
        raise NotFoundError("send", send.send_id)


def select_sends(session: Session, dialect: Dialect, business_id: str, batch_id: str) -> list[Send]:
    """Read the sends of one batch, oldest first."""
    if not _matchable(business_id) or not _matchable(batch_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM sends WHERE business_id = ? AND batch_id = ? ORDER BY queued_at, send_id",
        (business_id, batch_id),
    )
    return [send_from_dict(dialect.decode_doc(row[0])) for row in rows]


def insert_events(session: Session, dialect: Dialect, events: Sequence[DomainEvent]) -> None:
    """Append events to the outbox in order."""
    session.execute_many(
        "INSERT INTO outbox (event_id, business_id, doc) VALUES (?, ?, ?)",
        [
            (event.event_id, event.business_id, dialect.encode_doc(event_to_dict(event)))
            for event in events
        ],
    )


def select_events(session: Session, dialect: Dialect, limit: int) -> list[DomainEvent]:
    """Read the oldest ``limit`` events of the outbox."""
    rows = session.fetch("SELECT doc FROM outbox ORDER BY seq LIMIT ?", (limit,))
    return [event_from_dict(dialect.decode_doc(row[0])) for row in rows]


def delete_events(session: Session, event_ids: Sequence[str]) -> None:
    """Remove events from the outbox by id."""
    rows = [(event_id,) for event_id in event_ids if _matchable(event_id)]
    session.execute_many("DELETE FROM outbox WHERE event_id = ?", rows)


# -- records --------------------------------------------------------------------------

_RECORD_COLUMNS: Final = "business_id, kind, id, card_id, at, key, revision, doc"


def _record_row(dialect: Dialect, record: Record) -> tuple[object, ...]:
    return (
        record.business_id,
        record.kind,
        record.id,
        record.card_id,
        dialect.timestamp(record.at),
        record.key,
        record.revision,
        dialect.encode_doc(record.doc),
    )


def _read_record(dialect: Dialect, row: Sequence[object]) -> Record:
    business_id, kind, record_id, card_id, at, key, revision, doc = row
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
    document = dialect.decode_doc(doc)
    if not isinstance(document, dict):  # pragma: no cover - only clientcard writes here
        raise TypeError("a stored record is not a JSON object")
    return Record.restored(
        business_id=str(business_id),
        kind=str(kind),
        id=str(record_id),
        at=when.astimezone(dt.UTC),
        doc=document,
        card_id=None if card_id is None else str(card_id),
        key=None if key is None else str(key),
        revision=int(str(revision)),
    )


def insert_records(session: Session, dialect: Dialect, records: Sequence[Record]) -> None:
    """Insert new records. :raises DuplicateError: a ``(kind, id)`` is taken."""
    businesses = {record.business_id for record in records}
    for business_id in sorted(businesses):
        if not session.fetch("SELECT 1 FROM businesses WHERE id = ?", (business_id,)):
            raise NotFoundError("business", business_id)
    # Every id is checked before anything is written: PostgreSQL runs a unit of work
    # without savepoints, so a refused batch must not leave its first records behind.
    seen: set[tuple[str, str, str]] = set()
    for record in records:
        owner = (record.business_id, record.kind, record.id)
        if owner in seen or session.fetch(
            "SELECT 1 FROM records WHERE business_id = ? AND kind = ? AND id = ?", owner
        ):
            raise DuplicateError(record.kind, record.id)
        seen.add(owner)
    for record in records:
        inserted = session.execute(
            f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
            " ON CONFLICT DO NOTHING",
            _record_row(dialect, record),
        )
        if not inserted:
            raise DuplicateError(record.kind, record.id)


def select_record(
    session: Session, dialect: Dialect, business_id: str, kind: str, record_id: str
) -> Record:
    """Read one record. :raises NotFoundError: no such record in that business."""
    if not all(_matchable(value) for value in (business_id, kind, record_id)):
        raise NotFoundError(kind, record_id)
    rows = session.fetch(
        f"SELECT {_RECORD_COLUMNS} FROM records"  # noqa: S608
        " WHERE business_id = ? AND kind = ? AND id = ?",
        (business_id, kind, record_id),
    )
    if not rows:
        raise NotFoundError(kind, record_id)
    return _read_record(dialect, rows[0])


def replace_record(
    session: Session, dialect: Dialect, record: Record, expected_revision: int
) -> None:
    """Replace a record at ``expected_revision``."""
    owner = (record.business_id, record.kind, record.id)
    if not all(_matchable(value) for value in owner):
        raise NotFoundError(record.kind, record.id)
    rows = session.fetch(dialect.lock_record, owner)
    if not rows:
        raise NotFoundError(record.kind, record.id)
    _check_version(record.id, expected_revision, int(rows[0][0]))
    session.execute(
        "UPDATE records SET card_id = ?, at = ?, key = ?, revision = ?, doc = ?"
        " WHERE business_id = ? AND kind = ? AND id = ?",
        (
            record.card_id,
            dialect.timestamp(record.at),
            record.key,
            record.revision,
            dialect.encode_doc(record.doc),
            *owner,
        ),
    )


def select_records(
    session: Session,
    dialect: Dialect,
    business_id: str,
    query: RecordQuery,
    *,
    limit: int,
    after: tuple[dt.datetime, str] | None,
) -> Page[Record]:
    """Read a page of matching records in ``(at, id)`` order."""
    values = (business_id, query.card_id, query.key)
    if not all(value is None or _matchable(value) for value in values):
        return Page(items=())
    conditions = ["business_id = ?", "kind = ?"]
    parameters: list[object] = [business_id, query.kind]
    if query.card_id is not None:
        conditions.append("card_id = ?")
        parameters.append(query.card_id)
    if query.key is not None:
        conditions.append("key = ?")
        parameters.append(query.key)
    if query.since is not None:
        conditions.append("at >= ?")
        parameters.append(dialect.timestamp(query.since))
    if query.until is not None:
        conditions.append("at < ?")
        parameters.append(dialect.timestamp(query.until))
    if after is not None:
        conditions.append("(at > ? OR (at = ? AND id > ?))")
        stamp = dialect.timestamp(after[0])
        parameters.extend((stamp, stamp, after[1]))
    # Only fixed condition texts are spliced in; every value is a parameter.
    rows = session.fetch(
        f"SELECT {_RECORD_COLUMNS} FROM records WHERE {' AND '.join(conditions)}"  # noqa: S608
        " ORDER BY at, id LIMIT ?",
        (*parameters, limit + 1),
    )
    items = tuple(_read_record(dialect, row) for row in rows[:limit])
    more = len(rows) > limit
    return Page(
        items=items,
        next_cursor=encode_record_cursor(items[-1].at, items[-1].id) if more else None,
    )


def remove_records(
    session: Session,
    business_id: str,
    *,
    card_id: str | None,
    kind: str | None,
    record_ids: Sequence[str] | None,
) -> int:
    """Delete the records matching every criterion given; count them."""
    conditions = ["business_id = ?"]
    parameters: list[object] = [business_id]
    if card_id is not None:
        conditions.append("card_id = ?")
        parameters.append(card_id)
    if kind is not None:
        conditions.append("kind = ?")
        parameters.append(kind)
    if not all(_matchable(value) for value in parameters):
        return 0
    where = " AND ".join(conditions)
    if record_ids is None:
        return session.execute(f"DELETE FROM records WHERE {where}", tuple(parameters))  # noqa: S608
    removed = 0
    for record_id in dict.fromkeys(record_ids):
        if _matchable(record_id):
            removed += session.execute(
                f"DELETE FROM records WHERE {where} AND id = ?",  # noqa: S608
                (*parameters, record_id),
            )
    return removed


def move_records(
    session: Session, business_id: str, from_card_id: str, to_card_id: str | None
) -> int:
    """Point every record of one card at another (or at none); count them."""
    if not _matchable(business_id) or not _matchable(from_card_id):
        return 0
    return session.execute(
        "UPDATE records SET card_id = ? WHERE business_id = ? AND card_id = ?",
        (to_card_id, business_id, from_card_id),
    )


# -- erasure and access -------------------------------------------------------------------


def select_record_kinds(session: Session, business_id: str, card_id: str) -> frozenset[str]:
    """Read the distinct kinds of a card's records (from the by-card index)."""
    if not _matchable(business_id) or not _matchable(card_id):
        return frozenset()
    rows = session.fetch(
        "SELECT DISTINCT kind FROM records WHERE business_id = ? AND card_id = ?",
        (business_id, card_id),
    )
    return frozenset(str(row[0]) for row in rows)


def select_card_sends(
    session: Session, dialect: Dialect, business_id: str, card_id: str
) -> list[Send]:
    """Read every send to one card, oldest first (from the by-card index)."""
    if not _matchable(business_id) or not _matchable(card_id):
        return []
    rows = session.fetch(
        "SELECT doc FROM sends WHERE business_id = ? AND card_id = ? ORDER BY queued_at, send_id",
        (business_id, card_id),
    )
    return [send_from_dict(dialect.decode_doc(row[0])) for row in rows]
