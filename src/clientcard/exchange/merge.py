"""Merging two cards that are one client, with a preview, and undoing it.

:func:`plan_merge` is pure: given the card that stays (the *survivor*), the card merged
into it (the *absorbed* one) and both consent ledgers, it returns the
:class:`MergePlan` -- the surviving card as it would be, the fields filled from the
other card, the fields where both differ (the survivor's value stays unless ``prefer``
says otherwise), the consent that would stand -- which is the preview a host shows.

:func:`merge_cards` carries the plan out in one unit of work:

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
  (:func:`purge_merge_snapshots`), or the survivor is erased with it;
* a ``card.merged`` event names both cards.

:func:`undo_merge` puts both cards back from the snapshot -- the other card with its
id, fields and ledger, its records and children moved back -- as long as the survivor
was not edited since. The survivor's ledger stays append-only: where the merge changed
a consent that nothing changed since, an event restoring the survivor's own earlier
state is appended (``merge-undone:ID``); consent recorded after the merge stays.

Two cards whose only common ground is a phone are a family (a parent booking for a
child), never a duplicate; :func:`find_duplicates` never proposes them, and the plan of
such a merge carries the warning ``shared_phone_only``. A child and its guardian can't
be merged.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from clientcard.card import CardStatus, ClientCard, FieldValue
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    ConsentState,
    Purpose,
    replay,
)
from clientcard.errors import FieldIssue, NotFoundError, ValidationError, VersionConflictError
from clientcard.events import DomainEvent, EventKind
from clientcard.exchange.duplicates import Match, match
from clientcard.kinds import KINDS
from clientcard.locale import message
from clientcard.portal.accounts import ACCOUNT_KIND, LINK_KIND, LOGIN_KIND
from clientcard.serialization import (
    card_from_dict,
    card_to_dict,
    consent_event_from_dict,
    consent_event_to_dict,
)
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard.book import ClientBook

__all__ = [
    "SNAPSHOT_KIND",
    "MergePlan",
    "MergeResult",
    "merge_cards",
    "plan_merge",
    "preview_merge",
    "purge_merge_snapshots",
    "undo_merge",
]

SNAPSHOT_KIND: Final = "merge_snapshot"
"""The record kind of merge snapshots, filed on the surviving card."""

_MAX_PHONES: Final = 5
_LIST_KEYS: Final = frozenset({"phones", "tags"})
Side = Literal["survivor", "absorbed"]

ConsentKey = tuple[Purpose, Channel | None]


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
    return isinstance(own, str) and isinstance(other, str) and own.casefold() == other.casefold()


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


def preview_merge(
    book: ClientBook,
    business_id: str,
    survivor_id: str,
    absorbed_id: str,
    *,
    prefer: Mapping[str, Side] | None = None,
) -> MergePlan:
    """The plan :func:`merge_cards` would follow now, for a host to show first.

    .. versionadded:: 0.1.0
    """
    store = book.store
    survivor = store.get(business_id, survivor_id)
    absorbed = store.get(business_id, absorbed_id)
    return plan_merge(
        survivor,
        absorbed,
        store.consent_events(business_id, survivor_id),
        store.consent_events(business_id, absorbed_id),
        at=book.clock.now(),
        sensitive_keys=store.get_business(business_id).schema.sensitive_keys,
        prefer=prefer,
    )


def _records_of(book: ClientBook, business_id: str, card_id: str) -> Iterator[tuple[str, str]]:
    for kind in (*KINDS, SNAPSHOT_KIND):
        cursor: str | None = None
        while True:
            page = book.store.find_records(
                business_id, RecordQuery(kind=kind, card_id=card_id), limit=500, cursor=cursor
            )
            for record in page:
                yield record.kind, record.id
            cursor = page.next_cursor
            if cursor is None:
                break


def _wards(book: ClientBook, business_id: str, guardian_id: str) -> list[ClientCard]:
    found: list[ClientCard] = []
    cursor: str | None = None
    while True:
        page = book.store.find(
            business_id, CardQuery(guardian_id=guardian_id), limit=500, cursor=cursor
        )
        found.extend(page)
        cursor = page.next_cursor
        if cursor is None:
            return found


def _stricter_events(
    plan: MergePlan, merge_id: str, at: dt.datetime, recorded_by: str, new_id: Any
) -> list[ConsentEvent]:
    events = []
    for name in plan.stricter:
        if name == "objection":
            purpose, channel, action = None, None, ConsentAction.OBJECT
        else:
            head, _, tail = name.partition(".")
            purpose, channel = Purpose(head), Channel(tail) if tail else None
            action = ConsentAction.WITHDRAW
        events.append(
            ConsentEvent(
                event_id=new_id(),
                business_id=plan.survivor.business_id,
                card_id=plan.survivor.id,
                action=action,
                at=at,
                source=ConsentSource.STAFF,
                recorded_by=recorded_by,
                purpose=purpose,
                channel=channel,
                evidence_ref=f"merge:{merge_id}",
            )
        )
    return events


def merge_cards(
    book: ClientBook,
    business_id: str,
    survivor_id: str,
    absorbed_id: str,
    *,
    expected_versions: tuple[int, int],
    recorded_by: str = "staff",
    prefer: Mapping[str, Side] | None = None,
) -> MergeResult:
    """Merge ``absorbed_id`` into ``survivor_id`` (see the module docs); undoable.

    ``expected_versions`` are the versions of both cards the caller previewed.

    :raises VersionConflictError: either card changed since it was read.
    :raises ValidationError: see :func:`plan_merge`.
    :raises NotFoundError: either card is not in this business.

    .. versionadded:: 0.1.0
    """
    merge_id = book._new_id()

    def work() -> MergeResult:
        store = book.store
        now = book.clock.now()
        plan = preview_merge(book, business_id, survivor_id, absorbed_id, prefer=prefer)
        for card, expected in zip((plan.survivor, plan.absorbed), expected_versions, strict=True):
            if card.version != expected:
                raise VersionConflictError(card.id, expected, card.version)
        absorbed_ledger = store.consent_events(business_id, absorbed_id)
        survivor_ledger = store.consent_events(business_id, survivor_id)
        copies = [
            attrs.evolve(event, event_id=book._new_id(), card_id=survivor_id)
            for event in absorbed_ledger
        ]
        stricter = _stricter_events(plan, merge_id, now, recorded_by, book._new_id)
        moved = list(_records_of(book, business_id, absorbed_id))
        wards = _wards(book, business_id, absorbed_id)
        snapshot = Record(
            business_id=business_id,
            kind=SNAPSHOT_KIND,
            id=merge_id,
            at=now,
            card_id=survivor_id,
            key=absorbed_id,
            doc={
                "survivor": card_to_dict(plan.survivor),
                "absorbed": card_to_dict(plan.absorbed),
                "absorbed_ledger": [consent_event_to_dict(e) for e in absorbed_ledger],
                "survivor_events": [e.event_id for e in survivor_ledger],
                "added_events": [e.event_id for e in (*copies, *stricter)],
                "records": [[kind, record_id] for kind, record_id in moved],
                "wards": [ward.id for ward in wards],
                "merged_version": plan.result.version,
                "recorded_by": recorded_by,
            },
        )
        # A portal account is the absorbed client's sign-in, not history: it ends with
        # the merge (a card has one account), and the client signs up on the survivor.
        for kind in (ACCOUNT_KIND, LOGIN_KIND, LINK_KIND):
            store.delete_records(business_id, card_id=absorbed_id, kind=kind)
        store.reassign_records(business_id, absorbed_id, survivor_id)
        store.delete(business_id, absorbed_id, expected_version=plan.absorbed.version)
        store.update(plan.result, expected_version=plan.survivor.version)
        if copies or stricter:
            store.append_consent([*copies, *stricter])
        for ward in wards:
            book._save(ward.with_guardian(survivor_id, at=now))
        store.add_records([snapshot])
        book._refresh_permissions(plan.result)
        events = [
            DomainEvent(
                event_id=book._new_id(),
                kind=EventKind.CARD_MERGED,
                business_id=business_id,
                occurred_at=now,
                card_id=survivor_id,
                card_version=plan.result.version,
                fields=plan.changed,
                related_card_id=absorbed_id,
            )
        ]
        if copies or stricter:
            events.append(
                book._event(EventKind.CONSENT_CHANGED, business_id, plan.result, ["merge"])
            )
        book.store_events(events)
        return MergeResult(merge_id=merge_id, card=plan.result, plan=plan)

    return book._write(work)


def _restoring_events(
    current: Sequence[ConsentEvent],
    *,
    added: frozenset[str],
    merge_id: str,
    at: dt.datetime,
    recorded_by: str,
    new_id: Any,
) -> list[ConsentEvent]:
    """Events that bring the survivor's consent back to its own, where the merge set it."""
    now_state = replay(current)
    own = [event for event in current if event.event_id not in added]
    own_state = replay(own)
    by_id = {event.event_id: event for event in current}
    restoring: list[ConsentEvent] = []
    if not current:
        return []
    card_id, business_id = current[0].card_id, current[0].business_id
    for key, choice in now_state.choices.items():
        if choice.event_id not in added:
            continue  # decided after the merge, by the client or staff: it stands
        target = own_state.choices.get(key)
        granted = target is not None and target.granted
        if granted == choice.granted:
            continue
        source_event = by_id[target.event_id] if target is not None else None
        restoring.append(
            ConsentEvent(
                event_id=new_id(),
                action=ConsentAction.GRANT if granted else ConsentAction.WITHDRAW,
                at=at,
                source=ConsentSource.STAFF,
                recorded_by=recorded_by,
                purpose=key[0],
                channel=key[1],
                wording_version=source_event.wording_version if granted and source_event else None,
                guardian=source_event.guardian if granted and source_event else None,
                evidence_ref=f"merge-undone:{merge_id}"
                + (f":{source_event.event_id}" if granted and source_event else ""),
                card_id=card_id,
                business_id=business_id,
            )
        )
    if now_state.objects_to_marketing != own_state.objects_to_marketing:
        objecting = [e for e in current if e.action is ConsentAction.OBJECT]
        if (
            all(event.event_id in added for event in objecting)
            or not own_state.objects_to_marketing
        ):
            restoring.append(
                ConsentEvent(
                    event_id=new_id(),
                    action=ConsentAction.OBJECT
                    if own_state.objects_to_marketing
                    else ConsentAction.WITHDRAW_OBJECTION,
                    at=at,
                    source=ConsentSource.STAFF,
                    recorded_by=recorded_by,
                    evidence_ref=f"merge-undone:{merge_id}",
                    card_id=card_id,
                    business_id=business_id,
                )
            )
    return restoring


def undo_merge(
    book: ClientBook, business_id: str, merge_id: str, *, recorded_by: str = "staff"
) -> tuple[ClientCard, ClientCard]:
    """Undo a merge from its snapshot; return the survivor and the restored card.

    :raises NotFoundError: no such merge (never made, undone already, or purged).
    :raises VersionConflictError: the surviving card was edited since the merge.
    :raises DuplicateError: a card with the merged card's id exists again.

    .. versionadded:: 0.1.0
    """

    def work() -> tuple[ClientCard, ClientCard]:
        store = book.store
        now = book.clock.now()
        snapshot = store.get_record(business_id, SNAPSHOT_KIND, merge_id)
        doc = snapshot.doc
        before = card_from_dict(doc["survivor"])
        absorbed = card_from_dict(doc["absorbed"])
        current = store.get(business_id, before.id)
        merged_version = int(doc["merged_version"])
        if current.version != merged_version:
            raise VersionConflictError(current.id, merged_version, current.version)
        restored = attrs.evolve(before, version=current.version + 1, updated_at=now)
        store.update(restored, expected_version=current.version)
        store.add(absorbed)
        ledger = [consent_event_from_dict(item) for item in doc["absorbed_ledger"]]
        if ledger:
            store.append_consent(ledger)
        added = frozenset(str(event_id) for event_id in doc["added_events"])
        compensation = _restoring_events(
            store.consent_events(business_id, before.id),
            added=added,
            merge_id=merge_id,
            at=now,
            recorded_by=recorded_by,
            new_id=book._new_id,
        )
        if compensation:
            store.append_consent(compensation)
        for kind, record_id in doc["records"]:
            try:
                record = store.get_record(business_id, kind, record_id)
            except NotFoundError:
                continue
            if record.card_id == before.id:
                store.update_record(
                    record.revised(record.doc, card_id=absorbed.id),
                    expected_revision=record.revision,
                )
        for ward_id in doc["wards"]:
            try:
                ward = store.get(business_id, ward_id)
            except NotFoundError:
                continue
            if ward.guardian_id == before.id:
                book._save(ward.with_guardian(absorbed.id, at=now))
        store.delete_records(business_id, kind=SNAPSHOT_KIND, record_ids=[merge_id])
        book._refresh_permissions(restored)
        book._refresh_permissions(absorbed)
        book.store_events(
            [
                DomainEvent(
                    event_id=book._new_id(),
                    kind=EventKind.CARD_MERGE_UNDONE,
                    business_id=business_id,
                    occurred_at=now,
                    card_id=before.id,
                    card_version=restored.version,
                    fields=tuple(sorted(current.values().keys() | restored.values().keys())),
                    related_card_id=absorbed.id,
                )
            ]
        )
        return restored, absorbed

    return book._write(work)


def purge_merge_snapshots(
    book: ClientBook, business_id: str, *, before: dt.datetime | None = None
) -> int:
    """Delete the snapshots of merges made before ``before`` (all, without it).

    Those merges can no longer be undone. Returns how many snapshots went.

    .. versionadded:: 0.1.0
    """
    doomed: list[str] = []
    cursor: str | None = None
    while True:
        page = book.store.find_records(
            business_id, RecordQuery(kind=SNAPSHOT_KIND, until=before), limit=500, cursor=cursor
        )
        doomed.extend(record.id for record in page)
        cursor = page.next_cursor
        if cursor is None:
            break
    if not doomed:
        return 0
    return book.store.delete_records(business_id, kind=SNAPSHOT_KIND, record_ids=doomed)
