# ruff: noqa: RUF001 - the Japanese notice is written with full-width punctuation
"""The notice that a fee paid after the payment window was refunded (N7, `dsr
record-refund`), in English and Japanese; merged into domain/notice_texts.py."""

from __future__ import annotations

REFUND_EN: dict[str, str] = {
    "subject.fee_refunded": "Your disclosure fee has been refunded [{request_id}]",
    "fee.refunded": "As we told you when we closed request {request_id}, the disclosure fee you "
    "paid after the payment deadline could not be accepted. We refunded it in full: {amount} yen "
    "(invoice {invoice_id}) was paid back to you on {date}. Nothing else is due on this "
    "request, and you are welcome to make a new one.",
}

REFUND_JA: dict[str, str] = {
    "subject.fee_refunded": "開示手数料のご返金のお知らせ（受付番号：{request_id}）",
    "fee.refunded": "受付番号{request_id}の請求を終了した際にお知らせしたとおり、お支払い期限を"
    "過ぎてお支払いいただいた開示手数料はお受けできませんでした。{date}に、請求書{invoice_id}の"
    "手数料{amount}円を全額ご返金いたしました。本請求について、これ以上のお手続きはございません。"
    "改めてご請求いただけます。",
}
