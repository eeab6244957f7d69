"""The HTTP connector: a SaaS or in-house service that offers the wire contract below.

The data map names, per operation, a method and a path with one identity in braces
(`collect: GET /subjects/{email}`); the base URL is the system's `connection` secret and
the Authorization header's value its `auth` secret. The connector calls an operation once
per value of that identity the subject has, the value quoted as one path segment.

- collect: 200 `{"collections": {"<collection>": [{"key": "...", "fields": {...},
  "restricted": false}]}}`, or 404 when the system holds nothing on that value. Only the
  collections and fields the map names are kept: a collection's name on the wire is the
  map's `table` (by default the collection's name), a field's is its `column`.
- erase, suspend, correct: `{"changes": [{"collection", "key", "change", "field",
  "value"}]}` (names as on the wire), answered 200 `{"applied": <int>}`; the service makes
  a change it has already made a no-op, so a retried call changes nothing more.

The paths carry identities (an e-mail address, a phone number): no URL, request or answer
body is ever put into an error, a finding or a log line here, only the system's name, the
operation and the status. httpx logs every request's URL at INFO, so its logger is set to
WARNING unless the process has chosen a level for it.

Transient failures (the connection, a timeout, 5xx, 429) are retried inside the call with
exponential backoff, then raised as `SystemUnavailable` for the activity's own retries;
any other 4xx is `SystemRefused` at once, since asking again will not change the answer.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from connectors.base import (
    Change,
    Collected,
    FoundRow,
    Identities,
    Plan,
    RowChange,
    SystemRefused,
    SystemUnavailable,
)
from connectors.datamap_file import secret_of
from connectors.http_operations import (
    PROBE_VALUES,
    Operation,
    OperationName,
    operation_for,
    parse_operation,
)
from domain.datamap import (
    MASK_TEXT,
    Correction,
    Erasure,
    Suspension,
    System,
    SystemKind,
)

if TYPE_CHECKING:
    from connectors.base import Connector

__all__ = ["HttpConnector"]


class HttpConnector:
    """One HTTP system of the data map, with an httpx client of its own (closed by
    `close`) and at most `system.concurrency` calls in flight."""

    def __init__(
        self,
        name: str,
        system: System,
        *,
        base_url: str,
        authorization: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        attempts: int = 4,
        backoff: float = 0.5,
        retry_after_cap: float = 30.0,
    ) -> None:
        self.name = name
        self.system = system
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._retry_after_cap = retry_after_cap
        self._semaphore = asyncio.Semaphore(system.concurrency)
        headers = {"Accept": "application/json", "User-Agent": "dsr-connector"}
        if authorization:
            headers["Authorization"] = authorization
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )
        self._operations: dict[str, Operation] = {}
        self._malformed: dict[str, str] = {}
        for op_name, text in system.operations.items():
            try:
                self._operations[op_name] = parse_operation(op_name, text)
            except ValueError as error:
                self._malformed[op_name] = str(error)

    @classmethod
    def from_map(
        cls,
        name: str,
        system: System,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Any,
    ) -> HttpConnector:
        """The connector for a map's http system, its URL and Authorization read from the
        secrets the map names (MissingSecret when one is not there)."""
        if system.kind is not SystemKind.HTTP or system.connection is None:
            raise ValueError(f"system {name} is not an http system with a connection")
        authorization = secret_of(system.auth) if system.auth is not None else None
        return cls(
            name,
            system,
            base_url=secret_of(system.connection),
            authorization=authorization,
            transport=transport,
            **options,
        )

    async def close(self) -> None:
        await self._client.aclose()

    # Calls ---------------------------------------------------------------------------

    def _operation(self, name: OperationName) -> Operation:
        if name in self._malformed:
            raise SystemRefused(f"{self.name}: {self._malformed[name]}")
        try:
            return self._operations[name]
        except KeyError:
            raise SystemRefused(f"{self.name}: the data map gives no `{name}` operation") from None

    async def _call(
        self, operation: Operation, value: str | None, body: Any = None
    ) -> httpx.Response:
        """One call, retried while the failure may pass; the answer is 2xx or 404."""
        reason = ""
        for attempt in range(1, self._attempts + 1):
            wait: float | None = None
            try:
                async with self._semaphore:
                    response = await self._client.request(
                        operation.method, operation.url(value), json=body
                    )
            except httpx.UnsupportedProtocol:
                raise SystemRefused(
                    f"{self.name}: the base URL's scheme is not http or https"
                ) from None
            except httpx.TransportError as error:
                reason = type(error).__name__
            else:
                status = response.status_code
                if 200 <= status < 300 or status == 404:
                    return response
                if status == 429 or status >= 500:
                    reason = f"answered {status}"
                    wait = self._retry_after(response)
                elif status in (401, 403):
                    raise SystemRefused(
                        f"{self.name}: {operation.name} answered {status}: the connector is "
                        "not authorised (check the system's `auth` secret)"
                    )
                else:
                    # The body may echo what was sent (an identity, a new value): not shown.
                    raise SystemRefused(f"{self.name}: {operation.name} answered {status}")
            if attempt < self._attempts:
                if wait is None:
                    wait = self._backoff * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
                await asyncio.sleep(wait)
        raise SystemUnavailable(
            f"{self.name}: {operation.name} failed {self._attempts} times ({reason})"
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        """The wait a 429 or 503 asks for (seconds or an HTTP date), capped."""
        header = response.headers.get("Retry-After")
        if header is None:
            return None
        header = header.strip()
        if header.isdigit():
            seconds = float(header)
        else:
            try:
                seconds = email.utils.parsedate_to_datetime(header).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return max(0.0, min(seconds, self._retry_after_cap))

    def _values(self, operation: Operation, identities: Identities | None) -> list[str | None]:
        """The values to call `operation` with: each of the subject's values of its
        identity (none: no call), or one call for a path without an identity."""
        if operation.identity is None:
            return [None]
        values = (identities or {}).get(operation.identity, ())
        return list(dict.fromkeys(v for v in values if v))

    # Collection ----------------------------------------------------------------------

    async def collect(self, identities: Identities) -> Collected:
        operation = self._operation("collect")
        answers = await asyncio.gather(
            *(self._call(operation, value) for value in self._values(operation, identities))
        )
        found: dict[tuple[str, str], FoundRow] = {}
        for response in answers:
            if response.status_code == 404:
                continue
            for row in self._rows_of(response):
                found.setdefault((row.collection, row.key), row)
        counts = dict.fromkeys(self.system.collections, 0)
        for collection, _ in found:
            counts[collection] += 1
        return Collected(rows=list(found.values()), counts=counts)

    def _rows_of(self, response: httpx.Response) -> Iterable[FoundRow]:
        """The mapped rows of a collect answer, their fields by the map's names."""
        try:
            answer = response.json()
        except ValueError:
            raise self._not_contract("collect", "not JSON") from None
        collections = answer.get("collections") if isinstance(answer, dict) else None
        if not isinstance(collections, dict):
            raise self._not_contract("collect", "no `collections` object")
        for name, collection in self.system.collections.items():
            rows = collections.get(collection.table_of(name), [])
            if not isinstance(rows, list):
                raise self._not_contract("collect", f"{name} is not a list")
            for row in rows:
                if not isinstance(row, dict) or not isinstance(row.get("fields", {}), dict):
                    raise self._not_contract("collect", f"a row of {name} is not an object")
                key = row.get("key")
                if not isinstance(key, str | int) or isinstance(key, bool) or key == "":
                    raise self._not_contract("collect", f"a row of {name} has no key")
                fields = row.get("fields", {})
                yield FoundRow(
                    name,
                    str(key),
                    {
                        field: _text(fields.get(rule.column))
                        for field, rule in collection.fields.items()
                    },
                    restricted=row.get("restricted") is True,
                )

    def _not_contract(self, operation: str, what: str) -> SystemRefused:
        return SystemRefused(
            f"{self.name}: {operation} answered with a body not of the contract ({what})"
        )

    # Changes -------------------------------------------------------------------------

    async def apply(self, plan: Plan, identities: Identities | None = None) -> None:
        """Send the plan to its operation, once per value of the operation's identity:
        a service that scopes a call to that value's rows changes each row under the value
        it was found by, and one that does not makes the later calls no-ops.

        `identities` are the ones the subject's rows were collected with; an operation
        whose path names an identity cannot be called without them."""
        if not plan.changes:
            return
        operation = self._operation(operation_for(plan))
        body = {"changes": [self._wire_change(change) for change in plan.changes]}
        values = self._values(operation, identities)
        if not values:
            raise SystemRefused(
                f"{self.name}: {operation.name} needs the subject's "
                f"{operation.identity.value if operation.identity else 'identities'}"
            )
        for value in values:
            response = await self._call(operation, value, body)
            if response.status_code == 404:
                continue  # nothing of the subject's under this value (any more)

    def _wire_change(self, change: RowChange) -> dict[str, str | None]:
        try:
            collection = self.system.collections[change.collection]
            column = collection.fields[change.field].column if change.field else None
        except KeyError:
            raise SystemRefused(
                f"{self.name}: the plan names {change.collection}.{change.field}, "
                "which the data map does not"
            ) from None
        return {
            "collection": collection.table_of(change.collection),
            "key": change.key,
            "change": change.change.value,
            "field": column,
            "value": change.value if change.change is Change.UPDATE else None,
        }

    async def confirm(self, plan: Plan, identities: Identities | None = None) -> list[str]:
        """Collect again and check each change holds. A row no longer found under the
        subject's identities holds every change (it is gone, or no longer found by them: an
        erasure may mask the very field it was found by), as the postgres connector's does.

        `identities` are the ones `apply` was given."""
        if not plan.changes:
            return []
        operation = self._operation("collect")
        if not self._values(operation, identities):
            # Collecting with none would find nothing, and every change would seem to hold.
            raise SystemRefused(
                f"{self.name}: confirming needs the subject's {operation.identity or 'identities'}"
            )
        collected = await self.collect(identities or {})
        rows = {(row.collection, row.key): row for row in collected.rows}
        problems = []
        for position, change in enumerate(plan.changes, start=1):
            if not _holds(change, rows.get((change.collection, change.key))):
                where = f" on {change.field}" if change.field else ""
                problems.append(
                    f"{self.name}.{change.collection}: change {position} "
                    f"({change.change.value}{where}) is not so"
                )
        return problems

    # The map against the live system -------------------------------------------------

    async def check(self) -> list[str]:
        findings = [f"{self.name}: {problem}" for problem in self._malformed.values()]
        findings += self._missing_operations()
        collect = self._operations.get("collect")
        if collect is not None and collect.identity is not None:
            try:
                await self._call(collect, PROBE_VALUES[collect.identity])
            except (SystemUnavailable, SystemRefused) as error:
                findings.append(f"{error} (a probe of collect)")
        return findings

    def _missing_operations(self) -> list[str]:
        """The operations the map's fields need that the map does not give."""
        needs: dict[str, list[str]] = {"erase": [], "suspend": [], "correct": []}
        for name, collection in self.system.collections.items():
            for field, rule in collection.fields.items():
                where = f"{name}.{field}"
                if rule.erasure is not Erasure.REFUSE:
                    needs["erase"].append(f"{where} ({rule.erasure.value})")
                if rule.suspension is Suspension.FLAG:
                    needs["suspend"].append(f"{where} (flag)")
                if rule.correction is Correction.UPDATE:
                    needs["correct"].append(f"{where} (update)")
        return [
            f"{self.name}: no `{operation}` operation, but the map has {', '.join(fields)}"
            for operation, fields in needs.items()
            if fields and operation not in self.system.operations
        ]


def _holds(change: RowChange, row: FoundRow | None) -> bool:
    if change.change is Change.DELETE_ROW:
        return row is None
    if change.change is Change.FLAG:
        return row is None or row.restricted
    if row is None:
        return True
    assert change.field is not None
    value = row.values.get(change.field)
    if change.change is Change.SET_NULL:
        return value is None
    if change.change is Change.MASK:
        return value == MASK_TEXT
    return value == change.value


def _text(value: object) -> str | None:
    """A field's value as the connectors carry it: text, or None for null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _conforms(connector: HttpConnector) -> Connector:
    """mypy checks here that HttpConnector is a Connector (the protocol is structural)."""
    return connector
