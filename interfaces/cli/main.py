"""The `dsr` command line: Typer and Rich over the HTTP API (interfaces/cli/client.py).

`dsr` holds a URL and a token, nothing else: every command calls the API, which does
the work as the calling account. What needs the servers themselves (migrations, grants,
key rotation) is `dsr-admin`, run where the worker runs.

Each part of the command line is a Typer app or a function in its own module, added
below with one line; errors become exit statuses here, in `main()`, and nowhere else.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
import typer.main

from interfaces.cli import (
    accounts,
    acts,
    audit,
    datastores,
    inventory,
    login,
    policy,
    provisions,
    purposes,
    requests,
    review,
)
from interfaces.cli.client import (
    ApiDiverged,
    ApiRefused,
    ApiUnavailable,
    CliError,
    InputRefused,
)
from interfaces.cli.output import Output, chosen, warn

EXIT_CODES = (
    "Exit status: 0 done; 1 the service could not be reached, or failed; 2 the input was "
    "refused and nothing was written (an unknown token, 401, or a missing role, 403, "
    "included); 3 an audit found a divergence, or `dsr provisions check` / `dsr "
    "datastores check` found a problem."
)

# The one place errors become exit statuses (the classes are in interfaces/cli/client.py;
# a register command's own problem, e.g. `provisions check`, raises ApiDiverged's kin).
EXIT_STATUS: dict[type[CliError], int] = {
    ApiUnavailable: 1,
    ApiRefused: 2,
    InputRefused: 2,
    ApiDiverged: 3,
}

app = typer.Typer(
    name="dsr",
    help="Data-subject requests under the privacy policy, through the service's API.\n\n"
    "Needs DSR_URL (default: the local service, http://127.0.0.1:$DSR_API_PORT) and a "
    "token: DSR_TOKEN, or the one `dsr login` saved; on the local service without "
    "DSR_URL, the local administrator's.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,  # never a traceback with its locals (a token) shown
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


@app.callback()
def root(
    output: Annotated[
        Output,
        typer.Option(
            "--output",
            help="text for people (lines, tables), json for scripts (one JSON document per "
            "result, the same shapes as ever); may also follow the command",
            case_sensitive=False,
        ),
    ] = Output.text,
) -> None:
    chosen.set(output)


# Requests and acts, accounts, signing in, audit. Each line adds one command or sub-app.
requests.register(app)
acts.register(app)
app.add_typer(accounts.app, name="accounts")
app.command("login")(login.login)
app.command("logout")(login.logout)
app.add_typer(audit.app, name="audit")
# The registers (interfaces/cli/{review,inventory,policy,purposes,provisions,datastores}.py).
app.command("review")(review.review)
app.add_typer(inventory.app, name="inventory")
app.add_typer(policy.app, name="policy")
app.add_typer(purposes.app, name="purposes")
app.add_typer(provisions.app, name="provisions")
app.add_typer(datastores.app, name="datastores")


def _hoist_output(args: list[str]) -> list[str]:
    """`--output X` is the root's option; as before it may also follow the command
    (`dsr status ID --output json`): it is moved to the front."""
    rest: list[str] = []
    chosen: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg == "--output" and index + 1 < len(args):
            chosen = [arg, args[index + 1]]
            index += 2
            continue
        if arg.startswith("--output="):
            chosen = [arg]
        else:
            rest.append(arg)
        index += 1
    return chosen + rest


def _with_exit_codes(command: Any) -> None:
    """Every command's help ends with the exit statuses."""
    if not command.epilog:
        command.epilog = EXIT_CODES
    for sub in getattr(command, "commands", {}).values():
        _with_exit_codes(sub)


def command() -> Any:
    """The root command (Typer's own click, vendored since typer 0.29)."""
    built = typer.main.get_command(app)
    _with_exit_codes(built)
    return built


def main(argv: Sequence[str] | None = None) -> int:
    args = _hoist_output(list(sys.argv[1:] if argv is None else argv))
    try:
        result = command().main(args=args, prog_name="dsr", standalone_mode=False)
    except typer.TyperException as error:  # usage: an unknown option, a bad value
        from typer import rich_utils

        rich_utils.rich_format_error(error)  # type: ignore[arg-type]
        return error.exit_code
    except typer.Abort:
        warn("aborted")
        return 1
    except CliError as error:
        if not isinstance(error, ApiDiverged) or str(error) != "a divergence was found":
            warn(error.message)
        return next(code for kind, code in EXIT_STATUS.items() if isinstance(error, kind))
    return result if isinstance(result, int) else 0


def cli() -> NoReturn:
    """The `dsr` command: ends with its own status. It ends with os._exit once its output
    is flushed, as it always has (no interpreter teardown to crash after the work)."""
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
