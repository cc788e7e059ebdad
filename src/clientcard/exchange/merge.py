"""Merging two cards that are one client, with a preview, and undoing it.

:func:`plan_merge` is pure: given the card that stays (the *survivor*), the card merged
into it (the *absorbed* one) and both consent ledgers, it returns the
:class:`MergePlan` -- the surviving card as it would be, the fields filled from the
other card, the fields where both differ (the survivor's value stays unless ``prefer``
says otherwise), the consent that would stand -- which is the preview a host shows
(:meth:`~clientcard.exchange.service.ExchangeService.preview_merge` plans with the cards
as stored now).

:meth:`~clientcard.exchange.service.ExchangeService.merge` carries the plan out in one
unit of work:

* fields: the survivor's values, empty ones filled from the other card; phones and
  tags united; notes of both kept; the earlier ``created_at``; active if either is;
* consent: both ledgers are preserved -- the other card's events are copied onto the
  survivor with their original time, source, wording and evidence -- and the
  **stricter current state wins**: where one card's grant stands and the other's
  withdrawal (or an objection) stands, a withdrawal (or objection) is recorded at the
  merge, citing it (``merge:ID``). Health data stays only if consent to keep it stands;
* history and gallery (every record of the other card), and children linked to it as
  their guardian, move to the survivor (an undo moves back the records of the kinds
  :data:`clientcard.kinds.KINDS` describes; others stay with the survivor);
* a snapshot of both cards, both ledgers and what moved is kept as a
  ``merge_snapshot`` record on the survivor until the business purges it
  (:meth:`~clientcard.exchange.service.ExchangeService.purge_merge_snapshots`), or the
  survivor is erased with it;
* a ``card.merged`` event names both cards.

:meth:`~clientcard.exchange.service.ExchangeService.undo_merge` puts both cards back
from the snapshot -- the other card with its id, fields and ledger, its records and
children moved back -- as long as the survivor was not edited since. The survivor's
ledger stays append-only: where the merge changed a consent that nothing changed since,
an event restoring the survivor's own earlier state is appended (``merge-undone:ID``);
consent recorded after the merge stays.

Two cards whose only common ground is a phone are a family (a parent booking for a
child), never a duplicate;
:meth:`~clientcard.exchange.service.ExchangeService.find_duplicates` never proposes them,
and the plan of such a merge carries the warning ``shared_phone_only``. A child and its
guardian can't be merged.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final, Literal

import attrs

from clientcard.cards.card import CardStatus, ClientCard, FieldValue
from clientcard.consent import Channel, ConsentEvent, ConsentState, Purpose, replay
from clientcard.contact.email import lookup_key
from clientcard.errors import FieldIssue, ValidationError
from clientcard.exchange.duplicates import Match, match
from clientcard.locale import message

__all__ = ["SNAPSHOT_KIND", "ConsentKey", "MergePlan", "MergeResult", "Side", "plan_merge"]

SNAPSHOT_KIND: Final = "merge_snapshot"
"""The record kind of merge snapshots, filed on the surviving card."""

_MAX_PHONES: Final = 5
_LIST_KEYS: Final = frozenset({"phones", "tags"})
Side = Literal["survivor", "absorbed"]
"""Which card's value a field keeps where both set it differently (``prefer``)."""

ConsentKey = tuple[Purpose, Channel | None]
"""A consent choice's key: a purpose, and the channel of a message purpose."""


def _issue(field: str, code: str) -> FieldIssue:
    return FieldIssue(field, code, message(code))


@attrs.frozen
class MergePlan:
    """The preview of a merge: the surviving card as it would be, and why.

    ``filled`` are fields taken from the absorbed card; ``conflicts`` fields both cards
    set differently (the survivor's value stays unless ``prefer`` chose the other);
    ``stricter`` the consent keys (``purpose.channel``, or ``objection``) where a
    refusal on one card overrides a grant on the other; ``warnings`` codes such as
    ``shared_phone_only``, ``different_names`` or ``phones_dropped``.

    .. versionadded:: 0.1.0
    """

    survivor: ClientCard
    absorbed: ClientCard
    result: ClientCard
    filled: tuple[str, ...]
    conflicts: tuple[str, ...]
    stricter: tuple[str, ...]
    consent: ConsentState
    match: Match
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[str, ...]:
        """The fields of the survivor the merge changes."""
        before, after = self.survivor.values(), self.result.values()
        return tuple(
            sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (ids, field names and codes; no values)."""
        return {
            "survivor_id": self.survivor.id,
            "absorbed_id": self.absorbed.id,
            "changed": list(self.changed),
            "filled": list(self.filled),
            "conflicts": list(self.conflicts),
            "stricter": list(self.stricter),
            "score": self.match.score,
            "reasons": list(self.match.reasons),
            "warnings": list(self.warnings),
        }


@attrs.frozen
class MergeResult:
    """A merge done: its id (to undo it), the surviving card and the plan it followed.

    .. versionadded:: 0.1.0
    """

    merge_id: str
    card: ClientCard
    plan: MergePlan


def _key_name(key: ConsentKey) -> str:
    purpose, channel = key
    return purpose.value if channel is None else f"{purpose.value}.{channel.value}"


def _refused(state: ConsentState, key: ConsentKey) -> bool:
    choice = state.choices.get(key)
    return choice is not None and not choice.granted and choice.pending_until is None


def _merged_values(
    mine: Mapping[str, FieldValue], theirs: Mapping[str, FieldValue], prefer: Mapping[str, Side]
) -> tuple[dict[str, FieldValue], list[str], list[str], list[str]]:
    """The survivor's changes: fields filled, lists united, notes joined, conflicts named."""
    values: dict[str, FieldValue] = {}
    filled: list[str] = []
    conflicts: list[str] = []
    warnings: list[str] = []
    for key in sorted(theirs.keys() | mine.keys()):
        own, other = mine.get(key), theirs.get(key)
        if other is None or own == other or (key == "email" and _same_address(own, other)):
            continue
        if own is None:
            values[key] = other
            filled.append(key)
        elif key in _LIST_KEYS and isinstance(own, tuple) and isinstance(other, tuple):
            values[key] = tuple(dict.fromkeys((*own, *other)))
            filled.append(key)
        elif key == "notes":
            values[key] = f"{own}\n\n{other}"
            filled.append(key)
        else:
            conflicts.append(key)
            if prefer.get(key) == "absorbed":
                values[key] = other
    phones = values.get("phones")
    if isinstance(phones, tuple) and len(phones) > _MAX_PHONES:
        values["phones"] = phones[:_MAX_PHONES]
        warnings.append("phones_dropped")
    return values, filled, conflicts, warnings


def _same_address(own: FieldValue, other: FieldValue) -> bool:
    return isinstance(own, str) and isinstance(other, str) and lookup_key(own) == lookup_key(other)


def _stricter(mine: ConsentState, theirs: ConsentState, merged: ConsentState) -> list[str]:
    """The consent keys where a refusal on one card must override the union's grant."""
    keys = sorted(
        mine.choices.keys() | theirs.choices.keys(),
        key=lambda item: (item[0].value, item[1].value if item[1] else ""),
    )
    stricter = [
        _key_name(key)
        for key in keys
        if merged.is_granted(*key) and (_refused(mine, key) or _refused(theirs, key))
    ]
    if (mine.objects_to_marketing or theirs.objects_to_marketing) and (
        not merged.objects_to_marketing
    ):
        stricter.append("objection")
    return stricter


def plan_merge(
    survivor: ClientCard,
    absorbed: ClientCard,
    survivor_ledger: Sequence[ConsentEvent],
    absorbed_ledger: Sequence[ConsentEvent],
    *,
    at: dt.datetime,
    sensitive_keys: frozenset[str] = frozenset(),
    prefer: Mapping[str, Side] | None = None,
) -> MergePlan:
    """Work out a merge of ``absorbed`` into ``survivor`` without changing anything.

    :raises ValidationError: ``merge.same_card``, ``merge.other_business`` or
        ``merge.guardian_link`` (a child and its guardian are two people).

    .. versionadded:: 0.1.0
    """
    if survivor.id == absorbed.id:
        raise ValidationError([_issue("card_id", "merge.same_card")])
    if survivor.business_id != absorbed.business_id:
        raise ValidationError([_issue("business_id", "merge.other_business")])
    if absorbed.id == survivor.guardian_id or survivor.id == absorbed.guardian_id:
        raise ValidationError([_issue("guardian_id", "merge.guardian_link")])
    mine = survivor.values()
    values, filled, conflicts, warnings = _merged_values(mine, absorbed.values(), prefer or {})
    copies = [attrs.evolve(event, card_id=survivor.id) for event in absorbed_ledger]
    merged_state = replay([*survivor_ledger, *copies])
    stricter = _stricter(replay(survivor_ledger), replay(absorbed_ledger), merged_state)
    keeps_health = merged_state.is_granted(Purpose.SPECIAL_CATEGORY_DATA, None) and (
        "special_category_data" not in stricter
    )
    if not keeps_health:
        for key in sensitive_keys:
            if key in values or mine.get(key) is not None:
                values[key] = None
    status = (
        CardStatus.ACTIVE
        if CardStatus.ACTIVE in (survivor.status, absorbed.status)
        else survivor.status
    )
    result = survivor.apply(values, at=at).card if values else survivor
    result = attrs.evolve(
        result,
        version=survivor.version + 1,
        updated_at=at,
        status=status,
        created_at=min(survivor.created_at, absorbed.created_at),
        guardian_id=survivor.guardian_id or absorbed.guardian_id,
    )
    found = match(survivor, absorbed)
    if (
        found.reasons
        and set(found.reasons) & {"shared_phone"}
        and not (set(found.reasons) & {"same_email", "same_name", "similar_name"})
    ):
        warnings.append("shared_phone_only")
    if "different_names" in found.reasons:
        warnings.append("different_names")
    return MergePlan(
        survivor=survivor,
        absorbed=absorbed,
        result=result,
        filled=tuple(filled),
        conflicts=tuple(conflicts),
        stricter=tuple(stricter),
        consent=merged_state,
        match=found,
        warnings=tuple(warnings),
    )
