"""The shipped texts. Placeholders name limits, never submitted values."""

from __future__ import annotations

from typing import Final

from clientcard.locale._commerce import COMMERCE_MESSAGES
from clientcard.locale._history import HISTORY_MESSAGES
from clientcard.locale._privacy import PRIVACY_MESSAGES

MESSAGES: Final[dict[str, dict[str, str]]] = {
    **COMMERCE_MESSAGES,
    **HISTORY_MESSAGES,
    **PRIVACY_MESSAGES,
    "field.required": {
        "en": "This field is required.",
        "it": "Questo campo è obbligatorio.",
        "nl": "Dit veld is verplicht.",
    },
    "field.unknown": {
        "en": "This field does not exist on the client card.",
        "it": "Questo campo non esiste nella scheda cliente.",
        "nl": "Dit veld bestaat niet op de klantenkaart.",
    },
    "field.retired": {
        "en": "This field has been retired and can no longer be changed.",
        "it": "Questo campo è stato ritirato e non può più essere modificato.",
        "nl": "Dit veld is buiten gebruik gesteld en kan niet meer worden gewijzigd.",
    },
    "field.not_collected": {
        "en": "This field is not collected here.",
        "it": "Questo campo non viene raccolto qui.",
        "nl": "Dit veld wordt hier niet gevraagd.",
    },
    "type.invalid": {
        "en": "The value has the wrong type; expected {expected}.",
        "it": "Il valore ha un tipo errato; atteso {expected}.",
        "nl": "De waarde heeft het verkeerde type; verwacht {expected}.",
    },
    "text.too_long": {
        "en": "Use at most {max} characters.",
        "it": "Usa al massimo {max} caratteri.",
        "nl": "Gebruik maximaal {max} tekens.",
    },
    "text.invalid_character": {
        "en": "The text contains control characters.",
        "it": "Il testo contiene caratteri di controllo.",
        "nl": "De tekst bevat besturingstekens.",
    },
    "name.invalid": {
        "en": "A name may contain letters, spaces, apostrophes, hyphens and dots only.",
        "it": "Un nome può contenere solo lettere, spazi, apostrofi, trattini e punti.",
        "nl": "Een naam mag alleen letters, spaties, apostroffen, koppeltekens en punten bevatten.",
    },
    "phone.invalid": {
        "en": "This is not a valid phone number.",
        "it": "Questo non è un numero di telefono valido.",
        "nl": "Dit is geen geldig telefoonnummer.",
    },
    "phone.not_mobile": {
        "en": "A mobile number is needed.",
        "it": "Serve un numero di cellulare.",
        "nl": "Er is een mobiel nummer nodig.",
    },
    "phone.too_many": {
        "en": "At most {max} phone numbers can be kept.",
        "it": "Si possono salvare al massimo {max} numeri di telefono.",
        "nl": "Er kunnen maximaal {max} telefoonnummers worden bewaard.",
    },
    "email.invalid": {
        "en": "This is not a valid e-mail address.",
        "it": "Questo non è un indirizzo e-mail valido.",
        "nl": "Dit is geen geldig e-mailadres.",
    },
    "email.undeliverable": {
        "en": "This e-mail domain does not accept mail.",
        "it": "Questo dominio e-mail non accetta posta.",
        "nl": "Dit e-maildomein accepteert geen e-mail.",
    },
    "tax_code.invalid": {
        "en": "This is not a valid Italian tax code (codice fiscale).",
        "it": "Questo non è un codice fiscale valido.",
        "nl": "Dit is geen geldige Italiaanse belastingcode (codice fiscale).",
    },
    "sdi_code.invalid": {
        "en": "An SDI recipient code has 7 letters or digits (6 for public administration).",
        "it": "Il codice destinatario SDI ha 7 caratteri alfanumerici (6 per la PA).",
        "nl": "Een SDI-ontvangerscode heeft 7 letters of cijfers (6 voor de overheid).",
    },
    "date.invalid": {
        "en": "This is not a valid date (use YYYY-MM-DD).",
        "it": "Questa non è una data valida (usa AAAA-MM-GG).",
        "nl": "Dit is geen geldige datum (gebruik JJJJ-MM-DD).",
    },
    "date.in_future": {
        "en": "The date cannot be in the future.",
        "it": "La data non può essere nel futuro.",
        "nl": "De datum mag niet in de toekomst liggen.",
    },
    "date.too_old": {
        "en": "The date is implausibly far in the past.",
        "it": "La data è troppo lontana nel passato.",
        "nl": "De datum ligt onwaarschijnlijk ver in het verleden.",
    },
    "number.invalid": {
        "en": "This is not a valid number.",
        "it": "Questo non è un numero valido.",
        "nl": "Dit is geen geldig getal.",
    },
    "number.out_of_range": {
        "en": "The number must be between {min} and {max}.",
        "it": "Il numero deve essere compreso tra {min} e {max}.",
        "nl": "Het getal moet tussen {min} en {max} liggen.",
    },
    "boolean.invalid": {
        "en": "Expected yes or no.",
        "it": "Atteso sì o no.",
        "nl": "Verwacht ja of nee.",
    },
    "choice.invalid": {
        "en": "This is not one of the allowed choices.",
        "it": "Questa non è una delle scelte consentite.",
        "nl": "Dit is geen van de toegestane keuzes.",
    },
    "tag.invalid": {
        "en": "A tag is 1 to {max} characters without control characters.",
        "it": "Un'etichetta ha da 1 a {max} caratteri senza caratteri di controllo.",
        "nl": "Een label heeft 1 tot {max} tekens zonder besturingstekens.",
    },
    "country.invalid": {
        "en": "Use a two-letter ISO country code (IT, NL, GB, ...).",
        "it": "Usa un codice paese ISO di due lettere (IT, NL, GB, ...).",
        "nl": "Gebruik een ISO-landcode van twee letters (IT, NL, GB, ...).",
    },
    "postcode.invalid": {
        "en": "This is not a valid postcode for the country.",
        "it": "Questo non è un codice postale valido per il paese.",
        "nl": "Dit is geen geldige postcode voor het land.",
    },
    "consent.sensitive_without_consent": {
        "en": "Health data can be kept only with the client's explicit consent.",
        "it": "I dati sanitari si conservano solo con il consenso esplicito del cliente.",
        "nl": "Gezondheidsgegevens mogen alleen met uitdrukkelijke toestemming worden bewaard.",
    },
    "card.no_identity": {
        "en": "A client card needs at least a name, an e-mail address or a phone number.",
        "it": "Una scheda cliente richiede almeno un nome, un'e-mail o un telefono.",
        "nl": "Een klantenkaart heeft minstens een naam, e-mailadres of telefoonnummer nodig.",
    },
    # -- import and export ---------------------------------------------------------
    "row.ragged": {
        "en": "This row does not have as many cells as the header row.",
        "it": "Questa riga non ha tante celle quante l'intestazione.",
        "nl": "Deze rij heeft niet evenveel cellen als de kopregel.",
    },
    "row.encoding": {
        "en": "This row holds bytes that are not text in the file's encoding.",
        "it": "Questa riga contiene byte che non sono testo nella codifica del file.",
        "nl": "Deze rij bevat bytes die geen tekst zijn in de codering van het bestand.",
    },
    "row.too_long": {
        "en": "This line is too long to be a client's row; it was skipped.",
        "it": "Questa riga è troppo lunga per essere un cliente; è stata saltata.",
        "nl": "Deze regel is te lang voor een klant; hij is overgeslagen.",
    },
    "row.malformed": {
        "en": "This row could not be read (a field too long, or quotes left open).",
        "it": "Impossibile leggere questa riga (un campo troppo lungo o virgolette aperte).",
        "nl": "Deze rij kon niet worden gelezen (een te lang veld of open aanhalingstekens).",
    },
    "import.extra_value_ignored": {
        "en": "The card keeps one value here; the other values were left out.",
        "it": "La scheda conserva un solo valore qui; gli altri sono stati esclusi.",
        "nl": "De kaart bewaart hier één waarde; de andere zijn weggelaten.",
    },
    "import.consent_wording_missing": {
        "en": "Consent can be imported only with the version of the text the client agreed to.",
        "it": "Il consenso si importa solo con la versione del testo accettato dal cliente.",
        "nl": (
            "Toestemming kan alleen worden geïmporteerd met de versie van de geaccepteerde tekst."
        ),
    },
    "import.summary": {
        "en": (
            "{rows} rows read: {imported} imported, {present} already present, {rejected} rejected."
        ),
        "it": (
            "{rows} righe lette: {imported} importate, {present} già presenti, {rejected} scartate."
        ),
        "nl": (
            "{rows} rijen gelezen: {imported} geïmporteerd, {present} al aanwezig, "
            "{rejected} geweigerd."
        ),
    },
    "import.summary_dry_run": {
        "en": (
            "Dry run, nothing written: {rows} rows read; {imported} would be imported, "
            "{present} are already present, {rejected} would be rejected."
        ),
        "it": (
            "Prova, nulla scritto: {rows} righe lette; {imported} sarebbero importate, "
            "{present} già presenti, {rejected} sarebbero scartate."
        ),
        "nl": (
            "Proefrun, niets opgeslagen: {rows} rijen gelezen; {imported} zouden worden "
            "geïmporteerd, {present} al aanwezig, {rejected} zouden worden geweigerd."
        ),
    },
    "consent.invalid": {
        "en": "Consent must be stated as yes or no.",
        "it": "Il consenso va indicato con sì o no.",
        "nl": "Toestemming moet met ja of nee worden aangegeven.",
    },
    "vcard.malformed": {
        "en": "This vCard could not be read.",
        "it": "Impossibile leggere questa vCard.",
        "nl": "Deze vCard kon niet worden gelezen.",
    },
    "vcard.too_large": {
        "en": "This vCard is too large to import.",
        "it": "Questa vCard è troppo grande per essere importata.",
        "nl": "Deze vCard is te groot om te importeren.",
    },
    "vcard.line_skipped": {
        "en": "A line of this vCard could not be read and was left out.",
        "it": "Una riga di questa vCard non era leggibile ed è stata esclusa.",
        "nl": "Een regel van deze vCard was onleesbaar en is weggelaten.",
    },
    "json.malformed": {
        "en": "This entry is not a JSON object of card fields.",
        "it": "Questa voce non è un oggetto JSON con i campi della scheda.",
        "nl": "Dit item is geen JSON-object met kaartvelden.",
    },
    "picture.not_stored": {
        "en": "The photo was left out: no photo store was given.",
        "it": "La foto è stata esclusa: nessun archivio per le foto.",
        "nl": "De foto is weggelaten: er is geen fotoopslag opgegeven.",
    },
    "picture.too_large": {
        "en": "The photo was left out: it is too large.",
        "it": "La foto è stata esclusa: è troppo grande.",
        "nl": "De foto is weggelaten: hij is te groot.",
    },
    "picture.unreadable": {
        "en": "The photo was left out: it is not inline image data.",
        "it": "La foto è stata esclusa: non contiene l'immagine.",
        "nl": "De foto is weggelaten: hij bevat geen afbeelding.",
    },
    "mapping.unknown_target": {
        "en": "This column is mapped to a field the client card does not have.",
        "it": "Questa colonna è associata a un campo che la scheda cliente non ha.",
        "nl": "Deze kolom is gekoppeld aan een veld dat de klantenkaart niet heeft.",
    },
    "mapping.unknown_column": {
        "en": "The file has no such column.",
        "it": "Il file non ha questa colonna.",
        "nl": "Het bestand heeft deze kolom niet.",
    },
    "mapping.no_columns": {
        "en": "No column of the file is mapped to a field of the client card.",
        "it": "Nessuna colonna del file è associata a un campo della scheda cliente.",
        "nl": "Geen kolom van het bestand is gekoppeld aan een veld van de klantenkaart.",
    },
    "merge.same_card": {
        "en": "A card can't be merged into itself.",
        "it": "Una scheda non può essere unita a sé stessa.",
        "nl": "Een kaart kan niet met zichzelf worden samengevoegd.",
    },
    "merge.other_business": {
        "en": "Only cards of one business can be merged.",
        "it": "Si possono unire solo schede della stessa attività.",
        "nl": "Alleen kaarten van één bedrijf kunnen worden samengevoegd.",
    },
    "merge.guardian_link": {
        "en": "A child and their guardian are two people: their cards can't be merged.",
        "it": "Un minore e il suo genitore sono due persone: le schede non si uniscono.",
        "nl": "Een kind en de ouder zijn twee personen: hun kaarten worden niet samengevoegd.",
    },
}

FIELD_LABELS: Final[dict[str, dict[str, str]]] = {
    "first_name": {"en": "First name", "it": "Nome", "nl": "Voornaam"},
    "last_name": {"en": "Last name", "it": "Cognome", "nl": "Achternaam"},
    "email": {"en": "E-mail", "it": "E-mail", "nl": "E-mail"},
    "phones": {"en": "Phone", "it": "Telefono", "nl": "Telefoon"},
    "street": {"en": "Address", "it": "Indirizzo", "nl": "Adres"},
    "postcode": {"en": "Postcode", "it": "CAP", "nl": "Postcode"},
    "city": {"en": "City", "it": "Città", "nl": "Stad"},
    "country": {"en": "Country", "it": "Paese", "nl": "Land"},
    "birth_date": {"en": "Birth date", "it": "Data di nascita", "nl": "Geboortedatum"},
    "gender": {"en": "Gender", "it": "Sesso", "nl": "Geslacht"},
    "weight_kg": {"en": "Weight (kg)", "it": "Peso (kg)", "nl": "Gewicht (kg)"},
    "height_cm": {"en": "Height (cm)", "it": "Altezza (cm)", "nl": "Lengte (cm)"},
    "tax_code": {"en": "Tax code", "it": "Codice fiscale", "nl": "Belastingcode"},
    "pec": {"en": "PEC address", "it": "Indirizzo PEC", "nl": "PEC-adres"},
    "sdi_code": {"en": "SDI code", "it": "Codice SDI", "nl": "SDI-code"},
    "notes": {"en": "Notes", "it": "Note", "nl": "Notities"},
    "client_group": {"en": "Client group", "it": "Gruppo clienti", "nl": "Klantengroep"},
    "tags": {"en": "Tags", "it": "Etichette", "nl": "Labels"},
    "referral_source": {
        "en": "How did you hear about us?",
        "it": "Come ci hai conosciuto?",
        "nl": "Hoe heeft u ons leren kennen?",
    },
    "education": {"en": "Education", "it": "Titolo di studio", "nl": "Opleiding"},
    "profession": {"en": "Profession", "it": "Professione", "nl": "Beroep"},
    "picture": {"en": "Picture", "it": "Immagine", "nl": "Afbeelding"},
    "language": {"en": "Language", "it": "Lingua", "nl": "Taal"},
}

LANGUAGE_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {"en": "English", "it": "Inglese", "nl": "Engels"},
    "it": {"en": "Italian", "it": "Italiano", "nl": "Italiaans"},
    "nl": {"en": "Dutch", "it": "Olandese", "nl": "Nederlands"},
}

GENDER_LABELS: Final[dict[str, dict[str, str]]] = {
    "female": {"en": "Female", "it": "Donna", "nl": "Vrouw"},
    "male": {"en": "Male", "it": "Uomo", "nl": "Man"},
    "non_binary": {"en": "Non-binary", "it": "Non binario", "nl": "Non-binair"},
    "other": {"en": "Other", "it": "Altro", "nl": "Anders"},
}

CONSENT_TEXTS: Final[dict[str, dict[str, str]]] = {
    "action.grant": {"en": "agreed to", "it": "ha acconsentito a", "nl": "stemde in met"},
    "action.withdraw": {"en": "withdrew consent to", "it": "ha revocato il consenso a",
                        "nl": "trok toestemming in voor"},
    "action.object": {"en": "objected to", "it": "si è opposto a", "nl": "maakte bezwaar tegen"},
    "action.withdraw_objection": {"en": "withdrew the objection to",
                                  "it": "ha ritirato l'opposizione a",
                                  "nl": "trok het bezwaar in tegen"},
    "action.request_confirmation": {"en": "was asked to confirm", "it": "ha chiesto di confermare",
                                    "nl": "werd gevraagd te bevestigen"},
    "action.offer_opt_out": {"en": "was told they may refuse",
                             "it": "è stato informato di poter rifiutare",
                             "nl": "werd gewezen op het recht te weigeren"},
    "scope.all_marketing": {"en": "all direct marketing, on every channel",
                            "it": "tutto il marketing diretto, su ogni canale",
                            "nl": "alle directe marketing, via elk kanaal"},
    "by": {"en": "by", "it": "via", "nl": "via"},
    "wording": {"en": "text version", "it": "versione del testo", "nl": "tekstversie"},
    "guardian": {"en": "with a guardian's consent", "it": "con il consenso del genitore",
                 "nl": "met toestemming van een ouder"},
    "granted_now": {"en": "You currently agree to", "it": "Attualmente acconsenti a",
                    "nl": "U stemt momenteel in met"},
    "objecting_now": {"en": "You object to all direct marketing.",
                      "it": "Ti opponi a tutto il marketing diretto.",
                      "nl": "U maakt bezwaar tegen alle directe marketing."},
    "nothing_granted": {"en": "You have not agreed to any messages beyond your bookings.",
                        "it": "Non hai acconsentito ad alcun messaggio oltre alle prenotazioni.",
                        "nl": "U gaf geen toestemming voor berichten buiten uw afspraken."},
    "purpose.appointment_reminders": {"en": "appointment confirmations and reminders",
                                      "it": "conferme e promemoria degli appuntamenti",
                                      "nl": "afspraakbevestigingen en herinneringen"},
    "purpose.review_invitations": {"en": "invitations to review", "it": "inviti a recensire",
                                   "nl": "uitnodigingen voor een beoordeling"},
    "purpose.rebook_invitations": {"en": "invitations to book again",
                                   "it": "inviti a prenotare di nuovo",
                                   "nl": "uitnodigingen om opnieuw te boeken"},
    "purpose.marketing": {"en": "marketing and promotions", "it": "marketing e promozioni",
                          "nl": "marketing en promoties"},
    "purpose.birthday_greetings": {"en": "birthday greetings", "it": "auguri di compleanno",
                                   "nl": "verjaardagswensen"},
    "purpose.welcome": {"en": "a welcome message", "it": "un messaggio di benvenuto",
                        "nl": "een welkomstbericht"},
    "purpose.payment_reminders": {"en": "payment reminders", "it": "promemoria di pagamento",
                                  "nl": "betalingsherinneringen"},
    "purpose.account": {"en": "messages about your online account",
                        "it": "messaggi sul tuo account online",
                        "nl": "berichten over uw online account"},
    "purpose.profiling": {"en": "use of your bookings in statistics and market research",
                          "it": "uso delle tue prenotazioni in statistiche e ricerche di mercato",
                          "nl": "gebruik van uw afspraken in statistiek en marktonderzoek"},
    "purpose.special_category_data": {
        "en": "keeping your health information (allergies, treatments)",
        "it": "conservare i tuoi dati sanitari (allergie, trattamenti)",
        "nl": "bewaren van uw gezondheidsgegevens (allergieën, behandelingen)",
    },
    "channel.email": {"en": "e-mail", "it": "e-mail", "nl": "e-mail"},
    "channel.sms": {"en": "SMS", "it": "SMS", "nl": "sms"},
    "channel.push": {"en": "app notification", "it": "notifica dell'app", "nl": "app-melding"},
    "channel.whatsapp": {"en": "WhatsApp", "it": "WhatsApp", "nl": "WhatsApp"},
    "source.staff": {"en": "recorded by staff", "it": "registrato dallo staff",
                     "nl": "vastgelegd door medewerker"},
    "source.booking_form": {"en": "booking form", "it": "modulo di prenotazione",
                            "nl": "boekingsformulier"},
    "source.client_portal": {"en": "client portal", "it": "area clienti", "nl": "klantenportaal"},
    "source.import": {"en": "import", "it": "importazione", "nl": "import"},
    "source.unsubscribe_link": {"en": "unsubscribe link", "it": "link di disiscrizione",
                                "nl": "afmeldlink"},
    "source.confirmation_link": {"en": "confirmation link", "it": "link di conferma",
                                 "nl": "bevestigingslink"},
    "source.api": {"en": "connected system", "it": "sistema collegato",
                   "nl": "gekoppeld systeem"},
}  # fmt: skip
