"""`POST /inventory`: load what is held about subjects (docs/inventory.md), as
`dsr inventory load FILE` sends it. The body is the inventory itself. Loading the same
inventory again changes nothing.

- 200: loaded; the reply counts what was added, changed, kept and left unchanged.
- 403: the account is not an administrator.
- 422: not a valid inventory; `errors` lists each problem by its path. Nothing was loaded.
- 409: it conflicts with the registers (a purpose's text is changed by Article 4's
  procedure, not by a load); `errors` lists each conflict. Nothing was loaded.
- 503: the database has no schema (or an older one) yet.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel

from domain.authority import Role
from domain.inventory import InvalidInventory, parse_inventory
from interfaces.api.auth import require
from interfaces.api.deps import Svc
from interfaces.api.problems import CONFLICT, INVALID_INPUT, Problem, responses
from interfaces.api.registers import unavailable
from service import registers
from service.requests import Unavailable
from store.accounts import Account

router = APIRouter()
PATH = "/inventory"
MAX_INVENTORY = 64 << 20  # bytes: 10,000 subjects with their items and provisions


class InventoryLoaded(BaseModel):
    """What a load did: each subject, item and provision counted once."""

    subjects: int
    subjects_added: int
    subjects_changed: int
    items_added: int
    items_changed: int
    provisions_added: int
    provisions_changed: int
    purposes_added: int
    bases_added: int
    bases_changed: int
    consents_added: int
    consents_changed: int
    kept: int
    unchanged: int
    changed: bool


def _problems(count: int) -> str:
    return f"{count} problem{'' if count == 1 else 's'}"


@router.post(
    PATH,
    tags=["registers"],
    response_model=InventoryLoaded,
    responses=responses(401, 403, 409, 413, 422, 503),
)
async def load_inventory(
    data: Annotated[
        Any,
        Body(
            description="The inventory: purposes, provision_bases and subjects (docs/inventory.md)."
        ),
    ],
    services: Svc,
    account: Annotated[Account, Depends(require(Role.ADMIN))],
) -> InventoryLoaded:
    """Add or update subjects, their items and provisions, and the registers the file
    defines, in one transaction. Role: admin."""
    try:
        inventory = parse_inventory(data)
    except InvalidInventory as error:
        raise Problem(
            422,
            f"not a valid inventory ({_problems(len(error.problems))}); nothing was loaded",
            type=INVALID_INPUT,
            title="Invalid inventory",
            errors=error.problems,
        ) from None
    try:
        result = await registers.load_inventory(services.pool, inventory)
    except registers.RegisterConflict as conflict:
        raise Problem(
            409,
            f"conflicts with the registers ({_problems(len(conflict.problems))}); "
            "nothing was loaded",
            type=CONFLICT,
            title="Conflicts with the registers",
            errors=conflict.problems,
        ) from None
    except Unavailable as error:
        raise unavailable(error) from None
    return InventoryLoaded(**registers.inventory_document(inventory, result))
