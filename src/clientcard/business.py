"""A business: the tenant that owns client cards, with its settings and field schema.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from clientcard.cards.schema import FieldSchema
from clientcard.consent.purposes import ConsentPolicy, LawfulBasis, Purpose
from clientcard.contact import address
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import LANGUAGES

__all__ = ["Business"]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}")


def _check(business: Business) -> None:
    issues = []
    if not _ID.fullmatch(business.id):
        issues.append(FieldIssue("id", "business.id_invalid", "use 1-128 of A-Z a-z 0-9 _ . : -"))
    if not business.name.strip() or len(business.name) > 200 or "\x00" in business.name:
        issues.append(FieldIssue("name", "business.name_invalid", "give a name of 1-200 chars"))
    if business.region not in address.COUNTRIES:
        issues.append(FieldIssue("region", "country.invalid", "use an ISO alpha-2 code"))
    if business.language not in LANGUAGES:
        issues.append(FieldIssue("language", "business.language_invalid", "use en, it or nl"))
    try:
        ZoneInfo(business.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(FieldIssue("timezone", "business.timezone_invalid", "use an IANA zone"))
    if business.quiet_hours is not None and business.quiet_hours[0] == business.quiet_hours[1]:
        issues.append(FieldIssue("quiet_hours", "business.quiet_hours_empty", "start != end"))
    if issues:
        raise ValidationError(issues)


def _freeze_bases(bases: Mapping[Purpose, LawfulBasis]) -> Mapping[Purpose, LawfulBasis]:
    return MappingProxyType(dict(bases))


@attrs.frozen
class Business:
    """A business (salon, studio, practice) and how its client cards are kept.

    ``region`` is the ISO country whose phone numbering reads numbers typed without a
    prefix, and the default country of addresses; ``language`` is the language of
    messages shown to its staff.

    .. versionadded:: 0.1.0
    """

    id: str
    name: str
    region: str
    language: str
    created_at: dt.datetime
    schema: FieldSchema = attrs.field(factory=FieldSchema.default)
    lawful_bases: Mapping[Purpose, LawfulBasis] = attrs.field(
        factory=dict, converter=_freeze_bases, hash=False
    )
    """The business's choices of lawful basis, over :data:`~clientcard.consent.DEFAULT_BASES`."""
    digital_consent_age: int | None = None
    """Overrides the country's age of digital consent when set."""
    timezone: str = "UTC"
    """The IANA time zone of the business (``Europe/Rome``), for its clock and quiet hours."""
    quiet_hours: tuple[dt.time, dt.time] | None = None
    """Local (start, end) during which no marketing goes out; it may span midnight."""

    def quiet_until(self, at: dt.datetime) -> dt.datetime | None:
        """Return when the quiet hours around ``at`` end, or ``None`` if ``at`` is not in them."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = at.astimezone(ZoneInfo(self.timezone))
        now = local.time()
        quiet = start <= now < end if start <= end else (now >= start or now < end)
        if not quiet:
            return None
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += dt.timedelta(days=1)
        return ends.astimezone(dt.UTC)

    def __attrs_post_init__(self) -> None:
        _check(self)
        self.consent_policy  # noqa: B018 - builds the policy, so bad choices fail here

    @property
    def consent_policy(self) -> ConsentPolicy:
        """The consent policy these settings make (country, bases, age of consent)."""
        return ConsentPolicy(
            country=self.region,
            bases=self.lawful_bases,
            digital_consent_age=self.digital_consent_age,
        )

    def with_schema(self, schema: FieldSchema) -> Business:
        """Return the business with ``schema`` in place of its current one."""
        return attrs.evolve(self, schema=schema)
