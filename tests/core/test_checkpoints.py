"""Model files load all-or-nothing: a damaged or unfitting file is a CheckpointError naming
the file, and the model keeps its weights; an interrupted save leaves the old file and no
temp file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import torch

from tests.conftest import tiny_model
from trainer_core.errors import CheckpointError
from trainer_core.trainers.checkpoint import (
    FORMAT,
    VERSION,
    read_checkpoint,
    save_checkpoint,
    state_checksum,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def saved(tmp_path, make_trainer):
    """(path, the state saved there) for a trained tiny trainer's model."""
    trainer = make_trainer(16, 0)
    trainer.train()
    return trainer.save_model(tmp_path / "model.pt", cur_round=3), trainer.get_model_para()


@pytest.fixture
def fresh(make_trainer):
    """A trainer with other weights, and a check that they never changed."""
    trainer = make_trainer(16, 0, model=tiny_model(seed=9))
    before = trainer.get_model_para()

    def unchanged() -> bool:
        now = trainer.ctx.model.state_dict()
        return all(torch.equal(now[k], v) for k, v in before.items())
    trainer.unchanged = unchanged
    trainer.restore = lambda: trainer.ctx.model.load_state_dict(before)
    return trainer


def same_state(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_saved_file_round_trips_with_its_checksum(saved, fresh):
    path, state = saved
    checkpoint = read_checkpoint(path)
    assert checkpoint.verified and checkpoint.cur_round == 3
    assert fresh.load_model(path) == 3
    assert same_state(fresh.ctx.model.state_dict(), state)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused(saved, fresh, fraction):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])
    with pytest.raises(CheckpointError, match=str(path)):
        fresh.load_model(path)
    assert fresh.unchanged()


def tensor_data_offsets(path: Path) -> list[int]:
    """File offsets of the first byte of every tensor's data record (stored uncompressed)."""
    offsets = []
    with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        for info in archive.infolist():
            if "/data/" in info.filename and info.file_size:
                raw.seek(info.header_offset + 26)
                name_len, extra_len = (int.from_bytes(raw.read(2), "little") for _ in "ab")
                offsets.append(info.header_offset + 30 + name_len + extra_len)
    return offsets


def test_a_flipped_bit_inside_any_tensor_is_caught(saved, fresh):
    """torch's container does not check these bytes; the checksum does."""
    path, _ = saved
    original = path.read_bytes()
    offsets = tensor_data_offsets(path)
    assert len(offsets) == 4  # two weights, two biases
    for offset in offsets:
        damaged = bytearray(original)
        damaged[offset + 1] ^= 0x10
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="do not match the checksum"):
            fresh.load_model(path)
        assert fresh.unchanged()


def test_a_flipped_byte_anywhere_fails_cleanly_or_changes_nothing(saved, fresh):
    """Flip every 5th byte in turn: each load either raises CheckpointError with the model
    unchanged, or gives exactly the saved weights (a byte nobody reads)."""
    path, state = saved
    original = path.read_bytes()
    refused = 0
    for offset in range(0, len(original), 5):
        damaged = bytearray(original)
        damaged[offset] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            fresh.load_model(path)
        except CheckpointError:
            refused += 1
            assert fresh.unchanged(), offset
        else:
            assert same_state(fresh.ctx.model.state_dict(), state), offset
            fresh.restore()
    assert refused > len(original) // 10  # most bytes matter


def write_payload(path: Path, payload) -> Path:
    torch.save(payload, path)
    return path


def good_payload(state):
    return {"format": FORMAT, "version": VERSION, "cur_round": 1, "model": state,
            "checksum": state_checksum([state])}


@pytest.mark.parametrize(("damage", "match"), [
    (lambda p: [p["model"]], "holds a list, not a model file's mapping"),
    (lambda p: {**p, "model": [1, 2]}, "'model' is a list, not a state dict"),
    (lambda p: {**p, "model": {**p["model"], "0.weight": 3.0}},
     "'model' entry '0.weight' is a float, not a tensor"),
    (lambda p: {**p, "model": {**p["model"], 7: torch.ones(1)}},
     "has a key 7 that is not a string"),
    (lambda p: {**p, "models": "all of them"}, "'models' is not a list of state dicts"),
    (lambda p: {**p, "cur_round": "three"}, "cur_round is 'three', not an integer"),
    (lambda p: {**p, "format": "other-tool"}, "format 'other-tool' is not"),
    (lambda p: {**p, "version": 99}, "version 99: this hookscope reads version 1"),
    (lambda p: {k: v for k, v in p.items() if k != "checksum"}, "the checksum is missing"),
    (lambda p: {k: v for k, v in p.items() if k != "model"}, "holds no 'model' state dict"),
])
def test_a_wrong_container_is_refused_before_the_model_is_touched(tmp_path, saved, fresh,
                                                                  damage, match):
    _, state = saved
    path = write_payload(tmp_path / "bad.pt", damage(good_payload(state)))
    with pytest.raises(CheckpointError, match=match):
        fresh.load_model(path)
    assert fresh.unchanged()


def test_wrong_shapes_and_dtypes_name_each_key(tmp_path, saved, fresh):
    _, state = saved
    bad = {**state, "0.bias": torch.ones(5), "2.weight": state["2.weight"].double()}
    path = save_checkpoint(tmp_path / "bad.pt", [bad])
    with pytest.raises(CheckpointError) as info:
        fresh.load_model(path)
    assert "'0.bias' has shape [5], the model has [8]" in str(info.value)
    assert "'2.weight' is float64, the model's is float32" in str(info.value)
    assert fresh.unchanged()


def test_a_federatedscope_file_without_checksum_loads(tmp_path, saved, fresh):
    _, state = saved
    path = write_payload(tmp_path / "fs.pt", {"cur_round": 4, "model": state})
    assert read_checkpoint(path).verified is False
    assert fresh.load_model(path) == 4 and same_state(fresh.ctx.model.state_dict(), state)


def test_multi_model_files_load_every_model_or_none(tmp_path, make_trainer):
    from trainer_core.trainers.multi_model import MultiModelTrainer

    def build(seed):
        return MultiModelTrainer(2, "sequential", model=tiny_model(seed=seed),
                                 data=make_trainer(16, 0).ctx.data)
    source, target = build(1), build(2)
    source.ctx.models[1].load_state_dict(tiny_model(seed=5).state_dict())
    path = source.save_model(tmp_path / "multi.pt", cur_round=2)
    before = [m.state_dict()["0.weight"].clone() for m in target.ctx.models]
    states = [m.state_dict() for m in source.ctx.models]
    broken = save_checkpoint(tmp_path / "broken.pt",
                             [states[0], {**states[1], "0.weight": torch.ones(2, 2)}])
    with pytest.raises(CheckpointError, match="for model 1 do not fit"):
        target.load_model(broken)
    assert all(torch.equal(m.state_dict()["0.weight"], b)
               for m, b in zip(target.ctx.models, before, strict=True))  # model 0 too
    assert target.load_model(path) == 2
    assert all(same_state(m.state_dict(), s)
               for m, s in zip(target.ctx.models, states, strict=True))


def test_write_failures_are_checkpoint_errors(tmp_path, saved):
    _, state = saved
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(CheckpointError, match="cannot write model file"):
        save_checkpoint(tmp_path / "a_file" / "model.pt", [state])
    with pytest.raises(CheckpointError, match="cannot write model file"):
        save_checkpoint(tmp_path / "m.pt", [{"w": object()}])
    assert temp_files(tmp_path) == [] and not (tmp_path / "m.pt").exists()


SLOW_SAVE = textwrap.dedent("""
    import sys, time, torch
    from trainer_core.trainers import checkpoint

    def slow_save(obj, handle):  # half a file, then wait to be killed
        handle.write(b"PK partial")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)

    torch.save = slow_save
    checkpoint.save_checkpoint(sys.argv[1], [{"w": torch.ones(3)}])
""")


def interrupted_save(path: Path, sig: int) -> int:
    """Start a save in a child process, signal it mid-write; its return code."""
    child = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(sig)
        return child.wait(timeout=30)
    finally:
        child.kill()
        child.wait()


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_sigterm_mid_save_keeps_the_old_file_and_removes_the_temp(saved, fresh):
    path, state = saved
    old = path.read_bytes()
    assert interrupted_save(path, signal.SIGTERM) == -signal.SIGTERM  # still ends by it
    assert path.read_bytes() == old and temp_files(path.parent) == []
    fresh.load_model(path)
    assert same_state(fresh.ctx.model.state_dict(), state)


def test_a_temp_file_left_by_sigkill_goes_with_the_next_save(saved, make_trainer):
    path, _ = saved
    old = path.read_bytes()
    assert interrupted_save(path, signal.SIGKILL) == -signal.SIGKILL
    assert path.read_bytes() == old
    left = temp_files(path.parent)
    assert len(left) == 1  # SIGKILL cannot be caught
    make_trainer(16, 0).save_model(path)
    assert temp_files(path.parent) == []
    read_checkpoint(path)


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    target = tmp_path / "m.pt"
    mine = tmp_path / f".m.pt.{os.getpid()}.abc.tmp"
    mine.write_bytes(b"in progress")
    save_checkpoint(target, [{"w": torch.ones(2)}])
    assert mine.exists()
