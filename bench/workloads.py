"""Shared workloads and hand-written PyTorch loops for the benchmarks in this folder.

W1 is overhead-dominated (tiny MLP, batch 32); W2 is compute-dominated (wide MLP, batch 128).
Every loop here does what a careful hand-written loop does per batch: zero_grad, forward,
loss, backward, step, and keeps the loss sum and the correct-prediction count.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, TensorDataset

SEED = 0


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    samples: int
    batch_size: int
    epochs: int

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        gen = torch.Generator().manual_seed(SEED)
        x = torch.randn(self.samples, self.sizes[0], generator=gen)
        y = torch.randint(0, self.sizes[-1], (self.samples,), generator=gen)
        return x, y

    def model(self) -> torch.nn.Module:
        torch.manual_seed(SEED)
        layers: list[torch.nn.Module] = []
        for i, (a, b) in enumerate(zip(self.sizes, self.sizes[1:], strict=False)):
            if i:
                layers.append(torch.nn.ReLU())
            layers.append(torch.nn.Linear(a, b))
        return torch.nn.Sequential(*layers)

    @property
    def batches(self) -> int:
        return -(-self.samples // self.batch_size) * self.epochs


W1 = Workload("W1", (32, 32, 10), 20_000, 32, 3)
W2 = Workload("W2", (256, 512, 512, 10), 20_000, 128, 3)

OPTIMIZER = {"type": "SGD", "lr": 0.05, "momentum": 0.9}


def trainer_config(w: Workload) -> dict:
    return {"seed": SEED, "train.local_update_steps": w.epochs,
            "train.batch_or_epoch": "epoch", "train.optimizer": dict(OPTIMIZER),
            "dataloader.batch_size": w.batch_size, "dataloader.shuffle": True}


def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=OPTIMIZER["lr"],
                           momentum=OPTIMIZER["momentum"])


def make_loader(w: Workload, x: torch.Tensor, y: torch.Tensor) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=w.batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(SEED))


def _step(model, optimizer, criterion, xb, yb) -> tuple[float, int]:
    optimizer.zero_grad()
    out = model(xb)
    loss = criterion(out, yb)
    loss.backward()
    optimizer.step()
    return loss.item() * len(yb), int((out.argmax(1) == yb).sum())


def loop_dataloader(w: Workload, model, x, y) -> float:
    """(a) the usual hand-written loop over a shuffling DataLoader; returns the loss sum."""
    optimizer, criterion, loader = make_optimizer(model), torch.nn.CrossEntropyLoss(), \
        make_loader(w, x, y)
    total = 0.0
    for _ in range(w.epochs):
        for xb, yb in loader:
            total += _step(model, optimizer, criterion, xb, yb)[0]
    return total


def loop_tensors(w: Workload, model, x, y) -> float:
    """(b) the floor: one seeded shuffle per epoch, then batches are slices."""
    optimizer, criterion = make_optimizer(model), torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    total, n, bs = 0.0, len(x), w.batch_size
    for _ in range(w.epochs):
        order = torch.randperm(n, generator=gen)
        xs, ys = x[order], y[order]
        for i in range(0, n, bs):
            total += _step(model, optimizer, criterion, xs[i:i + bs], ys[i:i + bs])[0]
    return total


def timed(fn: Callable[[], float]) -> tuple[float, float]:
    """(seconds, returned loss sum)."""
    start = time.perf_counter()
    loss = fn()
    return time.perf_counter() - start, loss


def us_per_batch(samples: list[float], w: Workload) -> tuple[float, float]:
    """(min, median) microseconds per batch: min is the least noisy estimate of cost."""
    return min(samples) / w.batches * 1e6, statistics.median(samples) / w.batches * 1e6


def fresh(model: torch.nn.Module) -> torch.nn.Module:
    return copy.deepcopy(model)
