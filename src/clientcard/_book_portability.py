"""Access and portability for :class:`~clientcard.book.ClientBook`: export and import.

Mixed into the book through :class:`~clientcard._book_erasure.ErasureMixin`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from clientcard.card import ClientCard
from clientcard.consent import GuardianConsent, Purpose, replay
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.portability import SubjectData, custom_definitions, subject_from_dict
from clientcard.erasure.requests import RequestKind
from clientcard.errors import DocumentError, FieldIssue, ValidationError
from clientcard.events import EventKind
from clientcard.kinds import kind_of
from clientcard.locale import message
from clientcard.schema import FieldDefinition, FieldSchema, FieldType
from clientcard.storage.blobs import is_blob_ref
from clientcard.storage.records import Record

if TYPE_CHECKING:
    from clientcard._book_gallery import _BlobUnit
    from clientcard.business import Business
    from clientcard.clock import Clock
    from clientcard.consent.ledger import ConsentState
    from clientcard.erasure.audit import AuditEntry
    from clientcard.events import DomainEvent
    from clientcard.storage.blobs import BlobStore
    from clientcard.storage.protocol import ClientStore

T = TypeVar("T")

__all__ = ["ImportedSubject", "PortabilityMixin"]

# Ids of imported ledger events and sends derive from the originals under this namespace,
# so importing the same document twice names the same events (and is refused as such).
_IMPORT_NAMESPACE: Final = uuid.UUID("6f1d7a52-4c2e-4b8e-9a51-3a0c2f9e5d10")


@attrs.frozen
class ImportedSubject:
    """What :meth:`PortabilityMixin.import_subject` made of a subject document.

    :param dropped: sensitive fields left out, because the receiving book holds no
        explicit consent to keep health data for this client.
    :param blobs: pictures and photos whose bytes were copied from the exporting
        business's blob store (the same store serves both books).
    :param missing_blobs: references whose bytes this book's blob store does not hold:
        bring them across and put them back on the card and records yourself.

    .. versionadded:: 0.1.0
    """

    card: ClientCard
    records: int
    consent_events: int
    sends: int
    dropped: tuple[str, ...] = ()
    blobs: int = 0
    missing_blobs: tuple[str, ...] = ()


def _exported(record: Record) -> Record:
    """The record as an access export shows it: without its kind's secret fields."""
    secret = kind_of(record.kind).secret_fields
    if not any(field in record.doc for field in secret):
        return record
    return attrs.evolve(record, doc={k: v for k, v in record.doc.items() if k not in secret})


def _derived_id(business_id: str, original: str) -> str:
    return str(uuid.uuid5(_IMPORT_NAMESPACE, f"{business_id}/{original}"))


def _plain(definition: FieldDefinition) -> FieldDefinition:
    """The definition as a new staff-only field: the receiving business sets its flags."""
    return attrs.evolve(
        definition,
        required=False,
        collect_during_booking=False,
        collect_online=False,
        keep_asking=False,
        retired=False,
    )


def _same_shape(mine: FieldDefinition, theirs: FieldDefinition) -> bool:
    return (
        not mine.builtin
        and mine.type is theirs.type
        and {choice.value for choice in mine.choices} == {choice.value for choice in theirs.choices}
    )


class PortabilityMixin:
    """Access export and import of :class:`~clientcard.book.ClientBook` (see its docs).

    .. versionadded:: 0.1.0
    """

    if TYPE_CHECKING:
        store: ClientStore
        clock: Clock
        blobs: BlobStore | None
        _blob_unit: _BlobUnit
        _new_id: Callable[[], str]

        def _write(self, work: Callable[[], T]) -> T: ...
        def store_events(self, events: list[DomainEvent]) -> None: ...
        def change_schema(
            self, business_id: str, change: Callable[[FieldSchema], FieldSchema]
        ) -> Business: ...
        def _refresh_permissions(
            self, card: ClientCard, state: ConsentState | None = None
        ) -> None: ...
        def _event(
            self,
            kind: EventKind,
            business_id: str,
            card: ClientCard | None = None,
            fields: list[str] | None = None,
        ) -> DomainEvent: ...
        def _card_records(self, business_id: str, card_id: str) -> list[Record]: ...
        def _fulfil_requests(
            self, business_id: str, card_id: str, kinds: frozenset[RequestKind], outcome: str
        ) -> tuple[str, ...]: ...
        def _audit(
            self,
            business_id: str,
            action: AuditAction,
            *,
            actor: str,
            via: str,
            card_id: str | None = None,
            detail: Mapping[str, str] | None = None,
        ) -> AuditEntry: ...

    def export_subject(
        self, business_id: str, card_id: str, *, actor: str, via: str = "ClientBook.export_subject"
    ) -> SubjectData:
        """Gather everything the business holds about one client (GDPR Art. 15 and 20).

        ``data.to_dict()`` is the machine-readable document (its JSON Schema ships with
        the library), ``data.report()`` the report in the client's language. The export
        is recorded in the audit trail and fulfils the client's open access and
        portability requests; later erasure plans count it among the copies handed out.

        :raises NotFoundError: no such card in this business.
        """

        def work() -> SubjectData:
            business = self.store.get_business(business_id)
            card = self.store.get(business_id, card_id)
            data = SubjectData(
                exported_at=self.clock.now(),
                business_id=business_id,
                business_name=business.name,
                card=card,
                fields=custom_definitions(card, business.schema),
                consent=tuple(self.store.consent_events(business_id, card_id)),
                records=tuple(
                    _exported(record)
                    for record in self._card_records(business_id, card_id)
                    if kind_of(record.kind).per_client
                ),
                sends=tuple(self.store.card_sends(business_id, card_id)),
            )
            requests = self._fulfil_requests(
                business_id,
                card_id,
                frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY}),
                "export",
            )
            self._audit(
                business_id,
                AuditAction.EXPORTED,
                actor=actor,
                via=via,
                card_id=card_id,
                detail={"requests": str(len(requests))},
            )
            return data

        return self._write(work)

    def import_subject(
        self,
        business_id: str,
        document: object,
        *,
        actor: str,
        same_controller: bool = False,
        via: str = "ClientBook.import_subject",
    ) -> ImportedSubject:
        """Create a client from another book's subject document (portability).

        The card (custom fields whose definitions the receiving schema lacks are added to
        it as staff-only fields) and its history come across under a new card id.
        Consent, sends and the exporting business's own decisions (blocks, uses of its
        promotions, portal accounts: kinds not ``portable``) come across only with
        ``same_controller`` (a business moving its own books), since a consent given to
        one business does not let another write to the client. Sensitive fields come only
        where the carried ledger shows explicit consent; the others are left out and
        named in :attr:`ImportedSubject.dropped`.

        :raises DocumentError: the document is malformed.
        :raises ValidationError: ``portability.field_conflict`` for a custom field whose
            key the receiving schema uses for another type.
        :raises DuplicateError: its records (or, with ``same_controller``, its ledger)
            are in this business already: the document was imported before.
        """
        data = subject_from_dict(document)
        missing = sorted(set(data.card.custom) - {field.key for field in data.fields})
        if missing:
            raise DocumentError("subject", ["$.fields: a custom field's definition is missing"])
        return self._write(lambda: self._import(business_id, data, actor, via, same_controller))

    def _import(
        self, business_id: str, data: SubjectData, actor: str, via: str, same_controller: bool
    ) -> ImportedSubject:
        schema = self.store.get_business(business_id).schema
        conflicts = [
            f"custom.{field.key}"
            for field in data.fields
            if field.key in schema and not _same_shape(schema.field(field.key), field)
        ]
        if conflicts:
            code = "portability.field_conflict"
            raise ValidationError(FieldIssue(key, code, message(code)) for key in conflicts)
        new_fields = [_plain(field) for field in data.fields if field.key not in schema]
        if new_fields:

            def add(current: FieldSchema) -> FieldSchema:
                for field in new_fields:
                    current = current.add(field)
                return current

            schema = self.change_schema(business_id, add).schema
        now = self.clock.now()
        card_id = self._new_id()
        ledger = (
            tuple(
                attrs.evolve(
                    event,
                    event_id=_derived_id(business_id, event.event_id),
                    business_id=business_id,
                    card_id=card_id,
                    guardian=None
                    if event.guardian is None
                    else GuardianConsent(verified_by=event.guardian.verified_by),
                )
                for event in data.consent
            )
            if same_controller
            else ()
        )
        health = replay(ledger).is_granted(Purpose.SPECIAL_CATEGORY_DATA, None)
        values = data.card.values()
        dropped = tuple(
            sorted(key for key in schema.sensitive_keys if key in values and not health)
        )
        # The card as the client's old book kept it, value for value: only its identity,
        # its age and its links belong to the receiving book.
        card = data.card
        if dropped:
            card = card.apply(dict.fromkeys(dropped), at=now).card
        card = attrs.evolve(
            card,
            id=card_id,
            business_id=business_id,
            version=1,
            created_at=now,
            updated_at=now,
            guardian_id=None,
        )
        card, records, copies = self._copy_blobs(
            data, business_id, card, same_controller=same_controller
        )
        self.store.add(card)
        self.store.append_consent(ledger)
        self._refresh_permissions(card)
        self.store.add_records(records)
        sends = (
            [
                attrs.evolve(
                    send,
                    send_id=_derived_id(business_id, send.send_id),
                    business_id=business_id,
                    card_id=card_id,
                )
                for send in data.sends
                if send.status.is_final
            ]
            if same_controller
            else []
        )
        carried = self.store.add_sends(sends) if sends else 0
        self._audit(
            business_id,
            AuditAction.IMPORTED,
            actor=actor,
            via=via,
            card_id=card_id,
            detail={"source": "subject_document", "records": str(len(records))},
        )
        self.store_events(
            [self._event(EventKind.CARD_CREATED, business_id, card, sorted(card.values()))]
        )
        return ImportedSubject(
            card=card,
            records=len(records),
            consent_events=len(ledger),
            sends=carried,
            dropped=dropped,
            blobs=sum(1 for fresh in copies.values() if fresh is not None),
            missing_blobs=tuple(ref for ref, copy in copies.items() if copy is None),
        )

    def _copy_blobs(
        self, data: SubjectData, business_id: str, card: ClientCard, *, same_controller: bool
    ) -> tuple[ClientCard, list[Record], dict[str, str | None]]:
        """Copy the subject's blobs into the receiving business, where this book has them.

        Returns the card and records pointing at the copies, and each reference met with
        its copy (``None`` when the bytes are not in this book's blob store).
        """
        copies: dict[str, str | None] = {}

        def copy(value: Any) -> Any:
            if not isinstance(value, str) or not is_blob_ref(value):
                return value
            if value not in copies:
                copies[value] = None
                if self.blobs is not None and self.blobs.exists(data.business_id, value):
                    fresh = self.blobs.put(business_id, self.blobs.get(data.business_id, value))
                    # Deleted again if the import rolls back (see the gallery).
                    self._blob_unit.written.append((business_id, fresh))
                    copies[value] = fresh
            return copies[value] or value

        card = attrs.evolve(card, picture=copy(card.picture))
        references = {f.key for f in data.fields if f.type is FieldType.REFERENCE}
        custom = {k: copy(v) if k in references else v for k, v in card.custom.items()}
        card = attrs.evolve(card, custom=custom)
        records = []
        for record in data.records:
            if not (kind_of(record.kind).portable or same_controller):
                continue
            fields = kind_of(record.kind).blob_fields
            doc = {k: copy(v) if k in fields else v for k, v in record.doc.items()}
            records.append(
                attrs.evolve(record, business_id=business_id, card_id=card.id, revision=1, doc=doc)
            )
        return card, records, copies
