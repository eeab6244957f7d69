"""Where the organisation's own systems are described: the data map (domain/datamap.py),
read by the worker, `dsr datastores check` and `dsr datastores preview`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from runtime.settings.base import Concern


class DataStoresSettings(Concern):
    """The organisation's systems (data map)"""

    datastores: Path | None = Field(
        default=None,
        validation_alias="DSR_DATASTORES",
        description="The data map (datastores.yaml): the systems holding personal data, "
        "how a subject's rows are found there and what each request does to them "
        "(docs/connectors.md). Unset: <DSR_DATA_DIR>/datastores.yaml when it exists "
        "(`dsr-admin datastores demo` writes one), else requests search the service's own "
        "records only.",
    )
