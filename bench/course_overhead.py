"""What the embedded FedAvg course costs over the same rounds written by hand, in one process.

    python bench/course_overhead.py [--reps 3] [--rounds 5]

On sample_configs/fedavg.yaml (digits, 5 Dirichlet clients, 3 a round, 2 local epochs, batch
32): (a) FedAvg by hand in plain PyTorch over the same client tensors: per round, per sampled
client, load the global weights, a fresh SGD (as a client's fit start makes one), the local
epochs over seeded shuffles, evaluate the client's own model; average by samples; evaluate
the global model on every client's test split (evaluations in batches of the batch size,
as the trainer's); (b) ``Course.rounds()`` on trainers built
from the config (the clients' hooks, metrics and lifecycle of the routine included). Prints
rounds per second of both, (b)/(a), and the course's own time per round: (b)'s round time
less the time inside the clients' ``train`` and ``evaluate``.
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

from trainer_core.config.course import load_course  # noqa: E402
from trainer_core.federated import fedavg, shared_part  # noqa: E402

CONFIG = ROOT / "sample_configs" / "fedavg.yaml"


def build(rounds: int):
    return load_course(CONFIG, {"federate.total_round_num": rounds}).course


def hand_course(course, rounds: int) -> float:
    """(a): the same rounds, clients and work in plain PyTorch; returns the last accuracy."""
    trainers = course.trainers
    cfg = trainers[0].cfg
    epochs, batch = cfg.train.local_update_steps, cfg.dataloader.batch_size
    lr, momentum = cfg.train.optimizer.lr, cfg.train.optimizer.kwargs.get("momentum", 0.0)
    models = [t.ctx.model for t in trainers]
    data = [t.ctx.data for t in trainers]
    criterion = torch.nn.CrossEntropyLoss()
    state = {k: v.clone() for k, v in models[0].state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    accuracy = 0.0
    for round_i in range(rounds):
        updates = []
        for client in course.sample(round_i):
            model, split = models[client], data[client]["train"]
            model.load_state_dict(state)
            optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            model.train()
            x, y = split["x"], split["y"]
            for _ in range(epochs):
                order = torch.randperm(len(x), generator=gen)
                xs, ys = x[order], y[order]
                for i in range(0, len(x), batch):
                    optimizer.zero_grad()
                    loss = criterion(model(xs[i:i + batch]), ys[i:i + batch])
                    loss.backward()
                    optimizer.step()
            evaluate(model, data[client]["test"], batch)
            updates.append((len(x) * epochs, shared_part(model.state_dict(), ())))
        state = fedavg(updates)
        correct = total = 0
        for client, model in enumerate(models):
            model.load_state_dict(state)
            hits, count = evaluate(model, data[client]["test"], batch)
            correct, total = correct + hits, total + count
        accuracy = correct / total
    return accuracy


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: dict, batch: int) -> tuple[int, int]:
    """Accuracy counts in batches of the training batch size, as the trainer evaluates."""
    model.eval()
    x, y = split["x"], split["y"]
    hits = sum(int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
               for i in range(0, len(x), batch))
    return hits, len(y)


def course_run(course, rounds: int) -> tuple[float, float]:
    """(b): returns (seconds inside the clients' train/evaluate, last accuracy)."""
    inside = [0.0]
    for trainer in course.trainers:
        for name in ("train", "evaluate"):
            method = getattr(trainer, name)

            def timed(*args, _method=method, **kwargs):
                start = time.perf_counter()
                try:
                    return _method(*args, **kwargs)
                finally:
                    inside[0] += time.perf_counter() - start
            setattr(trainer, name, timed)
    reports = list(course.rounds())
    return inside[0], reports[-1].global_metrics["test_acc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    hand, embedded, own = [], [], []
    for _ in range(args.reps):  # interleaved; each gets freshly built clients
        course = build(args.rounds)
        start = time.perf_counter()
        hand_acc = hand_course(course, args.rounds)
        hand.append(time.perf_counter() - start)
        course = build(args.rounds)
        start = time.perf_counter()
        inside, course_acc = course_run(course, args.rounds)
        embedded.append(time.perf_counter() - start)
        own.append((embedded[-1] - inside) / args.rounds)
    a, b = statistics.median(hand), statistics.median(embedded)
    print(f"FedAvg on {CONFIG.name}: 5 clients, 3 a round, {args.rounds} rounds, "
          f"{args.reps} interleaved reps (medians)")
    print(f"  (a) by hand, plain PyTorch     {args.rounds / a:7.2f} rounds/s   "
          f"(last global acc {hand_acc:.3f})")
    print(f"  (b) Course.rounds()            {args.rounds / b:7.2f} rounds/s   "
          f"(last global acc {course_acc:.3f})")
    print(f"  b/a: min {min(embedded) / min(hand):.3f}, median {b / a:.3f}")
    print(f"  the course's own time per round (sampling, update, FedAvg, merging): "
          f"{statistics.median(own) * 1e3:.2f} ms of {b / args.rounds * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
