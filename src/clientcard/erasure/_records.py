"""What the privacy services share: reading records, requests, the policy, the audit chain.

Package-private: the erasure, request, audit, retention and portability services of
:mod:`clientcard.erasure` call these functions inside their own units of work (an
erasure completes requests and appends to the trail in the transaction that erases).
Everything else reaches the same acts through those services' public methods.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from clientcard.erasure.audit import (
    AUDIT_HEAD_KIND,
    AUDIT_KIND,
    AuditAction,
    AuditEntry,
    audit_record,
    chain,
    read_entry,
)
from clientcard.erasure.policy import ErasurePolicy, policy_from_dict
from clientcard.erasure.requests import (
    REQUEST_KIND,
    RequestKind,
    SubjectRequest,
    read_request,
    request_record,
)
from clientcard.errors import ClientCardError, NotFoundError
from clientcard.events import DomainEvent, EventKind
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard._core import Core

__all__ = [
    "POLICY_KIND",
    "all_records",
    "append_audit",
    "audit_head",
    "audit_records",
    "audit_trail",
    "card_audit_entries",
    "card_records",
    "fulfil_requests",
    "read_policy",
    "save_request",
]

logger = logging.getLogger("clientcard")

POLICY_KIND: Final = "erasure.policy"
"""The record kind of a business's erasure policy (one per business, keyed by its id)."""


def all_records(core: Core, business_id: str, query: RecordQuery) -> list[Record]:
    """Every record matching ``query``, read in full before the caller changes any."""
    return list(core.iter_records(business_id, query))


def card_records(core: Core, business_id: str, card_id: str) -> list[Record]:
    """Every record filed under a card, kind by kind, each kind in time order."""
    found: list[Record] = []
    for kind in sorted(core.store.record_kinds(business_id, card_id)):
        found.extend(all_records(core, business_id, RecordQuery(kind=kind, card_id=card_id)))
    return found


def read_policy(core: Core, business_id: str) -> ErasurePolicy:
    """The business's stored erasure policy, or the default one.

    :raises NotFoundError: no such business.
    """
    core.store.get_business(business_id)
    try:
        stored = core.store.get_record(business_id, POLICY_KIND, business_id)
    except NotFoundError:
        return ErasurePolicy()
    return policy_from_dict(dict(stored.doc))


# -- subject requests -------------------------------------------------------------------


def save_request(core: Core, stored: Record, request: SubjectRequest) -> None:
    """Store a changed request over its record (refused if another writer got there first)."""
    updated = request_record(request, revision=stored.revision + 1)
    core.store.update_record(updated, expected_revision=stored.revision)


def fulfil_requests(
    core: Core, business_id: str, card_id: str, kinds: frozenset[RequestKind], outcome: str
) -> tuple[str, ...]:
    """Mark the card's open requests of ``kinds`` fulfilled; return their ids."""
    done = []
    query = RecordQuery(kind=REQUEST_KIND, key=card_id)
    for stored in all_records(core, business_id, query):
        request = read_request(stored)
        if request.is_open and request.kind in kinds:
            save_request(core, stored, request.fulfilled(core.clock.now(), outcome))
            done.append(request.request_id)
    return tuple(done)


# -- the audit trail --------------------------------------------------------------------


def append_audit(
    core: Core,
    business_id: str,
    action: AuditAction,
    *,
    by: str,
    via: str,
    card_id: str | None = None,
    detail: Mapping[str, str] | None = None,
) -> AuditEntry:
    """Append an entry in the current unit of work (the head record serialises writers).

    With a sink, an ``audit.appended`` event carrying the new head goes to the outbox in
    the same unit, so the host holds a head the database can't rewrite.

    :raises ValidationError: ``audit.detail_invalid`` for a detail that is not an id or code.
    """
    store = core.store
    try:
        head: Record | None = store.get_record(business_id, AUDIT_HEAD_KIND, business_id)
    except NotFoundError:
        head = None
    after = None if head is None else (int(head.doc["seq"]), str(head.doc["hash"]))
    entry = chain(
        after,
        business_id=business_id,
        at=core.clock.now(),
        action=action,
        actor=by,
        via=via,
        card_id=card_id,
        detail=detail,
    )
    doc = {"seq": entry.seq, "hash": entry.hash}
    if head is None:
        store.add_records(
            [
                audit_record(entry),
                Record(
                    business_id=business_id,
                    kind=AUDIT_HEAD_KIND,
                    id=business_id,
                    at=entry.at,
                    doc=doc,
                ),
            ]
        )
    else:
        store.add_records([audit_record(entry)])
        store.update_record(head.revised(doc, at=entry.at), expected_revision=head.revision)
    if core.records_events:
        record = audit_record(entry)
        core.store_events(
            [
                DomainEvent(
                    event_id=core.new_id(),
                    kind=EventKind.AUDIT_APPENDED,
                    business_id=business_id,
                    occurred_at=entry.at,
                    card_id=entry.card_id,
                    record_id=record.id,
                    audit_head=entry.link,
                )
            ]
        )
    return entry


def audit_records(core: Core, business_id: str) -> list[Record]:
    """Every record of the business's audit trail, as stored."""
    return all_records(core, business_id, RecordQuery(kind=AUDIT_KIND))


def audit_trail(core: Core, business_id: str, card_id: str | None = None) -> list[AuditEntry]:
    """The business's audit trail (the entries naming ``card_id``), in chain order.

    A card's trail is read from the whole chain and picked by the card each entry names
    inside its hash, not through the lookup column, which is outside it: an entry whose
    column was edited still shows (and the disagreement is logged, ids only; ``verify``
    reports it). Entries that can't be read are left out here and reported by ``verify``.
    """
    entries: list[AuditEntry] = []
    disagreeing: list[str] = []
    for record in audit_records(core, business_id):
        # Most entries name other clients: their documents are not read into entries.
        if card_id is not None and card_id not in (record.key, record.doc.get("card_id")):
            continue
        try:
            entry = read_entry(record)
        except ClientCardError:
            continue
        if card_id is None or entry.card_id == card_id:
            entries.append(entry)
        if card_id is not None and (record.key == card_id) != (entry.card_id == card_id):
            disagreeing.append(record.id)
    if disagreeing:
        logger.warning(
            "audit records whose lookup column disagrees with their entry",
            extra={"business_id": business_id, "card_id": card_id, "record_ids": disagreeing},
        )
    return sorted(entries, key=lambda entry: entry.seq)


def card_audit_entries(core: Core, business_id: str, card_id: str) -> list[AuditEntry]:
    """The entries naming ``card_id``, found through the lookup column (fast, trusting it).

    For counts a plan shows (exports made); what is shown as a client's trail comes from
    :func:`audit_trail`, which doesn't trust the column.
    """
    query = RecordQuery(kind=AUDIT_KIND, key=card_id)
    entries = [read_entry(record) for record in all_records(core, business_id, query)]
    return sorted(entries, key=lambda entry: entry.seq)


def audit_head(core: Core, business_id: str) -> tuple[int, str] | None:
    """``(seq, hash)`` of the newest entry, or ``None`` before the first."""
    try:
        head = core.store.get_record(business_id, AUDIT_HEAD_KIND, business_id)
    except NotFoundError:
        return None
    return int(head.doc["seq"]), str(head.doc["hash"])
