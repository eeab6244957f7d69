"""The tamper-evident chain: an intact chain verifies, and any change, removal or reordering
is found at the row where the chain first breaks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.chain import (
    GENESIS_HASH,
    ChainVerdict,
    canonical_encoding,
    canonical_timestamp,
    link_hash,
    verify_chain,
)
from domain.requests import workflow_id_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REQUEST = "req-1"


def build_chain(events: list[Mapping[str, Any]], request_id: str = REQUEST) -> list[dict]:
    """Rows as the store would hold them, linked from the genesis hash."""
    rows: list[dict] = []
    prev = GENESIS_HASH
    for seq, event in enumerate(events, start=1):
        row = {
            "request_id": request_id,
            "seq": seq,
            "type": event.get("type", "request.received"),
            "payload": dict(event.get("payload", {})),
            "occurred_at": event.get("occurred_at", T0 + timedelta(minutes=seq)),
            "actor": event.get("actor", "workflow"),
            "idempotency_key": event.get("idempotency_key", f"{workflow_id_for(request_id)}:{seq}"),
        }
        encoding = canonical_encoding(**row)
        row["prev_hash"] = prev
        row["hash"] = link_hash(prev, encoding)
        prev = row["hash"]
        rows.append(row)
    return rows


def sample_chain(length: int = 5) -> list[dict]:
    return build_chain(
        [
            {"type": "deadline.started", "payload": {"step": "answer", "due_at": f"d{seq}"}}
            for seq in range(1, length + 1)
        ]
    )


def test_genesis_hash_is_64_zeros() -> None:
    assert GENESIS_HASH == "0" * 64


def test_encoding_is_canonical_sorted_compact_json() -> None:
    encoding = canonical_encoding(
        request_id="r",
        seq=1,
        type="t",
        payload={"b": 1, "a": "日本"},
        occurred_at=T0,
        actor="a",
        idempotency_key="k",
    )
    document = json.loads(encoding)
    assert list(document) == sorted(document)
    assert document["occurred_at"] == "2026-11-02T09:00:00.000000+00:00"
    assert b" " not in encoding
    assert "日本".encode() in encoding
    assert encoding == json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def test_encoding_ignores_payload_key_order() -> None:
    fields = {
        "request_id": "r",
        "seq": 1,
        "type": "t",
        "occurred_at": T0,
        "actor": "a",
        "idempotency_key": "k",
    }
    assert canonical_encoding(payload={"a": 1, "b": 2}, **fields) == canonical_encoding(
        payload={"b": 2, "a": 1}, **fields
    )


def test_the_same_instant_in_any_zone_encodes_the_same() -> None:
    tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    assert canonical_timestamp(tokyo) == canonical_timestamp(T0)
    assert canonical_timestamp(T0 + timedelta(microseconds=1)) != canonical_timestamp(T0)


def test_link_hash_is_sha256_of_prev_and_encoding() -> None:
    assert link_hash(GENESIS_HASH, b"{}") == hashlib.sha256(b"0" * 64 + b"{}").hexdigest()
    assert link_hash(GENESIS_HASH, b"{}") != link_hash("1" * 64, b"{}")


def test_empty_chain_is_intact() -> None:
    assert verify_chain(REQUEST, []) == ChainVerdict(REQUEST, 0)
    assert verify_chain(REQUEST, []).intact


def test_intact_chain_verifies() -> None:
    verdict = verify_chain(REQUEST, sample_chain(5))
    assert verdict.intact
    assert verdict.events == 5
    assert verdict.first_broken_seq is None
    assert verdict.problem is None


def test_intact_chain_verifies_from_any_iterable() -> None:
    assert verify_chain(REQUEST, iter(sample_chain(3))).intact


def test_first_row_must_link_to_genesis() -> None:
    rows = sample_chain(3)
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, 3))


def test_modified_payload_is_found_at_its_row() -> None:
    rows = sample_chain(5)
    rows[2]["payload"] = {**rows[2]["payload"], "step": "notify"}
    verdict = verify_chain(REQUEST, rows)
    assert not verdict.intact
    assert verdict.first_broken_seq == 3
    assert verdict.problem == "hash does not match the event's content"
    assert verdict.events == 3


def test_modified_occurred_at_is_found_at_its_row() -> None:
    rows = sample_chain(5)
    rows[3]["occurred_at"] = rows[3]["occurred_at"] - timedelta(hours=1)
    verdict = verify_chain(REQUEST, rows)
    assert verdict.first_broken_seq == 4
    assert verdict.problem == "hash does not match the event's content"


def test_occurred_at_read_back_in_another_zone_still_verifies() -> None:
    rows = sample_chain(3)
    for row in rows:
        row["occurred_at"] = row["occurred_at"].astimezone(timezone(timedelta(hours=-5)))
    assert verify_chain(REQUEST, rows).intact


def test_removed_middle_row_is_a_seq_gap() -> None:
    rows = sample_chain(5)
    del rows[2]
    verdict = verify_chain(REQUEST, rows)
    assert not verdict.intact
    assert verdict.first_broken_seq == 4
    assert verdict.problem == "expected seq 3, found 4"


def test_removed_first_row_is_found() -> None:
    verdict = verify_chain(REQUEST, sample_chain(3)[1:])
    assert verdict.problem == "expected seq 1, found 2"


def test_swapped_rows_are_found() -> None:
    rows = sample_chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    verdict = verify_chain(REQUEST, rows)
    assert verdict.first_broken_seq == 3
    assert verdict.problem == "expected seq 2, found 3"


def test_renumbered_swap_is_found_by_the_links() -> None:
    # Swapping two rows and renumbering them hides the gap but not the broken links.
    rows = sample_chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    rows[1]["seq"], rows[2]["seq"] = 2, 3
    verdict = verify_chain(REQUEST, rows)
    assert verdict.first_broken_seq == 2
    assert verdict.problem == "prev_hash does not match the event before"


def test_wrong_prev_hash_is_found() -> None:
    rows = sample_chain(4)
    rows[1]["prev_hash"] = GENESIS_HASH
    verdict = verify_chain(REQUEST, rows)
    assert verdict.first_broken_seq == 2
    assert verdict.problem == "prev_hash does not match the event before"


def test_rehashed_row_breaks_the_next_link() -> None:
    # Editing a row and recomputing its own hash still breaks the row after it.
    rows = sample_chain(4)
    rows[1]["actor"] = "intruder"
    rows[1]["hash"] = link_hash(
        rows[1]["prev_hash"],
        canonical_encoding(
            **{
                key: rows[1][key]
                for key in (
                    "request_id",
                    "seq",
                    "type",
                    "payload",
                    "occurred_at",
                    "actor",
                    "idempotency_key",
                )
            }
        ),
    )
    verdict = verify_chain(REQUEST, rows)
    assert verdict.first_broken_seq == 3
    assert verdict.problem == "prev_hash does not match the event before"


def test_appended_forged_row_with_genesis_link_is_found() -> None:
    rows = sample_chain(3)
    forged = build_chain([{}] * 4)[3]
    forged["prev_hash"] = GENESIS_HASH
    verdict = verify_chain(REQUEST, [*rows, forged])
    assert verdict.first_broken_seq == 4


def _tampered(field: str, value: Any) -> Any:
    if field == "occurred_at":
        return value + timedelta(microseconds=1)
    if field == "payload":
        return {**value, "tampered": True}
    if field in ("prev_hash", "hash"):
        return hashlib.sha256(value.encode()).hexdigest()
    return value + "x"


_payloads = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    max_size=4,
)
_events = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["request.received", "deadline.started", "request.closed"]),
            "payload": _payloads,
            "occurred_at": st.datetimes(
                min_value=datetime(2020, 1, 1),
                max_value=datetime(2040, 1, 1),
                timezones=st.just(UTC),
            ),
            "actor": st.text(max_size=10),
            "idempotency_key": st.text(max_size=20),
        }
    ),
    min_size=1,
    max_size=8,
)
_FIELDS = [
    "request_id",
    "type",
    "payload",
    "occurred_at",
    "actor",
    "idempotency_key",
    "prev_hash",
    "hash",
]


@given(events=_events, data=st.data())
def test_any_single_field_tamper_is_found_at_exactly_that_seq(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    rows = build_chain(events)
    assert verify_chain(REQUEST, rows) == ChainVerdict(REQUEST, len(rows))
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1), label="index")
    field = data.draw(st.sampled_from(_FIELDS), label="field")
    rows[index][field] = _tampered(field, rows[index][field])
    verdict = verify_chain(REQUEST, rows)
    assert not verdict.intact
    assert verdict.first_broken_seq == index + 1
    assert verdict.events == index + 1


@given(events=_events, data=st.data())
def test_any_removed_or_repeated_row_is_found(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    rows = build_chain(events)
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1), label="index")
    if data.draw(st.booleans(), label="repeat"):
        rows.insert(index, dict(rows[index]))
    elif len(rows) > 1 and index < len(rows) - 1:
        del rows[index]
    else:
        return  # dropping the last row leaves a shorter but consistent chain
    assert not verify_chain(REQUEST, rows).intact


def test_dropping_the_last_row_is_not_detectable_by_the_chain_alone() -> None:
    # Truncation leaves a valid prefix; the count of events is what shows it.
    verdict = verify_chain(REQUEST, sample_chain(5)[:-1])
    assert verdict.intact
    assert verdict.events == 4


@pytest.mark.parametrize("seq", [0, 2, 7, -1])
def test_wrong_first_seq_is_reported(seq: int) -> None:
    rows = sample_chain(2)
    rows[0]["seq"] = seq
    verdict = verify_chain(REQUEST, rows)
    assert verdict.problem == f"expected seq 1, found {seq}"
