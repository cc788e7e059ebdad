"""The ClientBook service: the one object a host application talks to.

A :class:`ClientBook` combines the pure core (cards, schemas) with a store, a clock and an
event sink. Every change runs in one store transaction that writes the change and its
domain events to the outbox together; after commit the events go to the sink. If the
sink fails, the events wait in the outbox and :meth:`ClientBook.deliver_pending` offers
them again, so the host's other systems never miss a change.

>>> from clientcard.storage import MemoryStore
>>> from clientcard.testing.doubles import ListEventSink
>>> sink = ListEventSink()
>>> book = ClientBook(MemoryStore(), events=sink)
>>> salon = book.create_business(name="Salone Bella", region="IT", language="it")
>>> card = book.add_client(salon.id, {"first_name": "Giulia", "phones": "333 1234567"})
>>> [c.id for c in book.search(salon.id, "giu")] == [card.id]
True
>>> sink.kinds()
['business.created', 'card.created']

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final, TypeVar

import attrs

from clientcard._book_blacklist import BlacklistMixin
from clientcard._book_consent import MESSAGE_PURPOSES, ConsentMixin
from clientcard._book_erasure import ErasureMixin
from clientcard._book_gallery import GalleryMixin
from clientcard._book_groups import GroupsMixin
from clientcard._book_history import HistoryMixin
from clientcard._book_promotions import PromotionsMixin
from clientcard.business import Business
from clientcard.card import CardStatus, CardUpdate, ClientCard, FieldValue
from clientcard.clock import Clock, SystemClock
from clientcard.consent import (
    ConsentState,
    LawfulBasis,
    Purpose,
    replay,
)
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.errors import (
    DuplicateError,
    FieldIssue,
    InvalidValueError,
    NotFoundError,
    StorageError,
    ValidationError,
    VersionConflictError,
)
from clientcard.events import DomainEvent, EventKind, EventSink
from clientcard.fingerprints import MIN_SECRET_BYTES, derive_key
from clientcard.gallery import PhotoLimits
from clientcard.ids import new_id
from clientcard.locale import message
from clientcard.schema import Context, FieldSchema
from clientcard.storage.blobs import BlobStore
from clientcard.storage.protocol import CardQuery, ClientStore, Page, SearchTerms
from clientcard.storage.records import Record

__all__ = ["MESSAGE_PURPOSES", "ClientBook"]

logger = logging.getLogger("clientcard")

T = TypeVar("T")

_MAX_PAGE: Final = 500
_MIN_PHONE_DIGITS: Final = 4
_KEY_KIND: Final = "business.fingerprint_key"


class ClientBook(
    ConsentMixin,
    HistoryMixin,
    BlacklistMixin,
    PromotionsMixin,
    GroupsMixin,
    GalleryMixin,
    ErasureMixin,
):
    """Client cards of any number of businesses, kept in one store.

    ``store`` is any :class:`~clientcard.storage.protocol.ClientStore`; ``clock`` tells the
    time (the system clock by default); ``events`` receives every domain event after its
    change committed (with no sink, no events are recorded); ``new_id`` makes the ids of
    cards, businesses and everything else the book records (time-ordered UUIDs by
    default, :func:`clientcard.ids.new_id`); ``conflict_retries`` bounds how often a unit
    of work is replayed when the database reports a serialization conflict.

    ``fingerprint_secret`` keys the fingerprints that recognise a blocked or suppressed
    e-mail address or phone number (see :mod:`clientcard.fingerprints`). Give 32 random
    bytes kept outside the database; without one, each business gets a random key stored
    beside its data, which works the same but protects the fingerprints less.

    ``blobs`` keeps the bytes of gallery photos (no gallery without one) and
    ``photo_limits`` says which photos it takes (10 MiB of JPEG, PNG, WebP or HEIC by
    default).

    The outbox belongs to the store, so use one book (and one sink) per store: its sink
    hears the events of every business in it.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        store: ClientStore,
        *,
        clock: Clock | None = None,
        events: EventSink | None = None,
        new_id: Callable[[], str] = new_id,
        conflict_retries: int = 3,
        fingerprint_secret: bytes | None = None,
        blobs: BlobStore | None = None,
        photo_limits: PhotoLimits | None = None,
    ) -> None:
        if fingerprint_secret is not None and len(fingerprint_secret) < MIN_SECRET_BYTES:
            raise ValueError(f"fingerprint_secret needs at least {MIN_SECRET_BYTES} bytes")
        self._fingerprint_secret = fingerprint_secret
        self.store = store
        self._conflict_retries = conflict_retries
        self.clock: Clock = clock or SystemClock()
        self._sink = events
        self._new_id = new_id
        self._init_gallery(blobs, photo_limits)

    # -- fingerprints -----------------------------------------------------------------

    def fingerprint_key(self, business_id: str) -> bytes:
        """The key of one business's contact fingerprints (see the class docs)."""
        if self._fingerprint_secret is not None:
            return derive_key(self._fingerprint_secret, business_id)
        try:
            stored = self.store.get_record(business_id, _KEY_KIND, business_id)
        except NotFoundError:
            key = secrets.token_bytes(32)
            try:
                self.store.add_records(
                    [
                        Record(
                            business_id=business_id,
                            kind=_KEY_KIND,
                            id=business_id,
                            at=self.clock.now(),
                            doc={"key": key.hex()},
                        )
                    ]
                )
            except DuplicateError:
                # Another process made it first; theirs is the one to use.
                stored = self.store.get_record(business_id, _KEY_KIND, business_id)
            else:
                return key
        return bytes.fromhex(str(stored.doc["key"]))

    # -- businesses -----------------------------------------------------------------

    def create_business(
        self,
        *,
        name: str,
        region: str = "IT",
        language: str = "en",
        business_id: str | None = None,
        schema: FieldSchema | None = None,
        lawful_bases: Mapping[Purpose, LawfulBasis] | None = None,
        digital_consent_age: int | None = None,
        timezone: str = "UTC",
        quiet_hours: tuple[dt.time, dt.time] | None = None,
    ) -> Business:
        """Create a business with the default field schema (or ``schema``).

        ``lawful_bases`` changes the basis of purposes from the defaults (for example
        soft opt-in for rebook invitations); ``digital_consent_age`` overrides the
        country's age of digital consent; ``timezone`` and ``quiet_hours`` (local start
        and end) keep marketing from going out at night.

        :raises ValidationError: a setting is invalid.
        :raises DuplicateError: ``business_id`` is taken.
        """
        now = self.clock.now()
        business = Business(
            id=business_id or self._new_id(),
            name=name,
            region=region.upper(),
            language=language,
            created_at=now,
            schema=schema or FieldSchema.default(),
            lawful_bases=lawful_bases or {},
            digital_consent_age=digital_consent_age,
            timezone=timezone,
            quiet_hours=quiet_hours,
        )
        self._commit(
            lambda: self.store.add_business(business),
            [self._event(EventKind.BUSINESS_CREATED, business.id)],
        )
        return business

    def business(self, business_id: str) -> Business:
        """Return a business. :raises NotFoundError: no such business."""
        return self.store.get_business(business_id)

    def change_schema(
        self, business_id: str, change: Callable[[FieldSchema], FieldSchema]
    ) -> Business:
        """Apply ``change`` to the business's schema and store the result.

        ``change`` gets the current schema and returns the new one, e.g.
        ``lambda s: s.configure("city", required=True)``; the stored revision goes up by
        one, however many steps ``change`` took. A concurrent change made in
        between raises :class:`~clientcard.errors.VersionConflictError`.
        """

        def work() -> Business:
            business = self.store.get_business(business_id)
            new_schema = change(business.schema)
            if new_schema.fields == business.schema.fields:
                return business
            # One stored change is one revision, however many steps ``change`` took.
            changed = business.with_schema(
                attrs.evolve(new_schema, revision=business.schema.revision + 1)
            )
            self.store.update_business(changed, expected_revision=business.schema.revision)
            self.store_events([self._event(EventKind.SCHEMA_CHANGED, business_id)])
            return changed

        return self._write(work)

    # -- creating cards ---------------------------------------------------------------

    def add_client(
        self,
        business_id: str,
        values: Mapping[str, object],
        *,
        context: Context = Context.STAFF,
        status: CardStatus = CardStatus.ACTIVE,
        lang: str | None = None,
    ) -> ClientCard:
        """Create a card from values entered by staff (or imported, with ``Context.IMPORT``).

        :raises ValidationError: with every issue, in ``lang`` (the business's language by
            default).
        """
        now = self.clock.now()
        clean = self._validate(business_id, values, context, lang, now, current=None)
        card = ClientCard.create(
            card_id=self._new_id(), business_id=business_id, values=clean, at=now, status=status
        )
        event = self._event(EventKind.CARD_CREATED, business_id, card, sorted(clean))

        def write() -> None:
            self.store.add(card)
            self._refresh_permissions(card, ConsentState())

        self._commit(write, [event])
        logger.info("card created", extra={"business_id": business_id, "card_id": card.id})
        return card

    def submit_booking_form(
        self,
        business_id: str,
        values: Mapping[str, object],
        *,
        card_id: str | None = None,
        lang: str | None = None,
    ) -> ClientCard:
        """Take a booking form: create the client's card, or update theirs (``card_id``).

        The booking context applies: only fields collected during booking are accepted,
        and required ones must be filled (on the form or already on the card). A prospect
        who books becomes an active client.
        """
        if card_id is None:
            return self.add_client(business_id, values, context=Context.BOOKING, lang=lang)

        def work() -> ClientCard:
            card = self.store.get(business_id, card_id)
            update = self._apply(card, values, Context.BOOKING, lang)
            if update.card.status is CardStatus.PROSPECT:
                # One submission, one version: the status moves with the details.
                activated = attrs.evolve(
                    update.card,
                    status=CardStatus.ACTIVE,
                    version=card.version + 1,
                    updated_at=self.clock.now(),
                )
                update = CardUpdate(
                    card=activated, previous=card, changed=update.changed | {"status"}
                )
            self._save(update)
            return update.card

        return self._write(work)

    def record_prospect(
        self, business_id: str, values: Mapping[str, object], *, lang: str | None = None
    ) -> ClientCard:
        """Create a prospect's card from a first contact (widget, contact form).

        Only booking fields are accepted and none is required; the card's status is
        :attr:`~clientcard.card.CardStatus.PROSPECT`.
        """
        return self.add_client(
            business_id, values, context=Context.CONTACT, status=CardStatus.PROSPECT, lang=lang
        )

    # -- changing cards ---------------------------------------------------------------

    def edit(
        self,
        business_id: str,
        card_id: str,
        values: Mapping[str, object],
        *,
        expected_version: int,
        context: Context = Context.STAFF,
        lang: str | None = None,
    ) -> CardUpdate:
        """Change a card's fields, if it is still at ``expected_version``.

        :raises VersionConflictError: someone changed the card since it was read.
        :raises ValidationError: with every issue found.
        """

        def work() -> CardUpdate:
            card = self.store.get(business_id, card_id)
            self._check_version(card, expected_version)
            update = self._apply(card, values, context, lang)
            self._save(update)
            return update

        return self._write(work)

    def set_status(
        self, business_id: str, card_id: str, status: CardStatus, *, expected_version: int
    ) -> CardUpdate:
        """Move a card to ``status`` (for example a prospect to active)."""

        def work() -> CardUpdate:
            card = self.store.get(business_id, card_id)
            self._check_version(card, expected_version)
            update = card.with_status(status, at=self.clock.now())
            self._save(update)
            return update

        return self._write(work)

    def delete(self, business_id: str, card_id: str, *, expected_version: int) -> None:
        """Delete a card (no erasure policy applied; see the erasure module when present).

        Its records go with it; its photos' bytes are deleted once the deletion commits
        (see :meth:`purge_deleted_blobs` for a blob store that fails then).
        """

        def work() -> None:
            card = self.store.get(business_id, card_id)
            self._check_version(card, expected_version)
            self.delete_photos_of(business_id, card_id)
            self.store.delete(business_id, card_id, expected_version=expected_version)
            self._refresh_wards(card)
            self.store_events([self._event(EventKind.CARD_DELETED, business_id, card)])

        self._write(work)

    # -- reading ----------------------------------------------------------------------

    def get(self, business_id: str, card_id: str) -> ClientCard:
        """Return a card. :raises NotFoundError: no such card in this business."""
        return self.store.get(business_id, card_id)

    def list_cards(
        self,
        business_id: str,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClientCard]:
        """List cards by name, a page at a time; pass ``page.next_cursor`` to go on."""
        return self.store.find(business_id, query, limit=_page_size(limit), cursor=cursor)

    def count(self, business_id: str, query: CardQuery | None = None) -> int:
        """Count the cards matching ``query`` (all of them without one)."""
        return self.store.count(business_id, query)

    def search(self, business_id: str, text: str, *, limit: int = 20) -> list[ClientCard]:
        """Find cards as a front desk types: part of a name, a phone in any format, an e-mail.

        "jose" finds "José"; "06 1234 5678" finds +31612345678 in a Dutch business;
        "anna.r" finds anna.rossi@example.com.
        """
        business = self.store.get_business(business_id)
        terms = _search_terms(text, business.region)
        if terms.is_empty():
            return []
        page = self.store.find(business_id, CardQuery(search=terms), limit=_page_size(limit))
        return list(page.items)

    def find_by_email(self, business_id: str, address: str) -> list[ClientCard]:
        """Return the cards with this e-mail address (compared case-insensitively).

        :raises ValidationError: ``address`` is not an e-mail address.
        """
        key = _email.lookup_key(_validated("email", _email.normalize, address))
        return list(self.store.find(business_id, CardQuery(email=key), limit=_MAX_PAGE))

    def find_by_phone(self, business_id: str, number: str) -> list[ClientCard]:
        """Return the cards with this phone number, typed in any format.

        The number is looked up by its E.164 form as typed
        (:func:`~clientcard.contact.phone.lookup_form`); only when no card has it is the
        numbering plan asked whether it exists at all.

        :raises ValidationError: ``number`` can't be read as a phone number, or no card has
            it and no numbering plan does either.
        """
        region = self.store.get_business(business_id).region
        typed = _validated("phone", lambda raw: _phone.lookup_form(raw, region), number)
        found = list(self.store.find(business_id, CardQuery(phone=typed), limit=_MAX_PAGE))
        if not found:
            # Only now is it worth asking whether such a number exists: every stored one
            # was checked when it was stored, so a match is a real number.
            _validated("phone", lambda raw: _phone.normalize(raw, region), number)
        return found

    # -- events -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several calls into one unit of work: all of it commits, or none.

        Events wait in the outbox until the outermost unit commits, then go to the sink;
        if the block raises, nothing is written and no event is sent::

            with book.transaction():
                card = book.add_client(salon_id, {"first_name": "Eva"})
                book.edit(salon_id, card.id, {"city": "Monza"}, expected_version=1)
        """
        outermost = not self.store.in_transaction()
        if outermost:
            self._blobs_begin()
        try:
            with self.store.transaction():
                yield
        except BaseException:
            if outermost:
                self._blobs_rolled_back()
            raise
        if outermost:
            self._blobs_committed()
            self.deliver_pending()

    @property
    def records_events(self) -> bool:
        """Whether events are recorded (a sink was given): else there is no need to make them."""
        return self._sink is not None

    def store_events(self, events: list[DomainEvent]) -> None:
        """Write events to the outbox in the current transaction (when a sink is set)."""
        if self._sink is not None and events:
            self.store.append_events(events)

    def deliver_pending(self, limit: int = 500) -> int:
        """Hand waiting events to the sink, oldest first; return how many were delivered.

        Delivery stops at the first failure, which is logged (ids only); the rest stay
        in the outbox for the next call.
        """
        if self._sink is None:
            return 0
        delivered = 0
        for event in self.store.pending_events(limit):
            try:
                self._sink.publish(event)
            except Exception:
                logger.warning(
                    "event sink failed; event stays in the outbox",
                    extra={"event_id": event.event_id, "business_id": event.business_id},
                    exc_info=True,
                )
                break
            self.store.mark_delivered([event.event_id])
            delivered += 1
        return delivered

    # -- internals --------------------------------------------------------------------

    def _commit(self, write: Callable[[], None], events: list[DomainEvent]) -> None:
        def work() -> None:
            write()
            self.store_events(events)

        self._write(work)

    def _write(self, work: Callable[[], T]) -> T:
        """Run ``work`` as one unit of work, replaying it when the database says conflict.

        ``work`` reads, validates and writes, so a replay sees the winner's data: a
        stale edit then fails with VersionConflictError, as it should. Inside a caller's
        own transaction nothing can be replayed, and the conflict goes up to the caller.
        """
        attempt = 0
        while True:
            try:
                with self.transaction():
                    return work()
            except StorageError as error:
                if (
                    error.reason != "conflict"
                    or attempt >= self._conflict_retries
                    or self.store.in_transaction()
                ):
                    raise
                attempt += 1
                logger.debug("replaying a unit of work after a conflict (attempt %d)", attempt)

    def _apply(
        self, card: ClientCard, values: Mapping[str, object], context: Context, lang: str | None
    ) -> CardUpdate:
        now = self.clock.now()
        clean = self._validate(card.business_id, values, context, lang, now, current=card)
        return card.apply(clean, at=now)

    def _validate(
        self,
        business_id: str,
        values: Mapping[str, object],
        context: Context,
        lang: str | None,
        now: dt.datetime,
        *,
        current: ClientCard | None,
    ) -> dict[str, FieldValue]:
        """Validate with the business's schema, region and language (or ``lang``).

        Sensitive fields (GDPR Art. 9) may be filled only while the client's explicit
        consent to keeping such data stands in their ledger.
        """
        business = self.store.get_business(business_id)
        language = lang or business.language
        clean = business.schema.validate(
            values,
            context,
            today=now.date(),
            region=business.region,
            lang=language,
            current=current,
        )
        sensitive = sorted(
            key for key in business.schema.sensitive_keys if clean.get(key) is not None
        )
        if sensitive and not (
            current is not None
            and replay(self.store.consent_events(business_id, current.id)).is_granted(
                Purpose.SPECIAL_CATEGORY_DATA, None
            )
        ):
            code = "consent.sensitive_without_consent"
            raise ValidationError(
                FieldIssue(key, code, message(code, language)) for key in sensitive
            )
        return clean

    def _save(self, update: CardUpdate) -> None:
        if update.is_noop:
            return
        self.store.update(update.card, expected_version=update.previous.version)
        self._refresh_permissions(update.card)
        self._refresh_wards(update.card)
        kind = (
            EventKind.CARD_STATUS_CHANGED
            if update.changed == {"status"}
            else EventKind.CARD_DETAILS_CHANGED
        )
        self.store_events(
            [self._event(kind, update.card.business_id, update.card, sorted(update.changed))]
        )

    def _check_version(self, card: ClientCard, expected: int) -> None:
        if card.version != expected:
            raise VersionConflictError(card.id, expected, card.version)

    def _event(
        self,
        kind: EventKind,
        business_id: str,
        card: ClientCard | None = None,
        fields: list[str] | None = None,
    ) -> DomainEvent:
        return DomainEvent(
            event_id=self._new_id(),
            kind=kind,
            business_id=business_id,
            occurred_at=self.clock.now(),
            card_id=card.id if card is not None else None,
            card_version=card.version if card is not None else None,
            fields=tuple(fields or ()),
        )


def _page_size(limit: int) -> int:
    if not 1 <= limit <= _MAX_PAGE:
        raise ValidationError([FieldIssue("limit", "query.limit_invalid", f"use 1 to {_MAX_PAGE}")])
    return limit


def _validated(field: str, normalise: Callable[[object], str], raw: object) -> str:
    try:
        return normalise(raw)
    except InvalidValueError as error:
        raise ValidationError([FieldIssue(field, error.code, message(error.code))]) from None


def _search_terms(text: str, region: str) -> SearchTerms:
    """Turn what was typed into the terms a store matches (see :class:`SearchTerms`)."""
    stripped = text.strip()
    digits = "".join(ch for ch in stripped if ch in "0123456789")
    phone_digits: str | None = None
    if _phone.is_valid(stripped, region):
        phone_digits = _phone.normalize(stripped, region).lstrip("+")
    elif len(digits) >= _MIN_PHONE_DIGITS and len(digits) >= len(stripped.replace(" ", "")) - 3:
        # Mostly digits: a partial number. A leading trunk 0 is dropped, since E.164
        # numbers never keep it ("06 1234" must find +31 6 1234…).
        phone_digits = digits.lstrip("0") or digits
    looks_like_email = "@" in stripped or ("." in stripped and " " not in stripped)
    name = stripped if not digits or not phone_digits else None
    return SearchTerms(
        name=name,
        phone_digits=phone_digits,
        email=stripped if looks_like_email else None,
    )
