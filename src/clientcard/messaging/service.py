"""The messaging service: one business's consent-gated messages.

Reached as ``book.business(id).messaging`` on a book made with
:class:`~clientcard.messaging.settings.MessagingSettings`. :meth:`MessagingService.queue`
records one :class:`~clientcard.messaging.sends.Send` per recipient in the store;
:meth:`MessagingService.flush` (or, for every business at once,
``book.admin.send_pending()``) claims queued sends and, for each, asks for a
:class:`~clientcard.consent.Decision` *at that moment* -- a consent withdrawn after
queueing stops the message -- renders the template in the client's language, checks the
message and hands it to the channel's notifier. Every send ends ``sent``, ``skipped``
(with the decision's reason) or ``failed`` (with the notifier's), and a delivered
message lands on the client's timeline.

>>> from clientcard.book import ClientBook
>>> from clientcard.consent import Channel
>>> from clientcard.messaging import MessagingSettings, starter_templates
>>> from clientcard.storage import MemoryStore
>>> from clientcard.testing.doubles import RecordingNotifier
>>> notifier = RecordingNotifier()
>>> book = ClientBook(MemoryStore(), messaging=MessagingSettings(
...     {Channel.EMAIL: notifier},
...     starter_templates(),
...     token_secret=bytes(32),
...     unsubscribe_url="https://salon.example/unsubscribe/{token}",
... ))
>>> desk = book.business(book.create_business(name="Salone Bella", language="it").id)
>>> anna = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"})
>>> report = desk.messaging.send("appointment_reminder", "email", [anna.id],
...                              values={"appointment_time": "12/03 alle 10:30"})
>>> report.sent, [message.card_id for message in notifier.sent] == [anna.id]
(1, True)

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from clientcard._core import Core, Service, as_enum, as_id, as_optional_id
from clientcard.consent.purposes import Channel
from clientcard.messaging._engine import MessagingEngine
from clientcard.messaging.sends import DispatchReport, SendStatus

if TYPE_CHECKING:
    from clientcard.book import BusinessBook

__all__ = ["MessagingService"]

_MAX_ROUNDS: Final = 10_000
_PAGE: Final = 500


class MessagingService(Service):
    """One business's messages (``book.business(id).messaging``).

    Made by the business handle around the book's one messaging engine, so every
    handle of the book sends with the same notifiers and templates.

    .. versionadded:: 0.1.0
    """

    def __init__(self, core: Core, business: BusinessBook, engine: MessagingEngine) -> None:
        super().__init__(core, business)
        self._engine = engine
        # The book's scope narrowed to this business, as its flush claims.
        self._scope = attrs.evolve(engine.scope, business_id=self.business_id)

    def has_template(self, key: str) -> bool:
        """Whether the book's messaging settings have a template ``key``."""
        return self._engine.has_template(key)

    def secret_key(self, purpose: str) -> bytes:
        """A key for ``purpose``, derived from the settings' ``token_secret``.

        The portal mints the links it queues with one (see
        :data:`~clientcard.messaging.sends.MINTED_LINK`): the database holds a link's
        id and digest, and only a holder of the host's secret can make its token.
        """
        return self._engine.secret_key(purpose)

    # -- queueing -----------------------------------------------------------------------

    def queue(
        self,
        template_key: str,
        channel: Channel | str,
        card_ids: Sequence[str],
        *,
        values: Mapping[str, str] | None = None,
        batch_id: str | None = None,
        dedupe_keys: Sequence[str | None] | None = None,
    ) -> str:
        """Queue ``template_key`` on ``channel`` for each card; return the batch id.

        ``values`` fills the template's extra placeholders. With ``dedupe_keys`` (one
        per card), a recipient already queued under the same key is not queued again.
        Nothing is decided yet: consent is asked for when each message is sent.

        :raises ValidationError: unknown template, or no notifier for the channel.
        :raises TypeError: ``card_ids`` holds something other than ids (cards, say).
        """
        channel = as_enum(Channel, "channel", channel)
        ids = _ids(card_ids)
        batch = as_optional_id("batch_id", batch_id) or str(uuid.uuid4())
        sends = self._engine.build_sends(
            self.business_id,
            template_key,
            channel,
            ids,
            batch=batch,
            values=values,
            keys=dedupe_keys,
        )
        self._core.store.add_sends(sends)
        return batch

    def due_messages(
        self,
        *,
        channel: Channel | str,
        birthday_template: str | None = None,
        welcome_template: str | None = None,
        welcome_within: dt.timedelta = dt.timedelta(days=7),
    ) -> int:
        """Queue today's birthday greetings and pending welcome messages; return how many.

        The host calls this on a schedule (say, every morning). It is idempotent: each
        greeting is keyed by card and date, each welcome by card, so a second call the
        same day queues nothing. Welcomes go only to cards created within
        ``welcome_within``, so switching them on doesn't greet long-standing clients.
        Consent is decided when the messages are sent, as for every send.

        :raises ValidationError: unknown template, or no notifier for the channel.
        """
        channel = as_enum(Channel, "channel", channel)
        now = self._core.clock.now()
        # A birthday starts at midnight where the business is, not in UTC.
        today = self._business.details().today(now)
        birthdays: list[str] = []
        newcomers: list[str] = []
        cursor: str | None = None
        for _ in range(_MAX_ROUNDS):
            page = self._business.cards.list(limit=_PAGE, cursor=cursor)
            for card in page:
                if card.birth_date is not None and card.birth_date.is_birthday(today):
                    birthdays.append(card.id)
                if now - card.created_at <= welcome_within:
                    newcomers.append(card.id)
            cursor = page.next_cursor
            if cursor is None:
                break
        queued = 0
        for template, cards, kind in (
            (birthday_template, birthdays, f"birthday:{today.isoformat()}"),
            (welcome_template, newcomers, "welcome"),
        ):
            if template is not None and cards:
                keys = [f"{self.business_id}:{kind}:{card}" for card in cards]
                sends = self._engine.build_sends(
                    self.business_id,
                    template,
                    channel,
                    cards,
                    batch=str(uuid.uuid4()),
                    keys=keys,
                )
                queued += self._core.store.add_sends(sends)
        return queued

    # -- sending ------------------------------------------------------------------------

    def flush(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` of this business's due sends; return how many were handled.

        ``book.admin.send_pending()`` does the same for every business at once.
        """
        return self._engine.flush(limit, self._business)

    def send(
        self,
        template_key: str,
        channel: Channel | str,
        card_ids: Sequence[str],
        *,
        values: Mapping[str, str] | None = None,
    ) -> DispatchReport:
        """Queue a batch and flush until it is done; return its report (bulk sends).

        Sends deferred by quiet hours or backing off after a failure stay pending in
        the report; a later :meth:`flush` delivers them.

        :raises ValidationError: unknown template, or no notifier for the channel.
        """
        batch = self.queue(template_key, channel, card_ids, values=values)
        for _ in range(_MAX_ROUNDS):
            if not self.flush():
                break
        return self.report(batch)

    def report(self, batch_id: str) -> DispatchReport:
        """Count a batch's sends by outcome and reason (none: an empty report)."""
        batch_id = as_id("batch_id", batch_id)
        sends = self._core.store.sends(self.business_id, batch_id)
        skipped = Counter(s.reason or "" for s in sends if s.status is SendStatus.SKIPPED)
        failed = Counter(s.reason or "" for s in sends if s.status is SendStatus.FAILED)
        return DispatchReport(
            batch_id=batch_id,
            sent=sum(1 for s in sends if s.status is SendStatus.SENT),
            skipped=dict(skipped),
            failed=dict(failed),
            pending=sum(1 for s in sends if not s.status.is_final),
        )


def _ids(card_ids: Sequence[str]) -> list[str]:
    """Check that ``card_ids`` is a sequence of ids (a lone id is a common slip)."""
    if isinstance(card_ids, str):
        raise TypeError("card_ids must be a sequence of ids, not one id")
    return [as_id("card_ids", card_id) for card_id in card_ids]
