"""The SMTP notifier against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from clientcard.consent import Channel, Purpose
from clientcard.errors import ValidationError
from clientcard.messaging import DeliveryError, OutgoingMessage, SMTPNotifier


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        options: Any,
    ) -> str:
        if address.startswith("refuse"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def message(**fields: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "message_id": "m-42",
        "business_id": "b",
        "card_id": "c",
        "purpose": Purpose.MARKETING,
        "channel": Channel.EMAIL,
        "to": "anna@example.com",
        "subject": "Novità",
        "body": "Ciao Anna, sconto del 10%.",
        "unsubscribe_url": "https://salon.example/u/tok",
        **fields,
    }
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def test_an_email_arrives_with_its_headers(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    message_id = notifier.send(message())
    (received,) = handler.messages
    assert received["To"] == "anna@example.com"
    assert received["Subject"] == "Novità"
    assert received["Message-ID"] == message_id
    assert message_id == "<m-42@example.com>"  # the same on every attempt
    assert received["List-Unsubscribe"] == "<https://salon.example/u/tok>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "sconto del 10%" in received.get_content()  # type: ignore[attr-defined]


def test_a_service_message_carries_no_unsubscribe_header(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    notifier.send(message(purpose=Purpose.APPOINTMENT_REMINDERS, unsubscribe_url=None))
    assert handler.messages[0]["List-Unsubscribe"] is None


def test_a_refused_recipient_is_a_final_failure(inbox: tuple[Inbox, int]) -> None:
    _, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    with pytest.raises(DeliveryError) as caught:
        notifier.send(message(to="refuse@example.com"))
    assert caught.value.reason == "rejected_recipient"
    assert not caught.value.retryable


def test_an_unreachable_server_is_worth_retrying() -> None:
    notifier = SMTPNotifier("127.0.0.1", 1, sender="salon@example.com", security="none", timeout=2)
    with pytest.raises(DeliveryError) as caught:
        notifier.send(message())
    assert caught.value.retryable


def test_only_email_goes_through_smtp() -> None:
    notifier = SMTPNotifier("127.0.0.1", 1, sender="salon@example.com", security="none")
    with pytest.raises(DeliveryError) as caught:
        notifier.send(message(channel=Channel.SMS, to="+393331234567", subject=None))
    assert caught.value.reason == "wrong_channel"


def test_credentials_are_never_sent_in_the_clear() -> None:
    with pytest.raises(ValueError, match="TLS"):
        SMTPNotifier(
            "127.0.0.1", 25, sender="s@example.com", username="u", password="p", security="none"
        )


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return key, cert


def test_starttls_upgrades_the_connection(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True
    )
    controller.start()
    try:
        client_context = ssl.create_default_context(cafile=str(cert))
        notifier = SMTPNotifier(
            "127.0.0.1",
            port,
            sender="salon@example.com",
            security="starttls",
            context=client_context,
        )
        notifier.send(message())
    finally:
        controller.stop()
    assert len(handler.messages) == 1


# -- header injection through encoded words (issue 19, item 3) -------------------------

ENCODED_BREAKS = [
    # The attack of the issue: a q-encoded CR LF glued to a word, then a header.
    "hi=?utf-8?q?x=0D=0ABcc=3A_evil=40attacker.example?=",
    "hi =?UTF-8?Q?x=0D=0ABcc:_evil@attacker.example?=",
    "hi =?utf-8?b?eA0KQmNjOiBldmlsQGF0dGFja2VyLmV4YW1wbGU=?=",  # base64 of the same
    "hi =?iso-8859-1?q?x=0ABcc=3A_evil=40attacker.example?=",  # a bare LF, another charset
    "hi =?utf-8*en?q?x=0DBcc=3A_evil=40attacker.example?=",  # RFC 2231 language, bare CR
    "hi =?utf-8?q?x=E2=80=A8Bcc=3A_evil=40attacker.example?=",  # U+2028 line separator
]


@pytest.mark.parametrize("subject", ENCODED_BREAKS)
def test_an_encoded_line_break_in_the_subject_never_reaches_the_server(
    inbox: tuple[Inbox, int], subject: str
) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    with pytest.raises(ValidationError) as caught:
        notifier.send(message(subject=subject))
    assert caught.value.codes == {"message.header_injection"}
    assert handler.envelopes == []


@pytest.mark.parametrize("encoded", ENCODED_BREAKS)
def test_an_encoded_line_break_in_the_unsubscribe_url_never_reaches_the_server(
    inbox: tuple[Inbox, int], encoded: str
) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    with pytest.raises(ValidationError) as caught:
        notifier.send(message(unsubscribe_url="https://salon.example/u/" + encoded))
    assert caught.value.fields == {"unsubscribe_url"}
    assert handler.envelopes == []


def test_an_encoded_word_without_a_break_still_arrives_as_the_only_subject(
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    notifier.send(message(subject="Sconto =?utf-8?q?caf=C3=A9?="))
    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == ["anna@example.com"]
    assert b"\r\nBcc:" not in envelope.content


def raw_headers(content: bytes) -> dict[str, bytes]:
    """The header section of a raw message, unfolded, by lower-case name."""
    section = content.split(b"\r\n\r\n", 1)[0]
    unfolded = section.replace(b"\r\n ", b" ").replace(b"\r\n\t", b"\t")
    headers: dict[str, bytes] = {}
    for line in unfolded.split(b"\r\n"):
        name, _, value = line.partition(b":")
        headers[name.decode("ascii").lower()] = value.strip()
    return headers


LONG_URL = (
    "https://salon.example/portal/unsubscribe/3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b/"
    "eyJidXNpbmVzcyI6ImIiLCJjYXJkIjoiYyIsInB1cnBvc2UiOiJtYXJrZXRpbmcifQ."
    "kX9vQ2mN7pL4rT1sW8yZ3aB6cD0eF5gH2iJ9kL4mN7oP1qR3sT6uV8wX0yZ2aB4cD6eF8gH0"
)


def test_a_long_unsubscribe_url_arrives_as_one_bracketed_url(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    notifier.send(message(unsubscribe_url=LONG_URL))
    (envelope,) = handler.envelopes
    content = envelope.content
    headers = raw_headers(content)
    # RFC 2369: the URL in angle brackets, as it is, never an RFC 2047 encoded word.
    assert headers["list-unsubscribe"] == f"<{LONG_URL}>".encode("ascii")
    assert b"=?" not in headers["list-unsubscribe"]
    # RFC 8058: the one-click POST header, exactly.
    assert headers["list-unsubscribe-post"] == b"List-Unsubscribe=One-Click"
    # RFC 5322: no line longer than 998 characters, folded or not.
    section = content.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in section.split(b"\r\n")) <= 998


def test_an_unsubscribe_url_too_long_for_one_line_is_refused(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    notifier = SMTPNotifier("127.0.0.1", port, sender="salon@example.com", security="none")
    with pytest.raises(ValidationError) as caught:
        notifier.send(message(unsubscribe_url="https://salon.example/u/" + "a" * 1000))
    assert caught.value.codes == {"message.too_long"}
    assert handler.envelopes == []


@pytest.mark.parametrize(
    "url", ["https://salon.example/u/a b", "https://salon.example/u/<x>", "mailto:x@y.z"]
)
def test_an_unsubscribe_url_that_is_not_one_https_url_is_refused(url: str) -> None:
    notifier = SMTPNotifier("127.0.0.1", 1, sender="salon@example.com", security="none")
    with pytest.raises(ValidationError) as caught:
        notifier.send(message(unsubscribe_url=url))
    assert caught.value.fields == {"unsubscribe_url"}
