"""The promotions service: define promo codes, redeem them, list them.

Records carry everything (see :mod:`clientcard.promotions.records`): a ``promotion``
per code, a ``promotion.usage`` counter beside it, and a ``redemption`` per use.

Redeeming is one unit of work that reads the promotion, the counter and the client's
earlier redemptions, checks every rule, then writes the counter one revision on
(``expected_revision``) and the redemption. Every redemption of a promotion therefore
updates the same counter, so two concurrent ones can't both pass a limit: the second
to write sees a revision conflict (or, on PostgreSQL, a serialization failure), and
the whole unit runs again on fresh data, a bounded number of times.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

import attrs

from clientcard._core import Service, as_id, as_optional_id
from clientcard.cards.card import ClientCard
from clientcard.errors import (
    FieldIssue,
    InvalidValueError,
    NotFoundError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import EventKind
from clientcard.locale import message
from clientcard.promotions.model import (
    Discount,
    Promotion,
    Redemption,
    UnknownPromotionError,
    normalise_code,
    refusal_error,
)
from clientcard.promotions.records import (
    PROMOTION,
    REDEMPTION,
    USAGE,
    promotion_document,
    promotion_from,
    redemption_document,
    redemption_from,
)
from clientcard.storage.records import Record, RecordQuery

__all__ = ["PromotionService"]

logger = logging.getLogger("clientcard")

T = TypeVar("T")

_REDEEM_ATTEMPTS: Final = 30


def _pause(attempt: int) -> None:
    # Jittered back-off, so retrying redemptions don't collide in step again.
    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # noqa: S311 - not crypto


class PromotionService(Service):
    """Promo codes of one business and their redemptions (see the module docs).

    Reached as ``book.business(id).promotions``.

    .. versionadded:: 0.1.0
    """

    # -- defining ---------------------------------------------------------------------

    def add(
        self,
        *,
        code: str,
        name: str,
        discount: Discount,
        valid_from: dt.datetime | None = None,
        valid_until: dt.datetime | None = None,
        groups: Iterable[str] = (),
        services: Iterable[str] = (),
        limit_per_client: int | None = None,
        limit_total: int | None = None,
        lang: str | None = None,
    ) -> Promotion:
        """Define a promotion under ``code`` (normalised); valid from now by default.

        ``groups`` must be client groups the business has defined. A code stays taken
        once used, even after the promotion is retired.

        :raises ValidationError: with every issue, in ``lang`` (the business's language
            by default); ``promotion.group_unknown`` for an undefined group.
        :raises DuplicateError: the code is taken.
        """
        core = self._core
        business_id = self.business_id
        now = core.clock.now()
        language = lang or core.store.get_business(business_id).language
        promotion = Promotion.create(
            code=code,
            name=name,
            discount=discount,
            valid_from=valid_from or now,
            valid_until=valid_until,
            groups=groups,
            services=services,
            limit_per_client=limit_per_client,
            limit_total=limit_total,
            created_at=now,
            lang=language,
        )

        def work() -> Promotion:
            self._check_groups_exist(promotion.groups, language)
            core.store.add_records(
                [
                    Record(
                        business_id=business_id,
                        kind=PROMOTION,
                        id=promotion.code,
                        key=promotion.code,
                        at=now,
                        doc=promotion_document(promotion),
                    ),
                    Record(
                        business_id=business_id,
                        kind=USAGE,
                        id=promotion.code,
                        key=promotion.code,
                        at=now,
                        doc={"count": 0},
                    ),
                ]
            )
            self._record_event(EventKind.PROMOTION_CHANGED, None, promotion.code)
            return promotion

        return core.write(work)

    def retire(self, code: str) -> Promotion:
        """Stop a promotion: it can't be redeemed any more; its history stays.

        :raises NotFoundError: no promotion with this code.
        :raises TypeError: ``code`` is not a string (a Promotion, say).
        """
        code = as_id("code", code)
        core = self._core

        def work() -> Promotion:
            record = self._promotion_record(code)
            promotion = promotion_from(record)
            if promotion.retired:
                return promotion
            retired = attrs.evolve(promotion, retired=True)
            doc = promotion_document(retired)
            core.store.update_record(record.revised(doc), expected_revision=record.revision)
            self._record_event(EventKind.PROMOTION_CHANGED, None, promotion.code, ["retired"])
            return retired

        return core.write(work)

    # -- reading ----------------------------------------------------------------------

    def get(self, code: str) -> Promotion:
        """The promotion with ``code`` (in any case or spacing).

        :raises NotFoundError: no promotion with this code.
        :raises TypeError: ``code`` is not a string (a Promotion, say).
        """
        return promotion_from(self._promotion_record(as_id("code", code)))

    def list(self, *, include_retired: bool = False) -> builtins.list[Promotion]:
        """The business's promotions, by code; retired ones only when asked."""
        found = (
            promotion_from(record)
            for record in self._core.iter_records(self.business_id, RecordQuery(kind=PROMOTION))
        )
        return sorted((p for p in found if include_retired or not p.retired), key=lambda p: p.code)

    def usage(self, code: str) -> int:
        """How many times a promotion has been redeemed, by every client together.

        :raises NotFoundError: no promotion with this code.
        :raises TypeError: ``code`` is not a string (a Promotion, say).
        """
        record = self._promotion_record(as_id("code", code))
        return int(self._core.store.get_record(self.business_id, USAGE, record.id).doc["count"])

    def get_redemption(self, redemption_id: str) -> Redemption:
        """One redemption (as ``promotion.redeemed`` events name it).

        :raises NotFoundError: no such redemption.
        """
        redemption_id = as_id("redemption_id", redemption_id)
        record = self._core.store.get_record(self.business_id, REDEMPTION, redemption_id)
        return redemption_from(record)

    def list_redemptions(self, card_id: str) -> builtins.list[Redemption]:
        """A client's redemptions, oldest first."""
        card_id = as_id("card_id", card_id)
        query = RecordQuery(kind=REDEMPTION, card_id=card_id)
        return [redemption_from(r) for r in self._core.iter_records(self.business_id, query)]

    def active_for(
        self, card_id: str, *, at: dt.datetime | None = None
    ) -> builtins.list[Promotion]:
        """The promotions the client could redeem at ``at`` (now by default), by code.

        Active means not retired, within its validity, for the client's group, and
        neither used up overall nor by this client. A promotion limited to some
        services is listed: it applies to those.

        :raises NotFoundError: no such card.
        """
        card_id = as_id("card_id", card_id)
        store = self._core.store
        when = at or self._core.clock.now()
        card = store.get(self.business_id, card_id)
        used = Counter(redemption.code for redemption in self.list_redemptions(card_id))
        active = []
        for promotion in self.list():
            total = 0
            if promotion.limit_total is not None:
                usage = store.get_record(self.business_id, USAGE, promotion.code)
                total = int(usage.doc["count"])
            if promotion.is_active_for(
                at=when,
                group=card.client_group,
                used_total=total,
                used_by_client=used[promotion.code],
            ):
                active.append(promotion)
        return active

    # -- redeeming --------------------------------------------------------------------

    def redeem(
        self,
        card_id: str,
        code: str,
        *,
        service: str | None = None,
        appointment_id: str | None = None,
        by: str = "",
    ) -> Redemption:
        """Redeem a promo code for a client: check every rule, then record it, atomically.

        ``service`` names what the code is used on (needed for promotions limited to
        some services); ``appointment_id`` links the booking it was used for; ``by``
        names who recorded it (kept as the redemption's ``recorded_by``).

        :raises UnknownPromotionError: no promotion has this code.
        :raises PromotionUnavailableError: retired, not valid yet or expired.
        :raises NotEligibleError: the client's group or the service is not eligible.
        :raises PromotionExhaustedError: the overall limit is reached.
        :raises ClientLimitReachedError: this client's limit is reached.
        :raises NotFoundError: no such card.
        :raises TypeError: ``card_id`` or ``code`` is not a string.
        """
        card_id = as_id("card_id", card_id)
        code = as_id("code", code)
        appointment_id = as_optional_id("appointment_id", appointment_id)
        try:
            normalised = normalise_code(code)
        except InvalidValueError:
            raise UnknownPromotionError() from None
        core = self._core
        business_id = self.business_id

        def work() -> Redemption:
            now = core.clock.now()
            card = core.store.get(business_id, card_id)
            try:
                record = core.store.get_record(business_id, PROMOTION, normalised)
            except NotFoundError:
                raise UnknownPromotionError(normalised) from None
            promotion = promotion_from(record)
            counter = core.store.get_record(business_id, USAGE, normalised)
            used_total = int(counter.doc["count"])
            mine = RecordQuery(kind=REDEMPTION, card_id=card_id, key=normalised)
            used_by_client = sum(1 for _ in core.iter_records(business_id, mine))
            refusal = promotion.refusal(
                at=now,
                group=card.client_group,
                service=service,
                used_total=used_total,
                used_by_client=used_by_client,
            )
            if refusal is not None:
                raise refusal_error(refusal, normalised)
            redemption = Redemption(
                id=core.new_id(),
                code=normalised,
                card_id=card_id,
                at=now,
                discount=promotion.discount,
                service=service,
                appointment_id=appointment_id,
                recorded_by=by,
            )
            # The counter first: of two concurrent redemptions only one passes this.
            core.store.update_record(
                counter.revised({"count": used_total + 1}), expected_revision=counter.revision
            )
            core.store.add_records(
                [
                    Record(
                        business_id=business_id,
                        kind=REDEMPTION,
                        id=redemption.id,
                        card_id=card_id,
                        key=normalised,
                        at=now,
                        doc=redemption_document(redemption),
                    )
                ]
            )
            self._record_event(EventKind.PROMOTION_REDEEMED, card, redemption.id)
            return redemption

        return self._retrying(work)

    # -- internals --------------------------------------------------------------------

    def _record_event(
        self,
        kind: EventKind,
        card: ClientCard | None,
        record_id: str,
        fields: builtins.list[str] | None = None,
    ) -> None:
        core = self._core
        core.store_events([core.event(kind, self.business_id, card, fields, record_id=record_id)])

    def _retrying(self, work: Callable[[], T]) -> T:
        """Run ``work`` as a unit of work, again on fresh data after a lost race.

        The core already replays serialization conflicts; a lost race on the counter
        shows as a VersionConflictError, which only a redemption may replay (an edit
        must not). Inside a caller's transaction nothing can be replayed: the conflict
        goes up.
        """
        attempt = 0
        while True:
            try:
                return self._core.write(work)
            except (VersionConflictError, StorageError) as error:
                lost_race = isinstance(error, VersionConflictError) or error.reason == "conflict"
                if (
                    not lost_race
                    or self._core.store.in_transaction()
                    or attempt >= _REDEEM_ATTEMPTS
                ):
                    raise
                attempt += 1
                logger.debug("redemption lost a race; running it again (attempt %d)", attempt)
                _pause(attempt)

    def _promotion_record(self, code: str) -> Record:
        try:
            normalised = normalise_code(code)
        except InvalidValueError:
            raise NotFoundError(PROMOTION, "?") from None
        return self._core.store.get_record(self.business_id, PROMOTION, normalised)

    def _check_groups_exist(self, keys: Iterable[str], lang: str) -> None:
        """Refuse group keys the business has not defined (exactly as stored)."""
        wanted = builtins.list(keys)
        if not wanted:
            return
        # Exact keys, not normalised ones: a promotion's groups must match the stored
        # key a card's client_group holds, or the promotion could never apply.
        defined = {group.key for group in self._business.groups.list()}
        if any(key not in defined for key in wanted):
            code = "promotion.group_unknown"
            raise ValidationError([FieldIssue("groups", code, message(code, lang))])
