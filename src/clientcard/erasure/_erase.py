"""Erasing one client inside a unit of work: shared by erasure, replay and retention.

Package-private: :class:`~clientcard.erasure.service.ErasureService` runs an erasure in
a unit of work of its own, and :class:`~clientcard.erasure.retention_service.RetentionService`
inside the unit that also re-checks what is due, so both call :func:`erase_now`.
Other concepts are reached through their services' public methods only: the gallery
removes the client's photos, consent refreshes the wards of an erased guardian.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import attrs

from clientcard._core import BLOB_DELETION
from clientcard.cards.card import ClientCard
from clientcard.consent import SUPPRESSION_KIND
from clientcard.consent.ledger import ConsentEvent
from clientcard.contact import name, phone
from clientcard.erasure._records import (
    all_records,
    append_audit,
    card_audit_entries,
    card_records,
    fulfil_requests,
    read_policy,
)
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.plan import (
    ErasurePlan,
    blob_refs,
    card_blob_refs,
    decide,
    erased_record,
    plan,
)
from clientcard.erasure.policy import ErasureMode, ErasurePolicy, RecordAction
from clientcard.erasure.proof import PROOF_KIND, proof_record, subject_pseudonym
from clientcard.erasure.receipts import RECEIPT_KIND, ErasureReceipt, read_receipt, receipt_record
from clientcard.erasure.requests import RequestKind
from clientcard.errors import FieldIssue, NotFoundError, StorageError, ValidationError
from clientcard.events import EventKind
from clientcard.fingerprints import contact_fingerprints
from clientcard.gallery.records import PHOTO
from clientcard.locale import message
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard._core import Core
    from clientcard.book import BusinessBook
    from clientcard.business import Business

__all__ = [
    "Gathered",
    "checkpoint",
    "erase_now",
    "gather",
    "receipts_of",
    "restore_receipt",
]

logger = logging.getLogger("clientcard")


@attrs.frozen
class Gathered:
    """Everything one erasure reads before it writes, and the plan it makes of it."""

    business: Business
    policy: ErasurePolicy
    card: ClientCard
    records: tuple[Record, ...]
    ledger: tuple[ConsentEvent, ...]
    sends: int
    suppress: bool
    plan: ErasurePlan


def gather(
    core: Core, business_id: str, card_id: str, mode: ErasureMode | None, suppress: bool | None
) -> Gathered:
    """Read what erasing a client touches and plan it; nothing is written.

    :raises NotFoundError: no such card in this business.
    """
    store = core.store
    business = store.get_business(business_id)
    card = store.get(business_id, card_id)
    policy = read_policy(core, business_id)
    keep_prints = policy.suppress_contacts if suppress is None else suppress
    now = core.clock.now()
    records = tuple(card_records(core, business_id, card_id))
    ledger = tuple(store.consent_events(business_id, card_id))
    sends = len(store.card_sends(business_id, card_id))
    exports = sum(
        1
        for entry in card_audit_entries(core, business_id, card_id)
        if entry.action is AuditAction.EXPORTED
    )
    prints = len(set(card.phones)) + (1 if card.email else 0) if keep_prints else 0
    made = plan(
        card,
        records,
        policy=policy,
        mode=mode,
        country=business.region,
        schema=business.schema,
        consent_events=len(ledger),
        sends=sends,
        fingerprints=prints,
        exports=exports,
        wards=store.count(business_id, CardQuery(guardian_id=card_id)),
        now=now,
        today=business.today(now),
    )
    return Gathered(business, policy, card, records, ledger, sends, keep_prints, made)


def receipts_of(core: Core, business_id: str, card_id: str | None) -> list[ErasureReceipt]:
    """The business's erasure receipts (one card's, with ``card_id``), oldest first."""
    query = RecordQuery(kind=RECEIPT_KIND, key=card_id)
    return [read_receipt(record) for record in all_records(core, business_id, query)]


def erase_now(
    core: Core,
    business: BusinessBook,
    card_id: str,
    *,
    mode: ErasureMode | None,
    suppress: bool | None,
    by: str,
    via: str,
    reason: str,
    expected: ErasurePlan | None = None,
    replay_of: str | None = None,
) -> ErasureReceipt:
    """Erase a client in the current unit of work (see ``ErasureService.run``).

    The blobs it frees are only filed for deletion: ``ErasureService.finish`` deletes
    their bytes once the unit committed.

    :raises ValidationError: ``erasure.plan_changed`` when ``expected`` is no longer
        what erasing the client would do.
    :raises NotFoundError: no such card, and no receipt of one.
    """
    store = core.store
    business_id = business.id
    try:
        found = gather(core, business_id, card_id, mode, suppress)
    except NotFoundError:
        done = receipts_of(core, business_id, card_id)
        if done and replay_of is None:
            return done[-1]
        raise
    if expected is not None and found.plan != expected:
        code = "erasure.plan_changed"
        raise ValidationError([FieldIssue("plan", code, message(code))])
    now = core.clock.now()
    card = found.card
    key = core.fingerprint_key(business_id)
    # Kept blocks carry them whatever the policy says of suppression.
    card_prints = contact_fingerprints(key, email=card.email, phones=card.phones)
    prints = card_prints if found.suppress else frozenset()
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    refs = card_blob_refs(card, found.business.schema.fields)
    # Photos leave through the gallery, which deletes their bytes after commit.
    business.gallery.remove_all(card_id)
    for record in found.records:
        action, until = decide(
            record, found.policy, found.plan.mode, found.business.region, found.business.today(now)
        )
        counts[record.kind][action.value] += 1
        if record.kind == PHOTO:
            continue
        refs.extend(blob_refs(record, action))
        kept = erased_record(
            record,
            action,
            held_until=until,
            # A lifted block keeps no fingerprint: it no longer recognises anyone.
            fingerprints=card_prints
            if action is RecordAction.SUPPRESS and record.doc.get("lifted_at") is None
            else (),
        )
        if kept is not None:
            store.update_record(kept, expected_revision=record.revision)
    _keep_proof(core, business_id, key, card_id, found.ledger)
    _keep_fingerprints(core, business_id, prints, now)
    _file_blob_deletions(core, business_id, refs, now)
    # Deleting the card takes what is still filed under it: its ledger, sends,
    # permissions, search entries and every record not kept above.
    store.delete(business_id, card_id, expected_version=card.version)
    # The card is gone; this refreshes the permissions of the clients it was guardian of.
    business.consent.refresh_permissions(card_id)
    receipt_id = core.new_id()
    requests = fulfil_requests(
        core, business_id, card_id, frozenset({RequestKind.ERASURE}), f"receipt:{receipt_id}"
    )
    receipt = ErasureReceipt(
        receipt_id=receipt_id,
        business_id=business_id,
        card_id=card_id,
        erased_at=now,
        actor=by,
        via=via,
        mode=found.plan.mode,
        reason=reason,
        records={kind: dict(by_action) for kind, by_action in counts.items()},
        consent_events=len(found.ledger),
        sends=found.sends,
        blobs=found.plan.blobs,
        fingerprints=len(prints),
        requests=requests,
        legal_hold_years=found.policy.hold_years(found.business.region),
        replay_of=replay_of,
    )
    store.add_records([receipt_record(receipt)])
    append_audit(
        core,
        business_id,
        AuditAction.ERASURE_REPLAYED if replay_of else AuditAction.ERASED,
        by=by,
        via=via,
        card_id=card_id,
        detail={"receipt": receipt_id, "mode": receipt.mode.value, "reason": reason},
    )
    core.store_events([core.event(EventKind.CARD_ERASED, business_id, card, record_id=receipt_id)])
    logger.info("client erased", extra={"business_id": business_id, "card_id": card_id})
    # Every way of erasing (alone, in a host's transaction, by retention, by replay)
    # runs this; the memories are emptied even if the transaction is then undone.
    _forget_recent_values()
    return receipt


def restore_receipt(core: Core, receipt: ErasureReceipt) -> None:
    """Keep ``receipt`` again if a restored backup lost it."""
    try:
        core.store.get_record(receipt.business_id, RECEIPT_KIND, receipt.receipt_id)
    except NotFoundError:
        core.store.add_records([receipt_record(receipt)])


def checkpoint(core: Core) -> None:
    """Move the write-ahead log into the database and empty it, on stores that have one.

    On SQLite, erased data would otherwise survive in the ``-wal`` file until the
    next automatic checkpoint. A reader holding the log open makes it fail; it is
    then logged and tried again by the next erasure or ``ErasureService.finish``.
    """
    run = getattr(core.store, "checkpoint", None)
    if not callable(run):
        return
    try:
        run()
    except StorageError:
        logger.warning("checkpoint after erasure postponed: the database is busy")


def _keep_proof(
    core: Core, business_id: str, key: bytes, card_id: str, ledger: tuple[ConsentEvent, ...]
) -> None:
    if not ledger:
        return
    pseudonym = subject_pseudonym(key, card_id)
    # The same pseudonym every time: a replay after a restore files no second copy.
    query = RecordQuery(kind=PROOF_KIND, key=pseudonym)
    known = {record.id for record in all_records(core, business_id, query)}
    core.store.add_records(
        [proof_record(event, pseudonym) for event in ledger if event.event_id not in known]
    )


def _keep_fingerprints(
    core: Core, business_id: str, prints: frozenset[str], now: dt.datetime
) -> None:
    fresh = []
    for fingerprint in sorted(prints):
        try:
            core.store.get_record(business_id, SUPPRESSION_KIND, fingerprint)
        except NotFoundError:
            fresh.append(
                Record(
                    business_id=business_id,
                    kind=SUPPRESSION_KIND,
                    id=fingerprint,
                    at=now,
                    doc={"fingerprint": fingerprint},
                    key=fingerprint,
                )
            )
    core.store.add_records(fresh)


def _file_blob_deletions(core: Core, business_id: str, refs: list[str], now: dt.datetime) -> None:
    """File the deletion of blobs no record will point at once this unit commits.

    The same ``blob.deletion`` records the gallery files, but filed here rather than
    released through ``Core.release_blobs``: an erasure's bytes are deleted by
    ``ErasureService.finish`` (right after the erasure commits, or after a host's own
    transaction), and until then the records keep the deletion across a crash. A ref
    filed already (a replay, a picture two records share) is not filed twice.
    """
    fresh = []
    for ref in dict.fromkeys(refs):
        try:
            core.store.get_record(business_id, BLOB_DELETION, ref)
        except NotFoundError:
            fresh.append(
                Record(business_id=business_id, kind=BLOB_DELETION, id=ref, at=now, doc={})
            )
    core.store.add_records(fresh)


def _forget_recent_values() -> None:
    """Empty this process's memory of recently folded names and classified numbers.

    Both keep a few thousand values for speed; after an erasure none of the client's
    may stay behind in them (other processes' memories age out as they fill).
    """
    name.fold.cache_clear()
    phone.forget_kinds()
