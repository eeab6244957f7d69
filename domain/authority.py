"""Who may act, and the proof that they did: roles, and acts signed for an account.

An operator's act reaches a request's workflow as an update. Temporal lets anyone who can
reach it send one, so the update carries an `ActAuthority`: the account (authenticated by
the API), its roles, the act, the request, a unique act id, a digest of the act's
arguments, when it was issued and the id of the key that signed it. Only the API signs,
with an Ed25519 private key (`ActSigner`); the worker holds the public keys, listed by key
id, so a key can be rotated while acts signed with the one before are still read.

The worker checks an act in two places. The update's validator checks its shape
(`shape_problem`: present, for this request, act and arguments, claiming the act's role);
the update's handler then has an activity verify the signature (`signature_problem`), the
freshness of `issued_at` (`freshness_problem`) and the account as the store knows it at
the time of the act (`standing_problem`), and records a refusal as an `act.refused` event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict

from domain.chain import canonical_timestamp

ACT_FORMAT = "dsr-act/v2"
# How long after it was issued an act is still taken (DSR_ACT_WINDOW's default).
DEFAULT_ACT_WINDOW = timedelta(minutes=5)
# How far ahead of the worker's clock an act's `issued_at` may be (the API's clock and
# the worker's are different machines').
ISSUED_AHEAD = timedelta(minutes=1)


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
    `request_id` with arguments whose digest is `argument_digest`, issued at `issued_at`
    and signed with the key `key_id` names. An authority without a key id is one of the
    retired HMAC scheme (dsr-act/v1), which no worker takes any more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    roles: tuple[Role, ...]
    act: str
    request_id: str
    act_id: str
    argument_digest: str
    issued_at: datetime
    key_id: str = ""
    signature: str = ""

    def statement(self) -> bytes:
        document = {
            "format": ACT_FORMAT,
            "account": self.account,
            "roles": sorted(r.value for r in self.roles),
            "act": self.act,
            "request_id": self.request_id,
            "act_id": self.act_id,
            "argument_digest": self.argument_digest,
            "issued_at": canonical_timestamp(self.issued_at),
            "key_id": self.key_id,
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


def act_key_id(public_key: Ed25519PublicKey) -> str:
    """A public key's id: the first 16 hex digits of the sha256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class ActSigner:
    """The API's signing key: signs authorities, naming its key id in each."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = act_key_id(self.public_key)

    def __repr__(self) -> str:  # never the key itself
        return f"ActSigner(key_id={self.key_id!r})"

    def sign(self, authority: ActAuthority) -> ActAuthority:
        named = authority.model_copy(update={"key_id": self.key_id, "signature": ""})
        signature = self._key.sign(named.statement())
        encoded = base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")
        return named.model_copy(update={"signature": encoded})

    def derived_secret(self, purpose: bytes) -> bytes:
        """32 bytes for another of the API's own uses (the privacy center's MACs),
        derived from the private key with HKDF-SHA256: nobody holding only the public
        keys (the worker) can compute it."""
        raw = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(raw)


def sign_act(signer: ActSigner, authority: ActAuthority) -> ActAuthority:
    return signer.sign(authority)


def _signature_bytes(signature: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return None


def signature_problem(
    public_keys: Mapping[str, Ed25519PublicKey], authority: ActAuthority
) -> str | None:
    """Why the authority's signature is not one of the listed keys', or None. Returns
    rather than raises: `cryptography`'s exception is caught here, so this may run
    anywhere (the worker passes `cryptography` through the workflow sandbox too)."""
    if not authority.key_id:
        return (
            "the act is signed with the retired shared HMAC act key (dsr-act/v1): acts are "
            "signed by the API with its Ed25519 key"
        )
    public_key = public_keys.get(authority.key_id)
    if public_key is None:
        return (
            f"the act is signed with key {authority.key_id[:32]!r}, which this worker does "
            "not list (DSR_ACT_PUBLIC_KEYS): it was not issued by this service"
        )
    signature = _signature_bytes(authority.signature)
    if signature is None or len(signature) != 64:
        return "the act's signature does not verify: it was not issued by this service"
    try:
        public_key.verify(signature, authority.statement())
    except InvalidSignature:
        return "the act's signature does not verify: it was not issued by this service"
    return None


def freshness_problem(issued_at: datetime, acted_at: datetime, window: timedelta) -> str | None:
    """Why an act issued at `issued_at` may not be taken at `acted_at` (the workflow's
    clock), or None: it is taken within `window` of being issued."""
    if acted_at - issued_at > window:
        return (
            f"the act was issued at {canonical_timestamp(issued_at)}, more than "
            f"{_minutes(window)} before it reached the request: send it again"
        )
    if issued_at - acted_at > ISSUED_AHEAD:
        return (
            f"the act was issued at {canonical_timestamp(issued_at)}, after it reached the "
            "request: the signer's clock is wrong"
        )
    return None


def _minutes(window: timedelta) -> str:
    minutes = window.total_seconds() / 60
    return (
        f"{minutes:,.0f} minute{'s' if minutes != 1 else ''}"
        if minutes >= 1
        else (f"{window.total_seconds():.0f} seconds")
    )


def standing_problem(
    authority: ActAuthority,
    roles: frozenset[Role] | None,
    enabled: bool,
    needed: Role | None,
) -> str | None:
    """Why the account the authority names may not do the act, as the store knows it at
    the time of the act (`roles` None: no such account), or None."""
    account = authority.account[:64]
    if roles is None:
        return f"account {account!r} does not exist"
    if not enabled:
        return f"account {account} is disabled"
    claimed = set(authority.roles) - roles
    if claimed:
        names = ", ".join(sorted(r.value for r in claimed))
        return f"account {account} does not hold the role(s) the act claims: {names}"
    if needed is not None and not holds(tuple(roles), needed):
        return f"account {account} does not hold the {needed.value} role the act needs"
    return None


def shape_problem(
    act: str,
    request_id: str,
    argument: Mapping[str, Any],
    update_id: str | None = None,
) -> str | None:
    """Why the update cannot be an act at all, from what it says of itself (no key, no
    store), or None. `argument` is the update's argument as JSON (its `authority`
    included); `update_id`, when given, must be the act's id."""
    raw = argument.get("authority")
    if raw is None:
        return (
            f"{act} needs a signed authority: acts are sent through the API by an account "
            "holding the act's role"
        )
    try:
        authority = ActAuthority.model_validate(raw)
    except ValueError:
        return "the act's authority is malformed"
    if authority.act != act or authority.request_id != request_id:
        return (
            f"the authority was issued for {authority.act} on request "
            f"{authority.request_id}, not {act} on {request_id}"
        )
    if authority.argument_digest != argument_digest(argument):
        return "the act's arguments are not the ones its authority was issued for"
    if update_id is not None and update_id != authority.act_id:
        return (
            f"the authority was issued for act {authority.act_id[:64]}, not for the "
            f"update {update_id[:64]}"
        )
    needed = ACT_ROLES.get(Act(act)) if act in ACT_NAMES else None
    if needed is not None and not holds(authority.roles, needed):
        return f"account {authority.account} does not hold the {needed.value} role {act} needs"
    if argument.get("operator") not in (None, authority.account):
        return (
            f"the act names operator {argument.get('operator')!r} but was authorised for "
            f"account {authority.account}"
        )
    return None


def authority_problem(
    public_keys: Mapping[str, Ed25519PublicKey],
    act: str,
    request_id: str,
    argument: Mapping[str, Any],
) -> str | None:
    """The shape and the signature together (the account is the caller's to look up)."""
    problem = shape_problem(act, request_id, argument)
    if problem is not None:
        return problem
    return signature_problem(public_keys, ActAuthority.model_validate(argument["authority"]))
