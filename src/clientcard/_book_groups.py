"""The client-group half of :class:`~clientcard.book.ClientBook`: definitions and moves.

A group's definition is a ``client_group`` record (id and key: the group key); a
card's ``client_group`` field names the group it belongs to. Setting that field through
:meth:`GroupsMixin.set_group` or :meth:`GroupsMixin.move_clients` refuses keys the
business has not defined; editing it as a plain field (``edit``) stays possible for
hosts that import legacy values.

:class:`GroupsMixin` has no state of its own and is only ever used as a base of
``ClientBook``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from clientcard._book_promotions import GROUP, iter_records
from clientcard.errors import FieldIssue, InvalidValueError, NotFoundError, ValidationError
from clientcard.events import EventKind
from clientcard.groups import ClientGroup, GroupMove, normalise_group_key
from clientcard.locale import message
from clientcard.serialization import document_of, value_of
from clientcard.storage.records import Record, RecordQuery

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from clientcard.card import CardUpdate, ClientCard
    from clientcard.clock import Clock
    from clientcard.events import DomainEvent
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["GROUP_DOCUMENT_VERSION", "GroupsMixin"]

GROUP_DOCUMENT_VERSION: Final = 1
"""The ``schema_version`` of client group records' documents."""


def group_from(record: Record) -> ClientGroup:
    """Read a group definition back from its record."""
    return value_of(ClientGroup, record.doc, kind="client_group", version=GROUP_DOCUMENT_VERSION)


class GroupsMixin:
    """Client group operations of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        # What ClientBook provides; declared so the type checker can follow the mixin.
        store: ClientStore
        clock: Clock

        def _write(self, work: Callable[[], T]) -> T: ...
        def _save(self, update: CardUpdate) -> None: ...
        def _check_version(self, card: ClientCard, expected: int) -> None: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...

    def define_group(
        self,
        business_id: str,
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
        language = lang or self.store.get_business(business_id).language
        group = ClientGroup.create(
            key=key,
            label=label,
            description=description,
            discount_percent=discount_percent,
            included_services=included_services,
            lang=language,
        )

        def work() -> ClientGroup:
            doc = document_of(group, GROUP_DOCUMENT_VERSION)
            if replace:
                record = self.store.get_record(business_id, GROUP, group.key)
                self.store.update_record(record.revised(doc), expected_revision=record.revision)
            else:
                self.store.add_records(
                    [
                        Record(
                            business_id=business_id,
                            kind=GROUP,
                            id=group.key,
                            key=group.key,
                            at=self.clock.now(),
                            doc=doc,
                        )
                    ]
                )
            event = self._event(EventKind.GROUP_CHANGED, business_id)
            self.store_events([attrs.evolve(event, record_id=group.key)])
            return group

        return self._write(work)

    def group(self, business_id: str, key: str) -> ClientGroup:
        """The definition of a group. :raises NotFoundError: no such group."""
        return group_from(self.store.get_record(business_id, GROUP, _key_or_missing(key)))

    def groups(self, business_id: str) -> list[ClientGroup]:
        """Every group the business has defined, by key."""
        records = iter_records(self.store, business_id, RecordQuery(kind=GROUP))
        return sorted((group_from(record) for record in records), key=lambda g: g.key)

    def group_of(self, business_id: str, card_id: str) -> ClientGroup | None:
        """The definition of the client's group: what they get for belonging to it.

        ``None`` when the card is in no group, or in one the business never defined.

        :raises NotFoundError: no such card.
        """
        card = self.store.get(business_id, card_id)
        if card.client_group is None:
            return None
        try:
            return self.group(business_id, card.client_group)
        except NotFoundError:
            return None

    def set_group(
        self,
        business_id: str,
        card_id: str,
        group: str | None,
        *,
        expected_version: int,
        lang: str | None = None,
    ) -> CardUpdate:
        """Put one client in a defined group (``None``: in no group).

        :raises ValidationError: ``group.unknown`` for a key the business has not defined.
        :raises VersionConflictError: the card changed since it was read.
        """

        def work() -> CardUpdate:
            key = self._defined_group(business_id, group, lang)
            card = self.store.get(business_id, card_id)
            self._check_version(card, expected_version)
            update = card.apply({"client_group": key}, at=self.clock.now())
            self._save(update)
            return update

        return self._write(work)

    def move_clients(
        self,
        business_id: str,
        cards: Mapping[str, int],
        group: str | None,
        *,
        lang: str | None = None,
    ) -> GroupMove:
        """Move many clients into ``group`` (``None``: out of every group), in one unit.

        ``cards`` maps each card id to the version the caller read. A card at that
        version moves (a ``card.details_changed`` event names ``client_group``); one
        changed since is reported in ``conflicts`` and left alone, as are ids with no
        card (``missing``); the others still move.

        :raises ValidationError: ``group.unknown`` for a key the business has not defined
            (nothing moves).
        """

        def work() -> GroupMove:
            key = self._defined_group(business_id, group, lang)
            now = self.clock.now()
            moved: list[str] = []
            unchanged: list[str] = []
            conflicts: list[str] = []
            missing: list[str] = []
            for card_id, version in cards.items():
                try:
                    card = self.store.get(business_id, card_id)
                except NotFoundError:
                    missing.append(card_id)
                    continue
                if card.version != version:
                    conflicts.append(card_id)
                    continue
                update = card.apply({"client_group": key}, at=now)
                if update.is_noop:
                    unchanged.append(card_id)
                    continue
                self._save(update)
                moved.append(card_id)
            return GroupMove(
                group=key,
                moved=tuple(moved),
                unchanged=tuple(unchanged),
                conflicts=tuple(conflicts),
                missing=tuple(missing),
            )

        return self._write(work)

    def _defined_group(self, business_id: str, group: str | None, lang: str | None) -> str | None:
        if group is None:
            return None
        try:
            key = normalise_group_key(group)
            self.store.get_record(business_id, GROUP, key)
        except (InvalidValueError, NotFoundError):
            language = lang or self.store.get_business(business_id).language
            code = "group.unknown"
            raise ValidationError(
                [FieldIssue("client_group", code, message(code, language))]
            ) from None
        return key


def _key_or_missing(key: str) -> str:
    try:
        return normalise_group_key(key)
    except InvalidValueError:
        raise NotFoundError(GROUP, "?") from None
