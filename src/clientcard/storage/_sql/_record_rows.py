"""The statements behind records (see :mod:`clientcard.storage.records`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from clientcard.errors import DuplicateError, NotFoundError
from clientcard.storage._sql._common import check_version, matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session
from clientcard.storage.protocol import Page
from clientcard.storage.records import Record, RecordQuery, encode_record_cursor
from clientcard.storage.visits import kept_lines, kept_price

__all__ = [
    "fill_kept_prices",
    "insert_records",
    "move_records",
    "record_row",
    "remove_records",
    "replace_record",
    "select_record",
    "select_record_kinds",
    "select_records",
]

_RECORD_COLUMNS: Final = "business_id, kind, id, card_id, at, key, revision, doc"
# Written, not read back: an appointment's currency and price for the figures' sums.
_WRITTEN_COLUMNS: Final = f"{_RECORD_COLUMNS}, currency, amount, services, members"


def record_row(dialect: Dialect, record: Record) -> tuple[object, ...]:
    """The values of :data:`_WRITTEN_COLUMNS` for ``record``."""
    return (
        record.business_id,
        record.kind,
        record.id,
        record.card_id,
        dialect.timestamp(record.at),
        record.key,
        record.revision,
        dialect.encode_doc(record.doc),
        *kept_price(record.kind, record.doc),
        *kept_lines(record.kind, record.doc),
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
            f"INSERT INTO records ({_WRITTEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
            " ON CONFLICT DO NOTHING",
            record_row(dialect, record),
        )
        if not inserted:
            raise DuplicateError(record.kind, record.id)


def select_record(
    session: Session, dialect: Dialect, business_id: str, kind: str, record_id: str
) -> Record:
    """Read one record. :raises NotFoundError: no such record in that business."""
    if not all(matchable(value) for value in (business_id, kind, record_id)):
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
    if not all(matchable(value) for value in owner):
        raise NotFoundError(record.kind, record.id)
    rows = session.fetch(dialect.lock_record, owner)
    if not rows:
        raise NotFoundError(record.kind, record.id)
    check_version(record.id, expected_revision, int(rows[0][0]))
    session.execute(
        "UPDATE records SET card_id = ?, at = ?, key = ?, revision = ?, doc = ?,"
        " currency = ?, amount = ?, services = ?, members = ?"
        " WHERE business_id = ? AND kind = ? AND id = ?",
        (
            record.card_id,
            dialect.timestamp(record.at),
            record.key,
            record.revision,
            dialect.encode_doc(record.doc),
            *kept_price(record.kind, record.doc),
            *kept_lines(record.kind, record.doc),
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
    if not all(value is None or matchable(value) for value in values):
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
    if not all(matchable(value) for value in parameters):
        return 0
    where = " AND ".join(conditions)
    if record_ids is None:
        return session.execute(f"DELETE FROM records WHERE {where}", tuple(parameters))  # noqa: S608
    removed = 0
    for record_id in dict.fromkeys(record_ids):
        if matchable(record_id):
            removed += session.execute(
                f"DELETE FROM records WHERE {where} AND id = ?",  # noqa: S608
                (*parameters, record_id),
            )
    return removed


def move_records(
    session: Session, business_id: str, from_card_id: str, to_card_id: str | None
) -> int:
    """Point every record of one card at another (or at none); count them."""
    if not matchable(business_id) or not matchable(from_card_id):
        return 0
    return session.execute(
        "UPDATE records SET card_id = ? WHERE business_id = ? AND card_id = ?",
        (to_card_id, business_id, from_card_id),
    )


def select_record_kinds(session: Session, business_id: str, card_id: str) -> frozenset[str]:
    """Read the distinct kinds of a card's records (from the by-card index)."""
    if not matchable(business_id) or not matchable(card_id):
        return frozenset()
    rows = session.fetch(
        "SELECT DISTINCT kind FROM records WHERE business_id = ? AND card_id = ?",
        (business_id, card_id),
    )
    return frozenset(str(row[0]) for row in rows)


def fill_kept_prices(session: Session, dialect: Dialect) -> None:
    """Work out what every appointment record stored before keeps in its own columns.

    The migration that added the columns runs this once: a page of 1,000 records a
    statement, so a large database is not read into memory at once.
    """
    after = ("", "")
    while True:
        rows = session.fetch(
            "SELECT business_id, id, doc FROM records"
            " WHERE kind = 'appointment' AND (business_id, id) > (?, ?)"
            " ORDER BY business_id, id LIMIT 1000",
            after,
        )
        if not rows:
            return
        updates = []
        for business_id, record_id, doc in rows:
            document = dialect.decode_doc(doc)
            readable = document if isinstance(document, dict) else {}
            kept = (*kept_price("appointment", readable), *kept_lines("appointment", readable))
            updates.append((*kept, business_id, record_id))
        session.execute_many(
            "UPDATE records SET currency = ?, amount = ?, services = ?, members = ?"
            " WHERE business_id = ? AND kind = 'appointment' AND id = ?",
            updates,
        )
        after = (str(rows[-1][0]), str(rows[-1][1]))
