"""The dispatcher: nothing is sent without an allowing decision, and every outcome is kept.

:meth:`Dispatcher.queue` records one :class:`~clientcard.messaging.sends.Send` per
recipient in the store. :meth:`Dispatcher.flush` claims queued sends and, for each, asks
for a :class:`~clientcard.consent.Decision` *at that moment* -- a consent withdrawn
after queueing stops the message -- renders the template in the business's language,
checks the message and hands it to the channel's notifier. Every send ends ``sent``,
``skipped`` (with the decision's reason) or ``failed`` (with the notifier's).

Crashes: a send is claimed before it is sent. If the process dies in between, the claim
runs out after ``lease`` and the send is offered again with the same ``message_id``, so
no message is lost; a notifier that treats the message id as an idempotency key (as
:class:`~clientcard.testing.doubles.RecordingNotifier` can, and most providers do) then
sends it once. Sends that already reached ``sent`` are never offered again.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from clientcard.book import ClientBook
from clientcard.card import ClientCard
from clientcard.consent.decision import recipient
from clientcard.consent.purposes import DIRECT_MARKETING, Channel
from clientcard.consent.tokens import make_unsubscribe_token
from clientcard.errors import DuplicateError, FieldIssue, NotFoundError, ValidationError
from clientcard.history import ConversationDirection, ConversationEntry, conversation_to_record
from clientcard.messaging.message import OutgoingMessage, check_message
from clientcard.messaging.notifier import DeliveryError, Notifier
from clientcard.messaging.sends import Send, SendScope, SendStatus
from clientcard.messaging.templates import MessageTemplate

__all__ = ["DispatchReport", "Dispatcher"]

logger = logging.getLogger("clientcard.messaging")

_MAX_ROUNDS: Final = 10_000


@attrs.frozen
class DispatchReport:
    """How a batch went: how many were sent, skipped and failed, and why.

    .. versionadded:: 0.1.0
    """

    batch_id: str
    sent: int
    skipped: Mapping[str, int]
    failed: Mapping[str, int]
    pending: int

    @property
    def total(self) -> int:
        """Every recipient of the batch."""
        return self.sent + sum(self.skipped.values()) + sum(self.failed.values()) + self.pending


class Dispatcher:
    """Consent-gated sending through the host's notifiers.

    ``notifiers`` maps each channel the business uses to its notifier; ``templates``
    are the messages it may send, by key. ``token_secret`` signs unsubscribe links,
    which ``unsubscribe_url`` turns into an address (``{token}`` is replaced). A
    dispatcher claims only sends of its own templates and channels -- and, with
    ``business_id``, of that business only -- so several can share a store.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        book: ClientBook,
        notifiers: Mapping[Channel, Notifier],
        templates: Iterable[MessageTemplate],
        *,
        token_secret: bytes,
        unsubscribe_url: str,
        lease: dt.timedelta = dt.timedelta(minutes=10),
        max_attempts: int = 5,
        business_id: str | None = None,
    ) -> None:
        if "{token}" not in unsubscribe_url:
            raise ValueError("unsubscribe_url needs a {token} placeholder")
        self.book = book
        self._notifiers = dict(notifiers)
        self._templates = {template.key: template for template in templates}
        self._secret = token_secret
        self._unsubscribe_url = unsubscribe_url
        self._lease = lease
        self._max_attempts = max_attempts
        # Claim only what this dispatcher can render and deliver: other dispatchers (a
        # command-line run, another business's) may share the store.
        self._scope = SendScope(
            template_keys=frozenset(self._templates),
            channels=frozenset(self._notifiers),
            business_id=business_id,
        )

    def has_template(self, key: str) -> bool:
        """Whether this dispatcher can render the template ``key``."""
        return key in self._templates

    # -- queueing -----------------------------------------------------------------------

    def queue(
        self,
        business_id: str,
        template_key: str,
        channel: Channel,
        card_ids: Sequence[str],
        *,
        values: Mapping[str, str] | None = None,
        batch_id: str | None = None,
        dedupe_keys: Sequence[str | None] | None = None,
    ) -> str:
        """Queue ``template_key`` on ``channel`` for each card; return the batch id.

        ``values`` fills the template's extra placeholders. With ``dedupe_keys`` (one
        per card), a recipient already queued under the same key is not queued again.

        :raises ValidationError: unknown template, or no notifier for the channel.
        """
        batch = batch_id or str(uuid.uuid4())
        sends = self._sends(
            business_id,
            template_key,
            channel,
            card_ids,
            batch=batch,
            values=values,
            keys=dedupe_keys,
        )
        self.book.store.add_sends(sends)
        return batch

    def _sends(
        self,
        business_id: str,
        template_key: str,
        channel: Channel,
        card_ids: Sequence[str],
        *,
        batch: str,
        values: Mapping[str, str] | None = None,
        keys: Sequence[str | None] | None = None,
    ) -> list[Send]:
        """Build the queued sends of a batch, after checking template and channel."""
        template = self._template(template_key)
        if channel not in self._notifiers:
            raise ValidationError(
                [FieldIssue("channel", "dispatch.no_notifier", "no notifier for this channel")]
            )
        self.book.business(business_id)
        now = self.book.clock.now()
        dedupe = list(keys) if keys is not None else [None] * len(card_ids)
        return [
            Send(
                send_id=str(uuid.uuid4()),
                batch_id=batch,
                business_id=business_id,
                card_id=card_id,
                purpose=template.purpose,
                channel=channel,
                template_key=template_key,
                status=SendStatus.QUEUED,
                queued_at=now,
                updated_at=now,
                dedupe_key=key,
                values=dict(values or {}),
            )
            for card_id, key in zip(card_ids, dedupe, strict=True)
        ]

    def due_messages(
        self,
        business_id: str,
        *,
        channel: Channel,
        birthday_template: str | None = None,
        welcome_template: str | None = None,
        welcome_within: dt.timedelta = dt.timedelta(days=7),
    ) -> int:
        """Queue today's birthday greetings and pending welcome messages; return how many.

        The host calls this on a schedule (say, every morning). It is idempotent: each
        greeting is keyed by card and date, each welcome by card, so a second call the
        same day queues nothing. Welcomes go only to cards created within
        ``welcome_within``, so switching them on doesn't greet long-standing clients.
        Consent is decided when the messages are flushed, as for every send.
        """
        now = self.book.clock.now()
        today = now.date()
        birthdays: list[str] = []
        newcomers: list[str] = []
        cursor: str | None = None
        for _ in range(_MAX_ROUNDS):
            page = self.book.list_cards(business_id, limit=500, cursor=cursor)
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
                keys = [f"{business_id}:{kind}:{card}" for card in cards]
                batch = str(uuid.uuid4())
                sends = self._sends(business_id, template, channel, cards, batch=batch, keys=keys)
                queued += self.book.store.add_sends(sends)
        return queued

    # -- sending ------------------------------------------------------------------------

    def flush(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` queued (or abandoned) sends; return how many were handled."""
        now = self.book.clock.now()
        claimed = self.book.store.claim_sends(
            now=now, stale_before=now - self._lease, limit=limit, scope=self._scope
        )
        for send in claimed:
            self._deliver(send)
        return len(claimed)

    def send(
        self,
        business_id: str,
        template_key: str,
        channel: Channel,
        card_ids: Sequence[str],
        *,
        values: Mapping[str, str] | None = None,
    ) -> DispatchReport:
        """Queue a batch and flush until it is done; return its report (bulk sends)."""
        batch = self.queue(business_id, template_key, channel, card_ids, values=values)
        for _ in range(_MAX_ROUNDS):
            if not self.flush():
                break
        return self.report(business_id, batch)

    def report(self, business_id: str, batch_id: str) -> DispatchReport:
        """Count a batch's sends by outcome and reason."""
        sends = self.book.store.sends(business_id, batch_id)
        skipped = Counter(s.reason or "" for s in sends if s.status is SendStatus.SKIPPED)
        failed = Counter(s.reason or "" for s in sends if s.status is SendStatus.FAILED)
        return DispatchReport(
            batch_id=batch_id,
            sent=sum(1 for s in sends if s.status is SendStatus.SENT),
            skipped=dict(skipped),
            failed=dict(failed),
            pending=sum(1 for s in sends if not s.status.is_final),
        )

    # -- internals ----------------------------------------------------------------------

    def _template(self, key: str) -> MessageTemplate:
        try:
            return self._templates[key]
        except KeyError:
            raise ValidationError(
                [FieldIssue("template", "dispatch.unknown_template", "no such template")]
            ) from None

    def _finish(
        self,
        send: Send,
        status: SendStatus,
        reason: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        done = attrs.evolve(
            send,
            status=status,
            reason=reason,
            provider_id=provider_id,
            updated_at=self.book.clock.now(),
            values={},  # rendered or refused: a one-time link in them must not linger
        )
        self.book.store.update_send(done)

    def _deliver(self, send: Send) -> None:
        if send.attempts > self._max_attempts:
            # Claimed again and again without an outcome: a crash each time, or worse.
            self._finish(send, SendStatus.FAILED, "abandoned")
            return
        try:
            self._attempt(send)
        except Exception:
            # Whatever went wrong, the send gets an outcome and the batch goes on.
            logger.exception("send failed unexpectedly", extra={"send_id": send.send_id})
            self._finish(send, SendStatus.FAILED, "internal_error")

    def _attempt(self, send: Send) -> None:
        try:
            card = self.book.get(send.business_id, send.card_id)
        except NotFoundError:
            self._finish(send, SendStatus.SKIPPED, "card_gone")
            return
        decision = self.book.may_contact(send.business_id, send.card_id, send.purpose, send.channel)
        if not decision.allowed:
            self._finish(send, SendStatus.SKIPPED, decision.reason)
            return
        if send.purpose in DIRECT_MARKETING:
            quiet_until = self.book.business(send.business_id).quiet_until(self.book.clock.now())
            if quiet_until is not None:
                # Deferred, not refused: the claim gave back, the attempt not counted.
                deferred = attrs.evolve(
                    send,
                    status=SendStatus.QUEUED,
                    not_before=quiet_until,
                    attempts=send.attempts - 1,
                    updated_at=self.book.clock.now(),
                )
                self.book.store.update_send(deferred)
                return
        try:
            message = check_message(self._render(send, card))
            provider_id = self._notifiers[send.channel].send(message)
        except ValidationError as error:
            self._finish(send, SendStatus.FAILED, sorted(error.codes)[0])
        except DeliveryError as error:
            if error.retryable and send.attempts < self._max_attempts:
                # Back off: 1, 2, 4, ... minutes, at most an hour.
                wait = dt.timedelta(minutes=min(2 ** (send.attempts - 1), 60))
                retry = attrs.evolve(
                    send,
                    status=SendStatus.QUEUED,
                    reason=error.reason,
                    not_before=self.book.clock.now() + wait,
                    updated_at=self.book.clock.now(),
                )
                self.book.store.update_send(retry)
            else:
                self._finish(send, SendStatus.FAILED, error.reason)
            logger.warning(
                "delivery failed",
                extra={"send_id": send.send_id, "reason": error.reason},
            )
        else:
            with self.book.store.transaction():
                self._finish(send, SendStatus.SENT, provider_id=provider_id)
                self._file_conversation(send, message)

    def _file_conversation(self, send: Send, message: OutgoingMessage) -> None:
        """Put the delivered message on the client's timeline, once per send."""
        entry = ConversationEntry(
            id=send.send_id,
            business_id=send.business_id,
            card_id=send.card_id,
            at=self.book.clock.now(),
            direction=ConversationDirection.OUTGOING,
            channel=send.channel,
            summary=message.subject,
            template_key=send.template_key,
            send_id=send.send_id,
        )
        # Delivered again after a crash: the timeline has it already.
        with contextlib.suppress(DuplicateError):
            self.book.store.add_records([conversation_to_record(entry)])

    def _render(self, send: Send, card: ClientCard) -> OutgoingMessage:
        business = self.book.business(send.business_id)
        unsubscribe: str | None = None
        # Only marketing can be unsubscribed from; a service message has no such link.
        if send.purpose in DIRECT_MARKETING:
            token = make_unsubscribe_token(
                self._secret,
                business_id=send.business_id,
                card_id=send.card_id,
                purpose=send.purpose,
                channel=send.channel,
            )
            unsubscribe = self._unsubscribe_url.replace("{token}", token)
        values = {
            **send.values,
            "first_name": card.first_name,
            "last_name": card.last_name,
            "display_name": card.display_name,
            "business_name": business.name,
            "unsubscribe_url": unsubscribe or "",
        }
        language = card.language or business.language
        text = self._template(send.template_key).render(language, values)
        addressee = recipient(
            card, send.purpose, business.consent_policy, self.book.guardian_of(card)
        )
        to = addressee.email if send.channel is Channel.EMAIL else addressee.mobile
        return OutgoingMessage(
            message_id=send.send_id,
            business_id=send.business_id,
            card_id=send.card_id,
            purpose=send.purpose,
            channel=send.channel,
            to=to or "",
            body=text.body,
            subject=text.subject,
            unsubscribe_url=unsubscribe,
        )
