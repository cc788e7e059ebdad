"""The pages: the booking form, the blocked page and the client card page.

Every decision about a client's data is clientcard's; the views only carry values
between the browser and the salon's :class:`~clientcard.book.BusinessBook`
(``book.business(id)``):

* the form is rendered from ``FieldSchema.form(Context.BOOKING, lang)``;
* ``blacklist.may_book`` is asked before anything is written;
* ``cards.submit_booking``, the consents ticked (``consent.record``, source
  ``booking_form``) and the appointment (``history.add_appointment``) are written in
  one unit of work, so a refused form leaves nothing behind;
* the card page shows the card, ``history.overview`` and the consent the ledger proves.

Logs name fields, codes and ids, never what a client typed.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Final
from zoneinfo import ZoneInfo

import attrs
from flask import abort, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers.response import Response

from clientcard import Context, FieldIssue, FormField, NotFoundError, ValidationError
from clientcard.book import BusinessBook, ClientBook
from clientcard.business import Business
from clientcard.cards.card import BirthDate, ClientCard, FieldValue
from clientcard.consent import ConsentAction, ConsentSource, ConsentState, replay
from clientcard.contact import phone
from clientcard.history.model import Appointment, ServiceLine
from webapp import csrf, forms
from webapp.config import WebappConfig
from webapp.salon import CONSENT_OFFERS, SERVICES, ConsentOffer, Service, offered_slots
from webapp.texts import text

logger = logging.getLogger("webapp")

SERVICE_FIELD: Final = "_service"
SLOT_FIELD: Final = "_slot"
CSRF_FIELD: Final = "_csrf"
_SESSION_NONCE: Final = "csrf_nonce"
_SESSION_CARDS: Final = "cards"
_REMEMBERED_CARDS: Final = 5


@attrs.frozen
class Slot:
    """A bookable time: its value in the form (UTC, ISO 8601) and its local label."""

    value: str
    label: str


@attrs.frozen
class ConsentLine:
    """One consent choice on the card page."""

    label: str
    status: str
    granted: bool


class BookingSite:
    """The views of the reference salon, bound to one book and one business.

    The business must exist in the book already; ``close`` releases the store when the
    app is done with it.
    """

    def __init__(
        self, book: ClientBook, config: WebappConfig, *, close: Callable[[], None] = lambda: None
    ) -> None:
        self.book = book
        self.config = config
        self.close = close
        self.salon: BusinessBook = book.business(config.business_id)
        """The salon's client book: every call the views make goes through it."""
        self._csrf_key = csrf.derive_key(config.secret_key)

    # -- helpers ------------------------------------------------------------------------

    @property
    def business(self) -> Business:
        """The salon, as stored (its schema may have changed since the last request)."""
        return self.salon.details()

    def _now(self) -> dt.datetime:
        return self.book.clock.now()

    def _csrf_nonce(self) -> str:
        nonce = session.get(_SESSION_NONCE)
        if not isinstance(nonce, str):
            nonce = secrets.token_urlsafe(16)
            session[_SESSION_NONCE] = nonce
        return nonce

    def _slots(self, business: Business) -> tuple[Slot, ...]:
        zone = ZoneInfo(business.timezone)
        return tuple(
            Slot(at.isoformat(), at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
            for at in offered_slots(self._now(), business.timezone)
        )

    def _render_form(
        self,
        business: Business,
        *,
        typed: forms.Submitted | None = None,
        issues: tuple[FieldIssue, ...] = (),
        status: int = 200,
    ) -> tuple[str, int]:
        lang = business.language
        fields = business.schema.form(Context.BOOKING, lang)
        errors: dict[str, list[str]] = {}
        for issue in issues:
            errors.setdefault(issue.field, []).append(issue.message)
        shown = {f.key for f in fields} | {SERVICE_FIELD, SLOT_FIELD} | _offer_names()
        page = render_template(
            "book.html",
            lang=lang,
            business=business,
            widgets=[forms.widget(field) for field in fields],
            services=SERVICES,
            slots=self._slots(business),
            offers=CONSENT_OFFERS,
            typed=typed or {},
            errors=errors,
            error_labels=_error_labels(fields, errors, lang),
            general_errors=[i.message for i in issues if i.field not in shown],
            csrf_token=csrf.issue(
                self._csrf_key, self._csrf_nonce(), now=int(self._now().timestamp())
            ),
            service_field=SERVICE_FIELD,
            slot_field=SLOT_FIELD,
            csrf_field=CSRF_FIELD,
        )
        return page, status

    # -- views --------------------------------------------------------------------------

    def booking_form(self) -> tuple[str, int]:
        """GET /: the empty booking form."""
        return self._render_form(self.business)

    def submit(self) -> Response | tuple[str, int]:
        """POST /: check the token, ask the blacklist, then take the booking or show why not."""
        business = self.business
        lang = business.language
        token = request.form.get(CSRF_FIELD, "")
        if not csrf.verify(
            self._csrf_key, self._csrf_nonce(), token, now=int(self._now().timestamp())
        ):
            logger.warning("booking form refused: missing or stale form token")
            return _message(business, "expired.title", text("expired.body", lang), 400)

        fields = business.schema.form(Context.BOOKING, lang)
        typed, values = forms.read(fields, request.form)
        for name in (SERVICE_FIELD, SLOT_FIELD, *_offer_names()):
            typed[name] = request.form.get(name, "")

        verdict = self.salon.blacklist.may_book(
            email=_text_or_none(values.get("email")), phone=_text_or_none(values.get("phones"))
        )
        if not verdict.allowed:
            # The reason is for staff; the client only learns to call.
            logger.info("booking refused by a block", extra={"block_id": verdict.entry_id})
            body = text("blocked.body", lang, phone=self.config.salon_phone)
            return _message(business, "blocked.title", body, 200)

        service, slot, ticked, own_issues = self._read_booking(business, request.form)
        try:
            with self.book.transaction():
                card = self.salon.cards.submit_booking(values, lang=lang)
                if own_issues or service is None or slot is None:
                    raise ValidationError(own_issues)
                for offer in ticked:
                    self.salon.consent.record(
                        card.id,
                        ConsentAction.GRANT,
                        source=ConsentSource.BOOKING_FORM,
                        by="client",
                        purpose=offer.purpose,
                        channel=offer.channel,
                        wording_version=offer.version(lang),
                    )
                self.salon.history.add_appointment(
                    Appointment(
                        id=str(uuid.uuid4()),
                        business_id=business.id,
                        card_id=card.id,
                        starts_at=slot,
                        duration_minutes=service.minutes,
                        services=(
                            ServiceLine(
                                service.id, service.name(lang), service.price, service.minutes
                            ),
                        ),
                    )
                )
        except ValidationError as error:
            issues = _merge(error.issues, own_issues)
            logger.info(
                "booking form refused",
                extra={
                    "fields": sorted({i.field for i in issues}),
                    "codes": sorted({i.code for i in issues}),
                },
            )
            return self._render_form(business, typed=typed, issues=issues, status=422)

        remembered = [card.id, *session.get(_SESSION_CARDS, [])][:_REMEMBERED_CARDS]
        session[_SESSION_CARDS] = remembered
        logger.info("booking taken", extra={"card_id": card.id})
        return redirect(url_for("card", card_id=card.id), code=303)

    def card(self, card_id: str) -> tuple[str, int]:
        """GET /card/<id>: the card just booked, to the browser session that booked it."""
        if card_id not in session.get(_SESSION_CARDS, []):
            abort(404)
        business = self.business
        lang = business.language
        try:
            card = self.salon.cards.get(card_id)
        except NotFoundError:
            abort(404)
        overview = self.salon.history.overview(card_id)
        state = replay(self.salon.consent.ledger(card_id))
        zone = ZoneInfo(business.timezone)
        return render_template(
            "card.html",
            lang=lang,
            business=business,
            card=card,
            rows=list(_card_rows(business, card, lang)),
            phone_label=business.schema.field("phones").label(lang),
            phones=[(number, phone.format_international(number)) for number in card.phones],
            overview=overview,
            local=lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            consents=[_consent_line(o, state, lang, zone) for o in CONSENT_OFFERS],
            salon_phone=self.config.salon_phone,
        ), 200

    def not_found(self) -> tuple[str, int]:
        """The page of any unknown address, and of a card this session didn't book."""
        return _message(self.business, "not_found.title", "", 404)

    # -- the booking's own fields ------------------------------------------------------

    def _read_booking(
        self, business: Business, form: MultiDict[str, str]
    ) -> tuple[Service | None, dt.datetime | None, list[ConsentOffer], tuple[FieldIssue, ...]]:
        lang = business.language
        issues: list[FieldIssue] = []
        service = next((s for s in SERVICES if s.id == form.get(SERVICE_FIELD)), None)
        if service is None:
            issues.append(
                FieldIssue(
                    SERVICE_FIELD, "booking.service_invalid", text("issue.service_invalid", lang)
                )
            )
        slots = {at.isoformat(): at for at in offered_slots(self._now(), business.timezone)}
        slot = slots.get(form.get(SLOT_FIELD, ""))
        if slot is None:
            issues.append(
                FieldIssue(SLOT_FIELD, "booking.slot_invalid", text("issue.slot_invalid", lang))
            )
        ticked: list[ConsentOffer] = []
        for offer in CONSENT_OFFERS:
            shown = form.get(offer.name)
            if shown is None:
                continue  # not ticked: nothing is recorded, and no consent stands
            if shown != offer.version(lang):
                issues.append(
                    FieldIssue(
                        offer.name, "consent.wording_changed", text("issue.wording_changed", lang)
                    )
                )
            else:
                ticked.append(offer)
        return service, slot, ticked, tuple(issues)


def _message(business: Business, title: str, body: str, status: int) -> tuple[str, int]:
    """A page that only says something: the form expired, please call, not found."""
    page = render_template(
        "message.html", business=business, title=text(title, business.language), body=body
    )
    return page, status


def _offer_names() -> set[str]:
    return {offer.name for offer in CONSENT_OFFERS}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _merge(first: tuple[FieldIssue, ...], second: tuple[FieldIssue, ...]) -> tuple[FieldIssue, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _display(value: FieldValue) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, BirthDate):
        return value.iso()
    return str(value)


def _error_labels(
    fields: tuple[FormField, ...], errors: Mapping[str, list[str]], lang: str
) -> list[tuple[str, str]]:
    """The fields with errors, as (key, label) in the page's order, for the summary's links."""
    labels = [(f.key, f.label) for f in fields]
    labels += [(SERVICE_FIELD, text("book.service", lang)), (SLOT_FIELD, text("book.slot", lang))]
    labels += [(offer.name, offer.text(lang)) for offer in CONSENT_OFFERS]
    return [(key, label) for key, label in labels if key in errors]


def _card_rows(business: Business, card: ClientCard, lang: str) -> Iterator[tuple[str, str]]:
    """What the client gave on the booking form, labelled, in the schema's order.

    Only the booking form's fields: what staff keep on the card (internal notes, the
    client's group, a block) is theirs, not the client's, and stays off this page.
    """
    fields: tuple[FormField, ...] = business.schema.form(Context.BOOKING, lang)
    for field in fields:
        value = card.value(field.key)
        if value is None or field.key == "phones":
            continue
        labels = {option.value: option.label for option in field.options}
        shown = labels.get(value, _display(value)) if isinstance(value, str) else _display(value)
        yield field.label, shown


def _consent_line(
    offer: ConsentOffer, state: ConsentState, lang: str, zone: ZoneInfo
) -> ConsentLine:
    """Where one offered consent stands, in the client's words (the wording's version,
    an internal id, stays in the ledger)."""
    choice = state.choice(offer.purpose, offer.channel)
    if choice is None:
        return ConsentLine(offer.text(lang), text("consent.not_given", lang), granted=False)
    day = choice.since.astimezone(zone).strftime("%Y-%m-%d")
    if choice.granted:
        return ConsentLine(
            offer.text(lang),
            text("consent.granted", lang, date=day),
            granted=True,
        )
    return ConsentLine(offer.text(lang), text("consent.withdrawn", lang, date=day), granted=False)
