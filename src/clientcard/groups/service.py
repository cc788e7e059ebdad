"""The groups service: one business's client groups, and the clients in them.

A host reaches it as ``book.business(id).groups``. A group's definition is a
``client_group`` record (id and key: the group key); a card's ``client_group`` field
names the group it belongs to. :meth:`GroupService.assign` and :meth:`GroupService.move`
refuse keys the business has not defined; editing the field as a plain card field
(``cards.edit``) stays possible for hosts that import legacy values.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from clientcard._core import Service, as_id, as_optional_id
from clientcard.cards.card import CardUpdate
from clientcard.cards.serialization import document_of, value_of
from clientcard.errors import FieldIssue, InvalidValueError, NotFoundError, ValidationError
from clientcard.events import DomainEvent, EventKind
from clientcard.groups.model import (
    GROUP_DOCUMENT_VERSION,
    GROUP_KIND,
    ClientGroup,
    GroupMove,
    normalise_group_key,
)
from clientcard.locale import message
from clientcard.storage.records import Record, RecordQuery

__all__ = ["GroupService"]


class GroupService(Service):
    """Client groups of one business: their definitions, and moving clients between them.

    Reached as ``book.business(id).groups``; every call is scoped to that business.

    .. versionadded:: 0.1.0
    """

    def add(
        self,
        *,
        key: str,
        label: str,
        description: str = "",
        discount_percent: Decimal | int | str | None = None,
        included_services: Iterable[str] = (),
        replace: bool = False,
        lang: str | None = None,
    ) -> ClientGroup:
        """Define a client group (or, with ``replace``, redefine an existing one).

        :raises ValidationError: with every issue, in ``lang`` (the business's language
            by default).
        :raises DuplicateError: the key is defined already (without ``replace``).
        :raises NotFoundError: ``replace`` of a key that is not defined.
        """
        language = lang or self._business.details().language
        group = ClientGroup.create(
            key=key,
            label=label,
            description=description,
            discount_percent=discount_percent,
            included_services=included_services,
            lang=language,
        )

        def work() -> ClientGroup:
            store = self._core.store
            doc = document_of(group, GROUP_DOCUMENT_VERSION)
            if replace:
                record = store.get_record(self.business_id, GROUP_KIND, group.key)
                store.update_record(record.revised(doc), expected_revision=record.revision)
            else:
                store.add_records(
                    [
                        Record(
                            business_id=self.business_id,
                            kind=GROUP_KIND,
                            id=group.key,
                            key=group.key,
                            at=self._core.clock.now(),
                            doc=doc,
                        )
                    ]
                )
            event = self._core.event(EventKind.GROUP_CHANGED, self.business_id, record_id=group.key)
            self._core.store_events([event])
            return group

        return self._core.write(work)

    def get(self, key: str) -> ClientGroup:
        """The definition of a group.

        :raises NotFoundError: no such group.
        :raises TypeError: ``key`` is not a string (a ClientGroup, say).
        """
        key = as_id("key", key)
        record = self._core.store.get_record(self.business_id, GROUP_KIND, _key_or_missing(key))
        return _group_from(record)

    def list(self) -> builtins.list[ClientGroup]:
        """Every group the business has defined, by key."""
        records = self._core.iter_records(self.business_id, RecordQuery(kind=GROUP_KIND))
        return sorted((_group_from(record) for record in records), key=lambda g: g.key)

    def group_of(self, card_id: str) -> ClientGroup | None:
        """The definition of the client's group: what they get for belonging to it.

        ``None`` when the card is in no group, or in one the business never defined.

        :raises NotFoundError: no such card.
        """
        card_id = as_id("card_id", card_id)
        card = self._core.store.get(self.business_id, card_id)
        if card.client_group is None:
            return None
        try:
            return self.get(card.client_group)
        except NotFoundError:
            return None

    def assign(
        self,
        card_id: str,
        group: str | None,
        *,
        expected_version: int,
        lang: str | None = None,
    ) -> CardUpdate:
        """Put one client in a defined group (``None``: in no group).

        :raises ValidationError: ``group.unknown`` for a key the business has not defined.
        :raises NotFoundError: no such card.
        :raises VersionConflictError: the card changed since it was read.
        :raises TypeError: ``card_id`` or ``group`` is not a string.
        """
        card_id = as_id("card_id", card_id)
        group = as_optional_id("group", group)

        def work() -> CardUpdate:
            key = self._defined_group(group, lang)
            card = self._core.store.get(self.business_id, card_id)
            self._core.check_version(card, expected_version)
            update = card.apply({"client_group": key}, at=self._core.clock.now())
            self._business.cards.save(update)
            return update

        return self._core.write(work)

    def move(
        self,
        card_ids: Mapping[str, int],
        group: str | None,
        *,
        lang: str | None = None,
    ) -> GroupMove:
        """Move many clients into ``group`` (``None``: out of every group), in one unit.

        ``card_ids`` maps each card id to the version the caller read. A card at that
        version moves (a ``card.details_changed`` event names ``client_group``); one
        changed since is reported in ``conflicts`` and left alone, as are ids with no
        card (``missing``); the others still move.

        :raises ValidationError: ``group.unknown`` for a key the business has not defined
            (nothing moves).
        :raises TypeError: a key of ``card_ids`` is not an id (a card, say), or ``group``
            is not a string.
        """
        versions = {as_id("card_ids", card_id): version for card_id, version in card_ids.items()}
        group = as_optional_id("group", group)

        def work() -> GroupMove:
            key = self._defined_group(group, lang)
            now = self._core.clock.now()
            if "client_group" in self._business.details().schema.sensitive_keys:
                return self._move_card_by_card(versions, key, now)
            # One statement per 500 cards, in the database: a move costs the same per
            # card however many clients the business has, and decodes none of them.
            change = self._core.store.set_group(self.business_id, versions, key, at=now)
            if self._core.records_events:
                self._core.store_events(
                    [
                        DomainEvent(
                            event_id=self._core.new_id(),
                            kind=EventKind.CARD_DETAILS_CHANGED,
                            business_id=self.business_id,
                            occurred_at=now,
                            card_id=card_id,
                            card_version=versions[card_id] + 1,
                            fields=("client_group",),
                        )
                        for card_id in change.moved
                    ]
                )
            return GroupMove(
                group=key,
                moved=change.moved,
                unchanged=change.unchanged,
                conflicts=change.conflicts,
                missing=change.missing,
            )

        return self._core.write(work)

    def defined_key(self, group: str | None, *, lang: str | None = None) -> str | None:
        """Return the stored key of ``group`` (``" Gold "`` -> ``"gold"``), if defined.

        The card service asks this for every card added or edited that names a group,
        so no card names a group the business never defined. ``None`` stays ``None``.

        :raises ValidationError: ``group.unknown`` on ``client_group``, in ``lang``
            (the business's language by default), for a key the business has not
            defined.
        """
        return self._defined_group(as_optional_id("group", group), lang)

    def _move_card_by_card(
        self, versions: Mapping[str, int], key: str | None, now: dt.datetime
    ) -> GroupMove:
        """A move through ``cards.save_many``, for a schema that marks the group sensitive.

        Each card then needs the client's explicit consent to be put in a group, which
        ``save_many`` checks card by card.
        """
        cards = self._core.store.get_many(self.business_id, builtins.list(versions))
        moved: builtins.list[str] = []
        unchanged: builtins.list[str] = []
        conflicts: builtins.list[str] = []
        missing: builtins.list[str] = []
        updates: builtins.list[CardUpdate] = []
        for card_id, version in versions.items():
            card = cards.get(card_id)
            if card is None:
                missing.append(card_id)
            elif card.version != version:
                conflicts.append(card_id)
            else:
                update = card.apply({"client_group": key}, at=now)
                (unchanged if update.is_noop else moved).append(card_id)
                updates.append(update)
        self._business.cards.save_many(updates)
        return GroupMove(
            group=key,
            moved=tuple(moved),
            unchanged=tuple(unchanged),
            conflicts=tuple(conflicts),
            missing=tuple(missing),
        )

    def _defined_group(self, group: str | None, lang: str | None) -> str | None:
        """The stored key of ``group``, refused unless the business defined it."""
        if group is None:
            return None
        try:
            key = normalise_group_key(group)
            self._core.store.get_record(self.business_id, GROUP_KIND, key)
        except (InvalidValueError, NotFoundError):
            language = lang or self._business.details().language
            code = "group.unknown"
            raise ValidationError(
                [FieldIssue("client_group", code, message(code, language))]
            ) from None
        return key


def _group_from(record: Record) -> ClientGroup:
    """Read a group definition back from its record."""
    return value_of(ClientGroup, record.doc, kind="client_group", version=GROUP_DOCUMENT_VERSION)


def _key_or_missing(key: str) -> str:
    # A key that could never be stored names no group: that is "not found", not a
    # validation error, and the message holds no part of what was typed.
    try:
        return normalise_group_key(key)
    except InvalidValueError:
        raise NotFoundError(GROUP_KIND, "?") from None
