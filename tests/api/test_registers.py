"""The registers through the API, as `dsr policy`, `dsr purposes`, `dsr provisions`,
`dsr inventory` and `dsr review` call them: who may read and write each, what a write
records, and that a refused write changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
import httpx

from domain.authority import Role
from domain.policy_text import with_article_3
from interfaces.api.register_models import PolicyPosting
from store.purposes import load_register, seed_article_3
from tests.support.api import Token, bearer
from tests.support.builders import new_request
from tests.support.inventory import example
from tests.support.purposes import define, holders

EFFECTIVE = "2031-03-01T00:00:00+00:00"  # no test's receipt falls after it

AFTER = "To send users a monthly newsletter and announcements of the service they use"
AFTER_JA = "ユーザーに月刊ニュースレターとサービスのお知らせを送付するため"
REASON = "Announcements of the same service users already receive."


async def _refused(pool: asyncpg.Pool, path: str) -> list[tuple[int, str | None]]:
    rows = await pool.fetch(
        "SELECT status, account FROM access_refusals WHERE path = $1 ORDER BY refusal_id", path
    )
    return [(row["status"], row["account"]) for row in rows]


async def test_policy_versions_are_read_by_anyone_and_posted_by_an_admin(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    intake = await token("svc", Role.INTAKE)
    operator = await token("op", Role.OPERATOR)
    body = PolicyPosting.model_validate(
        {"text": f"privacy policy {unique}\n", "effective_at": EFFECTIVE}
    )
    path = "/api/v1/policy/versions"

    refused = await api.post(path, json=body.model_dump(mode="json"), headers=bearer(operator))
    assert refused.status_code == 403, refused.text
    assert await _refused(pool, path) == [(403, f"op-{unique}")]

    posted = await api.post(path, json=body.model_dump(mode="json"), headers=bearer(admin))
    assert posted.status_code == 201, posted.text
    reply = posted.json()
    assert reply["effective_at"] == "2031-03-01T00:00:00Z"
    assert (reply["new_purpose"], reply["includes_provision"]) == (None, False)

    listed = await api.get(path, headers=bearer(intake))
    assert listed.status_code == 200
    [row] = [row for row in listed.json() if row["version"] == reply["version"]]
    assert row["sha256"] == reply["sha256"] and row["in_force"] is False

    again = await api.post(path, json=body.model_dump(mode="json"), headers=bearer(admin))
    assert again.status_code == 409
    assert f"version {reply['version']} already" in again.json()["detail"]


async def test_a_posting_that_declares_too_little_is_422(
    api: httpx.AsyncClient, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    for declaration in (
        {"includes_provision": True},
        {"new_purpose": "partner_marketing"},
        {"new_purpose": "=提供するため"},
    ):
        reply = await api.post(
            "/api/v1/policy/versions",
            json={"text": f"policy {unique}", **declaration},
            headers=bearer(admin),
        )
        assert reply.status_code == 422, reply.text
        assert "--new-purpose" in reply.json()["detail"]


async def test_a_policy_adding_a_purpose_records_it_in_the_register(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    await seed_article_3(pool)
    listed = (await load_register(pool)).article_3_list()
    text = f"To tell partners of offers {unique}"
    policy = with_article_3(f"Privacy policy {unique}\n", (*listed, text), ())
    reply = await api.post(
        "/api/v1/policy/versions",
        json={
            "text": policy,
            "effective_at": EFFECTIVE,
            "new_purpose": f"offers_{unique}=提携先のお知らせのため",
            "includes_provision": True,
        },
        headers=bearer(admin),
    )
    if reply.status_code == 409:  # another test's purpose entered the register meanwhile
        assert "Article 3" in reply.json()["detail"]
        return
    assert reply.status_code == 201, reply.text
    assert (reply.json()["new_purpose"], reply.json()["includes_provision"]) == (
        f"offers_{unique}",
        True,
    )
    purposes = await api.get("/api/v1/purposes", headers=bearer(admin))
    [row] = [r for r in purposes.json() if r["purpose_id"] == f"offers_{unique}"]
    assert row["posted_in"] == reply.json()["version"] and row["includes_provision"] is True


async def test_an_admins_purpose_change_is_signed_by_the_api_and_runs(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    operator = await token("op", Role.OPERATOR)
    purpose = f"news_{unique}"
    await define(pool, purpose)
    await holders(pool, purpose, f"s-{unique}", 2)
    body = {
        "change_id": f"chg-{unique}",
        "purpose_id": purpose,
        "new_text": AFTER,
        "new_text_ja": AFTER_JA,
        "related": True,
        "reason": REASON,
        "method": "publish_and_notify",
        "wait": 30,
    }
    path = "/api/v1/purposes/changes"
    refused = await api.post(path, json=body, headers=bearer(operator))
    assert refused.status_code == 403
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM purpose_changes WHERE change_id = $1", f"chg-{unique}"
        )
        == 0
    )

    unknown = await api.post(
        path, json={**body, "purpose_id": f"none_{unique}"}, headers=bearer(admin)
    )
    assert unknown.status_code == 409
    assert "is not in the register" in unknown.json()["detail"]
    short = await api.post(path, json={**body, "reason": "short"}, headers=bearer(admin))
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"

    done = await api.post(path, json=body, headers=bearer(admin))
    assert done.status_code == 200, done.text
    reply = done.json()
    assert (reply["state"], reply["started"]) == ("done", True)
    assert reply["result"]["notified"] == 2 and reply["result"]["to_version"] == 2
    # Decided by the calling account: the API signed the change for it.
    assert (
        await pool.fetchval(
            "SELECT decided_by FROM purpose_changes WHERE change_id = $1", f"chg-{unique}"
        )
        == f"admin-{unique}"
    )

    again = await api.post(path, json={**body, "method": "notify"}, headers=bearer(admin))
    assert again.status_code == 200
    assert (again.json()["state"], again.json()["started"]) == ("done", False)


async def test_an_unrelated_change_is_recorded_as_refused(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    purpose = f"news_{unique}"
    await define(pool, purpose)
    reply = await api.post(
        "/api/v1/purposes/changes",
        json={
            "change_id": f"chg-{unique}",
            "purpose_id": purpose,
            "new_text": AFTER,
            "new_text_ja": AFTER_JA,
            "related": False,
            "reason": REASON,
            "method": "publish",
        },
        headers=bearer(admin),
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "refused"
    assert reply.json()["result"]["refusal"]
    assert (
        await pool.fetchval("SELECT count(*) FROM purposes WHERE purpose_id = $1", purpose) == 1
    )  # the purpose is as it was


async def test_provision_findings_are_read_by_operators_and_auditors(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    auditor = await token("aud", Role.AUDITOR)
    intake = await token("svc", Role.INTAKE)
    path = "/api/v1/provisions/findings"
    reply = await api.get(path, headers=bearer(auditor))
    assert reply.status_code == 200, reply.text
    document = reply.json()
    assert document["count"] == len(document["findings"])
    assert (await api.get(path, headers=bearer(intake))).status_code == 403
    assert (403, f"svc-{unique}") in await _refused(pool, path)


async def test_an_inventory_is_loaded_by_an_admin_once(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    operator = await token("op", Role.OPERATOR)
    data = example(unique)
    path = "/api/v1/inventory"
    assert (await api.post(path, json=data, headers=bearer(operator))).status_code == 403

    loaded = await api.post(path, json=data, headers=bearer(admin))
    assert loaded.status_code == 200, loaded.text
    first = loaded.json()
    assert first["subjects"] == len(data["subjects"]) == first["subjects_added"]
    assert first["changed"] is True and first["purposes_added"] == len(data["purposes"])
    again = (await api.post(path, json=data, headers=bearer(admin))).json()
    assert again["changed"] is False and again["unchanged"] > 0


async def test_an_invalid_or_conflicting_inventory_loads_nothing(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    admin = await token("admin", Role.ADMIN)
    data = example(unique)
    bad = json.loads(json.dumps(data))
    bad["subjects"][0]["items"][0]["category"] = "nonsense"
    bad["subjects"][1]["email"] = "not an address"
    reply = await api.post("/api/v1/inventory", json=bad, headers=bearer(admin))
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert "not a valid inventory (2 problems); nothing was loaded" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [
        "subjects.0.items.0.category",
        "subjects.1.email",
    ]
    assert (
        await pool.fetchval("SELECT count(*) FROM subjects WHERE subject_id LIKE $1", f"%-{unique}")
        == 0
    )

    assert (await api.post("/api/v1/inventory", json=data, headers=bearer(admin))).is_success
    conflicting = json.loads(json.dumps(data))
    conflicting["purposes"][0]["text"] = "Another text altogether for this purpose"
    conflicting["subjects"][0]["name"] = "Someone Else"
    reply = await api.post("/api/v1/inventory", json=conflicting, headers=bearer(admin))
    assert reply.status_code == 409, reply.text
    assert reply.json()["errors"][0]["field"].startswith("purposes.0")
    name = await pool.fetchval(
        "SELECT count(*) FROM subjects WHERE subject_id = $1",
        data["subjects"][0]["subject_id"],
    )
    assert name == 1


async def test_an_inventory_over_a_mebibyte_is_taken(
    api: httpx.AsyncClient, token: Token, unique: str
) -> None:
    """The inventory's route takes bodies larger than the API's 1 MiB for others."""
    admin = await token("admin", Role.ADMIN)
    data = example(unique)
    padded = json.dumps(data) + " " * (1 << 20)
    reply = await api.post(
        "/api/v1/inventory",
        content=padded.encode(),
        headers={**bearer(admin), "Content-Type": "application/json"},
    )
    assert reply.status_code == 200, reply.text


async def test_a_request_is_reviewed_by_its_operator(
    api: httpx.AsyncClient, pool: asyncpg.Pool, token: Token, unique: str
) -> None:
    operator = await token("op", Role.OPERATOR)
    auditor = await token("aud", Role.AUDITOR)
    request_id = await new_request(pool, unique)
    reply = await api.get(f"/api/v1/requests/{request_id}/review", headers=bearer(operator))
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    document = reply.json()
    assert (document["request_id"], document["kind"]) == (request_id, "inquiry")
    assert document["investigated"] is False
    forbidden = await api.get(f"/api/v1/requests/{request_id}/review", headers=bearer(auditor))
    assert forbidden.status_code == 403
    missing = await api.get(f"/api/v1/requests/none-{unique}/review", headers=bearer(operator))
    assert missing.status_code == 404


def test_the_posting_models_time_is_aware() -> None:
    posting = PolicyPosting(text="p", effective_at=datetime(2031, 3, 1, tzinfo=UTC))
    assert posting.model_dump(mode="json")["effective_at"] == "2031-03-01T00:00:00Z"
