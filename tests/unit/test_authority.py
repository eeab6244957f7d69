"""Signed acts, pure: what an authority binds, and each way a forged one fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.authority import (
    ACT_ROLES,
    Act,
    ActAuthority,
    Role,
    argument_digest,
    authority_problem,
    holds,
    sign_act,
)

KEY = b"k" * 32
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
    return sign_act(KEY, ActAuthority(**{**fields, **change}))


def _with(authority: ActAuthority | dict | None, **argument: object) -> dict:
    raw = authority.model_dump(mode="json") if isinstance(authority, ActAuthority) else authority
    return {**ARGUMENT, **argument, "authority": raw}


def test_a_signed_act_of_an_account_with_the_role_passes() -> None:
    assert authority_problem(KEY, "decide", "dis-1", _with(_authority())) is None
    admin = _authority(roles=(Role.ADMIN,))
    assert authority_problem(KEY, "decide", "dis-1", _with(admin)) is None


@pytest.mark.parametrize(
    ("argument", "problem"),
    [
        (_with(None), "needs a signed authority"),
        (_with({"account": "x"}), "malformed"),
        (_with(_authority().model_copy(update={"signature": "ü" * 64})), "does not verify"),
        (_with(_authority().model_copy(update={"account": "op-2"})), "does not verify"),
        (_with(_authority().model_copy(update={"roles": (Role.ADMIN,)})), "does not verify"),
        (_with(sign_act(b"other" * 8, _authority())), "does not verify"),
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
    found = authority_problem(KEY, "decide", "dis-1", argument)
    assert found is not None and problem in found


def test_the_statement_covers_every_field_and_the_digest_ignores_the_authority() -> None:
    authority = _authority()
    assert b'"format":"dsr-act/v1"' in authority.statement()
    assert argument_digest({**ARGUMENT, "authority": {"anything": 1}}) == argument_digest(ARGUMENT)
    for field, value in (
        ("act_id", "act-2"),
        ("issued_at", datetime(2027, 1, 1, tzinfo=UTC)),
        ("argument_digest", "0" * 64),
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
