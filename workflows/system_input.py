"""The input of a system workflow (`ShredClosedRequests`, `ArchiveClosedRequests`,
`CheckpointLog`, `PurposeChange`), decoded by the workflow itself (DESIGN rule 8).

Each takes a `RawValue`: input the SDK decoded against the model would, when it does not
fit (a start by hand, another client), fail every workflow task for ever instead of the
workflow. Decoded here, input of the wrong shape (a wrong type, an unknown field, a field
missing, not an object at all) fails the workflow at once with a non-retryable
`InvalidWorkflowInput` naming the fields at fault, as does a start carrying a field the
workflow computes for itself (`refuse_fields`). The typed starts (`START_*` beside each
workflow) say what a caller passes."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

M = TypeVar("M", bound=BaseModel)

INVALID_INPUT = "InvalidWorkflowInput"
# A start with no argument at all: the run's parameter defaults to this.
NO_INPUT = RawValue(Payload())


def invalid_input(workflow_type: str, problem: str, how: str) -> ApplicationError:
    """The non-retryable failure of a start whose input does not fit; `how`: how the
    workflow type is started as it should be."""
    return ApplicationError(
        f"{workflow_type}: the workflow input is refused ({problem}); {how}",
        type=INVALID_INPUT,
        non_retryable=True,
    )


def faults(error: Exception) -> str:
    """The fields at fault and what is wrong with each, never a value."""
    if isinstance(error, ValidationError):
        # The outermost first: a field missing from the input before one inside another.
        errors = sorted(
            error.errors(include_url=False, include_input=False), key=lambda e: len(e["loc"])
        )
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg'].lower()}"
            for e in errors[:5]
        )
    return f"it does not decode ({type(error).__name__})"


def decode_input(
    raw: RawValue, model: type[M], workflow_type: str, how: str, *, required: bool
) -> M:
    """The input as `model`; with no argument, the model's defaults unless `required`."""
    if raw is NO_INPUT or not raw.payload.metadata:
        if required:
            raise invalid_input(workflow_type, "no input was given", how)
        return model()
    try:
        value = workflow.payload_converter().from_payload(raw.payload, model)
    except Exception as error:
        raise invalid_input(workflow_type, faults(error), how) from None
    if not isinstance(value, model):  # a null, which the converter passes as None
        raise invalid_input(workflow_type, "input: input should be an object", how)
    return value


def refuse_fields(workflow_type: str, fields: list[str], why: str, how: str) -> None:
    """Refuse a start that carries `fields`, which the workflow computes itself."""
    if fields:
        raise invalid_input(workflow_type, f"{', '.join(fields)}: {why}", how)


def continued() -> bool:
    """This run was started by the run before it continuing as new (the server says so; a
    start by a client never is)."""
    return workflow.info().continued_run_id is not None
