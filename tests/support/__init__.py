"""The test harness: what the suites share, by what it does (builders, privacy checks,
Temporal and database set-up, scenarios driving requests, fault injection). Fixtures are in
the conftest.py files; test modules import from here, never from each other."""

# The settings tests import this name from the package itself.
from tests.support.config import settings_refused

__all__ = ["settings_refused"]
