"""PEM files the settings name (Temporal's TLS, the SMTP server's CA): read when start-up
checks them (runtime/settings: load_settings) and when a connection is made
(runtime/cluster.py). The settings models themselves read no file."""

from __future__ import annotations

import re
from pathlib import Path


def check_pem(pem: bytes, *, key: bool, where: str = "is") -> bytes:
    """`pem` when it holds a certificate (or, with `key`, an unencrypted private key);
    otherwise a ValueError that says which (`where` names the file, or "is" for text)."""
    if key and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem:
        raise ValueError(
            f"{where} an encrypted key; give the key unencrypted, readable by the service alone"
        )
    block = rb"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----" if key else rb"-----BEGIN CERTIFICATE-----"
    if not re.search(block, pem):
        raise ValueError(f"{where} not PEM with a {'PRIVATE KEY' if key else 'CERTIFICATE'} block")
    return pem


def read_pem(path: Path, *, key: bool) -> bytes:
    """The file's PEM, checked as check_pem checks text; a ValueError naming the file when
    it cannot be read or holds something else."""
    shown = str(path)[:200]
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {shown}: {error.strerror or error}") from None
    return check_pem(pem, key=key, where=f"{shown} is")
