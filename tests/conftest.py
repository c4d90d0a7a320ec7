"""Shared fixtures: tiny deterministic data and trainers that build in milliseconds."""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


def blobs(n: int = 40, features: int = 4, classes: int = 3, seed: int = 0
          ) -> dict[str, torch.Tensor]:
    """Separable Gaussian blobs as {'x', 'y'}."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    centers = torch.randn(classes, features, generator=gen) * 4
    x = centers[y] + torch.randn(n, features, generator=gen)
    return {"x": x, "y": y}


def tiny_model(features: int = 4, classes: int = 3, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(features, 8), torch.nn.ReLU(),
                               torch.nn.Linear(8, classes))


def tiny_config(**overrides):
    config = {"train.local_update_steps": 2, "train.batch_or_epoch": "epoch",
              "train.optimizer": {"type": "SGD", "lr": 0.1}, "dataloader.batch_size": 8}
    config.update(overrides)
    return config


@pytest.fixture
def make_trainer():
    """make_trainer(n_train=40, n_test=20, **config overrides) -> TorchTrainer."""
    from trainer_core.trainers.torch_trainer import TorchTrainer

    def build(n_train: int = 40, n_test: int = 20, *, data=None, model=None, **overrides):
        if data is None:
            data = {"train": blobs(n_train, seed=1)}
            if n_test:
                data["test"] = blobs(n_test, seed=2)
        return TorchTrainer(model or tiny_model(), data, config=tiny_config(**overrides))

    return build
