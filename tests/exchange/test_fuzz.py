"""Fuzzing the public entry points that read outside data: only documented errors escape.

Each test feeds generated input -- random bytes, JSON of any shape and depth, hostile
fragments (deep nesting, integers of thousands of digits, broken encodings) -- to one
entry point and lets only the errors it documents through: the importers (CSV, JSON,
vCard, Excel, through ``open_source`` and ``import_cards``), ``card_from_dict``, the
schema's field validation and the contact normalisers. Quick under the default
hypothesis profile; ``make fuzz`` runs them with thousands of examples each (issue 19,
item 7).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.cards.schema import Context, FieldSchema
from clientcard.cards.serialization import card_from_dict, card_to_dict
from clientcard.contact import address, email, name, phone, tax
from clientcard.errors import DocumentError, ImportFileError, InvalidValueError, ValidationError
from clientcard.exchange import FileFormat, open_source
from clientcard.storage import MemoryStore
from tests.support import NOW, TODAY

# What the importers document: a mapping that fills no field (ValidationError), a file
# that is empty or not what it was opened as (ImportFileError, XlsxError among them).
# Anything else escaping is a bug.
IMPORT_ERRORS = (ValidationError, ImportFileError)

HOSTILE_JSON = st.sampled_from(
    [
        "[" * 5_000 + "]" * 5_000,
        '{"a":' * 3_000 + "1" + "}" * 3_000,
        "9" * 5_000,
        "-" + "9" * 4_400,
        "1e999999",
        '"\\ud800"',
        '"\\u0000"',
        "NaN",
        "Infinity",
    ]
)

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_KEYS = st.sampled_from(
    [
        *("first_name", "last_name", "email", "phones", "birth_date", "tags", "notes"),
        *("gender", "weight_kg", "postcode", "country", "consent", "status", "id"),
        *("version", "custom"),
    ]
)
CARD_OBJECTS = st.dictionaries(FIELD_KEYS, st.one_of(JSON_VALUES, HOSTILE_JSON), max_size=6)


def _card_text(card: dict[str, object]) -> str:
    """A card object as JSON text; hostile fragments go in as raw text."""
    parts = []
    for key, value in card.items():
        text = value if isinstance(value, str) and value[:1] in '[{9-1"NI' else json.dumps(value)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    cards = [_card_text(card) for card in draw(st.lists(CARD_OBJECTS, max_size=5))]
    shape = draw(st.sampled_from(["array", "lines", "document", "noise"]))
    if shape == "array":
        text = "[" + ",".join(cards) + "]"
    elif shape == "lines":
        text = "\n".join(cards)
    elif shape == "document":
        text = '{"format": "clientcard.cards", "version": 1, "cards": [' + ",".join(cards) + "]}"
    else:
        text = draw(st.text(alphabet='[]{}",:0123456789e.-tfnul \n\\a', max_size=200))
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    return (text if draw(st.booleans()) else text[:cut]).encode(
        draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), "replace"
    )


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    cell = st.one_of(
        st.text(max_size=15),
        st.sampled_from(["Anna", "+39 333 1234567", "a@b.it", "=1+1", '"', "\x00", "9" * 5000]),
    )
    header = draw(st.sampled_from(["Nome;Cognome;Email;Cellulare", "name,email", "", "x"]))
    rows = draw(st.lists(st.lists(cell, max_size=5), max_size=5))
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    text = "\n".join([header, *(delimiter.join(row) for row in rows)])
    raw = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), "replace")
    return raw + draw(st.binary(max_size=20))


@st.composite
def vcard_files(draw: st.DrawFn) -> bytes:
    line = st.one_of(
        st.sampled_from(
            [
                "BEGIN:VCARD",
                "VERSION:3.0",
                "FN:Anna Rossi",
                "N:Rossi;Anna;;;",
                "EMAIL:anna@example.com",
                "TEL;TYPE=CELL:+39 333 1234567",
                "BDAY:1985-12-10",
                "PHOTO;ENCODING=b;TYPE=JPEG:AAAA",
                "END:VCARD",
                "ADR:;;Via Roma 1;Milano;;20100;IT",
            ]
        ),
        st.text(max_size=30).map(lambda t: t.replace("\n", " ")),
    )
    lines = draw(st.lists(line, max_size=12))
    return "\r\n".join(lines).encode("utf-8", "surrogatepass") + draw(st.binary(max_size=10))


@st.composite
def xlsx_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    cell = st.one_of(st.none(), st.text(max_size=10), st.integers(), st.floats(), st.booleans())
    for row in draw(st.lists(st.lists(cell, max_size=4), min_size=1, max_size=4)):
        sheet.append([_excel_safe(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel_safe(value: object) -> object:
    # openpyxl refuses control characters in cells; the fuzzing is of the reader.
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable())
    return value


def _import(data: bytes, format: FileFormat) -> None:
    book = ClientBook(MemoryStore())
    desk = book.business(book.create_business(name="Salone", region="IT").id)
    try:
        with open_source(io.BytesIO(data), format=format) as source:
            desk.exchange.import_cards(source)
    except IMPORT_ERRORS:
        pass


FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class TestImporters:
    @FUZZ
    @given(json_files())
    def test_json(self, data: bytes) -> None:
        _import(data, "json")

    @FUZZ
    @given(csv_files())
    def test_csv(self, data: bytes) -> None:
        _import(data, "csv")

    @FUZZ
    @given(vcard_files())
    def test_vcard(self, data: bytes) -> None:
        _import(data, "vcard")

    @FUZZ
    @given(xlsx_files())
    def test_excel(self, data: bytes) -> None:
        _import(data, "xlsx")

    @pytest.mark.parametrize("format", ["csv", "json", "vcard", "xlsx"])
    @FUZZ
    @given(data=st.binary(max_size=300))
    def test_random_bytes(self, format: FileFormat, data: bytes) -> None:
        _import(data, format)


def _stored_card() -> dict[str, Any]:
    card = ClientCard(
        id="c1",
        business_id="b1",
        created_at=NOW,
        updated_at=NOW,
        first_name="Anna",
        email="anna@example.com",
        phones=("+393331234567",),
        tags=("vip",),
    )
    return card_to_dict(card)


class TestCardFromDict:
    @FUZZ
    @given(JSON_VALUES)
    def test_any_json_value(self, document: object) -> None:
        with contextlib.suppress(DocumentError):
            card_from_dict(document)

    @FUZZ
    @given(
        st.sampled_from(sorted(_stored_card())),
        st.one_of(JSON_VALUES, st.decimals(), st.integers(min_value=2**62, max_value=2**70)),
    )
    def test_one_field_replaced_by_anything(self, key: str, value: object) -> None:
        document = {**_stored_card(), key: value}
        try:
            card = card_from_dict(document)
        except DocumentError:
            return
        # Whatever it reads is a card its constructor takes as it is.
        assert ClientCard(**{f: getattr(card, f) for f in _FIELDS}) == card


_FIELDS = tuple(field.name for field in attrs.fields(ClientCard))


class TestFieldValidation:
    @FUZZ
    @given(st.dictionaries(FIELD_KEYS, st.one_of(JSON_VALUES, st.binary(max_size=10)), max_size=6))
    def test_submitted_values_of_any_shape(self, values: dict[str, object]) -> None:
        with contextlib.suppress(ValidationError):
            FieldSchema.default().validate(values, Context.STAFF, today=TODAY)


NORMALISERS: dict[str, Callable[[object], object]] = {
    "phone": lambda v: phone.normalize(v, "IT"),
    "mobile": lambda v: phone.normalize(v, "NL", require_mobile=True),
    "phone lookup": lambda v: phone.lookup_form(v, "IT"),
    "email": email.normalize,
    "name": name.normalize,
    "text": lambda v: name.normalize_text(v, 50),
    "tax_code": tax.normalize_tax_code,
    "sdi_code": tax.normalize_sdi_code,
    "pec": tax.normalize_pec,
    "country": address.normalize_country,
    "postcode": lambda v: address.normalize_postcode(v, "NL"),
}


class TestNormalisers:
    @pytest.mark.parametrize("normaliser", NORMALISERS.values(), ids=NORMALISERS.keys())
    @FUZZ
    @given(raw=st.one_of(JSON_VALUES, st.binary(max_size=20), HOSTILE_JSON))
    def test_any_value(self, normaliser: Callable[[object], object], raw: object) -> None:
        with contextlib.suppress(InvalidValueError):
            normaliser(raw)

    @FUZZ
    @given(st.text(max_size=60))
    def test_email_keys_of_any_text(self, text: str) -> None:
        assert isinstance(email.lookup_key(text), str)
