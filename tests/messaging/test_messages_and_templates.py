from __future__ import annotations

import base64

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clientcard.consent import Channel, Purpose
from clientcard.errors import ValidationError
from clientcard.messaging import MessageTemplate, OutgoingMessage, TemplateText, check_message
from clientcard.testing.doubles import RecordingNotifier

BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def message(**fields: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "message_id": "m-1",
        "business_id": "b",
        "card_id": "c",
        "purpose": Purpose.MARKETING,
        "channel": Channel.EMAIL,
        "to": "Anna@Example.com",
        "subject": "Offerta",
        "body": "Ciao Anna",
        **fields,
    }
    return OutgoingMessage(**values)  # type: ignore[arg-type]


class TestChecks:
    def test_a_good_email_passes_with_its_address_normalised(self) -> None:
        assert check_message(message()).to == "Anna@example.com"

    @pytest.mark.parametrize(
        "subject", ["Hi\r\nBcc: everyone@example.com", "Hi\nX-Evil: 1", "a\x00b"]
    )
    def test_a_subject_that_would_inject_headers_is_refused(self, subject: str) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(subject=subject))
        assert caught.value.codes == {"message.header_injection"}

    @given(
        before=st.text(max_size=10),
        after=st.text(max_size=10),
        line_break=st.sampled_from(sorted(BREAKS)),
        encoding=st.sampled_from(["q", "Q", "b", "B"]),
        charset=st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "utf-8*it", "x-unknown"]),
        glued=st.booleans(),
    )
    def test_a_line_break_inside_an_encoded_word_is_refused(
        self,
        *,
        before: str,
        after: str,
        line_break: str,
        encoding: str,
        charset: str,
        glued: bool,
    ) -> None:
        """A break hides in an RFC 2047 word of any form; it is found after decoding."""
        codec = "latin-1" if charset in ("iso-8859-1", "x-unknown") else "utf-8"
        if codec == "latin-1" and ord(line_break) > 0xFF:
            line_break = "\r\n"
        raw = f"x{line_break}Bcc: evil@attacker.example".encode(codec)
        if encoding in "qQ":
            text = "".join(f"={byte:02X}" for byte in raw)
        else:
            text = base64.b64encode(raw).decode("ascii")
        word = f"=?{charset}?{encoding}?{text}?="
        subject = f"{before}{'' if glued else ' '}{word}{after}"
        with pytest.raises(ValidationError) as caught:
            check_message(message(subject=subject))
        assert "message.header_injection" in caught.value.codes

    @given(
        text=st.text(st.characters(codec="utf-8", exclude_characters=BREAKS + "\x00"), max_size=30)
    )
    def test_an_encoded_word_without_a_break_is_accepted(self, text: str) -> None:
        assume(text.strip())
        word = "=?utf-8?b?" + base64.b64encode(text.encode()).decode("ascii") + "?="
        assert check_message(message(subject=f"Offerta {word}")).subject == f"Offerta {word}"

    def test_an_encoded_line_break_in_the_address_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(to="=?utf-8?q?a=0D=0ABcc:_e@x.example?=@example.com"))
        assert caught.value.fields == {"to"}

    def test_an_unsubscribe_url_that_would_inject_headers_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(unsubscribe_url="https://x/u\r\nBcc: a@b.c"))
        assert caught.value.fields == {"unsubscribe_url"}

    def test_an_overlong_subject_or_sms_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(subject="x" * 201))
        assert caught.value.codes == {"message.too_long"}
        with pytest.raises(ValidationError):
            check_message(
                message(channel=Channel.SMS, to="+393331234567", subject=None, body="x" * 1601)
            )

    def test_an_invalid_address_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(to="anna@"))
        assert caught.value.fields == {"to"}
        with pytest.raises(ValidationError) as landline:
            check_message(message(channel=Channel.SMS, to="+390212345678", subject=None))
        assert landline.value.codes == {"phone.not_mobile"}

    def test_an_email_needs_a_subject_and_every_message_a_body(self) -> None:
        with pytest.raises(ValidationError) as caught:
            check_message(message(subject=None, body="  "))
        assert caught.value.fields == {"subject", "body"}

    def test_repr_hides_address_and_text(self) -> None:
        text = repr(message())
        assert "Anna" not in text
        assert "Ciao" not in text
        assert "m-1" in text

    def test_the_recording_notifier_checks_like_a_real_one(self) -> None:
        notifier = RecordingNotifier()
        assert notifier.send(message()) == "m-1"
        with pytest.raises(ValidationError):
            notifier.send(message(to="nope"))
        assert len(notifier.sent) == 1


PROMO = {
    "it": TemplateText(
        subject="Novità da ${business_name}",
        body="Ciao $first_name! Disiscriviti: $unsubscribe_url",
    ),
    "en": TemplateText(
        subject="News from ${business_name}", body="Hi $first_name! Unsubscribe: $unsubscribe_url"
    ),
}


class TestTemplates:
    def test_a_template_renders_in_the_language_asked(self) -> None:
        template = MessageTemplate(key="promo", purpose=Purpose.MARKETING, texts=PROMO)
        values = {"first_name": "Anna", "business_name": "Bella", "unsubscribe_url": "https://u"}
        rendered = template.render("it", values)
        assert rendered.subject == "Novità da Bella"
        assert rendered.body == "Ciao Anna! Disiscriviti: https://u"
        assert template.render("nl", values).subject == "News from Bella"  # English fallback

    def test_a_marketing_template_without_an_unsubscribe_link_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            MessageTemplate(
                key="p",
                purpose=Purpose.MARKETING,
                texts={"en": TemplateText(subject="s", body="Buy now")},
            )
        assert caught.value.codes == {"template.no_unsubscribe"}

    def test_a_reminder_needs_no_unsubscribe_link(self) -> None:
        template = MessageTemplate(
            key="r",
            purpose=Purpose.APPOINTMENT_REMINDERS,
            extra=frozenset({"when"}),
            texts={"en": TemplateText(subject="Reminder", body="See you $when")},
        )
        assert template.render("en", {"when": "tomorrow"}).body == "See you tomorrow"

    def test_only_known_placeholders_exist(self) -> None:
        with pytest.raises(ValidationError) as caught:
            MessageTemplate(
                key="p",
                purpose=Purpose.APPOINTMENT_REMINDERS,
                texts={"en": TemplateText(body="Your allergies: $allergies")},
            )
        assert caught.value.codes == {"template.unknown_placeholder"}

    def test_a_lone_dollar_is_an_error_not_a_surprise(self) -> None:
        with pytest.raises(ValidationError) as caught:
            MessageTemplate(
                key="p",
                purpose=Purpose.APPOINTMENT_REMINDERS,
                texts={"en": TemplateText(body="Costs 5$ only")},
            )
        assert caught.value.codes == {"template.invalid"}

    def test_a_missing_value_is_named(self) -> None:
        template = MessageTemplate(key="promo", purpose=Purpose.MARKETING, texts=PROMO)
        with pytest.raises(ValidationError) as caught:
            template.render("en", {"first_name": "Anna", "unsubscribe_url": "u"})
        assert caught.value.fields == {"business_name"}
