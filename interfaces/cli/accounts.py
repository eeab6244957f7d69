"""`dsr accounts create|list|disable`: the people and services that may use the service,
for administrators (role admin). The first administrator is made by `dsr-admin accounts bootstrap`,
beside the servers."""

from __future__ import annotations

from typing import Annotated

import typer

from domain.authority import Role
from interfaces.api.models import NewAccount
from interfaces.cli.options import about, build, output, run
from interfaces.cli.output import emit, table

app = typer.Typer(help="Make, list and disable accounts (role: admin).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help=about(NewAccount, "account"))],
    role: Annotated[list[Role], typer.Option(help=about(NewAccount, "roles"))],
) -> None:
    """Make an account and print its token, once."""
    body = build(NewAccount, account=name, roles=role)
    made = run(lambda api: api.post("/accounts", body.model_dump(mode="json")))
    emit(
        output(),
        made,
        f"account {made['account']} made with roles {', '.join(made['roles'])}.\n"
        "Its token, shown this once (keep it secret; DSR_TOKEN, `dsr login` or "
        f"`Authorization: Bearer ...`):\n{made['token']}",
    )


@app.command("list")
def list_accounts() -> None:
    """Every account, its roles, who made it and whether it is disabled."""
    rows = run(lambda api: api.get("/accounts"))
    emit(
        output(),
        rows,
        table(
            ("account", "roles", "made", "by", "state"),
            (
                (
                    r["account"],
                    ", ".join(r["roles"]),
                    str(r["created_at"])[:10],
                    r["created_by"],
                    f"disabled {str(r['disabled_at'])[:10]}" if r["disabled_at"] else "active",
                )
                for r in rows
            ),
            empty="no accounts",
        ),
    )


@app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="The account to disable.")],
) -> None:
    """Disable an account: its token no longer signs in."""
    done = run(lambda api: api.post(f"/accounts/{name}/disable"))
    emit(output(), done, done["message"])
