"""The privacy audit trail of one business, as a service (``desk.audit``).

The book records its own erasures, exports, imports, requests and policy changes in the
trail; :meth:`AuditService.record` is for the rest. The entries and their hash chain are
pure (:mod:`clientcard.erasure.audit`).

Whoever can write to the database can delete the newest entries and rewrite the stored
head to match, or delete every entry and the head: the chain alone can't show that.
Each append therefore sends the new head to the host's event sink (an
``audit.appended`` event, ``event.audit_head``); the host keeps the newest one outside
the database and passes it to :meth:`AuditService.verify` (``expected_head=``).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping

from clientcard._core import Service, as_enum, as_optional_id, audit_queue
from clientcard.erasure._records import append_audit, audit_head, audit_records, audit_trail
from clientcard.erasure.audit import AuditAction, AuditEntry, ChainCheck, verify_records

__all__ = ["AuditService"]


class AuditService(Service):
    """The hash-chained privacy audit trail of one business.

    Reached as ``book.business(id).audit``.

    .. versionadded:: 0.1.0
    """

    def record(
        self,
        action: AuditAction | str,
        *,
        by: str,
        via: str,
        card_id: str | None = None,
        detail: Mapping[str, str] | None = None,
    ) -> AuditEntry:
        """Append to the business's audit trail; ids and codes only.

        The book records its own erasures, exports, imports, requests and policy
        changes; call this for the rest -- a member of staff opening a card
        (:attr:`AuditAction.VIEWED`, ``via`` naming your endpoint), a merge, a block.
        Joins the caller's transaction when there is one.

        :raises ValidationError: ``audit.detail_invalid`` for a detail that is not an id
            or code.
        :raises ValueError: ``action`` is not an :class:`AuditAction` value.
        """
        chosen = as_enum(AuditAction, "action", action)
        card = as_optional_id("card_id", card_id)
        core = self._core
        return core.write(
            lambda: append_audit(
                core, self.business_id, chosen, by=by, via=via, card_id=card, detail=detail
            ),
            queue=audit_queue(self.business_id),
        )

    def trail(self, *, card_id: str | None = None) -> list[AuditEntry]:
        """Return the business's audit trail (the entries naming ``card_id``), in order.

        A client's trail is picked from the whole chain by the card each entry names
        inside its hash, so editing the lookup column can't hide an entry from it (the
        disagreement is logged, ids only, and :meth:`verify` reports it). It reads the
        business's whole trail.
        """
        return audit_trail(self._core, self.business_id, as_optional_id("card_id", card_id))

    def head(self) -> tuple[int, str] | None:
        """Return ``(seq, hash)`` of the newest entry, to keep outside the database.

        ``None`` before the first entry. Each append also sends it to the event sink
        (``audit.appended``, :attr:`~clientcard.events.DomainEvent.audit_head`).
        """
        return audit_head(self._core, self.business_id)

    def verify(self, *, expected_head: tuple[int, str] | None = None) -> ChainCheck:
        """Check that no entry of the trail was changed, removed, cut off or hidden.

        Every entry must follow from the one before it, the chain must reach the head
        stored beside it, and each record's lookup columns must name the card its entry
        names. ``expected_head`` is a head the host kept outside the database (the
        newest ``audit.appended`` event's ``audit_head``, or an earlier :meth:`head`):
        the trail must still hold that entry, so entries cut off the end with the
        stored head rewritten -- or every entry deleted with it -- show as
        :attr:`~clientcard.erasure.audit.AuditProblem.TRUNCATED`, and a rewritten
        trail as :attr:`~clientcard.erasure.audit.AuditProblem.DIVERGED`. Without it,
        an emptied trail reads as intact.

        :raises ValueError: ``expected_head`` is not ``(seq, hash)``.
        """
        return verify_records(
            audit_records(self._core, self.business_id),
            self.head(),
            expected_head=expected_head,
        )
