"""The notice sender the settings choose, built once for the worker and the API."""

from __future__ import annotations

import ssl

from mail.maildrop import MaildropSender
from mail.smtp import SmtpSender
from runtime.settings import Settings


def notice_sender(settings: Settings) -> MaildropSender | SmtpSender:
    """The sender the settings choose (DSR_MAIL): the maildrop folder under the data folder
    (the embedded default), or the SMTP server."""
    mail = settings.mail
    if mail.transport == "smtp":
        assert mail.smtp_host is not None and mail.from_address is not None  # validated
        return SmtpSender(
            host=mail.smtp_host,
            port=mail.smtp_port,
            mail_from=mail.from_address,
            reply_to=mail.reply_to,
            security=mail.smtp_tls,
            username=mail.smtp_username,
            password=mail.smtp_password,
            tls_context=(
                ssl.create_default_context(cafile=str(mail.smtp_ca_file))
                if mail.smtp_ca_file
                else None
            ),
        )
    return MaildropSender(settings.local.data_dir / "maildrop")
