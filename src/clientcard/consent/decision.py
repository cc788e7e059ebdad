"""May this client be contacted for this purpose on this channel? A pure decision.

:func:`may_contact` answers from the card, the client's :class:`ConsentState`, and the
business's :class:`ConsentPolicy`; it reads no clock and no store. Every "no" carries a
machine reason, so a dispatcher can record why each recipient was skipped.

The rules, in order:

1. a blocked client gets no direct marketing (``blacklisted``), nor does anyone at the
   address or number of an erased client who asked never to be contacted
   (``suppressed``);
2. the channel needs an address: an e-mail address, or a mobile number for SMS and
   WhatsApp (``no_address``); push tokens live with the host;
3. an objection to direct marketing covers every channel and beats any consent or soft
   opt-in (``objected``);
4. service messages on the contract basis go out (``contract``);
5. a child below the age of digital consent needs a guardian's recorded consent for
   direct marketing (``minor_without_guardian_consent``);
6. consent-based purposes need a standing grant (``consent``; else ``withdrawn``,
   ``pending_confirmation`` while a double opt-in waits, or ``no_consent``); pre-ticked
   boxes don't exist: no grant means no;
7. soft opt-in (legitimate interest) needs an existing customer -- someone who booked,
   not a prospect (``not_an_existing_customer``) -- who was told at collection that they
   may refuse (an ``offer_opt_out`` ledger event; else ``opt_out_not_offered``), and it
   ends with a withdrawal (``withdrawn``); it is allowed as ``soft_opt_in``. Every
   marketing message offers the opt-out again (templates must carry the link).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs

from clientcard.cards.card import CardStatus, ClientCard
from clientcard.consent.ledger import ConsentState
from clientcard.consent.purposes import (
    DIRECT_MARKETING,
    Channel,
    ConsentPolicy,
    LawfulBasis,
    Purpose,
)

__all__ = ["Decision", "may_contact", "may_profile", "recipient"]

_NEEDS_MOBILE: Final = frozenset({Channel.SMS, Channel.WHATSAPP})


@attrs.frozen
class Decision:
    """Whether a message may go, the machine reason, and the lawful basis considered.

    .. versionadded:: 0.1.0
    """

    allowed: bool
    reason: str
    basis: LawfulBasis

    def __bool__(self) -> bool:
        return self.allowed


def _no(reason: str, basis: LawfulBasis) -> Decision:
    return Decision(allowed=False, reason=reason, basis=basis)


def recipient(
    card: ClientCard, purpose: Purpose, policy: ConsentPolicy, guardian: ClientCard | None
) -> ClientCard:
    """The card whose address a message goes to: a child's guardian for service messages.

    A child linked to a guardian (``card.guardian_id``) has the guardian receive the
    messages that deliver a booking; everything else, portal account messages included,
    is addressed to the card itself.
    """
    # Account messages (sign-in and reset links) belong to whoever holds the account.
    if (
        guardian is not None
        and purpose is not Purpose.ACCOUNT
        and policy.basis(purpose) is LawfulBasis.CONTRACT
    ):
        return guardian
    return card


def may_contact(
    card: ClientCard,
    purpose: Purpose,
    channel: Channel,
    *,
    state: ConsentState,
    policy: ConsentPolicy,
    today: dt.date,
    blacklisted: bool = False,
    guardian: ClientCard | None = None,
    suppressed: bool = False,
) -> Decision:
    """Decide whether ``card`` may receive a ``purpose`` message on ``channel`` (see above).

    ``today`` is the business's date, for the age of a child; a birth date without a
    year can't tell an age, so such a client is not treated as a child. ``guardian`` is
    the card ``card.guardian_id`` names, whose address service messages then use.
    """
    basis = policy.basis(purpose)
    marketing = purpose in DIRECT_MARKETING
    if blacklisted and marketing:
        return _no("blacklisted", basis)
    if suppressed and marketing:
        # An erased client's "do not contact" request, kept as fingerprints, reaches
        # whoever now uses the same address or number.
        return _no("suppressed", basis)
    if not _has_address(recipient(card, purpose, policy, guardian), channel):
        return _no("no_address", basis)
    if marketing and state.objects_to_marketing:
        return _no("objected", basis)
    if basis is LawfulBasis.CONTRACT:
        return Decision(allowed=True, reason="contract", basis=basis)
    choice = state.choice(purpose, channel)
    guardian_consented = choice is not None and choice.granted and choice.with_guardian
    if marketing and not guardian_consented and _is_minor(card, policy, today):
        return _no("minor_without_guardian_consent", basis)
    if choice is not None and choice.granted:
        return Decision(allowed=True, reason="consent", basis=basis)
    if choice is not None and choice.pending_until is not None:
        expired = choice.pending_until.date() < today
        return _no("confirmation_expired" if expired else "pending_confirmation", basis)
    if choice is not None:
        return _no("withdrawn", basis)
    if basis is LawfulBasis.CONSENT:
        return _no("no_consent", basis)
    if card.status is not CardStatus.ACTIVE:
        return _no("not_an_existing_customer", basis)
    if (purpose, channel) not in state.opt_out_offered:
        return _no("opt_out_not_offered", basis)
    return Decision(allowed=True, reason="soft_opt_in", basis=basis)


def may_profile(state: ConsentState) -> bool:
    """Tell whether the client's bookings may enter statistics and market research."""
    return state.is_granted(Purpose.PROFILING, None)


def _has_address(card: ClientCard, channel: Channel) -> bool:
    if channel is Channel.EMAIL:
        return card.email is not None
    if channel in _NEEDS_MOBILE:
        return card.mobile is not None
    return True


def _is_minor(card: ClientCard, policy: ConsentPolicy, today: dt.date) -> bool:
    if card.birth_date is None:
        return False
    age = card.birth_date.age_on(today)
    return age is not None and age < policy.age_of_consent
