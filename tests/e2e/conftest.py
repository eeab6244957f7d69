"""The one browser of the end-to-end tests: Debian's headless Chromium, driven by
Playwright (no browser download: `make test` installs the Debian package)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:  # a browser test that does not run proves nothing
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(tests/e2e/provision-chromium.sh)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            await chromium.close()
