"""Texts of money, promotions, client groups and the gallery (merged into MESSAGES)."""

from __future__ import annotations

from typing import Final

COMMERCE_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "money.currency_invalid": {
        "en": "Use a three-letter ISO 4217 currency code (EUR, GBP, ...).",
        "it": "Usa un codice valuta ISO 4217 di tre lettere (EUR, GBP, ...).",
        "nl": "Gebruik een ISO 4217-valutacode van drie letters (EUR, GBP, ...).",
    },
    "money.amount_invalid": {
        "en": "This is not an amount of money.",
        "it": "Questo non è un importo.",
        "nl": "Dit is geen geldbedrag.",
    },
    "money.currency_mismatch": {
        "en": "Amounts in different currencies cannot be combined.",
        "it": "Non si possono combinare importi in valute diverse.",
        "nl": "Bedragen in verschillende valuta kunnen niet worden gecombineerd.",
    },
    "promotion.code_invalid": {
        "en": "A promo code has 3 to 32 letters and digits.",
        "it": "Un codice promozionale ha da 3 a 32 lettere e cifre.",
        "nl": "Een promotiecode heeft 3 tot 32 letters en cijfers.",
    },
    "promotion.name_invalid": {
        "en": "A promotion needs a name of at most 100 characters.",
        "it": "Una promozione richiede un nome di al massimo 100 caratteri.",
        "nl": "Een promotie heeft een naam van maximaal 100 tekens nodig.",
    },
    "promotion.discount_invalid": {
        "en": "A discount is a percentage above 0 and up to 100, or a positive amount.",
        "it": "Uno sconto è una percentuale oltre 0 e fino a 100, o un importo positivo.",
        "nl": "Een korting is een percentage boven 0 en tot 100, of een positief bedrag.",
    },
    "promotion.window_invalid": {
        "en": "The validity period must end after it starts, in a given time zone.",
        "it": "Il periodo di validità deve finire dopo l'inizio, con un fuso orario.",
        "nl": "De geldigheidsperiode moet na het begin eindigen, met een tijdzone.",
    },
    "promotion.limit_invalid": {
        "en": "A usage limit is a whole number of at least 1.",
        "it": "Un limite di utilizzo è un numero intero di almeno 1.",
        "nl": "Een gebruikslimiet is een geheel getal van minstens 1.",
    },
    "promotion.item_invalid": {
        "en": "Each group or service is 1 to 100 characters.",
        "it": "Ogni gruppo o servizio ha da 1 a 100 caratteri.",
        "nl": "Elke groep of dienst heeft 1 tot 100 tekens.",
    },
    "promotion.group_unknown": {
        "en": "This client group is not defined.",
        "it": "Questo gruppo di clienti non è definito.",
        "nl": "Deze klantengroep is niet gedefinieerd.",
    },
    "promotion.unknown": {
        "en": "There is no promotion with this code.",
        "it": "Non esiste una promozione con questo codice.",
        "nl": "Er is geen promotie met deze code.",
    },
    "promotion.retired": {
        "en": "This promotion has been retired.",
        "it": "Questa promozione è stata ritirata.",
        "nl": "Deze promotie is beëindigd.",
    },
    "promotion.not_yet_valid": {
        "en": "This promotion is not valid yet.",
        "it": "Questa promozione non è ancora valida.",
        "nl": "Deze promotie is nog niet geldig.",
    },
    "promotion.expired": {
        "en": "This promotion has expired.",
        "it": "Questa promozione è scaduta.",
        "nl": "Deze promotie is verlopen.",
    },
    "promotion.group_not_eligible": {
        "en": "This promotion is not for the client's group.",
        "it": "Questa promozione non è per il gruppo del cliente.",
        "nl": "Deze promotie geldt niet voor de groep van de klant.",
    },
    "promotion.service_not_eligible": {
        "en": "This promotion does not apply to this service.",
        "it": "Questa promozione non si applica a questo servizio.",
        "nl": "Deze promotie geldt niet voor deze dienst.",
    },
    "promotion.exhausted": {
        "en": "This promotion has been used up.",
        "it": "Questa promozione è esaurita.",
        "nl": "Deze promotie is opgebruikt.",
    },
    "promotion.client_limit_reached": {
        "en": "The client has already used this promotion as often as allowed.",
        "it": "Il cliente ha già usato questa promozione il numero massimo di volte.",
        "nl": "De klant heeft deze promotie al zo vaak gebruikt als toegestaan.",
    },
    "group.key_invalid": {
        "en": "A group key has 1 to 40 lower-case letters, digits, - and _.",
        "it": "La chiave di un gruppo ha da 1 a 40 lettere minuscole, cifre, - e _.",
        "nl": "Een groepssleutel heeft 1 tot 40 kleine letters, cijfers, - en _.",
    },
    "group.label_invalid": {
        "en": "A group needs a label of at most 100 characters.",
        "it": "Un gruppo richiede un'etichetta di al massimo 100 caratteri.",
        "nl": "Een groep heeft een label van maximaal 100 tekens nodig.",
    },
    "group.description_invalid": {
        "en": "A description has at most 1000 characters, without control characters.",
        "it": "Una descrizione ha al massimo 1000 caratteri, senza caratteri di controllo.",
        "nl": "Een beschrijving heeft maximaal 1000 tekens, zonder besturingstekens.",
    },
    "group.discount_invalid": {
        "en": "A group discount is a percentage above 0 and up to 100.",
        "it": "Lo sconto di un gruppo è una percentuale maggiore di 0 e fino a 100.",
        "nl": "Een groepskorting is een percentage boven 0 en tot 100.",
    },
    "group.service_invalid": {
        "en": "Each included service is 1 to 100 characters.",
        "it": "Ogni servizio incluso ha da 1 a 100 caratteri.",
        "nl": "Elke inbegrepen dienst heeft 1 tot 100 tekens.",
    },
    "group.unknown": {
        "en": "This client group is not defined.",
        "it": "Questo gruppo di clienti non è definito.",
        "nl": "Deze klantengroep is niet gedefinieerd.",
    },
    "photo.empty": {
        "en": "The photo is empty.",
        "it": "La foto è vuota.",
        "nl": "De foto is leeg.",
    },
    "photo.too_large": {
        "en": "The photo is larger than {max} bytes.",
        "it": "La foto supera i {max} byte.",
        "nl": "De foto is groter dan {max} bytes.",
    },
    "photo.type_unsupported": {
        "en": "Only JPEG, PNG, WebP and HEIC photos can be kept.",
        "it": "Si possono conservare solo foto JPEG, PNG, WebP e HEIC.",
        "nl": "Alleen JPEG-, PNG-, WebP- en HEIC-foto's kunnen worden bewaard.",
    },
    "photo.caption_invalid": {
        "en": "A caption has at most {max} characters, without control characters.",
        "it": "Una didascalia ha al massimo {max} caratteri, senza caratteri di controllo.",
        "nl": "Een bijschrift heeft maximaal {max} tekens, zonder besturingstekens.",
    },
    "photo.reference_invalid": {
        "en": "An appointment or staff reference has 1 to 200 characters.",
        "it": "Un riferimento ad appuntamento o staff ha da 1 a 200 caratteri.",
        "nl": "Een verwijzing naar een afspraak of medewerker heeft 1 tot 200 tekens.",
    },
}
