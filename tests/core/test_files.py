"""Files hookscope writes (pipelines, checkpoints, reports) get the permissions a user expects."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from trainer_core.files import atomic_write_text


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_readable_by_others_under_the_usual_umask(tmp_path, usual_umask):
    written = atomic_write_text(tmp_path / "pipeline.yaml", "hooks: {}\n")
    assert mode_of(written) == 0o644  # not the 0600 of the temp file it was renamed from


def test_a_stricter_umask_is_honoured(tmp_path):
    previous = os.umask(0o077)
    try:
        written = atomic_write_text(tmp_path / "secret.yaml", "x: 1\n")
    finally:
        os.umask(previous)
    assert mode_of(written) == 0o600


def test_overwriting_keeps_the_permissions_the_file_had(tmp_path, usual_umask):
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o750)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and mode_of(target) == 0o750


def test_a_checkpoint_and_an_exported_pipeline_get_normal_permissions(tmp_path, usual_umask,
                                                                    make_trainer):
    from app.session import DebugSession

    session = DebugSession(make_trainer())
    pipeline = session.export_pipeline(tmp_path / "pipeline.yaml")
    session.trainer.save_model(tmp_path / "model.pt")
    assert mode_of(pipeline) == 0o644 and mode_of(tmp_path / "model.pt") == 0o644
