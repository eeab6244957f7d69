"""The organisation's registers as the API reads and writes them: the privacy policy's
versions (Article 9), the purposes of use (Article 3), the provisions' findings (Article 5)
and inventory loads (docs/inventory.md). `dsr policy`, `dsr purposes list`,
`dsr provisions check` and `dsr inventory load` call these through the API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.inventory import Inventory
from domain.policy_text import DeclaredPurpose
from domain.privacy_policy import PostingRefused
from domain.provision_rule import ProvisionFinding
from service.requests import Refused, Unavailable
from store.inventory import InventoryLoad, InventoryStore, RegisterConflict
from store.privacy_policy import policy_versions, post_policy
from store.provision_check import check_provisions
from store.purposes import purpose_listing

__all__ = [
    "InventoryLoad",
    "RegisterConflict",
    "inventory_document",
    "load_inventory",
    "policy_listing",
    "post_policy_version",
    "provision_findings",
    "purposes_listing",
]

_NO_SCHEMA = (
    "the database's schema is missing or older than this dsr: apply the migrations with "
    "`make run` or `dsr-admin setup`"
)


async def policy_listing(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every posted version: when posted, when in force, its sha256, and which is in force."""
    now = datetime.now(UTC)
    versions = await policy_versions(pool)
    current = max(
        (v for v in versions if v.effective_at <= now),
        key=lambda v: (v.effective_at, v.posted_at),
        default=None,
    )
    return [
        {
            "version": v.version,
            "posted_at": v.posted_at,
            "effective_at": v.effective_at,
            "sha256": v.text_sha256,
            "in_force": v == current,
        }
        for v in versions
    ]


async def post_policy_version(
    pool: asyncpg.Pool,
    text: str,
    *,
    effective_at: datetime | None,
    new_purpose: DeclaredPurpose | None,
    posted_by: str,
) -> dict[str, Any]:
    """Records a posted version as `posted_by` (an administrator); Refused says why not."""
    try:
        version = await post_policy(
            pool,
            text.encode("utf-8"),
            posted_at=datetime.now(UTC),
            effective_at=effective_at,
            posted_by=posted_by,
            new_purpose=new_purpose,
        )
    except PostingRefused as error:
        raise Refused(str(error)) from None
    return {
        "version": version.version,
        "sha256": version.text_sha256,
        "posted_at": version.posted_at,
        "effective_at": version.effective_at,
        "new_purpose": new_purpose.purpose_id if new_purpose else None,
        "includes_provision": bool(new_purpose and new_purpose.includes_provision),
    }


async def purposes_listing(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every version of every purpose, oldest first (`dsr purposes list`)."""
    return [dict(row) for row in await purpose_listing(pool)]


async def provision_findings(pool: asyncpg.Pool) -> list[ProvisionFinding]:
    """Every provision with no valid basis on record (Article 5); changes nothing."""
    try:
        return await check_provisions(pool)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        raise Unavailable(_NO_SCHEMA) from None


async def load_inventory(pool: asyncpg.Pool, inventory: Inventory) -> InventoryLoad:
    """Adds or updates the file's subjects, items, provisions and registers in one
    transaction; RegisterConflict (nothing loaded) when it disagrees with a register."""
    try:
        return await InventoryStore(pool).load(inventory)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        raise Unavailable(_NO_SCHEMA) from None


def inventory_document(inventory: Inventory, result: InventoryLoad) -> dict[str, Any]:
    """What `dsr inventory load --output json` prints, but the file's name."""
    return {
        "subjects": len(inventory.subjects),
        **asdict(result),
        "changed": result.changed_anything,
    }
