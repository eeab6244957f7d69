"""Article 5: a stop request names a recipient as the disclosure names it
(domain/recipients.py)."""

from __future__ import annotations

from domain.recipients import match_recipients

RECIPIENTS = {
    "ad-network-1": "Ad Network Inc.",
    "data-broker-2": "Data Broker Co., Ltd.",
    "jp-ads": "株式会社アドネット",
}


def test_c13_a_name_differing_only_in_trailing_punctuation_matches() -> None:
    """C13 (review of issue 24): "Ad Network Inc" names "Ad Network Inc." and
    「株式会社アドネット。」 names 「株式会社アドネット」; punctuation inside a name still counts,
    and a text that names nobody is told back as it was written."""
    named = match_recipients(
        ["Ad Network Inc", "data broker co., ltd", "株式会社アドネット。", "Data Broker Co Ltd"],
        RECIPIENTS,
    )
    assert named.partner_ids == ("ad-network-1", "data-broker-2", "jp-ads")
    assert named.unmatched == ("Data Broker Co Ltd",)
    assert match_recipients(["ad network inc. !"], RECIPIENTS).partner_ids == ("ad-network-1",)
    assert match_recipients(["..."], RECIPIENTS).unmatched == ("...",)
