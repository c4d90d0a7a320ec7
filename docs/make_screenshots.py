"""Regenerate the SVG screenshots in docs/screenshots with Textual's own save_screenshot.

    python docs/make_screenshots.py

Each picture is the real app at 120x36 on a sample config, driven by Pilot.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.session import DebugSession  # noqa: E402
from app.tui import make_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


async def shoot(name: str, session: DebugSession,
                drive: Callable[[object], Awaitable[None]]) -> None:
    app = make_app(session, stable=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await drive(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", str(OUT))
    print(f"wrote {OUT / name}.svg")


async def main() -> None:
    os.chdir(ROOT)
    default = DebugSession.from_config(ROOT / "sample_configs" / "default.yaml")
    default.add_breakpoint(trigger="on_batch_forward", condition="batch_i == 3")

    async def to_batch_3(pilot) -> None:
        await pilot.press("c")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("s", "s")
        pilot.app.screen.select_node(("on_batch_forward", 1))  # the hook about to run

    await shoot("main", default, to_batch_3)

    leaky = DebugSession.from_config(ROOT / "sample_configs" / "leaky_hooks.yaml")

    async def run_it(pilot) -> None:
        await pilot.press("c")

    await shoot("warnings", leaky, run_it)

    custom = DebugSession.from_config(ROOT / "sample_configs" / "custom_hooks.yaml")

    async def insert_dialog(pilot) -> None:
        pilot.app.screen.select_node(("on_batch_end", 0))
        await pilot.press("i")

    await shoot("insert", custom, insert_dialog)


if __name__ == "__main__":
    asyncio.run(main())
