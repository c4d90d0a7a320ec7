"""ctrl+b, the breakpoint manager; F-key aliases; a help screen and docs that list every key;
moving a hook across to the next trigger."""

from __future__ import annotations

from pathlib import Path

from app.tui.breakpoints import BreakpointsScreen
from app.tui.keys import KEYS, help_text
from app.tui.modals import BreakpointScreen, ConfirmScreen
from tests.tui.conftest import SIZE, hook_names, screen_text, select, settle

ROOT = Path(__file__).resolve().parents[2]


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one("#bp-table")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_manager_lists_toggles_edits_and_deletes(make_tui):
    app = make_tui()
    app.session.add_breakpoint(trigger="on_batch_end")
    app.session.add_breakpoint(hook="_hook_on_batch_forward", condition="batch_i == 2")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BreakpointsScreen)
        rows = table_rows(screen)
        assert [r[0] for r in rows] == ["N", "1", "2"]  # the NaN/Inf preset first
        assert rows[2][1:6] == ["on", "0", "hook", "_hook_on_batch_forward", "batch_i == 2"]
        await pilot.press("space")  # the preset off
        assert app.session.break_on_nonfinite is False
        await pilot.press("down", "space")  # #1 off
        assert not app.session.breakpoints.get(1).enabled
        await pilot.press("down", "e")
        await pilot.press(*(["backspace"] * 12), *"batch_i == 1", "enter")
        await pilot.pause()
        assert app.session.breakpoints.get(2).condition == "batch_i == 1"
        await pilot.press("e", *(["backspace"] * 12), *"import os", "enter")
        await pilot.pause()
        assert "import" in str(screen.query_one("#problem").render())
        assert app.session.breakpoints.get(2).condition == "batch_i == 1"  # unchanged
        await pilot.press("escape")  # leaves the edit, not the manager
        assert isinstance(app.screen, BreakpointsScreen)
        await pilot.press("x")
        assert [b.id for b in app.session.breakpoints] == [1]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BreakpointsScreen)


async def test_a_typo_in_a_condition_gets_a_did_you_mean_and_a_second_enter_adds_it(
        make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, BreakpointScreen)
        await pilot.press(*"loss_btch > 1", "enter")
        await pilot.pause()
        problem = str(app.screen.query_one("#problem").render())
        assert "did you mean 'loss_batch'" in problem and "enter again" in problem
        assert len(app.session.breakpoints) == 0
        await pilot.press("enter")
        await pilot.pause()
        assert [b.condition for b in app.session.breakpoints] == ["loss_btch > 1"]


async def test_a_from_the_manager_opens_the_add_dialog(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "a")
        await pilot.pause()
        assert isinstance(app.screen, BreakpointScreen)


async def test_f_keys_step_continue_and_toggle(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await pilot.pause()
        assert app.session.point.hook_name == "_hook_on_fit_start_init"
        await pilot.press("f10")
        await pilot.pause()
        assert app.session.point.trigger == "on_epoch_start"
        await select(pilot, "on_batch_end")
        await pilot.press("f9", "f5")
        await settle(pilot)
        assert app.session.point.trigger == "on_batch_end"
        assert "breakpoint #1" in screen_text(app, "#status")


async def test_help_and_docs_list_every_key():
    help_screen = help_text()
    docs = (ROOT / "docs" / "tui.md").read_text()
    for key in KEYS:
        assert key.help in help_screen, key.help
        assert f"`{key.shown}`" in docs, key.shown


async def test_moving_a_hook_past_its_triggers_edge_moves_it_to_the_next_trigger(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("ctrl+down")
        await pilot.pause()
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
            await pilot.pause()
        assert hook_names(app, "on_batch_end") == []
        assert hook_names(app, "on_epoch_end") == ["_hook_on_batch_end"]
        assert app.screen.selection() == ("on_epoch_end", 0)  # the cursor followed it
