"""Texts of records, history, the blacklist and the portal (merged into MESSAGES)."""

from __future__ import annotations

from typing import Final

HISTORY_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "id.invalid": {
        "en": "An id must be non-empty text.",
        "it": "Un identificativo deve essere un testo non vuoto.",
        "nl": "Een id moet niet-lege tekst zijn.",
    },
    "text.empty": {
        "en": "This cannot be empty.",
        "it": "Questo non può essere vuoto.",
        "nl": "Dit mag niet leeg zijn.",
    },
    "time.naive": {
        "en": "A time needs a time zone.",
        "it": "Un orario deve avere un fuso orario.",
        "nl": "Een tijdstip heeft een tijdzone nodig.",
    },
    "record.kind_invalid": {
        "en": "A record kind is lower-case letters, digits, dots and underscores.",
        "it": "Il tipo di record usa lettere minuscole, cifre, punti e trattini bassi.",
        "nl": "Een recordsoort bestaat uit kleine letters, cijfers, punten en lage streepjes.",
    },
    "record.kind_mismatch": {
        "en": "This record is of another kind.",
        "it": "Questo record è di un altro tipo.",
        "nl": "Dit record is van een andere soort.",
    },
    "record.naive_time": {
        "en": "A record's time needs a time zone.",
        "it": "L'orario di un record deve avere un fuso orario.",
        "nl": "Het tijdstip van een record heeft een tijdzone nodig.",
    },
    "record.revision_invalid": {
        "en": "Revisions start at 1.",
        "it": "Le revisioni partono da 1.",
        "nl": "Revisies beginnen bij 1.",
    },
    "record.revision_not_next": {
        "en": "An updated record must be one revision past the one it replaces.",
        "it": "Un record aggiornato deve essere una revisione dopo quella che sostituisce.",
        "nl": "Een gewijzigd record moet één revisie verder zijn dan wat het vervangt.",
    },
    "record.text_invalid": {
        "en": "This text contains characters that cannot be stored.",
        "it": "Questo testo contiene caratteri che non si possono salvare.",
        "nl": "Deze tekst bevat tekens die niet opgeslagen kunnen worden.",
    },
    "record.doc_invalid": {
        "en": "A record's document must be a JSON object of finite numbers and text.",
        "it": "Il documento di un record deve essere un oggetto JSON di numeri finiti e testo.",
        "nl": "Een recorddocument moet een JSON-object met eindige getallen en tekst zijn.",
    },
    "record.delete_unbounded": {
        "en": "Name a card, or a kind and record ids, to delete records.",
        "it": "Indica una scheda, o un tipo e gli identificativi, per cancellare record.",
        "nl": "Noem een kaart, of een soort en record-id's, om records te verwijderen.",
    },
    "appointment.duration_invalid": {
        "en": "An appointment lasts from 0 to 24 hours.",
        "it": "Un appuntamento dura da 0 a 24 ore.",
        "nl": "Een afspraak duurt 0 tot 24 uur.",
    },
    "appointment.no_service": {
        "en": "An appointment needs at least one service.",
        "it": "Un appuntamento richiede almeno un servizio.",
        "nl": "Een afspraak heeft minstens één behandeling nodig.",
    },
    "appointment.card_changed": {
        "en": "An appointment stays with the card it was booked for.",
        "it": "Un appuntamento resta sulla scheda per cui è stato prenotato.",
        "nl": "Een afspraak blijft bij de kaart waarvoor ze geboekt is.",
    },
    "payment.negative": {
        "en": "A payment cannot be negative; record a refund instead.",
        "it": "Un pagamento non può essere negativo; registra un rimborso.",
        "nl": "Een betaling kan niet negatief zijn; registreer een terugbetaling.",
    },
    "blacklist.expiry_past": {
        "en": "A block must end after it starts.",
        "it": "Un blocco deve finire dopo il suo inizio.",
        "nl": "Een blokkering moet eindigen na het begin.",
    },
    "password.invalid": {
        "en": "Enter a password.",
        "it": "Inserisci una password.",
        "nl": "Voer een wachtwoord in.",
    },
    "password.too_short": {
        "en": "Use a longer password: a few words make a good one.",
        "it": "Usa una password più lunga: alcune parole ne fanno una buona.",
        "nl": "Gebruik een langer wachtwoord: een paar woorden maken een goed wachtwoord.",
    },
    "password.too_long": {
        "en": "This password is too long.",
        "it": "Questa password è troppo lunga.",
        "nl": "Dit wachtwoord is te lang.",
    },
    "password.common": {
        "en": "This password is one of the most common ones; choose another.",
        "it": "Questa password è tra le più comuni; scegline un'altra.",
        "nl": "Dit wachtwoord is een van de meest gebruikte; kies een ander.",
    },
    "password.is_login": {
        "en": "The password cannot be your e-mail address.",
        "it": "La password non può essere il tuo indirizzo e-mail.",
        "nl": "Het wachtwoord mag niet uw e-mailadres zijn.",
    },
    "portal.no_email": {
        "en": "A portal account needs an e-mail address on the card.",
        "it": "Un account del portale richiede un indirizzo e-mail sulla scheda.",
        "nl": "Een portaalaccount heeft een e-mailadres op de kaart nodig.",
    },
    "portal.login_taken": {
        "en": "Another account already uses this e-mail address.",
        "it": "Un altro account usa già questo indirizzo e-mail.",
        "nl": "Een ander account gebruikt dit e-mailadres al.",
    },
    "portal.sign_in_failed": {
        "en": "The e-mail address or the password is not right.",
        "it": "L'indirizzo e-mail o la password non sono corretti.",
        "nl": "Het e-mailadres of het wachtwoord klopt niet.",
    },
    "portal.locked": {
        "en": "Too many attempts; try again later.",
        "it": "Troppi tentativi; riprova più tardi.",
        "nl": "Te veel pogingen; probeer het later opnieuw.",
    },
    "portal.link_invalid": {
        "en": "This link is no longer valid; ask for a new one.",
        "it": "Questo link non è più valido; richiedine uno nuovo.",
        "nl": "Deze link is niet meer geldig; vraag een nieuwe aan.",
    },
    "portal.session_ended": {
        "en": "Please sign in again.",
        "it": "Accedi di nuovo.",
        "nl": "Meld u opnieuw aan.",
    },
}
