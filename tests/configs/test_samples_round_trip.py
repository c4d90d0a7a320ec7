"""Every sample config: builds, exports its pipeline, and loads it back to identical sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer_core.config.experiment import load_experiment
from trainer_core.config.pipeline import export_pipeline, load_pipeline

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_configs").glob("*.yaml"))


def test_samples_exist_and_have_a_comment_header():
    assert len(SAMPLES) >= 10
    for path in SAMPLES:
        first = path.read_text().splitlines()[0]
        assert first.startswith(f"# {path.name} — "), path.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_export_then_load_gives_identical_hook_sets(path, tmp_path):
    experiment = load_experiment(path, {"train.local_update_steps": 1})
    out = export_pipeline(experiment.trainer, tmp_path / "pipeline.yaml",
                          registry=experiment.registry, base_dir=experiment.base_dir)
    fresh = load_experiment(path, {"train.local_update_steps": 1, "hooks": None, "packs": None})
    load_pipeline(fresh.trainer, out, registry=fresh.registry, base_dir=experiment.base_dir)
    mine = [(label, hs.snapshot()) for label, _, hs in
            ((r.label, r.model_idx, r.hookset) for r in experiment.trainer.hook_sets())]
    theirs = [(label, hs.snapshot()) for label, _, hs in
              ((r.label, r.model_idx, r.hookset) for r in fresh.trainer.hook_sets())]
    assert mine == theirs
