"""Why a business contacts a client, how, and on what lawful basis.

Defaults follow the GDPR and the ePrivacy directive as the seed products apply them:

* service messages tied to a booking (confirmations and reminders, payment reminders)
  rest on the **contract** and need no consent;
* everything promotional -- review and rebook invitations, marketing and promotions,
  birthday greetings, welcome messages -- is direct marketing and needs **consent**
  (opt-in; nothing is ever pre-ticked);
* **profiling** (using a client's bookings in statistics and market research) needs
  consent too.

A business may rest a direct-marketing purpose on **legitimate interest** instead: the EU
"soft opt-in" for similar services offered to existing customers. It then applies only
where ePrivacy allows it (see :mod:`clientcard.consent.decision`), and an objection always
wins.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from clientcard.errors import FieldIssue, ValidationError

__all__ = [
    "DEFAULT_BASES",
    "DEFAULT_DIGITAL_CONSENT_AGE",
    "DIGITAL_CONSENT_AGES",
    "DIRECT_MARKETING",
    "MESSAGE_PURPOSES",
    "NOT_MESSAGES",
    "Channel",
    "ConsentPolicy",
    "LawfulBasis",
    "Purpose",
]


class Purpose(enum.Enum):
    """What a message (or a use of the client's data) is for.

    .. versionadded:: 0.1.0
    """

    APPOINTMENT_REMINDERS = "appointment_reminders"
    """Appointment confirmations and reminders."""
    REVIEW_INVITATIONS = "review_invitations"
    REBOOK_INVITATIONS = "rebook_invitations"
    """Invitations to rebook, or to book the next appointment."""
    MARKETING = "marketing"
    """Marketing and promotions."""
    BIRTHDAY_GREETINGS = "birthday_greetings"
    """Birthday and anniversary greetings."""
    WELCOME = "welcome"
    """The welcome message on registration."""
    PAYMENT_REMINDERS = "payment_reminders"
    ACCOUNT = "account"
    """Messages about the client's portal account: sign-in and password reset links."""
    PROFILING = "profiling"
    """Using the client's bookings in statistics and market research."""
    SPECIAL_CATEGORY_DATA = "special_category_data"
    """Keeping health data (GDPR Art. 9) in the fields a schema marks sensitive."""


class Channel(enum.Enum):
    """How a message reaches the client.

    .. versionadded:: 0.1.0
    """

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WHATSAPP = "whatsapp"


class LawfulBasis(enum.Enum):
    """The GDPR Art. 6 ground a purpose rests on.

    .. versionadded:: 0.1.0
    """

    CONSENT = "consent"
    """Opt-in: allowed only while a recorded grant stands."""
    CONTRACT = "contract"
    """Service messages needed to deliver a booking."""
    LEGITIMATE_INTEREST = "legitimate_interest"
    """Soft opt-in for similar services to existing customers, with the right to object."""


DIRECT_MARKETING: Final[frozenset[Purpose]] = frozenset(
    {
        Purpose.REVIEW_INVITATIONS,
        Purpose.REBOOK_INVITATIONS,
        Purpose.MARKETING,
        Purpose.BIRTHDAY_GREETINGS,
        Purpose.WELCOME,
    }
)
"""The purposes an objection to direct marketing covers."""

NOT_MESSAGES: Final[frozenset[Purpose]] = frozenset(
    {Purpose.PROFILING, Purpose.SPECIAL_CATEGORY_DATA}
)
"""Purposes that are uses of data rather than messages: their consent has no channel."""

MESSAGE_PURPOSES: Final[tuple[Purpose, ...]] = tuple(
    purpose for purpose in Purpose if purpose not in NOT_MESSAGES
)
"""The purposes that are messages (not uses of data such as profiling), in enum order."""

DEFAULT_BASES: Final[Mapping[Purpose, LawfulBasis]] = MappingProxyType(
    {
        Purpose.APPOINTMENT_REMINDERS: LawfulBasis.CONTRACT,
        Purpose.PAYMENT_REMINDERS: LawfulBasis.CONTRACT,
        Purpose.ACCOUNT: LawfulBasis.CONTRACT,
        Purpose.REVIEW_INVITATIONS: LawfulBasis.CONSENT,
        Purpose.REBOOK_INVITATIONS: LawfulBasis.CONSENT,
        Purpose.MARKETING: LawfulBasis.CONSENT,
        Purpose.BIRTHDAY_GREETINGS: LawfulBasis.CONSENT,
        Purpose.WELCOME: LawfulBasis.CONSENT,
        Purpose.PROFILING: LawfulBasis.CONSENT,
        Purpose.SPECIAL_CATEGORY_DATA: LawfulBasis.CONSENT,
    }
)
"""The lawful basis of each purpose unless a business chooses otherwise."""

DIGITAL_CONSENT_AGES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "AT": 14, "BE": 13, "BG": 14, "CY": 14, "CZ": 15, "DE": 16, "DK": 13, "EE": 13,
        "ES": 14, "FI": 13, "FR": 15, "GB": 13, "GR": 15, "HR": 16, "HU": 16, "IE": 16,
        "IT": 14, "LT": 14, "LU": 16, "LV": 13, "MT": 13, "NL": 16, "NO": 13, "PL": 16,
        "PT": 13, "RO": 16, "SE": 13, "SI": 15, "SK": 16,
    }
)  # fmt: skip
"""The age of digital consent (GDPR Art. 8) by country, as each state has set it."""

DEFAULT_DIGITAL_CONSENT_AGE: Final = 16
"""Art. 8's own age, used for countries not in :data:`DIGITAL_CONSENT_AGES`."""


def _freeze_bases(bases: Mapping[Purpose, LawfulBasis]) -> Mapping[Purpose, LawfulBasis]:
    return MappingProxyType({**DEFAULT_BASES, **bases})


@attrs.frozen
class ConsentPolicy:
    """A business's choices: the lawful basis per purpose and the age of digital consent.

    ``bases`` overrides :data:`DEFAULT_BASES` purpose by purpose. Only direct-marketing
    purposes may move to legitimate interest, and no purpose may rest on the contract
    unless the default does: a promotion is never "needed to deliver a booking".

    .. versionadded:: 0.1.0
    """

    country: str = "IT"
    bases: Mapping[Purpose, LawfulBasis] = attrs.field(
        factory=dict, converter=_freeze_bases, hash=False
    )
    digital_consent_age: int | None = None
    """Overrides the country's age from :data:`DIGITAL_CONSENT_AGES` when set."""

    def __attrs_post_init__(self) -> None:
        issues = []
        for purpose, basis in self.bases.items():
            default = DEFAULT_BASES[purpose]
            if basis is LawfulBasis.CONTRACT and default is not LawfulBasis.CONTRACT:
                issues.append(purpose)
            if basis is LawfulBasis.LEGITIMATE_INTEREST and purpose not in DIRECT_MARKETING:
                issues.append(purpose)
        if issues:
            raise ValidationError(
                FieldIssue(
                    f"bases.{purpose.value}",
                    "consent.basis_not_allowed",
                    "this purpose cannot rest on that lawful basis",
                )
                for purpose in issues
            )

    def basis(self, purpose: Purpose) -> LawfulBasis:
        """The lawful basis ``purpose`` rests on for this business."""
        return self.bases[purpose]

    @property
    def age_of_consent(self) -> int:
        """The age below which a child's own consent to marketing is not enough."""
        if self.digital_consent_age is not None:
            return self.digital_consent_age
        return DIGITAL_CONSENT_AGES.get(self.country.upper(), DEFAULT_DIGITAL_CONSENT_AGE)
