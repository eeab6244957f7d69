"""What the service keeps on this machine: its data folder (the embedded servers' data,
keys, maildrop and witness unless set elsewhere) and the embedded dev server's ports."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from runtime.settings.base import Concern


class LocalSettings(Concern):
    """Data folder and embedded servers"""

    data_dir: Path = Field(
        default=Path(".dsr"),
        validation_alias="DSR_DATA_DIR",
        description="The service's folder: the embedded PostgreSQL and Temporal keep their "
        "data in it, and the keys, keyring, maildrop and witness default to it.",
    )
    temporal_port: int = Field(
        default=7233,
        ge=1,
        le=65535,
        validation_alias="DSR_TEMPORAL_PORT",
        description="Port of the embedded Temporal dev server (TEMPORAL_ADDRESS unset).",
    )
    ui_port: int = Field(
        default=8233,
        ge=1,
        le=65535,
        validation_alias="DSR_UI_PORT",
        description="Port of the embedded dev server's Web UI.",
    )
