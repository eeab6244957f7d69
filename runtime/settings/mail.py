"""Where notices go: the maildrop folder (the embedded default) or an SMTP server
(mail/smtp.py). The DSR_SMTP_* variables and DSR_MAIL_FROM apply only with
DSR_MAIL=smtp."""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from runtime.settings.base import Concern, Unset, refused

_LOCAL = ("localhost", "127.0.0.1", "::1")


def _host(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z0-9.\-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?", value):
        raise ValueError(
            f"must be a host name or IP address, without a port (set "
            f"DSR_SMTP_PORT for that) (got {value[:60]!r})"
        )
    return value.strip("[]")


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    local, _, domain = parseaddr(value)[1].rpartition("@")
    if not local or "." not in domain:
        raise ValueError(
            f"must be the address notices are sent from, e.g. privacy@example.jp "
            f"(got {value[:60]!r})"
        )
    return value


class MailSettings(Concern):
    """Mail"""

    transport: Annotated[Literal["maildrop", "smtp"], Unset] = Field(
        default="maildrop",
        validation_alias="DSR_MAIL",
        description="Where notices go: maildrop (one file per notice in <DSR_DATA_DIR>/"
        "maildrop, for a relay to pick up) or smtp (sent to DSR_SMTP_HOST).",
    )
    smtp_host: Annotated[str | None, Unset, AfterValidator(_host)] = Field(
        default=None,
        validation_alias="DSR_SMTP_HOST",
        description="Name or address of the SMTP server (relay or submission port).",
    )
    smtp_port: Annotated[int | None, Unset] = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias="DSR_SMTP_PORT",
        description="Its port; unset: 587 (starttls), 465 (implicit) or 25 (off).",
    )
    smtp_tls: Annotated[Literal["starttls", "implicit", "off"], Unset] = Field(
        default="starttls",
        validation_alias="DSR_SMTP_TLS",
        description="starttls (required, never opportunistic), implicit (TLS from the "
        "first byte) or off (plain, for a relay on this machine).",
    )
    smtp_ca_file: Annotated[Path | None, Unset] = Field(
        default=None,
        validation_alias="DSR_SMTP_CA_FILE",
        description="PEM file of the CA the server's certificate must chain to; unset: the "
        "system's roots.",
    )
    smtp_username: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias="DSR_SMTP_USERNAME",
        description="User name to log in with; unset: no login.",
    )
    smtp_password: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias="DSR_SMTP_PASSWORD",
        repr=False,
        description="Its password.",
    )
    from_address: Annotated[str | None, Unset, AfterValidator(_address)] = Field(
        default=None,
        validation_alias="DSR_MAIL_FROM",
        description="The address notices are sent from, e.g. privacy@example.jp or "
        "'Privacy Office <privacy@example.jp>'; its domain ends each Message-ID.",
    )

    reply_to: Annotated[str | None, Unset, AfterValidator(_address)] = Field(
        default=None,
        validation_alias="DSR_MAIL_REPLY_TO",
        description="A mailbox the privacy office reads, set as Reply-To on every notice: "
        "where a person's reply goes (proof of identity asked for, a question about a "
        "notice). Unset: replies go to DSR_MAIL_FROM.",
    )

    def pem_files(self) -> list[tuple[str, Path, bool]]:
        """(variable, file, whether it holds a key) of each PEM file named."""
        return [] if self.smtp_ca_file is None else [("DSR_SMTP_CA_FILE", self.smtp_ca_file, False)]

    @model_validator(mode="after")
    def _smtp_together(self) -> Self:
        if self.transport != "smtp":
            given = [
                ("DSR_SMTP_HOST", self.smtp_host),
                ("DSR_SMTP_PORT", self.smtp_port),
                ("DSR_SMTP_TLS", None if self.smtp_tls == "starttls" else self.smtp_tls),
                ("DSR_SMTP_CA_FILE", self.smtp_ca_file),
                ("DSR_SMTP_USERNAME", self.smtp_username),
                ("DSR_SMTP_PASSWORD", self.smtp_password),
                ("DSR_MAIL_FROM", self.from_address),
                ("DSR_MAIL_REPLY_TO", self.reply_to),
            ]
            for variable, value in given:
                if value is not None:
                    raise refused(
                        variable, "applies only with DSR_MAIL=smtp: set DSR_MAIL=smtp or unset this"
                    )
            return self
        if self.smtp_host is None:
            raise refused(
                "DSR_SMTP_HOST",
                "must be set when DSR_MAIL is smtp: the SMTP server's name, e.g. smtp.example.jp",
            )
        if self.smtp_ca_file is not None and self.smtp_tls == "off":
            raise refused("DSR_SMTP_CA_FILE", "is set, but DSR_SMTP_TLS is off: unset one of them")
        if self.smtp_password is None and self.smtp_username is not None:
            raise refused("DSR_SMTP_PASSWORD", "must be set with DSR_SMTP_USERNAME (or unset both)")
        if self.smtp_password is not None and self.smtp_username is None:
            raise refused(
                "DSR_SMTP_PASSWORD", "is set without DSR_SMTP_USERNAME: set both or neither"
            )
        if (
            self.smtp_password is not None
            and self.smtp_tls == "off"
            and self.smtp_host not in _LOCAL
        ):
            raise refused(
                "DSR_SMTP_PASSWORD",
                "would be sent in the clear: set DSR_SMTP_TLS "
                "to starttls or implicit (off is for a relay "
                "on this machine)",
            )
        if self.from_address is None:
            raise refused(
                "DSR_MAIL_FROM",
                "must be the address notices are sent from, e.g. "
                "privacy@example.jp, when DSR_MAIL is smtp",
            )
        return self
