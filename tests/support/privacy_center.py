"""The privacy center as a person uses it, in-process: its forms sent with their tokens,
codes entered, the mails it sent read from the maildrop."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from domain.decisions import Outcome
from domain.events import EventType
from domain.messages import QueueNotice
from domain.notices import NoticeKind
from domain.requests import workflow_id_for
from store.disclosure_links import LinkSettings
from store.events import EventStore
from store.intake import IntakeStore
from store.outbox import NotificationOutbox, OutgoingNotice
from store.sealing import vault_of
from tests.support.builders import POLICY, event, parsed

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_CODE = re.compile(r"^\s+(\d{6})$", re.MULTILINE)


@dataclass
class Center:
    http: httpx.AsyncClient
    maildrop: Path
    pool: asyncpg.Pool
    unique: str
    tokens: dict[str, str] = field(default_factory=dict)
    client: Client | None = None  # the Temporal client, for an operator's act in a test
    app: Any = None  # the ASGI app, whose jobs (a form's code) a send waits for

    async def settled(self) -> None:
        """Wait for the app's work after its replies: a form's code looked up, queued and
        delivered (interfaces/privacy_center/jobs.py)."""
        if self.app is not None:
            from interfaces.privacy_center.jobs import jobs_of

            await jobs_of(self.app).drain()

    async def registered(self, email: str, subject_id: str | None = None) -> str:
        """A subject with `email` on record; returns its id."""
        subject_id = subject_id or f"subj-{self.unique}"
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING", subject_id
            )
            # As the inventory keeps it: sealed, with the blind index the code is sent by.
            vault = vault_of(connection)
            await connection.execute(
                """INSERT INTO personal_data
                       (subject_id, category, field, value, value_index, purpose)
                   VALUES ($1, 'contact', 'email', $2, $3, 'provide_service')""",
                subject_id,
                await vault.seal(connection, subject_id, email),
                vault.blind_index(email),
            )
        return subject_id

    async def send(
        self, kind: str, fields: dict[str, str | list[str]], lang: str = "en"
    ) -> httpx.Response:
        """Open the kind's form, then send it with the form's token."""
        page = await self.http.get(f"/request/{kind}", params={"lang": lang})
        assert page.status_code == 200
        token = _CSRF.search(page.text).group(1)
        sent = await self.http.post(
            f"/request/{kind}", data={"csrf": token, "lang": lang, **fields}
        )
        await self.settled()
        return sent

    async def contact(self, fields: dict[str, str], lang: str = "en") -> httpx.Response:
        """Open the CONTACT form (interfaces/privacy_center/contact.py), then send it."""
        page = await self.http.get("/contact", params={"lang": lang})
        assert page.status_code == 200
        token = _CSRF.search(page.text).group(1)
        sent = await self.http.post("/contact", data={"csrf": token, "lang": lang, **fields})
        await self.settled()
        return sent

    async def enter(self, verify_path: str, code: str, lang: str = "en") -> httpx.Response:
        """Enter a code on the code page (its token kept from the first visit: a locked or
        used challenge's page has no form any more)."""
        if verify_path not in self.tokens:
            page = await self.http.get(verify_path)
            assert page.status_code == 200, page.text
            self.tokens[verify_path] = _CSRF.search(page.text).group(1)
        token = self.tokens[verify_path]
        return await self.http.post(
            verify_path.split("?")[0], data={"csrf": token, "lang": lang, "code": code}
        )

    def mails(self) -> list[dict[str, str]]:
        if not self.maildrop.exists():
            return []
        return [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.maildrop.glob("*.json"))
        ]

    def codes_to(self, address: str) -> list[str]:
        return [
            _CODE.search(m["body"]).group(1)
            for m in self.mails()
            if m["to"] == address and m["message_id"].startswith("pc-code-")
        ]

    async def disclosed(
        self,
        address: str,
        items: list[dict[str, Any]],
        *,
        withheld: dict[str, int] | None = None,
        language: str = "en",
    ) -> tuple[str, str]:
        """A subject with `address` on record whose disclosure request was decided and
        compiled with `items` (as store/decision_effects.py compiles them, with recipients
        and purposes), and its outcome notice queued by the service's outbox: the request
        id and the notice's body as the person receives it."""
        subject_id = await self.registered(address, f"subj-dis-{uuid.uuid4().hex[:8]}")
        request_id = f"dis-{uuid.uuid4().hex[:12]}"
        await IntakeStore(self.pool).record_submission(
            parsed(
                "disclosure",
                request_id,
                subject_id,
                email=address,
                language=language,
            ),
            POLICY,
        )
        events = EventStore(self.pool)
        outcome = Outcome.DISCLOSED_IN_PART if withheld else Outcome.DISCLOSED_IN_FULL
        decided = {"outcome": outcome.value}
        if withheld:
            decided |= {
                "refusal_grounds": "violation_of_other_laws",
                "withheld_categories": ",".join(withheld),
            }
        await events.append(event(request_id, EventType.DECISION_RECORDED, **decided))
        now = datetime.now(UTC)
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                """INSERT INTO disclosures (request_id, items, compiled_at, excluded, withheld)
                   VALUES ($1, $2, $3, '{}', $4)""",
                request_id,
                await vault_of(connection).seal_json(connection, subject_id, items),
                now,
                withheld or {},
            )
        outbox = NotificationOutbox(
            self.pool, events, disclosure_links=LinkSettings(base_url="http://testserver")
        )
        notification_id = await outbox.queue(
            QueueNotice(
                request_id=request_id,
                notice=NoticeKind.OUTCOME,
                idempotency_key=f"{workflow_id_for(request_id)}:notice:outcome",
                occurred_at=now,
            )
        )
        sent = await outbox.pending(notification_id)
        assert isinstance(sent, OutgoingNotice)
        return request_id, sent.body
