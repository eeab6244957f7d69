"""Delivering notices for real: over SMTP to a mail server on loopback (aiosmtpd), and into
the maildrop folder, through the outbox and the delivery activities as the worker runs
them. What arrived is checked: the recipient, the subject, the Japanese body, the
Message-ID; a retried delivery arrives once; a refusal leaves the notice pending."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from activities.request_activities import RequestActivities
from domain.deadlines import Commitment
from domain.events import EventType
from domain.messages import DeliverNotice, QueueNotice
from domain.notices import NoticeKind
from domain.requests import parse_submission, workflow_id_for
from mail.maildrop import MaildropSender, maildrop_name
from mail.sender import NoticeSender, RecipientErased
from mail.smtp import MailNotDelivered, SmtpSender, message_id
from store.events import EventStore
from store.intake import IntakeStore
from store.outbox import NotificationOutbox, OutgoingNotice
from store.sealing import ERASED
from tests.support.builders import POLICY, T0
from tests.support.sealing import assert_sealed, opened

NAME_JA = "山田花子"
EMAIL_JA = "hanako.mail@example.jp"
PROMISE = Commitment(answer_by=datetime(2026, 1, 19, 16, 0, tzinfo=UTC))
SENDER = "Privacy Office <privacy@example.jp>"


class Collecting:
    """An aiosmtpd handler keeping every envelope it accepted; `refuse` makes it answer
    RCPT (or DATA) with a 5xx that, like real servers', repeats the address."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse: str | None = None  # "rcpt" or "data"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse == "rcpt":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse == "data":
            return f"554 5.7.1 message to {envelope.rcpt_tos[0]} refused by policy"
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [
                message_from_bytes(e.content, policy=default_policy)  # type: ignore[misc]
                for e in self.envelopes
            ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collecting, int]]:
    handler = Collecting()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _smtp(port: int) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, mail_from=SENDER, security="off", timeout=5)


def _activities(
    pool: asyncpg.Pool,
    sender: MaildropSender | SmtpSender,
) -> tuple[RequestActivities, NotificationOutbox]:
    """Wired as worker.request_activities wires them."""
    events = EventStore(pool)
    outbox = NotificationOutbox(pool, events, handed_to=sender.handle)
    return RequestActivities(pool, events, outbox, sender), outbox


async def _japanese_request(pool: asyncpg.Pool, unique: str) -> str:
    request_id = f"mail-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": request_id,
                "kind": "inquiry",
                "subject_id": f"subj-{unique}",
                "requester": {"name": NAME_JA, "email": EMAIL_JA},
                "details": {"text": "購入履歴はいつまで保存されますか。"},
                "language": "ja",
            }
        ),
        POLICY,
    )
    return request_id


async def _queue_receipt(activities: RequestActivities, request_id: str) -> tuple[int, str]:
    key = f"{workflow_id_for(request_id)}:receipt"
    queued = await activities.queue_notice(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0,
            commitment=PROMISE,
        )
    )
    return queued.notification_id, key


def _deliver_order(request_id: str, notification_id: int, key: str) -> DeliverNotice:
    return DeliverNotice(
        request_id=request_id,
        notification_id=notification_id,
        idempotency_key=key,
        occurred_at=T0 + timedelta(minutes=1),
    )


async def _status(pool: asyncpg.Pool, notification_id: int) -> str:
    return await pool.fetchval(
        "SELECT status FROM notifications WHERE notification_id = $1", notification_id
    )


async def _delivered_events(pool: asyncpg.Pool, request_id: str) -> list[dict]:
    return [
        e.payload
        for e in await EventStore(pool).events(request_id)
        if e.type == EventType.NOTICE_DELIVERED
    ]


async def test_a_japanese_notice_arrives_over_smtp_once_after_a_retried_delivery(
    pool: asyncpg.Pool,
    unique: str,
    smtp_server: tuple[Collecting, int],
) -> None:
    handler, port = smtp_server
    sender = _smtp(port)
    activities, _ = _activities(pool, sender)
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    order = _deliver_order(request_id, notification_id, key)

    await activities.deliver_notice(order)
    # The activity retried after it succeeded (its completion lost, a replayed workflow
    # ordering it again): the notice is delivered, nothing is sent.
    await activities.deliver_notice(order)
    await activities.send_notice(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0,
            commitment=PROMISE,
        )
    )

    [envelope] = handler.envelopes
    assert envelope.mail_from == "privacy@example.jp"
    assert envelope.rcpt_tos == [EMAIL_JA]
    [message] = handler.messages()
    sealed = await pool.fetchrow(
        "SELECT recipient, subject_line, body FROM notifications WHERE notification_id = $1",
        notification_id,
    )
    # The outbox holds the notice sealed; the server received it in plain.
    for column in ("recipient", "subject_line", "body"):
        assert_sealed(sealed[column], EMAIL_JA, NAME_JA, request_id)
    stored = {column: await opened(pool, sealed[column]) for column in sealed.keys()}
    assert stored["recipient"] == EMAIL_JA
    assert message["To"] == EMAIL_JA
    assert message["From"] == SENDER
    assert message["Subject"] == stored["subject_line"]
    assert request_id in message["Subject"]
    assert message["Message-ID"] == message_id(key, "example.jp")
    assert message.get_content_charset() == "utf-8"
    body = message.get_content().replace("\r\n", "\n")  # lines end in CRLF on the wire
    assert body.rstrip("\n") == stored["body"].rstrip("\n")
    assert NAME_JA in body and "様" in body  # the Japanese notice, decoded intact

    assert await _status(pool, notification_id) == "delivered"
    assert await _delivered_events(pool, request_id) == [
        {"notification_id": notification_id, "handed_to": message["Message-ID"]},
    ]
    assert (await EventStore(pool).verify(request_id)).intact
    for payload in await _delivered_events(pool, request_id):
        assert EMAIL_JA not in json.dumps(payload) and NAME_JA not in json.dumps(payload)


async def test_a_send_repeated_after_the_server_accepted_carries_the_same_message_id(
    pool: asyncpg.Pool,
    unique: str,
    smtp_server: tuple[Collecting, int],
) -> None:
    """The at-least-once window: the server accepted, the worker stopped before the notice
    was marked delivered. The retry sends again, under the same Message-ID, so the relay
    (or the person's mail client) can tell it is the same message."""
    handler, port = smtp_server
    sender = _smtp(port)
    activities, outbox = _activities(pool, sender)
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    notice = await outbox.pending(notification_id)
    assert isinstance(notice, OutgoingNotice)
    first = await sender.send(notice)  # ...and the worker stops here.

    await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    ids = [m["Message-ID"] for m in handler.messages()]
    assert ids == [first, first]
    assert await _delivered_events(pool, request_id) == [
        {"notification_id": notification_id, "handed_to": first},
    ]


@pytest.mark.parametrize("refuse", ["rcpt", "data"])
async def test_a_refusing_server_leaves_the_notice_pending_and_the_error_retryable(
    pool: asyncpg.Pool,
    unique: str,
    smtp_server: tuple[Collecting, int],
    refuse: str,
) -> None:
    handler, port = smtp_server
    handler.refuse = refuse
    activities, _ = _activities(pool, _smtp(port))
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    order = _deliver_order(request_id, notification_id, key)

    with pytest.raises(MailNotDelivered) as refused:
        await activities.deliver_notice(order)
    # Retryable (not an ApplicationError marked non-retryable, nor one of the workflow's
    # deterministic error types), and free of what the server's reply repeated.
    from workflows.request_effects import DETERMINISTIC_ERRORS

    assert type(refused.value).__name__ not in DETERMINISTIC_ERRORS
    assert refused.value.__cause__ is None
    assert EMAIL_JA not in str(refused.value) and "5" in str(refused.value)
    assert await _status(pool, notification_id) == "pending"
    assert await _delivered_events(pool, request_id) == []
    assert handler.envelopes == []

    handler.refuse = None  # the relay is fixed; Temporal's next attempt delivers it
    await activities.deliver_notice(order)
    assert [m["To"] for m in handler.messages()] == [EMAIL_JA]
    assert await _status(pool, notification_id) == "delivered"


async def test_starttls_is_required_not_opportunistic(
    pool: asyncpg.Pool,
    unique: str,
    smtp_server: tuple[Collecting, int],
) -> None:
    """A server that does not offer STARTTLS gets nothing when it is required."""
    handler, port = smtp_server
    sender = SmtpSender(
        host="127.0.0.1", port=port, mail_from=SENDER, security="starttls", timeout=5
    )
    activities, _ = _activities(pool, sender)
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    with pytest.raises(MailNotDelivered):
        await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    assert handler.envelopes == []
    assert await _status(pool, notification_id) == "pending"


async def test_an_unreachable_server_leaves_the_notice_pending(
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    activities, _ = _activities(pool, _smtp(_free_port()))
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    with pytest.raises(MailNotDelivered, match="could not be reached"):
        await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    assert await _status(pool, notification_id) == "pending"


async def test_maildrop_files_are_private_durable_and_named_in_the_event(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "maildrop"
    sender = MaildropSender(folder)
    activities, _ = _activities(pool, sender)
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    order = _deliver_order(request_id, notification_id, key)
    await activities.deliver_notice(order)
    await activities.deliver_notice(order)  # retried: nothing more

    name = maildrop_name(key)
    assert [p.name for p in folder.iterdir()] == [name]  # no staging file left behind
    mode = stat.S_IMODE((folder / name).stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = json.loads((folder / name).read_text(encoding="utf-8"))
    assert written["to"] == EMAIL_JA and NAME_JA in written["body"]
    # The file is the notice in plain (for the relay); the outbox row stays sealed.
    row = await pool.fetchrow(
        "SELECT recipient, body FROM notifications WHERE notification_id = $1", notification_id
    )
    assert_sealed(row["recipient"], EMAIL_JA)
    assert_sealed(row["body"], NAME_JA)
    assert await opened(pool, row["body"]) == written["body"]
    assert await _delivered_events(pool, request_id) == [
        {"notification_id": notification_id, "handed_to": name},
    ]
    assert EMAIL_JA not in name


async def test_a_retried_maildrop_write_clears_a_staging_file_a_crash_left(
    tmp_path: Path,
) -> None:
    from mail.maildrop import maildrop_staging_prefix

    folder = tmp_path / "maildrop"
    folder.mkdir()
    key = "dsr-a:notice:receipt"
    (folder / f"{maildrop_staging_prefix(key)}0123456789abcdef.tmp").write_text("{half")
    other = folder / f"{maildrop_staging_prefix('dsr-b:notice:receipt')}0123456789abcdef.tmp"
    other.write_text("{half")  # another notice's: its own retry clears it
    await MaildropSender(folder).send(OutgoingNotice(1, key, EMAIL_JA, "subject", "body"))
    assert sorted(p.name for p in folder.iterdir()) == sorted([maildrop_name(key), other.name])


async def test_maildrop_file_is_on_disk_before_the_notice_counts_as_delivered(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The order of the write: content fsynced, renamed into place, the folder fsynced,
    and only then does the outbox mark the notice delivered."""
    import mail.maildrop as notifications

    steps: list[str] = []
    real_fsync, real_replace = notifications.os.fsync, notifications.os.replace
    folder = tmp_path / "maildrop"

    def fsync(descriptor: int) -> None:
        steps.append(
            "fsync folder"
            if stat.S_ISDIR(notifications.os.fstat(descriptor).st_mode)
            else "fsync file"
        )
        real_fsync(descriptor)

    def replace(source, target) -> None:
        steps.append("rename")
        real_replace(source, target)

    sender = MaildropSender(folder)
    activities, outbox = _activities(pool, sender)
    # Queued before the watching starts: sealing writes the subject's key file, with an
    # fsync and a rename of its own (os is one module for the keyring and the maildrop).
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    monkeypatch.setattr(notifications.os, "fsync", fsync)
    monkeypatch.setattr(notifications.os, "replace", replace)
    real_mark = outbox.mark_delivered

    async def mark_delivered(**kwargs) -> None:
        steps.append("marked delivered")
        await real_mark(**kwargs)

    monkeypatch.setattr(outbox, "mark_delivered", mark_delivered)
    await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    assert steps == ["fsync file", "rename", "fsync folder", "marked delivered"]


async def test_a_failed_maildrop_write_leaves_the_notice_pending_and_no_staging_file(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mail.maildrop as notifications

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    folder = tmp_path / "maildrop"
    activities, _ = _activities(pool, MaildropSender(folder))
    request_id = await _japanese_request(pool, unique)
    notification_id, key = await _queue_receipt(activities, request_id)
    # The disk fills after the notice was queued (its key file written).
    monkeypatch.setattr(notifications.os, "fsync", full_disk)
    with pytest.raises(OSError):
        await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    assert list(folder.iterdir()) == []
    assert await _status(pool, notification_id) == "pending"


async def test_a_notice_to_an_erased_recipient_is_refused_before_connecting(
    tmp_path: Path,
) -> None:
    """The senders' last guard (the outbox never hands one over): "[erased]" is no
    address, so nothing is sent and no file written; the refusal names the notice's key."""
    notice = OutgoingNotice(1, "dsr-r:notice:receipt", ERASED, "subject", "body")
    with pytest.raises(RecipientErased, match="dsr-r:notice:receipt"):
        await _smtp(_free_port()).send(notice)  # no server there: it never connects
    with pytest.raises(RecipientErased):
        await MaildropSender(tmp_path / "maildrop").send(notice)
    assert not (tmp_path / "maildrop").exists()


def test_both_senders_are_notice_senders() -> None:
    senders: list[NoticeSender] = [MaildropSender(Path("unused")), _smtp(25)]
    assert all(asyncio.iscoroutinefunction(s.send) for s in senders)
    assert "secret" not in repr(
        SmtpSender(host="h", mail_from=SENDER, username="u", password="secret")
    )


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as a mail server's."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_starttls_with_a_login_delivers_and_checks_the_certificate(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert_file, key_file = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd answers a refusal with 535 itself
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    handler, port = Collecting(), _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        trusted = ssl.create_default_context(cafile=str(cert_file))
        request_id = await _japanese_request(pool, unique)

        untrusting = SmtpSender(
            host="127.0.0.1",
            port=port,
            mail_from=SENDER,
            security="starttls",
            username="dsr",
            password="s3cret",
            timeout=5,
        )  # the system's roots: the certificate is refused
        activities, _ = _activities(pool, untrusting)
        notification_id, key = await _queue_receipt(activities, request_id)
        order = _deliver_order(request_id, notification_id, key)
        with pytest.raises(MailNotDelivered):
            await activities.deliver_notice(order)
        assert handler.envelopes == [] and logins == []

        wrong = SmtpSender(
            host="127.0.0.1",
            port=port,
            mail_from=SENDER,
            security="starttls",
            username="dsr",
            password="wrong",
            timeout=5,
            tls_context=trusted,
        )
        activities, _ = _activities(pool, wrong)
        with pytest.raises(MailNotDelivered, match="SMTPAuthenticationError"):
            await activities.deliver_notice(order)
        assert await _status(pool, notification_id) == "pending"

        sender = SmtpSender(
            host="127.0.0.1",
            port=port,
            mail_from=SENDER,
            security="starttls",
            username="dsr",
            password="s3cret",
            timeout=5,
            tls_context=trusted,
        )
        activities, _ = _activities(pool, sender)
        await activities.deliver_notice(order)
        await activities.deliver_notice(order)
    finally:
        controller.stop()
    assert [m["To"] for m in handler.messages()] == [EMAIL_JA]
    assert logins[-1] == (b"dsr", b"s3cret")
    assert await _status(pool, notification_id) == "delivered"


def test_the_settings_choose_the_sender(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from runtime.notice_senders import notice_sender
    from runtime.settings import SettingsError, load_settings

    for variable in (
        "DSR_MAIL",
        "DSR_SMTP_HOST",
        "DSR_SMTP_PORT",
        "DSR_SMTP_TLS",
        "DSR_SMTP_CA_FILE",
        "DSR_SMTP_USERNAME",
        "DSR_SMTP_PASSWORD",
        "DSR_MAIL_FROM",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DSR_DATA_DIR", str(tmp_path))
    default = notice_sender(load_settings())
    assert isinstance(default, MaildropSender) and default.folder == tmp_path / "maildrop"

    monkeypatch.setenv("DSR_MAIL", "smtp")
    with pytest.raises(SettingsError, match=r"^DSR_SMTP_HOST: must be set"):
        load_settings()
    monkeypatch.setenv("DSR_SMTP_HOST", "smtp.example.jp")
    with pytest.raises(SettingsError, match=r"^DSR_MAIL_FROM: must be the address"):
        load_settings()
    monkeypatch.setenv("DSR_MAIL_FROM", "プライバシー窓口 <privacy@example.jp>")
    monkeypatch.setenv("DSR_SMTP_USERNAME", "dsr")
    with pytest.raises(SettingsError, match=r"^DSR_SMTP_PASSWORD: must be set with"):
        load_settings()
    monkeypatch.setenv("DSR_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("DSR_SMTP_TLS", "off")
    with pytest.raises(SettingsError, match=r"^DSR_SMTP_PASSWORD: would be sent in the clear"):
        load_settings()
    monkeypatch.setenv("DSR_SMTP_TLS", "implicit")
    settings = load_settings()
    assert "hunter2" not in repr(settings)
    sender = notice_sender(settings)
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.security, sender.domain) == (
        "smtp.example.jp",
        465,
        "implicit",
        "example.jp",
    )
    assert "hunter2" not in repr(sender)

    monkeypatch.setenv("DSR_SMTP_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match=r"^DSR_SMTP_CA_FILE: cannot read"):
        load_settings()
    cert_file, _ = _self_signed(tmp_path)
    monkeypatch.setenv("DSR_SMTP_CA_FILE", str(cert_file))
    assert isinstance(notice_sender(load_settings()), SmtpSender)

    monkeypatch.setenv("DSR_MAIL", "maildrop")
    with pytest.raises(SettingsError, match=r"applies only with DSR_MAIL=smtp"):
        load_settings()


async def test_the_ca_file_setting_lets_the_sender_trust_a_private_relay(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ssl

    from runtime.notice_senders import notice_sender
    from runtime.settings import load_settings

    cert_file, key_file = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    handler, port = Collecting(), _free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True
    )
    for variable, value in {
        "DSR_MAIL": "smtp",
        "DSR_SMTP_HOST": "127.0.0.1",
        "DSR_SMTP_PORT": str(port),
        "DSR_SMTP_CA_FILE": str(cert_file),
        "DSR_MAIL_FROM": SENDER,
    }.items():
        monkeypatch.setenv(variable, value)
    for variable in ("DSR_SMTP_TLS", "DSR_SMTP_USERNAME", "DSR_SMTP_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    sender = notice_sender(load_settings())
    assert isinstance(sender, SmtpSender)
    controller.start()
    try:
        activities, _ = _activities(pool, sender)
        request_id = await _japanese_request(pool, unique)
        notification_id, key = await _queue_receipt(activities, request_id)
        await activities.deliver_notice(_deliver_order(request_id, notification_id, key))
    finally:
        controller.stop()
    assert [m["Message-ID"] for m in handler.messages()] == [sender.handle(key)]


async def test_withdrawing_removes_the_notices_files_still_in_the_maildrop(
    tmp_path: Path,
) -> None:
    """For an erasure: the subject's notices a relay has not picked up yet, and a staging
    file a crash left, go; another subject's stay."""
    from mail.maildrop import maildrop_staging_prefix

    folder = tmp_path / "maildrop"
    sender = MaildropSender(folder)
    mine = ["dsr-a:notice:receipt", "dsr-a:notice:answer", "dsr-a:notice:closing"]
    theirs = "dsr-b:notice:receipt"
    for key in [*mine[:2], theirs]:
        await sender.send(OutgoingNotice(1, key, EMAIL_JA, "subject", f"body of {key}"))
    leftover = folder / f"{maildrop_staging_prefix(mine[2])}0123456789abcdef.tmp"
    leftover.write_text("a crash left this")

    removed = await sender.withdraw(mine)
    assert sorted(removed) == sorted(
        [maildrop_name(mine[0]), maildrop_name(mine[1]), leftover.name]
    )
    assert [p.name for p in folder.iterdir()] == [maildrop_name(theirs)]
    assert await sender.withdraw(mine) == []
    assert await MaildropSender(tmp_path / "never-made").withdraw(mine) == []
