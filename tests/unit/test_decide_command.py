"""`dsr decide` and `dsr confirm-system` carry the issue 24 options to the API's acts:
Article 6 ¶1 parts (N17) and Article 8 ¶4's named measure and its confirmer (old item 7).
The command builds the API's own body (interfaces/api/models.py); what it posts is
seen here through a stand-in of the API."""

from __future__ import annotations

from interfaces.api.models import ConfirmSystemBody, DecideBody
from tests.support.cli import sent


def test_n17_decide_passes_each_withheld_part_with_its_ground() -> None:
    """N17: `--withhold-part ID=GROUND` (the id `dsr review` shows) and `CATEGORY=GROUND`."""
    done = sent(
        ["decide", "dis-1", "--outcome", "disclosed_in_part",
         "--withhold-part", "42=violation_of_other_laws",
         "--withhold-part", "contact=significant_hindrance_to_business"],
    )  # fmt: skip
    assert done.code == 0
    body = DecideBody.model_validate(done.body("/requests/dis-1/acts/decide"))
    assert body.withheld_parts == [
        "42=violation_of_other_laws",
        "contact=significant_hindrance_to_business",
    ]


def test_old7_decide_names_the_measure_and_its_confirmer_who_confirms_by_step_measure() -> None:
    """Old item 7: `--measure-kind` and `--confirmed-by`; the confirmer uses the manual
    systems' confirm act with `--step measure`; an unknown measure kind is refused, and
    nothing is sent."""
    done = sent(
        ["decide", "sus-1", "--outcome", "alternative_measures",
         "--alternative-ground", "large_expense", "--measure-kind", "restrict_access",
         "--confirmed-by", "it-owner"],
    )  # fmt: skip
    body = DecideBody.model_validate(done.body("/acts/decide"))
    assert body.alternative_measure == "restrict_access"
    assert body.measure_confirmer == "it-owner"
    confirmed = sent(
        ["confirm-system", "sus-1", "--system", "restrict_access", "--step", "measure",
         "--rows", "2"],
    )  # fmt: skip
    confirm = ConfirmSystemBody.model_validate(
        confirmed.body("/requests/sus-1/acts/confirm-system")
    )
    assert (confirm.system, confirm.step, confirm.rows) == ("restrict_access", "measure", 2)
    refused = sent(
        ["decide", "sus-1", "--outcome", "alternative_measures", "--measure-kind", "hope"]
    )
    assert refused.code == 2 and refused.calls == []


def test_decline_change_counts_from_one_on_the_command_line_and_from_zero_in_the_body() -> None:
    """`dsr review` numbers the requested changes from 1; the API's body from 0."""
    done = sent(["decide", "cor-1", "--outcome", "correction_declined", "--decline-change", "2"])
    assert DecideBody.model_validate(done.body("/acts/decide")).declined_changes == [1]
    refused = sent(["decide", "cor-1", "--outcome", "correction_declined", "--decline-change", "0"])
    assert refused.code == 2 and refused.calls == []
