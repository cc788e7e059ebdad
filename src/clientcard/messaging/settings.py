"""Messaging settings: how a book's messages leave, given once to the book.

>>> from clientcard.book import ClientBook
>>> from clientcard.consent import Channel
>>> from clientcard.messaging import MessagingSettings, starter_templates
>>> from clientcard.storage import MemoryStore
>>> from clientcard.testing.doubles import RecordingNotifier
>>> settings = MessagingSettings(
...     {Channel.EMAIL: RecordingNotifier()},
...     starter_templates(),
...     token_secret=bytes(32),
...     unsubscribe_url="https://salon.example/unsubscribe/{token}",
... )
>>> book = ClientBook(MemoryStore(), messaging=settings)
>>> settings.has_template("welcome")
True

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from clientcard.consent.purposes import Channel
from clientcard.messaging.notifier import Notifier
from clientcard.messaging.templates import MessageTemplate

__all__ = ["MessagingSettings"]


def _notifiers(notifiers: Mapping[Channel, Notifier]) -> Mapping[Channel, Notifier]:
    return MappingProxyType(dict(notifiers))


def _templates(templates: Iterable[MessageTemplate]) -> tuple[MessageTemplate, ...]:
    return tuple(templates)


def _check_unsubscribe_url(_: object, __: attrs.Attribute[str], url: str) -> None:
    if "{token}" not in url:
        raise ValueError("unsubscribe_url needs a {token} placeholder")


# Not compared by value (eq=False): the settings hold the host's live notifiers, whose
# equality means nothing; two settings are the same only if they are one object.
@attrs.frozen(eq=False)
class MessagingSettings:
    """How the book sends messages: notifiers, templates and unsubscribe links.

    ``notifiers`` maps each channel the book sends on to the host's
    :class:`~clientcard.messaging.notifier.Notifier`; ``templates`` are the messages it
    may send, by key (a later template replaces an earlier one of the same key).
    ``token_secret`` signs the unsubscribe links of marketing messages, which
    ``unsubscribe_url`` turns into an address (``{token}`` is replaced, and
    ``{business_id}``, where the URL has it, by the business's id: a host with one
    unsubscribe page for every salon reads it to make ``book.business(id)``, whose
    ``consent.unsubscribe(token, secret=...)`` takes the token). A send claimed
    but not finished (its process died) is offered again after ``lease``; one claimed
    more than ``max_attempts`` times, or failing that often, is given up.

    A book claims only sends of its own templates and channels, so several books (a
    command-line run beside the host's) can share a store without taking each other's
    sends. Pass the settings as ``ClientBook(store, messaging=...)``.

    :raises ValueError: ``unsubscribe_url`` has no ``{token}`` placeholder.

    .. versionadded:: 0.1.0
    """

    notifiers: Mapping[Channel, Notifier] = attrs.field(converter=_notifiers)
    templates: tuple[MessageTemplate, ...] = attrs.field(converter=_templates)
    token_secret: bytes = attrs.field(kw_only=True, repr=False)
    """Signs unsubscribe links: keep it outside the database, and out of logs."""
    unsubscribe_url: str = attrs.field(kw_only=True, validator=_check_unsubscribe_url)
    lease: dt.timedelta = attrs.field(kw_only=True, default=dt.timedelta(minutes=10))
    max_attempts: int = attrs.field(kw_only=True, default=5)

    def has_template(self, key: str) -> bool:
        """Whether a template of ``key`` is among :attr:`templates`."""
        return any(template.key == key for template in self.templates)
