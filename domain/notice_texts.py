"""The words of every notice, in the two languages a person may choose: Japanese and
English. `domain/notices.py` puts them together; this module only holds them.

Each sentence is a template with named fields; the same keys exist in both languages
(a unit test checks it), so no notice can come out half translated.
"""

from __future__ import annotations

from domain.link_reissue_texts import REISSUE_EN, REISSUE_JA
from domain.requests import Language
from domain.window_texts import WINDOW_EN, WINDOW_JA

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

EN: dict[str, str] = {
    "greeting": "Dear {name},",
    "signature": "Yours sincerely,\n\nSesenergy\nPersonal Information Desk\nContact: the "
    "CONTACT form on our website",
    "reference": "Reference: {request_id}",
    "closing": "If you have any questions about this notice, please contact us through the "
    "CONTACT form on our website, quoting the reference above.",
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
    "through the CONTACT form on our website.",
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
    "receipt": "We have received your {label}, reference {request_id}.",
    "receipt.answer_by": "We will answer by {date}.",
    "receipt.after_identity": "We will first confirm that you are the person concerned. We "
    "will tell you our decision within {days} days of confirming your identity.",
    "receipt.identity_confirmed": "You confirmed that you are the person concerned with the "
    "code we sent to the e-mail address we hold for you. We will tell you our decision "
    "within {days} days.",
    "receipt.fee": "A fee of {amount} yen per case applies to a disclosure of personal "
    "information (Article 6). We ask for it only once we have decided to disclose, and send "
    "the disclosure within {days} days of receiving it. If we decide not to disclose, "
    "nothing is charged.",
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
    "us through the inquiry form on our privacy center quoting reference {request_id}, by "
    "the end of {date}. If we cannot confirm your identity by then, we will close the "
    "request without acting on it.",
    "fee.decided": "We have decided to disclose the personal information you asked for, as "
    "set out below, once the fee is paid.",
    "fee.to_disclose": "To be disclosed: {what}.",
    "fee.request": "A fee of {amount} yen per case applies to the disclosure (Article 6). "
    "Please pay invoice "
    "{invoice_id} by the end of {date}; we make the disclosure available to you once the fee "
    "is received. If it is not paid by then, we will close the request and nothing will be "
    "disclosed.",
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
    "cat.identity": "identity information",
    "cat.contact": "contact information",
    "cat.financial": "financial information",
    "cat.transaction": "transaction records",
    "cat.history": "history information",
    "cat.characteristic": "characteristic information",
    "ground.risk_to_life_body_property_or_rights": "disclosure could harm the life, body, "
    "property or other rights and interests of you or a third party",
    "ground.significant_hindrance_to_business": "disclosure could significantly hinder the "
    "proper execution of our business",
    "ground.violation_of_other_laws": "disclosure would violate other laws and regulations",
    "exception.protection_of_life_body_property": "it is necessary to protect a person's "
    "life, body or property, and it is difficult to obtain your consent",
    "exception.public_health_or_children": "it is particularly necessary to improve public "
    "health or promote the sound growth of children, and it is difficult to obtain your "
    "consent",
    "exception.cooperation_with_authorities": "it is necessary to cooperate with a national "
    "agency, a local government or a person entrusted by them in executing affairs "
    "prescribed by laws and regulations, and obtaining your consent may impede those affairs",
    "relationship.entrustment": "entrusted with handling",
    "relationship.business_succession": "business succession",
    "relationship.joint_use": "joint use",
    "breach.used_beyond_purpose": "used beyond the purposes of use",
    "breach.obtained_wrongfully": "obtained by wrongful means",
    "disclosed.full": "We disclose to you all the personal information we hold about you "
    "that you asked for.",
    "disclosed.except": "We disclose to you the personal information we hold about you that "
    "you asked for, except what Article 6, second paragraph leaves out (see below).",
    "disclosed.part": "We disclose part of the personal information we hold about you; "
    "the rest is withheld under Article 6.",
    "disclosed.ready": "To keep it safe, the information itself is not in this e-mail: it "
    "is ready for you in our privacy center: {what}.",
    "disclosed.link": "Open it with this link: {url}\nWhen you open it, we send a one-time "
    "code to your e-mail address on record; enter it to see the information and to download "
    "it (as a JSON file, or as a page to print). The link can be used until {date}. After "
    "that it shows nothing; if you still need the information then, please contact us.",
    "disclosed.none_held": "We hold no personal information about you among what you asked "
    "for, so there is nothing to disclose, and no fee is charged.",
    "disclosed.only_excluded": "Among what you asked for, we hold no personal information "
    "about you: only information held in a form that does not identify you (below), which "
    "Article 6, second paragraph leaves out. So there is nothing to disclose, and no fee is "
    "charged.",
    "disclosed.items": "Personal information we hold about you:",
    "disclosed.suspended": "(use suspended)",
    "disclosed.excluded": "Under Article 6, second paragraph, we do not, in principle, "
    "disclose information other than personal information. Left out under that clause, as "
    "information we hold in a form that does not identify you: {what}.",
    "disclosed.excluded_legacy": "Left out of this disclosure under the reading of Article 6, "
    "second paragraph that we applied when we decided on your request: {what}. This is your "
    "personal information; we no longer leave it out: if you ask again for its disclosure, "
    "we will disclose it without charging the fee.",
    "disclosed.fee_waived_legacy": "No fee is charged for this disclosure: you asked again "
    "for personal information that an earlier disclosure left out under a reading of "
    "Article 6, second paragraph that we no longer apply.",
    "disclosed.included": "Although information other than personal information is not "
    "disclosed in principle (Article 6, second paragraph), we include what we hold of {what} "
    "in a form that does not identify you.",
    "disclosed.withheld": "Withheld under Article 6: {what}. Grounds: {grounds}.",
    "disclosed.fee_paid": "Fee: {amount} yen, paid (invoice {invoice_id}).",
    "refused": "We have decided not to disclose the personal information you asked for, "
    "under Article 6. Grounds: {grounds}. No fee is charged.",
    "correction.made": "We have made these changes to your personal information:",
    "correction.corrected": "{field}: corrected to {value}",
    "correction.added": "{field}: added as {value}",
    "correction.deleted": "{field}: deleted",
    "correction.none_made": "We made none of the changes you requested, because none of them "
    "would change what we hold.",
    "correction.not_made": "We did not make these changes:",
    "correction.why.not_held": "{field} ({action}): we hold no such item",
    "correction.why.already_held": "{field} (add): we already hold this item",
    "correction.why.already_this_value": "{field} (correct): it already has this value",
    "correction.why.declined": "{field} ({action}): we decided it is not necessary (see the "
    "reason below)",
    "action.correct": "correct",
    "action.add": "add",
    "action.delete": "delete",
    "correction.declined": "We have decided not to make the correction, addition or "
    "deletion you requested.",
    "suspension.found": "Our investigation found that these items of your personal "
    "information were {breach}:",
    "suspension.suspended": "We have suspended their use, including any provision of them "
    "to third parties.",
    "suspension.erased": "We have erased them.",
    "suspension.rest_kept_suspend": "We have decided not to suspend the use of the rest of "
    "your personal information ({items}): on the grounds you gave, our investigation found "
    "none of it {breach}.",
    "suspension.rest_kept_erase": "We have decided not to erase the rest of your personal "
    "information ({items}): on the grounds you gave, our investigation found none of it "
    "{breach}.",
    "suspension.already": "Besides these, the use of {items} found in breach was suspended "
    "already, before this request.",
    "suspension.refused": "Our investigation found none of your personal information used "
    "beyond the purposes of use or obtained by wrongful means on the grounds you gave, so "
    "we have decided not to suspend its use or erase it.",
    "suspension.refused_already": "The use of {items} of your personal information "
    "found in breach was suspended already, before this request; our investigation found "
    "nothing else used beyond the purposes of use or obtained by wrongful means, so we "
    "have decided to take no further action.",
    "alternative": "Suspending use or erasing these items would {ground}, so under Article 8 "
    "we have taken alternative measures to protect your rights and interests instead. Their "
    "use has not been suspended and they have not been erased.",
    "alternative.large_expense": "involve a large amount of expense",
    "alternative.otherwise_difficult": "be otherwise difficult",
    "alternative.measure": "Alternative measures taken, in our staff's words: {text}",
    "provision.stopped": "We have stopped providing your personal information to: {partners}.",
    "provision.continued": "We have decided to continue providing your personal information "
    "to {partner}, because the law permits this provision without your consent: {exception} "
    "(Article 5).",
    "provision.already_stopped": "Provision to {partners} was stopped already, before this "
    "request.",
    "provision.none": "None of the recipients you named receives your personal information "
    "from us as a third party, so there is no provision to stop.",
    "provision.not_third_parties": "These recipients are not third parties under Article 5 "
    "({relationships}), so provision to them continues: {partners}.",
    "provision.unknown": "What you entered as {partners} did not match the name or id of "
    "any recipient of your personal information on our records, so we took no action on it. "
    "The disclosure of your personal information (Article 6) names each recipient; you may "
    "ask again naming one of them, or ask us to stop provision to all third parties.",
    "provision.quoted": "\u201c{text}\u201d",
    "provision.particulars.joint_use": "{partner} uses your personal information jointly "
    "with us (Article 5, second paragraph). Items used jointly: {items}. Scope of joint "
    "users: {scope_of_joint_users}. Their purpose of use: {purpose}. Responsible for its "
    "management: {person_responsible}.",
    "provision.particulars.entrustment": "We entrust {partner} with part of the handling of "
    "your personal information (Article 5, second paragraph). Handling entrusted: "
    "{handling}. The purpose of use it is necessary for: {purpose}.",
    "provision.consent_kept": "Your consent to the provision to {partners} remains on "
    "record. This request was confirmed only by the e-mail address entered in it, so we "
    "have stopped the provision but have not withdrawn your consent. To withdraw it as well, "
    "please make the request through our privacy center, which confirms it with a code sent "
    "to your registered address.",
    "closed.identity_not_verified": "We have closed your request because we could not "
    "confirm your identity within the time allowed. Nothing was disclosed or changed. You "
    "are welcome to make a new request.",
    "closed.fee_unpaid": "We have closed your request because the disclosure fee was not "
    "paid within the time allowed. Nothing was disclosed. If you paid after the deadline, "
    "please tell us through the inquiry form on our privacy center, quoting the invoice "
    "number, and we will refund the payment. You are welcome to make a new request.",
}

JA: dict[str, str] = {
    "greeting": "{name} 様\n\nSesenergy 個人情報お問い合わせ窓口でございます。",
    "signature": "Sesenergy\n個人情報お問い合わせ窓口\nお問い合わせ先：当組織ウェブサイトの"
    "お問い合わせフォーム（CONTACT）",
    "reference": "受付番号：{request_id}",
    "closing": "本通知についてご不明な点がございましたら、上記の受付番号を添えて、当組織ウェブ"
    "サイトのお問い合わせフォーム（CONTACT）よりお問い合わせください。今後ともよろしくお願い"
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
    "purpose_change.contact": "本変更についてご不明な点がございましたら、当組織ウェブサイトの"
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
    "には記載していません。ご請求があればお知らせします",
    "records": "{count}件の記録",
    "records_one": "1件の記録",
    "counted": "{what}（{items}）",
    "or_sep": "、または",
    "kind.disclosure": "個人情報の開示請求（第6条）",
    "kind.correction": "個人情報の訂正・追加・削除の請求（第7条）",
    "kind.suspension": "個人情報の利用停止・消去の請求（第8条）",
    "kind.third_party_stop": "第三者提供の停止の請求（第5条）",
    "kind.inquiry": "プライバシーポリシーに関するお問い合わせ（第10条）",
    "subject.receipt": "{label}を受け付けました [{request_id}]",
    "subject.answer": "{label}への回答 [{request_id}]",
    "subject.fee_request": "{label}の手数料について [{request_id}]",
    "subject.identity_proof_requested": "{label}に関するご本人確認のお願い [{request_id}]",
    "subject.deadline_extended": "{label}の期限延長のお知らせ [{request_id}]",
    "subject.outcome": "{label}の結果 [{request_id}]",
    "receipt": "{label}を受け付けました。受付番号は{request_id}です。",
    "receipt.answer_by": "{date}までに回答いたします。",
    "receipt.after_identity": "まずご本人であることを確認いたします。ご本人確認ができた日から"
    "{days}日以内に決定をお知らせします。",
    "receipt.identity_confirmed": "当組織が保有するご登録のメールアドレスにお送りしたコードにより、"
    "ご本人であることを確認いたしました。{days}日以内に決定をお知らせします。",
    "receipt.fee": "個人情報の開示には1件につき{amount}円の手数料がかかります（第6条）。"
    "手数料は開示を決定した場合にのみご請求し、お支払いを確認した日から{days}日以内に開示いたし"
    "ます。開示しないと決定した場合、手数料はかかりません。",
    "identity.ask": "{label}に対応する前に、ご本人であることを確認する必要があります。",
    "identity.matched": "ご申告のメールアドレスは当組織の登録と一致していますが、本請求は個人"
    "情報の開示・変更・消去を伴うため、担当者によるご本人確認も必要です。",
    "identity.matched.suspension": "ご申告のメールアドレスは当組織の登録と一致していますが、"
    "本請求は個人情報の利用停止または消去を伴うため、担当者によるご本人確認も必要です。",
    "identity.matched.third_party_stop": "ご申告のメールアドレスは当組織の登録と一致しています"
    "が、本請求は個人情報の第三者への提供の停止を伴うため、担当者によるご本人確認も必要です。",
    "identity.unmatched": "ご申告のメールアドレスは、当組織が保有するご登録のものと一致しません。",
    "identity.how": "{date}中に、ご本人であることを証明するものを本メールへの返信でお送り"
    "いただくか、プライバシーセンターのお問い合わせフォームから受付番号{request_id}を添えて"
    "ご連絡ください。期限までにご本人確認ができない場合、対応せずに請求を終了いたします。",
    "fee.decided": "ご請求の個人情報を、手数料のお支払いを確認後、以下のとおり開示することを"
    "決定しました。",
    "fee.to_disclose": "開示するもの：{what}。",
    "fee.request": "開示には1件につき{amount}円の手数料がかかります（第6条）。{date}"
    "中に請求書{invoice_id}のお支払いをお願いします。お支払いを確認後に開示いたします。期限"
    "までにお支払いがない場合は本件のお手続きを終了し、開示は行いません。",
    "extension": "{label}について、次の手続きにさらに時間を要します：{step}。{date}までに完了"
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
    "cat.identity": "本人を識別する情報",
    "cat.contact": "連絡先情報",
    "cat.financial": "金融情報",
    "cat.transaction": "取引記録",
    "cat.history": "履歴情報",
    "cat.characteristic": "特性情報",
    "ground.risk_to_life_body_property_or_rights": "本人または第三者の生命、身体、財産その他"
    "の権利利益を害するおそれがあること",
    "ground.significant_hindrance_to_business": "当組織の業務の適正な実施に著しい支障を及ぼす"
    "おそれがあること",
    "ground.violation_of_other_laws": "他の法令に違反することとなること",
    "exception.protection_of_life_body_property": "人の生命、身体または財産の保護のために"
    "必要があり、ご本人の同意を得ることが困難である場合",
    "exception.public_health_or_children": "公衆衛生の向上または児童の健全な育成の推進のために"
    "特に必要があり、ご本人の同意を得ることが困難である場合",
    "exception.cooperation_with_authorities": "国の機関、地方公共団体またはその委託を受けた者が"
    "法令の定める事務を遂行することに対して協力する必要があり、ご本人の同意を得ることにより"
    "当該事務の遂行に支障を及ぼすおそれがある場合",
    "relationship.entrustment": "業務委託",
    "relationship.business_succession": "事業承継",
    "relationship.joint_use": "共同利用",
    "breach.used_beyond_purpose": "利用目的の範囲を超えて取り扱われていた",
    "breach.obtained_wrongfully": "不正の手段により取得されていた",
    "disclosed.full": "ご請求のあった、当組織が保有するお客様の個人情報をすべて開示します。",
    "disclosed.except": "ご請求のあった、当組織が保有するお客様の個人情報を開示します。"
    "ただし、第6条第2項により開示しないもの（下記）を除きます。",
    "disclosed.part": "当組織が保有するお客様の個人情報の一部を開示します。残りは"
    "第6条に基づき開示いたしません。",
    "disclosed.ready": "安全のため、開示する情報はこのメールには記載しておりません。当組織の"
    "プライバシーセンターでご確認いただけます。開示するもの：{what}。",
    "disclosed.link": "こちらのリンクからご確認ください：{url}\nリンクを開くと、ご登録の"
    "メールアドレスに確認コードをお送りします。コードを入力いただくと、情報の閲覧と"
    "ダウンロード（JSONファイル、または印刷用のページ）ができます。このリンクは{date}まで"
    "ご利用いただけます。期限を過ぎると表示されなくなりますので、その後に情報が必要な場合は"
    "当組織までお問い合わせください。",
    "disclosed.none_held": "ご請求の範囲で当組織が保有するお客様の個人情報はありませんので、"
    "開示するものはなく、手数料もかかりません。",
    "disclosed.only_excluded": "ご請求の範囲で、当組織はお客様の個人情報を保有しておりません。"
    "保有しているのはお客様を識別できない形の情報（下記）のみで、第6条第2項により個人情報以外の"
    "情報として開示しないものですので、開示するものはなく、手数料もかかりません。",
    "disclosed.items": "当組織が保有するお客様の個人情報：",
    "disclosed.suspended": "（利用停止中）",
    "disclosed.excluded": "第6条第2項により、個人情報以外の情報は原則として開示いたしません。"
    "お客様を識別できない形で当組織が保有する情報として、同項により開示しなかったもの：{what}。",
    "disclosed.excluded_legacy": "ご請求について決定した時点の第6条第2項の解釈により、開示"
    "しなかったもの：{what}。これらはお客様の個人情報であり、現在は開示の対象としております。"
    "あらためて開示をご請求いただければ、手数料をいただかずに開示いたします。",
    "disclosed.fee_waived_legacy": "本件の開示には手数料はかかりません。以前の開示で、現在は"
    "採用していない第6条第2項の解釈により開示しなかったお客様の個人情報を、あらためて"
    "ご請求いただいたためです。",
    "disclosed.included": "個人情報以外の情報は原則として開示しませんが（第6条第2項）、お客様を"
    "識別できない形で保有する{what}も開示します。",
    "disclosed.withheld": "第6条により開示しなかったもの：{what}。事由：{grounds}。",
    "disclosed.fee_paid": "手数料：{amount}円（請求書{invoice_id}、お支払い済み）。",
    "refused": "第6条に基づき、ご請求の個人情報を開示しないことを決定しました。事由："
    "{grounds}。手数料はかかりません。",
    "correction.made": "お客様の個人情報について、以下のとおり変更しました：",
    "correction.corrected": "{field}：{value}に訂正",
    "correction.added": "{field}：{value}を追加",
    "correction.deleted": "{field}：削除",
    "correction.none_made": "ご請求の変更は、いずれも保有する情報に変わりがないため、行って"
    "いません。",
    "correction.not_made": "以下の変更は行っていません：",
    "correction.why.not_held": "{field}（{action}）：該当する情報を保有していません",
    "correction.why.already_held": "{field}（追加）：既に保有しています",
    "correction.why.already_this_value": "{field}（訂正）：既にご指定の内容で登録されています",
    "correction.why.declined": "{field}（{action}）：必要がないと判断しました（理由は下記のとおり"
    "です）",
    "action.correct": "訂正",
    "action.add": "追加",
    "action.delete": "削除",
    "correction.declined": "ご請求の訂正・追加・削除を行わないことを決定しました。",
    "suspension.found": "調査の結果、お客様の個人情報のうち以下の項目が{breach}ことが判明"
    "しました：",
    "suspension.suspended": "これらの利用（第三者への提供を含みます）を停止しました。",
    "suspension.erased": "これらを消去しました。",
    "suspension.rest_kept_suspend": "その他の個人情報（{items}）は、ご申告の理由について調査"
    "した結果、{breach}ものはなかったため、利用を停止しないことを決定しました。",
    "suspension.rest_kept_erase": "その他の個人情報（{items}）は、ご申告の理由について調査"
    "した結果、{breach}ものはなかったため、消去しないことを決定しました。",
    "suspension.already": "このほか、該当する{items}は本請求の前から利用を停止しています。",
    "suspension.refused": "調査の結果、ご申告の理由に該当する個人情報は見つかりませんでした"
    "ので、利用停止・消去を行わないことを決定しました。",
    "suspension.refused_already": "該当する個人情報のうち{items}は、本請求の前から利用を"
    "停止しています。その他に利用目的の範囲を超えた取扱いまたは不正の手段による取得は見つかり"
    "ませんでしたので、これ以上の措置は行わないことを決定しました。",
    "alternative": "これらの利用停止・消去は{ground}ため、第8条に基づき、お客様の権利利益を"
    "保護するための代替措置を講じました。これらの利用停止・消去は行っていません。",
    "alternative.large_expense": "多額の費用を要する",
    "alternative.otherwise_difficult": "困難である",
    "alternative.measure": "講じた代替措置（担当者の記載を原文のまま引用）：{text}",
    "provision.stopped": "以下の提供先への個人情報の提供を停止しました：{partners}。",
    "provision.continued": "{partner}への提供は、法令によりご本人の同意なく認められる場合"
    "（{exception}）に当たるため、継続することを決定しました（第5条）。",
    "provision.already_stopped": "{partners}への提供は、本請求の前から停止しています。",
    "provision.quoted": "「{text}」",
    "provision.none": "ご指定の提供先には、第三者としての個人情報の提供を行っていないため、"
    "停止する提供はありません。",
    "provision.not_third_parties": "以下の提供先は第5条の第三者に当たらない（{relationships}）"
    "ため、提供を継続します：{partners}。",
    "provision.unknown": "ご記入の{partners}は、当組織の記録にあるお客様の個人情報の提供先の"
    "名称または識別子のいずれとも一致しなかったため、これについては何も対応しておりません。"
    "提供先はお客様の個人情報の開示（第6条）でお知らせしております。そのいずれかをご指定のうえ、"
    "またはすべての第三者への提供の停止として、改めてご請求いただけます。",
    "provision.particulars.joint_use": "{partner}は、当組織とご本人の個人情報を共同して利用"
    "しています（第5条第2項）。共同利用する項目：{items}。共同利用者の範囲："
    "{scope_of_joint_users}。利用する者の利用目的：{purpose}。管理について責任を有する者："
    "{person_responsible}。",
    "provision.particulars.entrustment": "当組織は、ご本人の個人情報の取扱いの一部を{partner}に"
    "委託しています（第5条第2項）。委託する取扱い：{handling}。その取扱いを必要とする利用目的："
    "{purpose}。",
    "provision.consent_kept": "{partners}への提供についてのご本人の同意は、記録に残しています。"
    "本請求はご入力のメールアドレスによる確認のみであったため、提供は停止しましたが、同意の撤回は"
    "行っていません。同意も撤回される場合は、ご登録のメールアドレスに確認コードをお送りする"
    "プライバシーセンターからご請求ください。",
    "closed.identity_not_verified": "期限までにご本人確認ができなかったため、請求を終了しま"
    "した。開示・変更は行っていません。改めてご請求いただけます。",
    "closed.fee_unpaid": "期限までに開示手数料のお支払いがなかったため、請求を終了しました。"
    "開示は行っていません。期限後にお支払いいただいた場合は、プライバシーセンターのお問い合わせ"
    "フォームから請求書番号を添えてお知らせください。返金いたします。改めてご請求いただけます。",
}

# The person's windows, the fee's payment and the proof of identity (domain/window_texts.py)
EN.update(WINDOW_EN)
JA.update(WINDOW_JA)
# A disclosure's link issued again (domain/link_reissue_texts.py, C4)
EN.update(REISSUE_EN)
JA.update(REISSUE_JA)

TEXTS: dict[Language, dict[str, str]] = {Language.EN: EN, Language.JA: JA}
