"""Erasing clients, as a service (``desk.erasure``): the policy, plans, runs and receipts.

Staff plan an erasure (:meth:`ErasureService.plan`), look at what it will do, then
confirm it (:meth:`ErasureService.run`). The plan, the policy, receipts and the consent
proof are pure (:mod:`clientcard.erasure.plan` and its siblings); subject requests,
the audit trail, retention and the access export are the package's other services
(``desk.requests``, ``desk.audit``, ``desk.retention``, ``desk.portability``).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable

from clientcard._core import Service, as_id, as_optional_enum, as_optional_id, audit_queue
from clientcard.consent import SUPPRESSION_KIND
from clientcard.consent.ledger import ConsentEvent
from clientcard.erasure._erase import checkpoint, erase_now, gather, receipts_of, restore_receipt
from clientcard.erasure._records import POLICY_KIND, all_records, append_audit, read_policy
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.plan import ErasurePlan
from clientcard.erasure.policy import ErasureMode, ErasurePolicy, policy_to_dict
from clientcard.erasure.proof import PROOF_KIND, read_proof, subject_pseudonym
from clientcard.erasure.receipts import ErasureReceipt
from clientcard.errors import NotFoundError
from clientcard.fingerprints import contact_fingerprints
from clientcard.storage.records import Record, RecordQuery

__all__ = ["ErasureService"]


class ErasureService(Service):
    """Erasure of one business's clients: its policy, plans, runs, receipts, suppression.

    Reached as ``book.business(id).erasure``.

    .. versionadded:: 0.1.0
    """

    # -- policy -------------------------------------------------------------------------

    def policy(self) -> ErasurePolicy:
        """Return the business's erasure policy (the default one until it sets its own).

        :raises NotFoundError: no such business.
        """
        return read_policy(self._core, self.business_id)

    def set_policy(
        self, policy: ErasurePolicy, *, by: str, via: str = "erasure.set_policy"
    ) -> ErasurePolicy:
        """Make ``policy`` the business's erasure policy; the audit trail records it."""
        core = self._core
        business_id = self.business_id

        def work() -> ErasurePolicy:
            core.store.get_business(business_id)
            doc = policy_to_dict(policy)
            now = core.clock.now()
            try:
                stored = core.store.get_record(business_id, POLICY_KIND, business_id)
            except NotFoundError:
                core.store.add_records(
                    [
                        Record(
                            business_id=business_id,
                            kind=POLICY_KIND,
                            id=business_id,
                            at=now,
                            doc=doc,
                        )
                    ]
                )
            else:
                core.store.update_record(
                    stored.revised(doc, at=now), expected_revision=stored.revision
                )
            append_audit(
                core,
                business_id,
                AuditAction.POLICY_CHANGED,
                by=by,
                via=via,
                detail={"mode": policy.mode.value},
            )
            return policy

        return core.write(work, queue=audit_queue(business_id))

    # -- erasure ------------------------------------------------------------------------

    def plan(
        self,
        card_id: str,
        *,
        mode: ErasureMode | str | None = None,
        suppress: bool | None = None,
    ) -> ErasurePlan:
        """Plan erasing a client: what goes, what stays and until when, and what follows.

        ``mode`` overrides the policy's mode; ``suppress`` whether the client's contact
        fingerprints are kept so they are never contacted again (the policy's
        ``suppress_contacts`` by default). Nothing is written; confirm the plan by passing
        it to :meth:`run`.

        :raises NotFoundError: no such card in this business.
        :raises ValueError: ``mode`` is not an :class:`ErasureMode` value.
        """
        card = as_id("card_id", card_id)
        chosen = as_optional_enum(ErasureMode, "mode", mode)
        return gather(self._core, self.business_id, card, chosen, suppress).plan

    def run(self, plan: ErasurePlan, *, by: str, via: str = "erasure.run") -> ErasureReceipt:
        """Carry out a confirmed plan in one transaction; return the receipt.

        The plan is made again inside the transaction; if the client's data changed since
        it was shown (a new visit, an edit), nothing is done. Erasing completes the
        client's open erasure requests, appends to the audit trail and emits
        ``card.erased`` (its ``record_id`` names the receipt) so the host erases the
        client elsewhere; after commit the bytes of their photos and picture go from the
        blob store and (on SQLite) the write-ahead log is checkpointed, so no copy of the
        data lingers there.
        Called inside a host's own transaction, those last steps wait for
        :meth:`finish`.

        Erasing a client already erased returns their receipt again.

        :raises TypeError: ``plan`` is not an :class:`ErasurePlan` (a card id, say).
        :raises ValueError: the plan is of another business (``plan.business_id``).
        :raises ValidationError: ``erasure.plan_changed``.
        :raises NotFoundError: no such card, and no receipt of one.
        """
        if not isinstance(plan, ErasurePlan):
            # A card id passed where the confirmed plan belongs: nothing is erased unplanned.
            raise TypeError(f"plan must be an ErasurePlan (from plan()), not {type(plan).__name__}")
        if plan.business_id != self.business_id:
            raise ValueError(
                f"plan.business_id {plan.business_id!r} is not this business ({self.business_id!r})"
            )
        return self._erase(
            plan.card_id,
            mode=plan.mode,
            suppress=plan.fingerprints > 0,
            by=by,
            via=via,
            reason="request",
            expected=plan,
        )

    def receipts(self, *, card_id: str | None = None) -> list[ErasureReceipt]:
        """Return the business's erasure receipts (one card's, with ``card_id``), oldest first."""
        return receipts_of(self._core, self.business_id, as_optional_id("card_id", card_id))

    def replay(
        self,
        receipts: Iterable[ErasureReceipt],
        *,
        by: str,
        via: str = "erasure.replay",
    ) -> list[ErasureReceipt]:
        """Erase again the clients a restored backup brought back; return the new receipts.

        For each receipt of this business whose card exists again, the client is erased
        as the receipt says (its mode, and suppression if it kept fingerprints) under the
        policy in force now. Every receipt given is kept again if the restore lost it;
        receipts of other businesses are passed over.
        """
        core = self._core
        replayed = []
        for receipt in receipts:
            if receipt.business_id != self.business_id:
                continue
            restore_receipt(core, receipt)
            try:
                core.store.get(self.business_id, receipt.card_id)
            except NotFoundError:
                continue
            replayed.append(
                self._erase(
                    receipt.card_id,
                    mode=receipt.mode,
                    suppress=receipt.fingerprints > 0,
                    by=by,
                    via=via,
                    reason="replay",
                    replay_of=receipt.receipt_id,
                )
            )
        return replayed

    def finish(self) -> int:
        """Delete the blobs erasures left waiting, then checkpoint the store.

        Every erasure calls it once it commits (unless inside a host's transaction:
        call it after yours). It returns how many blobs went; a blob store that fails
        keeps the rest waiting for the next call, and a reader keeping SQLite's log open
        postpones the checkpoint to the next call (both logged, ids only).
        """
        deleted = 0
        while True:
            purged = self._business.gallery.purge_deleted()
            deleted += purged
            if not purged:
                break
        checkpoint(self._core)
        return deleted

    # -- what erasure leaves --------------------------------------------------------------

    def consent_proof(self, card_id: str) -> list[ConsentEvent]:
        """Return the pseudonymised consent proof an erased card left (empty if none).

        The events carry the subject pseudonym as their card id (see
        :mod:`clientcard.erasure.proof`), oldest first.
        """
        core = self._core
        key = core.fingerprint_key(self.business_id)
        pseudonym = subject_pseudonym(key, as_id("card_id", card_id))
        query = RecordQuery(kind=PROOF_KIND, key=pseudonym)
        return [read_proof(record) for record in all_records(core, self.business_id, query)]

    def is_suppressed(self, *, email: str | None = None, phones: Iterable[str] = ()) -> bool:
        """Tell whether an erased client asked never to be contacted at these details.

        ``email`` is a normalised address and ``phones`` E.164 numbers, as on cards.
        """
        core = self._core
        prints = contact_fingerprints(
            core.fingerprint_key(self.business_id), email=email, phones=tuple(phones)
        )
        for fingerprint in sorted(prints):
            try:
                core.store.get_record(self.business_id, SUPPRESSION_KIND, fingerprint)
            except NotFoundError:
                continue
            return True
        return False

    # -- internals ----------------------------------------------------------------------

    def _erase(
        self,
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
        core = self._core
        receipt = core.write(
            lambda: erase_now(
                core,
                self._business,
                card_id,
                mode=mode,
                suppress=suppress,
                by=by,
                via=via,
                reason=reason,
                expected=expected,
                replay_of=replay_of,
            ),
            # It appends to the audit chain, as its last act: in line for it from the start.
            queue=audit_queue(self.business_id),
        )
        # Inside a host's transaction nothing is committed yet: the host calls finish().
        if not core.store.in_transaction():
            self.finish()
        return receipt
