"""The page's own words in English, Italian and Dutch.

Field labels and validation messages come from clientcard, in the business's language;
these are only the words around them (headings, buttons, the blocked page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "book.title": {
        "en": "Book an appointment",
        "it": "Prenota un appuntamento",
        "nl": "Maak een afspraak",
    },
    "book.required_hint": {
        "en": "Fields marked * are required.",
        "it": "I campi con * sono obbligatori.",
        "nl": "Velden met * zijn verplicht.",
    },
    "book.service": {"en": "Service", "it": "Servizio", "nl": "Behandeling"},
    "book.slot": {"en": "When", "it": "Quando", "nl": "Wanneer"},
    "book.choose": {"en": "Choose…", "it": "Scegli…", "nl": "Kies…"},
    "book.submit": {"en": "Book", "it": "Prenota", "nl": "Boeken"},
    "book.errors": {
        "en": "Please correct the fields marked below.",
        "it": "Correggi i campi indicati qui sotto.",
        "nl": "Verbeter de hieronder gemarkeerde velden.",
    },
    "consent.heading": {
        "en": "Keeping in touch (optional)",
        "it": "Restiamo in contatto (facoltativo)",
        "nl": "Contact houden (optioneel)",
    },
    "consent.note": {
        "en": "Tick only what you want; you can withdraw at any time.",
        "it": "Spunta solo ciò che desideri; puoi revocare il consenso in qualsiasi momento.",
        "nl": "Vink alleen aan wat je wilt; je kunt altijd je toestemming intrekken.",
    },
    "consent.heading_card": {
        "en": "Your message choices",
        "it": "Le tue scelte sui messaggi",
        "nl": "Je keuzes voor berichten",
    },
    "consent.granted": {
        "en": "given on {date}",
        "it": "dato il {date}",
        "nl": "gegeven op {date}",
    },
    "consent.change": {
        "en": "You can change these choices at any time: every message has a link, "
        "or call us on {phone}.",
        "it": "Puoi cambiare queste scelte quando vuoi: ogni messaggio ha un link, "
        "oppure chiamaci al {phone}.",
        "nl": "Je kunt deze keuzes altijd wijzigen: elk bericht heeft een link, "
        "of bel ons op {phone}.",
    },
    "consent.withdrawn": {
        "en": "withdrawn on {date}",
        "it": "revocato il {date}",
        "nl": "ingetrokken op {date}",
    },
    "consent.not_given": {"en": "not given", "it": "non dato", "nl": "niet gegeven"},
    "issue.service_invalid": {
        "en": "Choose one of the services offered.",
        "it": "Scegli uno dei servizi proposti.",
        "nl": "Kies een van de aangeboden behandelingen.",
    },
    "issue.slot_invalid": {
        "en": "Choose one of the times offered.",
        "it": "Scegli uno degli orari proposti.",
        "nl": "Kies een van de aangeboden tijden.",
    },
    "issue.wording_changed": {
        "en": "This text has changed since the page was loaded; please read it again.",
        "it": "Questo testo è cambiato dal caricamento della pagina; rileggilo, per favore.",
        "nl": "Deze tekst is gewijzigd sinds de pagina werd geladen; lees hem opnieuw.",
    },
    "blocked.title": {
        "en": "Please call the salon",
        "it": "Chiama il salone",
        "nl": "Bel de salon",
    },
    "blocked.body": {
        "en": "We can't take this booking online. Please call us on {phone}.",
        "it": "Non possiamo accettare questa prenotazione online. Chiamaci al {phone}.",
        "nl": "We kunnen deze afspraak niet online aannemen. Bel ons op {phone}.",
    },
    "expired.title": {
        "en": "This form has expired",
        "it": "Questo modulo è scaduto",
        "nl": "Dit formulier is verlopen",
    },
    "expired.body": {
        "en": "Nothing was saved. Please open the booking form again and resend it.",
        "it": "Non è stato salvato nulla. Riapri il modulo di prenotazione e invialo di nuovo.",
        "nl": "Er is niets opgeslagen. Open het boekingsformulier opnieuw en verstuur het.",
    },
    "not_found.title": {"en": "Not found", "it": "Non trovato", "nl": "Niet gevonden"},
    "card.title": {
        "en": "Your booking is confirmed",
        "it": "La tua prenotazione è confermata",
        "nl": "Je afspraak is bevestigd",
    },
    "card.details": {"en": "Your details", "it": "I tuoi dati", "nl": "Je gegevens"},
    "card.next_bookings": {
        "en": "Your appointment",
        "it": "Il tuo appuntamento",
        "nl": "Je afspraak",
    },
    "card.thanks": {
        "en": "Thank you, {name}. We look forward to seeing you.",
        "it": "Grazie, {name}. Ti aspettiamo.",
        "nl": "Dank je, {name}. We kijken ernaar uit je te zien.",
    },
    "card.book_again": {
        "en": "Book another appointment",
        "it": "Prenota un altro appuntamento",
        "nl": "Nog een afspraak maken",
    },
    "errors.field": {
        "en": "{label}: {message}",
        "it": "{label}: {message}",
        "nl": "{label}: {message}",
    },
}


def text(key: str, lang: str, **params: object) -> str:
    """The page text ``key`` in ``lang`` (English when missing), with ``params`` filled in."""
    texts = TEXTS[key]
    template = texts.get(lang) or texts["en"]
    return template.format(**params) if params else template
