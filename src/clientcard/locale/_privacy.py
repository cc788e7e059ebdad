"""Texts of erasure, retention, subject requests and access reports (en, it, nl).

``PRIVACY_MESSAGES`` holds issue messages (merged into ``MESSAGES``); ``PRIVACY_TEXTS``
the words of erasure plans and access reports. Placeholders name counts and dates, never
a client's data.
"""

from __future__ import annotations

from typing import Final

from clientcard.locale._gettext import LANGUAGES, N_, english, in_languages

PRIVACY_MESSAGES: Final[dict[str, str]] = english(
    N_(
        "erasure.period_invalid",
        "Use a whole number of months, days or years within the allowed range.",
    ),
    N_(
        "erasure.identity_field",
        "Names, e-mail and phones can't be cleared on their own: erase the client.",
    ),
    N_(
        "erasure.treatment_fixed",
        "This kind of record follows its own rule (a legal hold or a block).",
    ),
    N_("erasure.not_anonymisable", "This kind of record can only be deleted, not anonymised."),
    N_(
        "erasure.plan_changed",
        "The client's data changed since the plan was made: plan and confirm again.",
    ),
    N_("request.not_open", "This request is already closed."),
    N_(
        "request.extended_already",
        "A request can be extended once, by at most two further months.",
    ),
    N_("request.received_in_future", "A request can't be received after today."),
    N_("audit.detail_invalid", "Audit details hold ids and codes only: short text without spaces."),
    N_(
        "portability.field_conflict",
        "The receiving book has a field with this key of another type.",
    ),
)

_PRIVACY_TEXTS: Final[dict[str, str]] = english(
    # -- erasure plans --------------------------------------------------------------------
    N_("privacy:plan.title", "Erasure plan"),
    N_("privacy:plan.mode.delete", "delete the card and its history"),
    N_("privacy:plan.mode.anonymise", "anonymise: the card goes, history stays without identity"),
    N_("privacy:plan.card", "the client card, its search entries and contact permissions"),
    N_("privacy:plan.action.delete", "deleted"),
    N_("privacy:plan.action.anonymise", "anonymised"),
    N_("privacy:plan.action.hold", "kept under a legal hold (fiscal fields only)"),
    N_("privacy:plan.action.suppress", "kept as a block (fingerprints only)"),
    N_("privacy:plan.action.keep", "kept"),
    N_("privacy:plan.consent", "consent records kept as pseudonymised proof"),
    N_("privacy:plan.sends", "message records deleted"),
    N_("privacy:plan.blobs", "pictures and files deleted from the file store"),
    N_(
        "privacy:consequence.counts_as_new",
        "If they book again they are a new client: nothing links them to this card.",
    ),
    N_("privacy:consequence.history_deleted", "Their visits leave the statistics."),
    N_(
        "privacy:consequence.history_anonymised",
        "Their visits stay in the statistics without identity.",
    ),
    N_(
        "privacy:consequence.fiscal_held",
        "Fiscal records are kept without identity until {date}, then deleted.",
    ),
    N_(
        "privacy:consequence.block_kept",
        "The block stays: they can't book again with the same e-mail or phone.",
    ),
    N_("privacy:consequence.block_lost", "The block goes with them: they could book again."),
    N_(
        "privacy:consequence.contacts_suppressed",
        "Fingerprints of their e-mail and phones are kept so they are never contacted.",
    ),
    N_(
        "privacy:consequence.exports_outstanding",
        "Copies of their data handed out earlier: {count}; they are beyond reach.",
    ),
    N_(
        "privacy:consequence.wards",
        "Children's cards that lose this guardian's contact details: {count}.",
    ),
    N_("privacy:consequence.host_notified", "Connected systems are told to erase the client too."),
    # -- access reports -------------------------------------------------------------------
    N_("privacy:report.title", "Your data at {business}"),
    N_("privacy:report.exported", "Exported on {date}."),
    N_("privacy:report.details", "Your details"),
    N_("privacy:report.consent", "Your consent"),
    N_("privacy:report.history", "Your history"),
    N_("privacy:report.messages", "Messages to you"),
    N_("privacy:report.files", "Pictures and files"),
    N_("privacy:report.none", "none"),
    N_("privacy:report.yes", "yes"),
    N_("privacy:report.no", "no"),
    N_("privacy:kind.appointment", "Appointment"),
    N_("privacy:kind.payment", "Payment"),
    N_("privacy:kind.conversation", "Message"),
    N_("privacy:kind.document", "Document"),
    N_("privacy:kind.photo", "Photo"),
    N_("privacy:kind.blacklist", "Block"),
    N_("privacy:kind.blacklist.match", "Block fingerprint"),
    N_("privacy:kind.redemption", "Promotion used"),
    N_("privacy:kind.portal.account", "Online account"),
    # -- the history section of access reports ----------------------------------------
    N_("privacy:history.minutes", "{minutes} min"),
    N_("privacy:history.price", "price {amount}"),
    N_("privacy:history.paid", "paid {amount}"),
    N_("privacy:history.invoice", "invoice {number}"),
    N_("privacy:history.tax", "tax {amount}"),
    N_("privacy:history.notes", "notes: {text}"),
    N_("privacy:history.technical_notes", "technical notes: {text}"),
    N_("privacy:history.received", "received"),
    N_("privacy:history.sent", "sent"),
    # TRANSLATORS: {channel} is "e-mail", "SMS", ...
    N_("privacy:history.received_by", "received by {channel}"),
    N_("privacy:history.sent_by", "sent by {channel}"),
    N_("privacy:appointment.booked", "booked"),
    N_("privacy:appointment.completed", "completed"),
    N_("privacy:appointment.cancelled_by_client", "cancelled by you"),
    N_("privacy:appointment.cancelled_by_business", "cancelled by the business"),
    N_("privacy:appointment.no_show", "missed"),
    N_("privacy:payment.received", "received"),
    N_("privacy:payment.pending", "pending"),
    N_("privacy:payment.refunded", "refunded"),
    N_("privacy:payment.cash", "cash"),
    N_("privacy:payment.card", "card"),
    N_("privacy:payment.transfer", "bank transfer"),
    N_("privacy:payment.voucher", "voucher"),
    N_("privacy:payment.online", "online"),
    N_("privacy:payment.other", "other payment"),
    N_("privacy:conversation.invoice", "invoice"),
    N_("privacy:conversation.note", "note"),
    N_("privacy:send.sent", "sent"),
    N_("privacy:send.skipped", "not sent"),
    N_("privacy:send.failed", "failed"),
    N_("privacy:send.queued", "waiting"),
    N_("privacy:send.sending", "being sent"),
)

PRIVACY_TEXTS: Final = in_languages(_PRIVACY_TEXTS, LANGUAGES, prefix="privacy:")
