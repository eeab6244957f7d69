"""A workflow that verifies an act's signature inside the workflow sandbox (for the test
that `cryptography` is passed through it: tests/workflow/test_act_signatures.py)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.authority import ActAuthority, signature_problem


@workflow.defn(name="VerifySignatureInSandbox")
class VerifySignatureInSandbox:
    @workflow.run
    async def run(self, authority: ActAuthority, public_pem: str) -> str:
        with workflow.unsafe.imports_passed_through():
            from cryptography.hazmat.primitives.serialization import load_pem_public_key
        key = load_pem_public_key(public_pem.encode("ascii"))
        problem = signature_problem({authority.key_id: key}, authority)  # type: ignore[dict-item]
        return problem or "verified"


async def _run_with_default_restrictions(address: str, task_queue: str, workflow_id: str) -> int:
    """Run the workflow on a bad signature with the SDK's default sandbox restrictions;
    returns 3 if it returned at all (the process is expected to abort first)."""
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from domain.authority import ActSigner, Role
    from runtime.act_keys import public_pem

    signer = ActSigner(Ed25519PrivateKey.generate())
    bad = signer.sign(
        ActAuthority(
            account="op-1",
            roles=(Role.OPERATOR,),
            act="decide",
            request_id="r-1",
            act_id="act-1",
            argument_digest="0" * 64,
            issued_at=datetime.now(UTC),
        )
    ).model_copy(update={"act_id": "act-2"})
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[VerifySignatureInSandbox],
        workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default),
    ):
        await asyncio.wait_for(
            client.execute_workflow(
                VerifySignatureInSandbox.run,
                args=[bad, public_pem(signer.public_key).decode("ascii")],
                id=workflow_id,
                task_queue=task_queue,
            ),
            60,
        )
    return 3


if __name__ == "__main__":
    import asyncio
    import sys

    sys.exit(asyncio.run(_run_with_default_restrictions(*sys.argv[1:4])))
