"""Storing an import: ids in file order, the duplicate check, batches of cards with consent.

An :class:`ImportRun` takes each prepared row (see :mod:`clientcard.exchange._preparing`)
in file order, and stores the cards in batches, each one unit of work of the book's
:class:`~clientcard._core.Core`. It only ever holds the current batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import attrs

from clientcard.cards.card import ClientCard
from clientcard.consent import (
    MESSAGE_PURPOSES,
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentPolicy,
    ConsentSource,
    ConsentState,
    may_contact,
    replay,
)
from clientcard.contact import phone
from clientcard.contact.phone import PhoneKind
from clientcard.events import DomainEvent, EventKind
from clientcard.exchange._preparing import Outcome, Rejected
from clientcard.exchange.duplicates import LIKELY, SAME, DuplicateIndex, Profile
from clientcard.exchange.mapping import consent_target
from clientcard.exchange.report import ImportIssue, ImportReport, PossibleDuplicate

if TYPE_CHECKING:
    from clientcard._core import Core
    from clientcard.business import Business

__all__ = ["ImportRun", "Permissions"]

logger = logging.getLogger("clientcard.exchange")

_MAX_ISSUES: Final = 100_000


class Permissions:
    """The contact permissions of new cards, decided once per kind of card.

    An imported card has no guardian and a ledger of events all made at the import, so
    :func:`~clientcard.consent.may_contact` depends only on what this key holds: which
    addresses it has (an e-mail, a mobile), its status, whether it is a minor, and what
    the file stated. Twenty-eight decisions per card become one dictionary lookup for
    all but the first card of each kind.

    .. versionadded:: 0.1.0
    """

    def __init__(self) -> None:
        self._known: dict[tuple[object, ...], frozenset[tuple[str, str]]] = {}

    def of(
        self,
        card: ClientCard,
        consent: list[ConsentEvent],
        policy: ConsentPolicy,
        today: dt.date,
    ) -> frozenset[tuple[str, str]]:
        """The ``(purpose, channel)`` pairs an imported ``card`` may be sent messages on."""
        age = card.birth_date.age_on(today) if card.birth_date is not None else None
        key = (
            card.email is not None,
            card.mobile is not None,
            card.status,
            age is not None and age < policy.age_of_consent,
            frozenset((e.action, e.purpose, e.channel) for e in consent),
        )
        found = self._known.get(key)
        if found is None:
            state = replay(consent) if consent else ConsentState()
            found = frozenset(
                (purpose.value, channel.value)
                for purpose in MESSAGE_PURPOSES
                for channel in Channel
                if may_contact(card, purpose, channel, state=state, policy=policy, today=today)
            )
            self._known[key] = found
        return found


@attrs.define
class _Pending:
    row: int
    card: ClientCard
    consent: list[ConsentEvent]


@attrs.define(repr=False)  # it holds the batch's cards and values: no repr of its own
class ImportRun:
    """The state of one import run; it only ever holds the current batch of cards."""

    core: Core
    business: Business
    report: ImportReport
    dry_run: bool
    batch_size: int
    consent_wording: str | None
    by: str
    on_duplicate: str
    lang: str
    today: dt.date
    now: dt.datetime
    index: DuplicateIndex
    progress: Callable[[int], None] | None
    permissions: Permissions = attrs.Factory(Permissions)
    batch: list[_Pending] = attrs.Factory(list)
    rejected: list[ImportIssue] = attrs.Factory(list)
    warnings: list[ImportIssue] = attrs.Factory(list)
    duplicates: list[PossibleDuplicate] = attrs.Factory(list)
    counts: dict[str, int] = attrs.Factory(dict)
    _age_of_consent: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Asked of every card with a birth date: the business's policy is built once.
        self._age_of_consent = self.business.consent_policy.age_of_consent

    def count(self, what: str, step: int = 1) -> None:
        """Add ``step`` to the count of ``what`` (``imported``, ``skipped``...)."""
        self.counts[what] = self.counts.get(what, 0) + step

    # -- one row ------------------------------------------------------------------------

    def take(self, outcome: Outcome) -> None:
        """Report a rejected row, or give a ready card its ids and batch it (file order)."""
        if isinstance(outcome, Rejected):
            room = _MAX_ISSUES - len(self.rejected)
            self.rejected.extend(outcome.issues[: max(room, 0)])
            self.count("rejected")
            return
        if len(self.warnings) < _MAX_ISSUES:
            self.warnings.extend(outcome.warnings[: _MAX_ISSUES - len(self.warnings)])
        card, profile = outcome.card, outcome.profile
        for number, line in zip(card.phones, outcome.kinds, strict=True):
            # Classified by the worker that validated it: not read again here.
            phone._remember_kind(number, PhoneKind(line))
        # Compared before it has an id: a row found already in the book uses none.
        twin = self.index.best(profile)
        if twin is not None and twin[1].score < LIKELY:
            twin = None
        if twin is not None:
            twin_id, found = twin
            if found.score >= SAME or self.on_duplicate == "skip":
                action = "skipped" if found.score >= SAME else "not_imported"
                self.duplicates.append(
                    PossibleDuplicate(outcome.row, twin_id, found.score, found.reasons, action)
                )
                self.count("already_present" if found.score >= SAME else "skipped")
                return
        card_id = self.core.new_id()
        _give_id(card, card_id)
        _give_id(profile, card_id)
        if twin is not None:
            twin_id, found = twin
            self.duplicates.append(
                PossibleDuplicate(
                    outcome.row, twin_id, found.score, found.reasons, "imported", card_id
                )
            )
        self.index.add(profile)
        if card.birth_date is not None and card.is_minor(self.today, self._age_of_consent):
            self.count("minors")
        consent = self._consent(card_id, outcome.stated)
        self.batch.append(_Pending(outcome.row, card, consent))
        self.count("imported")
        self.count("consent_recorded", len(consent))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def _consent(self, card_id: str, stated: tuple[tuple[str, bool], ...]) -> list[ConsentEvent]:
        events = []
        for key, granted in stated:
            purpose, channel = consent_target(f"consent.{key}") or (None, None)
            if purpose is None:  # pragma: no cover - readers only state known keys
                continue
            events.append(
                ConsentEvent(
                    event_id=self.core.new_id(),
                    business_id=self.business.id,
                    card_id=card_id,
                    action=ConsentAction.GRANT if granted else ConsentAction.WITHDRAW,
                    at=self.now,
                    source=ConsentSource.IMPORT,
                    recorded_by=self.by,
                    purpose=purpose,
                    channel=channel,
                    wording_version=self.consent_wording if granted else None,
                    evidence_ref=f"import:{self.report.import_id}",
                )
            )
        return events

    # -- batches ------------------------------------------------------------------------

    def flush(self) -> None:
        """Store the current batch (unless this is a dry run) and tell the progress."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        if not self.dry_run:
            self._write(batch)
        if self.progress is not None:
            self.progress(len(batch))

    def _write(self, batch: list[_Pending]) -> None:
        core = self.core
        store = core.store
        policy = self.business.consent_policy
        events: list[DomainEvent] = []
        granted = {
            pending.card.id: self.permissions.of(pending.card, pending.consent, policy, self.today)
            for pending in batch
        }
        with core.transaction():
            store.add_many([pending.card for pending in batch], permissions=granted)
            ledger = [event for pending in batch for event in pending.consent]
            if ledger:
                store.append_consent(ledger)
            for pending in batch if core.records_events else ():
                card = pending.card
                events.append(self._event(EventKind.CARD_CREATED, card, sorted(card.values())))
                if pending.consent:
                    changed = sorted(_key(event) for event in pending.consent)
                    events.append(self._event(EventKind.CONSENT_CHANGED, card, changed))
            core.store_events(events)
        logger.info(
            "import batch stored",
            extra={
                "business_id": self.business.id,
                "import_id": self.report.import_id,
                "cards": len(batch),
            },
        )

    def _event(self, kind: EventKind, card: ClientCard, fields: list[str]) -> DomainEvent:
        return DomainEvent(
            event_id=self.core.new_id(),
            kind=kind,
            business_id=card.business_id,
            occurred_at=self.now,
            card_id=card.id,
            card_version=card.version,
            fields=tuple(fields),
        )

    def finish(
        self,
        rows: int,
        mapping: tuple[dict[str, object], ...],
        encoding: str | None,
        delimiter: str | None,
    ) -> ImportReport:
        """Store the last batch; the report of the whole run."""
        self.flush()
        return attrs.evolve(
            self.report,
            rows=rows,
            mapping=mapping,
            encoding=encoding,
            delimiter=delimiter,
            imported=self.counts.get("imported", 0),
            already_present=self.counts.get("already_present", 0),
            skipped=self.counts.get("skipped", 0),
            consent_recorded=self.counts.get("consent_recorded", 0),
            minors=self.counts.get("minors", 0),
            rejected=tuple(self.rejected),
            warnings=tuple(self.warnings),
            duplicates=tuple(self.duplicates),
        )


def _key(event: ConsentEvent) -> str:
    return ".".join(part.value for part in (event.purpose, event.channel) if part is not None)


def _give_id(made: ClientCard | Profile, card_id: str) -> None:
    """Give a card (or its profile) prepared without an id the id the book drew for it.

    Both are frozen, and ``attrs.evolve`` would run every validator of the card again;
    but this one was just made, by this import, and nothing else holds it yet.
    """
    object.__setattr__(made, "card_id" if isinstance(made, Profile) else "id", card_id)
