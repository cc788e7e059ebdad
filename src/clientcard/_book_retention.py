"""Retention for :class:`~clientcard.book.ClientBook`: what is due, then carrying it out.

Mixed into the book through :class:`~clientcard._book_erasure.ErasureMixin`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from clientcard.card import CardUpdate, ClientCard
from clientcard.consent import Channel, ConsentAction, ConsentSource, ConsentState, Purpose, replay
from clientcard.erasure._time import months_before
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.plan import HOLD_MARK
from clientcard.erasure.policy import ErasurePolicy
from clientcard.erasure.receipts import ErasureReceipt
from clientcard.erasure.retention import (
    Activity,
    DueAction,
    DueItem,
    RetentionReport,
    RetentionRule,
    activity_of,
    evaluate,
)
from clientcard.errors import NotFoundError
from clientcard.kinds import KINDS, ErasureTreatment
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clientcard.clock import Clock
    from clientcard.erasure.audit import AuditEntry
    from clientcard.erasure.policy import ErasureMode
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["RetentionMixin", "RetentionRun"]

RETENTION_ACTOR: Final = "clientcard.retention"
_PAGE: Final = 500


@attrs.frozen
class RetentionRun:
    """What one retention run did.

    :param done: the report's items carried out.
    :param skipped: the report's items no longer due when their turn came (the client
        visited meanwhile, or was erased already).
    :param receipts: the receipts of the erasures among ``done``.

    .. versionadded:: 0.1.0
    """

    done: tuple[DueItem, ...]
    skipped: tuple[DueItem, ...]
    receipts: tuple[ErasureReceipt, ...]


def _consent_scope(target: str) -> tuple[Purpose, Channel | None]:
    purpose, _, channel = target.partition(".")
    return Purpose(purpose), Channel(channel) if channel else None


class RetentionMixin:
    """Retention operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        store: ClientStore
        clock: Clock

        def _write(self, work: Callable[[], T]) -> T: ...
        def _save(self, update: CardUpdate) -> None: ...
        def erasure_policy(self, business_id: str) -> ErasurePolicy: ...
        def finish_erasures(self, business_id: str) -> int: ...
        def record_consent(
            self,
            business_id: str,
            card_id: str,
            action: ConsentAction,
            *,
            source: ConsentSource,
            recorded_by: str,
            purpose: Purpose | None = None,
            channel: Channel | None = None,
        ) -> ConsentState: ...
        def _all_records(self, business_id: str, query: RecordQuery) -> list[Record]: ...
        def _audit(
            self,
            business_id: str,
            action: AuditAction,
            *,
            actor: str,
            via: str,
            card_id: str | None = None,
            detail: Mapping[str, str] | None = None,
        ) -> AuditEntry: ...
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
        ) -> ErasureReceipt: ...

    def due_erasures(self, business_id: str, now: dt.datetime | None = None) -> RetentionReport:
        """Report what the business's retention rules make due at ``now`` (the clock's now).

        Nothing is changed: show the report, then pass it to :meth:`run_retention`.
        Every card is looked at once (its appointments and, with consent rules, its
        ledger), so a business of 20,000 clients takes seconds, not minutes; run it
        daily or weekly.
        """
        at = now or self.clock.now()
        policy = self.erasure_policy(business_id)
        items: list[DueItem] = []
        if not policy.retention.is_empty:
            for card in self._every_card(business_id):
                items.extend(self._due_for(card, policy, at))
        items.extend(self._holds_ended(business_id, policy, at))
        return RetentionReport(business_id=business_id, now=at, items=tuple(items))

    def run_retention(
        self,
        business_id: str,
        report: RetentionReport | None = None,
        *,
        actor: str = RETENTION_ACTOR,
        via: str = "ClientBook.run_retention",
    ) -> RetentionRun:
        """Carry out a retention report (a fresh one by default), one client at a time.

        Each client's items run in one transaction, checked again first: what is no
        longer due is skipped. A run stopped half-way (a crash) leaves every client
        either done or untouched, and the next run picks up the rest; a second run of
        the same report does nothing.
        """
        chosen = report or self.due_erasures(business_id)
        done: list[DueItem] = []
        skipped: list[DueItem] = []
        receipts: list[ErasureReceipt] = []
        policy = self.erasure_policy(business_id)
        for card_id in chosen.card_ids:
            run = functools.partial(
                self._run_card,
                business_id,
                card_id,
                chosen.for_card(card_id),
                policy=policy,
                actor=actor,
                via=via,
            )
            outcome = self._write(run)
            for item, receipt in outcome:
                if receipt is False:
                    skipped.append(item)
                    continue
                done.append(item)
                if isinstance(receipt, ErasureReceipt):
                    receipts.append(receipt)
        for item in chosen.items:
            if item.action is DueAction.END_HOLD:
                ended = self._write(
                    functools.partial(self._end_hold, business_id, item, actor, via)
                )
                (done if ended else skipped).append(item)
        self.finish_erasures(business_id)
        return RetentionRun(done=tuple(done), skipped=tuple(skipped), receipts=tuple(receipts))

    # -- internals ----------------------------------------------------------------------

    def _every_card(self, business_id: str) -> Iterator[ClientCard]:
        cursor: str | None = None
        while True:
            page = self.store.find(business_id, limit=_PAGE, cursor=cursor)
            yield from page
            cursor = page.next_cursor
            if cursor is None:
                return

    def _activity(self, card: ClientCard, now: dt.datetime) -> Activity:
        query = RecordQuery(kind="appointment", card_id=card.id)
        visits = self._all_records(card.business_id, query)
        return activity_of(((record.at, _status(record)) for record in visits), now)

    def _due_for(self, card: ClientCard, policy: ErasurePolicy, now: dt.datetime) -> list[DueItem]:
        rules = policy.retention
        clocks = rules.inactive_months or rules.prospect_days or rules.field_months
        activity = self._activity(card, now) if clocks else Activity(upcoming=True)
        state = (
            replay(self.store.consent_events(card.business_id, card.id))
            if rules.consent_months
            else ConsentState()
        )
        return evaluate(card, activity, state, rules=rules, mode=policy.mode, now=now)

    def _run_card(
        self,
        business_id: str,
        card_id: str,
        items: tuple[DueItem, ...],
        *,
        policy: ErasurePolicy,
        actor: str,
        via: str,
    ) -> list[tuple[DueItem, ErasureReceipt | bool]]:
        """Carry out one client's items in the current unit; ``False`` marks a skip."""
        try:
            card = self.store.get(business_id, card_id)
        except NotFoundError:
            return [(item, False) for item in items]
        now = self.clock.now()
        current = {(item.action, item.rule): item for item in self._due_for(card, policy, now)}
        outcome: list[tuple[DueItem, ErasureReceipt | bool]] = []
        for item in items:
            still = current.get((item.action, item.rule))
            targets = tuple(t for t in item.targets if still is not None and t in still.targets)
            if still is None or (item.targets and not targets):
                outcome.append((item, False))
            elif item.action is DueAction.ERASE:
                receipt = self._erase_now(
                    business_id,
                    card_id,
                    mode=item.mode,
                    suppress=None,
                    actor=actor,
                    via=via,
                    reason=f"retention.{item.rule.value}",
                )
                outcome.append((item, receipt))
                break
            elif item.action is DueAction.CLEAR_FIELDS:
                card = self.store.get(business_id, card_id)
                update = card.apply(dict.fromkeys(targets), at=now)
                self._save(update)
                self._audit(
                    business_id,
                    AuditAction.FIELDS_CLEARED,
                    actor=actor,
                    via=via,
                    card_id=card_id,
                    detail={"fields": ",".join(targets)},
                )
                outcome.append((item, True))
            else:
                for target in targets:
                    purpose, channel = _consent_scope(target)
                    self.record_consent(
                        business_id,
                        card_id,
                        ConsentAction.WITHDRAW,
                        source=ConsentSource.API,
                        recorded_by=actor,
                        purpose=purpose,
                        channel=channel,
                    )
                self._audit(
                    business_id,
                    AuditAction.CONSENT_LAPSED,
                    actor=actor,
                    via=via,
                    card_id=card_id,
                    detail={"consents": ",".join(targets)},
                )
                outcome.append((item, True))
        return outcome

    def _holds_ended(
        self, business_id: str, policy: ErasurePolicy, now: dt.datetime
    ) -> list[DueItem]:
        """One item per fiscal kind whose detached records' legal holds have ended."""
        region = self.store.get_business(business_id).region
        until = months_before(now, 12 * policy.hold_years(region))
        due = []
        for kind in sorted(KINDS):
            if KINDS[kind].treatment is not ErasureTreatment.FISCAL:
                continue
            ended = [
                record
                for record in self._all_records(business_id, RecordQuery(kind=kind, until=until))
                if _hold_ended(record, now.date())
            ]
            if ended:
                ends = max(dt.date.fromisoformat(str(record.doc[HOLD_MARK])) for record in ended)
                since = dt.datetime(ends.year, ends.month, ends.day, tzinfo=dt.UTC)
                targets = tuple(f"{kind}:{record.id}" for record in ended)
                due.append(
                    DueItem(DueAction.END_HOLD, RetentionRule.LEGAL_HOLD, None, since, targets)
                )
        return due

    def _end_hold(self, business_id: str, item: DueItem, actor: str, via: str) -> bool:
        today = self.clock.now().date()
        by_kind: dict[str, list[str]] = {}
        for target in item.targets:
            kind, _, record_id = target.partition(":")
            try:
                record = self.store.get_record(business_id, kind, record_id)
            except NotFoundError:
                continue
            if _hold_ended(record, today):
                by_kind.setdefault(kind, []).append(record_id)
        for kind, ids in by_kind.items():
            self.store.delete_records(business_id, kind=kind, record_ids=ids)
            self._audit(
                business_id,
                AuditAction.HOLD_ENDED,
                actor=actor,
                via=via,
                detail={"kind": kind, "records": str(len(ids))},
            )
        return bool(by_kind)


def _status(record: Record) -> str | None:
    status = record.doc.get("status")
    return status if isinstance(status, str) else None


def _hold_ended(record: Record, today: dt.date) -> bool:
    mark = record.doc.get(HOLD_MARK)
    if record.card_id is not None or not isinstance(mark, str):
        return False
    try:
        return dt.date.fromisoformat(mark) <= today
    except ValueError:
        return False
