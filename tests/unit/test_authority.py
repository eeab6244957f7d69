"""Signed acts, pure: what an authority binds, each way a forged one fails, the window and
the account's standing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.authority import (
    ACT_ROLES,
    Act,
    ActAuthority,
    ActSigner,
    Role,
    act_key_id,
    argument_digest,
    authority_problem,
    freshness_problem,
    holds,
    shape_problem,
    signature_problem,
    standing_problem,
)

SIGNER = ActSigner(Ed25519PrivateKey.from_private_bytes(b"k" * 32))
OTHER = ActSigner(Ed25519PrivateKey.from_private_bytes(b"o" * 32))
KEYS = {SIGNER.key_id: SIGNER.public_key}
ARGUMENT = {"outcome": "disclosed_in_full", "operator": "op-1", "reason_note_id": None}


def _authority(**change: object) -> ActAuthority:
    fields = dict(
        account="op-1",
        roles=(Role.OPERATOR,),
        act="decide",
        request_id="dis-1",
        act_id="act-1",
        argument_digest=argument_digest(ARGUMENT),
        issued_at=datetime(2026, 11, 26, tzinfo=UTC),
    )
    return SIGNER.sign(ActAuthority(**{**fields, **change}))


def _with(authority: ActAuthority | dict | None, **argument: object) -> dict:
    raw = authority.model_dump(mode="json") if isinstance(authority, ActAuthority) else authority
    return {**ARGUMENT, **argument, "authority": raw}


def test_a_signed_act_of_an_account_with_the_role_passes() -> None:
    assert authority_problem(KEYS, "decide", "dis-1", _with(_authority())) is None
    admin = _authority(roles=(Role.ADMIN,))
    assert authority_problem(KEYS, "decide", "dis-1", _with(admin)) is None


@pytest.mark.parametrize(
    ("argument", "problem"),
    [
        (_with(None), "needs a signed authority"),
        (_with({"account": "x"}), "malformed"),
        (_with(_authority().model_copy(update={"signature": "ü" * 64})), "does not verify"),
        (_with(_authority().model_copy(update={"act_id": "act-2"})), "does not verify"),
        (_with(_authority().model_copy(update={"roles": (Role.ADMIN,)})), "does not verify"),
        (_with(OTHER.sign(_authority())), "does not list"),
        (
            _with(OTHER.sign(_authority()).model_copy(update={"key_id": SIGNER.key_id})),
            "does not verify",
        ),
        (_with(_authority().model_copy(update={"key_id": ""})), "retired shared HMAC"),
        (_with(_authority().model_copy(update={"signature": "!!"})), "does not verify"),
        (_with(_authority(request_id="dis-2")), "not decide on dis-1"),
        (_with(_authority(act="respond")), "not decide on dis-1"),
        (_with(_authority(), outcome="disclosure_refused"), "arguments are not the ones"),
        (_with(_authority(roles=(Role.CASHIER, Role.AUDITOR))), "does not hold the operator"),
        (
            _with(
                _authority(argument_digest=argument_digest({**ARGUMENT, "operator": "op-9"})),
                operator="op-9",
            ),
            "names operator 'op-9'",
        ),
    ],
)
def test_each_forgery_is_named(argument: dict, problem: str) -> None:
    found = authority_problem(KEYS, "decide", "dis-1", argument)
    assert found is not None and problem in found


def test_the_statement_covers_every_field_and_the_digest_ignores_the_authority() -> None:
    authority = _authority()
    assert b'"format":"dsr-act/v2"' in authority.statement()
    assert f'"key_id":"{SIGNER.key_id}"'.encode() in authority.statement()
    assert argument_digest({**ARGUMENT, "authority": {"anything": 1}}) == argument_digest(ARGUMENT)
    for field, value in (
        ("act_id", "act-2"),
        ("issued_at", datetime(2027, 1, 1, tzinfo=UTC)),
        ("argument_digest", "0" * 64),
        ("key_id", OTHER.key_id),
    ):
        assert authority.model_copy(update={field: value}).statement() != authority.statement()


def test_every_act_has_a_role_and_admin_holds_them_all() -> None:
    assert set(ACT_ROLES) == {
        "respond",
        "verify_identity",
        "decide",
        "record_payment",
        "approve_measure",
        "extend_deadline",
        "waive_system",
        "confirm_system",
    }
    assert ACT_ROLES["waive_system"] is Role.APPROVER
    assert ACT_ROLES["confirm_system"] is Role.SYSTEM_OWNER
    assert ACT_ROLES["approve_measure"] is Role.APPROVER
    assert ACT_ROLES["record_payment"] is Role.CASHIER
    assert set(ACT_ROLES) == set(Act)
    assert [act.record for act in Act] == [
        "answer",
        "identity",
        "decision",
        "payment",
        "approval",
        "extension",
        "waiver",
        "confirmation",
    ]
    assert all(holds((Role.ADMIN,), role) for role in Role)
    assert not holds((Role.AUDITOR,), Role.OPERATOR)


def test_the_key_id_is_the_start_of_the_public_keys_digest() -> None:
    raw = SIGNER.public_key.public_bytes_raw()
    assert SIGNER.key_id == act_key_id(SIGNER.public_key) == hashlib.sha256(raw).hexdigest()[:16]
    assert "k" * 4 not in repr(SIGNER)


def test_an_act_signed_with_the_retired_hmac_key_is_refused() -> None:
    """Today's (dsr-act/v1) signature: an HMAC-SHA256 over the v1 statement, no key id."""
    authority = _authority().model_copy(update={"key_id": "", "signature": ""})
    v1 = authority.statement().replace(b"dsr-act/v2", b"dsr-act/v1")
    forged = authority.model_copy(
        update={"signature": hmac.new(b"h" * 32, v1, hashlib.sha256).hexdigest()}
    )
    assert shape_problem("decide", "dis-1", _with(forged)) is None  # taken, then refused
    problem = signature_problem(KEYS, forged)
    assert problem is not None and "retired shared HMAC act key" in problem


def test_an_update_id_other_than_the_act_id_is_refused() -> None:
    assert shape_problem("decide", "dis-1", _with(_authority()), "act-1") is None
    problem = shape_problem("decide", "dis-1", _with(_authority()), "act-2")
    assert problem is not None and "not for the update act-2" in problem


def test_an_act_is_taken_within_its_window() -> None:
    issued = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    window = timedelta(minutes=5)
    assert freshness_problem(issued, issued + window, window) is None
    late = freshness_problem(issued, issued + window + timedelta(seconds=1), window)
    assert late is not None and "more than 5 minutes before it reached" in late
    early = freshness_problem(issued, issued - timedelta(minutes=2), window)
    assert early is not None and "after it reached the request" in early


@pytest.mark.parametrize(
    ("roles", "enabled", "problem"),
    [
        (None, True, "does not exist"),
        (frozenset({Role.OPERATOR}), False, "is disabled"),
        (frozenset({Role.AUDITOR}), True, "does not hold the role(s) the act claims: operator"),
        (frozenset({Role.OPERATOR, Role.AUDITOR}), True, None),
        (frozenset({Role.ADMIN}), True, "claims: operator"),
    ],
)
def test_the_account_as_the_store_knows_it(
    roles: frozenset[Role] | None, enabled: bool, problem: str | None
) -> None:
    found = standing_problem(_authority(), roles, enabled, Role.OPERATOR)
    assert found == problem if problem is None else (found is not None and problem in found)


def test_the_privacy_centers_secret_is_the_signers_own() -> None:
    assert SIGNER.derived_secret(b"a") != SIGNER.derived_secret(b"b")
    assert SIGNER.derived_secret(b"a") != OTHER.derived_secret(b"a")
    assert len(SIGNER.derived_secret(b"a")) == 32
