"""Retention: which clients and which data are due to go, on four clocks.

* **Last visit.** A client whose latest completed appointment (or, who never came, whose
  card's creation) is older than ``inactive_months`` is due for erasure.
* **Prospect age.** A prospect who never booked is due ``prospect_days`` after the card
  was made.
* **Consent expiry.** A consent given longer ago than ``consent_months`` for its purpose
  lapses (recorded as a withdrawal).
* **Per field.** A field in ``field_months`` is cleared once the last visit is older than
  its months (health notes can have a shorter life than the card).

And one clock that frees data rather than a client: records kept under a legal hold are
deleted when the hold ends.

:func:`evaluate` is pure: given a card, what the store knows of its visits and its
consent state, it returns the :class:`DueItem` s of that card. A client with an upcoming
booking is never due. ``desk.retention.due(now)`` reports what is due across a
business; ``desk.retention.run(report)`` carries it out one client per transaction
(a :class:`RetentionRun` says what it did), so a run that crashes resumes where it
stopped, and running it twice does nothing the second time.

>>> import datetime as dt
>>> from clientcard.cards.card import ClientCard
>>> from clientcard.consent import ConsentState
>>> from clientcard.erasure.policy import ErasureMode, RetentionRules
>>> now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
>>> card = ClientCard(id="c", business_id="b", first_name="Anna",
...                   created_at=dt.datetime(2023, 5, 1, tzinfo=dt.UTC),
...                   updated_at=dt.datetime(2023, 5, 1, tzinfo=dt.UTC))
>>> visits = Activity(last_visit=dt.datetime(2024, 1, 9, tzinfo=dt.UTC))
>>> due = evaluate(card, visits, ConsentState(), rules=RetentionRules(inactive_months=24),
...                mode=ErasureMode.DELETE, now=now)
>>> [item.rule.value for item in due]
['inactive']

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Final

import attrs

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.consent.ledger import ConsentState
from clientcard.erasure._time import months_before
from clientcard.erasure.policy import ErasureMode, RetentionRules
from clientcard.erasure.receipts import ErasureReceipt

__all__ = [
    "RETENTION_ACTOR",
    "UPCOMING_STATUSES",
    "VISIT_STATUSES",
    "Activity",
    "DueAction",
    "DueItem",
    "RetentionReport",
    "RetentionRule",
    "RetentionRun",
    "activity_of",
    "evaluate",
]

RETENTION_ACTOR: Final = "clientcard.retention"
"""Who the audit trail and the receipts name when a retention run names no one."""

VISIT_STATUSES: Final = frozenset({"completed"})
"""Appointment statuses that count as a visit (the last-visit clock)."""

UPCOMING_STATUSES: Final = frozenset({"booked", "confirmed"})
"""Appointment statuses that, in the future, make a client not due for anything."""


class DueAction(enum.Enum):
    """What a due item does when retention runs.

    .. versionadded:: 0.1.0
    """

    ERASE = "erase"
    CLEAR_FIELDS = "clear_fields"
    LAPSE_CONSENT = "lapse_consent"
    END_HOLD = "end_hold"


class RetentionRule(enum.Enum):
    """Which clock made an item due.

    .. versionadded:: 0.1.0
    """

    INACTIVE = "inactive"
    PROSPECT = "prospect"
    CONSENT_EXPIRY = "consent_expiry"
    FIELD_LIFETIME = "field_lifetime"
    LEGAL_HOLD = "legal_hold"


@attrs.frozen
class Activity:
    """What a card's appointments say about its client, for the clocks.

    .. versionadded:: 0.1.0
    """

    last_visit: dt.datetime | None = None
    """The latest completed appointment, if any."""
    upcoming: bool = False
    """Whether a booked appointment lies ahead."""
    ever_booked: bool = False
    """Whether the card has any appointment at all."""


@attrs.frozen
class DueItem:
    """One thing retention will do.

    :param card_id: the client, or ``None`` for records kept under a legal hold.
    :param since: when the clock started (the last visit, the card's creation, the grant,
        the end of the hold).
    :param targets: the fields to clear, the consents to lapse (``purpose`` or
        ``purpose.channel``), or the held records to delete (``kind:id``).
    :param mode: how an erasure erases.

    .. versionadded:: 0.1.0
    """

    action: DueAction
    rule: RetentionRule
    card_id: str | None
    since: dt.datetime
    targets: tuple[str, ...] = ()
    mode: ErasureMode | None = None


@attrs.frozen
class RetentionReport:
    """Everything due in one business at ``now``: shown first, then carried out.

    .. versionadded:: 0.1.0
    """

    business_id: str
    now: dt.datetime
    items: tuple[DueItem, ...]

    def __len__(self) -> int:
        return len(self.items)

    def count(self, action: DueAction) -> int:
        """How many items do ``action``."""
        return sum(1 for item in self.items if item.action is action)

    def for_card(self, card_id: str) -> tuple[DueItem, ...]:
        """The items of one client."""
        return tuple(item for item in self.items if item.card_id == card_id)

    @property
    def card_ids(self) -> tuple[str, ...]:
        """The clients with something due, in report order."""
        return tuple(dict.fromkeys(item.card_id for item in self.items if item.card_id))


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


def _consent_key(purpose: str, channel: str | None) -> str:
    return purpose if channel is None else f"{purpose}.{channel}"


def _clock_items(
    card: ClientCard,
    activity: Activity,
    rules: RetentionRules,
    mode: ErasureMode,
    now: dt.datetime,
) -> list[DueItem]:
    erase_mode = rules.inactive_mode or mode
    if (
        rules.prospect_days is not None
        and card.status is CardStatus.PROSPECT
        and not activity.ever_booked
        and card.created_at <= now - dt.timedelta(days=rules.prospect_days)
    ):
        return [
            DueItem(
                DueAction.ERASE, RetentionRule.PROSPECT, card.id, card.created_at, (), erase_mode
            )
        ]
    clock = activity.last_visit or card.created_at
    if rules.inactive_months is not None and clock <= months_before(now, rules.inactive_months):
        return [DueItem(DueAction.ERASE, RetentionRule.INACTIVE, card.id, clock, (), erase_mode)]
    fields = sorted(
        key
        for key, months in rules.field_months.items()
        if card.value(key) is not None and clock <= months_before(now, months)
    )
    if not fields:
        return []
    return [
        DueItem(DueAction.CLEAR_FIELDS, RetentionRule.FIELD_LIFETIME, card.id, clock, tuple(fields))
    ]


def evaluate(
    card: ClientCard,
    activity: Activity,
    state: ConsentState,
    *,
    rules: RetentionRules,
    mode: ErasureMode,
    now: dt.datetime,
) -> list[DueItem]:
    """Return what is due for one client at ``now`` (see the module docs).

    An erasure, when due, is the only item: the rest would go with it. An upcoming
    booking holds back erasure and clearing fields, not the lapse of old consent.
    """
    due: list[DueItem] = []
    if not activity.upcoming:
        due.extend(_clock_items(card, activity, rules, mode, now))
        if due and due[0].action is DueAction.ERASE:
            return due
    lapsed = sorted(
        (
            (_consent_key(purpose.value, None if channel is None else channel.value), choice.since)
            for (purpose, channel), choice in state.choices.items()
            if choice.granted
            and purpose in rules.consent_months
            and choice.since <= months_before(now, rules.consent_months[purpose])
        ),
    )
    if lapsed:
        due.append(
            DueItem(
                DueAction.LAPSE_CONSENT,
                RetentionRule.CONSENT_EXPIRY,
                card.id,
                min(since for _, since in lapsed),
                tuple(key for key, _ in lapsed),
            )
        )
    return due


def activity_of(
    appointments: Iterable[tuple[dt.datetime, str | None]], now: dt.datetime
) -> Activity:
    """Summarise a card's appointments, given as ``(at, status)`` pairs."""
    last: dt.datetime | None = None
    upcoming = False
    seen = False
    for at, status in appointments:
        seen = True
        if status in VISIT_STATUSES and at <= now and (last is None or at > last):
            last = at
        if status in UPCOMING_STATUSES and at > now:
            upcoming = True
    return Activity(last_visit=last, upcoming=upcoming, ever_booked=seen)
