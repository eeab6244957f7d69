"""The notice sender the settings choose, built once for the worker and the API."""

from __future__ import annotations

import ssl

from mail.maildrop import MaildropSender
from mail.smtp import SmtpSender
from runtime.settings import Settings


def notice_sender(settings: Settings) -> MaildropSender | SmtpSender:
    """The sender the settings choose (DSR_MAIL): the maildrop folder under the data folder
    (the embedded default), or the SMTP server."""
    if settings.mail == "smtp":
        assert settings.smtp_host is not None and settings.mail_from is not None  # validated
        return SmtpSender(
            host=settings.smtp_host, port=settings.smtp_port, mail_from=settings.mail_from,
            security=settings.smtp_tls, username=settings.smtp_username,
            password=settings.smtp_password,
            tls_context=(ssl.create_default_context(cafile=str(settings.smtp_ca_file))
                         if settings.smtp_ca_file else None),
        )
    return MaildropSender(settings.data_dir / "maildrop")
