"""One hostile record is that row's rejection, never the import's end (issue 19, item 7).

A record nested deeper than Python's decoder recurses, or holding an integer longer than
Python converts, used to stop a JSON import with nothing stored. Each is now rejected
with a reason, and the rows around it import. The other undocumented exceptions the
review found (an unknown encoding, an odd ``schema_version``, a version no store keeps,
values the card would refuse) are the documented errors.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.cards.serialization import card_from_dict, card_to_dict
from clientcard.errors import DocumentError, ValidationError
from clientcard.exchange import open_source
from clientcard.exchange.report import ImportReport
from clientcard.storage.records import Record
from tests.support import NOW

GOOD = {"first_name": "Anna", "last_name": "Rossi"}
OTHER = {"first_name": "Bruno", "last_name": "Bianchi"}
DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
LONG_INTEGER = "7" * 5_000
HOSTILE = {
    "deep array value": '{"first_name": "X", "notes": ' + DEEP + "}",
    "deep object value": '{"first_name": "X", "custom": ' + DEEP_OBJECT + "}",
    "deep bare array": DEEP,
    "long integer": '{"first_name": "X", "phones": ' + LONG_INTEGER + "}",
    "long integer key value": '{"first_name": ' + LONG_INTEGER + "}",
    "bare long integer": LONG_INTEGER,
}


def _import(book: ClientBook, salon: str, data: str, encoding: str | None = None) -> ImportReport:
    with open_source(io.BytesIO(data.encode()), format="json", encoding=encoding) as source:
        return book.business(salon).exchange.import_cards(source)


def _outcome(report: ImportReport) -> tuple[int, list[int]]:
    return report.imported, [issue.row for issue in report.rejected]


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
class TestAHostileRecord:
    def test_in_an_array_only_its_row_is_rejected(
        self, book: ClientBook, salon: str, hostile: str
    ) -> None:
        data = f"[{json.dumps(GOOD)},{hostile},{json.dumps(OTHER)}]"
        assert _outcome(_import(book, salon, data)) == (2, [2])

    def test_in_json_lines_only_its_line_is_rejected(
        self, book: ClientBook, salon: str, hostile: str
    ) -> None:
        data = f"{json.dumps(GOOD)}\n{hostile}\n{json.dumps(OTHER)}\n"
        assert _outcome(_import(book, salon, data)) == (2, [2])

    def test_as_the_first_json_line_only_it_is_rejected(
        self, book: ClientBook, salon: str, hostile: str
    ) -> None:
        if not hostile.startswith("{"):
            pytest.skip("a file starting with no object is not JSON Lines")
        data = f"{hostile}\n{json.dumps(GOOD)}\n{json.dumps(OTHER)}\n"
        assert _outcome(_import(book, salon, data)) == (2, [1])

    def test_in_a_document_only_its_card_is_rejected(
        self, book: ClientBook, salon: str, hostile: str
    ) -> None:
        data = (
            '{"format": "clientcard.cards", "version": 1, "cards": ['
            f"{json.dumps(GOOD)},{hostile},{json.dumps(OTHER)}]}}"
        )
        assert _outcome(_import(book, salon, data)) == (2, [2])

    def test_the_rejection_gives_a_reason_and_no_value(
        self, book: ClientBook, salon: str, hostile: str
    ) -> None:
        data = f"[{json.dumps(GOOD)},{hostile}]"
        (issue,) = _import(book, salon, data).rejected
        assert issue.code == "json.too_complex"
        assert "777" not in issue.message


class TestUndocumentedErrors:
    @pytest.mark.parametrize("encoding", ["no-such-encoding", "zlib", "rot13", "base64"])
    def test_an_unknown_or_non_text_encoding_is_a_value_error(
        self, book: ClientBook, salon: str, encoding: str
    ) -> None:
        with pytest.raises(ValueError, match="encoding"):
            _import(book, salon, json.dumps([GOOD]), encoding=encoding)

    def test_a_record_revision_no_store_keeps_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationError):
            Record(business_id="b", kind="note", id="n", at=NOW, doc={}, revision=2**64)

    def test_import_file_names_an_unknown_encoding_as_a_value_error(
        self, book: ClientBook, salon: str, tmp_path: Path
    ) -> None:
        path = tmp_path / "cards.csv"
        path.write_text("Nome\nAnna\n")
        with pytest.raises(ValueError, match="encoding"):
            book.business(salon).exchange.import_file(path, encoding="no-such-encoding")


def _card_document() -> dict[str, object]:
    return card_to_dict(
        ClientCard(id="c1", business_id="b1", created_at=NOW, updated_at=NOW, first_name="Anna")
    )


# What a card may not hold; each was read into a card by card_from_dict before.
REFUSED = {
    "an invalid e-mail": ("email", "not-an-email"),
    "an e-mail with a space": ("email", "anna rossi@example.com"),
    "an e-mail as a mapping": ("email", {"a": "b@example.com"}),
    "letters as a phone": ("phones", ["abc"]),
    "a phone not in E.164": ("phones", ["333 1234567"]),
    "a mapping as a first name": ("first_name", {"a": "b"}),
    "a mapping as a last name": ("last_name", {"x": 1}),
    "a list as notes": ("notes", ["a"]),
    "a mapping as a tag": ("tags", [{"a": 1}]),
    "a version no store keeps": ("version", 2**64),
    "schema_version sNaN": ("schema_version", Decimal("sNaN")),
    "schema_version NaN": ("schema_version", Decimal("NaN")),
    "schema_version true": ("schema_version", True),
}


class TestCardFromDict:
    @pytest.mark.parametrize(("key", "value"), REFUSED.values(), ids=REFUSED.keys())
    def test_refuses_what_the_card_refuses_with_a_document_error(
        self, key: str, value: object
    ) -> None:
        document = {**_card_document(), key: value}
        with pytest.raises(DocumentError):
            card_from_dict(document)

    @pytest.mark.parametrize(
        ("key", "value"),
        [item for item in REFUSED.values() if item[0] != "schema_version"],
        ids=[name for name, item in REFUSED.items() if item[0] != "schema_version"],
    )
    def test_the_constructor_refuses_the_same_values(self, key: str, value: object) -> None:
        if key in ("phones", "tags"):
            assert isinstance(value, list)
            value = tuple(value)
        with pytest.raises((ValueError, TypeError)):
            ClientCard(
                id="c1",
                business_id="b1",
                created_at=NOW,
                updated_at=NOW,
                **{key: value},  # type: ignore[arg-type]
            )

    def test_a_number_is_still_read_as_text(self) -> None:
        document = {**_card_document(), "last_name": 42}
        assert card_from_dict(document).last_name == "42"
