"""An e-mail notifier over SMTP (stdlib smtplib), with TLS and the host's credentials.

Marketing messages carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers
(RFC 2369, RFC 8058), so mail clients offer a one-click unsubscribe too.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Literal

from clientcard.consent.purposes import DIRECT_MARKETING, Channel
from clientcard.contact import email as _email
from clientcard.messaging.message import OutgoingMessage, check_message
from clientcard.messaging.notifier import DeliveryError

__all__ = ["SMTPNotifier"]

Security = Literal["starttls", "ssl", "none"]


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
        mail = EmailMessage(policy=SMTP)
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
        return mail

    def send(self, message: OutgoingMessage) -> str:
        """Send one e-mail; return its Message-ID.

        :raises ValidationError: the message fails :func:`check_message`.
        :raises DeliveryError: the server refused it or could not be reached.
        """
        if message.channel is not Channel.EMAIL:
            raise DeliveryError("wrong_channel", retryable=False)
        mail = self._build(check_message(message))
        try:
            with self._connect() as server:
                if self._username is not None:
                    server.login(self._username, self._password or "")
                server.send_message(mail)
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
