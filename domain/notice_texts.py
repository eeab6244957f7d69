"""The words of every notice, in the two languages a person may choose: Japanese and
English. `domain/notices.py` puts them together; this module only holds them, and `TEXTS`
is the one place callers read them from.

This module holds the outcomes' words (categories, grounds, what was disclosed, corrected,
suspended or stopped, and the closings); the letter and the request's steps are in
domain/letter_texts.py, the person's windows and the fee's payment in
domain/window_texts.py, merged here.

Each sentence is a template with named fields; the same keys exist in both languages
(a unit test checks it), so no notice can come out half translated.
"""

from __future__ import annotations

from domain.letter_texts import LETTER_EN, LETTER_JA
from domain.link_reissue_texts import REISSUE_EN, REISSUE_JA
from domain.refund_texts import REFUND_EN, REFUND_JA
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
    "relationship.entrustment": "entrustment",
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
    "disclosed.ready": "To keep it safe, the information itself is not in this e-mail; it "
    "is ready for you in our privacy center. What we disclose: {what}.",
    "disclosed.link": "Open it with this link: {url}\nWhen you open it, we send a one-time "
    "code to your e-mail address on record; enter it to see the information and to download "
    "it (as a JSON file, or as a page to print). The link can be used until {date}. After "
    "that it shows nothing; if you still need the information then, please ask us through "
    "the CONTACT form in our privacy center and we will send you a new link, free of charge.",
    "disclosed.none_held": "We hold no personal information about you among what you asked "
    "for, so there is nothing to disclose, and no fee is charged.",
    "disclosed.only_excluded": "Among what you asked for, we hold no personal information "
    "about you, only information in a form that does not identify you (see below). So there "
    "is nothing to disclose, and no fee is charged.",
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
    "suspension.suspended": "We have suspended the use of the items above, including any "
    "provision of them to third parties.",
    "suspension.erased": "We have erased the items above.",
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
    "alternative": "Suspending use of the items above or erasing them would {ground}, so "
    "under Article 8 we have taken alternative measures to protect your rights and "
    "interests instead. Their use has not been suspended and they have not been erased.",
    "alternative.large_expense": "involve a large amount of expense",
    "alternative.otherwise_difficult": "be otherwise difficult",
    "alternative.measure": "Alternative measures taken, in our staff's words: {text}",
    "provision.stopped": "We have stopped providing your personal information to: {partners}.",
    "provision.continued": "We have decided to continue providing your personal information "
    "to {partner}, because the law permits this provision without your consent: {exception} "
    "(Article 5).",
    "provision.already_stopped": "Provision to {partners} was stopped already, before this "
    "request.",
    "provision.none": "We do not provide your personal information as a third party to any "
    "recipient your request covers, so there is no provision to stop.",
    "provision.not_third_parties": "These recipients are not third parties under Article 5 "
    "({relationships}), so provision to them continues: {partners}.",
    "provision.unknown": "What you entered as {partners} did not match the name or id of "
    "any recipient of your personal information on our records, so we took no action on it. "
    "The form for this request in our privacy center lists, free of charge, the third "
    "parties we provide personal information to (the disclosure of your personal information "
    "under Article 6 also names the recipients of each item). When you ask again, please "
    "choose one of them, or ask us to stop provision to all third parties.",
    "provision.quoted": "\u201c{text}\u201d",
    "provision.recipient": "{name} ({id})",
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
    "please tell us through the CONTACT form in our privacy center, quoting the invoice "
    "number, and we will refund the payment. You are welcome to make a new request.",
    # Issue 24 (p24-measures): Art 6 ¶1 part by part (N17); Art 8 ¶4's measure, named
    # and applied or confirmed (old item 7)
    "disclosed.withheld_parts": "Withheld under Article 6, each part on its own ground:",
    "disclosed.withheld_part": "{what} ({items}), on the ground that {ground}",
    "measure.stop_provision_to_third_parties": "stopping the provision of these items to "
    "any third party",
    "measure.stop_use_for_the_breaching_purpose": "stopping the use of these items that "
    "was found in breach",
    "measure.restrict_access": "restricting access to these items to the staff who need it",
    "measure.applied": "The measure taken on the items listed above: {measure}. Our request "
    "service applied it itself, and these items are no longer provided to third parties.",
    "measure.confirmed": "The measure taken on the items listed above: {measure}. It was "
    "taken in our other systems, and {account}, the member of staff responsible for it, "
    "confirmed on {date} that it had been taken.",
}

JA: dict[str, str] = {
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
    "disclosed.full": "ご請求のあったお客様の個人情報のうち、当組織が保有するものをすべて開示"
    "いたします。",
    "disclosed.except": "ご請求のあったお客様の個人情報のうち、当組織が保有するものを開示いたし"
    "ます。ただし、第6条第2項により開示しないもの（下記）を除きます。",
    "disclosed.part": "当組織が保有するお客様の個人情報の一部を開示します。残りは"
    "第6条に基づき開示いたしません。",
    "disclosed.ready": "安全のため、開示する情報はこのメールには記載しておりません。当組織の"
    "プライバシーセンターでご確認いただけます。開示するもの：{what}。",
    "disclosed.link": "こちらのリンクからご確認ください：{url}\nリンクを開くと、ご登録の"
    "メールアドレスに確認コードをお送りします。コードを入力いただくと、情報の閲覧と"
    "ダウンロード（JSONファイル、または印刷用のページ）ができます。このリンクは{date}まで"
    "ご利用いただけます。期限を過ぎると表示されなくなりますので、その後に情報が必要な場合は"
    "プライバシーセンターのお問い合わせフォーム（CONTACT）よりお申し付けください。新しいリンクを"
    "無料でお送りいたします。",
    "disclosed.none_held": "ご請求の範囲で当組織が保有するお客様の個人情報はありませんので、"
    "開示するものはなく、手数料もかかりません。",
    "disclosed.only_excluded": "ご請求の範囲で、当組織はお客様の個人情報を保有しておりません。"
    "保有しているのはお客様を識別できない形の情報（下記）のみです。そのため、開示するものはなく、"
    "手数料もかかりません。",
    "disclosed.items": "当組織が保有するお客様の個人情報：",
    "disclosed.suspended": "（利用停止中）",
    "disclosed.excluded": "第6条第2項により、個人情報以外の情報は原則として開示いたしません。"
    "お客様を識別できない形で当組織が保有する情報として、同項により開示しないもの：{what}。",
    "disclosed.excluded_legacy": "ご請求について決定した時点の第6条第2項の解釈により、開示"
    "しなかったもの：{what}。これらはお客様の個人情報であり、現在は開示の対象としております。"
    "改めて開示をご請求いただければ、手数料をいただかずに開示いたします。",
    "disclosed.fee_waived_legacy": "本件の開示には手数料はかかりません。以前の開示で、現在は"
    "採用していない第6条第2項の解釈により開示しなかったお客様の個人情報を、改めてご請求"
    "いただいたためです。",
    "disclosed.included": "個人情報以外の情報は原則として開示いたしませんが（第6条第2項）、"
    "お客様を識別できない形で保有する{what}も開示いたします。",
    "disclosed.withheld": "第6条により開示しないもの：{what}。事由：{grounds}。",
    "disclosed.fee_paid": "手数料：{amount}円（請求書{invoice_id}、お支払い済み）。",
    "refused": "第6条に基づき、ご請求の個人情報を開示しないことを決定しました。事由："
    "{grounds}。手数料はかかりません。",
    "correction.made": "お客様の個人情報について、以下のとおり変更しました：",
    "correction.corrected": "{field}：{value}に訂正",
    "correction.added": "{field}：{value}を追加",
    "correction.deleted": "{field}：削除",
    "correction.none_made": "ご請求の変更は、いずれも当組織が保有する情報を変えるものではない"
    "ため、行っていません。",
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
    "suspension.suspended": "上記の項目の利用（第三者への提供を含みます）を停止しました。",
    "suspension.erased": "上記の項目を消去しました。",
    "suspension.rest_kept_suspend": "その他の個人情報（{items}）は、ご申告の理由について調査"
    "した結果、{breach}ものはなかったため、利用を停止しないことを決定しました。",
    "suspension.rest_kept_erase": "その他の個人情報（{items}）は、ご申告の理由について調査"
    "した結果、{breach}ものはなかったため、消去しないことを決定しました。",
    "suspension.already": "このほか、該当する{items}は本請求の前から利用を停止しています。",
    "suspension.refused": "調査の結果、ご申告の理由について、利用目的の範囲を超えて取り扱われて"
    "いた、または不正の手段により取得されていた個人情報は見つかりませんでしたので、利用停止・"
    "消去を行わないことを決定しました。",
    "suspension.refused_already": "該当する個人情報のうち{items}は、本請求の前から利用を"
    "停止しています。その他に利用目的の範囲を超えた取扱いまたは不正の手段による取得は見つかり"
    "ませんでしたので、これ以上の措置は行わないことを決定しました。",
    "alternative": "上記の項目の利用停止・消去は{ground}ため、第8条に基づき、お客様の権利"
    "利益を保護するための代替措置を講じました。利用停止・消去そのものは行っていません。",
    "alternative.large_expense": "多額の費用を要する",
    "alternative.otherwise_difficult": "困難である",
    "alternative.measure": "講じた代替措置（担当者の記載を原文のまま引用）：{text}",
    "provision.stopped": "次の提供先へのお客様の個人情報の提供を停止しました：{partners}。",
    "provision.continued": "{partner}への提供は、法令によりご本人の同意なく認められる場合"
    "（{exception}）に当たるため、継続することを決定しました（第5条）。",
    "provision.already_stopped": "{partners}への提供は、本請求の前から停止しています。",
    "provision.quoted": "「{text}」",
    "provision.recipient": "{name}（{id}）",
    "provision.none": "ご請求の対象となる提供先には、第三者としてのお客様の個人情報の提供を"
    "行っていないため、停止する提供はありません。",
    "provision.not_third_parties": "以下の提供先は第5条の第三者に当たらない（{relationships}）"
    "ため、提供を継続します：{partners}。",
    "provision.unknown": "ご記入の{partners}は、当組織の記録にあるお客様の個人情報の提供先の"
    "名称または識別子のいずれとも一致しなかったため、この記載については対応しておりません。"
    "当組織が個人情報を提供している第三者は、プライバシーセンターの本請求のフォームに一覧で"
    "表示しており、無料でご確認いただけます（お客様の各項目の提供先は、個人情報の開示（第6条）"
    "でもお知らせしております）。改めてご請求の際は、そのいずれかをお選びいただくか、すべての"
    "第三者への提供の停止をご請求ください。",
    "provision.particulars.joint_use": "{partner}は、当組織とお客様の個人情報を共同して利用"
    "しています（第5条第2項）。共同利用する項目：{items}。共同利用者の範囲："
    "{scope_of_joint_users}。利用する者の利用目的：{purpose}。管理について責任を有する者："
    "{person_responsible}。",
    "provision.particulars.entrustment": "当組織は、お客様の個人情報の取扱いの一部を{partner}に"
    "委託しています（第5条第2項）。委託する取扱い：{handling}。その取扱いを必要とする利用目的："
    "{purpose}。",
    "provision.consent_kept": "{partners}への提供についてのお客様の同意は、記録に残しています。"
    "本請求はご入力のメールアドレスによる確認のみでしたので、提供は停止しましたが、同意の撤回は"
    "行っていません。同意も撤回される場合は、ご登録のメールアドレスに確認コードをお送りする"
    "プライバシーセンターからご請求ください。",
    "closed.identity_not_verified": "期限までにご本人確認ができなかったため、請求を終了しま"
    "した。開示・変更は行っていません。改めてご請求いただけます。",
    "closed.fee_unpaid": "期限までに開示手数料のお支払いがなかったため、請求を終了しました。"
    "開示は行っていません。期限後にお支払いいただいた場合は、プライバシーセンターのお問い合わせ"
    "フォーム（CONTACT）から請求書番号を添えてお知らせください。返金いたします。改めてご請求いただけます。",
    # Issue 24 (p24-measures): Art 6 ¶1 part by part (N17); Art 8 ¶4 measures (old 7)
    "disclosed.withheld_parts": "第6条により、次のものはそれぞれの事由により開示いたしません：",
    "disclosed.withheld_part": "{what}（{items}）、事由：{ground}",
    "measure.stop_provision_to_third_parties": "これらの項目の第三者への提供の停止",
    "measure.stop_use_for_the_breaching_purpose": "これらの項目の、違反が認められた利用の停止",
    "measure.restrict_access": "これらの項目へのアクセスを業務上必要な担当者に限定する措置",
    "measure.applied": "上記の項目について講じた措置：{measure}。本手続のシステムにより当組織が"
    "直接実施し、これらの項目の第三者への提供は行われなくなりました。",
    "measure.confirmed": "上記の項目について講じた措置：{measure}。この措置は当組織の他のシステムで"
    "実施され、担当責任者（{account}）が{date}に実施を確認しました。",
}

# The letter, the receipt, identity, the fee request and extensions (domain/letter_texts.py)
EN.update(LETTER_EN)
JA.update(LETTER_JA)
# The person's windows, the fee's payment and the proof of identity (domain/window_texts.py)
EN.update(WINDOW_EN)
JA.update(WINDOW_JA)
# A disclosure's link issued again (domain/link_reissue_texts.py, C4)
EN.update(REISSUE_EN)
JA.update(REISSUE_JA)
# A late fee's refund recorded as paid (domain/refund_texts.py, N7)
EN.update(REFUND_EN)
JA.update(REFUND_JA)

TEXTS: dict[Language, dict[str, str]] = {Language.EN: EN, Language.JA: JA}
