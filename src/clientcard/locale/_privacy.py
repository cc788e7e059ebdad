"""Texts of erasure, retention, subject requests and access reports (en, it, nl).

``PRIVACY_MESSAGES`` holds issue messages (merged into ``MESSAGES``); ``PRIVACY_TEXTS``
the words of erasure plans and access reports. Placeholders name counts and dates, never
a client's data.
"""

from __future__ import annotations

from typing import Final

PRIVACY_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "erasure.period_invalid": {
        "en": "Use a whole number of months, days or years within the allowed range.",
        "it": "Usa un numero intero di mesi, giorni o anni entro i limiti consentiti.",
        "nl": "Gebruik een geheel aantal maanden, dagen of jaren binnen de grenzen.",
    },
    "erasure.identity_field": {
        "en": "Names, e-mail and phones can't be cleared on their own: erase the client.",
        "it": "Nome, e-mail e telefoni non si cancellano da soli: cancella il cliente.",
        "nl": "Namen, e-mail en telefoons wis je niet los: wis de klant.",
    },
    "erasure.treatment_fixed": {
        "en": "This kind of record follows its own rule (a legal hold or a block).",
        "it": "Questo tipo di dato segue una regola propria (obbligo legale o blocco).",
        "nl": "Dit soort gegevens volgt een eigen regel (bewaarplicht of blokkade).",
    },
    "erasure.not_anonymisable": {
        "en": "This kind of record can only be deleted, not anonymised.",
        "it": "Questo tipo di dato si può solo eliminare, non anonimizzare.",
        "nl": "Dit soort gegevens kan alleen worden verwijderd, niet geanonimiseerd.",
    },
    "erasure.plan_changed": {
        "en": "The client's data changed since the plan was made: plan and confirm again.",
        "it": "I dati del cliente sono cambiati dal piano: rifai il piano e riconfermalo.",
        "nl": "De gegevens van de klant zijn gewijzigd sinds het plan: plan en bevestig opnieuw.",
    },
    "request.not_open": {
        "en": "This request is already closed.",
        "it": "Questa richiesta è già chiusa.",
        "nl": "Dit verzoek is al afgesloten.",
    },
    "request.extended_already": {
        "en": "A request can be extended once, by at most two further months.",
        "it": "Una richiesta si proroga una volta sola, di al massimo due mesi.",
        "nl": "Een verzoek kan één keer worden verlengd, met hoogstens twee maanden.",
    },
    "request.received_in_future": {
        "en": "A request can't be received after today.",
        "it": "Una richiesta non può essere ricevuta dopo oggi.",
        "nl": "Een verzoek kan niet na vandaag zijn ontvangen.",
    },
    "audit.detail_invalid": {
        "en": "Audit details hold ids and codes only: short text without spaces.",
        "it": "I dettagli del registro contengono solo id e codici, senza spazi.",
        "nl": "Auditdetails bevatten alleen id's en codes: korte tekst zonder spaties.",
    },
    "portability.field_conflict": {
        "en": "The receiving book has a field with this key of another type.",
        "it": "La rubrica di destinazione ha un campo con questa chiave di altro tipo.",
        "nl": "Het ontvangende bestand heeft een veld met deze sleutel van een ander type.",
    },
}

PRIVACY_TEXTS: Final[dict[str, dict[str, str]]] = {
    # -- erasure plans --------------------------------------------------------------------
    "plan.title": {"en": "Erasure plan", "it": "Piano di cancellazione",
                   "nl": "Wisplan"},
    "plan.mode.delete": {"en": "delete the card and its history",
                         "it": "eliminare la scheda e il suo storico",
                         "nl": "de kaart en de geschiedenis verwijderen"},
    "plan.mode.anonymise": {"en": "anonymise: the card goes, history stays without identity",
                            "it": "anonimizzare: la scheda sparisce, lo storico resta anonimo",
                            "nl": "anonimiseren: de kaart verdwijnt, geschiedenis blijft anoniem"},
    "plan.card": {"en": "the client card, its search entries and contact permissions",
                  "it": "la scheda cliente, le voci di ricerca e i permessi di contatto",
                  "nl": "de klantenkaart, zoekgegevens en contacttoestemmingen"},
    "plan.action.delete": {"en": "deleted", "it": "eliminati", "nl": "verwijderd"},
    "plan.action.anonymise": {"en": "anonymised", "it": "anonimizzati", "nl": "geanonimiseerd"},
    "plan.action.hold": {"en": "kept under a legal hold (fiscal fields only)",
                         "it": "conservati per obbligo di legge (solo dati fiscali)",
                         "nl": "bewaard wegens bewaarplicht (alleen fiscale velden)"},
    "plan.action.suppress": {"en": "kept as a block (fingerprints only)",
                             "it": "conservati come blocco (solo impronte)",
                             "nl": "bewaard als blokkade (alleen vingerafdrukken)"},
    "plan.action.keep": {"en": "kept", "it": "conservati", "nl": "bewaard"},
    "plan.consent": {"en": "consent records kept as pseudonymised proof",
                     "it": "registrazioni del consenso conservate come prova pseudonimizzata",
                     "nl": "toestemmingen bewaard als gepseudonimiseerd bewijs"},
    "plan.sends": {"en": "message records deleted", "it": "registri dei messaggi eliminati",
                   "nl": "berichtregistraties verwijderd"},
    "plan.blobs": {"en": "pictures and files deleted from the file store",
                   "it": "immagini e file eliminati dall'archivio",
                   "nl": "afbeeldingen en bestanden verwijderd uit de opslag"},
    "consequence.counts_as_new": {
        "en": "If they book again they are a new client: nothing links them to this card.",
        "it": "Se prenota di nuovo sarà un nuovo cliente: nulla lo collega a questa scheda.",
        "nl": "Boekt de klant opnieuw, dan is het een nieuwe klant: niets wijst naar deze kaart.",
    },
    "consequence.history_deleted": {
        "en": "Their visits leave the statistics.",
        "it": "Le sue visite escono dalle statistiche.",
        "nl": "De bezoeken verdwijnen uit de statistieken.",
    },
    "consequence.history_anonymised": {
        "en": "Their visits stay in the statistics without identity.",
        "it": "Le visite restano nelle statistiche, in forma anonima.",
        "nl": "De bezoeken blijven anoniem in de statistieken.",
    },
    "consequence.fiscal_held": {
        "en": "Fiscal records are kept without identity until {date}, then deleted.",
        "it": "I dati fiscali restano senza identità fino al {date}, poi vengono eliminati.",
        "nl": "Fiscale gegevens blijven zonder identiteit bewaard tot {date}, daarna verwijderd.",
    },
    "consequence.block_kept": {
        "en": "The block stays: they can't book again with the same e-mail or phone.",
        "it": "Il blocco resta: non potrà prenotare con la stessa e-mail o telefono.",
        "nl": "De blokkade blijft: boeken met hetzelfde e-mailadres of nummer kan niet.",
    },
    "consequence.block_lost": {
        "en": "The block goes with them: they could book again.",
        "it": "Il blocco viene eliminato: potrebbe prenotare di nuovo.",
        "nl": "De blokkade verdwijnt: de klant kan opnieuw boeken.",
    },
    "consequence.contacts_suppressed": {
        "en": "Fingerprints of their e-mail and phones are kept so they are never contacted.",
        "it": "Le impronte di e-mail e telefoni restano, per non contattarli più.",
        "nl": "Vingerafdrukken van e-mail en telefoons blijven, zodat geen contact volgt.",
    },
    "consequence.exports_outstanding": {
        "en": "Copies of their data handed out earlier: {count}; they are beyond reach.",
        "it": "Copie dei suoi dati già consegnate: {count}; non si possono richiamare.",
        "nl": "Eerder verstrekte kopieën van de gegevens: {count}; die vallen buiten bereik.",
    },
    "consequence.wards": {
        "en": "Children's cards that lose this guardian's contact details: {count}.",
        "it": "Schede di minori che perdono i recapiti di questo genitore: {count}.",
        "nl": "Kaarten van kinderen die de gegevens van deze ouder verliezen: {count}.",
    },
    "consequence.host_notified": {
        "en": "Connected systems are told to erase the client too.",
        "it": "I sistemi collegati ricevono l'avviso di cancellare il cliente.",
        "nl": "Gekoppelde systemen krijgen bericht de klant ook te wissen.",
    },
    # -- access reports -------------------------------------------------------------------
    "report.title": {"en": "Your data at {business}", "it": "I tuoi dati presso {business}",
                     "nl": "Uw gegevens bij {business}"},
    "report.exported": {"en": "Exported on {date}.", "it": "Esportati il {date}.",
                        "nl": "Geëxporteerd op {date}."},
    "report.details": {"en": "Your details", "it": "I tuoi dati", "nl": "Uw gegevens"},
    "report.consent": {"en": "Your consent", "it": "I tuoi consensi", "nl": "Uw toestemmingen"},
    "report.history": {"en": "Your history", "it": "Il tuo storico", "nl": "Uw geschiedenis"},
    "report.messages": {"en": "Messages to you", "it": "Messaggi a te",
                        "nl": "Berichten aan u"},
    "report.files": {"en": "Pictures and files", "it": "Immagini e file",
                     "nl": "Afbeeldingen en bestanden"},
    "report.none": {"en": "none", "it": "nessuno", "nl": "geen"},
    "report.yes": {"en": "yes", "it": "sì", "nl": "ja"},
    "report.no": {"en": "no", "it": "no", "nl": "nee"},
    "kind.appointment": {"en": "Appointment", "it": "Appuntamento", "nl": "Afspraak"},
    "kind.payment": {"en": "Payment", "it": "Pagamento", "nl": "Betaling"},
    "kind.conversation": {"en": "Message", "it": "Messaggio", "nl": "Bericht"},
    "kind.document": {"en": "Document", "it": "Documento", "nl": "Document"},
    "kind.photo": {"en": "Photo", "it": "Foto", "nl": "Foto"},
    "kind.blacklist": {"en": "Block", "it": "Blocco", "nl": "Blokkade"},
    "kind.blacklist.match": {"en": "Block fingerprint", "it": "Impronta del blocco",
                             "nl": "Vingerafdruk van blokkade"},
    "kind.redemption": {"en": "Promotion used", "it": "Promozione usata",
                        "nl": "Gebruikte promotie"},
    "kind.portal.account": {"en": "Online account", "it": "Account online",
                            "nl": "Online account"},
    "send.sent": {"en": "sent", "it": "inviato", "nl": "verzonden"},
    "send.skipped": {"en": "not sent", "it": "non inviato", "nl": "niet verzonden"},
    "send.failed": {"en": "failed", "it": "non riuscito", "nl": "mislukt"},
    "send.queued": {"en": "waiting", "it": "in attesa", "nl": "wachtend"},
    "send.sending": {"en": "being sent", "it": "in invio", "nl": "wordt verzonden"},
}  # fmt: skip
