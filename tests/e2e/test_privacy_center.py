"""A person in a real browser (Debian's Chromium, driven by Playwright) uses the privacy
center of the real service: `worker.py` serving the app on DSR_API_PORT, a subject loaded
with `dsr inventory load`, the codes and links read from the maildrop as a mail relay
would."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from runtime.servers import free_port
from tests.support.service import Service
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e

ADDRESS = "hanako.browser@example.jp"


class CenterService(Service):
    """The service with its HTTP app on a port of its own."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.api_port = free_port()
        self.env["DSR_API_PORT"] = str(self.api_port)
        self.env.pop("DSR_PUBLIC_URL", None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def mails(self, prefix: str) -> list[dict[str, str]]:
        folder = self.data_dir / "maildrop"
        if not folder.exists():
            return []
        found = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
        return [m for m in found if m["message_id"].startswith(prefix)]


@pytest.fixture
def center_service(tmp_path: Path) -> Iterator[CenterService]:
    service = CenterService(tmp_path / "dsr-data")
    yield service
    service.kill()


async def _code_for(service: CenterService, seen: int) -> str:
    mails = await eventually(
        lambda: _mails(service, "pc-code-"), lambda found: len(found) > seen, within=20
    )
    newest = max(
        mails,
        key=lambda m: (
            (service.data_dir / "maildrop").joinpath(f"{m['message_id']}.json").stat().st_mtime
        ),
    )
    assert newest["to"] == ADDRESS
    return re.search(r"^\s+(\d{6})$", newest["body"], re.MULTILINE).group(1)


async def _mails(service: CenterService, prefix: str) -> list[dict[str, str]]:
    return service.mails(prefix)


async def test_a_person_submits_a_disclosure_and_follows_it(
    center_service: CenterService, browser: Browser, tmp_path: Path
) -> None:
    await center_service.start()
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "subjects": [
                    {
                        "subject_id": "user-browser",
                        "name": "Hanako Yamada",
                        "email": ADDRESS,
                        "items": [
                            {
                                "category": "contact",
                                "field": "phone",
                                "value": "+81 90-0000-0000",
                                "purpose": "important_notices",
                                "lawfully_obtained": True,
                            }
                        ],
                    }
                ]
            }
        )
    )
    loaded = center_service.dsr("inventory", "load", str(inventory))
    assert loaded.returncode == 0, loaded.stderr

    page = await (await browser.new_context(locale="en-US")).new_page()
    await page.goto(center_service.url + "/")
    assert "Privacy center" in await page.title()
    await page.click("text=日本語")
    assert await page.locator("html").get_attribute("lang") == "ja"
    await page.click("#kind-disclosure")
    await page.fill("#name", "山田花子")
    await page.fill("#email", ADDRESS)
    await page.check("input[value=contact]")
    await page.click("#send")
    await page.wait_for_load_state()
    assert "/verify/" in page.url, (page.url, await page.inner_text("main"))
    assert "確認コード" in await page.inner_text("h1")

    code = await _code_for(center_service, 0)
    await page.fill("#code", code)
    await page.click("#confirm")
    await page.wait_for_selector("#done")
    confirmation = await page.inner_text("main")
    assert "お申し出を受け付けました" in confirmation
    request_id = re.search(r"pc-[0-9a-f]{20}", confirmation).group(0)

    [link_mail] = await eventually(
        lambda: _mails(center_service, "pc-status-"), lambda found: len(found) == 1
    )
    assert link_mail["to"] == ADDRESS and request_id in link_mail["body"]
    link = re.search(r"http://\S+/status/\S+", link_mail["body"]).group(0)
    assert link.startswith(center_service.url)
    status = await (await browser.new_context()).new_page()  # as from the mail, elsewhere
    await status.goto(link)
    assert await status.inner_text("#reference") == request_id
    assert "開示請求" in await status.inner_text("#kind")
    # The code verified the person: the request is past identity verification.
    await eventually(
        lambda: _step_text(status, link),
        lambda step: step not in ("", "ご本人確認の期間"),
        within=30,
    )
    unknown = await status.goto(center_service.url + "/status/" + "x" * 43)
    assert unknown.status == 404

    # Another person, three wrong codes: refused and locked.
    page2 = await (await browser.new_context(locale="en-US")).new_page()
    await page2.goto(center_service.url + "/request/inquiry?lang=en")
    await page2.fill("#name", "Hanako Yamada")
    await page2.fill("#email", ADDRESS)
    await page2.fill("#text", "Which partners receive my data?")
    await page2.click("#send")
    await page2.wait_for_url(re.compile(r"/verify/"))
    right = await _code_for(center_service, 1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for left in ("2", "1"):
        await page2.fill("#code", wrong)
        await page2.click("#confirm")
        await page2.wait_for_selector("#note")
        assert f"try {left} more time(s)" in await page2.inner_text("#note")
    await page2.fill("#code", wrong)
    await page2.click("#confirm")
    await page2.wait_for_selector("#note")
    assert "locked for 15 minutes" in await page2.inner_text("#note")
    assert await page2.locator("#code").count() == 0
    await page2.screenshot(path=str(tmp_path / "locked.png"))

    assert center_service.stop(signal.SIGINT) == 0


async def _step_text(page, link: str) -> str:
    await page.goto(link)
    return await page.inner_text("#step")
