"""The geometry of the report's chart; `templates/report.html` draws it as SVG.

Per row, the step's window from its start (grey, extensions hatched) with its due time
marked, and the time taken over it as a bar coloured by verdict. All lanes share one axis
of elapsed time since the step started, so windows of any length compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from domain.compliance_report import ComplianceReport, StepCompliance, Verdict

COLOURS = {
    Verdict.MET: "#2e7d32",
    Verdict.COMPLETED_LATE: "#c62828",
    Verdict.BREACHED: "#8e0000",
    Verdict.OPEN_OVERDUE: "#ef6c00",
    Verdict.LAPSED: "#757575",
    Verdict.OPEN: "#1565c0",
}
PLOT_WIDTH, TEXT_WIDTH, LANE, TOP = 760, 190, 24, 62


def span(duration: timedelta | None) -> str:
    """A duration for the page: hours below two days, days from then on."""
    if duration is None:
        return ""
    hours = duration.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if abs(hours) >= 48 else f"{hours:.1f} h"


@dataclass(frozen=True)
class Key:
    """One entry of a legend: a swatch of `fill`, or the due time's mark where "due"."""

    x: float
    y: float
    name: str
    fill: str


@dataclass(frozen=True)
class Lane:
    y: int
    label: str
    tip: str
    colour: str
    window_end: float  # the end of the window first allowed
    window_width: float
    extension_width: float | None  # None: never extended
    bar_width: float
    running: bool  # not finished: the bar runs to the report's time, pale
    beyond: bool  # the time taken runs past the axis: an arrow at its end
    due: float
    figure: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    keys: list[Key]  # the window, an extension and the due time
    caption_x: float  # where the caption after them starts
    verdict_keys: list[Key]
    ticks: list[tuple[float, str]]
    lanes: list[Lane]
    plot_width: int = PLOT_WIDTH
    top: int = TOP


def _tick_step(span_hours: float, unit: float) -> float:
    for candidate in (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 4320, 8760):
        if candidate % unit == 0 and span_hours / candidate <= 10:
            return candidate
    return 8760 * math.ceil(span_hours / 8760 / 10)


def _legend(x: float, y: float, items: list[tuple[str, str]]) -> tuple[list[Key], float]:
    keys = []
    for name, fill in items:
        keys.append(Key(x, y, name, fill))
        x += 32 + 6.5 * len(name)
    return keys, x


def chart(report: ComplianceReport) -> Chart | None:
    """The chart of the report's rows; None when it has none."""
    rows = report.rows
    if not rows:
        return None

    def taken(row: StepCompliance) -> timedelta:
        return row.time_to_handle or max(report.as_of - row.started_at, timedelta(0))

    longest = max(max(r.allowed, r.original_due_at - r.started_at) for r in rows)
    # An open step in an old range would stretch the axis for decades; cap it and let the
    # lane's label give the figure.
    hours = max(longest, min(max(taken(r) for r in rows), longest * 2)).total_seconds() / 3600
    unit = 24.0 if hours >= 48 else 1.0
    tick_every = _tick_step(hours, unit)
    hours = tick_every * math.ceil(hours / tick_every)
    labels = [f"{r.request_id} · {r.step}" for r in rows]
    # No text measuring in SVG without script: 7 px a character is wide enough at 12 px.
    label_w = 16 + 7 * max(len(label) for label in labels)

    def x(duration: timedelta) -> float:
        clipped = min(duration.total_seconds() / 3600, hours)
        return round(label_w + PLOT_WIDTH * max(clipped, 0) / hours, 1)

    keys, after = _legend(
        label_w, 6, [("window allowed", "#e0e0e0"), ("extension", "url(#ext)"), ("due time", "due")]
    )
    verdict_keys = _legend(
        label_w, 24, [(v.value.replace("_", " "), c) for v, c in COLOURS.items()]
    )[0]
    suffix = "d" if unit == 24 else "h"
    ticks = []
    tick = 0.0
    while tick <= hours + 1e-9:
        ticks.append((x(timedelta(hours=tick)), f"{tick / unit:g} {suffix}"))
        tick += tick_every
    lanes = []
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        done = taken(row)
        original = x(row.original_due_at - row.started_at)
        so_far = "" if row.finished_at is not None else " so far"
        lanes.append(
            Lane(
                y=TOP + i * LANE,
                label=label,
                colour=COLOURS[row.verdict],
                tip=(
                    f"{label}: {row.verdict.value}, took {span(done)} of {span(row.allowed)} "
                    "allowed"
                ),
                window_end=original,
                window_width=original - label_w,
                extension_width=(
                    None if row.due_at == row.original_due_at else max(x(row.allowed) - original, 0)
                ),
                bar_width=max(x(done) - label_w, 1.5),
                running=row.finished_at is None,
                beyond=done.total_seconds() / 3600 > hours,
                due=x(row.allowed),
                figure=f"{span(done)}{so_far} / {span(row.allowed)}",
            )
        )
    return Chart(
        width=label_w + PLOT_WIDTH + TEXT_WIDTH,
        height=TOP + LANE * len(rows) + 28,
        label_width=label_w,
        keys=keys,
        caption_x=after,
        verdict_keys=verdict_keys,
        ticks=ticks,
        lanes=lanes,
    )
