"""The maildrop: each notice a JSON file named by its key, in a folder a mail relay (or a
person testing) picks up from."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from mail.sender import refuse_erased
from store.durable import fsync_folder
from store.outbox import OutgoingNotice

MAX_NAME = 255  # bytes in a file name on the file systems a maildrop lives on


def maildrop_name(key: str) -> str:
    """The file a notice is written to: its key, percent-encoded (one-to-one, so two keys
    never share a file); a key too long for a file name is cut and ends with a digest of
    the whole key, which keeps it one-to-one and readable."""
    name = f"{quote(key, safe='')}.json"
    if len(name.encode()) <= MAX_NAME:
        return name
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{name[: MAX_NAME - len(digest) - 7]}-{digest}.json"


def maildrop_staging_prefix(key: str) -> str:
    """The start of the name a notice's file is written under before it is renamed into
    place: hidden (a relay picks up `*.json` only), short, and findable from the key, so a
    staging file a crash left behind can be found and removed with the notice's own."""
    return f".staging-{hashlib.sha256(key.encode()).hexdigest()[:32]}-"


class MaildropSender:
    """Writes each notice as one JSON file named by its key into a maildrop folder, from
    which a mail relay (or a person testing) picks it up. Rewriting the same key
    replaces the file atomically, so a retried delivery leaves one message.

    A notice holds personal data (a disclosure holds everything we have on the person), so
    its file is readable by the service's user alone (mode 0600, the folder 0700 when this
    makes it), and it is on disk before `send` returns: written to a staging file of its
    own, fsynced, renamed into place, the folder fsynced. Only then is it marked delivered;
    a power cut before that leaves the notice pending, and its retry rewrites the file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def handle(self, idempotency_key: str) -> str:
        """The name of the file a notice with this key is written to."""
        return maildrop_name(idempotency_key)

    async def send(self, notice: OutgoingNotice) -> str:
        refuse_erased(notice)
        content = json.dumps(
            # The key is the message's id: a relay that already sent it can tell a
            # retried delivery from a new message.
            {
                "message_id": notice.idempotency_key,
                "to": notice.recipient,
                "subject": notice.subject,
                "body": notice.body,
            },
            ensure_ascii=False,
            indent=2,
        ).encode("utf-8")
        return await asyncio.to_thread(self._write, notice.idempotency_key, content)

    def _write(self, key: str, content: bytes) -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = maildrop_name(key)
        # A staging file of this attempt's own: an earlier attempt still running (one that
        # timed out) never writes into the file this one renames.
        staging = self.folder / f"{maildrop_staging_prefix(key)}{secrets.token_hex(8)}.tmp"
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(descriptor, view) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(staging, self.folder / name)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        # A staging file an earlier attempt left when the worker died mid-write: this one
        # replaces it (it would hold the same notice).
        for leftover in self.folder.glob(f"{maildrop_staging_prefix(key)}*.tmp"):
            leftover.unlink(missing_ok=True)
        fsync_folder(self.folder)
        return name

    async def withdraw(self, keys: Iterable[str]) -> list[str]:
        """Removes the files of these notices that are still in the folder (no relay has
        picked them up), and any staging file of theirs a crash left behind; returns the
        names removed, for an event to record. For an erasure: what was handed over
        already is named in its `notice.delivered` event and is out of our hands."""
        return await asyncio.to_thread(self._withdraw, list(keys))

    def _withdraw(self, keys: list[str]) -> list[str]:
        if not self.folder.is_dir():
            return []
        removed: list[str] = []
        prefixes = tuple(maildrop_staging_prefix(key) for key in keys)
        names = {maildrop_name(key) for key in keys}
        for path in sorted(self.folder.iterdir()):
            if path.name in names or (prefixes and path.name.startswith(prefixes)):
                path.unlink(missing_ok=True)
                removed.append(path.name)
        if removed:
            fsync_folder(self.folder)
        return removed
