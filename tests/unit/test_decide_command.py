"""`dsr decide` and `dsr confirm-system` carry the issue 24 options to the service's acts:
Article 6 ¶1 parts (N17) and Article 8 ¶4's named measure and its confirmer (old item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from interfaces.cli import acts as cli_acts
from interfaces.cli.main import parser
from service import acts, system_acts


def _sent(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, argv: list[str]) -> dict:
    """What the command passes to the service's act, without sending it."""
    seen: dict[str, Any] = {}

    def capture(*args: Any, **kwargs: Any) -> None:
        seen.update(args=args, **kwargs)

    monkeypatch.setattr(module, name, capture)
    args = parser().parse_args(argv)
    cli_acts.OPERATOR_ACTS[args.command](args, "user", "client", "pool", {})
    return seen


def test_n17_decide_passes_each_withheld_part_with_its_ground(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """N17: `--withhold-part ID=GROUND` (the id `dsr review` shows) and `CATEGORY=GROUND`."""
    sent = _sent(
        monkeypatch,
        acts,
        "decide",
        ["decide", "dis-1", "--outcome", "disclosed_in_part",
         "--withhold-part", "42=violation_of_other_laws",
         "--withhold-part", "contact=significant_hindrance_to_business"],
    )  # fmt: skip
    assert sent["withheld_parts"] == (
        "42=violation_of_other_laws",
        "contact=significant_hindrance_to_business",
    )


def test_old7_decide_names_the_measure_and_its_confirmer_who_confirms_by_step_measure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Old item 7: `--measure-kind` and `--confirmed-by`; the confirmer uses the manual
    systems' confirm act with `--step measure`; an unknown measure kind is refused."""
    sent = _sent(
        monkeypatch,
        acts,
        "decide",
        ["decide", "sus-1", "--outcome", "alternative_measures",
         "--alternative-ground", "large_expense", "--measure-kind", "restrict_access",
         "--confirmed-by", "it-owner"],
    )  # fmt: skip
    assert sent["alternative_measure"] == "restrict_access"
    assert sent["measure_confirmer"] == "it-owner"
    confirmed = _sent(
        monkeypatch,
        system_acts,
        "confirm_system",
        ["confirm-system", "sus-1", "--system", "restrict_access", "--step", "measure",
         "--rows", "2"],
    )  # fmt: skip
    assert confirmed["args"][1:4] == ("restrict_access", "measure", 2)
    with pytest.raises(SystemExit):
        parser().parse_args(
            ["decide", "sus-1", "--outcome", "alternative_measures", "--measure-kind", "hope"]
        )
