# ruff: noqa: RUF001 - Japanese text is written with full-width punctuation, as it should be
"""The privacy center's words in Japanese and English. The same keys in both languages (a
test checks it), so no page comes out half translated. The names of request kinds, steps
and data categories are the notices' own (domain/notice_texts.py), so a page and a letter
never call a thing by two names."""

from __future__ import annotations

from domain.notice_texts import TEXTS as NOTICE_TEXTS
from domain.requests import Language
from interfaces.privacy_center.disclosure_texts import DISCLOSURE_EN, DISCLOSURE_JA

EN: dict[str, str] = {
    "title": "Privacy center",
    "org": "Sesenergy",
    "switch": "日本語",
    "intro": "Here you can use the rights our Privacy Policy gives you over your personal "
    "information. Choose what you would like to ask. We will send a confirmation code to the "
    "e-mail address you registered with us, to make sure the request comes from you.",
    "choose": "What would you like to ask?",
    "start.disclosure": "See the personal information we hold about you",
    "start.disclosure.note": "Article 6. A fee of 1,000 yen per case applies if we "
    "disclose anything. History and characteristic information is not disclosed in principle.",
    "start.correction": "Correct, add or delete your personal information",
    "start.correction.note": "Article 7. If what we hold about you is incorrect.",
    "start.suspension": "Stop the use of your personal information, or erase it",
    "start.suspension.note": "Article 8. If it is used beyond the purposes of use, or was "
    "obtained by wrongful means.",
    "start.third_party_stop": "Stop giving your personal information to third parties",
    "start.third_party_stop.note": "Article 5. Name the recipients you want us to stop "
    "providing to, or ask us to stop providing to all third parties.",
    "start.inquiry": "Ask a question about our Privacy Policy",
    "start.inquiry.note": "Article 10. Our contact form.",
    "back": "Back to the privacy center",
    # The purposes of use and their changes (Articles 3 and 4), purposes.html.
    "purposes.title": "Purposes of use of personal information",
    "purposes.intro": "We use personal information for the purposes below (Article 3 of our "
    "Privacy Policy). We change a purpose only when the changed purpose is reasonably "
    "considered to be related to the purpose before the change, and every change is "
    "published on this page (Article 4).",
    "purposes.current": "Purposes of use",
    "purposes.incidental": "Purposes incidental to the above",
    "purposes.incidental_to": "incidental to: {text}",
    "purposes.since": "in force since {date}",
    "purposes.changes": "Changes of purpose (Article 4)",
    "purposes.none": "No purpose of use has been changed.",
    "purposes.before": "Before",
    "purposes.after": "After",
    "purposes.published": "Published on {date}.",
    "purposes.effective": "In effect since {date}.",
    "purposes.pending": "Takes effect once the people concerned have been notified.",
    "purposes.policy": "Privacy Policy in force: version {version}.",
    "you": "About you",
    "name": "Your name",
    "email": "The e-mail address you registered with us",
    "email.hint": "We send the confirmation code to the address we have on record for you, "
    "never to another one.",
    "submit": "Send me a confirmation code",
    "required": "required",
    "optional": "optional",
    "fee": "Fee: 1,000 yen per case, asked for only once we have decided to disclose "
    "something. We will tell you how to pay.",
    "categories": "What would you like to see?",
    "categories.hint": "Tick none to ask for everything that may be disclosed.",
    "text": "Your question",
    "changes": "What should we change?",
    "changes.hint": "For each item: its name (for example phone, address, email), what to "
    "do, and the right value. Leave a row empty if you need fewer.",
    "field": "Item",
    "action": "What to do",
    "value": "Right value (not needed to delete)",
    "action.correct": "Correct",
    "action.add": "Add",
    "action.delete": "Delete",
    "statement": "What is wrong in what we hold, and why",
    "statement.optional": "Anything you would like to add",
    "suspension.action": "What would you like us to do?",
    "suspension.suspend_use": "Stop using it",
    "suspension.erase": "Erase it",
    "grounds": "Why?",
    "ground.used_beyond_purpose": "It is used beyond the purposes of use we published",
    "ground.obtained_wrongfully": "It was obtained by wrongful means",
    "partners": "Recipients to stop providing to",
    "partners.hint": "One recipient a line, by the name or the id that the disclosure of "
    "your personal information gives it (for example Ad Network Inc.). Leave this empty if "
    "you chose them above, or ask us to stop providing to all third parties.",
    "partners.all": "Stop providing my personal information to all third parties",
    "partners.choose": "Or choose the recipients to stop providing to (the third parties we "
    "provide personal information to; the disclosure of your personal information says which "
    "of them receive yours):",
    "problems": "Please check what you entered:",
    "problem": "{field}: {message}",
    "problem.generic": "this does not look right",
    "bad_form": "This form has expired or did not come from this page. Please open the page "
    "again and send it once more.",
    "verify.title": "Enter your confirmation code",
    "verify.sent": "If the address you entered is registered with us, we have sent a "
    "6-digit confirmation code to it. It is valid for {minutes} minutes.",
    "verify.code": "Confirmation code",
    "verify.submit": "Confirm and send my request",
    "verify.wrong": "That code is not right. You can try {left} more time(s).",
    "verify.locked": "This code was entered wrongly three times, so it is locked for "
    "{minutes} minutes for your protection. After that, please ask for a new code.",
    "verify.expired": "This code has expired. Please go back and ask for a new code.",
    "verify.used": "This code has already been used. Your request was received; the link "
    "we sent you shows where it stands.",
    "limited.title": "Please wait a little",
    "limited": "Too many codes were asked for this address recently. Please try again later.",
    "throttled": "Too many forms or codes came from your connection just now. Please try "
    "again in {seconds} seconds.",
    "locked.address": "Codes for this address are locked for a while after three wrong "
    "entries. Please try again in {minutes} minutes.",
    "failed": "We could not send your request just now. Please enter the code again in a moment.",
    "done.title": "Your request has been sent",
    "done": "Thank you. We have received your {label}.",
    "done.reference": "Reference: {request_id}",
    "done.link": "We have sent you an e-mail with a link where you can see where your "
    "request stands at any time. Keep it to yourself.",
    "status.title": "Where your request stands",
    "status.kind": "Request",
    "status.reference": "Reference",
    "status.received": "Received",
    "status.status": "Status",
    "status.step": "Current step",
    "status.due": "Due by",
    "status.overdue": "(overdue: we apologise for the delay)",
    "status.outcome": "Outcome",
    "status.none": "-",
    "status.submitted": "received",
    "status.received_": "received",
    "status.in_progress": "in progress",
    "status.closed": "closed",
    "status.failed": "in progress (we are looking into a problem)",
    "outcome.answered": "answered",
    "outcome.disclosed_in_full": "disclosed in full",
    "outcome.disclosed_except_history_and_characteristic": "disclosed, except history and "
    "characteristic information",
    "outcome.disclosed_except_not_identifying": "disclosed, except information held in a form "
    "that does not identify you",
    "outcome.nothing_to_disclose": "nothing to disclose: we hold no personal information "
    "about you among what you asked for",
    "outcome.disclosed_in_part": "disclosed in part",
    "outcome.disclosure_refused": "not disclosed",
    "outcome.correction_made": "corrected",
    "outcome.correction_declined": "not corrected",
    "outcome.use_suspended": "use suspended",
    "outcome.erased": "erased",
    "outcome.suspension_refused": "not suspended",
    "outcome.alternative_measures": "alternative measures taken",
    "outcome.provision_stopped": "provision stopped",
    "outcome.stop_refused": "provision continues (permitted by law)",
    "outcome.no_provision_to_stop": "no provision to stop",
    "outcome.identity_not_verified": "closed: identity not confirmed",
    "outcome.fee_unpaid": "closed: fee not paid",
    "status.letter": "We have told you the details by e-mail.",
    "status.personal_data": "Your personal data in this request",
    "status.erased": "erased",
    "notfound.title": "Page not found",
    "notfound": "There is nothing at this address. If you followed a link from our e-mail, "
    "please check that you copied all of it.",
    "mail.code.subject": "Your confirmation code for the privacy center",
    "mail.code.body": "Your confirmation code for Sesenergy's privacy center is:\n\n"
    "    {code}\n\nEnter it on the page where you made your request, within {minutes} "
    "minutes. If you did not ask for it, you can ignore this message: nothing is sent "
    "without the code.\n\nSesenergy",
    "mail.status.subject": "Follow your request [{request_id}]",
    "mail.status.body": "Dear {name},\n\nWe have received your {label}, reference "
    "{request_id}. You can see where it stands at any time here:\n\n{url}\n\nKeep this link "
    "to yourself: whoever has it can see where this request stands.\n\nSesenergy",
    "mail.disclosure_code.subject": "Your code to open your disclosure",
    "mail.disclosure_code.body": "Your confirmation code to open the disclosure in "
    "Sesenergy's privacy center is:\n\n    {code}\n\nEnter it on the disclosure's page "
    "within {minutes} minutes. If you did not ask for it, you can ignore this message: "
    "nothing is shown without the code.\n\nSesenergy",
    # Issue 24 (N8): the CONTACT form for anyone, registered address or not (contact.py)
    "start.no_address": "No e-mail address registered with us, or no longer able to read it? "
    "Perhaps we received your information from one of our partners. Write to us through our "
    "contact form: it works with any address you can read.",
    "start.no_address.link": "Contact form",
    "contact.title": "Contact us",
    "contact.intro": "Article 10 of our Privacy Policy: for inquiries about the policy, "
    "please contact us here. You do not need an address registered with us. We send a "
    "confirmation code to the address you enter, to make sure you can read mail there, and "
    "we reply to that address.",
    "contact.scope": "This form does not confirm who you are. Unless the address you enter "
    "is the one we hold for you, our reply will contain no personal information about you: "
    "it answers your question and tells you how to prove your identity, so that we can then "
    "show, correct, stop or erase what we hold about you.",
    "contact.email": "An e-mail address you can read",
    "contact.email.hint": "We send the confirmation code and our reply to this address.",
}

JA: dict[str, str] = {
    "title": "プライバシーセンター",
    "org": "Sesenergy",
    "switch": "English",
    "intro": "プライバシーポリシーに基づき、ご自身の個人情報について各種のお申し出ができます。"
    "ご希望の内容をお選びください。ご本人からのお申し出であることを確認するため、ご登録の"
    "メールアドレスに確認コードをお送りします。",
    "choose": "お申し出の内容をお選びください",
    "start.disclosure": "当団体が保有するご自身の個人情報の開示",
    "start.disclosure.note": "第6条。開示する場合、1件につき1,000円の手数料がかかります。"
    "履歴情報および特性情報は原則として開示いたしません。",
    "start.correction": "個人情報の訂正・追加・削除",
    "start.correction.note": "第7条。保有する個人情報が事実でない場合。",
    "start.suspension": "個人情報の利用停止・消去",
    "start.suspension.note": "第8条。利用目的の範囲を超えて取り扱われている場合、または不正の"
    "手段により取得された場合。",
    "start.third_party_stop": "第三者への提供の停止",
    "start.third_party_stop.note": "第5条。提供を停止してほしい提供先をご指定いただくか、"
    "すべての第三者への提供の停止をお選びください。",
    "start.inquiry": "プライバシーポリシーに関するお問い合わせ",
    "start.inquiry.note": "第10条。お問い合わせフォームです。",
    "back": "プライバシーセンターへ戻る",
    # The purposes of use and their changes (Articles 3 and 4), purposes.html.
    "purposes.title": "個人情報の利用目的",
    "purposes.intro": "当組織は、個人情報を以下の目的のために利用します（プライバシーポリシー"
    "第3条）。利用目的は、変更前の利用目的と関連性を有すると合理的に認められる場合に限り変更"
    "し、変更はすべてこのページで公表します（第4条）。",
    "purposes.current": "利用目的",
    "purposes.incidental": "上記の利用目的に付随する目的",
    "purposes.incidental_to": "付随する利用目的：{text}",
    "purposes.since": "{date}から適用",
    "purposes.changes": "利用目的の変更（第4条）",
    "purposes.none": "利用目的の変更はありません。",
    "purposes.before": "変更前",
    "purposes.after": "変更後",
    "purposes.published": "{date}に公表しました。",
    "purposes.effective": "{date}から適用しています。",
    "purposes.pending": "対象となる方への通知が済み次第、適用します。",
    "purposes.policy": "適用中のプライバシーポリシー：{version}版",
    "you": "お申し出の方",
    "name": "お名前",
    "email": "ご登録のメールアドレス",
    "email.hint": "確認コードは、当団体に登録されているアドレスにのみお送りします。",
    "submit": "確認コードを受け取る",
    "required": "必須",
    "optional": "任意",
    "fee": "手数料：1件につき1,000円。開示することを決定した場合にのみお支払いをお願いし、"
    "お支払い方法をご案内します。",
    "categories": "開示をご希望の情報",
    "categories.hint": "何も選ばない場合は、開示できるすべての情報を対象とします。",
    "text": "お問い合わせ内容",
    "changes": "訂正等の内容",
    "changes.hint": "項目ごとに、項目名（例：phone、address、email）、内容、正しい値をご記入"
    "ください。不要な行は空欄のままで構いません。",
    "field": "項目",
    "action": "内容",
    "value": "正しい値（削除の場合は不要）",
    "action.correct": "訂正",
    "action.add": "追加",
    "action.delete": "削除",
    "statement": "保有する情報の誤りとその理由",
    "statement.optional": "補足事項",
    "suspension.action": "ご希望の対応",
    "suspension.suspend_use": "利用の停止",
    "suspension.erase": "消去",
    "grounds": "理由",
    "ground.used_beyond_purpose": "公表された利用目的の範囲を超えて取り扱われている",
    "ground.obtained_wrongfully": "不正の手段により取得された",
    "partners": "提供を停止する提供先",
    "partners.hint": "お客様の個人情報の開示でお知らせした提供先の名称または識別子"
    "（例：株式会社アドネット）を、1行に1件ずつご記入ください。すべての第三者への提供の停止を"
    "ご希望の場合や、上でお選びいただいた場合は空欄のままで構いません。",
    "partners.all": "すべての第三者への個人情報の提供を停止する",
    "partners.choose": "または、提供を停止する提供先をお選びください（当組織が個人情報を提供して"
    "いる第三者です。お客様の個人情報の提供先は、開示でお知らせしております）：",
    "problems": "入力内容をご確認ください：",
    "problem": "{field}：{message}",
    "problem.generic": "入力内容に誤りがあります",
    "bad_form": "このフォームは有効期限が切れているか、このページから送信されたものでは"
    "ありません。ページを開き直して、もう一度送信してください。",
    "verify.title": "確認コードの入力",
    "verify.sent": "ご入力のアドレスが当団体に登録されている場合、6桁の確認コードをお送り"
    "しました。有効期限は{minutes}分です。",
    "verify.code": "確認コード",
    "verify.submit": "確認してお申し出を送信する",
    "verify.wrong": "確認コードが正しくありません。あと{left}回入力できます。",
    "verify.locked": "確認コードが3回誤って入力されたため、安全のため{minutes}分間ロック"
    "しました。その後、新しいコードをお申し込みください。",
    "verify.expired": "確認コードの有効期限が切れました。戻って新しいコードをお申し込みください。",
    "verify.used": "この確認コードは使用済みです。お申し出は受け付けております。お送りした"
    "リンクから状況をご確認いただけます。",
    "limited.title": "しばらくお待ちください",
    "limited": "このアドレスへの確認コードのお申し込みが短時間に多すぎます。時間をおいて"
    "お試しください。",
    "throttled": "お使いの接続から短時間に多くの送信がありました。{seconds}秒後にお試しください。",
    "locked.address": "誤ったコードが3回入力されたため、このアドレスへのコードはしばらく"
    "ロックされています。{minutes}分後にお試しください。",
    "failed": "ただいまお申し出を送信できませんでした。少し時間をおいて、もう一度コードを"
    "入力してください。",
    "done.title": "お申し出を受け付けました",
    "done": "ありがとうございます。{label}を受け付けました。",
    "done.reference": "受付番号：{request_id}",
    "done.link": "お申し出の状況をいつでもご確認いただけるリンクをメールでお送りしました。"
    "他の方には共有しないでください。",
    "status.title": "お申し出の状況",
    "status.kind": "お申し出",
    "status.reference": "受付番号",
    "status.received": "受付日時",
    "status.status": "状況",
    "status.step": "現在の段階",
    "status.due": "期限",
    "status.overdue": "（期限を過ぎております。大変申し訳ございません）",
    "status.outcome": "結果",
    "status.none": "－",
    "status.submitted": "受付済み",
    "status.received_": "受付済み",
    "status.in_progress": "対応中",
    "status.closed": "完了",
    "status.failed": "対応中（問題を確認しております）",
    "outcome.answered": "回答済み",
    "outcome.disclosed_in_full": "全部開示",
    "outcome.disclosed_except_history_and_characteristic": "開示（履歴情報・特性情報を除く）",
    "outcome.disclosed_except_not_identifying": "開示（お客様を識別できない形で保有する情報を"
    "除く）",
    "outcome.nothing_to_disclose": "開示対象なし（ご請求の範囲でお客様の個人情報の保有なし）",
    "outcome.disclosed_in_part": "一部開示",
    "outcome.disclosure_refused": "不開示",
    "outcome.correction_made": "訂正済み",
    "outcome.correction_declined": "訂正せず",
    "outcome.use_suspended": "利用停止済み",
    "outcome.erased": "消去済み",
    "outcome.suspension_refused": "利用停止等を行わず",
    "outcome.alternative_measures": "代替措置を実施",
    "outcome.provision_stopped": "提供停止済み",
    "outcome.stop_refused": "提供継続（法令により認められる提供）",
    "outcome.no_provision_to_stop": "停止対象の提供なし",
    "outcome.identity_not_verified": "終了：ご本人確認ができませんでした",
    "outcome.fee_unpaid": "終了：手数料のお支払いがありませんでした",
    "status.letter": "詳細はメールでお知らせしております。",
    "status.personal_data": "本件の個人情報",
    "status.erased": "消去済み",
    "notfound.title": "ページが見つかりません",
    "notfound": "このアドレスには何もありません。メールのリンクから来られた場合は、リンク"
    "全体をコピーしたかご確認ください。",
    "mail.code.subject": "プライバシーセンターの確認コード",
    "mail.code.body": "Sesenergy プライバシーセンターの確認コードは次のとおりです。\n\n"
    "    {code}\n\nお申し出のページで{minutes}分以内に入力してください。お心当たりのない"
    "場合は、このメールを破棄してください。コードが入力されない限り、お申し出は送信"
    "されません。\n\nSesenergy",
    "mail.status.subject": "お申し出の状況のご確認（受付番号：{request_id}）",
    "mail.status.body": "{name} 様\n\n{label}を受け付けました（受付番号：{request_id}）。"
    "状況は次のリンクからいつでもご確認いただけます。\n\n{url}\n\nこのリンクは他の方に"
    "共有しないでください。リンクをお持ちの方は誰でも、このお申し出の状況を見ることが"
    "できます。\n\nSesenergy",
    "mail.disclosure_code.subject": "開示をご覧いただくための確認コード",
    "mail.disclosure_code.body": "Sesenergy プライバシーセンターで開示をご覧いただくための"
    "確認コードは次のとおりです。\n\n    {code}\n\n開示のページで{minutes}分以内に"
    "入力してください。お心当たりのない場合は、このメールを破棄してください。コードが"
    "入力されない限り、何も表示されません。\n\nSesenergy",
    # Issue 24 (N8): the CONTACT form for anyone, registered address or not (contact.py)
    "start.no_address": "当組織にメールアドレスをご登録でない方、ご登録のアドレスをお使いに"
    "なれない方、当組織が提携先からお客様の情報を取得している方は、お問い合わせフォームから"
    "ご連絡ください。受信できるアドレスであればどのアドレスでもご利用いただけます。",
    "start.no_address.link": "お問い合わせフォーム",
    "contact.title": "お問い合わせ",
    "contact.intro": "プライバシーポリシー第10条：本ポリシーに関するお問い合わせは、こちら"
    "からご連絡ください。当組織へのメールアドレスのご登録は不要です。ご入力のアドレスで"
    "メールを受信できることを確認するため確認コードをお送りし、回答もそのアドレスにお送り"
    "します。",
    "contact.scope": "このフォームではご本人であることの確認は行いません。ご入力のアドレス"
    "が当組織に登録されたものでない限り、回答にはお客様の個人情報を含めません。回答では"
    "ご質問にお答えし、ご本人確認の方法をご案内します。ご本人確認ができた後に、当組織が"
    "保有する個人情報の開示・訂正・利用停止・消去にお応えします。",
    "contact.email": "受信できるメールアドレス",
    "contact.email.hint": "確認コードと回答をこのアドレスにお送りします。",
}

# The page of a disclosure delivered here (Article 6; disclosure_texts.py)
EN.update(DISCLOSURE_EN)
JA.update(DISCLOSURE_JA)
TEXTS: dict[Language, dict[str, str]] = {Language.EN: EN, Language.JA: JA}

# Borrowed from the notices: names of kinds, steps, data categories.
_BORROWED = ("kind.", "step.", "cat.")


def texts(language: Language) -> dict[str, str]:
    """Every string a page of `language` may show."""
    borrowed = {
        key: value for key, value in NOTICE_TEXTS[language].items() if key.startswith(_BORROWED)
    }
    return {**borrowed, **TEXTS[language]}
