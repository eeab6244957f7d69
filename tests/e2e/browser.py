"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe.

`--remote-debugging-pipe` makes Chromium read protocol messages from fd 3 and write its
answers to fd 4, each a JSON text ended by a NUL byte: no websocket library, no debugging
port, only the standard library. `--dump-dom` with `--virtual-time-budget` does not work
for the Temporal UI's workflow pages: they keep a long-polling history request open
(`waitNewEvent=true`), virtual time never advances, and Chromium never dumps.

The class is synchronous; async tests call its methods through `asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

# No Internet here (and none wanted in a test): nothing in the background, no updates,
# no sync, no QUIC; a fresh profile per browser.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1600,1200",
)


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    return shutil.which("chromium")


class Chromium:
    """One headless Chromium with one page; `start`, then navigate, evaluate, screenshot."""

    def __init__(self, binary: str, profile_dir: Path, log_path: Path,
                 width: int = 1600, height: int = 1000, timeout: float = 30.0) -> None:
        self.binary = binary
        self.profile_dir = profile_dir
        self.log_path = log_path
        self.width = width
        self.height = height
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._to_browser: int | None = None
        self._from_browser: int | None = None
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None

    def start(self) -> None:
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        # Chromium's ends of the pipes go to fds 3 and 4 through a bash redirect (no
        # preexec_fn, which is unsafe with threads; dash takes single-digit fds only);
        # numbered from 10 up, so the redirect cannot overwrite one of them.
        browser_reads, we_write = _pipe_from(10)
        we_read, browser_writes = _pipe_from(10)
        command = [
            "/bin/bash", "-c", f'exec "$0" "$@" 3<&{browser_reads} 4>&{browser_writes}',
            self.binary, *FLAGS, f"--user-data-dir={self.profile_dir}",
            "--remote-debugging-pipe", "about:blank",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(browser_reads, browser_writes), start_new_session=True,
            )
        os.close(browser_reads)
        os.close(browser_writes)
        self._to_browser, self._from_browser = we_write, we_read
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": self.height, "deviceScaleFactor": 1,
            "mobile": False,
        })

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             browser_level: bool = False) -> dict[str, Any]:
        """Send one command (to the page's session unless `browser_level` or none yet)
        and return its result; protocol events in between are ignored."""
        if self._to_browser is None:
            raise BrowserError("the browser is not running")
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if self._session is not None and not browser_level:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") != self._next_id:
                continue
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error']}")
            return answer["result"]

    def _read(self, deadline: float, method: str) -> dict[str, Any]:
        assert self._from_browser is not None
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"{method}: no answer within {self.timeout:.0f}s"
                                   f"{self._log_tail()}")
            readable, _, _ = select.select([self._from_browser], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"{method}: chromium closed the pipe{self._log_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def navigate(self, url: str) -> None:
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.timeout = 10.0
                self.call("Browser.close", browser_level=True)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                # Its own session: the group is this browser and its helper processes.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        for fd in (self._to_browser, self._from_browser):
            if fd is not None:
                os.close(fd)
        self._to_browser = self._from_browser = None
        self._session = None

    def _log_tail(self) -> str:
        if not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()
        useful = [line for line in lines if "dbus" not in line][-15:]
        return "; chromium's log ends:\n" + "\n".join(useful)


def _pipe_from(lowest: int) -> tuple[int, int]:
    """A pipe (read end, write end) whose descriptors are both >= `lowest`."""
    read_end, write_end = os.pipe()
    moved = (fcntl.fcntl(read_end, fcntl.F_DUPFD_CLOEXEC, lowest),
             fcntl.fcntl(write_end, fcntl.F_DUPFD_CLOEXEC, lowest))
    os.close(read_end)
    os.close(write_end)
    return moved
