"""The composition root: settings → servers → store → Temporal client → worker.

`python worker.py` (what `make run` does) starts, when their variables are unset, the
embedded PostgreSQL and the Temporal dev server with its Web UI, keeping both under
DSR_DATA_DIR; applies migrations; registers search attributes; and runs the worker in
the foreground until SIGINT or SIGTERM, then stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import (
    Interceptor,
    UnsandboxedWorkflowRunner,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.act_verification import ActVerification, StandingOf
from activities.fulfilment import Fulfilment
from activities.history_archive import HistoryArchive
from activities.lifecycle_activities import LifecycleActivities
from activities.log_checkpoints import LogCheckpoints
from activities.purpose_changes import PurposeChangeActivities
from activities.request_activities import RequestActivities
from activities.retention import PersonalDataRetention
from activities.start_checks import StartChecks
from audit.checkpoints import CheckpointSigner
from audit.signing import KeyProblem, key_id, load_private_key, public_pem, write_public_key
from audit.witness import DirectoryWitness
from connectors.datamap_file import InvalidDataMap
from domain.authority import DEFAULT_ACT_WINDOW, ActSigner
from domain.payments import PaymentMethod
from domain.retention import RetentionLimits
from interfaces.api.serving import ApiPortTaken, bind, serving
from mail.maildrop import MaildropSender
from mail.smtp import SmtpSender
from runtime.act_keys import (
    ActKeyProblem,
    ensure_act_key_pair,
    load_act_public_keys,
    load_act_signer,
)
from runtime.cluster import (
    connect,
    connection_security,
    ensure_retention,
    ensure_search_attributes,
)
from runtime.connectors import OpenSystems, demo_support_desk, open_systems
from runtime.log_context import LogContextInterceptor
from runtime.metrics import ActivityFailureMetrics, prometheus_runtime, store_gauges
from runtime.notice_senders import notice_sender
from runtime.schedules import ARCHIVE, CHECKPOINT, RETENTION, ensure_schedule
from runtime.scrubbed_failures import FailureScrubbingInterceptor
from runtime.servers import EmbeddedPostgres, EmbeddedTemporal, ServerStartError
from runtime.service_lock import ServiceRunning, service_lock
from runtime.settings import (
    DEFAULT_PERSONAL_DATA_RETENTION,
    Settings,
)
from runtime.signals import run_service
from runtime.tracing import tracing
from runtime.vault import open_vault
from store.accounts import Accounts, ensure_local_admin
from store.database import create_pool
from store.disclosure_links import LinkSettings
from store.events import EventStore
from store.legacy_sealing import seal_plaintext_left
from store.outbox import DEFAULT_ZONE, NotificationOutbox
from store.privileges import (
    API_ROLE,
    OWNER_ROLE,
    WORKER_ROLE,
    RolesMisconfigured,
    ensure_roles,
    prepare_store,
    runtime_problems,
    user_of,
    with_user,
)
from store.purposes import seed_article_3
from store.sealing import Vault
from workflows.act_authority import ActAuthorityInterceptor
from workflows.archive_closed_requests import ArchiveClosedRequests
from workflows.checkpoint_log import CheckpointLog
from workflows.data_subject_request import DataSubjectRequest
from workflows.purpose_change import PurposeChange
from workflows.shred_closed_requests import ShredClosedRequests

log = structlog.get_logger("worker")

# `cryptography` is passed through the workflow sandbox: its Rust extension raises its
# exceptions by importing their classes, which inside the sandbox's re-imported modules
# aborted the process (PyO3). Passed through, workflow code that verifies a signature
# gets a refusal, not a dead worker (tests/workflow/test_act_signatures.py).
SANDBOX_RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules("cryptography")


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str,
    maildrop: Path,
    zone: ZoneInfo = DEFAULT_ZONE,
    interceptors: Sequence[Interceptor] = (),
    act_public_keys: Mapping[str, Ed25519PublicKey],
    act_window: timedelta = DEFAULT_ACT_WINDOW,
    account_standing: StandingOf | None = None,
    sandboxed: bool = True,
    signer: CheckpointSigner | None = None,
    sender: MaildropSender | SmtpSender | None = None,
    personal_data_retention: timedelta = DEFAULT_PERSONAL_DATA_RETENTION,
    retention_limits: RetentionLimits | None = None,
    systems: OpenSystems | None = None,
    disclosure_links: LinkSettings | None = None,
    payment: PaymentMethod | None = None,
) -> Worker:
    """The worker of every workflow and activity. `sandboxed`: workflow code runs in the
    SDK's sandbox, which catches a non-deterministic call (a clock, a random number, I/O)
    where it is made; the tests keep it on, the service turns it off for speed
    (DSR_WORKFLOW_SANDBOX, docs/performance.md). `act_public_keys`: the keys, by key id,
    operators' acts must be signed with, taken within `act_window` of being signed, by an
    account the store (or `account_standing`, a test's) knows as enabled with the act's
    role (workflows/act_authority.py). `signer`: the checkpoint key and witness;
    a test's worker without one signs with a key of its own into a witness beside the
    maildrop. `personal_data_retention`: how long after it closes a request's personal data
    is kept before the retention schedule shreds it; `retention_limits`: how many requests a
    run shreds at most, and how many due at once alert (DSR_SHRED_AT_MOST,
    DSR_SHRED_ALERT_ABOVE). `systems`: the data map's systems,
    open (runtime/connectors.py); unset, requests search the service's own records only."""
    sender = sender or MaildropSender(maildrop)
    verification = ActVerification(pool, act_public_keys, act_window, account_standing)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            DataSubjectRequest,
            ArchiveClosedRequests,
            CheckpointLog,
            ShredClosedRequests,
            PurposeChange,
        ],
        activities=[
            *request_activities(
                pool,
                maildrop,
                zone,
                signer,
                sender,
                systems,
                disclosure_links,
                payment,
                verification=verification,
            ),
            *PurposeChangeActivities(pool, sender, verification).all(),
            *HistoryArchive(pool, client).all(),
            *PersonalDataRetention(
                pool, EventStore(pool), personal_data_retention, retention_limits
            ).all(),
        ],
        # Outermost first: whatever leaves an activity is scrubbed of personal data before
        # the SDK logs it or stores it in history (runtime/scrubbed_failures.py).
        interceptors=[
            FailureScrubbingInterceptor(),
            ActAuthorityInterceptor(),
            LogContextInterceptor(),
            *interceptors,
        ],
        workflow_runner=SandboxedWorkflowRunner(restrictions=SANDBOX_RESTRICTIONS)
        if sandboxed
        else UnsandboxedWorkflowRunner(),
    )


def request_activities(
    pool: asyncpg.Pool,
    maildrop: Path,
    zone: ZoneInfo = DEFAULT_ZONE,
    signer: CheckpointSigner | None = None,
    sender: MaildropSender | SmtpSender | None = None,
    systems: OpenSystems | None = None,
    disclosure_links: LinkSettings | None = None,
    payment: PaymentMethod | None = None,
    *,
    verification: ActVerification | None = None,
) -> list:
    """Every activity a request's workflow calls, wired to the store (tests replace some
    of them by name to inject faults). `sender`: where notices go (DSR_MAIL); unset, the
    maildrop folder. Its handle of each notice (file name or Message-ID) is named in the
    notice's `notice.delivered` event. `verification`: the check of operators' acts;
    unset, one that lists no key and so refuses every act."""
    events = EventStore(pool)
    sender = sender or MaildropSender(maildrop)
    systems = systems or OpenSystems()
    activities = RequestActivities(
        pool,
        events,
        NotificationOutbox(
            pool,
            events,
            zone,
            handed_to=sender.handle,
            disclosure_links=disclosure_links,
            payment=payment,
        ),
        sender,
    )
    if signer is None:
        signer = CheckpointSigner(
            Ed25519PrivateKey.generate(), DirectoryWitness(maildrop.parent / "witness")
        )
    return [
        *activities.all(),
        *LifecycleActivities(pool, events, activities.send_notice, sender=sender).all(),
        *LogCheckpoints(pool, events, signer).all(),
        *Fulfilment(pool, events, systems.data_map, systems.connectors).all(),
        *(verification or ActVerification(pool, {})).all(),
        *StartChecks(pool).all(),
    ]


def checkpoint_signer(settings: Settings) -> CheckpointSigner:
    """The key (generated at its default place on first start) and the witness, whose
    folder also gets the public key for auditors to pin."""
    key = load_private_key(
        settings.checkpoint_key_file(), create=settings.evidence.checkpoint_key is None
    )
    witness = DirectoryWitness(settings.witness_folder())
    witness.publish_key(public_pem(key.public_key()), key_id(key.public_key()))
    public = settings.checkpoint_public_key_file()
    try:
        write_public_key(public, key.public_key())  # what verification reads, if missing
    except OSError as error:
        log.warning(
            "cannot write the checkpoint key's public half; give the API DSR_CHECKPOINT_PUBLIC_KEY",
            file=str(public),
            error=error.strerror,
        )
    return CheckpointSigner(key, witness)


def api_app(client: Client, pool: asyncpg.Pool, settings: Settings, act_signer: ActSigner) -> Any:
    """The API and privacy center app; its modules load only when it is served. It alone
    gets the act signing key."""
    from interfaces.api.app import create_app
    from interfaces.api.services import Services

    return create_app(Services(client, pool, settings, act_signer))


@dataclass
class Backends:
    """The servers the worker talks to, started here or given by the environment."""

    dsn: str  # the worker's role's
    owner_dsn: str | None  # the schema owner's, for migrations; None: `dsn` does both
    api_dsn: str | None  # the API's role's (DSR_API_DATABASE_URL; derived when embedded)
    temporal_address: str
    ui_url: str | None


@contextlib.asynccontextmanager
async def backends(settings: Settings) -> AsyncIterator[Backends]:
    async with contextlib.AsyncExitStack() as stack:
        dsn, owner_dsn = settings.database.url, settings.database.owner_url
        api_dsn = settings.database.api_url
        if dsn is None:
            postgres = EmbeddedPostgres(settings.local.data_dir)
            stack.callback(postgres.stop)
            superuser = await asyncio.to_thread(postgres.start)
            await ensure_roles(superuser)  # dsr_owner, dsr_worker, dsr_api
            dsn, owner_dsn = with_user(superuser, WORKER_ROLE), with_user(superuser, OWNER_ROLE)
            api_dsn = with_user(superuser, API_ROLE)
        address = settings.temporal.address
        ui_url = None
        if address is None:
            temporal = EmbeddedTemporal(
                settings.local.data_dir,
                port=settings.local.temporal_port,
                ui_port=settings.local.ui_port,
                namespace=settings.temporal.namespace,
            )
            stack.callback(temporal.stop)
            address = await asyncio.to_thread(temporal.start)
            ui_url = temporal.ui_url
        yield Backends(
            dsn=dsn,
            owner_dsn=owner_dsn,
            api_dsn=api_dsn,
            temporal_address=address,
            ui_url=ui_url,
        )


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    with contextlib.ExitStack() as held:
        if settings.temporal.embedded or settings.database.embedded:
            # One service per data folder; taken before any server is touched, so a second
            # `make run` disturbs nothing of the first.
            held.enter_context(
                service_lock(
                    settings.local.data_dir,
                    temporal=settings.temporal.address
                    or f"127.0.0.1:{settings.local.temporal_port}",
                )
            )
        # DSR_TRACING; none when off
        tracers = held.enter_context(tracing(settings.observability.tracing))
        try:
            await _serve(settings, stop, tracers)
        except ServerStartError as error:
            log.error("could not start", reason=str(error))
            raise


async def _serve(
    settings: Settings, stop: asyncio.Event, tracers: Sequence[TracingInterceptor] = ()
) -> None:
    # The metrics endpoint is bound before any server starts: a port in use stops here.
    metrics_address = settings.observability.metrics_address()
    runtime = prometheus_runtime(metrics_address) if metrics_address else None
    meter = runtime.metric_meter if runtime else MetricMeter.noop
    signer = checkpoint_signer(settings)
    if settings.api.act_signing_key is None and not settings.api.act_public_keys:
        made = ensure_act_key_pair(settings)  # the embedded default's, at first start
        if made:
            log.info("act signing key made", key_id=made)
    # The API part of the process gets the signing key; the worker part, public keys only.
    act_signer = load_act_signer(settings) if settings.api.port else None
    act_public_keys = load_act_public_keys(settings)
    # The API's port, like the metrics one, is taken before any server starts.
    api_socket = bind(settings.api.host, settings.api.port) if settings.api.port else None
    async with backends(settings) as servers:
        api_role = (user_of(servers.api_dsn) if servers.api_dsn else None) or API_ROLE
        await prepare_store(servers.dsn, servers.owner_dsn, api=api_role)
        vault = open_vault(settings)
        pool = await create_pool(servers.dsn, vault=vault)
        api_pool: asyncpg.Pool | None = None
        try:
            api_pool = await _api_pool(servers, vault) if api_socket else None
            await seal_plaintext_left(pool)
            if defined := await seed_article_3(pool):
                log.info("Article 3's purposes recorded in the register", purposes=defined)
            if settings.database.embedded and servers.owner_dsn:
                # As the schema's owner: neither the worker's role nor the API's writes
                # accounts (store/accounts.py).
                owner_pool = await create_pool(servers.owner_dsn, max_size=1)
                try:
                    made = await ensure_local_admin(
                        Accounts(owner_pool), settings.admin_token_file()
                    )
                finally:
                    await owner_pool.close()
                if made:
                    log.info(
                        "local administrator account made; `dsr` on this machine uses its token",
                        account=made,
                        token_file=str(settings.admin_token_file()),
                    )
            for problem in await runtime_problems(pool):
                log.warning(
                    "the database role of the service can change the evidence; "
                    "set DSR_OWNER_DATABASE_URL to the schema owner's URL and "
                    "DATABASE_URL to the worker's role (README, docs/audit.md)",
                    problem=problem,
                )
            for problem in await runtime_problems(api_pool, api=True) if api_pool else []:
                log.warning(
                    "the API's database role can do more than the API needs (store/privileges.py)",
                    problem=problem,
                )
            client = await connect(
                servers.temporal_address,
                settings.temporal.namespace,
                runtime=runtime,
                interceptors=tracers,
                security=connection_security(settings),
            )
            await ensure_search_attributes(client, settings.temporal.namespace)
            await ensure_retention(
                client, settings.temporal.namespace, settings.schedules.retention
            )
            queue, schedules = settings.temporal.task_queue, settings.schedules
            archive = await ensure_schedule(
                client, ARCHIVE, task_queue=queue, every=schedules.archive_every
            )
            checkpoints = await ensure_schedule(
                client, CHECKPOINT, task_queue=queue, every=schedules.checkpoint_every
            )
            shredding = await ensure_schedule(
                client, RETENTION, task_queue=queue, every=schedules.shred_every
            )
            # The data map's systems, each opened once for the worker's life.
            async with open_systems(settings.datastores_file()) as systems:
                worker = build_worker(
                    client,
                    pool,
                    task_queue=settings.temporal.task_queue,
                    maildrop=settings.local.data_dir / "maildrop",
                    zone=settings.policy.zone(),
                    interceptors=[ActivityFailureMetrics(meter)],
                    sandboxed=settings.temporal.workflow_sandbox,
                    signer=signer,
                    act_public_keys=act_public_keys,
                    act_window=settings.act_window(),
                    sender=notice_sender(settings),
                    personal_data_retention=settings.schedules.personal_data_retention,
                    retention_limits=settings.schedules.retention_limits(),
                    systems=systems,
                    disclosure_links=LinkSettings(
                        settings.api.url(), settings.api.disclosure_link_days
                    ),
                    payment=settings.policy.payment_method(),
                )
                gauges = store_gauges(pool, meter) if runtime else contextlib.nullcontext()
                api = (
                    serving(api_app(client, api_pool, settings, act_signer), api_socket)
                    if api_socket and api_pool and act_signer
                    else contextlib.nullcontext()
                )
                desk = demo_support_desk(settings.local.data_dir, systems.data_map)
                async with desk, worker, gauges, api:
                    log.info(
                        "worker running; press Ctrl-C to stop",
                        temporal=servers.temporal_address,
                        namespace=settings.temporal.namespace,
                        task_queue=settings.temporal.task_queue,
                        web_ui=servers.ui_url or "(the cluster's own UI)",
                        submit="dsr submit --json examples/inquiry.json",
                        mail=(
                            str(settings.local.data_dir / "maildrop")
                            if settings.mail.transport == "maildrop"
                            else f"smtp {settings.mail.smtp_host} ({settings.mail.smtp_tls})"
                        ),
                        archive_schedule=archive or "(refused by the cluster)",
                        checkpoint_schedule=checkpoints or "(refused by the cluster)",
                        retention_schedule=shredding or "(refused by the cluster)",
                        witness=str(signer.witness.folder),
                        metrics=f"http://{metrics_address}/metrics" if metrics_address else "(off)",
                        tracing=settings.observability.tracing,
                        api=f"{settings.api.url()}/docs" if api_socket else "(off)",
                        privacy_center=f"{settings.api.url()}/" if api_socket else "(off)",
                    )
                    await stop.wait()
                    log.info("stopping")
        finally:
            await pool.close()
            if api_pool:
                await api_pool.close()
    log.info("stopped")


async def _api_pool(servers: Backends, vault: Vault) -> asyncpg.Pool:
    """The in-process API's own pool, as the API's role: never the worker's."""
    if servers.api_dsn is None:
        raise RolesMisconfigured(
            "DSR_API_DATABASE_URL is unset: the API served with the worker connects as the "
            "API's role (dsr_api), not the worker's; set it, or DSR_API_PORT=0 and serve "
            "the API apart (python -m interfaces.api)"
        )
    return await create_pool(servers.api_dsn, vault=vault)


def main() -> int:
    try:
        return run_service(
            "dsr",
            serve,
            cannot_start=(
                KeyProblem,
                ActKeyProblem,
                RolesMisconfigured,
                ApiPortTaken,
                ServerStartError,
                InvalidDataMap,
            ),
        )
    except ServiceRunning as error:  # says all itself
        sys.stderr.write(f"dsr: {error}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
