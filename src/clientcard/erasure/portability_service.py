"""Access and portability of one business, as a service (``desk.portability``).

:meth:`PortabilityService.export_subject` gathers everything the business holds about a
client into a :class:`~clientcard.erasure.portability.SubjectData` (the document and
the report are pure, in :mod:`clientcard.erasure.portability`);
:meth:`PortabilityService.import_subject` reads such a document into this business.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import uuid
from typing import Any, Final

import attrs

from clientcard._core import Service, as_id, audit_queue
from clientcard.cards.card import ClientCard
from clientcard.cards.schema import FieldDefinition, FieldSchema, FieldType
from clientcard.consent import GuardianConsent, Purpose, replay
from clientcard.erasure._records import append_audit, card_records, fulfil_requests
from clientcard.erasure.audit import AuditAction
from clientcard.erasure.portability import (
    ImportedSubject,
    SubjectData,
    custom_definitions,
    subject_from_dict,
)
from clientcard.erasure.requests import RequestKind
from clientcard.errors import DocumentError, FieldIssue, ValidationError
from clientcard.events import EventKind
from clientcard.kinds import kind_of
from clientcard.locale import message
from clientcard.storage.blobs import is_blob_ref
from clientcard.storage.records import Record

__all__ = ["PortabilityService"]

# Ids of imported ledger events and sends derive from the originals under this namespace,
# so importing the same document twice names the same events (and is refused as such).
_IMPORT_NAMESPACE: Final = uuid.UUID("6f1d7a52-4c2e-4b8e-9a51-3a0c2f9e5d10")


class PortabilityService(Service):
    """A client's data as a portable document: the access export, and importing one.

    Reached as ``book.business(id).portability``.

    .. versionadded:: 0.1.0
    """

    def export_subject(
        self, card_id: str, *, by: str, via: str = "portability.export_subject"
    ) -> SubjectData:
        """Gather everything the business holds about one client (GDPR Art. 15 and 20).

        ``data.to_dict()`` is the machine-readable document (its JSON Schema ships with
        the library), ``data.report()`` the report in the client's language. The export
        is recorded in the audit trail and fulfils the client's open access and
        portability requests; later erasure plans count it among the copies handed out.

        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        core = self._core
        business_id = self.business_id

        def work() -> SubjectData:
            store = core.store
            business = store.get_business(business_id)
            card = store.get(business_id, card_id)
            data = SubjectData(
                exported_at=core.clock.now(),
                business_id=business_id,
                business_name=business.name,
                time_zone=business.time_zone,
                language=business.language,
                card=card,
                fields=custom_definitions(card, business.schema),
                consent=tuple(store.consent_events(business_id, card_id)),
                records=tuple(
                    _exported(record)
                    for record in card_records(core, business_id, card_id)
                    if kind_of(record.kind).per_client
                ),
                sends=tuple(store.card_sends(business_id, card_id)),
            )
            requests = fulfil_requests(
                core,
                business_id,
                card_id,
                frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY}),
                "export",
            )
            append_audit(
                core,
                business_id,
                AuditAction.EXPORTED,
                by=by,
                via=via,
                card_id=card_id,
                detail={"requests": str(len(requests))},
            )
            return data

        return core.write(work, queue=audit_queue(business_id))

    def import_subject(
        self,
        document: object,
        *,
        by: str,
        same_controller: bool = False,
        via: str = "portability.import_subject",
    ) -> ImportedSubject:
        """Create a client in this business from another book's subject document.

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
        return self._core.write(
            lambda: self._import(data, by, via, same_controller),
            queue=audit_queue(self.business_id),
        )

    # -- internals ----------------------------------------------------------------------

    def _import(
        self, data: SubjectData, by: str, via: str, same_controller: bool
    ) -> ImportedSubject:
        core = self._core
        business_id = self.business_id
        schema = core.store.get_business(business_id).schema
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

            schema = self._business.cards.change_schema(add).schema
        now = core.clock.now()
        card_id = core.new_id()
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
        card, records, copies = self._copy_blobs(data, card, same_controller=same_controller)
        core.store.add(card)
        core.store.append_consent(ledger)
        core.store.add_records(records)
        # Only now: a block carried over (same controller) keeps the card out of audiences.
        self._business.consent.refresh_permissions(card.id, wards=False)
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
        carried = core.store.add_sends(sends) if sends else 0
        append_audit(
            core,
            business_id,
            AuditAction.IMPORTED,
            by=by,
            via=via,
            card_id=card_id,
            detail={"source": "subject_document", "records": str(len(records))},
        )
        core.store_events(
            [core.event(EventKind.CARD_CREATED, business_id, card, sorted(card.values()))]
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
        self, data: SubjectData, card: ClientCard, *, same_controller: bool
    ) -> tuple[ClientCard, list[Record], dict[str, str | None]]:
        """Copy the subject's blobs into this business, where this book has them.

        Returns the card and records pointing at the copies, and each reference met with
        its copy (``None`` when the bytes are not in this book's blob store).
        """
        core = self._core
        business_id = self.business_id
        blobs = core.blobs
        copies: dict[str, str | None] = {}

        def copy(value: Any) -> Any:
            if not isinstance(value, str) or not is_blob_ref(value):
                return value
            if value not in copies:
                copies[value] = None
                if blobs is not None and blobs.exists(data.business_id, value):
                    fresh = blobs.put(business_id, blobs.get(data.business_id, value))
                    # Deleted again if the import rolls back (see the gallery).
                    core.blob_written(business_id, fresh)
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
