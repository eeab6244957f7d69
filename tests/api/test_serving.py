"""`python -m interfaces.api` on its own: it reaches the servers the settings name and
serves the API over real HTTP until told to stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from interfaces.api.__main__ import CannotStart, serve
from runtime.servers import free_port
from runtime.settings import Settings
from tests.support.database import Roles, vault_environment
from tests.support.temporal import eventually, write_test_act_keys


async def test_served_alone_it_answers_over_http(
    time_skipping_env: WorkflowEnvironment,
    roles: Roles,
    tmp_path: Path,
    keyring_dir: Path,
) -> None:
    port = free_port()
    settings = Settings(
        DSR_API_DATABASE_URL=roles.api_url,  # its own role, never the worker's
        **write_test_act_keys(tmp_path / "act-keys"),
        DSR_API_PORT=port,
        TEMPORAL_ADDRESS=time_skipping_env.client.service_client.config.target_host,
        DSR_DATA_DIR=str(tmp_path),
        **vault_environment(keyring_dir),
    )
    stop = asyncio.Event()
    server = asyncio.create_task(serve(settings, stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def health() -> int:
                try:
                    return (await http.get("/api/v1/health")).status_code
                except httpx.TransportError:
                    return 0

            assert await eventually(health, lambda code: code == 200 or server.done()) == 200
            docs = await http.get("/docs")
            assert docs.status_code == 200 and "swagger" in docs.text.lower()
            schema = (await http.get("/openapi.json")).json()
            assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
            assert (await http.get("/api/v1/requests")).status_code == 401
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)


async def test_without_the_act_signing_key_it_does_not_start(tmp_path: Path) -> None:
    settings = Settings(DSR_DATA_DIR=str(tmp_path), DSR_API_PORT=free_port())
    with pytest.raises(CannotStart, match="no act signing key"):
        await serve(settings, asyncio.Event())


async def test_without_a_key_encryption_key_it_does_not_start(tmp_path: Path) -> None:
    # The API alone never makes one: a key of its own would seal what the workers cannot
    # open. It finds the one the worker made, or the one the settings give.
    settings = Settings(
        DSR_DATA_DIR=str(tmp_path),
        DSR_API_PORT=free_port(),
        **write_test_act_keys(tmp_path / "act-keys"),
    )
    with pytest.raises(CannotStart, match="no key-encryption key"):
        await serve(settings, asyncio.Event())
    assert not (tmp_path / "keys" / "key-encryption.key").exists()
