"""The reference booking site through Flask's test client: the same flows as the browser test.

The page is parsed with the standard library's HTML parser so each assertion looks at a
field's own block (``div.field[data-field=...]``), as a person reading the form would.
"""

from __future__ import annotations

import datetime as dt
import logging
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webapp.salon import CONSENT_OFFERS, booking_schema, offered_slots

from clientcard import Context, FieldType
from clientcard.blacklist.model import BlockReason
from clientcard.clock import FixedClock
from clientcard.consent import Channel, ConsentSource, Purpose
from clientcard.locale import message
from clientcard.storage.records import RecordQuery
from tests.webapp.conftest import csrf_token
from webapp import BookingSite, WebappConfig, create_app

EMAIL_OFFER, SMS_OFFER = CONSENT_OFFERS


class Element:
    """An element of the parsed page: its tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element] = []
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        inner = "".join([*self.parts, *(child.text for child in self.children)])
        return " ".join(inner.split())

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            found.extend(child.iter())
        return found

    def find_all(self, tag: str, **wanted: str) -> list[Element]:
        return [
            element
            for element in self.iter()
            if element.tag == tag
            and all(
                element.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in wanted.items()
            )
        ]

    def find(self, tag: str, **wanted: str) -> Element:
        (element,) = self.find_all(tag, **wanted)
        return element

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


_VOID = {"input", "meta", "link", "br", "img", "hr"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(page: str) -> Element:
    parser = _Parser()
    parser.feed(page)
    return parser.root


def field_block(page: Element, key: str) -> Element:
    return page.find("div", data_field=key)


def errors_of(page: Element, key: str) -> list[str]:
    return [p.text for p in field_block(page, key).find_all("p") if "error" in p.classes()]


def first_slot(config: WebappConfig) -> str:
    assert config.clock is not None
    return offered_slots(config.clock.now(), config.timezone)[0].isoformat()


def good_form(config: WebappConfig, **changes: str) -> dict[str, str]:
    form = {
        "first_name": " Anna ",
        "last_name": "Rossi",
        "email": "Anna.Rossi@Example.com",
        "phones": "333 123 4567",
        "hair_length": "long",
        "_service": "colour",
        "_slot": first_slot(config),
        EMAIL_OFFER.name: EMAIL_OFFER.version("it"),
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != "<omit>"}


def post(client: FlaskClient, form: dict[str, str]) -> tuple[int, Element, str]:
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/", data={**form, "_csrf": token})
    return response.status_code, parse(response.get_data(as_text=True)), response.location or ""


def stored_cards(site: BookingSite) -> int:
    return site.salon.cards.count()


class TestTheForm:
    def test_it_is_rendered_from_the_schemas_booking_fields_in_the_business_language(
        self, client: FlaskClient, site: BookingSite
    ) -> None:
        """Each booking field of the schema, in order, labelled in Italian, required marked."""
        page = parse(client.get("/").get_data(as_text=True))
        form_fields = booking_schema().form(Context.BOOKING, "it")
        blocks = [
            div.attrs["data-field"] for div in page.find_all("div") if "field" in div.classes()
        ]
        assert blocks[: len(form_fields)] == [field.key for field in form_fields]
        for field in form_fields:
            label = field_block(page, field.key).find_all("label")[0].text
            assert label == field.label + (" *" if field.required else "")
        assert page.find("label", for_="field-first_name").text == "Nome *"
        assert page.find("label", for_="field-email").text == "E-mail"

    def test_field_types_become_input_types_and_choices_become_selects(
        self, client: FlaskClient
    ) -> None:
        """E-mail is an e-mail input, phones a tel input, choices a select with labels."""
        page = parse(client.get("/").get_data(as_text=True))
        assert page.find("input", name="email").attrs["type"] == "email"
        assert page.find("input", name="phones").attrs["type"] == "tel"
        assert "required" in page.find("input", name="phones").attrs
        assert "required" not in page.find("input", name="email").attrs
        options = page.find("select", name="hair_length").find_all("option")
        assert [(o.attrs["value"], o.text) for o in options] == [
            ("", "Scegli…"),
            ("short", "Corti"),
            ("medium", "Medi"),
            ("long", "Lunghi"),
        ]
        # The server validates; the browser's own checks would hide clientcard's messages.
        assert "novalidate" in page.find("form", id="booking").attrs

    def test_consent_boxes_are_not_ticked_and_carry_their_wording_version_unseen(
        self, client: FlaskClient
    ) -> None:
        """Nothing pre-ticked; each box sends the wording version a grant would record,
        an internal id the client never reads."""
        page = parse(client.get("/").get_data(as_text=True))
        for offer in CONSENT_OFFERS:
            block = field_block(page, offer.name)
            box = block.find("input", name=offer.name)
            assert "checked" not in box.attrs
            assert box.attrs["value"] == offer.version("it")
            assert offer.text("it") in block.text
            assert offer.version("it") not in block.text

    def test_a_schema_change_shows_on_the_next_page(
        self, client: FlaskClient, site: BookingSite
    ) -> None:
        """The form follows the stored schema, not a copy taken at start-up."""
        site.salon.cards.change_schema(
            lambda schema: schema.configure("city", collect_during_booking=True, required=True)
        )
        page = parse(client.get("/").get_data(as_text=True))
        assert page.find("label", for_="field-city").text == "Città *"

    def test_every_widget_kind_renders(self, tmp_path: Path, clock: FixedClock) -> None:
        """Long text, numbers, dates, booleans, multi-choices and tags each get an input."""
        from clientcard import Choice, FieldDefinition

        def extra(key: str, type_: FieldType, **more: object) -> FieldDefinition:
            return FieldDefinition(
                key=key, type=type_, labels={"en": key}, collect_during_booking=True, **more
            )

        config = WebappConfig(db_path=tmp_path / "kinds.db", clock=clock, language="en")
        app = create_app(config)
        from webapp import booking_site

        site = booking_site(app)
        try:
            site.salon.cards.change_schema(
                lambda s: (
                    s.add(extra("remarks", FieldType.LONG_TEXT))
                    .add(extra("visits", FieldType.NUMBER))
                    .add(extra("since", FieldType.DATE))
                    .add(extra("vip", FieldType.BOOLEAN))
                    .add(
                        extra(
                            "likes", FieldType.MULTI_CHOICE, choices=(Choice("tea", {"en": "Tea"}),)
                        )
                    )
                    .add(extra("labels", FieldType.TAGS))
                    .configure("birth_date", collect_during_booking=True)
                )
            )
            page = parse(app.test_client().get("/").get_data(as_text=True))
        finally:
            site.close()
        assert page.find("textarea", name="remarks").attrs["maxlength"] == "5000"
        assert page.find("input", name="visits").attrs["type"] == "number"
        assert page.find("input", name="since").attrs["type"] == "date"
        assert page.find("input", name="vip").attrs["type"] == "checkbox"
        assert page.find("input", name="likes").attrs["value"] == "tea"
        assert page.find("input", name="labels").attrs["placeholder"] == "a, b, c"
        assert page.find("input", name="birth_date").attrs["placeholder"] == "YYYY-MM-DD / --MM-DD"
        assert page.find("html").attrs["lang"] == "en"

    def test_pages_are_served_without_debug_and_with_strict_headers(
        self, app: Flask, client: FlaskClient
    ) -> None:
        """No debugger; no inline script or framing; no caching of personal data."""
        response = client.get("/")
        assert app.debug is False
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        set_cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in set_cookie
        assert "SameSite=Lax" in set_cookie


class TestBadInput:
    def test_each_fields_message_is_shown_next_to_it_and_what_was_typed_stays(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """A bad e-mail, a bad phone and a missing name: three messages, in Italian, in place."""
        status, page, _ = post(client, good_form(config, first_name="", email="anna@", phones="12"))
        assert status == 422
        assert errors_of(page, "email") == [message("email.invalid", "it")]
        assert errors_of(page, "phones") == [message("phone.invalid", "it")]
        assert errors_of(page, "first_name") == [message("field.required", "it")]
        assert errors_of(page, "last_name") == []
        assert page.find("input", name="email").attrs["value"] == "anna@"
        assert page.find("input", name="phones").attrs["value"] == "12"
        assert page.find("input", name="last_name").attrs["value"] == "Rossi"
        assert page.find("input", name="email").attrs["aria-describedby"] == "error-email"
        assert "checked" in page.find("input", name=EMAIL_OFFER.name).attrs
        assert page.find("div", id="errors").attrs["role"] == "alert"
        assert stored_cards(site) == 0

    def test_the_bookings_own_fields_are_checked_with_the_cards(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """A bad slot and a bad e-mail are reported together."""
        status, page, _ = post(
            client, good_form(config, email="x@", _slot="2020-01-01T00:00:00+00:00")
        )
        assert status == 422
        assert errors_of(page, "email") == [message("email.invalid", "it")]
        assert errors_of(page, "_slot") == ["Scegli uno degli orari proposti."]

    def test_a_refused_booking_writes_nothing_even_when_the_card_was_fine(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """Card, consent and appointment are one unit of work: no service, no card."""
        status, page, _ = post(client, good_form(config, _service="perm"))
        assert status == 422
        assert errors_of(page, "_service") == ["Scegli uno dei servizi proposti."]
        assert stored_cards(site) == 0
        assert not site.book.store.find_records(config.business_id, RecordQuery(kind="appointment"))

    def test_a_consent_whose_wording_changed_is_asked_again(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """A box ticked under another text is not recorded under the current version."""
        status, page, _ = post(
            client, good_form(config, **{SMS_OFFER.name: "marketing-sms-it-old"})
        )
        assert status == 422
        assert errors_of(page, SMS_OFFER.name) == [
            "Questo testo è cambiato dal caricamento della pagina; rileggilo, per favore."
        ]
        assert stored_cards(site) == 0

    def test_what_was_typed_is_escaped(self, client: FlaskClient, config: WebappConfig) -> None:
        """Markup typed into a field comes back as text."""
        client.get("/")
        token = csrf_token(client.get("/").get_data(as_text=True))
        typed = '"><script>alert(1)</script>'
        response = client.post("/", data={**good_form(config, email=typed), "_csrf": token})
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body

    def test_logs_name_fields_and_codes_but_never_what_was_typed(
        self, client: FlaskClient, config: WebappConfig, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The refusal is logged with field names and codes only."""
        caplog.set_level(logging.DEBUG)
        form = good_form(config, first_name="Zerlina", email="zerlina@", phones="0000")
        post(client, form)
        (refusal,) = [r for r in caplog.records if r.getMessage() == "booking form refused"]
        assert refusal.__dict__["codes"] == ["email.invalid", "phone.invalid"]
        everything = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        for typed in ("Zerlina", "zerlina@", "0000", "Rossi"):
            assert typed not in everything


class TestFormToken:
    def test_a_post_without_the_token_is_refused_and_writes_nothing(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        response = client.post("/", data=good_form(config))
        assert response.status_code == 400
        assert "Questo modulo è scaduto" in response.get_data(as_text=True)
        assert stored_cards(site) == 0

    def test_a_token_from_another_session_is_refused(
        self, app: Flask, site: BookingSite, config: WebappConfig
    ) -> None:
        attacker, victim = app.test_client(), app.test_client()
        token = csrf_token(attacker.get("/").get_data(as_text=True))
        victim.get("/")
        response = victim.post("/", data={**good_form(config), "_csrf": token})
        assert response.status_code == 400
        assert stored_cards(site) == 0

    def test_a_token_expires(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig, clock: FixedClock
    ) -> None:
        token = csrf_token(client.get("/").get_data(as_text=True))
        clock.advance(dt.timedelta(hours=3))
        response = client.post("/", data={**good_form(config), "_csrf": token})
        assert response.status_code == 400

    @pytest.mark.parametrize("junk", ["", ".", "abc.def", "1.", "²³.ff", "9" * 40 + ".ff", "1.2.3"])
    def test_junk_tokens_are_refused(self, junk: str) -> None:
        from webapp import csrf

        assert not csrf.verify(csrf.derive_key(b"k" * 32), "nonce", junk, now=1)


class TestBooking:
    def test_a_good_booking_leads_to_the_card_with_its_phone_and_consent(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """The card page: normalised fields, the E.164 phone, the booking, the consent."""
        status, _, location = post(client, good_form(config))
        assert status == 303
        card_id = location.rsplit("/", 1)[1]
        card = site.salon.cards.get(card_id)
        assert card.first_name == "Anna"
        assert card.email == "Anna.Rossi@example.com"  # the domain is lower-cased
        assert card.phones == ("+393331234567",)

        page = parse(client.get(location).get_data(as_text=True))
        link = page.find("a", class_="phone")
        assert link.attrs["href"] == "tel:+393331234567"
        assert link.text == "+39 333 123 4567"
        assert "Anna Rossi" in page.find("section", id="confirmation").text
        card_text = page.find("section", id="card").text
        assert "NomeAnnaCognomeRossi" in card_text  # each labelled
        assert "Anna.Rossi@example.com" in card_text
        assert "Lunghi" in card_text  # the choice's label, not its value
        (booking,) = page.find_all("li", class_="booking")
        assert booking.text == "2026-11-24 10:00 · Colore · 60.00 EUR"

        granted, not_granted = (
            page.find_all("li", class_="granted"),
            page.find_all("li", class_="not-granted"),
        )
        assert [li.text for li in granted] == [f"{EMAIL_OFFER.text('it')} — dato il 2026-11-23"]
        assert [li.text for li in not_granted] == [f"{SMS_OFFER.text('it')} — non dato"]

    def test_the_card_page_shows_the_client_only_what_is_theirs(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """What staff keep on the card (notes, group, tags) stays off the client's page."""
        _, _, location = post(client, good_form(config))
        card_id = location.rsplit("/", 1)[1]
        site.salon.groups.add(key="difficili", label="Difficili")
        site.salon.cards.edit(
            card_id,
            {"notes": "paga sempre in ritardo", "client_group": "difficili", "tags": ["vip"]},
            expected_version=site.salon.cards.get(card_id).version,
        )
        page = client.get(location).get_data(as_text=True)
        for staff_only in ("paga sempre in ritardo", "difficili", "vip", "Note"):
            assert staff_only not in page
        assert "Spesa media" not in page  # figures about the client are staff's too

    def test_the_ledger_proves_what_was_ticked_and_nothing_else(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """One grant, from the booking form, by the client, under the version shown."""
        _, _, location = post(client, good_form(config))
        card_id = location.rsplit("/", 1)[1]
        (grant,) = site.salon.consent.ledger(card_id)
        assert grant.source is ConsentSource.BOOKING_FORM
        assert grant.recorded_by == "client"
        assert (grant.purpose, grant.channel) == (Purpose.MARKETING, Channel.EMAIL)
        assert grant.wording_version == EMAIL_OFFER.version("it")
        assert site.salon.consent.may_contact(card_id, Purpose.MARKETING, Channel.EMAIL).allowed
        decision = site.salon.consent.may_contact(card_id, Purpose.MARKETING, Channel.SMS)
        assert decision.reason == "no_consent"

    def test_nothing_ticked_records_nothing(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        _, _, location = post(client, good_form(config, **{EMAIL_OFFER.name: "<omit>"}))
        card_id = location.rsplit("/", 1)[1]
        assert site.salon.consent.ledger(card_id) == []

    def test_a_card_page_is_only_for_the_session_that_booked(
        self, app: Flask, config: WebappConfig
    ) -> None:
        """Card ids don't open cards: another browser gets a 404."""
        _, _, location = post(app.test_client(), good_form(config))
        other = app.test_client()
        assert other.get(location).status_code == 404
        assert other.get("/card/no-such-card").status_code == 404

    def test_a_card_deleted_since_is_not_found(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        _, _, location = post(client, good_form(config))
        card_id = location.rsplit("/", 1)[1]
        site.salon.cards.remove(card_id, expected_version=1)
        response = client.get(location)
        assert response.status_code == 404
        assert "Non trovato" in response.get_data(as_text=True)


class TestBlacklist:
    @pytest.mark.parametrize(
        ("field", "typed"),
        [("phones", "+39 333 1234567"), ("email", "ANNA.rossi@example.com")],
    )
    def test_a_blocked_person_is_asked_to_call_and_nothing_is_written(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig, field: str, typed: str
    ) -> None:
        """A block on an earlier card catches the same phone or e-mail, however typed."""
        _, _, location = post(client, good_form(config))
        blocked = location.rsplit("/", 1)[1]
        site.salon.blacklist.add(blocked, BlockReason.NO_SHOW, by="staff")
        other = {"phones": "347 000 1111", "email": "someone@example.org", field: typed}
        status, page, _ = post(client, good_form(config, first_name="", **other))
        assert status == 200
        assert page.find("h1").text == "Chiama il salone"
        assert config.salon_phone in page.text
        assert "no_show" not in page.text  # the reason is for staff
        assert stored_cards(site) == 1

    def test_the_card_page_never_tells_the_client_about_a_block(
        self, client: FlaskClient, site: BookingSite, config: WebappConfig
    ) -> None:
        """A block is staff's business: the client's own page shows nothing of it."""
        _, _, location = post(client, good_form(config))
        site.salon.blacklist.add(location.rsplit("/", 1)[1], BlockReason.OTHER, by="staff")
        page = client.get(location).get_data(as_text=True)
        assert 'id="blocked"' not in page
        assert "Bloccato" not in page


class TestConfig:
    def test_settings_come_from_the_environment(self, tmp_path: Path) -> None:
        config = WebappConfig.from_env(
            {
                "CLIENTCARD_WEBAPP_DB": f"{tmp_path}/x.db",
                "CLIENTCARD_WEBAPP_SECRET": "ab" * 32,
                "CLIENTCARD_WEBAPP_LANGUAGE": "nl",
                "CLIENTCARD_WEBAPP_SECURE_COOKIES": "1",
            }
        )
        assert str(config.db_path) == f"{tmp_path}/x.db"
        assert config.secret_key == bytes.fromhex("ab" * 32)
        assert (config.language, config.cookie_secure) == ("nl", True)
        assert "secret" not in repr(config)

    def test_defaults_keep_the_file_in_the_temporary_directory(self) -> None:
        import tempfile

        config = WebappConfig.from_env({})
        assert str(config.db_path).startswith(tempfile.gettempdir())
        assert len(config.secret_key) == 32
        assert config.cookie_secure is False

    def test_a_short_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            WebappConfig.from_env({"CLIENTCARD_WEBAPP_SECRET": "abcd"})

    def test_a_restarted_app_finds_its_salon_and_cards(self, config: WebappConfig) -> None:
        from webapp import booking_site

        first = create_app(config)
        _, _, location = post(first.test_client(), good_form(config))
        booking_site(first).close()
        second = create_app(config)
        try:
            site = booking_site(second)
            assert site.salon.cards.count() == 1
            assert site.business.schema.field("hair_length").collect_during_booking
        finally:
            booking_site(second).close()
        assert location.startswith("/card/")


class TestRunningLocally:
    def test_make_webapp_serves_without_debug_on_the_loopback(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``python -m webapp`` (what ``make webapp`` runs) never turns the debugger on."""
        from webapp import __main__ as entry

        calls: list[dict[str, object]] = []
        monkeypatch.setenv("CLIENTCARD_WEBAPP_DB", str(tmp_path / "local.db"))
        monkeypatch.setattr(Flask, "run", lambda _app, **kwargs: calls.append(kwargs))
        monkeypatch.setattr("sys.argv", ["webapp", "--port", "8123"])
        monkeypatch.setattr(logging, "basicConfig", lambda **_: None)
        entry.main()
        assert calls == [{"host": "127.0.0.1", "port": 8123, "debug": False, "use_reloader": False}]
        assert str(tmp_path / "local.db") in capsys.readouterr().out
