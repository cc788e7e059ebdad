"""The card service: add, read, search, edit and remove one business's client cards.

Reached as ``book.business(id).cards``. Every value entered goes through the business's
field schema (:class:`~clientcard.cards.schema.FieldSchema`) in its context (staff,
booking, contact form, import); every change is one unit of work that stores the card,
refreshes the contact permissions the store's audience queries read, and files a
domain event for the host's other systems.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

import attrs

from clientcard._core import Service, as_enum, as_id
from clientcard.business import Business
from clientcard.cards.card import CardStatus, CardUpdate, ClientCard, FieldValue
from clientcard.cards.schema import Context, FieldSchema
from clientcard.cards.search import search_terms
from clientcard.consent import Purpose
from clientcard.contact import email as _email
from clientcard.contact import phone as _phone
from clientcard.errors import FieldIssue, InvalidValueError, ValidationError
from clientcard.events import EventKind
from clientcard.locale import message
from clientcard.storage.protocol import CardQuery, Page

__all__ = ["CardService"]

logger = logging.getLogger("clientcard")

MAX_PAGE: Final = 500
"""The most cards one page (or one lookup) returns."""

# What the permissions projection reads of a card (consent._projection, decision): a
# change of any other field can't change who may be contacted for what.
_PERMISSION_FIELDS: Final = frozenset({"status", "email", "phones", "birth_date", "guardian_id"})
# What a ward's decision reads of its guardian's card: the addresses its service
# messages go to.
_WARD_FIELDS: Final = frozenset({"email", "phones"})


class CardService(Service):
    """One business's client cards (``book.business(id).cards``).

    .. versionadded:: 0.1.0
    """

    # -- the schema -----------------------------------------------------------------

    def schema(self) -> FieldSchema:
        """The business's field schema, as stored now."""
        return self._business.details().schema

    def change_schema(self, change: Callable[[FieldSchema], FieldSchema]) -> Business:
        """Apply ``change`` to the business's schema and store the result.

        ``change`` gets the current schema and returns the new one, e.g.
        ``lambda s: s.configure("city", required=True)``; the stored revision goes up by
        one, however many steps ``change`` took. A concurrent change made in
        between raises :class:`~clientcard.errors.VersionConflictError`.
        """
        core = self._core

        def work() -> Business:
            business = core.store.get_business(self.business_id)
            new_schema = change(business.schema)
            if new_schema.fields == business.schema.fields:
                return business
            # One stored change is one revision, however many steps ``change`` took.
            changed = business.with_schema(
                attrs.evolve(new_schema, revision=business.schema.revision + 1)
            )
            core.store.update_business(changed, expected_revision=business.schema.revision)
            core.store_events([core.event(EventKind.SCHEMA_CHANGED, self.business_id)])
            return changed

        return core.write(work)

    # -- adding ---------------------------------------------------------------------

    def add(
        self,
        values: Mapping[str, object],
        *,
        context: Context | str = Context.STAFF,
        status: CardStatus | str = CardStatus.ACTIVE,
        lang: str | None = None,
    ) -> ClientCard:
        """Add a card from values entered by staff (or imported, with ``context="import"``).

        :raises ValidationError: with every issue, in ``lang`` (the business's language by
            default).
        """
        context = as_enum(Context, "context", context)
        status = as_enum(CardStatus, "status", status)
        now = self._core.clock.now()
        clean = self._validate(values, context, lang, now, current=None)
        return self._create(clean, now, status)

    def _create(
        self, clean: dict[str, FieldValue], now: dt.datetime, status: CardStatus
    ) -> ClientCard:
        """Store a new card of checked values, in the current unit of work (or one of its own)."""
        core = self._core
        card = ClientCard.create(
            card_id=core.new_id(),
            business_id=self.business_id,
            values=clean,
            at=now,
            status=status,
        )
        event = core.event(EventKind.CARD_CREATED, self.business_id, card, sorted(clean))

        def write() -> None:
            core.store.add(card)
            # A new card has no ledger and nobody names it guardian yet.
            self._business.consent.refresh_permissions(card.id, wards=False)

        core.commit(write, [event])
        logger.info("card created", extra={"business_id": self.business_id, "card_id": card.id})
        return card

    def submit_booking(
        self,
        values: Mapping[str, object],
        *,
        card_id: str | None = None,
        lang: str | None = None,
        location_id: str | None = None,
        override_block: bool = False,
        by: str | None = None,
    ) -> ClientCard:
        """Take a booking form: add the client's card, or update theirs (``card_id``).

        The booking context applies: only fields collected during booking are accepted,
        and required ones must be filled (on the form or already on the card). A prospect
        who books becomes an active client.

        The blacklist is asked first (at ``location_id``, or anywhere): a block on the
        card, or on anyone with the e-mail address or a phone number of the form or the
        card -- a block kept after its card was deleted or erased included -- refuses
        the booking and nothing is written. A member of staff may book the client all
        the same with ``override_block=True`` and ``by=`` their id; the audit trail
        records the override.

        :raises BlockedClientError: a block applies (ids only: tell the client no more
            than that booking online isn't possible).
        :raises ValidationError: with every issue of the form; ``by`` for an override
            that names nobody.
        """
        core = self._core
        if card_id is None:
            context = Context.BOOKING
            now = core.clock.now()
            clean = self._validate(values, context, lang, now, current=None)
            email = clean.get("email")
            phones = clean.get("phones") or ()

            def add() -> ClientCard:
                decision = self._business.blacklist.check_booking(
                    email=email if isinstance(email, str) else None,
                    phones=phones if isinstance(phones, tuple) else (),
                    location_id=location_id,
                    override_block=override_block,
                    by=by,
                )
                card = self._create(clean, now, CardStatus.ACTIVE)
                self._business.blacklist.record_override(
                    decision, card_id=card.id, by=str(by), via="cards.submit_booking"
                )
                return card

            return core.write(add, queue=self._business.blacklist.booking_queue(override_block))
        card_id = as_id("card_id", card_id)

        def work() -> ClientCard:
            card = core.store.get(self.business_id, card_id)
            update = self._apply(card, values, Context.BOOKING, lang)
            decision = self._business.blacklist.check_booking(
                card_id=card_id,
                email=update.card.email,
                phones=update.card.phones,
                location_id=location_id,
                override_block=override_block,
                by=by,
            )
            if update.card.status is CardStatus.PROSPECT:
                # One submission, one version: the status moves with the details.
                activated = attrs.evolve(
                    update.card,
                    status=CardStatus.ACTIVE,
                    version=card.version + 1,
                    updated_at=core.clock.now(),
                )
                update = CardUpdate(
                    card=activated, previous=card, changed=update.changed | {"status"}
                )
            self._store(update)
            self._business.blacklist.record_override(
                decision, card_id=card_id, by=str(by), via="cards.submit_booking"
            )
            return update.card

        return core.write(work, queue=self._business.blacklist.booking_queue(override_block))

    def add_prospect(self, values: Mapping[str, object], *, lang: str | None = None) -> ClientCard:
        """Add a prospect's card from a first contact (widget, contact form).

        Only booking fields are accepted and none is required; the card's status is
        :attr:`~clientcard.cards.card.CardStatus.PROSPECT`.
        """
        return self.add(values, context=Context.CONTACT, status=CardStatus.PROSPECT, lang=lang)

    # -- changing -------------------------------------------------------------------

    def edit(
        self,
        card_id: str,
        values: Mapping[str, object],
        *,
        expected_version: int,
        context: Context | str = Context.STAFF,
        lang: str | None = None,
    ) -> CardUpdate:
        """Change a card's fields, if it is still at ``expected_version``.

        :raises VersionConflictError: someone changed the card since it was read.
        :raises ValidationError: with every issue found.
        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        context = as_enum(Context, "context", context)

        def work() -> CardUpdate:
            card = self._core.store.get(self.business_id, card_id)
            self._core.check_version(card, expected_version)
            update = self._apply(card, values, context, lang)
            self._store(update)
            return update

        return self._core.write(work)

    def set_status(
        self, card_id: str, status: CardStatus | str, *, expected_version: int
    ) -> CardUpdate:
        """Move a card to ``status`` (for example a prospect to ``"active"``)."""
        card_id = as_id("card_id", card_id)
        status = as_enum(CardStatus, "status", status)

        def work() -> CardUpdate:
            card = self._core.store.get(self.business_id, card_id)
            self._core.check_version(card, expected_version)
            update = card.with_status(status, at=self._core.clock.now())
            self._store(update)
            return update

        return self._core.write(work)

    def save(self, update: CardUpdate) -> None:
        """Store a change made with the card's own methods (``apply``, ``with_status``...).

        The card's own methods keep its invariants; values a person typed go through
        :meth:`edit`, which reads them with the schema. Sensitive fields (GDPR Art. 9)
        are held to the same rule here as there: one may be filled only while the
        client's explicit consent stands. The store refuses the update when the card
        changed since ``update.previous`` was read. The contact permissions are
        refreshed and a card event filed in the same unit of work. An update that
        changed nothing stores nothing.

        :raises VersionConflictError: the card changed since ``update.previous``.
        :raises ValidationError: a sensitive field filled without the client's consent.
        :raises ValueError: the card belongs to another business.
        """
        if update.card.business_id != self.business_id:
            raise ValueError("update.card.business_id is not this business")
        if update.is_noop:
            return

        def work() -> None:
            business = self._business.details()
            filled = sorted(
                key
                for key in business.schema.sensitive_keys & update.changed
                if update.card.value(key) is not None
            )
            self._check_sensitive(filled, update.card.id, business.language)
            self._store(update)

        self._core.write(work)

    def save_many(self, updates: Sequence[CardUpdate]) -> None:
        """Store many changes made with the cards' own methods, as one unit of work.

        What :meth:`save` does for each update, set-based: the cards go to the store in
        a few statements (:meth:`~clientcard.storage.protocol.ClientStore.update_many`),
        the contact permissions are refreshed only for cards whose change can affect
        them, and the events are filed together. Sensitive fields are held to the same
        rule as in :meth:`save`. Updates that changed nothing are left out; if one card
        changed since its update was read, nothing is stored.

        :raises VersionConflictError: a card changed since its ``update.previous``.
        :raises ValidationError: a sensitive field filled without the client's consent.
        :raises ValueError: a card belongs to another business.
        """
        changed = [update for update in updates if not update.is_noop]
        if any(update.card.business_id != self.business_id for update in changed):
            raise ValueError("update.card.business_id is not this business")
        if not changed:
            return
        core = self._core

        def work() -> None:
            business = self._business.details()
            for update in changed:
                filled = sorted(
                    key
                    for key in business.schema.sensitive_keys & update.changed
                    if update.card.value(key) is not None
                )
                self._check_sensitive(filled, update.card.id, business.language)
            core.store.update_many(
                [update.card for update in changed],
                expected_versions={update.card.id: update.previous.version for update in changed},
            )
            for update in changed:
                self._refresh(update)
            core.store_events(
                [
                    core.event(
                        _event_kind(update), self.business_id, update.card, sorted(update.changed)
                    )
                    for update in changed
                ]
                if core.records_events
                else []
            )

        core.write(work)

    def remove(self, card_id: str, *, expected_version: int) -> None:
        """Delete a card (no erasure policy applied: see ``erasure`` for that).

        Its records go with it, but for its blocks: a block that still applies is kept
        detached, as fingerprints only, so the same person booking again is refused
        (unless the erasure policy says ``keep_blocks=False``; see
        ``desk.blacklist.keep_blocks_of``). Its photos' bytes are deleted once the
        deletion commits (see the gallery's ``purge_deleted`` for a blob store that
        fails then).

        :raises VersionConflictError: someone changed the card since it was read.
        :raises NotFoundError: no such card in this business.
        """
        card_id = as_id("card_id", card_id)
        core = self._core

        def work() -> None:
            card = core.store.get(self.business_id, card_id)
            core.check_version(card, expected_version)
            self._business.gallery.remove_all(card_id)
            self._business.blacklist.keep_blocks_of(card_id)
            core.store.delete(self.business_id, card_id, expected_version=expected_version)
            # The clients whose guardian this was are reached no more through them.
            self._business.consent.refresh_permissions(card_id)
            core.store_events([core.event(EventKind.CARD_DELETED, self.business_id, card)])

        core.write(work)

    # -- reading --------------------------------------------------------------------

    def get(self, card_id: str) -> ClientCard:
        """Return a card. :raises NotFoundError: no such card in this business."""
        return self._core.store.get(self.business_id, as_id("card_id", card_id))

    def list(
        self,
        query: CardQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        source: str | None = None,
    ) -> Page[ClientCard]:
        """List cards by name, a page at a time; pass ``page.next_cursor`` to go on.

        ``source`` lists the clients who found the business that way (their "How did
        you hear about us?", ``referral_source``, compared as stored): the shorthand of
        ``CardQuery(source=...)``, served by an index of its own.

        :raises ValueError: both ``query`` and ``source`` were given.
        """
        return self._core.store.find(
            self.business_id, _with_source(query, source), limit=_page_size(limit), cursor=cursor
        )

    def minors(self, cards: Iterable[ClientCard]) -> frozenset[str]:
        """Return the ids of those of ``cards`` who are minors today.

        Minors are under the business's age of digital consent
        (:meth:`~clientcard.cards.card.ClientCard.is_minor`): no marketing reaches them
        without a guardian's consent, and a list shows them so.
        """
        business = self._business.details()
        age = business.consent_policy.age_of_consent
        today = business.today(self._core.clock.now())  # the business's own date
        return frozenset(card.id for card in cards if card.is_minor(today, age))

    def count(self, query: CardQuery | None = None, *, source: str | None = None) -> int:
        """Count the cards matching ``query`` (all of them without one), or of ``source``.

        :raises ValueError: both ``query`` and ``source`` were given.
        """
        return self._core.store.count(self.business_id, _with_source(query, source))

    def search(self, text: str, *, limit: int = 20) -> builtins.list[ClientCard]:
        """Find cards as a front desk types: part of a name, a phone in any format, an e-mail.

        Each typed word finds the names with a word starting so: "jose" finds "José",
        "de lu" finds "De Luca"; "06 1234 5678" finds +31612345678 in a Dutch business, and
        "06 12" every number starting so; "anna.r" finds anna.rossi@example.com. The best
        matches come first: an exact phone number or e-mail address, then names where more
        typed words are whole words, then by name. Served by the store's search index.
        """
        business = self._business.details()
        terms = search_terms(text, business.region)
        if terms.is_empty():
            return []
        return self._core.store.search(self.business_id, terms, limit=_page_size(limit))

    def count_found(self, text: str) -> int:
        """How many cards :meth:`search` finds for ``text`` with no limit (for "20 of 133")."""
        business = self._business.details()
        terms = search_terms(text, business.region)
        if terms.is_empty():
            return 0
        return self._core.store.count(self.business_id, CardQuery(search=terms))

    def find_by_email(self, address: str) -> builtins.list[ClientCard]:
        """Return the cards with this e-mail address (compared by its e-mail key).

        ASCII case is ignored; other letters, and the domain in its IDNA form, are
        compared exactly (:func:`~clientcard.contact.email.lookup_key`): ``straße@`` is
        not ``strasse@``.

        :raises ValidationError: ``address`` is not an e-mail address.
        """
        key = _email.lookup_key(_validated("email", _email.normalize, address))
        found = self._core.store.find(self.business_id, CardQuery(email=key), limit=MAX_PAGE)
        return builtins.list(found)

    def find_by_phone(self, number: str) -> builtins.list[ClientCard]:
        """Return the cards with this phone number, typed in any format.

        The number is looked up by its E.164 form as typed
        (:func:`~clientcard.contact.phone.lookup_form`); only when no card has it is the
        numbering plan asked whether it exists at all.

        :raises ValidationError: ``number`` can't be read as a phone number, or no card has
            it and no numbering plan does either.
        """
        region = self._business.details().region
        typed = _validated("phone", lambda raw: _phone.lookup_form(raw, region), number)
        found = builtins.list(
            self._core.store.find(self.business_id, CardQuery(phone=typed), limit=MAX_PAGE)
        )
        if not found:
            # Only now is it worth asking whether such a number exists: every stored one
            # was checked when it was stored, so a match is a real number.
            _validated("phone", lambda raw: _phone.normalize(raw, region), number)
        return found

    # -- internals ------------------------------------------------------------------

    def _store(self, update: CardUpdate) -> None:
        """Store an update whose values were already checked, in the current unit of work.

        ``edit``, ``submit_booking`` and ``set_status`` come here straight: their values
        went through :meth:`_validate` (Art. 9 included), so the business is not read
        again; :meth:`save` checks first.
        """
        if update.is_noop:
            return
        core = self._core
        core.store.update(update.card, expected_version=update.previous.version)
        self._refresh(update)
        core.store_events(
            [core.event(_event_kind(update), self.business_id, update.card, sorted(update.changed))]
        )

    def _refresh(self, update: CardUpdate) -> None:
        """Refresh the contact permissions a change can affect (and the portal login).

        The card's own when a field the projection reads changed; its wards' too when
        its addresses changed. Anything else (a group, a note) leaves both as they were,
        which keeps a change of thousands of cards from reading anything per card.
        """
        if update.changed & _PERMISSION_FIELDS:
            self._business.consent.refresh_permissions(
                update.card.id, wards=bool(update.changed & _WARD_FIELDS)
            )
        if "email" in update.changed:
            # The address is the portal login: it moves, and links sent to the old
            # mailbox die, in this same unit of work (or the change rolls back).
            self._business.portal.sync_login(update.card.id)

    def _apply(
        self, card: ClientCard, values: Mapping[str, object], context: Context, lang: str | None
    ) -> CardUpdate:
        now = self._core.clock.now()
        clean = self._validate(values, context, lang, now, current=card)
        return card.apply(clean, at=now)

    def _validate(
        self,
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
        business = self._business.details()
        language = lang or business.language
        clean = business.schema.validate(
            values,
            context,
            today=business.today(now),
            region=business.region,
            lang=language,
            current=current,
        )
        group = clean.get("client_group")
        if isinstance(group, str) and (current is None or group != current.client_group):
            # A card names only a group the business defined (by its stored key); a
            # group a card already had before groups were checked stays until changed.
            clean["client_group"] = self._business.groups.defined_key(group, lang=language)
        sensitive = sorted(
            key for key in business.schema.sensitive_keys if clean.get(key) is not None
        )
        self._check_sensitive(sensitive, current.id if current is not None else None, language)
        return clean

    def _check_sensitive(self, keys: builtins.list[str], card_id: str | None, lang: str) -> None:
        """Refuse sensitive ``keys`` unless the card's Art. 9 consent stands.

        A card not stored yet has no ledger, so it can't have that consent.
        """
        if not keys:
            return
        if card_id is not None and self._business.consent.state(card_id).is_granted(
            Purpose.SPECIAL_CATEGORY_DATA, None
        ):
            return
        code = "consent.sensitive_without_consent"
        raise ValidationError(FieldIssue(key, code, message(code, lang)) for key in keys)


def _with_source(query: CardQuery | None, source: str | None) -> CardQuery | None:
    if source is None:
        return query
    if query is not None:
        raise ValueError("give source= or a query (CardQuery(source=...)), not both")
    if not isinstance(source, str):
        raise TypeError("source must be the text of a source")
    return CardQuery(source=source)


def _event_kind(update: CardUpdate) -> EventKind:
    if update.changed == {"status"}:
        return EventKind.CARD_STATUS_CHANGED
    return EventKind.CARD_DETAILS_CHANGED


def _page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError([FieldIssue("limit", "query.limit_invalid", f"use 1 to {MAX_PAGE}")])
    return limit


def _validated(field: str, normalise: Callable[[object], str], raw: object) -> str:
    try:
        return normalise(raw)
    except InvalidValueError as error:
        raise ValidationError([FieldIssue(field, error.code, message(error.code))]) from None
