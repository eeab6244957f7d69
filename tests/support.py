"""Helpers shared by the workflow and end-to-end suites."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

T = TypeVar("T")

PERSONAL = {
    "name": "Hanako Yamada-Testperson",
    "email": "hanako.testperson@example.jp",
    "text": "Which partners receive my transaction records (secret-inquiry-marker)?",
    "answer": "Only partners you consented to (secret-answer-marker).",
}


def inquiry(request_id: str, subject_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "kind": "inquiry",
        "subject_id": subject_id,
        "requester": {"name": PERSONAL["name"], "email": PERSONAL["email"]},
        "details": {"text": PERSONAL["text"]},
    }


def readable_history(history_json: str) -> str:
    """A Temporal history (SDK or `temporal workflow show -o json`) with every payload's
    base64 `data` decoded, so a search sees what the payloads really carry."""
    decoded: list[str] = [history_json]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "metadata" in node and isinstance(node.get("data"), str):
                try:
                    decoded.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
                except ValueError:
                    decoded.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)


def personal_values_in(text: str) -> list[str]:
    """Which of the submitted personal values appear in `text` (should be none)."""
    return [value for value in PERSONAL.values() if value in text]


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], within: float = 20.0
) -> T:
    """Poll `probe` until `accept` holds; for state reached by another process."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within}s; last value {value!r}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server for the duration; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# Recorded histories are frozen (README, "Changing a workflow"): each release's recordings
# sit in a folder of their own, are replayed by every test run, and are never edited or
# deleted; `make check-histories` fails a change that does. New paths are recorded into
# the current release's folder with DSR_RECORD_HISTORIES=1, beside (never over) the old.
HISTORIES = Path(__file__).resolve().parent / "histories"
HISTORY_RELEASE = "2026-11-26"


def recorded_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*/*.json"))


def keep_history(name: str, history_json: str) -> None:
    """With DSR_RECORD_HISTORIES=1, record this path's history in the current release's
    folder, unless a history of that name is already recorded there (frozen)."""
    if os.environ.get("DSR_RECORD_HISTORIES") != "1":
        return
    target = HISTORIES / HISTORY_RELEASE / f"{name}.json"
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(json.loads(history_json), indent=1) + "\n")
