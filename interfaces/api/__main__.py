"""`python -m interfaces.api`: the API and the privacy center on their own, beside workers
that run elsewhere (production). It reaches the Temporal and PostgreSQL the settings name
(TEMPORAL_ADDRESS and its TLS settings, DSR_API_DATABASE_URL as the API's own database role,
dsr_api: never the worker's DATABASE_URL), signs acts with its Ed25519 signing key
(DSR_ACT_SIGNING_KEY; never generated here), whose public key the workers list
(DSR_ACT_PUBLIC_KEYS), and serves on DSR_API_HOST:DSR_API_PORT. Without either database
URL it uses the embedded PostgreSQL a running `make run` started, as dsr_api. Exit status:
0 stopped, 1 could not start, 2 bad setting."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import structlog

from interfaces.api.app import create_app
from interfaces.api.services import Services
from interfaces.api.serving import ApiPortTaken, bind, serving
from runtime.act_keys import ActKeyProblem, load_act_signer
from runtime.cluster import connect, connection_security
from runtime.servers import running_embedded_postgres
from runtime.settings import Settings
from runtime.signals import run_service
from runtime.vault import open_vault
from store.database import create_pool
from store.keyring import KeyringError
from store.privileges import API_ROLE, with_user

log = structlog.get_logger("dsr.api")
POOL_SIZE = 10


class CannotStart(Exception):
    """A server the API needs cannot be reached or used; the message says which."""


def _database_url(settings: Settings) -> str:
    if settings.database.api_url:
        return settings.database.api_url
    if settings.database.url:
        raise CannotStart(
            "DSR_API_DATABASE_URL is unset: the API connects as its own role (dsr_api), "
            "never as the worker's DATABASE_URL; set it (`dsr-admin setup` grants the role)"
        )
    embedded = running_embedded_postgres(settings.local.data_dir)
    if embedded is None:
        raise CannotStart(
            f"no database: set DSR_API_DATABASE_URL, or start the service with `make run` "
            f"(the embedded PostgreSQL in {settings.local.data_dir} is not running)"
        )
    return with_user(embedded, API_ROLE)  # the API's role, not the superuser


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    if settings.api.port == 0:
        raise CannotStart("DSR_API_PORT is 0: there is no port to serve the API on")
    try:
        act_signer = load_act_signer(settings)
    except ActKeyProblem as error:
        raise CannotStart(str(error)) from None
    try:
        vault = open_vault(settings, create=False)
    except KeyringError as error:
        raise CannotStart(str(error)) from None
    sock = bind(settings.api.host, settings.api.port)  # a port in use stops us before any I/O
    try:
        pool = await create_pool(_database_url(settings), max_size=POOL_SIZE, vault=vault)
    except (OSError, asyncpg.PostgresError) as error:
        sock.close()
        raise CannotStart(f"cannot reach the database: {type(error).__name__}") from None
    try:
        address = settings.temporal.address or f"127.0.0.1:{settings.local.temporal_port}"
        try:
            client = await connect(
                address, settings.temporal.namespace, security=connection_security(settings)
            )
        except RuntimeError:
            sock.close()
            raise CannotStart(f"cannot reach Temporal at {address}") from None
        app = create_app(
            Services(client=client, pool=pool, settings=settings, act_signer=act_signer)
        )
        async with serving(app, sock):
            log.info("api serving", url=settings.api.url(), docs=f"{settings.api.url()}/docs")
            await stop.wait()
    finally:
        await pool.close()
    log.info("api stopped")


def main() -> int:
    return run_service("dsr-api", serve, cannot_start=(CannotStart, ApiPortTaken))


if __name__ == "__main__":
    sys.exit(main())
