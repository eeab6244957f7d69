"""What every concern's settings share: read from the environment under the variables'
own names, a blank value meaning unset, and refusals that name the variable."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


class Concern(BaseSettings):
    """One concern's variables. Each field names its variable (validation_alias) and says
    what it does (description): docs/configuration.md is made from them."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=True, extra="ignore")


def refused(variable: str, message: str) -> ValidationError:
    """A refusal of `variable` from a rule that spans fields (a model validator): pydantic
    keeps its location, so the one line still starts with the variable's name."""
    # The message is a template to PydanticCustomError: braces would be read as fields.
    template = message.replace("{", "{{").replace("}", "}}")
    return ValidationError.from_exception_data(
        "Settings",
        [
            InitErrorDetails(
                type=PydanticCustomError("settings", template), loc=(variable,), input=None
            )
        ],
    )


def _blank_is_unset(value: object) -> object:
    # As compose writes an optional variable (${TEMPORAL_API_KEY:-}): the default holds.
    if isinstance(value, str) and value.strip() == "":
        raise PydanticUseDefault()
    return value


def _empty_is_unset(value: object) -> object:
    if value == "":
        raise PydanticUseDefault()
    return value


def _true_or_false(value: object) -> object:
    """true/false/1/0 in any case, as temporalio.envconfig (and the `temporal` CLI) reads
    them; anything else it would quietly ignore, so it is refused here."""
    if not isinstance(value, str):
        return value
    _blank_is_unset(value)
    if value.lower() not in ("true", "false", "1", "0"):
        raise ValueError(f"must be true or false (got {value[:20]!r})")
    return value.lower() in ("true", "1")


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(
            f"must be an IP address such as 127.0.0.1 or 0.0.0.0 (got {value[:60]!r})"
        ) from None
    return value


def host_port(host: str, port: int) -> str:
    """host:port for an IP address, with an IPv6 address in brackets."""
    address = ipaddress.ip_address(host)
    return f"{f'[{address}]' if address.version == 6 else address}:{port}"


# A blank value (or only spaces) is the field's default.
Unset = BeforeValidator(_blank_is_unset)
# An empty value is the field's default; spaces are a value, and refused as one.
Empty = BeforeValidator(_empty_is_unset)
# A boolean as envconfig spells it; blank is the field's default.
EnvBool = BeforeValidator(_true_or_false)
IpAddress = Annotated[str, AfterValidator(_ip_address)]
