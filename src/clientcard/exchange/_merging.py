"""Carrying out a merge, undoing it, purging its snapshots (see :mod:`clientcard.exchange.merge`).

The exchange service's merge methods run these in one unit of work each. They take the
book's :class:`~clientcard._core.Core` (the store, the clock, ids, events) and the
business's handle, through which a moved child is saved and contact permissions are
refreshed by the card and consent services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from clientcard._core import audit_queue
from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import (
    card_from_dict,
    card_to_dict,
    consent_event_from_dict,
    consent_event_to_dict,
)
from clientcard.consent import (
    Channel,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Purpose,
    replay,
)
from clientcard.erasure.audit import AuditAction
from clientcard.errors import NotFoundError, VersionConflictError
from clientcard.events import DomainEvent, EventKind
from clientcard.exchange.merge import SNAPSHOT_KIND, MergePlan, MergeResult, Side, plan_merge
from clientcard.kinds import KINDS
from clientcard.portal.accounts import ACCOUNT_KIND, LINK_KIND, LOGIN_KIND
from clientcard.storage.protocol import CardQuery
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from clientcard._core import Core
    from clientcard.book import BusinessBook

__all__ = ["merge", "preview", "purge_snapshots", "undo"]


def preview(
    core: Core,
    desk: BusinessBook,
    survivor_id: str,
    absorbed_id: str,
    *,
    prefer: Mapping[str, Side] | None,
) -> MergePlan:
    """The plan a merge of the two cards would follow now."""
    store, business_id = core.store, desk.id
    survivor = store.get(business_id, survivor_id)
    absorbed = store.get(business_id, absorbed_id)
    return plan_merge(
        survivor,
        absorbed,
        store.consent_events(business_id, survivor_id),
        store.consent_events(business_id, absorbed_id),
        at=core.clock.now(),
        sensitive_keys=desk.details().schema.sensitive_keys,
        prefer=prefer,
    )


def _records_of(core: Core, business_id: str, card_id: str) -> Iterator[tuple[str, str]]:
    for kind in (*KINDS, SNAPSHOT_KIND):
        for record in core.iter_records(business_id, RecordQuery(kind=kind, card_id=card_id)):
            yield record.kind, record.id


def _wards(core: Core, business_id: str, guardian_id: str) -> list[ClientCard]:
    return list(core.iter_cards(business_id, CardQuery(guardian_id=guardian_id)))


def _stricter_events(
    plan: MergePlan, merge_id: str, at: dt.datetime, by: str, new_id: Callable[[], str]
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
                recorded_by=by,
                purpose=purpose,
                channel=channel,
                evidence_ref=f"merge:{merge_id}",
            )
        )
    return events


def merge(
    core: Core,
    desk: BusinessBook,
    survivor_id: str,
    absorbed_id: str,
    *,
    expected_versions: tuple[int, int],
    by: str,
    prefer: Mapping[str, Side] | None,
) -> MergeResult:
    """Merge ``absorbed_id`` into ``survivor_id`` in one unit of work (see the merge module)."""
    business_id = desk.id
    merge_id = core.new_id()

    def work() -> MergeResult:
        store = core.store
        now = core.clock.now()
        plan = preview(core, desk, survivor_id, absorbed_id, prefer=prefer)
        for card, expected in zip((plan.survivor, plan.absorbed), expected_versions, strict=True):
            core.check_version(card, expected)
        absorbed_ledger = store.consent_events(business_id, absorbed_id)
        survivor_ledger = store.consent_events(business_id, survivor_id)
        copies = [
            attrs.evolve(event, event_id=core.new_id(), card_id=survivor_id)
            for event in absorbed_ledger
        ]
        stricter = _stricter_events(plan, merge_id, now, by, core.new_id)
        moved = list(_records_of(core, business_id, absorbed_id))
        wards = _wards(core, business_id, absorbed_id)
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
                "recorded_by": by,
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
        store.add_records([snapshot])
        desk.audit.record(
            AuditAction.MERGED,
            by=by,
            via="exchange.merge",
            card_id=survivor_id,
            detail={"merge": merge_id, "absorbed": absorbed_id},
        )
        # Each card is refreshed once: the survivor with the wards it had already (its
        # address may have changed), then each moved ward as it is saved to its survivor.
        desk.consent.refresh_permissions(survivor_id)
        if "email" in plan.changed:
            # The survivor's portal login follows its new address; old links die.
            desk.portal.sync_login(survivor_id)
        for ward in wards:
            desk.cards.save(ward.with_guardian(survivor_id, at=now))
        events = [
            DomainEvent(
                event_id=core.new_id(),
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
                core.event(EventKind.CONSENT_CHANGED, business_id, plan.result, ["merge"])
            )
        core.store_events(events)
        return MergeResult(merge_id=merge_id, card=plan.result, plan=plan)

    return core.write(work, queue=audit_queue(business_id))


def _restoring_events(
    current: Sequence[ConsentEvent],
    *,
    added: frozenset[str],
    merge_id: str,
    at: dt.datetime,
    by: str,
    new_id: Callable[[], str],
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
                recorded_by=by,
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
                    recorded_by=by,
                    evidence_ref=f"merge-undone:{merge_id}",
                    card_id=card_id,
                    business_id=business_id,
                )
            )
    return restoring


def undo(
    core: Core, desk: BusinessBook, merge_id: str, *, by: str
) -> tuple[ClientCard, ClientCard]:
    """Undo a merge from its snapshot in one unit of work; the survivor and the restored card."""
    business_id = desk.id

    def work() -> tuple[ClientCard, ClientCard]:
        store = core.store
        now = core.clock.now()
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
        if restored.email != current.email:
            # The login goes back with the address; links sent meanwhile die.
            desk.portal.sync_login(restored.id)
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
            by=by,
            new_id=core.new_id,
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
                desk.cards.save(ward.with_guardian(absorbed.id, at=now))
        store.delete_records(business_id, kind=SNAPSHOT_KIND, record_ids=[merge_id])
        desk.audit.record(
            AuditAction.MERGE_UNDONE,
            by=by,
            via="exchange.undo_merge",
            card_id=restored.id,
            detail={"merge": merge_id, "restored": absorbed.id},
        )
        # Each card is refreshed once: the wards moved back were saved above, so the
        # restored card refreshes the wards it kept, and the absorbed card itself alone.
        desk.consent.refresh_permissions(restored.id)
        desk.consent.refresh_permissions(absorbed.id, wards=False)
        core.store_events(
            [
                DomainEvent(
                    event_id=core.new_id(),
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

    return core.write(work, queue=audit_queue(business_id))


def purge_snapshots(core: Core, business_id: str, *, before: dt.datetime | None) -> int:
    """Delete the snapshots of merges made before ``before`` (all, without it); how many."""
    query = RecordQuery(kind=SNAPSHOT_KIND, until=before)
    doomed = [record.id for record in core.iter_records(business_id, query)]
    if not doomed:
        return 0
    return core.store.delete_records(business_id, kind=SNAPSHOT_KIND, record_ids=doomed)
