"""The Python client API and the `dsr` command.

Backend services call `submit()` and `status()` (service/requests.py) and the operators'
acts (service/acts.py); the command line is interfaces/cli/main.py, installed as `dsr`,
a client of the HTTP API. The service functions are imported only when asked for, so
`python starter.py ...` (the `dsr` command) imports nothing that opens the database,
Temporal or a key file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interfaces.cli.main import cli, main

if TYPE_CHECKING:
    from service.acts import Refused, respond
    from service.requests import status, submit

__all__ = ["Refused", "cli", "main", "respond", "status", "submit"]


def __getattr__(name: str) -> Any:
    if name in ("Refused", "respond"):
        from service import acts

        return getattr(acts, name)
    if name in ("status", "submit"):
        from service import requests

        return getattr(requests, name)
    raise AttributeError(f"module 'starter' has no attribute {name!r}")


if __name__ == "__main__":
    cli()
