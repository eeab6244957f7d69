"""The connectors' benchmark (bench/connectors.py) measured at a tiny scale against the
suite's PostgreSQL: its figures are there and its rows counted. No timing is asserted."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import asyncpg

from bench.connectors import (
    SECTION_BEGIN,
    SECTION_END,
    Figures,
    identities_of,
    measure,
    render,
    write_docs,
)
from connectors.demo.organisation import HANAKO_EMAIL, TABLES
from domain.datamap import Identity

CUSTOMERS, REQUESTS = 300, 20


def _positive(value: float) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_a_subject_is_known_by_account_and_email() -> None:
    assert identities_of(7) == {
        Identity.SUBJECT_ID: ["user-7"],
        Identity.EMAIL: ["customer7@example.com"],
    }
    assert identities_of(42)[Identity.EMAIL] == [HANAKO_EMAIL]


async def test_the_bench_measures_and_counts_at_a_tiny_scale(
    postgres_server: str, tmp_path: Path
) -> None:
    database = f"bench_conn_{uuid.uuid4().hex[:8]}"
    figures = await measure(
        postgres_server,
        tmp_path,
        customers=CUSTOMERS,
        requests=REQUESTS,
        in_flight=4,
        database=database,
        seed=7,
    )

    assert isinstance(figures, Figures)
    assert len(figures.collect_ms) == len(figures.erase_ms) == REQUESTS
    assert all(_positive(ms) for ms in [*figures.collect_ms, *figures.erase_ms])
    for value in (
        figures.collect_p50_ms,
        figures.collect_p99_ms,
        figures.erase_p50_ms,
        figures.erase_p99_ms,
        figures.build_s,
    ):
        assert _positive(value)
    assert figures.collect_p50_ms <= figures.collect_p99_ms
    assert figures.erase_p50_ms <= figures.erase_p99_ms

    # Every table of both systems counted, each customer once.
    assert set(TABLES) <= set(figures.rows)
    assert {"support_desk.tickets", "support_desk.chat_transcripts"} <= set(figures.rows)
    assert figures.rows["customers"] == CUSTOMERS
    assert all(n > 0 for n in figures.rows.values())
    assert figures.total_rows == sum(figures.rows.values()) > CUSTOMERS
    assert set(figures.systems) == {"customer-db", "support-desk"}
    # Each subject has a customer row at least, and an erasure changes it (its name masked).
    assert figures.rows_collected >= REQUESTS
    assert figures.rows_changed >= REQUESTS
    assert figures.refused_fields > 0  # the account id and customer number are kept

    keys = figures.keys()
    assert keys["connectors_rows"] == figures.total_rows
    for key in ("connectors_collect_p99_ms", "connectors_erase_p99_ms", "connectors_rows"):
        assert keys[key] > 0  # type: ignore[operator]

    # The bench database and its connector role are gone.
    admin = await asyncpg.connect(postgres_server)
    try:
        assert not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        assert not await admin.fetchval(
            "SELECT 1 FROM pg_roles WHERE rolname = $1", database + "_dsr"
        )
    finally:
        await admin.close()


def test_the_section_is_replaced_and_other_keys_kept(tmp_path: Path) -> None:
    figures = Figures(
        customers=1000,
        requests=10,
        in_flight=2,
        systems={"customer-db": "postgres", "support-desk": "http"},
        rows={"customers": 1000, "support_desk.tickets": 300},
        build_s=1.5,
        collect_ms=[float(v) for v in range(1, 11)],
        erase_ms=[float(v) for v in range(11, 21)],
        rows_collected=100,
        rows_changed=90,
        refused_fields=20,
    )
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nkept text\n", encoding="utf-8")
    out.with_suffix(".json").write_text('{"fanout_subjects": 5}\n', encoding="utf-8")
    for _ in range(2):
        write_docs(out, render(figures, "2026-01-01"), figures)
    text = out.read_text(encoding="utf-8")
    assert text.count(SECTION_BEGIN) == text.count(SECTION_END) == 1
    assert "kept text" in text and "**pass**" in text
    data = out.with_suffix(".json").read_text(encoding="utf-8")
    assert '"fanout_subjects": 5' in data
    assert '"connectors_rows": 1300' in data and '"connectors_collect_p99_ms": 10.0' in data
