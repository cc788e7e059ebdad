"""Consent: purposes, channels and lawful bases; the ledger of proof; contact decisions.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.consent.decision import Decision, may_contact, may_profile
from clientcard.consent.ledger import (
    ChannelConsent,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    GuardianConsent,
    replay,
)
from clientcard.consent.permissions import PROFILING_PERMISSION, SUPPRESSION_KIND
from clientcard.consent.purposes import (
    DEFAULT_BASES,
    DIRECT_MARKETING,
    MESSAGE_PURPOSES,
    NOT_MESSAGES,
    Channel,
    ConsentPolicy,
    LawfulBasis,
    Purpose,
)
from clientcard.consent.report import ConsentReport, consent_report
from clientcard.consent.tokens import (
    TokenError,
    TokenSubject,
    make_confirmation_token,
    make_unsubscribe_token,
    read_confirmation_token,
    read_unsubscribe_token,
)

__all__ = [
    "DEFAULT_BASES",
    "DIRECT_MARKETING",
    "MESSAGE_PURPOSES",
    "NOT_MESSAGES",
    "PROFILING_PERMISSION",
    "SUPPRESSION_KIND",
    "Channel",
    "ChannelConsent",
    "ConsentAction",
    "ConsentEvent",
    "ConsentPolicy",
    "ConsentReport",
    "ConsentSource",
    "ConsentState",
    "Decision",
    "GuardianConsent",
    "LawfulBasis",
    "Purpose",
    "TokenError",
    "TokenSubject",
    "consent_report",
    "make_confirmation_token",
    "make_unsubscribe_token",
    "may_contact",
    "may_profile",
    "read_confirmation_token",
    "read_unsubscribe_token",
    "replay",
]
