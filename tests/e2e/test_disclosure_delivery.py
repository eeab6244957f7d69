"""Article 6 delivered through the privacy center, in a real browser (review item 36:
"disclosures sent bank and card data in plain e-mail"). The real service decides and
discloses a request made with `dsr`; the outcome e-mail in the maildrop links to the
disclosure and carries no value; the person opens the link, asks for a code, reads it
from the maildrop, enters it, sees the items and downloads them. Without the code, and
after the link expired, the page shows nothing of them."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from domain.requests import workflow_id_for
from tests.e2e.test_privacy_center import CenterService
from tests.support.builders import submission
from tests.support.service import count
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e

ADDRESS = "taro.disclosure@example.jp"
CARD = "4111 1111 1111 1111"
BANK = "MUFG 0001 1234567"
LICENCE = "DL-123456789012"
VALUES = (CARD, BANK, LICENCE)


@pytest.fixture
def center_service(tmp_path: Path) -> Iterator[CenterService]:
    service = CenterService(tmp_path / "dsr-data")
    yield service
    service.kill()


def _loaded(service: CenterService, tmp_path: Path, subject_id: str) -> None:
    inventory = tmp_path / "inventory.json"
    items = [
        ("financial", "card_number", CARD, "billing"),
        ("financial", "bank_account", BANK, "billing"),
        ("identity", "driver_licence", LICENCE, "provide_service"),
    ]
    inventory.write_text(
        json.dumps(
            {
                "subjects": [
                    {
                        "subject_id": subject_id,
                        "name": "Taro Suzuki",
                        "email": ADDRESS,
                        "items": [
                            {
                                "category": c,
                                "field": f,
                                "value": v,
                                "purpose": p,
                                "lawfully_obtained": True,  # N17 made it required (C1)
                            }
                            for c, f, v, p in items
                        ],
                    }
                ]
            }
        )
    )
    loaded = service.dsr("inventory", "load", str(inventory))
    assert loaded.returncode == 0, loaded.stderr


async def _disclosed(service: CenterService, tmp_path: Path, rid: str, subject_id: str) -> None:
    """The request submitted, verified, decided in full, paid: the service discloses."""
    request_file = tmp_path / "disclosure.json"
    request_file.write_text(
        json.dumps(
            submission(
                "disclosure",
                rid,
                subject_id,
                name="Taro Suzuki",
                email=ADDRESS,
                details={"categories": ["identity", "financial"]},
            )
        )
    )
    submitted = service.dsr("submit", "--json", str(request_file))
    assert submitted.returncode == 0, submitted.stderr

    async def step() -> dict:
        shown = service.dsr("--output", "json", "status", rid)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    operator = {"DSR_TOKEN": service.account("op-1", "operator")}
    cashier = {"DSR_TOKEN": service.account("cash-1", "cashier")}
    await eventually(step, lambda view: view["step"] == "verify_identity", within=30)
    acted = service.dsr("verify-identity", rid, "--method", "document_check", env=operator)
    assert acted.returncode == 0, acted.stderr
    await eventually(step, lambda view: view["step"] == "decide", within=30)
    acted = service.dsr("decide", rid, "--outcome", "disclosed_in_full", env=operator)
    assert acted.returncode == 0, acted.stderr
    await eventually(step, lambda view: view["step"] == "payment", within=30)
    acted = service.dsr(
        "record-payment",
        rid,
        "--invoice",
        f"inv-{rid}",
        "--amount",
        "1000",
        "--reference",
        "bank-transfer-1",
        env=cashier,
    )
    assert acted.returncode == 0, acted.stderr
    await eventually(step, lambda view: view["status"] == "closed", within=30)


async def _code(service: CenterService) -> str:
    [mail] = await eventually(
        lambda: _mails(service, "pc-code-"), lambda found: len(found) == 1, within=20
    )
    assert mail["to"] == ADDRESS  # the address on record
    return re.search(r"^\s+(\d{6})$", mail["body"], re.MULTILINE).group(1)


def _none_of(text: str) -> bool:
    return not any(value in text for value in VALUES)


async def _mails(service: CenterService, prefix: str) -> list[dict[str, str]]:
    return service.mails(prefix)


async def test_item36_a_person_opens_the_disclosure_from_the_email_and_downloads_it(
    center_service: CenterService, browser: Browser, tmp_path: Path, unique: str
) -> None:
    """Item 36 (R "O disclosed_full lists the values"): the outcome e-mail carries the
    link and its expiry, not the card number, bank account or licence number; the page
    shows them only after the code from the maildrop, and downloads them as JSON."""
    await center_service.start()
    subject_id, rid = f"subj-dd-{unique}", f"dd-{unique}"
    _loaded(center_service, tmp_path, subject_id)
    await _disclosed(center_service, tmp_path, rid, subject_id)

    outcome = json.loads(
        (
            center_service.data_dir / "maildrop" / f"{workflow_id_for(rid)}%3Anotice%3Aoutcome.json"
        ).read_text()
    )
    assert outcome["to"] == ADDRESS
    assert not any(value in outcome["body"] for value in VALUES), outcome["body"]
    assert "The link can be used until" in outcome["body"]
    link = re.search(r"http://\S+/disclosure/[A-Za-z0-9_-]{43}", outcome["body"]).group(0)
    assert link.startswith(center_service.url)

    # Without the code: nothing of the items, on the page or behind the download's URL.
    stranger = await (await browser.new_context(locale="en-US")).new_page()
    await stranger.goto(link)
    assert _none_of(await stranger.content())
    await stranger.goto(link + "/disclosure.json")
    assert _none_of(await stranger.content())

    context = await browser.new_context(locale="en-US", accept_downloads=True)
    page = await context.new_page()
    await page.goto(link)
    assert "Your disclosure" in await page.inner_text("h1")
    assert _none_of(await page.content())
    await page.click("#send-code")
    await page.wait_for_url(re.compile(r"/verify/"))
    await page.fill("#code", await _code(center_service))
    await page.click("#confirm")
    await page.wait_for_selector("#items")
    shown = await page.inner_text("#items")
    assert all(value in shown for value in VALUES), shown
    assert "(use suspended)" not in shown
    # Each item named in words with its purpose in the register's words (Article 3).
    assert "Credit card number" in shown and "To bill users for usage fees" in shown, shown

    async with page.expect_download() as started:
        await page.click("#download-json")
    download = await started.value
    saved = tmp_path / "disclosure.json"
    await download.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["request_id"] == rid
    assert sorted((i["category"], i["field"], i["value"]) for i in document["items"]) == [
        ("financial", "bank_account", BANK),
        ("financial", "card_number", CARD),
        ("identity", "driver_licence", LICENCE),
        ("identity", "name", "Taro Suzuki"),  # the inventory's own item of the subject
    ]
    async with page.expect_download() as printed:
        await page.click("#download-print")
    printable = tmp_path / "disclosure.html"
    await (await printed.value).save_as(printable)
    assert all(value in printable.read_text(encoding="utf-8") for value in VALUES)
    await page.screenshot(path=str(tmp_path / "disclosure.png"))

    opened = await count(
        center_service,
        "SELECT count(*) FROM request_events WHERE request_id = $1"
        " AND type IN ('disclosure.opened', 'disclosure.downloaded')",
        rid,
    )
    assert opened == 3

    # The link's period passes (the rule is domain/disclosure_delivery.link_state): the
    # browser that opened it sees nothing of the items any more.
    moved = await count(
        center_service,
        "WITH moved AS (UPDATE privacy_center_disclosure_links"
        " SET issued_at = now() - interval '31 days', expires_at = now() - interval '1 day'"
        " WHERE request_id = $1 RETURNING 1) SELECT count(*) FROM moved",
        rid,
    )
    assert moved == 1
    await page.goto(link)
    assert "expired" in await page.inner_text("#note")
    assert _none_of(await page.content())
    assert await page.locator("#send-code").count() == 0

    assert center_service.stop(signal.SIGINT) == 0
