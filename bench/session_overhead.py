"""What leaving the debugger attached costs: a session's continue against train(), in one process.

    python bench/session_overhead.py [--reps 5] [--batches 20000]

Per batch, on the W1 workload (overhead-dominated: tiny MLP, batch 32): (a) a hand-written
PyTorch loop over tensor slices, (b) ``trainer.train()``, (c) ``DebugSession.continue_()``
with breakpoints set that never hit (a hook breakpoint, a trigger breakpoint with a false
condition), per-hook timings, loss history, the NaN watch and lifecycle checks on, (d) the
same without the lifecycle checker (c - d is its cost). Medians and minimums over
interleaved repetitions; target (c)/(b) <= 1.10. Then memory: traced Python allocations after
1,000 and after ``--batches`` batches of one continuing session (histories are ring buffers, so
the two should differ by little).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workloads import W1, Workload, fresh, loop_tensors, timed, trainer_config, us_per_batch

from app.session import DebugSession
from trainer_core.trainers.torch_trainer import TorchTrainer


def train_run(w: Workload, model, x, y) -> float:
    trainer = TorchTrainer(model, {"train": {"x": x, "y": y}}, config=trainer_config(w))
    return trainer.train()[2]["train_loss"]


def attached(trainer: TorchTrainer, check_lifecycles: bool = True) -> DebugSession:
    session = DebugSession(trainer, check_lifecycles=check_lifecycles)
    session.add_breakpoint(hook="no_such_hook")
    session.add_breakpoint(trigger="on_batch_end", condition="batch_i < 0")
    return session


def session_run(w: Workload, model, x, y, check_lifecycles: bool = True) -> float:
    session = attached(TorchTrainer(model, {"train": {"x": x, "y": y}},
                                    config=trainer_config(w)), check_lifecycles)
    session.start()
    if session.continue_() is not None:
        raise RuntimeError(f"a breakpoint hit: {session.reason}")
    return session.metric_history[-1][1]["train_loss"]


def speed(w: Workload, reps: int) -> None:
    x, y = w.data()
    base = w.model()
    runs = {"a": lambda: loop_tensors(w, fresh(base), x, y),
            "b": lambda: train_run(w, fresh(base), x, y),
            "c": lambda: session_run(w, fresh(base), x, y),
            "d": lambda: session_run(w, fresh(base), x, y, check_lifecycles=False)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    losses: dict[str, float] = {}
    for fn in runs.values():
        fn()
    for _ in range(reps):
        for key, fn in runs.items():
            seconds, losses[key] = timed(fn)
            times[key].append(seconds)
    stats = {k: us_per_batch(v, w) for k, v in times.items()}
    print(f"{w.name}: MLP {'-'.join(map(str, w.sizes))}, batch {w.batch_size}, {w.batches} "
          f"batches per run, {reps} interleaved reps")
    print(f"  {'':52s} {'min':>8s} {'median':>8s}  us/batch")
    labels = {"a": "(a) hand-written loop, tensor slices",
              "b": "(b) trainer.train()",
              "c": "(c) session continue (breakpoints, timings, checks)",
              "d": "(d) the same without the lifecycle checker"}
    for key, label in labels.items():
        print(f"  {label:52s} {stats[key][0]:8.1f} {stats[key][1]:8.1f}")
    for x_, y_, target in (("c", "b", " (target <= 1.10)"), ("b", "a", ""), ("c", "a", "")):
        print(f"  {x_}/{y_}: min {stats[x_][0] / stats[y_][0]:.3f}, median "
              f"{stats[x_][1] / stats[y_][1]:.3f}{target}")
    print(f"  the lifecycle checker's own cost: min {stats['c'][0] - stats['d'][0]:+.1f}, "
          f"median {stats['c'][1] - stats['d'][1]:+.1f} us/batch")
    same = abs(losses["b"] - losses["c"]) <= 1e-6 * abs(losses["b"])
    print(f"  (b) and (c) computed identical losses: {same}")


def memory(w: Workload, total: int) -> None:
    x, y = w.data()
    config = trainer_config(w)
    config.update({"train.local_update_steps": total, "train.batch_or_epoch": "batch"})
    trainer = TorchTrainer(fresh(w.model()), {"train": {"x": x, "y": y}}, config=config)
    session = attached(trainer)
    per_epoch = trainer.ctx.num_train_batch
    stop = "cur_epoch_i * ctx.num_train_batch + batch_i == {}"
    tracemalloc.start()
    readings = []
    for mark in (1000, total - 1):
        session.breakpoints.clear()
        session.add_breakpoint(trigger="on_batch_end", condition=stop.format(mark))
        if session.run is None:
            session.start()
        session.continue_()
        gc.collect()
        readings.append((mark, tracemalloc.get_traced_memory()[0]))
    tracemalloc.stop()
    print(f"\nmemory, one session continuing {total} batches ({per_epoch} per epoch), "
          f"traced Python allocations:")
    for mark, current in readings:
        print(f"  after {mark + 1:6d} batches: {current / 2**20:7.2f} MB")
    print(f"  growth: {(readings[1][1] - readings[0][1]) / 2**20:+.2f} MB "
          f"(loss history {len(session.losses)} of max {session.losses.maxlen})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batches", type=int, default=20_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    speed(W1, args.reps)
    memory(W1, args.batches)


if __name__ == "__main__":
    main()
