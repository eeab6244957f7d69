"""The parts of an outcome notice issue 24 added for Article 6 ¶1 part by part (N17) and
Article 8 ¶4's named measure (old item 7): what was withheld, each part with its ground,
and which measure was taken on which items, applied by the service or confirmed by whom.
Called by domain/notices.py with its writer."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.notice_writer import NoticeFacts, NoticeWriter


def plain_withheld(facts: NoticeFacts) -> dict[str, int]:
    """What was withheld on the decision's grounds: all withheld, less the parts that carry
    a ground of their own."""
    plain = dict(facts.withheld)
    for category, _field, items, _ground in facts.withheld_parts:
        plain[category] = plain.get(category, 0) - items
    return {c: n for c, n in plain.items() if n > 0}


def withheld_parts(w: NoticeWriter, facts: NoticeFacts) -> None:
    if not facts.withheld_parts:
        return
    w.lines(
        "disclosed.withheld_parts",
        (
            w.t(
                "disclosed.withheld_part",
                what=w.t(f"cat.{category}") if field is None else w.item(category, field),
                items=w.items(items),
                ground=w.t(f"ground.{ground}"),
            )
            for category, field, items, ground in facts.withheld_parts
        ),
    )


def measure_taken(w: NoticeWriter, facts: NoticeFacts) -> None:
    """Only what the act recorded: applied by the service, or confirmed by the account
    responsible (a measure decided before measures were named says neither)."""
    if facts.alternative_measure is None:
        return
    measure = w.t(f"measure.{facts.alternative_measure}")
    if facts.measure_confirmed_by is not None and facts.measure_confirmed_at is not None:
        w.add(
            "measure.confirmed",
            measure=measure,
            account=facts.measure_confirmed_by,
            date=w.date(facts.measure_confirmed_at),
        )
    elif facts.measure_applied:
        w.add("measure.applied", measure=measure)
