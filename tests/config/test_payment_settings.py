"""The fee's payment method (N9) and the zone of a person's day (N7) as settings."""

from __future__ import annotations

import pytest

from runtime.settings import load_settings
from tests.support.config import refusal

NAMES = ("DSR_PAYMENT_BANK_EN", "DSR_PAYMENT_BANK_JA", "DSR_PAYMENT_URL", "DSR_TIME_ZONE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def test_n9_the_payment_method_is_read_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """N9: the fee request's payment method comes from the settings, in both languages."""
    monkeypatch.setenv("DSR_PAYMENT_BANK_EN", "Mizuho Bank, Shibuya branch, 1234567")
    monkeypatch.setenv("DSR_PAYMENT_BANK_JA", "みずほ銀行 渋谷支店 1234567")
    monkeypatch.setenv("DSR_PAYMENT_URL", "https://pay.example.jp/{invoice_id}")
    method = load_settings().policy.payment_method()
    assert method.bank_transfer_en == "Mizuho Bank, Shibuya branch, 1234567"
    assert method.bank_transfer_ja == "みずほ銀行 渋谷支店 1234567"
    assert method.page("inv-1") == "https://pay.example.jp/inv-1"


def test_n9_unset_means_no_method_and_a_plain_page_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    method = load_settings().policy.payment_method()
    assert (method.bank_transfer_en, method.bank_transfer_ja, method.url) == (None, None, None)
    assert "https://" in refusal(monkeypatch, "DSR_PAYMENT_URL", "http://pay.example.jp/")


def test_n7_a_persons_day_is_in_the_notices_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """N7: the window runs to the end of the day in the zone the notices write dates in."""
    assert load_settings().policy.deadline_policy().subject_zone == "Asia/Tokyo"
    monkeypatch.setenv("DSR_TIME_ZONE", "Europe/Berlin")
    assert load_settings().policy.deadline_policy().subject_zone == "Europe/Berlin"


def test_n8_the_reply_to_mailbox_applies_with_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """N8: the monitored Reply-To (DSR_MAIL_REPLY_TO) is an SMTP setting, refused without."""
    monkeypatch.delenv("DSR_MAIL", raising=False)
    assert "only with DSR_MAIL=smtp" in refusal(
        monkeypatch, "DSR_MAIL_REPLY_TO", "privacy@example.jp"
    )
    monkeypatch.setenv("DSR_MAIL", "smtp")
    monkeypatch.setenv("DSR_SMTP_HOST", "smtp.example.jp")
    monkeypatch.setenv("DSR_MAIL_FROM", "noreply@example.jp")
    assert load_settings().mail.reply_to == "privacy@example.jp"
