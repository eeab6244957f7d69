"""What the organisation holds about a person, judged against the policy: the purposes of
use (Article 3), the footing of each provision (Article 5) and which items are in breach
of the grounds a person may invoke (Article 8). Pure: the store passes the rows in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.requests import SuspensionGround


class Purpose(StrEnum):
    """Article 3: the purposes for which personal information is collected and used."""

    PROVIDE_SERVICE = "provide_service"
    RESPOND_TO_INQUIRIES = "respond_to_inquiries"
    SERVICE_EMAILS = "service_emails"
    IMPORTANT_NOTICES = "important_notices"
    PREVENT_ABUSE = "prevent_abuse"
    ACCOUNT_SELF_SERVICE = "account_self_service"
    BILLING = "billing"


_PURPOSE_IDS = frozenset(p.value for p in Purpose)

INCIDENTAL_PREFIX = "incidental:"
"""Article 3 ends with "Purposes incidental to the above usage purposes": an item recorded
with purpose `incidental:billing` is used for a purpose incidental to billing."""


def within_purpose(purpose: str | None) -> bool:
    """True when a recorded purpose is one of Article 3's, or incidental to one of them.

    An item with no recorded purpose is not shown to be within any purpose, so it counts as
    used beyond purpose: the organisation must be able to say why it uses what it holds.
    """
    if not purpose:
        return False
    named = purpose.removeprefix(INCIDENTAL_PREFIX)
    return named in _PURPOSE_IDS


def purpose_label(purpose: str | None) -> str:
    if not purpose:
        return "no recorded purpose"
    if purpose.startswith(INCIDENTAL_PREFIX):
        return f"incidental to {purpose.removeprefix(INCIDENTAL_PREFIX).replace('_', ' ')}"
    return purpose.replace("_", " ")


@dataclass(frozen=True)
class HeldItem:
    """One item of personal data as the investigation sees it: never its value."""

    item_id: int
    category: str
    field: str
    purpose: str | None
    lawfully_obtained: bool
    suspended: bool = False
    used_at: datetime | None = None  # since when it is used for its purpose
    # Each earlier use, (purpose, since): a relabelled item is judged by them too (Art 8).
    past_uses: tuple[tuple[str | None, datetime], ...] = ()
    # False: held in a form that does not identify the person (Art 6 ¶2), e.g. analytics
    # keyed by a cookie. What is held under the person's identity identifies them (Art 1).
    identifying: bool = True


def breaches(
    item: HeldItem,
    grounds: Iterable[SuspensionGround],
    *,
    within: Callable[[HeldItem], bool] | None = None,
) -> tuple[SuspensionGround, ...]:
    """The grounds of Article 8 ¶1 that this item is found in breach of. `within` judges
    the purpose (an investigation passes the purposes register as it stood when the item
    was used, domain.purposes.PurposeRegister.within_purpose); by default Article 3's
    purposes as the policy lists them."""
    judged = within or (lambda held: within_purpose(held.purpose))
    found: list[SuspensionGround] = []
    for ground in grounds:
        if ground is SuspensionGround.USED_BEYOND_PURPOSE and not judged(item):
            found.append(ground)
        elif ground is SuspensionGround.OBTAINED_WRONGFULLY and not item.lawfully_obtained:
            found.append(ground)
    return tuple(found)


class Relationship(StrEnum):
    """Article 5 ¶2: entrustment, business succession and joint use are not third parties."""

    THIRD_PARTY = "third_party"
    ENTRUSTMENT = "entrustment"
    BUSINESS_SUCCESSION = "business_succession"
    JOINT_USE = "joint_use"

    @property
    def is_third_party(self) -> bool:
        return self is Relationship.THIRD_PARTY


class ProvisionException(StrEnum):
    """Article 5 ¶1: provision without consent that the law permits and a stop request
    does not end."""

    PROTECTION_OF_LIFE_BODY_PROPERTY = "protection_of_life_body_property"
    PUBLIC_HEALTH_OR_CHILDREN = "public_health_or_children"
    COOPERATION_WITH_AUTHORITIES = "cooperation_with_authorities"


class ProvisionBasis(StrEnum):
    """The recorded footing of a provision of a person's data to a partner."""

    CONSENT = "consent"
    OPT_OUT_NOTIFIED = "opt_out_notified"  # Art 5 ¶1, the five matters and the Commission
    PROTECTION_OF_LIFE_BODY_PROPERTY = "protection_of_life_body_property"
    PUBLIC_HEALTH_OR_CHILDREN = "public_health_or_children"
    COOPERATION_WITH_AUTHORITIES = "cooperation_with_authorities"
    NOT_THIRD_PARTY = "not_third_party"  # entrustment, succession, joint use (Art 5 ¶2)

    @property
    def exception(self) -> ProvisionException | None:
        """The Article 5 exception this basis is, if any: only these may continue after
        the person asks for provision to stop."""
        try:
            return ProvisionException(self.value)
        except ValueError:
            return None
