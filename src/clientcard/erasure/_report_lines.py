"""The history lines of the access report: one labelled line per record, as people read it.

Package-private: :func:`clientcard.erasure.portability.subject_report` writes its history
section with :func:`history_line`. Each known kind is read back into its value type and
worded in the report's language -- times on the business's wall clock, amounts with their
currency, statuses and methods as words; a kind this module does not know (or a record
that no longer reads as its kind) is shown by its labelled values, never as a raw
document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final
from zoneinfo import ZoneInfo

from clientcard.errors import ClientCardError
from clientcard.history.model import (
    Appointment,
    ConversationDirection,
    ConversationEntry,
    ConversationKind,
    Payment,
    SharedDocument,
)
from clientcard.history.records import (
    appointment_from_record,
    conversation_from_record,
    document_from_record,
    payment_from_record,
)
from clientcard.locale import DEFAULT_LANGUAGE
from clientcard.locale._catalogue import CONSENT_TEXTS
from clientcard.locale._privacy import PRIVACY_TEXTS
from clientcard.storage.records import Record

__all__ = ["history_line", "local_date", "local_time"]

# What a record's document holds for the machine, not for the client reading it.
_INTERNAL: Final = frozenset({"schema_version", "revision", "business_id", "card_id", "id"})


def text(key: str, lang: str) -> str:
    """A privacy or consent text in ``lang`` (English when it has none)."""
    texts = PRIVACY_TEXTS.get(key) or CONSENT_TEXTS[key]
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def local_time(at: dt.datetime, zone: ZoneInfo) -> str:
    """``YYYY-MM-DD HH:MM`` on the business's wall clock."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def local_date(at: dt.datetime, zone: ZoneInfo) -> str:
    """``YYYY-MM-DD``: the business's day at ``at``."""
    return at.astimezone(zone).date().isoformat()


def _appointment(item: Appointment, lang: str) -> list[str]:
    parts = [
        ", ".join(line.name for line in item.services),
        text("history.minutes", lang).format(minutes=item.duration_minutes),
        text(f"appointment.{item.status.value}", lang),
        text("history.price", lang).format(amount=item.price),
    ]
    if item.price_paid is not None:
        parts.append(text("history.paid", lang).format(amount=item.price_paid))
    if item.notes:
        parts.append(text("history.notes", lang).format(text=item.notes))
    if item.technical_notes:
        parts.append(text("history.technical_notes", lang).format(text=item.technical_notes))
    return parts


def _payment(item: Payment, lang: str) -> list[str]:
    parts = [
        str(item.amount),
        text(f"payment.{item.method.value}", lang),
        text(f"payment.{item.status.value}", lang),
    ]
    if item.invoice_number:
        parts.append(text("history.invoice", lang).format(number=item.invoice_number))
    if item.tax_amount is not None:
        parts.append(text("history.tax", lang).format(amount=item.tax_amount))
    if item.notes:
        parts.append(text("history.notes", lang).format(text=item.notes))
    return parts


def _conversation(item: ConversationEntry, lang: str) -> list[str]:
    received = item.direction is ConversationDirection.INCOMING
    if item.channel is None:
        how = text("history.received" if received else "history.sent", lang)
    else:
        channel = text(f"channel.{item.channel.value}", lang)
        key = "history.received_by" if received else "history.sent_by"
        how = text(key, lang).format(channel=channel)
    if item.kind is not ConversationKind.MESSAGE:
        how = f"{text(f'conversation.{item.kind.value}', lang)}, {how}"
    return [f"{how}: {item.summary}" if item.summary else how]


def _document(item: SharedDocument, lang: str) -> list[str]:
    return [item.title]


_KNOWN: Final[Mapping[str, Callable[[Record, str], list[str]]]] = {
    "appointment": lambda record, lang: _appointment(appointment_from_record(record), lang),
    "payment": lambda record, lang: _payment(payment_from_record(record), lang),
    "conversation": lambda record, lang: _conversation(conversation_from_record(record), lang),
    "document": lambda record, lang: _document(document_from_record(record), lang),
}


def _shown(value: Any, lang: str) -> str | None:
    """A document value as words, or ``None`` for one with nothing to read (ids, empties)."""
    if value is None or value in ("", [], {}):
        return None
    if isinstance(value, bool):
        return text("report.yes" if value else "report.no", lang)
    if isinstance(value, Mapping) and set(value) == {"amount", "currency"}:
        return f"{value['amount']} {value['currency']}"
    if isinstance(value, list):
        items = [_shown(item, lang) for item in value]
        return ", ".join(item for item in items if item) or None
    if isinstance(value, Mapping):
        return None  # a nested structure is the machine's, and the document has it all
    return str(value)


def _labelled(record: Record, lang: str) -> list[str]:
    parts = []
    for key, value in record.doc.items():
        if key in _INTERNAL or key.endswith("_id"):
            continue
        shown = _shown(value, lang)
        if shown is not None:
            parts.append(f"{key.replace('_', ' ')}: {shown}")
    return parts


def _kind(kind: str, lang: str) -> str:
    texts = PRIVACY_TEXTS.get(f"kind.{kind}")
    return (
        kind.replace("_", " ").replace(".", " ")
        if texts is None
        else texts.get(lang) or texts[DEFAULT_LANGUAGE]
    )


def history_line(record: Record, lang: str, zone: ZoneInfo) -> str:
    """One record as a line: the local time, what it is, and its details in words."""
    words = _KNOWN.get(record.kind)
    try:
        parts = words(record, lang) if words is not None else _labelled(record, lang)
    except (ClientCardError, KeyError, TypeError, ValueError):
        parts = _labelled(record, lang)
    head = f"{local_time(record.at, zone)} {_kind(record.kind, lang)}"
    return f"{head}: {'; '.join(parts)}" if parts else head
