"""The notices' texts on a person's own windows (N7), how to pay the fee (N9), what to send
as proof of identity (N11) and what an inquirer we have not matched to our records gets
(N8), in English and Japanese; merged into domain/notice_texts.py."""

from __future__ import annotations

WINDOW_EN: dict[str, str] = {
    "answer.unverified": "The address this answer goes to is not one we hold for you, and we "
    "have not confirmed who you are, so this answer contains no personal information about "
    "you. If "
    "you want to see, correct, stop or erase what we hold about you, reply to this e-mail "
    "quoting reference {request_id} with proof of identity (a copy of an identity document); "
    "once we have confirmed your identity, we will handle it as a request.",
    "identity.documents": "You may send a copy of one of these: driving licence, passport, "
    "residence card, the front of your My Number card (never the back, which shows the "
    "Individual Number), or health insurance card. On a health insurance card, black out the "
    "insurer number, the insured person's symbol and number, and any QR code before you copy "
    "it. We use the copy only to confirm your identity for this request: our records of the "
    "request keep only how your identity was confirmed, and we delete the copy and the e-mail "
    "that carried it once we have confirmed your identity, and at the latest when the request "
    "is closed.",
    "fee.how.bank": "How to pay: by bank transfer to {bank}. When you transfer, please enter "
    "{invoice_id} before your name as the remitter.",
    "fee.how.page": "To pay online (invoice {invoice_id}): {url}",
    "fee.how.contact": "For our bank transfer details, please contact us through the CONTACT "
    "form in our privacy center, quoting invoice {invoice_id}.",
    "fee.late_payment": "A payment made by {date} counts even if it reaches us a few days "
    "later. We cannot accept a payment made after {date}: if one reaches us, we will not "
    "disclose, and we will refund it.",
    "closed.fee_paid_late": "We have closed your request because the disclosure fee for "
    "invoice {invoice_id} was paid on {paid_on}, after the payment deadline. Nothing was "
    "disclosed. We will refund the fee you paid in full. You are welcome to make a new "
    "request.",
}

WINDOW_JA: dict[str, str] = {
    "answer.unverified": "この回答の送付先は当組織にご登録のメールアドレスではなく、ご本人で"
    "あることの確認もできていないため、この回答にはお客様の個人情報を含めておりません。当組織が保有する"
    "お客様の個人情報の開示・訂正・利用停止等をご希望の場合は、本メールへの返信で受付番号"
    "{request_id}とご本人であることを証明するもの（本人確認書類の写し）をお送りください。ご本人"
    "であることを確認できた後に、ご請求として対応いたします。",
    "identity.documents": "お送りいただける書類は、運転免許証、パスポート、在留カード、マイ"
    "ナンバーカードの表面（個人番号が記載された裏面はお送りにならないでください）、健康保険証の"
    "いずれかの写しです。健康保険証は、保険者番号、被保険者等記号・番号およびQRコードを"
    "マスキング（黒塗り）してから写しをお取りください。写しはこの請求のご本人確認にのみ使用し、"
    "請求の記録には確認の方法のみを残します。写しとそれを添付したメールは、ご本人確認が済み"
    "次第（遅くとも請求の終了時までに）削除いたします。",
    "fee.how.bank": "お支払い方法：{bank}へお振込みください。お振込みの際は、依頼人名の前に"
    "{invoice_id}をご入力ください。",
    "fee.how.page": "オンラインでのお支払い（請求書{invoice_id}）：{url}",
    "fee.how.contact": "お振込先は、プライバシーセンターのお問い合わせフォーム（CONTACT）から"
    "請求書番号{invoice_id}を添えてお問い合わせください。ご案内いたします。",
    "fee.late_payment": "{date}までにお支払いいただいたものは、当組織での確認が数日後になっても"
    "期限内のお支払いとして扱います。{date}より後のお支払いはお受けできず、開示は行わずに"
    "返金いたします。",
    "closed.fee_paid_late": "請求書{invoice_id}の開示手数料のお支払い（{paid_on}）がお支払い"
    "期限を過ぎていたため、請求を終了しました。開示は行っていません。お支払いいただいた手数料は"
    "全額返金いたします。改めてご請求いただけます。",
}
