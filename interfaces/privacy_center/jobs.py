"""Work the privacy center does after its reply (N8's timing oracle): a form's address
looked up, its form sealed and its code sent (challenges.Challenges.address), in a task of
the app's own that the reply does not wait for. A job that fails is logged (without the
address or the code); the person asks for another code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from starlette.applications import Starlette

log = structlog.get_logger(__name__)


class Jobs:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[None]] = set()

    def spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work))
        self._running.add(task)  # held, so the loop does not drop it half-way
        task.add_done_callback(self._running.discard)

    async def drain(self) -> None:
        """Wait until every job spawned so far (and any they spawned) has ended."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    @staticmethod
    async def _run(work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except Exception as error:
            log.warning(
                "privacy center job failed: the code was not sent", error=type(error).__name__
            )


def jobs_of(app: Starlette) -> Jobs:
    """The app's jobs, made at first use."""
    found: Jobs | None = getattr(app.state, "privacy_center_jobs", None)
    if found is None:
        found = Jobs()
        app.state.privacy_center_jobs = found
    return found
