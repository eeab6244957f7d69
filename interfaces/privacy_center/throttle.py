"""How much the privacy center takes at once (review N8): forms that ask for a code, and
codes entered, limited per client address and overall, in this process (the `limits`
library's moving windows in memory). A form or code over a limit is answered 429 with
`Retry-After` before anything is read or written for it.

The limits hold per process: a deployment with several API processes behind a proxy
divides nothing, so each allows the set rates (the proxy's own limits come first there).
"""

from __future__ import annotations

import enum
import math
import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from runtime.settings import PrivacyCenterSettings


class Action(enum.StrEnum):
    FORM = "form"  # a form asking for a one-time code
    CODE = "code"  # a code entered


class Throttle:
    def __init__(self, settings: PrivacyCenterSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rules: dict[Action, tuple[list[RateLimitItem], list[RateLimitItem]]] = {
            Action.FORM: (
                parse_many(settings.forms_per_client),
                parse_many(settings.forms_overall),
            ),
            Action.CODE: (
                parse_many(settings.codes_per_client),
                parse_many(settings.codes_overall),
            ),
        }

    def admit(self, action: Action, client: str) -> int | None:
        """None: admitted (and counted); else the seconds to wait before trying again.
        Nothing is counted for a refused call, so a flood does not push the wait on."""
        per_client, overall = self._rules[action]
        checks = [(item, (action.value, "client", client)) for item in per_client] + [
            (item, (action.value, "all")) for item in overall
        ]
        refused = [(item, keys) for item, keys in checks if not self._limiter.test(item, *keys)]
        if refused:
            now = time.time()
            reset = max(self._limiter.get_window_stats(i, *k).reset_time for i, k in refused)
            return max(1, math.ceil(reset - now))
        for item, keys in checks:
            self._limiter.hit(item, *keys)
        return None


def client_of(request: Request) -> str:
    """The client's address as the server saw it (behind a proxy, the one uvicorn takes
    from X-Forwarded-For of a trusted proxy: `--forwarded-allow-ips`)."""
    return request.client.host if request.client else "unknown"


def throttle_of(request: Request) -> Throttle:
    """The app's throttle, made from its settings at first use."""
    state = request.app.state
    found: Throttle | None = getattr(state, "privacy_center_throttle", None)
    if found is None:
        found = Throttle(state.services.settings.privacy_center)
        state.privacy_center_throttle = found
    return found
