"""Erasure plans: what erasing one client will delete, anonymise and keep, before it does.

:func:`plan` is pure: given the card, its records, the sizes of its ledger and sends and
the business's :class:`~clientcard.erasure.policy.ErasurePolicy`, it returns an
:class:`ErasurePlan` -- counts per kind and action, what is kept and until when, and the
consequences staff should read before confirming (the client counts as new if they book
again, a block is lost, copies handed out earlier are beyond reach). The book executes a
confirmed plan only if planning again at that moment gives the same plan.

:func:`decide` and :func:`erased_record` say what happens to one record; every record
kind is treated through :func:`clientcard.kinds.kind_of`, so kinds added later need no
change here.

>>> import datetime as dt
>>> from clientcard.erasure.policy import ErasurePolicy, ErasureMode
>>> from clientcard.storage.records import Record
>>> visit = Record(business_id="b", kind="appointment", id="a", card_id="c",
...                at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
...                doc={"service": "cut", "notes": "allergic to nickel"})
>>> action, _ = decide(visit, ErasurePolicy(mode=ErasureMode.ANONYMISE), None, "IT",
...                    dt.date(2026, 11, 23))
>>> erased_record(visit, action).doc, erased_record(visit, action).card_id
({'service': 'cut'}, None)

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

from clientcard.cards.card import ClientCard
from clientcard.cards.schema import FieldDefinition, FieldSchema, FieldType
from clientcard.erasure._time import add_months
from clientcard.erasure.policy import ErasureMode, ErasurePolicy, RecordAction
from clientcard.kinds import kind_of
from clientcard.locale import DEFAULT_LANGUAGE
from clientcard.locale._privacy import PRIVACY_TEXTS
from clientcard.storage.blobs import is_blob_ref
from clientcard.storage.records import Record

__all__ = [
    "HOLD_MARK",
    "Consequence",
    "ErasurePlan",
    "KindCount",
    "blob_refs",
    "card_blob_refs",
    "decide",
    "erased_record",
    "plan",
]

HOLD_MARK: Final = "legal_hold_until"
"""The document key a record kept under a legal hold carries: the day the hold ends."""

_FINGERPRINTS: Final = "fingerprints"


class Consequence(enum.Enum):
    """Something staff should know before confirming an erasure.

    .. versionadded:: 0.1.0
    """

    COUNTS_AS_NEW = "counts_as_new"
    """Nothing links the client to their past: a new booking is a new client."""
    HISTORY_DELETED = "history_deleted"
    HISTORY_ANONYMISED = "history_anonymised"
    FISCAL_HELD = "fiscal_held"
    BLOCK_KEPT = "block_kept"
    BLOCK_LOST = "block_lost"
    CONTACTS_SUPPRESSED = "contacts_suppressed"
    EXPORTS_OUTSTANDING = "exports_outstanding"
    """Copies of the client's data were handed out earlier; the library can't recall them."""
    WARDS = "wards"
    """Children whose service messages went to this client lose that address."""
    HOST_NOTIFIED = "host_notified"


@attrs.frozen
class KindCount:
    """How many records of one kind an erasure treats one way.

    .. versionadded:: 0.1.0
    """

    kind: str
    action: RecordAction
    count: int


@attrs.frozen
class ErasurePlan:
    """What erasing one client will do; ids and counts only, so it can be shown and logged.

    Two plans are equal when they would do the same thing; ``planned_at`` is not compared.

    .. versionadded:: 0.1.0
    """

    business_id: str
    card_id: str
    card_version: int
    mode: ErasureMode
    records: tuple[KindCount, ...]
    consent_events: int
    """Ledger events kept as pseudonymised proof."""
    sends: int
    """The dispatcher's sends to the client, deleted."""
    blobs: int
    """Pictures and files deleted through the blob store."""
    fingerprints: int
    """Contact fingerprints kept so a "do not contact" request survives (0 when off)."""
    held_until: dt.date | None
    """When the last legal hold ends, if anything is held."""
    exports: int
    """Access exports handed out earlier (the audit trail counts them)."""
    wards: int
    """Children's cards linked to this client as their guardian."""
    planned_at: dt.datetime = attrs.field(eq=False)

    def count(self, action: RecordAction) -> int:
        """How many records the erasure treats with ``action``."""
        return sum(item.count for item in self.records if item.action is action)

    @property
    def consequences(self) -> tuple[Consequence, ...]:
        """What staff should read before confirming, most important first."""
        found = [Consequence.COUNTS_AS_NEW]
        kinds = {item.kind: item.action for item in self.records}
        if kinds.get("appointment") is RecordAction.DELETE:
            found.append(Consequence.HISTORY_DELETED)
        if kinds.get("appointment") is RecordAction.ANONYMISE:
            found.append(Consequence.HISTORY_ANONYMISED)
        if self.held_until is not None:
            found.append(Consequence.FISCAL_HELD)
        blocks = [item for item in self.records if kind_of(item.kind).name == "blacklist"]
        if any(item.action is RecordAction.SUPPRESS for item in blocks):
            found.append(Consequence.BLOCK_KEPT)
        elif blocks:
            found.append(Consequence.BLOCK_LOST)
        if self.fingerprints:
            found.append(Consequence.CONTACTS_SUPPRESSED)
        if self.exports:
            found.append(Consequence.EXPORTS_OUTSTANDING)
        if self.wards:
            found.append(Consequence.WARDS)
        found.append(Consequence.HOST_NOTIFIED)
        return tuple(found)

    def lines(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """The plan as sentences in ``lang`` (en, it or nl): what happens, then why it matters."""
        out = [
            f"{_text('plan.title', lang)}: {_text(f'plan.mode.{self.mode.value}', lang)}",
            f"- 1 {_text('plan.card', lang)}: {_text('plan.action.delete', lang)}",
        ]
        for item in self.records:
            label = _kind_label(item.kind, lang)
            out.append(f"- {item.count} {label}: {_text(f'plan.action.{item.action.value}', lang)}")
        for count, key in (
            (self.consent_events, "plan.consent"),
            (self.sends, "plan.sends"),
            (self.blobs, "plan.blobs"),
        ):
            if count:
                out.append(f"- {count} {_text(key, lang)}")
        out.append("")
        held = self.held_until.isoformat() if self.held_until else ""
        for consequence in self.consequences:
            count = self.wards if consequence is Consequence.WARDS else self.exports
            text = _text(f"consequence.{consequence.value}", lang)
            out.append(text.format(date=held, count=count))
        return out


def _text(key: str, lang: str) -> str:
    texts = PRIVACY_TEXTS[key]
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def _kind_label(kind: str, lang: str) -> str:
    texts = PRIVACY_TEXTS.get(f"kind.{kind}")
    if texts is None:
        return kind
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


def decide(
    record: Record,
    policy: ErasurePolicy,
    mode: ErasureMode | None,
    country: str,
    today: dt.date,
) -> tuple[RecordAction, dt.date | None]:
    """What erasing in ``mode`` does to ``record``, and the day its legal hold ends.

    A fiscal record whose hold (counted from its own date) has already ended is deleted.
    """
    action = policy.action(record.kind, mode)
    if action is not RecordAction.HOLD:
        return action, None
    years = policy.hold_years(country)
    until = add_months(record.at.date(), 12 * years)
    if years == 0 or until <= today:
        return RecordAction.DELETE, None
    return RecordAction.HOLD, until


def erased_record(
    record: Record,
    action: RecordAction,
    *,
    held_until: dt.date | None = None,
    fingerprints: Iterable[str] = (),
) -> Record | None:
    """Return what stays of ``record`` after ``action``: ``None`` when it is deleted.

    What stays is detached from the card and one revision on. An anonymised record loses
    its kind's identity and blob fields; a held or suppressed one keeps only its kind's
    kept fields (a kept block gains the client's contact ``fingerprints``).
    """
    described = kind_of(record.kind)
    if action is RecordAction.DELETE:
        return None
    if action is RecordAction.KEEP:
        return record.revised(dict(record.doc), card_id=None)
    if action is RecordAction.ANONYMISE:
        dropped = {*described.identity_fields, *described.blob_fields}
        doc = {key: value for key, value in record.doc.items() if key not in dropped}
        return record.revised(doc, card_id=None)
    doc = {key: record.doc[key] for key in described.kept_fields if key in record.doc}
    if action is RecordAction.HOLD:
        doc[HOLD_MARK] = (held_until or record.at.date()).isoformat()
    elif _FINGERPRINTS in described.kept_fields:
        known = doc.get(_FINGERPRINTS)
        merged = set(known if isinstance(known, list) else ()) | set(fingerprints)
        doc[_FINGERPRINTS] = sorted(str(item) for item in merged)
    return record.revised(doc, card_id=None)


def _refs(value: object) -> list[str]:
    """The blob references in a value: only what the book's blob stores could have made."""
    values: list[object] = list(value) if isinstance(value, list | tuple) else [value]
    return [item for item in values if isinstance(item, str) and is_blob_ref(item)]


def blob_refs(record: Record, action: RecordAction | None = None) -> list[str]:
    """The blob references of ``record`` that ``action`` lets go (all of them by default)."""
    described = kind_of(record.kind)
    if action is RecordAction.KEEP:
        return []
    kept = (
        set(described.kept_fields)
        if action in (RecordAction.HOLD, RecordAction.SUPPRESS)
        else set()
    )
    return [
        ref
        for field in described.blob_fields
        if field not in kept
        for ref in _refs(record.doc.get(field))
    ]


def card_blob_refs(card: ClientCard, definitions: Iterable[FieldDefinition]) -> list[str]:
    """The blob references on a card: its picture and custom reference fields.

    Only references the book's blob store makes count; any other picture reference
    points into the host's own storage, which the ``card.erased`` event tells to forget.
    """
    refs = _refs(card.picture)
    for definition in definitions:
        if definition.type is FieldType.REFERENCE and not definition.builtin:
            refs.extend(_refs(card.custom.get(definition.key)))
    return refs


def _by_kind_and_action(item: tuple[tuple[str, RecordAction], int]) -> tuple[str, str]:
    (kind, action), _ = item
    return kind, action.value


def plan(
    card: ClientCard,
    records: Sequence[Record],
    *,
    policy: ErasurePolicy,
    mode: ErasureMode | None,
    country: str,
    schema: FieldSchema,
    consent_events: int,
    sends: int,
    fingerprints: int,
    exports: int,
    wards: int,
    now: dt.datetime,
    today: dt.date | None = None,
) -> ErasurePlan:
    """Plan the erasure of ``card`` with its ``records`` (see the module docs).

    ``today`` is the business's date at ``now`` (its time zone's); ``now``'s UTC date
    when not given.
    """
    today = today or now.date()
    counts: Counter[tuple[str, RecordAction]] = Counter()
    held: list[dt.date] = []
    blobs = len(card_blob_refs(card, schema.fields))
    for record in records:
        action, until = decide(record, policy, mode, country, today)
        counts[(record.kind, action)] += 1
        blobs += len(blob_refs(record, action))
        if until is not None:
            held.append(until)
    items = tuple(
        KindCount(kind=kind, action=action, count=count)
        for (kind, action), count in sorted(counts.items(), key=_by_kind_and_action)
    )
    return ErasurePlan(
        business_id=card.business_id,
        card_id=card.id,
        card_version=card.version,
        mode=mode or policy.mode,
        records=items,
        consent_events=consent_events,
        sends=sends,
        blobs=blobs,
        fingerprints=fingerprints,
        held_until=max(held) if held else None,
        exports=exports,
        wards=wards,
        planned_at=now,
    )
