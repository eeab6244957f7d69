"""Handing many notices to the worker's sender at once, for a purpose change's fan-out.

`NoticeDelivery.deliver` takes a batch's notices (opened: personal data, never in
Temporal) and hands them over many at a time, calling `mark` with what the sender has for
good every `mark_every` notices, so a batch cut off by a crash leaves little to hand over
again, and what it hands over again replaces its first copy (the same key, the same file
or Message-ID).

To the maildrop (store/outbox.py, `MaildropSender`), each notice is written
exactly as `MaildropSender.send` writes it (the same file name, content and mode: 0600,
staged, fsynced, renamed), threads writing many at once, and the folder is fsynced once
per chunk, before the chunk is marked delivered, instead of once per file.
`MaildropSender.send` looks through the whole folder for staging files left by a crash on
every notice, which costs a fan-out of 100,000 notices one folder listing of up to 100,000
names per notice; here the folder is looked through once per batch. Any other sender
(SMTP) is called notice by notice, `parallel` at a time, on a delivery loop of its own so
its blocking work does not queue behind the worker's default executor."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import structlog
from temporalio import activity

from mail.maildrop import MaildropSender, maildrop_name, maildrop_staging_prefix
from mail.sender import NoticeSender
from store.durable import fsync_folder
from store.outbox import OutgoingNotice
from store.purpose_notices import Notice

log = structlog.get_logger(__name__)
T = TypeVar("T")

Mark = Callable[[list[tuple[str, str]]], Awaitable[int]]
"""Marks (subject id, the sender's handle) pairs delivered; returns how many turned so."""


class DeliveryLoop:
    """An event loop in a thread of its own whose default executor has `threads` threads:
    a sender's coroutines run there, and their blocking work `threads` at a time."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                loop.set_default_executor(
                    ThreadPoolExecutor(self._threads, thread_name_prefix="notice-delivery")
                )
                threading.Thread(
                    target=loop.run_forever, name="notice-delivery-loop", daemon=True
                ).start()
                self._loop = loop
            return self._loop

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(coroutine, self._started())
        )

    def close(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)


def maildrop_content(notice: OutgoingNotice) -> bytes:
    """A notice's file as `MaildropSender.send` writes it (tests hold the two equal)."""
    return json.dumps(
        {
            "message_id": notice.idempotency_key,
            "to": notice.recipient,
            "subject": notice.subject,
            "body": notice.body,
        },
        ensure_ascii=False,
        indent=2,
    ).encode("utf-8")


def write_staged(folder: Path, notice: OutgoingNotice) -> str:
    """One notice's file, written to a staging file of its own (0600), fsynced and renamed
    into place; the folder is fsynced by the caller, once for many."""
    key = notice.idempotency_key
    staging = folder / f"{maildrop_staging_prefix(key)}{secrets.token_hex(8)}.tmp"
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(maildrop_content(notice))
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        name = maildrop_name(key)
        os.replace(staging, folder / name)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return name


def remove_staging_left(folder: Path, keys: list[str]) -> int:
    """Staging files a crash left for these keys (they would hold the same notices); makes
    the folder (0700) when there is none."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    prefixes = tuple(maildrop_staging_prefix(key) for key in keys)
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(prefixes) and entry.name.endswith(".tmp"):
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
    return removed


def outgoing(notice: Notice) -> OutgoingNotice:
    return OutgoingNotice(
        0, notice.idempotency_key, notice.recipient, notice.subject_line, notice.body
    )


class NoticeDelivery:
    def __init__(self, sender: NoticeSender, *, parallel: int = 32, mark_every: int = 200) -> None:
        self._sender = sender
        self._parallel = parallel
        self._mark_every = mark_every
        self._loop = DeliveryLoop(parallel)
        self._threads: ThreadPoolExecutor | None = None

    async def deliver(self, notices: list[Notice], mark: Mark) -> None:
        """Hand the notices over and mark them; on a failure, raises it once what was
        handed over is marked (the batch is retried for the rest)."""
        if not notices:
            return
        if isinstance(self._sender, MaildropSender):
            await self._to_maildrop(self._sender.folder, notices, mark)
        else:
            await self._one_by_one(notices, mark)

    async def _in_threads(self, function: Callable[..., T], *args: Any) -> T:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self._parallel, thread_name_prefix="maildrop-batch")
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

    async def _to_maildrop(self, folder: Path, notices: list[Notice], mark: Mark) -> None:
        await self._in_threads(remove_staging_left, folder, [n.idempotency_key for n in notices])
        done = 0
        for start in range(0, len(notices), self._mark_every):
            chunk = notices[start : start + self._mark_every]
            written = await asyncio.gather(
                *(self._in_threads(write_staged, folder, outgoing(n)) for n in chunk),
                return_exceptions=True,
            )
            handed = [
                (n.subject_id, name)
                for n, name in zip(chunk, written, strict=True)
                if isinstance(name, str)
            ]
            if handed:
                await self._in_threads(fsync_folder, folder)  # the renames, durable
                done += await mark(handed)
            _heartbeat(done)
            failures = [f for f in written if isinstance(f, BaseException)]
            if failures:
                _failed(failures, done)
                raise failures[0]

    async def _one_by_one(self, notices: list[Notice], mark: Mark) -> None:
        gate = asyncio.Semaphore(self._parallel)

        async def one(notice: Notice) -> tuple[str, str]:
            async with gate:
                return notice.subject_id, await self._loop.run(self._sender.send(outgoing(notice)))

        tasks = [asyncio.create_task(one(n)) for n in notices]
        handed: list[tuple[str, str]] = []
        failures: list[BaseException] = []
        done = 0
        try:
            for next_done in asyncio.as_completed(tasks):
                try:
                    handed.append(await next_done)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the others are still handed over and marked
                    failures.append(error)
                    continue
                if len(handed) >= self._mark_every:
                    done += await mark(handed)
                    handed = []
                    _heartbeat(done)
            done += await mark(handed)
        except asyncio.CancelledError:
            # What the sender has is marked before the activity gives up (the worker is
            # stopping, or the attempt timed out): its retry would hand it over again.
            await asyncio.shield(mark(handed))
            raise
        finally:
            for task in tasks:
                task.cancel()
        if failures:
            _failed(failures, done)
            raise failures[0]

    def close(self) -> None:
        self._loop.close()
        if self._threads is not None:
            self._threads.shutdown(wait=False)
            self._threads = None


def _heartbeat(done: int) -> None:
    if activity.in_activity():
        activity.heartbeat(done)


def _failed(failures: list[BaseException], done: int) -> None:
    log.warning(
        "notices not handed over; the batch is retried for them",
        failed=len(failures),
        handed_over=done,
        error=type(failures[0]).__name__,
    )
