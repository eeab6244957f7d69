"""`dsr login` and `dsr logout`: keep an account's token in the user's configuration
folder (typer.get_app_dir("dsr")/token, mode 0600), checked against the API first."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from interfaces.cli.client import Api, InputRefused, endpoint, token_file
from interfaces.cli.options import output
from interfaces.cli.output import emit


def _save(path: Path, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)  # an older file keeps its mode through O_CREAT


def login(
    token: Annotated[
        str | None,
        typer.Option(
            help="The account's token (from `dsr accounts create`); - reads it from standard "
            "input; unset: asked for, without echo.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check an account's token against the service, then keep it for later commands
    (DSR_TOKEN, when set, still comes first)."""
    if token == "-":
        token = typer.get_text_stream("stdin").readline()
    elif token is None:
        token = typer.prompt("Token", hide_input=True)
    token = (token or "").strip()
    if not token:
        raise InputRefused("no token given")
    url = endpoint().url

    async def checked() -> dict[str, Any]:
        async with Api(url, token) as api:
            return dict(await api.get("/me"))

    me = asyncio.run(checked())
    path = token_file()
    _save(path, token)
    roles = ", ".join(str(r) for r in me.get("roles") or [])
    emit(
        output(),
        {"account": me["account"], "roles": me.get("roles"), "url": url, "file": str(path)},
        f"signed in to {url} as {me['account']} ({roles}); token kept in {path}",
    )


def logout() -> None:
    """Forget the token `dsr login` kept."""
    path = token_file()
    try:
        path.unlink()
    except FileNotFoundError:
        emit(output(), {"file": str(path), "removed": False}, f"no token kept in {path}")
        return
    emit(output(), {"file": str(path), "removed": True}, f"token in {path} removed")
