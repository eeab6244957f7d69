"""The organisation's rules that the service applies: the deadline policy's durations and
the time zone notices are written in (domain/deadlines.py)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from domain.deadlines import DeadlinePolicy, parse_overrides, policy_with
from domain.payments import PaymentMethod
from runtime.settings.base import Concern, Unset


def _deadline_overrides(value: str) -> str:
    parse_overrides(value)
    return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value[:60]!r}; use an IANA name such as Asia/Tokyo"
        ) from None
    return value


def _payment_url(value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ValueError(f"must be an https:// address (got {value[:60]!r})")
    return value


class PolicySettings(Concern):
    """Deadlines and time zone"""

    deadlines: Annotated[str, AfterValidator(_deadline_overrides)] = Field(
        default="",
        validation_alias="DSR_DEADLINES",
        description="Overrides of the deadline policy's durations, e.g. answer=7d,decide=36h.",
    )
    time_zone: Annotated[str, AfterValidator(_known_zone)] = Field(
        default="Asia/Tokyo",
        validation_alias="DSR_TIME_ZONE",
        description="The organisation's time zone: dates in notices are written in it.",
    )

    payment_bank_en: Annotated[str | None, Unset] = Field(
        default=None,
        max_length=500,
        validation_alias="DSR_PAYMENT_BANK_EN",
        description="Bank transfer details for the disclosure fee, in English (bank, branch, "
        "account type and number, holder); the fee request gives them with the invoice id as "
        "the reference.",
    )
    payment_bank_ja: Annotated[str | None, Unset] = Field(
        default=None,
        max_length=500,
        validation_alias="DSR_PAYMENT_BANK_JA",
        description="The same in Japanese; unset: the English details in Japanese notices.",
    )
    payment_url: Annotated[str | None, Unset, AfterValidator(_payment_url)] = Field(
        default=None,
        validation_alias="DSR_PAYMENT_URL",
        description="A page where the fee can be paid, e.g. https://pay.example.jp/{invoice_id} "
        "({invoice_id} is replaced). None of the three set: the fee request tells the person "
        "to ask for the bank details through the privacy center's inquiry form.",
    )

    def deadline_policy(self) -> DeadlinePolicy:
        # A person's window runs to the end of the day in the zone the notices name it in.
        policy = policy_with(parse_overrides(self.deadlines))
        return policy.model_copy(update={"subject_zone": self.time_zone})

    def payment_method(self) -> PaymentMethod:
        return PaymentMethod(
            bank_transfer_en=self.payment_bank_en,
            bank_transfer_ja=self.payment_bank_ja,
            url=self.payment_url,
        )

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
