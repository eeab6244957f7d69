"""The words of a notice's letter and of the steps of a request, in English and Japanese:
the greeting, reference, closing and signature every notice shares, the pieces every
notice builds with (lists, counts, items, the organisation's systems), the request kinds
and subjects, the receipt, the check of identity, the fee request, the extensions of a
deadline, and Article 4's notice of a changed purpose. Merged into domain/notice_texts.py
(`TEXTS`), which holds the outcomes' words."""

from __future__ import annotations

LETTER_EN: dict[str, str] = {
    "greeting": "Dear {name},",
    "signature": "Yours sincerely,\n\nSesenergy\nPersonal Information Desk\nContact: the "
    "CONTACT form in our privacy center",
    "reference": "Reference: {request_id}",
    "closing": "If you have any questions about this notice, please contact us through the "
    "CONTACT form in our privacy center, quoting the reference above.",
    "answer": "Please find our answer to your inquiry below.",
    "item": "{category} / {field}",
    "item.value": "{category} / {field}: {value}",
    "item.in_system": "{field} ({system}: {collection})",
    "item.marked": "{item} {marker}",
    "ground_sep": "; ",
    # Article 4 ¶2: a changed purpose of use (domain/purpose_notice.py).
    "purpose_change.subject": "A change to the purpose of use of your personal information",
    "purpose_change.intro": "Under Article 4 of our privacy policy, we have changed a purpose "
    "for which we use your personal information, as follows.",
    "purpose_change.before": "Before: {text}",
    "purpose_change.after": "After: {text}",
    "purpose_change.related": "The changed purpose is reasonably considered to be related to "
    "the purpose before the change.",
    "purpose_change.published": "The change is also published on our website, beside every "
    "purpose of use.",
    "purpose_change.contact": "If you have any questions about this change, please contact us "
    "through the CONTACT form in our privacy center.",
    "list_sep": ", ",
    "items": "{count} items",
    "items_one": "1 item",
    "systems": "In each of our systems where your personal information is kept:",
    "system.done": "{system}: done, in {records}",
    "system.nothing": "{system}: nothing of what was decided is kept there",
    "system.kept": "{system}: kept as it is; the reason, as our records state it: {reasons}",
    "system.waived": "{system}: not done; the reason, in our staff's words: {reason}",
    "system.not_reached": "{system}: could not be searched, so nothing kept there was found "
    "or changed by this request",
    "system.owner": "{system}: done by the person responsible for it, in {records}",
    "system.owner_found": "{system}: searched by the person responsible for it, who found "
    "{records}; what they hold is not listed in this notice, and you may ask us for it",
    "records": "{count} records",
    "records_one": "1 record",
    "counted": "{what} ({items})",
    "or_sep": " or ",
    "kind.disclosure": "request for disclosure of personal information (Article 6)",
    "kind.correction": "request for correction, addition or deletion (Article 7)",
    "kind.suspension": "request for suspension of use or erasure (Article 8)",
    "kind.third_party_stop": "request to stop provision to third parties (Article 5)",
    "kind.inquiry": "inquiry regarding our Privacy Policy (Article 10)",
    "subject.receipt": "We have received your {label} [{request_id}]",
    "subject.answer": "Our answer to your {label} [{request_id}]",
    "subject.fee_request": "Fee for your {label} [{request_id}]",
    "subject.identity_proof_requested": "Please confirm your identity for your {label} "
    "[{request_id}]",
    "subject.deadline_extended": "A deadline for your {label} has been extended [{request_id}]",
    "subject.outcome": "The outcome of your {label} [{request_id}]",
    "receipt": "We have received your {label}.",
    "receipt.answer_by": "We will answer by {date}.",
    "receipt.after_identity": "We will first confirm that you are the person concerned. We "
    "will tell you our decision within {days} days of confirming your identity.",
    "receipt.identity_confirmed": "You confirmed that you are the person concerned with the "
    "code we sent to the e-mail address we hold for you. We will tell you our decision "
    "within {days} days.",
    "receipt.fee": "A fee of {amount} yen per case applies to a disclosure of personal "
    "information (Article 6). We ask for it only once we have decided to disclose, and make "
    "the disclosure available to you within {days} days of receiving it. If we decide not to "
    "disclose, nothing is charged.",
    "identity.ask": "Before we act on your {label}, we need to confirm that you are the "
    "person concerned.",
    "identity.matched": "The e-mail address you gave matches the one we hold, but because "
    "this request would disclose, change or erase your personal information, a member of our "
    "staff must confirm your identity as well.",
    "identity.matched.suspension": "The e-mail address you gave matches the one we hold, but "
    "because this request would suspend the use of your personal information or erase it, a "
    "member of our staff must confirm your identity as well.",
    "identity.matched.third_party_stop": "The e-mail address you gave matches the one we hold, "
    "but because this request would stop the provision of your personal information to third "
    "parties, a member of our staff must confirm your identity as well.",
    "identity.unmatched": "The e-mail address you gave is not the one we hold for you.",
    "identity.how": "Please send us proof of identity by replying to this e-mail, or contact "
    "us through the CONTACT form in our privacy center quoting reference {request_id}, by "
    "the end of {date}. If we cannot confirm your identity by then, we will close the "
    "request without acting on it.",
    "fee.decided": "We have decided to disclose the personal information you asked for, as "
    "set out below, once the fee is paid.",
    "fee.to_disclose": "To be disclosed: {what}.",
    "fee.request": "A fee of {amount} yen per case applies to the disclosure (Article 6): "
    "one fee for this request as a whole, however many items it discloses. Amount due: "
    "{amount} yen. Please pay invoice {invoice_id} by the end of {date}; we make the "
    "disclosure available to you once the fee is received. If it is not paid by then, we "
    "will close the request and nothing will be disclosed.",
    "extension": "We need more time for one step of your {label}: {step}. We now expect to "
    "complete it by {date}.",
    "extension.acknowledge": "We need more time to acknowledge your {label}. We now expect to "
    "do so by {date}.",
    "extension.investigate": "We need more time to investigate your {label}. We now expect to "
    "complete our investigation by {date}.",
    "extension.decide": "We need more time to decide on your {label}. We now expect to reach "
    "our decision by {date}.",
    "extension.act": "We need more time to carry out our decision on your {label}. We now "
    "expect to complete it by {date}.",
    "extension.answer": "We need more time to answer your {label}. We now expect to answer by "
    "{date}.",
    "extension.notify": "We need more time to notify you of the outcome of your {label}. We "
    "now expect to do so by {date}.",
    "extension.verify_identity": "You now have until {date} to confirm your identity for "
    "your {label}.",
    "extension.payment": "You now have until {date} to pay the fee for your {label}.",
    "reason": "Reason, in our staff's words: {text}",
    "step.acknowledge": "acknowledging",
    "step.verify_identity": "the window to confirm your identity",
    "step.payment": "the window to pay the fee",
    "step.investigate": "our investigation",
    "step.decide": "our decision",
    "step.act": "carrying out our decision",
    "step.answer": "our answer",
    "step.notify": "notifying you",
}

LETTER_JA: dict[str, str] = {
    "greeting": "{name} 様\n\nSesenergy 個人情報お問い合わせ窓口でございます。",
    "signature": "Sesenergy\n個人情報お問い合わせ窓口\nお問い合わせ先：プライバシーセンターの"
    "お問い合わせフォーム（CONTACT）",
    "reference": "受付番号：{request_id}",
    "closing": "本通知についてご不明な点がございましたら、上記の受付番号を添えて、プライバシー"
    "センターのお問い合わせフォーム（CONTACT）よりお問い合わせください。今後ともよろしくお願い"
    "申し上げます。",
    "answer": "お問い合わせについて、以下のとおり回答いたします。",
    "item": "{category}／{field}",
    "item.value": "{category}／{field}：{value}",
    "item.in_system": "{field}（{system}：{collection}）",
    "item.marked": "{item}{marker}",
    "ground_sep": "、",
    # Article 4 ¶2: a changed purpose of use (domain/purpose_notice.py).
    "purpose_change.subject": "個人情報の利用目的の変更のお知らせ",
    "purpose_change.intro": "当組織は、プライバシーポリシー第4条に基づき、お客様の個人情報の"
    "利用目的を次のとおり変更しました。",
    "purpose_change.before": "変更前：{text}",
    "purpose_change.after": "変更後：{text}",
    "purpose_change.related": "変更後の利用目的は、変更前の利用目的と関連性を有すると合理的に"
    "認められる範囲のものです。",
    "purpose_change.published": "この変更は、すべての利用目的とともに当組織のウェブサイトでも"
    "公表しています。",
    "purpose_change.contact": "本変更についてご不明な点がございましたら、プライバシーセンターの"
    "お問い合わせフォーム（CONTACT）よりお問い合わせください。今後ともよろしくお願い申し上げます。",
    "list_sep": "、",
    "items": "{count}件",
    "items_one": "1件",
    "systems": "お客様の個人情報を保管している当組織の各システムでの対応は以下のとおりです：",
    "system.done": "{system}：{records}について対応しました",
    "system.nothing": "{system}：決定の対象となる情報は保管されていません",
    "system.kept": "{system}：そのまま保管しています。理由（当組織の記録から原文のまま引用）："
    "{reasons}",
    "system.waived": "{system}：対応していません。理由（担当者の記載を原文のまま引用）：{reason}",
    "system.not_reached": "{system}：検索できなかったため、本請求ではそこに保管されている情報を"
    "確認・変更していません",
    "system.owner": "{system}：担当者が{records}について対応しました",
    "system.owner_found": "{system}：担当者が検索し、{records}が見つかりました。その内容は本通知"
    "には記載していません。ご請求があればお知らせいたします",
    "records": "{count}件の記録",
    "records_one": "1件の記録",
    "counted": "{what}（{items}）",
    "or_sep": "、または",
    "kind.disclosure": "個人情報の開示請求（第6条）",
    "kind.correction": "個人情報の訂正・追加・削除の請求（第7条）",
    "kind.suspension": "個人情報の利用停止・消去の請求（第8条）",
    "kind.third_party_stop": "第三者提供の停止の請求（第5条）",
    "kind.inquiry": "プライバシーポリシーに関するお問い合わせ（第10条）",
    "subject.receipt": "{label}を受け付けました（受付番号：{request_id}）",
    "subject.answer": "{label}への回答（受付番号：{request_id}）",
    "subject.fee_request": "{label}の手数料のお支払いについて（受付番号：{request_id}）",
    "subject.identity_proof_requested": "{label}に関するご本人確認のお願い（受付番号："
    "{request_id}）",
    "subject.deadline_extended": "{label}の期限延長のお知らせ（受付番号：{request_id}）",
    "subject.outcome": "{label}の結果のお知らせ（受付番号：{request_id}）",
    "receipt": "{label}を受け付けました。",
    "receipt.answer_by": "{date}までに回答いたします。",
    "receipt.after_identity": "まずご本人であることを確認いたします。ご本人確認ができた日から"
    "{days}日以内に決定をお知らせいたします。",
    "receipt.identity_confirmed": "ご登録のメールアドレスにお送りした確認コードにより、ご本人で"
    "あることを確認いたしました。{days}日以内に決定をお知らせいたします。",
    "receipt.fee": "個人情報の開示には1件につき{amount}円の手数料がかかります（第6条）。"
    "手数料は開示を決定した場合にのみご請求いたします。お支払いを確認した日から{days}日以内に"
    "開示いたします。開示しないと決定した場合、手数料はかかりません。",
    "identity.ask": "{label}への対応に先立ち、ご本人であることを確認させていただく必要があります。",
    "identity.matched": "ご入力のメールアドレスは当組織にご登録のものと一致していますが、本請求"
    "は個人情報の開示・変更・消去を伴うため、担当者によるご本人確認も必要です。",
    "identity.matched.suspension": "ご入力のメールアドレスは当組織にご登録のものと一致して"
    "いますが、本請求は個人情報の利用停止または消去を伴うため、担当者によるご本人確認も必要です。",
    "identity.matched.third_party_stop": "ご入力のメールアドレスは当組織にご登録のものと一致して"
    "いますが、本請求は個人情報の第三者への提供の停止を伴うため、担当者によるご本人確認も必要"
    "です。",
    "identity.unmatched": "ご入力のメールアドレスは、当組織にご登録のものと一致しません。",
    "identity.how": "{date}中に、ご本人であることを証明するものを本メールへの返信でお送り"
    "いただくか、プライバシーセンターのお問い合わせフォーム（CONTACT）から受付番号{request_id}を"
    "添えてご連絡ください。期限までにご本人確認ができない場合は、対応せずに請求を終了いたします。",
    "fee.decided": "ご請求の個人情報について、手数料のお支払いを確認したうえで、以下のとおり開示"
    "することを決定しました。",
    "fee.to_disclose": "開示するもの：{what}。",
    "fee.request": "開示には1件につき{amount}円の手数料がかかります（第6条）。手数料は本件の"
    "ご請求全体に対するもので、開示する項目の数にはよりません。お支払い額：{amount}円。{date}"
    "中に請求書{invoice_id}のお支払いをお願いいたします。お支払いを確認後、開示いたします。"
    "期限までにお支払いがない場合は、請求を終了し、開示は行いません。",
    "extension": "{label}について、次の手続きにさらに時間を要しております：{step}。{date}までに完了"
    "する見込みです。",
    "extension.acknowledge": "{label}について、受付の手続きにさらに時間を要しております。{date}"
    "までに完了する見込みです。",
    "extension.investigate": "{label}について、調査にさらに時間を要しております。{date}までに"
    "調査を完了する見込みです。",
    "extension.decide": "{label}について、決定にさらに時間を要しております。{date}までに決定"
    "する見込みです。",
    "extension.act": "{label}について、決定の実施にさらに時間を要しております。{date}までに"
    "実施を完了する見込みです。",
    "extension.answer": "{label}について、回答の準備にさらに時間を要しております。{date}までに"
    "回答する見込みです。",
    "extension.notify": "{label}について、結果のご通知にさらに時間を要しております。{date}まで"
    "にご通知する見込みです。",
    "extension.verify_identity": "{label}について、ご本人確認の期限を{date}まで延長しました。",
    "extension.payment": "{label}について、手数料のお支払い期限を{date}まで延長しました。",
    "reason": "理由（担当者の記載を原文のまま引用）：{text}",
    "step.acknowledge": "受付",
    "step.verify_identity": "ご本人確認の期間",
    "step.payment": "手数料のお支払い期間",
    "step.investigate": "調査",
    "step.decide": "決定",
    "step.act": "決定の実施",
    "step.answer": "回答",
    "step.notify": "ご通知",
}
