# ruff: noqa: RUF001 - the Japanese notice is written with full-width punctuation
"""The notice of a disclosure's link issued again (C4, `dsr reissue-disclosure-link`), in
English and Japanese; merged into domain/notice_texts.py."""

from __future__ import annotations

REISSUE_EN: dict[str, str] = {
    "subject.disclosure_link_reissued": "A new link to your disclosure [{request_id}]",
    "disclosure_link.reissued": "As the disclosure of your personal information for request "
    "{request_id} is ready in our privacy center, we have issued a new link to it: {url}\n"
    "The link we sent you before no longer opens anything. When you open the new one, we send "
    "a one-time code to your e-mail address on record; enter it to see the information and to "
    "download it (as a JSON file, or as a page to print). The new link can be used until "
    "{date}. No fee is charged for it.",
}

REISSUE_JA: dict[str, str] = {
    "subject.disclosure_link_reissued": "開示情報への新しいリンクのお知らせ"
    "（受付番号：{request_id}）",
    "disclosure_link.reissued": "受付番号{request_id}のご請求により開示するお客様の個人情報は、"
    "当組織のプライバシーセンターでご確認いただけます。新しいリンクを発行しましたので、"
    "こちらからご確認ください：{url}\n以前お送りしたリンクは、今後はご利用いただけません。"
    "新しいリンクを開くと、ご登録のメールアドレスに確認コードをお送りします。コードを入力"
    "いただくと、情報の閲覧とダウンロード（JSONファイル、または印刷用のページ）ができます。"
    "新しいリンクは{date}までご利用いただけます。リンクの再発行に手数料はかかりません。",
}
