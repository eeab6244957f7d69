"""What an operator filters on in the Web UI: the deadline policy's version and the
privacy policy's (Article 9) under names of their own, except for requests started before
they were named apart, which keep the attribute they were started with."""

from __future__ import annotations

from domain.lifecycle import RequestStatus
from domain.messages import StatusView
from domain.requests import RequestKind
from workflows import search_attributes as sa
from workflows.operator_view import current_details, search_attribute_updates


def _view(privacy: str | None) -> StatusView:
    return StatusView(
        request_id="r-1",
        kind=RequestKind.INQUIRY,
        status=RequestStatus.IN_PROGRESS,
        step=None,
        due_at=None,
        overdue=False,
        outcome=None,
        deadline_policy_version="2026-11.2",
        privacy_policy_version=privacy,
    )


def _set(updates: list) -> dict[str, object]:
    return {u.key.name: getattr(u, "value", None) for u in updates}


def test_both_versions_are_shown_under_their_own_names() -> None:
    shown = _set(search_attribute_updates(_view("2026-11-26.0123456789ab"), versions_apart=True))
    assert shown[sa.DEADLINE_POLICY_VERSION.name] == "2026-11.2"
    assert shown[sa.PRIVACY_POLICY_VERSION.name] == "2026-11-26.0123456789ab"
    assert sa.LEGACY_POLICY_VERSION.name not in shown


def test_a_request_received_before_any_posting_shows_no_privacy_version() -> None:
    shown = _set(search_attribute_updates(_view(None), versions_apart=True))
    assert sa.PRIVACY_POLICY_VERSION.name not in shown
    assert shown[sa.DEADLINE_POLICY_VERSION.name] == "2026-11.2"


def test_a_request_started_before_the_patch_keeps_its_attribute() -> None:
    shown = _set(search_attribute_updates(_view(None), versions_apart=False))
    assert shown[sa.LEGACY_POLICY_VERSION.name] == "2026-11.2"
    assert sa.DEADLINE_POLICY_VERSION.name not in shown


def test_every_attribute_is_registered_and_the_names_do_not_mislead() -> None:
    names = {key.name for key in sa.ALL}
    assert {"DsrDeadlinePolicyVersion", "DsrPrivacyPolicyVersion", "DsrPolicyVersion"} <= names


def test_the_current_details_name_both_policies() -> None:
    details = current_details(_view("2026-11-26.0123456789ab"))
    assert "- deadline policy: 2026-11.2" in details
    assert "- privacy policy at receipt: 2026-11-26.0123456789ab" in details
