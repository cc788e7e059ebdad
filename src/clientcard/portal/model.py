"""What the portal hands a host: the signed-in client, a profile, and the refusal error.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt

import attrs

from clientcard.cards.card import ClientCard
from clientcard.cards.schema import FormField
from clientcard.errors import ClientCardError
from clientcard.locale import message
from clientcard.portal.accounts import PortalAccount

__all__ = ["AuthenticationError", "Principal", "Profile"]


class AuthenticationError(ClientCardError):
    """Sign-in, a link or a session was refused.

    ``code`` is ``portal.sign_in_failed`` (unknown login or wrong password, never said
    which), ``portal.locked`` (too many failures: wait until ``retry_after``),
    ``portal.link_invalid`` (unknown, used, expired or voided link) or
    ``portal.session_ended`` (the account changed or went since sign-in, or the
    principal is another business's).

    .. versionadded:: 0.1.0
    """

    def __init__(self, code: str, *, retry_after: dt.datetime | None = None) -> None:
        self.code = code
        self.retry_after = retry_after
        super().__init__(f"{code}: {message(code)}")


@attrs.frozen
class Principal:
    """The signed-in client, as a host keeps it in its session.

    A principal is not a secret: keep it server-side (in the host's session store),
    never in a cookie or a token the client holds.

    .. versionadded:: 0.1.0
    """

    business_id: str
    card_id: str
    account_id: str
    credential_version: int

    @classmethod
    def of(cls, account: PortalAccount) -> Principal:
        """The principal of ``account`` as it stands (its credentials' version)."""
        return cls(
            business_id=account.business_id,
            card_id=account.card_id,
            account_id=account.id,
            credential_version=account.credential_version,
        )


@attrs.frozen
class Profile:
    """What the portal's "my details" page shows.

    .. versionadded:: 0.1.0
    """

    card: ClientCard
    form: tuple[FormField, ...]
    """The fields the schema collects online, labelled in the client's language."""
    still_to_ask: tuple[str, ...]
    """Required or keep-asking fields still empty."""
