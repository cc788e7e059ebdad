"""Erasure policies: what forgetting a client does, per business and per kind of data.

A business chooses an :class:`ErasurePolicy` once (``desk.erasure.set_policy``); every
erasure, planned by staff or due under a retention rule, follows it:

* :attr:`ErasureMode.DELETE` -- the seed products' behaviour: the card goes with its
  whole history.
* :attr:`ErasureMode.ANONYMISE` -- identity goes, history stays: each kind of record is
  treated as :mod:`clientcard.kinds` describes it (appointments lose their notes and are
  detached, conversations and photos are deleted), so aggregate statistics keep counting.

Per kind, ``treatments`` may choose the other mode (delete appointments even while
anonymising, say). Two things hold whatever the mode:

* **Legal holds.** Fiscal records (payments, invoices) must be kept for years: in Italy
  ten (Codice civile, art. 2220; DPR 600/1973, art. 22), in the Netherlands seven
  (Algemene wet inzake rijksbelastingen, art. 52). Erasure keeps only the fields the law
  asks for (:attr:`~clientcard.kinds.RecordKind.kept_fields`), detached from the card and
  marked with the day the hold ends, when retention deletes them. A country not listed in
  :data:`LEGAL_HOLD_YEARS` gets :data:`DEFAULT_LEGAL_HOLD_YEARS`; set
  ``legal_hold_years`` to what your accountant says.
* **Blocks and suppression.** Blacklist entries survive erasure (and a plain delete of the
  card), as keyed fingerprints only, while ``keep_blocks`` says so -- the default, as the
  salon products a business moves from keep a blocked client blocked; a lifted block keeps
  no fingerprint. ``suppress_contacts`` keeps fingerprints of the client's e-mail and
  phones so a "do not contact" request outlives the card; it is off by default. A
  fingerprint is still personal data under the GDPR (it can be matched by whoever holds
  the key): a kept block rests on the business's legitimate interest in not serving
  someone it blocked for a reason (Art. 6(1)(f)); set ``keep_blocks=False`` where that
  interest does not hold.

>>> policy = ErasurePolicy(mode=ErasureMode.ANONYMISE)
>>> policy.hold_years("NL"), policy.hold_years("IT")
(7, 10)
>>> policy.action("conversation", ErasureMode.ANONYMISE).value
'delete'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from clientcard.cards.card import IDENTITY_KEYS
from clientcard.consent.purposes import Purpose
from clientcard.erasure._documents import from_document, to_document
from clientcard.errors import FieldIssue, ValidationError
from clientcard.kinds import ErasureTreatment, kind_of
from clientcard.locale import message

__all__ = [
    "DEFAULT_LEGAL_HOLD_YEARS",
    "LEGAL_HOLD_YEARS",
    "POLICY_DOCUMENT_VERSION",
    "ErasureMode",
    "ErasurePolicy",
    "RecordAction",
    "RetentionRules",
    "policy_from_dict",
    "policy_to_dict",
]

LEGAL_HOLD_YEARS: Final[Mapping[str, int]] = MappingProxyType({"IT": 10, "NL": 7})
"""Years fiscal records are kept, by country: Italy ten (c.c. art. 2220), the Netherlands
seven (AWR art. 52)."""

DEFAULT_LEGAL_HOLD_YEARS: Final = 10
"""The hold of a country :data:`LEGAL_HOLD_YEARS` does not list: the longest one known,
so nothing the law may ask for is deleted early."""

POLICY_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` written on erasure policy documents."""

_MAX_MONTHS: Final = 1200
_MAX_HOLD_YEARS: Final = 30


class ErasureMode(enum.Enum):
    """What erasing a client does to their card and history.

    .. versionadded:: 0.1.0
    """

    DELETE = "delete"
    """The card and its history go (what the seed products do); legal holds and kept
    blocks stay, without identity."""
    ANONYMISE = "anonymise"
    """The card goes; history stays without identity, as each record kind describes."""


class RecordAction(enum.Enum):
    """What one erasure does to one record of the client.

    .. versionadded:: 0.1.0
    """

    DELETE = "delete"
    ANONYMISE = "anonymise"
    """Detached from the card, its identity fields removed."""
    HOLD = "hold"
    """Kept under a legal hold: detached, fiscal fields only, until the hold ends."""
    SUPPRESS = "suppress"
    """A block kept as fingerprints only (the business's policy keeps blocks)."""
    KEEP = "keep"
    """Detached and kept as it is (kinds that hold no personal data)."""


def _issue(field: str, code: str) -> FieldIssue:
    return FieldIssue(field, code, message(code))


def _positive(value: int | None) -> bool:
    return value is None or 0 < value <= _MAX_MONTHS


def _freeze(values: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(values))


@attrs.frozen
class RetentionRules:
    """When clients and their data are due for erasure, on four clocks.

    :param inactive_months: erase clients whose last visit (their latest completed
        appointment, or the card's creation when they never came) is older than this.
    :param prospect_days: erase prospects who never booked this many days after the
        card was created.
    :param consent_months: per purpose, a consent lapses this long after it was given
        (the Italian Garante's guidance: 24 months for marketing, 12 for profiling); a
        lapse is recorded in the ledger as a withdrawal, and a lapsed
        ``special_category_data`` consent clears the health fields with it.
    :param field_months: per field key, the field is cleared when the last visit is older
        than this (health notes may live shorter than the card).
    :param inactive_mode: how clients due under ``inactive_months`` or ``prospect_days``
        are erased; the policy's mode when unset.

    A client with an upcoming booking is never due. Every rule is off by default.

    .. versionadded:: 0.1.0
    """

    inactive_months: int | None = None
    prospect_days: int | None = None
    consent_months: Mapping[Purpose, int] = attrs.field(factory=dict, converter=_freeze)
    field_months: Mapping[str, int] = attrs.field(factory=dict, converter=_freeze)
    inactive_mode: ErasureMode | None = None

    def __attrs_post_init__(self) -> None:
        issues = []
        if not _positive(self.inactive_months):
            issues.append(_issue("inactive_months", "erasure.period_invalid"))
        if not _positive(self.prospect_days):
            issues.append(_issue("prospect_days", "erasure.period_invalid"))
        issues.extend(
            _issue(f"consent_months.{purpose.value}", "erasure.period_invalid")
            for purpose, months in self.consent_months.items()
            if not _positive(months)
        )
        for key, months in self.field_months.items():
            if not _positive(months):
                issues.append(_issue(f"field_months.{key}", "erasure.period_invalid"))
            if key in IDENTITY_KEYS:
                # Clearing every identity field would leave a card nobody can tell apart:
                # that is an erasure, and the inactivity rule says when.
                issues.append(_issue(f"field_months.{key}", "erasure.identity_field"))
        if issues:
            raise ValidationError(issues)

    @property
    def is_empty(self) -> bool:
        """Tell whether no rule is set (nothing is ever due)."""
        return not (
            self.inactive_months or self.prospect_days or self.consent_months or self.field_months
        )


@attrs.frozen
class ErasurePolicy:
    """How one business erases clients (see the module docs).

    :param mode: what an erasure does when it names no mode.
    :param treatments: per record kind, the mode that applies to it instead (a kind can
        be anonymised only if :mod:`clientcard.kinds` says how; fiscal records and
        blocks follow their own rules).
    :param legal_hold_years: years fiscal records are kept; the business's country's
        hold (:data:`LEGAL_HOLD_YEARS`) when unset, ``0`` for none.
    :param keep_blocks: keep blacklist entries that still apply through erasure and a
        plain delete, as fingerprints only (on by default).
    :param suppress_contacts: keep fingerprints of an erased client's e-mail and phones
        so a "do not contact" request survives (personal data: see the module docs).
    :param retention: the rules that make clients due for erasure.

    .. versionadded:: 0.1.0
    """

    mode: ErasureMode = ErasureMode.DELETE
    treatments: Mapping[str, ErasureMode] = attrs.field(factory=dict, converter=_freeze)
    legal_hold_years: int | None = None
    keep_blocks: bool = True
    suppress_contacts: bool = False
    retention: RetentionRules = attrs.field(factory=RetentionRules)

    def __attrs_post_init__(self) -> None:
        issues = []
        for kind, mode in self.treatments.items():
            described = kind_of(kind).treatment
            if described in (
                ErasureTreatment.FISCAL,
                ErasureTreatment.SUPPRESSION,
                ErasureTreatment.KEEP,
            ):
                issues.append(_issue(f"treatments.{kind}", "erasure.treatment_fixed"))
            elif mode is ErasureMode.ANONYMISE and described is not ErasureTreatment.ANONYMISE:
                issues.append(_issue(f"treatments.{kind}", "erasure.not_anonymisable"))
        if self.legal_hold_years is not None and not (
            0 <= self.legal_hold_years <= _MAX_HOLD_YEARS
        ):
            issues.append(_issue("legal_hold_years", "erasure.period_invalid"))
        if issues:
            raise ValidationError(issues)

    def hold_years(self, country: str) -> int:
        """Years fiscal records are kept in ``country`` under this policy."""
        if self.legal_hold_years is not None:
            return self.legal_hold_years
        return LEGAL_HOLD_YEARS.get(country.upper(), DEFAULT_LEGAL_HOLD_YEARS)

    def action(self, kind: str, mode: ErasureMode | None = None) -> RecordAction:
        """What erasing in ``mode`` (the policy's own by default) does to a ``kind`` record.

        Legal holds are not judged here: a :attr:`RecordAction.HOLD` record whose hold has
        already ended is deleted instead (:func:`clientcard.erasure.plan.decide`).
        """
        described = kind_of(kind).treatment
        if described is ErasureTreatment.FISCAL:
            return RecordAction.HOLD
        if described is ErasureTreatment.SUPPRESSION:
            return RecordAction.SUPPRESS if self.keep_blocks else RecordAction.DELETE
        if described is ErasureTreatment.KEEP:
            return RecordAction.KEEP
        chosen = self.treatments.get(kind, mode or self.mode)
        if chosen is ErasureMode.ANONYMISE and described is ErasureTreatment.ANONYMISE:
            return RecordAction.ANONYMISE
        return RecordAction.DELETE


def policy_to_dict(policy: ErasurePolicy) -> dict[str, Any]:
    """Return a JSON-ready dict of ``policy``, with ``schema_version``."""
    return to_document(policy, POLICY_DOCUMENT_VERSION)


def policy_from_dict(document: object) -> ErasurePolicy:
    """Read a policy back from :func:`policy_to_dict`'s output.

    :raises DocumentError: the document is malformed or of another version.
    """
    return from_document("erasure_policy", document, POLICY_DOCUMENT_VERSION, ErasurePolicy)
