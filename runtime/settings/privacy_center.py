"""How much the privacy center takes from one client address and from everyone at once
(review N8): forms that ask for a code and codes entered, as rates in the `limits`
library's notation (`5/minute;30/hour`), and how many wrong codes and codes one address
may have."""

from __future__ import annotations

from limits import parse_many
from pydantic import Field, field_validator

from runtime.settings.base import Concern


class PrivacyCenterSettings(Concern):
    """Privacy center limits"""

    forms_per_client: str = Field(
        default="10/minute;60/hour",
        validation_alias="DSR_PC_FORMS_PER_CLIENT",
        description="Forms asking for a one-time code (a request's form, the contact form) "
        "one client address may send, as `N/minute;M/hour`; more are answered 429 with "
        "`Retry-After`, and nothing is written for them.",
    )
    forms_overall: str = Field(
        default="120/minute",
        validation_alias="DSR_PC_FORMS_OVERALL",
        description="The same, from every client address together.",
    )
    codes_per_client: str = Field(
        default="20/minute;100/hour",
        validation_alias="DSR_PC_CODES_PER_CLIENT",
        description="Codes one client address may enter (right or wrong); more are "
        "answered 429 with `Retry-After`.",
    )
    codes_overall: str = Field(
        default="300/minute",
        validation_alias="DSR_PC_CODES_OVERALL",
        description="The same, from every client address together.",
    )
    wrong_codes_per_address: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias="DSR_PC_WRONG_CODES_PER_ADDRESS",
        description="Wrong codes, over all of one e-mail address's challenges within a "
        "day, after which every open challenge of that address is locked (each challenge "
        "also locks after its own third wrong code).",
    )
    codes_per_address_per_day: int = Field(
        default=10,
        ge=1,
        le=1000,
        validation_alias="DSR_PC_CODES_PER_ADDRESS_PER_DAY",
        description="One-time codes one e-mail address may be sent within a day (and "
        "at most 5 within an hour), whether or not it is registered.",
    )

    @field_validator("forms_per_client", "forms_overall", "codes_per_client", "codes_overall")
    @classmethod
    def _rates(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a rate like `5/minute;30/hour`: {error}") from None
        return value
