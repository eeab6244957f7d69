"""The Python client API and the `dsr` command.

Backend services call `submit()` and `status()` (service/requests.py) and the operators'
acts (service/acts.py); the command line is interfaces/cli/main.py, installed as `dsr`.
"""

from __future__ import annotations

from interfaces.cli.main import cli, main, parser
from service.acts import Refused, respond
from service.requests import status, submit

__all__ = ["Refused", "cli", "main", "parser", "respond", "status", "submit"]

if __name__ == "__main__":
    cli()
