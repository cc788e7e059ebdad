"""Sign-in timing: a known login with a wrong password beside an unknown login.

Issue 9 asks that the two differ by no more than noise. The suite proves they do the
same work (the same store calls, one Argon2 verification with today's parameters); this
measures it, with the default Argon2id parameters, in alternating pairs.
"""

from __future__ import annotations

from typing import Any

from pairs import pairs, result

from clientcard.book import ClientBook
from clientcard.portal import AuthenticationError, PortalSettings
from clientcard.storage import MemoryStore


def sign_in_timing(count: int = 31) -> dict[str, Any]:
    """Median ratio of a known login's refusal time to an unknown login's."""
    # Limits out of reach: no attempt is locked out, each is refused for its password.
    settings = PortalSettings(max_failures=10**6, source_max_failures=10**6)
    book = ClientBook(MemoryStore(), portal=settings)
    desk = book.business(book.create_business(name="Salon").id)
    card = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"}).id
    portal = desk.portal
    portal.create_account(card, password="a long and quiet river")

    def refused(login: str) -> None:
        try:
            portal.sign_in(login, "a wrong guess", source=login)
        except AuthenticationError:
            return
        raise AssertionError("a wrong password signed in")

    return result(
        "sign-in refused: known login (wrong password) beside an unknown login",
        pairs(lambda: refused("anna@example.com"), lambda: refused("nobody@example.com"), count),
        "the same call for a login nobody has (Argon2id defaults)",
        per=1,
        unit="sign-ins/s",
    )
