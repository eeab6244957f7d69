"""The failure converter the service's clients use: an update's refusal reaches the
operator as written; an error that may quote data does not."""

from __future__ import annotations

import pydantic
from temporalio.api.failure.v1 import Failure
from temporalio.converter import default

from runtime.cluster import DATA_CONVERTER
from runtime.scrubbed_failures import WITHHELD, ScrubbingFailureConverter


def _message(error: BaseException) -> str:
    failure = Failure()
    ScrubbingFailureConverter().to_failure(error, default().payload_converter, failure)
    return failure.message


def test_a_validators_refusal_keeps_its_words() -> None:
    refusal = "a decision comes after identity verification and investigation"
    assert _message(ValueError(refusal)) == refusal
    assert DATA_CONVERTER.failure_converter_class is ScrubbingFailureConverter


def test_a_validation_error_quoting_input_is_withheld() -> None:
    class Model(pydantic.BaseModel):
        age: int

    try:
        Model(age="secret-pii-marker@example.jp")  # type: ignore[arg-type]
    except pydantic.ValidationError as error:
        message = _message(error)
    assert "secret-pii-marker" not in message and WITHHELD in message
