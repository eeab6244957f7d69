"""`dsr-admin`: administration that needs the schema's owner or the service's own key files,
so it runs where the worker runs, never on an operator's machine (issue 21). `dsr` is the
client everybody else uses: it holds a URL and a token, nothing more.

    dsr-admin setup                      migrations, grants, search attributes, first keys
    dsr-admin accounts bootstrap NAME    the first administrator; prints its token once
    dsr-admin keys rotate                a new act signing key
    dsr-admin datastores demo            the demo organisation beside `make run`
    dsr-admin audit alarms               the checkpoint signer's alarms (N6)
    dsr-admin audit acknowledge-alarm ID let the signer sign again from the log as it is
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from connectors.datamap_file import InvalidDataMap
from domain.authority import Role
from runtime.logs import configure_logging
from runtime.settings import Settings, SettingsError, load_settings
from service import administration
from service.requests import Refused, Unavailable

T = TypeVar("T")

EXIT_CODES = (
    "Exit status: 0 done; 1 a server (PostgreSQL, Temporal) could not be reached; "
    "2 refused: a setting or an argument is wrong, or what was asked may not be done "
    "(nothing was changed)."
)
WHERE = (
    "Runs where the worker runs, with the worker's settings (DATABASE_URL, TEMPORAL_ADDRESS, "
    "DSR_OWNER_DATABASE_URL, the key files): it needs the schema's owner or the service's "
    "own keys. Everyone else uses `dsr`, a client of the API."
)


class Output(StrEnum):
    text = "text"
    json = "json"


app = typer.Typer(
    name="dsr-admin",
    help=f"Administration of the data-subject request service. {WHERE}",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode=None,
)
accounts_app = typer.Typer(
    help="The first administrator (the others are made through the API: `dsr accounts`).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
)
keys_app = typer.Typer(help="The act signing key the API signs with.", epilog=EXIT_CODES)
datastores_app = typer.Typer(
    help="The demo organisation of the data map (docs/connectors.md).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(
    help="The checkpoint signer's alarms: the event log stopped extending the head it "
    "signed last, and nothing is signed until an operator acknowledges (docs/audit.md).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
)
app.add_typer(datastores_app, name="datastores")
app.add_typer(audit_app, name="audit")

_state: dict[str, Output] = {"output": Output.text}
OutputOption = Annotated[
    Output,
    typer.Option(
        "--output",
        help="text for people, json for scripts (one JSON object on stdout).",
        case_sensitive=False,
    ),
]


@app.callback()
def root(output: OutputOption = Output.text) -> None:
    _state["output"] = output


def _emit(data: dict[str, Any], text: str | Table) -> None:
    if _state["output"] is Output.json:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
    else:
        Console(soft_wrap=True, markup=False, highlight=False).print(text)


def _run(settings_to_work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(settings_to_work(load_settings()))


@app.command(epilog=EXIT_CODES)
def setup(
    keys: Annotated[
        bool,
        typer.Option(
            "--keys/--no-keys",
            help="Make the first keys where they are configured and missing: the "
            "key-encryption key (DSR_KEY_ENCRYPTION_KEY_FILE or <DSR_DATA_DIR>/keys/), the "
            "keyring's folder (DSR_KEYRING_DIR), and the act key pair only where "
            "DSR_ACT_SIGNING_KEY names the API's key (with DSR_ACT_PUBLIC_KEYS). --no-keys "
            "where they are secrets made elsewhere (docker-compose.yml).",
        ),
    ] = True,
) -> None:
    """Prepare an existing cluster and database, on an empty one too (no earlier start):
    migrations as the schema's owner, the worker's and the API's grants, the search
    attributes, the namespace's retention and the first keys. Idempotent."""
    done = _run(lambda settings: administration.set_up(settings, keys=keys))
    lines = [
        f"keys made: {', '.join(done.keys_made) or 'none'}",
        f"migrations applied: {', '.join(done.migrations_applied) or 'none'}",
        f"worker's role: {done.worker_role}; API's role: "
        + (done.api_role or "none found (create dsr_api, or the one in DSR_API_DATABASE_URL)"),
        f"search attributes added: {', '.join(done.search_attributes_added) or 'none'}",
        "retention of closed workflows: "
        + (done.retention or "left as the cluster has it (refused)"),
    ]
    lines += [
        f"warning: {problem}: set DSR_OWNER_DATABASE_URL to the schema's owner and "
        "DATABASE_URL to the worker's role (docs/audit.md)"
        for problem in done.role_problems
    ]
    _emit(asdict(done), "\n".join(lines))


@accounts_app.command("bootstrap", epilog=EXIT_CODES)
def bootstrap(
    name: Annotated[
        str,
        typer.Argument(
            help="The administrator's account name: 1-64 lower-case letters, digits and "
            ". _ @ -, starting with a letter or digit."
        ),
    ],
) -> None:
    """Make the first administrator as the schema's owner (DSR_OWNER_DATABASE_URL) and print
    its token, once. Refused once an enabled administrator exists."""
    token = _run(lambda settings: administration.bootstrap_administrator(settings, name))
    _emit(
        {"account": name, "roles": [Role.ADMIN.value], "token": token},
        f"administrator {name} made. Its token, shown this once (keep it secret; "
        f"DSR_TOKEN or `dsr login`):\n{token}",
    )


@keys_app.command("rotate", epilog=EXIT_CODES)
def rotate() -> None:
    """Make a new act signing key pair: the private key replaces the API's
    (DSR_ACT_SIGNING_KEY), the public key is listed beside the old ones (DSR_ACT_PUBLIC_KEYS)
    so acts signed just before still count. Run it where the API's signing key is kept;
    give the workers the new public key, then restart the API and the workers."""
    key_id, private = administration.rotate_act_key(load_settings())
    _emit(
        {"key_id": key_id, "signing_key": str(private)},
        f"new act key {key_id} at {private}; restart the API to sign with it and the "
        "workers to list it; delete an old public key's file to retire it",
    )


@datastores_app.command("demo", epilog=EXIT_CODES)
def demo(
    customers: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many customers Sesenergy has.")
    ] = 200,
) -> None:
    """Create the demo organisation, Sesenergy, in the embedded PostgreSQL of a running
    `make run`, and its data map as <DSR_DATA_DIR>/datastores.yaml; restart `make run` to
    use it."""
    from service import datastores

    made = _run(lambda settings: datastores.create_demo(settings, customers))
    _emit(
        {"data_map": str(made.data_map), "rows": made.rows, "support_desk": made.support_desk_url},
        f"Sesenergy created: {sum(made.rows.values())} rows in "
        + ", ".join(f"{t} {n}" for t, n in made.rows.items())
        + f"\ndata map: {made.data_map}\nrestart `make run` to use it (it serves the support "
        f"desk at {made.support_desk_url})",
    )


@audit_app.command("alarms", epilog=EXIT_CODES)
def list_alarms(
    every: Annotated[
        bool, typer.Option("--all", help="Acknowledged alarms too, not only the open ones.")
    ] = False,
) -> None:
    """The checkpoint signer's alarms, as the schema's owner (DSR_OWNER_DATABASE_URL)."""
    found = _run(lambda settings: administration.log_alarms(settings, only_open=not every))
    lines = [
        alarm.describe()
        + (f"; acknowledged by {alarm.acknowledged_by}" if alarm.acknowledged_by else "; OPEN")
        for alarm in found
    ]
    _emit(
        {"alarms": [asdict(alarm) for alarm in found]},
        "\n".join(lines) or ("no alarms" if every else "no open alarm"),
    )


@audit_app.command("acknowledge-alarm", epilog=EXIT_CODES)
def acknowledge_alarm(
    alarm_id: Annotated[int, typer.Argument(metavar="ALARM_ID", help="From `audit alarms`.")],
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who acknowledges.")],
    reason: Annotated[
        str, typer.Option(metavar="TEXT", help="What was found and done (no personal data).")
    ],
) -> None:
    """Acknowledge an alarm as the schema's owner: the signer signs again, from the log as
    the alarm found it. The checkpoints signed before still disagree with that log, and
    `dsr audit verify` goes on saying so: the evidence lost stays on record."""
    alarm = _run(
        lambda settings: administration.acknowledge_log_alarm(settings, alarm_id, by, reason)
    )
    _emit(
        asdict(alarm),
        f"alarm {alarm.alarm_id} acknowledged by {alarm.acknowledged_by}; the signer extends "
        f"the log from {alarm.log_size} entries (head {alarm.log_head})",
    )


def main(argv: list[str] | None = None) -> int:
    """Run `dsr-admin` with `argv`; returns the exit status (EXIT_CODES)."""
    try:
        app(args=argv, prog_name="dsr-admin", standalone_mode=False)
    except SettingsError as error:
        sys.stderr.write(f"dsr-admin: invalid setting {error}\n")
        return 2
    except InvalidDataMap as error:
        sys.stderr.write(f"dsr-admin: the data map {error.path} is refused\n")
        for problem in error.problems:
            sys.stderr.write(f"  {problem}\n")
        return 2
    except Refused as error:
        sys.stderr.write(f"dsr-admin: {error}\n")
        return 2
    except Unavailable as error:
        sys.stderr.write(f"dsr-admin: {error}\n")
        return 1
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        return 1
    except Exception as error:
        usage = _usage_error(error)
        if usage is None:
            raise
        return usage
    return 0


def _usage_error(error: Exception) -> int | None:
    """Typer's own usage errors (a wrong option): shown as Typer shows them, exit 2."""
    show = getattr(error, "show", None)
    exit_code = getattr(error, "exit_code", None)
    if callable(show) and isinstance(exit_code, int):
        show()
        return exit_code
    return None


def cli() -> NoReturn:
    """The `dsr-admin` command: exits with its own status (see interfaces/cli/main.py's
    `cli` for why it ends with os._exit)."""
    configure_logging()  # to stderr: stdout is the command's answer
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()
