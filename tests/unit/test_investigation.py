"""domain/investigation.py: what an investigation finds in what is held, decided without
the store."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.holdings import HeldItem, ProvisionBasis, Relationship
from domain.investigation import Holdings, ProvisionHeld, investigate
from domain.purposes import PurposeRegister, article_3_register
from domain.requests import DataCategory, RequestKind

USED = datetime(2026, 6, 1, tzinfo=UTC)


def _item(
    item_id: int,
    *,
    purpose: str | None = "billing",
    lawful: bool = True,
    suspended: bool = False,
    category: str = "contact",
) -> HeldItem:
    return HeldItem(
        item_id=item_id,
        category=category,
        field=f"f{item_id}",
        purpose=purpose,
        lawfully_obtained=lawful,
        suspended=suspended,
        used_at=USED,
    )


def test_items_are_counted_by_category_and_disclosure_keeps_the_categories_asked():
    held = Holdings([_item(1), _item(2), _item(3, category="history")])
    findings = investigate(RequestKind.DISCLOSURE, {"categories": ["contact"]}, held)
    assert findings.items_by_category == {DataCategory.CONTACT: 2, DataCategory.HISTORY: 1}
    assert findings.requested_categories == ("contact",)


def test_a_correction_is_checked_against_the_values_held():
    held = Holdings([_item(1)], values={"email": ["a@example.org"]})
    changes = investigate(
        RequestKind.CORRECTION,
        {
            "changes": [
                {"action": "correct", "field": "email", "new_value": "a@example.org"},
                {"action": "correct", "field": "email", "new_value": "b@example.org"},
                {"action": "delete", "field": "phone"},
            ]
        },
        held,
    ).changes
    assert [(c.held, c.same_value) for c in changes] == [
        (True, True),
        (True, False),
        (False, False),
    ]


def test_erasure_takes_suspended_items_in_breach_and_suspension_does_not():
    held = Holdings(
        [_item(1, lawful=False), _item(2, lawful=False, suspended=True), _item(3)],
        register=PurposeRegister.of(article_3_register()),
    )
    asked = {"grounds": ["obtained_wrongfully"]}
    erase = investigate(RequestKind.SUSPENSION, {**asked, "action": "erase"}, held)
    suspend = investigate(RequestKind.SUSPENSION, {**asked, "action": "suspend_use"}, held)
    assert (erase.items_in_breach, erase.already_suspended) == ((1, 2), 0)
    assert (suspend.items_in_breach, suspend.already_suspended) == ((1,), 1)
    assert erase.obtained_wrongfully == 2


def test_an_item_under_no_purpose_in_the_register_is_used_beyond_purpose():
    held = Holdings(
        [_item(1, purpose="profiling"), _item(2)], register=PurposeRegister.of(article_3_register())
    )
    findings = investigate(
        RequestKind.SUSPENSION, {"grounds": ["used_beyond_purpose"], "action": "suspend_use"}, held
    )
    assert findings.items_in_breach == (1,)
    assert findings.used_beyond_purpose == 1


def test_article_5_register_footing_wins_over_the_provision_row():
    provisions = [
        ProvisionHeld("ads", (Relationship.THIRD_PARTY, ProvisionBasis.CONSENT), False),
        ProvisionHeld("mailer", (Relationship.THIRD_PARTY, ProvisionBasis.CONSENT), False),
        ProvisionHeld("old", (Relationship.THIRD_PARTY, ProvisionBasis.CONSENT), True),
    ]
    held = Holdings(
        [],
        provisions=provisions,
        registered={"mailer": (Relationship.ENTRUSTMENT, ProvisionBasis.CONSENT)},
    )
    findings = investigate(
        RequestKind.THIRD_PARTY_STOP, {"partners": ["ads", "mailer", "old", "nobody", "ads"]}, held
    )
    assert findings.third_party_partners == ("ads",)
    assert findings.already_stopped == ("old",)
    assert findings.not_third_parties == {"mailer": Relationship.ENTRUSTMENT}
    assert findings.unknown_partners == 1
    assert set(findings.partner_bases) == {"ads", "old"}


def test_n3_items_held_without_identifying_the_person_are_counted_apart():
    """N3, Art 6 ¶2: the investigation counts, by category, the items held in a form that
    does not identify the person; the rest are the person's personal information."""
    held = Holdings(
        [
            _item(1, category="history"),
            HeldItem(2, "history", "cookie_views", "provide_service", True, identifying=False),
        ]
    )
    findings = investigate(RequestKind.DISCLOSURE, {}, held)
    assert findings.items_by_category == {DataCategory.HISTORY: 2}
    assert findings.not_identifying_by_category == {DataCategory.HISTORY: 1}


def test_n4_a_stop_names_recipients_by_their_name_or_asks_for_all_third_parties():
    """N4, Art 5: "the provision of personal information to a third party will be stopped
    at the request of the person" - the person names a recipient as the disclosure names
    it ("Ad Network Inc.", 「株式会社アドネット」, any case or width), or asks for every third
    party; text that matches no recipient is only counted, never split into names."""
    consent = (Relationship.THIRD_PARTY, ProvisionBasis.CONSENT)
    provisions = [
        ProvisionHeld("adnet-1", consent, False, "Ad Network Inc."),
        ProvisionHeld("adnet-jp", consent, False, "株式会社アドネット"),
        ProvisionHeld("broker", (Relationship.THIRD_PARTY, ProvisionBasis.OPT_OUT_NOTIFIED), False),
        ProvisionHeld("printer", (Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY), False),
    ]
    held = Holdings([], provisions=provisions)
    by_name = investigate(
        RequestKind.THIRD_PARTY_STOP,
        {"partners": ["ad  network inc.", "株式会社アドネット", "Ad", "Network"]},
        held,
    )
    assert by_name.third_party_partners == ("adnet-1", "adnet-jp")
    assert by_name.unknown_partners == 2
    everyone = investigate(RequestKind.THIRD_PARTY_STOP, {"all_third_parties": True}, held)
    assert everyone.third_party_partners == ("adnet-1", "adnet-jp", "broker")
    assert everyone.not_third_parties == {}
    assert everyone.unknown_partners == 0
