"""Portal settings: links, password rules and sign-in throttling, given once to the book.

Every setting but ``link_url`` has a sensible default, so a book made without portal
settings has a working portal (``book.business(id).portal``) that cannot send links yet:
``link_url``, the address of the host's own link page, is the host's to give. Pass
``ClientBook(store, portal=PortalSettings(...))`` to set it and change the others:

>>> settings = PortalSettings(link_url="https://salon.example/portal/{business_id}/{token}")
>>> settings.max_failures, settings.link_lifetime
(5, datetime.timedelta(seconds=1800))

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt

import attrs

from clientcard.portal.passwords import PasswordHasher, PasswordPolicy

__all__ = ["PortalSettings"]


def _check_link_url(_: object, __: attrs.Attribute[str | None], url: str | None) -> None:
    if url is not None and "{token}" not in url:
        raise ValueError("link_url needs a {token} placeholder")


# Not compared by value (eq=False): the hasher is a live object whose equality means
# nothing; two settings are the same only if they are one object.
@attrs.frozen(eq=False, kw_only=True)
class PortalSettings:
    """How the portal sends links, checks passwords and slows down guessing.

    Sign-in and reset links go out through the book's messaging (its
    :class:`~clientcard.messaging.MessagingSettings`) as service messages with the
    template ``link_template``, whose ``link`` placeholder gets ``link_url`` with the
    token in place of ``{token}`` and, where the URL has it, the business's id
    (URL-quoted) in place of ``{business_id}``: a host with one link page for every
    salon reads it to make ``book.business(id)``, whose ``portal.redeem_link(token)``
    takes the token. A link works once, within ``link_lifetime``. ``link_url`` has no
    default (``None``): without it, ``send_link`` raises
    :class:`~clientcard.errors.ConfigurationError`, while ``issue_link``, which returns
    the token for the host to put in a link of its own, works.
    ``hasher`` makes and checks password hashes (Argon2id), ``policy`` says which
    passwords are accepted.

    Failed sign-ins are counted per login and per source. ``max_failures`` under one
    login start a back-off of ``backoff``, doubling with each further failure up to
    ``longest_lock``; a login's count does not start afresh with time, only when the
    client signs in (by password or by a link), or once the login has been quiet for
    ``failure_memory``. With the defaults a login gets at most 5 free guesses, then
    about 7 within the hour while the lock grows, then one an hour: about 35 on the
    first day, 24 a day after. From one source, ``source_max_failures`` failures within
    ``failure_window`` start the same back-off; a source's count starts afresh after the
    window, since many honest clients may share one address. At most
    ``links_per_window`` links go to one login per window.

    :raises ValueError: ``link_url`` has no ``{token}`` placeholder.

    .. versionadded:: 0.1.0
    """

    link_template: str = "portal_link"
    link_url: str | None = attrs.field(default=None, validator=_check_link_url)
    hasher: PasswordHasher = attrs.field(factory=PasswordHasher)
    policy: PasswordPolicy = attrs.field(factory=PasswordPolicy)
    link_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    max_failures: int = 5
    source_max_failures: int = 50
    failure_window: dt.timedelta = dt.timedelta(hours=1)
    backoff: dt.timedelta = dt.timedelta(seconds=30)
    longest_lock: dt.timedelta = dt.timedelta(hours=1)
    failure_memory: dt.timedelta = dt.timedelta(days=30)
    """How long a login's failures are remembered after its last one (see above).

    .. versionadded:: 0.1.0
    """
    links_per_window: int = 3
