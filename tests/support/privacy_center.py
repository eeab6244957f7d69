"""The privacy center as a person uses it, in-process: its forms sent with their tokens,
codes entered, the mails it sent read from the maildrop."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from temporalio.client import Client

from store.sealing import vault_of

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
        return await self.http.post(
            f"/request/{kind}", data={"csrf": token, "lang": lang, **fields}
        )

    async def contact(self, fields: dict[str, str], lang: str = "en") -> httpx.Response:
        """Open the CONTACT form (interfaces/privacy_center/contact.py), then send it."""
        page = await self.http.get("/contact", params={"lang": lang})
        assert page.status_code == 200
        token = _CSRF.search(page.text).group(1)
        return await self.http.post("/contact", data={"csrf": token, "lang": lang, **fields})

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
