"""Retention of one business, as a service (``desk.retention``): what is due, then doing it.

The clocks are pure (:mod:`clientcard.erasure.retention`); this service reads each
card's visits and consent to feed them, and carries a report out one client per unit of
work: erasing through the package's erasure machinery, clearing fields through
``desk.cards.save`` and lapsing consent through ``desk.consent.record``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import functools

from clientcard._core import Service, audit_queue
from clientcard.cards.card import ClientCard
from clientcard.consent import Channel, ConsentAction, ConsentSource, ConsentState, Purpose, replay
from clientcard.erasure._erase import erase_now
from clientcard.erasure._records import all_records, append_audit
from clientcard.erasure._time import months_before
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.plan import HOLD_MARK
from clientcard.erasure.policy import ErasurePolicy
from clientcard.erasure.receipts import ErasureReceipt
from clientcard.erasure.retention import (
    RETENTION_ACTOR,
    Activity,
    DueAction,
    DueItem,
    RetentionReport,
    RetentionRule,
    RetentionRun,
    activity_of,
    evaluate,
)
from clientcard.errors import NotFoundError
from clientcard.kinds import KINDS, ErasureTreatment
from clientcard.storage.records import Record, RecordQuery

__all__ = ["RetentionService"]


class RetentionService(Service):
    """Retention of one business: the report of what is due, and running it.

    Reached as ``book.business(id).retention``.

    .. versionadded:: 0.1.0
    """

    def due(self, now: dt.datetime | None = None) -> RetentionReport:
        """Report what the business's retention rules make due at ``now`` (the clock's now).

        Nothing is changed: show the report, then pass it to :meth:`run`.
        Every card is looked at once (its appointments and, with consent rules, its
        ledger), so a business of 20,000 clients takes seconds, not minutes; run it
        daily or weekly.

        :raises NotFoundError: no such business.
        """
        at = now or self._core.clock.now()
        policy = self._business.erasure.policy()
        items: list[DueItem] = []
        if not policy.retention.is_empty:
            for card in self._core.iter_cards(self.business_id):
                items.extend(self._due_for(card, policy, at))
        items.extend(self._holds_ended(policy, at))
        return RetentionReport(business_id=self.business_id, now=at, items=tuple(items))

    def run(
        self,
        report: RetentionReport | None = None,
        *,
        by: str = RETENTION_ACTOR,
        via: str = "retention.run",
    ) -> RetentionRun:
        """Carry out a retention report (a fresh one by default), one client at a time.

        Each client's items run in one transaction, checked again first: what is no
        longer due is skipped. A run stopped half-way (a crash) leaves every client
        either done or untouched, and the next run picks up the rest; a second run of
        the same report does nothing.

        :raises ValueError: the report is of another business (``report.business_id``).
        """
        if report is not None and report.business_id != self.business_id:
            raise ValueError(
                f"report.business_id {report.business_id!r} is not this business"
                f" ({self.business_id!r})"
            )
        core = self._core
        chosen = report or self.due()
        done: list[DueItem] = []
        skipped: list[DueItem] = []
        receipts: list[ErasureReceipt] = []
        policy = self._business.erasure.policy()
        for card_id in chosen.card_ids:
            work = functools.partial(
                self._run_card, card_id, chosen.for_card(card_id), policy=policy, by=by, via=via
            )
            for item, receipt in core.write(work, queue=audit_queue(self.business_id)):
                if receipt is False:
                    skipped.append(item)
                    continue
                done.append(item)
                if isinstance(receipt, ErasureReceipt):
                    receipts.append(receipt)
        for item in chosen.items:
            if item.action is DueAction.END_HOLD:
                ended = core.write(
                    functools.partial(self._end_hold, item, by, via),
                    queue=audit_queue(self.business_id),
                )
                (done if ended else skipped).append(item)
        self._business.erasure.finish()
        return RetentionRun(done=tuple(done), skipped=tuple(skipped), receipts=tuple(receipts))

    # -- internals ----------------------------------------------------------------------

    def _activity(self, card: ClientCard, now: dt.datetime) -> Activity:
        query = RecordQuery(kind="appointment", card_id=card.id)
        visits = all_records(self._core, card.business_id, query)
        return activity_of(((record.at, _status(record)) for record in visits), now)

    def _due_for(self, card: ClientCard, policy: ErasurePolicy, now: dt.datetime) -> list[DueItem]:
        rules = policy.retention
        clocks = rules.inactive_months or rules.prospect_days or rules.field_months
        activity = self._activity(card, now) if clocks else Activity(upcoming=True)
        state = (
            replay(self._core.store.consent_events(card.business_id, card.id))
            if rules.consent_months
            else ConsentState()
        )
        # Months are counted on the business's calendar: six months after a visit at
        # 00:45 on 23 May in Rome end at 00:45 on 23 November there, not in UTC.
        local = self._business.details().local(now)
        return evaluate(card, activity, state, rules=rules, mode=policy.mode, now=local)

    def _run_card(
        self,
        card_id: str,
        items: tuple[DueItem, ...],
        *,
        policy: ErasurePolicy,
        by: str,
        via: str,
    ) -> list[tuple[DueItem, ErasureReceipt | bool]]:
        """Carry out one client's items in the current unit; ``False`` marks a skip."""
        core = self._core
        business_id = self.business_id
        try:
            card = core.store.get(business_id, card_id)
        except NotFoundError:
            return [(item, False) for item in items]
        now = core.clock.now()
        current = {(item.action, item.rule): item for item in self._due_for(card, policy, now)}
        outcome: list[tuple[DueItem, ErasureReceipt | bool]] = []
        for item in items:
            still = current.get((item.action, item.rule))
            targets = tuple(t for t in item.targets if still is not None and t in still.targets)
            if still is None or (item.targets and not targets):
                outcome.append((item, False))
            elif item.action is DueAction.ERASE:
                receipt = erase_now(
                    core,
                    self._business,
                    card_id,
                    mode=item.mode,
                    suppress=None,
                    by=by,
                    via=via,
                    reason=f"retention.{item.rule.value}",
                )
                outcome.append((item, receipt))
                # The client is gone: their other items went with them.
                break
            elif item.action is DueAction.CLEAR_FIELDS:
                card = core.store.get(business_id, card_id)
                self._business.cards.save(card.apply(dict.fromkeys(targets), at=now))
                append_audit(
                    core,
                    business_id,
                    AuditAction.FIELDS_CLEARED,
                    by=by,
                    via=via,
                    card_id=card_id,
                    detail={"fields": ",".join(targets)},
                )
                outcome.append((item, True))
            else:
                for target in targets:
                    purpose, channel = _consent_scope(target)
                    self._business.consent.record(
                        card_id,
                        ConsentAction.WITHDRAW,
                        source=ConsentSource.API,
                        by=by,
                        purpose=purpose,
                        channel=channel,
                    )
                append_audit(
                    core,
                    business_id,
                    AuditAction.CONSENT_LAPSED,
                    by=by,
                    via=via,
                    card_id=card_id,
                    detail={"consents": ",".join(targets)},
                )
                outcome.append((item, True))
        return outcome

    def _holds_ended(self, policy: ErasurePolicy, now: dt.datetime) -> list[DueItem]:
        """One item per fiscal kind whose detached records' legal holds have ended."""
        core = self._core
        business = core.store.get_business(self.business_id)
        until = months_before(now, 12 * policy.hold_years(business.region))
        today = business.today(now)
        due = []
        for kind in sorted(KINDS):
            if KINDS[kind].treatment is not ErasureTreatment.FISCAL:
                continue
            query = RecordQuery(kind=kind, until=until)
            ended = [
                record
                for record in all_records(core, self.business_id, query)
                if _hold_ended(record, today)
            ]
            if ended:
                ends = max(dt.date.fromisoformat(str(record.doc[HOLD_MARK])) for record in ended)
                since = dt.datetime(ends.year, ends.month, ends.day, tzinfo=dt.UTC)
                targets = tuple(f"{kind}:{record.id}" for record in ended)
                due.append(
                    DueItem(DueAction.END_HOLD, RetentionRule.LEGAL_HOLD, None, since, targets)
                )
        return due

    def _end_hold(self, item: DueItem, by: str, via: str) -> bool:
        core = self._core
        business_id = self.business_id
        today = core.store.get_business(business_id).today(core.clock.now())
        by_kind: dict[str, list[str]] = {}
        for target in item.targets:
            kind, _, record_id = target.partition(":")
            try:
                record = core.store.get_record(business_id, kind, record_id)
            except NotFoundError:
                continue
            if _hold_ended(record, today):
                by_kind.setdefault(kind, []).append(record_id)
        for kind, ids in by_kind.items():
            core.store.delete_records(business_id, kind=kind, record_ids=ids)
            append_audit(
                core,
                business_id,
                AuditAction.HOLD_ENDED,
                by=by,
                via=via,
                detail={"kind": kind, "records": str(len(ids))},
            )
        return bool(by_kind)


def _consent_scope(target: str) -> tuple[Purpose, Channel | None]:
    """The purpose and channel a lapsing-consent target (``purpose[.channel]``) names."""
    purpose, _, channel = target.partition(".")
    return Purpose(purpose), Channel(channel) if channel else None


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
