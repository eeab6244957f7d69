"""The real service: `worker.py` against the embedded dev server and PostgreSQL, driven
through the `dsr` command line, stopped and restarted as an operator would."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path

import asyncpg
import pytest

from domain.requests import workflow_id_for
from runtime.servers import running_embedded_postgres
from store.privileges import with_user
from tests.support.builders import submission
from tests.support.privacy import PERSONAL, leaks, readable_history
from tests.support.service import Service, count
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e


async def test_inquiry_from_the_command_line_survives_a_restart(
    service: Service, tmp_path: Path, unique: str
) -> None:
    await service.start()
    ui = await asyncio.to_thread(
        subprocess.run,
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"http://localhost:{service.ui_port}/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ui.stdout == "200"

    request_id = f"e2e-{unique}"
    request_file = tmp_path / "inquiry.json"
    request_file.write_text(
        json.dumps(submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL))
    )
    submitted = service.dsr("--output", "json", "submit", "--json", str(request_file))
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["workflow_id"] == workflow_id_for(request_id)
    again = service.dsr("submit", "--json", "-", stdin=request_file.read_text())
    assert again.returncode == 0 and "already submitted" in again.stdout

    answered = service.answer(request_id)
    assert answered.returncode == 0, answered.stderr

    async def workflow_status() -> str:
        described = await asyncio.to_thread(
            service.temporal,
            "workflow",
            "describe",
            "-w",
            workflow_id_for(request_id),
            "-o",
            "json",
        )
        return json.loads(described)["workflowExecutionInfo"]["status"]

    await eventually(workflow_status, lambda s: s == "WORKFLOW_EXECUTION_STATUS_COMPLETED")
    history = await asyncio.to_thread(
        service.temporal, "workflow", "show", "-w", workflow_id_for(request_id), "-o", "json"
    )
    readable = readable_history(history)
    # Decoded payloads are searched: the workflow's result is among them.
    assert '"outcome":"answered"' in readable and request_id in readable
    assert leaks(readable) == []
    exported = tmp_path / "exported" / f"{workflow_id_for(request_id)}.json"
    exported.parent.mkdir()
    exported.write_text(history)
    replayed = service.dsr("audit", "replay", str(exported.parent))
    assert replayed.returncode == 0 and "replayed" in replayed.stdout, replayed.stderr
    verified = service.dsr("audit", "verify", request_id)
    assert verified.returncode == 0 and "intact (13 events)" in verified.stdout, verified.stderr
    events_before = await count(
        service, "SELECT count(*) FROM request_events WHERE request_id = $1", request_id
    )
    assert events_before == 13
    assert leaks(service.log_path.read_text()) == []

    assert service.stop(signal.SIGINT) == 0
    assert service.leftovers() == []

    await service.start()
    # `dsr-admin setup` on servers that already exist (here, the ones `make run` started),
    # as the production path has it: the worker's role and the schema's owner.
    superuser = running_embedded_postgres(service.data_dir) or ""
    existing = {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{service.temporal_port}",
        "DATABASE_URL": with_user(superuser, "dsr_worker"),
        "DSR_OWNER_DATABASE_URL": with_user(superuser, "dsr_owner"),
    }
    setup = service.dsr_admin("setup", env=existing)
    assert setup.returncode == 0, setup.stderr
    assert "migrations applied: none" in setup.stdout
    assert "worker's role: dsr_worker; API's role: dsr_api" in setup.stdout
    assert "search attributes added: none" in setup.stdout
    assert "retention of closed workflows: 30d" in setup.stdout
    assert "set TEMPORAL_ADDRESS" in service.dsr_admin("setup").stderr
    status = service.dsr("--output", "json", "status", request_id)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["outcome"] == "answered"
    assert (
        await count(
            service, "SELECT count(*) FROM request_events WHERE request_id = $1", request_id
        )
        == events_before
    )
    assert service.stop(signal.SIGTERM) == 0
    assert service.leftovers() == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("", "the input is empty"),
        ("{}", "must be a non-empty JSON object"),
        ("not json", "not valid JSON"),
        ('{"kind": "complaint"}', "kind: must be one of"),
        (
            json.dumps(
                {**submission("inquiry", "x1", "s1", person=PERSONAL), "requester": {"name": "A"}}
            ),
            "requester.email: is required",
        ),
        (
            json.dumps(
                {
                    **submission("inquiry", "x2", "s1", person=PERSONAL),
                    "requester": {"name": "A", "email": "a@"},
                }
            ),
            "requester.email: is not a valid e-mail address",
        ),
    ],
)
def test_invalid_submissions_exit_2_without_touching_any_server(
    tmp_path: Path, payload: str, expected: str
) -> None:
    # No server runs for this data folder: a refused submission must not need one.
    service = Service(tmp_path / "nothing-running")
    result = service.dsr("submit", "--json", "-", stdin=payload)
    assert result.returncode == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") >= 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "nothing-running").exists()


async def test_disclosure_driven_from_the_command_line(
    service: Service, tmp_path: Path, unique: str
) -> None:
    await service.start()
    rid = f"dis-{unique}"
    # The person's data as the organisation holds it: a refusal is of something held (N12).
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "subjects": [
                    {
                        "subject_id": f"subj-{unique}",
                        "name": PERSONAL["name"],
                        "email": PERSONAL["email"],
                        "items": [],
                    }
                ]
            }
        )
    )
    loaded = service.dsr("inventory", "load", str(inventory))
    assert loaded.returncode == 0, loaded.stderr
    request_file = tmp_path / "disclosure.json"
    request_file.write_text(
        json.dumps(
            {
                **submission("inquiry", rid, f"subj-{unique}", person=PERSONAL),
                "kind": "disclosure",
                "details": {},
            }
        )
    )
    assert service.dsr("submit", "--json", str(request_file)).returncode == 0

    async def step() -> dict:
        shown = service.dsr("--output", "json", "status", rid)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    await eventually(step, lambda view: view["step"] == "verify_identity")
    operator = {"DSR_TOKEN": service.account("op-1", "operator")}
    auditor = {"DSR_TOKEN": service.account("audit-1", "auditor")}
    refused = service.dsr("decide", rid, "--outcome", "disclosed_in_full", env=operator)
    assert refused.returncode == 2 and "after identity verification" in refused.stderr
    forbidden = service.dsr("verify-identity", rid, "--method", "document_check", env=auditor)
    assert forbidden.returncode == 2
    assert "account audit-1 does not hold the operator role" in forbidden.stderr
    unknown = service.dsr(
        "verify-identity", rid, "--method", "document_check", env={"DSR_TOKEN": "dsr_not-a-token"}
    )
    assert unknown.returncode == 2 and "does not sign in" in unknown.stderr
    verified = service.dsr("verify-identity", rid, "--method", "document_check", env=operator)
    assert verified.returncode == 0, verified.stderr
    assert f"verify-identity recorded for {rid} by op-1" in verified.stdout
    # The reply says where the request stands after the act, not what it waited for.
    assert "verify_identity is done; next: investigate" in verified.stdout
    await eventually(step, lambda view: view["step"] == "decide")
    reason = tmp_path / "reason.txt"
    reason.write_text("A court order forbids disclosing these records (reason-marker).")
    decided = service.dsr(
        "decide",
        rid,
        "--outcome",
        "disclosure_refused",
        "--ground",
        "violation_of_other_laws",
        "--reason-file",
        str(reason),
        env=operator,
    )
    assert decided.returncode == 0, decided.stderr
    assert "decide is done; next: act" in decided.stdout  # a refusal asks for no fee
    await eventually(step, lambda view: view["status"] == "closed")
    assert (await step())["outcome"] == "disclosure_refused"
    notices = sorted(p.name for p in (service.data_dir / "maildrop").iterdir())
    # A refusal charges no fee: no fee request was sent.
    assert [n.split("%3A")[-1] for n in notices] == [
        "identity_proof_requested.json",
        "outcome.json",
        "receipt.json",
    ]
    outcome = json.loads(
        (
            service.data_dir / "maildrop" / f"{workflow_id_for(rid)}%3Anotice%3Aoutcome.json"
        ).read_text()
    )
    assert "reason-marker" in outcome["body"] and outcome["to"] == PERSONAL["email"]
    verified_chain = service.dsr("audit", "verify", rid)
    assert verified_chain.returncode == 0 and "intact" in verified_chain.stdout
    assert service.stop() == 0


async def test_a_worker_killed_outright_leaves_nothing_behind_after_the_next_run(
    service: Service, unique: str
) -> None:
    await service.start()
    assert service.stop(signal.SIGKILL) == -signal.SIGKILL
    # Killed outright, it could not stop its servers: they are still there.
    assert service.leftovers() != []
    await service.start()  # stops the leftover dev server, reuses PostgreSQL
    status = service.dsr("--output", "json", "list")
    assert status.returncode == 0, status.stderr
    assert service.stop() == 0
    assert service.leftovers() == []


async def test_the_embedded_service_runs_as_its_roles_and_signs_the_log(
    service: Service, unique: str
) -> None:
    """`make run` splits the roles itself, signs a checkpoint at each close into the
    witness folder, schedules the periodic one, and `dsr audit verify` checks the lot."""
    await service.start()
    request_id = f"e2e-log-{unique}"
    service.submit_answered_inquiry(request_id, f"subj-{unique}")
    witness = service.data_dir / "witness"

    def closes() -> list[dict]:
        found = [json.loads(p.read_text()) for p in witness.glob("*.json")]
        return [
            c
            for c in found
            if (c["checkpoint"]["closed_request"] or {}).get("request_id") == request_id
        ]

    async def signed() -> list[dict]:
        return closes()

    [close] = await eventually(signed, bool, within=60)
    assert close["checkpoint"]["reason"] == "close"
    key = service.data_dir / "keys" / "checkpoint-ed25519.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    [published] = witness.glob("checkpoint-key-*.pub.pem")
    assert published.name == f"checkpoint-key-{close['checkpoint']['key_id']}.pub.pem"
    schedule = service.temporal(
        "schedule", "describe", "-s", "checkpoint-log-dsr-e2e", "-o", "json"
    )
    assert "CheckpointLog" in schedule

    verified = service.dsr("audit", "verify", "--public-key", str(published))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{request_id}: intact" in verified.stdout
    assert "event log: intact (" in verified.stdout

    superuser = running_embedded_postgres(service.data_dir)
    assert superuser is not None
    runtime = await asyncpg.connect(with_user(superuser, "dsr_worker"))
    api = await asyncpg.connect(with_user(superuser, "dsr_api"))
    try:
        # The API's role: no event appended, no key marked destroyed, no account written.
        for statement in (
            "INSERT INTO request_events SELECT * FROM request_events LIMIT 1",
            "UPDATE subject_keys SET destroyed_at = now()",
            "UPDATE accounts SET roles = '{admin}'",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await api.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await runtime.execute("UPDATE accounts SET roles = '{admin}'")
        assert not await runtime.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await runtime.execute("UPDATE request_events SET actor = 'x'")
        owner = await runtime.fetchval(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'request_events'"
        )
        assert owner == "dsr_owner"
    finally:
        await runtime.close()
        await api.close()
    assert "can change the evidence" not in service.log_path.read_text()
    assert "can do more than the API needs" not in service.log_path.read_text()
