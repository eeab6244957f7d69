"""Article 9 at receipt: each request records the privacy policy version in force when it
was received, beside the deadline policy's version, as two fields and two search
attributes an operator cannot confuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from starter import status, submit
from store.privacy_policy import post_policy
from tests.support.builders import submission
from tests.support.privacy import PERSONAL
from tests.support.temporal import Rig, end_open_requests
from workflows import search_attributes as sa


async def test_a_request_names_the_privacy_policy_in_force_at_its_receipt(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    version = await post_policy(
        pool,
        f"privacy policy at receipt {unique}".encode(),
        posted_at=datetime.now(UTC) - timedelta(seconds=1),
        effective_at=None,
        posted_by="admin",
    )
    request_id = f"pp-{unique}"
    result = await submit(
        submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    assert result.workflow_started

    stored = await pool.fetchrow(
        "SELECT privacy_policy_version, deadline_policy_version FROM requests"
        " WHERE request_id = $1",
        request_id,
    )
    assert stored["privacy_policy_version"] == version.version
    view = await status(request_id, client=rig.client, pool=pool)
    assert view.privacy_policy_version == version.version
    assert view.deadline_policy_version == stored["deadline_policy_version"]

    described = await rig.client.get_workflow_handle(result.workflow_id).describe()
    attributes = described.typed_search_attributes
    assert attributes.get(sa.PRIVACY_POLICY_VERSION) == version.version
    assert attributes.get(sa.DEADLINE_POLICY_VERSION) == stored["deadline_policy_version"]
    assert attributes.get(sa.LEGACY_POLICY_VERSION) is None
    await end_open_requests(rig.client, pool, "request_id = $1", request_id)


async def test_a_version_posted_to_take_effect_later_is_not_yet_in_force(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    now = datetime.now(UTC)
    await post_policy(
        pool,
        f"current policy {unique}".encode(),
        posted_at=now - timedelta(seconds=1),
        effective_at=None,
        posted_by="admin",
    )
    current = await pool.fetchval(
        "SELECT version FROM privacy_policy_versions WHERE effective_at <= now()"
        " ORDER BY effective_at DESC, posted_at DESC LIMIT 1"
    )
    await post_policy(
        pool,
        f"next year's policy {unique}".encode(),
        posted_at=now,
        effective_at=now + timedelta(days=365),
        posted_by="admin",
    )
    request_id = f"pp-later-{unique}"
    await submit(
        submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    assert (
        await pool.fetchval(
            "SELECT privacy_policy_version FROM requests WHERE request_id = $1", request_id
        )
        == current
    )
    await end_open_requests(rig.client, pool, "request_id = $1", request_id)
