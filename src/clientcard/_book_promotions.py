"""The promotions half of :class:`~clientcard.book.ClientBook`: define, redeem, list.

Records carry everything: a ``promotion`` per code (id and key: the normalised code),
a ``promotion.usage`` counter beside it, and a ``redemption`` per use (on the client's
card, keyed by the code).

Redeeming is one unit of work that reads the promotion, the counter and the client's
earlier redemptions, checks every rule, then writes the counter one revision on
(``expected_revision``) and the redemption. Every redemption of a promotion therefore
updates the same counter, so two concurrent ones can't both pass a limit: the second
to write sees a revision conflict (or, on PostgreSQL, a serialization failure), and
the whole unit runs again on fresh data, a bounded number of times.

:class:`PromotionsMixin` has no state of its own and is only ever used as a base of
``ClientBook``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

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
from clientcard.promotions import (
    Discount,
    Promotion,
    Redemption,
    UnknownPromotionError,
    normalise_code,
    refusal_error,
)
from clientcard.serialization import document_of, value_of
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from collections.abc import Callable

    from clientcard.card import ClientCard
    from clientcard.clock import Clock
    from clientcard.events import DomainEvent
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = [
    "PROMOTION_DOCUMENT_VERSION",
    "REDEMPTION_DOCUMENT_VERSION",
    "PromotionsMixin",
    "iter_records",
]

logger = logging.getLogger("clientcard")

PROMOTION_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of promotion records' documents."""

REDEMPTION_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of redemption records' documents."""

PROMOTION: Final = "promotion"
USAGE: Final = "promotion.usage"
REDEMPTION: Final = "redemption"
GROUP: Final = "client_group"

_REDEEM_ATTEMPTS: Final = 30
_PAGE: Final = 500


def iter_records(store: ClientStore, business_id: str, query: RecordQuery) -> Iterator[Record]:
    """Every record matching ``query``, page after page, in ``(at, id)`` order."""
    cursor: str | None = None
    while True:
        page = store.find_records(business_id, query, limit=_PAGE, cursor=cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def promotion_from(record: Record) -> Promotion:
    """Read a promotion back from its record."""
    return value_of(Promotion, record.doc, kind="promotion", version=PROMOTION_DOCUMENT_VERSION)


def redemption_from(record: Record) -> Redemption:
    """Read a redemption back from its record (its card and id are the record's)."""
    document = {**record.doc, "id": record.id, "card_id": record.card_id}
    return value_of(Redemption, document, kind="redemption", version=REDEMPTION_DOCUMENT_VERSION)


def _redemption_doc(redemption: Redemption) -> dict[str, Any]:
    # The card lives in the record's column only, so an anonymised record loses it.
    document = document_of(redemption, REDEMPTION_DOCUMENT_VERSION)
    del document["id"], document["card_id"]
    return document


def _pause(attempt: int) -> None:
    # Jittered back-off, so retrying redemptions don't collide in step again.
    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # noqa: S311 - not crypto


class PromotionsMixin:
    """Promotion operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...

    # -- defining ---------------------------------------------------------------------

    def define_promotion(
        self,
        business_id: str,
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
        now = self.clock.now()
        language = lang or self.store.get_business(business_id).language
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
            self._check_groups_exist(business_id, promotion.groups, language)
            self.store.add_records(
                [
                    Record(
                        business_id=business_id,
                        kind=PROMOTION,
                        id=promotion.code,
                        key=promotion.code,
                        at=now,
                        doc=document_of(promotion, PROMOTION_DOCUMENT_VERSION),
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
            self._record_event(EventKind.PROMOTION_CHANGED, business_id, None, promotion.code)
            return promotion

        return self._write(work)

    def retire_promotion(self, business_id: str, code: str) -> Promotion:
        """Stop a promotion: it can't be redeemed any more; its history stays.

        :raises NotFoundError: no promotion with this code.
        """

        def work() -> Promotion:
            record = self._promotion_record(business_id, code)
            promotion = promotion_from(record)
            if promotion.retired:
                return promotion
            retired = attrs.evolve(promotion, retired=True)
            doc = document_of(retired, PROMOTION_DOCUMENT_VERSION)
            self.store.update_record(record.revised(doc), expected_revision=record.revision)
            self._record_event(
                EventKind.PROMOTION_CHANGED, business_id, None, promotion.code, ["retired"]
            )
            return retired

        return self._write(work)

    # -- reading ----------------------------------------------------------------------

    def promotion(self, business_id: str, code: str) -> Promotion:
        """The promotion with ``code`` (in any case or spacing).

        :raises NotFoundError: no promotion with this code.
        """
        return promotion_from(self._promotion_record(business_id, code))

    def promotions(self, business_id: str, *, include_retired: bool = False) -> list[Promotion]:
        """The business's promotions, by code; retired ones only when asked."""
        found = (
            promotion_from(record)
            for record in iter_records(self.store, business_id, RecordQuery(kind=PROMOTION))
        )
        return sorted((p for p in found if include_retired or not p.retired), key=lambda p: p.code)

    def promotion_usage(self, business_id: str, code: str) -> int:
        """How many times a promotion has been redeemed, by every client together.

        :raises NotFoundError: no promotion with this code.
        """
        record = self._promotion_record(business_id, code)
        return int(self.store.get_record(business_id, USAGE, record.id).doc["count"])

    def redemption(self, business_id: str, redemption_id: str) -> Redemption:
        """One redemption (as ``promotion.redeemed`` events name it).

        :raises NotFoundError: no such redemption.
        """
        return redemption_from(self.store.get_record(business_id, REDEMPTION, redemption_id))

    def redemptions(self, business_id: str, card_id: str) -> list[Redemption]:
        """A client's redemptions, oldest first."""
        query = RecordQuery(kind=REDEMPTION, card_id=card_id)
        return [redemption_from(r) for r in iter_records(self.store, business_id, query)]

    def active_promotions(
        self, business_id: str, card_id: str, *, at: dt.datetime | None = None
    ) -> list[Promotion]:
        """The promotions the client could redeem at ``at`` (now by default), by code.

        Active means not retired, within its validity, for the client's group, and
        neither used up overall nor by this client. A promotion limited to some
        services is listed: it applies to those.

        :raises NotFoundError: no such card.
        """
        when = at or self.clock.now()
        card = self.store.get(business_id, card_id)
        used = Counter(redemption.code for redemption in self.redemptions(business_id, card_id))
        active = []
        for promotion in self.promotions(business_id):
            total = 0
            if promotion.limit_total is not None:
                usage = self.store.get_record(business_id, USAGE, promotion.code)
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
        business_id: str,
        card_id: str,
        code: str,
        *,
        service: str | None = None,
        appointment_id: str | None = None,
        recorded_by: str = "",
    ) -> Redemption:
        """Redeem a promo code for a client: check every rule, then record it, atomically.

        ``service`` names what the code is used on (needed for promotions limited to
        some services); ``appointment_id`` links the booking it was used for.

        :raises UnknownPromotionError: no promotion has this code.
        :raises PromotionUnavailableError: retired, not valid yet or expired.
        :raises NotEligibleError: the client's group or the service is not eligible.
        :raises PromotionExhaustedError: the overall limit is reached.
        :raises ClientLimitReachedError: this client's limit is reached.
        :raises NotFoundError: no such card.
        """
        try:
            normalised = normalise_code(code)
        except InvalidValueError:
            raise UnknownPromotionError() from None

        def work() -> Redemption:
            now = self.clock.now()
            card = self.store.get(business_id, card_id)
            try:
                record = self.store.get_record(business_id, PROMOTION, normalised)
            except NotFoundError:
                raise UnknownPromotionError(normalised) from None
            promotion = promotion_from(record)
            counter = self.store.get_record(business_id, USAGE, normalised)
            used_total = int(counter.doc["count"])
            mine = RecordQuery(kind=REDEMPTION, card_id=card_id, key=normalised)
            used_by_client = sum(1 for _ in iter_records(self.store, business_id, mine))
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
                id=self._new_id(),
                code=normalised,
                card_id=card_id,
                at=now,
                discount=promotion.discount,
                service=service,
                appointment_id=appointment_id,
                recorded_by=recorded_by,
            )
            # The counter first: of two concurrent redemptions only one passes this.
            self.store.update_record(
                counter.revised({"count": used_total + 1}), expected_revision=counter.revision
            )
            self.store.add_records(
                [
                    Record(
                        business_id=business_id,
                        kind=REDEMPTION,
                        id=redemption.id,
                        card_id=card_id,
                        key=normalised,
                        at=now,
                        doc=_redemption_doc(redemption),
                    )
                ]
            )
            self._record_event(EventKind.PROMOTION_REDEEMED, business_id, card, redemption.id)
            return redemption

        return self._retrying(work)

    # -- internals --------------------------------------------------------------------

    def _record_event(
        self,
        kind: EventKind,
        business_id: str,
        card: ClientCard | None,
        record_id: str,
        fields: list[str] | None = None,
    ) -> None:
        event = self._event(kind, business_id, card, fields)
        self.store_events([attrs.evolve(event, record_id=record_id)])

    def _retrying(self, work: Callable[[], T]) -> T:
        """Run ``work`` as a unit of work, again on fresh data after a lost race.

        Inside a caller's transaction nothing can be replayed: the conflict goes up.
        """
        attempt = 0
        while True:
            try:
                return self._write(work)
            except (VersionConflictError, StorageError) as error:
                lost_race = isinstance(error, VersionConflictError) or error.reason == "conflict"
                if not lost_race or self.store.in_transaction() or attempt >= _REDEEM_ATTEMPTS:
                    raise
                attempt += 1
                logger.debug("redemption lost a race; running it again (attempt %d)", attempt)
                _pause(attempt)

    def _promotion_record(self, business_id: str, code: str) -> Record:
        try:
            normalised = normalise_code(code)
        except InvalidValueError:
            raise NotFoundError(PROMOTION, "?") from None
        return self.store.get_record(business_id, PROMOTION, normalised)

    def _check_groups_exist(self, business_id: str, keys: Iterable[str], lang: str) -> None:
        missing = []
        for key in keys:
            try:
                self.store.get_record(business_id, GROUP, key)
            except NotFoundError:
                missing.append(key)
        if missing:
            code = "promotion.group_unknown"
            raise ValidationError([FieldIssue("groups", code, message(code, lang))])
