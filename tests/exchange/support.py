"""Helpers of the exchange tests."""

from __future__ import annotations

import io
from contextlib import AbstractContextManager

from clientcard.book import ClientBook
from clientcard.cards import FieldValue
from clientcard.exchange import (
    FileFormat,
    ImportReport,
    RecordSource,
    Table,
    open_source,
)


def opened(
    data: bytes | str, format: FileFormat = "csv", **options: object
) -> AbstractContextManager[Table | RecordSource]:
    """Open bytes (or UTF-8 text) as an import file of ``format``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return open_source(io.BytesIO(raw), format=format, **options)  # type: ignore[arg-type]


def imported(
    book: ClientBook, salon: str, data: bytes | str, format: FileFormat = "csv", **options: object
) -> ImportReport:
    """Import ``data`` into ``salon``; ``options`` go to ``desk.exchange.import_cards``."""
    with opened(data, format) as source:
        return book.business(salon).exchange.import_cards(source, **options)  # type: ignore[arg-type]


def values(book: ClientBook, salon: str) -> list[dict[str, FieldValue]]:
    """Every card's values, ordered by name then e-mail."""
    cards = book.business(salon).cards.list(limit=500)
    return sorted(
        (card.values() for card in cards),
        key=lambda v: (
            str(v.get("last_name", "")),
            str(v.get("first_name", "")),
            str(v.get("email", "")),
        ),
    )
