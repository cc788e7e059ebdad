from __future__ import annotations

import base64
import io

import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import ClientCard
from clientcard.exchange._records import Record
from clientcard.exchange.vcard import MAX_CARD, VcardSource, open_vcards, write_vcards
from tests.exchange.support import imported, values
from tests.support import NOW

APPLE = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r
N:Bianchi;Giulia;;;\r
FN:Giulia Bianchi\r
item1.EMAIL;type=INTERNET;type=pref:giulia@example.it\r
item1.X-ABLabel:_$!<Home>!$_\r
item2.EMAIL;type=INTERNET:giulia.work@example.it\r
TEL;type=CELL;type=VOICE;type=pref:+39 333 123 4567\r
TEL;type=HOME;type=VOICE:02 1234 5678\r
item3.ADR;type=HOME;type=pref:;;Via Roma 1;Milano;MI;20121;Italia\r
BDAY;value=date:1985-12-10\r
NOTE:Prefers mornings\\, no coffee\r
CATEGORIES:VIP,Sposa\r
END:VCARD\r
"""

ANDROID = """BEGIN:VCARD\r
VERSION:2.1\r
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:N=C3=BA=C3=B1ez;Jos=C3=A9;;;\r
TEL;CELL:3337654321\r
NOTE;ENCODING=QUOTED-PRINTABLE:Prima riga=0D=0A=\r
seconda riga\r
END:VCARD\r
"""

GOOGLE = """BEGIN:VCARD\r
VERSION:4.0\r
FN:Sanne de Vries\r
N:de Vries;Sanne;;;\r
TEL;VALUE=uri;TYPE=cell:tel:+31-6-12345678\r
EMAIL:sanne@example.nl\r
BDAY:--0229\r
GENDER:F\r
LANG:nl-NL\r
NOTE:A very long note that a phone folds over several lines because vCard lines are\r
  kept under seventy-five octets.\r
END:VCARD\r
"""

PIXEL = base64.b64encode(b"\x89PNG fake image").decode()


def records(text: str, **options: object) -> list[Record]:
    with open_vcards(io.BytesIO(text.encode("utf-8")), **options) as source:  # type: ignore[arg-type]
        assert isinstance(source, VcardSource)
        return list(source.records())


class TestReading:
    def test_an_apple_card_with_groups_and_several_emails_and_phones(self) -> None:
        (record,) = records(APPLE)
        assert record.values == {
            "first_name": "Giulia",
            "last_name": "Bianchi",
            "email": "giulia@example.it",
            "phones": ["+39 333 123 4567", "02 1234 5678"],
            "street": "Via Roma 1",
            "city": "Milano",
            "postcode": "20121",
            "country": "IT",
            "birth_date": "1985-12-10",
            "notes": "Prefers mornings, no coffee",
            "tags": ["VIP", "Sposa"],
        }
        assert record.warnings == (("email", "import.extra_value_ignored"),)

    def test_an_android_card_in_quoted_printable_utf8(self) -> None:
        (record,) = records(ANDROID)
        assert record.values["first_name"] == "José"
        assert record.values["last_name"] == "Núñez"
        assert record.values["notes"] == "Prima riga\r\nseconda riga"

    def test_a_folded_vcard_4_with_tel_uris_and_partial_birthday(self) -> None:
        (record,) = records(GOOGLE)
        assert record.values["phones"] == ["+31-6-12345678"]
        assert record.values["birth_date"] == "--0229"
        assert record.values["gender"] == "female"
        assert record.values["language"] == "nl"
        assert str(record.values["notes"]).endswith("kept under seventy-five octets.")

    def test_inline_photos_go_to_the_hosts_photo_store(self) -> None:
        stored: list[tuple[bytes, str]] = []

        def keep(data: bytes, media_type: str) -> str:
            stored.append((data, media_type))
            return "blob/1"

        card = APPLE.replace("END:VCARD", f"PHOTO;ENCODING=b;TYPE=PNG:{PIXEL}\r\nEND:VCARD")
        (record,) = records(card, photos=keep)
        assert record.values["picture"] == "blob/1"
        assert stored == [(b"\x89PNG fake image", "image/png")]
        uri = GOOGLE.replace("END:VCARD", f"PHOTO:data:image/jpeg;base64,{PIXEL}\r\nEND:VCARD")
        assert records(uri, photos=keep)[0].values["picture"] == "blob/1"
        assert stored[-1][1] == "image/jpeg"

    def test_without_a_photo_store_the_photo_is_left_out_and_reported(self) -> None:
        card = APPLE.replace("END:VCARD", f"PHOTO;ENCODING=b;TYPE=JPEG:{PIXEL}\r\nEND:VCARD")
        (record,) = records(card)
        assert "picture" not in record.values
        assert ("picture", "picture.not_stored") in record.warnings

    def test_a_remote_photo_is_never_fetched(self) -> None:
        card = GOOGLE.replace("END:VCARD", "PHOTO:https://example.com/a.jpg\r\nEND:VCARD")
        (record,) = records(card, photos=lambda data, kind: "never")
        assert ("picture", "picture.unreadable") in record.warnings

    def test_a_card_cut_short_is_rejected_and_the_next_one_read(self) -> None:
        broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Rossi;Anna\r\n"
        found = records(broken + APPLE)
        assert [r.problem for r in found] == ["vcard.malformed", None]
        assert found[1].number == 2

    def test_a_card_vobject_cannot_parse_is_rejected(self) -> None:
        card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nADR;X="q"z:;;Via Roma\r\nEND:VCARD\r\n'
        assert [r.problem for r in records(card)] == ["vcard.malformed"]

    def test_an_unreadable_line_is_skipped_with_a_warning(self) -> None:
        card = APPLE.replace("NOTE:", "this line has no colon\r\nNOTE:")
        (record,) = records(card)
        assert ("record", "vcard.line_skipped") in record.warnings
        assert record.values["first_name"] == "Giulia"

    def test_an_oversized_card_is_rejected(self) -> None:
        filler = "".join(f"NOTE:{'x' * 70}\r\n" for _ in range(MAX_CARD // 70 + 10))
        found = records(APPLE.replace("END:VCARD", filler + "END:VCARD") + GOOGLE)
        assert [r.problem for r in found] == ["vcard.too_large", None]

    def test_a_card_left_open_at_the_end_is_malformed(self) -> None:
        assert [r.problem for r in records("BEGIN:VCARD\r\nN:Rossi;Anna;;;\r\n")] == [
            "vcard.malformed"
        ]


class TestImporting:
    def test_a_phone_export_imports_with_every_quirk(self, book: ClientBook, salon: str) -> None:
        report = imported(book, salon, APPLE + ANDROID + GOOGLE, "vcard")
        assert (report.imported, report.rejected) == (3, ())
        names = [(v["first_name"], v.get("phones")) for v in values(book, salon)]
        assert ("Giulia", ("+393331234567", "+390212345678")) in names
        assert ("Sanne", ("+31612345678",)) in names


class TestWriting:
    def test_lines_are_folded_at_75_octets_without_splitting_characters(self) -> None:
        card = ClientCard(
            id="c1", business_id="b", created_at=NOW, updated_at=NOW, first_name="Anna",
            notes="è" * 100,
        )  # fmt: skip
        out = io.StringIO(newline="")
        write_vcards(out, [(card, {"first_name": "Anna", "notes": card.notes})])
        lines = out.getvalue().split("\r\n")
        assert all(len(line.encode()) <= 75 for line in lines)
        assert any(line.startswith(" ") for line in lines)

    @pytest.mark.parametrize(
        ("gender", "written"),
        [("female", "F"), ("male", "M"), ("non_binary", "O;non-binary"), ("other", "O")],
    )
    def test_gender_is_written_as_vcard_4_codes(self, gender: str, written: str) -> None:
        from clientcard.cards.card import Gender

        card = ClientCard(
            id="c1", business_id="b", created_at=NOW, updated_at=NOW, first_name="Anna",
            gender=Gender(gender),
        )  # fmt: skip
        out = io.StringIO(newline="")
        write_vcards(out, [(card, {"first_name": "Anna", "gender": gender})])
        assert f"GENDER:{written}\r\n" in out.getvalue()
        (record,) = records(out.getvalue())
        assert record.values["gender"] == gender
