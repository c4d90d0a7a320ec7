"""Time from pressing ``s`` to the screen showing the new point, with ~100 ctx variables.

    python bench/tui_latency.py [--presses 200]

Drives the real app headless (``App.run_test`` at 120x36) on the default config, with 60
extra plain attributes in ctx (so the Context table has about 100 rows). Each sample starts
when the key event is posted to the app, as the terminal driver does, and ends at the first
compositor refresh (the frame written to the terminal) after the header shows the new point;
the hook tree, the Context table, the detail pane and the strip are refreshed in the same
handler. Pilot's ``press`` is not used for timing: it adds its own waits for idle.
Prints the median and the 95th percentile; target: median under 50 ms.
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
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--debug", action="store_true", help="print the slow presses")
    args = parser.parse_args()
    samples = sorted(asyncio.run(measure(args.presses)))
    p95 = samples[int(0.95 * (len(samples) - 1))]
    print(f"'s' to new point on screen, {len(samples)} presses: median "
          f"{statistics.median(samples) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, max "
          f"{samples[-1] * 1e3:.1f} ms (target: median < 50 ms)")


if __name__ == "__main__":
    main()
