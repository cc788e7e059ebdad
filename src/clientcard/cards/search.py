"""What a front desk types, read as the terms a store matches.

"giu" is the start of a name's word ("de lu" of two); "06 1234 5678" a phone number,
whole or its beginning, in the business's region; "anna.r" perhaps the start of an
e-mail address. Pure: the card
service and the exchange's export selection both read typed text this way.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from typing import Final

from clientcard.contact import phone as _phone
from clientcard.storage.protocol import SearchTerms

__all__ = ["search_terms"]

_MIN_PHONE_DIGITS: Final = 4
# "+44 (0)20 7946": the bracketed trunk prefix, written for callers inside the country
# and never dialled after the country code, so no stored number holds it there.
_BRACKETED_TRUNK: Final = re.compile(r"\(\s*0\s*\)")


def search_terms(text: str, region: str) -> SearchTerms:
    """Turn what was typed at a front desk into the terms a store matches.

    A valid phone number becomes its digits; mostly digits become the beginning of a
    number (a leading trunk 0 dropped, since E.164 numbers never keep it, and so is a
    bracketed one after the country code, "+44 (0)20 7946"); something with an
    ``@`` or a dot and no space may be an e-mail address; anything else is a name.
    """
    stripped = text.strip()
    dialled = _BRACKETED_TRUNK.sub("", stripped)
    digits = "".join(ch for ch in dialled if ch in "0123456789")
    phone_digits: str | None = None
    if _phone.is_valid(stripped, region):
        phone_digits = _phone.normalize(stripped, region).lstrip("+")
    elif len(digits) >= _MIN_PHONE_DIGITS and len(digits) >= len(dialled.replace(" ", "")) - 3:
        # Mostly digits: a partial number. A leading trunk 0 is dropped, since E.164
        # numbers never keep it ("06 1234" must find +31 6 1234…).
        phone_digits = digits.lstrip("0") or digits
    looks_like_email = "@" in stripped or ("." in stripped and " " not in stripped)
    name = stripped if not digits or not phone_digits else None
    return SearchTerms(
        name=name,
        phone_digits=phone_digits,
        email=stripped if looks_like_email else None,
    )
