"""Rounds per second of the same course embedded (one process) and on Flower's simulation.

    python bench/flower_rounds.py [--reps 3] [--rounds 10] [--cpus 2]

On sample_configs/fedavg.yaml (digits, 5 Dirichlet clients, 3 a round, 2 local epochs):
(a) FedAvg by hand in plain PyTorch (bench/course_overhead.py's loop), (b) the embedded
``Course.rounds()``, (c) ``run_flower``: Flower's simulation engine (Ray), one virtual node
per client, each client a hookscope trainer in a Ray worker. For (c) two figures: the whole
run (Ray's start and every client's build included: what a user waits for) and its steady
rounds (the time between the first and the last round's end, per round: messages,
serialisation and Flower's FedAvg over the clients' training). Also checks that (b) and (c)
end on the same global model (max absolute difference).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from course_overhead import CONFIG, hand_course  # noqa: E402

from trainer_core.config.course import load_course  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as course_overhead.py, and as Ray gives each client worker
    try:
        from trainer_core.flower import run_flower
    except ImportError as exc:
        sys.exit(f"{exc}")
    config = Path("/tmp") / f"hookscope_bench_flower_{args.rounds}.yaml"
    config.write_text(CONFIG.read_text().replace(
        "total_round_num: 5", f"total_round_num: {args.rounds}"))
    hand, embedded, whole, steady, drift = [], [], [], [], []
    for _ in range(args.reps):
        course = load_course(config).course
        start = time.perf_counter()
        hand_course(course, args.rounds)
        hand.append(time.perf_counter() - start)
        course = load_course(config).course
        start = time.perf_counter()
        list(course.rounds())
        embedded.append(time.perf_counter() - start)
        ends: list[float] = []
        start = time.perf_counter()
        result = run_flower(config, on_round=lambda _, e=ends: e.append(time.perf_counter()),
                            cpus=args.cpus)
        whole.append(time.perf_counter() - start)
        steady.append((ends[-1] - ends[0]) / (len(ends) - 1))
        drift.append(max(float((result.global_state[k] - v).abs().max())
                         for k, v in course.global_state.items()))
    rounds = args.rounds
    a, b = statistics.median(hand), statistics.median(embedded)
    c, s = statistics.median(whole), statistics.median(steady)
    print(f"FedAvg on {CONFIG.name}: 5 clients, 3 a round, {rounds} rounds, {args.reps} reps "
          f"(medians), Flower with {args.cpus} CPU(s), torch threads "
          f"{torch.get_num_threads()}")
    print(f"  (a) by hand, plain PyTorch       {rounds / a:7.2f} rounds/s")
    print(f"  (b) embedded Course.rounds()     {rounds / b:7.2f} rounds/s   b/a {b / a:.2f}")
    print(f"  (c) Flower simulation, whole run {rounds / c:7.2f} rounds/s   c/a {c / a:.2f}"
          f"   ({c:.1f} s for {rounds} rounds)")
    print(f"      Flower, steady rounds        {1 / s:7.2f} rounds/s   "
          f"{s * 1e3:.0f} ms a round vs {b / rounds * 1e3:.0f} ms embedded")
    print(f"  global model, Flower vs embedded: max |difference| {max(drift):.2e}")


if __name__ == "__main__":
    main()
