"""The HTTP API and privacy center the worker serves, and what its clients (the `dsr`
command line, links in notices) need to reach it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from domain.disclosure_delivery import DEFAULT_LINK_DAYS, MAX_LINK_DAYS, MIN_LINK_DAYS
from runtime.settings.base import Concern, IpAddress, host_port


class ApiSettings(Concern):
    """API and privacy center"""

    port: int = Field(
        default=8000,
        ge=0,
        le=65535,
        validation_alias="DSR_API_PORT",
        description="Port of the HTTP API and the privacy center that `make run` serves; "
        "0 serves none.",
    )
    host: IpAddress = Field(
        default="127.0.0.1",
        validation_alias="DSR_API_HOST",
        description="IP address the API binds to; 0.0.0.0 for every interface.",
    )
    public_url: str = Field(
        default="",
        validation_alias="DSR_PUBLIC_URL",
        description="The privacy center's address as people reach it, for links in notices "
        "(e.g. https://privacy.example.jp); unset: http://<DSR_API_HOST>:"
        "<DSR_API_PORT>.",
    )
    disclosure_link_days: int = Field(
        default=DEFAULT_LINK_DAYS,
        ge=MIN_LINK_DAYS,
        le=MAX_LINK_DAYS,
        validation_alias="DSR_DISCLOSURE_LINK_DAYS",
        description="How many days the link in a disclosure's outcome notice opens the "
        "disclosure in the privacy center (Article 6), to the end of the last day; the "
        "notice states that date.",
    )
    token: str | None = Field(
        default=None,
        validation_alias="DSR_TOKEN",
        description="The `dsr` command line's bearer token (an account's, from `dsr accounts "
        "create`); unset on the embedded default: the local administrator's, "
        "from <DSR_DATA_DIR>/admin-token.",
    )
    act_signing_key: Path | None = Field(
        default=None,
        validation_alias="DSR_ACT_SIGNING_KEY",
        description="The API's Ed25519 private key (PEM, mode 0600) it signs operators' acts "
        "with; only the API's process reads it, never the worker's nor `dsr`. Unset: "
        "<DSR_DATA_DIR>/keys/act-signing-ed25519.pem, made at first start on the embedded "
        "default.",
    )
    act_public_keys: str = Field(
        default="",
        validation_alias="DSR_ACT_PUBLIC_KEYS",
        description="The public keys the worker verifies acts with: a folder of "
        "`<key id>.pub` PEM files, or a comma-separated list of such files. A rotated key "
        "stays listed until its file is removed. Unset: <DSR_DATA_DIR>/keys/act-public/.",
    )
    act_window: int = Field(
        default=5,
        ge=1,
        le=24 * 60,
        validation_alias="DSR_ACT_WINDOW",
        description="Minutes after it was signed that an act is still taken by the worker "
        "(measured with the workflow's clock when the act reaches the request); an older "
        "one is refused and the refusal recorded.",
    )

    def url(self) -> str:
        """Where the API and the privacy center are reached, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{host_port(self.host, self.port)}"
