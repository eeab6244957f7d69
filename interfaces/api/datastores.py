"""The data map's systems (docs/connectors.md), as `dsr datastores` uses them:

- `GET /datastores/check`: the map against the live systems, findings per system (operator
  or auditor). 200 even with findings: the command exits 3 on any.
- `GET /datastores/preview/{subject_id}`: what a request of the subject would collect from
  each system now; with `values=true` the values themselves (personal data), else the
  fields only. Operator. Nothing is written, no request is made.
- 409: no data map, or one that is refused (the detail lists its problems); 404: no such
  subject in the store.

The API reads the map the settings name (DSR_DATASTORES) and opens its systems with the
secrets it names, as the worker does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from connectors.datamap_file import InvalidDataMap
from domain.authority import Role
from domain.requests import Identifier
from interfaces.api.auth import require
from interfaces.api.deps import Svc
from interfaces.api.problems import CONFLICT, NOT_FOUND, Problem, responses
from interfaces.api.register_models import SystemCheckRow
from service import datastores
from service.requests import Refused
from store.accounts import Account

router = APIRouter()
Reader = Annotated[Account, Depends(require(Role.OPERATOR, Role.AUDITOR))]
Operator = Annotated[Account, Depends(require(Role.OPERATOR))]


def _map_refused(error: InvalidDataMap) -> Problem:
    return Problem(
        409,
        f"the data map {error.path} is refused:\n" + "\n".join(error.problems),
        type=CONFLICT,
        title="Data map refused",
    )


@router.get(
    "/datastores/check",
    tags=["datastores"],
    response_model=list[SystemCheckRow],
    responses=responses(401, 403, 409),
)
async def check_datastores(services: Svc, account: Reader) -> list[SystemCheckRow]:
    """Each system of the data map against the live system: its tables and columns,
    indexes on what a subject is found by, the connector's rights. Role: operator or
    auditor."""
    try:
        results = await datastores.check(services.settings)
    except InvalidDataMap as error:
        raise _map_refused(error) from None
    except Refused as error:
        raise Problem(409, str(error), type=CONFLICT, title="No data map") from None
    return [SystemCheckRow(system=r.system, kind=r.kind, findings=r.findings) for r in results]


@router.get(
    "/datastores/preview/{subject_id}",
    tags=["datastores"],
    response_model=list[dict[str, Any]],
    responses=responses(401, 403, 404, 409, 422),
)
async def preview_subject(
    subject_id: Annotated[Identifier, Path(description="The subject, as the store knows it.")],
    response: Response,
    services: Svc,
    account: Operator,
    values: Annotated[
        bool, Query(description="show the values found, not only the fields")
    ] = False,
) -> list[dict[str, Any]]:
    """What a request of the subject would collect from each system now, per system: the
    counts per collection and each row's fields (or values). Role: operator."""
    response.headers["Cache-Control"] = "no-store"  # personal data
    try:
        previews = await datastores.preview(services.settings, services.pool, subject_id)
    except datastores.UnknownSubject as error:
        raise Problem(404, str(error), type=NOT_FOUND) from None
    except InvalidDataMap as error:
        raise _map_refused(error) from None
    except Refused as error:
        raise Problem(409, str(error), type=CONFLICT, title="No data map") from None
    return [_preview(preview, values=values) for preview in previews]


def _preview(preview: datastores.Preview, *, values: bool) -> dict[str, Any]:
    if preview.collected is None:
        return {"system": preview.system, "problem": preview.problem}
    return {
        "system": preview.system,
        "counts": dict(preview.collected.counts),
        "rows": [
            {
                "collection": row.collection,
                "key": row.key,
                "fields": dict(row.values) if values else sorted(row.values),
                "restricted": row.restricted,
            }
            for row in preview.collected.rows
        ],
    }
