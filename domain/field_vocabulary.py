"""The fields of personal data the organisation names, and what each one is: its category,
whether it is a personal identification code (Article 1: data "which can identify a
specific individual from that information alone", so never held as not identifying: an
inventory or a data map that says so is refused), and its name in each language a notice
is written in.

One vocabulary for everything that names a field: the notices (a person reads 「氏名」 or
"Name", never `name`), the category of an item a correction adds, and the items Article 2
says the organisation may ask for at registration. A field the vocabulary does not know
(an inventory or a data map may name any field) is shown by its id and, added by a
correction, filed as the person's identity information (docs/policy-interpretation.md,
"How notices read").
"""

from __future__ import annotations

import re
from typing import NamedTuple

from domain.requests import DataCategory, Language


class KnownField(NamedTuple):
    category: DataCategory
    en: str
    ja: str
    # Article 1: a personal identification code (a licence or insurance number, biometric
    # data) identifies the person by itself, whatever else is held with it.
    identification_code: bool = False

    def label(self, language: Language) -> str:
        return self.ja if language is Language.JA else self.en


_I, _C, _F = DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.FINANCIAL
_T, _H, _X = DataCategory.TRANSACTION, DataCategory.HISTORY, DataCategory.CHARACTERISTIC

FIELDS: dict[str, KnownField] = {
    # Article 1 and Article 2: what registration asks for
    "name": KnownField(_I, "Name", "氏名"),
    "full_name": KnownField(_I, "Name", "氏名"),
    "nickname": KnownField(_I, "Nickname", "ニックネーム"),
    "date_of_birth": KnownField(_I, "Date of birth", "生年月日"),
    "address": KnownField(_C, "Address", "住所"),
    "supply_address": KnownField(_C, "Supply address", "供給先の住所"),
    "phone": KnownField(_C, "Telephone number", "電話番号"),
    "email": KnownField(_C, "E-mail address", "メールアドレス"),
    "contact_email": KnownField(_C, "E-mail address", "メールアドレス"),
    "visitor_email": KnownField(_C, "E-mail address", "メールアドレス"),
    "bank_account": KnownField(_F, "Bank account number", "銀行口座番号"),
    "credit_card": KnownField(_F, "Credit card number", "クレジットカード番号"),
    "card_number": KnownField(_F, "Credit card number", "クレジットカード番号"),
    "card_last4": KnownField(_F, "Last four digits of the card", "カード番号の下4桁"),
    # Article 1: personal identification codes
    "drivers_license": KnownField(_I, "Driver's license number", "運転免許証の番号", True),
    "health_insurance_number": KnownField(
        _I, "Health insurance card number", "健康保険証の番号", True
    ),
    "passport_number": KnownField(_I, "Passport number", "旅券番号", True),
    "individual_number": KnownField(
        _I,
        "Individual Number (My Number)",
        "個人番号（マイナンバー）",  # noqa: RUF001
        True,
    ),
    "fingerprint": KnownField(_I, "Fingerprint data", "指紋データ", True),
    "voice_print": KnownField(_I, "Voice print data", "声紋データ", True),
    "face_image": KnownField(_I, "Facial image data", "顔画像データ", True),
    # Numbers the organisation assigns
    "account_id": KnownField(_I, "Account ID", "アカウントID"),
    "customer_number": KnownField(_I, "Customer number", "お客様番号"),
    # Article 2: transaction records and payment information
    "purchases": KnownField(_T, "Purchases", "購入記録"),
    "payment_receipts": KnownField(_T, "Payment receipts", "お支払いの領収記録"),
    "points_balance": KnownField(_T, "Loyalty points balance", "ポイント残高"),
    "plan": KnownField(_T, "Contract plan", "ご契約プラン"),
    "started_on": KnownField(_T, "Contract start date", "契約開始日"),
    "ended_on": KnownField(_T, "Contract end date", "契約終了日"),
    "paid_on": KnownField(_T, "Payment date", "お支払い日"),
    "amount_yen": KnownField(_T, "Amount paid (yen)", "お支払い金額（円）"),  # noqa: RUF001
    # History information
    "login_history": KnownField(_H, "Login history", "ログイン履歴"),
    "browsing_history": KnownField(_H, "Browsing history", "閲覧履歴"),
    "at": KnownField(_H, "Date and time", "日時"),
    "ip_address": KnownField(_H, "IP address", "IPアドレス"),
    "user_agent": KnownField(
        _H,
        "Browser (user agent)",
        "ブラウザの種類（ユーザーエージェント）",  # noqa: RUF001
    ),
    "page": KnownField(_H, "Page viewed", "閲覧したページ"),
    "viewed_at": KnownField(_H, "Date and time viewed", "閲覧日時"),
    "channel": KnownField(_H, "Marketing channel", "案内の配信方法"),
    "granted_at": KnownField(_H, "Consent given at", "同意日時"),
    "withdrawn_at": KnownField(_H, "Consent withdrawn at", "同意の撤回日時"),
    "subject": KnownField(_H, "Subject of the inquiry", "お問い合わせの件名"),
    "body": KnownField(_H, "Text of the inquiry", "お問い合わせの本文"),
    "transcript": KnownField(_H, "Chat transcript", "チャットの記録"),
    # Characteristic information
    "interest_segment": KnownField(_X, "Interest segment", "興味・関心の分類"),
    "social_profile": KnownField(_X, "Social media profile", "SNSのプロフィール情報"),
}

# Article 2: what the organisation may ask for "when users register for use", in its order.
REGISTRATION_FIELDS = (
    "name",
    "date_of_birth",
    "address",
    "phone",
    "email",
    "bank_account",
    "credit_card",
    "drivers_license",
)

# A field added by a correction that the vocabulary does not name: the person gave it as
# information about themselves, so it is filed where a disclosure includes it.
UNKNOWN_FIELD_CATEGORY = DataCategory.IDENTITY


def category_of_field(field: str) -> DataCategory:
    """Where an item added by a correction (Article 7) belongs."""
    known = FIELDS.get(field)
    return known.category if known else UNKNOWN_FIELD_CATEGORY


def is_identification_code(field: str) -> bool:
    """Article 1: whether the field is a personal identification code."""
    known = FIELDS.get(field)
    return known is not None and known.identification_code


def field_label(field: str, language: Language) -> str:
    """The field as a person reads it; an unknown field by its id."""
    known = FIELDS.get(field)
    return known.label(language) if known else field


# How the service writes an item kept in one of the organisation's systems
# (`store/decision_effects.item_label`): `field (system: collection)`.
_IN_SYSTEM = re.compile(r"^(?P<field>[^ ]+) \((?P<system>[^:()]+): (?P<collection>[^()]+)\)$")


def item_label(field: str, system: str | None, collection: str | None) -> str:
    """An item's field, and where it is kept when that is one of the organisation's
    systems rather than the service's own records (recorded in events as it is)."""
    return field if system is None else f"{field} ({system}: {collection})"


def split_item_label(label: str) -> tuple[str, tuple[str, str] | None]:
    """The field of an item label and, for an item kept in a system, (system, collection)."""
    found = _IN_SYSTEM.match(label)
    if found is None:
        return label, None
    return found["field"], (found["system"], found["collection"])
