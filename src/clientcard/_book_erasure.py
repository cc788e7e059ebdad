"""The privacy half of :class:`~clientcard.book.ClientBook`: erasure and its receipts.

Kept apart so each module stays readable. :class:`ErasureMixin` has no state of its own
and is only ever used as a base of ``ClientBook``; subject requests and the audit trail,
retention and the access export are mixed in from ``_book_audit``, ``_book_retention``
and ``_book_portability``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from clientcard._book_audit import AuditMixin
from clientcard._book_consent import SUPPRESSION_KIND
from clientcard._book_gallery import BLOB_DELETION, PHOTO
from clientcard._book_portability import PortabilityMixin
from clientcard._book_retention import RetentionMixin
from clientcard.card import ClientCard
from clientcard.consent.ledger import ConsentEvent
from clientcard.contact import name, phone
from clientcard.erasure.audit import (
    AuditAction,
)
from clientcard.erasure.plan import (
    ErasurePlan,
    blob_refs,
    card_blob_refs,
    decide,
    erased_record,
    plan,
)
from clientcard.erasure.policy import (
    ErasureMode,
    ErasurePolicy,
    RecordAction,
    policy_from_dict,
    policy_to_dict,
)
from clientcard.erasure.proof import PROOF_KIND, proof_record, read_proof, subject_pseudonym
from clientcard.erasure.receipts import (
    RECEIPT_KIND,
    ErasureReceipt,
    read_receipt,
    receipt_record,
)
from clientcard.erasure.requests import (
    RequestKind,
)
from clientcard.errors import FieldIssue, NotFoundError, StorageError, ValidationError
from clientcard.events import EventKind
from clientcard.fingerprints import contact_fingerprints
from clientcard.locale import message
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.business import Business
    from clientcard.clock import Clock
    from clientcard.consent.ledger import ConsentState
    from clientcard.events import DomainEvent
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["ErasureMixin"]

logger = logging.getLogger("clientcard")

_POLICY_KIND: Final = "erasure.policy"
_SUPPRESSION_KIND: Final = SUPPRESSION_KIND
_PAGE: Final = 500


@attrs.frozen
class _Gathered:
    """Everything one erasure reads before it writes, and the plan it makes of it."""

    business: Business
    policy: ErasurePolicy
    card: ClientCard
    records: tuple[Record, ...]
    ledger: tuple[ConsentEvent, ...]
    sends: int
    suppress: bool
    plan: ErasurePlan


class ErasureMixin(AuditMixin, RetentionMixin, PortabilityMixin):
    """Erasure, subject requests and the audit trail of :class:`~clientcard.book.ClientBook`.

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def fingerprint_key(self, business_id: str) -> bytes: ...
        def delete_photos_of(self, business_id: str, card_id: str) -> int: ...
        def purge_deleted_blobs(self, business_id: str, *, limit: int = 500) -> int: ...
        def _refresh_wards(self, guardian: ClientCard) -> None: ...
        def _refresh_permissions(
            self, card: ClientCard, state: ConsentState | None = None
        ) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...

    # -- policy -------------------------------------------------------------------------

    def erasure_policy(self, business_id: str) -> ErasurePolicy:
        """Return the business's erasure policy (the default one until it sets its own).

        :raises NotFoundError: no such business.
        """
        self.store.get_business(business_id)
        try:
            stored = self.store.get_record(business_id, _POLICY_KIND, business_id)
        except NotFoundError:
            return ErasurePolicy()
        return policy_from_dict(dict(stored.doc))

    def set_erasure_policy(
        self,
        business_id: str,
        policy: ErasurePolicy,
        *,
        actor: str,
        via: str = "ClientBook.set_erasure_policy",
    ) -> ErasurePolicy:
        """Make ``policy`` the business's erasure policy; the audit trail records it."""

        def work() -> ErasurePolicy:
            self.store.get_business(business_id)
            doc = policy_to_dict(policy)
            try:
                stored = self.store.get_record(business_id, _POLICY_KIND, business_id)
            except NotFoundError:
                self.store.add_records(
                    [
                        Record(
                            business_id=business_id,
                            kind=_POLICY_KIND,
                            id=business_id,
                            at=self.clock.now(),
                            doc=doc,
                        )
                    ]
                )
            else:
                self.store.update_record(
                    stored.revised(doc, at=self.clock.now()), expected_revision=stored.revision
                )
            self._audit(
                business_id,
                AuditAction.POLICY_CHANGED,
                actor=actor,
                via=via,
                detail={"mode": policy.mode.value},
            )
            return policy

        return self._write(work)

    # -- erasure ------------------------------------------------------------------------

    def plan_erasure(
        self,
        business_id: str,
        card_id: str,
        *,
        mode: ErasureMode | None = None,
        suppress: bool | None = None,
    ) -> ErasurePlan:
        """Plan erasing a client: what goes, what stays and until when, and what follows.

        ``mode`` overrides the policy's mode; ``suppress`` whether the client's contact
        fingerprints are kept so they are never contacted again (the policy's
        ``suppress_contacts`` by default). Nothing is written; confirm the plan by passing
        it to :meth:`erase`.

        :raises NotFoundError: no such card in this business.
        """
        return self._gather(business_id, card_id, mode, suppress).plan

    def erase(
        self, plan: ErasurePlan, *, actor: str, via: str = "ClientBook.erase"
    ) -> ErasureReceipt:
        """Carry out a confirmed plan in one transaction; return the receipt.

        The plan is made again inside the transaction; if the client's data changed since
        it was shown (a new visit, an edit), nothing is done. Erasing completes the
        client's open erasure requests, appends to the audit trail and emits
        ``card.erased`` (its ``record_id`` names the receipt) so the host erases the
        client elsewhere; after commit the bytes of their photos and picture go from the
        blob store and (on SQLite) the write-ahead log is checkpointed, so no copy of the
        data lingers there.
        Called inside a host's own transaction, those last steps wait for
        :meth:`finish_erasures`.

        Erasing a client already erased returns their receipt again.

        :raises ValidationError: ``erasure.plan_changed``.
        :raises NotFoundError: no such card, and no receipt of one.
        """
        return self._erase(
            plan.business_id,
            plan.card_id,
            mode=plan.mode,
            suppress=plan.fingerprints > 0,
            actor=actor,
            via=via,
            reason="request",
            expected=plan,
        )

    def erasure_receipts(
        self, business_id: str, *, card_id: str | None = None
    ) -> list[ErasureReceipt]:
        """Return the business's erasure receipts (one card's, with ``card_id``), oldest first."""
        query = RecordQuery(kind=RECEIPT_KIND, key=card_id)
        return [read_receipt(record) for record in self._all_records(business_id, query)]

    def replay_erasures(
        self,
        business_id: str,
        receipts: Iterable[ErasureReceipt],
        *,
        actor: str,
        via: str = "ClientBook.replay_erasures",
    ) -> list[ErasureReceipt]:
        """Erase again the clients a restored backup brought back; return the new receipts.

        For each receipt of this business whose card exists again, the client is erased
        as the receipt says (its mode, and suppression if it kept fingerprints) under the
        policy in force now. Every receipt given is kept again if the restore lost it.
        """
        replayed = []
        for receipt in receipts:
            if receipt.business_id != business_id:
                continue
            self._restore_receipt(receipt)
            try:
                self.store.get(business_id, receipt.card_id)
            except NotFoundError:
                continue
            replayed.append(
                self._erase(
                    business_id,
                    receipt.card_id,
                    mode=receipt.mode,
                    suppress=receipt.fingerprints > 0,
                    actor=actor,
                    via=via,
                    reason="replay",
                    replay_of=receipt.receipt_id,
                )
            )
        return replayed

    def finish_erasures(self, business_id: str) -> int:
        """Delete the blobs erasures left waiting, then checkpoint the store.

        Every erasure calls it once it commits (unless inside a host's transaction:
        call it after yours). It returns how many blobs went; a blob store that fails
        keeps the rest waiting for the next call, and a reader keeping SQLite's log open
        postpones the checkpoint to the next call (both logged, ids only).
        """
        deleted = 0
        while True:
            purged = self.purge_deleted_blobs(business_id)
            deleted += purged
            if not purged:
                break
        self._checkpoint()
        return deleted

    def consent_proof(self, business_id: str, card_id: str) -> list[ConsentEvent]:
        """Return the pseudonymised consent proof an erased card left (empty if none).

        The events carry the subject pseudonym as their card id (see
        :mod:`clientcard.erasure.proof`), oldest first.
        """
        pseudonym = subject_pseudonym(self.fingerprint_key(business_id), card_id)
        query = RecordQuery(kind=PROOF_KIND, key=pseudonym)
        return [read_proof(record) for record in self._all_records(business_id, query)]

    def is_suppressed(
        self, business_id: str, *, email: str | None = None, phones: Iterable[str] = ()
    ) -> bool:
        """Tell whether an erased client asked never to be contacted at these details.

        ``email`` is a normalised address and ``phones`` E.164 numbers, as on cards.
        """
        prints = contact_fingerprints(
            self.fingerprint_key(business_id), email=email, phones=tuple(phones)
        )
        for fingerprint in sorted(prints):
            try:
                self.store.get_record(business_id, _SUPPRESSION_KIND, fingerprint)
            except NotFoundError:
                continue
            return True
        return False

    # -- internals ----------------------------------------------------------------------

    def _gather(
        self, business_id: str, card_id: str, mode: ErasureMode | None, suppress: bool | None
    ) -> _Gathered:
        business = self.store.get_business(business_id)
        card = self.store.get(business_id, card_id)
        policy = self.erasure_policy(business_id)
        keep_prints = policy.suppress_contacts if suppress is None else suppress
        records = tuple(self._card_records(business_id, card_id))
        ledger = tuple(self.store.consent_events(business_id, card_id))
        sends = len(self.store.card_sends(business_id, card_id))
        exports = sum(
            1
            for entry in self.audit_trail(business_id, card_id=card_id)
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
            wards=self.store.count(business_id, CardQuery(guardian_id=card_id)),
            now=self.clock.now(),
        )
        return _Gathered(business, policy, card, records, ledger, sends, keep_prints, made)

    def _erase(
        self,
        business_id: str,
        card_id: str,
        *,
        mode: ErasureMode | None,
        suppress: bool | None,
        actor: str,
        via: str,
        reason: str,
        expected: ErasurePlan | None = None,
        replay_of: str | None = None,
    ) -> ErasureReceipt:
        receipt = self._write(
            lambda: self._erase_now(
                business_id,
                card_id,
                mode=mode,
                suppress=suppress,
                actor=actor,
                via=via,
                reason=reason,
                expected=expected,
                replay_of=replay_of,
            )
        )
        if not self.store.in_transaction():
            self.finish_erasures(business_id)
        return receipt

    def _erase_now(
        self,
        business_id: str,
        card_id: str,
        *,
        mode: ErasureMode | None,
        suppress: bool | None,
        actor: str,
        via: str,
        reason: str,
        expected: ErasurePlan | None = None,
        replay_of: str | None = None,
    ) -> ErasureReceipt:
        """Erase a client in the current unit of work (see :meth:`erase`)."""
        try:
            found = self._gather(business_id, card_id, mode, suppress)
        except NotFoundError:
            done = self.erasure_receipts(business_id, card_id=card_id)
            if done and replay_of is None:
                return done[-1]
            raise
        if expected is not None and found.plan != expected:
            code = "erasure.plan_changed"
            raise ValidationError([FieldIssue("plan", code, message(code))])
        now = self.clock.now()
        card = found.card
        key = self.fingerprint_key(business_id)
        # Kept blocks carry them whatever the policy says of suppression.
        card_prints = contact_fingerprints(key, email=card.email, phones=card.phones)
        prints = card_prints if found.suppress else frozenset()
        counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        refs = card_blob_refs(card, found.business.schema.fields)
        # Photos leave through the gallery, which deletes their bytes after commit.
        self.delete_photos_of(business_id, card_id)
        for record in found.records:
            action, until = decide(
                record, found.policy, found.plan.mode, found.business.region, now.date()
            )
            counts[record.kind][action.value] += 1
            if record.kind == PHOTO:
                continue
            refs.extend(blob_refs(record, action))
            kept = erased_record(
                record,
                action,
                held_until=until,
                fingerprints=card_prints if action is RecordAction.SUPPRESS else (),
            )
            if kept is not None:
                self.store.update_record(kept, expected_revision=record.revision)
        self._keep_proof(business_id, key, card_id, found.ledger)
        self._keep_fingerprints(business_id, prints, now)
        self._release_blobs(business_id, refs, now)
        # Deleting the card takes what is still filed under it: its ledger, sends,
        # permissions, search entries and every record not kept above.
        self.store.delete(business_id, card_id, expected_version=card.version)
        self._refresh_wards(card)
        receipt_id = self._new_id()
        requests = self._fulfil_requests(
            business_id, card_id, frozenset({RequestKind.ERASURE}), f"receipt:{receipt_id}"
        )
        receipt = ErasureReceipt(
            receipt_id=receipt_id,
            business_id=business_id,
            card_id=card_id,
            erased_at=now,
            actor=actor,
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
        self.store.add_records([receipt_record(receipt)])
        self._audit(
            business_id,
            AuditAction.ERASURE_REPLAYED if replay_of else AuditAction.ERASED,
            actor=actor,
            via=via,
            card_id=card_id,
            detail={"receipt": receipt_id, "mode": receipt.mode.value, "reason": reason},
        )
        event = self._event(EventKind.CARD_ERASED, business_id, card)
        self.store_events([attrs.evolve(event, record_id=receipt_id)])
        logger.info("client erased", extra={"business_id": business_id, "card_id": card_id})
        # Every way of erasing (alone, in a host's transaction, by retention, by replay)
        # runs this; the memories are emptied even if the transaction is then undone.
        _forget_recent_values()
        return receipt

    def _keep_proof(
        self, business_id: str, key: bytes, card_id: str, ledger: tuple[ConsentEvent, ...]
    ) -> None:
        if not ledger:
            return
        pseudonym = subject_pseudonym(key, card_id)
        # The same pseudonym every time: a replay after a restore files no second copy.
        known = {
            record.id
            for record in self._all_records(
                business_id, RecordQuery(kind=PROOF_KIND, key=pseudonym)
            )
        }
        self.store.add_records(
            [proof_record(event, pseudonym) for event in ledger if event.event_id not in known]
        )

    def _keep_fingerprints(
        self, business_id: str, prints: frozenset[str], now: dt.datetime
    ) -> None:
        fresh = []
        for fingerprint in sorted(prints):
            try:
                self.store.get_record(business_id, _SUPPRESSION_KIND, fingerprint)
            except NotFoundError:
                fresh.append(
                    Record(
                        business_id=business_id,
                        kind=_SUPPRESSION_KIND,
                        id=fingerprint,
                        at=now,
                        doc={"fingerprint": fingerprint},
                        key=fingerprint,
                    )
                )
        self.store.add_records(fresh)

    def _release_blobs(self, business_id: str, refs: list[str], now: dt.datetime) -> None:
        """File the deletion of blobs no record will point at once this unit commits.

        The same ``blob.deletion`` records the gallery files; :meth:`finish_erasures`
        deletes the bytes after commit, so a crash in between loses nothing.
        """
        fresh = []
        for ref in dict.fromkeys(refs):
            try:
                self.store.get_record(business_id, BLOB_DELETION, ref)
            except NotFoundError:
                fresh.append(
                    Record(business_id=business_id, kind=BLOB_DELETION, id=ref, at=now, doc={})
                )
        self.store.add_records(fresh)

    def _restore_receipt(self, receipt: ErasureReceipt) -> None:
        try:
            self.store.get_record(receipt.business_id, RECEIPT_KIND, receipt.receipt_id)
        except NotFoundError:
            self.store.add_records([receipt_record(receipt)])

    def _checkpoint(self) -> None:
        """Move the write-ahead log into the database and empty it, on stores that have one.

        On SQLite, erased data would otherwise survive in the ``-wal`` file until the
        next automatic checkpoint. A reader holding the log open makes it fail; it is
        then logged and tried again by the next erasure or :meth:`finish_erasures`.
        """
        checkpoint = getattr(self.store, "checkpoint", None)
        if not callable(checkpoint):
            return
        try:
            checkpoint()
        except StorageError:
            logger.warning("checkpoint after erasure postponed: the database is busy")


def _forget_recent_values() -> None:
    """Empty this process's memory of recently folded names and classified numbers.

    Both keep a few thousand values for speed; after an erasure none of the client's
    may stay behind in them (other processes' memories age out as they fill).
    """
    name.fold.cache_clear()
    phone.forget_kinds()
