"""The book: the one object a host makes, and the per-business handle it hands out.

A :class:`ClientBook` owns the edges (a store, a clock, an event sink, a blob store) and
the small core the services share. :meth:`ClientBook.business` returns a
:class:`BusinessBook`, a handle scoped to one business whose attributes are the
services, one per concept: ``cards``, ``consent``, ``history``, ``blacklist``,
``promotions``, ``groups``, ``gallery``, ``erasure``, ``requests``, ``audit``,
``retention``, ``portability``, ``exchange``, ``messaging`` and ``portal``. Plumbing
(the outbox, fingerprint keys) lives apart, on :attr:`ClientBook.admin`.

Every change runs in one store transaction that writes the change and its domain events
to the outbox together; after commit the events go to the sink. If the sink fails, the
events wait in the outbox and ``book.admin.deliver_pending()`` offers them again, so the
host's other systems never miss a change.

>>> from clientcard import ClientBook, MemoryStore
>>> from clientcard.testing.doubles import ListEventSink
>>> sink = ListEventSink()
>>> book = ClientBook(MemoryStore(), events=sink)
>>> salon = book.create_business(name="Salone Bella", region="IT", language="it")
>>> desk = book.business(salon.id)
>>> card = desk.cards.add({"first_name": "Giulia", "phones": "333 1234567"})
>>> [c.id for c in desk.cards.search("giu")] == [card.id]
True
>>> sink.kinds()
['business.created', 'card.created']

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Final

import attrs

from clientcard._backoff import DEFAULT_BACKOFF
from clientcard._core import Core, as_enum, as_id
from clientcard._zones import COUNTRY_ZONES
from clientcard.blacklist.service import BlacklistService
from clientcard.business import Business
from clientcard.cards.schema import FieldSchema
from clientcard.cards.service import CardService
from clientcard.clock import Clock, SystemClock
from clientcard.consent import LawfulBasis, Purpose
from clientcard.consent.service import ConsentService
from clientcard.contact import address
from clientcard.erasure.audit_service import AuditService
from clientcard.erasure.portability_service import PortabilityService
from clientcard.erasure.request_service import RequestService
from clientcard.erasure.retention_service import RetentionService
from clientcard.erasure.service import ErasureService
from clientcard.errors import ConfigurationError, ValidationError
from clientcard.events import EventKind, EventSink
from clientcard.exchange.service import ExchangeService
from clientcard.fingerprints import MIN_SECRET_BYTES, StoredKeyWarning
from clientcard.gallery import PhotoLimits
from clientcard.gallery.service import GalleryService
from clientcard.groups.service import GroupService
from clientcard.history.service import HistoryService
from clientcard.ids import new_id
from clientcard.messaging._engine import MessagingEngine
from clientcard.messaging.service import MessagingService
from clientcard.messaging.settings import MessagingSettings
from clientcard.portal.service import PortalService
from clientcard.portal.settings import PortalSettings
from clientcard.promotions.service import PromotionService
from clientcard.storage.blobs import BlobStore
from clientcard.storage.memory import MemoryStore
from clientcard.storage.protocol import ClientStore
from clientcard.storage.scrub import Scrubbable, ScrubReport

__all__ = ["Admin", "BusinessBook", "ClientBook"]

logger = logging.getLogger("clientcard")

_STORED_KEY: Final = (
    "ClientBook has no fingerprint_secret: each business's fingerprint key is stored in "
    "the database beside the fingerprints of blocked and suppressed contacts, so whoever "
    "has a copy of it can test a guessed address against them. Pass fingerprint_secret "
    "(32 random bytes kept outside the database; the CLI reads "
    "CLIENTCARD_FINGERPRINT_SECRET). See clientcard.fingerprints.StoredKeyWarning."
)


class ClientBook:
    """Client cards of any number of businesses, kept in one store.

    ``store`` is any :class:`~clientcard.storage.protocol.ClientStore`; ``clock`` tells the
    time (the system clock by default); ``events`` receives every domain event after its
    change committed (with no sink, no events are recorded); ``new_id`` makes the ids of
    cards, businesses and everything else the book records (time-ordered UUIDs by
    default, :func:`clientcard.ids.new_id`); when the database reports a serialization
    conflict or a deadlock, a unit of work is replayed after a jittered pause that
    doubles each time (up to a quarter of a second), at most ``conflict_retries`` times and never
    starting a replay more than ``conflict_budget`` after the first attempt.

    ``fingerprint_secret`` keys the fingerprints that recognise a blocked or suppressed
    e-mail address or phone number (see :mod:`clientcard.fingerprints`). Give 32 random
    bytes kept outside the database; without one, each business gets a random key stored
    beside its data, which works the same but protects the fingerprints less: on any
    store but a :class:`~clientcard.storage.memory.MemoryStore` that is a
    :class:`~clientcard.fingerprints.StoredKeyWarning`, issued and logged.

    ``blobs`` keeps the bytes of gallery photos (no gallery without one) and
    ``photo_limits`` says which photos it takes (10 MiB of JPEG, PNG, WebP or HEIC by
    default).

    ``messaging`` (:class:`~clientcard.messaging.MessagingSettings`: notifiers, templates,
    unsubscribe links) lets the book send messages; without it, ``desk.messaging``,
    ``book.admin.send_pending()`` and the portal's ``send_link`` raise
    :class:`~clientcard.errors.ConfigurationError`. ``portal``
    (:class:`~clientcard.portal.PortalSettings`) sets up the client portal; without it
    the portal works with the defaults, except that it has no ``link_url`` (the
    address of the host's own link page), without which ``send_link`` raises
    :class:`~clientcard.errors.ConfigurationError` while ``issue_link`` still works.

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
        conflict_retries: int = 10,
        conflict_budget: dt.timedelta = dt.timedelta(seconds=10),
        fingerprint_secret: bytes | None = None,
        blobs: BlobStore | None = None,
        photo_limits: PhotoLimits | None = None,
        messaging: MessagingSettings | None = None,
        portal: PortalSettings | None = None,
    ) -> None:
        if conflict_retries < 0:
            raise ValueError("conflict_retries must be zero or more")
        if conflict_budget < dt.timedelta(0):
            raise ValueError("conflict_budget must not be negative")
        if fingerprint_secret is not None and len(fingerprint_secret) < MIN_SECRET_BYTES:
            raise ValueError(f"fingerprint_secret needs at least {MIN_SECRET_BYTES} bytes")
        if fingerprint_secret is None and not isinstance(store, MemoryStore):
            # Loud, not fatal: requiring a secret would change every stored key at once
            # and silently stop recognising the suppressed contacts of a deployment.
            logger.warning(_STORED_KEY)
            warnings.warn(_STORED_KEY, StoredKeyWarning, stacklevel=2)
        if (
            portal is not None
            and messaging is not None
            and not messaging.has_template(portal.link_template)
        ):
            raise ValueError("the messaging settings have no template for portal links")
        self._core = Core(
            store,
            clock=clock or SystemClock(),
            sink=events,
            new_id=new_id,
            conflict_retries=conflict_retries,
            backoff=attrs.evolve(DEFAULT_BACKOFF, budget=conflict_budget.total_seconds()),
            fingerprint_secret=fingerprint_secret,
            blobs=blobs,
            photo_limits=photo_limits or PhotoLimits(),
        )
        self._messaging_settings = messaging
        self._portal_settings = portal
        self._messaging_engine: MessagingEngine | None = None
        self.admin = Admin(self._core, self._messaging)
        """Plumbing: the outbox, sending due messages, fingerprint keys (see :class:`Admin`)."""

    @property
    def store(self) -> ClientStore:
        """The store the book keeps its cards in."""
        return self._core.store

    @property
    def clock(self) -> Clock:
        """The clock the book reads the time from."""
        return self._core.clock

    # -- businesses -----------------------------------------------------------------

    def create_business(
        self,
        *,
        name: str,
        region: str = "IT",
        language: str = "en",
        business_id: str | None = None,
        schema: FieldSchema | None = None,
        lawful_bases: Mapping[Purpose | str, LawfulBasis | str] | None = None,
        digital_consent_age: int | None = None,
        time_zone: str | None = None,
        quiet_hours: tuple[dt.time, dt.time] | None = None,
        timezone: str | None = None,
    ) -> Business:
        """Create a business with the default field schema (or ``schema``).

        ``lawful_bases`` changes the basis of purposes from the defaults (for example
        soft opt-in for rebook invitations: ``{"rebook_invitations":
        "legitimate_interest"}``, members or their values); ``digital_consent_age`` overrides the
        country's age of digital consent; ``quiet_hours`` (local start and end) keep
        marketing from going out at night.

        ``time_zone`` is the IANA zone (``"Europe/Rome"``) the business's days are
        counted in: birthdays, "today", months of statistics, retention and deadlines.
        Without it, a country of one zone gives its own (Italy ``Europe/Rome``, the
        Netherlands ``Europe/Amsterdam``); a country of several (Spain, the United
        States, ...) needs it named. ``timezone`` is its older name, still accepted.
        ``language`` (en, it or nl) is the language of staff messages and of the
        reports handed to clients. Both can be changed later
        (:meth:`BusinessBook.set_time_zone`, :meth:`BusinessBook.set_language`).

        :raises ValidationError: a setting is invalid; ``business.time_zone_required``
            when the country has several zones and none was named.
        :raises ValueError: an unknown purpose or lawful basis, with the allowed values.
        :raises DuplicateError: ``business_id`` is taken.
        """
        core = self._core
        if time_zone is not None and timezone is not None and time_zone != timezone:
            raise ValueError("give time_zone or its older name timezone, not both")
        zone = _zone_of(region, time_zone if time_zone is not None else timezone)
        bases = {
            as_enum(Purpose, "lawful_bases", purpose): as_enum(LawfulBasis, "lawful_bases", basis)
            for purpose, basis in (lawful_bases or {}).items()
        }
        business = Business(
            id=business_id or core.new_id(),
            name=name,
            region=region.upper(),
            language=language,
            created_at=core.clock.now(),
            schema=schema or FieldSchema.default(),
            lawful_bases=bases,
            digital_consent_age=digital_consent_age,
            time_zone=zone,
            quiet_hours=quiet_hours,
        )
        core.commit(
            lambda: core.store.add_business(business),
            [core.event(EventKind.BUSINESS_CREATED, business.id)],
        )
        return business

    def get_business(self, business_id: str) -> Business:
        """Return a business's settings and schema. :raises NotFoundError: no such business."""
        return self._core.store.get_business(as_id("business_id", business_id))

    def business(self, business_id: str) -> BusinessBook:
        """The handle of one business: every call through it is scoped to that business.

        :raises NotFoundError: no such business.
        :raises TypeError: ``business_id`` is not an id (a :class:`Business`, say).
        """
        self.get_business(business_id)
        return BusinessBook(self._core, business_id, messaging=self._messaging, portal=self._portal)

    def _messaging(self) -> MessagingEngine:
        """The book's one messaging engine, made on first use and shared by every handle.

        :raises ConfigurationError: the book was made without messaging settings.
        """
        if self._messaging_engine is None:
            if self._messaging_settings is None:
                raise ConfigurationError(
                    "messaging",
                    "this ClientBook was made without messaging settings: pass "
                    "messaging=MessagingSettings(...) to ClientBook",
                )
            # Two threads racing here make two equal engines: they hold no state of
            # their own (sends are claimed in the store), so either one will do.
            self._messaging_engine = MessagingEngine(
                self._core, self._messaging_settings, self.business
            )
        return self._messaging_engine

    def _portal(self) -> PortalSettings:
        """The book's portal settings: the defaults, made on first use, without any."""
        if self._portal_settings is None:
            # Made lazily: the default password hasher spends an Argon2 hash on its
            # decoy, a cost a book that never uses the portal should not pay. Two
            # threads racing here make two equal settings; either one will do.
            self._portal_settings = PortalSettings()
        return self._portal_settings

    # -- units of work --------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several calls into one unit of work: all of it commits, or none.

        Events wait in the outbox until the outermost unit commits, then go to the sink;
        if the block raises, nothing is written and no event is sent::

            with book.transaction():
                card = desk.cards.add({"first_name": "Eva"})
                desk.cards.edit(card.id, {"city": "Monza"}, expected_version=1)
        """
        with self._core.transaction():
            yield


class BusinessBook:
    """One business's client book: its services, each scoped to it.

    Made by :meth:`ClientBook.business`; cheap to make, one per request is fine. Each
    attribute is the service of one concept and holds only that concept's operations.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        core: Core,
        business_id: str,
        *,
        messaging: Callable[[], MessagingEngine],
        portal: Callable[[], PortalSettings],
    ) -> None:
        self._core = core
        # Providers, not values: the book makes its engine and default settings lazily.
        self._get_messaging_engine = messaging
        self._get_portal_settings = portal
        self.id = business_id
        """The business's id."""

    def __repr__(self) -> str:
        return f"BusinessBook(id={self.id!r})"

    def details(self) -> Business:
        """The business's settings and field schema, as stored now."""
        return self._core.store.get_business(self.id)

    def set_time_zone(self, time_zone: str) -> Business:
        """Change the IANA zone the business's days are counted in (``"Europe/Rome"``).

        Birthdays, "today", months of statistics, retention and request deadlines read
        it from the next call on.

        :raises ValidationError: ``business.time_zone_invalid`` for a name the tz
            database does not know (spelled as it spells it).
        """
        return self._change_settings({"time_zone": time_zone})

    def set_language(self, language: str) -> Business:
        """Change the business's language (en, it or nl): staff messages, client reports.

        :raises ValidationError: ``business.language_invalid``.
        """
        return self._change_settings({"language": language})

    def _change_settings(self, changes: Mapping[str, str]) -> Business:
        core = self._core

        def work() -> Business:
            business = core.store.get_business(self.id)
            changed = attrs.evolve(business, **changes)  # type: ignore[arg-type]
            if changed == business:
                return business
            core.store.update_business(changed, expected_revision=business.schema.revision)
            core.store_events(
                [core.event(EventKind.SETTINGS_CHANGED, self.id, fields=sorted(changes))]
            )
            return changed

        return core.write(work)

    @cached_property
    def cards(self) -> CardService:
        """Client cards: add, read, search, edit and remove them; the field schema."""
        return CardService(self._core, self)

    @cached_property
    def consent(self) -> ConsentService:
        """Consent: the ledger, double opt-in, guardians and the contact decision."""
        return ConsentService(self._core, self)

    @cached_property
    def history(self) -> HistoryService:
        """Appointments, payments, documents, conversations and statistics."""
        return HistoryService(self._core, self)

    @cached_property
    def blacklist(self) -> BlacklistService:
        """Clients the business won't book, and the booking decision."""
        return BlacklistService(self._core, self)

    @cached_property
    def promotions(self) -> PromotionService:
        """Promo codes and their redemptions."""
        return PromotionService(self._core, self)

    @cached_property
    def groups(self) -> GroupService:
        """Client groups and the clients in them."""
        return GroupService(self._core, self)

    @cached_property
    def gallery(self) -> GalleryService:
        """Inspiration and result photos."""
        return GalleryService(self._core, self)

    @cached_property
    def erasure(self) -> ErasureService:
        """Erasure: the policy, plans, runs, receipts and suppressed contacts."""
        return ErasureService(self._core, self)

    @cached_property
    def requests(self) -> RequestService:
        """Data-subject requests (access, erasure, ...) and their deadlines."""
        return RequestService(self._core, self)

    @cached_property
    def audit(self) -> AuditService:
        """The privacy audit trail, chained so a removed entry shows."""
        return AuditService(self._core, self)

    @cached_property
    def retention(self) -> RetentionService:
        """Retention: what the policy says is due, and running it."""
        return RetentionService(self._core, self)

    @cached_property
    def portability(self) -> PortabilityService:
        """A client's data as a portable document: access export and import."""
        return PortabilityService(self._core, self)

    @cached_property
    def exchange(self) -> ExchangeService:
        """Import and export files (CSV, Excel, vCard, JSON), duplicates and merging."""
        return ExchangeService(self._core, self)

    @cached_property
    def messaging(self) -> MessagingService:
        """Consent-gated messages: queue, send, scheduled greetings and batch reports.

        :raises ConfigurationError: the book was made without messaging settings.
        """
        return MessagingService(self._core, self, self._get_messaging_engine())

    @cached_property
    def portal(self) -> PortalService:
        """The client portal: accounts, sign-in, one-time links and self-service."""
        return PortalService(self._core, self, self._get_portal_settings())


def _zone_of(region: str, time_zone: str | None) -> str:
    """The zone a new business gets: the one named, else its country's only one.

    :raises ValidationError: ``business.time_zone_required`` for a country of several
        zones with none named.
    """
    if time_zone is not None:
        return time_zone
    country = region.upper()
    zone = COUNTRY_ZONES.get(country)
    if zone is not None:
        return zone
    if country in address.COUNTRIES:
        raise ValidationError.of("time_zone", "business.time_zone_required")
    return "UTC"  # the region is invalid, and the business says so


class Admin:
    """Plumbing of a book, kept apart from the client operations.

    .. versionadded:: 0.1.0
    """

    def __init__(self, core: Core, messaging: Callable[[], MessagingEngine]) -> None:
        self._core = core
        self._messaging = messaging

    @property
    def records_events(self) -> bool:
        """Whether events are recorded (the book has a sink)."""
        return self._core.records_events

    def deliver_pending(self, limit: int = 500) -> int:
        """Hand waiting events to the sink, oldest first; return how many were delivered.

        Delivery stops at the first failure, which is logged (ids only); the rest stay
        in the outbox for the next call.
        """
        return self._core.deliver_pending(limit)

    def send_pending(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` due messages of every business; return how many were handled.

        Call it from the host's scheduler; each business's ``messaging.flush()`` does
        the same for that business alone.

        :raises ConfigurationError: the book was made without messaging settings.
        """
        return self._messaging().flush(limit)

    def scrub(self) -> ScrubReport:
        """Rewrite the store's files so that no erased client's bytes remain in them.

        A maintenance step for after erasures, in a quiet hour: on PostgreSQL each table
        is rewritten into new files holding its live rows only, and its indexes rebuilt
        (with pg_repack when the database has it, else ``VACUUM FULL``, which locks one
        table at a time while it copies it; see
        :meth:`~clientcard.storage.postgres.PostgresStore.scrub` for the knobs). On
        SQLite, whose store already overwrites what it deletes, the file is rebuilt
        (``VACUUM``) and its write-ahead log emptied, which also clears what another
        tool wrote without secure delete. A store without a ``scrub`` method (the
        memory store, a host's own) has no files: the report is empty.

        What no rewrite reaches -- the write-ahead log, replicas, archives, backups --
        stays the host's to expire: see the erasure guide.
        """
        store = self._core.store
        if isinstance(store, Scrubbable):
            return store.scrub()
        return ScrubReport()

    def fingerprint_key(self, business_id: str) -> bytes:
        """The key of one business's contact fingerprints (see :class:`ClientBook`)."""
        return self._core.fingerprint_key(as_id("business_id", business_id))
