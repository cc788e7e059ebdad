"""The messaging engine of one book: claims sends and delivers them, for every business.

One engine is made per :class:`~clientcard.book.ClientBook`, on first use, from its
:class:`~clientcard.messaging.settings.MessagingSettings`; every business handle's
``messaging`` service and ``book.admin.send_pending`` share it. It holds what must be the
same for all of them: the templates by key and the scope of sends the book may claim.

Delivering a send asks, *at that moment*, for the client's contact decision -- a consent
withdrawn after queueing stops the message -- renders the template in the client's
language, checks the message and hands it to the channel's notifier. Every send ends
``sent``, ``skipped`` (with the decision's reason) or ``failed`` (with the notifier's).

Crashes: a send is claimed before it is sent. If the process dies in between, the claim
runs out after the settings' ``lease`` and the send is offered again with the same
``message_id``, so no message is lost; a notifier that treats the message id as an
idempotency key (as :class:`~clientcard.testing.doubles.RecordingNotifier` can, and most
providers do) then sends it once. Sends that already reached ``sent`` are never offered
again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

from clientcard._core import Core
from clientcard.cards.card import ClientCard
from clientcard.consent.decision import recipient
from clientcard.consent.purposes import DIRECT_MARKETING, Channel
from clientcard.consent.tokens import make_unsubscribe_token
from clientcard.errors import DuplicateError, FieldIssue, NotFoundError, ValidationError
from clientcard.history.model import (
    ConversationDirection,
    ConversationEntry,
)
from clientcard.history.records import (
    conversation_to_record,
)
from clientcard.messaging.message import OutgoingMessage, check_message
from clientcard.messaging.notifier import DeliveryError
from clientcard.messaging.sends import MINTED_LINK, Send, SendScope, SendStatus
from clientcard.messaging.settings import MessagingSettings
from clientcard.messaging.templates import MessageTemplate

if TYPE_CHECKING:
    from clientcard.book import BusinessBook

__all__ = ["MessagingEngine"]

logger = logging.getLogger("clientcard.messaging")


class MessagingEngine:
    """Queues, claims and delivers a book's sends (see the module docs).

    ``business`` makes the handle of a business, through which a send's card, consent
    and business settings are read: the engine serves every business of the book.
    """

    def __init__(
        self,
        core: Core,
        settings: MessagingSettings,
        business: Callable[[str], BusinessBook],
    ) -> None:
        self._core = core
        self.settings = settings
        self._business = business
        self._templates = {template.key: template for template in settings.templates}
        # Claim only what this book can render and deliver: another book (a command-line
        # run beside the host's) may share the store with other templates or channels.
        self.scope = SendScope(
            template_keys=frozenset(self._templates),
            channels=frozenset(settings.notifiers),
        )
        """Every send this book may claim, of any business."""

    def has_template(self, key: str) -> bool:
        """Whether the settings have a template ``key``."""
        return key in self._templates

    def secret_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` derived from the settings' ``token_secret`` (HMAC-SHA256)."""
        label = f"clientcard.messaging.key\x00{purpose}".encode()
        return hmac.digest(self.settings.token_secret, label, "sha256")

    def template(self, key: str) -> MessageTemplate:
        """The template ``key``. :raises ValidationError: ``dispatch.unknown_template``."""
        try:
            return self._templates[key]
        except KeyError:
            raise ValidationError(
                [FieldIssue("template", "dispatch.unknown_template", "no such template")]
            ) from None

    # -- queueing -----------------------------------------------------------------------

    def build_sends(
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
        """The queued sends of a batch, after checking its template and channel.

        :raises ValidationError: unknown template, or no notifier for the channel.
        """
        template = self.template(template_key)
        if channel not in self.settings.notifiers:
            raise ValidationError(
                [FieldIssue("channel", "dispatch.no_notifier", "no notifier for this channel")]
            )
        now = self._core.clock.now()
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

    # -- sending ------------------------------------------------------------------------

    def flush(self, limit: int, business: BusinessBook | None = None) -> int:
        """Deliver up to ``limit`` queued (or abandoned) sends; return how many were handled.

        With ``business``, only that business's sends are claimed; without, any business's.
        """
        scope = self.scope
        handles: dict[str, BusinessBook] = {}
        if business is not None:
            scope = attrs.evolve(scope, business_id=business.id)
            handles[business.id] = business
        now = self._core.clock.now()
        claimed = self._core.store.claim_sends(
            now=now, stale_before=now - self.settings.lease, limit=limit, scope=scope
        )
        for send in claimed:
            self._deliver(send, handles)
        return len(claimed)

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
            updated_at=self._core.clock.now(),
            values={},  # rendered or refused: a one-time link in them must not linger
        )
        self._core.store.update_send(done)

    def _deliver(self, send: Send, handles: dict[str, BusinessBook]) -> None:
        """Give one claimed send its outcome; ``handles`` caches the flush's handles."""
        if send.attempts > self.settings.max_attempts:
            # Claimed again and again without an outcome: a crash each time, or worse.
            self._finish(send, SendStatus.FAILED, "abandoned")
            return
        try:
            # One handle per business and flush: its services are made once, not per
            # send. Made here, inside the try: its business read can fail too.
            business = handles.get(send.business_id)
            if business is None:
                business = handles[send.business_id] = self._business(send.business_id)
            self._attempt(send, business)
        except Exception:
            # Whatever went wrong, the send gets an outcome and the batch goes on.
            logger.exception("send failed unexpectedly", extra={"send_id": send.send_id})
            self._finish(send, SendStatus.FAILED, "internal_error")

    def _attempt(self, send: Send, business: BusinessBook) -> None:
        store = self._core.store
        clock = self._core.clock
        try:
            card = business.cards.get(send.card_id)
        except NotFoundError:
            self._finish(send, SendStatus.SKIPPED, "card_gone")
            return
        decision = business.consent.may_contact(send.card_id, send.purpose, send.channel)
        if not decision.allowed:
            self._finish(send, SendStatus.SKIPPED, decision.reason)
            return
        if send.purpose in DIRECT_MARKETING:
            quiet_until = business.details().quiet_until(clock.now())
            if quiet_until is not None:
                # Deferred, not refused: the claim given back, the attempt not counted.
                deferred = attrs.evolve(
                    send,
                    status=SendStatus.QUEUED,
                    not_before=quiet_until,
                    attempts=send.attempts - 1,
                    updated_at=clock.now(),
                )
                store.update_send(deferred)
                return
        values = dict(send.values)
        link_id = values.pop(MINTED_LINK, None)
        if link_id is not None:
            # Minted now, from the link's id and the host's secret: the queue held none.
            link = business.portal.minted_link(send.card_id, link_id)
            if link is None:
                self._finish(send, SendStatus.SKIPPED, "link_invalid")
                return
            values["link"] = link
        try:
            message = check_message(self._render(send, values, card, business))
            provider_id = self.settings.notifiers[send.channel].send(message)
        except ValidationError as error:
            self._finish(send, SendStatus.FAILED, sorted(error.codes)[0])
        except DeliveryError as error:
            if error.retryable and send.attempts < self.settings.max_attempts:
                # Back off: 1, 2, 4, ... minutes, at most an hour.
                wait = dt.timedelta(minutes=min(2 ** (send.attempts - 1), 60))
                retry = attrs.evolve(
                    send,
                    status=SendStatus.QUEUED,
                    reason=error.reason,
                    not_before=clock.now() + wait,
                    updated_at=clock.now(),
                )
                store.update_send(retry)
            else:
                self._finish(send, SendStatus.FAILED, error.reason)
            logger.warning(
                "delivery failed",
                extra={"send_id": send.send_id, "reason": error.reason},
            )
        else:
            with store.transaction():
                self._finish(send, SendStatus.SENT, provider_id=provider_id)
                self._file_conversation(send, message)

    def _file_conversation(self, send: Send, message: OutgoingMessage) -> None:
        """Put the delivered message on the client's timeline, once per send."""
        entry = ConversationEntry(
            id=send.send_id,
            business_id=send.business_id,
            card_id=send.card_id,
            at=self._core.clock.now(),
            direction=ConversationDirection.OUTGOING,
            channel=send.channel,
            summary=message.subject,
            template_key=send.template_key,
            send_id=send.send_id,
        )
        # Delivered again after a crash: the timeline has it already.
        with contextlib.suppress(DuplicateError):
            self._core.store.add_records([conversation_to_record(entry)])

    def _render(
        self, send: Send, given: Mapping[str, str], card: ClientCard, business: BusinessBook
    ) -> OutgoingMessage:
        details = business.details()
        unsubscribe: str | None = None
        # Only marketing can be unsubscribed from; a service message has no such link.
        if send.purpose in DIRECT_MARKETING:
            token = make_unsubscribe_token(
                self.settings.token_secret,
                business_id=send.business_id,
                card_id=send.card_id,
                purpose=send.purpose,
                channel=send.channel,
            )
            unsubscribe = self.settings.unsubscribe_url.replace("{token}", token).replace(
                "{business_id}", quote(send.business_id, safe="")
            )
        values = {
            **given,
            "first_name": card.first_name,
            "last_name": card.last_name,
            "display_name": card.display_name,
            "business_name": details.name,
            "unsubscribe_url": unsubscribe or "",
        }
        language = card.language or details.language
        text = self.template(send.template_key).render(language, values)
        addressee = recipient(
            card, send.purpose, details.consent_policy, business.consent.guardian_of(card.id)
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
