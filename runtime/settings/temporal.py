"""Which Temporal the service uses: an existing cluster at TEMPORAL_ADDRESS, or the
embedded dev server (runtime/servers.py) when it is unset; and how the worker runs there."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from runtime.settings.base import Concern, Empty

_HOST_PORT = re.compile(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}")


def _host_port(value: str | None) -> str | None:
    if value is None:
        return None
    if not _HOST_PORT.fullmatch(value) or not 1 <= int(value.rsplit(":", 1)[1]) <= 65535:
        raise ValueError("must be host:port with a port from 1 to 65535, e.g. temporal:7233")
    return value


class TemporalSettings(Concern):
    """Temporal"""

    address: Annotated[str | None, Empty, AfterValidator(_host_port)] = Field(
        default=None,
        validation_alias="TEMPORAL_ADDRESS",
        description="host:port of an existing Temporal frontend; unset starts the dev server.",
    )
    namespace: str = Field(
        default="default",
        validation_alias="TEMPORAL_NAMESPACE",
        pattern=r"^[A-Za-z0-9._-]{1,255}$",
        description="The Temporal namespace the service's workflows run in.",
    )
    task_queue: str = Field(
        default="dsr",
        validation_alias="DSR_TASK_QUEUE",
        pattern=r"^[A-Za-z0-9._-]{1,200}$",
        description="The task queue the worker polls and the service's workflows start on.",
    )
    workflow_sandbox: bool = Field(
        default=False,
        validation_alias="DSR_WORKFLOW_SANDBOX",
        description="Run workflow code in the SDK's sandbox. Its checks run in every test "
        "(the suite's workers and the history replayer keep it on); the service "
        "runs without its cost (a third of the worker's CPU, 40 ms of each "
        "request's first task) unless this is true.",
    )

    @property
    def embedded(self) -> bool:
        """True when the service starts its own dev server (TEMPORAL_ADDRESS unset)."""
        return self.address is None
