"""FederatedScope-style trainers on tiny data: 40 training samples and 20 test samples in
batches of 8 (5 training batches, 3 test batches per epoch)."""

from __future__ import annotations

import pytest

from tests.conftest import blobs, tiny_model


def fs_cfg(**overrides):
    """FederatedScope keys; the criterion and metrics a classifier needs, in epoch mode."""
    config = {"criterion.type": "CrossEntropyLoss", "eval.metrics": ["acc"],
              "dataloader.batch_size": 8, "train.batch_or_epoch": "epoch",
              "train.local_update_steps": 2, "eval.count_flops": False}
    config.update(overrides)
    return config


def fs_data():
    return {"train": blobs(40, seed=1), "test": blobs(20, seed=2)}


@pytest.fixture
def make_fs():
    """make_fs(**config overrides) -> a GeneralTorchTrainer on the tiny data."""
    from trainer_core.fs import GeneralTorchTrainer

    def build(model=None, **overrides):
        return GeneralTorchTrainer(model or tiny_model(), fs_data(), "cpu", fs_cfg(**overrides))

    return build
