"""Operators' and auditors' commands on real records: list, show, export, replay of the
exports (and of a changed workflow that diverges), and tamper detection."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import DeadlinePolicy, Step
from domain.messages import RequestRef
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond, submit
from tests.support.builders import submission
from tests.support.database import rechain, tamper
from tests.support.privacy import PERSONAL, REASON
from tests.support.scenarios import Scenario, at_step, seed_subject
from tests.support.temporal import Rig, actor
from workflows.replay import replay_files


@workflow.defn(name="DataSubjectRequest", sandboxed=False)
class ChangedDataSubjectRequest:
    """A deliberately changed workflow: a timer where the first activity stood."""

    @workflow.run
    async def run(self, ref: RequestRef) -> None:
        await workflow.sleep(timedelta(days=1))


async def _closed_requests_of_every_kind(rig: Rig, unique: str) -> list[str]:
    """One subject's requests of every kind, each driven to its close."""
    client, pool, queue = rig.client, rig.pool, rig.task_queue
    inq, sid = f"au-inq-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await submit(
        submission("inquiry", inq, sid, person=PERSONAL), client=client, pool=pool, task_queue=queue
    )
    await respond(inq, PERSONAL["answer"], actor("op-1"), client=client, pool=pool)
    # The subject is seeded above, once for all its requests.
    dis = (
        await Scenario(rig, "au-dis", subject=sid)
        .unseeded()
        .disclosure()
        .verified()
        .at(Step.DECIDE)
    ).id
    await acts.decide(
        dis,
        "disclosed_in_part",
        actor("op-1"),
        client=client,
        pool=pool,
        reason=REASON,
        refusal_grounds=("violation_of_other_laws",),
        withheld_categories=("financial",),
    )
    view = await at_step(client, pool, dis, Step.PAYMENT)
    await acts.record_payment(
        dis, view.invoice_id or "", 1000, "r-1", actor("op-1"), client=client, pool=pool
    )
    cor = (
        await Scenario(rig, "au-cor", subject=sid)
        .unseeded()
        .correction({"field": "phone", "action": "correct", "new_value": "03-1"})
        .verified()
        .at(Step.DECIDE)
    ).id
    await acts.decide(cor, "correction_made", actor("op-1"), client=client, pool=pool)
    sus = (
        await Scenario(rig, "au-sus", subject=sid)
        .unseeded()
        .suspension("erase", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    ).id
    await acts.decide(
        sus,
        "alternative_measures",
        actor("op-1"),
        client=client,
        pool=pool,
        reason=REASON,
        measure="Flagged do-not-use everywhere.",
        alternative_ground="otherwise_difficult",
        alternative_measure="stop_provision_to_third_parties",
    )
    await acts.approve_measure(sus, actor("op-2"), client=client, pool=pool)
    tps = (
        await Scenario(rig, "au-tps", subject=sid)
        .unseeded()
        .third_party_stop("adnet-1")
        .at(Step.DECIDE)
    ).id
    await acts.decide(tps, "provision_stopped", actor("op-1"), client=client, pool=pool)
    for rid in (inq, dis, cor, sus, tps):
        await client.get_workflow_handle(workflow_id_for(rid)).result()
    return [inq, dis, cor, sus, tps]


async def test_list_filters_and_show_the_timeline(
    rig: Rig,
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
) -> None:
    inq, dis, cor, *_ = await _closed_requests_of_every_kind(rig, unique)
    late = f"au-late-{unique}"
    await submit(
        submission("inquiry", late, f"s-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    await at_step(rig.client, pool, late, Step.ANSWER)
    await time_skipping_env.sleep(DeadlinePolicy().durations[Step.ANSWER] + timedelta(hours=1))
    assert (await at_step(rig.client, pool, late, Step.ANSWER)).overdue

    code, out, _ = await dsr("list", "--kind", "inquiry", "--limit", "1000", "--output", "json")
    listed = {row["request_id"]: row for row in json.loads(out)}
    assert code == 0 and inq in listed and late in listed and dis not in listed
    code, out, _ = await dsr("list", "--overdue", "--limit", "1000", "--output", "json")
    overdue = {row["request_id"] for row in json.loads(out)}
    assert late in overdue and inq not in overdue
    code, out, _ = await dsr(
        "list", "--status", "closed", "--kind", "correction", "--limit", "1000"
    )
    assert cor in out and "closed" in out
    far = listed[late]["due_at"]
    code, out, _ = await dsr("list", "--due-before", "2001-01-01", "--output", "json")
    assert late not in {row["request_id"] for row in json.loads(out)} and far
    code, _, err = await dsr("list", "--due-before", "soon")
    assert code == 2 and "not an ISO 8601 date or time" in err
    code, _, err = await dsr("list", "--kind", "complaint")
    assert code == 2 and "'complaint' is not one of" in err

    code, out, _ = await dsr("show", dis)
    assert code == 0 and "outcome disclosed_in_part" in out
    assert "payment" in out and "MET" in out and "decision.recorded" in out
    code, out, _ = await dsr("show", late, "--output", "json")
    shown = json.loads(out)
    assert [d["status"] for d in shown["deadlines"] if d["step"] == "answer"] == ["breached"]
    assert [e["seq"] for e in shown["events"]] == list(range(1, len(shown["events"]) + 1))
    code, _, err = await dsr("show", f"nobody-{unique}")
    assert code == 2 and f"no request nobody-{unique}" in err
    # Close it while its worker runs: a workflow stranded without a worker would stall
    # the time-skipping server's clock for the tests that follow.
    await respond(late, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(late)).result()


async def test_exports_replay_and_a_changed_workflow_is_reported_diverged(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
    tmp_path: Path,
) -> None:
    ids = await _closed_requests_of_every_kind(rig, unique)
    out_dir = tmp_path / "export"
    code, out, err = await dsr(
        "audit", "export", *[a for rid in ids for a in ("--request", rid)], "--out", str(out_dir)
    )
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert [entry["request_id"] for entry in manifest["requests"]] == ids
    for rid in ids:
        store = json.loads((out_dir / rid / "store.json").read_text())
        assert store["request"]["status"] == "closed" and store["request_events"]
        assert (out_dir / rid / "history.json").exists()

    code, out, _ = await dsr("audit", "replay", str(out_dir))
    assert code == 0 and out.count(": replayed") == 5

    verdicts = await replay_files([out_dir], workflows=[ChangedDataSubjectRequest])
    assert len(verdicts) == 5 and not any(v.replayed for v in verdicts)
    assert all(
        "Nondeterminism" in (v.problem or "") or "nondetermin" in (v.problem or "").lower()
        for v in verdicts
    ), [v.problem for v in verdicts]

    code, _, err = await dsr("audit", "export", "--out", str(tmp_path / "x"))
    assert code == 2 and "--request" in err


async def test_the_compliance_report_from_the_command_line(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
    tmp_path: Path,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    ids = await _closed_requests_of_every_kind(rig, unique)
    started = await pool.fetchval(
        "SELECT min(occurred_at) FROM request_events WHERE request_id = ANY($1::text[])", ids
    )
    ended = await pool.fetchval(
        "SELECT max(occurred_at) FROM request_events WHERE request_id = ANY($1::text[])", ids
    )
    window = (
        "--from",
        (started - timedelta(seconds=1)).isoformat(),
        "--to",
        (ended + timedelta(seconds=1)).isoformat(),
    )
    code, out, err = await dsr("audit", "report", *window, "--format", "csv")
    assert code == 0, err
    rows = [row for row in csv.DictReader(io.StringIO(out)) if row["request_id"] in ids]
    steps = {(row["request_id"], row["step"]): row["verdict"] for row in rows}
    assert steps[(ids[1], "payment")] == "met" and steps[(ids[0], "answer")] == "met"
    assert {row["request_id"] for row in rows} == set(ids)
    page = tmp_path / "report.html"
    code, out, err = await dsr("audit", "report", *window, "--format", "html", "--out", str(page))
    assert code == 0 and "wrote" in out, err
    html = page.read_text()
    assert "<svg" in html and all(rid in html for rid in ids)
    code, _, err = await dsr("audit", "report", "--from", "2026-12-01", "--to", "2026-11-01")
    assert code == 2 and "empty" in err


async def _answered_inquiry(rig: Rig, pool: asyncpg.Pool, rid: str, unique: str) -> str:
    await submit(
        submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    await respond(rid, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(rid)).result()
    return rid


async def test_verify_names_the_first_broken_link_after_tampering(
    rig: Rig,
    pool: asyncpg.Pool,
    superuser_pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
) -> None:
    rid = await _answered_inquiry(rig, pool, f"au-tamper-{unique}", unique)
    code, out, _ = await dsr("audit", "verify", rid)
    assert code == 0 and "intact (13 events)" in out

    # Past the append-only trigger, as someone with the database's keys could.
    await tamper(
        superuser_pool,
        "UPDATE request_events SET actor = 'someone-else' WHERE request_id = $1 AND seq = 7",
        rid,
    )
    code, out, _ = await dsr("audit", "verify", rid, "--output", "json")
    verdict = json.loads(out)
    assert code == 3 and verdict["first_broken_seq"] == 7 and not verdict["intact"]
    code, out, _ = await dsr("audit", "verify", rid)
    assert "BROKEN at seq 7" in out


async def test_verify_catches_a_compliance_row_changed_by_hand(
    rig: Rig,
    pool: asyncpg.Pool,
    superuser_pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
) -> None:
    """The audit report reads a per-step projection kept with the events; a row rewritten
    to turn a late step into one met in time must fail verification like a changed event."""
    rid = await _answered_inquiry(rig, pool, f"au-kept-{unique}", unique)
    code, out, err = await dsr("audit", "verify", rid)
    assert code == 0, out + err

    await superuser_pool.execute(
        "UPDATE deadline_compliance SET finished_at = started_at"
        " WHERE request_id = $1 AND step = 'answer'",
        rid,
    )
    code, out, _ = await dsr("audit", "verify", rid)
    assert code == 3 and "BROKEN: the deadline_compliance row of step answer" in out, out
    code, out, _ = await dsr("audit", "verify", rid, "--output", "json")
    verdict = json.loads(out)
    assert not verdict["intact"] and "answer" in verdict["compliance_projection"]


async def test_verify_holds_the_store_against_the_exported_histories(
    rig: Rig,
    pool: asyncpg.Pool,
    superuser_pool: asyncpg.Pool,
    unique: str,
    dsr: Any,
    tmp_path: Path,
) -> None:
    """The history, kept by Temporal and exported, outside the store: a deadline's meeting
    moved three days earlier in the store, the chain and the projections made to match, disagrees
    with the event the workflow recorded, and with the checkpoint signed at the close."""
    rid = await _answered_inquiry(rig, pool, f"au-hist-{unique}", unique)
    exported = tmp_path / "export"
    code, _, err = await dsr("audit", "export", "--request", rid, "--out", str(exported))
    assert code == 0, err
    code, out, err = await dsr("audit", "verify", rid, "--histories", str(exported))
    assert code == 0, out + err
    assert "histories: intact (1 checkpoint(s) from histories agree)" in out

    met = await pool.fetchrow(
        """SELECT seq, occurred_at FROM request_events WHERE request_id = $1
              AND type = 'deadline.met' AND payload ->> 'step' = 'answer'""",
        rid,
    )
    await tamper(
        superuser_pool,
        """UPDATE request_events SET occurred_at = occurred_at
                                     - interval '3 days' WHERE request_id = $1 AND seq = $2""",
        rid,
        met["seq"],
    )
    await rechain(superuser_pool, rid)
    await superuser_pool.execute(  # and the report's projection, to match
        """UPDATE deadline_compliance SET finished_at = finished_at - interval '3 days'
            WHERE request_id = $1 AND step = 'answer'""",
        rid,
    )
    code, out, _ = await dsr("audit", "verify", rid)
    assert code == 0, out  # the request's chain alone is fooled
    code, out, _ = await dsr("audit", "verify", rid, "--histories", str(exported))
    assert code == 3
    assert f"deadline.met (dsr-{rid}:" in out and "differs in the store: time" in out
    assert f"request {rid}: event #13 differs from the one the checkpoint" in out
    code, out, _ = await dsr("audit", "verify", rid, "--histories", str(tmp_path / "nothing"))
    assert code == 2 and "not a workflow history" in out + _
