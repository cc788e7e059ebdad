"""A business: the tenant that owns client cards, with its settings and field schema.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import attrs

from clientcard.cards.schema import FieldSchema
from clientcard.consent.purposes import ConsentPolicy, LawfulBasis, Purpose
from clientcard.contact import address
from clientcard.errors import FieldIssue, ValidationError
from clientcard.locale import LANGUAGES

__all__ = ["Business", "is_time_zone"]

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
    if not is_time_zone(business.time_zone):
        issues.append(
            FieldIssue("time_zone", "business.time_zone_invalid", "use an IANA zone (Europe/Rome)")
        )
    if business.quiet_hours is not None and business.quiet_hours[0] == business.quiet_hours[1]:
        issues.append(FieldIssue("quiet_hours", "business.quiet_hours_empty", "start != end"))
    if issues:
        raise ValidationError(issues)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: object) -> bool:
    """Tell whether ``name`` is an IANA time zone this system knows, spelled as the database does.

    >>> is_time_zone("Europe/Rome"), is_time_zone("europe/rome"), is_time_zone("Mars/Olympus")
    (True, False, False)

    .. versionadded:: 0.1.0
    """
    if not isinstance(name, str) or not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    known = _known_zones()
    # Without a list of zones (no tz database files to walk), loading it is the proof.
    return not known or name in known


def _freeze_bases(bases: Mapping[Purpose, LawfulBasis]) -> Mapping[Purpose, LawfulBasis]:
    return MappingProxyType(dict(bases))


@attrs.frozen
class Business:
    """A business (salon, studio, practice) and how its client cards are kept.

    ``region`` is the ISO country whose phone numbering reads numbers typed without a
    prefix, and the default country of addresses; ``language`` is the language of
    messages shown to its staff and of the reports it hands its clients; ``time_zone``
    the IANA zone its days are counted in: birthdays, "today" in validation, months of
    statistics, retention and request deadlines (:meth:`today`).

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
    time_zone: str = "UTC"
    """The IANA time zone of the business (``Europe/Rome``): its days, months and quiet hours."""
    quiet_hours: tuple[dt.time, dt.time] | None = None
    """Local (start, end) during which no marketing goes out; it may span midnight."""

    def quiet_until(self, at: dt.datetime) -> dt.datetime | None:
        """Return when the quiet hours around ``at`` end, or ``None`` if ``at`` is not in them."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours
        local = self.local(at)
        now = local.time()
        quiet = start <= now < end if start <= end else (now >= start or now < end)
        if not quiet:
            return None
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += dt.timedelta(days=1)
        return ends.astimezone(dt.UTC)

    @property
    def timezone(self) -> str:
        """The same as :attr:`time_zone` (the name it had before), kept for older hosts."""
        return self.time_zone

    def local(self, at: dt.datetime) -> dt.datetime:
        """Return the instant ``at`` as the business's wall clock shows it."""
        return at.astimezone(ZoneInfo(self.time_zone))

    def today(self, at: dt.datetime) -> dt.date:
        """Return the business's date at the instant ``at``: its "today".

        >>> late = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
        >>> Business(id="b", name="S", region="IT", language="it", created_at=late,
        ...          time_zone="Europe/Rome").today(late)
        datetime.date(2026, 11, 23)
        """
        return self.local(at).date()

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
