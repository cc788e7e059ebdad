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
}
