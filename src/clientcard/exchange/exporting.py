"""Exporting a selection of cards to CSV, Excel, vCard 4.0 or JSON.

:meth:`~clientcard.exchange.service.ExchangeService.export_cards` pages through the
cards a :class:`Selection` picks (all of them, a search as the front desk types it, a
group, a tag, any :class:`~clientcard.storage.protocol.CardQuery` such as a segment of
who may receive a purpose on a channel, or a list of ids) and streams them out with
:func:`write_export`: memory stays flat whatever the count.

CSV and Excel columns carry the business's field labels in its language (or ``lang``),
choices their labels, booleans yes/no in that language, phones in international format;
every cell a spreadsheet could run as a formula is neutralised. Fields the schema marks
sensitive (health data) are left out unless ``include_sensitive`` is set, and retired
fields always. Free-text notes (the ``notes`` field and any long-text field) are left
out unless ``include_notes`` is set (those marked sensitive follow
``include_sensitive``): staff write anything into them, health data
included ("allergia al nichel"), so an export that leaves out health data leaves them
out too. JSON keeps values exactly (E.164 phones, choice values) and can carry
each card's current consent (``include_consent``).

Each format reads back through
:meth:`~clientcard.exchange.service.ExchangeService.import_cards` into the same cards.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, Any, Final, Literal

import attrs

from clientcard.business import Business
from clientcard.cards.card import BirthDate, ClientCard, FieldValue, Gender
from clientcard.cards.schema import FieldDefinition, FieldType
from clientcard.consent import NOT_MESSAGES, ConsentEvent, replay
from clientcard.contact import phone
from clientcard.locale._catalogue import WORDS
from clientcard.storage._modes import open_private
from clientcard.storage.protocol import CardQuery

__all__ = [
    "ExportFormat",
    "ExportReport",
    "Selection",
    "is_free_text",
    "text_values",
    "write_export",
]

ExportFormat = Literal["csv", "xlsx", "vcard", "json"]
"""The formats an export writes."""

_FORMATS: Final[tuple[ExportFormat, ...]] = ("csv", "xlsx", "vcard", "json")


@attrs.frozen
class Selection:
    """Which cards to export: a query, a search, or a list of ids.

    ``query`` filters (group, tag, a segment such as who may receive a purpose on a
    channel); ``search`` is text as the front desk types it; ``card_ids`` picks cards by
    id (then the other two are ignored).

    .. versionadded:: 0.1.0
    """

    query: CardQuery | None = None
    search: str | None = None
    card_ids: tuple[str, ...] | None = None


@attrs.frozen
class ExportReport:
    """What an export wrote: the format, how many cards, which fields, which were left out.

    .. versionadded:: 0.1.0
    """

    format: str
    count: int
    fields: tuple[str, ...]
    left_out: tuple[str, ...]
    """Sensitive fields not exported (ask with ``include_sensitive``)."""
    notes_left_out: tuple[str, ...] = ()
    """Free-text fields not exported, as they may hold health data (ask with
    ``include_notes``)."""


def text_values(
    card: ClientCard, fields: Sequence[FieldDefinition], lang: str
) -> dict[str, str | list[str]]:
    """The card's values of ``fields`` as people read them in ``lang`` (lists stay lists).

    .. versionadded:: 0.1.0
    """
    out: dict[str, str | list[str]] = {}
    for definition in fields:
        value = card.value(definition.key)
        if value is None:
            continue
        out[definition.key] = _text(definition, value, lang)
    return out


def _text(definition: FieldDefinition, value: FieldValue, lang: str) -> str | list[str]:
    if isinstance(value, tuple):
        if definition.type is FieldType.PHONE_LIST:
            return [phone.format_international(number) for number in value]
        if definition.type is FieldType.MULTI_CHOICE:
            labels = {choice.value: choice.label(lang) for choice in definition.choices}
            return [labels.get(item, item) for item in value]
        return list(value)
    if isinstance(value, bool):
        yes, no = (WORDS[word].get(lang) or WORDS[word]["en"] for word in ("yes", "no"))
        return yes if value else no
    if isinstance(value, Gender):
        value = value.value
    if definition.type is FieldType.CHOICE and isinstance(value, str):
        labels = {choice.value: choice.label(lang) for choice in definition.choices}
        return labels.get(value, value)
    if isinstance(value, BirthDate):
        return value.iso()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _json_value(value: FieldValue) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Gender):
        return value.value
    if isinstance(value, BirthDate):
        return value.iso()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _headers(fields: Sequence[FieldDefinition], lang: str) -> list[str]:
    labels = [d.label(lang) for d in fields]
    repeated = {label for label in labels if labels.count(label) > 1}
    # A label two fields share would map back to one of them: name the key too.
    return [
        f"{label} [{d.key}]" if label in repeated else label
        for label, d in zip(labels, fields, strict=True)
    ]


def _row(values: dict[str, str | list[str]], keys: Sequence[str]) -> list[str]:
    return [_cell(values.get(key)) for key in keys]


def _cell(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, list) else value


@contextmanager
def _opened(
    destination: str | os.PathLike[str] | IO[Any], *, binary: bool, encoding: str
) -> Iterator[IO[Any]]:
    if isinstance(destination, str | os.PathLike):
        # An export is personal data: a new file is the owner's alone (0600).
        with (
            open_private(destination, "wb")
            if binary
            else open_private(destination, "w", encoding=encoding, newline="")
        ) as stream:
            yield stream
    else:
        yield destination


def write_export(
    destination: str | os.PathLike[str] | IO[Any],
    cards: Iterable[ClientCard],
    business: Business,
    *,
    format: ExportFormat,
    include_sensitive: bool = False,
    include_notes: bool = False,
    ledger: Callable[[str], Sequence[ConsentEvent]] | None = None,
    lang: str | None = None,
    exported_at: dt.datetime,
) -> ExportReport:
    """Write ``cards`` of ``business`` to ``destination`` (a path or a stream).

    Streams are text for CSV (opened with ``newline=""``), vCard and JSON, binary for
    Excel. See the module docs for what each format holds; ``include_notes`` adds
    free-text notes. ``ledger`` gives a card's
    consent ledger by its id: with it, JSON carries each card's current consent.
    ``cards`` are read as they are written, one at a time.

    :raises ValueError: an unknown format.

    .. versionadded:: 0.1.0
    """
    if format not in _FORMATS:
        raise ValueError("format must be csv, xlsx, vcard or json")
    language = lang or business.language
    schema = business.schema
    fields = [d for d in schema.active_fields if include_sensitive or not d.sensitive]
    left_out = [d.key for d in schema.active_fields if d.sensitive and not include_sensitive]
    # Free text marked sensitive is health data already: include_sensitive decides it.
    notes = [d.key for d in fields if is_free_text(d) and not d.sensitive and not include_notes]
    fields = [d for d in fields if d.key not in notes]
    keys = tuple(d.key for d in fields)
    if format in ("csv", "xlsx"):
        headers = _headers(fields, language)
        rows = (_row(text_values(card, fields, language), keys) for card in cards)
        if format == "csv":
            from clientcard.exchange.csv import write_csv  # noqa: PLC0415

            with _opened(destination, binary=False, encoding="utf-8-sig") as stream:
                count = write_csv(stream, headers, rows)
        else:
            from clientcard.exchange.xlsx import write_xlsx  # noqa: PLC0415

            with _opened(destination, binary=True, encoding="") as stream:
                count = write_xlsx(stream, headers, rows, title=business.name)
    elif format == "vcard":
        from clientcard.exchange.vcard import write_vcards  # noqa: PLC0415

        pairs = ((card, text_values(card, fields, language)) for card in cards)
        with _opened(destination, binary=False, encoding="utf-8") as stream:
            count = write_vcards(stream, pairs)
    else:
        from clientcard.exchange.portability import write_json  # noqa: PLC0415

        documents = (_json_card(card, fields, ledger) for card in cards)
        with _opened(destination, binary=False, encoding="utf-8") as stream:
            count = write_json(stream, business.id, documents, exported_at=exported_at)
    return ExportReport(
        format=format,
        count=count,
        fields=keys,
        left_out=tuple(left_out),
        notes_left_out=tuple(notes),
    )


def is_free_text(definition: FieldDefinition) -> bool:
    """Tell whether a field holds free text staff write (notes).

    Exports leave such fields out unless asked: they may hold health data however the
    field is marked.

    .. versionadded:: 0.1.0
    """
    return definition.type is FieldType.LONG_TEXT or definition.key == "notes"


def _json_card(
    card: ClientCard,
    fields: Iterable[FieldDefinition],
    ledger: Callable[[str], Sequence[ConsentEvent]] | None,
) -> dict[str, object]:
    document: dict[str, object] = {
        "id": card.id,
        "status": card.status.value,
        "created_at": card.created_at.isoformat(),
        "updated_at": card.updated_at.isoformat(),
    }
    for definition in fields:
        value = card.value(definition.key)
        if value is not None:
            document[definition.key] = _json_value(value)
    if ledger is not None:
        state = replay(ledger(card.id))
        stated: dict[str, bool] = {}
        for (purpose, channel), choice in sorted(
            state.choices.items(), key=lambda item: (item[0][0].value, str(item[0][1]))
        ):
            if choice.pending_until is not None and not choice.granted:
                continue
            if channel is None and purpose not in NOT_MESSAGES:
                continue
            key = purpose.value if channel is None else f"{purpose.value}.{channel.value}"
            stated[key] = choice.granted
        if stated:
            document["consent"] = stated
    return document
