"""Who may act, and the proof that they did: roles, and acts signed for an account.

An operator's act reaches a request's workflow as an update. Temporal lets anyone who can
reach it send one, so the update carries an `ActAuthority`: the account (authenticated by
the API or the `dsr` command line), its roles, the act, the request, a unique act id and a
digest of the act's arguments, signed with a key the API and the worker share. The worker
refuses an update whose authority is missing, forged, for another request or act, for
other arguments, or held by an account without the act's role (`authority_problem`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.chain import canonical_timestamp

ACT_KEY_BYTES = 32


class Role(StrEnum):
    INTAKE = "intake"  # backend services: submit, status
    OPERATOR = "operator"  # acts on requests: answer, verify identity, decide
    APPROVER = "approver"  # approve alternative measures, extend deadlines
    CASHIER = "cashier"  # record payments
    AUDITOR = "auditor"  # read-only: list, show, audit
    SYSTEM_OWNER = "system_owner"  # a manual system's owner: confirms what was found, done
    ADMIN = "admin"  # accounts; holds every other role


ROLE_MEANING = {
    Role.INTAKE: "submit requests and read their status (backend services)",
    Role.OPERATOR: "act on requests: answer inquiries, verify identity, decide",
    Role.APPROVER: "approve alternative measures (not one's own), extend deadlines",
    Role.CASHIER: "record payments of the disclosure fee",
    Role.AUDITOR: "read only: list, show, export, replay, verify, report",
    Role.SYSTEM_OWNER: "confirm what was found in, or done to, the manual system one owns, "
    "or that an alternative measure one was named to take was taken",
    Role.ADMIN: "create and disable accounts; may do everything the other roles may",
}


class Act(StrEnum):
    """An operator's act. Its value is the name of the request workflow's update that
    carries it, which signed authorities and act ids name: never change one."""

    RESPOND = "respond"
    VERIFY_IDENTITY = "verify_identity"
    DECIDE = "decide"
    RECORD_PAYMENT = "record_payment"
    APPROVE_MEASURE = "approve_measure"
    EXTEND_DEADLINE = "extend_deadline"
    WAIVE_SYSTEM = "waive_system"
    CONFIRM_SYSTEM = "confirm_system"

    @property
    def record(self) -> str:
        """What the act puts on record, as a refusal of it says: `answer not accepted`."""
        return _ACT_RECORDS[self]


ACT_NAMES = frozenset(act.value for act in Act)

_ACT_RECORDS = {
    Act.RESPOND: "answer",
    Act.VERIFY_IDENTITY: "identity",
    Act.DECIDE: "decision",
    Act.RECORD_PAYMENT: "payment",
    Act.APPROVE_MEASURE: "approval",
    Act.EXTEND_DEADLINE: "extension",
    Act.WAIVE_SYSTEM: "waiver",
    Act.CONFIRM_SYSTEM: "confirmation",
}

# The role each act needs (Art 8's alternative measure needs a second person: see
# `approval_problem` in domain/alternative_measures.py).
ACT_ROLES: dict[Act, Role] = {
    Act.RESPOND: Role.OPERATOR,
    Act.VERIFY_IDENTITY: Role.OPERATOR,
    Act.DECIDE: Role.OPERATOR,
    Act.RECORD_PAYMENT: Role.CASHIER,
    Act.APPROVE_MEASURE: Role.APPROVER,
    Act.EXTEND_DEADLINE: Role.APPROVER,
    # Giving up on a system's part is a second person's call, as an extension is.
    Act.WAIVE_SYSTEM: Role.APPROVER,
    Act.CONFIRM_SYSTEM: Role.SYSTEM_OWNER,
}


def holds(roles: frozenset[Role] | tuple[Role, ...], needed: Role) -> bool:
    return needed in roles or Role.ADMIN in roles


class ActAuthority(BaseModel):
    """The signed statement that `account`, holding `roles`, performs `act` on
    `request_id` with arguments whose digest is `argument_digest`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    roles: tuple[Role, ...]
    act: str
    request_id: str
    act_id: str
    argument_digest: str
    issued_at: datetime
    signature: str = ""

    def statement(self) -> bytes:
        document = {
            "format": "dsr-act/v1",
            "account": self.account,
            "roles": sorted(r.value for r in self.roles),
            "act": self.act,
            "request_id": self.request_id,
            "act_id": self.act_id,
            "argument_digest": self.argument_digest,
            "issued_at": canonical_timestamp(self.issued_at),
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")


def argument_digest(argument: Mapping[str, Any]) -> str:
    """sha256 over the act's arguments as JSON, without the authority itself."""
    fields = {k: v for k, v in argument.items() if k != "authority"}
    encoded = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _mac(key: bytes, statement: bytes) -> str:
    # The standard library's HMAC, not `cryptography`'s: this runs in the worker's check of
    # each update, inside the workflow sandbox, where cryptography's Rust extension aborts
    # the process when it raises (PyO3 cannot import its exception class there).
    return hmac.new(key, statement, hashlib.sha256).hexdigest()


def sign_act(key: bytes, authority: ActAuthority) -> ActAuthority:
    return authority.model_copy(update={"signature": _mac(key, authority.statement())})


def authority_problem(
    key: bytes, act: str, request_id: str, argument: Mapping[str, Any]
) -> str | None:
    """Why the update may not be accepted as an act, or None. `argument` is the update's
    argument as JSON (its `authority` included)."""
    raw = argument.get("authority")
    if raw is None:
        return (
            f"{act} needs a signed authority: acts are sent through the API or the `dsr` "
            "command line by an account holding the act's role"
        )
    try:
        authority = ActAuthority.model_validate(raw)
    except ValueError:
        return "the act's authority is malformed"
    if not hmac.compare_digest(
        _mac(key, authority.statement()).encode("ascii"), authority.signature.encode("utf-8")
    ):
        return "the act's signature does not verify: it was not issued by this service"
    if authority.act != act or authority.request_id != request_id:
        return (
            f"the authority was issued for {authority.act} on request "
            f"{authority.request_id}, not {act} on {request_id}"
        )
    if authority.argument_digest != argument_digest(argument):
        return "the act's arguments are not the ones its authority was issued for"
    needed = ACT_ROLES.get(Act(act)) if act in ACT_NAMES else None
    if needed is not None and not holds(authority.roles, needed):
        return f"account {authority.account} does not hold the {needed.value} role {act} needs"
    if argument.get("operator") not in (None, authority.account):
        return (
            f"the act names operator {argument.get('operator')!r} but was authorised for "
            f"account {authority.account}"
        )
    return None
