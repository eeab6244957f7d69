# ruff: noqa: RUF001 - Japanese text is written with full-width punctuation, as it should be
"""The words of a disclosure delivered in the privacy center (Article 6; disclosure.py and
its downloads), in English and Japanese; merged into texts.py's dictionaries."""

DISCLOSURE_EN: dict[str, str] = {
    # Article 6: the disclosure delivered here (interfaces/privacy_center/disclosure.py)
    "disclosure.title": "Your disclosure",
    "disclosure.intro": "This page holds the personal information we disclose to you in "
    "answer to your request {request_id} (Article 6).",
    "disclosure.ask": "To see it, ask for a confirmation code: we send it to your e-mail "
    "address on record. It is valid for {minutes} minutes and can be used once.",
    "disclosure.send": "Send me a code",
    "disclosure.expires": "This link can be used until {date}.",
    "disclosure.expired": "This link has expired, so it shows nothing any more. If you "
    "still need the information, please ask us through the CONTACT form and we will send "
    "you a new link, free of charge.",
    "disclosure.erased": "The personal information of this disclosure has been erased, so "
    "there is nothing left to show.",
    "disclosure.unreachable": "We could not send a code: we no longer hold an e-mail "
    "address for you. Please contact us.",
    "disclosure.sent": "We have sent a 6-digit confirmation code to your e-mail address on "
    "record. Enter it within {minutes} minutes.",
    "disclosure.open": "Show my information",
    "disclosure.used": "This code has already been used. Ask for a new code to open the "
    "disclosure again.",
    "disclosure.items": "Personal information disclosed to you",
    "disclosure.category": "Category",
    "disclosure.field": "Item",
    "disclosure.value": "Value",
    "disclosure.purpose": "Purpose of use",
    "disclosure.purpose.unregistered": "not a purpose of use on record (recorded as “{label}”)",
    "disclosure.recipients": "Provided to",
    "disclosure.suspended": "(use suspended)",
    "disclosure.nobody": "nobody",
    "disclosure.basis": "basis: {basis}",
    "disclosure.download.json": "Download as a JSON file",
    "disclosure.download.print": "Open a page to print",
    "disclosure.opened_until": "For your safety, this page stays open until {time}; after "
    "that, ask for a new code.",
    "disclosure.printed": "Printed from Sesenergy's privacy center. Keep it safe: it holds "
    "your personal information.",
    "disclosure.relationship.third_party": "third party",
    "disclosure.relationship.entrustment": "entrusted with handling",
    "disclosure.relationship.business_succession": "business succession",
    "disclosure.relationship.joint_use": "joint use",
    "disclosure.basis.consent": "your consent",
    "disclosure.basis.opt_out_notified": "opt-out announced in advance and notified to the "
    "Personal Information Protection Commission",
    "disclosure.basis.protection_of_life_body_property": "protection of life, body or property",
    "disclosure.basis.public_health_or_children": "public health or the sound growth of children",
    "disclosure.basis.cooperation_with_authorities": "cooperation with a national agency or "
    "local government under laws and regulations",
    "disclosure.basis.not_third_party": "not a third party (Article 5, second paragraph)",
    # Review C6: a provision on record that the feed withholds from the partner, and why.
    "disclosure.held_back": "on record, but not provided: {reason}",
    "disclosure.held_back.no_consent": "no consent of yours is on record",
    "disclosure.held_back.consent_withdrawn": "you withdrew your consent",
    "disclosure.held_back.consent_not_covering_items": "your consent does not cover this item",
    "disclosure.held_back.opt_out_no_commission_notification": "the Personal Information "
    "Protection Commission was not notified",
    "disclosure.held_back.opt_out_matters_missing": "the matters Article 5 requires were not "
    "all announced in advance",
    "disclosure.held_back.opt_out_purpose_missing": "no purpose of use includes provision to "
    "third parties",
    "disclosure.held_back.opt_out_items_not_lawfully_obtained": "this item was not lawfully "
    "obtained",
    "disclosure.held_back.opt_out_items_beyond_purpose": "this item is not used for the "
    "purpose that includes the provision",
    "disclosure.held_back.opt_out_announced_before_purpose": "the provision was announced "
    "before its purpose of use included it",
    "disclosure.held_back.entrustment_scope_missing": "the scope of the entrustment is not on "
    "record",
    "disclosure.held_back.joint_use_particulars_missing": "what joint use must make known is "
    "not on record",
    "disclosure.held_back.no_basis_recorded": "no basis for the provision is on record",
    "disclosure.held_back.footing_differs": "the basis on record differs",
    "disclosure.held_back.use_suspended": "its use is suspended",
    "disclosure.held_back.provision_stopped_by_measure": "we stopped providing it to third "
    "parties as an alternative measure (Article 8)",
}

DISCLOSURE_JA: dict[str, str] = {
    # Article 6: the disclosure delivered here (interfaces/privacy_center/disclosure.py)
    "disclosure.title": "開示のご案内",
    "disclosure.intro": "このページでは、お申し出（受付番号：{request_id}）にお応えして"
    "当組織が開示するお客様の個人情報をご確認いただけます（第6条）。",
    "disclosure.ask": "ご確認には確認コードが必要です。ご登録のメールアドレスにお送りします。"
    "コードの有効期限は{minutes}分で、1回のみご利用いただけます。",
    "disclosure.send": "確認コードを送る",
    "disclosure.expires": "このリンクは{date}までご利用いただけます。",
    "disclosure.expired": "このリンクは有効期限が切れたため、表示できません。情報が必要な"
    "場合は、お問い合わせフォーム（CONTACT）よりお申し付けください。新しいリンクを無料で"
    "お送りいたします。",
    "disclosure.erased": "この開示の個人情報は消去済みのため、表示できるものはありません。",
    "disclosure.unreachable": "ご登録のメールアドレスを当組織で保有していないため、確認"
    "コードをお送りできません。当組織までお問い合わせください。",
    "disclosure.sent": "ご登録のメールアドレスに6桁の確認コードをお送りしました。{minutes}"
    "分以内に入力してください。",
    "disclosure.open": "確認して表示する",
    "disclosure.used": "この確認コードは使用済みです。改めて開示をご覧になるには、新しい"
    "コードをお申し込みください。",
    "disclosure.items": "開示するお客様の個人情報",
    "disclosure.category": "区分",
    "disclosure.field": "項目",
    "disclosure.value": "内容",
    "disclosure.purpose": "利用目的",
    "disclosure.purpose.unregistered": "当組織の利用目的として登録されていないもの"
    "（記録上の表示：{label}）",
    "disclosure.recipients": "提供先",
    "disclosure.suspended": "（利用停止中）",
    "disclosure.nobody": "なし",
    "disclosure.basis": "根拠：{basis}",
    "disclosure.download.json": "JSONファイルでダウンロード",
    "disclosure.download.print": "印刷用のページを開く",
    "disclosure.opened_until": "安全のため、このページは{time}まで表示できます。その後は"
    "新しいコードをお申し込みください。",
    "disclosure.printed": "Sesenergy プライバシーセンターから印刷したものです。お客様の"
    "個人情報が含まれていますので、大切に保管してください。",
    "disclosure.relationship.third_party": "第三者",
    "disclosure.relationship.entrustment": "委託",
    "disclosure.relationship.business_succession": "事業承継",
    "disclosure.relationship.joint_use": "共同利用",
    "disclosure.basis.consent": "ご本人の同意",
    "disclosure.basis.opt_out_notified": "事前の通知・公表と個人情報保護委員会への届出"
    "（オプトアウト）",
    "disclosure.basis.protection_of_life_body_property": "人の生命、身体または財産の保護",
    "disclosure.basis.public_health_or_children": "公衆衛生の向上または児童の健全な育成の推進",
    "disclosure.basis.cooperation_with_authorities": "法令に基づく国の機関または地方公共団体への"
    "協力",
    "disclosure.basis.not_third_party": "第三者に該当しない（第5条第2項）",
    # Review C6: a provision on record that the feed withholds from the partner, and why.
    "disclosure.held_back": "記録上の提供先ですが、提供しておりません（{reason}）",
    "disclosure.held_back.no_consent": "お客様の同意の記録がないため",
    "disclosure.held_back.consent_withdrawn": "お客様が同意を撤回されたため",
    "disclosure.held_back.consent_not_covering_items": "お客様の同意がこの項目に及ばないため",
    "disclosure.held_back.opt_out_no_commission_notification": "個人情報保護委員会への届出が"
    "ないため",
    "disclosure.held_back.opt_out_matters_missing": "第5条が定める事項の事前の通知・公表が"
    "そろっていないため",
    "disclosure.held_back.opt_out_purpose_missing": "第三者提供を含む利用目的がないため",
    "disclosure.held_back.opt_out_items_not_lawfully_obtained": "この項目は適正に取得された"
    "ものではないため",
    "disclosure.held_back.opt_out_items_beyond_purpose": "この項目は提供を含む利用目的で"
    "利用しているものではないため",
    "disclosure.held_back.opt_out_announced_before_purpose": "提供の公表が、利用目的に提供が"
    "含まれる前になされたため",
    "disclosure.held_back.entrustment_scope_missing": "委託の範囲の記録がないため",
    "disclosure.held_back.joint_use_particulars_missing": "共同利用について事前にお知らせ"
    "すべき事項の記録がないため",
    "disclosure.held_back.no_basis_recorded": "提供の根拠の記録がないため",
    "disclosure.held_back.footing_differs": "記録上の提供の根拠と異なるため",
    "disclosure.held_back.use_suspended": "利用を停止しているため",
    "disclosure.held_back.provision_stopped_by_measure": "代替措置として第三者への提供を停止"
    "したため（第8条）",
}
