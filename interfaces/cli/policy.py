"""`dsr policy post FILE [--effective WHEN] [--new-purpose ID=JAPANESE TEXT
[--includes-provision]]` and `dsr policy list`: the privacy policy's versions (Article 9).
Posting takes an administrator's account; the text is kept with its sha256, so an auditor
can match a version to the text as it was posted. A posted text whose Article 3 adds one
purpose at its list's end declares it with `--new-purpose` (its id and Japanese text; the
English text is the posted one's), and `--includes-provision` marks it as including
provision to third parties (Article 5 ¶1); the purpose enters the register with the
version, in force from its effective time."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.authority import Role
from domain.policy_text import DeclaredPurpose
from domain.privacy_policy import PostingRefused
from interfaces.cli.records import emit, moment
from runtime.settings import Settings
from service.acts import Forbidden
from service.requests import Refused, connections, signed_in
from store.accounts import Accounts
from store.privacy_policy import policy_versions, post_policy


def add_parsers(commands: Any) -> None:
    policy = commands.add_parser("policy", help="the privacy policy's versions (Article 9)")
    sub = policy.add_subparsers(dest="policy_command", required=True)
    post = sub.add_parser("post", help="record a version of the privacy policy as posted")
    post.add_argument("file", metavar="FILE", help="the policy's text as posted; - for stdin")
    post.add_argument(
        "--effective",
        type=moment,
        default=None,
        metavar="WHEN",
        help="when it takes effect (ISO 8601 date or time); unset: on posting",
    )
    post.add_argument(
        "--new-purpose",
        default=None,
        metavar="ID=JAPANESE TEXT",
        help="the purpose this text adds at the end of Article 3's list: its id and its "
        "Japanese text (the English one is the text's)",
    )
    post.add_argument(
        "--includes-provision",
        action="store_true",
        help="the new purpose includes provision to third parties (Article 5 ¶1)",
    )
    sub.add_parser("list", help="every version: when posted, when in force, its sha256")
    for command in sub.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


def declared(new_purpose: str | None, includes_provision: bool) -> DeclaredPurpose | None:
    """The new purpose `--new-purpose ID=JAPANESE TEXT` declares, or None."""
    if new_purpose is None:
        if includes_provision:
            raise Refused("--includes-provision marks the purpose --new-purpose declares")
        return None
    purpose_id, equals, text_ja = new_purpose.partition("=")
    if not equals or not purpose_id.strip() or not text_ja.strip():
        raise Refused("--new-purpose takes ID=JAPANESE TEXT, e.g. partner_marketing=...のため")
    return DeclaredPurpose(purpose_id.strip(), text_ja.strip(), includes_provision)


def _read(source: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise Refused(f"cannot read {source}: {error.strerror}") from None


async def run(args: argparse.Namespace, settings: Settings) -> None:
    text = _read(args.file) if args.policy_command == "post" else b""
    new_purpose = (
        declared(args.new_purpose, args.includes_provision)
        if args.policy_command == "post"
        else None
    )
    async with connections(settings, temporal=False) as (_, pool):
        if args.policy_command == "list":
            now = datetime.now(UTC)
            versions = await policy_versions(pool)
            current = max(
                (v for v in versions if v.effective_at <= now),
                key=lambda v: (v.effective_at, v.posted_at),
                default=None,
            )
            rows = [
                {
                    "version": v.version,
                    "posted_at": v.posted_at.isoformat(),
                    "effective_at": v.effective_at.isoformat(),
                    "sha256": v.text_sha256,
                    "in_force": v == current,
                }
                for v in versions
            ]
            emit(
                args.output,
                rows,
                "\n".join(
                    f"{r['version']}  posted {r['posted_at']}  effective {r['effective_at']}"
                    f"{'  (in force)' if r['in_force'] else ''}"
                    for r in rows
                )
                or "no version of the privacy policy has been posted",
            )
            return
        admin = await signed_in(settings, pool, doing="dsr policy post")
        if Role.ADMIN not in admin.roles:
            reason = f"account {admin.account} does not hold the admin role"
            await Accounts(pool).record_refusal(
                403, admin.account, "CLI", "dsr policy post", reason
            )
            raise Forbidden(reason)
        try:
            version = await post_policy(
                pool,
                text,
                posted_at=datetime.now(UTC),
                effective_at=args.effective,
                posted_by=admin.account,
                new_purpose=new_purpose,
            )
        except PostingRefused as error:
            raise Refused(str(error)) from None
        emit(
            args.output,
            {
                "version": version.version,
                "sha256": version.text_sha256,
                "posted_at": version.posted_at.isoformat(),
                "effective_at": version.effective_at.isoformat(),
                "new_purpose": new_purpose.purpose_id if new_purpose else None,
                "includes_provision": bool(new_purpose and new_purpose.includes_provision),
            },
            f"privacy policy version {version.version} recorded; in force from "
            f"{version.effective_at.isoformat(timespec='minutes')}"
            + (
                f"; purpose {new_purpose.purpose_id} added to Article 3 from then"
                + (
                    ", including provision to third parties"
                    if new_purpose.includes_provision
                    else ""
                )
                if new_purpose
                else ""
            ),
        )
