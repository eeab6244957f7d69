"""Where the event log's evidence is kept: the key that signs its checkpoints and the
folder they are witnessed in, outside the database (audit/, rule 7)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from runtime.settings.base import Concern


class EvidenceSettings(Concern):
    """Checkpoints of the event log"""

    checkpoint_key: Path | None = Field(
        default=None,
        validation_alias="DSR_CHECKPOINT_KEY",
        description="PEM file of the Ed25519 key that signs the event log's checkpoints; "
        "unset: <DSR_DATA_DIR>/keys/checkpoint-ed25519.pem, generated at first "
        "start.",
    )
    checkpoint_public_key: Path | None = Field(
        default=None,
        validation_alias="DSR_CHECKPOINT_PUBLIC_KEY",
        description="PEM file of the checkpoint key's public half, pinned at deployment: what "
        "the API verifies checkpoints with when the auditor gives no key of their own (it "
        "never reads the private key); unset: beside DSR_CHECKPOINT_KEY's file, as "
        "<name>.pub.pem (written there when the key is generated).",
    )
    witness_dir: Path | None = Field(
        default=None,
        validation_alias="DSR_WITNESS_DIR",
        description="Folder the signed checkpoints are written to, outside the database; "
        "unset: <DSR_DATA_DIR>/witness.",
    )
