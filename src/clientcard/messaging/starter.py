"""Ready-made message templates in English, Italian and Dutch, for a business to start from.

Each starter template serves one purpose and speaks every shipped language; its texts come
from the gettext catalogs like every other text of clientcard. A business usually edits
them (its tone, its booking address) -- they are a start, not a house style. Direct
marketing texts carry ``$unsubscribe_url``, as :class:`MessageTemplate` requires.

>>> reminder = starter_template("appointment_reminder")
>>> values = {"first_name": "Giulia", "business_name": "Salone Bella",
...           "appointment_time": "12/03 alle 10:30"}
>>> print(reminder.render("it", values).body)
Ciao Giulia, ti ricordiamo l'appuntamento da Salone Bella il 12/03 alle 10:30. A presto!

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import attrs

from clientcard.consent.purposes import Purpose
from clientcard.locale import LANGUAGES
from clientcard.locale._gettext import N_, english, translation
from clientcard.messaging.templates import MessageTemplate, TemplateText

__all__ = ["STARTER_KEYS", "starter_template", "starter_templates"]


@attrs.frozen
class _Starter:
    purpose: Purpose
    extra: frozenset[str] = frozenset()


_STARTERS: Final[dict[str, _Starter]] = {
    "appointment_reminder": _Starter(
        Purpose.APPOINTMENT_REMINDERS, frozenset({"appointment_time"})
    ),
    "payment_reminder": _Starter(Purpose.PAYMENT_REMINDERS, frozenset({"amount", "due_date"})),
    "portal_link": _Starter(Purpose.ACCOUNT, frozenset({"link"})),
    "review_invitation": _Starter(Purpose.REVIEW_INVITATIONS, frozenset({"review_url"})),
    "rebook_invitation": _Starter(Purpose.REBOOK_INVITATIONS, frozenset({"booking_url"})),
    "promotion": _Starter(Purpose.MARKETING, frozenset({"offer"})),
    "birthday_greeting": _Starter(Purpose.BIRTHDAY_GREETINGS),
    "welcome": _Starter(Purpose.WELCOME),
}

# Translators keep every $placeholder as it is (docs/translations.md); an SMS carries
# the body only, so bodies stay short.
_TEXTS: Final[dict[str, str]] = english(
    N_("template:appointment_reminder.subject", "Your appointment at ${business_name}"),
    N_(
        "template:appointment_reminder.body",
        "Hello $first_name, a reminder of your appointment at ${business_name} on "
        "$appointment_time. See you soon!",
    ),
    N_("template:payment_reminder.subject", "A payment to ${business_name}"),
    N_(
        "template:payment_reminder.body",
        "Hello $first_name, a payment of $amount to ${business_name} is due on $due_date. "
        "Thank you!",
    ),
    N_("template:portal_link.subject", "Your sign-in link for ${business_name}"),
    N_(
        "template:portal_link.body",
        "Hello $first_name, open this link to sign in to your account at ${business_name}: "
        "$link -- it works once and expires soon. If you did not ask for it, ignore this "
        "message.",
    ),
    N_("template:review_invitation.subject", "How was your visit to ${business_name}?"),
    N_(
        "template:review_invitation.body",
        "Hello $first_name, thank you for your visit to ${business_name}. Tell us how it "
        "went: $review_url -- No more messages like this: $unsubscribe_url",
    ),
    N_("template:rebook_invitation.subject", "Time for your next visit to ${business_name}?"),
    N_(
        "template:rebook_invitation.body",
        "Hello $first_name, it has been a while since your last visit to ${business_name}. "
        "Book your next appointment: $booking_url -- No more messages like this: "
        "$unsubscribe_url",
    ),
    N_("template:promotion.subject", "An offer from ${business_name}"),
    N_(
        "template:promotion.body",
        "Hello $first_name, ${business_name} has an offer for you: $offer -- No more "
        "messages like this: $unsubscribe_url",
    ),
    N_("template:birthday_greeting.subject", "Happy birthday from ${business_name}"),
    N_(
        "template:birthday_greeting.body",
        "Happy birthday, $first_name! Best wishes from ${business_name}. -- No more "
        "messages like this: $unsubscribe_url",
    ),
    N_("template:welcome.subject", "Welcome to ${business_name}"),
    N_(
        "template:welcome.body",
        "Hello $first_name, welcome to ${business_name}! We look forward to seeing you. "
        "-- No more messages like this: $unsubscribe_url",
    ),
)

STARTER_KEYS: Final[tuple[str, ...]] = tuple(_STARTERS)
"""The keys of the starter templates, one per purpose clientcard messages are for."""


def _text(key: str, part: str, lang: str) -> str:
    context = f"template:{key}.{part}"
    return translation(lang).pgettext(context, _TEXTS[context])


def starter_template(key: str, *, languages: Iterable[str] = LANGUAGES) -> MessageTemplate:
    """Return the starter template ``key`` with its texts in each of ``languages``.

    The key is the template's key too, so messaging queues it by that name (the
    portal's sign-in links use ``portal_link`` by default).

    :raises KeyError: ``key`` is not one of :data:`STARTER_KEYS`.
    :raises ValueError: a language clientcard does not ship (a template must not speak
        English while claiming another language), or a bare string for ``languages``.
    """
    starter = _STARTERS[key]
    if isinstance(languages, str):
        raise ValueError("give languages as a list, such as ['it']")
    langs = tuple(languages)
    unknown = sorted(set(langs) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"no starter texts in {', '.join(unknown)}")
    return MessageTemplate(
        key=key,
        purpose=starter.purpose,
        texts={
            lang: TemplateText(subject=_text(key, "subject", lang), body=_text(key, "body", lang))
            for lang in langs
        },
        extra=starter.extra,
    )


def starter_templates(*, languages: Iterable[str] = LANGUAGES) -> tuple[MessageTemplate, ...]:
    """Return every starter template, in the order of :data:`STARTER_KEYS`.

    :raises ValueError: as :func:`starter_template`.
    """
    if isinstance(languages, str):
        raise ValueError("give languages as a list, such as ['it']")
    langs = tuple(languages)
    return tuple(starter_template(key, languages=langs) for key in STARTER_KEYS)
