"""Texts of records, history, the blacklist and the portal (merged into MESSAGES)."""

from __future__ import annotations

from typing import Final

from clientcard.locale._gettext import N_, english

HISTORY_MESSAGES: Final[dict[str, str]] = english(
    N_("id.invalid", "An id must be non-empty text."),
    N_("text.empty", "This cannot be empty."),
    N_("time.naive", "A time needs a time zone."),
    N_("record.kind_invalid", "A record kind is lower-case letters, digits, dots and underscores."),
    N_("record.kind_mismatch", "This record is of another kind."),
    N_("record.naive_time", "A record's time needs a time zone."),
    N_("record.revision_invalid", "Revisions start at 1."),
    N_(
        "record.revision_not_next",
        "An updated record must be one revision past the one it replaces.",
    ),
    N_("record.text_invalid", "This text contains characters that cannot be stored."),
    N_(
        "record.doc_invalid",
        "A record's document must be a JSON object of finite numbers and text.",
    ),
    N_("record.delete_unbounded", "Name a card, or a kind and record ids, to delete records."),
    N_("appointment.duration_invalid", "An appointment lasts from 0 to 24 hours."),
    N_("appointment.no_service", "An appointment needs at least one service."),
    N_("appointment.card_changed", "An appointment stays with the card it was booked for."),
    N_("payment.negative", "A payment cannot be negative; record a refund instead."),
    N_("blacklist.expiry_past", "A block must end after it starts."),
    N_("password.invalid", "Enter a password."),
    N_("password.too_short", "Use a longer password: a few words make a good one."),
    N_("password.too_long", "This password is too long."),
    N_("password.common", "This password is one of the most common ones; choose another."),
    N_("password.is_login", "The password cannot be your e-mail address."),
    N_("portal.no_email", "A portal account needs an e-mail address on the card."),
    N_("portal.login_taken", "Another account already uses this e-mail address."),
    N_("portal.sign_in_failed", "The e-mail address or the password is not right."),
    N_("portal.locked", "Too many attempts; try again later."),
    N_("portal.link_invalid", "This link is no longer valid; ask for a new one."),
    N_("portal.session_ended", "Please sign in again."),
)
