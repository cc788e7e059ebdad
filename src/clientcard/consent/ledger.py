"""The consent ledger: every grant, withdrawal and objection, appended and never edited.

Each :class:`ConsentEvent` is proof: what was agreed to or refused (purpose and
channel), when, through which source, who recorded it, which wording the client saw, and
an optional evidence reference. :func:`replay` derives the current
:class:`ConsentState` from the events alone, the same whatever order they arrive in.

Where two events of one purpose and channel carry the same instant, the withdrawal wins:
when in doubt, do not send.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from clientcard.consent.purposes import NOT_MESSAGES, Channel, Purpose
from clientcard.errors import FieldIssue, ValidationError

__all__ = [
    "ChannelConsent",
    "ConsentAction",
    "ConsentEvent",
    "ConsentSource",
    "ConsentState",
    "GuardianConsent",
    "replay",
]


class ConsentSource(enum.Enum):
    """Where a consent change came from.

    .. versionadded:: 0.1.0
    """

    STAFF = "staff"
    """Staff at the desk."""
    BOOKING_FORM = "booking_form"
    CLIENT_PORTAL = "client_portal"
    IMPORT = "import"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    CONFIRMATION_LINK = "confirmation_link"
    """The client confirmed a double opt-in through the link they were sent."""
    API = "api"


class ConsentAction(enum.Enum):
    """What a ledger event does.

    .. versionadded:: 0.1.0
    """

    GRANT = "grant"
    WITHDRAW = "withdraw"
    OBJECT = "object"
    """An objection to direct marketing: every channel, over consent and soft opt-in."""
    WITHDRAW_OBJECTION = "withdraw_objection"
    REQUEST_CONFIRMATION = "request_confirmation"
    """Double opt-in: the client asked; consent waits for their confirmation."""
    OFFER_OPT_OUT = "offer_opt_out"
    """At collection, the client was told they may refuse these messages (soft opt-in)."""


# Later in the sort, so at the same instant the refusal is the one that stands.
_PRECEDENCE: Final = {
    ConsentAction.OFFER_OPT_OUT: 0,
    ConsentAction.REQUEST_CONFIRMATION: 0,
    ConsentAction.GRANT: 0,
    ConsentAction.WITHDRAW_OBJECTION: 0,
    ConsentAction.WITHDRAW: 1,
    ConsentAction.OBJECT: 1,
}


@attrs.frozen
class GuardianConsent:
    """A parent's or guardian's consent for a child below the age of digital consent.

    ``guardian_card_id`` is the guardian's own card when they have one; ``verified_by``
    says how the business checked they are the guardian (``in_person``,
    ``identity_document``, ``signed_form``, ...).

    .. versionadded:: 0.1.0
    """

    verified_by: str = attrs.field(validator=attrs.validators.min_len(1))
    guardian_card_id: str | None = None


def _aware(_instance: object, attribute: attrs.Attribute[dt.datetime], value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


@attrs.frozen
class ConsentEvent:
    """One entry of the ledger.

    ``purpose`` and ``channel`` name what a grant or withdrawal covers; profiling is not a
    message and has no channel. Objections and their withdrawal name neither: they cover
    all direct marketing on every channel. A grant records the ``wording_version`` of
    the text the client saw.

    .. versionadded:: 0.1.0
    """

    event_id: str
    business_id: str
    card_id: str
    action: ConsentAction
    at: dt.datetime = attrs.field(validator=_aware)
    source: ConsentSource
    recorded_by: str
    """Who recorded it: a staff member's, the client's or a system's id."""
    purpose: Purpose | None = None
    channel: Channel | None = None
    wording_version: str | None = None
    evidence_ref: str | None = attrs.field(default=None, repr=False)
    """A reference to stored evidence (a signed form, a form submission id)."""
    guardian: GuardianConsent | None = None
    expires_at: dt.datetime | None = None
    """For a confirmation request: when the confirmation link stops working."""

    def __attrs_post_init__(self) -> None:
        issues = []
        objection = self.action in (ConsentAction.OBJECT, ConsentAction.WITHDRAW_OBJECTION)
        if objection:
            if self.purpose is not None or self.channel is not None:
                issues.append(("purpose", "consent.objection_scope", "covers every purpose"))
        elif self.purpose is None:
            issues.append(("purpose", "field.required", "name the purpose"))
        elif (self.purpose in NOT_MESSAGES) != (self.channel is None):
            issues.append(("channel", "consent.channel_mismatch", "messages need a channel"))
        asks = self.action in (
            ConsentAction.GRANT,
            ConsentAction.REQUEST_CONFIRMATION,
            ConsentAction.OFFER_OPT_OUT,
        )
        if asks and not self.wording_version:
            issues.append(("wording_version", "field.required", "record the text shown"))
        if (self.action is ConsentAction.REQUEST_CONFIRMATION) != (self.expires_at is not None):
            issues.append(("expires_at", "consent.expiry_mismatch", "requests, and only they"))
        if self.guardian is not None and self.action is not ConsentAction.GRANT:
            issues.append(("guardian", "consent.guardian_on_grant", "only grants have one"))
        if issues:
            raise ValidationError(FieldIssue(*issue) for issue in issues)

    @property
    def key(self) -> tuple[Purpose, Channel | None] | None:
        """The (purpose, channel) this event decides, or ``None`` for an objection."""
        return None if self.purpose is None else (self.purpose, self.channel)


@attrs.frozen
class ChannelConsent:
    """Where one purpose and channel stand: granted or not, since when, by which event.

    .. versionadded:: 0.1.0
    """

    granted: bool
    since: dt.datetime
    event_id: str
    with_guardian: bool = False
    pending_until: dt.datetime | None = None
    """Set while a double opt-in awaits confirmation (until the link expires)."""

    def status(self, now: dt.datetime) -> str:
        """``granted``, ``withdrawn``, or for a double opt-in ``pending`` or ``expired``."""
        if self.granted:
            return "granted"
        if self.pending_until is None:
            return "withdrawn"
        return "pending" if now < self.pending_until else "expired"


Choices = Mapping[tuple[Purpose, Channel | None], ChannelConsent]


def _freeze_choices(choices: Choices) -> Choices:
    return MappingProxyType(dict(choices))


@attrs.frozen
class ConsentState:
    """The consent of one client, as the ledger says it is now.

    .. versionadded:: 0.1.0
    """

    card_id: str | None = None
    choices: Mapping[tuple[Purpose, Channel | None], ChannelConsent] = attrs.field(
        factory=dict, converter=_freeze_choices, hash=False
    )
    objecting_since: dt.datetime | None = None
    """When the client objected to direct marketing, or ``None``."""
    opt_out_offered: frozenset[tuple[Purpose, Channel | None]] = frozenset()
    """Where the client was told at collection that they may refuse (soft opt-in)."""

    def choice(self, purpose: Purpose, channel: Channel | None) -> ChannelConsent | None:
        """The latest grant or withdrawal for ``purpose`` on ``channel``, if any."""
        return self.choices.get((purpose, channel))

    def is_granted(self, purpose: Purpose, channel: Channel | None) -> bool:
        """Tell whether a grant for ``purpose`` on ``channel`` stands now."""
        found = self.choice(purpose, channel)
        return found is not None and found.granted

    @property
    def objects_to_marketing(self) -> bool:
        """Tell whether an objection to direct marketing stands."""
        return self.objecting_since is not None


def replay(events: Iterable[ConsentEvent]) -> ConsentState:
    """Derive the current state from a client's ledger, in any order given.

    :raises ValidationError: ``consent.mixed_ledger`` when the events belong to more
        than one client.
    """
    ordered = sorted(
        events, key=lambda event: (event.at, _PRECEDENCE[event.action], event.event_id)
    )
    owners = {(event.business_id, event.card_id) for event in ordered}
    if len(owners) > 1:
        raise ValidationError(
            [FieldIssue("events", "consent.mixed_ledger", "one client's events at a time")]
        )
    choices: dict[tuple[Purpose, Channel | None], ChannelConsent] = {}
    objecting: dt.datetime | None = None
    offered: set[tuple[Purpose, Channel | None]] = set()
    for event in ordered:
        if event.action is ConsentAction.OFFER_OPT_OUT:
            if event.key is not None:
                offered.add(event.key)
        elif event.action is ConsentAction.OBJECT:
            objecting = objecting or event.at
        elif event.action is ConsentAction.WITHDRAW_OBJECTION:
            objecting = None
        elif event.action is ConsentAction.REQUEST_CONFIRMATION:
            current = choices.get(event.key) if event.key is not None else None
            # Asking again never takes back a consent already given.
            if event.key is not None and not (current is not None and current.granted):
                choices[event.key] = ChannelConsent(
                    granted=False,
                    since=event.at,
                    event_id=event.event_id,
                    pending_until=event.expires_at,
                )
        elif event.key is not None:
            choices[event.key] = ChannelConsent(
                granted=event.action is ConsentAction.GRANT,
                since=event.at,
                event_id=event.event_id,
                with_guardian=event.guardian is not None,
            )
    card_id = ordered[0].card_id if ordered else None
    return ConsentState(
        card_id=card_id,
        choices=choices,
        objecting_since=objecting,
        opt_out_offered=frozenset(offered),
    )
