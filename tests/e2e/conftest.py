"""The end-to-end suite's fixtures: the service run as a process on a folder of the test's
own, killed with whatever it left running when the test is done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.service import Service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    service = Service(tmp_path / "dsr-data")
    yield service
    service.kill()
