"""The privacy audit trail of one business, as a service (``desk.audit``).

The book records its own erasures, exports, imports, requests and policy changes in the
trail; :meth:`AuditService.record` is for the rest. The entries and their hash chain are
pure (:mod:`clientcard.erasure.audit`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping

from clientcard._core import Service, as_enum, as_optional_id, audit_queue
from clientcard.erasure._records import append_audit, audit_head, audit_trail
from clientcard.erasure.audit import AuditAction, AuditEntry, ChainCheck, verify_chain

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
        """Return the business's audit trail (the entries naming ``card_id``), in order."""
        return audit_trail(self._core, self.business_id, as_optional_id("card_id", card_id))

    def head(self) -> tuple[int, str] | None:
        """Return ``(seq, hash)`` of the newest entry, to keep outside the database.

        ``None`` before the first entry.
        """
        return audit_head(self._core, self.business_id)

    def verify(self) -> ChainCheck:
        """Check that no entry of the trail was changed, removed or cut off the end."""
        return verify_chain(self.trail(), self.head())
