"""Notices sent as e-mail to an SMTP server (a relay or a submission port), with aiosmtplib.

Exactly once, as far as SMTP allows: the outbox hands a notice to the sender only while it
is still pending, and marks it delivered in one transaction with its `notice.delivered`
event once the server has accepted it; a retried activity finds it delivered and sends
nothing. One window is left: the server accepted the message, and the worker stopped (or
the database was unreachable) before the notice was marked delivered. The retry then
sends the message again. It carries the same Message-ID, derived from the notice's
idempotency key alone, so a relay or mailbox that deduplicates on Message-ID (most do, and
a person's client shows one message) can recognise the second copy as the first.

A failure carries no personal data: the server's reply to a refused recipient names the
address, so what is raised says only the reply code (`MailNotDelivered`, retried by
Temporal; the notice stays pending until a delivery succeeds).
"""

from __future__ import annotations

import hashlib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Literal

import aiosmtplib

from mail.sender import refuse_erased
from store.outbox import OutgoingNotice

Security = Literal["starttls", "implicit", "off"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "implicit": 465, "off": 25}


class MailNotDelivered(Exception):
    """The server did not take the message; retryable. The message names the reply code
    and the kind of failure, never the recipient or the server's reply text."""


def message_id(idempotency_key: str, domain: str) -> str:
    """The notice's Message-ID: the same for every delivery of one notice, different for
    two notices, and free of what the key says (a digest)."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<dsr.{digest}@{domain}>"


def build_message(
    notice: OutgoingNotice, *, sender: str, domain: str, reply_to: str | None = None
) -> EmailMessage:
    """A plain-text UTF-8 message (Japanese notices included); headers encoded by the
    SMTP policy (RFC 2047 for a non-ASCII subject). `reply_to`: the monitored mailbox a
    person's reply goes to (proof of identity, N8), when it is not the sender."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    if reply_to:
        message["Reply-To"] = reply_to
    message["To"] = notice.recipient
    message["Subject"] = notice.subject
    message["Message-ID"] = message_id(notice.idempotency_key, domain)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(notice.body, charset="utf-8")
    return message


class SmtpSender:
    """Sends each notice as one message over SMTP: STARTTLS (required, not opportunistic),
    implicit TLS, or plain (`off`, for a relay on the same machine); logs in when a user
    name is given. Certificates are checked against the system's roots, or `tls_context`.
    `timeout` bounds each exchange with the server; it stays under the delivery activity's
    10 s, so an attempt gives up before Temporal starts its retry beside it."""

    def __init__(
        self,
        *,
        host: str,
        port: int | None = None,
        mail_from: str,
        reply_to: str | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 8.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.mail_from = mail_from
        self.reply_to = reply_to
        self.domain = mail_from.rpartition("@")[2].strip(" >") or "localhost"
        self.security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._tls_context = tls_context

    def __repr__(self) -> str:  # never the password
        return f"SmtpSender({self.host}:{self.port}, {self.security})"

    def handle(self, idempotency_key: str) -> str:
        """The Message-ID a notice with this key is sent under."""
        return message_id(idempotency_key, self.domain)

    async def send(self, notice: OutgoingNotice) -> str:
        refuse_erased(notice)  # before any connection: "[erased]" is no one's address
        message = build_message(
            notice, sender=self.mail_from, domain=self.domain, reply_to=self.reply_to
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                use_tls=self.security == "implicit",
                start_tls=True if self.security == "starttls" else False,
                username=self._username,
                password=self._password,
                timeout=self._timeout,
                tls_context=self._tls_context,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = sorted({refused.code for refused in error.recipients})
            raise MailNotDelivered(
                f"the SMTP server refused the recipient (reply {codes})"
            ) from None
        except aiosmtplib.SMTPResponseException as error:
            raise MailNotDelivered(
                f"the SMTP server refused the message ({type(error).__name__}, reply {error.code})"
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotDelivered(
                f"the SMTP server at {self.host}:{self.port} could not be reached or "
                f"failed ({type(error).__name__})"
            ) from None
        return self.handle(notice.idempotency_key)
