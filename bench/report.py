"""The pure half of the benchmark: percentiles, the "before" figures read from recorded
histories, and the report (docs/benchmarks.json, then docs/benchmarks.md rendered from
it). Nothing here talks to a server, so the unit tests cover it without running a bench.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The previous release's recorded histories: real runs of the workflow before issue 15's
# reshaping. Fixed on purpose: a later release records its histories in a new folder.
BEFORE_HISTORIES = ROOT / "tests" / "histories" / "2026-11-25"
# The bench's mix of kinds (request i is KINDS[i % 5]), with the recorded history of the
# same path through the workflow: the operator's decision the bench takes for each kind.
KINDS = ("inquiry", "correction", "suspension", "third_party_stop", "disclosure")
BEFORE_FILES = {
    "inquiry": "inquiry_answered",
    "correction": "correction_made",
    "suspension": "suspension_use_suspended",
    "third_party_stop": "third_party_stop",
    "disclosure": "disclosure_full",
}
# The name the SDK gives the marker a local activity records (a `workflow.patched` call
# records a marker too, named core_patch: that one is not an activity).
LOCAL_ACTIVITY_MARKER = "core_local_activity"
BASELINE_STEPS = 23  # the bare-SDK workflow: 23 no-op activities

# The goals of issue 15.
GOAL_RATIO_TO_BASELINE = 1.5
GOAL_RECEIPT_P99_MS = 250.0
GOAL_AUDIT_S = 1.0
GOAL_AUDIT_EVENTS = 1_000_000
GOAL_WORKERS = (1, 2, 4)

REQUIRED_KEYS = (
    "requests_per_s",
    "baseline_23_activities_requests_per_s",
    "receipt_p99_ms_half_load",
    "audit_report_1m_events_s",
    "activities_per_request",
    "history_events_per_request",
    "requests_per_s_by_workers",
)


def percentile(values: Iterable[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at
    or below it (p99 of 100 values is the 99th smallest, of 50 it is the largest)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    rank = math.ceil(share * len(ordered) - 1e-9)
    return ordered[max(0, min(len(ordered), rank) - 1)]


@dataclass(frozen=True)
class HistoryCounts:
    activities: int
    events: int


def count_history_json(document: Mapping[str, Any]) -> HistoryCounts:
    """Activities (ACTIVITY_TASK_SCHEDULED, and local activities' markers) and events in
    a Temporal history in its JSON form (`temporal workflow show -o json`, or the SDK's
    `WorkflowHistory.to_json`), as `bench.drive.count_history` counts a live one."""
    events = document["events"]
    activities = 0
    for event in events:
        kind = str(event.get("eventType", ""))
        if kind in ("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", "ActivityTaskScheduled"):
            activities += 1
        elif kind in ("EVENT_TYPE_MARKER_RECORDED", "MarkerRecorded"):
            marker = event.get("markerRecordedEventAttributes", {}).get("markerName")
            activities += marker == LOCAL_ACTIVITY_MARKER
    return HistoryCounts(activities, len(events))


def before_figures(
    folder: Path = BEFORE_HISTORIES, files: Mapping[str, str] = BEFORE_FILES
) -> dict[str, HistoryCounts]:
    """Per kind of the bench's mix, the counts of the recorded history of the same path."""
    counts = {}
    for kind, stem in files.items():
        path = folder / f"{stem}.json"
        counts[kind] = count_history_json(json.loads(path.read_text(encoding="utf-8")))
    return counts


def mix_mean(per_kind: Mapping[str, float], mix: Mapping[str, int]) -> float:
    """The mean over a run's requests of a figure known per kind."""
    total = sum(mix.values())
    return sum(per_kind[kind] * n for kind, n in mix.items()) / total


@dataclass
class Closed:
    """A closed-loop measurement: `requests` driven `concurrency` at a time."""

    requests: int
    seconds: float
    peak_rss_mib: float | None = None  # the largest of the worker processes'
    # The machine's 1-minute load average as the measurement ended: the box is shared,
    # and a figure taken while something else ran is not comparable.
    load: float | None = None

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds


@dataclass
class Measured:
    """Everything one run measured, as `bench/run.py` hands it to `build`."""

    argv: Sequence[str]
    date: str
    cores: int
    servers: str
    requests: int
    concurrency: int
    baseline_1: Closed
    baseline_23: Closed
    by_workers: dict[int, Closed]
    # Per request of the 1-worker (first) phase: kind, activities, history events.
    per_request: list[tuple[str, int, int]]
    receipt_ms_saturated: list[float]
    half_load_offered_per_s: float
    half_load_seconds: float
    receipt_ms_half_load: list[float]
    half_load_requests: int
    arrivals: str
    store: dict[str, float]
    before: dict[str, HistoryCounts]
    before_folder: str
    half_load_load: float | None = None
    run_seconds: float = 0.0
    missing_receipts: int = 0
    notes: list[str] = field(default_factory=list)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def build(m: Measured) -> dict[str, Any]:
    """docs/benchmarks.json: the headline figures under the issue's keys, then detail."""
    first = min(m.by_workers)
    headline = m.by_workers[first]
    mix: dict[str, int] = {}
    after_activities: dict[str, list[int]] = {}
    after_events: dict[str, list[int]] = {}
    for kind, activities, events in m.per_request:
        mix[kind] = mix.get(kind, 0) + 1
        after_activities.setdefault(kind, []).append(activities)
        after_events.setdefault(kind, []).append(events)
    per_kind = {
        kind: {
            "before_history": f"{m.before_folder}/{BEFORE_FILES[kind]}.json",
            "activities_before": m.before[kind].activities,
            "activities_after": _round(sum(after_activities[kind]) / n),
            "history_events_before": m.before[kind].events,
            "history_events_after": _round(sum(after_events[kind]) / n),
            "requests": n,
        }
        for kind, n in sorted(mix.items(), key=lambda kv: KINDS.index(kv[0]))
    }
    requests_counted = len(m.per_request)
    activities_after = sum(a for _, a, _ in m.per_request) / requests_counted
    events_after = sum(e for _, _, e in m.per_request) / requests_counted
    activities_before = mix_mean({k: c.activities for k, c in m.before.items()}, mix)
    events_before = mix_mean({k: c.events for k, c in m.before.items()}, mix)
    ratio = headline.requests_per_s / m.baseline_23.requests_per_s
    p99_half = percentile(m.receipt_ms_half_load, 0.99)
    audit_s = m.store["report_month"]
    audit_events = int(m.store["events"])
    by_workers = {str(n): _round(c.requests_per_s) for n, c in sorted(m.by_workers.items())}
    goals = [
        {
            "goal": f"requests/s at least {GOAL_RATIO_TO_BASELINE}x the bare-SDK workflow of "
            f"{BASELINE_STEPS} no-op activities (same servers, same run)",
            "target": f">= {GOAL_RATIO_TO_BASELINE}x",
            "value": f"{ratio:.2f}x",
            "pass": ratio >= GOAL_RATIO_TO_BASELINE,
        },
        {
            "goal": "submit -> receipt p99 at half the saturating load",
            "target": f"< {GOAL_RECEIPT_P99_MS:.0f} ms",
            "value": f"{p99_half:.0f} ms",
            "pass": p99_half < GOAL_RECEIPT_P99_MS,
        },
        {
            "goal": "audit report over 1,000,000 events",
            "target": f"< {GOAL_AUDIT_S:.0f} s",
            "value": f"{audit_s:.2f} s over {audit_events:,} events",
            "pass": (audit_s < GOAL_AUDIT_S) if audit_events >= GOAL_AUDIT_EVENTS else None,
        },
        {
            "goal": "history events and activities per request, before and after",
            "target": "shown",
            "value": f"activities {activities_before:.1f} -> "
            f"{activities_after:.1f}, events {events_before:.1f} "
            f"-> {events_after:.1f}",
            "pass": None,
        },
        {
            "goal": "requests/s with 1, 2 and 4 worker processes",
            "target": "shown",
            "value": ", ".join(f"{n}: {v}" for n, v in by_workers.items()),
            "pass": None,
        },
    ]
    return {
        # The keys.
        "requests_per_s": _round(headline.requests_per_s),
        "baseline_23_activities_requests_per_s": _round(m.baseline_23.requests_per_s),
        "receipt_p99_ms_half_load": _round(p99_half, 1),
        "audit_report_1m_events_s": _round(audit_s, 3),
        "activities_per_request": _round(activities_after),
        "history_events_per_request": _round(events_after),
        "requests_per_s_by_workers": by_workers,
        # Beside them.
        "ratio_to_baseline_23_activities": _round(ratio),
        "baseline_1_activity_requests_per_s": _round(m.baseline_1.requests_per_s),
        "requests_per_s_workers": first,
        "activities_per_request_before": _round(activities_before),
        "history_events_per_request_before": _round(events_before),
        "per_kind": per_kind,
        "receipt_p50_ms_half_load": _round(percentile(m.receipt_ms_half_load, 0.5), 1),
        "receipt_max_ms_half_load": _round(max(m.receipt_ms_half_load), 1),
        "half_load": {
            "arrivals": m.arrivals,
            "offered_requests_per_s": _round(m.half_load_offered_per_s, 3),
            "requests": m.half_load_requests,
            "receipts_measured": len(m.receipt_ms_half_load),
            "seconds": _round(m.half_load_seconds, 1),
            "load_average": _round(m.half_load_load),
        },
        "receipt_p50_ms_saturated": _round(percentile(m.receipt_ms_saturated, 0.5), 1),
        "receipt_p99_ms_saturated": _round(percentile(m.receipt_ms_saturated, 0.99), 1),
        "worker_peak_rss_mib": _round(headline.peak_rss_mib, 1),
        "worker_peak_rss_mib_by_workers": {
            str(n): _round(c.peak_rss_mib, 1) for n, c in sorted(m.by_workers.items())
        },
        "load_average_by_workers": {
            str(n): _round(c.load) for n, c in sorted(m.by_workers.items())
        },
        "baseline_1_activity_load_average": _round(m.baseline_1.load),
        "baseline_23_activities_load_average": _round(m.baseline_23.load),
        "wall_seconds_by_workers": {
            str(n): _round(c.seconds, 1) for n, c in sorted(m.by_workers.items())
        },
        "baseline_1_activity_seconds": _round(m.baseline_1.seconds, 1),
        "baseline_23_activities_seconds": _round(m.baseline_23.seconds, 1),
        "audit_report_events": audit_events,
        "list_overdue_s": _round(m.store["list_overdue"], 3),
        "goals": goals,
        "run": {
            "command": " ".join(["python -m bench.run", *m.argv]),
            "date": m.date,
            "cores": m.cores,
            "servers": m.servers,
            "requests": m.requests,
            "concurrency": m.concurrency,
            "seconds": _round(m.run_seconds, 0),
            "missing_receipts": m.missing_receipts,
            "notes": m.notes,
        },
    }
