"""What the app's handlers reach: the Temporal client, the store's pool and the settings
the service runs with, made once at start-up (worker.py, or `python -m interfaces.api`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from temporalio.client import Client

from domain.authority import ActSigner
from domain.deadlines import DeadlinePolicy
from runtime.settings import Settings


@dataclass(frozen=True)
class Services:
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    act_signer: ActSigner = field(repr=False)  # only the API holds it (runtime/act_keys.py)

    @property
    def task_queue(self) -> str:
        return self.settings.temporal.task_queue

    @property
    def deadline_policy(self) -> DeadlinePolicy:
        return self.settings.policy.deadline_policy()
