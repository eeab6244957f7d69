"""The act keys on disk (runtime/act_keys.py): made at first start, 0600, listed by key id,
rotated with the old public key kept, refused when misplaced."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.authority import ActAuthority, Role, signature_problem
from runtime.act_keys import (
    ActKeyProblem,
    ensure_act_key_pair,
    load_act_public_keys,
    load_act_signer,
    rotate_act_key,
    signing_key_file,
)
from runtime.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _signed(settings: Settings) -> ActAuthority:
    return load_act_signer(settings).sign(
        ActAuthority(
            account="op-1",
            roles=(Role.OPERATOR,),
            act="decide",
            request_id="r-1",
            act_id="act-1",
            argument_digest="0" * 64,
            issued_at=datetime(2026, 12, 6, tzinfo=UTC),
        )
    )


def test_the_embedded_default_makes_a_pair_once_each_file_0600(tmp_path: Path) -> None:
    settings = Settings(DSR_DATA_DIR=str(tmp_path))
    key_id = ensure_act_key_pair(settings)
    assert key_id is not None and len(key_id) == 16
    assert ensure_act_key_pair(settings) is None  # there already
    private = signing_key_file(settings)
    public = tmp_path / "keys" / "act-public" / f"{key_id}.pub"
    assert private == tmp_path / "keys" / "act-signing-ed25519.pem"
    assert _mode(private) == _mode(public) == 0o600
    assert _mode(private.parent) == 0o700
    assert load_act_signer(settings).key_id == key_id
    assert list(load_act_public_keys(settings)) == [key_id]
    assert signature_problem(load_act_public_keys(settings), _signed(settings)) is None


def test_a_rotation_signs_with_the_new_key_and_keeps_the_old_one_listed(tmp_path: Path) -> None:
    settings = Settings(DSR_DATA_DIR=str(tmp_path))
    first = ensure_act_key_pair(settings)
    before = _signed(settings)
    second = rotate_act_key(settings)
    assert second != first and load_act_signer(settings).key_id == second
    keys = load_act_public_keys(settings)
    assert set(keys) == {first, second}
    assert signature_problem(keys, before) is None  # signed before the rotation: still taken
    assert signature_problem(keys, _signed(settings)) is None
    (tmp_path / "keys" / "act-public" / f"{first}.pub").unlink()  # retired
    problem = signature_problem(load_act_public_keys(settings), before)
    assert problem is not None and "does not list" in problem


def test_public_keys_as_a_list_of_files_and_problems_named(tmp_path: Path) -> None:
    made = Settings(DSR_DATA_DIR=str(tmp_path / "made"))
    key_id = ensure_act_key_pair(made)
    public = tmp_path / "made" / "keys" / "act-public" / f"{key_id}.pub"
    listed = Settings(DSR_DATA_DIR=str(tmp_path / "w"), DSR_ACT_PUBLIC_KEYS=str(public))
    assert list(load_act_public_keys(listed)) == [key_id]
    with pytest.raises(ActKeyProblem, match="lists files"):
        rotate_act_key(listed)
    misnamed = tmp_path / "odd"
    misnamed.mkdir()
    (misnamed / "other.pub").write_bytes(public.read_bytes())
    with pytest.raises(ActKeyProblem, match=f"name it {key_id}.pub"):
        load_act_public_keys(Settings(DSR_ACT_PUBLIC_KEYS=str(misnamed)))
    with pytest.raises(ActKeyProblem, match="no act public keys there"):
        load_act_public_keys(Settings(DSR_DATA_DIR=str(tmp_path / "none")))
    with pytest.raises(ActKeyProblem, match="no act signing key there"):
        load_act_signer(Settings(DSR_DATA_DIR=str(tmp_path / "none")))
    not_a_key = tmp_path / "not.pem"
    not_a_key.write_text("hello")
    with pytest.raises(ActKeyProblem, match="not an unencrypted PEM private key"):
        load_act_signer(Settings(DSR_ACT_SIGNING_KEY=str(not_a_key)))
