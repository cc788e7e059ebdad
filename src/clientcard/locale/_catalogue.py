"""The shipped texts. Placeholders name limits, never submitted values."""

from __future__ import annotations

from typing import Final

from clientcard.locale._commerce import COMMERCE_MESSAGES
from clientcard.locale._gettext import LANGUAGES, N_, english, in_languages
from clientcard.locale._history import HISTORY_MESSAGES
from clientcard.locale._privacy import PRIVACY_MESSAGES

_MESSAGES: Final[dict[str, str]] = english(
    N_("field.required", "This field is required."),
    N_("field.unknown", "This field does not exist on the client card."),
    N_("field.retired", "This field has been retired and can no longer be changed."),
    N_("field.not_collected", "This field is not collected here."),
    N_("type.invalid", "The value has the wrong type; expected {expected}."),
    N_("text.too_long", "Use at most {max} characters."),
    N_("text.invalid_character", "The text contains control characters."),
    N_("name.invalid", "A name needs a letter; control characters, < and > are not allowed."),
    N_("phone.invalid", "This is not a valid phone number."),
    N_("phone.not_mobile", "A mobile number is needed."),
    N_("phone.too_many", "At most {max} phone numbers can be kept."),
    N_("email.invalid", "This is not a valid e-mail address."),
    N_("email.undeliverable", "This e-mail domain does not accept mail."),
    N_("tax_code.invalid", "This is not a valid Italian tax code (codice fiscale)."),
    N_(
        "sdi_code.invalid",
        "An SDI recipient code has 7 letters or digits (6 for public administration).",
    ),
    N_("date.invalid", "This is not a valid date (use YYYY-MM-DD)."),
    N_("date.in_future", "The date cannot be in the future."),
    N_("date.too_old", "The date is implausibly far in the past."),
    N_("number.invalid", "This is not a valid number."),
    N_("number.out_of_range", "The number must be between {min} and {max}."),
    N_("boolean.invalid", "Expected yes or no."),
    N_("choice.invalid", "This is not one of the allowed choices."),
    N_("tag.invalid", "A tag is 1 to {max} characters without control characters."),
    N_("country.invalid", "Use a two-letter ISO country code (IT, NL, GB, ...)."),
    N_("postcode.invalid", "This is not a valid postcode for the country."),
    N_(
        "consent.sensitive_without_consent",
        "Health data can be kept only with the client's explicit consent.",
    ),
    N_(
        "card.no_identity",
        "A client card needs at least a name, an e-mail address or a phone number.",
    ),
    N_(
        "business.time_zone_required",
        "This country has several time zones: name the business's (Europe/Madrid, say).",
    ),
    N_(
        "booking.override_without_actor",
        "Booking past a block needs the member of staff who decided it.",
    ),
    # -- import and export ---------------------------------------------------------
    N_("row.ragged", "This row does not have as many cells as the header row."),
    N_("row.encoding", "This row holds bytes that are not text in the file's encoding."),
    N_("row.too_long", "This line is too long to be a client's row; it was skipped."),
    N_("row.malformed", "This row could not be read (a field too long, or quotes left open)."),
    N_(
        "import.extra_value_ignored",
        "The card keeps one value here; the other values were left out.",
    ),
    N_("import.value_left_out", "This value could not be read and was left out: {reason}"),
    N_(
        "import.consent_wording_missing",
        "Consent can be imported only with the version of the text the client agreed to.",
    ),
    N_(
        "import.summary",
        "{rows} rows read: {imported} imported, {present} already present, {rejected} rejected.",
    ),
    N_(
        "import.summary_dry_run",
        "Dry run, nothing written: {rows} rows read; {imported} would be imported, {present} are "
        "already present, {rejected} would be rejected.",
    ),
    N_(
        "import.minors",
        "{count} of the clients are minors: no marketing reaches them without a guardian's "
        "consent.",
    ),
    N_("consent.invalid", "Consent must be stated as yes or no."),
    N_("file.empty", "The file is empty."),
    N_(
        "file.not_csv",
        "The file is not a CSV file (it looks like an image, a workbook or another binary "
        "file; save a workbook as .xlsx and import that).",
    ),
    N_("file.not_vcard", "The file is not a vCard file (it does not begin with BEGIN:VCARD)."),
    N_(
        "file.vcard_not_csv",
        "The file is a vCard file (it begins with BEGIN:VCARD), not CSV: import it as vCard "
        "(a name ending in .vcf).",
    ),
    N_("file.not_xlsx", "The file is not an Excel workbook (.xlsx) that can be read."),
    N_("file.no_sheet", "The workbook has no sheet of that name; its sheets: {sheets}."),
    N_("vcard.malformed", "This vCard could not be read."),
    N_("vcard.too_large", "This vCard is too large to import."),
    N_("vcard.line_skipped", "A line of this vCard could not be read and was left out."),
    N_("json.malformed", "This entry is not a JSON object of card fields."),
    N_(
        "json.too_complex",
        "This entry is nested too deeply or holds a number too long to read.",
    ),
    N_("picture.not_stored", "The photo was left out: no photo store was given."),
    N_("picture.too_large", "The photo was left out: it is too large."),
    N_("picture.unreadable", "The photo was left out: it is not inline image data."),
    N_("mapping.unknown_target", "This column is mapped to a field the client card does not have."),
    N_("mapping.unknown_column", "The file has no such column."),
    N_("mapping.no_columns", "No column of the file is mapped to a field of the client card."),
    N_("merge.same_card", "A card can't be merged into itself."),
    N_("merge.other_business", "Only cards of one business can be merged."),
    N_(
        "merge.guardian_link",
        "A child and their guardian are two people: their cards can't be merged.",
    ),
)

_FIELD_LABELS: Final[dict[str, str]] = english(
    N_("label:first_name", "First name"),
    N_("label:last_name", "Last name"),
    N_("label:email", "E-mail"),
    N_("label:phones", "Phone"),
    N_("label:street", "Address"),
    N_("label:postcode", "Postcode"),
    N_("label:city", "City"),
    N_("label:country", "Country"),
    N_("label:birth_date", "Birth date"),
    N_("label:gender", "Gender"),
    N_("label:weight_kg", "Weight (kg)"),
    N_("label:height_cm", "Height (cm)"),
    N_("label:tax_code", "Tax code"),
    N_("label:pec", "PEC address"),
    N_("label:sdi_code", "SDI code"),
    N_("label:notes", "Notes"),
    N_("label:client_group", "Client group"),
    N_("label:tags", "Tags"),
    N_("label:referral_source", "How did you hear about us?"),
    N_("label:education", "Education"),
    N_("label:profession", "Profession"),
    N_("label:picture", "Picture"),
    N_("label:language", "Language"),
)

_LANGUAGE_LABELS: Final[dict[str, str]] = english(
    N_("language:en", "English"),
    N_("language:it", "Italian"),
    N_("language:nl", "Dutch"),
)

_GENDER_LABELS: Final[dict[str, str]] = english(
    N_("gender:female", "Female"),
    N_("gender:male", "Male"),
    N_("gender:non_binary", "Non-binary"),
    N_("gender:other", "Other"),
)

_CONSENT_TEXTS: Final[dict[str, str]] = english(
    N_("consent:action.grant", "agreed to"),
    N_("consent:action.withdraw", "withdrew consent to"),
    N_("consent:action.refuse", "did not consent to"),
    N_("consent:action.object", "objected to"),
    N_("consent:action.withdraw_objection", "withdrew the objection to"),
    N_("consent:action.request_confirmation", "was asked to confirm"),
    N_("consent:action.offer_opt_out", "was told they may refuse"),
    N_("consent:scope.all_marketing", "all direct marketing, on every channel"),
    N_("consent:by", "by"),
    N_("consent:wording", "text version"),
    N_("consent:guardian", "with a guardian's consent"),
    N_("consent:granted_now", "You currently agree to"),
    N_("consent:objecting_now", "You object to all direct marketing."),
    N_("consent:nothing_granted", "You have not agreed to any messages beyond your bookings."),
    N_("consent:staff.granted_now", "The client currently agrees to"),
    N_("consent:staff.objecting_now", "The client objects to all direct marketing."),
    N_(
        "consent:staff.nothing_granted",
        "The client has not agreed to any messages beyond their bookings.",
    ),
    N_("consent:purpose.appointment_reminders", "appointment confirmations and reminders"),
    N_("consent:purpose.review_invitations", "invitations to review"),
    N_("consent:purpose.rebook_invitations", "invitations to book again"),
    N_("consent:purpose.marketing", "marketing and promotions"),
    N_("consent:purpose.birthday_greetings", "birthday greetings"),
    N_("consent:purpose.welcome", "a welcome message"),
    N_("consent:purpose.payment_reminders", "payment reminders"),
    N_("consent:purpose.account", "messages about your online account"),
    N_("consent:purpose.profiling", "use of your bookings in statistics and market research"),
    N_(
        "consent:purpose.special_category_data",
        "keeping your health information (allergies, treatments)",
    ),
    N_("consent:channel.email", "e-mail"),
    N_("consent:channel.sms", "SMS"),
    N_("consent:channel.push", "app notification"),
    N_("consent:channel.whatsapp", "WhatsApp"),
    N_("consent:source.staff", "recorded by staff"),
    N_("consent:source.booking_form", "booking form"),
    N_("consent:source.client_portal", "client portal"),
    N_("consent:source.import", "import"),
    N_("consent:source.unsubscribe_link", "unsubscribe link"),
    N_("consent:source.confirmation_link", "confirmation link"),
    N_("consent:source.api", "connected system"),
)

# Words the reports and exports put together: yes and no, and dates written out.
_WORDS: Final[dict[str, str]] = english(
    N_("word:yes", "yes"),
    N_("word:no", "no"),
    # TRANSLATORS: a date in a consent report; {month} is a month's name from below.
    N_("word:date", "{day} {month} {year}"),
    N_("word:month.1", "January"),
    N_("word:month.2", "February"),
    N_("word:month.3", "March"),
    N_("word:month.4", "April"),
    N_("word:month.5", "May"),
    N_("word:month.6", "June"),
    N_("word:month.7", "July"),
    N_("word:month.8", "August"),
    N_("word:month.9", "September"),
    N_("word:month.10", "October"),
    N_("word:month.11", "November"),
    N_("word:month.12", "December"),
)

# Each table, translated once at import: message codes and keys to a text per language.
MESSAGES: Final[dict[str, dict[str, str]]] = in_languages(
    {**_MESSAGES, **COMMERCE_MESSAGES, **HISTORY_MESSAGES, **PRIVACY_MESSAGES}, LANGUAGES
)
FIELD_LABELS: Final = in_languages(_FIELD_LABELS, LANGUAGES, prefix="label:")
LANGUAGE_LABELS: Final = in_languages(_LANGUAGE_LABELS, LANGUAGES, prefix="language:")
GENDER_LABELS: Final = in_languages(_GENDER_LABELS, LANGUAGES, prefix="gender:")
CONSENT_TEXTS: Final = in_languages(_CONSENT_TEXTS, LANGUAGES, prefix="consent:")
WORDS: Final = in_languages(_WORDS, LANGUAGES, prefix="word:")
