"""An alternative measure through the API needs a second account holding `approver`; an
auditor reads the compliance report, a request's export and its chain verdict."""

from __future__ import annotations

import csv
import io

import asyncpg
import httpx

from domain.authority import Role
from tests.support.api import Token, bearer
from tests.support.builders import submission
from tests.support.privacy import MEASURE, PERSONAL, REASON
from tests.support.scenarios import seed_subject
from tests.support.temporal import eventually


async def _step(api: httpx.AsyncClient, rid: str, token: str) -> str | None:
    reply = await api.get(f"/api/v1/requests/{rid}", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return reply.json()["step"]


async def _at(api: httpx.AsyncClient, rid: str, token: str, step: str) -> None:
    async def probe() -> str | None:
        return await _step(api, rid, token)

    await eventually(probe, lambda s: s == step)


async def test_an_alternative_measure_needs_another_account_holding_approver(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    intake = await token("svc", Role.INTAKE)
    proposer = await token("op", Role.OPERATOR, Role.APPROVER)
    operator_only = await token("op2", Role.OPERATOR)
    approver = await token("ap", Role.APPROVER)
    auditor = await token("aud", Role.AUDITOR)
    rid, sid = f"api-alt-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    reply = await api.post(
        "/api/v1/requests",
        headers=bearer(intake),
        json=submission(
            "suspension",
            rid,
            sid,
            person=PERSONAL,
            language="en",
            details={"action": "erase", "grounds": ["obtained_wrongfully"]},
        ),
    )
    assert reply.status_code == 201, reply.text
    acts = f"/api/v1/requests/{rid}/acts"
    await _at(api, rid, intake, "verify_identity")
    reply = await api.post(
        f"{acts}/verify-identity", json={"method": "document_check"}, headers=bearer(operator_only)
    )
    assert reply.status_code == 200, reply.text
    await _at(api, rid, intake, "decide")
    reply = await api.post(
        f"{acts}/decide",
        headers=bearer(proposer),
        json={
            "outcome": "alternative_measures",
            "alternative_ground": "large_expense",
            "alternative_measure": "stop_provision_to_third_parties",
            "reason": REASON,
            "measure": MEASURE,
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["awaiting"] is not None
    own = await api.post(f"{acts}/approve-measure", headers=bearer(proposer))
    assert own.status_code == 409, own.text
    assert "second operator" in own.json()["detail"]
    no_role = await api.post(f"{acts}/approve-measure", json={}, headers=bearer(operator_only))
    assert no_role.status_code == 403, no_role.text
    events = await pool.fetch("SELECT type, actor FROM request_events WHERE request_id = $1", rid)
    assert "measure.approved" not in {e["type"] for e in events}
    approved = await api.post(f"{acts}/approve-measure", headers=bearer(approver))
    assert approved.status_code == 200, approved.text
    approvals = await pool.fetch(
        "SELECT actor FROM request_events WHERE request_id = $1 AND type = 'measure.approved'", rid
    )
    assert [a["actor"] for a in approvals] == [f"ap-{unique}"]
    decided = await pool.fetch(
        "SELECT actor FROM request_events WHERE request_id = $1 AND type = 'decision.recorded'", rid
    )
    assert [d["actor"] for d in decided] == [f"op-{unique}"]

    # The auditor's view of it.
    verdict = await api.get(f"/api/v1/audit/requests/{rid}/verify", headers=bearer(auditor))
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["intact"] is True and verdict.json()["events"] > 0
    export = await api.get(f"/api/v1/audit/requests/{rid}/export", headers=bearer(auditor))
    assert export.status_code == 200, export.text
    document = export.json()
    assert document["manifest"]["request_id"] == rid
    assert document["manifest"]["history_from"] == "temporal"
    assert document["history"]["events"]
    assert len(document["store"]["request_events"]) == document["manifest"]["store_events"]
    assert (
        await api.get(f"/api/v1/audit/requests/{rid}/export", headers=bearer(approver))
    ).status_code == 403


async def test_the_compliance_report_as_csv_and_html(
    api: httpx.AsyncClient,
    token: Token,
) -> None:
    auditor = await token("aud", Role.AUDITOR)
    period = {"from": "2000-01-01T00:00:00Z", "to": "2200-01-01T00:00:00Z"}
    reply = await api.get("/api/v1/audit/report", params=period, headers=bearer(auditor))
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(reply.text)))
    assert "request_id" in header
    html = await api.get(
        "/api/v1/audit/report", params={**period, "format": "html"}, headers=bearer(auditor)
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<html" in html.text.lower()
    empty = await api.get(
        "/api/v1/audit/report",
        headers=bearer(auditor),
        params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    )
    assert empty.status_code == 422 and empty.json()["errors"]
    naive = await api.get(
        "/api/v1/audit/report",
        headers=bearer(auditor),
        params={"from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00Z"},
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "from"


async def test_n17_the_api_decide_withholds_one_item_by_its_id(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    """N17 (Art 6: "all or part of it"): `withheld_parts` names a single item by its id with
    its ground; a part without a valid ground is refused with the reason, changing nothing."""
    intake = await token("svc", Role.INTAKE)
    operator = await token("op", Role.OPERATOR)
    rid, sid = f"api-part-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    reply = await api.post(
        "/api/v1/requests",
        headers=bearer(intake),
        json=submission("disclosure", rid, sid, person=PERSONAL, language="en", details={}),
    )
    assert reply.status_code == 201, reply.text
    acts = f"/api/v1/requests/{rid}/acts"
    await _at(api, rid, intake, "verify_identity")
    reply = await api.post(
        f"{acts}/verify-identity", json={"method": "document_check"}, headers=bearer(operator)
    )
    assert reply.status_code == 200, reply.text
    await _at(api, rid, intake, "decide")
    phone = await pool.fetchval(
        "SELECT item_id FROM personal_data WHERE subject_id = $1 AND field = 'phone'", sid
    )
    decide = {"outcome": "disclosed_in_part", "reason": REASON}
    refused = await api.post(
        f"{acts}/decide",
        headers=bearer(operator),
        json={**decide, "withheld_parts": [f"{phone}=because"]},
    )
    assert refused.status_code in (409, 422), refused.text
    assert "not an Article 6 ground" in refused.text
    reply = await api.post(
        f"{acts}/decide",
        headers=bearer(operator),
        json={**decide, "withheld_parts": [f"{phone}=violation_of_other_laws"]},
    )
    assert reply.status_code == 200, reply.text
    recorded = await pool.fetchval(
        "SELECT payload->>'withheld_parts' FROM request_events"
        " WHERE request_id = $1 AND type = 'decision.recorded'",
        rid,
    )
    assert recorded == f"{phone}=violation_of_other_laws"
