"""Per-batch instruction counts (callgrind) of trainer.train() against hand-written loops.

    python bench/instructions.py [--batches 200] [--jobs 4]

Wall-clock ratios are noisy on a shared machine; instruction counts are not. Each variant runs
under ``valgrind --tool=callgrind`` at N and 2N batches of W1 (one epoch); the difference
divided by N cancels start-up and import costs. Prints instructions per batch and the ratios
against the hand-written loop over the same data, and of a debug session (continue with
breakpoints that never hit, timings, lifecycle checks and the NaN watch on) against
trainer.train(); the session_bare/_checker/_nan variants price the checks one by one.
Needs valgrind; takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import sys
sys.path[:0] = [{here!r}, {root!r}]
import torch
torch.set_num_threads(1)
from workloads import Workload, fresh, loop_dataloader, loop_tensors, make_loader, trainer_config
from trainer_core.trainers.torch_trainer import TorchTrainer
variant, batches = sys.argv[1], int(sys.argv[2])
w = Workload("W1", (32, 32, 10), 32 * batches, 32, 1)
x, y = w.data()
base = w.model()
import gc
gc.freeze()  # full GC passes over everything imported would land in one count, not the other
if variant == "hand_tensors":
    loop_tensors(w, fresh(base), x, y)
elif variant == "trainer_tensors":
    TorchTrainer(fresh(base), {{"train": {{"x": x, "y": y}}}}, config=trainer_config(w)).train()
elif variant == "hand_dataloader":
    loop_dataloader(w, fresh(base), x, y)
elif variant.startswith("session"):
    from app.session import DebugSession
    options = {{"session_bare": dict(check_lifecycles=False, break_on_nonfinite=False),
               "session_checker": dict(break_on_nonfinite=False),
               "session_nan": dict(check_lifecycles=False)}}.get(variant, {{}})
    session = DebugSession(TorchTrainer(fresh(base), {{"train": {{"x": x, "y": y}}}},
                                        config=trainer_config(w)), **options)
    session.add_breakpoint(hook="no_such_hook")
    session.add_breakpoint(trigger="on_batch_end", condition="batch_i < 0")
    session.start()
    assert session.continue_() is None
elif variant == "trainer_dataloader":
    TorchTrainer(fresh(base), {{"train": make_loader(w, x, y)}}, config=trainer_config(w)).train()
"""


#: session_tensors is the debugger as it starts (lifecycle checks and the NaN watch on);
#: the session_* variants take each of those away, to price them.
VARIANTS = ("hand_tensors", "trainer_tensors", "session_tensors", "hand_dataloader",
            "trainer_dataloader", "session_bare", "session_checker", "session_nan")


def count(variant: str, batches: int, workdir: Path) -> int:
    script = workdir / "child.py"
    out = workdir / f"{variant}.{batches}.out"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                           sys.executable, str(script), variant, str(batches)],
                          capture_output=True, text=True, env=env, check=False)
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"{variant} failed:\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of {', '.join(VARIANTS)}")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "child.py").write_text(CHILD.format(here=str(HERE), root=str(ROOT)))
        jobs = [(v, n) for v in variants for n in (args.batches, 2 * args.batches)]
        with ThreadPoolExecutor(args.jobs) as pool:
            totals = dict(zip(jobs, pool.map(lambda j: count(*j, workdir), jobs), strict=True))
    per_batch = {v: (totals[(v, 2 * args.batches)] - totals[(v, args.batches)]) / args.batches
                 for v in variants}
    print(f"W1 (MLP 32-32-10, batch 32): instructions per batch, from {args.batches} and "
          f"{2 * args.batches} batches under callgrind")
    for v in variants:
        print(f"  {v:20s} {per_batch[v]:12,.0f}")
    pairs = [("trainer_tensors", "hand_tensors"), ("trainer_dataloader", "hand_dataloader"),
             ("session_tensors", "trainer_tensors"), ("session_tensors", "hand_tensors"),
             ("session_bare", "trainer_tensors"), ("session_checker", "session_bare"),
             ("session_nan", "session_bare")]
    for a, b in pairs:
        if a in per_batch and b in per_batch:
            extra = per_batch[a] - per_batch[b]
            print(f"  {a}/{b}: {per_batch[a] / per_batch[b]:.3f}  "
                  f"(+{extra:,.0f} instructions per batch)")


if __name__ == "__main__":
    main()
