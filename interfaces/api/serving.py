"""Serving the app with uvicorn inside the worker's event loop (`make run`), or alone.

The socket is bound first, before any server starts, so a port in use stops start-up with
one line naming DSR_API_PORT instead of uvicorn exiting the process from inside a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from interfaces.privacy_center.jobs import jobs_of


class ApiPortTaken(OSError):
    """The API's address cannot be bound; the message names the variable."""


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ApiPortTaken(
            f"cannot serve the API on {host}:{port} ({error.strerror}); set "
            "DSR_API_PORT to a free port, or 0 to serve none"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serving(app: FastAPI, sock: socket.socket) -> AsyncIterator[None]:
    """Serve `app` on the bound socket until the block ends, then stop gracefully."""
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        # uvicorn sets a flag, not an event, once it listens.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if task.done():
            task.result()  # it failed to start: say why
        yield
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
        # The privacy center's work after its replies (a form's code queued and sent):
        # finished before the pool it writes with closes, for a while at most.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(jobs_of(app).drain(), timeout=10)
