"""Time from pressing ``s`` to the screen showing the new point, with ~100 ctx variables.

    python bench/tui_latency.py [--presses 200]

Drives the real app headless (``App.run_test`` at 120x36) on the default config, with 60
extra plain attributes in ctx (so the Context table has about 100 rows). Each sample starts
when the key event is posted to the app, as the terminal driver does, and ends at the first
compositor refresh (the frame written to the terminal) after the header shows the new point;
the hook tree, the Context table, the detail pane and the strip are refreshed in the same
handler. Pilot's ``press`` is not used for timing: it adds its own waits for idle.
Prints the median and the 95th percentile; target: median under 50 ms.

Then the live view: ``c`` on the W1 workload (16,875 batches) with the app attached, counting
how often the header changes while it runs (target: at least 5 a second), against the same
session continued with no app (the run's slowdown with the UI attached; target <= 5%).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.session import DebugSession, RunState
from app.tui import make_app

DEBUG = "--debug" in sys.argv
ROOT = Path(__file__).resolve().parents[1]


async def measure(presses: int) -> list[float]:
    session = DebugSession.from_config(ROOT / "sample_configs" / "default.yaml")
    for i in range(60):
        setattr(session.ctx, f"extra_{i:02d}", list(range(i)))
    app = make_app(session, stable=True)
    samples: list[float] = []
    try:
        await _presses(app, session, presses, samples)
    finally:
        session.close()
    return samples


async def _presses(app, session: DebugSession, presses: int, samples: list[float]) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        status = screen.query_one("#status")
        frames: list[float] = []
        compositor_refresh = screen._compositor_refresh

        def timed_refresh() -> None:
            compositor_refresh()
            frames.append(time.perf_counter())

        screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
        changes: list[float] = []
        show = status.show

        def timed_show(text) -> None:
            before = status.text
            show(text)
            if status.text is not before:
                changes.append(time.perf_counter())

        status.show = timed_show  # type: ignore[method-assign]
        print(f"ctx holds {len(session.ctx.keys())} attributes")
        for _ in range(presses):
            if session.state is RunState.FINISHED:
                await pilot.press("r")
                await pilot.pause()
            frames.clear()
            changes.clear()
            start = time.perf_counter()
            app.post_message(events.Key("s", "s"))
            deadline = start + 5
            while time.perf_counter() < deadline:
                await asyncio.sleep(0.0005)
                if changes and any(f > changes[0] for f in frames):
                    break
            else:
                raise SystemExit("no new frame within 5 s of a key press")
            shown = min(f for f in frames if f > changes[0])
            samples.append(shown - start)
            if DEBUG and samples[-1] > 0.1:
                print(f"{samples[-1] * 1e3:.0f} ms", str(status.render()).splitlines()[1][:70])
            await pilot.pause()


def w1_session() -> DebugSession:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from workloads import W1, fresh, trainer_config

    from trainer_core.trainers.torch_trainer import TorchTrainer

    x, y = W1.data()
    config = trainer_config(W1)
    config["train.local_update_steps"] = 27  # 16,875 batches: about 3 s to watch
    trainer = TorchTrainer(fresh(W1.model()), {"train": {"x": x, "y": y}}, config=config)
    session = DebugSession(trainer, name="w1")
    session.start()
    return session


def bare_continue() -> float:
    session = w1_session()
    start = time.perf_counter()
    session.continue_()
    seconds = time.perf_counter() - start
    session.close()
    return seconds


async def live_continue() -> tuple[float, int]:
    """Seconds for ``c`` to finish with the app attached, and header updates meanwhile."""
    session = w1_session()
    app = make_app(session, stable=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#status")
        updates = [0]
        show = status.show

        def counted(text) -> None:
            before = status.text
            show(text)
            updates[0] += status.text is not before
        status.show = counted  # type: ignore[method-assign]
        start = time.perf_counter()
        app.post_message(events.Key("c", "c"))
        while not app.workers:  # the key handler starts the step's worker
            await asyncio.sleep(0.001)
        await app.workers.wait_for_complete()  # no polling: it would cost the run
        seconds = time.perf_counter() - start
        assert session.state is RunState.FINISHED
    session.close()
    return seconds, updates[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3, help="live-view repetitions")
    parser.add_argument("--debug", action="store_true", help="print the slow presses")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # as the other benches: one core for the model, one for the UI
    samples = sorted(asyncio.run(measure(args.presses)))
    p95 = samples[int(0.95 * (len(samples) - 1))]
    print(f"'s' to new point on screen, {len(samples)} presses: median "
          f"{statistics.median(samples) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, max "
          f"{samples[-1] * 1e3:.1f} ms (target: median < 50 ms)")
    bare, live, rates = [], [], []
    for _ in range(args.reps):  # interleaved
        bare.append(bare_continue())
        seconds, updates = asyncio.run(live_continue())
        live.append(seconds)
        rates.append(updates / seconds)
    print(f"'c' on W1 (16875 batches): {statistics.median(rates):.1f} header updates per "
          f"second while it runs (target >= 5); {statistics.median(live):.2f} s with the UI "
          f"attached vs {statistics.median(bare):.2f} s without: "
          f"{statistics.median(live) / statistics.median(bare):.3f}x (target <= 1.05)")


if __name__ == "__main__":
    main()
