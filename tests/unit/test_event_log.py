"""The global log's verification, the checkpoint statement and its signature, and the
witness folder: pure rules and files, no database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.signing import (
    KeyProblem,
    key_id,
    load_private_key,
    load_public_key,
    public_key_file_for,
    public_pem,
    signature_valid,
)
from audit.signing import sign as sign_checkpoint
from audit.witness import DirectoryWitness
from domain.event_log import (
    LOG_GENESIS,
    Checkpoint,
    LogRow,
    RequestMark,
    log_link,
    mark_problem,
    verify_log,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def _log(n: int) -> list[LogRow]:
    rows, head = [], LOG_GENESIS
    for position in range(1, n + 1):
        event_hash = f"{position:064x}"
        head = log_link(head, event_hash)
        rows.append(LogRow(position, f"r-{position % 3}", position, event_hash, head, event_hash))
    return rows


def _checkpoint(rows: list[LogRow], size: int, reason: str = "interval") -> Checkpoint:
    head = rows[size - 1].log_hash if size else LOG_GENESIS
    return Checkpoint(
        log_size=size,
        log_head=head,
        signed_at=T0 + timedelta(minutes=size),
        key_id=key_id(KEY.public_key()),
        reason=reason,
    )  # type: ignore[arg-type]


def test_a_whole_log_agrees_with_every_checkpoint() -> None:
    rows = _log(10)
    verdict = verify_log(rows, [_checkpoint(rows, n) for n in (0, 3, 10)])
    assert verdict.intact and verdict.size == 10 and verdict.checkpoints_matched == 3


def test_the_first_divergence_is_named_and_later_rows_are_not_blamed() -> None:
    rows = _log(6)
    rows[2] = LogRow(**{**rows[2].__dict__, "event_hash_now": "f" * 64})
    rows[4] = LogRow(**{**rows[4].__dict__, "event_hash_now": None})
    verdict = verify_log(rows, [])
    assert verdict.problems == (
        "log position 3 (r-0#3): the event was changed after it was logged",
    )


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda rows: rows.pop(3), "log position 4 is missing (the next is 5)"),
        (
            lambda rows: rows.__setitem__(
                1, LogRow(**{**rows[1].__dict__, "event_hash_now": None})
            ),
            "log position 2 (r-2#2): the event is gone from the store (request_events, "
            "register_events)",
        ),
        (
            lambda rows: rows.__setitem__(1, LogRow(**{**rows[1].__dict__, "log_hash": "0" * 64})),
            "log position 2 (r-2#2): the head does not follow from the entry before",
        ),
    ],
)
def test_damage_to_the_log_itself(damage: object, problem: str) -> None:
    rows = _log(5)
    damage(rows)  # type: ignore[operator]
    assert problem in verify_log(rows, []).problems[0]


def test_a_rebuilt_log_disagrees_with_the_signed_heads_and_a_short_one_is_truncated() -> None:
    rows = _log(8)
    signed = [_checkpoint(rows, 4, "close"), _checkpoint(rows, 8)]
    rebuilt, head = [], LOG_GENESIS
    for row in rows[:6]:
        forged = "e" * 64 if row.position == 2 else row.event_hash
        head = log_link(head, forged)
        rebuilt.append(LogRow(row.position, row.request_id, row.seq, forged, head, forged))
    verdict = verify_log(rebuilt, signed)
    assert len(verdict.problems) == 2
    assert "(close, 4 entries) signed head" in verdict.problems[0]
    assert verdict.problems[1].startswith("the log is truncated: the checkpoint of")
    assert verdict.problems[1].endswith("covers 8 entries, the log has 6")


def test_events_outside_the_log_are_named() -> None:
    verdict = verify_log(_log(2), [], unlogged_events=[("r-9", 4), ("r-9", 5)])
    assert verdict.problems == ("event r-9#4 is not in the log (added behind the log's back)",)


def test_a_closed_request_mark_is_held_against_its_chain() -> None:
    mark = RequestMark(request_id="r-1", seq=5, hash="a" * 64)
    assert mark_problem(mark, {5: "a" * 64}, "checkpoint") is None
    assert "differs from the one the checkpoint signed" in mark_problem(
        mark, {5: "b" * 64}, "checkpoint"
    )
    assert "the store has no such event" in mark_problem(mark, {}, "checkpoint")


def test_the_statement_is_canonical_and_any_change_breaks_the_signature() -> None:
    rows = _log(3)
    checkpoint = _checkpoint(rows, 3).model_copy(
        update={"closed_request": RequestMark(request_id="r-1", seq=2, hash="c" * 64)}
    )
    same = Checkpoint.model_validate_json(checkpoint.model_dump_json())
    assert same.statement() == checkpoint.statement()
    assert b'"format":"dsr-log-checkpoint/v1"' in checkpoint.statement()
    signed = sign_checkpoint(KEY, checkpoint)
    assert signature_valid(KEY.public_key(), signed)
    for change in (
        {"log_size": 2},
        {"log_head": "d" * 64},
        {"reason": "close"},
        {"signed_at": T0},
        {"closed_request": None},
    ):
        forged = signed.model_copy(update={"checkpoint": checkpoint.model_copy(update=change)})
        assert not signature_valid(KEY.public_key(), forged), change
    other = Ed25519PrivateKey.generate()
    assert not signature_valid(other.public_key(), signed)
    assert not signature_valid(
        KEY.public_key(), signed.model_copy(update={"signature": "not base64!"})
    )


def test_the_key_file_is_created_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "checkpoint.pem"
    with pytest.raises(KeyProblem, match="no checkpoint key there"):
        load_private_key(path, create=False)
    key = load_private_key(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    again = load_private_key(path, create=True)
    assert key_id(again.public_key()) == key_id(key.public_key())
    pinned = tmp_path / "pinned.pem"
    pinned.write_bytes(public_pem(key.public_key()))
    assert key_id(load_public_key(pinned)) == key_id(key.public_key())
    # Its public half beside it is what verification reads; the private file is refused
    # (N6: verification never reads the signing key).
    assert key_id(load_public_key(public_key_file_for(path))) == key_id(key.public_key())
    with pytest.raises(KeyProblem, match="holds a private key"):
        load_public_key(path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(KeyProblem, match=r"garbage\.pem"):
        load_private_key(garbage, create=False)
    with pytest.raises(KeyProblem, match=r"garbage\.pem"):
        load_public_key(garbage)


def test_the_witness_keeps_each_checkpoint_once_read_only(tmp_path: Path) -> None:
    witness = DirectoryWitness(tmp_path / "witness")
    rows = _log(4)
    first = sign_checkpoint(KEY, _checkpoint(rows, 2))
    second = sign_checkpoint(KEY, _checkpoint(rows, 4))
    path = witness.write(first)
    assert witness.write(first) == path  # a retried write keeps the one file
    witness.write(second)
    (witness.folder / "torn.json").write_text("{")
    reading = witness.read()
    assert [s for _, s in reading.checkpoints] == [first, second]
    assert path.stat().st_mode & 0o777 == 0o444
    assert [p.name for p, _ in reading.unreadable] == ["torn.json"]
    assert base64.b64decode(first.signature)
    assert DirectoryWitness(tmp_path / "none").read().checkpoints == []
