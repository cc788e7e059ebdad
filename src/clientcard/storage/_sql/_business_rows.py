"""The statements behind a store's businesses: insert, read (with a decode cache), replace."""

from __future__ import annotations

from typing import Final

from clientcard.business import Business
from clientcard.cards.serialization import business_from_dict, business_to_dict
from clientcard.errors import DuplicateError, NotFoundError, VersionConflictError
from clientcard.storage._sql._common import matchable
from clientcard.storage._sql.dialects import Dialect
from clientcard.storage._sql.sessions import Session

__all__ = ["insert_business", "replace_business", "select_business"]

_KNOWN_BUSINESSES: Final = 256


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
    if not matchable(business_id):
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
