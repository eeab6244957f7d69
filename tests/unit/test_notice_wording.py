"""How every notice reads, in Japanese and English (review 2026-12-06, N16 and N17): each
notice kind and each outcome rendered whole, fields named in the person's language, one
letter form (greeting, closing, signature with the office and the contact route), and the
field vocabulary behind it (old items 20 and 37: Article 1's personal identification codes
are named, not a default)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import domain.notices
from domain.deadlines import DeadlinePolicy
from domain.decisions import FEE_PER_CASE_YEN, Outcome
from domain.events import RECEIVED_DEADLINE_POLICY, received_deadline_policy
from domain.field_vocabulary import (
    FIELDS,
    REGISTRATION_FIELDS,
    UNKNOWN_FIELD_CATEGORY,
    category_of_field,
    field_label,
    is_identification_code,
    item_label,
    split_item_label,
)
from domain.notice_texts import EN, JA, TEXTS
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import DataCategory, Language, RequestKind
from interfaces.privacy_center import forms
from tests.support.notices import DUE, FIELDS_NAMED, NAMES, TOKYO, every_notice

ROOT = Path(__file__).resolve().parents[2]
RENDERED = {language: dict(every_notice(language)) for language in Language}
# Where a field's name stands in a line of a notice.
FIELD_POSITIONS = ("- {f}", "／{f}", "{f}：", "{f}（", "/ {f}", "{f}:", "{f} (")
# How a subject names the request: in Japanese with full-width brackets and a label.
SUBJECT_TAIL = {Language.EN: "[req-7]", Language.JA: "（受付番号：req-7）"}


def test_n16_every_notice_kind_and_outcome_is_rendered_in_both_languages() -> None:
    """N16: "the English and Japanese renderings of every notice kind and outcome" - the
    set read here is every kind and every outcome of the enumerations, in both languages."""
    for language in Language:
        names = " ".join(RENDERED[language])
        assert all(kind.value in names for kind in NoticeKind), names
        # An inquiry's outcome is its answer, a notice of its own.
        assert all(o.value in names for o in Outcome if o is not Outcome.ANSWERED), names
        assert "answer" in names


@pytest.mark.parametrize("language", list(Language))
def test_n16_every_notice_is_whole_signed_and_filled(language: Language) -> None:
    """N16: "the signature is 'Sesenergy' with no office or contact" - every notice now
    ends with the courtesy closing and the signature naming the office and the CONTACT
    route (Art 10), and no template placeholder is left unfilled."""
    texts = TEXTS[language]
    for name, notice in RENDERED[language].items():
        body = notice.body
        assert "{" not in body and "}" not in body, name
        assert "{" not in notice.subject and notice.subject.endswith(SUBJECT_TAIL[language]), name
        assert body.startswith(texts["greeting"].format(name=NAMES[language])), name
        assert body.endswith(texts["closing"] + "\n\n" + texts["signature"]), name
        assert "CONTACT" in texts["signature"] and "Sesenergy" in texts["signature"]
    assert "個人情報お問い合わせ窓口" in JA["signature"] and "今後とも" in JA["closing"]
    assert "Personal Information Desk" in EN["signature"]


def test_n16_japanese_notices_use_full_width_colons_and_translated_field_names() -> None:
    """N16: 「本人を識別する情報 / name: 山田花子」 and 「phone…に訂正」 - raw English ids
    and half-width ": " inside Japanese lines. Now every known field is named in Japanese,
    with a full-width colon, in every Japanese notice; an unknown field keeps its id."""
    ja = RENDERED[Language.JA]
    shown = FIELDS_NAMED & set(FIELDS)
    assert {"name", "date_of_birth", "drivers_license", "phone", "nickname", "page"} <= shown
    assert FIELDS_NAMED - shown == {"loyalty_tier", "fax"}  # unknown: shown by their ids
    for name, notice in ja.items():
        body = notice.body
        assert ": " not in body and " / " not in body, (name, body)
        for field_ in shown:
            for position in FIELD_POSITIONS:
                assert position.format(f=field_) not in body, (name, field_, body)
    disclosed = ja["outcome disclosed_in_full"].body
    # The items are delivered in the privacy center (review item 36): the e-mail counts
    # them by category, in Japanese, and holds no value.
    assert "本人を識別する情報（3件）" in disclosed and "301234567890" not in disclosed
    corrected = ja["outcome correction_made"].body
    assert "- 電話番号：03-5555-0000に訂正" in corrected
    assert "- ニックネーム：Hanaを追加" in corrected
    suspended = ja["outcome use_suspended"].body
    assert "- 履歴情報／閲覧したページ（analytics：web）" in suspended


def test_n16_english_notices_name_fields_in_words() -> None:
    """N16: "Field names are not translated in either language" - English lines read
    "Telephone number", not `phone`, and a line starts with a capital."""
    en = RENDERED[Language.EN]
    disclosed = en["outcome disclosed_in_full"].body
    assert "identity information (3 items)" in disclosed and "301234567890" not in disclosed
    corrected = en["outcome correction_made"].body
    assert "- Telephone number: corrected to 03-5555-0000" in corrected
    assert "- E-mail address (add): we already hold this item" in corrected
    assert "- fax (delete): we hold no such item" in corrected  # unknown: its id


def test_n16_japanese_grammar_fee_and_ground_wording() -> None:
    """N16: 「取り扱われていたまたは不正の手段により」 is ungrammatical; 「1件につき」
    differs from the policy's 「1件につき」; 「理由となる事由」 sits beside 「事由」."""
    ja = RENDERED[Language.JA]
    both = ja["outcome use_suspended"].body
    assert "取り扱われていた、または不正の手段により取得されていたことが判明しました" in both
    assert "取り扱われていたまたは" not in both
    receipt = ja["receipt disclosure confirmed=False"].body
    assert "1件につき1,000円" in receipt and "1回のご請求" not in receipt
    every = "\n".join(n.body for n in ja.values())
    assert "理由となる事由" not in every and "事由：" in ja["outcome disclosed_in_part"].body
    assert "当社" not in every and "当組織" in every


def test_n16_english_grammar() -> None:
    """N16: "We need more time for acknowledging of your request", "... for notifying you
    of your request", "1 item found in breach had their use suspended"."""
    en = RENDERED[Language.EN]
    every = "\n".join(n.body for n in en.values())
    assert "acknowledging of" not in every and "for notifying you of" not in every
    assert "had their use suspended" not in every
    ack = en["deadline_extended disclosure acknowledge"].body
    assert "We need more time to acknowledge your request for disclosure" in ack
    notify = en["deadline_extended suspension notify"].body
    assert "We need more time to notify you of the outcome of your request" in notify
    already = en["outcome use_suspended"].body
    assert "Besides these, the use of 1 item found in breach was suspended already" in already
    # A single item suspended, nothing else held: no "rest (0 items)" sentence.
    single = en["outcome use_suspended, 1 item"].body
    assert "(0 items)" not in single and "- Contact information / E-mail address" in single


def test_n16_identity_proof_request_says_what_a_suspension_would_do() -> None:
    """N16: "because this request would disclose, change or erase your personal
    information" was also sent for a suspension of use."""
    en, ja = RENDERED[Language.EN], RENDERED[Language.JA]
    suspension = en["identity_proof_requested suspension matched=True"].body
    assert "disclose, change or erase" not in suspension
    assert "would suspend the use of your personal information or erase it" in suspension
    assert "開示・変更・消去" not in ja["identity_proof_requested suspension matched=True"].body
    stop = en["identity_proof_requested third_party_stop matched=True"].body
    assert "would stop the provision of your personal information to third parties" in stop


def test_n16_operator_texts_are_labelled_as_quoted() -> None:
    """N16: "Operator texts are not translated ... A Japanese person gets" the reason in
    English ("fraud investigation under way"). They are quoted as the staff wrote them, and say so
    (docs/policy-interpretation.md, "How notices read")."""
    ja, en = RENDERED[Language.JA], RENDERED[Language.EN]
    part = ja["outcome disclosed_in_part"].body
    assert "理由（担当者の記載を原文のまま引用）：A fraud investigation" in part
    measures = ja["outcome alternative_measures"].body
    assert "講じた代替措置（担当者の記載を原文のまま引用）：The items are masked" in measures
    kept = ja["outcome erased"].body
    assert "billing：そのまま保管しています。理由（当組織の記録から原文のまま引用）：" in kept
    assert "Reason, in our staff's words: A fraud investigation" in (
        en["outcome disclosed_in_part"].body
    )
    answer = ja["answer"].body
    assert "お問い合わせについて、以下のとおり回答いたします。" in answer


def test_n17_receipt_states_the_fee_of_the_policy_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    """N17: "The receipt hard-codes "1,000" instead of FEE_PER_CASE_YEN"."""

    def receipt() -> str:
        commitment = DeadlinePolicy().commitment(False, True, DUE)
        return render_notice(
            NoticeKind.RECEIPT,
            request_kind=RequestKind.DISCLOSURE,
            request_id="req-7",
            requester_name="X",
            language=Language.EN,
            zone=TOKYO,
            facts=NoticeFacts(commitment=commitment),
        ).body

    assert f"A fee of {FEE_PER_CASE_YEN:,} yen per case" in receipt()
    monkeypatch.setattr(domain.notices, "FEE_PER_CASE_YEN", 1500)
    assert "A fee of 1,500 yen per case" in receipt()


def test_n17_received_event_names_the_deadline_policy_and_old_events_still_read() -> None:
    """N17: "`received.policy_version` names the deadline policy". The key now says so;
    an event recorded before the rename reads the same."""
    assert RECEIVED_DEADLINE_POLICY == "deadline_policy_version"
    assert received_deadline_policy({"kind": "inquiry", RECEIVED_DEADLINE_POLICY: "v2"}) == "v2"
    assert received_deadline_policy({"kind": "inquiry", "policy_version": "v1"}) == "v1"
    assert received_deadline_policy({"kind": "inquiry"}) is None


# The vocabulary (old items 20 and 37) ----------------------------------------------------


def test_item20_37_art1_identification_codes_are_named_not_defaulted() -> None:
    """Old item 20/37: "`drivers_license`, `fingerprint` and `health_insurance_number` all
    map to `identity`" by default. Art 1: data "which can identify a specific individual
    from that information alone (personal identification information)" - the vocabulary
    names them as such, with the other fields of Art 1 and Art 2."""
    for code in ("drivers_license", "fingerprint", "health_insurance_number", "voice_print"):
        assert code in FIELDS and is_identification_code(code), code
        assert category_of_field(code) is DataCategory.IDENTITY
    for ordinary in ("name", "phone", "email", "bank_account", "credit_card", "made_up"):
        assert not is_identification_code(ordinary), ordinary
    # Art 2's registration items, each with its own category, not a default.
    assert category_of_field("address") is DataCategory.CONTACT
    assert category_of_field("credit_card") is DataCategory.FINANCIAL
    assert category_of_field("purchases") is DataCategory.TRANSACTION
    assert category_of_field("login_history") is DataCategory.HISTORY
    assert category_of_field("nobody_knows_this") is UNKNOWN_FIELD_CATEGORY
    assert field_label("nobody_knows_this", Language.JA) == "nobody_knows_this"


def test_item20_vocabulary_agrees_with_the_example_inventory_and_the_demo_map() -> None:
    """Old item 20: one vocabulary. Every field the example inventory and the demo's data
    map name has words in both languages, and the category the vocabulary gives a field
    added by a correction is the category those files hold it under."""
    named: dict[str, set[str]] = {}
    inventory = json.loads((ROOT / "examples" / "inventory.json").read_text())
    for subject in inventory["subjects"]:
        for item in subject["items"]:
            named.setdefault(item["field"], set()).add(item["category"])
    datamap = yaml.safe_load((ROOT / "connectors" / "demo" / "datastores.yaml").read_text())
    for system in datamap["systems"].values():
        for collection in system.get("collections", {}).values():
            for column, rule in collection["fields"].items():
                named.setdefault(rule.get("as", column), set()).add(rule["category"])
    unknown = sorted(set(named) - set(FIELDS))
    assert unknown == []
    for field_, categories in named.items():
        assert categories == {FIELDS[field_].category.value}, field_


def test_every_field_has_words_in_both_languages() -> None:
    """Art 6-8 notices name items in the person's language: no empty label, and the
    Japanese one uses no half-width colon or ASCII-only wording for a known field."""
    for field_, known in FIELDS.items():
        assert known.en.strip() and known.ja.strip(), field_
        assert re.search(r"[^\x00-\x7f]", known.ja), field_
        assert ":" not in known.ja and known.en[:1].isupper(), field_


def test_an_item_kept_in_a_system_keeps_its_place_when_named() -> None:
    """The store names an item kept in one of the organisation's systems as
    `field (system: collection)`; the notice names its field in words and keeps the place."""
    assert item_label("phone", None, None) == "phone"
    label = item_label("phone", "customer-db", "customers")
    assert split_item_label(label) == ("phone", ("customer-db", "customers"))
    assert split_item_label("phone") == ("phone", None)
    assert split_item_label("odd (label") == ("odd (label", None)


def test_the_same_keys_in_both_languages_after_the_new_wording() -> None:
    """N16: no notice can come out half translated by a key only one language has."""
    assert set(EN) == set(JA)
    for step in ("acknowledge", "investigate", "decide", "act", "answer", "notify"):
        assert f"extension.{step}" in EN


def test_n16_the_correction_form_suggests_article_2_fields_from_the_vocabulary() -> None:
    """N16: one vocabulary - the privacy center suggests Art 2's registration fields ("name,
    date of birth, address, telephone number, email address, bank account number, credit
    card number, driver's license number") with the notices' words for them."""
    assert set(REGISTRATION_FIELDS) <= set(FIELDS)
    assert forms.FIELD_SUGGESTIONS == REGISTRATION_FIELDS
    assert ("phone", "電話番号") in forms.field_suggestions(Language.JA)
    assert ("drivers_license", "Driver's license number") in forms.field_suggestions(Language.EN)
