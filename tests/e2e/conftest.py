"""The end-to-end suite's fixtures: the service run as a process on a folder of the test's
own, killed with whatever it left running when the test is done; and the one browser,
Debian's headless Chromium driven by Playwright (no browser download: `make test` installs
the Debian package)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.service import Service

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    service = Service(tmp_path / "dsr-data")
    yield service
    service.kill()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:  # a browser test that does not run proves nothing
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(tests/e2e/provision-chromium.sh)"
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()
