"""docs/benchmarks.md from the figures `bench.report.build` gathers, keeping the fan-out
section that `make bench-fanout` writes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.report import (
    BASELINE_STEPS,
    GOAL_AUDIT_S,
    GOAL_RECEIPT_P99_MS,
    KINDS,
)


def _verdict(passed: bool | None) -> str:
    return {True: "**pass**", False: "**FAIL**", None: "shown"}[passed]


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render(data: Mapping[str, Any]) -> str:
    """docs/benchmarks.md, from the JSON alone."""
    run = data["run"]
    half = data["half_load"]
    first = data["requests_per_s_workers"]
    base1, base23 = (
        data["baseline_1_activity_requests_per_s"],
        data["baseline_23_activities_requests_per_s"],
    )
    ours = data["requests_per_s"]
    lines = [
        "# Benchmarks",
        "",
        f"Made by `make bench` (`{run['command']}`) on {run['date']}: {run['cores']} cores, "
        f"{run['servers']} servers, the whole run in {run['seconds']:.0f} s. Written with "
        "[benchmarks.json](benchmarks.json) by the same run. Compare ratios within a run: "
        "the machine is shared, absolute figures move with its load.",
        "",
        "## The goals of issue 15",
        "",
        "| goal | target | this run | |",
        "| --- | --- | --- | --- |",
        *[
            f"| {g['goal']} | {g['target']} | {g['value']} | {_verdict(g['pass'])} |"
            for g in data["goals"]
        ],
        "",
        "## Throughput at saturation",
        "",
        f"Closed loop: {run['requests']} workflows, {run['concurrency']} at a time, against "
        f"the same Temporal and PostgreSQL servers. Our requests are of mixed kinds (one in "
        f"five each of {', '.join(KINDS)}), driven to their close by the bench playing "
        f"operator through the CLI's client calls, served by {first} `worker.py` "
        f"process{'es' if first > 1 else ''}; the baselines' workflows run in an in-process "
        "bare-SDK worker.",
        "",
        f"| figure | bare SDK, 1 no-op activity | bare SDK, {BASELINE_STEPS} no-op activities "
        f"| DataSubjectRequest, {first} worker |",
        "| --- | ---: | ---: | ---: |",
        f"| wall time, s | {_f(data['baseline_1_activity_seconds'])} "
        f"| {_f(data['baseline_23_activities_seconds'])} "
        f"| {_f(data['wall_seconds_by_workers'][str(first)])} |",
        f"| requests/s | {_f(base1, 2)} | {_f(base23, 2)} | {_f(ours, 2)} |",
        f"| requests/s, ratio to {BASELINE_STEPS} no-op activities | {base1 / base23:.2f} "
        f"| 1.00 | **{ours / base23:.2f}** |",
        f"| activities per request | 1 | {BASELINE_STEPS} | {_f(data['activities_per_request'])} |",
        f"| history events per request | - | - | {_f(data['history_events_per_request'])} |",
        f"| submit → receipt delivered at saturation, p50 / p99 ms | - | - "
        f"| {_f(data['receipt_p50_ms_saturated'], 0)} / "
        f"{_f(data['receipt_p99_ms_saturated'], 0)} |",
        f"| worker peak RSS, MiB | - | - | {_f(data['worker_peak_rss_mib'], 0)} |",
        f"| machine's 1-minute load average as it ended | "
        f"{_f(data['baseline_1_activity_load_average'])} "
        f"| {_f(data['baseline_23_activities_load_average'])} "
        f"| {_f(data['load_average_by_workers'][str(first)])} |",
        "",
        "## Submit → receipt at half load",
        "",
        f"Open loop: {half['requests']} requests arriving "
        f"{'as a Poisson process' if half['arrivals'] == 'poisson' else 'at a fixed interval'}"
        f" at {half['offered_requests_per_s']:.2f} requests/s, half the saturating "
        f"{_f(ours, 2)} above, over {half['seconds']:.0f} s, each driven to its close as "
        f"above, on the same {first}-worker set-up. A request's latency runs from just "
        "before `submit` (this machine's clock) to the delivery of its receipt notice: the "
        "`recorded_at` of the `notice.delivered` event for the receipt's notification in "
        "`request_events`, set by PostgreSQL (same machine, same clock) in the transaction "
        "that records the delivery, right after the notice is written to the maildrop. "
        "(`notifications.delivered_at` is not used: it holds the workflow's time when it "
        "ordered the delivery, before the sending.)",
        "",
        "| receipts measured | p50 ms | p99 ms | max ms | goal | load average as it ended |",
        "| ---: | ---: | ---: | ---: | --- | ---: |",
        f"| {half['receipts_measured']} | {_f(data['receipt_p50_ms_half_load'], 0)} "
        f"| {_f(data['receipt_p99_ms_half_load'], 0)} "
        f"| {_f(data['receipt_max_ms_half_load'], 0)} | p99 < {GOAL_RECEIPT_P99_MS:.0f} ms "
        f"| {_f(half.get('load_average'))} |",
        "",
        "## Per request, before and after",
        "",
        "Before: the previous release's recorded histories (`tests/histories/2026-11-25`, "
        "real runs of the workflow before the reshaping), one per kind, the path the bench "
        "drives. After: this run's histories, every request of the saturating run, fetched "
        "after it. Activities are ACTIVITY_TASK_SCHEDULED events plus local activities' "
        "markers (a `workflow.patched` marker is not one). Means over the bench's mix. In "
        "the JSON, `activities_per_request` and `history_events_per_request` are the after "
        "figures, `*_before` the before ones.",
        "",
        "The recorded histories were driven by the test suite, whose operator acts come at "
        "other moments than the bench's: run against the recorded release's own code "
        "(commit d0881cb), the bench counted the same activities to the one (25.2) but "
        "7% fewer history events (177.6 against 190.2: fewer workflow tasks, an act "
        "arriving while the workflow is still busy shares its task). So the events' "
        "before-after change below overstates the reshaping's by about that much; the "
        "activities' is exact.",
        "",
        "| kind | before: recorded history | activities before | after | history events "
        "before | after |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *[
            f"| {kind} | `{Path(k['before_history']).name}` | {k['activities_before']} "
            f"| {_f(k['activities_after'])} | {k['history_events_before']} "
            f"| {_f(k['history_events_after'])} |"
            for kind, k in data["per_kind"].items()
        ],
        f"| **mean** | | {_f(data['activities_per_request_before'])} "
        f"| {_f(data['activities_per_request'])} "
        f"| {_f(data['history_events_per_request_before'])} "
        f"| {_f(data['history_events_per_request'])} |",
        "",
        "## Scaling with worker processes",
        "",
        f"The same closed loop ({run['requests']} requests, {run['concurrency']} at a time) "
        "served by N `worker.py` processes polling one task queue, against the same "
        "servers (each with DSR_METRICS_PORT=0, sharing one DSR_DATA_DIR and so one "
        f"maildrop). The headline requests/s is the {first}-worker figure: the baselines "
        "run one in-process worker, so that is the like-for-like comparison. On this "
        f"{run['cores']}-core machine the workers share the cores with PostgreSQL, the "
        "Temporal server and the bench itself.",
        "",
        "| worker processes | requests/s | ratio to the first | wall time, s "
        "| peak RSS per worker, MiB | load average as it ended |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {n} | {_f(v, 2)} | {v / data['requests_per_s_by_workers'][str(first)]:.2f} "
            f"| {_f(data['wall_seconds_by_workers'][n])} "
            f"| {_f(data['worker_peak_rss_mib_by_workers'][n], 0)} "
            f"| {_f(data['load_average_by_workers'][n])} |"
            for n, v in data["requests_per_s_by_workers"].items()
        ],
        "",
        "## The audit store",
        "",
        f"`bench/store_load.py` seeds the store, then times the reads; "
        f"{data['audit_report_events']:,} events in `request_events` when timed.",
        "",
        "| read | seconds | goal |",
        "| --- | ---: | --- |",
        f"| audit report for a month | {data['audit_report_1m_events_s']:.2f} "
        f"| < {GOAL_AUDIT_S:.0f} s over 1,000,000 events |",
        f"| `dsr list --overdue` | {data['list_overdue_s']:.2f} | |",
        "",
    ]
    if run.get("notes"):
        lines += ["## Notes", "", *[f"- {note}" for note in run["notes"]], ""]
    return "\n".join(lines)


# The fan-out benchmark (bench/fanout.py, `make bench-fanout`) writes a section of its own
# into the same two files; a run of `make bench` keeps it as it was.
FANOUT_BEGIN = "<!-- fanout: written by bench/fanout.py (make bench-fanout) -->"
FANOUT_END = "<!-- /fanout -->"
CONNECTORS_BEGIN = "<!-- connectors: written by bench/connectors.py (make bench-connectors) -->"
CONNECTORS_END = "<!-- /connectors -->"
# The sections other benches write, with the prefix of their keys: `make bench` keeps them.
KEPT_SECTIONS = (
    (FANOUT_BEGIN, FANOUT_END, "fanout_"),
    (CONNECTORS_BEGIN, CONNECTORS_END, "connectors_"),
)


def with_sections_kept(
    markdown: str, data: dict[str, Any], out: Path
) -> tuple[str, dict[str, Any]]:
    """`markdown` and `data` with the other benches' sections and keys already in `out`
    (and its .json) carried over."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    path = out.with_suffix(".json")
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for begin, end, prefix in KEPT_SECTIONS:
        start, stop = old.find(begin), old.find(end)
        if start >= 0 and stop > start:
            markdown = markdown.rstrip("\n") + "\n\n" + old[start : stop + len(end)] + "\n"
        data = {**data, **{k: v for k, v in recorded.items() if k.startswith(prefix)}}
    return markdown, data


def write_section(out: Path, begin: str, end: str, section: str, keys: dict[str, Any]) -> None:
    """A bench's own section of `out` replaced (or added) and its keys merged into the
    JSON beside it."""
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end) + "\n?", re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + section
    )
    out.write_text(text, encoding="utf-8")
    path = out.with_suffix(".json")
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.update(keys)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
