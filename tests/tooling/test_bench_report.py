"""The benchmark's pure parts: percentiles, the "before" figures read from the recorded
histories, and the report's keys. Nothing here runs the benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.markdown import (
    CONNECTORS_BEGIN,
    CONNECTORS_END,
    FANOUT_BEGIN,
    FANOUT_END,
    render,
    with_sections_kept,
)
from bench.report import (
    BEFORE_FILES,
    BEFORE_HISTORIES,
    KINDS,
    REQUIRED_KEYS,
    Closed,
    HistoryCounts,
    Measured,
    before_figures,
    build,
    count_history_json,
    mix_mean,
    percentile,
)


def test_percentile_is_nearest_rank() -> None:
    hundred = [float(v) for v in range(100, 0, -1)]  # 1..100, unordered
    assert percentile(hundred, 0.99) == 99
    assert percentile(hundred, 0.5) == 50
    assert percentile(hundred, 1.0) == 100
    assert percentile(hundred, 0.01) == 1
    assert percentile([float(v) for v in range(1, 51)], 0.99) == 50  # too few: the largest
    assert percentile([7.0], 0.99) == 7
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.29) == 3


def test_percentile_refuses_nothing_and_odd_shares() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 0)
    with pytest.raises(ValueError):
        percentile([1.0], 99)


def test_history_counts_take_activities_and_local_activities_not_patch_markers() -> None:
    def marker(name: str) -> dict:
        return {
            "eventType": "EVENT_TYPE_MARKER_RECORDED",
            "markerRecordedEventAttributes": {"markerName": name},
        }

    document = {
        "events": [
            {"eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"},
            {"eventType": "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"},
            {"eventType": "EVENT_TYPE_ACTIVITY_TASK_COMPLETED"},
            marker("core_local_activity"),
            marker("core_patch"),
            {"eventType": "ActivityTaskScheduled"},
        ]
    }
    assert count_history_json(document) == HistoryCounts(activities=3, events=6)


def test_before_figures_read_the_recorded_history_of_each_kind_of_the_mix() -> None:
    assert set(BEFORE_FILES) == set(KINDS)
    assert all((BEFORE_HISTORIES / f"{stem}.json").exists() for stem in BEFORE_FILES.values())
    before = before_figures()
    assert set(before) == set(KINDS)
    for kind, counts in before.items():
        document = json.loads((BEFORE_HISTORIES / f"{BEFORE_FILES[kind]}.json").read_text())
        scheduled = sum(
            e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" for e in document["events"]
        )
        assert counts == HistoryCounts(scheduled, len(document["events"]))
    # An inquiry runs fewer activities than a disclosure, which asks a fee too.
    assert before["inquiry"].activities < before["disclosure"].activities


def test_mix_mean_weighs_kinds_by_their_requests() -> None:
    assert mix_mean({"a": 10, "b": 20}, {"a": 1, "b": 1}) == 15
    assert mix_mean({"a": 10, "b": 20}, {"a": 3, "b": 1}) == 12.5


def _measured(events: float = 1_004_000) -> Measured:
    before = {kind: HistoryCounts(20 + i, 150 + i) for i, kind in enumerate(KINDS)}
    return Measured(
        argv=["--requests", "10"],
        date="2026-11-26",
        cores=2,
        servers="embedded",
        requests=10,
        concurrency=5,
        baseline_1=Closed(10, 1.0),
        baseline_23=Closed(10, 5.0),
        by_workers={1: Closed(10, 2.0, 100.0), 2: Closed(10, 1.6, 98.0), 4: Closed(10, 1.5, 97.0)},
        per_request=[(KINDS[i % 5], 10 + i % 5, 80 + i % 5) for i in range(10)],
        receipt_ms_saturated=[float(v) for v in range(10)],
        half_load_offered_per_s=2.4,
        half_load_seconds=30.0,
        receipt_ms_half_load=[float(v) for v in range(1, 101)],
        half_load_requests=100,
        arrivals="poisson",
        store={"events": events, "report_month": 0.5, "list_overdue": 0.01},
        before=before,
        before_folder="tests/histories/2026-11-25",
    )


def test_the_json_carries_the_issues_keys() -> None:
    data = build(_measured())
    assert set(REQUIRED_KEYS) <= set(data)
    assert data["requests_per_s"] == 5.0  # the first (1-worker) figure: 10 in 2 s
    assert data["baseline_23_activities_requests_per_s"] == 2.0
    assert data["ratio_to_baseline_23_activities"] == 2.5
    assert data["requests_per_s_by_workers"] == {"1": 5.0, "2": 6.25, "4": 6.67}
    assert data["receipt_p99_ms_half_load"] == 99.0
    assert data["audit_report_1m_events_s"] == 0.5
    assert data["audit_report_events"] == 1_004_000
    assert data["activities_per_request"] == 12.0
    assert data["activities_per_request_before"] == 22.0
    assert data["history_events_per_request"] == 82.0
    assert data["history_events_per_request_before"] == 152.0
    assert data["per_kind"]["disclosure"]["activities_before"] == 24
    assert [g["pass"] for g in data["goals"]] == [True, True, True, None, None]
    json.dumps(data)  # all of it serialisable
    text = render(data)
    assert "**pass**" in text and "FAIL" not in text
    assert "| 4 | 6.67 |" in text


def test_goals_fail_visibly_and_a_small_store_does_not_pass_the_audit_goal() -> None:
    measured = _measured(events=20_000)
    measured.baseline_23 = Closed(10, 2.5)  # 4 requests/s: ours is only 1.25x
    measured.receipt_ms_half_load = [300.0] * 100
    data = build(measured)
    assert [g["pass"] for g in data["goals"][:3]] == [False, False, None]
    assert render(data).count("**FAIL**") == 2


def test_make_bench_keeps_the_other_benches_sections_and_keys(tmp_path: Path) -> None:
    """`make bench` rewrites the report, but what `make bench-fanout` and `make
    bench-connectors` measured stays."""
    out = tmp_path / "benchmarks.md"
    fanout = f"{FANOUT_BEGIN}\n## Fan-out\n1460 notices/s\n{FANOUT_END}"
    connectors = f"{CONNECTORS_BEGIN}\n## Connectors\np99 31 ms\n{CONNECTORS_END}"
    out.write_text(f"# Benchmarks\nold body\n\n{fanout}\n\n{connectors}\n", encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps(
            {
                "throughput_ratio": 1.0,
                "fanout_notices_per_s": 1460.0,
                "connectors_collect_p99_ms": 31.0,
            }
        ),
        encoding="utf-8",
    )
    text, data = with_sections_kept("# Benchmarks\nnew body\n", {"throughput_ratio": 1.5}, out)
    assert "new body" in text and "old body" not in text
    assert fanout in text and connectors in text
    assert data == {
        "throughput_ratio": 1.5,
        "fanout_notices_per_s": 1460.0,
        "connectors_collect_p99_ms": 31.0,
    }
