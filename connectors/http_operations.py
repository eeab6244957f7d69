"""The operations of an HTTP system as the data map gives them (`METHOD /path/{identity}`),
parsed, and which operation a plan goes to (connectors/http.py calls them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from domain.datamap import Identity
from domain.fulfilment import Change, Plan

OperationName = Literal["collect", "erase", "suspend", "correct"]

_OPERATION = re.compile(r"^(GET|POST|PUT|PATCH|DELETE)\s+(/\S*)$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

PROBE_VALUES: Mapping[Identity, str] = {
    Identity.EMAIL: "dsr-probe@dsr-check.invalid",
    Identity.PHONE: "+000000000000",
    Identity.SUBJECT_ID: "dsr-probe-0000000000",
    Identity.CUSTOMER_NUMBER: "dsr-probe-0000000000",
}
"""Values no subject can have (`.invalid` is reserved), for `check`'s probe."""


@dataclass(frozen=True)
class Operation:
    """One operation of the map, parsed: `identity` is None for a path without one (a
    change operation may name its rows by key alone)."""

    name: OperationName
    method: str
    path: str
    identity: Identity | None

    def url(self, value: str | None) -> str:
        """The path with the identity's value quoted as one segment (a `/` or `?` in it
        cannot reach another path)."""
        if self.identity is None or value is None:
            return self.path
        return self.path.replace("{" + self.identity.value + "}", quote(value, safe=""))


def parse_operation(name: OperationName, text: str) -> Operation:
    """`METHOD /path/{identity}` as the map gives it; ValueError saying what is wrong."""
    match = _OPERATION.match(text.strip())
    if match is None:
        raise ValueError(f"operation {name} is not `METHOD /path` ({text!r})")
    method, path = match.groups()
    placeholders = _PLACEHOLDER.findall(path)
    if len(placeholders) > 1:
        raise ValueError(f"operation {name} names more than one identity")
    identity = None
    if placeholders:
        try:
            identity = Identity(placeholders[0])
        except ValueError:
            known = ", ".join(i.value for i in Identity)
            raise ValueError(
                f"operation {name}: {{{placeholders[0]}}} is not an identity ({known})"
            ) from None
    elif name == "collect":
        raise ValueError("operation collect names no identity to find the subject by")
    return Operation(name, method, path, identity)


def operation_for(plan: Plan) -> OperationName:
    """Where a plan goes: a correction (any UPDATE; its deletions travel with it), a
    suspension (any FLAG), otherwise an erasure. A plan is one decision's, so one kind."""
    kinds = {change.change for change in plan.changes}
    if Change.UPDATE in kinds:
        return "correct"
    if Change.FLAG in kinds:
        return "suspend"
    return "erase"
