"""The shipped gettext catalogs: complete, current, and compiled from what they say.

English lives in the source; Italian and Dutch in ``clientcard/locale/<lang>/LC_MESSAGES``.
These tests fail when a text is marked in the source but not yet extracted, extracted but
not translated (or only fuzzily), translated with other placeholders than the English, or
changed in a ``.po`` file without recompiling its ``.mo``: run ``make locale``, translate
what it reports, and run it again.
"""

from __future__ import annotations

import gettext
import string

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import clientcard.messaging.starter
from clientcard.locale import LANGUAGES, field_label, message
from clientcard.locale._gettext import DOMAIN, LOCALE_DIR, MARKED, translation

SRC = LOCALE_DIR.parents[1]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
# The options `make locale` passes to `pybabel extract`.
KEYWORDS = {"N_": ((1, "c"), 2), "_": None, "_N": None}


def entries(catalog: Catalog) -> dict[tuple[str | None, str], Message]:
    return {(m.context, str(m.id)): m for m in catalog if m.id}


def po(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=lang)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def marked() -> set[tuple[str | None, str]]:
    """Every text the source marks for translation now, as `make locale` would extract it."""
    found = extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    keys: set[tuple[str | None, str]] = set()
    for _file, _line, text, _comments, context in found:
        assert isinstance(text, str), f"plural forms are not used: {text!r}"
        keys.add((context, text))
    return keys


def test_the_template_holds_every_marked_text_and_nothing_else(
    marked: set[tuple[str | None, str]],
) -> None:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as file:
        template = set(entries(read_po(file)))
    assert sorted(marked - template, key=str) == [], "marked but not extracted: make locale"
    assert sorted(template - marked, key=str) == [], "extracted but no longer marked"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_marked_text_has_a_translation(
    lang: str, marked: set[tuple[str | None, str]]
) -> None:
    catalog = entries(po(lang))
    missing = sorted(
        (key for key in marked if key not in catalog or not catalog[key].string), key=str
    )
    assert missing == [], f"{lang} lacks a translation of these (context, text) pairs"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_translation_is_fuzzy_or_obsolete(lang: str) -> None:
    catalog = po(lang)
    assert [str(m.id) for m in catalog if m.id and m.fuzzy] == []
    assert list(catalog.obsolete) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders_of_the_english(lang: str) -> None:
    for (context, text), entry in entries(po(lang)).items():
        assert fields(str(entry.string)) == fields(text), (context, text)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalog_says_what_the_po_file_says(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for (context, text), entry in entries(po(lang)).items():
        said = compiled.pgettext(context, text) if context else compiled.gettext(text)
        assert said == str(entry.string), "the .mo file is stale: make locale"


def test_what_the_library_uses_is_what_babel_extracts(
    marked: set[tuple[str | None, str]],
) -> None:
    assert clientcard.messaging.starter.STARTER_KEYS  # its texts are collected on import
    used = set(MARKED.items())
    assert sorted(used - marked, key=str) == [], "a text marked in a way extraction misses"
    assert sorted({key for key in marked if key[0]} - used, key=str) == []


def test_english_is_the_source_and_needs_no_catalog() -> None:
    assert type(translation("en")) is gettext.NullTranslations
    assert not (LOCALE_DIR / "en").exists()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_shipped_language_reads_its_compiled_catalog(lang: str) -> None:
    assert type(translation(lang)) is gettext.GNUTranslations


def test_a_language_clientcard_does_not_ship_speaks_english() -> None:
    assert type(translation("fr")) is gettext.NullTranslations
    assert message("field.required", "fr") == "This field is required."


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Use at most 3 characters."), ("it", "Usa al massimo 3 caratteri."),
     ("nl", "Gebruik maximaal 3 tekens.")],
)  # fmt: skip
def test_messages_come_from_the_catalog_of_their_language(lang: str, expected: str) -> None:
    assert message("text.too_long", lang, max=3) == expected


def test_labels_come_from_the_catalogs() -> None:
    assert [field_label("birth_date", lang) for lang in LANGUAGES] == [
        "Birth date",
        "Data di nascita",
        "Geboortedatum",
    ]
