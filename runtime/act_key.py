"""The act key: the secret the API and `dsr` sign operators' acts with and the worker
verifies them with (domain/authority.py). 32 random bytes in a file of mode 0600; on the
embedded default generated under `.dsr/keys/` at first start, in production a secret file
(DSR_ACT_KEY) given to the worker and the API alike."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from domain.authority import ACT_KEY_BYTES


class ActKeyProblem(ValueError):
    """The act key cannot be used; the message names the file."""


def load_act_key(path: Path, *, create: bool) -> bytes:
    if not path.exists():
        if not create:
            raise ActKeyProblem(
                f"{path}: no act key there (DSR_ACT_KEY); the worker "
                "generates one at its default place on first start"
            )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_act_key(path, create=False)  # another process made it first
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(ACT_KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
    try:
        key = path.read_bytes()
    except OSError as error:
        raise ActKeyProblem(f"{path}: {error.strerror}") from None
    if len(key) < ACT_KEY_BYTES:
        raise ActKeyProblem(
            f"{path}: an act key is at least {ACT_KEY_BYTES} bytes "
            f"(this one has {len(key)}); make one with "
            "`head -c 32 /dev/urandom > FILE`"
        )
    return key
