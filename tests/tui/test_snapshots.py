"""SVG snapshots of the main screen, the console with watches and the breakpoint manager (at
80x24, the smallest supported terminal, and 120x36), the insert-hook and error modals.

Update after an intended change of the look: ``pytest tests/tui --snapshot-update``, then
look at the SVGs in tests/tui/__snapshots__ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.session import DebugSession
from app.tui import make_app
from tests.tui.conftest import SIZE
from tests.tui.hooks_that_fail import divide_by_batch

ROOT = Path(__file__).resolve().parents[2]
SIZES = pytest.mark.parametrize("size", [(80, 24), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")


@SIZES
def test_main_screen_paused_at_on_batch_forward(snap_compare, monkeypatch, size):
    monkeypatch.chdir(ROOT)
    app = make_app(ROOT / "sample_configs" / "default.yaml", stable=True,
                   overrides={"train.local_update_steps": 2})
    assert snap_compare(app, press=["n", "n", "n", "s"], terminal_size=size)


def test_insert_hook_modal(snap_compare, make_trainer, monkeypatch):
    monkeypatch.chdir(ROOT)
    app = make_app(DebugSession(make_trainer(), name="tiny.yaml"), stable=True)

    async def select_batch_end(pilot):
        pilot.app.screen.select_node(("on_batch_end", 0))
        await pilot.press("i")
        await pilot.pause()

    assert snap_compare(app, run_before=select_batch_end, terminal_size=SIZE)


def test_error_modal(snap_compare, make_trainer, monkeypatch):
    monkeypatch.chdir(ROOT)
    session = DebugSession(make_trainer(), name="tiny.yaml")
    session.insert(divide_by_batch, "on_batch_end", 0)
    session.start()
    session.continue_()  # stops at the error; the app opens with its modal
    assert session.state == "error"
    assert snap_compare(make_app(session, stable=True), terminal_size=SIZE)


@SIZES
def test_console_result_and_a_watch(snap_compare, make_trainer, monkeypatch, size):
    monkeypatch.chdir(ROOT)
    session = DebugSession(make_trainer(), name="tiny.yaml")
    session.start()
    session.add_breakpoint(trigger="on_batch_backward")
    session.continue_()
    session.console.add_watch("batch_i")
    session.console.add_watch("loss_batch.shape")  # values that do not hang on the RNG

    async def evaluate(pilot):
        await pilot.press("colon", *"y_true.shape", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(session, stable=True), run_before=evaluate,
                        terminal_size=size)


@SIZES
def test_breakpoint_manager(snap_compare, make_trainer, monkeypatch, size):
    monkeypatch.chdir(ROOT)
    session = DebugSession(make_trainer(), name="tiny.yaml")
    session.add_breakpoint(trigger="on_batch_end")
    session.add_breakpoint(hook="_hook_on_batch_forward", condition="batch_i == 2")
    session.add_breakpoint(condition="loss_batch > 5")
    session.enable_breakpoint(1, False)
    app = make_app(session, stable=True)
    assert snap_compare(app, press=["ctrl+b"], terminal_size=size)
