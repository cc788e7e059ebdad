"""An e-mail notifier over SMTP (stdlib smtplib), with TLS and the host's credentials.

Marketing messages carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers
(RFC 2369, RFC 8058), so mail clients offer a one-click unsubscribe too. The URL must be
``https`` (RFC 8058 one-click needs it) and goes out as it is, in angle brackets: never
an RFC 2047 encoded word (which Python's folding makes of a long URL, and which mail
clients don't read as a link). A URL too long for the header line fits on a line of its
own (RFC 5322 folding before it); one too long for that (over 990 characters) is refused.

Header injection is stopped twice: :func:`~clientcard.messaging.message.check_message`
refuses a line break in a header value, decoded encoded words included, and the
message is serialised here and its header section read back before anything is sent:
it must hold exactly the headers written, each once, or the message is refused. The
envelope names the message's one recipient, never what the headers say, so not even a
header slipped past both checks could add a ``Bcc``.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate
from io import BytesIO
from typing import Any, Final, Literal

from clientcard.consent.purposes import DIRECT_MARKETING, Channel
from clientcard.contact import email as _email
from clientcard.errors import FieldIssue, ValidationError
from clientcard.messaging.message import OutgoingMessage, breaks_a_header, check_message
from clientcard.messaging.notifier import DeliveryError

__all__ = ["SMTPNotifier"]

Security = Literal["starttls", "ssl", "none"]

_VERBATIM: Final = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
"""Headers written as they are: a URL in angle brackets must never become encoded words."""
_LONGEST_LINE: Final = 998
"""RFC 5322 section 2.1.1: no line of a message may be longer (without its CRLF)."""
_LONGEST_URL: Final = _LONGEST_LINE - len(" <>")
_SOFT_LINE: Final = 78
# An https URL of printable ASCII, without the brackets and spaces that would end it.
_UNSUBSCRIBE_URL: Final = re.compile(r"https://[\x21-\x3b\x3d\x3f-\x7e]+")


class _Policy(EmailPolicy):
    """``email.policy.SMTP``, writing the List-Unsubscribe headers verbatim.

    Python folds a header it can't break at a space (a long URL) into RFC 2047 encoded
    words; RFC 2369 wants ``<https://...>`` as it is. These two are stored unparsed and
    written on one line, or on a line of their own after the name when too long.
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() in _VERBATIM and isinstance(value, str):
            return name, value
        return super().header_store_parse(name, value)

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in _VERBATIM:
            return self._verbatim(name, str(value))
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in _VERBATIM:
            return self._verbatim(name, str(value)).encode("ascii")
        return super().fold_binary(name, value)

    def _verbatim(self, name: str, value: str) -> str:
        if len(name) + 2 + len(value) <= _SOFT_LINE:
            return f"{name}: {value}{self.linesep}"
        return f"{name}:{self.linesep} {value}{self.linesep}"


_SMTP_POLICY: Final = _Policy(linesep="\r\n")


def _refuse(field: str, code: str, text: str) -> ValidationError:
    return ValidationError([FieldIssue(field, code, text)])


def _check_unsubscribe_url(url: str) -> None:
    """Refuse what can't go out as one RFC 2369 / RFC 8058 List-Unsubscribe URL."""
    if len(url) > _LONGEST_URL:
        raise _refuse("unsubscribe_url", "message.too_long", f"at most {_LONGEST_URL} characters")
    if not _UNSUBSCRIBE_URL.fullmatch(url):
        raise _refuse(
            "unsubscribe_url",
            "message.unsubscribe_url_invalid",
            "one https URL of printable ASCII, without spaces or angle brackets",
        )


def _header_names(raw: bytes) -> list[str]:
    """The names of the header fields of a serialised message, in order, lower-cased."""
    section = raw.split(b"\r\n\r\n", 1)[0]
    names: list[str] = []
    for line in section.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the field before
        names.append(line.partition(b":")[0].decode("ascii", "replace").lower())
    return names


class SMTPNotifier:
    """Sends e-mail through the business's SMTP server.

    ``security`` is ``starttls`` (default; port 587), ``ssl`` (implicit TLS; port 465)
    or ``none`` (only for a relay on the same machine, or tests). Credentials, when given,
    are sent only over TLS.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 30.0,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if security == "none" and username is not None:
            raise ValueError("credentials are sent only over TLS")
        self._host = host
        self._port = port
        self._sender = _email.normalize(sender)
        self._username = username
        self._password = password
        self._security = security
        self._timeout = timeout
        self._context = context or ssl.create_default_context()

    def _build(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage(policy=_SMTP_POLICY)
        mail["From"] = self._sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        domain = self._sender.rpartition("@")[2]
        # The same id on every attempt, so a server or a later hop can spot a replay.
        mail["Message-ID"] = f"<{message.message_id}@{domain}>"
        if message.unsubscribe_url and message.purpose in DIRECT_MARKETING:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.body)
        for name, value in mail.items():
            # Every value as the e-mail package holds it (encoded words decoded once).
            if breaks_a_header(str(value)):
                raise _refuse(name.lower(), "message.header_injection", "one line only")
        return mail

    @staticmethod
    def _serialise(mail: EmailMessage, *, utf8: bool) -> bytes:
        """The message's bytes, after reading back that its headers are the ones written.

        Whatever the Python version's folding does, a message whose serialised header
        section names another field, or one twice, is refused before it is sent.
        """
        with BytesIO() as out:
            BytesGenerator(out, policy=_SMTP_POLICY.clone(utf8=utf8)).flatten(mail)
            raw = out.getvalue()
        written = [name.lower() for name in mail.keys()]  # noqa: SIM118 - a list, in order
        if _header_names(raw) != written:
            raise _refuse("subject", "message.header_injection", "one line only")
        section = raw.split(b"\r\n\r\n", 1)[0]
        if any(len(line) > _LONGEST_LINE for line in section.split(b"\r\n")):
            raise _refuse("subject", "message.too_long", "a header line is too long")
        return raw

    def send(self, message: OutgoingMessage) -> str:
        """Send one e-mail; return its Message-ID.

        :raises ValidationError: the message fails :func:`check_message`.
        :raises DeliveryError: the server refused it or could not be reached.
        """
        if message.channel is not Channel.EMAIL:
            raise DeliveryError("wrong_channel", retryable=False)
        checked = check_message(message)
        if checked.unsubscribe_url and checked.purpose in DIRECT_MARKETING:
            _check_unsubscribe_url(checked.unsubscribe_url)
        mail = self._build(checked)
        # RFC 6531: an address beyond ASCII needs the server's SMTPUTF8.
        international = not (self._sender + checked.to).isascii()
        raw = self._serialise(mail, utf8=international)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        try:
            with self._connect() as server:
                if self._username is not None:
                    server.login(self._username, self._password or "")
                server.ehlo_or_helo_if_needed()
                if international and not server.has_extn("smtputf8"):
                    raise DeliveryError("smtputf8_unsupported", retryable=False)
                # The envelope names the one recipient: never what a header says.
                server.sendmail(self._sender, [checked.to], raw, options)
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError("authentication", retryable=False) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("rejected_recipient", retryable=False) from None
        except smtplib.SMTPResponseException as error:
            # 4xx replies are temporary by definition; 5xx are final.
            raise DeliveryError(
                f"smtp_{error.smtp_code}", retryable=400 <= error.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError):
            raise DeliveryError("unavailable", retryable=True) from None
        return str(mail["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self._security == "ssl":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._context
            )
        server = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        if self._security == "starttls":
            try:
                server.starttls(context=self._context)
            except BaseException:
                server.close()
                raise
        return server
