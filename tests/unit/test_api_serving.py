"""The API's socket is taken before anything starts; a port in use is one clear line."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from interfaces.api.serving import ApiPortTaken, bind, serving


def test_a_port_in_use_names_the_variable() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(ApiPortTaken, match="set DSR_API_PORT to a free port, or 0"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


async def test_the_app_is_served_on_the_bound_socket_and_stops() -> None:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    async with serving(app, sock), httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/ping")
        assert answer.json() == {"pong": "yes"}
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/ping")
