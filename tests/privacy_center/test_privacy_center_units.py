"""The privacy center's pure parts: the identity rule, its words, its form reading."""

from __future__ import annotations

from starlette.datastructures import FormData

from domain.deadlines import Step
from domain.decisions import Outcome
from domain.identity import identity_method
from domain.lifecycle import RequestStatus
from domain.requests import Language, RequestKind
from interfaces.privacy_center import forms
from interfaces.privacy_center.texts import EN, JA, texts


def test_a_code_verifies_only_with_the_registration_match() -> None:
    for kind in RequestKind:
        assert identity_method(kind, matched=True, code_verified=True) == "one_time_code"
        assert identity_method(kind, matched=False, code_verified=True) is None
        assert identity_method(kind, matched=False, code_verified=False) is None
    assert (
        identity_method(RequestKind.THIRD_PARTY_STOP, matched=True, code_verified=False)
        == "registration_match"
    )
    assert identity_method(RequestKind.DISCLOSURE, matched=True, code_verified=False) is None


def test_both_languages_have_every_word() -> None:
    assert set(EN) == set(JA)
    for language in Language:
        words = texts(language)
        for kind in RequestKind:
            assert f"kind.{kind.value}" in words and f"start.{kind.value}" in words
        for outcome in Outcome:
            assert f"outcome.{outcome.value}" in words
        for step in Step:
            assert f"step.{step.value}" in words
        for status in RequestStatus:
            assert f"status.{'received_' if status.value == 'received' else status.value}" in words


def test_forms_become_the_contracts_details() -> None:
    correction = FormData(
        [
            ("field_1", "Phone"),
            ("action_1", "correct"),
            ("value_1", "+81 90"),
            ("field_2", "fax"),
            ("action_2", "delete"),
            ("value_2", "ignored"),
            ("statement", "It changed."),
        ]
    )
    assert forms.details_from(RequestKind.CORRECTION, correction) == {
        "changes": [
            {"field": "phone", "action": "correct", "new_value": "+81 90"},
            {"field": "fax", "action": "delete"},
        ],
        "statement": "It changed.",
    }
    # N4: one recipient a line, never split on its spaces or commas; or all third parties.
    stop = FormData(
        [("partners", "Ad Network Inc.\n 株式会社アドネット \n\nData Broker Co., Ltd.")]
    )
    assert forms.details_from(RequestKind.THIRD_PARTY_STOP, stop) == {
        "partners": ["Ad Network Inc.", "株式会社アドネット", "Data Broker Co., Ltd."]
    }
    everyone = FormData([("partners", ""), ("all_third_parties", "yes")])
    assert forms.details_from(RequestKind.THIRD_PARTY_STOP, everyone) == {
        "partners": [],
        "all_third_parties": True,
    }
    for details in (forms.details_from(RequestKind.THIRD_PARTY_STOP, f) for f in (stop, everyone)):
        assert forms.check(RequestKind.THIRD_PARTY_STOP, "A", "a@example.jp", details, "ja") == []
    assert forms.check(
        RequestKind.THIRD_PARTY_STOP, "A", "a@example.jp", {"partners": []}, "en"
    ) == [
        (
            "partners",
            "name at least one recipient, or ask to stop provision to all third parties",
        )
    ]
    assert forms.details_from(RequestKind.DISCLOSURE, FormData()) == {}
    assert forms.check(RequestKind.INQUIRY, "A", "a@example.jp", {"text": ""}, "en") == [
        ("text", "string should have at least 1 character")
    ]
