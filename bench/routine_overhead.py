"""Per-batch cost of trainer.train() against hand-written PyTorch loops, in one process.

    python bench/routine_overhead.py [--reps 5] [--workload W1|W2|all]

Prints, per workload: (a) a hand-written loop over a DataLoader, (b) a hand-written loop over
pre-shuffled tensor slices (the floor), (c) trainer.train() on tensor data, (d)
trainer.train() on the same DataLoader as (a), (e) FederatedScope's GeneralTorchTrainer
(trainer_core.fs: its eleven default hooks, ys_true/ys_prob kept per batch, the monitor) on
tensor data; medians over --reps interleaved repetitions, with ratios c/b, d/a and e/b, and
checks that each pair computes identical losses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads import (
    W1,
    W2,
    Workload,
    fresh,
    loop_dataloader,
    loop_tensors,
    make_loader,
    timed,
    trainer_config,
    us_per_batch,
)

from trainer_core.fs import GeneralTorchTrainer
from trainer_core.trainers.torch_trainer import TorchTrainer


def trainer_run(w: Workload, model, split) -> float:
    trainer = TorchTrainer(model, {"train": split}, config=trainer_config(w))
    _, _, metrics = trainer.train()
    return metrics["train_loss"]


def fs_trainer_run(w: Workload, model, split) -> float:
    config = {**trainer_config(w), "criterion.type": "CrossEntropyLoss",
              "eval.metrics": ["acc"]}
    trainer = GeneralTorchTrainer(model, {"train": split}, "cpu", config)
    _, _, metrics = trainer.train()
    return metrics["train_loss"]


def measure(w: Workload, reps: int) -> dict[str, float]:
    x, y = w.data()
    base = w.model()
    runs = {
        "a": lambda: loop_dataloader(w, fresh(base), x, y),
        "b": lambda: loop_tensors(w, fresh(base), x, y),
        "c": lambda: trainer_run(w, fresh(base), {"x": x, "y": y}),
        "d": lambda: trainer_run(w, fresh(base), make_loader(w, x, y)),
        "e": lambda: fs_trainer_run(w, fresh(base), {"x": x, "y": y}),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    losses: dict[str, float] = {}
    for fn in runs.values():  # warm-up
        fn()
    for _ in range(reps):
        for key, fn in runs.items():
            seconds, loss = timed(fn)
            times[key].append(seconds)
            losses[key] = loss
    same_tensors = abs(losses["b"] - losses["c"]) <= 1e-6 * abs(losses["b"])
    same_loader = abs(losses["a"] - losses["d"]) <= 1e-6 * abs(losses["a"])
    same_fs = abs(losses["b"] - losses["e"]) <= 1e-6 * abs(losses["b"])
    stats = {k: us_per_batch(v, w) for k, v in times.items()}
    print(f"\n{w.name}: MLP {'-'.join(map(str, w.sizes))}, {w.samples} samples, batch "
          f"{w.batch_size}, {w.epochs} epochs = {w.batches} batches; {reps} interleaved reps")
    labels = {"a": "(a) hand loop, DataLoader", "b": "(b) hand loop, tensor slices",
              "c": "(c) trainer.train(), tensors", "d": "(d) trainer.train(), DataLoader",
              "e": "(e) fs.GeneralTorchTrainer, tensors"}
    print(f"  {'':34s} {'min':>8s} {'median':>8s}  us/batch")
    for key, label in labels.items():
        print(f"  {label:34s} {stats[key][0]:8.1f} {stats[key][1]:8.1f}")

    def ratio(x: str, y: str) -> str:
        return f"min {stats[x][0] / stats[y][0]:.3f}, median {stats[x][1] / stats[y][1]:.3f}"

    print(f"  c/b: {ratio('c', 'b')}  (target <= 1.05)  identical losses: {same_tensors}")
    print(f"  d/a: {ratio('d', 'a')}  (target <= 1.03)  identical losses: {same_loader}")
    print(f"  c/a: {ratio('c', 'a')}  (trainer on tensors vs the usual DataLoader loop)")
    print(f"  e/b: {ratio('e', 'b')}  (FederatedScope's classes)  identical losses: {same_fs}")
    return {"stats": stats, "same_tensors": same_tensors, "same_loader": same_loader}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workload", choices=["W1", "W2", "all"], default="all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for w in (W1, W2):
        if args.workload in (w.name, "all"):
            measure(w, args.reps)


if __name__ == "__main__":
    main()
