"""Italian fiscal identifiers: codice fiscale, SDI recipient code and PEC address.

The codice fiscale is checked with python-stdnum (16 characters for a person, with its
check letter; 11 digits for a company, where it equals the VAT number). The SDI recipient
code routes Italian e-invoices: 7 letters or digits for private recipients, 6 for the
public administration; ``0000000`` means "deliver to the PEC address". A PEC address is an
e-mail address.

>>> normalize_tax_code("rss mra 85t10 a562s")
'RSSMRA85T10A562S'
>>> normalize_sdi_code("m5uxcr1")
'M5UXCR1'

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.it import codicefiscale

from clientcard.contact import email
from clientcard.errors import InvalidValueError

__all__ = [
    "is_valid_sdi_code",
    "is_valid_tax_code",
    "normalize_pec",
    "normalize_sdi_code",
    "normalize_tax_code",
]

_SDI: Final = re.compile(r"[A-Z0-9]{6,7}")


def normalize_tax_code(raw: object) -> str:
    """Return the compact, upper-case codice fiscale.

    :raises InvalidValueError: ``tax_code.invalid``.
    """
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidValueError("tax_code.invalid")
    try:
        return str(codicefiscale.validate(raw))
    except StdnumValidationError:
        raise InvalidValueError("tax_code.invalid") from None


def is_valid_tax_code(raw: object) -> bool:
    """Tell whether ``raw`` is a valid codice fiscale, without raising."""
    try:
        normalize_tax_code(raw)
    except InvalidValueError:
        return False
    return True


def normalize_sdi_code(raw: object) -> str:
    """Return the upper-case SDI recipient code.

    :raises InvalidValueError: ``sdi_code.invalid``.
    """
    if not isinstance(raw, str):
        raise InvalidValueError("sdi_code.invalid")
    code = "".join(raw.split()).upper()
    if not _SDI.fullmatch(code):
        raise InvalidValueError("sdi_code.invalid")
    return code


def is_valid_sdi_code(raw: object) -> bool:
    """Tell whether ``raw`` is a well-formed SDI recipient code, without raising."""
    try:
        normalize_sdi_code(raw)
    except InvalidValueError:
        return False
    return True


def normalize_pec(raw: object) -> str:
    """Return the normalised PEC (certified e-mail) address.

    :raises InvalidValueError: ``email.invalid``.
    """
    return email.normalize(raw)
