"""How promotions and redemptions are filed as records (pure: no store, no clock).

Records carry everything: a ``promotion`` per code (id and key: the normalised code),
a ``promotion.usage`` counter beside it, and a ``redemption`` per use (on the client's
card, keyed by the code). A redemption's id and card live in the record's columns only,
so a record anonymised by erasure (its card column cleared) reads back without them.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Any, Final

from clientcard.cards.serialization import document_of, value_of
from clientcard.promotions.model import Promotion, Redemption
from clientcard.storage.records import Record

__all__ = [
    "PROMOTION",
    "PROMOTION_DOCUMENT_VERSION",
    "REDEMPTION",
    "REDEMPTION_DOCUMENT_VERSION",
    "USAGE",
    "promotion_document",
    "promotion_from",
    "redemption_document",
    "redemption_from",
]

PROMOTION_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of promotion records' documents."""

REDEMPTION_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of redemption records' documents."""

PROMOTION: Final = "promotion"
"""The record kind of a promotion (id and key: its normalised code)."""

USAGE: Final = "promotion.usage"
"""The record kind of a promotion's redemption counter (id and key: the code)."""

REDEMPTION: Final = "redemption"
"""The record kind of one redemption (on the client's card, keyed by the code)."""


def promotion_document(promotion: Promotion) -> dict[str, Any]:
    """The document of a promotion's record."""
    return document_of(promotion, PROMOTION_DOCUMENT_VERSION)


def promotion_from(record: Record) -> Promotion:
    """Read a promotion back from its record."""
    return value_of(Promotion, record.doc, kind="promotion", version=PROMOTION_DOCUMENT_VERSION)


def redemption_document(redemption: Redemption) -> dict[str, Any]:
    """The document of a redemption's record: without its id and card (record columns)."""
    # The card lives in the record's column only, so an anonymised record loses it.
    document = document_of(redemption, REDEMPTION_DOCUMENT_VERSION)
    del document["id"], document["card_id"]
    return document


def redemption_from(record: Record) -> Redemption:
    """Read a redemption back from its record (its card and id are the record's)."""
    document = {**record.doc, "id": record.id, "card_id": record.card_id}
    return value_of(Redemption, document, kind="redemption", version=REDEMPTION_DOCUMENT_VERSION)
