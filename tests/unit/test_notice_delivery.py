"""mail/delivery.py: a fan-out writes the maildrop's files exactly as
`MaildropSender.send` does, removes only its own notices' leftover staging files, and
marks what it handed over, in chunks, also when a write fails."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mail import delivery as notice_delivery
from mail.delivery import NoticeDelivery, remove_staging_left, write_staged
from mail.maildrop import MaildropSender, maildrop_name, maildrop_staging_prefix
from store.outbox import OutgoingNotice
from store.purpose_notices import Notice

NOTICE = OutgoingNotice(
    0,
    "purpose-change/c1/subject-1",
    "hanako@example.jp",
    "利用目的の変更のお知らせ",
    "変更前: A\n変更後: B\n",
)


async def test_a_file_is_written_as_the_maildrop_sender_writes_it(tmp_path: Path) -> None:
    by_sender = await MaildropSender(tmp_path / "sender").send(NOTICE)
    (tmp_path / "batch").mkdir(mode=0o700)
    by_batch = write_staged(tmp_path / "batch", NOTICE)
    assert by_batch == by_sender == maildrop_name(NOTICE.idempotency_key)
    written = tmp_path / "batch" / by_batch
    assert written.read_bytes() == (tmp_path / "sender" / by_sender).read_bytes()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "batch").iterdir()] == [by_batch]


def test_only_the_batchs_leftover_staging_files_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "maildrop"
    assert remove_staging_left(folder, ["k1"]) == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    mine = folder / f"{maildrop_staging_prefix('k1')}0123.tmp"
    other = folder / f"{maildrop_staging_prefix('k2')}0123.tmp"
    delivered = folder / maildrop_name("k1")
    for path in (mine, other, delivered):
        path.write_text("{}")
    assert remove_staging_left(folder, ["k1"]) == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted([other.name, delivered.name])


def notices(n: int) -> list[Notice]:
    return [
        Notice(f"s{i}", f"purpose-change/c1/s{i}", f"s{i}@example.jp", "件名", "本文")
        for i in range(n)
    ]


async def test_a_failed_write_is_raised_after_the_written_ones_are_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked: list[list[tuple[str, str]]] = []

    async def mark(handed: list[tuple[str, str]]) -> int:
        marked.append(handed)
        return len(handed)

    write = notice_delivery.write_staged

    def failing_for_s4(folder: Path, notice: OutgoingNotice) -> str:
        if notice.idempotency_key.endswith("/s4"):
            raise OSError("injected")
        return write(folder, notice)

    monkeypatch.setattr(notice_delivery, "write_staged", failing_for_s4)
    delivery = NoticeDelivery(MaildropSender(tmp_path / "maildrop"), parallel=2, mark_every=3)
    try:
        with pytest.raises(OSError, match="injected"):
            await delivery.deliver(notices(7), mark)
    finally:
        delivery.close()
    # Chunks of three: the first marked whole, the second without s4, the third not tried.
    assert [[s for s, _ in chunk] for chunk in marked] == [["s0", "s1", "s2"], ["s3", "s5"]]
    assert sorted(p.name for p in (tmp_path / "maildrop").iterdir()) == sorted(
        maildrop_name(f"purpose-change/c1/s{i}") for i in (0, 1, 2, 3, 5)
    )
