"""What is held, judged against the policy: the purposes of use (Article 3), the items in
breach of Article 8's grounds, and the footing of each provision (Article 5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.holdings import (
    INCIDENTAL_PREFIX,
    HeldItem,
    ProvisionBasis,
    ProvisionException,
    Purpose,
    Relationship,
    breaches,
    purpose_label,
    within_purpose,
)
from domain.requests import SuspensionGround

BEYOND = SuspensionGround.USED_BEYOND_PURPOSE
WRONGFUL = SuspensionGround.OBTAINED_WRONGFULLY


def test_art3_the_seven_purposes_of_use() -> None:
    """Art 3: "The Organization collects and uses personal information for the following
    purposes" - seven, from providing the service to billing usage fees."""
    assert {p.value for p in Purpose} == {
        "provide_service",
        "respond_to_inquiries",
        "service_emails",
        "important_notices",
        "prevent_abuse",
        "account_self_service",
        "billing",
    }


@pytest.mark.parametrize("purpose", list(Purpose))
def test_art3_each_purpose_and_its_incidental_purposes_are_within(purpose: Purpose) -> None:
    """Art 3: the listed purposes and "Purposes incidental to the above usage purposes"."""
    assert within_purpose(purpose.value) is True
    assert within_purpose(f"{INCIDENTAL_PREFIX}{purpose.value}") is True
    assert within_purpose(f"incidental:{purpose.value}") is True


@pytest.mark.parametrize(
    "purpose",
    [
        None,
        "",
        "marketing_resale",
        "incidental:unknown",
        "incidental:",
        "Billing",
        "billing ",
        "incidental:incidental:billing",
        "incidental_billing",
    ],
)
def test_art3_anything_else_is_beyond_purpose(purpose: str | None) -> None:
    """Art 3: "collects and uses personal information for the following purposes" - an
    unknown purpose, or none recorded, is not shown to be one of them."""
    assert within_purpose(purpose) is False


@given(st.text(max_size=40))
def test_art3_within_purpose_means_a_named_purpose(purpose: str) -> None:
    """Art 3: "for the following purposes" and "Purposes incidental to" them, nothing else."""
    named = purpose.removeprefix("incidental:")
    assert within_purpose(purpose) is (named in {p.value for p in Purpose})


def test_art3_purpose_labels() -> None:
    """Art 3: "Purposes incidental to the above usage purposes" reads as such."""
    assert purpose_label("billing") == "billing"
    assert purpose_label("incidental:service_emails") == "incidental to service emails"
    assert purpose_label(None) == "no recorded purpose"
    assert purpose_label("") == "no recorded purpose"


def item(purpose: str | None = "billing", lawful: bool = True) -> HeldItem:
    return HeldItem(
        item_id=1, category="contact", field="email", purpose=purpose, lawfully_obtained=lawful
    )


@pytest.mark.parametrize(
    ("held", "grounds", "found"),
    [
        (item(), (BEYOND, WRONGFUL), ()),
        (item(purpose="incidental:billing"), (BEYOND,), ()),
        (item(purpose="resale"), (BEYOND,), (BEYOND,)),
        (item(purpose=None), (BEYOND,), (BEYOND,)),
        (item(purpose="resale"), (WRONGFUL,), ()),
        (item(lawful=False), (WRONGFUL,), (WRONGFUL,)),
        (item(lawful=False), (BEYOND,), ()),
        (item(purpose=None, lawful=False), (BEYOND, WRONGFUL), (BEYOND, WRONGFUL)),
        (item(purpose=None, lawful=False), (WRONGFUL, BEYOND), (WRONGFUL, BEYOND)),
        (item(purpose=None, lawful=False), (), ()),
    ],
)
def test_art8_p1_breaches_only_on_the_grounds_given(
    held: HeldItem, grounds: tuple[SuspensionGround, ...], found: tuple[SuspensionGround, ...]
) -> None:
    """Art 8 ¶1: "on the grounds that personal information is being handled beyond the
    scope of the purpose of use or that it was obtained by wrongful means" - each ground is
    judged on its own, and only those the person gave."""
    assert breaches(held, grounds) == found


def test_art8_p1_suspension_does_not_clear_a_breach() -> None:
    """Art 8 ¶1: "obtained by wrongful means" stays true of an item once suspended."""
    suspended = HeldItem(
        item_id=2,
        category="history",
        field="visits",
        purpose=None,
        lawfully_obtained=False,
        suspended=True,
    )
    assert breaches(suspended, (BEYOND, WRONGFUL)) == (BEYOND, WRONGFUL)


def test_art5_p1_exactly_three_exceptions_survive_a_stop_request() -> None:
    """Art 5 ¶1: "When it is necessary for the protection of a person's life, body, or
    property", "to improve public health or promote the sound growth of children", "to
    cooperate with a national agency, a local government"."""
    basis, exception = ProvisionBasis, ProvisionException
    assert {b: b.exception for b in ProvisionBasis} == {
        basis.CONSENT: None,
        basis.OPT_OUT_NOTIFIED: None,
        basis.NOT_THIRD_PARTY: None,
        basis.PROTECTION_OF_LIFE_BODY_PROPERTY: exception.PROTECTION_OF_LIFE_BODY_PROPERTY,
        basis.PUBLIC_HEALTH_OR_CHILDREN: exception.PUBLIC_HEALTH_OR_CHILDREN,
        basis.COOPERATION_WITH_AUTHORITIES: exception.COOPERATION_WITH_AUTHORITIES,
    }
    assert len(ProvisionException) == 3


def test_art5_p1_public_health_is_named_with_children() -> None:
    """Art 5 ¶1: "to improve public health or promote the sound growth of children" is one
    exception, named `public_health_or_children`; the old `public_health` is gone."""
    values = {b.value for b in ProvisionBasis} | {e.value for e in ProvisionException}
    assert "public_health_or_children" in values
    assert "public_health" not in values
    with pytest.raises(ValueError):
        ProvisionBasis("public_health")
    with pytest.raises(ValueError):
        ProvisionException("public_health")


def test_art5_p2_only_third_parties_are_third_parties() -> None:
    """Art 5 ¶2: entrustment, "business succession caused by merger" and joint use - "the
    party receiving the said information shall not be deemed to be a third party"."""
    assert [r for r in Relationship if r.is_third_party] == [Relationship.THIRD_PARTY]
    assert {r.value for r in Relationship if not r.is_third_party} == {
        "entrustment",
        "business_succession",
        "joint_use",
    }
