"""Files that must survive a crash once written: the keyring's keys and the maildrop's
notices both count on a rename being in the folder's own blocks before they say done."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_folder(folder: Path) -> None:
    """Makes a rename (or an unlink) in the folder durable."""
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
