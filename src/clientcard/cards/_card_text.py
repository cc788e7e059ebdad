"""The one rule on a card's text: no U+0000 and no lone surrogate, anywhere.

U+0000 ends strings in C APIs and PostgreSQL refuses it, and a lone surrogate is no
text at all (UTF-8 can't encode it): no store could keep either faithfully, so no card
may hold them. Every card built or read is checked, so the common case must be cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    # Only for annotations: the card module calls this one while building each card.
    from clientcard.cards.card import ClientCard

__all__ = ["check_text"]


_TEXT_NAMES: Final = ("id", "business_id", "first_name", "last_name", "notes")
_OPTIONAL_TEXT_NAMES: Final = (
    "email",
    "guardian_id",
    "tax_code",
    "client_group",
    "referral_source",
    "education",
    "profession",
    "picture",
    "language",
)


def check_text(card: ClientCard) -> None:
    """Refuse ``card`` if a text field holds no text, or any text U+0000 or a lone surrogate.

    :raises TypeError: a field that holds text holds something else (names the field).
    :raises ValueError: naming the field at fault, never its text.
    """
    if _clean_text(card):
        return
    _check_types(card)
    texts = [("id", card.id), ("business_id", card.business_id)]
    for key, value in card.values().items():
        items = value if isinstance(value, tuple) else (value,)
        texts.extend((key, item) for item in items if isinstance(item, str))
    texts.extend(("custom", key) for key in card.custom)
    # One check over all the text at once; only a failure looks for the field.
    joined = "".join(text for _, text in texts)
    if "\x00" not in joined:
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return
    for field, text in texts:
        if "\x00" in text:
            raise ValueError(f"{field} may not contain U+0000")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{field} is not valid Unicode text") from None


def _check_types(card: ClientCard) -> None:
    """Refuse a text field holding something else; the join in :func:`_clean_text` failed."""
    for name in _TEXT_NAMES:
        if not isinstance(getattr(card, name), str):
            raise TypeError(f"{name} must be text")
    for name in _OPTIONAL_TEXT_NAMES:
        value = getattr(card, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be text or None")
    for name in ("phones", "tags"):
        items = getattr(card, name)
        if not isinstance(items, tuple) or not all(isinstance(item, str) for item in items):
            raise TypeError(f"{name} must be a tuple of text")


def _texts(card: ClientCard) -> list[str]:
    """Every text of ``card`` that could hold a character no store keeps (unset: "").

    An unset field is ``None``; anything else goes in as it is, so a value that is no
    text (a mapping, a number, ``False``) makes the join fail.
    """
    address = card.address
    invoicing = card.invoicing
    texts = [
        card.id,
        card.business_id,
        card.first_name,
        card.last_name,
        "" if card.email is None else card.email,
        "" if card.guardian_id is None else card.guardian_id,
        *card.phones,
        "" if card.tax_code is None else card.tax_code,
        card.notes,
        "" if card.client_group is None else card.client_group,
        *card.tags,
        "" if card.referral_source is None else card.referral_source,
        "" if card.education is None else card.education,
        "" if card.profession is None else card.profession,
        "" if card.picture is None else card.picture,
        "" if card.language is None else card.language,
        "" if address.street is None else address.street,
        "" if address.postcode is None else address.postcode,
        "" if address.city is None else address.city,
        "" if address.country is None else address.country,
        "" if invoicing.pec is None else invoicing.pec,
        "" if invoicing.sdi_code is None else invoicing.sdi_code,
        *card.custom,
    ]
    # Fields typed otherwise hold text only when a host built the card by hand; the
    # field-by-field check reads them then, so this one must too.
    loose: list[object] = [card.birth_date, card.gender, card.weight_kg, card.height_cm]
    loose.extend(card.custom.values())
    for value in loose:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, tuple):
            texts.extend(value)
    return texts


def _clean_text(card: ClientCard) -> bool:
    """Tell quickly that no text of ``card`` holds U+0000 or a lone surrogate.

    Every card built or read passes here, so the common case must cost little: one join
    of the same texts :func:`check_text` checks field by field, without building
    :meth:`~ClientCard.values`. It reads every text the exact check reads (and a few it
    skips), so ``True`` is always right; ``False`` means "look field by field", not
    "invalid": a value of an unexpected type also sends the card to the exact check.
    """
    try:
        joined = "".join(_texts(card))
    except (TypeError, AttributeError):
        # Something no validated card holds (phones=None, a number as a key): the exact
        # check decides, as it always did.
        return False
    if "\x00" in joined:
        return False
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
