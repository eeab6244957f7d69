"""Which PostgreSQL the service uses: an existing database at DATABASE_URL, or embedded
PostgreSQL (runtime/servers.py) when it is unset.

Each process connects as a role of its own (store/privileges.py): the worker as
DATABASE_URL's, the API as DSR_API_DATABASE_URL's, `dsr-admin setup` as the schema owner's
(DSR_OWNER_DATABASE_URL). On the embedded default the worker makes all three and hands the
in-process API its own."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from runtime.settings.base import Concern, Empty, refused


def _postgres_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("must be a postgresql:// URL, e.g. postgresql://user@host:5432/db")
    return value


PostgresUrl = Annotated[str | None, Empty, AfterValidator(_postgres_url)]


class DatabaseSettings(Concern):
    """PostgreSQL"""

    url: PostgresUrl = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="postgresql:// URL of an existing database as the worker's role "
        "(dsr_worker: appends request events, keeps the working records, never writes "
        "accounts); unset starts embedded PostgreSQL.",
    )
    api_url: PostgresUrl = Field(
        default=None,
        validation_alias="DSR_API_DATABASE_URL",
        description="postgresql:// URL of the same database as the API's role (dsr_api: "
        "takes requests in and serves people and staff; makes accounts only through the "
        "database's functions; never appends request events nor changes a subject's key). "
        "Needed by the API wherever DATABASE_URL is set; unset on the embedded default, "
        "where the worker derives it.",
    )
    owner_url: PostgresUrl = Field(
        default=None,
        validation_alias="DSR_OWNER_DATABASE_URL",
        description="postgresql:// URL of the role that owns the schema and runs the "
        "migrations (`dsr-admin setup`); DATABASE_URL is then the worker's role, which may "
        "append and read events but never change them. Unset with DATABASE_URL set: "
        "one role does both (warned at start-up).",
    )

    @model_validator(mode="after")
    def _owner_with_runtime(self) -> Self:
        if self.owner_url and not self.url:
            raise refused(
                "DSR_OWNER_DATABASE_URL",
                "set DATABASE_URL too (the runtime role); "
                "the embedded default creates its own two "
                "roles",
            )
        return self

    @property
    def embedded(self) -> bool:
        """True when the service starts its own PostgreSQL (DATABASE_URL unset)."""
        return self.url is None
