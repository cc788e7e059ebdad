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

import phonenumbers
from phonenumbers import PhoneMetadata

from clientcard.contact import phone as _phone
from clientcard.storage.protocol import SearchTerms

__all__ = ["search_terms"]

_MIN_PHONE_DIGITS: Final = 4
# "+44 (0)20 7946": a trunk prefix in brackets after the country code, written for
# callers inside the country.
_BRACKETED_TRUNK: Final = re.compile(r"^(?P<head>\s*(?:\+|00)\s*(?P<code>\d{1,3})\s*)\(\s*0\s*\)")


def search_terms(text: str, region: str) -> SearchTerms:
    """Turn what was typed at a front desk into the terms a store matches.

    A valid phone number becomes its digits; mostly digits become the beginning of a
    number (a leading trunk 0 dropped, since E.164 numbers never keep it, and so is a
    bracketed one after the country code, "+44 (0)20 7946"); something with an
    ``@`` or a dot and no space may be an e-mail address; anything else is a name.
    """
    stripped = text.strip()
    dialled = _without_bracketed_trunk(stripped)
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


def _without_bracketed_trunk(text: str) -> str:
    """``text`` without a bracketed trunk prefix that is never dialled after its country code.

    Where the country's numbers have a trunk prefix ("0" in Britain, Germany,
    Switzerland...), no stored number keeps it after the country code: "+44 (0)20" is
    "+44 20". Where they have none, the 0 is part of the number (Italian landlines:
    "+39 (0)6" is "+39 06"), so only the brackets go.
    """
    found = _BRACKETED_TRUNK.match(text)
    if found is None:
        return text
    region = phonenumbers.region_code_for_country_code(int(found["code"]))
    metadata = PhoneMetadata.metadata_for_region(region)
    kept = "" if metadata is not None and metadata.national_prefix == "0" else "0"
    return found["head"] + kept + text[found.end() :]
