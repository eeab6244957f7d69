"""Reading the data map (domain/datamap.py) from its YAML file, and a connection's secret
from the variable or file the map names."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.datamap import Connection, DataMap, map_problems


class InvalidDataMap(ValueError):
    """The map cannot be used: `problems` holds one line per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "\n".join(problems))


def read_data_map(path: Path) -> DataMap:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidDataMap(path, ["no such file (DSR_DATASTORES names the data map)"]) from None
    except yaml.YAMLError as error:
        raise InvalidDataMap(path, [f"not YAML: {error}"]) from None
    try:
        return DataMap.model_validate(loaded if loaded is not None else {})
    except ValidationError as error:
        raise InvalidDataMap(path, map_problems(error)) from None


class MissingSecret(LookupError):
    """The variable or file a connection names is not there."""


def secret_of(connection: Connection) -> str:
    """The value a connection names: its variable's, or its file's first line."""
    if connection.env is not None:
        value = os.environ.get(connection.env, "").strip()
        if not value:
            raise MissingSecret(f"the environment variable {connection.env} is not set")
        return value
    assert connection.secret_file is not None
    try:
        return Path(connection.secret_file).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise MissingSecret(f"cannot read {connection.secret_file}: {error.strerror}") from None
