"""Old item 33 / N8: an answer to an inquiry goes to the address the requester typed. Unless
that address is the subject's address on record (or the inquirer is a guest, who has no
subject of ours), nothing shows the requester is the subject, so the answer is a general
one and says that it carries no personal information about them, and how to get it."""

from __future__ import annotations

import asyncpg
import pytest

from domain.deadlines import Step
from service import acts
from tests.support.privacy import PERSONAL
from tests.support.scenarios import Scenario, outcome_notice, outcome_of
from tests.support.temporal import Rig, actor

GENERAL = "this answer contains no personal information about you"


@pytest.mark.parametrize(("registered", "general"), [(True, False), (False, True)])
async def test_old_33_an_answer_to_an_address_not_on_record_is_general(
    rig: Rig, pool: asyncpg.Pool, unique: str, registered: bool, general: bool
) -> None:
    scenario = Scenario(rig, f"inq-{'reg' if registered else 'unreg'}").inquiry()
    request = await (scenario if registered else scenario.unregistered()).at(Step.ANSWER)
    await acts.respond(request.id, PERSONAL["answer"], actor("op-7"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "answered"
    answer = await outcome_notice(pool, request.id, "answer")
    assert PERSONAL["answer"] in answer
    assert (GENERAL in answer) is general
    if general:
        assert f"quoting reference {request.id} with proof of identity" in answer
