"""At 80x24 every pane keeps room for its content and every dialog's buttons are on screen;
below that the header says the terminal is too small; wide terminals give the room away."""

from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable

from app.tui.modals import ConfirmScreen, ErrorScreen
from tests.tui.conftest import screen_text, settle

PANES = ("#hooks-pane", "#ctx-pane", "#detail-pane", "#warn-pane", "#progress-pane", "#log")


def deep_hook(depth: int = 12):
    """A hook whose traceback is long (the error dialog must still show its buttons)."""
    def recurse(n: int) -> None:
        if n == 0:
            raise ValueError("a long traceback " + "x" * 300)
        recurse(n - 1)

    def long_traceback(ctx):
        if ctx.cur_batch_i == 1:
            recurse(depth)
    return long_traceback


def on_screen(app, widget) -> bool:
    region, screen = widget.region, app.screen.region
    return bool(region.area) and screen.contains_region(region)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 36), (200, 50)])
async def test_every_pane_has_room_at_each_size(make_tui, size):
    app = make_tui()
    async with app.run_test(size=size) as pilot:
        await pilot.press("b")
        await settle(pilot)
        for selector in PANES:
            pane = app.screen.query_one(selector)
            assert on_screen(app, pane), (selector, pane.region)
            assert pane.region.width >= 20 and pane.region.height >= 3, (selector, pane.region)
        table = app.screen.query_one("#ctx", DataTable)
        assert table.region.height - 1 >= 3  # a header and at least three rows
        status = screen_text(app, "#status").splitlines()
        assert len(status) == 2 and "batch 0 of 5" in status[0] and "on_batch_end" in status[1]
        assert "needs at least" not in status[1]


async def test_wide_terminals_give_the_room_to_the_table_and_the_timings(make_tui):
    app = make_tui()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        assert app.screen.query_one("#ctx").region.height >= 20
        assert app.screen.query_one("#timings").display
        assert app.screen.query_one("#log").region.width >= 100


async def test_below_80x24_the_header_says_the_terminal_is_too_small(make_tui):
    app = make_tui()
    async with app.run_test(size=(70, 20)) as pilot:
        await pilot.pause()
        second = screen_text(app, "#status").splitlines()[1]
        assert second.startswith("terminal 70x20: hookscope needs at least 80x24")


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_error_dialogs_buttons_always_fit(make_tui, size):
    app = make_tui()
    app.session.insert(deep_hook(), "on_batch_end", 0)
    async with app.run_test(size=size) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        buttons = list(app.screen.query(Button))
        assert len(buttons) == 3 and all(on_screen(app, b) for b in buttons), \
            [b.region for b in buttons]
        assert app.screen.query_one("#traceback").region.height >= 3


async def test_the_confirm_dialog_fits_at_80x24(make_tui):
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert all(on_screen(app, b) for b in app.screen.query(Button))


async def test_tab_never_lands_in_the_filter_so_stepping_keys_keep_working(make_tui):
    from textual.widgets import Input

    app = make_tui()
    async with app.run_test(size=(120, 36)) as pilot:
        seen = []
        for _ in range(8):
            await pilot.press("tab")
            seen.append(app.screen.focused)
        assert not any(isinstance(widget, Input) for widget in seen)
        assert {w.id for w in seen} >= {"hooks", "ctx", "warnings"}
        await pilot.press("slash", *"loss")  # / is the way in
        assert app.screen.query_one("#filter").value == "loss"
        await pilot.press("tab", "s")  # and Tab the way out: s steps again
        await pilot.pause()
        assert app.screen.query_one("#filter").value == "loss"
        assert app.session.point.hook is not None
