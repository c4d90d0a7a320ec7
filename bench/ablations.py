"""Where trainer.train()'s per-batch overhead on W1 goes: the trainer with parts taken away.

    python bench/ablations.py [--reps 7]

Each variant is trainer.train() on W1 with tensor data (as (c) in routine_overhead.py) and
one part of the engine removed by patching it for that run only; the hand-written loop over
tensor slices is the floor. The patched variants are measurements, not working trainers
(without release nothing is freed; without CtxVar nothing is scoped):

* ``no_ctx_records``: ``Context.__setattr__`` removed and ``CtxVar`` the identity, so writes
  are plain attribute stores (no lifecycles, no provenance, no release work);
* ``no_release``: lifecycle release skipped (scoped values are never deleted);
* ``one_hook``: every batch hook replaced by one hook doing the whole step, so what is left
  is the routine itself (points, schedule, batching).

Interleaved repetitions in one process; min and median microseconds per batch.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads import W1, fresh, loop_tensors, timed, trainer_config

import trainer_core.trainers.torch_trainer as torch_trainer_module
from trainer_core.engine.context import Context
from trainer_core.trainers.torch_trainer import TorchTrainer


@contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """Replace ``owner.name`` for one run (``value`` None deletes it)."""
    saved = owner.__dict__[name]
    if value is None:
        delattr(owner, name)
    else:
        setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


def whole_step(ctx: Any) -> None:
    """Everything the five default batch hooks do, in one hook and local variables."""
    xb, yb = next(ctx.batch_iter)
    optimizer = ctx.optimizer
    optimizer.zero_grad()
    out = ctx.model(xb)
    loss = ctx.criterion(out, yb)
    loss.backward()
    optimizer.step()
    size = yb.shape[0]
    ctx.__dict__["num_samples"] += size
    ctx.__dict__["loss_batch_total"] += loss.item() * size
    ctx.running_metrics.update(yb, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    w = W1
    x, y = w.data()
    base = w.model()

    def trainer() -> TorchTrainer:
        return TorchTrainer(fresh(base), {"train": {"x": x, "y": y}}, config=trainer_config(w))

    def default() -> float:
        return trainer().train()[2]["train_loss"]

    def no_ctx_records() -> float:
        with patched(Context, "__setattr__", None), \
                patched(torch_trainer_module, "CtxVar", lambda value, lifecycle=None: value):
            return default()

    def no_release() -> float:
        with patched(Context, "release", lambda self, lifecycle: []):
            return default()

    def one_hook() -> float:
        t = trainer()
        for trigger in ("on_batch_start", "on_batch_forward", "on_batch_backward",
                        "on_batch_end"):
            t.reset_hook_in_train(trigger)
        t.register_hook_in_train(whole_step, "on_batch_forward")
        return t.train()[2]["train_loss"]

    runs: dict[str, Callable[[], float]] = {
        "hand loop, tensor slices": lambda: loop_tensors(w, fresh(base), x, y),
        "trainer.train()": default,
        "  no_ctx_records": no_ctx_records,
        "  no_release": no_release,
        "  one_hook": one_hook,
    }
    gc.freeze()
    samples: dict[str, list[float]] = {k: [] for k in runs}
    losses: dict[str, float] = {}
    for fn in runs.values():  # warm-up
        fn()
    for _ in range(args.reps):
        for key, fn in runs.items():
            seconds, losses[key] = timed(fn)
            samples[key].append(seconds / w.batches * 1e6)
    floor = min(samples["hand loop, tensor slices"])
    print(f"W1 ablations, {w.batches} batches, {args.reps} interleaved reps (us per batch)")
    print(f"  {'':28s} {'min':>7s} {'median':>7s}  min/hand")
    for key, values in samples.items():
        print(f"  {key:28s} {min(values):7.1f} {statistics.median(values):7.1f}  "
              f"{min(values) / floor:.3f}")
    same = {round(losses[k], 3) for k in ("hand loop, tensor slices", "trainer.train()",
                                           "  one_hook")}
    print(f"  hand loop, trainer and one_hook computed the same loss sum: {len(same) == 1}")


if __name__ == "__main__":
    main()
