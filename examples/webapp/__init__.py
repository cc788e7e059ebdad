"""A reference host application: a salon's online booking form on clientcard.

A small Flask site that shows how a booking product embeds clientcard:

* ``GET /`` renders the booking form from the business's field schema
  (``FieldSchema.form(Context.BOOKING, lang)``), with optional marketing consent
  checkboxes (nothing pre-ticked) that show the wording version they record;
* ``POST /`` asks the blacklist (``blacklist.may_book``) first, then takes the booking
  through ``cards.submit_booking``, ``consent.record`` and ``history.add_appointment``
  in one unit of work; on a :class:`~clientcard.ValidationError` the form comes back
  with each field's message, in the business's language, next to that field;
* ``GET /card/<id>`` shows the card just booked: its fields, ``history.overview`` and
  consent.

Each of those is a service of the salon's handle, ``book.business(salon_id)``.

Every booking here makes a new card: an address typed on a public form proves nobody's
identity, so it must not open or change someone's existing card. A returning client
signs in through the portal (``book.business(salon_id).portal``) and the host passes
``card_id=principal.card_id`` to ``cards.submit_booking``. The card page is shown only to
the browser session that booked; a staff screen would sit behind the host's sign-in.

Run it with ``make webapp`` (or ``python -m webapp`` with ``examples`` on the path); the
cards go to a SQLite file in the temporary directory unless ``CLIENTCARD_WEBAPP_DB``
names another. Flask was chosen as the plainest standard: WSGI, Jinja2 templates that
escape by default, a test client, and nothing asynchronous that clientcard's
synchronous stores would have to be wrapped for.
"""

from __future__ import annotations

import functools
from typing import cast

from flask import Flask, Response

from clientcard import NotFoundError
from clientcard.book import ClientBook
from clientcard.storage.sqlite import SQLiteStore
from webapp.config import WebappConfig
from webapp.salon import booking_schema
from webapp.texts import text
from webapp.views import BookingSite

__all__ = ["BookingSite", "WebappConfig", "booking_site", "create_app"]

_EXTENSION = "clientcard.webapp"

# Everything the pages use comes from this site; nothing runs inline, nothing frames it.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(config: WebappConfig | None = None) -> Flask:
    """Build the site on a SQLite store at ``config.db_path``, creating the salon if new.

    The store stays open for the life of the app; ``booking_site(app).close()`` closes it.
    """
    config = config or WebappConfig.from_env()
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(config.db_path)
    book = ClientBook(
        store,
        clock=config.clock,
        fingerprint_secret=config.fingerprint_secret,
    )
    try:
        book.get_business(config.business_id)
    except NotFoundError:
        book.create_business(
            business_id=config.business_id,
            name=config.business_name,
            region=config.region,
            language=config.language,
            timezone=config.timezone,
            schema=booking_schema(),
        )

    app = Flask(__name__)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.cookie_secure,
        MAX_CONTENT_LENGTH=64 * 1024,  # a booking form is a few hundred bytes
    )
    site = BookingSite(book, config, close=store.close)
    app.extensions[_EXTENSION] = site
    app.add_url_rule("/", "booking_form", site.booking_form, methods=["GET"])
    app.add_url_rule("/", "submit", site.submit, methods=["POST"])
    app.add_url_rule("/card/<card_id>", "card", site.card, methods=["GET"])

    @app.context_processor
    def page_texts() -> dict[str, object]:
        lang = site.business.language
        return {"lang": lang, "t": functools.partial(text, lang=lang)}

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        return site.not_found()

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.update(_SECURITY_HEADERS)
        return response

    return app


def booking_site(app: Flask) -> BookingSite:
    """The :class:`BookingSite` behind an app made by :func:`create_app`."""
    return cast("BookingSite", app.extensions[_EXTENSION])
