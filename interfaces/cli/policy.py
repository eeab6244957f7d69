"""`dsr policy post FILE [--effective WHEN] [--new-purpose ID=JAPANESE TEXT
[--includes-provision]]` and `dsr policy list`: the privacy policy's versions (Article 9),
through the API (`/api/v1/policy/versions`). Posting takes an administrator's account;
the text is kept with its sha256, so an auditor can match a version to the text as it
was posted. A posted text whose Article 3 adds one purpose at its list's end declares it
with `--new-purpose` (its id and Japanese text; the English text is the posted one's),
and `--includes-provision` marks it as including provision to third parties (Article 5
¶1); the purpose enters the register with the version, in force from its effective
time."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from interfaces.api.register_models import PolicyPosting
from interfaces.cli.client import InputRefused
from interfaces.cli.options import about, moment, output, run
from interfaces.cli.output import emit

app = typer.Typer(help="The privacy policy's versions (Article 9).", no_args_is_help=True)


def posting(
    text: str, effective: datetime | None, new_purpose: str | None, includes_provision: bool
) -> PolicyPosting:
    """The body `dsr policy post` sends; InputRefused (the first problem) when it does not fit."""
    try:
        return PolicyPosting(
            text=text,
            effective_at=effective,
            new_purpose=new_purpose,
            includes_provision=includes_provision,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise InputRefused(f"{where}: {message}" if where else message) from None


def _read(source: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise InputRefused(f"cannot read {source}: {error.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRefused("the policy file is not UTF-8 text") from None


@app.command("post")
def post(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="The policy's text as posted; - for standard input."),
    ],
    effective: Annotated[
        datetime | None,
        typer.Option(
            "--effective",
            metavar="WHEN",
            parser=moment,
            help=about(PolicyPosting, "effective_at"),
            show_default=False,
        ),
    ] = None,
    new_purpose: Annotated[
        str | None,
        typer.Option(
            "--new-purpose",
            metavar="ID=JAPANESE TEXT",
            help=about(PolicyPosting, "new_purpose"),
            show_default=False,
        ),
    ] = None,
    includes_provision: Annotated[
        bool,
        typer.Option("--includes-provision", help=about(PolicyPosting, "includes_provision")),
    ] = False,
) -> None:
    """Record a version of the privacy policy as posted (role: admin)."""
    posting(" ", None, new_purpose, includes_provision)  # the options, before the file is read
    body = posting(_read(file), effective, new_purpose, includes_provision)
    reply = run(lambda api: api.post("/policy/versions", body.model_dump(mode="json")))
    document = {
        **reply,
        "posted_at": _iso(reply["posted_at"]),
        "effective_at": _iso(reply["effective_at"]),
    }
    emit(output(), document, posted(document))


def posted(document: dict[str, Any]) -> str:
    effective = datetime.fromisoformat(document["effective_at"])
    new_purpose = document["new_purpose"]
    return (
        f"privacy policy version {document['version']} recorded; in force from "
        f"{effective.isoformat(timespec='minutes')}"
        + (
            f"; purpose {new_purpose} added to Article 3 from then"
            + (", including provision to third parties" if document["includes_provision"] else "")
            if new_purpose
            else ""
        )
    )


@app.command("list")
def list_versions() -> None:
    """Every version: when posted, when in force, its sha256 (any account)."""
    rows = [
        {**row, "posted_at": _iso(row["posted_at"]), "effective_at": _iso(row["effective_at"])}
        for row in run(lambda api: api.get("/policy/versions"))
    ]
    emit(
        output(),
        rows,
        "\n".join(
            f"{r['version']}  posted {r['posted_at']}  effective {r['effective_at']}"
            f"{'  (in force)' if r['in_force'] else ''}"
            for r in rows
        )
        or "no version of the privacy policy has been posted",
    )


def _iso(value: str) -> str:
    """A time as `dsr` has always printed it (ISO 8601 with its offset, +00:00 not Z)."""
    return datetime.fromisoformat(value).isoformat()
