"""The data map: where the organisation holds personal data, and what a request does there.

`datastores.yaml` (its path is the setting DSR_DATASTORES) names each system the
organisation keeps personal data in, how a subject's rows are found in each of its
collections (from the subject's identities, or through another collection's key), and for
every mapped field: its category (Article 6), its purposes of use (Article 3), whether it
identifies the person, and what an erasure, a suspension of use and a correction do there.

Pure: connectors/datamap_file.py reads the file, `DataMap.model_validate` checks it; a
connection is named by an environment variable or a secret file, never written in the map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.field_vocabulary import is_identification_code
from domain.requests import DataCategory

NAME = r"^[a-z][a-z0-9_-]{0,62}$"
"""A system's, a collection's or a field's name in the map: safe to show and to log."""

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$"
"""A table (optionally schema-qualified) or a column in the system itself."""

PURPOSE = r"^(incidental:)?[a-z][a-z0-9_]{0,62}$"


class SystemKind(StrEnum):
    POSTGRES = "postgres"  # asyncpg: one transaction per request's part
    HTTP = "http"  # a SaaS or in-house service: URL templates per operation
    MANUAL = "manual"  # no API: its owner finds and acts, and confirms by a signed act


class Identity(StrEnum):
    """What a subject is known by, and a system's rows can be found from."""

    SUBJECT_ID = "subject_id"  # the organisation's user id (the request's subject)
    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_NUMBER = "customer_number"


class Erasure(StrEnum):
    SET_NULL = "set_null"
    MASK = "mask"  # replaced by MASK_TEXT: for a column that may not be null
    DELETE_ROW = "delete_row"
    REFUSE = "refuse"  # kept, for the reason the field's `reason` states


class Suspension(StrEnum):
    FLAG = "flag"  # the collection's `suspension_flag` column is set on the row
    REFUSE = "refuse"


class Correction(StrEnum):
    UPDATE = "update"
    REFUSE = "refuse"


MASK_TEXT = "[erased]"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Connection(_Strict):
    """Where the connection's secret is read from: an environment variable or a file."""

    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    secret_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.env is None) == (self.secret_file is None):
            raise ValueError("give exactly one of `env` (a variable's name) or `secret_file`")
        return self


class FieldRule(_Strict):
    """One mapped field: where it is, what it is, and what each request does to it."""

    column: str = Field(pattern=IDENTIFIER)
    category: DataCategory
    purposes: tuple[Annotated[str, Field(pattern=PURPOSE)], ...] = Field(min_length=1)
    identifies: bool = False
    # False: the system holds the field in a form that does not identify the person
    # (analytics keyed by a cookie, say); Article 6 ¶2 leaves it out of a disclosure.
    identifying: bool = True
    # The name a correction request gives the field (`email`, `phone`, ...).
    as_field: str | None = Field(default=None, alias="as", pattern=NAME)
    # Article 8: whether the system obtained the field lawfully; required, as in the
    # inventory (domain/inventory.py): a field is not presumed lawfully obtained (C9).
    lawfully_obtained: bool
    erasure: Erasure = Erasure.SET_NULL
    suspension: Suspension = Suspension.FLAG
    correction: Correction = Correction.UPDATE
    reason: str | None = Field(default=None, max_length=300)  # why a `refuse` refuses

    @model_validator(mode="after")
    def _identification_code_identifies(self) -> Self:
        # Article 1: a personal identification code identifies the person by itself, so
        # it is never held "in a form that does not identify" them (old item 37).
        if not self.identifying and is_identification_code(self.as_field or self.column):
            raise ValueError(
                f"{self.as_field or self.column} is a personal identification code "
                "(Article 1): it identifies the person by itself, so `identifying` is true"
            )
        return self

    @model_validator(mode="after")
    def _refusal_has_reason(self) -> Self:
        refuses = (
            self.erasure is Erasure.REFUSE
            or self.suspension is Suspension.REFUSE
            or self.correction is Correction.REFUSE
        )
        if refuses and not self.reason:
            raise ValueError(
                "a field that refuses an erasure, suspension or correction "
                "needs a `reason` the notice can state"
            )
        return self


class IdentityMatch(_Strict):
    column: str = Field(pattern=IDENTIFIER)
    identity: Identity


class Through(_Strict):
    """A collection reached from another one: its `column` holds the other's `references`."""

    collection: str = Field(pattern=NAME)
    column: str = Field(pattern=IDENTIFIER)
    references: str = Field(pattern=IDENTIFIER)


class Collection(_Strict):
    """A table of a database, or a kind of record of a service."""

    table: str | None = Field(default=None, pattern=IDENTIFIER)  # default: the name
    key: str = Field(default="id", pattern=IDENTIFIER)  # the row's primary key column
    identities: tuple[IdentityMatch, ...] = ()
    through: Through | None = None
    suspension_flag: str | None = Field(default=None, pattern=IDENTIFIER)
    # Columns a row must keep to stay reachable (read by `through`), besides its key.
    fields: dict[Annotated[str, Field(pattern=NAME)], FieldRule] = Field(min_length=1)

    def table_of(self, name: str) -> str:
        return self.table or name


class System(_Strict):
    kind: SystemKind
    description: str = Field(default="", max_length=300)
    connection: Connection | None = None  # postgres: its DSN; http: its base URL
    auth: Connection | None = None  # http: the Authorization header's value
    owner: str | None = Field(default=None, pattern=NAME)  # a manual system's owner account
    concurrency: int = Field(default=4, ge=1, le=64)  # parallel calls to it, per worker
    operations: dict[Literal["collect", "erase", "suspend", "correct"], str] = Field(
        default_factory=dict
    )  # http: "METHOD /path/{identity}" per operation
    collections: dict[Annotated[str, Field(pattern=NAME)], Collection] = Field(min_length=1)

    @model_validator(mode="after")
    def _kind_needs(self) -> Self:
        if self.kind is SystemKind.MANUAL:
            if self.owner is None:
                raise ValueError("a manual system names its `owner` (an account)")
        elif self.connection is None:
            raise ValueError(f"a {self.kind.value} system needs a `connection`")
        if self.kind is SystemKind.HTTP and "collect" not in self.operations:
            raise ValueError("an http system needs `operations.collect`")
        for name, collection in self.collections.items():
            if (
                collection.suspension_flag is None
                and any(f.suspension is Suspension.FLAG for f in collection.fields.values())
                and self.kind is SystemKind.POSTGRES
            ):
                raise ValueError(
                    f"collection {name}: a field suspended by `flag` needs the collection's "
                    "`suspension_flag` column (or `suspension: refuse` with a reason)"
                )
        list(self.walk())  # every collection reached, no cycle
        return self

    def walk(self) -> Iterator[tuple[str, Collection]]:
        """The collections in dependency order: those found from identities first, then
        each after the collection it is reached through."""
        placed: dict[str, Collection] = {}
        pending = dict(self.collections)
        while pending:
            ready = [
                name
                for name, c in pending.items()
                if (c.through is None and c.identities)
                or (c.through is not None and c.through.collection in placed)
            ]
            if not ready:
                raise ValueError(_unreached(pending, self.collections))
            for name in ready:
                placed[name] = pending.pop(name)
                yield name, placed[name]


def _unreached(pending: dict[str, Collection], collections: dict[str, Collection]) -> str:
    """Why the collections left cannot be reached: the most telling problem first (one no
    identity reaches, then a `through` to nothing), a cycle only when neither is found."""
    for name, c in pending.items():
        if c.through is None:
            return f"collection {name}: no identity reaches it (give `identities` or `through`)"
    for name, c in pending.items():
        if c.through is not None and c.through.collection not in collections:
            return (
                f"collection {name}: `through` names {c.through.collection!r}, which is not "
                "a collection of this system"
            )
    return f"collections {', '.join(pending)}: `through` forms a cycle"


class DataMap(_Strict):
    """The organisation's systems holding personal data, by name."""

    version: Literal[1] = 1
    systems: dict[Annotated[str, Field(pattern=NAME)], System] = Field(default_factory=dict)

    def system(self, name: str) -> System:
        try:
            return self.systems[name]
        except KeyError:
            raise LookupError(f"system {name!r} is not in the data map") from None


# What a field must say, and why, when the map leaves it out.
REQUIRED = {
    "lawfully_obtained": "is required: true, or false for a field obtained by wrongful means "
    "(Article 8); a field is not presumed lawfully obtained",
}


def map_problems(error: ValidationError) -> list[str]:
    """One clear line per problem of a map that does not validate, with where it is."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = re.sub(r"^Value error, ", "", problem["msg"])
        if problem["type"] == "enum":
            message = f"{problem['input']!r} is not one of: {problem['ctx']['expected']}"
        elif problem["type"] == "extra_forbidden":
            message = "is not a key the map knows"
        elif problem["type"] == "missing" and problem["loc"][-1] in REQUIRED:
            message = REQUIRED[str(problem["loc"][-1])]
        lines.append(f"{where}: {message}" if where else message)
    return lines
