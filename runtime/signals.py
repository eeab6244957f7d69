"""Running a service in the foreground until Ctrl-C (SIGINT) or SIGTERM asks it to stop."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

from runtime.logs import configure_logging
from runtime.settings import Settings, SettingsError, load_settings


def run_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `serve(stop)` in a new event loop; SIGINT or SIGTERM sets `stop`, and `serve`
    stops what it started in order and returns."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(stop)

    asyncio.run(run())


def run_service(
    program: str,
    serve: Callable[[Settings, asyncio.Event], Awaitable[None]],
    *,
    cannot_start: tuple[type[Exception], ...],
) -> int:
    """The main of a service process (the worker, the API alone): load the settings,
    configure logging and run `serve(settings, stop)` until signalled. Returns the exit
    status: 0 stopped, 1 could not start (an error of `cannot_start`, said in one line), 2
    an invalid setting."""
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.stderr.write(f"{program}: invalid setting {error}\n")
        return 2
    configure_logging(settings.observability.log_format)

    try:
        run_until_signalled(lambda stop: serve(settings, stop))
    except SettingsError as error:  # e.g. a TLS file that went away after start-up's checks
        sys.stderr.write(f"{program}: invalid setting {error}\n")
        return 2
    except cannot_start as error:
        sys.stderr.write(f"{program}: could not start: {error}\n")
        return 1
    return 0
